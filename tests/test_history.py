"""The history of runs (CPH_HISTORY): read (a file that is not one is refused and left as it is), capped, written
whole; and its chart in summary.html, an inline SVG a point per run, coloured by verdict, at its p95, checked with
an XML parser; and what the browser check (make render-report) asks of the chart the browser built. No server."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from cph_conformance.run.report import history, screenshot
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.history import MAX_RUNS
from cph_conformance.run.report.result import Result
from cph_conformance.run.report.stored import Unusable
from cph_conformance.run.verdict.verdict import CANNOT_RUN, DRIFT, PASSED, Verdict

SVG = "{http://www.w3.org/2000/svg}"
CHART = re.compile(r"<svg\b[^>]*\bid=\"history-chart\".*?</svg>", re.DOTALL)


def run(day: int, status: int = PASSED, p95: float | None = 120.0) -> dict[str, Any]:
    label = {PASSED: "passed", DRIFT: "drift found", CANNOT_RUN: "the run could not be made"}[status]
    return {"date": f"2026-11-{day:02d}", "verdict": label, "exit_status": status, "requests": 220, "p95_ms": p95}


RUNS = [run(1), run(2, DRIFT, 240.0), run(3, CANNOT_RUN, None), run(4, PASSED, 60.0)]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not json", "is not JSON"),
        ('{"runs": []}', "is not a history of cph-conformance runs; it was left as it is"),
        ('{"file": "cph-conformance history", "format": 1, "runs": {}}', "is not a history of cph-conformance runs"),
        (
            '{"file": "cph-conformance history", "format": 2, "runs": []}',
            "is a history of cph-conformance runs of format 2",
        ),
    ],
)
def test_a_file_that_is_no_history_of_this_format_is_refused_and_left_as_it_is(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "history.json"
    path.write_text(text)
    with pytest.raises(Unusable) as refused:
        history.load(path)
    assert str(refused.value).startswith(f"CPH_HISTORY={str(path)!r} ") and says in str(refused.value)
    assert path.read_text() == text


def test_a_history_is_made_by_the_first_run_and_kept_whole_by_each(tmp_path: Path) -> None:
    path = tmp_path / "region" / "history.json"
    assert history.load(path) == []
    history.save(path, RUNS)
    assert history.load(path) == RUNS
    assert [p.name for p in path.parent.iterdir()] == ["history.json"]  # no temporary file left behind


def test_the_history_keeps_the_last_runs_only() -> None:
    runs: list[dict[str, Any]] = []
    for day in range(MAX_RUNS + 5):
        runs = history.appended(runs, run(day))
    assert len(runs) == MAX_RUNS and runs[0]["date"] == run(5)["date"] and runs[-1]["date"] == run(MAX_RUNS + 4)["date"]


def test_the_chart_has_a_point_per_run_at_its_p95_coloured_by_its_verdict() -> None:
    chart = history.chart(RUNS)
    assert chart is not None and chart.top_ms == 500.0  # the axis ends on a round number over the slowest
    colours = [p.colour for p in chart.points]
    assert colours == [history.COLOURS[s] for s in (PASSED, DRIFT, CANNOT_RUN, PASSED)]
    xs, ys = [p.x for p in chart.points], [p.y for p in chart.points]
    assert xs == sorted(xs) and xs[0] == chart.left and xs[-1] == chart.right_x  # oldest first, across the plot
    assert ys[1] < ys[0] < ys[3]  # slower is higher
    assert not chart.points[2].measured and ys[2] == chart.bottom_y  # no p95: on the axis, not on the line
    assert len(chart.line.split()) == 3
    assert chart.points[1].title == "2026-11-02: drift found (exit status 1), p95 240 ms"


def test_one_run_is_a_point_in_the_middle_and_no_run_no_chart() -> None:
    chart = history.chart([run(1)])
    assert chart is not None and chart.points[0].x == (chart.left + chart.right_x) / 2
    assert history.chart([]) is None


def chart_of(page: str) -> ElementTree.Element:
    """The page's chart, parsed as XML: it must be well-formed SVG on its own."""
    found = CHART.search(page)
    assert found is not None
    return ElementTree.fromstring(found.group(0))  # noqa: S314  (our own output)


def test_summary_html_draws_the_history_as_inline_svg_without_script() -> None:
    page = report.render_html(Result(Verdict("x")), RUNS)
    svg = chart_of(page)
    assert svg.tag == f"{SVG}svg" and svg.get("viewBox") == f"0 0 {history.WIDTH} {history.HEIGHT}"
    circles = svg.findall(f"{SVG}circle")
    assert len(circles) == len(RUNS)
    assert [c.findtext(f"{SVG}title") for c in circles] == [p.title for p in history.chart(RUNS).points]  # type: ignore[union-attr]
    (line,) = svg.findall(f"{SVG}polyline")
    assert len(line.get("points", "").split()) == 3
    assert "<script" not in page and not re.search(r"""(href|src)=["'](?!#)""", page)


def test_without_a_history_there_is_no_chart() -> None:
    assert CHART.search(report.render_html(Result(Verdict("x")))) is None


@pytest.mark.parametrize(
    ("built", "problem"),
    [
        (lambda page: page, None),
        (lambda page: page.replace('id="history-chart"', ""), "the browser built no history chart"),
        (lambda page: page.replace("<circle", "<x", 1), "the browser built 3 point(s) of the history chart's 4"),
        # A browser keeps a comment or a template in its DOM, and renders neither.
        (lambda page: page.replace("<svg", "<!-- <svg").replace("</svg>", "</svg> -->"), "the browser built no"),
        (lambda page: page.replace("<svg", "<template><svg").replace("</svg>", "</svg></template>"), "the browser"),
    ],
)
def test_the_browser_check_asks_for_the_chart_the_page_draws(built: Callable[[str], str], problem: str | None) -> None:
    page = report.render_html(Result(Verdict("x")), RUNS)
    found = screenshot.chart_problem(page, built(page))
    assert found == problem if problem is None else (found or "").startswith(problem)
    assert screenshot.chart_problem(report.render_html(Result(Verdict("x"))), "") is None  # no chart to ask for


def test_a_run_joins_the_history_with_its_verdict_counts_and_p95() -> None:
    v = Result(Verdict("x"))
    seen = {"requests": {"sent": 217}, "latency": {"p95_ms": 4.6}}
    assert history.entry(v, "2026-11-26", seen) == {
        "date": "2026-11-26",
        "verdict": "passed",
        "exit_status": PASSED,
        "requests": 217,
        "failures": 0,
        "changes": None,
        "p95_ms": 4.6,
    }
    assert json.dumps(history.entry(v, "2026-11-26", None))  # a run that could not be made: no p95
