"""Statement coverage: for every statement the spec quotes (x-statements), the checks that may cite it (the registry:
their own statements and those of the nodes they judge by) and the mock's faults that break it (caught.py: the
statements each fault's failure cites). A statement that states nothing an answer can break says so in the spec
(`testable: false`, and why). The docs show the table; each run's summary adds how much the checks citing each
statement judged in that run. tests/test_coverage.py fails on a testable statement without a check or a fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks.caught import CAUGHT


@dataclass(frozen=True)
class Covered:
    statement: spec.Statement
    checks: tuple[str, ...]  # the checks whose drifts may cite it
    faults: tuple[str, ...]  # the mock's faults whose failure cites it

    @property
    def gap(self) -> str:
        """What is missing for the statement to be judged and proved so; "" when nothing is."""
        if not self.statement.testable:
            if not self.statement.why:
                return "it is marked testable: false without a why"
            return f"it is marked testable: false, yet {', '.join(self.checks)} cite it" if self.checks else ""
        lacks = (("no check cites it", self.checks), ("no fault of the mock breaks it", self.faults))
        return "; ".join(what for what, found in lacks if not found)

    def judged(self, judged: Mapping[str, int]) -> int:
        """How much the checks that cite it judged in a run (answers, listings, probes, cases)."""
        return sum(judged.get(name, 0) for name in self.checks)


def rows() -> list[Covered]:
    """Every statement, in the spec's order, with its checks and faults."""
    every = [c for c in checks.every().values() if c.fn is not None]
    return [
        Covered(
            statement,
            tuple(sorted(c.name for c in every if statement.id in c.covers)),
            tuple(sorted(name for name, caught in CAUGHT.items() if statement.id in caught.statements)),
        )
        for statement in spec.statements().values()
    ]


def counts() -> tuple[int, int, int]:
    """(statements, testable ones with a check and a fault, statements marked not testable)."""
    found = rows()
    proved = sum(1 for r in found if r.statement.testable and r.checks and r.faults)
    return len(found), proved, sum(1 for r in found if not r.statement.testable)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(judged: Mapping[str, int] | None = None) -> str:
    """The coverage as a Markdown table; with a run's judged counts, a column of how much judged each statement."""
    head = "| statement | where | checks | faults |" + (" judged |" if judged is not None else "")
    rule = "|---|---|---|---|" + ("---:|" if judged is not None else "")
    lines = [head, rule]
    for r in rows():
        s = r.statement
        if s.testable:
            checked, broken = ", ".join(f"`{c}`" for c in r.checks) or "none", ", ".join(r.faults) or "none"
        else:
            checked, broken = "not testable", s.why
        row = f"| `{s.id}` | {_cell(s.where)} | {_cell(checked)} | {_cell(broken)} |"
        lines.append(row + (f" {r.judged(judged)} |" if judged is not None else ""))
    total, proved, untestable = counts()
    said = (
        f"{total} statements: {proved} judged by a check and broken by a fault of the mock, {untestable} stating "
        "nothing an answer can break."
    )
    return "\n".join([*lines, "", said]) + "\n"
