"""The summary hides nothing: each distinct cause of a failure is listed, errors (no answer) are listed apart from
drift, curl lines point at the endpoint, not the gateway; the exit status tells drift from a run that could not
be made. From synthetic schemathesis events, no server."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from cph_conformance import spec
from cph_conformance.run import report
from cph_conformance.run.gateway import ERROR_HEADER
from cph_conformance.run.verdict import ERROR, FAILURE, WARNING, Finding

GATEWAY, ENDPOINT = "http://127.0.0.1:5555", "https://cph.cn-north-4.myhuaweicloud.com"
PATH = spec.OPERATION_PATH.format(project_id="0123456789abcdef0123456789abcdef")


def interaction(query: str, status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    content = base64.b64encode(json.dumps(body).encode()).decode()
    return {
        "request": {"method": "GET", "uri": f"{GATEWAY}{PATH}?{query}", "headers": {"X-Auth-Token": ["[Filtered]"]}},
        "response": {
            "status_code": status,
            "headers": {k: [v] for k, v in (headers or {}).items()},
            "content": {"$base64": content},
        },
    }


def events(tmp_path: Path, cases: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]) -> Path:
    recorder = {
        "label": "GET /v1/{project_id}/cloud-phone/phone-images",
        "cases": {cid: {} for cid in cases},
        "interactions": {cid: i for cid, (i, _) in cases.items()},
        "checks": {cid: c for cid, (_, c) in cases.items()},
    }
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps({"ScenarioFinished": {"recorder": recorder}}) + "\n")
    return path


def failed(name: str, message: str) -> dict[str, Any]:
    return {"name": name, "status": "failure", "failure_info": {"failure": {"message": message, "title": name}}}


def test_two_causes_of_one_check_are_two_findings_and_repeats_merge(tmp_path: Path) -> None:
    rejected = "API accepted schema-violating request"
    path = events(
        tmp_path,
        {
            "a": (interaction("limit=0", 200, {}), [failed("negative_data_rejection", rejected)]),
            "b": (interaction("image_type=bogus", 200, {}), [failed("negative_data_rejection", rejected)]),
            "c": (interaction("limit=0&image_type=all", 200, {}), [failed("negative_data_rejection", rejected)]),
        },
    )
    summary = report.summarize(path, ENDPOINT, (GATEWAY, ENDPOINT))
    causes = [f for f in summary.failures if f.check == "negative_data_rejection"]
    assert len(causes) == 2  # limit below its minimum, and an image_type outside the enum
    assert {c.rule for c in causes} == {"invalid requests are refused with 4xx"}
    text = summary.render()
    assert "limit: minimum" in text and "image_type: enum" in text
    assert f"'{ENDPOINT}{PATH}?limit=0'" in text and GATEWAY not in text
    assert summary.exit_status == report.DRIFT


def test_an_answer_the_gateway_could_not_get_is_an_error_not_drift(tmp_path: Path) -> None:
    path = events(
        tmp_path,
        {
            "a": (
                interaction("limit=1", 502, {"gateway_error": "timeout"}, {ERROR_HEADER: "timeout: no answer"}),
                [failed("not_a_server_error", "Server error")],
            ),
        },
    )
    summary = report.summarize(path, ENDPOINT, (GATEWAY, ENDPOINT))
    assert summary.failures == []
    assert [f.verdict for f in summary.findings] == [ERROR]
    assert "timeout: no answer" in summary.render()
    assert summary.exit_status == report.CANNOT_RUN


@pytest.mark.parametrize(
    ("findings", "schemathesis_status", "exit_status"),
    [
        ([], 0, report.PASSED),
        ([Finding("x", WARNING, "r", "assumption: a", "m")], 1, report.PASSED),
        ([Finding("x", FAILURE, "r", "page: p", "m")], 1, report.DRIFT),
        ([Finding("x", ERROR, "r", "run", "m")], 0, report.CANNOT_RUN),
        ([], 1, report.CANNOT_RUN),  # schemathesis failed the run but nothing says why: never "passed"
    ],
)
def test_the_exit_status_tells_drift_from_a_run_that_could_not_be_made(
    findings: list[Finding], schemathesis_status: int, exit_status: int
) -> None:
    summary = report.Summary("x", findings=findings, schemathesis_status=schemathesis_status)
    assert summary.exit_status == exit_status
    assert ("Every check passed." in summary.render()) == (exit_status == report.PASSED and not findings)


def test_the_html_report_is_self_contained_and_escaped() -> None:
    summary = report.Summary("x", findings=[Finding("c", FAILURE, "<rule>", "page: p", "m <b>")])
    page = summary.render_html()
    assert "&lt;rule&gt;" in page and "<script" not in page and "http" not in page.replace("&", "")


def test_the_junit_report_carries_the_graded_verdict_walk_included() -> None:
    findings = [
        Finding("pagination", FAILURE, "r", "sdk: s", "pages skip an image", ("curl 1",)),
        Finding("negative_data_rejection", WARNING, "r", "assumption: a", "marker= accepted"),
        Finding("gateway", ERROR, "r", "the run itself", "timeout"),
    ]
    summary = report.Summary(
        "x", checks={"pagination": 3, "negative_data_rejection": 5, "ignored_auth": 2}, findings=findings
    )
    suite = ElementTree.fromstring(summary.render_junit())  # noqa: S314  (our own output)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "1")
    cases = {c.get("name"): c for c in suite}
    assert cases["pagination"].find("failure") is not None
    assert cases["negative_data_rejection"].find("failure") is None  # a warning fails nothing
    assert "marker= accepted" in (cases["negative_data_rejection"].findtext("system-out") or "")
    assert cases["ignored_auth"].find("failure") is None and cases["gateway"].find("error") is not None


def test_a_probes_curl_line_stays_with_its_own_check(tmp_path: Path) -> None:
    """ignored_auth shows its probe's request; the next check of the same case shows the case's own."""
    probe = {"request": {"method": "GET", "uri": f"{GATEWAY}{PATH}?probe=1", "headers": {}}}
    auth = failed("ignored_auth", "Expected 401 or 403")
    auth["failure_info"]["case"] = probe
    path = events(tmp_path, {"a": (interaction("limit=0", 200, {}), [auth, failed("negative_data_rejection", "x")])})
    summary = report.summarize(path, ENDPOINT, (GATEWAY, ENDPOINT))
    curls = {f.check: f.curls[0] for f in summary.findings}
    assert "probe=1" in curls["ignored_auth"]
    assert "limit=0" in curls["negative_data_rejection"] and "probe=1" not in curls["negative_data_rejection"]
