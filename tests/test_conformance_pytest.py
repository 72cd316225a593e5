"""The conformance run inside pytest: schemathesis' pytest integration against the mock, with the same
schemathesis.toml and the same custom checks as `make conformance`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

import cph_conformance.run.checks  # noqa: F401  (registers the page's checks with schemathesis)
from cph_conformance.mock.server import RunningMock
from cph_conformance.spec import ROOT, SPEC_PATH


@pytest.fixture(scope="session")
def mock_schema(mock: RunningMock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The spec, configured by schemathesis.toml for the mock (its ${...} variables filled as the runner does)."""
    values = {
        "CPH_BASE_URL": mock.base_url,
        "CPH_PROJECT_ID": mock.project_id,
        "CPH_AUTH_TOKEN": mock.token,
        "CPH_RATE_LIMIT": "1000/s",
        "CPH_REPORTS_DIR": str(tmp_path_factory.mktemp("reports")),
    }
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        config = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
        # schemathesis 4.32.5's pytest plugin imports allure_commons whenever a report is enabled; the reports
        # are the CLI run's job (`make conformance`), so this run writes none.
        for fmt in ("junit", "vcr", "ndjson"):
            getattr(config.reports, fmt).enabled = False
        yield schemathesis.openapi.from_path(SPEC_PATH, config=config)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


schema = schemathesis.pytest.from_fixture("mock_schema")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_mock_conforms_to_the_spec(case: Any) -> None:
    case.call_and_validate()
