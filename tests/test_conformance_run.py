"""`make conformance` end to end: each fault mode fails the run and names its check, a server that honours
the contract passes with no false alarm, bad credentials and unreachable endpoints fail with a reason, and
the token is in no artifact and nowhere on the console."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from cph_conformance import report
from cph_conformance.mock import faults, server
from cph_conformance.spec import ROOT

CLEAN = "clean"
STRICT_CLEAN = "clean-strict"


@dataclass(frozen=True)
class Run:
    status: int
    output: str
    reports: Path
    token: str

    def artifacts(self) -> dict[Path, str]:
        return {p: p.read_text(errors="replace") for p in self.reports.rglob("*") if p.is_file()}


def conformance(env: dict[str, str], reports: Path) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("CPH_") and k != "STRICT"}
    return subprocess.run(
        [sys.executable, "-m", "cph_conformance.conformance"],
        env={
            **clean_env,
            "PYTHONPATH": str(ROOT),
            "CPH_REPORTS_DIR": str(reports),
            "MAX_EXAMPLES": "15",
            # loopback servers need no throttle; the live default (5/s) would only add waiting
            "RATE_LIMIT": "1000/s",
            **env,
        },
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def against(fault: str, reports: Path) -> Run:
    """The runner pointed, as at a live endpoint, at a mock on 127.0.0.1 with one fault (or none)."""
    name = None if fault in (CLEAN, STRICT_CLEAN) else fault
    strict = fault == STRICT_CLEAN or (name is not None and faults.FAULTS[name].strict_only)
    with server.running(fault=name) as live:
        env = {"CPH_BASE_URL": live.base_url, "CPH_PROJECT_ID": live.project_id, "CPH_AUTH_TOKEN": live.token}
        if strict:
            env["STRICT"] = "1"
        done = conformance(env, reports)
    return Run(done.returncode, done.stdout + done.stderr, reports, live.token)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    names = [CLEAN, STRICT_CLEAN, *faults.FAULTS]
    with ThreadPoolExecutor(max_workers=2) as pool:  # one run per core; at most 2 mocks at once
        futures = {n: pool.submit(against, n, tmp_path_factory.mktemp(n)) for n in names}
        return {n: f.result() for n, f in futures.items()}


@pytest.mark.parametrize("fault", sorted(faults.FAULTS))
def test_each_fault_fails_the_run_and_names_its_check(runs: dict[str, Run], fault: str) -> None:
    run = runs[fault]
    assert run.status == 1, run.output
    summary = report.summarize(run.reports / "events.ndjson")
    assert faults.FAULTS[fault].caught_by in summary.failed_checks, summary.render(fault)
    summary_text = (run.reports / "summary.md").read_text()
    assert f"{faults.FAULTS[fault].caught_by} (" in summary_text
    assert "   curl -X GET " in summary_text
    if fault != "no-auth":  # that fault is caught by a request sent without the token
        assert 'curl -X GET -H "X-Auth-Token: $CPH_AUTH_TOKEN"' in summary_text


@pytest.mark.parametrize("name", [CLEAN, STRICT_CLEAN])
def test_a_server_that_honours_the_contract_passes(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.status == 0, run.output
    summary = report.summarize(run.reports / "events.ndjson")
    assert summary.failures == []
    assert summary.cases > 20
    page_checks = {"image_type_filter", "page_within_limit", "unique_image_ids", "known_image_label"}
    assert page_checks <= set(summary.checks)
    assert ("no_undocumented_fields" in summary.checks) == (name == STRICT_CLEAN)


@pytest.mark.parametrize("name", [CLEAN, "no-auth", "public-filter-leak"])
def test_the_token_is_in_no_artifact_and_not_on_the_console(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    artifacts = run.artifacts()
    assert {p.name for p in artifacts} >= {"junit.xml", "cassette.yaml", "events.ndjson", "summary.md"}
    assert run.token not in run.output
    for path, text in artifacts.items():
        assert run.token not in text, path


def test_a_refused_token_fails_and_says_so(mock: server.RunningMock, tmp_path: Path, token: str) -> None:
    env = {"CPH_BASE_URL": mock.base_url, "CPH_PROJECT_ID": mock.project_id, "CPH_AUTH_TOKEN": token}
    done = conformance(env, tmp_path)
    assert done.returncode == 2
    assert "CPH_AUTH_TOKEN was refused: it is wrong or expired" in done.stderr
    assert token not in done.stdout + done.stderr


def test_an_unreachable_endpoint_fails_and_says_so(tmp_path: Path, token: str) -> None:
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"CPH_BASE_URL": f"http://127.0.0.1:{port}", "CPH_PROJECT_ID": "0" * 32, "CPH_AUTH_TOKEN": token}
    done = conformance(env, tmp_path)
    assert done.returncode == 2
    assert f"cannot reach http://127.0.0.1:{port}" in done.stderr
    assert token not in done.stdout + done.stderr


def test_partial_credentials_name_what_is_missing(tmp_path: Path) -> None:
    done = conformance({"CPH_BASE_URL": "http://127.0.0.1:9"}, tmp_path)
    assert done.returncode == 2
    assert "CPH_PROJECT_ID, CPH_AUTH_TOKEN not set" in done.stderr


def test_a_failed_run_without_a_check_failure_does_not_say_every_check_passed(tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    events.write_text("")
    summary = report.summarize(events)
    assert "Every check passed." in summary.render("x", 0)
    failed = summary.render("x", 1)
    assert "Every check passed." not in failed
    assert "status 1" in failed


def test_a_wall_of_401s_fails_the_schemathesis_run_itself(mock: server.RunningMock, tmp_path: Path) -> None:
    """Past the preflight too: schemathesis.toml makes its missing_auth warning fail the run."""
    from cph_conformance.conformance import Target, run_schemathesis

    refused = Target("mock", mock.base_url, mock.project_id, "a-token-the-mock-refuses")
    overrides = {"CPH_REPORTS_DIR": str(tmp_path), "MAX_EXAMPLES": "5", "RATE_LIMIT": "1000/s"}
    status = run_schemathesis(refused, overrides, quiet=True)
    assert status != 0
    summary = report.summarize(tmp_path / "events.ndjson")
    assert "Every check passed." not in summary.render("mock", status)
