"""The probes at the edges of what is accepted: what the plan sends (from the spec, bounded), and each probe's check
both ways, from a table: refused as the spec documents, or not. No server."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks import probes
from cph_conformance.run.checks.evidence import Probe, Probed
from cph_conformance.run.checks.registry import PROBE
from cph_conformance.run.transport.credential import (
    EMPTY,
    MISPLACED_SIGNATURE,
    MISPLACED_TOKEN,
    MISSING,
    NEAR_MISSES,
    VALID,
    WRONG,
)
from cph_conformance.run.transport.exchange import Exchange, curl
from cph_conformance.run.verdict.findings import FAILURE, WARNING
from cph_conformance.run.verdict.judge import Facts
from tests import inprocess

PROJECT = "0123456789abcdef0123456789abcdef"
JSON = {"content-type": "application/json"}


def test_the_plan_tries_every_edge_the_spec_gives_and_stays_bounded() -> None:
    plan = probes.plan(PROJECT, marker="m-1")
    assert len(plan) <= 100
    tried = {p.auth for p in plan if p.check == probes.authentication}
    assert tried == {MISSING, EMPTY, WRONG, *NEAR_MISSES, *MISPLACED_TOKEN}
    signed = {p.auth for p in probes.plan(PROJECT, "m-1", MISPLACED_SIGNATURE) if p.check == probes.authentication}
    assert signed == {MISSING, EMPTY, WRONG, *NEAR_MISSES, *MISPLACED_SIGNATURE}  # no token in an AK/SK run
    assert any(spec.continuation()[0] in p.query for p in plan if p.auth == MISSING)  # and on a later page
    other = [p for p in plan if p.check == probes.authorization]
    assert {p.project for p in other} == {probes.other_project_id(PROJECT)}
    sent = {k: v for p in other for k, v in p.query.items()}
    assert set(sent) == {spec.selector(), spec.page_size(), spec.continuation()[0]}  # each documented query parameter
    assert {p.query.get(spec.selector()) for p in other} >= set(spec.enum("ImageType"))
    exact = [p.query[spec.selector()] for p in plan if p.check == probes.exact_values and p.kind.startswith("image_")]
    for value in spec.enum("ImageType"):
        assert {value.upper(), f" {value}", f"{value} "} <= set(exact) and value not in exact
    assert all(p.expected for p in plan)  # the spec documents what each must get
    limits = [p.query[spec.page_size()] for p in plan if p.kind.startswith(f"{spec.page_size()}:")]
    assert {"10.0", "1e1", "0xa", " 10", "501", "0"} <= set(limits)  # derived from its type, not kept by hand


def test_without_a_marker_the_plan_sends_none_the_service_gave() -> None:
    """Only the edges of the marker's own type (an empty one) carry one: no marker is made up for the others."""
    continues = spec.continuation()[0]
    sent = {p.query[continues] for p in probes.plan(PROJECT, marker=None) if continues in p.query}
    assert sent == {""} and "m-1" in {p.query.get(continues) for p in probes.plan(PROJECT, marker="m-1")}


@pytest.mark.parametrize(
    ("project_id", "other"),
    [(PROJECT, "89abcdef0123456789abcdef01234567"), ("not-hex", "0" * 32)],
)
def test_another_project_is_well_formed_and_not_the_runs(project_id: str, other: str) -> None:
    assert probes.other_project_id(project_id) == other


PLAN = {p.kind: p for p in probes.plan(PROJECT, marker=None)}
ERROR_401, ERROR_403, ERROR_400 = (spec.error_example(s) for s in (401, 403, 400))
PAGE = spec.example_response()


def answer(probe: Probe, status: int, body: object, headers: dict[str, str] | None = None) -> Exchange:
    return Exchange(
        "GET", "https://cph.example/v1/x?n=1", probe.auth, status, JSON if headers is None else headers, body
    )


# (the probe, what it got, the cause's key when it must drift, else None)
CASES: list[tuple[Probe, int, object, dict[str, str] | None, str | None]] = [
    (PLAN["near-miss:short"], 401, ERROR_401, None, None),
    (PLAN["near-miss:short"], 200, PAGE, None, "near-miss:short:accepted"),
    (PLAN["missing"], 401, "<html>", {"content-type": "text/html"}, "error-body:text/html"),
    (PLAN["missing"], 401, [ERROR_401], None, "error-body:not a JSON object"),
    (PLAN["missing"], 403, ERROR_403, None, "missing:403"),
    (PLAN["bare"], 403, ERROR_403, None, None),
    (PLAN["bare"], 401, ERROR_401, None, None),
    (PLAN[spec.selector()], 200, PAGE, None, f"{spec.selector()}:accepted"),
    (PLAN[f"{spec.selector()}:case"], 400, ERROR_400, None, None),
    (PLAN[f"{spec.selector()}:white-space"], 200, PAGE, None, f"{spec.selector()}:white-space:accepted"),
    (PLAN[f"{spec.selector()}:case"], 404, spec.error_example(404), None, f"{spec.selector()}:case:404"),
    (PLAN["elsewhere:bearer"], 401, ERROR_401, None, None),
    (PLAN["elsewhere:query"], 200, PAGE, None, "elsewhere:query:accepted"),
]


@pytest.mark.parametrize(("probe", "status", "body", "headers", "key"), CASES)
def test_each_probe_is_refused_as_the_spec_documents_or_drifts(
    probe: Probe, status: int, body: object, headers: dict[str, str] | None, key: str | None
) -> None:
    v = inprocess.weighed(Facts((), probed=(Probed(probe, answer(probe, status, body, headers)),)))
    assert [(f.check, f.key[1]) for f in v.findings] == ([(probe.check.name, key)] if key else [])
    assert all(f.verdict == FAILURE for f in v.findings)


def test_a_body_that_is_not_an_error_body_is_one_cause_whichever_probes_met_it() -> None:
    """Every refusal of the run came as one undecodable body, and one probe was accepted: a finding for the body (the
    answer's cause, once), and one for the acceptance (the probe's own); the body's is drift even for a probe only an
    assumption refuses (the refusal came; the error body is sourced)."""
    undecodable = "undecodable: the body is not what its Content-Encoding 'gzip' says"
    plan = [p for p in probes.plan(PROJECT, marker=None) if p.check == probes.authentication]
    assert any(p.assumed for p in plan)
    accepted = PLAN["near-miss:short"]
    probed = tuple(
        Probed(p, dataclasses.replace(answer(p, 200, PAGE), unreadable=""))
        if p.kind == accepted.kind
        else Probed(
            p, dataclasses.replace(answer(p, 401, None), text='{"error_code": "APIGW.0301"}', unreadable=undecodable)
        )
        for p in plan
    )
    v = inprocess.weighed(Facts((), probed=probed))
    assert sorted((f.key[1], f.verdict) for f in v.findings) == [
        ("error-body:undecodable", FAILURE),
        ("near-miss:short:accepted", FAILURE),
    ]
    folded = next(f for f in v.findings if f.key[1] == "error-body:undecodable")
    assert len(folded.instances) + folded.more == len(plan) - 1 and "APIGW.0301" in folded.message


def test_every_probe_check_is_tested_both_ways() -> None:
    tested = {(p.check.name, k is None) for p, _, _, _, k in CASES}
    for check in checks.of(PROBE):
        assert {(check.name, True), (check.name, False)} <= tested, check.name
    assert VALID not in {p.auth for p in probes.plan(PROJECT, None) if p.check == probes.authentication}


@pytest.mark.parametrize(
    ("kind", "verdict"),
    [("elsewhere:twice", WARNING), ("elsewhere:cookie", FAILURE)],
)
def test_a_credential_only_an_assumption_refuses_is_a_warning_when_accepted(kind: str, verdict: str) -> None:
    """No Huawei statement says whether two X-Auth-Token headers are refused; the page makes the header mandatory,
    so a token only in a cookie must be."""
    probe = PLAN[kind]
    v = inprocess.weighed(Facts((), probed=(Probed(probe, answer(probe, 200, PAGE)),)))
    assert [(f.key[1], f.verdict) for f in v.findings] == [(f"{kind}:accepted", verdict)]


def as_curl_sends(line: str, token: str) -> list[str]:
    """The arguments a curl line gives curl, in sh, with CPH_AUTH_TOKEN set (a function stands in for curl)."""
    done = subprocess.run(
        ["sh", "-c", 'curl() { printf "%s\\n" "$@"; }; ' + line],
        env={"CPH_AUTH_TOKEN": token},
        capture_output=True,
        text=True,
    )
    return done.stdout.splitlines()


@pytest.mark.parametrize("name", list(MISPLACED_TOKEN))
def test_the_curl_line_of_a_misplaced_token_puts_the_token_where_the_probe_did(name: str) -> None:
    """The line names $CPH_AUTH_TOKEN, never the token; run, it sends the token where the probe put it."""
    token = "MIIT-abc_DEF.0123+/="  # noqa: S105  (a test token)
    line = curl("GET", "https://cph.example/v1/x?limit=1", name)
    assert "$CPH_AUTH_TOKEN" in line and token not in line
    sent = as_curl_sends(line, token)
    header = spec.auth_header()
    expected = {
        "elsewhere:bearer": ["-H", f"Authorization: Bearer {token}"],
        "elsewhere:basic": ["-H", f"Authorization: Basic {token}"],
        "elsewhere:token": ["-H", f"Authorization: Token {token}"],
        "elsewhere:query": ["-G", "--data-urlencode", f"{header}={token}"],
        "elsewhere:cookie": ["-H", f"Cookie: {header}={token}"],
        "elsewhere:twice": ["-H", f"{header}: {token}", "-H", f"{header}: {token}"],
    }[name]
    assert sent == ["-X", "GET", *expected, "https://cph.example/v1/x?limit=1"]


@pytest.mark.parametrize("token", ["MIIT-abc_DEF.0123", "endsWithA", "A"])
@pytest.mark.parametrize("name", list(NEAR_MISSES))
def test_the_curl_line_of_a_near_miss_rebuilds_it_in_a_shell(name: str, token: str) -> None:
    """The shell form the curl lines use, run by sh with CPH_AUTH_TOKEN set, gives the near miss the probe sent."""
    shell = NEAR_MISSES[name].shell("$CPH_AUTH_TOKEN")
    done = subprocess.run(
        ["sh", "-c", f'printf %s "{shell}"'], env={"CPH_AUTH_TOKEN": token}, capture_output=True, text=True
    )
    assert done.stdout == NEAR_MISSES[name].make(token), done.stderr
