"""The console as the run writes to it: every line masked and escaped; a reader that goes away changes nothing; a quiet
phase says how far it has gone."""

from __future__ import annotations

import io
import os
import time

import pytest

from cph_conformance.run.report.console import Console
from cph_conformance.run.transport.secrets import MASK, Secrets
from tests import polling

TOKEN = "MIIT-console-token-0123456789abcdef"  # noqa: S105  (a test token)


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        (f"token {TOKEN}", f"token {MASK}"),
        (
            "\x1b]8;;http://127.0.0.1:9/\x1b\\click\x1b]8;;\x1b\\",
            "\\x1b]8;;http://127.0.0.1:9/\\x1b\\click\\x1b]8;;\\x1b\\",
        ),
        ("clear\x1b[2J", "clear\\x1b[2J"),
        ("nul\x00 and cr\r", "nul\\x00 and cr\\r"),
        ("two\nlines", "two\nlines"),
    ],
)
def test_every_line_is_masked_and_the_endpoints_text_escaped(said: str, shown: str) -> None:
    out = io.StringIO()
    console = Console(out, io.StringIO())
    console.secrets = Secrets([TOKEN])
    console.say(said)
    assert out.getvalue() == shown + "\n"


def test_a_reader_that_goes_away_changes_nothing() -> None:
    """`... | head -1`: the pipe's reader ends; the run writes nothing more there, raises nothing, and goes on."""
    read_end, write_end = os.pipe()
    stream = os.fdopen(write_end, "w")
    os.close(read_end)  # the reader went away
    console = Console(stream, io.StringIO())
    console.say("a line nobody reads")  # BrokenPipeError inside: not raised
    console.say("and another")
    stream.close()  # what was buffered goes nowhere, without an error


@pytest.mark.waits
def test_a_quiet_phase_says_how_far_it_has_gone() -> None:
    out = io.StringIO()
    console = Console(out, io.StringIO())
    with console.progress(lambda: "3 request(s) sent", every=0.1):
        polling.until(out.getvalue, 10)  # the progress thread writes in its time, however held up it is
    lines = out.getvalue().splitlines()
    assert lines and all(line == "... 3 request(s) sent" for line in lines)


@pytest.mark.waits
def test_a_phase_that_speaks_gets_no_progress_line() -> None:
    """Lines said more often than `every`: no progress line is due (unless this thread itself was held up that long,
    which the test measures: then one may be)."""
    out = io.StringIO()
    console = Console(out, io.StringIO())
    every, gaps = 0.5, list[float]()
    with console.progress(lambda: "quiet", every=every):
        started = said = time.monotonic()
        while said - started < 3 * every:
            console.say("busy")
            time.sleep(every / 10)
            gaps.append(time.monotonic() - said)
            said = time.monotonic()
    assert "quiet" not in out.getvalue() or max(gaps) >= every
