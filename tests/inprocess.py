"""The run's own pipeline (cph_conformance.run.pipeline) against the mock's ASGI app or tests/faithful_service.py,
in this process: the same sender, gateway, walk, probes, checks and replays as `make conformance`; only the sender's
transport reaches an app in this process instead of a server, and schemathesis runs as its engine here (through the
gateway) instead of as its CLI in a child process. No mock server, no subprocess."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import sys
import threading
from collections.abc import Iterable
from typing import Any

import httpx

from cph_conformance import settings, spec
from cph_conformance.mock.app import Settings, create_app
from cph_conformance.mock.catalog import DEFAULT_SIZE
from cph_conformance.run import pipeline
from cph_conformance.run.collect import cases as schemathesis
from cph_conformance.run.collect import walk
from cph_conformance.run.transport import gateway
from cph_conformance.run.transport.bounds import Bounds
from cph_conformance.run.transport.credential import Signed, Token
from cph_conformance.run.transport.deadline import Deadline
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.transport.patience import AGAIN, Patience
from cph_conformance.run.transport.secrets import Secrets
from cph_conformance.run.transport.sender import Sender
from cph_conformance.run.transport.target import Target
from cph_conformance.run.verdict.judge import Facts
from cph_conformance.run.verdict.verdict import Verdict
from tests import faithful_service

# httpx's ASGITransport looks for sniffio (trio's) on every request. Where it is not installed, each failed import
# searches the whole path again: 7 lookups, a tenth of an in-process request. Known absent, it is said so once.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

PROJECT = "0123456789abcdef0123456789abcdef"
TOKEN = "MIIT-in-process-token-0123456789abcdefghijklmnop"  # noqa: S105  (a test token)
AK, SK = "INPROCESSACCESSKEY01", "in-process-secret-key-0123456789abcdefghij"  # an access key pair the mock takes
ENDPOINT = "https://cph.example"
SEED = int(settings.BY_NAME["CPH_SEED"].default)  # the runner's
DEADLINE = 600.0

FAITHFUL = "faithful:"  # a target named "faithful:<flavour>" is tests/faithful_service.py, not the mock


@functools.cache  # connexion validates the whole spec for each app it builds: once per target is enough
def app(target: str | None = None, images: int = DEFAULT_SIZE) -> Any:
    """The ASGI app of a target: the mock with a fault (or none), which takes the token and AK/SK, or the faithful
    stand-in in a flavour (tokens only)."""
    if target is not None and target.startswith(FAITHFUL):
        return faithful_service.app(PROJECT, TOKEN, target.removeprefix(FAITHFUL))
    return create_app(Settings(project_id=PROJECT, token=TOKEN, images=images, fault=target, ak=AK, sk=SK))


class _Loops(threading.local):
    """An event loop for each thread that sends, run in that thread: no hop to another thread per request (half of
    an in-process request's cost when one loop served them all). The apps keep no state bound to a loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()


_LOOPS = _Loops()


class AppTransport(httpx.BaseTransport):
    """An ASGI app as the sender's transport: each request handled on the sending thread's event loop, its answer
    read whole (the app in this process is no hostile endpoint)."""

    def __init__(self, asgi: Any) -> None:
        self._asgi = httpx.ASGITransport(app=asgi)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def handled() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            sent = httpx.Request(request.method, request.url, headers=request.headers, content=request.read())
            response = await self._asgi.handle_async_request(sent)
            content = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            return response.status_code, response.headers.raw, content

        status, headers, content = _LOOPS.loop.run_until_complete(handled())
        return httpx.Response(status, headers=headers, content=content, request=request)


def _no_pause(_: float) -> None:
    pass


def target(signed: bool = False) -> Target:
    """The in-process target, as the runner's: its endpoint, project and credential (the token, or signed with AK/SK
    as CPH_AK and CPH_SK make a run sign its requests)."""
    if signed:
        return Target("mock", ENDPOINT, PROJECT, Signed(AK, SK, PROJECT), "CPH_AK and CPH_SK", Secrets([SK]))
    return Target("mock", ENDPOINT, PROJECT, Token(spec.auth_header(), TOKEN), "CPH_AUTH_TOKEN", Secrets([TOKEN]))


def sender(
    name: str | None = None,
    images: int = DEFAULT_SIZE,
    again: int = AGAIN,
    limits: Bounds | None = None,
    signed: bool = False,
) -> Sender:
    """The run's sender to a target's app: unpaced, with no wait for throttling or blips."""
    t = target(signed)
    deadline = Deadline(DEADLINE)
    patience = Patience(
        0,
        spec.statuses_when("throttled"),
        sleep=_no_pause,
        transient=spec.statuses_when("transient"),
        again=again,
        deadline=deadline,
    )
    transport = AppTransport(app(name, images))
    return Sender(ENDPOINT, PROJECT, t.credential, t.secrets, patience, deadline, limits, transport)


def cases_source(
    max_examples: int,
    phases: Iterable[str] | None,
    checks: list[str] | None,
    seed: int = SEED,
    shrink_requests: int | None = None,
    strict: bool = False,
) -> pipeline.CasesSource:
    def run(gateway_url: str) -> schemathesis.Cases:
        return schemathesis.run_engine(
            gateway_url, PROJECT, seed, max_examples, phases, checks, shrink_requests, strict
        )

    return run


def verdict(
    name: str | None,
    max_examples: int = 10,
    checks: list[str] | None = None,
    phases: tuple[str, ...] | None = ("coverage", "fuzzing"),
    walked: bool = True,
    probed: bool = True,
    strict: bool = False,
    walk_budget: int = walk.MAX_REQUESTS,
    replayed: bool = True,
    fail_on_flaky: bool = False,
    shrink_requests: int | None = None,
    signed: bool = False,
) -> Verdict:
    """The run's verdict on a target, in process, by the run's own pipeline: schemathesis' cases (unless phases is
    empty: none; shrunk within shrink_requests, else CPH_SHRINK_REQUESTS' default against the mock), the walk (within
    a budget of requests) and the probes (when asked for), every answer judged by every check, and every failure sent
    again (unless not replayed: CPH_REPLAY=0); signed: with AK/SK, not the token."""
    again = AGAIN if replayed else 0
    plan = pipeline.Plan(
        walk=walked or probed,
        probes=probed,
        again=again,
        strict=strict,
        fail_on_flaky=fail_on_flaky,
        rate_limit="in process",
        walk_budget=walk_budget,
        pause=_no_pause,
        say=lambda _: None,
    )
    source = (
        cases_source(max_examples, phases, checks, shrink_requests=shrink_requests, strict=strict) if phases else None
    )
    run_sender = sender(name, again=again, signed=signed)
    try:
        return pipeline.conform(target(signed), run_sender, source, plan)
    finally:
        run_sender.close()


def weighed(facts: Facts, strict: bool = True, fail_on_flaky: bool = False) -> Verdict:
    """The verdict on evidence made by a test, as the pipeline weighs the run's (no replays: nothing to send)."""
    plan = pipeline.Plan(again=0, strict=strict, fail_on_flaky=fail_on_flaky, rate_limit="5/s", say=lambda _: None)
    return pipeline.weigh("a table", facts, plan)


def answers(*exchanges: Exchange, strict: bool = True) -> Verdict:
    """The verdict on answers made by a test."""
    return weighed(Facts(tuple(exchanges)), strict)


@functools.cache
def quick_run(name: str | None) -> Verdict:
    """A quick whole run against a target, once per session: some of schemathesis' fuzzing, the walk and the probes."""
    return verdict(name, max_examples=3, phases=("fuzzing",))


def requests_sent(name: str | None, seed: int) -> list[str]:
    """Every request of schemathesis' fuzzing phase (the one the seed steers), in order, as "METHOD URL"."""
    run_sender = sender(name)
    with gateway.running(run_sender) as gw:
        cases_source(10, ("fuzzing",), None, seed)(gw.base_url)
    return [f"{ex.method} {ex.url}" for ex in run_sender.log if ex.case_id]


configured = schemathesis.engine_config
