"""Interleaved timing: every contender runs once per round, so drift on a shared machine hits them alike,
and ratios are taken per round (paired) before their median. The garbage collector stays on, as users
have it, but is emptied before each sample so no contender pays for another's garbage."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stats:
    samples: tuple[float, ...]  # seconds

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median."""
        q = statistics.quantiles(self.samples, n=4)
        return (q[2] - q[0]) / self.median if self.median else 0.0


def interleaved(contenders: dict[str, Callable[[], object]], rounds: int, warmup: int = 1) -> dict[str, Stats]:
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for n in range(warmup + rounds):
        for name, fn in contenders.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if n >= warmup:
                samples[name].append(elapsed)
    return {name: Stats(tuple(s)) for name, s in samples.items()}


def paired_ratio(slow: Stats, fast: Stats) -> float:
    """Median over rounds of slow/fast."""
    return statistics.median(a / b for a, b in zip(slow.samples, fast.samples, strict=True))


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"
