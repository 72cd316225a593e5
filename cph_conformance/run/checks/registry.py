"""What a check is: its name, the rule it holds the endpoint to, the statements of Huawei's sources that state that
rule (ids of the spec's x-statements), the kind of evidence it judges, and the function that judges it. The
registry of every check is cph_conformance.run.checks (its __init__ gathers the modules that define them).

One signature: a check's function takes one piece of evidence of its kind and yields Drift:
- ANSWER: one answer (an Exchange), whichever part of the run sent it;
- ANSWERS: every answer of the run at once (Answers);
- LISTINGS: the walk's listings of one image type, with those they relate to (Walked);
- SEEN: one image type's complete listing, with every answer of the run: what the run saw of that type (Seen);
- PROBE: a probe at the edge of what is accepted, and its answer (Probed);
- CASE: one of schemathesis' cases and what its own check said of it (Case);
- RUN: the run itself (setup, availability, the parts that ran): no function; the pipeline finds these from facts.
Evidence knows what shows one of its drifts (narrow) and how to send itself again (again), for the replays.

A check that cites no statement rests on an assumption of this project: what it finds is a warning, never a
failure. A RUN check's findings are errors: what kept the run from judging; so is a drift that is this project's
own fault (Drift.ours: an answer Huawei's sources allow that the project's client cannot read), never a pass. A
conclusive check's failure is drift on first sight: sending its evidence again proves nothing (two different
requests answered with one request_id stay so, whatever a cache answers next time), so the replays leave it as it
is.

Checks relate: a check may name the checks whose failure explains its own (explained_by), where one cause breaks
both (an image skipped between pages makes the listing at that page size differ). The reports follow the relation,
over what each failure concerns (its selection), to name the likely root of several failures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from cph_conformance import spec
from cph_conformance.run.transport.exchange import Exchange

ANSWER, ANSWERS, LISTINGS, SEEN, PROBE, CASE = "answer", "answers", "listings", "seen", "probe", "case"
RUN = "run"
ASSUMPTION = "assumption"
THE_RUN = "the run"  # what a RUN check rests on


@dataclass(frozen=True)
class Drift:
    """One cause of one check's failure: what was expected and what came, with the exchanges that show it."""

    cause: str  # what is wrong, in a word or two: the same for the same cause
    message: str
    exchanges: tuple[Exchange, ...] = ()
    selection: str = ""  # the image type (or other selection) the cause concerns; "" when none
    citations: tuple[str, ...] | None = None  # statements of this cause, when they are not the check's own
    assumed: str = ""  # why it breaks only an assumption: a warning
    ours: str = ""  # why it is this project's own fault, not the endpoint's: an error (neither drift nor a pass)
    instance: str = ""  # exactly what is wrong, when the cause is coarser (which image differs): what must come
    # back when the evidence is sent again for the failure to count (cph_conformance.run.verdict.replay)
    check: str = ""  # the check that found it (set by Check.judge)
    evidence: Evidence | None = field(default=None, repr=False, compare=False)  # what shows it, to send again

    @property
    def key(self) -> tuple[str, str]:
        """One finding per check and key: (selection, cause)."""
        return self.selection, self.cause

    @property
    def recurs(self) -> tuple[str, str, str]:
        """What must come back when sent again: the key and the exact instance."""
        return self.selection, self.cause, self.instance or self.cause


class Evidence(Protocol):
    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        """The answers it holds, to show (curl lines)."""
        ...

    @property
    def size(self) -> int:
        """How many things it counts for in a check's tally (answers, listings, probes)."""
        ...

    def narrow(self, drift: Drift) -> Evidence:
        """The part of this evidence that shows the drift: what is sent again to see whether it comes back."""
        ...

    def again(self, sender: Any) -> Evidence | None:
        """The same evidence, sent again; None when it cannot be (a throttled answer: throttling comes when it will)."""
        ...


def kind_of(cites: Iterable[str]) -> str:
    """The strongest kind of source among some statements (the page first); an assumption when none is cited."""
    kinds = {spec.statements()[c].kind for c in cites}
    return next((k for k in spec.SOURCE_KINDS if k in kinds), ASSUMPTION)


@dataclass(frozen=True)
class Check:
    name: str
    rule: str  # what must hold, in one line
    cites: tuple[str, ...]  # ids of the spec's x-statements that state the rule; () for an assumption
    judges: str  # what it looks at, in a few words
    by: str  # the kind of evidence: ANSWER, ANSWERS, LISTINGS, SEEN, PROBE, CASE or RUN
    fn: Callable[[Any], Iterable[Drift]] | None = field(default=None, repr=False, compare=False)
    assumed: str = ""  # why the rule is there, when no statement states it
    strict_only: bool = False  # judged only when STRICT is on
    applies: Callable[[Any], bool] | None = field(default=None, repr=False, compare=False)  # which evidence
    throttled_too: bool = False  # ANSWER: also judges throttled answers (their shape)
    conclusive: bool = False  # its failure is drift on first sight: never sent again (replay.py)
    also_cites: tuple[str, ...] = ()  # statements its drifts may cite instead of its own: the spec's nodes it judges
    explained_by: tuple[str, ...] = ()  # checks whose failure, on the same selection, explains this one's

    def __post_init__(self) -> None:
        unknown = [c for c in (*self.cites, *self.also_cites) if c not in spec.statements()]
        if unknown:
            raise ValueError(f"check {self.name} cites statements the spec does not quote: {', '.join(unknown)}")
        if not self.cites and not self.assumed and self.by != RUN:
            raise ValueError(f"check {self.name} cites no statement and says no assumption")

    def __hash__(self) -> int:
        return hash(self.name)

    @property
    def statements(self) -> tuple[spec.Statement, ...]:
        return tuple(spec.statements()[c] for c in self.cites)

    @property
    def covers(self) -> tuple[str, ...]:
        """Every statement a drift of this check may cite: its own, and those of the nodes it judges by."""
        return tuple(dict.fromkeys((*self.cites, *self.also_cites)))

    @property
    def kind(self) -> str:
        """The kind of source the rule rests on: page, huawei-docs, sdk, assumption, or the run itself."""
        if self.by == RUN:
            return THE_RUN
        return kind_of(self.cites)

    def judging(self, evidence: Evidence) -> bool:
        return self.applies is None or self.applies(evidence)

    def judge(self, evidence: Evidence) -> Iterator[Drift]:
        """The drifts the check finds in the evidence, each naming the check and narrowed to what shows it."""
        assert self.fn is not None, f"{self.name} judges nothing by itself: the run finds it"
        for drift in self.fn(evidence):
            yield replace(drift, check=self.name, evidence=evidence.narrow(drift))


REGISTRY: dict[str, Check] = {}


def register(check: Check) -> Check:
    if check.name in REGISTRY:
        raise ValueError(f"two checks are named {check.name}")
    REGISTRY[check.name] = check
    return check


def check(
    rule: str,
    cites: tuple[str, ...],
    judges: str,
    by: str,
    assumed: str = "",
    strict_only: bool = False,
    applies: Callable[[Any], bool] | None = None,
    throttled_too: bool = False,
    conclusive: bool = False,
    also_cites: tuple[str, ...] = (),
    explained_by: tuple[str, ...] = (),
) -> Callable[[Callable[[Any], Iterable[Drift]]], Check]:
    """Register the decorated function as the check of its name; the name is then the Check."""

    def decorate(fn: Callable[[Any], Iterable[Drift]]) -> Check:
        made = Check(
            fn.__name__,
            rule,
            cites,
            judges,
            by,
            fn,
            assumed,
            strict_only,
            applies,
            throttled_too,
            conclusive,
            also_cites,
            explained_by,
        )
        return register(made)

    return decorate
