"""The verdict of a run: every check judges what it judges, each distinct cause is one finding, and a run passes only
on evidence.

A check's drift is a failure when the statements it cites state the rule, and a warning when it breaks only an
assumption of the spec. Findings are one per check and cause (the drift's key), with up to MAX_CURLS curl lines.
What each check judged is counted. A run is inconclusive, never passed, when more than UNJUDGED_SHARE of its
answers judged nothing (throttled even after waiting, or no answer at all), or when a check the run ran judged
nothing; it then exits 2, with a message that names RATE_LIMIT when throttling is the cause.

No failure without a reproduction (replay.py): a failure found on an answer is sent again before it
counts; one that does not come back every time is flaky, its own kind of finding, which fails the run only with
fail_on_flaky (FAIL_ON_FLAKY). Blips (the spec's transient statuses, lost connections) are asked again by the
gateway; a request that never gets an answer is an error: the endpoint was unavailable.

Compared with a baseline (changes.py), a run that would pass exits 1 when fail_on_change is set and
the endpoint's answers changed shape; drift is exit 1 anyway, and a run that could not be made or judged too little
stays exit 2: it saw too little to vouch for what changed (what vanished may only be what it did not see).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cph_conformance import spec
from cph_conformance.run.checks import registry as rules
from cph_conformance.run.checks.registry import ANSWER, ANSWERS, LISTINGS, PROBES, SCHEMATHESIS, Check, Drift
from cph_conformance.run.collect.exchange import Exchange
from cph_conformance.run.report.provenance import About

if TYPE_CHECKING:
    from cph_conformance.run.report.changes import Changes

FAILURE, WARNING, ERROR, FLAKY = "failure", "warning", "error", "flaky"
SETUP = "setup"  # the check name of what kept a run from being made
PASSED, DRIFT, CANNOT_RUN = 0, 1, 2
UNJUDGED_SHARE = 0.05  # more than this share of a run's answers judging nothing makes it inconclusive
MAX_CURLS = 4


@dataclass(frozen=True)
class Finding:
    check: str
    verdict: str  # FAILURE, WARNING or ERROR
    rule: str
    source: str  # the statements that state the rule, quoted; or "assumption: why"
    message: str
    curls: tuple[str, ...] = ()
    key: str = ""
    reproduced: str = ""  # how often the failure came back when sent again: "3/3" (drift), "1/3" (flaky)
    answers: tuple[str, ...] = ()  # a flaky finding's answers, each as seen, with its curl line


def source_of(cites: Iterable[str], assumed: str = "") -> str:
    """What a finding rests on, as the report prints it: each statement on a line, or the assumption."""
    statements = [spec.statements()[c] for c in cites]
    if assumed or not statements:
        return f"assumption: {assumed or 'no Huawei source states it'}"
    return "\n".join(str(s) for s in statements)


def finding(check: Check, drift: Drift) -> Finding:
    cites = drift.cites if drift.cites is not None else check.cites
    assumed = drift.assumed or ("" if cites else check.assumed)
    curls = tuple(dict.fromkeys(ex.curl for ex in drift.exchanges))[:MAX_CURLS]
    verdict = WARNING if assumed else FAILURE
    return Finding(check.name, verdict, check.rule, source_of(cites, assumed), drift.message, curls, drift.key)


def error(name: str, message: str, curls: Sequence[str] = ()) -> Finding:
    """Something that kept the run from judging: not drift, and never a pass."""
    return Finding(
        name, ERROR, "the run judges every answer it asks for", "the run itself", message, tuple(curls), message
    )


AVAILABILITY = "availability"  # the run's own finding: requests that got no answer, or only when sent again
AVAILABILITY_RULE = "the endpoint answers every request (a blip is asked again)"


def availability_source() -> str:
    """What the blips rest on: the statements of the spec's transient answers."""
    node = next(r for code, r in spec.operation()["responses"].items() if int(code) in spec.statuses_when("transient"))
    return source_of(spec.cites(spec.deref(node)))


def flaky(name: str, key: str, message: str, answers: Sequence[Exchange], failed: int) -> Finding:
    """A failure that did not come back every time it was sent (it failed `failed` times): every answer it got,
    each with its curl line."""
    check = rules.every().get(name)
    rule = check.rule if check else AVAILABILITY_RULE
    source = source_of(check.cites, check.assumed) if check else availability_source()
    seen = tuple(f"{n}. {answer(ex)} — {ex.curl}" for n, ex in enumerate(answers, 1))
    return Finding(name, FLAKY, rule, source, message, (answers[0].curl,), key, f"{failed}/{len(answers)}", seen)


def answer(ex: Exchange) -> str:
    """An answer in a few words: its status and the start of its body, or why there was none."""
    if not ex.answered:
        return f"no answer ({ex.error})"
    return f"{ex.status} {' '.join(ex.text.split())[:120]}"


@dataclass
class Throttling:
    """What the gateway's patience did (cph_conformance.run.transport.patience)."""

    throttled: int = 0  # throttled answers, waited out or not
    gave_up: int = 0  # throttled answers handed back after the last attempt
    waited: float = 0.0  # seconds spent waiting
    slowest: float = 0.0  # the longest interval the pace reached


@dataclass
class Blips:
    """What the gateway did with blips (patience.py): answers in the spec's transient statuses and
    lost connections, each asked again within its request."""

    met: int = 0  # blips met
    recovered: int = 0  # requests answered after one or more blips
    unavailable: int = 0  # requests that met a blip at every try
    again: int = 0  # more tries after a blip (0: REPLAY=0)
    listed: list[str] = field(default_factory=list)  # the first requests that met a blip, and what each met


# A failure's evidence, to send again (replay.py): the check, what it was given, the exchanges to
# send, and what exactly was wrong in them (the drift's instance). The first instance of each cause only: trying
# more would give a failure that comes now and then more chances to come back every time, and be called drift.
Shown = tuple[Check, tuple[Any, ...], tuple[Exchange, ...], str]


@dataclass
class Verdict:
    target: str
    strict: bool = False
    findings: list[Finding] = field(default_factory=list)
    judged: Counter[str] = field(default_factory=Counter)  # check -> what it judged (answers, listings, probes)
    ran: set[str] = field(default_factory=set)  # the parts of the run that ran: ANSWER, ..., SCHEMATHESIS
    exchanges: list[Exchange] = field(default_factory=list)  # every request of the run and its answer
    cases: int = 0  # schemathesis' cases
    probes: list[str] = field(default_factory=list)  # what each probe tried
    throttling: Throttling = field(default_factory=Throttling)
    rate_limit: str = ""
    schemathesis_status: int = 0
    notes: list[str] = field(default_factory=list)
    about: About | None = None  # what the run was: commit, versions, settings, the command that replays it
    walk: Any = None  # the walk's listings (cph_conformance.run.collect.walk.Walk), when the run walked
    probed: list[tuple[Any, Exchange]] = field(default_factory=list)  # each probe and its answer
    changes: Changes | None = None  # what changed since the baseline, when the run was compared with one
    fail_on_change: bool = False  # changes of shape exit 1 (CPH_FAIL_ON_CHANGE)
    fail_on_flaky: bool = False  # flaky findings exit 1 (FAIL_ON_FLAKY)
    shown: dict[tuple[str, str], Shown] = field(default_factory=dict)  # (check, key) -> its first instance
    blips: Blips = field(default_factory=Blips)
    replays: Any = None  # what sending failures again found (cph_conformance.run.replay.Replays), when it ran
    recovered: list[Exchange] = field(default_factory=list)  # lost answers that came when sent again

    def add(self, new: Finding) -> None:
        """One finding per check and cause; a repeat only adds its curl lines (up to MAX_CURLS)."""
        for n, known in enumerate(self.findings):
            if (known.check, known.verdict, known.key) == (new.check, new.verdict, new.key):
                curls = tuple(dict.fromkeys(known.curls + new.curls))[:MAX_CURLS]
                self.findings[n] = dataclasses.replace(known, curls=curls)
                return
        self.findings.append(new)

    def drifted(self, check: Check, drifts: Iterable[Drift]) -> None:
        for drift in drifts:
            self.add(finding(check, drift))

    def apply(self, check: Check, *args: Any, curls: Sequence[str] = ()) -> Any:
        """check.fn(*args), its drifts as a list; None, with an error, when the check itself breaks on what it
        was given: a bug of ours must cost the run one check's judgement, never its reports."""
        assert check.fn is not None
        try:
            out = check.fn(*args)
            if isinstance(out, tuple):
                return out
            drifts = list(out)
            for drift in drifts:
                # The answer judged, or for a check across answers the ones that disagree.
                exchanges = drift.exchanges if check.by == ANSWERS else (args[-1],)
                self.shown.setdefault((check.name, drift.key), (check, args, exchanges, drift.instance))
            return drifts
        except Exception as exc:  # any bug of a check, reported with what it was judging
            self.add(
                error(
                    check.name,
                    f"{check.name} could not judge what it was given ({type(exc).__name__}: {exc}); a bug of "
                    "cph-conformance: please report it with this summary",
                    curls,
                )
            )
            return None

    # --- the parts of a run, each judged by its checks ---------------------------------------------------------

    def judge(
        self,
        answers: Sequence[Exchange],
        outcomes: Iterable[tuple[str, str | None, Exchange]] | None = None,
        walk: Any = None,
        probed: Sequence[tuple[Any, Exchange]] | None = None,
    ) -> None:
        """Every part that ran: every answer (whichever part sent it), schemathesis' case checks, the walk's
        listings and the probes."""
        self.judge_answers(answers)
        if outcomes is not None:
            self.judge_schemathesis(outcomes)
        if walk is not None:
            self.judge_listings(walk)
        if probed is not None:
            self.judge_probes(probed)

    def judge_answers(self, exchanges: Sequence[Exchange]) -> None:
        """Every answer of the run by every per-answer check, then all of them together by the checks across."""
        self.exchanges += exchanges
        judged = [ex for ex in self.exchanges if ex.judged]
        self.ran |= {ANSWER, ANSWERS}
        for check in rules.of(ANSWER, self.strict):
            for ex in judged:
                if check.applies is None or check.applies(ex):
                    self.judged[check.name] += 1
                    self.drifted(check, self.apply(check, ex, curls=[ex.curl]) or ())
        for check in rules.of(ANSWERS, self.strict):
            applicable = [ex for ex in judged if check.applies is None or check.applies(ex)]
            self.judged[check.name] += len(applicable)
            self.drifted(check, self.apply(check, applicable) or ())
        self.judge_throttled([ex for ex in self.exchanges if ex.answered and ex.throttled])

    def judge_throttled(self, answers: Sequence[Exchange]) -> None:
        """Answers that only say "later" (throttled) by the checks of an answer's shape: a throttled answer is still
        one of the spec's (429, Huawei's error body). They weigh nothing as evidence: the gateway's samples of the
        throttled answers it waited out come here without joining the run's exchanges."""
        for check in rules.of(ANSWER, self.strict):
            if check.throttled_too:
                for ex in answers:
                    self.judged[check.name] += 1
                    self.drifted(check, self.apply(check, ex, curls=[ex.curl]) or ())

    @property
    def listings(self) -> list[str]:
        """What the walk listed, a line per image type: each page size's count of images."""
        by_type: dict[str, list[str]] = {}
        for listing in self.walk.listings if self.walk is not None else ():
            size = "no limit" if listing.size is None else f"limit {listing.size}"
            pages = "" if listing.complete else f", its first {len(listing.pages)} page(s)"
            by_type.setdefault(listing.selection, []).append(f"{size}: {len(listing.ids)} image(s){pages}")
        return [f"{selection}: {'; '.join(walked)}" for selection, walked in by_type.items()]

    def judge_listings(self, walk: Any) -> None:
        """The relations between the walk's listings (cph_conformance.run.collect.walk)."""
        self.ran.add(LISTINGS)
        self.walk = walk
        for check in rules.of(LISTINGS, self.strict):
            count, drifts = self.apply(check, walk) or (0, [])
            self.judged[check.name] += count
            self.drifted(check, drifts)
        if walk.stopped:
            self.add(error("walk", f"the walk stopped early: {walk.stopped}"))
        for key, tries in walk.flaky:
            name = "pagination" if key.endswith(":refused") else AVAILABILITY
            failed = sum(1 for ex in tries if ex.images is None)
            said = f"a step of the walk failed {failed} time(s), then got its page"
            self.add(flaky(name, f"{key}:{tries[0].url}", said, tries, failed))
            self.recovered += [ex for ex in tries if not ex.judged]  # answered in the end: not lost

    def judge_probes(self, answered: Sequence[tuple[Any, Exchange]]) -> None:
        """Each probe's answer by its check (cph_conformance.run.collect.probes)."""
        self.ran.add(PROBES)
        checks = rules.every()
        for probe, ex in answered:
            self.probes.append(probe.why)
            self.probed.append((probe, ex))
            if ex.judged:
                check = checks[probe.check]
                self.judged[check.name] += 1
                self.drifted(check, self.apply(check, probe, ex, curls=[ex.curl]) or ())

    def judge_schemathesis(self, outcomes: Iterable[tuple[str, str | None, Exchange]]) -> None:
        """What schemathesis' own checks said of each case: (check, its failure message or None, the exchange)."""
        self.ran.add(SCHEMATHESIS)
        checks = rules.every()
        for name, failed, ex in outcomes:
            check = checks.get(name)
            if check is None or check.by != SCHEMATHESIS or not ex.judged:
                continue
            self.judged[name] += 1
            if failed is not None:
                self.drifted(check, self.apply(check, failed, ex, curls=[ex.curl]) or ())

    # --- evidence ------------------------------------------------------------------------------------------------

    @property
    def steps_asked_again(self) -> int:
        """Steps of the walk that failed, then got their page when sent again (each a flaky finding)."""
        return len(self.walk.flaky) if self.walk is not None else 0

    @property
    def unjudged(self) -> list[Exchange]:
        """The answers that judged nothing, but for the lost ones that came when sent again (flaky, not missing)."""
        return [ex for ex in self.exchanges if not ex.judged and ex not in self.recovered]

    @property
    def expected_to_judge(self) -> list[str]:
        """The checks of the parts that ran: each must have judged something."""
        return sorted(c.name for c in rules.every().values() if c.by in self.ran and (self.strict or not c.strict_only))

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
                    f"Lower RATE_LIMIT (it was {self.rate_limit}) so that the endpoint's throttling lets the run "
                    "through, and run again."
                    if throttled * 2 >= len(unjudged)
                    else "The endpoint was unavailable for them (502, 503, 504, timeouts, lost connections): check "
                    "that it is reachable and answers in time, and run again."
                )
            )
        silent = [name for name in self.expected_to_judge if not self.judged[name]]
        if silent:
            reasons.append(
                f"{len(silent)} check(s) judged nothing: {', '.join(silent)}. "
                + (
                    "Their answers were throttled: lower RATE_LIMIT and run again."
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
    def changed_shape(self) -> bool:
        """The answers changed shape since the baseline, and that fails the run (CPH_FAIL_ON_CHANGE)."""
        return self.fail_on_change and self.changes is not None and bool(self.changes.of_shape)

    @property
    def exit_status(self) -> int:
        if self.failures or (self.fail_on_flaky and self.of(FLAKY)):
            return DRIFT
        if self.of(ERROR) or self.inconclusive:
            return CANNOT_RUN
        return DRIFT if self.changed_shape else PASSED

    @property
    def made(self) -> bool:
        """False when the run could not be made at all (a setting, the credential, the endpoint, the folder)."""
        return not any(f.check == SETUP for f in self.of(ERROR))

    @property
    def label(self) -> str:
        if self.exit_status == CANNOT_RUN:
            if not self.made:
                return "the run could not be made"
            return "could not run to the end" if self.of(ERROR) else "inconclusive"
        if self.exit_status == DRIFT and not self.failures:
            return "flaky" if self.fail_on_flaky and self.of(FLAKY) else "changed since the baseline"
        return {PASSED: "passed", DRIFT: "drift found"}[self.exit_status]
