"""The verdict of a run, computed once from what it collected (judge.Facts), what the checks found (judge.Judgement),
what the replays found and what the sender did: a run passes only on evidence.

Findings are one per check and cause (a drift's key), with up to MAX_CURLS curl lines. The exit status is by cause:
- 1 (drift) when a failure came back every time it was sent (or a flaky one, with fail_on_flaky: CPH_FAIL_ON_FLAKY);
- else 2 when an error kept the run from judging what it set out to: it could not be made, a part of it did not run
  to its end (schemathesis, the walk, its deadline cutting short what collects evidence), a check broke; or when it
  is inconclusive: more than UNJUDGED_SHARE of its answers judged nothing (throttled even after waiting, or never
  given), or a check it ran judged nothing;
- else 0. A few answers the endpoint never gave (within UNJUDGED_SHARE, every check judging) are a warning of the
  run itself, each request listed; so are replays the deadline cut short (what they did not send keeps its verdict).
Each reason names its cause as far as the run knows it, and what to do: a lower CPH_RATE_LIMIT for answers throttled
within the deadline, a later run or a longer CPH_DEADLINE for an endpoint that asks to wait past it.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks import run as run_checks
from cph_conformance.run.checks.evidence import Probed
from cph_conformance.run.checks.registry import LISTINGS, PROBE, SEEN, Check
from cph_conformance.run.collect import walk as walking
from cph_conformance.run.collect.walk import ENDLESS, IMAGE_REPEATED, MARKER_REPEATED, NO_PAGE, Listing, Walk
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.transport.patience import Patience
from cph_conformance.run.verdict.findings import ERROR, FAILURE, FLAKY, Finding, added, error, flaky, noticed, of_drift
from cph_conformance.run.verdict.judge import REPLAYS, WALK, Facts, Judgement, Stopped
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
    stopped: Stopped | None = None  # what the run's deadline cut short, when it did

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
    def failed(self) -> bool:
        """A failure decides the verdict: drift (or a flaky failure, with fail_on_flaky)."""
        return bool(self.failures or (self.fail_on_flaky and self.of(FLAKY)))

    @property
    def inconclusive(self) -> list[str]:
        """Why the run proves too little to pass, when that decides its verdict; [] when it judged enough, or when a
        failure decides it (what the run did judge failed: what it could not judge changes nothing)."""
        return [] if self.failed else self.too_little

    @property
    def too_little(self) -> list[str]:
        """Why the run judged too little to pass, whatever else it found: more than UNJUDGED_SHARE of its answers
        judged nothing, or checks it ran judged nothing (one line per cause, naming its checks)."""
        share = self._unjudged_share()
        return [*([share] if share else []), *self.not_judged]

    def _unjudged_share(self) -> str | None:
        unjudged = self.unjudged
        if not self.exchanges or len(unjudged) <= UNJUDGED_SHARE * len(self.exchanges):
            return None
        throttled = sum(1 for ex in unjudged if ex.throttled)
        stopped = self.stopped
        if stopped is not None and (stopped.collecting or (throttled and stopped.asked is not None)):
            then = f"{_sentence(stopped.why)}: {stopped.advice}."  # what kept it short, and what waiting got
        elif throttled * 2 >= len(unjudged):
            then = (
                f"Lower CPH_RATE_LIMIT (it was {self.rate_limit}) so that the endpoint's throttling lets the run "
                "through, and run again."
            )
        else:
            then = (
                "The endpoint was unavailable for them (502, 503, 504, timeouts, lost connections): check that it is "
                "reachable and answers in time, and run again."
            )
        return (
            f"{len(unjudged)} of {len(self.exchanges)} answers judged nothing ({throttled} still throttled after "
            f"waiting, {len(unjudged) - throttled} blips or no answer at every try): more than "
            f"{UNJUDGED_SHARE:.0%}. {then}"
        )

    @functools.cached_property
    def silent(self) -> dict[str, str]:
        """Each check the run ran that judged nothing, and why, as far as the run knows."""
        every = checks.every()
        return {name: self._why_silent(every[name]) for name in self.expected_to_judge if not self.judged.get(name)}

    @property
    def not_judged(self) -> list[str]:
        """The checks that judged nothing, one line per cause."""
        by_cause: dict[str, list[str]] = {}
        for name, why in self.silent.items():
            by_cause.setdefault(why, []).append(name)
        return [f"{len(names)} check(s) judged nothing: {', '.join(names)}. {why}" for why, names in by_cause.items()]

    def _why_silent(self, check: Check) -> str:
        """Why a check judged nothing: the cause that took its evidence, first the walk's for its relations, then
        the deadline's, throttling's, lost answers', answers that could not be read; else what the run asked for."""
        if check.by in (LISTINGS, SEEN):
            return self._why_no_listings()
        stopped = self.stopped
        if stopped is not None and stopped.collecting:
            return f"The run stopped before they judged anything: {stopped.why}. {_sentence(stopped.advice)}."
        answers = [p.answer for p in self.probed if p.probe.check.name == check.name] if check.by == PROBE else None
        pool = self.exchanges if answers is None else answers
        unjudged = [ex for ex in pool if not ex.judged and ex not in self.recovered]
        if any(ex.throttled for ex in unjudged):
            return f"Their answers were throttled: lower CPH_RATE_LIMIT (it was {self.rate_limit}) and run again."
        if unjudged:
            return "Their answers never came (a blip or no answer at every try): see availability."
        unreadable = Counter(ex.unreadable.split(":")[0] for ex in pool if ex.judged and ex.unreadable)
        if unreadable:
            kinds = ", ".join(f"{kind} {n}" for kind, n in unreadable.items())
            return f"{unreadable.total()} answer(s) could not be read ({kinds}): nothing in them to judge."
        if self.of(ERROR):
            return "See the errors."
        return "Nothing this run asked for was something they judge."

    def _why_no_listings(self) -> str:
        """Why the walk gave the relations between listings nothing to judge: it stopped early, a listing at the
        largest page size broke off, or its whole listings hold too few images."""
        walk = self.walk
        stopped = self.stopped
        if walk is not None and walk.stopped:
            if stopped is not None and any(part == WALK for part, _ in stopped.parts):
                return f"The walk stopped before their listings were whole: {stopped.why}. {_sentence(stopped.advice)}."
            return "The walk stopped early, before their listings were whole: see the errors (walk)."
        broken = _broken_off(walk.listings if walk is not None else [])
        if broken:
            largest = spec.limit_bounds()[1]
            return (
                f"The walk's listings at {spec.page_size()}={largest} broke off, so none was whole to relate to "
                f"({'; '.join(broken)}): see pagination."
            )
        elsewhere = [_how_it_broke(x) for x in walk.listings if not x.usable] if walk is not None else []
        if elsewhere:
            shown = "; ".join(elsewhere[:3]) + (f"; and {len(elsewhere) - 3} more" if len(elsewhere) > 3 else "")
            return (
                f"The walk's listings at the other page sizes broke off before they could be related ({shown}): "
                "see pagination."
            )
        listings = walk.listings if walk is not None else []
        counts = walking.images_per_selection(listings)
        held = ", ".join(f"{selection} {n}" for selection, n in counts.items())
        pages = [page for listing in listings for page in listing.pages]
        unlisted = sum(page.unlisted for page in pages)
        if unlisted:  # not an empty account's answer: no list at all
            held += f"; {unlisted} of their {len(pages)} page(s) have no phone_images"
        return f"The walk's whole listings hold too few images to relate ({held})."

    def of(self, verdict: str) -> list[Finding]:
        return [f for f in self.findings if f.verdict == verdict]

    @property
    def failures(self) -> list[Finding]:
        return self.of(FAILURE)

    @property
    def exit_status(self) -> int:
        if self.failed:
            return DRIFT
        if self.of(ERROR) or self.too_little:
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
    """One finding per check and cause, from every drift; then what broke, what stopped early (but the walk the
    deadline stopped: the deadline says so), and the walk's steps that failed and then got their page."""
    found: list[Finding] = []
    every = checks.every()
    for drift in judgement.drifts:
        found = added(found, of_drift(every[drift.check], drift))
    for problem in [*judgement.broken, *errors]:
        found = added(found, problem)
    walk = facts.walk
    cut = facts.stopped is not None and any(part == WALK for part, _ in facts.stopped.parts)
    if walk is not None and walk.stopped and not cut:
        found = added(found, error(run_checks.walk, f"the walk stopped early: {walk.stopped}"))
    for step in walk.retried if walk is not None else ():
        check = every["pagination"] if step.refused else run_checks.availability
        failed = sum(1 for ex in step.tries if ex.images is None)
        said = f"a step of the walk failed {failed} time(s), then got its page"
        found = added(found, flaky(check, (step.selection, step.tries[0].url), said, step.tries, failed))
    return found


def stopped_finding(stopped: Stopped) -> Finding:
    """What the deadline cut short, as the first of the run's errors: an error when it cut a part that collects
    evidence (the run did not judge what it set out to), a warning when it cut only the replays (what they did not
    send again keeps its verdict)."""
    cut = ", ".join(f"{part} ({what})" for part, what in stopped.parts)
    said = f"{stopped.why}. Cut short: {cut}. {_sentence(stopped.advice)}."
    if stopped.collecting:
        return error(run_checks.deadline, said, key="stopped")
    return noticed(run_checks.deadline, said, f"{REPLAYS} cut short")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _broken_off(listings: Sequence[Listing]) -> list[str]:
    """How each image type's listing at the largest page size broke off, where that left the type no whole listing."""
    largest = spec.limit_bounds()[1]
    said = []
    for selection in spec.image_type_selects():
        if walking.reference(listings, selection) is not None:
            continue
        tried = [x for x in listings if x.selection == selection and x.size == largest and x.start is None]
        if tried and not tried[0].usable:
            said.append(_how_it_broke(tried[0]))
    return said


def _how_it_broke(listing: Listing) -> str:
    n, last = len(listing.pages), listing.pages[-1] if listing.pages else None
    if listing.ended == NO_PAGE and last is not None:
        unread = f", {last.unreadable.split(':')[0]}" if last.unreadable else ""
        how = f"page {n} got {last.status}{unread}, no page"
    elif listing.ended == IMAGE_REPEATED:
        how = f"page {n} repeats an image of page {listing.earlier}"
    elif listing.ended == MARKER_REPEATED:
        how = f"page {n} gives the marker page {listing.earlier} gave"
    elif listing.ended == ENDLESS:
        how = f"paging did not end within {n} pages"
    else:
        how = listing.ended
    return f"{listing.query}: {how}"


def cannot_run(target: str, reason: str) -> Verdict:
    """The verdict of a run that could not be made: one error, in words."""
    return Verdict(target, (error(run_checks.setup, reason),))
