"""The console, as the run writes to it: every line masked with the run's secrets and escaped (the endpoint's text may
hold terminal escapes, NUL, carriage returns), and a reader that goes away (`| head -1`) never changes the run: once
its stdout is closed, the run writes nothing more there and goes on to its exit status.

A long phase says how far it has gone: every PROGRESS seconds without a line, a line of what was sent (the sender's
log), in which phase, and how long throttling made it wait.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

from cph_conformance.run.report import escape
from cph_conformance.run.transport.secrets import Secrets

PROGRESS = 5.0  # seconds of silence before a progress line


class Console:
    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.secrets = Secrets()  # the run's, once it holds any
        self.last = time.monotonic()  # when a line was last written
        self._lock = threading.Lock()

    def say(self, text: str, end: str = "\n") -> None:
        """A line on standard output (a line of schemathesis' own output comes with its end)."""
        self._write(self.out, text, end)

    def say_line(self, line: str) -> None:
        """A line of another tool's output, as it came (with its end)."""
        self.say(line.rstrip("\n"))

    def warn(self, text: str) -> None:
        """A line on standard error."""
        self._write(self.err, text, "\n")

    def _write(self, stream: TextIO, text: str, end: str) -> None:
        shown = escape.console(self.secrets.mask(text), keep_newlines=True) + end
        with self._lock:
            self.last = time.monotonic()
            try:
                stream.write(shown)
                stream.flush()
            except (BrokenPipeError, ValueError):  # the reader went away, or closed the stream
                _silence(stream)

    @contextlib.contextmanager
    def progress(self, counts: Callable[[], str], every: float = PROGRESS) -> Iterator[None]:
        """A line of counts() every `every` seconds of silence, while the block runs."""
        done = threading.Event()

        def tell() -> None:
            while not done.wait(min(every, 1.0)):
                if time.monotonic() - self.last >= every:
                    self.say(f"... {counts()}")

        thread = threading.Thread(target=tell, name="progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=2)


def _silence(stream: TextIO) -> None:
    """Write nothing more to stream: what is still buffered, and anything written later, goes to the null device
    (so that the interpreter's last flush does not fail either)."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
