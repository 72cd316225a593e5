"""Text the endpoint sent, made safe for the medium that shows it: the endpoint's text is data, never markup or
terminal commands. The reports' own words are not passed through here; only what came from outside (an error
message, an image's fields, a header, anything an answer held).

- markdown(): no raw HTML, images, links, headings, lists, emphasis or table breaks: the characters that would make
  them are escaped (so GitHub shows them as typed), URLs and e-mail addresses go in code spans (where nothing links),
  control characters are shown as console() shows them. one_line=True for a table cell or a list item's line.
- xml(): the characters XML 1.0 forbids (and the C1 controls it discourages) shown as escapes, so that junit.xml is
  always well-formed; ElementTree escapes <, > and & itself.
- console(): control characters (ESC and every terminal sequence it starts, NUL, CR, the C1 controls), the
  bidirectional overrides, lone surrogates and (unless kept) line breaks shown as escapes such as \\x1b; a tab stays.
- bound(): text cut to a length, saying how much was left out.

The escapes are readable rather than reversible: a backslash the endpoint sent is shown as is.
"""

from __future__ import annotations

import re

LIMIT = 2000  # characters of one piece of the endpoint's text in a report, by default

# What a terminal acts on: C0 controls but the tab, DEL, C1 controls; the bidirectional controls that reorder what is
# shown; line and paragraph separators; lone surrogates (which cannot even be printed).
_CONSOLE = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONSOLE_UNSAFE = re.compile(f"[\x00-\x08\x0a-\x1f{_CONSOLE}]")
_CONSOLE_UNSAFE_BUT_NEWLINE = re.compile(f"[\x00-\x08\x0b-\x1f{_CONSOLE}]")
# What XML 1.0 forbids (its Char production), and the C1 controls it discourages.
# A carriage return XML 1.0 allows, but its readers turn into a line feed, and `cat` shows it overwriting its line.
_XML_UNSAFE = re.compile("[^\x09\x0a\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Autolinks in GitHub's Markdown: a scheme's URL, www., an e-mail address. They go in code spans.
_LINKABLE = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.-]*:/{1,3}|\bwww\.)[^\s<>`|\\]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Characters that are Markdown wherever they are (backslash-escaped), and those that are HTML (entities).
_MARKDOWN_EVERYWHERE = re.compile(r"[\\`*\[\]!|~$]|(?<![^\W_])_|_(?![^\W_])")
_HTML = {"<": "&lt;", ">": "&gt;"}
# An & that a Markdown renderer may read as a character reference: &# with anything after it (GitHub's cmark-gfm
# reads up to 8 digits where CommonMark says 7), or a name and ;. Any other & stays as it is, readable in the plain
# text (image_type=public&limit=10).
_REFERENCE = re.compile(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)")
# What makes a line a heading, a list item, a rule or a setext underline when it starts a line (a quote's > is
# an entity already); and a numbered list item's number.
_LINE_START = re.compile(r"(?m)^([ \t]*)([#+=\-])")
_NUMBERED = re.compile(r"(?m)^([ \t]*\d+)([.)])")


def _shown(char: str) -> str:
    """One character as an escape: \\n, \\r, \\t, \\x1b, \\u202e."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def console(text: str, keep_newlines: bool = False) -> str:
    """text with what a terminal would act on shown as escapes (\\x1b[2J, \\x00, \\r; \\n unless kept)."""
    unsafe = _CONSOLE_UNSAFE_BUT_NEWLINE if keep_newlines else _CONSOLE_UNSAFE
    return unsafe.sub(lambda m: _shown(m.group()), text)


def xml(text: str) -> str:
    """text that ElementTree can write into a well-formed document: what XML 1.0 forbids or discourages shown as
    escapes (a lone surrogate, U+FFFE, NUL, ESC, a carriage return, the C1 controls)."""
    return _XML_UNSAFE.sub(lambda m: _shown(m.group()), text)


def _markdown_text(text: str) -> str:
    text = _REFERENCE.sub("&amp;", text)
    text = "".join(_HTML.get(c, c) for c in text) if any(c in text for c in _HTML) else text
    text = _MARKDOWN_EVERYWHERE.sub(lambda m: "\\" + m.group(), text)
    return _LINE_START.sub(r"\1\\\2", text)


def markdown(text: str, one_line: bool = False) -> str:
    """text as Markdown that shows it as it was typed: nothing in it becomes HTML, an image, a link, a heading, a
    list, emphasis or a table's column. one_line: line breaks shown as \\n (a table cell, one line of a list)."""
    text = console(text, keep_newlines=not one_line)
    pieces, at = [], 0
    for found in _LINKABLE.finditer(text):
        if found.start() < at:
            continue
        url = found.group().rstrip(".,:;!?)'\"*_~")  # what ends a sentence or a bracket is not the URL's
        pieces += [_markdown_text(text[at : found.start()]), f"`{url}`"]
        at = found.start() + len(url)
    pieces.append(_markdown_text(text[at:]))
    return _NUMBERED.sub(r"\1\\\2", "".join(pieces))


def bound(text: str, limit: int = LIMIT) -> str:
    """text, or its first `limit` characters and how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} ... ({len(text) - limit:,} more characters)"
