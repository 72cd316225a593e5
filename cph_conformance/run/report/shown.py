"""A finding as the reports show it, one model for summary.md, summary.html and junit.xml: where its instances
are, its smallest reproduction (reproduce.py), every distinct instance; and the findings of a kind grouped by check,
each check's rule and statements once, failures in the order of what broke (causes.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks.registry import ASSUMPTION, THE_RUN
from cph_conformance.run.report import causes, reproduce
from cph_conformance.run.report.result import Result
from cph_conformance.run.verdict.findings import FAILURE, FLAKY, Finding, Instance

MAX_LISTED = 60  # distinct findings listed per kind; the count is always given
MAX_INSTANCES = 20  # instances listed under a finding; the count is always given
MAX_WHERE = 8  # instances named on a finding's first line
# What a rule rests on, in words: the legend of the reports' "rests on" (the HTML's #rests-on says the same).
RESTS_ON = {
    "page": "Huawei's documentation page",
    "huawei-docs": "another Huawei page",
    "sdk": "Huawei's SDK docstrings",
    ASSUMPTION: "the spec's own, a warning only",
    THE_RUN: "the run itself, not a rule",
}


def reproduced(f: Finding) -> str:
    """How often a finding came back when its request was sent again, in words; "" when it was not sent again."""
    if not f.reproduced:
        return ""
    if f.verdict == FLAKY:
        return f"came back at {f.reproduced} tries"
    return f"reproduced {f.reproduced}"


@dataclass(frozen=True)
class Shown:
    """A finding as the reports show it: where its instances are, its smallest reproduction, every instance."""

    finding: Finding
    where: tuple[str, ...]  # each instance, in a few words (a listing's query; its request, for an answer)
    smallest: Instance | None
    block: tuple[str, ...]  # the smallest reproduction's shell lines
    listed: tuple[tuple[str, int], ...]  # each distinct instance message and how many instances said it
    unlisted: int  # instances beyond those listed
    notes: tuple[str, ...] = ()  # what the run adds to the finding (how Hypothesis shrank it)

    @property
    def headline(self) -> str:
        f = self.finding
        if not f.instances:  # a finding of the run itself, such as what the deadline cut short: its cause alone
            return f.cause or f.check
        again = reproduced(f)
        where = ", ".join(self.where[:MAX_WHERE]) + (", ..." if len(self.where) > MAX_WHERE else "")
        return (
            f"{f.cause or f.check}: {f.count} instance(s)"
            + (f" ({again})" if again else "")
            + (f" in {where}" if where else "")
        )


@dataclass(frozen=True)
class Group:
    """One check's findings of one kind: its rule, what it rests on (each statement once), its role in what broke."""

    check: str
    rule: str
    rests_on: str  # page, huawei-docs, sdk, assumption, the run
    sources: tuple[str, ...]
    role: str
    findings: tuple[Shown, ...]


NO_QUERY = "no query parameters"  # where an instance is, when its request had none


def _where(instance: Instance) -> str:
    if instance.instance:
        return instance.instance
    query = "&".join(f"{k}={v}" for k, v in instance.sent[0].query) if instance.sent else ""
    return query or instance.selection or NO_QUERY


def shown(f: Finding, r: Result) -> Shown:
    smallest = f.smallest
    mock = r.about.mock if r.about is not None else None
    by_token = r.about.by_token if r.about is not None else True
    project = reproduce.own_project(r.verdict.exchanges)
    block = tuple(reproduce.block(smallest, mock, project, by_token=by_token)) if smallest is not None else ()
    messages = Counter(i.message for i in f.instances)
    listed = tuple(messages.items())[:MAX_INSTANCES]
    where = tuple(dict.fromkeys(_where(i) for i in f.instances))
    said = {line for i in f.instances for line in i.message.splitlines()}
    notes = tuple(line for line in f.message.splitlines() if line.strip() and line not in said)
    return Shown(f, where, smallest, block, listed, len(messages) - len(listed) + f.more, notes)


def groups(r: Result, kind: str) -> list[Group]:
    """The findings of a kind (failures, warnings), one group per check; failures as the first screen orders them."""
    found = r.verdict.of(kind)[:MAX_LISTED]
    rows = {row.check: row for row in causes.broken(r.verdict)}
    names = list(dict.fromkeys(f.check for f in found))
    if kind == FAILURE:
        order = [row for row in rows if row in names]
        names = order + [n for n in names if n not in order]
    made = []
    for name in names:
        mine = [f for f in found if f.check == name]
        sources = tuple(dict.fromkeys(line for f in mine for line in f.source.splitlines()))
        role = rows[name].role if kind == FAILURE and name in rows else ""
        made.append(Group(name, mine[0].rule, rests_on(name, mine), sources, role, tuple(shown(f, r) for f in mine)))
    return made


def rests_on(name: str, findings: Sequence[Finding] = ()) -> str:
    """What a check's findings rest on: the strongest kind of the statements they quote (a cause may cite its own,
    Drift.citations), else the check's; an assumption when every one is; with no findings, the check's kind."""
    every = checks.every()
    kind = every[name].kind if name in every else THE_RUN
    if findings and all(f.source.startswith(ASSUMPTION) for f in findings):
        return ASSUMPTION
    own = {f.rests_on or kind for f in findings}
    return next((k for k in spec.SOURCE_KINDS if k in own), kind)
