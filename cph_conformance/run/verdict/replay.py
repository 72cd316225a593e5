"""No failure without a reproduction: every failure of a run is sent again before it counts.

The operation is a GET (safe), so a failing request may be sent again. Each failure's first instance (its drift's
evidence: an answer, the answers that disagree, a probe, a case, a type's listings) is sent again AGAIN more times
through the run's sender and judged again by the check that found it: a failure that comes back every time is drift,
and says so ("reproduced 3/3"); one that does not is flaky (findings.FLAKY), with every answer it got. The same
cause must come back, and, where the cause is coarse (a field, across answers), the same instance of it: another
image that disagrees is another failure, come by chance. A request that got no answer (a blip at every try of the
sender) is sent again too: answered, it is flaky; never answered, the endpoint was unavailable for it (a warning of
the run, listing each such request: the verdict weighs them with every other answer that judged nothing, never drift).

A conclusive check's failure (registry.Check.conclusive) is not sent again: it is drift on first sight, and says so
(CONCLUSIVE). Two different requests answered with one request_id stay so, whatever a cache answers next time.

Bounded: at most `budget` requests in all (BUDGET), listed in the summary; a failure left unsent when the budget is
spent keeps its verdict and says so; so does one the run's deadline keeps from being sent again (Replays.late). A
throttled answer is never sent again: throttling comes when it will (the sender waits it out). The first instance
only: trying more would give a failure that comes now and then more chances to come back every time, and be called
drift.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cph_conformance.run import checks
from cph_conformance.run.checks import run as run_checks
from cph_conformance.run.checks.registry import LISTINGS, SEEN, Check, Drift, Evidence
from cph_conformance.run.collect import walk
from cph_conformance.run.collect.walk import Walk
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.transport.patience import AGAIN, REPLAY_PAUSE
from cph_conformance.run.transport.sender import Sender
from cph_conformance.run.verdict.findings import FAILURE, Finding, added, answer, flaky, noticed

BUDGET = 400  # requests the replays may send in a run: two more walks, and a few per failure
LOST_LISTED = 20  # lost requests sent again, at most (the rest share their fate in the report)
DOWN = 3  # lost requests never answered, and none answered: the endpoint is down, the rest are not sent again
CONCLUSIVE = "1/1: conclusive at first sight"  # how a conclusive failure was reproduced: seen once, enough


@dataclass
class Replays:
    """What sending the failures again found."""

    budget: int
    again: int = AGAIN
    sent: int = 0  # requests
    reproduced: int = 0  # failures that came back every time
    flaky: int = 0  # failures that did not
    unsent: int = 0  # failures left as they were: budget spent, or a throttled answer
    conclusive: int = 0  # failures drift on first sight, not sent again
    lost_sent: int = 0  # lost requests sent again
    recovered: int = 0  # of those, answered
    unavailable: int = 0  # lost requests never answered
    answered: list[Exchange] = field(default_factory=list)  # lost requests that came when sent again
    late: int = 0  # failures and lost requests the run's deadline kept from being sent again (each as it was)

    @property
    def left(self) -> int:
        return self.budget - self.sent

    def summary(self) -> str:
        parts = [f"{self.reproduced} failure(s) came back at each of {self.again + 1} tries (drift)"]
        if self.conclusive:
            parts.append(f"{self.conclusive} conclusive at first sight, not sent again (drift)")
        if self.flaky:
            parts.append(f"{self.flaky} did not (flaky)")
        if self.unsent:
            parts.append(f"{self.unsent} not sent again (the budget was spent, a throttled answer, or the deadline)")
        if self.lost_sent:
            parts.append(f"{self.lost_sent} request(s) without an answer sent again, {self.recovered} then answered")
        if self.unavailable > self.lost_sent - self.recovered:
            parts.append(
                f"{self.unavailable - (self.lost_sent - self.recovered)} more without an answer not sent again "
                "(the endpoint looked down)"
            )
        return f"Replays: {self.sent} request(s) of a budget of {self.budget}: " + "; ".join(parts) + "."


class Replaying(Protocol):
    """What the replays send through: again() an exchange, walk() some image types; what was sent, in requests."""

    attempt: int  # the try under way (1, 2, ...): a walk of the same types in the same try is shared

    @property
    def sent(self) -> int: ...

    @property
    def out_of_time(self) -> bool: ...

    def again(self, ex: Exchange) -> Exchange: ...

    def walk(self, only: Collection[str]) -> Walk: ...


class Resender:
    """What evidence is sent again through: the run's sender, and new walks of some image types (one per try and
    set of types, shared by the failures that need it). Counts what it sends."""

    def __init__(self, sender: Sender, again: int, walk_budget: int, pause: Callable[[float], None]) -> None:
        self.sender = sender
        self._again = again
        self._walk_budget = walk_budget
        self._pause = pause
        self._start = len(sender.log)
        self._walks: dict[tuple[int, frozenset[str]], Walk] = {}
        self.attempt = 0

    @property
    def sent(self) -> int:
        return len(self.sender.log) - self._start

    @property
    def out_of_time(self) -> bool:
        return self.sender.deadline.passed

    def again(self, ex: Exchange) -> Exchange:
        return self.sender.again(ex)

    def walk(self, only: Collection[str]) -> Walk:
        key = (self.attempt, frozenset(only))
        if key not in self._walks:
            self._walks[key] = walk.run(self.sender, self._walk_budget, self._again, self._pause, only, phase="replay")
        return self._walks[key]


def confirm(
    findings: Sequence[Finding],
    drifts: Sequence[Drift],
    lost: Sequence[Exchange],
    resender: Replaying,
    walk_cost: int,
    budget: int = BUDGET,
    again: int = AGAIN,
    pause: Callable[[float], None] = time.sleep,
) -> tuple[list[Finding], Replays]:
    """Every failure sent again (`again` more times) and judged again: drift when it comes back every time, flaky
    when it does not; every lost request sent again. walk_cost: requests a new walk takes, about."""
    r = Replays(budget, again)
    first: dict[tuple[str, tuple[str, str]], Drift] = {}
    for drift in drifts:
        first.setdefault((drift.check, drift.key), drift)
    confirmed = []
    for f in findings:
        check = checks.every().get(f.check)
        shown = first.get((f.check, f.key))
        if f.verdict != FAILURE or check is None or check.fn is None or shown is None or shown.evidence is None:
            confirmed.append(f)
            continue
        if check.conclusive:
            r.conclusive += 1
            confirmed.append(dataclasses.replace(f, reproduced=CONCLUSIVE))
            continue
        cost = (walk_cost if check.by in (LISTINGS, SEEN) else 0) + (
            0 if check.by == LISTINGS else len(shown.evidence.exchanges)
        )
        confirmed.append(_again(f, check, shown, shown.evidence, resender, r, cost, pause))
    return _lost_again(confirmed, lost, resender, r, pause), r


def _again(
    f: Finding,
    check: Check,
    drift: Drift,
    evidence: Evidence,
    resender: Replaying,
    r: Replays,
    cost: int,
    pause: Callable[[float], None],
) -> Finding:
    """A failure's evidence sent again `again` times, and judged again each time."""
    hits, seen = 0, [evidence.exchanges[0]] if evidence.exchanges else []
    if r.left < r.again * cost:  # sent again whole, or not at all
        r.unsent += 1
        return f
    for attempt in range(1, r.again + 1):
        if resender.out_of_time:
            r.late += 1
            break
        pause(REPLAY_PAUSE)
        resender.attempt = attempt
        sent = evidence.again(resender)
        r.sent = resender.sent
        if sent is None:  # a throttled answer: never sent again
            break
        if resender.out_of_time and (check.by in (LISTINGS, SEEN) or not all(ex.answered for ex in sent.exchanges)):
            r.late += 1  # the deadline passed while it was sent: what did not come back may be its doing
            break
        seen += sent.exchanges[:1]
        found = {d.recurs for d in check.judge(sent)} if check.judging(sent) else set()
        hits += drift.recurs in found
    else:
        if hits == r.again:
            r.reproduced += 1
            return dataclasses.replace(f, reproduced=f"{r.again + 1}/{r.again + 1}")
        r.flaky += 1
        said = f"{f.message}\n(this failure came back at {hits + 1} of {r.again + 1} tries)"
        return dataclasses.replace(flaky(check, f.key, said, seen, hits + 1), curls=f.curls)
    r.unsent += 1
    return f


def _lost_again(
    findings: list[Finding], lost: Sequence[Exchange], resender: Replaying, r: Replays, pause: Callable[[float], None]
) -> list[Finding]:
    """Requests that got no answer (a blip at every try of the sender) sent again: answered, they are flaky; never
    answered, the endpoint was unavailable."""
    answered: list[list[Exchange]] = []
    never: list[Exchange] = []
    for ex in lost[:LOST_LISTED]:
        if len(never) >= DOWN and not answered:
            break  # the endpoint is down: sending the rest again only takes time
        seen = [ex]
        while len(seen) <= r.again and r.left > 0 and not seen[-1].judged and not resender.out_of_time:
            pause(REPLAY_PAUSE)
            seen.append(resender.again(ex))
            r.sent = resender.sent
        if seen[-1].judged:
            r.answered.append(ex)
            answered.append(seen)
        else:
            never.append(ex)
            r.late += len(seen) <= r.again and resender.out_of_time  # the deadline took its tries
    unsent = lost[len(answered) + len(never) :]
    r.lost_sent, r.recovered, r.unavailable = len(answered) + len(never), len(answered), len(never) + len(unsent)
    for seen in answered:
        said = f"first {answer(seen[0])}; then an answer, when sent again"
        key = ("", f"{seen[0].method} {seen[0].url}")
        findings = added(findings, flaky(run_checks.availability, key, said, seen, len(seen) - 1))
    if never or unsent:
        count = len(never) + len(unsent)
        said = (
            f"the endpoint never answered {count} request(s): no answer at any try ({len(never)} of them sent again "
            f"up to {r.again} more times, after the sender's tries). Each is an answer that judged nothing: too many "
            "make the run inconclusive"
        )
        findings = added(findings, noticed(run_checks.availability, said, "unavailable", [*never, *unsent]))
    return findings
