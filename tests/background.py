"""Slow work that waits on subprocesses (the end-to-end runs, the wheel's install, code generation), started as
soon as the tests that need it are collected, so that it goes on beside the in-process tests.

A test module names that work in BACKGROUND, {fixture name: function}; its fixture returns result(__name__, name).
tests/conftest.py starts the work of every selected test and runs those tests last, when it is most likely done.
Each function gets a folder of its own, removed with the rest at the end of the session. Child processes it
starts take ENVIRONMENT: tests in the main thread change os.environ for a moment (HOME, a proxy, CPH_*).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

Work = Callable[[Path], Any]

ENVIRONMENT = dict(os.environ)  # as the session started: conftest imports this module before any test runs


def _yield_to_the_tests() -> None:
    """Lower this worker thread's priority (on Linux, nice() applies to the calling thread and what it starts):
    the in-process tests in the main thread come first, the background work takes the rest of the cores."""
    os.nice(10)


# The work is mostly waiting on child processes: enough threads that all of it is under way at once.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="tests-background", initializer=_yield_to_the_tests)
_STARTED: dict[tuple[str, str], Future[Any]] = {}
_FOLDERS: list[Path] = []  # made on the first start(): importing this module (pytest --help does) makes nothing


def work_of(module: str) -> dict[str, Work]:
    works: dict[str, Work] = getattr(sys.modules[module], "BACKGROUND", {})
    return works


def start(module: str, name: str) -> Future[Any]:
    """Start a module's named work, once; its future."""
    key = (module, name)
    if key not in _STARTED:
        if not _FOLDERS:
            _FOLDERS.append(Path(tempfile.mkdtemp(prefix="cph-tests-background-")))
        folder = _FOLDERS[0] / f"{module}.{name}"
        folder.mkdir()
        _STARTED[key] = _POOL.submit(work_of(module)[name], folder)
    return _STARTED[key]


def result(module: str, name: str) -> Any:
    """What a module's named work returned (or raised), started now if it was not yet."""
    return start(module, name).result()


def finish() -> None:
    """Wait for the work under way, drop what never started, remove every folder."""
    _POOL.shutdown(wait=True, cancel_futures=True)
    for folder in _FOLDERS:
        shutil.rmtree(folder, ignore_errors=True)
