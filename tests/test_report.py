"""What schemathesis recorded, read back (its requests shown against the endpoint, not the gateway; an answer the
gateway could not get is no answer, not drift), and the reports rendered from a verdict: each distinct cause listed,
junit.xml one test case per check that judged something with every cause in its one failure; the changes since a
baseline in each. No server."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks.evidence import Case
from cph_conformance.run.collect import cases
from cph_conformance.run.report import shown
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.changes import IMAGES, NEW_VALUE, Change, Changes
from cph_conformance.run.report.result import Result
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.verdict import replay
from cph_conformance.run.verdict.findings import FAILURE, flaky
from cph_conformance.run.verdict.judge import Facts
from cph_conformance.run.verdict.verdict import CANNOT_RUN, DRIFT, PASSED, Blips, cannot_run
from tests import inprocess

GATEWAY, ENDPOINT = "http://127.0.0.1:5555", "https://cph.cn-north-4.myhuaweicloud.com"
PATH = spec.OPERATION_PATH.format(project_id="0123456789abcdef0123456789abcdef")


def interaction(
    query: str, status: int, body: Any, headers: dict[str, str] | None = None, auth: bool = True
) -> dict[str, Any]:
    content = base64.b64encode(json.dumps(body).encode()).decode()
    return {
        "request": {
            "method": "GET",
            "uri": f"{GATEWAY}{PATH}?{query}",
            "headers": {"X-Auth-Token": ["[Filtered]"]} if auth else {},
        },
        "response": {
            "status_code": status,
            "headers": {k: [v] for k, v in (headers or {}).items()},
            "content": {"$base64": content},
        },
    }


def events(
    tmp_path: Path, cases: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]], parents: dict[str, str] | None = None
) -> Path:
    recorder = {
        "label": "GET /v1/{project_id}/cloud-phone/phone-images",
        "cases": {cid: {"parent_id": (parents or {})[cid]} if cid in (parents or {}) else {} for cid in cases},
        "interactions": {cid: i for cid, (i, _) in cases.items()},
        "checks": {cid: c for cid, (_, c) in cases.items()},
    }
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps({"ScenarioFinished": {"phase": "fuzzing", "recorder": recorder}}) + "\n")
    return path


def failed(name: str, message: str, steps: list[str] | None = None) -> dict[str, Any]:
    info = {"failure": {"message": message, "title": name}, "steps": [{"case_id": s} for s in steps or []]}
    return {"name": name, "status": "failure", "failure_info": info}


def test_schemathesis_events_are_read_into_each_cases_phase_and_each_checks_outcome(tmp_path: Path) -> None:
    path = events(
        tmp_path,
        {
            "a": (
                interaction("limit=0", 200, spec.example_response()),
                [failed("negative_data_rejection", "accepted")],
            ),
            "b": (
                interaction("limit=1", 200, spec.example_response()),
                [{"name": "negative_data_rejection", "status": "success"}],
            ),
        },
    )
    read = cases.read_events(path)
    assert read.count == 2 and read.phases == {"a": "fuzzing", "b": "fuzzing"}
    assert read.outcomes == [
        cases.Outcome("a", "negative_data_rejection", "accepted"),
        cases.Outcome("b", "negative_data_rejection", None),
    ]


def test_a_probes_failure_is_judged_on_the_probes_own_request(tmp_path: Path) -> None:
    """ignored_auth's request without the credential is a case of its own, the failure's last step."""
    path = events(
        tmp_path,
        {
            "a": (
                interaction("limit=1", 200, spec.example_response()),
                [failed("ignored_auth", "no auth", steps=["a", "p"])],
            ),
            "p": (interaction("limit=1", 200, spec.example_response(), auth=False), []),
        },
        parents={"p": "a"},
    )
    assert cases.read_events(path).outcomes == [cases.Outcome("p", "ignored_auth", "no auth")]


@pytest.mark.parametrize(
    "line",
    [b'{"ScenarioFinished": {"phase": "fuzz', b'{"a": 1}{"b": 2}', b"[" * 100_000, b"\xff\xfe not json"],
)
def test_events_cut_short_or_mixed_are_an_error_of_the_run_never_a_crash(tmp_path: Path, line: bytes) -> None:
    path = tmp_path / "events.ndjson"
    path.write_bytes(line + b"\n")
    read = cases.read_events(path)
    assert read.count == 0 and read.errors and "line 1" in read.errors[0]


def test_an_answer_the_sender_could_not_get_is_no_answer_not_drift() -> None:
    lost = Exchange("GET", f"{ENDPOINT}{PATH}?limit=1", VALID, None, {}, None, "no answer: ReadTimeout")
    v = inprocess.weighed(Facts((lost,), cases=(Case("positive_data_acceptance", "502", lost),)))
    assert v.findings == () and v.unjudged == [lost]
    assert v.exit_status == CANNOT_RUN and "no answer" in report.render(Result(v))


def page(n: int) -> Exchange:
    body = {**spec.example_response(), "request_id": f"{n:032x}"}
    return Exchange(
        "GET", f"{ENDPOINT}{PATH}?image_type=all&n={n}", VALID, 200, {"content-type": "application/json"}, body
    )


def test_every_cause_is_listed_once_with_its_source_and_curl_lines_and_junit_holds_them_in_one_failure() -> None:
    over = [
        Exchange(
            "GET",
            f"{ENDPOINT}{PATH}?limit={n}",
            VALID,
            200,
            {"content-type": "application/json"},
            {**spec.example_response(), "request_id": f"r{n}"},
        )
        for n in (1, 2)
    ]
    wrong = Exchange(
        "GET", f"{ENDPOINT}{PATH}?limit=3", VALID, 203, {"content-type": "text/plain"}, {"request_id": "r3"}
    )
    v = inprocess.answers(page(1), *over, wrong, strict=False)
    text = report.render(Result(v))
    assert v.exit_status == DRIFT and "**Verdict: drift found** (exit status 1)" in text
    assert len(re.findall(r"^### \d+\. page_within_limit$", text, re.MULTILINE)) == 1  # two answers, one cause
    assert "#### over: 2 instance(s) in limit=1, limit=2" in text
    assert "- limit=1: expected at most 1 images; the page holds 3\n- limit=2: expected at most 2 images" in text
    assert "> sdk: huaweicloudsdkcph 3.1.219, ListCloudPhoneImagesRequest.limit: “每页返回的镜像个数" in text
    # The smallest reproduction: the request with the smallest limit, sent to the endpoint, never to the gateway.
    assert f"'{ENDPOINT}{PATH}?limit=1'" in text and f"'{ENDPOINT}{PATH}?limit=2'" not in text and GATEWAY not in text
    suite = ElementTree.fromstring(report.render_junit(Result(v)))  # noqa: S314  (our own output)
    tested = {c.get("name"): c for c in suite}
    assert set(tested) == {name for name, n in v.judged.items() if n}  # exactly the checks that judged something
    (failure,) = tested["status_code_conformance"].findall("failure")
    assert failure.get("message", "").startswith("1 cause(s)")
    assert int(suite.get("failures", "0")) == len({f.check for f in v.failures}) == 2
    assert tested["request_ids"].find("failure") is None


def test_a_run_that_judged_too_little_says_so_in_every_report() -> None:
    throttled = [
        Exchange(
            "GET", f"{ENDPOINT}{PATH}?n={n}", VALID, 429, {"content-type": "application/json"}, spec.error_example(429)
        )
        for n in range(5)
    ]
    v = inprocess.answers(page(1), *throttled, strict=False)
    assert v.exit_status == CANNOT_RUN
    assert "**Verdict: inconclusive** (exit status 2)" in report.render(Result(v))
    assert "Lower CPH_RATE_LIMIT (it was 5/s)" in report.render(Result(v))
    suite = ElementTree.fromstring(report.render_junit(Result(v)))  # noqa: S314  (our own output)
    assert suite.get("errors") == "1"


def test_a_clean_run_says_every_check_passed() -> None:
    v = inprocess.answers(page(1), page(2), strict=False)
    assert v.exit_status == PASSED and "Every check passed." in report.render(Result(v))


class Page(HTMLParser):
    """What a browser would build of summary.html, as far as the tests look: the elements in order, each with its
    attributes and text, and every address anything would load."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.loads: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), []))
        self.loads += [v or "" for k, v in attrs if k in ("src", "href", "action", "srcset")]

    def handle_data(self, data: str) -> None:
        if self.elements:
            self.elements[-1][2].append(data)

    def text_of(self, tag: str) -> list[str]:
        return ["".join(t).strip() for name, _, t in self.elements if name == tag]


def failing_run() -> Result:
    over = Exchange(
        "GET", f"{ENDPOINT}{PATH}?limit=1", VALID, 200, {"content-type": "application/json"}, spec.example_response()
    )
    return Result(dataclasses.replace(inprocess.answers(page(1), over, strict=False), target="<endpoint>"))


def test_the_html_report_is_a_page_with_the_verdict_first_and_every_finding_with_its_source_and_curl() -> None:
    v = failing_run()
    page_ = Page(report.render_html(v))
    tags = [tag for tag, _, _ in page_.elements]
    assert tags[:3] == ["html", "head", "meta"] and "script" not in tags and "link" not in tags
    assert page_.loads == [] and "url(" not in report.render_html(v) and "@import" not in report.render_html(v)
    assert page_.text_of("h1") == ["Conformance of <endpoint>"]  # escaped as text, shown as it is
    (verdict,) = [(attrs, "".join(text)) for tag, attrs, text in page_.elements if attrs.get("id") == "verdict"]
    assert verdict[1].startswith("Verdict: drift found (exit status 1)") and "drift" in (verdict[0]["class"] or "")
    assert (
        tags.index("h1")
        < next(i for i, (_, a, _) in enumerate(page_.elements) if a.get("id") == "verdict")
        < tags.index("h2")
    )
    found = [i for i, (tag, attrs, _) in enumerate(page_.elements) if attrs.get("class") == "check"]
    assert len(found) == len({f.check for f in v.verdict.findings})
    for start in found:  # the check, its rule, the statements it rests on, quoted once
        inside = [tag for tag, _, _ in page_.elements[start : start + 8]]
        assert {"h3", "p", "blockquote"} <= set(inside)
    findings = [i for i, (tag, attrs, _) in enumerate(page_.elements) if attrs.get("class") == "finding"]
    assert len(findings) == len(v.verdict.findings)
    for start in findings:  # a heading, the smallest reproduction's message and its shell lines
        inside = [tag for tag, _, _ in page_.elements[start : start + 4]]
        assert inside[:4] == ["div", "h4", "p", "pre"]
    assert page_.text_of("th")[:4] == ["failed check", "rule", "instances", "reproduced"]  # what broke, first
    headers = page_.text_of("th")
    checks_table = ["check", "rests on", "judged", "result"]
    assert any(headers[n : n + 4] == checks_table for n in range(len(headers)))  # the table of checks, below


def test_both_summaries_show_the_statement_coverage_below_the_checks_with_what_each_statement_judged() -> None:
    v = failing_run()
    markdown = report.render(v)
    assert markdown.index("## Checks") < markdown.index("## Statement coverage")
    judged = v.verdict.judged["response_schema_conformance"] + v.verdict.judged["client_reads"]
    row = next(line for line in markdown.splitlines() if line.startswith("| `page.phone_images` |"))
    assert row.endswith(f"| {judged} |") and "phone-images-object" in row
    page_ = Page(report.render_html(v))
    ids = [attrs.get("id") for _, attrs, _ in page_.elements]
    assert ids.index("checks") < ids.index("coverage")
    assert "page.phone_images" in page_.text_of("code") and str(judged) in page_.text_of("td")
    assert "## Statement coverage" not in report.render(Result(cannot_run("x", "no credential")))


def test_a_run_that_could_not_be_made_says_so_first_in_the_html_report() -> None:
    v = Result(cannot_run("x", "SEED='abc' is not a whole number"))
    page_ = Page(report.render_html(v))
    assert "Verdict: the run could not be made (exit status 2)" in page_.text_of("p")[0]
    assert "The run could not be made (1 distinct)" in page_.text_of("h2")


def compared(gate: bool) -> Result:
    """A clean run, compared with a baseline: one change of shape, one notice, and a note."""
    v = inprocess.answers(page(1), page(2), strict=False)
    found = [Change(NEW_VALUE, "PhoneImage.image_label", '"cloud_phone_9000"'), Change(IMAGES, "private", "13, was 12")]
    return Result(v, Changes("2026-11-25T05:17:00+00:00", found, ["schemas only one run saw: PageInfo"]), gate)


@pytest.mark.parametrize("gate", [False, True])
def test_the_changes_since_the_baseline_are_listed_in_every_report(gate: bool) -> None:
    v = compared(gate)
    text = report.render(v)
    intro, listed, *_ = text.split("## Changes since 2026-11-25T05:17:00+00:00\n\n", 1)[1].split("\n\n")
    assert listed.splitlines() == [
        '- new value: PhoneImage.image_label: "cloud_phone_9000" (shape)',
        "- images: private: 13, was 12",
        "- Note: schemas only one run saw: PageInfo",
    ]
    assert intro.startswith("2 change(s) against CPH_BASELINE's observed.json, 1 of shape")
    assert ("they fail the run (CPH_FAIL_ON_CHANGE=1)" in intro) == gate
    assert (v.exit_status, text.startswith("# Conformance")) == (DRIFT if gate else PASSED, True)
    html = Page(report.render_html(v))
    (heading,) = [t for t in html.text_of("h2") if t.startswith("Changes since")]
    assert heading == "Changes since 2026-11-25T05:17:00+00:00"
    items = [(a.get("class"), "".join(t).strip()) for tag, a, t in html.elements if tag == "li" and a.get("class")]
    assert items[:2] == [
        ("change shape", 'new value: PhoneImage.image_label: "cloud_phone_9000" (shape)'),
        ("change", "images: private: 13, was 12"),
    ]
    suite = ElementTree.fromstring(report.render_junit(v))  # noqa: S314  (our own output)
    (case,) = [c for c in suite if c.get("name") == "no change since the baseline"]
    assert (case.find("failure") is not None) == gate and (case.find("system-out") is not None) == (not gate)


def test_a_run_without_a_baseline_has_no_changes_section() -> None:
    v = Result(inprocess.answers(page(1), strict=False))
    assert "Changes since" not in report.render(v) and "Changes since" not in report.render_html(v)
    assert "no change since the baseline" not in report.render_junit(v)


@pytest.mark.parametrize(
    ("replays", "line"),
    [
        (None, None),  # CPH_REPLAY=0
        (replay.Replays(400), None),  # nothing to send again: nothing to say
        (replay.Replays(400, sent=4, reproduced=1, flaky=1), "Replays: 4 request(s) of a budget of 400"),
    ],
)
def test_the_summaries_say_what_sending_failures_again_found(replays: replay.Replays | None, line: str | None) -> None:
    v = Result(dataclasses.replace(inprocess.answers(page(1), strict=False), replays=replays))
    for text in (report.render(v), report.render_html(v)):
        assert ("Replays: " in text) == (line is not None)
        assert line is None or line in text


def test_a_flaky_finding_lists_every_answer_and_fails_junit_only_when_asked() -> None:
    answers = [
        Exchange("GET", f"{ENDPOINT}{PATH}", VALID, status, {"content-type": "application/json"}, body)
        for status, body in ((500, spec.error_example(500)), (200, spec.example_response()), (500, {}))
    ]
    for fails in (False, True):
        clean = inprocess.answers(page(1), strict=False)
        found = flaky(checks.every()["not_a_server_error"], ("", "500"), "500 for a valid request", answers, 2)
        v = Result(dataclasses.replace(clean, findings=(found,), fail_on_flaky=fails))
        text = report.render(v)
        assert "## Flaky: failures that did not come back every time they were sent (1 distinct)" in text
        assert "(came back at 2/3 tries)" in text and "   3\\. 500 " in text  # escaped: no list of its own
        junit = ElementTree.fromstring(report.render_junit(v))  # noqa: S314  (our own output)
        case = junit.find("testcase[@name='not_a_server_error']")
        assert case is not None and (case.find("failure") is not None) == fails
        assert v.exit_status == (DRIFT if fails else PASSED)


@pytest.mark.parametrize(
    ("blips", "said"),
    [
        (Blips(), None),
        (Blips(3, 1, 1, 2, ("GET /x: 503, 503, 503, never answered", "GET /y: 502, then answered")), "2 more tries"),
        (Blips(1, 0, 1, 0, ("GET /x: 503, never answered",)), "not asked again (CPH_REPLAY=0)"),
    ],
)
def test_the_blips_met_are_counted_and_listed(blips: Blips, said: str | None) -> None:
    v = Result(dataclasses.replace(inprocess.answers(page(1), strict=False), blips=blips))
    for text in (report.render(v), report.render_html(v)):
        assert ("Blips (502, 503, 504, lost connections)" in text) == (said is not None)
        assert said is None or said in text
        assert all(line in text for line in blips.listed)


@pytest.mark.parametrize(
    ("status", "body", "rests_on"),
    [
        (200, {"phone_images": [{"image_name": "x"}]}, "page"),  # a page's fields: the page's tables
        (400, {"message": "bad"}, "huawei-docs"),  # an error's body: Huawei's Abnormal Response page, not the page
    ],
)
def test_a_finding_rests_on_the_statements_it_quotes(status: int, body: dict[str, Any], rests_on: str) -> None:
    """Where a cause cites statements of its own (not its check's), "Rests on" names their kind: never a page
    above a quote of another source (the trial's X7)."""
    url = "https://cph.example" + spec.OPERATION_PATH.format(project_id=inprocess.PROJECT) + "?limit=10"
    v = inprocess.answers(Exchange("GET", url, VALID, status, {"content-type": "application/json"}, body, "", "walk"))
    (group,) = [g for g in shown.groups(Result(v), FAILURE) if g.check == "response_schema_conformance"]
    assert group.rests_on == rests_on
    assert all(source.startswith(f"{rests_on}:") for source in group.sources)
    # The table of checks says the same of it (the trial's re-check: the table said page, the finding huawei-docs).
    assert ("response_schema_conformance", rests_on) in [row[:2] for row in report.checks_rows(v)]


@pytest.mark.parametrize(("query", "where"), [("", "no query parameters"), ("?limit=10", "limit=10")])
def test_a_findings_places_name_a_request_without_parameters_too(query: str, where: str) -> None:
    """The trial's X5 read "in , image_type=public...": a request without query parameters was an empty place."""
    url = "https://cph.example" + spec.OPERATION_PATH.format(project_id=inprocess.PROJECT) + query
    body = {"phone_images": [{"image_name": "x"}]}
    v = inprocess.answers(Exchange("GET", url, VALID, 200, {"content-type": "application/json"}, body, "", "walk"))
    (group,) = [g for g in shown.groups(Result(v), FAILURE) if g.check == "response_schema_conformance"]
    assert group.findings[0].where == (where,)
