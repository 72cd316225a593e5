"""Checks of the run itself: what kept it from being made or from judging. They judge no evidence (the pipeline finds
them from facts: an exception at setup, requests never answered, a part that stopped early, the deadline); what
they find is an error, never drift and never a pass."""

from __future__ import annotations

from cph_conformance.run.checks.registry import RUN, Check, register


def _run_check(name: str, rule: str, judges: str) -> Check:
    return register(Check(name, rule, (), judges, RUN))


setup = _run_check(
    "setup", "the run can be made: its settings, the credential, the endpoint and the reports folder", "the run's setup"
)
availability = _run_check(
    "availability", "the endpoint answers every request (a blip is asked again)", "every request of the run"
)
schemathesis = _run_check("schemathesis", "schemathesis runs to its end and reports its cases", "schemathesis' run")
walk = _run_check("walk", "the walk lists every image type to its end, within its budget", "the walk's requests")
deadline = _run_check("deadline", "the run ends within its deadline (CPH_DEADLINE)", "the run's wall-clock time")
