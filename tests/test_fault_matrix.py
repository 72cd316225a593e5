"""The fault matrix, in process: every fault of the mock is a failure of the check the run names for it
(cph_conformance.run.checks.caught), quoting the statements it breaks, with curl lines; every faithful variant
passes; a fault the run cannot judge enough of makes it inconclusive, never passed. All against the mock's ASGI
app: no server, no subprocess.

Each fault runs only the part of the run its check belongs to: schemathesis' engine with that one check (fuzzing
first, then the coverage phase's boundary cases, then the whole run), the walk for the checks of answers and of
listings (its first listings, then the whole walk), the walk and the probes for the probes' checks.
tests/test_conformance_run.py runs a few end to end."""

from __future__ import annotations

import functools

import pytest

from cph_conformance import spec
from cph_conformance.mock import faults
from cph_conformance.run import checks
from cph_conformance.run.checks.caught import CAUGHT as CAUGHT_BY
from cph_conformance.run.checks.registry import CASE, PROBE
from cph_conformance.run.collect import walk
from cph_conformance.run.transport.credential import MISPLACED_SIGNATURE, MISPLACED_TOKEN
from cph_conformance.run.transport.patience import AGAIN
from cph_conformance.run.verdict import replay
from cph_conformance.run.verdict.findings import ERROR, FAILURE, FLAKY
from cph_conformance.run.verdict.verdict import CANNOT_RUN, PASSED, Verdict
from tests import inprocess

QUICK_WALK = 12  # requests
CAUGHT = sorted(name for name, caught in CAUGHT_BY.items() if not faults.FAULTS[name].flaky and not caught.ours)
OURS = sorted(name for name, caught in CAUGHT_BY.items() if caught.ours)
FLAKY_FAULTS = sorted(name for name in CAUGHT_BY if faults.FAULTS[name].flaky)
# Their failures are in throttled answers, which are never sent again.
NOT_SENT_AGAIN = {"throttled-as-html", "throttled-code-of-another-status"}
PASSING = [None, *sorted(name for name, fault in faults.FAULTS.items() if fault.faithful)]
INCONCLUSIVE = sorted(name for name, fault in faults.FAULTS.items() if fault.inconclusive)


def test_the_run_names_a_check_for_every_fault_that_must_fail_it() -> None:
    """The table of the run (caught.py) and the mock's faults name the same faults: one that is neither faithful
    nor inconclusive has a check, and no other has one."""
    must_fail = {name for name, fault in faults.FAULTS.items() if not fault.faithful and not fault.inconclusive}
    assert set(CAUGHT_BY) == must_fail
    assert not any(fault.faithful and fault.inconclusive for fault in faults.FAULTS.values())


@functools.cache  # tests/test_first_screen.py reports on some of them
def verdict_of(fault: str, fail_on_flaky: bool = False) -> Verdict:
    check = CAUGHT_BY[fault].check
    caught_by = check.name
    signed = CAUGHT_BY[fault].signed
    strict = faults.FAULTS[fault].strict_only
    if check.by != CASE:
        # The first listings first (public's, a quarter of the walk), then the whole walk.
        for budget in (QUICK_WALK, walk.MAX_REQUESTS):
            v = inprocess.verdict(
                fault,
                phases=None,
                probed=check.by == PROBE,
                strict=strict,
                walk_budget=budget,
                fail_on_flaky=fail_on_flaky,
                signed=signed,
            )
            if any(f.check == caught_by and f.verdict in (FAILURE, FLAKY, ERROR) for f in v.findings):
                break
        return v
    # The cheapest run that shows it first: most faults show on any answer, a few only on the boundary cases of the
    # coverage phase; what neither shows, the whole run has the last word on.
    for phases, examples in ((("fuzzing",), 5), (("examples", "coverage"), 10)):
        v = inprocess.verdict(fault, examples, [caught_by], phases, walked=False, probed=False, strict=strict)
        if any(f.check == caught_by and f.verdict == FAILURE for f in v.findings):
            return v
    return inprocess.verdict(
        fault, checks=[caught_by], phases=("examples", "coverage", "fuzzing"), walked=False, probed=False
    )


@pytest.mark.parametrize("fault", CAUGHT)
def test_each_fault_is_a_failure_of_the_check_it_names(fault: str) -> None:
    caught = CAUGHT_BY[fault]
    v = verdict_of(fault)
    found = [f for f in v.findings if f.verdict == FAILURE and f.check == caught.check.name]
    assert found, f"{fault} is not caught by {caught.check.name}: {[(f.check, f.key) for f in v.findings]}"
    assert found[0].rule == caught.check.rule
    assert found[0].source and not found[0].source.startswith("assumption")
    # It breaks the statements the table says (what the statement coverage reads): its failures quote each.
    quoted = "\n".join(f.source for f in found)
    assert [s for s in caught.statements if str(spec.statements()[s]) not in quoted] == [], quoted
    assert found[0].curls and all(c.startswith("curl -X GET") for c in found[0].curls)
    # Sent again, it came back every time: drift, and it says so; a conclusive check's is drift on first sight.
    again = replay.CONCLUSIVE if caught.check.conclusive else f"{AGAIN + 1}/{AGAIN + 1}"
    assert found[0].reproduced == ("" if fault in NOT_SENT_AGAIN else again), found[0]
    assert v.exit_status == 1


@pytest.mark.parametrize("fault", OURS)
def test_an_answer_huawei_allows_that_the_client_cannot_read_is_an_error_never_a_pass(fault: str) -> None:
    """Not drift (no Huawei statement rules it out), but no pass either: the run could not vouch for its client."""
    caught = CAUGHT_BY[fault]
    v = verdict_of(fault)
    found = [f for f in v.findings if f.verdict == ERROR and f.check == caught.check.name]
    assert found and found[0].source.startswith("the run itself") and found[0].curls, v.findings
    assert not v.failures and v.exit_status == CANNOT_RUN


@pytest.mark.parametrize("fail_on_flaky", [False, True])
@pytest.mark.parametrize("fault", FLAKY_FAULTS)
def test_a_fault_that_does_not_come_back_every_time_is_flaky(fault: str, fail_on_flaky: bool) -> None:
    """Flaky, with every answer it got; it fails the run only with FAIL_ON_FLAKY."""
    caught_by = CAUGHT_BY[fault].check.name
    v = verdict_of(fault, fail_on_flaky)
    assert [f.check for f in v.findings if f.verdict == FAILURE] == []
    found = [f for f in v.of(FLAKY) if f.check in (caught_by, "pagination")]
    assert found and found[0].answers and len(found[0].answers) >= 2, v.findings
    assert v.exit_status == (1 if fail_on_flaky else 0) and v.label == ("flaky" if fail_on_flaky else "passed")


# The variants whose difference shows in any answer pass the whole run less the coverage phase, whose boundary cases
# the clean mock, empty-marker-is-none (which is about one of them) and every flavour of tests/faithful_service.py get.
WITH_COVERAGE = (None, "empty-marker-is-none")


@pytest.mark.parametrize("fault", PASSING)
def test_the_clean_mock_and_faithful_variants_pass(fault: str | None) -> None:
    phases = ("coverage", "fuzzing") if fault in WITH_COVERAGE else ("fuzzing",)
    v = inprocess.verdict(fault, max_examples=3, phases=phases, strict=True)
    assert [(f.check, f.key, f.message) for f in v.findings if f.verdict == FAILURE] == []
    assert v.inconclusive == [] and v.exit_status == PASSED


def test_a_run_that_signs_its_requests_passes_and_tries_no_token() -> None:
    """With AK/SK, the probes try the signature's own misplacements (another query's, a date out of the window), and
    no token where the page does not put one: the run has none."""
    v = inprocess.verdict(None, max_examples=3, phases=("fuzzing",), signed=True)
    assert [(f.check, f.key, f.message) for f in v.findings if f.verdict == FAILURE] == []
    assert v.inconclusive == [] and v.exit_status == PASSED
    tried = {p.probe.auth for p in v.probed}
    assert set(MISPLACED_SIGNATURE) <= tried and not tried & set(MISPLACED_TOKEN)


@pytest.mark.parametrize("fault", INCONCLUSIVE)
def test_a_fault_the_run_cannot_judge_enough_of_is_inconclusive(fault: str) -> None:
    v = inprocess.verdict(fault, max_examples=3, phases=("fuzzing",))
    assert v.exit_status == CANNOT_RUN and v.label in ("inconclusive", "could not run to the end")
    assert v.inconclusive


def test_every_check_that_can_fail_a_run_has_a_fault() -> None:
    named = {caught.check.name for caught in CAUGHT_BY.values()}
    can_fail = {c.name for c in checks.every().values() if c.cites and c.by != CASE}
    assert can_fail - named == set()
