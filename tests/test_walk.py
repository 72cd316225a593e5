"""The walk's checks, both ways: the clean mock and its faithful variants pass; every fault a walk or page check
must catch is caught, by that check. In process, against the mock's ASGI app, and against hand-made answers."""

from __future__ import annotations

from typing import Any

import pytest

from cph_conformance import spec
from cph_conformance.mock import faults
from cph_conformance.run import checks, walk
from cph_conformance.run.verdict import ERROR, FAILURE
from tests import inprocess

# The faults a walk or per-answer page check must catch; the rest need schemathesis (tests/test_conformance_run.py).
WALK_CAUGHT = sorted(
    name
    for name, fault in faults.FAULTS.items()
    if fault.caught_by in (*walk.CHECKS, *(c.__name__ for c in checks.PAGE_CHECKS))
)
PASSING = [None, *(name for name, fault in faults.FAULTS.items() if fault.caught_by is None)]


def failed(result: walk.Walk) -> set[str]:
    return {f.check for f in result.findings if f.verdict == FAILURE}


@pytest.mark.parametrize("fault", PASSING)
def test_a_service_that_keeps_the_contract_passes_the_walk(fault: str | None) -> None:
    result = walk.run(inprocess.fetch(fault), inprocess.PROJECT)
    assert result.findings == []
    assert len(result.answers) < walk.MAX_REQUESTS


@pytest.mark.parametrize("fault", WALK_CAUGHT)
def test_each_fault_is_caught_by_its_check(fault: str) -> None:
    result = walk.run(inprocess.fetch(fault), inprocess.PROJECT)
    assert faults.FAULTS[fault].caught_by in failed(result), result.findings
    finding = next(f for f in result.findings if f.check == faults.FAULTS[fault].caught_by)
    assert finding.rule and finding.source.split(":")[0] in spec.SOURCE_KINDS
    if finding.check in walk.CHECKS:
        assert finding.curls and all(c.startswith("curl -X GET") for c in finding.curls)


def test_every_walk_check_has_a_fault() -> None:
    assert set(walk.CHECKS) - {"image_type_partition"} <= {f.caught_by for f in faults.FAULTS.values()}


def test_the_walk_is_bounded_even_when_every_answer_says_there_is_more() -> None:
    def endless(query: dict[str, Any], project: str | None = None, auth: str = walk.VALID) -> walk.Answer:
        n = int(query.get("marker") or 0)
        body = {
            "request_id": f"{n:032x}",
            "phone_images": [{"image_id": f"{n}-{i}"} for i in range(int(query["limit"]))],
            "page_info": {"next_marker": str(n + 1)},
        }
        return walk.Answer(f"https://x/?{n}", auth, 200, {}, body)

    sent: list[int] = []

    def counting(query: dict[str, Any], project: str | None = None, auth: str = walk.VALID) -> walk.Answer:
        sent.append(1)
        return endless(query, project, auth)

    result = walk.run(counting, inprocess.PROJECT)
    assert len(sent) <= walk.MAX_REQUESTS
    assert "pagination" in failed(result)


def test_a_spent_budget_is_an_error_not_a_pass() -> None:
    calls = iter(range(3))

    def stingy(query: dict[str, Any], project: str | None = None, auth: str = walk.VALID) -> walk.Answer:
        if next(calls, None) is None:
            raise walk.BudgetExhausted("the walk's budget of 3 requests is spent")
        return inprocess.fetch()(query, project, auth)

    result = walk.run(stingy, inprocess.PROJECT)
    assert [f.verdict for f in result.findings if f.check == "walk"] == [ERROR]


@pytest.mark.parametrize(
    ("project_id", "other"),
    [("0123456789abcdef0123456789abcdef", "89abcdef0123456789abcdef01234567"), ("not-hex", "0" * 32)],
)
def test_another_project_is_well_formed_and_not_the_runs(project_id: str, other: str) -> None:
    assert walk.other_project_id(project_id) == other
