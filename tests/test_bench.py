"""make bench writes to an ignored folder and marks each target met or missed; BENCHMARKS.md changes only through
make bench-record. No measurement runs here (make bench takes minutes): its parts are checked in process."""

from __future__ import annotations

import operator
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cph_conformance.bench import __main__ as bench
from cph_conformance.spec import ROOT

# (measured, limit, side, met)
TARGETS = [
    (5.3, 5.0, operator.ge, True),
    (4.6, 5.0, operator.ge, False),
    (1.44, 1.8, operator.le, True),
    (1.9, 1.8, operator.le, False),
]


@pytest.mark.parametrize(("measured", "limit", "side", "met"), TARGETS)
def test_each_target_is_marked_met_or_missed(
    measured: float, limit: float, side: Callable[[float, float], bool], met: bool
) -> None:
    target = bench.Target("x", measured, limit, side)
    assert target.met is met
    assert target.row().endswith("| met |" if met else "| **missed** |")


def test_the_table_says_how_many_targets_were_missed() -> None:
    kept, missed = bench.Target("a", 0.1, 0.15, operator.le, "%"), bench.Target("b", 0.2, 0.15, operator.le, "%")
    assert bench.targets_table([kept])[0] == "**every target met.**"
    assert bench.targets_table([kept, missed])[0] == "**1 of 2 targets missed.**"
    assert "| b | 20% | at most 15% | **missed** |" in bench.targets_table([kept, missed])


def test_a_run_writes_into_an_ignored_folder_never_the_committed_file() -> None:
    assert bench.OUT != bench.RECORD and bench.RECORD == ROOT / "BENCHMARKS.md"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(bench.OUT)], cwd=ROOT, check=False)
    tracked = subprocess.run(["git", "check-ignore", "-q", str(bench.RECORD)], cwd=ROOT, check=False)
    assert (ignored.returncode, tracked.returncode) == (0, 1)


def test_recording_copies_the_last_result_and_refuses_without_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, committed = tmp_path / "BENCHMARKS.md", tmp_path / "committed.md"
    committed.write_text("old\n")
    assert bench.record(out, committed) == 2
    assert "run make bench first" in capsys.readouterr().out and committed.read_text() == "old\n"
    out.write_text("new\n")
    assert bench.record(out, committed) == 0
    assert committed.read_text() == "new\n"
