"""The walk's own behaviour against hand-made answers: bounded whatever the service says, a spent budget is an
error, the other project it asks for is well formed. Each walk check is held both ways to the mock's faults by
tests/test_fault_matrix.py."""

from __future__ import annotations

from typing import Any

import pytest

from cph_conformance.run import walk
from cph_conformance.run.gateway import ERROR_HEADER
from cph_conformance.run.verdict import ERROR, FAILURE
from tests import inprocess


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
    assert "pagination" in {f.check for f in result.findings if f.verdict == FAILURE}


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


def test_an_endpoint_that_goes_away_mid_walk_is_an_error_never_drift() -> None:
    """The gateway's marked 502 (no answer) ends the walk with an error: no check may judge it as an answer."""
    calls = iter(range(1000))

    def dying(query: dict[str, Any], project: str | None = None, auth: str = walk.VALID) -> walk.Answer:
        if next(calls) < 3:
            return inprocess.fetch()(query, project, auth)
        headers = {ERROR_HEADER.lower(): "unreachable: ConnectError", "content-type": "application/json"}
        return walk.Answer("https://x/", auth, 502, headers, {"gateway_error": "unreachable"})

    result = walk.run(dying, inprocess.PROJECT)
    assert [f.verdict for f in result.findings] == [ERROR]
    assert "unreachable" in result.findings[0].message
