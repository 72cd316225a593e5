"""Waiting for something another thread or process does in its own time: looked at until it holds, within a bound
far beyond what a healthy run needs, so that a loaded machine only makes a test slower, never wrong."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(look: Callable[[], T], seconds: float, every: float = 0.05) -> T:
    """look()'s first true value, looked at every `every` seconds; its last value once `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        found = look()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(every)
