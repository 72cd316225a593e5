"""Every check judges every piece of evidence of its kind that the run collected (Facts): one answer at a time, every
answer at once, each image type's listings, each probe's answer, each of schemathesis' cases. What each check judged
is counted; a check that breaks on what it is given costs the run that check's judgement, never its reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from cph_conformance.run import checks
from cph_conformance.run.checks.evidence import Answers, Case, Probed, Seen, Walked
from cph_conformance.run.checks.registry import ANSWER, ANSWERS, CASE, LISTINGS, PROBE, SEEN, Check, Drift, Evidence
from cph_conformance.run.collect.walk import Walk
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.verdict.findings import Finding, curls_of, error

# The parts of a run, in order, as the reports name what its deadline cut short.
CASES, WALK, PROBES, REPLAYS = "schemathesis' cases", "the walk", "the probes", "the replays"


@dataclass(frozen=True)
class Stopped:
    """The run's deadline (CPH_DEADLINE) stopped it: the clock passed it, or the endpoint asked to wait past it
    (Retry-After), which stops the run at once. What it cut short or kept from running, part by part."""

    seconds: float | None = None  # the deadline, when known
    asked: float | None = None  # the Retry-After, in seconds, that stopped the run; None: the clock did
    parts: tuple[tuple[str, str], ...] = ()  # each part it cut (CASES, ..., REPLAYS) and what became of it

    @property
    def why(self) -> str:
        """What stopped the run, in a few words."""
        if self.asked is not None:
            return f"the endpoint asked to wait {self.asked:.0f} s (Retry-After), past the deadline (CPH_DEADLINE)"
        of = f" of {self.seconds:.0f} s" if self.seconds is not None else ""
        return f"the run's deadline{of} (CPH_DEADLINE) passed"

    @property
    def advice(self) -> str:
        """What to do about it: a wait the endpoint asks for passes with time, whatever the run's pace."""
        if self.asked is not None:
            return f"run again later, or raise CPH_DEADLINE above {self.asked:.0f} s to wait it out"
        was = f" (it was {self.seconds:.0f} s)" if self.seconds is not None else ""
        return f"raise CPH_DEADLINE{was} and run again"

    @property
    def collecting(self) -> bool:
        """It cut short a part that collects evidence, not only the replays of what was already judged."""
        return any(part != REPLAYS for part, _ in self.parts)

    def cut(self, part: str, what: str) -> Stopped:
        return replace(self, parts=(*self.parts, (part, what)))


@dataclass(frozen=True)
class Facts:
    """What the run collected: every answer, and the evidence of each part that ran (None: it did not run)."""

    answers: tuple[Exchange, ...]  # every request of the run and its answer, whichever part sent it
    throttled: tuple[Exchange, ...] = ()  # throttled answers the sender waited out: judged for their shape only
    cases: tuple[Case, ...] | None = None
    walk: Walk | None = None
    probed: tuple[Probed, ...] | None = None
    schemathesis_status: int | None = 0  # its CLI's exit status
    stopped: Stopped | None = None  # what the run's deadline cut short, when it did

    @property
    def ran(self) -> frozenset[str]:
        parts = {ANSWER, ANSWERS}
        parts |= {LISTINGS, SEEN} if self.walk is not None else set()
        parts |= {PROBE} if self.probed is not None else set()
        parts |= {CASE} if self.cases is not None else set()
        return frozenset(parts)

    @property
    def walked(self) -> tuple[Walked, ...]:
        if self.walk is None:
            return ()
        listings = tuple(self.walk.listings)
        return tuple(Walked(s, listings) for s in dict.fromkeys(listing.selection for listing in listings))

    @property
    def seen(self) -> tuple[Seen, ...]:
        """What the run saw of each type the walk listed: the walk's listings, and every answer that lists images."""
        shown = tuple(ex for ex in self.answers if ex.images)
        return tuple(Seen(walked.selection, walked.listings, shown) for walked in self.walked)

    def evidence(self, check: Check) -> Iterator[Evidence]:
        """Every piece of evidence of the check's kind."""
        judged = [ex for ex in self.answers if ex.judged]
        if check.by == ANSWER:
            yield from judged
            if check.throttled_too:
                yield from (ex for ex in self.answers if ex.answered and ex.throttled)
                yield from self.throttled
        elif check.by == ANSWERS:
            yield Answers(tuple(judged))
        elif check.by == LISTINGS:
            yield from self.walked
        elif check.by == SEEN:
            yield from self.seen
        elif check.by == PROBE:
            yield from (p for p in self.probed or () if p.probe.check == check)
        elif check.by == CASE:
            yield from (c for c in self.cases or () if c.check == check.name)


@dataclass(frozen=True)
class Judgement:
    drifts: tuple[Drift, ...] = ()
    judged: Counter[str] = field(default_factory=Counter)  # check -> what it judged (answers, listings, probes)
    broken: tuple[Finding, ...] = ()  # checks that broke on what they were given: errors of ours


def judge(facts: Facts, strict: bool) -> Judgement:
    drifts: list[Drift] = []
    judged: Counter[str] = Counter()
    broken: list[Finding] = []
    for check in checks.every().values():
        if check.fn is None or check.by not in facts.ran or (check.strict_only and not strict):
            continue
        for evidence in facts.evidence(check):
            if not check.judging(evidence):
                continue
            judged[check.name] += evidence.size
            try:
                drifts += check.judge(evidence)
            except Exception as exc:  # any bug of a check, reported with what it was judging
                broken.append(broke(check, exc, evidence.exchanges))
    return Judgement(tuple(drifts), judged, tuple(broken))


def broke(check: Check, exc: Exception, exchanges: Sequence[Exchange]) -> Finding:
    said = f"{check.name} could not judge what it was given ({type(exc).__name__}: {str(exc)[:200]}); a bug of "
    return error(check, said + "cph-conformance: please report it with this summary", curls_of(exchanges), check.name)
