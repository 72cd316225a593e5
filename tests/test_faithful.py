"""Services that keep Huawei's contract in ways the mock does not (tests/faithful_service.py, which does not read
the spec) pass: the whole run in process (schemathesis' cases, the walk, the probes, every answer judged) finds no
failure and judges enough. Throttling is the gateway's to wait out: without it, in process, a throttled service is
inconclusive, never passed; tests/test_conformance_run.py runs it end to end through the gateway, where it passes."""

from __future__ import annotations

import pytest

from cph_conformance.run.verdict import CANNOT_RUN, FAILURE, PASSED
from tests import faithful_service, inprocess

PATIENT = [name for name, flavour in faithful_service.FLAVOURS.items() if not flavour.throttles]


@pytest.mark.parametrize("flavour", PATIENT)
def test_a_faithful_service_passes(flavour: str) -> None:
    v = inprocess.verdict(inprocess.FAITHFUL + flavour, max_examples=3)
    assert [(f.check, f.key, f.message) for f in v.findings if f.verdict == FAILURE] == []
    assert v.inconclusive == [] and v.exit_status == PASSED


def test_a_throttled_service_that_no_one_waits_out_is_inconclusive_not_passed() -> None:
    v = inprocess.verdict(inprocess.FAITHFUL + "throttled", max_examples=3)
    assert [f for f in v.findings if f.verdict == FAILURE] == []
    assert v.exit_status == CANNOT_RUN and any("throttled" in reason for reason in v.inconclusive)
