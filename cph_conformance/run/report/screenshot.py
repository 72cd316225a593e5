"""`make render-report`: open a run's summary.html in a real headless browser and save a screenshot beside it.

    python -m cph_conformance.run.report.screenshot [reports/summary.html]

The browser is Debian's chromium with a CJK font (`apt-get install chromium fonts-wqy-zenhei`: the summary quotes
Huawei's SDK in Chinese, which a browser without such a font draws as boxes), or whichever of BROWSERS is on PATH
(GitHub's runners have Google Chrome), or the one CHROME names. It runs with no network of its own and an empty
profile that is removed afterwards. The page must show its verdict to the browser (the rendered DOM holds it), and
its history chart, when it has one, as SVG with a point per run; a page with CJK text needs a CJK font where
fontconfig lists fonts (Linux); then summary.png is written next to the page. Exit status 0, or 2 with the reason
(no browser, no page, no CJK font for the page's, nothing rendered).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from cph_conformance import settings

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, and nothing of its own on the network: this machine's closed network refuses those connections.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
PNG = b"\x89PNG\r\n\x1a\n"
# Debian's smallest complete CJK font (fonts-wqy-zenhei: 7.5 MB to download, 16 MB installed; fonts-noto-cjk is 57 MB
# and 91 MB), installed where chromium is.
CJK_FONTS = "fonts-wqy-zenhei"
# Han ideographs, CJK punctuation and full-width forms: what Huawei's SDK docstrings are written in.
CJK = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
TIMEOUT = 120


class CannotRender(Exception):
    """The page could not be rendered; the message says why and what to do."""


def browser() -> str:
    named = os.environ.get("CHROME")
    found = named or next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if not found:
        raise CannotRender(
            f"no headless browser: install Debian's chromium and a CJK font (apt-get install chromium {CJK_FONTS}), "
            "or set CHROME to one of "
            f"{', '.join(BROWSERS)}"
        )
    return found


def render(page: Path, width: int = 1280, height: int = 1600) -> Path:
    """page rendered by the browser: its DOM must show the verdict; the screenshot's path."""
    if not page.is_file():
        raise CannotRender(f"{page} does not exist: run the conformance run (make conformance) first")
    shot = page.with_suffix(".png")
    problem = cjk_problem(page.read_text(encoding="utf-8"), cjk_fonts())
    if problem:
        raise CannotRender(f"{page}: {problem}")
    with tempfile.TemporaryDirectory(prefix="cph-browser-") as profile:
        base = [browser(), *FLAGS, f"--user-data-dir={profile}"]
        dom = subprocess.run(
            [*base, "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True, timeout=TIMEOUT
        )
        if dom.returncode != 0 or 'id="verdict"' not in dom.stdout or "Verdict: " not in dom.stdout:
            raise CannotRender(f"the browser rendered no verdict from {page} (exit status {dom.returncode})")
        problem = chart_problem(page.read_text(encoding="utf-8"), dom.stdout)
        if problem:
            raise CannotRender(f"{page}: {problem}")
        shot.unlink(missing_ok=True)
        subprocess.run(
            [*base, f"--screenshot={shot}", f"--window-size={width},{height}", page.resolve().as_uri()],
            capture_output=True,
            timeout=TIMEOUT,
        )
    if not shot.is_file() or not shot.read_bytes().startswith(PNG):
        raise CannotRender(f"the browser wrote no screenshot of {page}")
    return shot


def cjk_fonts() -> list[str] | None:
    """The fonts fontconfig lists for Chinese (the families of `fc-list :lang=zh`), or None where there is no
    fontconfig to ask (a browser elsewhere finds its fonts its own way)."""
    found = shutil.which("fc-list")
    if not found:
        return None
    listed = subprocess.run([found, ":lang=zh", "family"], capture_output=True, text=True, timeout=TIMEOUT)
    return [line for line in listed.stdout.splitlines() if line.strip()]


def cjk_problem(source: str, fonts: list[str] | None) -> str | None:
    """What keeps a browser from drawing the page's CJK text (None: nothing, or the page has none)."""
    if fonts is None or fonts or not CJK.search(source):
        return None
    return (
        f"the page quotes Chinese text and no CJK font is installed, so the browser would draw boxes: install one "
        f"(Debian: apt-get install {CJK_FONTS}) and run again"
    )


class _Chart(HTMLParser):
    """The points of a page's history chart: circles inside svg#history-chart, as elements (not in a comment, or in
    a template, which a browser keeps but does not render)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.open: list[str] = []  # the elements we are in, innermost last
        self.found = False
        self.points = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        inert = "template" in self.open
        if tag == "svg" and ("id", "history-chart") in attrs and not inert:
            self.found = True
        elif tag == "circle" and "svg" in self.open and self.found and not inert:
            self.points += 1
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]


VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "track", "wbr"}


def chart_problem(source: str, dom: str) -> str | None:
    """What is wrong with the history chart as the browser built it (None: nothing, or the page has no chart): the
    DOM must hold it as SVG elements, with the source's points."""
    drawn = _Chart(source)
    if not drawn.found:
        return None
    built = _Chart(dom)
    if not built.found:
        return "the browser built no history chart (svg#history-chart) of the page's"
    if built.points != drawn.points:
        return f"the browser built {built.points} point(s) of the history chart's {drawn.points}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    page = Path(args[0]) if args else settings.reports_dir(os.environ) / "summary.html"
    try:
        shot = render(page)
    except (CannotRender, OSError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{page} rendered in a headless browser: {shot} ({shot.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
