from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from cph_conformance import sdk_home
from cph_conformance.mock import server
from cph_conformance.mock.server import RunningMock
from tests import background

# Huawei's SDK writes ~/.huaweicloud/ on its first import (cph_conformance/sdk_home.py). Tests import it directly
# (test_auth, the mock's app in process), so that import happens here, before any test module's, away from HOME.
sdk_home.import_elsewhere()


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what they will
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the background work (tests/background.py) of every selected test, and run those tests last."""
    waiting = []
    for item in items:
        module = getattr(item, "module", None)
        fixtures = getattr(item, "fixturenames", ())
        needs = [n for n in background.work_of(module.__name__) if n in fixtures] if module else []
        for name in needs:
            background.start(module.__name__, name)  # type: ignore[union-attr]
        if needs:
            waiting.append(item)
    items[:] = [item for item in items if item not in waiting] + waiting


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
