"""Whatever the endpoint sent is data in every report: a run whose findings, answers, errors, notes and changes carry
markup, links, headings and terminal sequences (tests/test_escape.py's table) renders summary.md whose Markdown makes
none of them, junit.xml that parses, summary.html with no element of the endpoint's making, and console lines with no
control character; ordinary text reads as it was. The summary says what was masked and how many times. No server."""

from __future__ import annotations

import dataclasses
import html
import re
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from markdown_it import MarkdownIt

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks.registry import Drift
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.changes import NEW_VALUE, Change, Changes
from cph_conformance.run.report.result import Result
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.verdict.findings import error, flaky, of_drift
from cph_conformance.run.verdict.verdict import Verdict, cannot_run
from tests.test_escape import HOSTILE

URL = "https://cph.example" + spec.OPERATION_PATH.format(project_id="0123456789abcdef0123456789abcdef")
ORDINARY = "image_id 0123abcd was not found (CPS.0001)"
# What the endpoint's text would make of the Markdown, rendered as GitHub does: an element, a link, a heading of its.
MADE = re.compile(r"<script|<img|<a href|<h[1-6]>(?:heading|second|title)</h|<!--|<b>", re.IGNORECASE)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202e\ud800]")


def _answer(text: str) -> Exchange:
    body = {"error_code": "CPS.0001", "error_msg": text}
    return Exchange("GET", f"{URL}?limit=1", VALID, 500, {"content-type": "application/json"}, body, text)


def said(text: str) -> Result:
    """A run whose every finding, answer, error, note and change carries text the endpoint sent."""
    check = checks.every()["known_image_label"]
    found = of_drift(check, Drift(text[:64], f"image_label {text} is not in the page's list", (_answer(text),)))
    shaky = flaky(checks.every()["not_a_server_error"], ("", "500"), text, [_answer(text), _answer("fine")], 1)
    broke = error(checks.every()["walk"], f"the walk stopped early: {text}", [_answer(text).curl])
    v = Verdict(
        f"https://cph.example ({text})",
        (found, shaky, broke),
        {"known_image_label": 1},
        notes=(text,),
        exchanges=(_answer(text),),
    )
    changes = Changes("then", [Change(NEW_VALUE, "PhoneImage.image_label", text)], [text])
    return Result(v, changes)


def _markdown(text: str) -> str:
    html: str = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
    return html


class Elements(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_endpoints_text_is_data_in_every_report(name: str) -> None:
    for r in (said(HOSTILE[name]), Result(cannot_run("x", f"the endpoint answered 401: {HOSTILE[name]}"))):
        text = report.render(r)
        assert not MADE.search(_markdown(text)), _markdown(text)
        assert not CONTROL.search(text)
        ElementTree.fromstring(report.render_junit(r))  # noqa: S314  (parses: well-formed)
        page = report.render_html(r)
        assert not {"script", "img", "a"} & set(Elements(page).tags)
        assert not CONTROL.search(page.split("<style>")[0] + page.split("</style>")[1])
        assert not any(CONTROL.search(line) for line in report.first_lines(r))


def test_ordinary_text_reads_as_it_was_in_every_report() -> None:
    r = said(ORDINARY)
    assert f"image_label {ORDINARY} is not in the page's list" in report.render(r)
    assert f"Note: {ORDINARY}" in report.render(r) and ORDINARY in report.render_html(r)
    assert f"image_label {ORDINARY}" in report.render_junit(r)


@pytest.mark.parametrize("masked", ["", "masked 4 times (base64 x3, as is x1)"])
def test_the_summary_says_what_was_masked_and_how_many_times(masked: str) -> None:
    r = dataclasses.replace(said(ORDINARY), masked=masked)
    line = "Secrets: the run's credential was masked 4 times (base64 x3, as is x1), wherever it appeared."
    assert (line in report.render(r)) == bool(masked)
    assert (line in html.unescape(report.render_html(r))) == bool(masked)
