"""Children end with the run: a kill -9 of the process that started them (directly, through the guard, from a thread
that has ended, the mock) leaves none alive a few seconds later; stop() ends one that ignores SIGTERM; the guard is
transparent; and no child gets a credential in its environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from cph_conformance import children
from tests import background

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads the process table in /proc")
ENDS_WITHIN = 8.0  # seconds: the guard's grace is 3
SECRET = "MIIT-a-token-value-0123456789"  # noqa: S105  (a test value)


@pytest.mark.parametrize(
    ("name", "value", "kept"),
    [
        *((name, SECRET, False) for name in children.CREDENTIALS),
        ("MY_COPY_OF_THE_TOKEN", f"Bearer {SECRET}", False),
        ("PATH", "/usr/bin:/bin", True),
        ("CPH_BASE_URL", "https://cph.example", True),
        ("CPH_PROJECT_ID", "0123456789abcdef0123456789abcdef", True),
        ("HTTPS_PROXY", "http://proxy:3128", True),
    ],
)
def test_a_childs_environment_holds_no_credential(name: str, value: str, kept: bool) -> None:
    env = children.environment({name: value, "HOME": "/home/x"}, secrets=[SECRET])
    assert (name in env) == kept
    assert env["HOME"] == "/home/x"
    assert not any(SECRET in v for v in env.values())


def test_the_settings_marked_secret_are_all_left_out() -> None:
    assert {"CPH_AUTH_TOKEN", "CPH_AK", "CPH_SK", "CPH_SECURITY_TOKEN", "CPH_IAM_PASSWORD"} <= set(children.CREDENTIALS)
    assert "CPH_MOCK_TOKEN" in children.CREDENTIALS and "CPH_BASE_URL" not in children.CREDENTIALS


# --- real process trees (in the background: each starts Python) -------------------------------------------------


def group(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            state, _, pgrp = stat.rsplit(")", 1)[1].split()[:3]
            if int(pgrp) == pgid and state not in ("Z", "X"):
                found.append(int(entry))
    return found


def gone_after(pgid: int) -> float | None:
    """Seconds until no process of the group is alive, None if some still is after ENDS_WITHIN."""
    started = time.monotonic()
    while time.monotonic() - started < ENDS_WITHIN:
        if not group(pgid):
            return time.monotonic() - started
        time.sleep(0.05)
    return None


STARTS_A_CHILD = """
import sys, threading, time
from cph_conformance import children
how = sys.argv[1]
command = [sys.executable, "-c", "import time; time.sleep(120)"]
def spawn():
    proc = children.start(command, children.environment(), guard=True if how == "guard" else None)
    print(proc.pid, children.uses_guard(), flush=True)
if how == "thread":
    thread = threading.Thread(target=spawn)
    thread.start()
    thread.join()  # the thread that started the child has ended; the process goes on
else:
    spawn()
time.sleep(120)
"""
STARTS_THE_MOCK = """
import time
from cph_conformance.mock import server
with server.running(images=3) as mock:
    print(mock.pid, mock.base_url, flush=True)
    time.sleep(120)
"""


def _killed_parent(how: str) -> dict[str, Any]:
    with background.python(STARTS_A_CHILD, how) as parent, background.tracked(parent):
        assert parent.stdout is not None
        pid, guarded = parent.stdout.readline().split()
        time.sleep(1.0)  # long enough for a wrong parent-death signal (the thread's) to have fired
        alive_before = len(group(int(pid)))
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
    return {"guarded": guarded == "True", "alive_before": alive_before, "gone_after": gone_after(int(pid))}


def _killed_mock_parent(folder: Path) -> dict[str, Any]:
    with background.python(STARTS_THE_MOCK) as parent, background.tracked(parent):
        assert parent.stdout is not None
        pid, base_url = parent.stdout.readline().split()
        answered = httpx.get(base_url + "/", timeout=5, trust_env=False).status_code
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
    gone = gone_after(int(pid))
    try:
        httpx.get(base_url + "/", timeout=2, trust_env=False)
        listening = True
    except httpx.TransportError:
        listening = False
    return {"answered": answered, "gone_after": gone, "listening": listening}


def _stopped(folder: Path) -> dict[str, Any]:
    """stop() of a child that ignores SIGTERM; the guard's exit status and streams."""
    stubborn = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "print('ready', flush=True); time.sleep(60)"]  # fmt: skip
    found: dict[str, Any] = {}
    for how in ("direct", "guard"):
        with children.running(stubborn, children.environment(), guard=how == "guard", stdout=subprocess.PIPE) as proc:
            assert proc.stdout is not None
            proc.stdout.readline()
            started = time.monotonic()
            found[f"{how} status"] = children.stop(proc, grace=0.3)
            found[f"{how} seconds"] = time.monotonic() - started
            found[f"{how} gone after"] = gone_after(proc.pid)  # a SIGKILL is delivered, not done, when kill() returns
    with children.running(
        [sys.executable, "-c", "import sys; print('said'); sys.exit(3)"],
        children.environment(),
        guard=True,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        found["guard output"], _ = proc.communicate(timeout=10)
        found["guard exit"] = proc.returncode
    return found


def _process_trees(folder: Path) -> dict[str, Any]:
    """Each case above, side by side (one background job: the session's pool of jobs is small)."""
    cases: dict[str, Callable[[], Any]] = {
        "direct": lambda: _killed_parent("direct"),
        "guard": lambda: _killed_parent("guard"),
        "thread": lambda: _killed_parent("thread"),
        "mock": lambda: _killed_mock_parent(folder),
        "stopped": lambda: _stopped(folder),
    }
    with ThreadPoolExecutor(len(cases)) as pool:
        futures = {name: pool.submit(case) for name, case in cases.items()}
        return {name: future.result() for name, future in futures.items()}


BACKGROUND = {"process_trees": _process_trees}
process_trees = background.fixture(__name__, "process_trees")


@pytest.mark.parametrize(("how", "guarded"), [("direct", False), ("guard", True), ("thread", True)])
def test_a_kill_9_of_the_parent_ends_the_child_within_seconds(
    process_trees: dict[str, Any], how: str, guarded: bool
) -> None:
    found = process_trees[how]
    assert found["guarded"] == guarded or how == "guard"  # a thread's child is always guarded
    assert found["alive_before"] >= 1  # alive while its parent was, even after the starting thread ended
    assert found["gone_after"] is not None


def test_a_kill_9_of_the_runner_ends_its_mock_and_frees_its_port(process_trees: dict[str, Any]) -> None:
    found = process_trees["mock"]
    assert found["answered"] == 404
    assert found["gone_after"] is not None and not found["listening"]


@pytest.mark.parametrize("how", ["direct", "guard"])
def test_stop_ends_a_child_that_ignores_sigterm(process_trees: dict[str, Any], how: str) -> None:
    # Killed by stop()'s SIGKILL to the group: a guard that ended the command itself (its fallback, once the pipe
    # closes) would exit with 137, not be killed; a stop() that never sent it would wait out the child's 60 s sleep.
    # No bound in tenths of a second: a loaded CI machine takes a second or more to reap a killed Python.
    assert process_trees["stopped"][f"{how} status"] == -signal.SIGKILL
    assert process_trees["stopped"][f"{how} gone after"] is not None
    assert process_trees["stopped"][f"{how} seconds"] < 0.3 + ENDS_WITHIN


def test_the_guard_passes_the_childs_output_and_exit_status_through(process_trees: dict[str, Any]) -> None:
    assert (process_trees["stopped"]["guard output"], process_trees["stopped"]["guard exit"]) == ("said\n", 3)


# The parent sets the group's nice once the child is started: the child reads it until it is set (2 s at most).
SHOWS_ITS_NICE = """
import time
for _ in range(1000):  # up to 10 s: its parent may wait its turn for the kernel's changes of a group's nice
    nice = open("/proc/self/autogroup").read().split()[-1]
    if nice != "0":
        break
    time.sleep(0.01)
print(nice)
"""
NICED_PARENT = """
import os, subprocess, sys
from cph_conformance import children
os.nice(7)  # as `nice` or a test suite's background thread leaves it
# Where tests do not run as root (CI), the kernel takes one change of a group's nice per 100 ms from all processes,
# and the suite's background children take their share: more tries than a run needs, so that the test waits its turn.
children.AUTOGROUP_TRIES = 50
show = [sys.executable, "-c", sys.argv[2]]
with children.running(show, children.environment(), guard=sys.argv[1] == "guard", stdout=subprocess.PIPE) as child:
    print(child.communicate()[0].decode().strip())
"""


@pytest.mark.waits  # on two Pythons, at the session's nice 0, beside the other tests
@pytest.mark.parametrize("how", ["direct", "guard"])
def test_a_child_in_a_session_of_its_own_keeps_its_parents_priority(how: str) -> None:
    """A new session is a new scheduling group, at nice 0 unless start() says otherwise: then a niced run's mock and
    schemathesis would take the CPU from everything else as if the run had not been niced. (The parent tries for
    its turn at the kernel's few changes of a group's nice a second, which the background's children take too.)"""
    if not Path("/proc/self/autogroup").exists():
        pytest.skip("no scheduling groups (autogroups) here")
    shown = subprocess.run(
        [sys.executable, "-c", NICED_PARENT, how, SHOWS_ITS_NICE],
        env=background.CHILD_ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout.split() == ["7"], shown.stderr
