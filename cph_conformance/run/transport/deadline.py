"""The run's wall-clock budget (CPH_DEADLINE): past it, nothing more is sent, and the verdict names what it cut short
(cph_conformance.run.verdict.judge.Stopped). The endpoint can end it sooner: a Retry-After longer than the time left
stops the run at once, naming both, since waiting it out would only reach the deadline with nothing more judged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Deadline:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds
        self._why = ""
        self._lock = threading.Lock()
        self.asked: float | None = None  # the wait (Retry-After) the endpoint asked for that stopped the run, if any

    def left(self) -> float:
        """Seconds left; 0 once passed or stopped."""
        return 0.0 if self._why else max(0.0, self._end - self._clock())

    @property
    def passed(self) -> bool:
        return self.left() <= 0

    @property
    def why(self) -> str:
        """Why the run stopped sending, in one sentence; "" while it may go on."""
        if self._why:
            return self._why
        if self._end - self._clock() <= 0:
            return f"the run's deadline of {self.seconds:.0f} s (CPH_DEADLINE) passed: nothing more was sent"
        return ""

    def stop(self, why: str, asked: float | None = None) -> None:
        """Send nothing more, for this reason (the first reason given is kept); asked: the seconds the endpoint asked
        to wait (Retry-After), when that is the reason."""
        with self._lock:
            if not self._why:
                self._why, self.asked = why, asked

    def __repr__(self) -> str:
        return f"Deadline({self.left():.1f} s left of {self.seconds:.0f} s)"
