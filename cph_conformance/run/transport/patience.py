"""Throttling waited out: the pace of every request the run sends, and what to do with an answer that says "later".

Huawei's API Gateway answers 429 (APIG.0308) when a caller goes faster than its quota, and Huawei's advice is to
retry after a short while (the spec cites both: TooManyRequests, x-when: throttled). No Retry-After header is
promised, so without one the wait doubles from BACKOFF to at most MAX_WAIT; with one, it is taken (up to MAX_WAIT).
Each throttled answer also halves the pace of every later request (the run slows to what the endpoint allows),
which then creeps back towards the configured rate while answers come.

Bounded in count and time: at most ATTEMPTS tries per request, and at most `budget` seconds of waiting in a run.
What is still throttled after that goes back to the caller as it came; the verdict counts it as unjudged, and a run
with more than a small share of those is inconclusive, never passed. A Retry-After longer than the run has left
(its deadline) stops the run at once, naming both: waiting would only reach the deadline with nothing judged.

Blips are asked again too: an answer in one of the `transient` statuses (the spec's 502, 503 and 504: the API
gateway could not reach the service in time) or no answer at all (a reset connection, a timeout) is sent again up to
`again` more times, after TRANSIENT_BACKOFF seconds, doubling (but a silence, which took the whole time for one
answer, is not waited for twice here); what still fails goes back as it came (an exception
for a lost connection), for the run to replay as a whole request and, if it never gets an answer, to say that the
endpoint was unavailable. After DOWN_AFTER requests in a row without an answer, the endpoint looks down: each request
gets one try until one is answered. again=0 (CPH_REPLAY=0): no request is sent twice.
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import httpx

from cph_conformance.run.transport import lost
from cph_conformance.run.transport.deadline import Deadline

ATTEMPTS = 6
BACKOFF = 0.5  # seconds before the first retry without Retry-After
MAX_WAIT = 8.0  # seconds, at most, before one retry
SLOWEST = 2.0  # seconds between requests, at most, however often the endpoint throttles
RECOVERY = 0.9  # each answer that is not throttled shortens the interval to this share, down to the configured one
SAMPLES = 3  # throttled answers kept, so that the run can judge what a throttled answer looks like
AGAIN = 2  # more tries of a request that met a blip (and of a failing request, cph_conformance.run.verdict.replay)
REPLAY_PAUSE = 0.2  # seconds before a failing request (or a failing step of the walk) is sent again
TRANSIENT_BACKOFF = 0.5  # seconds before the first new try after a blip
# A silence took the whole time for one answer: waiting again within its request would triple a hung request's cost.
NOT_ASKED_AGAIN = (lost.Lost.SILENT, lost.Lost.SLOW)
LONGEST_ASKED = 366 * 86400.0  # seconds: a Retry-After that asks for more is read as a year, past any run's deadline
DOWN_AFTER = 5  # requests in a row that met a blip at every try: then one try each, until one is answered
LISTED = 30  # requests that met a blip, listed


@dataclass
class Patience:
    per_second: float  # the configured rate: the fastest the run ever goes
    statuses: Collection[int]  # the statuses that mean "throttled, ask again later"
    budget: float = 300.0  # seconds of waiting a whole run may spend on throttling
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    throttled: int = 0  # throttled answers received (waited out or not)
    gave_up: int = 0  # throttled answers handed back after the last attempt or with the budget spent
    waited: float = 0.0  # seconds spent waiting for throttling to pass
    slowest: float = 0.0  # the longest interval the pace reached, in seconds
    samples: list[httpx.Response] = field(default_factory=list)  # the first SAMPLES throttled answers, read
    transient: Collection[int] = ()  # the statuses of a blip, asked again
    again: int = 0  # more tries after a blip
    blips: int = 0  # blips met (transient answers and lost connections), each followed by a new try or not
    recovered: int = 0  # requests answered after one or more blips
    unavailable: int = 0  # requests that met a blip at every try
    listed: list[str] = field(default_factory=list)  # the first LISTED requests that met a blip: what each met
    deadline: Deadline | None = None  # the run's: a Retry-After past it stops the run
    _streak: int = field(init=False, default=0)  # requests in a row that met a blip at every try
    _interval: float = field(init=False)
    _next: float = field(init=False, default=0.0)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._interval = self._base

    @property
    def _base(self) -> float:
        return 1.0 / self.per_second if self.per_second > 0 else 0.0

    def bound(self, upstream_timeout: float) -> float:
        """The longest a request can take through send(), each try taking at most upstream_timeout: what a client of
        the gateway must be ready to wait."""
        blips = sum(TRANSIENT_BACKOFF * 2.0**n for n in range(self.again))
        return (self.again + 1) * ATTEMPTS * (upstream_timeout + MAX_WAIT + SLOWEST) + blips

    def pace(self) -> None:
        """Wait for this request's turn: one request per interval, across every thread that sends."""
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            self.sleep(start - now)

    def send(self, send: Callable[[], httpx.Response], blips: bool = True, label: str = "") -> httpx.Response:
        """send() at the run's pace, again while the answer is throttled and patience lasts, and again after a blip
        while tries are left (unless not blips: a request that is not the run's own); the last answer (or the last
        lost connection's exception). label names the request in the list of blips."""
        if not blips:
            return self._throttled(send)
        met: list[str] = []
        tries = 1 if self.down else self.again + 1
        for attempt in range(tries):
            try:
                response = self._throttled(send)
            except httpx.TransportError as exc:
                kind = lost.of(exc)[0]
                last = attempt == tries - 1 or self.out_of_time or kind in NOT_ASKED_AGAIN
                met.append(f"no answer ({kind})")
                if last:
                    self._blips(label, met, answered=False)
                    raise
            else:
                last = attempt == tries - 1 or self.out_of_time
                if response.status_code not in self.transient:
                    self._blips(label, met, answered=True)
                    return response
                met.append(str(response.status_code))
                if last:
                    self._blips(label, met, answered=False)
                    return response
            self.sleep(TRANSIENT_BACKOFF * 2**attempt)
        raise AssertionError("unreachable: the last try returns or raises")

    @property
    def out_of_time(self) -> bool:
        """The run's deadline passed (or the endpoint stopped it): no request is asked again."""
        return self.deadline is not None and self.deadline.passed

    @property
    def down(self) -> bool:
        """DOWN_AFTER requests in a row met a blip at every try: the endpoint looks down, and asking each request
        again only takes time (a request answered ends it)."""
        return self.again > 0 and self._streak >= DOWN_AFTER

    def _blips(self, label: str, met: list[str], answered: bool) -> None:
        with self._lock:
            self._streak = 0 if answered else self._streak + 1
            if not met:
                return
            self.blips += len(met)
            self.recovered += answered
            self.unavailable += not answered
            if len(self.listed) < LISTED:
                then = "then answered" if answered else "never answered"
                self.listed.append(f"{label}: {', '.join(met)}, {then}")

    def _throttled(self, send: Callable[[], httpx.Response]) -> httpx.Response:
        """send() at the run's pace, again while the answer is throttled and patience lasts; the last answer."""
        for attempt in range(ATTEMPTS):
            self.pace()
            response = send()
            if response.status_code not in self.statuses:
                with self._lock:
                    self._interval = max(self._base, self._interval * RECOVERY)
                return response
            wait = self._wait(response, attempt)
            asked = retry_after(response.headers.get("Retry-After"))
            if self.deadline is not None and asked is not None and asked > self.deadline.left():
                self.deadline.stop(
                    f"the endpoint asks to wait {asked:.0f} s (Retry-After); {self.deadline.left():.0f} s are left "
                    "of the run's deadline (CPH_DEADLINE)",
                    asked,
                )
            response.read()
            with self._lock:
                self.throttled += 1
                if len(self.samples) < SAMPLES:
                    self.samples.append(response)
                self._interval = min(SLOWEST, max(2 * self._interval, 0.05))
                self.slowest = max(self.slowest, self._interval)
                last = attempt == ATTEMPTS - 1 or self.waited + wait > self.budget or self.out_of_time
                if last:
                    self.gave_up += 1
                else:
                    self.waited += wait
            if last:
                return response
            response.close()
            self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns")

    def _wait(self, response: httpx.Response, attempt: int) -> float:
        return min(MAX_WAIT, retry_after(response.headers.get("Retry-After")) or BACKOFF * 2**attempt)


def retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (a number, or an HTTP date), a year at most; None when absent or
    unreadable. A number is RFC 9110's delay-seconds, in ASCII digits (str.isdigit() takes '²', float() not)."""
    if not value:
        return None
    if re.fullmatch(r"[0-9]+", value.strip()):
        return min(float(value.strip()), LONGEST_ASKED)  # 5,000 digits: inf, and a message "above inf s"
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(0.0, when.timestamp() - time.time()), LONGEST_ASKED)
