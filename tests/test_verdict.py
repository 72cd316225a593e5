"""The verdict: schemathesis' flags graded against Huawei's sources (drift only when a statement forbids the request
or the answer, else a warning naming the assumption); one finding per cause; and no pass without evidence. Both
ways, from tables, no server."""

from __future__ import annotations

import dataclasses

import pytest

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks.evidence import Case
from cph_conformance.run.checks.registry import ANSWER, ANSWERS, LISTINGS, REGISTRY, Drift
from cph_conformance.run.collect import walk
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.verdict import findings as findings_
from cph_conformance.run.verdict.findings import FAILURE, WARNING, of_drift
from cph_conformance.run.verdict.judge import Facts
from cph_conformance.run.verdict.verdict import CANNOT_RUN, DRIFT, PASSED, UNJUDGED_SHARE
from tests import inprocess

PROJECT = "0123456789abcdef0123456789abcdef"
URL = "https://cph.cn-north-4.myhuaweicloud.com" + spec.OPERATION_PATH.format(project_id=PROJECT)


def exchange(query: str = "", status: int = 200, project: str = PROJECT) -> Exchange:
    uri = URL.replace(PROJECT, project) + (f"?{query}" if query else "")
    body = spec.example_response() if status in (200, 203) else spec.error_example(status)
    return Exchange("GET", uri, VALID, status, {"content-type": "application/json"}, body)


def graded(check: str, ex: Exchange, message: str = "flagged") -> list[tuple[str, str, str]]:
    """(verdict, cause, message) of what a schemathesis check's flag of ex is, graded."""
    c = checks.every()[check]
    return [(f.verdict, f.key[1], f.message) for f in (of_drift(c, d) for d in c.judge(Case(check, message, ex)))]


@pytest.mark.parametrize(
    ("query", "project", "verdict", "key"),
    [
        ("marker=", PROJECT, WARNING, "marker:minLength"),  # the spec's minLength is an assumption
        ("limit=0", PROJECT, FAILURE, "limit:minimum"),  # the SDK: 1~500
        ("limit=501", PROJECT, FAILURE, "limit:maximum"),
        ("limit=ten", PROJECT, FAILURE, "limit:type"),
        ("limit=1&limit=2", PROJECT, WARNING, "limit:repeated"),  # no source says which value counts
        ("limit=1&limit=0", PROJECT, FAILURE, "limit:minimum"),
        ("image_type=bogus", PROJECT, FAILURE, "image_type:enum"),  # the page lists the four types
        ("image_type=", PROJECT, WARNING, "image_type:empty"),  # absent or invalid: no source says
        ("image_type=&limit=0", PROJECT, FAILURE, "limit:minimum"),
        ("image_type=public", "not-a-hex-project", WARNING, "project_id:pattern"),
        ("", PROJECT, WARNING, "nothing"),
    ],
)
def test_invalid_data_accepted_is_drift_only_when_a_source_forbids_the_request(
    query: str, project: str, verdict: str, key: str
) -> None:
    ((got, got_key, _),) = graded("negative_data_rejection", exchange(query, project=project))
    assert (got, got_key.split(",")[0]) == (verdict, key)


@pytest.mark.parametrize(
    ("query", "status", "verdict"),
    [("marker=made-up", 400, WARNING), ("image_type=public", 400, FAILURE), ("marker=made-up", 500, FAILURE)],
)
def test_a_refused_valid_request_is_drift_unless_it_carries_a_marker_the_service_never_issued(
    query: str, status: int, verdict: str
) -> None:
    ((got, _, _),) = graded("positive_data_acceptance", exchange(query, status=status))
    assert got == verdict


def test_a_cause_is_one_finding_however_many_answers_show_it_and_causes_stay_apart() -> None:
    queries = ("limit=0", "limit=0&image_type=all", "limit=-1", "image_type=bogus", "limit=0&image_type=share")
    flagged = tuple(Case("negative_data_rejection", "flagged", exchange(q)) for q in queries)
    v = inprocess.weighed(Facts((), cases=flagged))
    found = [f for f in v.findings if f.check == "negative_data_rejection"]
    assert [f.key[1] for f in found] == ["limit:minimum", "image_type:enum"]
    v = dataclasses.replace(v, findings=tuple(found))
    assert len(v.findings[0].curls) == 4  # every answer of the cause, up to four
    assert all("“" in f.source for f in v.findings)  # the statements, quoted


def answers(judged: int, throttled: int) -> list[Exchange]:
    """Pages of a run (each with its own request_id), then answers throttled even after waiting."""
    pages = [
        dataclasses.replace(ex, body={**ex.body, "request_id": f"{n:032x}"})
        for n, ex in enumerate(exchange(f"image_type=all&n={n}") for n in range(judged))
    ]
    return pages + [exchange(f"n={n}", 429) for n in range(throttled)]


@pytest.mark.parametrize(
    ("judged", "throttled", "exit_status"),
    [
        (100, 0, PASSED),
        (100, int(100 * UNJUDGED_SHARE), PASSED),  # a few throttled answers are not a reason to stop
        (100, int(100 * UNJUDGED_SHARE) + 6, CANNOT_RUN),
        (100, 92, CANNOT_RUN),  # half the run throttled: it proves too little to pass
    ],
)
def test_a_run_whose_answers_were_throttled_is_inconclusive_not_passed(
    judged: int, throttled: int, exit_status: int
) -> None:
    v = inprocess.weighed(Facts(tuple(answers(judged, throttled))), strict=False)
    assert v.exit_status == exit_status
    if exit_status == CANNOT_RUN:
        assert v.label == "inconclusive"
        assert any("CPH_RATE_LIMIT (it was 5/s)" in reason for reason in v.inconclusive)


def test_a_check_that_judged_nothing_makes_the_run_inconclusive() -> None:
    v = inprocess.answers(exchange(status=401), exchange("limit=1", status=403), strict=False)  # no page at all
    assert v.exit_status == CANNOT_RUN
    (reason,) = v.inconclusive
    assert "judged nothing" in reason and "image_type_filter" in reason and "request_ids" not in reason


def test_drift_outweighs_an_unjudged_share_the_failure_is_evidence() -> None:
    """What the run could not judge is still said, but it is no longer why the verdict is what it is."""
    v = inprocess.answers(*answers(10, 10), exchange("n=-1", status=203), strict=False)
    assert v.too_little and v.inconclusive == [] and v.exit_status == DRIFT


@pytest.mark.parametrize("by", [ANSWER, ANSWERS, LISTINGS])
def test_a_check_that_breaks_costs_its_judgement_not_the_run(by: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug of a check, on an answer or listing nobody foresaw, is an error naming it; every other check judges."""

    def breaks(*_: object) -> list[Drift]:
        raise IndexError("list index out of range")

    broken = dataclasses.replace(checks.of(by)[0], fn=breaks)
    monkeypatch.setitem(REGISTRY, broken.name, broken)
    walked = walk.run(inprocess.sender()) if by == LISTINGS else None
    v = inprocess.weighed(Facts((exchange(),), walk=walked), strict=False)
    errors = [f for f in v.findings if f.check == broken.name]
    assert errors and "IndexError" in errors[0].message and v.exit_status == CANNOT_RUN
    others = [c.name for c in checks.of(by) if c.name != broken.name]
    assert [name for name in others if v.judged.get(name, 0) == 0] == []


@pytest.mark.parametrize(
    ("drifts", "findings", "kept", "count"),
    [
        ([("public", "over", n) for n in range(3)], 1, 3, 3),  # three answers, one cause: one finding of three
        ([("public", "over", 1), ("private", "over", 2), ("all", "repeated", 3)], 2, 2, 2),  # two causes
        ([("public", "over", n) for n in range(findings_.MAX_INSTANCES + 50)], 1, findings_.MAX_INSTANCES, 250),
    ],
)
def test_one_finding_per_check_and_cause_whatever_its_selection_with_every_instance_counted(
    drifts: list[tuple[str, str, int]], findings: int, kept: int, count: int
) -> None:
    check = checks.every()["page_within_limit"]
    found: list[findings_.Finding] = []
    for selection, cause, n in drifts:
        found = findings_.added(found, of_drift(check, Drift(cause, f"{n}", (exchange(f"limit={n}"),), selection)))
    assert len(found) == findings
    assert (len(found[0].instances), found[0].count) == (kept, count)
    smallest = found[0].smallest  # the fewest requests, then the smallest limit
    assert smallest is not None and smallest.message == str(min(n for _, c, n in drifts if c == drifts[0][1]))
