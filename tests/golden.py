"""Golden records of the reports: summary.md and junit.xml of one fixed run (the runner's seed, a little fuzzing, the
walk, the probes and the replays) against the mock with one fault, through the run's own pipeline in process. A
change of the reports' content shows here first, as a diff to read and keep deliberately:

    make golden    # rewrite them (python -m tests.golden)
"""

from __future__ import annotations

import sys
from pathlib import Path

from cph_conformance.run.report import summary as report
from cph_conformance.run.report.result import Result
from tests import inprocess

FOLDER = Path(__file__).parent / "golden_records"
FAULT = "pages-skip"  # each page after the first starts one image late: one cause, several checks broken
FILES = ("summary.md", "junit.xml")


def rendered() -> dict[str, str]:
    """The reports of the fixed run, as the run writes them (less its provenance: a date, a commit, a duration)."""
    result = Result(inprocess.verdict(FAULT, max_examples=3, phases=("fuzzing",)))
    return {"summary.md": report.render(result), "junit.xml": report.render_junit(result)}


def write() -> list[Path]:
    written = []
    for name, text in rendered().items():
        (FOLDER / name).write_text(text, encoding="utf-8")
        written.append(FOLDER / name)
    return written


if __name__ == "__main__":
    for path in write():
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}", file=sys.stderr)
