"""Services that keep Huawei's contract in ways the mock does not (tests/faithful_service.py, which does not read
the spec) pass: the whole run in process (schemathesis' cases, the walk, the probes, every answer judged) finds no
failure and judges enough; blips are asked again. Throttling is the gateway's to wait out: the gateway flavour runs
end to end through
it (tests/test_conformance_run.py); without it, a service that throttles is inconclusive, never passed (the mock's
throttle-share, tests/test_fault_matrix.py)."""

from __future__ import annotations

import pytest

from cph_conformance.run.verdict.findings import FAILURE
from cph_conformance.run.verdict.verdict import PASSED
from tests import faithful_service, inprocess

PATIENT = [name for name, flavour in faithful_service.FLAVOURS.items() if not flavour.throttles]


@pytest.mark.parametrize("flavour", PATIENT)
def test_a_faithful_service_passes(flavour: str) -> None:
    v = inprocess.verdict(inprocess.FAITHFUL + flavour, max_examples=3)
    assert [(f.check, f.key, f.message) for f in v.findings if f.verdict == FAILURE] == []
    assert v.inconclusive == [] and v.exit_status == PASSED
