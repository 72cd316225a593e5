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


@pytest.fixture
def token() -> str:
    """A token-shaped secret that tests look for in everything that must not contain it."""
    return "MIIT" + secrets.token_urlsafe(48)


@pytest.fixture(scope="session")
def mock() -> Iterator[RunningMock]:
    """The clean mock, on a free loopback port, for the whole session; always stopped."""
    with server.running() as running:
        yield running
