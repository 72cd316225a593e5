"""The verdict of a run, computed once from what it collected (judge.Facts), what the checks found (judge.Judgement),
what the replays found and what the sender did: a run passes only on evidence.

Findings are one per check and cause (a drift's key), with up to MAX_CURLS curl lines. A run is inconclusive, never
passed, when more than UNJUDGED_SHARE of its answers judged nothing (throttled even after waiting, or no answer at
all), or when a check the run ran judged nothing; it then exits 2, with a message that names CPH_RATE_LIMIT when
throttling is the cause. Flaky findings (failures that did not come back every time they were sent again) fail the
run only with fail_on_flaky (CPH_FAIL_ON_FLAKY).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cph_conformance.run import checks
from cph_conformance.run.checks import run as run_checks
from cph_conformance.run.checks.evidence import Probed
from cph_conformance.run.collect.walk import Walk
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.transport.patience import Patience
from cph_conformance.run.verdict.findings import ERROR, FAILURE, FLAKY, Finding, added, error, flaky, of_drift
from cph_conformance.run.verdict.judge import Facts, Judgement
from cph_conformance.run.verdict.replay import Replays

PASSED, DRIFT, CANNOT_RUN = 0, 1, 2
UNJUDGED_SHARE = 0.05  # more than this share of a run's answers judging nothing makes it inconclusive


@dataclass(frozen=True)
class Throttling:
    """What the sender's patience did with throttled answers (cph_conformance.run.transport.patience)."""

    throttled: int = 0  # throttled answers, waited out or not
    gave_up: int = 0  # throttled answers handed back after the last attempt
    waited: float = 0.0  # seconds spent waiting
    slowest: float = 0.0  # the longest interval the pace reached


@dataclass(frozen=True)
class Blips:
    """What the sender's patience did with blips: answers in the spec's transient statuses and lost connections,
    each asked again within its request."""

    met: int = 0  # blips met
    recovered: int = 0  # requests answered after one or more blips
    unavailable: int = 0  # requests that met a blip at every try
    again: int = 0  # more tries after a blip (0: CPH_REPLAY=0)
    listed: tuple[str, ...] = ()  # the first requests that met a blip, and what each met


def throttling_of(patience: Patience) -> Throttling:
    return Throttling(patience.throttled, patience.gave_up, patience.waited, patience.slowest)


def blips_of(patience: Patience) -> Blips:
    return Blips(patience.blips, patience.recovered, patience.unavailable, patience.again, tuple(patience.listed))


@dataclass(frozen=True)
class Verdict:
    target: str
    findings: tuple[Finding, ...] = ()
    judged: Mapping[str, int] = field(default_factory=Counter)  # check -> what it judged
    ran: frozenset[str] = frozenset()  # the kinds of evidence the run collected: ANSWER, ..., CASE
    exchanges: tuple[Exchange, ...] = ()  # every request of the run and its answer (the replays' apart)
    cases: int = 0  # schemathesis' cases
    probed: tuple[Probed, ...] = ()
    walk: Walk | None = None
    throttling: Throttling = field(default_factory=Throttling)
    blips: Blips = field(default_factory=Blips)
    replays: Replays | None = None  # what sending failures again found, when it ran
    rate_limit: str = ""
    strict: bool = False
    fail_on_flaky: bool = False
    notes: tuple[str, ...] = ()
    recovered: tuple[Exchange, ...] = ()  # lost answers that came when sent again (flaky, not missing)

    @property
    def probes(self) -> list[str]:
        """What each probe tried."""
        return [p.probe.why for p in self.probed]

    @property
    def listings(self) -> list[str]:
        """What the walk listed, a line per image type: each page size's count of images."""
        by_type: dict[str, list[str]] = {}
        for listing in self.walk.listings if self.walk is not None else ():
            if not listing.usable:
                continue
            size = "no limit" if listing.size is None else f"limit {listing.size}"
            size += " after a marker" if listing.start is not None else ""
            pages = "" if listing.complete else f", its first {len(listing.pages)} page(s)"
            by_type.setdefault(listing.selection, []).append(f"{size}: {len(listing.ids)} image(s){pages}")
        return [f"{selection}: {'; '.join(walked)}" for selection, walked in by_type.items()]

    @property
    def steps_asked_again(self) -> int:
        """Steps of the walk that failed, then got their page when sent again (each a flaky finding)."""
        return len(self.walk.retried) if self.walk is not None else 0

    @property
    def unjudged(self) -> list[Exchange]:
        """The answers that judged nothing, but for the lost ones that came when sent again (flaky, not missing)."""
        return [ex for ex in self.exchanges if not ex.judged and ex not in self.recovered]

    @property
    def expected_to_judge(self) -> list[str]:
        """The checks of the parts that ran: each must have judged something."""
        return sorted(
            c.name
            for c in checks.every().values()
            if c.fn is not None and c.by in self.ran and (self.strict or not c.strict_only)
        )

    @property
    def inconclusive(self) -> list[str]:
        """Why the run proves too little to pass; [] when it has the evidence."""
        reasons = []
        unjudged = self.unjudged
        throttled = sum(1 for ex in unjudged if ex.throttled)
        if self.exchanges and len(unjudged) > UNJUDGED_SHARE * len(self.exchanges):
            reasons.append(
                f"{len(unjudged)} of {len(self.exchanges)} answers judged nothing ({throttled} still throttled after "
                f"waiting, {len(unjudged) - throttled} blips or no answer at every try): more than "
                f"{UNJUDGED_SHARE:.0%}. "
                + (
                    f"Lower CPH_RATE_LIMIT (it was {self.rate_limit}) so that the endpoint's throttling lets the run "
                    "through, and run again."
                    if throttled * 2 >= len(unjudged)
                    else "The endpoint was unavailable for them (502, 503, 504, timeouts, lost connections): check "
                    "that it is reachable and answers in time, and run again."
                )
            )
        silent = [name for name in self.expected_to_judge if not self.judged.get(name)]
        if silent:
            reasons.append(
                f"{len(silent)} check(s) judged nothing: {', '.join(silent)}. "
                + (
                    "Their answers were throttled: lower CPH_RATE_LIMIT and run again."
                    if throttled
                    else "Their answers were lost (blips at every try): see the errors."
                    if unjudged
                    else "See the errors."
                    if self.of(ERROR)
                    else "Nothing this run asked for was something they judge: for the walk's relations, listings "
                    "of more than one image."
                )
            )
        return reasons

    def of(self, verdict: str) -> list[Finding]:
        return [f for f in self.findings if f.verdict == verdict]

    @property
    def failures(self) -> list[Finding]:
        return self.of(FAILURE)

    @property
    def exit_status(self) -> int:
        if self.failures or (self.fail_on_flaky and self.of(FLAKY)):
            return DRIFT
        if self.of(ERROR) or self.inconclusive:
            return CANNOT_RUN
        return PASSED

    @property
    def made(self) -> bool:
        """False when the run could not be made at all (a setting, the credential, the endpoint, the folder)."""
        return not any(f.check == run_checks.setup.name for f in self.of(ERROR))

    @property
    def label(self) -> str:
        if self.exit_status == CANNOT_RUN:
            if not self.made:
                return "the run could not be made"
            return "could not run to the end" if self.of(ERROR) else "inconclusive"
        if self.exit_status == DRIFT and not self.failures:
            return "flaky"
        return {PASSED: "passed", DRIFT: "drift found"}[self.exit_status]


def findings_of(judgement: Judgement, facts: Facts, errors: Sequence[Finding] = ()) -> list[Finding]:
    """One finding per check and cause, from every drift; then what broke, what stopped early, and the walk's
    steps that failed and then got their page."""
    found: list[Finding] = []
    every = checks.every()
    for drift in judgement.drifts:
        found = added(found, of_drift(every[drift.check], drift))
    for problem in [*judgement.broken, *errors]:
        found = added(found, problem)
    walk = facts.walk
    if walk is not None and walk.stopped:
        found = added(found, error(run_checks.walk, f"the walk stopped early: {walk.stopped}"))
    for step in walk.retried if walk is not None else ():
        check = every["pagination"] if step.refused else run_checks.availability
        failed = sum(1 for ex in step.tries if ex.images is None)
        said = f"a step of the walk failed {failed} time(s), then got its page"
        found = added(found, flaky(check, (step.selection, step.tries[0].url), said, step.tries, failed))
    return found


def cannot_run(target: str, reason: str) -> Verdict:
    """The verdict of a run that could not be made: one error, in words."""
    return Verdict(target, (error(run_checks.setup, reason),))
