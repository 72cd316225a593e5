"""The fault matrix, in process: every fault of the mock is drift in the check it names, with the rule's source and
a curl line; the clean mock and the faithful variants show no drift. Faults caught by schemathesis' own checks run
through schemathesis' engine with that check only, the rest through the walk (whose answers also pass every
per-answer check), all against the mock's ASGI app: no server, no subprocess. tests/test_conformance_run.py runs a
few end to end."""

from __future__ import annotations

import pytest

from cph_conformance import spec
from cph_conformance.mock import faults
from cph_conformance.run import checks, walk
from cph_conformance.run.verdict import FAILURE, Finding, page_drift
from tests import inprocess

WALK_CHECKS = {*walk.CHECKS, *(c.__name__ for c in checks.PAGE_CHECKS)}
CAUGHT = sorted(name for name, fault in faults.FAULTS.items() if fault.caught_by)
PASSING = [None, *sorted(name for name, fault in faults.FAULTS.items() if not fault.caught_by)]


def walk_findings(fault: str | None) -> list[Finding]:
    return walk.run(inprocess.fetch(fault), inprocess.PROJECT).findings


def strict_findings(fault: str | None) -> list[Finding]:
    """no_undocumented_fields (registered only with STRICT=1) on one page."""
    answer = inprocess.fetch(fault)({"limit": 5}, None, walk.VALID)
    try:
        checks.no_undocumented_fields({}, answer.status, answer.headers, answer.body)
    except checks.Drift as drift:
        return [page_drift("no_undocumented_fields", str(drift), (answer.curl,))]
    return []


def findings(fault: str, caught_by: str) -> list[Finding]:
    if caught_by in WALK_CHECKS:
        return walk_findings(fault)
    if caught_by == "no_undocumented_fields":
        return strict_findings(fault)
    # The cheapest run that shows it first: most faults show on any answer, a few only on the boundary cases of the
    # coverage phase; what neither shows, the whole run (the runner's) has the last word on.
    for phases, examples in ((("fuzzing",), 5), (("examples", "coverage"), 10)):
        found = inprocess.schemathesis_run(fault, max_examples=examples, checks=[caught_by], phases=phases)
        if any(f.check == caught_by and f.verdict == FAILURE for f in found):
            return found
    return inprocess.schemathesis_run(fault, checks=[caught_by])


@pytest.mark.parametrize("fault", CAUGHT)
def test_each_fault_is_drift_in_the_check_it_names(fault: str) -> None:
    caught_by = faults.FAULTS[fault].caught_by
    assert caught_by is not None
    found = [f for f in findings(fault, caught_by) if f.verdict == FAILURE and f.check == caught_by]
    assert found, f"{fault} is not caught by {caught_by}"
    assert found[0].rule and found[0].source.split(":")[0] in spec.SOURCE_KINDS
    if caught_by in WALK_CHECKS:
        assert found[0].curls and all(c.startswith("curl -X GET") for c in found[0].curls)


@pytest.mark.parametrize("fault", PASSING)
def test_the_clean_mock_and_faithful_variants_show_no_drift(fault: str | None) -> None:
    assert [f for f in inprocess.schemathesis_run(fault) if f.verdict == FAILURE] == []
    assert walk_findings(fault) == []
    assert strict_findings(fault) == []


def test_every_check_that_can_fail_has_a_fault() -> None:
    named = {f.caught_by for f in faults.FAULTS.values()}
    assert WALK_CHECKS - {"image_type_partition"} <= named
