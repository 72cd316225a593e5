"""The run's reports, written into its report set (reportset.py): observed.json, summary.md (also appended to a GitHub
job's step summary), summary.html and junit.xml, every secret masked; compared with the baseline and kept in the
history (CPH_BASELINE, CPH_HISTORY: Memory). A run that could not be made still writes a set that says why, and, when
the history was read, joins it: a day the endpoint could not be reached is part of it."""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cph_conformance import settings
from cph_conformance.run.report import changes, history, observed, provenance
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.reportset import ReportsError, ReportSet, update_history
from cph_conformance.run.report.result import Result
from cph_conformance.run.transport.secrets import Secrets
from cph_conformance.run.verdict.verdict import Verdict, cannot_run

DEBUG = "debug.log"  # the traceback of an error the run did not plan for


@dataclass(frozen=True)
class Memory:
    """What the run is compared with and kept in, read before anything starts: the baseline (CPH_BASELINE) and the
    history (CPH_HISTORY)."""

    baseline: dict[str, Any] | None = None
    history: Path | None = None
    runs: tuple[dict[str, Any], ...] = ()

    @classmethod
    def of(cls, env: Mapping[str, str]) -> Memory:
        """stored.Unusable when a file cannot be used (nothing is written to it)."""
        path = Path(env["CPH_HISTORY"]) if env.get("CPH_HISTORY") else None
        return cls(
            changes.load(Path(env["CPH_BASELINE"])) if env.get("CPH_BASELINE") else None,
            path,
            tuple(history.load(path)) if path is not None else (),
        )

    def drawn(self, entry: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        """The history summary.html draws: the runs read before, and this one."""
        return tuple(history.appended(self.runs, entry)) if self.history is not None else ()

    def keep(self, entry: dict[str, Any]) -> str:
        """This run added to the history, under its lock, written whole; "" or a note of why it could not be."""
        if self.history is None:
            return ""
        try:
            update_history(self.history, lambda runs: history.appended(runs, entry))
        except ReportsError as exc:
            return str(exc)
        return ""


def result_of(
    v: Verdict, about: provenance.About, env: Mapping[str, str], memory: Memory, date: str, masked: str = ""
) -> Result:
    """The verdict with what changed since the baseline, what the run was, and what its secrets masked."""
    seen = observed.of(v, date)
    found = changes.between(memory.baseline, seen) if memory.baseline is not None else None
    return Result(v, found, settings.flag(env, "CPH_FAIL_ON_CHANGE"), about, seen, masked)


def write(rs: ReportSet, r: Result, secrets: Secrets, env: Mapping[str, str], memory: Memory, date: str) -> str:
    """Every report of r into the set, masked; then the history. summary.md's text, for the console."""
    if r.observed is not None:
        document = observed.document(r.observed, r.label, r.exit_status)
        rs.write_text("observed.json", secrets.mask(document) + "\n")
    entry = history.entry(r, date, r.observed)
    text = _summaries(rs, r, secrets, memory.drawn(entry))
    note = memory.keep(entry)
    if note:  # the reports say so; the run goes on to its verdict
        r = dataclasses.replace(r, verdict=dataclasses.replace(r.verdict, notes=(*r.verdict.notes, note)))
        text = _summaries(rs, r, secrets, memory.drawn(entry))
    step_summary = env.get("GITHUB_STEP_SUMMARY")
    if step_summary:  # GitHub Actions shows it on the job's page
        try:
            with open(step_summary, "a", encoding="utf-8", errors="backslashreplace") as f:
                f.write(text)
        except OSError as exc:
            raise ReportsError(f"GITHUB_STEP_SUMMARY={step_summary!r} could not be written: {exc.strerror}") from None
    return text


def _summaries(rs: ReportSet, r: Result, secrets: Secrets, runs: Sequence[dict[str, Any]]) -> str:
    text = secrets.mask(report.render(r))
    rs.write_text("summary.md", text)
    rs.write_text("summary.html", secrets.mask(report.render_html(r, runs)))
    rs.write_text("junit.xml", secrets.mask(report.render_junit(r)))
    return text


def failed(
    rs: ReportSet,
    where: str,
    reason: str,
    env: Mapping[str, str],
    memory: Memory | None,
    date: str,
    secrets: Secrets,
    error: BaseException | None = None,
) -> Result:
    """A set that says why the run could not be made (and, for an error of ours, its traceback in debug.log)."""
    if error is not None:
        said = "".join(traceback.format_exception(error))
        rs.write_text(DEBUG, secrets.mask(said))
    r = Result(cannot_run(where, reason))
    write(rs, r, secrets, env, memory or Memory(), date)
    return r
