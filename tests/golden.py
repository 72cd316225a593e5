"""Golden records of the reports: summary.md and junit.xml of one fixed run (the runner's seed, a little fuzzing, the
walk, the probes and the replays) against the mock with one fault, through the run's own pipeline in process. A
change of the reports' content shows here first, as a diff to read and keep deliberately:

    make golden    # rewrite them (python -m tests.golden)
"""

from __future__ import annotations

import sys
from pathlib import Path

from cph_conformance.run.report import provenance
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.result import Result
from tests import inprocess

FOLDER = Path(__file__).parent / "golden_records"
FAULT = "pages-skip"  # each page after the first starts one image late: one cause, several checks broken
FILES = ("summary.md", "junit.xml")


def result() -> Result:
    """The fixed run's result, as the run makes it against the mock it starts (less its provenance: a date, a
    commit, a duration): the run's quick one (inprocess.quick_run), which other tests share."""
    mock = provenance.mock_of({"CPH_MOCK_FAULT": FAULT}, live=False)
    return Result(inprocess.quick_run(FAULT), about=provenance.About(mock=mock))


def rendered() -> dict[str, str]:
    """The reports of the fixed run, as the run writes them."""
    made = result()
    return {"summary.md": report.render(made), "junit.xml": report.render_junit(made)}


def write() -> list[Path]:
    written = []
    for name, text in rendered().items():
        (FOLDER / name).write_text(text, encoding="utf-8")
        written.append(FOLDER / name)
    return written


if __name__ == "__main__":
    for path in write():
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}", file=sys.stderr)
