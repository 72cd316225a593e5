"""The whole conformance run in this process, against the mock's ASGI app or tests/faithful_service.py (no server,
no port, no subprocess): schemathesis' engine, the walk and the probes, judged as the runner judges them."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from cph_conformance import spec
from cph_conformance.mock.app import Settings, create_app
from cph_conformance.mock.catalog import DEFAULT_SIZE
from cph_conformance.run import probes, runner, settings, walk
from cph_conformance.run.credential import VALID, headers_for
from cph_conformance.run.exchange import Exchange, auth_of_recorded
from cph_conformance.run.verdict import Verdict
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


def fetch(target: str | None = None, images: int = DEFAULT_SIZE) -> walk.Fetch:
    def get(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        response = _LOOP.run_until_complete(
            client(target, images).get(
                spec.OPERATION_PATH.format(project_id=project or PROJECT),
                params=query,
                headers=headers_for(auth, TOKEN),
            )
        )
        return Exchange.of_response(response, ENDPOINT, auth, phase="")

    return get


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


SEED = int(settings.BY_NAME["SEED"].default)  # the runner's


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
    it (the failure message or None), as cph_conformance.run.recorded reads them from the CLI's events."""
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
) -> Verdict:
    """The run's verdict on a target, in process: schemathesis' cases (unless phases is empty), the walk (within a
    budget of requests) and the probes (when asked for), every answer judged by every check."""
    v = Verdict(target or "the clean mock", strict=strict, rate_limit="in process")
    answers, outcomes = cases(target, max_examples, checks, phases) if phases else ([], None)
    walk_done = walk.run(fetch(target), walk_budget) if walked or probed else None
    answered = probes.run(fetch(target), probes.plan(PROJECT, walk_done.marker)) if probed and walk_done else None
    if walk_done is not None:
        answers += walk_done.exchanges
    answers += [ex for _, ex in answered or ()]
    v.judge(answers, outcomes, walk_done if walked else None, answered)
    return v


@functools.cache
def quick_run(target: str | None) -> Verdict:
    """A quick whole run against a target, once per session: some of schemathesis' fuzzing, the walk and the probes."""
    return verdict(target, max_examples=3, phases=("fuzzing",))
