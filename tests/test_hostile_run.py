"""End to end, as users run it: `.ci/conformance` against each flavour of tests/hostile_service.py, and what issue 24
says is done when: every run ends within its deadline, under 1 GB of memory, with exit status 1 or 2 by cause (never
0 on answers it could not judge, never 1 for the tool's own error), writes a complete, well-formed report set, shows
the endpoint's text as text, and nothing it writes holds the secret, in any encoding; a kill -9 or a concurrent run
loses no earlier report set or history entry and leaves no child running.

Minutes of work: marked `hostile` and skipped unless CPH_TEST_HOSTILE=1 (once the run's pipeline bounds what it
reads). The runs go in the background, RUNS_AT_ONCE at a time; each is killed, and says so, past HARD_STOP seconds or
KILL_ABOVE bytes of memory, so that a run that does not bound itself cannot take the machine with it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from markdown_it import MarkdownIt

from cph_conformance import children
from cph_conformance.run.transport.credential import NEAR_MISSES
from cph_conformance.spec import ROOT
from tests import background, hostile_service, leaks, polling

ENABLED = os.environ.get("CPH_TEST_HOSTILE") == "1"
pytestmark = [
    pytest.mark.hostile,
    pytest.mark.skipif(not ENABLED, reason="end-to-end hostile runs take minutes: set CPH_TEST_HOSTILE=1"),
]


# The settings these runs use, by the names the settings table gives them (in one place).
DEADLINE_VARIABLE = "CPH_DEADLINE"  # the whole run's wall-clock budget, in seconds (issue 24, item 2)
MAX_EXAMPLES, RATE_LIMIT = "CPH_MAX_EXAMPLES", "CPH_RATE_LIMIT"
REPORTS_DIR, HISTORY, STEP_SUMMARY = "CPH_REPORTS_DIR", "CPH_HISTORY", "GITHUB_STEP_SUMMARY"
DEADLINE = 60  # seconds each run gets
MARGIN = 30  # seconds a run may take beyond it: start-up, the reports
HARD_STOP = DEADLINE + MARGIN + 30  # killed past this
LEFT_WITHIN = 30  # seconds what a run started has to end after it
KILLED_AFTER = 8  # seconds: a run paced at 5 requests a second is then in the middle of its requests
MEMORY_LIMIT = 1 << 30  # bytes: the bound
KILL_ABOVE = 3 << 29  # 1.5 GiB: past this the run is killed
RUNS_AT_ONCE = 2
REPORTS = ("summary.md", "summary.html", "junit.xml")
# What each flavour's run must end with: 0 passed, 1 drift found, 2 the run could not be made or is inconclusive.
EXPECTED: dict[str, set[int]] = {
    "plain": {0},  # the control: a valid service passes
    "echo-token": {0},  # valid answers; the echo is masked and warned about
    "echo-refused": {2},  # every request refused: the credential is refused
    "echo-aksk": {0},
    "endless": {1, 2},  # larger than any page the spec allows (drift), or no answer in time (inconclusive)
    "huge": {1},  # a page larger than any the spec allows is drift
    "deep": {1, 2},  # undecodable within the depth bound
    "drip": {2},  # no answer within the time per answer: unanswered
    "drip-head": {2},  # the same, however slowly its status line and headers come
    "lone-surrogate": {1},  # no JSON text UTF-8 can carry: drift (client_reads), never an error of the run's
    "short-body": {2},
    "redirect-loop": {1, 2},  # a 3xx is an answer to judge; the preflight may find the endpoint unusable
    "throttle-forever": {2},  # Retry-After beyond the time left ends the run at once
    "false-gzip": {1},  # a body that is not what its headers say is drift
    "markup": {0, 1},
    "markup-refused": {2},
}
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
# What the hostile text would become if rendered as Markdown: HTML, an image, a link to it, its heading.
SERVER_MARKUP = re.compile(r'<script|<img|<a href="http://127\.0\.0\.1:9|<h[1-6]>heading', re.IGNORECASE)
_AT_ONCE = threading.Semaphore(RUNS_AT_ONCE)


@dataclass
class Run:
    flavour: str
    folder: Path
    status: int | None  # None: killed
    seconds: float
    peak_bytes: int  # the largest sum of the resident memory of the run's processes, sampled
    killed_because: str = ""
    out: str = ""
    err: str = ""
    secrets: list[str] = field(default_factory=list, repr=False)
    left_running: list[int] = field(default_factory=list)  # processes the run started, alive after it ended

    @property
    def reports(self) -> Path:
        return self.folder / "reports"

    def written(self) -> list[Path]:
        """Everything the run wrote: the report sets (all of them), the history, the step summary."""
        found = [p for p in self.folder.rglob("*") if p.is_file() and not p.name.startswith("console.")]
        return sorted(found)


def _processes() -> dict[int, tuple[int, str, int]]:
    """Every live process: its parent, its start time (to tell a reused pid) and its resident memory in bytes."""
    found = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if fields[0] not in ("Z", "X"):
                    found[int(entry)] = (int(fields[1]), fields[19], int(fields[21]) * page)
    return found


def descendants(root: int, table: dict[int, tuple[int, str, int]]) -> set[int]:
    """root and every process under it, whatever session it started."""
    found, added = {root}, True
    while added:
        added = False
        for pid, (parent, _, _) in table.items():
            if parent in found and pid not in found:
                found.add(pid)
                added = True
    return found & table.keys()


def environment(service: hostile_service.Service, folder: Path) -> dict[str, str]:
    credential = {"CPH_AK": service.ak, "CPH_SK": service.sk} if service.ak else {"CPH_AUTH_TOKEN": service.token}
    return {
        **{k: v for k, v in background.ENVIRONMENT.items() if not k.startswith("CPH_")},
        "CPH_BASE_URL": service.base_url,
        "CPH_PROJECT_ID": service.project_id,
        **credential,
        DEADLINE_VARIABLE: str(DEADLINE),
        MAX_EXAMPLES: "5",
        RATE_LIMIT: "1000/s",
        REPORTS_DIR: str(folder / "reports"),
        HISTORY: str(folder / "history.json"),
        STEP_SUMMARY: str(folder / "step-summary.md"),
    }


def secrets_of(service: hostile_service.Service) -> list[str]:
    """The credential, its near misses (the probes send them) and the signatures of it that reached the service."""
    if not service.ak:
        return [service.token, *(miss.make(service.token) for miss in NEAR_MISSES.values())]
    found = {service.ak, service.sk}
    for seen in service.credentials_seen:
        signature = re.search(r"Access=(\w+),.*Signature=([0-9a-fA-F]+)", seen)
        if signature and signature.group(1) == service.ak:
            found.add(signature.group(2))
    return sorted(found)


def conformance(
    service: hostile_service.Service,
    folder: Path,
    name: str = "run",
    kill_after: float | None = None,
    extra: dict[str, str] | None = None,
) -> Run:
    """.ci/conformance against service, watched: its time, its memory, killed past HARD_STOP or KILL_ABOVE (or with
    SIGKILL after kill_after seconds, as a user's kill -9 would)."""
    folder.mkdir(parents=True, exist_ok=True)
    out, err = folder / f"console.{name}.out", folder / f"console.{name}.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        started = time.monotonic()
        proc = subprocess.Popen(
            [str(ROOT / ".ci" / "conformance")],
            env={**environment(service, folder), **(extra or {})},
            stdout=stdout,
            stderr=stderr,
            cwd=folder,
            start_new_session=True,
            text=True,
        )
        children.keep_priority(proc.pid)
        peak, why, seen = 0, "", dict[int, str]()
        with background.tracked(proc):
            while proc.poll() is None:
                elapsed = time.monotonic() - started
                table = _processes()
                tree = descendants(proc.pid, table)
                seen |= {pid: table[pid][1] for pid in tree}
                peak = max(peak, sum(table[pid][2] for pid in tree))
                if kill_after is not None and elapsed > kill_after:
                    why = "kill -9, as a user's"
                    os.kill(proc.pid, signal.SIGKILL)  # the runner alone: what it started must end by itself
                elif elapsed > HARD_STOP:
                    why = f"still running after {HARD_STOP} s"
                elif peak > KILL_ABOVE:
                    why = f"using {peak / 2**20:.0f} MiB"
                if why:
                    _kill(proc.pid, seen, the_tree=kill_after is None)
                    proc.wait(30)
                    break
                time.sleep(0.2)
            seconds = time.monotonic() - started
            # What the run started has its time to end: a guard's grace is 3 s after its parent dies; a loaded
            # machine takes longer. Looked at until none is left, within a bound a healthy end never nears.
            polling.until(lambda: not _alive(seen), LEFT_WITHIN, every=0.2)
            left = _alive(seen)
            _kill(proc.pid, {pid: seen[pid] for pid in left}, the_tree=True)
    return Run(
        service.flavour,
        folder,
        None if why else proc.returncode,
        seconds,
        peak,
        why,
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
        secrets_of(service),
        left,
    )


def _alive(seen: dict[int, str]) -> list[int]:
    """The processes seen (by pid and start time) that are still running."""
    table = _processes()
    return sorted(pid for pid, start in seen.items() if pid in table and table[pid][1] == start)


def _kill(root: int, seen: dict[int, str], the_tree: bool) -> None:
    for pid in [root, *seen] if the_tree else [root]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _against(flavour: str) -> Any:
    def run(folder: Path) -> Run:
        with _AT_ONCE, hostile_service.serving(flavour) as service:
            background.stop_if_ended()
            return conformance(service, folder)

    return run


def _killed_mid_run(folder: Path) -> dict[str, Any]:
    """A complete run against the plain flavour, then another killed (-9) mid-run: paced at the live rate, it is
    still sending requests after KILLED_AFTER seconds (the test fails if it had ended: nothing would be shown)."""
    with _AT_ONCE:
        with hostile_service.serving("plain") as service:
            first = conformance(service, folder)
            shown_before = {p.name: p.read_bytes() for p in first.reports.iterdir()} if first.reports.is_dir() else {}
            live_pace = {"CPH_RATE_LIMIT": "5/s"}
            killed = conformance(service, folder, "killed", kill_after=KILLED_AFTER, extra=live_pace)
        shown_after = {p.name: p.read_bytes() for p in first.reports.iterdir()} if first.reports.is_dir() else {}
        history = (folder / "history.json").read_text() if (folder / "history.json").exists() else ""
    return {"first": first, "killed": killed, "before": shown_before, "after": shown_after, "history": history}


def _two_at_once(folder: Path) -> dict[str, Any]:
    """Two runs against the plain flavour at the same time, on the same reports folder and history."""
    with _AT_ONCE, hostile_service.serving("plain") as service:
        results: list[Run] = []
        threads = [
            threading.Thread(target=lambda name=name: results.append(conformance(service, folder, name)))
            for name in ("first", "second")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    history = (folder / "history.json").read_text() if (folder / "history.json").exists() else ""
    return {"runs": results, "history": history, "folder": folder}


BACKGROUND = (
    {
        "runs": {flavour: _against(flavour) for flavour in EXPECTED},
        "killed_mid_run": _killed_mid_run,
        "two_at_once": _two_at_once,
    }
    if ENABLED
    else {}
)
runs = background.fixture(__name__, "runs")
killed_mid_run = background.fixture(__name__, "killed_mid_run")
two_at_once = background.fixture(__name__, "two_at_once")
FLAVOURS = list(EXPECTED)


def said(run: Run) -> str:
    return f"{run.flavour}: exit {run.status}, {run.seconds:.0f} s {run.killed_because}\n{run.err[-2000:]}"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_run_ends_within_its_deadline(runs: dict[str, Run], flavour: str) -> None:
    run = runs[flavour]
    assert run.killed_because == "" and run.seconds <= DEADLINE + MARGIN, said(run)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_exit_status_says_why(runs: dict[str, Run], flavour: str) -> None:
    run = runs[flavour]
    assert run.status in EXPECTED[flavour], said(run)
    assert "Traceback (most recent call last)" not in run.out + run.err, said(run)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_report_set_is_complete_and_well_formed(runs: dict[str, Run], flavour: str) -> None:
    run = runs[flavour]
    assert all((run.reports / name).is_file() for name in REPORTS), said(run)
    ElementTree.fromstring((run.reports / "junit.xml").read_bytes())  # noqa: S314  (parses: well-formed)
    assert "</html>" in (run.reports / "summary.html").read_text()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_nothing_written_holds_the_secret(runs: dict[str, Run], flavour: str) -> None:
    run = runs[flavour]
    found = {}
    for n, secret in enumerate(run.secrets):  # named by number: a message never shows one
        for path, forms in leaks.in_files(run.written(), secret).items():
            found[f"secret {n} in {Path(path).relative_to(run.folder)}"] = forms
        if leaks.copies(run.out + run.err, secret):
            found[f"secret {n} on the console"] = leaks.copies(run.out + run.err, secret)
    assert found == {}, f"{flavour}: " + "; ".join(f"{where} ({', '.join(forms)})" for where, forms in found.items())


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_endpoints_text_is_shown_as_text(runs: dict[str, Run], flavour: str) -> None:
    run = runs[flavour]
    markdown = [p for p in (run.reports / "summary.md", run.folder / "step-summary.md") if p.is_file()]
    for path in markdown:
        html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(path.read_text())
        assert not SERVER_MARKUP.search(html), path
    assert not CONTROL.search(run.out + run.err)
    page = (run.reports / "summary.html").read_text() if (run.reports / "summary.html").is_file() else ""
    assert "<script>alert" not in page and "<img src=x" not in page


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_run_stays_under_1_gb(runs: dict[str, Run], flavour: str) -> None:
    assert runs[flavour].peak_bytes < MEMORY_LIMIT, said(runs[flavour])


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_no_child_is_left_running(runs: dict[str, Run], flavour: str) -> None:
    assert runs[flavour].left_running == [], said(runs[flavour])


def test_a_kill_9_mid_run_loses_no_earlier_set_or_history_entry(killed_mid_run: dict[str, Any]) -> None:
    first, killed = killed_mid_run["first"], killed_mid_run["killed"]
    assert first.status == 0, said(first)
    assert killed.killed_because == "kill -9, as a user's" and killed.status is None, said(killed)  # it was mid-run
    assert killed_mid_run["after"] == killed_mid_run["before"] != {}
    assert killed_mid_run["history"].count('"date"') == 1
    assert killed.left_running == [], said(killed)


def test_two_runs_at_once_keep_both_sets_and_both_history_entries(two_at_once: dict[str, Any]) -> None:
    runs_ = two_at_once["runs"]
    assert [r.status for r in runs_] == [0, 0], [said(r) for r in runs_]
    assert two_at_once["history"].count('"date"') == 2
    sets = [p for p in (two_at_once["folder"] / "reports.d").iterdir() if p.is_dir()]
    assert len([s for s in sets if all((s / name).is_file() for name in REPORTS)]) >= 2
