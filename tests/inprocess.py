"""The mock's ASGI app in this process (no server, no port): a walk `fetch` over it and schemathesis' engine
against it, for fast tests."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

import cph_conformance.run.hooks  # noqa: F401  (registers the page's checks with schemathesis)
from cph_conformance import spec
from cph_conformance.mock.app import Settings, create_app
from cph_conformance.run import runner, walk
from cph_conformance.run.verdict import Exchange, Finding, grade
from cph_conformance.spec import ROOT
from tests import faithful_service

PROJECT = "0123456789abcdef0123456789abcdef"
TOKEN = "MIIT-in-process-token-0123456789abcdefghijklmnop"  # noqa: S105  (a test token)


FAITHFUL = "faithful:"  # a target named "faithful:<flavour>" is tests/faithful_service.py, not the mock


@functools.cache  # connexion validates the whole spec for each app it builds: once per target is enough
def app(target: str | None = None, images: int = 60) -> Any:
    """The ASGI app of a target: the mock with a fault (or none), or the faithful stand-in in a flavour."""
    if target is not None and target.startswith(FAITHFUL):
        return faithful_service.app(PROJECT, TOKEN, target.removeprefix(FAITHFUL))
    return create_app(Settings(project_id=PROJECT, token=TOKEN, images=images, fault=target))


# The walk's requests go straight to the app through httpx on one event loop of this thread: starlette's
# TestClient starts a thread and a portal for every request, three times the cost of the app itself.
_LOOP = asyncio.new_event_loop()


@functools.cache
def client(target: str | None = None, images: int = 60) -> httpx.AsyncClient:
    """One client per target, built once per session."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app(target, images)), base_url="https://cph.example")


def fetch(target: str | None = None, images: int = 60) -> walk.Fetch:
    def get(query: dict[str, Any], project: str | None = None, auth: str = walk.VALID) -> walk.Answer:
        response = _LOOP.run_until_complete(
            client(target, images).get(
                spec.OPERATION_PATH.format(project_id=project or PROJECT),
                params=query,
                headers=walk.auth_headers(auth, TOKEN),
            )
        )
        return walk.Answer.of(response, "https://cph.example", auth)

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


SEED = int(runner.DEFAULTS["SEED"])  # the runner's


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


def schemathesis_run(
    target: str | None,
    max_examples: int = 10,
    checks: list[str] | None = None,
    phases: tuple[str, ...] | None = None,
) -> list[Finding]:
    """schemathesis' engine against a target in this process (every check and phase, or only those named); its
    failures graded as the runner grades them (cph_conformance.run.verdict)."""
    findings: list[Finding] = []
    for event in engine(target, max_examples, checks=checks, phases=phases):
        if not isinstance(event, events.ScenarioFinished):
            continue
        for case_id, ran in event.recorder.checks.items():
            interaction = event.recorder.interactions.get(case_id)
            for check in ran:
                if check.failure_info is None or interaction is None:
                    continue
                response = interaction.response
                body: Any = None
                if response is not None:
                    try:
                        body = json.loads(response.content)
                    except ValueError:
                        body = None
                exchange = Exchange(
                    interaction.request.method,
                    interaction.request.uri,
                    response.status_code if response else None,
                    {k.lower(): v[0] for k, v in (response.headers if response else {}).items()},
                    body,
                )
                findings.append(grade(check.name, check.failure_info.failure.message or "", exchange, ""))
    return findings
