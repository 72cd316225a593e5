"""The evidence checks judge, beyond one answer (an Exchange is that one): every answer together, a type's listings,
what the run saw of a type, a probe and its answer, one of schemathesis' cases. Each knows what shows one of its
drifts (narrow) and how to send itself again (again), through anything with the sender's again(exchange) and, for
listings, walk(only)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from cph_conformance import spec
from cph_conformance.run.checks.registry import Check, Drift
from cph_conformance.run.collect.walk import Listing, Walk
from cph_conformance.run.transport.exchange import Exchange


class Resends(Protocol):
    """What evidence is sent again through: the sender, and the walk (cph_conformance.run.verdict.replay)."""

    def again(self, ex: Exchange) -> Exchange: ...

    def walk(self, only: Collection[str]) -> Walk: ...


@dataclass(frozen=True)
class Answers:
    """Every answer of the run, for the checks across answers."""

    exchanges: tuple[Exchange, ...]

    @property
    def size(self) -> int:
        return len(self.exchanges)

    def narrow(self, drift: Drift) -> Answers:
        return Answers(drift.exchanges)

    def again(self, sender: Resends) -> Answers | None:
        sent = [ex.again(sender) for ex in self.exchanges]
        return Answers(tuple(ex for ex in sent if ex is not None)) if all(sent) else None


@dataclass(frozen=True)
class Walked:
    """The walk's listings of one image type, with every other listing of the walk (a union relates to its parts)."""

    selection: str
    listings: tuple[Listing, ...]

    @property
    def size(self) -> int:
        return 1

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return tuple(listing.pages[0] for listing in self.own if listing.pages)

    @property
    def own(self) -> list[Listing]:
        return [listing for listing in self.listings if listing.selection == self.selection]

    def narrow(self, drift: Drift) -> Walked:
        return self

    def again(self, sender: Resends) -> Walked:
        """The type walked again, with the parts of its union."""
        return Walked(self.selection, tuple(sender.walk(parts_of(self.selection)).listings))


def parts_of(selection: str) -> set[str]:
    """A selection with the parts of its union, if it is one: what a walk must list to judge it again."""
    return {selection, *spec.image_type_selects().get(selection, {}).get("union", ())}


def siblings(selection: str) -> set[str]:
    """What a walk must list to tell where an image of a selection is listed: a union, itself; a part, every part."""
    selects = spec.image_type_selects()
    if "union" in selects[selection]:
        return {selection}
    return {s for s, rule in selects.items() if "union" not in rule}


@dataclass(frozen=True)
class Seen:
    """What the run saw of one image type: the walk's listings (the type's complete one among them), and every answer
    of the run that lists images, whichever part sent it: each image it selects must be in its listing."""

    selection: str
    listings: tuple[Listing, ...]
    answers: tuple[Exchange, ...]

    @property
    def size(self) -> int:
        return len(self.answers)

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return self.answers

    def narrow(self, drift: Drift) -> Seen:
        """The answers that showed what the listing lacks (not the listing's own pages: the walk lists it again)."""
        own = [page for listing in self.listings if listing.selection == self.selection for page in listing.pages]
        shown = tuple(ex for ex in drift.exchanges if ex not in own)
        return Seen(self.selection, self.listings, shown)

    def again(self, sender: Resends) -> Seen | None:
        """The types walked again, and each answer that showed an image sent again."""
        listings = tuple(sender.walk(siblings(self.selection)).listings)
        sent = [ex.again(sender) for ex in self.answers]
        return Seen(self.selection, listings, tuple(ex for ex in sent if ex is not None)) if all(sent) else None


@dataclass(frozen=True)
class Probe:
    """A request the spec says must be refused, close to one that is accepted (cph_conformance.run.checks.probes)."""

    check: Check  # the check that judges its answer
    kind: str  # what it tries, in a word: a finding is one per check, kind and outcome
    situation: str  # the spec's x-when it makes: what the answer must be
    why: str  # what is off, in a few words
    query: dict[str, Any]
    project: str | None = None  # another project's id; None: the run's own
    auth: str = "valid"
    assumed: str = ""  # why only an assumption of the spec rules the request out: what it finds is a warning

    @property
    def expected(self) -> list[int]:
        return sorted(spec.statuses_when(self.situation))


@dataclass(frozen=True)
class Probed:
    probe: Probe
    answer: Exchange

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (self.answer,)

    @property
    def size(self) -> int:
        return 1

    def narrow(self, drift: Drift) -> Probed:
        return self

    def again(self, sender: Resends) -> Probed | None:
        answer = self.answer.again(sender)
        return Probed(self.probe, answer) if answer is not None else None


@dataclass(frozen=True)
class Case:
    """One of schemathesis' cases, and what one of its checks said of it: its failure message, or None."""

    check: str  # schemathesis' check
    failure: str | None
    answer: Exchange
    status: int | None = None  # sent again: the status schemathesis' check flagged the first time

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (self.answer,)

    @property
    def size(self) -> int:
        return 1

    @property
    def stands(self) -> bool:
        """Schemathesis' flag stands: it flagged this answer, or, sent again, the same request got the same status."""
        return self.failure is not None and (self.status is None or self.status == self.answer.status)

    def narrow(self, drift: Drift) -> Case:
        return self

    def again(self, sender: Resends) -> Case | None:
        answer = self.answer.again(sender)
        return Case(self.check, self.failure, answer, self.answer.status) if answer is not None else None
