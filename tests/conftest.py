from __future__ import annotations

import atexit
import functools
import gc
import os
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cph_conformance import sdk_home
from cph_conformance.mock import server
from cph_conformance.mock.server import RunningMock
from tests import background

# At its exit the interpreter collects the whole heap a few times (about 400,000 objects: 1.0 to 1.5 s of every
# session, measured), for objects that the exit frees anyway: they are kept out of the collector's way. Exit handlers
# run after pytest_unconfigure, where pytest has looked for unraisable exceptions in the garbage already.
atexit.register(gc.freeze)

# Huawei's SDK writes ~/.huaweicloud/ on its first import (cph_conformance/sdk_home.py). Tests import it directly
# (test_auth, the mock's app in process), so that import happens here, before any test module's, away from HOME.
sdk_home.import_elsewhere()


def _one_default_tls_context() -> None:
    """Every httpx client and httpx.get() loads a trust store into a new SSL context (25 to 40 ms), about 50 times in
    a session, for clients that talk plain HTTP to loopback. Those that would get a default context share one per
    trust store: certifi's, or the one SSL_CERT_FILE or SSL_CERT_DIR names. A test that changes a client's context
    (http2=True sets its ALPN protocols) must pass its own verify=; any other verify or cert gets its own context."""
    import httpx._transports.default as transports  # the module whose global httpx's transports look up

    build = httpx.create_ssl_context
    current = vars(transports).get("create_ssl_context")
    if getattr(current, "__wrapped__", None) is build:
        return  # shared already (this conftest imported twice in one process)
    if current is not build:
        raise RuntimeError("httpx's transports no longer build SSL contexts with httpx.create_ssl_context: see here")

    @functools.cache
    def shared(trust_env: bool, cafile: str | None, capath: str | None) -> Any:
        return build(trust_env=trust_env)

    @functools.wraps(build)
    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is True and cert is None:
            env = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")) if trust_env else (None, None)
            return shared(trust_env, *env)
        return build(verify=verify, cert=cert, trust_env=trust_env)

    transports.create_ssl_context = create_ssl_context  # type: ignore[attr-defined]


_one_default_tls_context()


def _no_wait_for_the_disk() -> None:
    """os.fsync waits for no disk in this process; it still refuses what is not an open file, as fsync does. The
    in-process runs publish their report sets into throwaway folders, and each fsync there waited for the disk: 251
    calls and 0.8 s of the main thread, measured. Nothing in this process tests durability: the crash tests of
    tests/test_reportset.py kill other processes, and the runs end to end are other processes; both fsync for real."""

    def fsync(fd: Any) -> None:
        os.fstat(fd if isinstance(fd, int) else fd.fileno())

    os.fsync = fsync


_no_wait_for_the_disk()


def _background(item: pytest.Item) -> list[str]:
    """The background work (tests/background.py) a test reads through its fixtures."""
    module = getattr(item, "module", None)
    fixtures = getattr(item, "fixturenames", ())
    return [name for name in background.work_of(module.__name__) if name in fixtures] if module else []


def _waits(items: list[pytest.Item]) -> list[pytest.Function]:
    """The selected tests marked `waits` (tests/background.py)."""
    return [item for item in items if isinstance(item, pytest.Function) and item.get_closest_marker("waits")]


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what they will
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that read background work run last, when it is most likely done. A `waits` test takes only its
    parameters (said now, not when its thread starts)."""
    for item in _waits(items):
        background.arguments(item)
    waiting = [item for item in items if _background(item)]
    items[:] = [item for item in items if item not in waiting] + waiting


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Start the background work of every selected test, before the first test runs (not when only collecting, or
    when collection failed and no test will run)."""
    if session.config.option.collectonly or (
        session.testsfailed and not session.config.option.continue_on_collection_errors
    ):
        return
    # What collection built (modules, tests, the spec) lives as long as the session: kept out of the collector's way,
    # whose full passes over it cost seconds of the suite as the heap grows.
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)
    needed = [(item.module.__name__, name) for item in session.items for name in _background(item)]  # type: ignore[attr-defined]
    if needed:
        # Mocks start in background threads too. The first mock of a process imports uvicorn's protocols: done
        # here first, while this thread waits, so that no import happens under a running test.
        with server.in_thread():
            pass
    for module, name in needed:
        background.start(module, name)
    background.start_waiting(_waits(session.items))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A `waits` test started with the session: what it did, in its turn (what it raised, raised here)."""
    started = background.waited(pyfuncitem)
    if started is None:
        return None
    started.result()
    return True


def pytest_sessionfinish() -> None:
    background.finish()


@pytest.fixture
def token() -> str:
    """A token-shaped secret that tests look for in everything that must not contain it."""
    return "MIIT" + secrets.token_urlsafe(48)


@pytest.fixture(scope="session")
def mock() -> Iterator[RunningMock]:
    """The clean mock, on a free loopback port, for the whole session; always stopped."""
    with server.in_thread() as running:
        yield running
