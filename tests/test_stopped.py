"""A run the deadline stopped (CPH_DEADLINE: its own clock, or an endpoint asking to wait past it with Retry-After)
names that cause first, says what it cut short, gives advice that fits the cause, and lists what follows from the stop
(schemathesis stopped, no events written) as that, not as errors of their own. Both ways, from tables, in process:
the pipeline with a transport that answers as the endpoint would, and a cases source standing in for schemathesis."""

from __future__ import annotations

import subprocess
from typing import Any, cast

import httpx
import pytest

from cph_conformance import spec
from cph_conformance.run import pipeline
from cph_conformance.run.collect import cases, walk
from cph_conformance.run.collect.cases import Cases
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.result import Result
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.deadline import Deadline
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.transport.patience import Patience
from cph_conformance.run.transport.sender import Sender
from cph_conformance.run.verdict.findings import ERROR
from cph_conformance.run.verdict.judge import CASES, PROBES, WALK, Facts, Stopped
from cph_conformance.run.verdict.verdict import CANNOT_RUN, Verdict
from tests import inprocess

URL = "https://cph.example" + spec.OPERATION_PATH.format(project_id=inprocess.PROJECT)
THROTTLED = Exchange(
    "GET",
    f"{URL}?limit=1",
    VALID,
    429,
    {"content-type": "application/json"},
    spec.error_example(429),
    phase="preflight",
)
NOT_RUN = ((CASES, "not run"), (WALK, "not run"), (PROBES, "not run"))


@pytest.mark.parametrize(
    ("stopped", "advice", "not_advice"),
    [
        # The endpoint asked to wait 28 hours: no pace helps, a later run or a longer deadline does (the trial's C8).
        (Stopped(120, 99999, NOT_RUN), "Run again later, or raise CPH_DEADLINE above 99999 s", "CPH_RATE_LIMIT"),
        # The clock: more time helps.
        (Stopped(120, None, NOT_RUN), "Raise CPH_DEADLINE (it was 120 s)", "CPH_RATE_LIMIT"),
        # Throttled within the deadline: a slower pace helps.
        (None, "Lower CPH_RATE_LIMIT (it was 5/s)", "CPH_DEADLINE"),
    ],
)
def test_the_advice_fits_what_stopped_the_run(stopped: Stopped | None, advice: str, not_advice: str) -> None:
    v = inprocess.weighed(Facts((THROTTLED,), stopped=stopped), strict=False)
    said = "\n".join([*v.inconclusive, *(f.message for f in v.findings)])
    assert v.exit_status == CANNOT_RUN and advice.lower() in said.lower() and not_advice not in said
    if stopped is not None:  # the cause first among the errors, naming what it kept from running
        first = v.of(ERROR)[0]
        assert (
            first.check == "deadline"
            and "Cut short: schemathesis' cases (not run), the walk (not run)" in first.message
        )
        assert report.first_lines(Result(v))[1].startswith("deadline: ")  # and first on the console, under the verdict


def answering(status: int, headers: dict[str, str]) -> httpx.MockTransport:
    body = spec.error_example(status) if status >= 400 else spec.example_response()
    return httpx.MockTransport(lambda request: httpx.Response(status, headers=headers, json=body))


def run(transport: httpx.BaseTransport, found: Cases | None, stop_during: bool = False) -> tuple[Verdict, list[str]]:
    """The pipeline against an endpoint that answers through transport, schemathesis standing in as found (its
    deadline stopped while it runs, when stop_during), the walk and the probes after; what the stand-in was asked."""
    t = inprocess.target()
    deadline = Deadline(120)
    patience = Patience(0, spec.statuses_when("throttled"), sleep=lambda _: None, deadline=deadline)
    sender = Sender(inprocess.ENDPOINT, inprocess.PROJECT, t.credential, t.secrets, patience, deadline, None, transport)
    asked: list[str] = []

    def schemathesis(gateway_url: str) -> Cases:
        asked.append(gateway_url)
        if stop_during:
            deadline.stop("the endpoint asks to wait 99999 s (Retry-After)", 99999)
        return found or Cases()

    plan = pipeline.Plan(again=0, rate_limit="5/s", pause=lambda _: None, say=lambda _: None)
    try:
        return pipeline.conform(t, sender, schemathesis, plan), asked
    finally:
        sender.close()


def test_a_retry_after_past_the_deadline_at_the_first_request_stops_the_run_before_anything_else_starts() -> None:
    """The trial's C8: every answer 429 with Retry-After: 99999. schemathesis is not started (it would only be
    stopped), and nothing of it is an error: the deadline is the one, and says what it kept from running."""
    v, asked = run(answering(429, {"Retry-After": "99999"}), None)
    assert asked == [] and v.stopped is not None and v.stopped.asked == 99999
    assert [f.check for f in v.of(ERROR)] == ["deadline"]
    assert "CPH_RATE_LIMIT" not in "\n".join(v.inconclusive) and "Run again later" in v.of(ERROR)[0].message


@pytest.mark.parametrize("stopped", [True, False])
def test_what_follows_from_stopping_schemathesis_is_no_error_of_its_own(stopped: bool) -> None:
    """Stopped by the deadline, schemathesis writes no events and ends by the run's own SIGTERM: consequences, said
    by the deadline. Ended so without the deadline, both are errors, and the signal is named as not the run's."""
    found = Cases(errors=["schemathesis wrote no events.ndjson"], status=-15, stopped=stopped)
    v, asked = run(answering(200, {}), found, stop_during=stopped)
    errors = {f.check: f.message for f in v.of(ERROR)}
    assert asked and ("deadline" in errors) == stopped and ("schemathesis" in errors) == (not stopped)
    if stopped:
        assert "Cut short: schemathesis' cases (stopped after 0 case(s)), the walk (not run)" in errors["deadline"]
        assert v.of(ERROR)[0].check == "deadline"
    else:
        said = [f.message for f in v.of(ERROR) if f.check == "schemathesis"]
        assert "schemathesis wrote no events.ndjson" in said
        assert any("ended by signal 15 (SIGTERM), not by this run" in s for s in said)
        assert not any("missing_auth" in s for s in said)


class Child:
    """A child process that never ends by itself, whose deadline the endpoint stops after its second wait."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.waited: list[float] = []

    def wait(self, timeout: float) -> int:
        self.waited.append(timeout)
        if len(self.waited) == 2:
            self.deadline.stop("the endpoint asks to wait 99999 s (Retry-After)", 99999)
        raise subprocess.TimeoutExpired("schemathesis", timeout)

    def poll(self) -> None:
        return None


def test_schemathesis_is_stopped_as_soon_as_the_endpoint_ends_the_deadline() -> None:
    """Waited for a slice at a time, not until the deadline's clock: a Retry-After past the deadline, during
    schemathesis' cases, stops it at once."""
    deadline = Deadline(600)
    child = Child(deadline)
    proc: Any = child
    assert cases._ended(proc, deadline) is False
    assert len(child.waited) == 2 and max(child.waited) <= cases.WAIT_SLICE


@pytest.mark.parametrize("by_the_deadline", [True, False])
def test_a_walk_the_deadline_stopped_is_said_by_the_deadline_alone(by_the_deadline: bool) -> None:
    """The walk stopped by the deadline is one of its consequences, listed under it; stopped by anything else (an
    answer it could not get), it is an error of its own."""
    stopped_walk = walk.Walk(cast(Any, None), stopped="the run's deadline passed: nothing more was sent")
    stopped = Stopped(120, None, ((WALK, "stopped after 0 listing(s)"),)) if by_the_deadline else None
    v = inprocess.weighed(Facts((THROTTLED,), walk=stopped_walk, stopped=stopped), strict=False)
    assert [f.check for f in v.of(ERROR)] == (["deadline"] if by_the_deadline else ["walk"])
