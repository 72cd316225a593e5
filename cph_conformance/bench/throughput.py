"""Conformance throughput: cases per second of the schemathesis run against the mock and against the
constant server. Both runs use positive mode, since the constant server accepts invalid input too and
negative cases would turn into failures and shrinking, which is not throughput."""

from __future__ import annotations

import json
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cph_conformance.mock.server import RunningMock
from cph_conformance.run import runner
from cph_conformance.run.collect import cases as schemathesis
from cph_conformance.run.transport import gateway, target
from cph_conformance.run.transport.deadline import Deadline

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
    """One positive-mode run through the run's sender and gateway, as `make conformance` runs it."""
    t = target.mock_target(server)
    with tempfile.TemporaryDirectory(prefix="cph-bench-") as reports:
        env = {"CPH_MAX_EXAMPLES": EXAMPLES, "CPH_SEED": SEED, "CPH_RATE_LIMIT": "100000/s"}
        deadline = Deadline(600)
        sender = runner.sender_of(t, env, deadline)
        with gateway.running(sender) as gw:
            found = schemathesis.run_cli(
                gw.base_url,
                t.project_id,
                "100000/s",
                Path(reports),
                env,
                deadline,
                lambda _: None,
                ("--mode", "positive"),
            )
        sender.close()
        seconds = 0.0
        for line in (Path(reports) / "events.ndjson").read_text(encoding="utf-8").splitlines():
            event = json.loads(line) if line.strip() else {}
            if "EngineFinished" in event:
                seconds = event["EngineFinished"]["running_time"]
    return Throughput(name, found.count, seconds, found.status)


def mock_cost(pairs: int) -> tuple[list[Throughput], list[Throughput], float]:
    """Alternate runs against the mock and the constant server; the cost is the median over pairs of
    1 - mock/constant cases per second."""
    from cph_conformance.mock import server
    from cph_conformance.mock.catalog import DEFAULT_SIZE

    mocks, constants, costs = [], [], []
    for _ in range(pairs):
        with server.running() as mock:
            mocks.append(measure(f"mock ({DEFAULT_SIZE} images)", mock))
        with server.child("cph_conformance.bench.constant_server", []) as constant:
            constants.append(measure("constant server", constant))
        costs.append(1 - mocks[-1].per_second / constants[-1].per_second)
    return mocks, constants, statistics.median(costs)
