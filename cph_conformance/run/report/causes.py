"""What broke, as the first screen of every report says it: each check that failed the run, with its rule, how many
instances it failed on and how often they came back, and whether its failure is the likely root of others or one
of their consequences.

The relation is the registry's (a check's explained_by): a failure of a check follows from a failure of a check it
names when both concern one selection (an image type); followed to its end, it gives the likely root. An image
skipped between pages (pagination) makes the listing differ at that page size (same_listing_at_any_limit), which
makes the union differ from its parts there (all_is_the_union): pagination is the root, the others its consequences.
"""

from __future__ import annotations

from dataclasses import dataclass

from cph_conformance.run import checks
from cph_conformance.run.verdict.findings import ERROR, FAILURE, FLAKY, RUN_SOURCE, WARNING, Finding
from cph_conformance.run.verdict.verdict import Verdict


def failing(v: Verdict) -> tuple[str, ...]:
    """The verdicts of the findings that fail the run: failures, and flaky ones when they fail it too."""
    return (FAILURE, FLAKY) if v.fail_on_flaky else (FAILURE,)


def _concern_one_selection(one: Finding, other: Finding) -> bool:
    mine, theirs = set(one.selections), set(other.selections)
    return bool(mine & theirs) or not (mine or theirs)


def explaining(f: Finding, found: list[Finding]) -> list[Finding]:
    """The failures among found that explain f: of a check f's check names (explained_by), on one of its
    selections."""
    check = checks.every().get(f.check)
    names = check.explained_by if check is not None else ()
    return [g for g in found if g.check in names and g is not f and _concern_one_selection(f, g)]


def roots(f: Finding, found: list[Finding]) -> list[Finding]:
    """The failures at the end of the relation from f: f itself when nothing explains it (the relation ends: the
    registry refuses a cycle)."""
    above = explaining(f, found)
    if not above:
        return [f]
    return list({id(r): r for g in above for r in roots(g, found)}.values())


@dataclass(frozen=True)
class Broken:
    """A check that failed the run, as the first screen shows it."""

    check: str
    rule: str
    findings: tuple[Finding, ...]  # its failures: one per cause
    follows_from: tuple[str, ...]  # the likely roots' checks, when every failure of it follows from them
    explains: tuple[str, ...]  # the failed checks whose failures follow from its own
    depth: int  # how far down the relation it is: 0 for a root or a failure on its own

    @property
    def instances(self) -> int:
        return sum(f.count for f in self.findings)

    @property
    def reproduced(self) -> str:
        """How often its failures came back when sent again: "3/3", "3/3, 2/3", or "not sent again"."""
        return ", ".join(dict.fromkeys(f.reproduced or "not sent again" for f in self.findings))

    @property
    def role(self) -> str:
        """ "likely root", "a consequence of pagination", or "" for a failure that neither explains nor follows."""
        if self.follows_from:
            return f"a consequence of {' and '.join(self.follows_from)}"
        return "likely root" if self.explains else ""


def broken(v: Verdict) -> list[Broken]:
    """Every check that failed the run, likely roots first, each followed by what follows from it, in the order
    the run found them."""
    found = [f for f in v.findings if f.verdict in failing(v)]
    names = list(dict.fromkeys(f.check for f in found))
    follows: dict[str, tuple[str, ...]] = {}
    for name in names:  # a check follows from others only when every failure of it does
        tops = [r.check for f in found if f.check == name for r in roots(f, found)]
        follows[name] = tuple(dict.fromkeys(tops)) if name not in tops else ()
    depth = {name: _depth(name, found) for name in names}
    rows = [
        Broken(
            name,
            checks.every()[name].rule if name in checks.every() else next(f.rule for f in found if f.check == name),
            tuple(f for f in found if f.check == name),
            follows[name],
            tuple(other for other in names if name in follows[other]),
            depth[name],
        )
        for name in names
    ]
    root_of = {row.check: next(iter(row.follows_from), row.check) for row in rows}
    order = {name: n for n, name in enumerate(names)}
    return sorted(rows, key=lambda row: (order[root_of[row.check]], row.depth, order[row.check]))


def _depth(name: str, found: list[Finding]) -> int:
    """How many failures of other checks lie between this check's and its root, at most."""
    mine = [f for f in found if f.check == name]
    above = [g for f in mine for g in explaining(f, found)]
    return 1 + max(_depth(g.check, found) for g in above) if above else 0


def counts(v: Verdict) -> str:
    """The warnings (the spec's assumptions, and the run's own when there are some: what it met that costs it
    little), and the flaky findings and errors when there are some, in one line."""
    own = [f for f in v.of(WARNING) if f.source == RUN_SOURCE]
    said = [f"{len(v.of(WARNING)) - len(own)} warning(s) (the spec's assumptions: they fail nothing)"]
    if own:
        names = ", ".join(dict.fromkeys(f.check for f in own))
        said.append(f"{len(own)} warning(s) of the run itself ({names}: they fail nothing on their own)")
    if v.of(FLAKY) and not v.fail_on_flaky:
        said.append(f"{len(v.of(FLAKY))} flaky (CPH_FAIL_ON_FLAKY=1 makes them fail the run)")
    if v.of(ERROR):
        said.append(f"{len(v.of(ERROR))} error(s) (what kept the run from judging)")
    return "; ".join(said) + "."


def root_line(rows: list[Broken]) -> str | None:
    """The likely root of several failures, and its consequences, in one sentence; None when no failure explains
    another."""
    roots_ = [row for row in rows if row.explains]
    if not roots_:
        return None
    said = []
    for row in roots_:
        following = [other.check for other in rows if row.check in other.follows_from]
        said.append(f"{row.check} ({_and(following)} fail as its consequences)")
    return "Likely root: " + "; ".join(said) + "."


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
