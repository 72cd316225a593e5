"""Conformance of a CPH endpoint to openapi/cph.yaml: `make conformance`, or `.ci/conformance` in CI.

The endpoint is the one the settings name (CPH_REGION or CPH_BASE_URL, CPH_PROJECT_ID, one credential), or a local
mock started for the run. Every request goes through the run's one sender, which alone holds the credential, paces
every request, waits out throttling and reads every answer within bounds (schemathesis, in a child process, reaches
it through a loopback gateway; the rest of its settings are in schemathesis.toml). The pipeline (pipeline.py) makes
the run and weighs the evidence; this module reads the settings, starts and ends what the run needs, and writes the
reports to the reports folder and the console.

What the run observed of the answers' shape goes to observed.json; with CPH_BASELINE (an earlier run's observed.json)
the summaries list what changed since, and with CPH_HISTORY the run joins a history that summary.html draws.

Exit status: 0 passed; 1 drift found (or, with CPH_FAIL_ON_CHANGE, changes of shape since CPH_BASELINE); 2 the run
could not be made (a setting, a baseline or history it cannot use, the credential, the endpoint, the reports folder)
or it is inconclusive (too many answers, or a whole check, judged nothing).
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cph_conformance import settings, spec
from cph_conformance.run import pipeline
from cph_conformance.run.collect import cases
from cph_conformance.run.report import changes, history, observed, provenance, stored
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.result import Result
from cph_conformance.run.transport.bounds import Bounds
from cph_conformance.run.transport.deadline import Deadline
from cph_conformance.run.transport.patience import AGAIN, Patience
from cph_conformance.run.transport.secrets import Secrets
from cph_conformance.run.transport.sender import Sender
from cph_conformance.run.transport.target import TOKEN, CannotRun, Target, from_environment
from cph_conformance.run.verdict.verdict import CANNOT_RUN, Verdict, cannot_run
from cph_conformance.settings import BadSetting
from cph_conformance.spec import ROOT, SPEC_PATH

# Everything the run writes in the reports folder; nothing else there is ever touched.
ARTIFACTS = (
    "junit.xml",
    "schemathesis-junit.xml",
    "cassette.yaml",
    "events.ndjson",
    "summary.md",
    "summary.html",
    "observed.json",
)
GROUPS = (settings.ENDPOINT, settings.CREDENTIAL, settings.RUN, settings.REPORTS)


def reports_dir(env: Mapping[str, str] | None = None) -> Path:
    return settings.reports_dir(os.environ if env is None else env)


def clear_artifacts(reports: Path) -> None:
    """Remove the previous run's own files, so that a stale report never passes for this run's; CannotRun, in one
    line, when the folder cannot be made or written in."""
    try:
        reports.mkdir(parents=True, exist_ok=True)
        for name in ARTIFACTS:
            (reports / name).unlink(missing_ok=True)
        with tempfile.TemporaryFile(dir=reports):  # a file of our own, gone at once: can the run write here?
            pass
    except OSError as exc:
        raise CannotRun(
            f"CPH_REPORTS_DIR={str(reports)!r} cannot hold the reports: {exc.strerror or exc}. Set it to a folder "
            "this user may write in."
        ) from None


def _edit_artifacts(reports: Path, edit: Callable[[bytes], bytes]) -> None:
    """Apply edit to every file the run wrote; a file is rewritten only when edit changed it."""
    for name in ARTIFACTS:
        path = reports / name
        if path.exists():
            data = path.read_bytes()
            edited = edit(data)
            if edited != data:
                path.write_bytes(edited)


def mask_artifacts(reports: Path, secrets: Secrets) -> None:
    """Every secret, in every form, out of every file the run wrote (the sender already kept them out)."""
    _edit_artifacts(reports, secrets.mask_bytes)


def rewrite_artifacts(reports: Path, gateway_url: str, base_url: str) -> None:
    """Requests went to the gateway; the files say where they were forwarded: the endpoint under test."""
    _edit_artifacts(reports, lambda data: data.replace(gateway_url.encode(), base_url.encode()))


def sender_of(t: Target, env: Mapping[str, str], deadline: Deadline) -> Sender:
    """The run's one sender to t: its pace, its patience with throttling and blips, its bounds and deadline."""
    patience = Patience(
        settings.rate_per_second(settings.value(env, "CPH_RATE_LIMIT", t.kind == "live")),
        spec.statuses_when("throttled"),
        transient=spec.statuses_when("transient"),
        again=AGAIN if settings.flag(env, "CPH_REPLAY") else 0,
        deadline=deadline,
    )
    limits = Bounds.of_spec(int(env.get("CPH_MAX_BODY") or 0) or None)
    return Sender(t.base_url, t.project_id, t.credential, t.secrets, patience, deadline, limits)


def plan_of(t: Target, env: Mapping[str, str]) -> pipeline.Plan:
    notes = list(t.warnings)
    if t.credential_variable != TOKEN:
        notes.append(
            f"the curl lines send ${TOKEN}; this run used {t.credential_variable} instead: get a token from IAM "
            "first (README, the main job, route 1)."
        )
    return pipeline.Plan(
        walk=settings.flag(env, "CPH_WALK"),
        again=AGAIN if settings.flag(env, "CPH_REPLAY") else 0,
        strict=settings.flag(env, "CPH_STRICT"),
        fail_on_flaky=settings.flag(env, "CPH_FAIL_ON_FLAKY"),
        rate_limit=settings.value(env, "CPH_RATE_LIMIT", t.kind == "live"),
        notes=tuple(notes),
    )


def conformance(t: Target, reports: Path, env: Mapping[str, str], deadline: Deadline) -> Verdict:
    """The run against t: schemathesis' CLI in a child process, through the sender's gateway, and the rest of the
    pipeline in this one."""
    sender = sender_of(t, env, deadline)
    limit = settings.value(env, "CPH_RATE_LIMIT", t.kind == "live")

    def schemathesis(gateway_url: str) -> cases.Cases:
        found = cases.run_cli(gateway_url, t.project_id, limit, reports, env, deadline, show)
        rewrite_artifacts(reports, gateway_url, t.base_url)
        return found

    def show(line: str) -> None:
        print(t.secrets.mask(line), end="", flush=True)

    try:
        return pipeline.conform(t, sender, schemathesis, plan_of(t, env))
    finally:
        sender.close()


def write(
    r: Result,
    reports: Path,
    secrets: Secrets,
    env: Mapping[str, str],
    echo: bool = True,
    runs: Sequence[dict[str, Any]] = (),
) -> None:
    text = secrets.mask(report.render(r))
    (reports / "summary.md").write_text(text, encoding="utf-8")
    (reports / "summary.html").write_text(secrets.mask(report.render_html(r, runs)), encoding="utf-8")
    (reports / "junit.xml").write_text(secrets.mask(report.render_junit(r)), encoding="utf-8")
    step_summary = env.get("GITHUB_STEP_SUMMARY")
    if step_summary:  # GitHub Actions shows it on the job's page
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(text)
    if echo:
        print(text, end="")


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

    def keep(self, r: Result, date: str, seen: dict[str, Any] | None, notes: list[str]) -> tuple[dict[str, Any], ...]:
        """The history with this run added, written back (when there is one); a write that fails is a note."""
        if self.history is None:
            return ()
        runs = tuple(history.appended(self.runs, history.entry(r, date, seen)))
        try:
            history.save(self.history, runs)
        except OSError as exc:
            notes.append(f"CPH_HISTORY={str(self.history)!r} could not be written: {exc.strerror or exc}")
        return runs


def record(
    v: Verdict,
    about: provenance.About,
    reports: Path,
    secrets: Secrets,
    env: Mapping[str, str],
    memory: Memory,
    date: str,
) -> Result:
    """What the run observed (observed.json), compared with the baseline, kept in the history; then the reports."""
    seen = observed.of(v, date)
    found = changes.between(memory.baseline, seen) if memory.baseline is not None else None
    r = Result(v, found, settings.flag(env, "CPH_FAIL_ON_CHANGE"), about)
    document = observed.document(seen, r.label, r.exit_status)
    (reports / "observed.json").write_text(secrets.mask(document) + "\n", encoding="utf-8")
    notes: list[str] = []
    runs = memory.keep(r, date, seen, notes)
    if notes:
        r = Result(Verdict(**{**v.__dict__, "notes": (*v.notes, *notes)}), found, r.fail_on_change, about)
    write(r, reports, secrets, env, runs=runs)
    return r


def _last_lines(r: Result, reports: Path) -> None:
    """What a CI log shows last: the verdict, the exit status, and where the reports are."""
    files = ", ".join(str(reports / name) for name in ("summary.md", "summary.html", "junit.xml"))
    print(f"==> Verdict: {r.label}, exit status {r.exit_status}. Reports: {files}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    started = datetime.datetime.now(datetime.UTC)
    clock = time.monotonic()
    at = provenance.Commit.now()
    try:
        env = settings.from_command_line(
            sys.argv[1:] if argv is None else argv, os.environ, "python -m cph_conformance.run", __doc__ or "", GROUPS
        )
    except BadSetting as exc:
        return _cannot_run(str(exc), settings.reports_dir(os.environ), os.environ)
    for warning in settings.warnings(env):
        print(f"warning: {warning}", file=sys.stderr)
    reports = reports_dir(env)
    where = "the endpoint the settings name"
    date = started.isoformat(timespec="seconds")
    try:  # before the reports are cleared: the baseline may be the last run's reports/observed.json
        memory = Memory.of(env)
    except stored.Unusable as exc:
        return _cannot_run(str(exc), reports, env)
    try:
        clear_artifacts(reports)
        with from_environment(env) as t:
            where = t.shown
            deadline = Deadline(
                float(settings.value(env, "CPH_DEADLINE", t.kind == "live")) - (time.monotonic() - clock)
            )
            print(f"==> conformance of {where} against {SPEC_PATH.relative_to(ROOT)}", flush=True)
            try:
                v = conformance(t, reports, env, deadline)
            finally:
                mask_artifacts(reports, t.secrets)
            seconds = time.monotonic() - clock
            about = provenance.of(env, where, t.kind == "live", date, seconds, len(v.exchanges), at)
            parts = (
                "schemathesis, the walk and the probes"
                if settings.flag(env, "CPH_WALK")
                else "schemathesis (CPH_WALK=0)"
            )
            print(f"==> the verdict: every answer of {parts} judged by every check, graded against Huawei's sources")
            r = record(v, about, reports, t.secrets, env, memory, date)
            _last_lines(r, reports)
    except CannotRun as exc:
        return _cannot_run(str(exc), reports, env, where, memory, date)
    return r.exit_status


def _cannot_run(
    reason: str,
    reports: Path,
    env: Mapping[str, str],
    where: str = "the endpoint the settings name",
    memory: Memory | None = None,
    date: str = "",
) -> int:
    """Exit 2 with the reason in one line on the console and, when the reports folder can hold them, in summary.md
    and junit.xml (CI keeps the folder: it says why there is no verdict; no message holds a credential). A run
    that got as far as reading its history joins it: a day the endpoint could not be reached is part of it."""
    print(f"error: {reason}", file=sys.stderr)
    failed = Result(cannot_run(where, reason))
    runs = memory.keep(failed, date, None, []) if memory is not None else ()
    try:
        reports.mkdir(parents=True, exist_ok=True)
        write(failed, reports, Secrets(), env, echo=False, runs=runs)
    except OSError:
        return CANNOT_RUN  # the folder is the problem: the console said why
    _last_lines(failed, reports)
    return CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
