"""What changed since a baseline: each kind of change from a table (listed, or not, both ways); two runs in process
with a fault switched on between them report exactly that change, and nothing when nothing changed; changes of
shape exit 1 only when asked, never over drift or an inconclusive run; a baseline that is not an observed.json of
this format is refused with a message that says which file and why."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cph_conformance.run.checks import run as run_checks
from cph_conformance.run.report import changes, observed
from cph_conformance.run.report.changes import (
    IMAGES,
    LONGER,
    NEW_ERROR_CODE,
    NEW_FIELD,
    NEW_STATUS,
    NEW_VALUE,
    SLOWER,
    TYPES,
    VANISHED_FIELD,
    Change,
    Changes,
)
from cph_conformance.run.report.result import Result
from cph_conformance.run.report.stored import Unusable
from cph_conformance.run.verdict.findings import error
from cph_conformance.run.verdict.verdict import CANNOT_RUN, DRIFT, PASSED, Verdict
from tests import inprocess

BASE: dict[str, Any] = {
    "file": observed.FILE,
    "format": observed.FORMAT,
    "date": "2026-11-25T05:17:00+00:00",
    "spec": {"version": "1.1.0", "sha256": "a" * 64},
    "schemas": {
        "PhoneImage": {"image_id": ["string"], "is_public": ["integer"], "image_label": ["string"]},
        "ErrorBody": {"error_code": ["string"], "error_msg": ["string"]},
    },
    "values": {"PhoneImage.is_public": [1, 2], "PhoneImage.image_label": ["cloud_game", "cloud_phone"]},
    "bytes": {"PhoneImage.image_name": {"longest": 100, "limit": 128}},
    "statuses": {"walk/valid": {"200": 30}, "probe/other-project": {"403": 8}},
    "error_codes": {"probe/other-project": {"CPS.0001": 8}},
    "images": {"public": 18, "private": 12},
    "latency": {"answers": 60, "p50_ms": 80.0, "p95_ms": 100.0, "p99_ms": 150.0},
}


def edited(*edits: tuple[tuple[str, ...], Any]) -> dict[str, Any]:
    """BASE with each (path, value) set; a value of None removes the key."""
    result = copy.deepcopy(BASE)
    for path, value in edits:
        node = result
        for key in path[:-1]:
            node = node.setdefault(key, {})
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return result


# (what this run observed, the changes listed: (kind, where), and whether a note is expected)
CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]], bool]] = [
    ("nothing changed", BASE, [], False),
    (
        "a new field",
        edited((("schemas", "PhoneImage", "image_size"), ["integer"])),
        [(NEW_FIELD, "PhoneImage.image_size")],
        False,
    ),
    (
        "a field vanished",
        edited((("schemas", "PhoneImage", "image_label"), None)),
        [(VANISHED_FIELD, "PhoneImage.image_label")],
        False,
    ),
    (
        "a type changed",
        edited((("schemas", "PhoneImage", "is_public"), ["integer", "string"])),
        [(TYPES, "PhoneImage.is_public")],
        False,
    ),
    (
        "a new value",
        edited((("values", "PhoneImage.image_label"), ["cloud_game", "cloud_phone", "x"])),
        [(NEW_VALUE, "PhoneImage.image_label")],
        False,
    ),
    ("a value not seen this time", edited((("values", "PhoneImage.image_label"), ["cloud_game"])), [], False),
    (
        "1 is not true",
        edited((("values", "PhoneImage.is_public"), [True, 2])),
        [(NEW_VALUE, "PhoneImage.is_public")],
        False,
    ),
    (
        "a new status",
        edited((("statuses", "probe/other-project"), {"403": 7, "404": 1})),
        [(NEW_STATUS, "probe/other-project")],
        False,
    ),
    (
        "a new error code where there were none",
        edited((("statuses", "walk/valid"), {"200": 29, "500": 1}), (("error_codes", "walk/valid"), {"CPS.0002": 1})),
        [(NEW_STATUS, "walk/valid"), (NEW_ERROR_CODE, "walk/valid")],
        False,
    ),
    ("a kind of request only this run sent", edited((("statuses", "coverage/valid"), {"200": 3, "400": 2})), [], True),
    ("a kind of request only the baseline sent", edited((("statuses", "walk/valid"), None)), [], True),
    ("a schema only this run saw", edited((("schemas", "PageInfo"), {"next_marker": ["string"]})), [], True),
    (
        "a longer value",
        edited((("bytes", "PhoneImage.image_name", "longest"), 110)),
        [(LONGER, "PhoneImage.image_name")],
        False,
    ),
    ("a shorter value", edited((("bytes", "PhoneImage.image_name", "longest"), 90)), [], False),
    ("p95 doubled and 50 ms more", edited((("latency", "p95_ms"), 250.0)), [(SLOWER, "latency")], False),
    ("p95 a little under double", edited((("latency", "p95_ms"), 199.0)), [], False),
    ("an image more", edited((("images", "private"), 13)), [(IMAGES, "private")], False),
    ("an image type not walked", edited((("images", "private"), None)), [], False),
]


@pytest.mark.parametrize(("now", "listed", "noted"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_change_is_listed_and_nothing_else(
    now: dict[str, Any], listed: list[tuple[str, str]], noted: bool
) -> None:
    found = changes.between(BASE, now)
    assert [(c.kind, c.where) for c in found.found] == listed
    assert bool(found.notes) == noted
    assert found.since == BASE["date"]


@pytest.mark.parametrize(
    ("before_ms", "after_ms", "slower"),
    [(100.0, 201.0, True), (100.0, 200.0, False), (5.0, 40.0, False), (5.0, 60.0, True), (None, 900.0, False)],
)
def test_latency_is_slower_when_p95_more_than_doubled_by_a_margin_over_noise(
    before_ms: float | None, after_ms: float, slower: bool
) -> None:
    baseline = edited((("latency", "p95_ms"), before_ms))
    now = edited((("latency", "p95_ms"), after_ms))
    assert bool(changes.between(baseline, now).found) == slower


@pytest.mark.parametrize(
    ("longest", "said"),
    [
        (110, "was 100 (limit 128)"),
        (116, "was 100 (limit 128: within 10% of it)"),
        (128, "was 100 (limit 128: within 10% of it)"),
        (150, "was 100 (limit 128: over it)"),
    ],
)
def test_a_longer_value_says_when_it_is_within_10_percent_of_its_limit_or_over_it(longest: int, said: str) -> None:
    (change,) = changes.between(BASE, edited((("bytes", "PhoneImage.image_name", "longest"), longest))).found
    assert change.said.endswith(said) and not change.of_shape


def test_the_spec_or_an_inconclusive_baseline_is_noted() -> None:
    baseline = {**edited((("spec", "version"), "1.0.0"), (("spec", "sha256"), "b" * 64)), "exit_status": 2}
    notes = changes.between(baseline, BASE).notes
    assert any("the spec changed since the baseline (version 1.0.0 then, 1.1.0 now)" in n for n in notes)
    assert any("inconclusive" in n for n in notes)


# --- two runs, in process --------------------------------------------------------------------------------------------


def seen(fault: str | None) -> dict[str, Any]:
    """What a quick run (schemathesis' fuzzing, the walk, the probes) against the mock, with a fault or none, saw."""
    return observed.of(inprocess.quick_run(fault), f"run with {fault}")


def test_two_runs_of_the_same_service_list_no_change() -> None:
    again = observed.of(inprocess.verdict(None, max_examples=3, phases=("fuzzing",)), "again")
    found = changes.between(seen(None), again)
    assert (found.found, found.notes) == ([], [])


def test_a_fault_switched_on_between_two_runs_is_exactly_the_change_listed() -> None:
    found = changes.between(seen(None), seen("unknown-image-label"))
    assert [str(c) for c in found.found] == ['new value: PhoneImage.image_label: "cloud_phone_9000"']
    assert found.notes == [] and found.of_shape == found.found


# --- what changes do to the exit status --------------------------------------------------------------------------

SHAPE = Change(NEW_VALUE, "PhoneImage.image_label", '"x"')
NOTICE = Change(IMAGES, "private", "13 images, was 12")


@pytest.mark.parametrize(
    ("found", "gate", "problem", "status", "label"),
    [
        ([SHAPE], False, None, PASSED, "passed"),  # notices by default
        ([SHAPE], True, None, DRIFT, "changed since the baseline"),
        ([NOTICE], True, None, PASSED, "passed"),  # only changes of shape fail
        ([], True, None, PASSED, "passed"),
        ([SHAPE], True, "error", CANNOT_RUN, "could not run to the end"),  # too little seen to vouch for a change
    ],
)
def test_changes_of_shape_exit_1_only_when_asked_and_never_over_exit_2(
    found: list[Change], gate: bool, problem: str | None, status: int, label: str
) -> None:
    found_problems = (error(run_checks.walk, "the walk stopped early"),) if problem else ()
    v = Result(Verdict("x", found_problems), Changes("then", found), gate)
    assert (v.exit_status, v.label) == (status, label)


def test_drift_stays_drift_with_changes() -> None:
    v = Result(inprocess.quick_run("unknown-image-label"), Changes("then", [SHAPE]), fail_on_change=True)
    assert v.verdict.failures and (v.exit_status, v.label) == (DRIFT, "drift found")


# --- the baseline file --------------------------------------------------------------------------------------------


def _write(text: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / "observed.json").write_text(text)
        return folder / "observed.json"

    return make


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda folder: folder / "missing.json", "cannot be read: No such file or directory"),
        (lambda folder: folder, "cannot be read: Is a directory"),
        (_write('{"file": "cph-conformance observed", "form'), "is not JSON (Unterminated string"),
        (_write("[1, 2]"), "is not an observed.json of cph-conformance"),
        (_write(json.dumps({**BASE, "file": "something else"})), "is not an observed.json of cph-conformance"),
        (
            _write(json.dumps({**BASE, "format": 2})),
            "is an observed.json of cph-conformance of format 2; this version reads format 1 only",
        ),
        (_write(json.dumps({k: v for k, v in BASE.items() if k != "statuses"})), "'statuses' is a required property"),
        (_write(json.dumps({**BASE, "schemas": {"PhoneImage": {"x": 3}}})), "is corrupt: 3 is not of type 'array' (at"),
    ],
)
def test_a_baseline_this_version_cannot_read_is_refused_saying_why(
    tmp_path: Path, make: Callable[[Path], Path], says: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(Unusable) as refused:
        changes.load(path)
    assert str(refused.value).startswith(f"CPH_BASELINE={str(path)!r} ") and says in str(refused.value)


def test_a_runs_observed_json_is_a_baseline(tmp_path: Path) -> None:
    path = _write(json.dumps({**BASE, "verdict": "passed", "exit_status": 0}))(tmp_path)
    assert changes.load(path)["date"] == BASE["date"]
