"""The mock under load on 127.0.0.1: requests per second and p50/p99 latency at 1 and 16 concurrent
connections, bounded in count and time; and its resident memory."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from cph_conformance import spec
from cph_conformance.mock.server import RunningMock

MAX_REQUESTS = 4_000
MAX_SECONDS = 6.0
PARAMS = {"image_type": "all", "limit": "10"}


@dataclass(frozen=True)
class Load:
    connections: int
    requests: int
    seconds: float
    latencies: tuple[float, ...]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[p - 1]


async def _load(mock: RunningMock, connections: int) -> Load:
    if not mock.base_url.startswith("http://127.0.0.1:"):
        raise ValueError("load is only ever sent to loopback")
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(
        base_url=mock.base_url, headers={spec.auth_header(): mock.token}, limits=limits, timeout=10
    ) as client:
        url = mock.images_url.removeprefix(mock.base_url)
        deadline = time.perf_counter() + MAX_SECONDS
        budget = iter(range(MAX_REQUESTS))

        async def worker() -> None:
            nonlocal errors
            for _ in budget:
                if time.perf_counter() > deadline:
                    return
                start = time.perf_counter()
                response = await client.get(url, params=PARAMS)
                latencies.append(time.perf_counter() - start)
                errors += response.status_code != 200

        await client.get(url, params=PARAMS)  # warm the connection and the mock
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return Load(connections, len(latencies), elapsed, tuple(latencies), errors)


def load(mock: RunningMock, connections: int) -> Load:
    return asyncio.run(_load(mock, connections))


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")
