"""Grading: a schemathesis flag is drift only when Huawei's sources back it; one that breaks only an assumption
of the spec is a warning that names it. Both ways, from tables, no server."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cph_conformance import spec
from cph_conformance.run import verdict
from cph_conformance.run.verdict import FAILURE, WARNING, Exchange

PROJECT = "0123456789abcdef0123456789abcdef"
URL = "https://cph.cn-north-4.myhuaweicloud.com" + spec.OPERATION_PATH.format(project_id=PROJECT)


def exchange(query: str = "", status: int = 200, body: Any = None, project: str = PROJECT) -> Exchange:
    uri = URL.replace(PROJECT, project) + (f"?{query}" if query else "")
    return Exchange("GET", uri, status, {}, body)


@pytest.mark.parametrize(
    ("query", "project", "graded", "says"),
    [
        ("marker=", PROJECT, WARNING, "marker: minLength"),  # the spec's minLength is an assumption
        ("limit=0", PROJECT, FAILURE, "limit: minimum"),  # the SDK: 1~500
        ("limit=501", PROJECT, FAILURE, "limit: maximum"),
        ("limit=ten", PROJECT, FAILURE, "'ten' is not an integer"),
        ("limit=1&limit=2", PROJECT, WARNING, "sent more than once"),  # no source says which value counts
        ("limit=1&limit=0", PROJECT, FAILURE, "limit: minimum"),
        ("image_type=bogus", PROJECT, FAILURE, "image_type: enum"),  # the page lists the four types
        ("image_type=", PROJECT, WARNING, "image_type: empty"),  # absent or invalid: no source says
        ("image_type=&limit=0", PROJECT, FAILURE, "limit: minimum"),
        ("image_type=public", "not-a-hex-project", WARNING, "project_id: pattern"),
        ("", PROJECT, WARNING, "nothing in Huawei's sources"),
    ],
)
def test_negative_data_accepted_is_drift_only_when_a_source_forbids_the_request(
    query: str, project: str, graded: str, says: str
) -> None:
    finding = verdict.grade(
        "negative_data_rejection", "Invalid data should have been rejected", exchange(query, project=project), "curl"
    )
    assert finding.verdict == graded
    assert says in finding.message
    assert finding.curls == ("curl",)
    if graded == FAILURE:
        assert finding.source.split(":")[0] in ("page", "sdk")


def _page(**image_fields: Any) -> dict[str, Any]:
    body = copy.deepcopy(spec.example_response())
    body["phone_images"][0].update(image_fields)
    return body


@pytest.mark.parametrize(
    ("body", "graded", "rule", "source"),
    [
        (_page(is_public="1"), FAILURE, "type at $.phone_images[0].is_public", "page"),
        (_page(image_id="x" * 33), FAILURE, "maxLength at $.phone_images[0].image_id", "page"),
        (_page(receive_status=7), FAILURE, "enum at $.phone_images[0].receive_status", "sdk"),
        ({"request_id": 5}, FAILURE, "type at $.request_id", "page"),
        ({"phone_images": [{"image_id": "x"}]}, WARNING, "required at $.phone_images[0]", "assumption"),
        ({"phone_images": [{"image_name": "x"}]}, FAILURE, "required at $.phone_images[0]", "page"),  # no image_id
    ],
)
def test_a_schema_failure_names_its_rule_and_source(body: Any, graded: str, rule: str, source: str) -> None:
    finding = verdict.grade("response_schema_conformance", "Response violates schema", exchange(body=body), "curl")
    assert finding.verdict == graded
    assert finding.rule.startswith(rule)
    assert finding.source.startswith(source)


@pytest.mark.parametrize(
    ("query", "status", "graded"),
    [("marker=made-up", 400, WARNING), ("image_type=public", 400, FAILURE), ("marker=made-up", 500, FAILURE)],
)
def test_a_refused_valid_request_is_drift_unless_it_carries_a_marker_the_service_never_issued(
    query: str, status: int, graded: str
) -> None:
    finding = verdict.grade(
        "positive_data_acceptance", "Valid data should have been accepted", exchange(query, status=status), "curl"
    )
    assert finding.verdict == graded


def test_a_page_check_failure_is_drift_with_the_checks_source() -> None:
    finding = verdict.grade("page_within_limit", "limit=2: expected at most 2 images", exchange(), "curl")
    assert finding.verdict == FAILURE
    assert finding.source.startswith("sdk:")


def test_distinct_causes_stay_distinct_and_repeats_merge() -> None:
    a = verdict.grade("negative_data_rejection", "accepted", exchange("limit=0"), "curl 1")
    b = verdict.grade("negative_data_rejection", "accepted", exchange("limit=0"), "curl 2")
    c = verdict.grade("negative_data_rejection", "accepted", exchange("image_type=bogus"), "curl 3")
    assert a.key == b.key
    assert a.key != c.key
