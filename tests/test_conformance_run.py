"""`python -m cph_conformance.run` end to end, as .ci/conformance runs it, three times: the clean mock and the faithful
service pass (its throttled flavour, which quotes the token back in refusals; with CPH_STRICT=1); a fault across
answers (which echoes the token too, from a mock in a child process) fails the run (exit 1) naming its check; between
them, each of the three credential routes; no secret is in an artifact or on the console, and observed.json holds no
image name or id and no project id. The clean run also compares with a baseline and joins a history. Setup problems
exit 2 with a reason: the runner's main() in process. Every fault runs in process in tests/test_fault_matrix.py."""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from cph_conformance import spec
from cph_conformance.mock import faults, server
from cph_conformance.run import checks, pipeline, runner
from cph_conformance.run.checks.caught import CAUGHT
from cph_conformance.run.checks.registry import LISTINGS, PROBE
from cph_conformance.run.report import history, observed
from cph_conformance.run.report.written import DEBUG
from cph_conformance.run.transport import patience, target
from cph_conformance.run.transport.secrets import MASK, Secrets
from cph_conformance.run.verdict.verdict import CANNOT_RUN, DRIFT, PASSED
from cph_conformance.settings import BY_NAME, BY_OLD_NAME
from cph_conformance.spec import ROOT
from tests import background, faithful_service, loopback
from tests.test_history import chart_of

# A few runs through the real command, one for each kind of target, each with another of the run's three
# credential routes (tests/test_fault_matrix.py runs every fault in process; tests/test_faithful.py two flavours
# of the faithful service):
TOKEN, AKSK, IAM = "token", "AK/SK", "IAM password"
IAM_PASSWORD = "pw-for-the-stand-in-0123456789"  # noqa: S105  (the stand-in's, made up)
CLEAN = "clean"  # the clean mock
# tests/faithful_service.py: Huawei's behaviour, not our mock's; it quotes the token back in error messages, and its
# API Gateway throttles (429 without Retry-After), which only the run's gateway can wait out
FAITHFUL = "faithful-gateway-service"
PASSING = {CLEAN: AKSK, FAITHFUL: TOKEN}
# A fault across answers that also echoes the token (in bodies and headers, and so in failure reports), served as
# `make mock FAULT=` serves it (a child process). Every fault fails in process (tests/test_fault_matrix.py),
# CPH_STRICT's too; the faithful run shows CPH_STRICT=1 reaching the run (no_undocumented_fields judges).
# And a failure of schemathesis' fuzzing that its CLI child shrinks under the project's rules, within the cap a live
# endpoint gets by default (CPH_SHRINK_REQUESTS; tests/test_shrinking.py has the rest, in process).
SHRUNK = "server-error-over-100"
END_TO_END = {"echo-token": IAM, SHRUNK: TOKEN}
RUNS = {**PASSING, **END_TO_END}


class Shown(str):
    """A run's text. Its repr, which is what a failing assertion prints, has the run's secrets masked (in every form
    the run itself masks them in)."""

    secrets = Secrets()

    def __repr__(self) -> str:
        return repr(self.secrets.mask(str(self)))


def shown(text: str, secrets: Iterable[str]) -> Shown:
    masked = Shown(text)
    masked.secrets = Secrets(secrets)
    return masked


@dataclass(frozen=True)
class Run:
    status: int
    output: Shown
    reports: Path
    # What must appear nowhere, not even in a failing test's report: the credential, and for IAM its token too.
    secrets: tuple[str, ...] = field(repr=False)

    def artifacts(self) -> dict[Path, str]:
        return {p: p.read_text(errors="replace") for p in self.reports.rglob("*") if p.is_file()}

    @property
    def summary(self) -> Shown:
        return shown((self.reports / "summary.md").read_text(), self.secrets)


def _is_the_runs(variable: str) -> bool:
    """A variable the runner reads: none of the user's may leak into a test's run (and no test's summary onto a
    CI job's page)."""
    return variable.startswith("CPH_") or variable in BY_NAME or variable in BY_OLD_NAME


_USERS = {k: v for k, v in background.ENVIRONMENT.items() if not _is_the_runs(k)}


def settings(env: dict[str, str], reports: Path) -> dict[str, str]:
    """The runner's variables for a test's run: quick settings for loopback, and the test's own env."""
    return {
        "CPH_REPORTS_DIR": str(reports),
        "CPH_MAX_EXAMPLES": "3",  # few: a fault shows on any answer of its kind
        "CPH_RATE_LIMIT": "1000/s",  # loopback servers need no throttle
        **env,
    }


def conformance(env: dict[str, str], reports: Path) -> subprocess.CompletedProcess[str]:
    """The runner in a session of its own, so that a run that hangs (or outlives the test session) is killed with
    schemathesis, its child."""
    return background.completed(
        [sys.executable, "-m", "cph_conformance.run"],
        {**_USERS, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'generated'}", **settings(env, reports)},
        timeout=300,
        cwd=ROOT,
    )


# A passing run's generation settings (tests/test_fake_wheel.py's run at the fake takes them too). Fuzzing only: the
# coverage phase's boundary cases are held to every check in process (the fault matrix); enough of it that the run's
# requests depend on the seed (3 do not).
WHOLE_RUN = {"CPH_PHASES": "fuzzing", "CPH_MAX_EXAMPLES": "10"}


BASELINE_DATE = "2026-11-25T05:17:00+00:00"
EARLIER = [
    {"date": f"2026-11-2{n}T05:17:00+00:00", "verdict": "passed", "exit_status": 0, "p95_ms": 5.0} for n in (4, 5)
]


def remembered(folder: Path) -> dict[str, str]:
    """For the clean mock's run: a baseline that saw no public image (and nothing else), and a history of two runs."""
    seen: dict[str, object] = {
        name: {} for name in ("schemas", "values", "bytes", "statuses", "error_codes", "latency")
    }
    baseline = {**seen, "file": observed.FILE, "format": observed.FORMAT, "date": BASELINE_DATE, "spec": {}}
    (folder / "baseline.json").write_text(json.dumps({**baseline, "images": {"public": 0}}))
    history.save(folder / "history.json", EARLIER)
    return {"CPH_BASELINE": str(folder / "baseline.json"), "CPH_HISTORY": str(folder / "history.json")}


def against(name: str, route: str, folder: Path) -> Run:
    """The runner pointed, as at a live endpoint, at a server on 127.0.0.1 (the mock with one fault, the clean
    mock or the faithful service), with one credential route; its reports in folder/reports (its sets beside it)."""
    fault = None if name in PASSING else name
    reports = folder / "reports"
    with serving(name) as live, contextlib.ExitStack() as stack:
        env = {"CPH_BASE_URL": live.base_url, "CPH_PROJECT_ID": live.project_id}
        secrets: tuple[str, ...] = (live.token,)
        if route == TOKEN:
            env["CPH_AUTH_TOKEN"] = live.token
        elif route == AKSK:
            env |= {"CPH_AK": live.ak, "CPH_SK": live.sk}
            secrets = (live.sk,)
        else:  # the project comes from IAM's answer
            iam_url = stack.enter_context(iam_issuing(live.token, live.project_id))
            env = {
                "CPH_BASE_URL": live.base_url,
                "CPH_REGION": spec.default_region(),
                "CPH_IAM_URL": iam_url,
                "CPH_IAM_USER": "tester",
                "CPH_IAM_PASSWORD": IAM_PASSWORD,
                "CPH_IAM_DOMAIN": "example",
            }
            secrets = (live.token, IAM_PASSWORD)
        if name == FAITHFUL or (fault is not None and faults.FAULTS[fault].strict_only):
            env["CPH_STRICT"] = "1"
        if fault is None:
            env |= WHOLE_RUN
        else:  # a fault needs only its check, in the fuzzing phase
            env["CPH_PHASES"] = WHOLE_RUN["CPH_PHASES"]
            if CAUGHT[fault].check.by not in (LISTINGS, PROBE):
                env["CPH_WALK"] = "0"
            if fault == SHRUNK:  # enough fuzzing to meet it (its third case does)
                env["CPH_MAX_EXAMPLES"] = "10"
        if name == CLEAN:
            env |= remembered(folder)
        done = conformance(env, reports)
    return Run(done.returncode, shown(done.stdout + done.stderr, secrets), reports, secrets)


@contextlib.contextmanager
def serving(name: str) -> Iterator[server.RunningMock]:
    """The server a run is pointed at: the mock, clean or with a fault, from `python -m cph_conformance.mock`, as
    `make mock FAULT=` serves it; the faithful service (which takes only tokens) from `python -m
    tests.faithful_service gateway` (it throttles and blips)."""
    # Processes of their own: what they serve is not this process' work, whose tests run meanwhile.
    if name != FAITHFUL:
        with server.running(fault=None if name == CLEAN else name, env=background.ENVIRONMENT) as mock:
            yield mock
        return
    with server.child(faithful_service.__name__, ["gateway"], env=background.ENVIRONMENT) as stand_in:
        yield stand_in


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


def _run(name: str, route: str) -> Callable[[Path], Run]:
    return lambda folder: against(name, route, folder)


def _ci_without_a_credential(folder: Path) -> subprocess.CompletedProcess[str]:
    """.ci/conformance as CI calls it, with an endpoint and no credential: a second of a child's work."""
    return subprocess.run(
        [str(ROOT / ".ci" / "conformance")],
        env={
            **{k: v for k, v in background.ENVIRONMENT.items() if not k.startswith("CPH_")},
            "CPH_REPORTS_DIR": str(folder / "reports"),
            "CPH_BASE_URL": "http://127.0.0.1:9",
        },
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=120,
    )


BACKGROUND = {
    # The faithful service's run waits out its throttling (seconds, with little to do): the longest job.
    "runs": {
        name: background.prompt(_run(name, route)) if name == FAITHFUL else _run(name, route)
        for name, route in RUNS.items()
    },
    "ci_without_a_credential": _ci_without_a_credential,
}
runs = background.fixture(__name__, "runs")
ci_without_a_credential = background.fixture(__name__, "ci_without_a_credential")


@pytest.mark.parametrize("fault", END_TO_END)
def test_each_fault_fails_the_run_and_names_its_check(runs: dict[str, Run], fault: str) -> None:
    run = runs[fault]
    assert run.status == DRIFT, repr(run.output)
    check = CAUGHT[fault].check.name
    assert re.search(rf"^\| \**{check}\b", "\n".join(run.summary.splitlines()[:25]), re.MULTILINE)  # first
    assert "Failures: drift from Huawei's sources" in run.summary
    assert "Rests on **" in run.summary
    # Pointed at an endpoint as at a live one: its smallest reproduction is curl lines with the token's variable;
    # with IAM's token (or AK/SK), commands that send the requests with the credential the environment gives the run.
    if END_TO_END[fault] == TOKEN:
        said = "```sh\n# The requests again, from a shell where CPH_AUTH_TOKEN holds a token of the project:\n"
        assert said + 'curl -X GET -H "X-Auth-Token: $CPH_AUTH_TOKEN"' in run.summary
    else:
        resend = r"^PYTHONPATH=generated \.venv/bin/python -m cph_conformance\.run\.resend \S+ GET 'http"
        assert re.search(resend, run.summary, re.M)
        assert "curl -X GET" not in run.summary.split("Smallest reproduction", 1)[1].split("```", 2)[1]


def test_the_cli_child_shrinks_a_failure_of_its_fuzzing_and_the_summary_shows_the_shrunk_case_first(
    runs: dict[str, Run],
) -> None:
    summary = runs[SHRUNK].summary
    smallest = next(line for line in summary.splitlines() if line.startswith("Smallest reproduction (1 request(s))"))
    assert "limit=101`" in smallest, smallest
    assert "Note: Shrunk by Hypothesis: the smallest reproduction is the smallest of " in summary
    assert "shrinking may have been cut short" not in summary  # the default cap of a live run is enough


@pytest.mark.parametrize("name", PASSING)
def test_a_server_that_honours_the_contract_passes(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.status == PASSED, repr(run.output)
    assert "**Verdict: passed**" in run.summary
    assert "Failures" not in run.summary
    assert ("| no_undocumented_fields |" in run.summary) == (name == FAITHFUL)  # a row of the table of checks
    for check in checks.every().values():  # every check judged something, and the summary says how much
        assert check.strict_only or check.fn is None or f"{check.name} " in run.summary, check.name


def test_a_throttled_service_passes_once_the_gateway_waits_it_out(runs: dict[str, Run]) -> None:
    run = runs[FAITHFUL]
    assert "Throttling: " in run.summary and "waited out" in run.summary
    assert "Throttling: " not in runs[CLEAN].summary


def test_a_service_whose_gateway_blips_passes_and_the_blips_are_listed(runs: dict[str, Run]) -> None:
    run = runs[FAITHFUL]
    assert "Blips (502, 503, 504, lost connections): " in run.summary, run.summary
    assert "Blips" not in runs[CLEAN].summary


def test_a_faithful_service_passes_with_warnings_naming_the_spec_assumptions(runs: dict[str, Run]) -> None:
    run = runs[FAITHFUL]
    assert "Warnings: the spec's assumptions" in run.summary
    # It refuses a marker it never issued: the spec's schema allows any, only the service's own are sure to pass.
    assert "> assumption: a made-up marker is valid by the spec's schema" in run.summary


def test_a_service_that_echoes_the_credential_is_told_about_it(runs: dict[str, Run]) -> None:
    echo = re.compile(r"^### \d+\. credential_echo$", re.MULTILINE)
    assert echo.search(runs[FAITHFUL].summary)
    assert echo.search(runs["echo-token"].summary)
    assert not echo.search(runs[CLEAN].summary)


@pytest.mark.parametrize("name", RUNS)
def test_no_secret_is_in_an_artifact_or_on_the_console(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    artifacts = run.artifacts()
    assert {p.name for p in artifacts} >= set(runner.ARTIFACTS) - {DEBUG}  # no error of ours: no traceback
    # Paths and a yes or no, never the texts: a failing assertion would print the secret it found.
    assert [str(path) for path, text in artifacts.items() if any(s in text for s in run.secrets)] == []
    on_console = any(s in run.output for s in run.secrets)
    assert not on_console, "a secret is on the console"
    data = {uri.split("/")[4] for uri, _ in recorded(run.reports / "events.ndjson")}
    data |= {
        str(i[key])
        for _, body in recorded(run.reports / "events.ndjson")
        for i in images(body)
        for key in ("image_name", "image_id")
    }
    seen = (run.reports / "observed.json").read_text()
    assert len(data) > 3 and [value for value in data if value in seen] == []


def recorded(events: Path) -> Iterator[tuple[str, object]]:
    """(URI, JSON body) of every request and answer schemathesis recorded."""
    for line in events.read_text(encoding="utf-8").splitlines():
        recorder = (json.loads(line).get("ScenarioFinished") or {}).get("recorder") or {}
        for interaction in recorder.get("interactions", {}).values():
            content = ((interaction.get("response") or {}).get("content") or {}).get("$base64")
            with contextlib.suppress(ValueError):
                yield interaction["request"]["uri"], json.loads(base64.b64decode(content)) if content else None


def images(body: object) -> list[dict[str, object]]:
    found = body.get("phone_images") if isinstance(body, dict) else None
    return [i for i in found if isinstance(i, dict)] if isinstance(found, list) else []


def test_a_run_compares_with_its_baseline_and_joins_its_history(runs: dict[str, Run]) -> None:
    run = runs[CLEAN]
    changes = run.summary.split(f"## Changes since {BASELINE_DATE}\n", 1)[1]
    assert "\n- images: public: " in changes and " images, was 0\n" in changes
    assert run.status == PASSED  # changes are notices unless CPH_FAIL_ON_CHANGE
    kept = history.load(run.reports.parent / "history.json")
    assert kept[:2] == EARLIER and len(kept) == 3
    assert (kept[2]["verdict"], kept[2]["exit_status"]) == ("passed", 0) and kept[2]["p95_ms"] > 0
    assert len(chart_of((run.reports / "summary.html").read_text()).findall("{http://www.w3.org/2000/svg}circle")) == 3


def test_the_same_seed_sends_the_same_requests_from_two_processes(runs: dict[str, Run]) -> None:
    """The passing runs: two processes (each with its own string hashing), two servers, two credentials, one seed and
    the same generation settings (CPH_STRICT adds a check, not a request; the throttled service's 429s are the
    gateway's to wait out, schemathesis never sees them); schemathesis sends the same requests in the same order.
    (Another seed sends others: tests/test_conformance_pytest.py.)"""
    first, *others = (
        [
            line.split("/cloud-phone/")[1]
            for line in (runs[name].reports / "cassette.yaml").read_text().splitlines()
            if line.strip().startswith("uri:")
        ]
        for name in PASSING
    )
    assert len(first) > 5 and all(other == first for other in others)


@pytest.mark.parametrize(("name", "variable"), [(CLEAN, "CPH_AK/CPH_SK"), ("echo-token", "CPH_IAM_PASSWORD's token")])
def test_a_run_without_a_token_says_how_to_get_one_for_the_curl_lines(
    runs: dict[str, Run], name: str, variable: str
) -> None:
    assert f"this run used {variable} instead" in runs[name].summary
    assert "this run used" not in runs[FAITHFUL].summary


# --- could not run: exit 2 with a reason. The runner's main() in process: it stops before schemathesis starts ---


@dataclass(frozen=True)
class Stopped:
    status: int
    # Shown: what the run wrote is searched for the secrets it was given, and a failing assertion prints it masked.
    stdout: Shown
    stderr: Shown
    elsewhere: Shown  # warnings
    summary: Shown  # summary.md, which CI keeps: it says why there is no verdict

    def shows(self, secret: str) -> bool:
        return any(secret in text for text in (self.stdout, self.stderr, self.elsewhere, self.summary))

    @property
    def read(self) -> str:
        """summary.md as its reader sees it, rendered: what the setting held is escaped in the Markdown."""
        return html.unescape(re.sub(r"<[^>]+>", "", MarkdownIt("commonmark").render(self.summary)))


@pytest.fixture
def main(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    recwarn: pytest.WarningsRecorder,
) -> Callable[[dict[str, str]], Stopped]:
    """`python -m cph_conformance.run` in this process, with the variables the subprocess runs would get; what
    it writes (log records included: pytest's logging plugin is off) is captured at the file descriptors, as a
    console would see it. A request that gets no answer is tried again at once: these tests judge what the run says,
    not how long it waits (1.5 s for an endpoint that cannot be reached)."""
    monkeypatch.setattr(patience, "TRANSIENT_BACKOFF", 0.0)

    def call(env: dict[str, str]) -> Stopped:
        for name in [n for n in os.environ if _is_the_runs(n)]:
            monkeypatch.delenv(name)
        for name, value in settings(env, tmp_path / "reports").items():
            monkeypatch.setenv(name, value)
        status = runner.main([])
        out, err = capfd.readouterr()
        elsewhere = "\n".join(str(w.message) for w in recwarn)
        given = [env.get(name, "") for name in CREDENTIALS]
        texts = (out, err, elsewhere, (tmp_path / "reports" / "summary.md").read_text())
        return Stopped(status, *(shown(text, given) for text in texts))

    return call


CREDENTIALS = (target.TOKEN, *target.AKSK, target.SECURITY_TOKEN, "CPH_IAM_PASSWORD")
SECRET = "MIIT-secret-value-1234"  # noqa: S105  (a made-up token these runs must never print)
BASE = {"CPH_BASE_URL": "http://127.0.0.1:9", "CPH_PROJECT_ID": "0" * 32, "CPH_AUTH_TOKEN": SECRET}
CLOSED = "http://127.0.0.1:{closed_port}"  # a port bound for the test and never listened on


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"CPH_BASE_URL": "http://127.0.0.1:9"}, "no credential: set CPH_AUTH_TOKEN"),
        ({**BASE, "CPH_BASE_URL": "", "CPH_REGION": "mars-north-1"}, "CPH_REGION='mars-north-1' is not a region"),
        ({**BASE, "CPH_AK": "AKAK1234"}, "set one credential only"),
        ({**BASE, "CPH_AUTH_TOKEN": SECRET + "\r"}, "CPH_AUTH_TOKEN contains a carriage return"),
        ({**BASE, "CPH_BASE_URL": "https://cph.example/v1/x"}, "CPH_BASE_URL='https://cph.example/v1/x' is not scheme"),
        ({**BASE, "CPH_SEED": "abc"}, "CPH_SEED='abc' is not a whole number: it accepts"),
        ({**BASE, "CPH_STRICT": "maybe"}, "CPH_STRICT='maybe' is not a yes or a no: it accepts 1/0, true/false"),
        ({**BASE, "CPH_RATE_LIMIT": "fast"}, "CPH_RATE_LIMIT='fast' is not a number of requests"),
        ({**BASE, "SEED": "abc"}, "SEED='abc' is not a whole number"),  # an old name, refused under its own
        ({**BASE, "CPH_PHASES": "fuzz"}, "CPH_PHASES='fuzz' names no phase of the run"),
        ({**BASE, "CPH_MAX_EXAMPLES": "-3"}, "CPH_MAX_EXAMPLES='-3' is not a whole number"),
        ({**BASE, "CPH_BASE_URL": CLOSED}, "cannot reach http://127.0.0.1:"),
    ],
)
def test_setup_problems_exit_2_and_say_which_variable(
    main: Callable[[dict[str, str]], Stopped], env: dict[str, str], says: str
) -> None:
    with socket.socket() as held:  # bound and kept for the test: no other server can be given its port
        held.bind(("127.0.0.1", 0))
        stopped = main({k: v.format(closed_port=held.getsockname()[1]) if v == CLOSED else v for k, v in env.items()})
    assert stopped.status == CANNOT_RUN, stopped
    assert says in stopped.stderr
    assert "## The run could not be made" in stopped.summary and says in stopped.read
    assert not stopped.shows(SECRET)


@pytest.mark.parametrize(
    ("variable", "text", "says"),
    [
        ("CPH_BASELINE", '{"file": "cph-conformance observed", "format": 0}', "of format 0; this version reads"),
        ("CPH_BASELINE", '{"file": "cph-conformance obs', "is not JSON"),
        ("CPH_HISTORY", "the user's own notes", "is not JSON"),
    ],
)
def test_a_baseline_or_history_the_run_cannot_use_stops_it_before_anything_starts(
    main: Callable[[dict[str, str]], Stopped], tmp_path: Path, variable: str, text: str, says: str
) -> None:
    """The file is an earlier run's observed.json, as the reports keep it: read before anything starts, and left as it
    was."""
    earlier = tmp_path / "reports.d" / "20261201T000000Z-1"
    earlier.mkdir(parents=True)
    (tmp_path / "reports").symlink_to(earlier.relative_to(tmp_path))
    path = earlier / "observed.json"
    path.write_text(text)
    stopped = main({**BASE, variable: str(path)})
    assert stopped.status == CANNOT_RUN, stopped
    assert f"{variable}={str(path)!r}" in stopped.stderr and says in stopped.stderr
    assert "## The run could not be made" in stopped.summary and says in stopped.read
    assert path.read_text() == text


@pytest.mark.parametrize(("wrong", "says"), [("CPH_SK", "CPH_AK/CPH_SK was refused"), ("CPH_IAM_PASSWORD", "IAM.0101")])
def test_a_wrong_secret_key_or_password_exits_2_without_printing_it(
    main: Callable[[dict[str, str]], Stopped], mock: server.RunningMock, wrong: str, says: str
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
        stopped = main(env)
    assert stopped.status == CANNOT_RUN, stopped
    assert says in stopped.stderr and wrong in stopped.stderr
    assert not stopped.shows(env[wrong])


def test_a_project_id_the_service_refuses_as_malformed_is_a_setup_problem_not_drift(
    main: Callable[[dict[str, str]], Stopped], mock: server.RunningMock
) -> None:
    stopped = main({"CPH_BASE_URL": mock.base_url, "CPH_PROJECT_ID": "abc", "CPH_AUTH_TOKEN": mock.token})
    assert stopped.status == CANNOT_RUN
    assert "answered 400" in stopped.stderr and "CPH_PROJECT_ID must be the project's ID" in stopped.stderr
    assert "## The run could not be made" in stopped.summary and "drift" not in stopped.summary


def test_a_reports_folder_that_cannot_be_written_is_one_line_and_exit_2(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("the user's own file")
    monkeypatch.setenv("CPH_REPORTS_DIR", str(blocked / "reports"))  # a folder inside a file cannot be made
    assert runner.main([]) == CANNOT_RUN
    out, err = capfd.readouterr()
    assert err.startswith("error: CPH_REPORTS_DIR=") and "cannot hold the reports" in err
    assert "Traceback" not in out + err and len(err.strip().splitlines()) == 1
    assert blocked.read_text() == "the user's own file"


def test_ci_gets_the_exit_status_make_cannot_carry(
    ci_without_a_credential: subprocess.CompletedProcess[str],
) -> None:
    done = ci_without_a_credential
    assert done.returncode == CANNOT_RUN, done.stderr
    assert "no credential" in done.stderr


def test_the_runs_files_name_the_endpoint_and_no_secret_and_no_other_file_is_touched(tmp_path: Path) -> None:
    """The requests went to the loopback gateway: the files the run wrote say the endpoint instead, with the
    secrets masked; a file of the user's in the same folder stays as it was."""
    gateway_url, endpoint = "http://127.0.0.1:40001", "https://cph.example"
    written = f"uri: {gateway_url}/v1/x?token={SECRET}\n"
    (tmp_path / "cassette.yaml").write_text(written)
    (tmp_path / "notes.txt").write_text(written)
    runner.mask_artifacts(tmp_path, Secrets([SECRET]), gateway_url, endpoint)
    assert (tmp_path / "cassette.yaml").read_text() == f"uri: {endpoint}/v1/x?token={MASK}\n"
    assert (tmp_path / "notes.txt").read_text() == written


def test_an_error_of_the_tools_own_is_exit_2_in_one_line_with_its_traceback_in_the_reports(
    main: Callable[[dict[str, str]], Stopped], mock: server.RunningMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug of ours is not drift: exit 2, never 1; one line names it, the report set says the run could not be made,
    and the traceback is in its debug.log (not on the console)."""

    def broken(*_: object) -> None:
        raise IndexError("list index out of range")

    monkeypatch.setattr(pipeline, "conform", broken)
    stopped = main({"CPH_BASE_URL": mock.base_url, "CPH_PROJECT_ID": mock.project_id, "CPH_AUTH_TOKEN": mock.token})
    assert stopped.status == CANNOT_RUN
    (line,) = stopped.stderr.strip().splitlines()
    assert "an error of the tool's own (IndexError: list index out of range)" in line and "Traceback" not in line
    assert "## The run could not be made" in stopped.summary
    debug = (tmp_path / "reports" / DEBUG).read_text()
    assert "Traceback (most recent call last)" in debug and "IndexError" in debug and mock.token not in debug
