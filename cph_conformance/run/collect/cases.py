"""Schemathesis' cases: what it generated and what its own checks said of each, read into Cases. Its requests go
through the run's gateway, so they are in the sender's log like every other request; Cases joins them by case id.

Two ways to run it, one result: its CLI in a child process (the run: its console output, its own reports in the
reports folder, settings from schemathesis.toml), or its engine in this process with the same schemathesis.toml
(the tests). The child holds no secret (the gateway does: its environment is this process' less every credential),
and ends with the run (cph_conformance.children).

Either way schemathesis also runs the project's sourced rules of one answer, as its check RULES, from the hooks
module HOOKS (cph_conformance.run.collect.shrinking), so that Hypothesis shrinks a fuzzing case that breaks one. The
cases RULES failed are kept apart (Cases.broken): the run judges every answer itself, and grades only schemathesis'
own checks (Cases.outcomes).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cph_conformance import children, settings
from cph_conformance.run.transport.deadline import Deadline
from cph_conformance.run.transport.gateway import HOST, PLACEHOLDER
from cph_conformance.spec import ROOT, SPEC_PATH

TOML = ROOT / "schemathesis.toml"
MAX_LINE = 64 << 20  # bytes of one event the reader takes; the gateway bounds what an event can hold far below it
ERRORS_KEPT = 20
WAIT_SLICE = 1.0  # seconds the run waits for schemathesis at a time, between looks at its deadline
RULES = "project_rules"  # schemathesis' check of the project's rules (HOOKS registers it)
HOOKS = "cph_conformance.run.collect.shrinking"


@dataclass(frozen=True)
class Outcome:
    case_id: str  # the case whose answer was judged (for ignored_auth, its probe without the credential)
    check: str  # schemathesis' check
    failure: str | None  # its failure message, or None when it passed


@dataclass
class Cases:
    count: int = 0
    phases: dict[str, str] = field(default_factory=dict)  # case id -> examples, coverage, fuzzing
    outcomes: list[Outcome] = field(default_factory=list)  # schemathesis' own checks
    errors: list[str] = field(default_factory=list)  # schemathesis' own errors, and what could not be read
    status: int = 0  # the CLI's exit status
    broken: list[Outcome] = field(default_factory=list)  # the cases RULES failed (each a rule of the project broken)
    shrink_requests: int = 0  # the cap on the fuzzing phase's requests after a case broke a rule (0: no shrinking)
    stopped: bool = False  # the run's deadline stopped it before its end: what it did not write is no error of its own


# --- the run's settings, as schemathesis.toml reads them --------------------------------------------------------


def toml_variables(
    base_url: str, project_id: str, limit: str, reports: Path, token: str = PLACEHOLDER
) -> dict[str, str]:
    """The ${...} variables schemathesis.toml reads, for a run against base_url (the gateway, which puts the
    credential where the placeholder is)."""
    return {
        "CPH_BASE_URL": base_url,
        "CPH_PROJECT_ID": project_id,
        "CPH_AUTH_TOKEN": token,
        "CPH_RATE_LIMIT": limit,
        "CPH_REPORTS_DIR": str(reports),
    }


def rules_settings(shrink_requests: int, strict: bool) -> dict[str, str]:
    """The settings RULES reads from its environment: the CLI child's, or this process' while the engine runs."""
    return {"CPH_SHRINK_REQUESTS": str(shrink_requests), "CPH_STRICT": "1" if strict else "0"}


def command(env: Mapping[str, str]) -> list[str]:
    """schemathesis run, with the seed, examples and phases the settings ask for (else their defaults); every other
    setting of schemathesis is in schemathesis.toml."""
    return [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        str(SPEC_PATH.relative_to(ROOT)),
        "--seed",
        settings.value(env, "CPH_SEED"),
        "--max-examples",
        settings.value(env, "CPH_MAX_EXAMPLES"),
        "--phases",
        settings.value(env, "CPH_PHASES"),
    ]


def no_proxy_for_loopback(env: Mapping[str, str]) -> dict[str, str]:
    """NO_PROXY with the gateway's host added: schemathesis must reach the loopback gateway directly, whatever
    HTTP(S)_PROXY a CI network sets."""
    return {name: ",".join(filter(None, [env.get(name), HOST])) for name in ("NO_PROXY", "no_proxy")}


# --- the CLI, in a child process ---------------------------------------------------------------------------------


def run_cli(
    gateway_url: str,
    project_id: str,
    limit: str,
    reports: Path,
    env: Mapping[str, str],
    deadline: Deadline,
    show: Callable[[str], None],
    extra: Sequence[str] = (),
    secrets: Iterable[str] = (),
    shrink_requests: int = 0,
) -> Cases:
    """The schemathesis CLI against the gateway, its output shown line by line (show masks and escapes it); ended
    when the deadline passes, and with the run whatever ends it. Its environment holds no credential (secrets: the
    values no variable of it may hold). Its cases, read from the events it wrote. shrink_requests:
    CPH_SHRINK_REQUESTS, the requests Hypothesis may send to shrink a case that broke a rule."""
    child_env = {
        **children.environment({**os.environ, **env}, secrets),
        **toml_variables(gateway_url, project_id, limit, reports),
        **rules_settings(shrink_requests, settings.flag(env, "CPH_STRICT")),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "generated")]),  # the checks read the client too
        "SCHEMATHESIS_HOOKS": HOOKS,
        **no_proxy_for_loopback(env),
    }
    events = reports / "events.ndjson"
    args = [*command(env), *extra]
    options: dict[str, Any] = {"cwd": ROOT, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
    with children.running(args, child_env, text=True, errors="replace", **options) as proc:
        output = proc.stdout
        assert output is not None
        reader = threading.Thread(target=lambda: _echo(output, show), name="schemathesis-output", daemon=True)
        reader.start()
        stopped = not _ended(proc, deadline)
        if stopped:
            deadline.stop(deadline.why or "the run's deadline (CPH_DEADLINE) passed during schemathesis' cases")
            children.stop(proc)
        reader.join(timeout=5)
    cases = read_events(events) if events.exists() else Cases(errors=[f"schemathesis wrote no {events.name}"])
    cases.status = proc.returncode
    cases.stopped = stopped
    cases.shrink_requests = shrink_requests
    return cases


def _ended(proc: subprocess.Popen[Any], deadline: Deadline) -> bool:
    """Whether the child ended by itself before the deadline: waited for a second at a time, so that a deadline the
    endpoint ends early (a Retry-After past it) stops the child at once, not when the clock would have."""
    while not deadline.passed:
        try:
            proc.wait(timeout=min(WAIT_SLICE, max(deadline.left(), 0.01)))
        except subprocess.TimeoutExpired:
            continue
        return True
    return proc.poll() is not None


def _echo(lines: Iterable[str], show: Callable[[str], None]) -> None:
    for line in lines:
        show(line)


def read_events(path: Path) -> Cases:
    """Schemathesis' NDJSON events: every case's phase and each check's outcome on it. A line that is not an event
    (cut short, interleaved) is an error of the run, never a crash."""
    cases = Cases()
    with path.open("rb") as lines:
        for n, line in enumerate(lines, 1):
            event = _event(line, n, cases)
            if event is not None:
                _record(cases, event)
    return cases


def _event(line: bytes, n: int, cases: Cases) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        event = json.loads(line) if len(line) <= MAX_LINE else None
    except (ValueError, RecursionError):
        event = None
    if not isinstance(event, dict):
        _error(cases, f"events.ndjson line {n} is not an event that can be read (cut short or mixed with another)")
        return None
    return event


def _error(cases: Cases, message: str) -> None:
    if len(cases.errors) < ERRORS_KEPT:
        cases.errors.append(message[:500])


def _record(cases: Cases, event: dict[str, Any]) -> None:
    finished = event.get("ScenarioFinished")
    if isinstance(finished, dict) and isinstance(finished.get("recorder"), dict):
        recorder = finished["recorder"]
        phase = str(finished.get("phase") or "")
        scenario = {
            case_id: (case.get("parent_id") if isinstance(case, dict) else None)
            for case_id, case in (recorder.get("cases") or {}).items()
        }
        checks = {
            case_id: [(str(c.get("name")), _failure(c)) for c in ran if isinstance(c, dict)]
            for case_id, ran in (recorder.get("checks") or {}).items()
            if isinstance(ran, list)
        }
        steps = {
            (case_id, str(c.get("name"))): _last_step(c)
            for case_id, ran in (recorder.get("checks") or {}).items()
            if isinstance(ran, list)
            for c in ran
            if isinstance(c, dict)
        }
        _scenario(cases, phase, scenario, checks, steps)
    for kind in ("NonFatalError", "FatalError"):
        if isinstance(event.get(kind), dict):
            info = event[kind].get("info") or event[kind]
            _error(
                cases, str(info.get("message") or info.get("title") or info) if isinstance(info, dict) else str(info)
            )


def _failure(check: dict[str, Any]) -> str | None:
    if check.get("status") != "failure":
        return None
    failure = (check.get("failure_info") or {}).get("failure") or {}
    return str(failure.get("message") or failure.get("title") or "")


def _last_step(check: dict[str, Any]) -> str | None:
    steps = (check.get("failure_info") or {}).get("steps") or []
    return str(steps[-1].get("case_id")) if steps and isinstance(steps[-1], dict) else None


def _scenario(
    cases: Cases,
    phase: str,
    scenario: Mapping[str, Any],
    checks: Mapping[str, list[tuple[str, str | None]]],
    steps: Mapping[tuple[str, str], str | None],
) -> None:
    """One scenario of cases, from the CLI's events or the engine's recorder alike."""
    cases.count += len(scenario)
    for case_id in scenario:
        cases.phases[str(case_id)] = phase
    for case_id, ran in checks.items():
        for name, failure in ran:
            # A probe (ignored_auth's request without the credential) is its own case, the failure's last step.
            judged = steps.get((case_id, name)) or case_id
            if name != RULES:
                cases.outcomes.append(Outcome(str(judged), name, failure))
            elif failure is not None:
                cases.broken.append(Outcome(str(judged), name, failure))


# --- the engine, in this process ---------------------------------------------------------------------------------


def run_engine(
    gateway_url: str,
    project_id: str,
    seed: int,
    max_examples: int,
    phases: Iterable[str] | None = None,
    checks: list[str] | None = None,
    shrink_requests: int | None = None,
    strict: bool = False,
) -> Cases:
    """Schemathesis' engine against the gateway, configured by schemathesis.toml as the CLI is, no report written;
    only some phases or checks (else schemathesis.toml's: RULES among them); shrink_requests: CPH_SHRINK_REQUESTS
    (else its default against a mock)."""
    import schemathesis
    from schemathesis.engine import from_schema

    from cph_conformance import spec

    if shrink_requests is None:
        shrink_requests = int(settings.value({}, "CPH_SHRINK_REQUESTS", live=False))
    config = engine_config(toml_variables(gateway_url, project_id, "100000/s", Path("unused")))
    project = config.projects.default
    project.seed = seed
    project.generation.update(max_examples=max_examples)
    if phases is not None:
        wanted = set(phases)
        for phase in ("examples", "coverage", "fuzzing", "stateful"):
            project.phases.get_by_name(name=phase).enabled = phase in wanted
    if checks is not None:
        project.checks.update(included_check_names=checks)
    schema = schemathesis.openapi.from_dict(spec.load(), config=config)
    cases = Cases(shrink_requests=shrink_requests)
    with exported(rules_settings(shrink_requests, strict)):  # RULES reads them when the engine builds it
        for event in from_schema(schema).execute():
            _engine_event(cases, event)
    return cases


def _engine_event(cases: Cases, event: Any) -> None:
    """One event of the engine: its errors, and each scenario's cases and checks, as read_events reads the CLI's."""
    from schemathesis.engine import events

    if isinstance(event, events.Interrupted):  # the engine catches Ctrl-C: the caller must still stop
        raise KeyboardInterrupt
    if isinstance(event, events.NonFatalError | events.FatalError):
        _error(cases, str(getattr(event, "info", event)))
    if isinstance(event, events.ScenarioFinished):
        recorder = event.recorder
        phase = event.phase.value if event.phase is not None else ""
        scenario = {case_id: node.parent_id for case_id, node in recorder.cases.items()}
        ran = {case_id: [(c.name, _engine_failure(c)) for c in checks_] for case_id, checks_ in recorder.checks.items()}
        steps = {
            (case_id, c.name): (c.failure_info.steps[-1].case_id if c.failure_info and c.failure_info.steps else None)
            for case_id, checks_ in recorder.checks.items()
            for c in checks_
        }
        _scenario(cases, phase, scenario, ran, steps)


def _engine_failure(check: Any) -> str | None:
    info = check.failure_info
    return (info.failure.message or info.failure.title) if info is not None else None


@contextlib.contextmanager
def exported(values: Mapping[str, str]) -> Iterator[None]:
    """The environment with values set, for the block only: what was there before comes back after."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def engine_config(values: Mapping[str, str]) -> Any:
    """schemathesis.toml with its ${...} variables filled from values, and no report written. schemathesis fills the
    variables when it reads the file: they are set only for that read, none outlives it. HOOKS is loaded first: the
    file configures its check."""
    from schemathesis.config import SchemathesisConfig

    importlib.import_module(HOOKS)  # by name, as the CLI child loads it (SCHEMATHESIS_HOOKS)
    with exported(values):
        config = SchemathesisConfig.from_path(TOML)
    for fmt in ("junit", "vcr", "ndjson"):
        getattr(config.reports, fmt).enabled = False
    return config
