"""summary.html reads the same everywhere: CJK fallbacks in its fonts (Huawei's SDK is quoted in Chinese), commands
that wrap at their spaces, each check's result coloured and still said in words, and a legend of what a rule rests
on (the same words under the Markdown table); the screenshot asks for a CJK font when the page has CJK text. No
browser, no server."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import pytest

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks.registry import LISTINGS
from cph_conformance.run.report import screenshot
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.result import Result
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.verdict.findings import flaky
from cph_conformance.run.verdict.verdict import Verdict
from tests import inprocess

ENDPOINT = "https://cph.cn-north-4.myhuaweicloud.com"
PATH = spec.OPERATION_PATH.format(project_id="0123456789abcdef0123456789abcdef")
JSON = {"content-type": "application/json"}


def _answer(query: str, status: int = 200, body: object = None, headers: dict[str, str] | None = None) -> Exchange:
    said = body if body is not None else {**spec.example_response(), "request_id": query.encode().hex()[:32]}
    return Exchange("GET", f"{ENDPOINT}{PATH}?{query}", VALID, status, headers or JSON, said)


def every_result() -> Result:
    """A run whose checks end every way: failed (an SDK rule: its quote is Chinese), flaky, passed with warnings,
    passed, and judged nothing (the walk's relations, with no walk)."""
    v = inprocess.answers(
        _answer("limit=1"),  # three images on a page of one
        _answer("image_type=all", headers={**JSON, spec.request_id_header().lower(): "f" * 32}),
        strict=False,
    )
    tries = [_answer("image_type=share", 500, spec.error_example(500)), _answer("image_type=share")]
    found = flaky(checks.every()["not_a_server_error"], ("", "500"), "500 for a valid request", tries, 1)
    return Result(dataclasses.replace(v, findings=(*v.findings, found), ran=v.ran | {LISTINGS}))


class Page(HTMLParser):
    """The elements of a page in order, each with its attributes and its own text; unclosed elements are counted."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.open: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), []))
        if tag not in screenshot.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.elements:
            self.elements[-1][2].append(data)

    def by_id(self, name: str) -> str:
        start = next(i for i, (_, a, _) in enumerate(self.elements) if a.get("id") == name)
        return "".join("".join(t) for _, _, t in self.elements[start : start + 12]).split("\n")[0]


HTML = report.render_html(every_result())
STYLE = HTML.split("<style>", 1)[1].split("</style>", 1)[0]


def test_the_page_parses_with_every_element_closed() -> None:
    page = Page(HTML)
    assert page.open == [] and page.elements[0][0] == "html"


def test_the_fonts_fall_back_to_cjk_fonts_of_every_platform_and_load_none() -> None:
    stack = re.search(r"--text:([^;]+);", STYLE)
    assert stack is not None
    families = [f.strip().strip('"') for f in stack.group(1).split(",")]
    for cjk in ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei"):
        assert cjk in families, cjk
    assert families[-1] == "sans-serif" and "@font-face" not in STYLE and "url(" not in STYLE
    assert "font-family: var(--text)" in STYLE and "font-family: var(--mono)" in STYLE


def test_commands_wrap_at_spaces_and_break_a_token_only_when_it_is_longer_than_the_line() -> None:
    pre = re.search(r"\bpre \{([^}]*)\}", STYLE)
    assert pre is not None
    rules = dict(r.strip().split(":", 1) for r in pre.group(1).split(";") if ":" in r)
    assert rules["white-space"].strip() == "pre-wrap" and rules["overflow-wrap"].strip() == "anywhere"
    assert "break-all" not in STYLE


@pytest.mark.parametrize(
    ("check", "result", "outcome"),
    [
        ("page_within_limit", "failed", "failed"),
        ("not_a_server_error", "flaky", "flaky"),
        ("request_id_header", "passed, with warnings", "warnings"),
        ("status_code_conformance", "passed", "passed"),
        ("pagination", "judged nothing", "nothing"),
    ],
)
def test_each_result_cell_carries_its_class_and_still_says_it(check: str, result: str, outcome: str) -> None:
    rows: dict[str, tuple[str, str]] = {}
    name = ""
    for tag, attrs, text in Page(HTML).elements:
        if tag == "code":
            name = "".join(text).strip()
        elif tag == "td" and "result" in (attrs.get("class") or "").split():
            rows[name] = (attrs.get("class") or "", "".join(text).strip())
    assert rows[check] == (f"result result-{outcome}", result)
    assert re.search(rf"td\.result-{outcome} \{{[^}}]*background", STYLE), "each result has its colour"


def test_a_legend_says_what_rests_on_means_in_the_html_and_the_markdown_alike() -> None:
    legend = Page(HTML).by_id("rests-on")
    for kind in (*spec.SOURCE_KINDS, "assumption"):
        assert f"{kind} = " in legend, kind
    markdown = report.render(every_result())
    (line,) = [line for line in markdown.splitlines() if line.startswith("Rests on: ")]
    assert line.replace("**", "") == legend
    assert markdown.index("| check | rests on |") < markdown.index(line)


@pytest.mark.parametrize(
    ("source", "fonts", "problem"),
    [
        (HTML, [], True),  # the SDK's Chinese quote, no font to draw it
        (HTML, ["WenQuanYi Zen Hei,文泉驛正黑"], False),
        (HTML, None, False),  # no fontconfig to ask (not Linux): the browser finds its own fonts
        (report.render_html(Result(Verdict(ENDPOINT))), [], False),  # nothing in Chinese
    ],
)
def test_the_screenshot_asks_for_a_cjk_font_only_when_the_page_needs_one(
    source: str, fonts: list[str] | None, problem: bool
) -> None:
    found = screenshot.cjk_problem(source, fonts)
    assert bool(found) == problem
    assert found is None or screenshot.CJK_FONTS in found


def test_the_sdk_quotes_are_what_the_cjk_test_looks_for() -> None:
    sdk = [s.quote for s in spec.statements().values() if s.kind == "sdk"]
    assert sdk and all(screenshot.CJK.search(q) for q in sdk)
    assert not screenshot.CJK.search("Specifies the unique request ID. é ü \u2013 \u201cquoted\u201d")
