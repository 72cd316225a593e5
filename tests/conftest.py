from __future__ import annotations

import secrets

import pytest


@pytest.fixture
def token() -> str:
    """A token-shaped secret that tests look for in everything that must not contain it."""
    return "MIIT" + secrets.token_urlsafe(48)
