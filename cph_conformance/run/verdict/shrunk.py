"""The shrunk case first. Schemathesis' fuzzing raises every case that breaks one of the project's sourced rules of
one answer to Hypothesis, which shrinks it (cph_conformance.run.collect.shrinking): among the requests it sent, a
small one still breaks the rule. The run judges every answer itself, those of the shrinking too, so each finding
already holds them; here its smallest instance from the fuzzing phase comes first: the first curl line of the
finding, the instance its replays send again, and a line of its message that says so. What schemathesis' check said
of those cases is not graded again: the run's own judgement of the same answers is the finding.

Smallest: the fewest query parameters, then the shortest query, then the first in order. A request without query
parameters has nothing to shrink: its finding is not shrunk (the check of schemathesis' fuzzing does not tell
Hypothesis of it, which would stop generating cases soon after).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from cph_conformance.run.checks.registry import Drift
from cph_conformance.run.collect.cases import Cases
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.verdict.findings import Finding

FUZZING = "fuzzing"


@dataclass(frozen=True)
class Shrinking:
    """What the fuzzing phase did with the cases that broke a rule of the project (Cases.broken)."""

    cases: frozenset[str] = frozenset()  # the fuzzing cases that broke one: Hypothesis shrank them
    broken: frozenset[str] = frozenset()  # the cases that broke one, in any phase (each makes schemathesis exit 1)
    cap: int = 0  # CPH_SHRINK_REQUESTS
    spent: int = 0  # requests the fuzzing phase sent after its first case that broke one

    @property
    def cut(self) -> bool:
        """The cap stopped the fuzzing phase: the smallest case found so far is the one shown."""
        return bool(self.cases) and 0 < self.cap <= self.spent

    def note(self) -> str | None:
        if not self.cut:
            return None
        # spent counts from the first fuzzing case that broke any rule; the cap, from the first whose rule
        # Hypothesis was told of (one a request without parameters shows is not): the cap may be what ended it.
        return (
            f"shrinking may have been cut short: after the first case of schemathesis' fuzzing that broke a rule, "
            f"the fuzzing phase sent {self.spent} more requests, and shrinking may send at most "
            f"CPH_SHRINK_REQUESTS={self.cap}. The smallest reproduction of such a finding is the smallest case found "
            "by then, perhaps not the smallest there is: raise CPH_SHRINK_REQUESTS to shrink further."
        )


def of(found: Cases, log: Sequence[Exchange]) -> Shrinking:
    """The fuzzing cases that broke a rule, and the requests sent after the first of them (log: the sender's, in
    the order the requests were answered). With no cap, nothing was shrunk."""
    broken = frozenset(o.case_id for o in found.broken)
    fuzzed = [ex.case_id for ex in log if ex.case_id and found.phases.get(ex.case_id) == FUZZING]
    cases = frozenset(c for c in fuzzed if c in broken) if found.shrink_requests else frozenset()
    first = next((n for n, case_id in enumerate(fuzzed) if case_id in cases), len(fuzzed))
    return Shrinking(cases, broken, found.shrink_requests, len(fuzzed[first + 1 :]))


def explains(shrinking: Shrinking, drifts: Sequence[Drift]) -> bool:
    """Whether the run found drift in an answer that schemathesis' check of the project's rules failed: what made
    schemathesis exit 1 is in the verdict."""
    return any(ex.case_id in shrinking.broken for d in drifts for ex in d.exchanges[:1])


def size(ex: Exchange) -> tuple[int, int, str]:
    """How large a request is, to a reader: its query parameters, then its query's length."""
    query = ex.raw_path.partition(b"?")[2].decode("latin-1")
    return (len([p for p in query.split("&") if p]), len(query), query)


def _shrunk(drift: Drift, shrinking: Shrinking) -> bool:
    return len(drift.exchanges) == 1 and drift.exchanges[0].case_id in shrinking.cases


def first(drifts: Sequence[Drift], shrinking: Shrinking) -> tuple[Drift, ...]:
    """The drifts, each finding's (check, key) smallest shrunk instance moved to where its first instance was: the
    findings keep their order."""
    smallest: dict[tuple[str, tuple[str, str]], Drift] = {}
    for drift in drifts:
        if _shrunk(drift, shrinking):
            known = smallest.get((drift.check, drift.key))
            if known is None or size(drift.exchanges[0]) < size(known.exchanges[0]):
                smallest[(drift.check, drift.key)] = drift
    moved = {id(d) for d in smallest.values()}
    ordered: list[Drift] = []
    for drift in drifts:
        ahead = smallest.pop((drift.check, drift.key), None)
        if ahead is not None:
            ordered.append(ahead)
        if id(drift) not in moved:
            ordered.append(drift)
    return tuple(ordered)


def told(findings: Sequence[Finding], drifts: Sequence[Drift], shrinking: Shrinking) -> list[Finding]:
    """Each finding whose first instance Hypothesis shrank says so (drifts as first() orders them). One without query
    parameters had nothing to shrink: it says nothing."""
    shrunk: dict[tuple[str, tuple[str, str]], list[Drift]] = {}
    for drift in drifts:
        if _shrunk(drift, shrinking):
            shrunk.setdefault((drift.check, drift.key), []).append(drift)
    said = []
    for f in findings:
        instances = shrunk.get((f.check, f.key), [])
        if instances and size(instances[0].exchanges[0])[0]:
            cut = f" (within CPH_SHRINK_REQUESTS={shrinking.cap}: perhaps cut short)" if shrinking.cut else ""
            line = (
                f"Shrunk by Hypothesis{cut}: the smallest reproduction is the smallest of {len(instances)} "
                "request(s) of schemathesis' fuzzing that break this rule."
            )
            f = dataclasses.replace(f, message=f"{f.message}\n{line}")
        said.append(f)
    return said
