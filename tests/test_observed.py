"""What a run observed (observed.json): the shape of the answers from the spec's schemas, enumerated values only where
the spec enumerates them, byte maxima, statuses and error codes by kind of request, images per type, latency
percentiles of the endpoint's own time; and no data: no image name or id, no project id, no credential. In process,
against the mock's app; tables both ways."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cph_conformance.run.collect import walk
from cph_conformance.run.report import atomic, observed
from cph_conformance.run.transport.exchange import Exchange
from tests import inprocess


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "boolean"),
        (0, "integer"),
        (1.5, "number"),
        ("1", "string"),
        ([1], "array"),
        ({"a": 1}, "object"),
    ],
)
def test_each_json_value_has_its_json_type(value: Any, expected: str) -> None:
    assert observed.json_type(value) == expected


def test_a_value_json_cannot_hold_has_no_json_type() -> None:
    with pytest.raises(TypeError):
        observed.json_type({1, 2})


@pytest.mark.parametrize(
    ("field", "counted"),
    [
        ("PhoneImage.image_label", True),  # an open enum: anyOf the spec's labels or a string
        ("PhoneImage.is_public", True),  # an enum by $ref
        ("PhoneImage.receive_status", True),
        ("PhoneImage.is_support_encrypt", True),  # a boolean: two values
        ("PhoneImage.image_name", False),  # free text: a project's own names
        ("PhoneImage.image_id", False),
        ("PhoneImage.os_name", False),
        ("ErrorBody.error_code", False),  # counted by kind of request, not as a value
        ("ErrorBody.error_msg", False),
        ("PageInfo.next_marker", False),
    ],
)
def test_values_are_kept_only_of_fields_the_spec_enumerates(field: str, counted: bool) -> None:
    assert (field in observed.enumerated_fields()) == counted


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        (list(range(1, 101)), 50, 50),
        (list(range(100, 0, -1)), 95, 95),  # unsorted
        (list(range(1, 101)), 99, 99),
        ([1.0, 2.0], 50, 1.0),
        ([1.0, 2.0], 51, 2.0),
        ([7.0], 99, 7.0),
    ],
)
def test_percentiles_are_nearest_rank(values: list[float], p: float, expected: float) -> None:
    assert observed.percentile(values, p) == expected


def test_latency_is_taken_over_the_answers_that_have_a_time() -> None:
    answers = [Exchange("GET", "http://x/", "valid", 200, elapsed=n / 1000) for n in range(1, 101)]
    lost = Exchange("GET", "http://x/", "valid", None, {}, None, "refused", elapsed=5.0)  # no answer: not timed
    assert observed.latency([*answers, lost]) == {"answers": 100, "p50_ms": 50.0, "p95_ms": 95.0, "p99_ms": 99.0}
    assert observed.latency([lost]) == {"answers": 0}


@pytest.mark.parametrize(("name", "longest"), [("é" * 3, 6), ("a\ud800", 4), ("\U0001f600", 4)])
def test_the_longest_value_is_counted_in_utf8_bytes_a_lone_surrogate_too(name: str, longest: int) -> None:
    """A lone surrogate (a JSON escape UTF-8 cannot carry; client_reads judges it) is counted, never a crash."""
    shapes = observed._Shapes()
    shapes.add({"phone_images": [{"image_name": name}]}, "ListCloudPhoneImagesResponse")
    assert shapes.longest["PhoneImage.image_name"] == longest


def test_a_lone_surrogate_in_what_the_endpoint_named_is_written_as_its_escape(tmp_path: Path) -> None:
    """A field's name, an error_code: observed.json keeps them as they came, and UTF-8 cannot carry a lone surrogate:
    written as its JSON escape, the same character to a JSON reader, never an error of the run's."""
    seen = {"schemas": {"PhoneImage": {"\ud800": ["integer"]}}, "error_codes": {"walk/valid": {"\udc00x": 1}}}
    text = observed.document(seen, "drift found", 1)
    path = tmp_path / "observed.json"
    atomic.write_text(path, text)
    assert b"\\ud800" in path.read_bytes() and json.loads(path.read_bytes()) == json.loads(text)


def test_a_run_observes_the_shape_of_every_answer_by_the_specs_schemas() -> None:
    v = inprocess.quick_run(None)
    seen = observed.of(v, "2026-11-26T05:17:00+00:00")
    assert (seen["file"], seen["format"], seen["date"]) == (observed.FILE, observed.FORMAT, "2026-11-26T05:17:00+00:00")
    assert seen["schemas"]["PhoneImage"]["image_id"] == ["string"]
    assert seen["schemas"]["PhoneImage"]["is_public"] == ["integer"]
    assert seen["schemas"]["ListCloudPhoneImagesResponse"]["phone_images"] == ["array"]
    assert set(seen["schemas"]["ErrorBody"]) == {"request_id", "error_code", "error_msg"}
    assert seen["values"]["PhoneImage.is_public"] == [1, 2]
    assert seen["bytes"]["PhoneImage.image_id"] == {"longest": 32, "limit": 32}
    assert v.walk is not None and seen["images"] == walk.images_per_selection(v.walk.listings)
    assert seen["images"]["all"] == sum(seen["images"][t] for t in ("public", "private", "share"))
    assert seen["requests"]["sent"] == len(v.exchanges) and seen["latency"]["answers"] == len(v.exchanges)
    # Statuses by kind: each probe by the situation the spec documents for it.
    assert seen["statuses"]["walk/valid"] == {"200": seen["requests"]["by_phase"]["walk"]}
    assert set(seen["statuses"]["probe/other-project"]) <= {"401", "403"}
    refused = [p for p in v.probed if p.probe.situation == "invalid-parameter"]
    assert seen["error_codes"]["probe/invalid-parameter"] == {"CPS.0005": len(refused)}
    assert {p.probe.situation for p in v.probed} == {
        kind.removeprefix("probe/") for kind in seen["statuses"] if kind.startswith("probe/")
    }


def test_what_a_run_observed_holds_no_image_name_or_id_no_project_and_no_credential() -> None:
    v = inprocess.quick_run(None)
    text = observed.document(observed.of(v, "2026-11-26T05:17:00+00:00"), v.label, v.exit_status)
    images = [image for ex in v.exchanges for image in ex.images or ()]
    data = {str(image[key]) for image in images for key in ("image_name", "image_id")}
    assert len(data) > 60  # the run saw the mock's catalog: names and ids to look for
    assert [value for value in data | {inprocess.PROJECT, inprocess.TOKEN} if value in text] == []
    assert json.loads(text)["verdict"] == "passed"
    jsonschema.validate(json.loads(text), observed.SCHEMA)  # what a later run checks a baseline against
