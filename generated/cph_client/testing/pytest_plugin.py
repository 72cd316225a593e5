"""The `cph_fake` pytest fixture: a fresh cph_client.testing.FakeCph for each test. pytest loads this plugin through
the wheel's entry point (pytest11); `-p cph_client.testing.pytest_plugin` loads it where plugins are not
auto-loaded.

    def test_lists_every_image(cph_fake: FakeCph) -> None:
        with cph_fake.client() as client:
            ...

The marker `cph_fake` passes its keyword arguments to FakeCph:

    @pytest.mark.cph_fake(catalog=Catalog.build(public=120))
    def test_many_pages(cph_fake: FakeCph) -> None: ...

Hand-written (client_extras/testing/ in cph-conformance), shipped in the wheel by `make generate`.
"""

from __future__ import annotations

import pytest

from .fake import FakeCph

MARKER = "cph_fake"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(**kwargs): arguments of the cph_fake fixture's FakeCph")


@pytest.fixture
def cph_fake(request: pytest.FixtureRequest) -> FakeCph:
    """A fake CPH of its own for this test (FakeCph; the test's cph_fake marker gives its arguments)."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None and marker.args:
        raise TypeError(f"the {MARKER} marker takes FakeCph's keyword arguments only, not {marker.args!r}")
    return FakeCph(**(marker.kwargs if marker is not None else {}))
