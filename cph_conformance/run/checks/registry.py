"""The rules a conformance run judges by: one registry of checks that the run, the verdict, the report, the README's
table, the mock's faults and the tests all read.

A check is its name, the rule it holds an answer to, the statements of Huawei's sources that state that rule (ids
of the spec's x-statements), what it judges, and the function that judges. A check that cites no statement rests
on an assumption of this project: what it finds is a warning, never a failure. A check function yields Drift, each
with a key that stays the same for the same cause (so that a hundred answers with one fault are one finding).

Who runs a check (`by`):
- ANSWER: every answer of the run, whichever phase sent it: fn(exchange) -> drifts;
- ANSWERS: every answer of the run at once, across answers: fn(exchanges) -> drifts;
- LISTINGS: the walk's listings, the relations the spec states between queries: fn(listings) -> (judged, drifts);
- PROBES: the answers to the run's probes at the edges of what is accepted: fn(probe, exchange) -> drifts;
- SCHEMATHESIS: schemathesis, which alone knows how it generated a case; the run grades what it reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cph_conformance import spec

if TYPE_CHECKING:
    from cph_conformance.run.collect.exchange import Exchange

ANSWER, ANSWERS, LISTINGS, PROBES, SCHEMATHESIS = "answer", "answers", "listings", "probes", "schemathesis"
ASSUMPTION = "assumption"


class Drift(Exception):
    """One cause of one check's failure: what was expected and what came, with the exchanges that show it."""

    def __init__(
        self,
        key: str,
        message: str,
        exchanges: Iterable[Exchange] = (),
        cites: tuple[str, ...] | None = None,
        assumed: str = "",
        instance: str = "",
    ) -> None:
        super().__init__(message)
        self.key = key  # the same for the same cause: one finding per (check, key)
        # What exactly is wrong, when the key is coarser (a field, for a check across answers): what must come back
        # when the answers are sent again for the failure to count (cph_conformance.run.verdict.replay)
        self.instance = instance or key
        self.message = message
        self.exchanges = tuple(exchanges)
        self.cites = cites  # statements of this cause, when they are not the check's own (a schema node's)
        self.assumed = assumed  # why it breaks only an assumption: a warning


@dataclass(frozen=True)
class Check:
    name: str
    rule: str  # what must hold, in one line
    cites: tuple[str, ...]  # ids of the spec's x-statements that state the rule; () for an assumption
    judges: str  # what it looks at, in a few words
    by: str  # ANSWER, ANSWERS, LISTINGS, PROBES or SCHEMATHESIS
    fn: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    assumed: str = ""  # why the rule is there, when no statement states it
    strict_only: bool = False  # judged only when STRICT is on
    applies: Callable[[Any], bool] | None = field(default=None, repr=False, compare=False)  # ANSWER: which answers
    throttled_too: bool = False  # ANSWER: also judges throttled answers (their shape)

    def __post_init__(self) -> None:
        unknown = [c for c in self.cites if c not in spec.statements()]
        if unknown:
            raise ValueError(f"check {self.name} cites statements the spec does not quote: {', '.join(unknown)}")
        if not self.cites and not self.assumed:
            raise ValueError(f"check {self.name} cites no statement and says no assumption")

    @property
    def statements(self) -> tuple[spec.Statement, ...]:
        return tuple(spec.statements()[c] for c in self.cites)

    @property
    def kind(self) -> str:
        """The kind of source the rule rests on: page, huawei-docs, sdk, or assumption."""
        kinds = [s.kind for s in self.statements]
        return next((k for k in spec.SOURCE_KINDS if k in kinds), ASSUMPTION)


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
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the check of its name."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        register(Check(fn.__name__, rule, cites, judges, by, fn, assumed, strict_only, applies, throttled_too))
        return fn

    return decorate


def every() -> dict[str, Check]:
    """Every check, once each module that defines some has registered them."""
    from cph_conformance.run.checks import across, answer, cases, errors  # noqa: F401  (they register)
    from cph_conformance.run.collect import probes, walk  # noqa: F401  (they register)

    return REGISTRY


def of(by: str, strict: bool = False) -> list[Check]:
    """The checks a part of the run runs (STRICT adds the strict-only ones)."""
    return [c for c in every().values() if c.by == by and (strict or not c.strict_only)]


def table() -> str:
    """The rules as a Markdown table, for the README and the summary: one row per check, its statements quoted."""
    rows = ["| check | rule | judges | source | statement |", "|---|---|---|---|---|"]
    for c in sorted(every().values(), key=lambda c: (c.kind == ASSUMPTION, c.name)):
        quoted = "<br>".join(f"{s.where}: “{s.quote}”" + (f" ({s.says})" if s.says else "") for s in c.statements)
        strict = " (STRICT)" if c.strict_only else ""
        said = (quoted or f"assumption: {c.assumed}").replace("|", "\\|")
        rows.append(f"| `{c.name}`{strict} | {c.rule} | {c.judges} | {c.kind} | {said} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # python -m cph_conformance.run.checks.registry: the table for the README
    # The checks register in the module as imported, not in this one, which runs as __main__.
    from cph_conformance.run.checks import registry as registered

    print(registered.table(), end="")
