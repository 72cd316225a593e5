"""What changed since a baseline: this run's observed.json (observed.py) against an earlier run's
(CPH_BASELINE), for the summaries' "Changes since <the baseline's date>".

Changes of shape: new and vanished fields, a field's types, new values of an enumerated field, new statuses and
error codes of a kind of request. They are notices, unless CPH_FAIL_ON_CHANGE makes them fail the run (exit 1). Other
changes are notices only: a byte-limited field's longest value that grew (and whether it is within 10% of its
limit), a latency p95 more than doubled (and at least MIN_SLOWER_MS more), an image type's count of images.

Only what both runs observed is compared: a kind of request or a schema that one run did not see is named in a
note, not listed as new or vanished (another PHASES or WALK=0 sends other requests; a listing of one page has no
page_info). A baseline that is not an observed.json of this format, or cannot be read, is refused
(stored.Unusable): the run stops before it starts (exit 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from cph_conformance.run.report import stored
from cph_conformance.run.report.observed import FILE, FORMAT, SCHEMA

NEW_FIELD, VANISHED_FIELD, TYPES, NEW_VALUE, NEW_STATUS, NEW_ERROR_CODE = (
    "new field",
    "vanished field",
    "types changed",
    "new value",
    "new status",
    "new error code",
)
LONGER, SLOWER, IMAGES = "longer values", "slower", "images"
SHAPE = (NEW_FIELD, VANISHED_FIELD, TYPES, NEW_VALUE, NEW_STATUS, NEW_ERROR_CODE)
NEAR_LIMIT = 0.9  # a longest value at this share of its byte limit or more is "within 10% of the limit"
SLOWER_FACTOR = 2.0  # p95 more than this many times the baseline's
# ... and at least this much more: below it, a doubling is the machine's noise (a loopback mock answers in a few ms).
MIN_SLOWER_MS = 50.0


@dataclass(frozen=True)
class Change:
    kind: str  # one of SHAPE, LONGER, SLOWER, IMAGES
    where: str  # "PhoneImage.image_label", "probe/other-project", "latency", "private"
    said: str

    @property
    def of_shape(self) -> bool:
        return self.kind in SHAPE

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.said}"


@dataclass
class Changes:
    since: str  # the baseline's date
    found: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was not compared, and why

    @property
    def of_shape(self) -> list[Change]:
        return [c for c in self.found if c.of_shape]


def load(path: Path) -> dict[str, Any]:
    """The observed.json at path; stored.Unusable, naming CPH_BASELINE and the file, when this version cannot use
    it."""
    advice = "Name an observed.json a run of this version wrote (a run without CPH_BASELINE writes one)."
    data = stored.read(path, "CPH_BASELINE", FILE, FORMAT, "an observed.json of cph-conformance", advice)
    wrong = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))
    if wrong is not None:
        at = "/".join(map(str, wrong.absolute_path)) or "the top"
        raise stored.Unusable(f"CPH_BASELINE={str(path)!r} is corrupt: {wrong.message} (at {at}). {advice}")
    return data


def _both(
    baseline: Mapping[str, Any], now: Mapping[str, Any], what: str, notes: list[str]
) -> list[tuple[str, Any, Any]]:
    """(key, baseline's, this run's) of the keys both have; a note names those only one has."""
    only = sorted(set(baseline) ^ set(now))
    if only:
        notes.append(f"{what} that only one of the two runs saw, not compared: {', '.join(only)}")
    return [(key, baseline[key], now[key]) for key in sorted(set(baseline) & set(now))]


def _fields(baseline: dict[str, Any], now: dict[str, Any], notes: list[str]) -> list[Change]:
    found = []
    for name, before, after in _both(baseline["schemas"], now["schemas"], "schemas", notes):
        for field_ in sorted(set(before) | set(after)):
            where = f"{name}.{field_}"
            if field_ not in before:
                found.append(Change(NEW_FIELD, where, ", ".join(after[field_])))
            elif field_ not in after:
                found.append(Change(VANISHED_FIELD, where, f"was {', '.join(before[field_])}"))
            elif before[field_] != after[field_]:
                found.append(Change(TYPES, where, f"{', '.join(after[field_])}, was {', '.join(before[field_])}"))
    return found


def _values(baseline: dict[str, Any], now: dict[str, Any], _notes: list[str]) -> list[Change]:
    found = []
    for key in sorted(set(baseline["values"]) & set(now["values"])):
        known = {json.dumps(v) for v in baseline["values"][key]}
        found += [Change(NEW_VALUE, key, json.dumps(v)) for v in now["values"][key] if json.dumps(v) not in known]
    return found


def _new_per_kind(section: str, kind: str) -> Callable[[dict[str, Any], dict[str, Any], list[str]], list[Change]]:
    """New keys of a section by kind of request (statuses, error codes), for the kinds of request both runs sent."""

    def compare(baseline: dict[str, Any], now: dict[str, Any], _notes: list[str]) -> list[Change]:
        found = []
        for request in sorted(set(baseline["statuses"]) & set(now["statuses"])):
            before, after = baseline[section].get(request, {}), now[section].get(request, {})
            found += [
                Change(kind, request, f"{new} ({after[new]} answer(s))") for new in sorted(set(after) - set(before))
            ]
        return found

    return compare


def _kinds_sent(baseline: dict[str, Any], now: dict[str, Any], notes: list[str]) -> list[Change]:
    """Nothing changes here: a note names the kinds of request only one run sent (the others are compared)."""
    _both(baseline["statuses"], now["statuses"], "kinds of request", notes)
    return []


def _longer(baseline: dict[str, Any], now: dict[str, Any], _notes: list[str]) -> list[Change]:
    found = []
    for key in sorted(set(baseline["bytes"]) & set(now["bytes"])):
        before, after = baseline["bytes"][key], now["bytes"][key]
        near = after["longest"] >= NEAR_LIMIT * after["limit"]
        was_near = before["longest"] >= NEAR_LIMIT * before["limit"]
        if after["longest"] > before["longest"] or (near and not was_near):
            within = ": over it" if after["longest"] > after["limit"] else f": within {1 - NEAR_LIMIT:.0%} of it"
            within = within if near else ""
            said = f"the longest is {after['longest']} bytes, was {before['longest']} (limit {after['limit']}{within})"
            found.append(Change(LONGER, key, said))
    return found


def _slower(baseline: dict[str, Any], now: dict[str, Any], _notes: list[str]) -> list[Change]:
    before, after = baseline["latency"].get("p95_ms"), now["latency"].get("p95_ms")
    if before is None or after is None:
        return []
    if after > SLOWER_FACTOR * before and after - before >= MIN_SLOWER_MS:
        return [Change(SLOWER, "latency", f"p95 {after} ms, was {before} ms: more than {SLOWER_FACTOR:g} times")]
    return []


def _images(baseline: dict[str, Any], now: dict[str, Any], _notes: list[str]) -> list[Change]:
    return [
        Change(IMAGES, selection, f"{after} images, was {before}")
        for selection in sorted(set(baseline["images"]) & set(now["images"]))
        if (before := baseline["images"][selection]) != (after := now["images"][selection])
    ]


COMPARISONS = (
    _fields,
    _values,
    _kinds_sent,
    _new_per_kind("statuses", NEW_STATUS),
    _new_per_kind("error_codes", NEW_ERROR_CODE),
    _longer,
    _slower,
    _images,
)


def between(baseline: dict[str, Any], now: dict[str, Any]) -> Changes:
    """What changed from baseline to now (two observed.json contents): each comparison, and notes on what was not
    compared and on what the baseline was."""
    changes = Changes(since=baseline["date"])
    if baseline["spec"].get("sha256") != now["spec"].get("sha256"):
        changes.notes.append(
            f"the spec changed since the baseline (version {baseline['spec'].get('version')} then, "
            f"{now['spec'].get('version')} now): what it documents may explain a change"
        )
    if baseline.get("exit_status") == 2:
        changes.notes.append("the baseline's run was inconclusive: what is new may be what it did not see")
    for compare in COMPARISONS:
        changes.found += compare(baseline, now, changes.notes)
    return changes
