"""`python -m cph_conformance.run` end to end, the way CI runs it (.ci/conformance): the clean mock and a faithful
variant pass; each fault that only schemathesis can catch fails the run (exit 1) naming its check; setup problems
exit 2 with a reason; the token is in no artifact and nowhere on the console, even when a server echoes it.
Faults the walk and the page checks catch are run in process by tests/test_walk.py."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from cph_conformance import spec
from cph_conformance.mock import faults, server
from cph_conformance.run import report, runner, walk
from cph_conformance.run.checks import PAGE_CHECKS
from cph_conformance.spec import ROOT
from tests import loopback

CLEAN = "clean"
FAITHFUL = "faithful-independent-service"  # tests/faithful_service.py: Huawei's behaviour, not our mock's
AKSK = "clean-with-aksk"  # every request signed with the mock's access key instead of its token
IAM = "clean-with-iam-password"  # the token got from a loopback IAM stand-in with a password
IAM_PASSWORD = "pw-for-the-stand-in-0123456789"  # noqa: S105  (the stand-in's, made up)
# A few faults end to end, one of each kind (tests/test_fault_matrix.py runs every fault in process): a schema
# fault, a page fault the walk catches, a STRICT-only fault, and a server that echoes the token.
END_TO_END = ["is-public-string", "pages-skip", "undocumented-field", "echo-token"]


@dataclass(frozen=True)
class Run:
    status: int
    output: str
    reports: Path
    token: str

    def artifacts(self) -> dict[Path, str]:
        return {p: p.read_text(errors="replace") for p in self.reports.rglob("*") if p.is_file()}

    @property
    def summary(self) -> str:
        return (self.reports / "summary.md").read_text()


def conformance(env: dict[str, str], reports: Path) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("CPH_") and k not in ("STRICT", "WALK")}
    return subprocess.run(
        [sys.executable, "-m", "cph_conformance.run"],
        env={
            **clean_env,
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'generated'}",
            "CPH_REPORTS_DIR": str(reports),
            "MAX_EXAMPLES": "10",
            "RATE_LIMIT": "1000/s",  # loopback servers need no throttle
            **env,
        },
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def against(fault: str, reports: Path) -> Run:
    """The runner pointed, as at a live endpoint, at a mock on 127.0.0.1 with one fault (or none)."""
    name = None if fault in (CLEAN, FAITHFUL, AKSK, IAM) else fault
    strict = fault == FAITHFUL or (name is not None and faults.FAULTS[name].strict_only)
    serving = server.child("tests.faithful_service", []) if fault == FAITHFUL else server.running(fault=name)
    with serving as live, contextlib.ExitStack() as stack:
        env = {"CPH_BASE_URL": live.base_url, "CPH_PROJECT_ID": live.project_id, "CPH_AUTH_TOKEN": live.token}
        secret = live.token
        if fault == AKSK:
            env = {
                "CPH_BASE_URL": live.base_url,
                "CPH_PROJECT_ID": live.project_id,
                "CPH_AK": live.ak,
                "CPH_SK": live.sk,
            }
            secret = live.sk
        if fault == IAM:
            iam_url = stack.enter_context(iam_issuing(live.token, live.project_id))
            env = {
                "CPH_BASE_URL": live.base_url,
                "CPH_REGION": spec.default_region(),
                "CPH_IAM_URL": iam_url,
                "CPH_IAM_USER": "tester",
                "CPH_IAM_PASSWORD": IAM_PASSWORD,
                "CPH_IAM_DOMAIN": "example",
            }
        if strict:
            env["STRICT"] = "1"
        if fault not in (CLEAN, FAITHFUL):  # the full coverage phase once for the mock, once for the stand-in
            env["PHASES"] = "fuzzing"
        done = conformance(env, reports)
    return Run(done.returncode, done.stdout + done.stderr, reports, secret)


@contextlib.contextmanager
def iam_issuing(token: str, project_id: str) -> Iterator[str]:
    """IAM's POST /v3/auth/tokens on 127.0.0.1: token for IAM_PASSWORD, Huawei's 401 body for any other."""

    class Handler(loopback.Quiet):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            right = body["auth"]["identity"]["password"]["user"]["password"] == IAM_PASSWORD
            said = (
                {"token": {"project": {"id": project_id, "name": spec.default_region()}}}
                if right
                else {"error_code": "IAM.0101", "error_msg": "The username or password is wrong."}
            )
            data = json.dumps(said).encode()
            self.send_response(201 if right else 401)
            if right:
                self.send_header("X-Subject-Token", token)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with loopback.serving(Handler) as url:
        yield url


_STARTED: dict[str, Future[Run]] = {}
_POOL = ThreadPoolExecutor(max_workers=4)  # runs wait on start-up and I/O: 4 keep 2 cores busy
_FOLDER = Path(tempfile.mkdtemp(prefix="cph-e2e-"))


def start_runs() -> None:
    """Start every end-to-end run in the background, once. tests/conftest.py calls it as soon as these tests are
    selected, so the runs (subprocesses) overlap with the in-process tests instead of adding their time at the end."""
    for name in (CLEAN, FAITHFUL, AKSK, IAM, *END_TO_END):
        if name not in _STARTED:
            _STARTED[name] = _POOL.submit(against, name, _FOLDER / name)


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    start_runs()
    try:
        yield {name: future.result() for name, future in _STARTED.items()}
    finally:
        _POOL.shutdown()
        shutil.rmtree(_FOLDER, ignore_errors=True)


@pytest.mark.parametrize("fault", END_TO_END)
def test_each_fault_fails_the_run_and_names_its_check(runs: dict[str, Run], fault: str) -> None:
    run = runs[fault]
    assert run.status == report.DRIFT, run.output
    check = faults.FAULTS[fault].caught_by
    assert f"**{check}**" in run.summary
    assert "Failures: drift from Huawei's sources" in run.summary
    assert "   source: " in run.summary
    assert "   curl -X GET " in run.summary


@pytest.mark.parametrize("name", [CLEAN, FAITHFUL, AKSK, IAM])
def test_a_server_that_honours_the_contract_passes(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.status == report.PASSED, run.output
    assert "**Verdict: passed**" in run.summary
    assert "Failures" not in run.summary
    assert ("no_undocumented_fields" in run.summary) == (name == FAITHFUL)
    for check in (*walk.CHECKS, *(c.__name__ for c in PAGE_CHECKS)):
        assert check in run.summary


def test_a_faithful_service_passes_with_warnings_naming_the_spec_assumptions(runs: dict[str, Run]) -> None:
    run = runs[FAITHFUL]
    assert "Warnings: the spec's assumptions" in run.summary
    assert "marker: minLength" in run.summary  # it takes marker= as no marker


def test_a_service_that_echoes_the_credential_is_told_about_it(runs: dict[str, Run]) -> None:
    assert "**credential_echo**" in runs["echo-token"].summary
    assert "credential_echo" not in runs[CLEAN].summary


@pytest.mark.parametrize("name", [CLEAN, "echo-token", AKSK, IAM])
def test_the_token_is_in_no_artifact_and_not_on_the_console(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    artifacts = run.artifacts()
    assert {p.name for p in artifacts} >= set(runner.ARTIFACTS)
    assert run.token not in run.output
    for path, text in artifacts.items():
        assert run.token not in text, path


def test_the_same_seed_sends_the_same_requests(runs: dict[str, Run]) -> None:
    """Two runs with one seed, against two mocks (AK/SK and an IAM token): the same requests, in the same order."""
    first, second = (
        [
            line.split("/cloud-phone/")[1]
            for line in r.artifacts()[r.reports / "cassette.yaml"].splitlines()
            if line.strip().startswith("uri:")
        ]
        for r in (runs[AKSK], runs[IAM])
    )
    assert first == second and len(first) > 5


# --- could not run: exit 2 with a reason ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SECRET = "MIIT-secret-value-1234"  # noqa: S105  (a made-up token these runs must never print)
BASE = {"CPH_BASE_URL": "http://127.0.0.1:9", "CPH_PROJECT_ID": "0" * 32, "CPH_AUTH_TOKEN": SECRET}


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"CPH_BASE_URL": "http://127.0.0.1:9"}, "no credential: set CPH_AUTH_TOKEN"),
        ({**BASE, "CPH_BASE_URL": "", "CPH_REGION": "mars-north-1"}, "CPH_REGION: unknown region 'mars-north-1'"),
        ({**BASE, "CPH_AK": "AKAK1234"}, "set one credential only"),
        ({**BASE, "CPH_AUTH_TOKEN": SECRET + "\r"}, "CPH_AUTH_TOKEN contains a carriage return"),
        ({**BASE, "CPH_BASE_URL": "https://cph.example/v1/x"}, "CPH_BASE_URL='https://cph.example/v1/x' has a path"),
        ({**BASE, "CPH_BASE_URL": f"http://127.0.0.1:{_free_port()}"}, "cannot reach http://127.0.0.1:"),
    ],
)
def test_setup_problems_exit_2_and_say_which_variable(tmp_path: Path, env: dict[str, str], says: str) -> None:
    done = conformance(env, tmp_path)
    assert done.returncode == report.CANNOT_RUN, done.stdout + done.stderr
    assert says in done.stderr
    assert SECRET not in done.stdout + done.stderr
    written = (tmp_path / "summary.md").read_text()  # CI's artifact says why there is no verdict
    assert "could not run" in written and says in written and SECRET not in written


@pytest.mark.parametrize(("wrong", "says"), [("CPH_SK", "CPH_AK/CPH_SK was refused"), ("CPH_IAM_PASSWORD", "IAM.0101")])
def test_a_wrong_secret_key_or_password_exits_2_without_printing_it(
    mock: server.RunningMock, tmp_path: Path, wrong: str, says: str
) -> None:
    with iam_issuing(mock.token, mock.project_id) as iam_url:
        env = {"CPH_BASE_URL": mock.base_url, "CPH_PROJECT_ID": mock.project_id}
        if wrong == "CPH_SK":
            env |= {"CPH_AK": mock.ak, "CPH_SK": "wrong" + mock.sk}
        else:
            env |= {
                "CPH_REGION": spec.default_region(),
                "CPH_IAM_URL": iam_url,
                "CPH_IAM_USER": "tester",
                "CPH_IAM_PASSWORD": "not-" + IAM_PASSWORD,
                "CPH_IAM_DOMAIN": "example",
            }
        done = conformance(env, tmp_path)
    assert done.returncode == report.CANNOT_RUN, done.stdout + done.stderr
    assert says in done.stderr and wrong in done.stderr
    assert env[wrong] not in done.stdout + done.stderr


def test_ci_gets_the_exit_status_make_cannot_carry(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / ".ci" / "conformance")],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("CPH_")},
            "CPH_REPORTS_DIR": str(tmp_path),
            "CPH_BASE_URL": "http://127.0.0.1:9",
        },
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == report.CANNOT_RUN, done.stderr
    assert "no credential" in done.stderr


def test_the_run_clears_only_its_own_files(tmp_path: Path) -> None:
    mine = tmp_path / "notes.txt"
    mine.write_text("the user's own file")
    (tmp_path / "summary.md").write_text("a stale summary")
    runner.clear_artifacts(tmp_path)
    assert mine.read_text() == "the user's own file"
    assert not (tmp_path / "summary.md").exists()
