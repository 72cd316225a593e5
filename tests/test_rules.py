"""Sourced means stated: every statement the spec quotes is in its source, word for word; every rule that can fail a
run cites statements; every citation names a statement. (The docs' table of rules is the registry's: test_docs.)"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks import registry as rules
from cph_conformance.spec import ROOT


def _words(text: str) -> str:
    return " ".join(text.split())


PAGE = _words("\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "openapi" / "source").glob("*.txt"))))


def _sdk_source() -> str:
    """The source of Huawei's SDK as installed from the dev lock, every file of it."""
    found = importlib.util.find_spec("huaweicloudsdkcph")
    assert found is not None and found.origin is not None, "huaweicloudsdkcph is not installed"
    return _words("\n".join(p.read_text(encoding="utf-8") for p in Path(found.origin).parent.rglob("*.py")))


SDK = _sdk_source()
STATEMENTS = spec.statements()


@pytest.mark.parametrize("statement", STATEMENTS.values(), ids=list(STATEMENTS))
def test_every_statement_is_quoted_word_for_word_from_its_source(statement: spec.Statement) -> None:
    assert statement.id.split(".")[0] == {"page": "page", "sdk": "sdk", "huawei-docs": "docs"}[statement.kind]
    assert statement.where and statement.quote
    if statement.kind == "page":
        assert _words(statement.quote) in PAGE
    elif statement.kind == "sdk":
        assert _words(statement.quote) in SDK and statement.says, "an SDK quote says what it means in English"
    else:  # another Huawei page: no copy here to hold it to, so it says where to read it
        assert statement.where.startswith(("Huawei", "Cloud Phone Host", "API Gateway", "FAQ"))


def _cited(node: Any) -> set[str]:
    if isinstance(node, dict):
        own = set(spec.cites(node)) if "x-source" in node else set()
        return own.union(*(_cited(v) for k, v in node.items() if k != "x-statements"))
    if isinstance(node, list):
        return set().union(*(_cited(v) for v in node))
    return set()


def test_every_citation_names_a_statement_and_every_statement_is_cited() -> None:
    in_spec = _cited(spec.load())
    by_checks = {c for check in checks.every().values() for c in check.cites}
    assert in_spec - set(STATEMENTS) == set()
    assert set(STATEMENTS) - in_spec - by_checks == set()


def test_a_rule_that_can_fail_a_run_cites_statements_and_one_that_cites_none_says_its_assumption() -> None:
    for check in checks.every().values():
        assert check.cites or check.assumed or check.by == rules.RUN, check.name
        assert check.kind in (*spec.SOURCE_KINDS, rules.ASSUMPTION, rules.THE_RUN)
        assert (check.fn is None) == (check.by == rules.RUN), check.name  # the run's own are found from facts
    assert {c.by for c in checks.every().values()} == {
        rules.ANSWER,
        rules.ANSWERS,
        rules.LISTINGS,
        rules.SEEN,
        rules.PROBE,
        rules.CASE,
        rules.RUN,
    }


def test_a_check_that_cites_an_unknown_statement_or_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match=r"does not quote: page\.nowhere"):
        rules.Check("x", "r", ("page.nowhere",), "j", rules.ANSWER)
    with pytest.raises(ValueError, match="cites no statement and says no assumption"):
        rules.Check("x", "r", (), "j", rules.ANSWER)


@pytest.mark.parametrize(
    ("relation", "problem"),
    [
        ({}, None),
        ({"b": ("a",), "c": ("b",)}, None),  # a chain: c follows from b, which follows from a
        ({"b": ("nowhere",)}, "explained by checks that do not exist: nowhere"),
        ({"a": ("c",), "b": ("a",), "c": ("b",)}, "explained, through others, by itself"),
    ],
)
def test_the_relation_between_checks_names_checks_that_exist_and_ends(
    relation: dict[str, tuple[str, ...]], problem: str | None
) -> None:
    made = {
        name: rules.Check(name, "r", (), "j", rules.RUN, explained_by=relation.get(name, ()))
        for name in ("a", "b", "c")
    }
    if problem is None:
        checks.related(made)
    else:
        with pytest.raises(ValueError, match=problem):
            checks.related(made)
    checks.related(checks.every())  # the registry's own
