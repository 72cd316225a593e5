"""Services that keep Huawei's contract in ways the mock does not (tests/faithful_service.py, which does not read
the spec) show no drift: neither schemathesis' graded checks nor the walk may fail them. In process, two flavours;
tests/test_conformance_run.py runs the first one end to end with STRICT=1."""

from __future__ import annotations

import pytest

from cph_conformance.run import walk
from cph_conformance.run.verdict import FAILURE
from tests import faithful_service, inprocess

FLAVOURS = [inprocess.FAITHFUL + "huawei", inprocess.FAITHFUL + faithful_service.TERSE]


@pytest.mark.parametrize("target", FLAVOURS)
def test_a_faithful_service_shows_no_drift(target: str) -> None:
    drift = [f for f in inprocess.schemathesis_run(target) if f.verdict == FAILURE]
    drift += [f for f in walk.run(inprocess.fetch(target), inprocess.PROJECT).findings if f.verdict == FAILURE]
    assert drift == []
