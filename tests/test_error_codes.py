"""The error_code of an error answer, judged against what Huawei's pages state for its status (x-error-codes): from a
table, answers the check accepts, answers it rejects and answers it does not judge; and the spec's table itself, each
code found word for word in a statement it cites, each status judged or said why not. No server."""

from __future__ import annotations

from typing import Any

import pytest

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks import registry as rules
from cph_conformance.run.checks.errors import documented_error_code, stated_for
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.exchange import Exchange

URL = "https://cph.example" + spec.OPERATION_PATH.format(project_id="0123456789abcdef0123456789abcdef")
JSON = {"content-type": "application/json"}
ACCEPTS, REJECTS, NOT_JUDGED = "accepts", "rejects", "not judged"


def error(status: int, code: Any = "", message: str = "Whatever the gateway says today.", **body: Any) -> Exchange:
    said = {"request_id": "0" * 32, "error_code": code, "error_msg": message, **body}
    if code is None:
        del said["error_code"]
    return Exchange("GET", URL, VALID, status, JSON, said, "")


# (the answer, what the check does with it)
TABLE: list[tuple[Exchange, str]] = [
    # 401: API Gateway's "Incorrect IAM authentication information", under either prefix.
    (error(401, "APIGW.0301"), ACCEPTS),
    (error(401, "APIG.0301", "Incorrect IAM authentication information: x-auth-token not found"), ACCEPTS),
    (error(401, "CPS.0001"), REJECTS),
    (error(401, "APIGW.0308"), REJECTS),  # the throttling code, on a 401
    (error(401, "apigw.0301"), REJECTS),  # a code is compared exactly
    # 404: the API does not exist.
    (error(404, "APIGW.0101"), ACCEPTS),
    (error(404, "APIG.0101"), ACCEPTS),
    (error(404, "CPS.0005"), REJECTS),
    # 429: the throttling threshold.
    (error(429, "APIGW.0308"), ACCEPTS),
    (error(429, "APIG.0308", "The throttling threshold has been reached: policy user over ratelimit"), ACCEPTS),
    (error(429, "APIGW.0301"), REJECTS),
    # Statuses whose code no page states: anything goes.
    (error(400, "CPS.0005"), NOT_JUDGED),
    (error(400, "CPS.0010", "image_type is invalid."), NOT_JUDGED),
    (error(400, "NOT.A.CODE"), NOT_JUDGED),
    (error(403, "CPS.0001"), NOT_JUDGED),
    (error(403, "APIGW.0302"), NOT_JUDGED),
    (error(500, "CPS.0002"), NOT_JUDGED),
    (error(502, "APIGW.0201"), NOT_JUDGED),
    (error(503, "APIGW.0201"), NOT_JUDGED),
    (error(504, "APIC.0203"), NOT_JUDGED),
    (error(405, "APIGW.0102"), NOT_JUDGED),  # a status the spec does not document
    # No error_code, or not JSON: the shape is response_schema_conformance's to judge, not this check's.
    (error(401, None), ACCEPTS),
    (error(401, 301), ACCEPTS),
    (Exchange("GET", URL, VALID, 401, {"content-type": "text/html"}, None, "<html>401</html>"), ACCEPTS),
]


@pytest.mark.parametrize(("ex", "does"), TABLE, ids=[f"{ex.status}-{does}-{n}" for n, (ex, does) in enumerate(TABLE)])
def test_the_error_code_of_an_answer_is_one_the_pages_state_for_its_status(ex: Exchange, does: str) -> None:
    assert stated_for(ex) == (does != NOT_JUDGED)
    drifts = list(documented_error_code.judge(ex))
    if does != REJECTS:
        assert drifts == []
        return
    (drift,) = drifts
    assert ex.status is not None and ex.body is not None
    codes, cites = spec.error_codes(ex.status) or (frozenset(), ())
    assert drift.cause == f"{ex.status}:{ex.body['error_code']}" and drift.exchanges == (ex,)
    assert drift.citations == cites and not drift.assumed
    assert all(code in drift.message for code in codes), drift.message


def test_the_table_is_tested_both_ways_for_every_status_it_judges() -> None:
    judged = {s for s in spec.documented_statuses() if spec.error_codes(s) is not None}
    assert judged, "x-error-codes states codes for no status"
    for status in judged:
        assert {ACCEPTS, REJECTS} <= {does for ex, does in TABLE if ex.status == status}, status
    for status in spec.error_codes_not_judged():
        assert (status, NOT_JUDGED) in {(ex.status, does) for ex, does in TABLE}, status


ERROR_STATUSES = sorted(s for s in spec.documented_statuses() if s >= 400)


@pytest.mark.parametrize("status", ERROR_STATUSES)
def test_every_error_status_says_its_codes_or_why_none_is_judged(status: int) -> None:
    judged, unjudged = spec.error_codes(status), spec.error_codes_not_judged().get(status)
    assert (judged is None) != (unjudged is None), "x-error-codes: codes, or judged: false with why"
    cites = judged[1] if judged else unjudged[1] if unjudged else ()
    assert cites and all(c in spec.statements() for c in cites)
    if unjudged is not None:
        assert unjudged[0], "say why no code is judged"


@pytest.mark.parametrize("status", [s for s in ERROR_STATUSES if spec.error_codes(s) is not None])
def test_each_code_is_stated_word_for_word_by_a_statement_it_cites(status: int) -> None:
    """A code is a fact of Huawei's pages, not the spec's: each is in a quote of a statement its status cites, and
    so is the status it comes with (the gateway's table row or the error example, e.g. "APIGW.0101 ... 404")."""
    codes, cites = spec.error_codes(status) or (frozenset(), ())
    quotes = [spec.statements()[c].quote for c in cites]
    for code in codes:
        stating = [q for q in quotes if code in q]
        assert stating, f"no statement {status} cites quotes {code}"
    assert any(str(status) in q for q in quotes)


@pytest.mark.parametrize("status", [s for s in ERROR_STATUSES if spec.error_codes(s) is not None])
def test_the_spec_example_which_the_mock_answers_is_accepted(status: int) -> None:
    example = spec.error_example(status)
    assert list(documented_error_code.judge(error(status, example["error_code"], example["error_msg"]))) == []


def test_the_check_fails_a_run_and_cites_every_statement_its_codes_rest_on() -> None:
    check = checks.every()["documented_error_code"]
    assert check.by == rules.ANSWER and check.throttled_too and not check.assumed
    assert set(check.cites) == {c for s in ERROR_STATUSES for c in (spec.error_codes(s) or ((), ()))[1]}
    assert check.kind == "huawei-docs"
