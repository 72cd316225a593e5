"""Child processes that end with the run, whatever ends it (kill -9 included), and never hold a credential.

start() runs a command (the mock, `python -m cph_conformance.mock`; the schemathesis CLI) as the leader of a process
group of its own, so that stop() ends it with anything it started, and so that it dies with the process that
started it:
- on Linux, from the main thread: the kernel's parent-death signal (prctl PR_SET_PDEATHSIG, SIGKILL), set in the child
  before it runs the command; it survives exec. The kernel sends it when the *thread* that started the child ends, not
  the process: so only the main thread, which ends with the process, uses it;
- anywhere else (another thread, another system): a small guard process (GUARD, stdlib Python) starts the command
  in its group and reads a pipe whose other end only this process holds; when this process ends, however it ends,
  the system closes that end, the guard reads end-of-file and ends the command (SIGTERM, then SIGKILL after
  GRACE seconds). The guard passes its standard streams through and exits as the command does.

A session of its own is, on Linux, also a scheduling group of its own (an autogroup), which starts at nice 0 and
shares the CPU evenly with every other group: a child would escape the priority its parent runs at (`nice make
conformance`, a test suite's background work). keep_priority() gives the child's group its parent's nice.

environment() is what a child gets instead of os.environ: every credential variable left out (the settings marked
secret, Huawei's SDK's own, and any variable whose value holds one of the run's secret values); the gateway alone
holds the credential.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from cph_conformance import settings

GRACE = 3.0  # seconds a child has to end on SIGTERM before SIGKILL
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Credentials by name beyond the settings: those Huawei's SDKs read from the environment.
SDK_CREDENTIALS = ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN")
CREDENTIALS = (*(s.name for s in settings.SETTINGS if s.kind.secret), *SDK_CREDENTIALS)

# argv: the pipe's read end, the grace in seconds, the command. Ends the command when the pipe closes (SIGTERM,
# SIGKILL after the grace); passes SIGTERM and SIGINT on; exits as the command did (128 + N for a signal N).
GUARD = """
import os, signal, subprocess, sys, threading, time
watched, grace, command = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
pending, child = [], None
def forward(sig, _):  # installed before the command starts: a signal on the way is passed on, not fatal here
    pending.append(sig) if child is None else child.send_signal(sig)
signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, forward)
child = subprocess.Popen(command)
for sig in pending:
    child.send_signal(sig)
def watch():
    while os.read(watched, 64):
        pass
    child.send_signal(signal.SIGTERM)  # the process that started this one has ended
    time.sleep(grace)
    child.send_signal(signal.SIGKILL)
    os._exit(137)
threading.Thread(target=watch, daemon=True).start()
status = child.wait()
sys.exit(128 - status if status < 0 else status)
"""

_LIBC: Any = None
if sys.platform == "linux":  # loaded here, in the parent: nothing is loaded between fork and exec
    with contextlib.suppress(OSError):
        _LIBC = ctypes.CDLL(None, use_errno=True)


def environment(env: Mapping[str, str] | None = None, secrets: Iterable[str] = ()) -> dict[str, str]:
    """env (else os.environ) without a credential: CREDENTIALS by name, and any variable whose value holds one of
    secrets (a token copied into a variable of another name)."""
    values = [s for s in secrets if s]
    return {
        name: value
        for name, value in (os.environ if env is None else env).items()
        if name not in CREDENTIALS and not any(secret in value for secret in values)
    }


AUTOGROUP = "/proc/{}/autogroup"  # Linux: a process's scheduling group, "/autogroup-N nice K"
AUTOGROUP_TRIES = 4  # the kernel takes one change of a group's nice per 100 ms from a process without CAP_SYS_ADMIN


def _nice() -> int:
    """The priority a child of the calling thread should keep: the thread's nice or its group's, the higher."""
    if sys.platform != "linux":
        return 0
    try:
        with open(AUTOGROUP.format("self"), encoding="ascii") as group:
            grouped = int(group.read().split()[-1])
    except (OSError, ValueError, IndexError):
        grouped = 0
    return max(grouped, os.getpriority(os.PRIO_PROCESS, 0))


def keep_priority(pid: int, nice: int | None = None) -> None:
    """Give the scheduling group of pid, which leads a session of its own, the nice of the calling thread (or nice):
    a new session is a new group at nice 0, where the thread's nice no longer counts (measured: a test suite's
    background runs took the CPU from its main thread as if they had not been niced). Nothing to do at nice 0 or
    elsewhere than Linux; a group the kernel will not change now (EAGAIN) is asked again a few times, then left as
    it is: a priority, never a reason to fail."""
    nice = _nice() if nice is None else nice
    if nice <= 0 or sys.platform != "linux":
        return
    for _ in range(AUTOGROUP_TRIES):
        try:
            with open(AUTOGROUP.format(pid), "w", encoding="ascii") as group:
                group.write(str(nice))
            return
        except BlockingIOError:
            time.sleep(0.11)
        except OSError:
            return


def _dies_with_parent(parent: int) -> Callable[[], None]:
    def set_signal() -> None:  # in the child, between fork and exec: no allocation, no lock
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent ended before the signal was set
            os._exit(1)

    return set_signal


def uses_guard() -> bool:
    """Whether start() needs the guard process here (see the module's docstring)."""
    return _LIBC is None or threading.current_thread() is not threading.main_thread()


def start(
    args: Sequence[str], env: Mapping[str, str], guard: bool | None = None, **popen: Any
) -> subprocess.Popen[Any]:
    """Popen(args, env=env, **popen), the leader of a new process group, that dies with this process. env is the
    child's whole environment: build it with environment(). guard: None chooses (uses_guard()), True forces the guard
    process (tests)."""
    if popen.keys() & {"start_new_session", "process_group", "preexec_fn", "pass_fds"}:
        raise ValueError("start() sets the child's session and inherited files itself")
    nice = _nice()
    if not (uses_guard() if guard is None else guard):
        child = subprocess.Popen(
            list(args), env=dict(env), start_new_session=True, preexec_fn=_dies_with_parent(os.getpid()), **popen
        )
        keep_priority(child.pid, nice)
        return child
    read_end, write_end = os.pipe()  # both not inheritable: the guard gets the read end by pass_fds only
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", GUARD, str(read_end), str(GRACE), *args],
            env=dict(env),
            start_new_session=True,
            pass_fds=(read_end,),
            **popen,
        )
    except BaseException:
        os.close(write_end)
        raise
    finally:
        os.close(read_end)
    _HELD[proc.pid] = write_end  # closed by stop(), or by the system when this process ends
    keep_priority(proc.pid, nice)  # the guard's group: the command's too
    return proc


_HELD: dict[int, int] = {}  # the guard's pid -> this process' end of its pipe


@contextlib.contextmanager
def running(args: Sequence[str], env: Mapping[str, str], **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    """start(args, env, **popen), always stopped (with its group) when the block ends."""
    proc = start(args, env, **popen)
    try:
        yield proc
    finally:
        stop(proc)  # before its streams close: Popen's own exit would wait for it first
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def stop(proc: subprocess.Popen[Any], grace: float = GRACE) -> int | None:
    """End the child and its group: SIGTERM, SIGKILL after grace seconds; its exit status."""
    try:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        _signal_group(proc, signal.SIGKILL)  # anything the child left running in its group
    finally:
        held = _HELD.pop(proc.pid, None)
        if held is not None:
            os.close(held)
    return proc.returncode


def _signal_group(proc: subprocess.Popen[Any], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
