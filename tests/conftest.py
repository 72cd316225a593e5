from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from cph_conformance import sdk_home
from cph_conformance.mock import server
from cph_conformance.mock.server import RunningMock

# Huawei's SDK writes ~/.huaweicloud/ on its first import (cph_conformance/sdk_home.py). Tests import it directly
# (test_auth, the mock's app in process), so that import happens here, before any test module's, away from HOME.
sdk_home.import_elsewhere()


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what they will
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the end-to-end conformance runs as soon as they are selected, and move the tests that wait for them
    to the end: the runs are subprocesses, so they go on beside every in-process test instead of after them."""
    waiting = [item for item in items if "runs" in getattr(item, "fixturenames", ())]
    if waiting:
        start = getattr(getattr(waiting[0], "module", None), "start_runs", None)
        if callable(start):
            start()
        items[:] = [item for item in items if item not in waiting] + waiting


@pytest.fixture
def token() -> str:
    """A token-shaped secret that tests look for in everything that must not contain it."""
    return "MIIT" + secrets.token_urlsafe(48)


@pytest.fixture(scope="session")
def mock() -> Iterator[RunningMock]:
    """The clean mock, on a free loopback port, for the whole session; always stopped."""
    with server.in_thread() as running:
        yield running
