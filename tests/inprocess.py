"""The whole conformance run in this process, against the mock's ASGI app or tests/faithful_service.py (no server,
no port, no subprocess): schemathesis' engine, the walk and the probes, judged as the runner judges them."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from cph_conformance import settings, spec
from cph_conformance.mock.app import Settings, create_app
from cph_conformance.mock.catalog import DEFAULT_SIZE
from cph_conformance.run import runner
from cph_conformance.run.collect import probes, walk
from cph_conformance.run.collect.exchange import Exchange, auth_of_recorded
from cph_conformance.run.transport.credential import VALID, headers_for
from cph_conformance.run.transport.patience import AGAIN, Patience
from cph_conformance.run.verdict import replay
from cph_conformance.run.verdict.verdict import Verdict
from cph_conformance.spec import ROOT
from tests import faithful_service

PROJECT = "0123456789abcdef0123456789abcdef"
TOKEN = "MIIT-in-process-token-0123456789abcdefghijklmnop"  # noqa: S105  (a test token)
ENDPOINT = "https://cph.example"

FAITHFUL = "faithful:"  # a target named "faithful:<flavour>" is tests/faithful_service.py, not the mock


@functools.cache  # connexion validates the whole spec for each app it builds: once per target is enough
def app(target: str | None = None, images: int = DEFAULT_SIZE) -> Any:
    """The ASGI app of a target: the mock with a fault (or none), or the faithful stand-in in a flavour."""
    if target is not None and target.startswith(FAITHFUL):
        return faithful_service.app(PROJECT, TOKEN, target.removeprefix(FAITHFUL))
    return create_app(Settings(project_id=PROJECT, token=TOKEN, images=images, fault=target))


# The walk's requests go straight to the app through httpx on one event loop of this thread: starlette's
# TestClient starts a thread and a portal for every request, three times the cost of the app itself.
_LOOP = asyncio.new_event_loop()


@functools.cache
def client(target: str | None = None, images: int = DEFAULT_SIZE) -> httpx.AsyncClient:
    """One client per target, built once per session."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app(target, images)), base_url=ENDPOINT)


def _no_pause(_: float) -> None:
    pass


def _send(target: str | None, images: int, request: httpx.Request, auth: str, phase: str) -> Exchange:
    """One request to a target's app, blips asked again as the run's gateway asks them (its Patience, unpaced)."""
    patience = Patience(0, (), sleep=_no_pause, transient=spec.statuses_when("transient"), again=AGAIN)
    try:
        response = patience.send(lambda: _LOOP.run_until_complete(client(target, images).send(request)))
    except httpx.TransportError as exc:
        url = ENDPOINT + request.url.raw_path.decode("ascii")
        return Exchange(request.method, url, auth, None, {}, None, f"no answer: {type(exc).__name__}", phase)
    return Exchange.of_response(response, ENDPOINT, auth, phase=phase)


def fetch(target: str | None = None, images: int = DEFAULT_SIZE) -> walk.Fetch:
    def get(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        path = spec.OPERATION_PATH.format(project_id=project or PROJECT)
        request = client(target, images).build_request("GET", path, params=query, headers=headers_for(auth, TOKEN))
        return _send(target, images, request, auth, "")

    return get


def resend(target: str | None = None, images: int = DEFAULT_SIZE) -> replay.Resend:
    """Sends an exchange's request to the target's app again, as the runner's replay.sender sends it."""

    def again(ex: Exchange) -> Exchange:
        url = httpx.URL(ENDPOINT).copy_with(raw_path=ex.raw_path)
        request = client(target, images).build_request(ex.method, url, headers=headers_for(ex.auth, TOKEN))
        return _send(target, images, request, ex.auth, "replay")

    return again


def configured(values: dict[str, str]) -> SchemathesisConfig:
    """schemathesis.toml with its ${...} variables filled from values, as the runner fills them, and no report
    written (the events are read in process; and schemathesis 4.32.5's pytest plugin imports allure_commons
    whenever a report is enabled).

    schemathesis fills the variables when it reads the file, so they are set only for that read: none outlives
    it (a CPH_PROJECT_ID left behind changes what later tests run)."""
    with pytest.MonkeyPatch.context() as env:
        for k, v in values.items():
            env.setenv(k, v)
        config = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
    for fmt in ("junit", "vcr", "ndjson"):
        getattr(config.reports, fmt).enabled = False
    return config


SEED = int(settings.BY_NAME["CPH_SEED"].default)  # the runner's


def engine(
    target: str | None,
    max_examples: int = 10,
    seed: int = SEED,
    phases: tuple[str, ...] | None = None,
    checks: list[str] | None = None,
) -> Iterator[events.EngineEvent]:
    """The events of schemathesis' engine, configured by schemathesis.toml, against a target's ASGI app in this
    process; only some phases or checks (else schemathesis.toml's), when a test needs no more."""
    # No report is written (configured()), so the folder is never made.
    config = configured(runner.toml_variables("http://localhost", PROJECT, TOKEN, "100000/s", Path("unused")))
    project = config.projects.default
    project.seed = seed
    project.generation.update(max_examples=max_examples)
    for phase in ("examples", "coverage", "fuzzing", "stateful") if phases is not None else ():
        project.phases.get_by_name(name=phase).enabled = phase in (phases or ())
    if checks is not None:
        project.checks.update(included_check_names=checks)
    schema = schemathesis.openapi.from_dict(spec.load(), config=config)
    schema.app = app(target)
    for event in from_schema(schema).execute():
        if isinstance(event, events.Interrupted):  # the engine catches Ctrl-C: the session must still stop
            raise KeyboardInterrupt
        if isinstance(event, events.NonFatalError):
            raise AssertionError(f"schemathesis error: {event.info}")
        yield event


def requests_sent(target: str | None, seed: int) -> list[str]:
    """Every request of the fuzzing phase (the one the seed steers), in order, as "METHOD URI"."""
    return [
        f"{interaction.request.method} {interaction.request.uri}"
        for event in engine(target, seed=seed, phases=("fuzzing",))
        if isinstance(event, events.ScenarioFinished)
        for interaction in event.recorder.interactions.values()
    ]


def cases(
    target: str | None, max_examples: int = 10, checks: list[str] | None = None, phases: tuple[str, ...] | None = None
) -> tuple[list[Exchange], list[tuple[str, str | None, Exchange]]]:
    """schemathesis' cases against a target in this process: every request and answer, and each check's outcome on
    it (the failure message or None), as cph_conformance.run.collect.recorded reads them from the CLI's events."""
    exchanges: list[Exchange] = []
    outcomes: list[tuple[str, str | None, Exchange]] = []
    for event in engine(target, max_examples, checks=checks, phases=phases):
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        phase = event.phase.value if event.phase is not None else ""
        seen: dict[str, Exchange] = {}
        for case_id, interaction in recorder.interactions.items():
            node = recorder.cases.get(case_id)
            is_probe = node is not None and node.parent_id is not None
            seen[case_id] = Exchange.of_engine(
                interaction, auth_of_recorded(interaction.request.headers, is_probe), phase
            )
            exchanges.append(seen[case_id])
        for case_id, ran in recorder.checks.items():
            ex = seen.get(case_id)
            if ex is None:
                continue
            for check in ran:
                info = check.failure_info
                steps = info.steps if info is not None else []
                shown = seen.get(steps[-1].case_id, ex) if steps else ex
                outcomes.append((check.name, (info.failure.message or info.failure.title) if info else None, shown))
    return exchanges, outcomes


def verdict(
    target: str | None,
    max_examples: int = 10,
    checks: list[str] | None = None,
    phases: tuple[str, ...] | None = ("coverage", "fuzzing"),
    walked: bool = True,
    probed: bool = True,
    strict: bool = False,
    walk_budget: int = walk.MAX_REQUESTS,
    replayed: bool = True,
    fail_on_flaky: bool = False,
) -> Verdict:
    """The run's verdict on a target, in process: schemathesis' cases (unless phases is empty), the walk (within a
    budget of requests) and the probes (when asked for), every answer judged by every check, and every failure sent
    again (unless not replayed: REPLAY=0)."""
    v = Verdict(target or "the clean mock", strict=strict, rate_limit="in process", fail_on_flaky=fail_on_flaky)
    again = AGAIN if replayed else 0
    answers, outcomes = cases(target, max_examples, checks, phases) if phases else ([], None)

    def walked_again(only: Collection[str] = ()) -> walk.Walk:
        return walk.run(fetch(target), walk_budget, again=again, pause=_no_pause, only=only)

    walk_done = walked_again() if walked or probed else None
    answered = probes.run(fetch(target), probes.plan(PROJECT, walk_done.marker)) if probed and walk_done else None
    if walk_done is not None:
        answers += walk_done.exchanges
    answers += [ex for _, ex in answered or ()]
    v.judge(answers, outcomes, walk_done if walked else None, answered)
    if replayed:
        v.replays = replay.confirm(v, resend(target), walked_again if walked else None, pause=_no_pause)
    return v


@functools.cache
def quick_run(target: str | None) -> Verdict:
    """A quick whole run against a target, once per session: some of schemathesis' fuzzing, the walk and the probes."""
    return verdict(target, max_examples=3, phases=("fuzzing",))
