"""No failure without a reproduction: every failure of a run is sent again before it counts.

The operation is a GET (safe), so a failing request may be sent again. Each failure found on answers (a check of
one answer, of answers together, a probe's, schemathesis') is sent again AGAIN more times, through the same gateway
and pace, and judged again by the check that found it: a failure that comes back every time is drift, and says so
("reproduced 3/3"); one that does not is flaky (verdict.FLAKY), with every answer it got. A failure of the walk's
listings is judged again on a new walk of the image types it concerns. A request that got no answer (a blip at every
try of the gateway) is sent again too: answered, it is flaky; never answered, the endpoint was unavailable (an
error: the run judged too little, never drift).

Bounded: at most `budget` requests in all (BUDGET), listed in the summary; a failure left unsent when the budget is
spent keeps its verdict and says so. A throttled answer is never sent again: throttling comes when it will (the
gateway waits it out).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from cph_conformance import spec
from cph_conformance.run.checks import registry as rules
from cph_conformance.run.checks.registry import ANSWERS, LISTINGS, PROBES, SCHEMATHESIS, Check, Drift
from cph_conformance.run.collect.exchange import Exchange
from cph_conformance.run.transport.credential import headers_for
from cph_conformance.run.transport.patience import AGAIN, REPLAY_PAUSE
from cph_conformance.run.verdict.verdict import (
    AVAILABILITY,
    FAILURE,
    FLAKY,
    Finding,
    Shown,
    Verdict,
    answer,
    error,
    flaky,
)

BUDGET = 400  # requests the replays may send in a run: two more walks, and a few per failure
LOST_LISTED = 20  # lost requests sent again, at most (the rest share their fate in the report)
DOWN = 3  # lost requests never answered, and none answered: the endpoint is down, the rest are not sent again

Resend = Callable[[Exchange], Exchange]
Rewalk = Callable[[Collection[str]], Any]  # the image types to walk -> a cph_conformance.run.collect.walk.Walk


@dataclass
class Replays:
    """What sending the failures again found."""

    budget: int
    again: int = AGAIN
    sent: int = 0  # requests
    reproduced: int = 0  # failures that came back every time
    flaky: int = 0  # failures that did not
    unsent: int = 0  # failures left as they were: budget spent, or a throttled answer
    lost_sent: int = 0  # lost requests sent again
    recovered: int = 0  # of those, answered
    unavailable: int = 0  # lost requests never answered

    @property
    def left(self) -> int:
        return self.budget - self.sent

    def summary(self) -> str:
        parts = [f"{self.reproduced} failure(s) came back at each of {self.again + 1} tries (drift)"]
        if self.flaky:
            parts.append(f"{self.flaky} did not (flaky)")
        if self.unsent:
            parts.append(f"{self.unsent} not sent again (the budget was spent, or a throttled answer)")
        if self.lost_sent:
            parts.append(f"{self.lost_sent} request(s) without an answer sent again, {self.recovered} then answered")
        if self.unavailable > self.lost_sent - self.recovered:
            parts.append(
                f"{self.unavailable - (self.lost_sent - self.recovered)} more without an answer not sent again "
                "(the endpoint looked down)"
            )
        return f"Replays: {self.sent} request(s) of a budget of {self.budget}: " + "; ".join(parts) + "."


def sender(gateway_url: str, endpoint_url: str, placeholder: str, timeout: float) -> Resend:
    """Sends an exchange's request again through the run's gateway (its pace, its patience), as it was sent."""
    client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
    base = httpx.URL(gateway_url)

    def resend(ex: Exchange) -> Exchange:
        request = client.build_request(ex.method, base.copy_with(raw_path=ex.raw_path))
        request.headers.update(headers_for(ex.auth, placeholder))
        try:
            response = client.send(request)
        except httpx.HTTPError as exc:  # the gateway itself did not answer
            return dataclasses.replace(
                ex, status=None, headers={}, body=None, text=f"the run's gateway did not answer: {type(exc).__name__}"
            )
        return Exchange.of_response(response, endpoint_url, ex.auth, phase="replay")

    return resend


def confirm(
    v: Verdict,
    resend: Resend,
    rewalk: Rewalk | None,
    budget: int = BUDGET,
    again: int = AGAIN,
    pause: Callable[[float], None] = time.sleep,
) -> Replays:
    """Every failure of v sent again (`again` more times) and judged again: drift when it comes back every time,
    flaky when it does not; every lost request sent again. v's findings are updated in place."""
    r = Replays(budget, again)
    for n, f in enumerate(v.findings):
        if _failing_by(f) in (None, LISTINGS):
            continue
        v.findings[n] = _answered_again(f, v.shown.get((f.check, f.key)), resend, r, pause)
    if rewalk is not None:
        _walked_again(v, rewalk, r)
    _lost_again(v, resend, r, pause)
    return r


def _failing_by(f: Finding) -> str | None:
    """The part of the run whose check found a failure (rules.ANSWER, LISTINGS, ...); None for any other finding."""
    check = rules.every().get(f.check)
    return check.by if check is not None and f.verdict == FAILURE else None


def _answered_again(
    f: Finding, shown: Shown | None, resend: Resend, r: Replays, pause: Callable[[float], None]
) -> Finding:
    """A failure found on answers: its first instance sent again `again` times, and judged again each time."""
    if shown is None:
        r.unsent += 1
        return f
    check, args, exchanges, instance = shown
    if any(ex.throttled for ex in exchanges) or r.left < r.again * len(exchanges):
        r.unsent += 1
        return f
    hits, seen = 0, [exchanges[0]]
    for _ in range(r.again):
        pause(REPLAY_PAUSE)
        replayed = [resend(ex) for ex in exchanges]
        r.sent += len(replayed)
        seen.append(replayed[0])
        found = _found(check, args, replayed)
        # The same cause must come back, and, where the cause is coarse (a field, across answers), the same instance
        # of it: another image that disagrees is another failure, come by chance.
        hits += (f.key, instance) in found
    if hits == r.again:
        r.reproduced += 1
        return dataclasses.replace(f, reproduced=f"{r.again + 1}/{r.again + 1}")
    r.flaky += 1
    said = f"{f.message}\n(this failure came back at {hits + 1} of {len(seen)} tries of the same request)"
    return dataclasses.replace(flaky(f.check, f.key, said, seen, hits + 1), curls=f.curls)


def _found(check: Check, args: tuple[Any, ...], replayed: list[Exchange]) -> set[tuple[str, str]]:
    """The causes the check finds in the answers sent again, given as it was the first time: (key, instance)."""
    judged = [ex for ex in replayed if ex.judged and (check.applies is None or check.applies(ex))]
    assert check.fn is not None
    try:
        if check.by == ANSWERS:
            drifts: Iterable[Drift] = check.fn(judged)
        elif not judged:
            return set()
        elif check.by == PROBES:
            drifts = check.fn(args[0], judged[0])
        elif check.by == SCHEMATHESIS:  # schemathesis' flag stands when the same request gets the same status
            drifts = check.fn(args[0], judged[0]) if judged[0].status == args[1].status else ()
        else:
            drifts = check.fn(judged[0])
        return {(d.key, d.instance) for d in drifts}
    except Exception:  # a check that breaks on the new answer (verdict.apply reported it the first time)
        return set()


def _walked_again(v: Verdict, rewalk: Rewalk, r: Replays) -> None:
    """The walk's failures, judged again on new walks of the image types they concern."""
    failing = [(n, f) for n, f in enumerate(v.findings) if _failing_by(f) == LISTINGS]
    if not failing:
        return
    only = _selections(f.key for _, f in failing)
    hits = dict.fromkeys((n for n, _ in failing), 0)
    walks = 0
    for _ in range(r.again):
        if v.walk is not None and r.left < len(v.walk.exchanges):
            break
        again = rewalk(only)
        r.sent += len(again.exchanges)
        walks += 1
        found = {(c.name, d.key) for c in rules.of(LISTINGS, v.strict) for d in _relations(c, again)}
        for n, f in failing:
            hits[n] += (f.check, f.key) in found
    for n, f in failing:
        if not walks:
            r.unsent += 1
        elif hits[n] == walks:
            r.reproduced += 1
            v.findings[n] = dataclasses.replace(f, reproduced=f"{walks + 1}/{walks + 1}")
        else:
            r.flaky += 1
            said = f"{f.message}\n(found on {hits[n] + 1} of {walks + 1} walks of the same listings)"
            v.findings[n] = dataclasses.replace(f, verdict=FLAKY, message=said, reproduced=f"{hits[n] + 1}/{walks + 1}")


def _relations(check: Check, walk: Any) -> list[Drift]:
    assert check.fn is not None
    try:
        return list(check.fn(walk)[1])
    except Exception:  # reported by verdict.apply the first time
        return []


def _selections(keys: Iterable[str]) -> set[str]:
    """The image types a walk must list again to judge these causes again (a union's parts with it); none (all of
    them) when a cause names no image type."""
    selects = spec.image_type_selects()
    named = {key.split(":")[0] for key in keys}
    if not named <= set(selects):
        return set()
    return named.union(*(selects[s].get("union", ()) for s in named))


def _lost_again(v: Verdict, resend: Resend, r: Replays, pause: Callable[[float], None]) -> None:
    """Requests that got no answer (a blip at every try of the gateway) sent again: answered, they are flaky; never
    answered, the endpoint was unavailable."""
    lost = [ex for ex in v.exchanges if ex.transient and ex not in v.recovered]
    answered: list[list[Exchange]] = []
    never: list[Exchange] = []
    for ex in lost[:LOST_LISTED]:
        if len(never) >= DOWN and not answered:
            break  # the endpoint is down: sending the rest again only takes time
        seen = [ex]
        while len(seen) <= r.again and r.left > 0 and not seen[-1].judged:
            pause(REPLAY_PAUSE)
            seen.append(resend(ex))
            r.sent += 1
        if seen[-1].judged:
            v.recovered.append(ex)
            answered.append(seen)
        else:
            never.append(ex)
    unsent = lost[len(answered) + len(never) :]
    r.lost_sent, r.recovered, r.unavailable = len(answered) + len(never), len(answered), len(never) + len(unsent)
    for seen in answered:
        said = f"first {answer(seen[0])}; then an answer, when sent again"
        v.add(flaky(AVAILABILITY, f"{seen[0].method} {seen[0].url}", said, seen, len(seen) - 1))
    if never or unsent:
        count = len(never) + len(unsent)
        v.add(
            error(
                AVAILABILITY,
                f"the endpoint was unavailable for {count} request(s): no answer at any try "
                f"({len(never)} of them sent again {r.again} more times, after the gateway's tries), such as "
                f"{answer(never[0] if never else lost[0])}",
                list(dict.fromkeys(ex.curl for ex in never or lost))[:4],
            )
        )
