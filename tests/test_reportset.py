"""Report sets: each run's in a folder of its own, made visible whole by one atomic swap of a link; an earlier set
survives an exception, a kill -9 and a concurrent run; a folder the tool did not make is refused; the history keeps
every run's entry, and a full disk leaves it as it was."""

from __future__ import annotations

import errno
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cph_conformance.run.report import history, reportset
from cph_conformance.run.report.reportset import INCOMPLETE, REQUIRED, ReportsError, ReportSet
from tests import background

ARTIFACTS = ("junit.xml", "schemathesis-junit.xml", "cassette.yaml", "events.ndjson", "summary.md", "summary.html")


def complete_set(reports: Path, label: str) -> Path:
    """A set published with every required file saying label."""
    with ReportSet.open(reports, ARTIFACTS) as rs:
        for name in REQUIRED:
            rs.write_text(name, label)
        rs.publish()
    return rs.path


def shown(reports: Path) -> dict[str, str]:
    """What reports/ shows: each file's text."""
    return {p.name: p.read_text() for p in sorted(reports.iterdir())}


def test_publishing_shows_the_new_set_and_keeps_the_earlier(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    first = complete_set(reports, "first")
    assert reports.is_symlink() and shown(reports) == dict.fromkeys(REQUIRED, "first")
    second = complete_set(reports, "second")
    assert shown(reports) == dict.fromkeys(REQUIRED, "second")
    assert reportset.sets(reports) == [first, second]
    assert {p.name: p.read_text() for p in first.iterdir()} == dict.fromkeys(REQUIRED, "first")
    assert not os.readlink(reports).startswith("/")  # relative: the folder can be moved or mounted elsewhere


@pytest.mark.parametrize(
    ("files", "adopted"),
    [
        ({"summary.md": "old", "junit.xml": "old", "summary.png": "png"}, True),
        ({}, True),
        ({"summary.md": "old", "notes.txt": "mine"}, False),
        ({"thesis.tex": "mine"}, False),
    ],
)
def test_a_folder_of_the_tools_own_files_becomes_an_earlier_set_and_any_other_is_refused(
    tmp_path: Path, files: dict[str, str], adopted: bool
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    for name, text in files.items():
        (reports / name).write_text(text)
    if not adopted:
        with pytest.raises(ReportsError, match=r"CPH_REPORTS_DIR=.*holds files this tool did not write") as raised:
            ReportSet.open(reports, ARTIFACTS)
        assert "\n" not in str(raised.value)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]  # nothing made beside it
        assert shown(reports) == files
        return
    with ReportSet.open(reports, ARTIFACTS) as rs:
        assert reports.is_symlink() and shown(reports) == files  # the earlier set, still shown during the run
        for name in REQUIRED:
            rs.write_text(name, "new")
        rs.publish()
    (earlier,) = [p for p in reportset.sets(reports) if p != rs.path]
    assert earlier.name.endswith("-earlier")
    assert {p.name: p.read_text() for p in earlier.iterdir()} == files


@pytest.mark.parametrize("kind", ["file", "link elsewhere"])
def test_what_is_not_a_folder_of_report_sets_is_refused(tmp_path: Path, kind: str) -> None:
    reports = tmp_path / "reports"
    if kind == "file":
        reports.write_text("mine")
    else:
        (tmp_path / "elsewhere").mkdir()
        reports.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ReportsError, match="CPH_REPORTS_DIR"):
        ReportSet.open(reports, ARTIFACTS)
    assert reports.is_symlink() == (kind != "file")


def test_an_exception_leaves_the_shown_set_as_it_was_and_says_why_in_its_own(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    complete_set(reports, "earlier")
    with pytest.raises(RuntimeError), ReportSet.open(reports, ARTIFACTS) as rs:
        rs.write_text("summary.md", "half")
        raise RuntimeError("the endpoint's answer broke the run")
    assert shown(reports) == dict.fromkeys(REQUIRED, "earlier")
    said = (rs.path / INCOMPLETE).read_text()
    assert "RuntimeError: the endpoint's answer broke the run" in said


def test_a_set_without_its_required_files_is_not_published(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    complete_set(reports, "earlier")
    with ReportSet.open(reports, ARTIFACTS) as rs:
        rs.write_text("summary.md", "only this")
        with pytest.raises(ReportsError, match=r"lacks summary\.html, junit\.xml"):
            rs.publish()
    assert shown(reports) == dict.fromkeys(REQUIRED, "earlier")
    assert (rs.path / INCOMPLETE).exists()


def test_readers_always_see_one_complete_set(tmp_path: Path) -> None:
    """While sets are published one after the other, reports/ always opens as one set, with every file of it."""
    reports = tmp_path / "reports"
    complete_set(reports, "0")
    done, seen, broken = threading.Event(), set(), list[object]()

    def read() -> None:
        while not done.is_set():
            try:
                folder = os.open(reports, os.O_RDONLY | os.O_DIRECTORY)  # one set, whatever is published meanwhile
            except OSError as exc:
                broken.append(exc)
                continue
            try:
                labels = set()
                for name in REQUIRED:
                    handle = os.open(name, os.O_RDONLY, dir_fd=folder)
                    labels.add(os.read(handle, 100).decode())
                    os.close(handle)
                if len(labels) != 1:
                    broken.append(labels)
                seen.update(labels)
            except OSError as exc:
                broken.append(exc)
            finally:
                os.close(folder)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        n, deadline = 0, time.monotonic() + 10  # and on, until the reader has seen a swap (a held-up reader may not)
        while n < 19 or (len(seen) < 2 and time.monotonic() < deadline):
            n += 1
            complete_set(reports, str(n))
    finally:
        done.set()
        reader.join(10)
    assert broken == []
    assert len(seen) > 1  # the reader saw the swaps happen


def test_a_full_disk_leaves_the_history_and_the_shown_set_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports, kept = tmp_path / "reports", tmp_path / "history.json"
    complete_set(reports, "earlier")
    history.save(kept, [{"date": "2026-12-01", "verdict": "passed"}])
    before = kept.read_bytes()

    def full(handle: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with ReportSet.open(reports, ARTIFACTS) as rs:
        monkeypatch.setattr(os, "write", full)
        with pytest.raises(ReportsError, match="No space left on device") as raised:
            reportset.update_history(kept, lambda runs: [*runs, {"date": "2026-12-02"}])
        assert "CPH_HISTORY" in str(raised.value) and "\n" not in str(raised.value)
        with pytest.raises(ReportsError, match=r"No space left on device.*still shows the earlier reports"):
            rs.write_text("summary.md", "x" * 10_000)
        monkeypatch.undo()
    assert kept.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".history.json.lock", "history.json", "reports", "reports.d"]
    assert shown(reports) == dict.fromkeys(REQUIRED, "earlier")


def test_a_run_that_holds_the_lock_too_long_is_named(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    complete_set(reports, "earlier")
    with ReportSet.open(reports, ARTIFACTS) as rs:
        for name in REQUIRED:
            rs.write_text(name, "new")
        with (
            reportset.locked(reportset.sets_folder(reports) / reportset.LOCK, "holds it"),
            pytest.raises(ReportsError, match=f"another run \\(pid {os.getpid()}\\)"),
        ):
            rs.publish(wait=0.2)
        rs.publish()
    assert shown(reports) == dict.fromkeys(REQUIRED, "new")


def test_the_history_is_read_changed_and_written_under_its_lock(tmp_path: Path) -> None:
    kept = tmp_path / "history.json"
    runs = reportset.update_history(kept, lambda runs: [*runs, {"date": "1"}])
    runs = reportset.update_history(kept, lambda runs: history.appended(runs, {"date": "2"}))
    assert [r["date"] for r in runs] == ["1", "2"] == [r["date"] for r in history.load(kept)]


# --- other processes: a kill -9 in the middle, two runs at once (in the background: each starts Python) ----------

WRITES_THEN_WAITS = """
import sys, time
from pathlib import Path
from cph_conformance.run.report.reportset import ReportSet
with ReportSet.open(Path(sys.argv[1]), ()) as rs:
    rs.write_text("summary.md", "the killed run")
    print(rs.path, flush=True)
    time.sleep(60)
"""
PUBLISHES_IN_A_LOOP = """
import sys
from pathlib import Path
from cph_conformance.run.report.reportset import REQUIRED, ReportSet
for n in range(10_000):
    with ReportSet.open(Path(sys.argv[1]), ()) as rs:
        for name in REQUIRED:
            rs.write_text(name, "x" * 50_000)
        rs.publish()
    print(n, flush=True)
"""
ONE_RUN = """
import sys, time
from pathlib import Path
from cph_conformance.run.report import reportset
reports, kept, label, go = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
with reportset.ReportSet.open(reports, ()) as rs:
    while not go.exists():
        time.sleep(0.01)
    for name in reportset.REQUIRED:
        rs.write_text(name, label)

    def change(runs):
        time.sleep(0.3)  # long enough that the other run reads the history meanwhile, but for the lock
        return [*runs, {"date": label}]

    reportset.update_history(kept, change)
    rs.publish()
print(rs.path)
"""


def _killed(folder: Path) -> dict[str, Any]:
    """An earlier set; a run killed (-9) after writing a file of its own; then a run publishing in a loop, killed at
    five moments, with what reports/ showed after each."""
    reports = folder / "reports"
    earlier = complete_set(reports, "earlier")
    with background.python(WRITES_THEN_WAITS, str(reports)) as child, background.tracked(child):
        assert child.stdout is not None
        killed = Path(child.stdout.readline().strip())
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(10)
    after_kill = shown(reports)
    states = []
    # Each kill lands in the loop: after its first set is published (however long a loaded machine took to start
    # it), at five moments of the publishing that follows.
    for delay in (0.0, 0.02, 0.05, 0.1, 0.2):
        background.stop_if_ended()
        with background.python(PUBLISHES_IN_A_LOOP, str(reports)) as child, background.tracked(child):
            assert child.stdout is not None
            child.stdout.readline()
            time.sleep(delay)
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(10)
        states.append(sorted(shown(reports)))
    return {"earlier": earlier, "killed": killed, "after_kill": after_kill, "states": states, "reports": reports}


def _two_at_once(folder: Path) -> dict[str, Any]:
    reports, kept, go = folder / "reports", folder / "history.json", folder / "go"
    children = [background.python(ONE_RUN, str(reports), str(kept), label, str(go)) for label in ("A", "B")]
    time.sleep(0.5)  # both have started and opened their sets
    go.touch()
    paths = []
    for child in children:
        with child, background.tracked(child):
            out, _ = child.communicate(timeout=60)
            paths.append((child.returncode, Path(out.strip())))
    return {"reports": reports, "history": history.load(kept), "paths": paths}


def _other_processes(folder: Path) -> dict[str, Any]:
    """Both cases, side by side (one background job: the session's pool of jobs is small)."""
    (folder / "killed").mkdir()
    (folder / "two").mkdir()
    with ThreadPoolExecutor(2) as pool:
        killed = pool.submit(_killed, folder / "killed")
        two = pool.submit(_two_at_once, folder / "two")
        return {"killed": killed.result(), "two_at_once": two.result()}


BACKGROUND = {"other_processes": _other_processes}
other_processes = background.fixture(__name__, "other_processes")


def test_a_kill_9_mid_write_leaves_the_earlier_set_shown_and_its_own_marked(other_processes: dict[str, Any]) -> None:
    killed = other_processes["killed"]
    assert killed["after_kill"] == dict.fromkeys(REQUIRED, "earlier")
    assert (killed["killed"] / "summary.md").read_text() == "the killed run"
    assert "has not finished" in (killed["killed"] / INCOMPLETE).read_text()
    assert {p.name: p.read_text() for p in killed["earlier"].iterdir()} == dict.fromkeys(REQUIRED, "earlier")


def test_a_kill_9_at_any_moment_leaves_a_complete_set_shown(other_processes: dict[str, Any]) -> None:
    killed = other_processes["killed"]
    assert killed["states"] == [sorted(REQUIRED)] * 5
    assert os.readlink(killed["reports"]) != str(killed["earlier"])  # the loops got as far as publishing


def test_two_runs_at_once_each_keep_their_set_and_their_history_entry(other_processes: dict[str, Any]) -> None:
    two_at_once = other_processes["two_at_once"]
    (status_a, set_a), (status_b, set_b) = two_at_once["paths"]
    assert (status_a, status_b) == (0, 0)
    assert sorted(r["date"] for r in two_at_once["history"]) == ["A", "B"]
    assert {p.name: p.read_text() for p in set_a.iterdir()} == dict.fromkeys(REQUIRED, "A")
    assert {p.name: p.read_text() for p in set_b.iterdir()} == dict.fromkeys(REQUIRED, "B")
    assert shown(two_at_once["reports"]) in (dict.fromkeys(REQUIRED, "A"), dict.fromkeys(REQUIRED, "B"))
