"""The conformance run inside pytest: schemathesis' pytest integration against the mock, with the same
schemathesis.toml as `make conformance`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import settings

from cph_conformance.mock.server import RunningMock
from cph_conformance.run.collect import cases
from cph_conformance.settings import BY_NAME
from cph_conformance.spec import SPEC_PATH
from tests import inprocess


def values_for(mock: RunningMock, reports: Path) -> dict[str, str]:
    return cases.toml_variables(mock.base_url, mock.project_id, "1000/s", reports, mock.token)


@pytest.fixture(scope="session")
def mock_schema(mock: RunningMock, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The spec, configured by schemathesis.toml for the mock, less the coverage phase: its boundary cases are held to
    every check in process (tests/test_fault_matrix.py) and end to end (tests/test_conformance_run.py); here the
    plugin itself is under test."""
    config = inprocess.configured(values_for(mock, tmp_path_factory.mktemp("reports")))
    config.projects.default.phases.get_by_name(name="coverage").enabled = False
    return schemathesis.openapi.from_path(SPEC_PATH, config=config)


@pytest.mark.parametrize("before", [None, "a-project-set-before"])
def test_configuring_leaves_every_variable_as_it_was(
    mock: RunningMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: str | None
) -> None:
    values = values_for(mock, tmp_path)
    for name in values:
        if before is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, before)
    environ = dict(os.environ)
    project = inprocess.configured(values).projects.default
    assert dict(os.environ) == environ
    # ... and the configuration still holds the mock's values.
    assert project.base_url == mock.base_url
    assert project.parameters == {"path.project_id": mock.project_id}


schema = schemathesis.pytest.from_fixture("mock_schema")


@schema.parametrize()
# No health check is suppressed: none fires (runs with --hypothesis-seed 1 to 5 pass).
@settings(max_examples=5, deadline=None)
def test_mock_conforms_to_the_spec(case: Any) -> None:
    case.call_and_validate()


def test_the_same_seed_sends_the_same_requests() -> None:
    """schemathesis.toml leaves a run nothing but its seed and settings: another seed sends other requests. (One seed
    sends the same requests from two processes, with no example database or cache between them:
    tests/test_conformance_run.py.)"""
    first, other = (inprocess.requests_sent(None, seed) for seed in (inprocess.SEED, 7))
    assert len(first) > 5 and other != first


@pytest.mark.parametrize(("env", "seed"), [({}, BY_NAME["CPH_SEED"].default), ({"CPH_SEED": "7"}, "7")])
def test_the_runner_gives_schemathesis_its_seed(env: dict[str, str], seed: str) -> None:
    command = cases.command(env)
    assert command[command.index("--seed") + 1] == seed
