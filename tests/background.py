"""Slow work that waits on subprocesses (the end-to-end runs, .ci/conformance, code generation and the bad specs it
rejects, the wheel's install, calls and tampered-hash refusal, Huawei's client in a fresh HOME), started when the
session starts running tests, so that it goes on beside the in-process tests.

A test module names its work in BACKGROUND: {fixture name: function}, or {fixture name: {job name: function}} for a
fixture made of independent jobs (each its own future: one that fails errors only the tests that read it). The
module makes the fixture with `fixture(__name__, name)`; it gives the function's result, or a mapping of the jobs'
results. tests/conftest.py starts the work of every selected test and runs those tests last, when it is most likely
done; `pytest --collect-only` starts nothing.

Each job gets a folder of its own, removed with the rest at the end of the session. Child processes it starts
take ENVIRONMENT: tests in the main thread change os.environ for a moment (HOME, a proxy, CPH_*). A job of several
steps calls stop_if_ended() between them, so that a session that ends first (Ctrl-C, -x) does not wait for them.

A test whose time is waiting (on a child process, a timeout, a server's drip) and that takes no fixture, only its
parameters, is marked `waits`: tests/conftest.py starts it in a thread of its own as the session starts, at the
session's priority, and reports what it did (passed, or what it raised) in its turn. The main thread's tests run
meanwhile, and change os.environ or patch a module's functions (os.write) for a moment: such a test
reads no setting from os.environ and calls nothing that a test of its module patches. What it waits for is time to
pass, not a thread of this process acting within a short bound: the main thread holds the interpreter for as long
as a call into C takes (measured: a loopback server in a thread missed a 0.3 s bound).

Why not pytest-xdist: measured on this 2-core machine (2026-12-03, pytest-xdist 3.8.0, the same 790 tests), `-n 2`
took 52 s and 64 s where this module's one process took 35 s: each worker imports schemathesis and starts its own
mocks, and the subprocess work waits in a worker's queue instead of going on beside every test.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cph_conformance import children

Work = Callable[[Path], Any]

ENVIRONMENT = dict(os.environ)  # as the session started: conftest imports this module before any test runs
ROOT = Path(__file__).resolve().parents[1]
# For a child that imports this project: the package and the generated client on its path.
CHILD_ENVIRONMENT = {**ENVIRONMENT, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'generated'}"}


# The session starts some twenty children at once, each to get its group this thread's nice. Where tests do not run
# as root (CI), the kernel takes one change of a group's nice per 100 ms from all processes: with a run's few tries a
# child could be left at nice 0, beside the main thread. A background thread can wait its turn.
children.AUTOGROUP_TRIES = 30


def _yield_to_the_tests() -> None:
    """Lower this worker thread's priority: the in-process tests in the main thread come first, the background work
    takes the rest of the cores. The lowest priority (19): the main thread sets the suite's pace, and in 6 paired warm
    runs here 19 beat 10 in 5 (medians 22.3 and 24.0 s). Only on Linux, where nice() applies to the calling thread
    and what it starts; elsewhere it would lower the whole session, for good. A child in a session of its own is in
    a scheduling group of its own, where this nice would not count: such children are started with
    children.keep_priority() (python() below does), which gives their group this thread's nice."""
    if sys.platform == "linux":
        os.nice(19)


# The work is mostly waiting on child processes: a thread for each job (made as jobs start), so that all of it is
# under way at once; start() says when a new job would have to wait.
_WORKERS = 24  # every job of the suite, each its own thread: they mostly wait on child processes
_POOL = ThreadPoolExecutor(_WORKERS, thread_name_prefix="tests-background", initializer=_yield_to_the_tests)
# Jobs whose time is mostly waiting and longer than the suite's in-process tests (a run that waits out a service's
# throttling): at nice 19 each of their few steps waits for a core behind the other jobs, and the session waits for
# them at its end. They run at the session's priority, on threads of their own.
_PROMPTS = 2
_PROMPT_POOL = ThreadPoolExecutor(_PROMPTS, thread_name_prefix="tests-prompt")
_PROMPT: set[Work] = set()
_ENDED = threading.Event()  # set by finish()
_STARTED: dict[tuple[str, str, str], Future[Any]] = {}
_FOLDERS: list[Path] = []  # made on the first start(): importing this module (pytest --help does) makes nothing
_GROUPS: set[int] = set()  # process groups of tracked() children still running
# start() is called from the main thread and from jobs (one job's result() starting another's): one at a time, or
# two callers make the same job's folder (FileExistsError) and submit it twice.
_STARTING = threading.Lock()


# The `waits` tests: one thread each, at the session's priority (they sleep and wait; what they time must not wait
# for the CPU behind the background work).
_WAITS = 16
_WAITING = ThreadPoolExecutor(_WAITS, thread_name_prefix="tests-waits")
_WAITED: dict[str, Future[None]] = {}


def arguments(item: pytest.Function) -> dict[str, Any]:
    """A `waits` test's arguments: its parameters. UsageError for one that takes a fixture, which only pytest's own
    turn of the test can give it."""
    params = getattr(item, "callspec", None)
    given = params.params if params is not None else {}
    fixtures = [name for name in item.fixturenames if name not in given]  # autouse ones too
    if fixtures:
        raise pytest.UsageError(f"{item.nodeid} is marked waits but takes fixtures {fixtures}: only parameters")
    if inspect.iscoroutinefunction(item.obj) or inspect.isgeneratorfunction(item.obj):
        raise pytest.UsageError(f"{item.nodeid} is marked waits but is not a plain function: nothing would run it")
    return {name: given[name] for name in item._fixtureinfo.argnames}


def start_waiting(items: Sequence[pytest.Function]) -> None:
    """Start each `waits` test among items, unless a mark may skip it or keep it from running (pytest decides that
    in its turn)."""
    if len(items) > _WAITS:
        raise RuntimeError(f"{len(items)} tests are marked waits, for {_WAITS} threads: raise _WAITS in {__file__}")
    for item in items:
        if not _may_not_run(item):
            _WAITED[item.nodeid] = _WAITING.submit(item.obj, **arguments(item))


def _may_not_run(item: pytest.Function) -> bool:
    """Whether a mark may skip the test or keep it from running: skip, xfail, or a skipif whose condition is anything
    but False (a module's `skipif(sys.platform != "linux")` on Linux lets its tests run)."""
    for mark in item.iter_markers():
        if mark.name in ("skip", "xfail"):
            return True
        conditions = [*mark.args, *([mark.kwargs["condition"]] if "condition" in mark.kwargs else [])]
        if mark.name == "skipif" and (not conditions or any(condition is not False for condition in conditions)):
            return True
    return False


def waited(item: pytest.Item) -> Future[None] | None:
    """The run of a `waits` test started with the session, if it was."""
    return _WAITED.get(item.nodeid)


class Results(Mapping[str, Any]):
    """Jobs' results by name; reading one waits for its job, and raises what the job raised."""

    def __init__(self, futures: dict[str, Future[Any]]) -> None:
        self._futures = futures

    def __getitem__(self, job: str) -> Any:
        return self._futures[job].result()

    def __iter__(self) -> Iterator[str]:
        return iter(self._futures)

    def __len__(self) -> int:
        return len(self._futures)

    def __contains__(self, job: object) -> bool:  # without waiting, and never hiding what a job raised
        return job in self._futures


def prompt(work: Work) -> Work:
    """work, as a job of the session's priority (_PROMPT_POOL): one that mostly waits, and waits longest."""
    if len(_PROMPT) == _PROMPTS:
        raise RuntimeError(f"a prompt job beyond {_PROMPTS} would wait for a thread: raise _PROMPTS in {__file__}")
    _PROMPT.add(work)
    return work


def work_of(module: str) -> dict[str, Work | dict[str, Work]]:
    works: dict[str, Work | dict[str, Work]] = getattr(sys.modules[module], "BACKGROUND", {})
    return works


def _jobs(module: str, name: str) -> dict[str, Work]:
    works = work_of(module)[name]
    return works if isinstance(works, dict) else {"": works}


def start(module: str, name: str) -> None:
    """Start each job of a module's named work, once."""
    with _STARTING:
        _start(module, name)


def _start(module: str, name: str) -> None:
    for job, work in _jobs(module, name).items():
        if (module, name, job) not in _STARTED:
            if len(_STARTED) == _WORKERS:
                raise RuntimeError(f"a job beyond {_WORKERS} would wait for a thread: raise _WORKERS in {__file__}")
            if not _FOLDERS:
                _FOLDERS.append(Path(tempfile.mkdtemp(prefix="cph-tests-background-")))
            folder = _FOLDERS[0] / ".".join(filter(None, (module, name, job)))
            folder.mkdir()
            _STARTED[(module, name, job)] = (_PROMPT_POOL if work in _PROMPT else _POOL).submit(work, folder)


def result(module: str, name: str) -> Any:
    """What a module's named work returned (or raised), started now if it was not yet."""
    start(module, name)
    if isinstance(work_of(module)[name], dict):
        return Results({job: _STARTED[(module, name, job)] for job in _jobs(module, name)})
    return _STARTED[(module, name, "")].result()


def fixture(module: str, name: str) -> Any:
    """The module-scoped fixture `name` of a test module: result(module, name)."""

    @pytest.fixture(scope="module", name=name)
    def background_result() -> Any:
        return result(module, name)

    return background_result


@contextlib.contextmanager
def tracked(proc: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """A child started with start_new_session=True (so that a timeout kills its own children with it), killed with
    its group if the session ends first: Ctrl-C reaches only the terminal's process group."""
    _GROUPS.add(proc.pid)
    try:
        yield proc
    finally:
        _GROUPS.discard(proc.pid)


class Ended(Exception):
    """The session ended before this job's next step."""


def _in_a_session(args: Sequence[str], env: Mapping[str, str], **popen: Any) -> subprocess.Popen[str]:
    """A child in a session of its own (a kill of its group ends what it started), at the priority of the thread
    that starts it, its output read as text."""
    proc = subprocess.Popen(list(args), env=dict(env), text=True, start_new_session=True, **popen)
    children.keep_priority(proc.pid)
    return proc


def python(code: str, *args: str) -> subprocess.Popen[str]:
    """`python -c code args` with CHILD_ENVIRONMENT, in a session of its own; its standard output piped."""
    return _in_a_session([sys.executable, "-c", code, *args], CHILD_ENVIRONMENT, stdout=subprocess.PIPE)


def completed(
    args: Sequence[str], env: Mapping[str, str], timeout: float, **popen: Any
) -> subprocess.CompletedProcess[str]:
    """args run to their end in a session of its own, tracked, their output captured (stdout and stderr apart,
    unless popen says otherwise); past timeout, the whole group is killed and TimeoutExpired raised."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    with _in_a_session(args, env, **popen) as proc, tracked(proc):
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def stop_if_ended() -> None:
    """Between the steps of a job: raise Ended once the session has ended, rather than start the next step."""
    if _ENDED.is_set():
        raise Ended


def finish() -> None:
    """At the session's end no test waits for anything: kill the tracked children still running (after Ctrl-C or
    -x), drop the jobs not started, wait for the steps under way, remove every folder (even if a second Ctrl-C cuts
    the wait short)."""
    _ENDED.set()
    for group in list(_GROUPS):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    try:
        _WAITING.shutdown(wait=True, cancel_futures=True)
        _PROMPT_POOL.shutdown(wait=True, cancel_futures=True)
        _POOL.shutdown(wait=True, cancel_futures=True)
    finally:
        for folder in _FOLDERS:
            shutil.rmtree(folder, ignore_errors=True)
