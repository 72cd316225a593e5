"""The endpoint's text escaped for each medium: rendered Markdown holds no HTML, image, link or heading of its
making and keeps a table's columns; junit.xml parses; the console gets no terminal sequence; and ordinary text stays
as it was."""

from __future__ import annotations

import re
from html import escape as as_html
from xml.etree import ElementTree

import pytest
from markdown_it import MarkdownIt

from cph_conformance.run.report import escape

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img onerror": '<img src=x onerror="alert(1)">',
    "image": "![x](http://127.0.0.1:9/x.png)",
    "link": "[link](http://evil.example/)",
    "reference link": "[x]\n\n[x]: http://evil.example/",
    "bare URL": "see http://evil.example/path?a=1&b=2 now",
    "www": "see www.evil.example now",
    "e-mail": "mail evil@evil.example now",
    "heading": "# heading",
    "heading after text": "fine\n# heading\n## second",
    "setext heading": "title\n===",
    "list": "- item\n* item\n+ item\n1. item\n2) item",
    "quote": "> quoted",
    "emphasis": "*bold* _it_ ~~gone~~ $x^2$",
    "code": "`code` ```fence```",
    "table break": "a | b | c",
    "html comment": "<!-- hidden -->",
    "entity": "&lt;script&gt; &#60;b&#62;",
    # Longer than CommonMark's references, as GitHub's cmark-gfm reads them: a bidi override, a mail link, markup.
    "entity, 8 digits": "error: &#x0000202E;gnp.exe victim&#00000064;evil.com &#00000060;script&#00000062;",
    "OSC 8 link": "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "clear screen": "\x1b[2J\x1b[H",
    "NUL": "a\x00b",
    "carriage return": "fake\roverwritten",
    "bidi override": "abc\u202edcba",
    "lone surrogate": "a\ud800b",
}
TAGS = re.compile(r"<(?!/?(?:p|code|table|thead|tbody|tr|th|td|br)\b)[a-z]", re.IGNORECASE)


def render(markdown: str) -> str:
    html: str = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    return html


@pytest.mark.parametrize("name", list(HOSTILE))
def test_markdown_shows_the_text_and_nothing_of_its_making(name: str) -> None:
    text = HOSTILE[name]
    for one_line in (False, True):
        escaped = escape.markdown(text, one_line=one_line)
        html = render(escaped)
        assert not TAGS.search(html), html  # no element but the paragraph, and code spans for URLs
        assert "<code>" in html or not re.search(r"://|www\.|@", text)  # what GitHub would link is in a code span
        assert not any(c in escaped for c in "\x00\x1b\r\u202e\ud800")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_one_line_cell_keeps_the_tables_columns(name: str) -> None:
    cell = escape.markdown(HOSTILE[name], one_line=True)
    html = render(f"| a | b |\n|---|---|\n| {cell} | end |\n")
    assert "\n" not in cell
    assert html.count("<td>") == 2 and html.count("<tr>") == 2
    assert "<td>end</td>" in html


@pytest.mark.parametrize(
    "text",
    [
        "an ordinary message: image_id 0123abcd was not found (CPS.0001)",
        "limit must be between 1 and 500; got 501",
        "multi-line\nmessage",
        "image_type=public&limit=10, page 2",  # an & that starts no character reference stays as it is
    ],
)
def test_ordinary_text_reads_as_it_was(text: str) -> None:
    assert escape.markdown(text) == text
    assert render(escape.markdown(text)).strip() == f"<p>{as_html(text, quote=False)}</p>"
    assert escape.console(text, keep_newlines=True) == text
    assert escape.xml(text) == text


def test_markdown_shows_what_it_escaped_as_typed() -> None:
    """Rendered, the escaped text reads as the original (its control characters as escapes)."""
    text = "# <b>a</b> & ![x](y) *z* _w_ | 1. `c`"
    html = render(escape.markdown(text))
    assert html.strip() == "<p># &lt;b&gt;a&lt;/b&gt; &amp; ![x](y) *z* _w_ | 1. `c`</p>"
    # A character reference in the text is shown as typed, not as the character it names.
    assert render(escape.markdown("a &amp; b &#47; c&d")).strip() == "<p>a &amp;amp; b &amp;#47; c&amp;d</p>"
    # Any &#, however many digits follow (cmark-gfm reads 8: U+202E, @), is shown as typed.
    assert escape.markdown("&#x0000202E; a&#00000064;b") == "&amp;#x0000202E; a&amp;#00000064;b"


@pytest.mark.parametrize("name", list(HOSTILE))
def test_xml_is_always_well_formed(name: str) -> None:
    case = ElementTree.Element("testcase", name=escape.xml(HOSTILE[name]))
    ElementTree.SubElement(case, "failure", message=escape.xml(HOSTILE[name])).text = escape.xml(HOSTILE[name])
    written = ElementTree.tostring(case, encoding="unicode")
    parsed = ElementTree.fromstring(written)  # noqa: S314  (our own output)
    assert parsed.find("failure") is not None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x00b", "a\\x00b"),
        ("\ufffe\uffff", "\\ufffe\\uffff"),
        ("a\ud800b", "a\\ud800b"),
        ("\x1b[2J", "\\x1b[2J"),
        ("\x85", "\\x85"),
        ("tab\tnewline", "tab\tnewline"),
        ("fake\roverwritten", "fake\\roverwritten"),  # XML readers would make it a line feed; a terminal, an overwrite
        ("中文 and emoji \U0001f600", "中文 and emoji \U0001f600"),
    ],
)
def test_xml_shows_what_it_cannot_hold(text: str, shown: str) -> None:
    assert escape.xml(text) == shown


@pytest.mark.parametrize(
    ("text", "shown", "kept"),
    [
        ("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "\\x1b]8;;http://evil\\x1b\\click\\x1b]8;;\\x1b\\", None),
        ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H", None),
        ("a\x00b\x07", "a\\x00b\\x07", None),
        ("fake\roverwritten", "fake\\roverwritten", None),
        ("line\nforged", "line\\nforged", "line\nforged"),
        ("\x9b31m", "\\x9b31m", None),
        ("abc\u202edcba", "abc\\u202edcba", None),
        ("a\ud800b", "a\\ud800b", None),
        ("tab\tstays", "tab\tstays", None),
        ("ordinary, 中文", "ordinary, 中文", None),
    ],
)
def test_the_console_gets_no_terminal_sequence(text: str, shown: str, kept: str | None) -> None:
    assert escape.console(text) == shown
    assert escape.console(text, keep_newlines=True) == (kept if kept is not None else shown)
    escape.console(text).encode("utf-8")  # printable: no lone surrogate left


@pytest.mark.parametrize(
    ("text", "limit", "bounded"),
    [
        ("short", 10, "short"),
        ("x" * 10, 10, "x" * 10),
        ("x" * 1500, 1000, "x" * 1000 + " ... (500 more characters)"),
        ("y" * 5000, 10, "y" * 10 + " ... (4,990 more characters)"),
    ],
)
def test_bound_cuts_long_text_and_says_how_much(text: str, limit: int, bounded: str) -> None:
    assert escape.bound(text, limit) == bounded
