"""Checks across every answer of the run at once: what one answer cannot show, all of them together can.

- image_identity: the page calls image_id the unique identifier of an image, so every answer that lists an image
  (schemathesis' cases and the walk, every image type, every limit, every page) tells the same truth about it;
- request_ids: the page calls request_id the unique request ID, so no two different requests are answered with one
  (the same request answered twice with one is a cache's replay, which a GET allows). Conclusive on first sight: a
  cache that answered a request with another's body may answer otherwise next time, and the two answers stay what
  they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cph_conformance import spec
from cph_conformance.run.checks.evidence import Answers
from cph_conformance.run.checks.registry import ANSWERS, Drift, check
from cph_conformance.run.transport.exchange import Exchange, identity

SHOWN = 3  # images named in a finding; the count is always given


def _differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The fields two views of an image disagree on (a null is an absent field, as Huawei's SDK reads it)."""
    return sorted(k for k in {*a, *b} if a.get(k) != b.get(k))


def _shown(image: dict[str, Any], field: str) -> str:
    return repr(image[field])[:80] if image.get(field) is not None else "absent"


@check(
    "an image (one image_id) has the same fields in every answer that lists it",
    ("page.image_id",),
    "every page of the run, across types, limits and pages",
    ANSWERS,
)
def image_identity(answers: Answers) -> Iterator[Drift]:
    first: dict[str, tuple[Exchange, dict[str, Any]]] = {}
    # a field that differs -> the images it differs in: (image_id, the first answer and image, the other's)
    found: dict[str, list[tuple[str, Exchange, dict[str, Any], Exchange, dict[str, Any]]]] = {}
    counted: set[tuple[str, str]] = set()  # (field, image_id) already in found
    for ex in answers.exchanges:
        for image in ex.images or ():
            image_id = identity(image)
            if image_id is None:
                continue
            if image_id not in first:
                first[image_id] = (ex, image)
                continue
            seen, before = first[image_id]
            if image == before:
                continue
            for field in _differences(before, image):
                if (field, image_id) not in counted:
                    counted.add((field, image_id))
                    found.setdefault(field, []).append((image_id, seen, before, ex, image))
    for field, cases in found.items():
        image_id, seen, before, ex, image = cases[0]
        others = ", ".join(c[0] for c in cases[1 : SHOWN + 1])
        more = f" (and in {len(cases) - 1} other image(s): {others}{' ...' if len(cases) > SHOWN + 1 else ''})"
        differs = f"image {image_id} has {field} {_shown(before, field)} in one answer and {_shown(image, field)} in "
        yield Drift(field, f"{differs}another{more if len(cases) > 1 else ''}", (seen, ex), instance=differs)


def request_id(ex: Exchange) -> str | None:
    """An answer's request ID: the body's request_id, else its request-id header."""
    said = ex.body.get("request_id") if isinstance(ex.body, dict) else None
    if isinstance(said, str) and said:
        return said
    return ex.headers.get(spec.request_id_header().lower()) or None


def _request(ex: Exchange) -> tuple[str, str, str]:
    """What makes two requests the same: the method, the URL and how it was authenticated."""
    return ex.method, ex.url, ex.auth


@check(
    "request_id is unique: no two different requests of a run are answered with the same one",
    ("page.request_id",),
    "every answer of the run",
    ANSWERS,
    conclusive=True,
)
def request_ids(answers: Answers) -> Iterator[Drift]:
    owners: dict[str, Exchange] = {}
    repeated: list[tuple[str, Exchange, Exchange]] = []
    for ex in answers.exchanges:
        rid = request_id(ex)
        if rid is None:
            continue
        if rid not in owners:
            owners[rid] = ex
        elif _request(owners[rid]) != _request(ex):
            repeated.append((rid, owners[rid], ex))
    if repeated:
        rid, one, other = repeated[0]
        more = f" ({len(repeated)} answers repeat an earlier one's)" if len(repeated) > 1 else ""
        said = f"two different requests were answered with request_id {rid[:64]!r}{more}"
        yield Drift("repeated", said, (one, other), instance=str(rid))
