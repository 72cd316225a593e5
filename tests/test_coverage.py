"""Every statement judged: each statement the spec quotes states a rule that a check cites and a fault of the mock
breaks, or is marked `testable: false` with why (and then no check cites it). The table of the docs is the one the
registry and the spec give; each fault breaks only statements its check may cite (tests/test_fault_matrix.py holds
each fault's failure to quote them)."""

from __future__ import annotations

import dataclasses

import pytest

from cph_conformance import docs_pages, spec
from cph_conformance.run.checks import coverage
from cph_conformance.run.checks.caught import CAUGHT
from cph_conformance.spec import ROOT

ROWS = coverage.rows()


@pytest.mark.parametrize("covered", ROWS, ids=[r.statement.id for r in ROWS])
def test_every_statement_is_judged_and_broken_or_says_why_it_cannot_be(covered: coverage.Covered) -> None:
    assert covered.gap == "", f"{covered.statement.id}: {covered.gap}"


TESTABLE = next(r.statement for r in ROWS if r.statement.testable)
UNTESTABLE = next(r.statement for r in ROWS if not r.statement.testable)


@pytest.mark.parametrize(
    ("covered", "gap"),
    [
        (coverage.Covered(TESTABLE, ("a_check",), ("a-fault",)), ""),
        (coverage.Covered(TESTABLE, (), ("a-fault",)), "no check cites it"),
        (coverage.Covered(TESTABLE, ("a_check",), ()), "no fault of the mock breaks it"),
        (coverage.Covered(UNTESTABLE, (), ()), ""),
        (coverage.Covered(UNTESTABLE, ("a_check",), ()), "it is marked testable: false, yet a_check cite it"),
        (coverage.Covered(dataclasses.replace(UNTESTABLE, why=""), (), ()), "without a why"),
    ],
)
def test_a_gap_is_named(covered: coverage.Covered, gap: str) -> None:
    assert (gap in covered.gap) if gap else covered.gap == ""


def test_each_fault_breaks_only_what_its_check_may_cite() -> None:
    assert {name: s for name, c in CAUGHT.items() for s in c.statements if s not in c.check.covers} == {}


def test_the_counts_add_up_and_the_docs_show_the_table() -> None:
    total, proved, untestable = coverage.counts()
    assert total == len(spec.statements()) == proved + untestable
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "<!-- generated: statement-coverage -->" in rules
    assert docs_pages.GENERATED["statement-coverage"]() == coverage.table()
    assert coverage.table({"request_ids": 7}).splitlines()[0].endswith("judged |")
