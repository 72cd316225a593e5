"""Throttling waited out (patience.py), on a clock of the test's own: a throttled answer is asked
again after Retry-After or a doubling wait, the pace slows and recovers, and patience has bounds. No server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cph_conformance import spec
from cph_conformance.run.transport import patience
from cph_conformance.run.transport.patience import Patience

THROTTLED = spec.statuses_when("throttled")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def answers(*statuses: int, retry_after: str | None = None) -> Iterator[httpx.Response]:
    for status in statuses:
        yield httpx.Response(status, headers={"Retry-After": retry_after} if retry_after else {})


def patient(clock: Clock, per_second: float = 0, budget: float = 300) -> Patience:
    return Patience(per_second, THROTTLED, budget, sleep=clock.sleep, clock=lambda: clock.now)


def test_the_spec_names_throttling() -> None:
    assert {429} == THROTTLED


@pytest.mark.parametrize(
    ("statuses", "retry_after", "waits", "status"),
    [
        ((200,), None, [], 200),
        ((429, 200), None, [patience.BACKOFF], 200),  # no Retry-After (Huawei promises none): a short wait
        ((429, 429, 429, 200), None, [0.5, 1.0, 2.0], 200),  # doubling
        ((429, 200), "3", [3.0], 200),  # the service says how long
        ((429,) * patience.ATTEMPTS, None, [0.5, 1.0, 2.0, 4.0, 8.0], 429),  # handed back after the last try
        ((400,), None, [], 400),  # not throttling: an answer like any other
    ],
)
def test_a_throttled_answer_is_asked_again_after_a_wait(
    statuses: tuple[int, ...], retry_after: str | None, waits: list[float], status: int
) -> None:
    clock = Clock()
    p = patient(clock)
    got = answers(*statuses, retry_after=retry_after)
    assert p.send(lambda: next(got)).status_code == status
    assert [s for s in clock.slept if s >= patience.BACKOFF] == waits
    assert p.throttled == sum(1 for s in statuses if s in THROTTLED)
    assert p.gave_up == (1 if status in THROTTLED else 0)


def test_the_pace_slows_when_throttled_and_recovers() -> None:
    clock = Clock()
    p = patient(clock, per_second=100)  # one request every 10 ms at most
    first = answers(429, 200)
    p.send(lambda: next(first))
    assert p.slowest >= 0.05
    slow = p._interval
    for _ in range(40):
        p.send(lambda: httpx.Response(200))
    assert p._interval < slow and p._interval >= 0.01


def test_waiting_stops_when_the_runs_budget_is_spent() -> None:
    clock = Clock()
    p = patient(clock, budget=1.0)
    got = answers(429, 429, 429, 200)
    assert p.send(lambda: next(got)).status_code == 429  # 0.5 s, then 1 s would go over the budget
    assert p.waited == 0.5 and p.gave_up == 1


def test_a_client_of_the_gateway_waits_long_enough_for_every_try() -> None:
    import tomllib
    from pathlib import Path

    bound = Patience(5, THROTTLED, transient=spec.statuses_when("transient"), again=patience.AGAIN).bound(10.0)
    toml = tomllib.loads((Path(spec.ROOT) / "schemathesis.toml").read_text())
    assert toml["request-timeout"] >= bound


@pytest.mark.parametrize(("value", "seconds"), [("2", 2.0), (None, None), ("soon", None)])
def test_retry_after_in_seconds_or_unreadable(value: str | None, seconds: float | None) -> None:
    assert patience.retry_after(value) == seconds


TRANSIENT = spec.statuses_when("transient")


class Lost:
    """A lost connection where an answer was expected: closed, or silent (no answer within the time for one)."""

    def __init__(self, error: httpx.TransportError) -> None:
        self.error = error


LOST = Lost(httpx.RemoteProtocolError("Server disconnected without sending a response."))
SILENT = Lost(httpx.ReadTimeout("no answer within 10 s"))


def test_the_spec_names_the_blips() -> None:
    assert {502, 503, 504} == TRANSIENT


@pytest.mark.parametrize(
    ("outcomes", "again", "status", "blips", "recovered", "unavailable"),
    [
        ((200,), 2, 200, 0, 0, 0),
        ((503, 200), 2, 200, 1, 1, 0),  # a blip, then the answer: the request is answered
        ((502, 504, 200), 2, 200, 2, 1, 0),
        ((LOST, 200), 2, 200, 1, 1, 0),  # a reset connection, asked again
        ((503, 503, 503), 2, 503, 3, 0, 1),  # handed back after the last try
        ((503, LOST, LOST), 2, None, 3, 0, 1),  # the last try's exception
        ((503,), 0, 503, 1, 0, 1),  # CPH_REPLAY=0: the first answer counts
        ((500,), 2, 500, 0, 0, 0),  # a failure of the service is no blip: an answer to judge (and replay)
        ((429, 503, 200), 2, 200, 1, 1, 0),  # throttling waited out inside each try
        # A silence took the whole time for one answer: not waited for again here (the run's replays may)
        ((SILENT, 200), 2, None, 1, 0, 1),
        ((503, SILENT, 200), 2, None, 2, 0, 1),
    ],
)
def test_a_blip_is_asked_again_and_counted(
    outcomes: tuple[int | Lost, ...], again: int, status: int | None, blips: int, recovered: int, unavailable: int
) -> None:
    clock = Clock()
    p = Patience(0, THROTTLED, sleep=clock.sleep, clock=lambda: clock.now, transient=TRANSIENT, again=again)
    got = iter(outcomes)

    def send() -> httpx.Response:
        outcome = next(got)
        if isinstance(outcome, Lost):
            raise outcome.error
        return httpx.Response(outcome)

    if status is None:
        with pytest.raises(httpx.TransportError):
            p.send(send)
    else:
        assert p.send(send).status_code == status
    assert (p.blips, p.recovered, p.unavailable) == (blips, recovered, unavailable)
    waits = blips - 1 if SILENT in outcomes else min(blips, again)  # no wait after the silence that ends it
    assert [s for s in clock.slept if s >= patience.TRANSIENT_BACKOFF][:waits] == [
        patience.TRANSIENT_BACKOFF * 2**n for n in range(waits)
    ]


def test_blips_are_listed_by_request_and_a_down_endpoint_gets_one_try_each() -> None:
    clock = Clock()
    p = Patience(0, THROTTLED, sleep=clock.sleep, clock=lambda: clock.now, transient=TRANSIENT, again=2)
    sent = 0

    def always_503() -> httpx.Response:
        nonlocal sent
        sent += 1
        return httpx.Response(503)

    for n in range(patience.DOWN_AFTER + 2):
        assert p.send(always_503, label=f"GET /x?n={n}").status_code == 503
    # Three tries each until the endpoint looks down; then one each.
    assert sent == 3 * patience.DOWN_AFTER + 2
    assert p.listed[0] == "GET /x?n=0: 503, 503, 503, never answered"
    assert p.listed[-1] == f"GET /x?n={patience.DOWN_AFTER + 1}: 503, never answered"
    p.send(lambda: httpx.Response(200), label="GET /y")  # an answer: the endpoint is back
    assert not p.down
    got = iter([httpx.Response(503), httpx.Response(200)])
    assert p.send(lambda: next(got), label="GET /z").status_code == 200
    assert p.listed[-1] == "GET /z: 503, then answered"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("9" * 5000, patience.LONGEST_ASKED),  # a number no float holds: a year, past any deadline
        ("\u00b2", None),  # a digit to str.isdigit(), not to float()
        ("\u0661\u0660", None),  # Arabic-Indic digits: not RFC 9110's delay-seconds
        ("-5", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date past: no wait
        ("Fri, 31 Dec 9999 23:59:59 GMT", patience.LONGEST_ASKED),  # a date centuries on: a year
    ],
)
def test_a_retry_after_is_read_as_rfc_9110_writes_it(value: str | None, seconds: float | None) -> None:
    assert patience.retry_after(value) == seconds
