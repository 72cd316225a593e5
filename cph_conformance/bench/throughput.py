"""Conformance throughput: cases per second of the schemathesis run against the mock and against the
constant server. Both runs use positive mode, since the constant server accepts invalid input too and
negative cases would turn into failures and shrinking, which is not throughput."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cph_conformance.conformance import Target, run_schemathesis
from cph_conformance.mock.server import RunningMock

EXAMPLES = "150"
SEED = "20261126"


@dataclass(frozen=True)
class Throughput:
    server: str
    cases: int
    seconds: float  # schemathesis' engine running time, start-up excluded
    status: int

    @property
    def per_second(self) -> float:
        return self.cases / self.seconds


def measure(name: str, server: RunningMock) -> Throughput:
    target = Target("mock", server.base_url, server.project_id, server.token)
    with tempfile.TemporaryDirectory(prefix="cph-bench-") as reports:
        env = {"CPH_REPORTS_DIR": reports, "MAX_EXAMPLES": EXAMPLES, "SEED": SEED, "RATE_LIMIT": "100000/s"}
        status = run_schemathesis(target, env, ("--mode", "positive"), quiet=True)
        cases, seconds = 0, 0.0
        for line in (Path(reports) / "events.ndjson").read_text().splitlines():
            event = json.loads(line)
            if "ScenarioFinished" in event:
                cases += len(event["ScenarioFinished"].get("recorder", {}).get("cases", {}))
            if "EngineFinished" in event:
                seconds = event["EngineFinished"]["running_time"]
    return Throughput(name, cases, seconds, status)
