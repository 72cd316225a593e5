"""A short history of runs against one endpoint (CPH_HISTORY names its file): each run's date, verdict, counts and
latency p95, the last MAX_RUNS of them; and the chart summary.html draws of it (inline SVG, no script).

The file lives where CPH_HISTORY says, not in the reports folder: a run clears its own reports first, and the
history must outlive runs (the live job keeps it, per region, in the Actions cache). The run reads it before it
starts (a file that is not a history of this format stops it, exit 2, untouched) and writes it back with this run
added, through a temporary file, so that an interrupted write never loses it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cph_conformance.run.report import atomic, stored
from cph_conformance.run.report.result import Result
from cph_conformance.run.verdict.verdict import CANNOT_RUN, DRIFT, PASSED

FILE = "cph-conformance history"
FORMAT = 1
MAX_RUNS = 30  # a month of daily runs
# The chart, in SVG user units: the plot area inside the margins.
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 16, 48
COLOURS = {PASSED: "#2e7d32", DRIFT: "#c62828", CANNOT_RUN: "#ef6c00"}


def load(path: Path) -> list[dict[str, Any]]:
    """The runs of the history at path, oldest first; [] when there is no file yet; stored.Unusable, naming
    CPH_HISTORY and the file, when this version cannot use it."""
    if not path.exists():
        return []
    what, advice = "a history of cph-conformance runs", "Name a new file: the run makes it."
    data = stored.read(path, "CPH_HISTORY", FILE, FORMAT, what, advice)
    if not isinstance(data.get("runs"), list):
        raise stored.Unusable(f"CPH_HISTORY={str(path)!r} is not {what}; it was left as it is. {advice}")
    return [run for run in data["runs"] if isinstance(run, dict)]


def entry(r: Result, date: str, observed: dict[str, Any] | None) -> dict[str, Any]:
    """This run, as the history keeps it (observed: what it observed; None when it could not be made)."""
    return {
        "date": date,
        "verdict": r.label,
        "exit_status": r.exit_status,
        "requests": observed["requests"]["sent"] if observed else 0,
        "failures": len(r.verdict.failures),
        "changes": len(r.changes.found) if r.changes is not None else None,
        "p95_ms": observed["latency"].get("p95_ms") if observed else None,
    }


def appended(runs: Sequence[dict[str, Any]], run: dict[str, Any]) -> list[dict[str, Any]]:
    """runs with run added, the last MAX_RUNS only."""
    return [*runs, run][-MAX_RUNS:]


def text(runs: Sequence[dict[str, Any]]) -> str:
    """The history file's text."""
    return json.dumps({"file": FILE, "format": FORMAT, "runs": list(runs)}, indent=1, ensure_ascii=False) + "\n"


def save(path: Path, runs: Sequence[dict[str, Any]]) -> None:
    """Write the history whole or not at all (atomic.py): a crash or a full disk leaves it as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, text(runs))


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    colour: str
    title: str  # what a browser shows on hover: the date, the verdict, p95
    measured: bool  # False: the run has no p95 (no answer); drawn on the axis, and not joined


@dataclass(frozen=True)
class Chart:
    points: tuple[Point, ...]
    line: str  # the polyline's points through the measured runs, "x,y x,y"
    top_ms: float  # the value at the top of the axis
    ticks: tuple[tuple[float, str], ...]  # (y, label) on the axis of p95
    first: str  # the first and last runs' dates, under the axis
    last: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: int = HEIGHT - BOTTOM
    right_x: int = WIDTH - RIGHT


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is value or more (the top of an axis)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 5.0, 10.0) if step * power >= value)


def chart(runs: Sequence[dict[str, Any]]) -> Chart | None:
    """The history as a chart: one point per run (its verdict's colour), at its p95; None without runs."""
    if not runs:
        return None
    measured = [run["p95_ms"] for run in runs if isinstance(run.get("p95_ms"), (int, float))]
    top = _nice_ceiling(max(measured, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / (len(runs) - 1) if len(runs) > 1 else 0.0
    points = []
    for n, run in enumerate(runs):
        p95 = run.get("p95_ms")
        p95 = float(p95) if isinstance(p95, (int, float)) else None
        x = LEFT + (n * step if len(runs) > 1 else plot_w / 2)
        y = TOP + plot_h * (1 - (p95 / top if p95 is not None else 0.0))
        shown = f"p95 {p95:g} ms" if p95 is not None else "no p95 (no answer)"
        status = run.get("exit_status")
        title = f"{run.get('date')}: {run.get('verdict')} (exit status {status}), {shown}"
        colour = COLOURS.get(status, "#555") if isinstance(status, int) else "#555"
        points.append(Point(round(x, 1), round(y, 1), colour, title, p95 is not None))
    ticks = tuple((round(TOP + plot_h * (1 - share), 1), f"{top * share:g} ms") for share in (0, 0.5, 1))
    return Chart(
        tuple(points),
        " ".join(f"{p.x},{p.y}" for p in points if p.measured),
        top,
        ticks,
        str(runs[0].get("date", "")),
        str(runs[-1].get("date", "")),
    )
