"""The project's rules inside schemathesis (cph_conformance.run.collect.shrinking): its check fails exactly the answers
the run finds a failure of a rule of one answer in, never one that breaks only an assumption; Hypothesis shrinks a
fuzzing case that breaks one, and the run reports the shrunk case first (cph_conformance.run.verdict.shrunk);
shrinking sends no more requests than CPH_SHRINK_REQUESTS. In process: the engine through the gateway, against the
mock's app. tests/test_conformance_run.py has the CLI child shrink one end to end."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from schemathesis.core.transport import Response

from cph_conformance import spec
from cph_conformance.run import checks, pipeline
from cph_conformance.run.checks.registry import ANSWER, Drift
from cph_conformance.run.collect import cases, shrinking
from cph_conformance.run.transport import gateway
from cph_conformance.run.transport.credential import MISSING, VALID
from cph_conformance.run.transport.exchange import Exchange, Outgoing
from cph_conformance.run.transport.lost import Lost
from cph_conformance.run.verdict import shrunk
from cph_conformance.run.verdict.findings import ERROR, FAILURE, WARNING, Finding
from cph_conformance.run.verdict.judge import Facts
from cph_conformance.run.verdict.verdict import Verdict
from tests import inprocess
from tests.test_checks import ONE, keyed

SHRINKS = "server-error-over-100"  # 500 for a limit over 100: the smallest case that shows it asks for limit=101


# --- the check: the run's judgement of one answer, its failures only -------------------------------------------


@pytest.mark.parametrize(("ex", "check", "key", "graded"), [(ex, c, k, g) for c, ex, k, g in ONE])
def test_the_check_fails_an_answer_where_the_run_finds_a_failure_of_a_rule_of_one_answer(
    ex: Exchange, check: str, key: str | None, graded: str
) -> None:
    failed = {(d.check, keyed_drift(d.key)) for d in shrinking.failures(ex, strict=True)}
    run = {(f.check, keyed(f)) for f in inprocess.answers(ex).findings if per_answer(f) and f.verdict == FAILURE}
    assert failed == run
    if key is not None:  # the table's row, both ways: a failure fails schemathesis' case, a warning never does
        assert ((check, key) in failed) == (graded == FAILURE)
    assert all(checks.every()[c].cites for c, _ in failed)


def keyed_drift(key: tuple[str, str]) -> str:
    return ":".join(filter(None, key))


def per_answer(f: Finding) -> bool:
    return f.check in checks.every() and checks.every()[f.check].by == ANSWER


def test_an_answer_that_judges_nothing_fails_nothing() -> None:
    throttled = Exchange("GET", "http://x/v1/p/cloud-phone/phone-images", VALID, 429, {}, None, "slow down")
    lost = Exchange("GET", "http://x/v1/p/cloud-phone/phone-images", VALID, None, {}, None, "refused")
    server_error = Exchange("GET", "http://x/v1/p/cloud-phone/phone-images", VALID, 500, {}, None, "")
    assert shrinking.failures(throttled) == shrinking.failures(lost) == []
    assert "not_a_server_error" in [d.check for d in shrinking.failures(server_error)]


# --- schemathesis' answer, read as the sender read it --------------------------------------------------------------


class Case:
    id = "case-1"


def response(status: int, content: bytes, headers: dict[str, str], token: str | None = gateway.PLACEHOLDER) -> Any:
    sent = requests.Request(
        "GET",
        "http://127.0.0.1:9/v1/p/cloud-phone/phone-images?limit=5",
        headers={spec.auth_header(): token} if token is not None else {},
    ).prepare()
    return Response(status, {k: [v] for k, v in headers.items()}, content, sent, 0.01, True)


JSON = {"Content-Type": "application/json"}
# (the gateway's answer, then what the run's Exchange holds: status, body, why it is no value, auth)
READ: list[tuple[Any, tuple[int | None, Any, str, str]]] = [
    (response(200, b'{"a": 1}', JSON), (200, {"a": 1}, "", VALID)),
    (response(200, b"{", JSON), (200, None, "not-json", VALID)),
    (response(200, b"", JSON), (200, None, "", VALID)),
    # What the sender did not read whole, the gateway says; the cut body is no value, whatever it looks like.
    (
        response(200, b"{}", {**JSON, gateway.UNREAD_HEADER: "too-large: more than 2 bytes"}),
        (200, None, "too-large", VALID),
    ),
    (
        response(
            502,
            b"{}",
            {**JSON, gateway.ERROR_HEADER: "no connection (ConnectError)", gateway.LOST_HEADER: "unreachable"},
        ),
        (None, None, "", VALID),
    ),
    (response(401, b"{}", JSON, token=None), (401, {}, "", MISSING)),
]


@pytest.mark.parametrize(("answer", "read"), READ)
def test_schemathesis_answer_is_read_as_the_sender_read_it(answer: Any, read: tuple[int | None, Any, str, str]) -> None:
    ex = shrinking.exchange_of(answer, Case())
    assert (ex.status, ex.body, ex.unreadable.split(":")[0], ex.auth) == read
    assert ex.case_id == "case-1" and ex.param("limit") == "5"
    assert gateway.UNREAD_HEADER.lower() not in ex.headers
    assert ex.judged == (read[0] is not None)
    assert ex.lost == (Lost.UNREACHABLE if read[0] is None else None)


# --- in schemathesis: an assumption never fails a case; a failure is shrunk, within the cap ------------------------


def engine(fault: str, phases: tuple[str, ...], shrink_requests: int = 0) -> tuple[cases.Cases, list[Exchange]]:
    """Schemathesis' engine against the mock with a fault, through the gateway: its cases, and the sender's log."""
    sender = inprocess.sender(fault)
    with gateway.running(sender) as gw:
        found = cases.run_engine(gw.base_url, inprocess.PROJECT, inprocess.SEED, 10, phases, None, shrink_requests)
    sender.close()
    return found, sender.log


@pytest.mark.parametrize(
    ("fault", "check", "graded"),
    [
        # X-Request-Id is not the body's request_id: no Huawei page says they are one (a check with no statement).
        # Drifts of sourced checks that rest on an assumption (Drift.assumed): the table above.
        ("request-id-header-differs", "request_id_header", WARNING),
        ("unknown-image-label", "known_image_label", FAILURE),
    ],
)
def test_only_a_failure_fails_schemathesis_case_never_an_assumption(fault: str, check: str, graded: str) -> None:
    found, log = engine(fault, ("fuzzing",))  # every answer shows it
    run = [f.verdict for f in inprocess.weighed(Facts(tuple(log))).findings if f.check == check]
    assert run == [graded]
    broken = [o for o in found.broken if checks.every()[check].rule in str(o.failure)]
    assert bool(broken) == (graded == FAILURE)
    assert {o.check for o in found.broken} <= {cases.RULES}
    assert cases.RULES not in {o.check for o in found.outcomes}  # never graded as one of schemathesis' own checks


@functools.cache
def shrinking_run(shrink_requests: int) -> Verdict:
    return inprocess.verdict(
        SHRINKS, max_examples=10, phases=("fuzzing",), walked=False, probed=False, shrink_requests=shrink_requests
    )


def query(curl: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(curl.rsplit(" ", 1)[1].strip("'")).query)


def failure(v: Verdict) -> Finding:
    (found,) = [f for f in v.findings if f.check == "not_a_server_error"]
    return found


def test_a_failure_of_the_fuzzing_is_reported_in_its_shrunk_form_first() -> None:
    found = failure(shrinking_run(500))
    assert found.verdict == FAILURE and found.reproduced == "3/3"  # the shrunk case itself, sent again
    first, *others = [query(c) for c in found.curls]
    assert first["limit"] == ["101"], found.curls  # the smallest limit that still breaks it
    assert others and all(int(q["limit"][0]) > 101 for q in others)
    assert "Shrunk by Hypothesis: the smallest reproduction is the smallest of" in found.message
    assert "limit=101" in found.message.splitlines()[0]  # the message is the shrunk case's too


def test_without_shrinking_the_first_case_found_is_reported() -> None:
    found = failure(shrinking_run(0))
    assert query(found.curls[0])["limit"] != ["101"]
    assert "Shrunk" not in found.message


def fuzzing_after_the_first_failure(v: Verdict) -> int:
    """Requests of schemathesis' fuzzing after its first 500, as the endpoint got them."""
    fuzzed = [ex for ex in v.exchanges if ex.phase == "fuzzing"]
    first = next(n for n, ex in enumerate(fuzzed) if ex.status == 500)
    return len(fuzzed) - first - 1


@pytest.mark.parametrize("cap", [3, 500])
def test_shrinking_sends_no_more_requests_than_its_cap(cap: int) -> None:
    v = shrinking_run(cap)
    sent = fuzzing_after_the_first_failure(v)
    cut = [n for n in v.notes if "shrinking may have been cut short" in n]
    if cap < 500:
        assert sent == cap and cut and f"CPH_SHRINK_REQUESTS={cap}" in cut[0]
        assert "within CPH_SHRINK_REQUESTS=3: perhaps cut short" in failure(v).message
    else:  # shrinking ends by itself, well within the cap
        assert cap > sent > 3 and cut == []


def test_smallest_shrunk_instance_first_and_the_findings_keep_their_order() -> None:
    """Among the instances of a finding that Hypothesis saw fail, the fewest query parameters come first, then the
    shortest query; the finding keeps its place among the others (its first instance's); an instance schemathesis'
    check did not fail (the walk's, say) is never moved, however small."""

    def drift(case_id: str, q: str, cause: str = "500") -> Drift:
        url = f"http://x/v1/p/cloud-phone/phone-images?{q}"
        ex = Exchange("GET", url, VALID, 500, request=Outgoing("GET", b"/", case_id=case_id))
        return Drift(cause, q, (ex,), check="not_a_server_error")

    walked = drift("", "limit=120")  # not a case of schemathesis
    other = drift("c0", "image_type=all&limit=101", cause="other")
    drifts = [drift("c1", "image_type=all&limit=300"), other, drift("c2", "limit=102"), drift("c3", "limit=101")]
    found = shrunk.first([walked, *drifts], shrunk.Shrinking(frozenset({"c0", "c1", "c2", "c3"})))
    assert [d.message for d in found] == [
        "limit=101",  # the smallest, where the finding's first instance was
        "limit=120",
        "image_type=all&limit=300",
        "image_type=all&limit=101",  # another finding: its place is kept
        "limit=102",
    ]
    assert shrunk.first(drifts, shrunk.Shrinking()) == tuple(drifts)  # nothing shrunk: nothing moves


def answered(status: int, case_id: str) -> Exchange:
    url = inprocess.ENDPOINT + spec.OPERATION_PATH.format(project_id=inprocess.PROJECT) + "?limit=101"
    body = spec.error_example(500) if status == 500 else spec.example_response()
    return Exchange(
        "GET",
        url,
        VALID,
        status,
        {"content-type": "application/json"},
        body,
        "",
        "fuzzing",
        request=Outgoing("GET", b"/", case_id=case_id),
    )


@pytest.mark.parametrize(
    ("status", "answer", "broken", "said"),
    [
        (1, answered(500, "c1"), {"c1"}, False),  # the check failed the case, and the run found why: in the verdict
        (1, answered(200, "c1"), {"c1"}, True),  # the check failed a case the run finds nothing in: never hidden
        (1, answered(500, "c1"), set(), True),  # neither the check nor schemathesis' own failed a case: said
        (0, answered(200, "c1"), set(), False),
    ],
)
def test_schemathesis_failing_status_is_in_the_verdict_or_said(
    status: int, answer: Exchange, broken: set[str], said: bool
) -> None:
    plan = pipeline.Plan(again=0, rate_limit="5/s", say=lambda _: None)
    facts = Facts((answer,), cases=(), schemathesis_status=status)
    v = pipeline.weigh("a table", facts, plan, shrinking=shrunk.Shrinking(broken=frozenset(broken)))
    errors = [f for f in v.of(ERROR) if "reported nothing to grade" in f.message]
    assert bool(errors) == said
