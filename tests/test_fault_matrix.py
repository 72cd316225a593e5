"""The fault matrix, in process: every fault of the mock fails what a conformance run checks, in the check the
fault names, graded as drift; the clean mock and the faithful variants pass with no failure. schemathesis'
engine and the walk run against the mock's ASGI app (no server, no subprocess); tests/test_conformance_run.py
runs a few of these end to end through the real command."""

from __future__ import annotations

import pytest

from cph_conformance.mock import faults
from cph_conformance.run import checks, walk
from cph_conformance.run.verdict import FAILURE
from tests import inprocess

WALK_CHECKS = {*walk.CHECKS, *(c.__name__ for c in checks.PAGE_CHECKS)}


def drift(fault: str | None) -> set[str]:
    """The checks that graded some answer as drift, from schemathesis' engine and the walk."""
    strict = fault is not None and faults.FAULTS[fault].strict_only
    found = {f.check for f in inprocess.schemathesis_run(fault) if f.verdict == FAILURE}
    found |= {f.check for f in walk.run(inprocess.fetch(fault), inprocess.PROJECT).findings if f.verdict == FAILURE}
    if strict:
        found |= {"no_undocumented_fields"} if _strict_drift(fault) else set()
    return found


def _strict_drift(fault: str | None) -> bool:
    answer = inprocess.fetch(fault)({"limit": 5}, None, walk.VALID)
    try:
        checks.no_undocumented_fields({}, answer.status, answer.headers, answer.body)
    except checks.Drift:
        return True
    return False


@pytest.mark.parametrize("fault", sorted(n for n, f in faults.FAULTS.items() if f.caught_by))
def test_each_fault_is_drift_in_the_check_it_names(fault: str) -> None:
    assert faults.FAULTS[fault].caught_by in drift(fault)


@pytest.mark.parametrize("fault", [None, *sorted(n for n, f in faults.FAULTS.items() if not f.caught_by)])
def test_the_clean_mock_and_faithful_variants_show_no_drift(fault: str | None) -> None:
    assert drift(fault) == set()
