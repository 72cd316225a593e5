"""Conformance of a CPH endpoint to openapi/cph.yaml: `make conformance`, or `.ci/conformance` in CI.

The endpoint is the one the settings name (CPH_REGION or CPH_BASE_URL, CPH_PROJECT_ID, one credential), or a local
mock started for the run. Every request goes through the run's one sender, which alone holds the credential, paces
every request, waits out throttling and reads every answer within bounds (schemathesis, in a child process, reaches
it through a loopback gateway; the rest of its settings are in schemathesis.toml). The pipeline (pipeline.py) makes
the run and weighs the evidence; this module reads the settings, starts and ends what the run needs, and writes the
reports to the reports folder and the console.

What the run observed of the answers' shape goes to observed.json; with CPH_BASELINE (an earlier run's observed.json)
the summaries list what changed since, and with CPH_HISTORY the run joins a history that summary.html draws.

Each run writes its reports into a report set of its own, made visible whole when it ends (report/reportset.py): an
earlier run's reports are never lost, whatever ends this one.

Exit status, always by cause (verdict/verdict.py): 0 passed; 1 drift found (or, with CPH_FAIL_ON_CHANGE, changes of
shape since CPH_BASELINE); 2 the run could not be made (a setting, a baseline or history it cannot use, the
credential, the endpoint, the reports folder, an error of the tool's own: its traceback is in the set's debug.log), a
part of it could not run to its end (schemathesis, the walk, a check; the deadline cutting short what collects
evidence), or it is inconclusive (more than 5% of its answers, or a whole check, judged nothing). Never 1 for the
tool's own error.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from cph_conformance import settings, spec
from cph_conformance.run import pipeline
from cph_conformance.run.collect import cases
from cph_conformance.run.report import provenance, stored, written
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.console import Console
from cph_conformance.run.report.reportset import ReportsError, ReportSet
from cph_conformance.run.report.result import Result
from cph_conformance.run.report.written import DEBUG, Memory
from cph_conformance.run.transport.bounds import Bounds
from cph_conformance.run.transport.deadline import Deadline
from cph_conformance.run.transport.patience import AGAIN, Patience
from cph_conformance.run.transport.secrets import Secrets
from cph_conformance.run.transport.sender import Sender
from cph_conformance.run.transport.target import TOKEN, CannotRun, Target, from_environment
from cph_conformance.run.verdict.verdict import CANNOT_RUN, Verdict
from cph_conformance.settings import BadSetting
from cph_conformance.spec import ROOT, SPEC_PATH

# Everything the run writes in its report set.
ARTIFACTS = (
    "junit.xml",
    "schemathesis-junit.xml",
    "cassette.yaml",
    "events.ndjson",
    "summary.md",
    "summary.html",
    "observed.json",
    DEBUG,
)
GROUPS = (settings.ENDPOINT, settings.CREDENTIAL, settings.RUN, settings.REPORTS)
ELSEWHERE = "the endpoint the settings name"


def reports_dir(env: Mapping[str, str] | None = None) -> Path:
    return settings.reports_dir(os.environ if env is None else env)


def mask_artifacts(folder: Path, secrets: Secrets, gateway_url: str = "", base_url: str = "") -> None:
    """Every secret, in every form, out of every file written in folder (schemathesis' own too; the sender kept them
    out of what it handed on); requests that went to the gateway shown against the endpoint under test."""
    for path in folder.iterdir():
        if path.name not in ARTIFACTS or not path.is_file():
            continue
        data = path.read_bytes()
        edited = secrets.mask_bytes(data.replace(gateway_url.encode(), base_url.encode()) if gateway_url else data)
        if edited != data:
            path.write_bytes(edited)


def sender_of(t: Target, env: Mapping[str, str], deadline: Deadline) -> Sender:
    """The run's one sender to t: its pace, its patience with throttling and blips, its bounds and deadline."""
    patience = Patience(
        settings.rate_per_second(settings.value(env, "CPH_RATE_LIMIT", t.kind == "live")),
        spec.statuses_when("throttled"),
        transient=spec.statuses_when("transient"),
        again=AGAIN if settings.flag(env, "CPH_REPLAY") else 0,
        deadline=deadline,
    )
    limits = Bounds.of_spec(int(settings.value(env, "CPH_MAX_BODY")) or None)
    return Sender(t.base_url, t.project_id, t.credential, t.secrets, patience, deadline, limits)


def plan_of(t: Target, env: Mapping[str, str], console: Console) -> pipeline.Plan:
    notes = list(t.warnings)
    if t.credential_variable != TOKEN:
        notes.append(
            f"the curl lines send ${TOKEN}; this run used {t.credential_variable} instead: each finding's smallest "
            "reproduction sends its requests with it (python -m cph_conformance.run.resend); for the other curl "
            "lines, get a token from IAM first (docs/live.md, An IAM token)."
        )
    return pipeline.Plan(
        walk=settings.flag(env, "CPH_WALK"),
        again=AGAIN if settings.flag(env, "CPH_REPLAY") else 0,
        strict=settings.flag(env, "CPH_STRICT"),
        fail_on_flaky=settings.flag(env, "CPH_FAIL_ON_FLAKY"),
        rate_limit=settings.value(env, "CPH_RATE_LIMIT", t.kind == "live"),
        notes=tuple(notes),
        say=console.say,
    )


def conformance(t: Target, folder: Path, env: Mapping[str, str], deadline: Deadline, console: Console) -> Verdict:
    """The run against t: schemathesis' CLI in a child process, through the sender's gateway, writing into the run's
    report set (folder); the rest of the pipeline in this process. A line of progress while it is quiet."""
    sender = sender_of(t, env, deadline)
    live = t.kind == "live"
    limit = settings.value(env, "CPH_RATE_LIMIT", live)
    shrink = int(settings.value(env, "CPH_SHRINK_REQUESTS", live))
    secrets = [v for v in (os.environ.get(s.name, "") for s in settings.SETTINGS if s.kind.secret) if v]

    def schemathesis(gateway_url: str) -> cases.Cases:
        show = console.say_line
        found = cases.run_cli(gateway_url, t.project_id, limit, folder, env, deadline, show, (), secrets, shrink)
        mask_artifacts(folder, t.secrets, gateway_url, t.base_url)
        return found

    def progress() -> str:
        phases = Counter(ex.phase or "other" for ex in sender.log)
        sent = ", ".join(f"{n} {phase}" for phase, n in phases.most_common())
        waited = sender.patience.waited
        return f"{sum(phases.values())} request(s) sent ({sent or 'none yet'}); {waited:.0f} s waited for throttling"

    try:
        with console.progress(progress):
            return pipeline.conform(t, sender, schemathesis, plan_of(t, env, console))
    finally:
        sender.close()


def main(argv: Sequence[str] | None = None) -> int:
    """The run, its exit status by cause whatever happens: an error of the tool's own is exit 2, never 1."""
    console = Console()
    try:
        return _main(sys.argv[1:] if argv is None else argv, console)
    except ReportsError as exc:
        console.warn(f"error: {exc}")
        return CANNOT_RUN


def _main(argv: Sequence[str], console: Console) -> int:
    started = datetime.datetime.now(datetime.UTC)
    clock = time.monotonic()
    at = provenance.Commit.now()
    date = started.isoformat(timespec="seconds")
    try:
        env = settings.from_command_line(argv, os.environ, "python -m cph_conformance.run", __doc__ or "", GROUPS)
    except BadSetting as exc:
        return _cannot_run(str(exc), settings.reports_dir(os.environ), os.environ, console, date)
    for warning in settings.warnings(env):
        console.warn(f"warning: {warning}")
    reports = reports_dir(env)
    try:
        memory = Memory.of(env)
    except stored.Unusable as exc:
        return _cannot_run(str(exc), reports, env, console, date)
    with ReportSet.open(reports, ARTIFACTS) as rs:
        where = ELSEWHERE
        try:
            with from_environment(env) as t:
                where, rs.mask, console.secrets = t.shown, t.secrets.mask, t.secrets
                r = _run(t, rs, env, clock, at, memory, date, console)
        except CannotRun as exc:
            return _failed(rs, str(exc), env, console, date, memory, where)
        except Exception as exc:  # an error of ours: exit 2 in one line, its traceback in the set
            said = f"the run failed with an error of the tool's own ({type(exc).__name__}: {str(exc)[:300]})"
            reason = f"{said}: a bug of cph-conformance; please report it with {DEBUG} from the reports"
            return _failed(rs, reason, env, console, date, memory, where, exc)
        rs.publish()
    _last_lines(r, reports, console)
    return r.exit_status


def _run(
    t: Target,
    rs: ReportSet,
    env: Mapping[str, str],
    clock: float,
    at: provenance.Commit,
    memory: Memory,
    date: str,
    console: Console,
) -> Result:
    """The run against t, its verdict weighed and written into the report set."""
    left = float(settings.value(env, "CPH_DEADLINE", t.kind == "live")) - (time.monotonic() - clock)
    deadline = Deadline(left)
    console.say(f"==> conformance of {t.shown} against {SPEC_PATH.relative_to(ROOT)}")
    v = conformance(t, rs.path, env, deadline, console)
    about = provenance.of(env, t.shown, t.kind == "live", date, time.monotonic() - clock, len(v.exchanges), at)
    parts = "schemathesis, the walk and the probes" if settings.flag(env, "CPH_WALK") else "schemathesis (CPH_WALK=0)"
    console.say(f"==> the verdict: every answer of {parts} judged by every check, graded against Huawei's sources")
    r = written.result_of(v, about, env, memory, date, t.secrets.summary())
    console.say(written.write(rs, r, t.secrets, env, memory, date), end="")
    return r


def _last_lines(r: Result, reports: Path, console: Console) -> None:
    """What a CI log shows last: what broke first (the verdict, the failed checks, the likely root, the warnings),
    then where the reports are."""
    files = ", ".join(str(reports / name) for name in ("summary.md", "summary.html", "junit.xml"))
    console.say("==> " + "\n    ".join(report.first_lines(r)))
    console.say(f"==> Verdict: {r.label}, exit status {r.exit_status}. Reports: {files}")


def _failed(
    rs: ReportSet,
    reason: str,
    env: Mapping[str, str],
    console: Console,
    date: str,
    memory: Memory | None,
    where: str = ELSEWHERE,
    error: BaseException | None = None,
) -> int:
    """Exit 2 with the reason in one line on the console, and a published report set that says why (CI keeps it;
    no message holds a credential); a run that got as far as reading its history joins it."""
    console.warn(f"error: {reason}")
    r = written.failed(rs, where, reason, env, memory, date, console.secrets, error)
    rs.publish()
    _last_lines(r, rs.reports, console)
    return CANNOT_RUN


def _cannot_run(reason: str, reports: Path, env: Mapping[str, str], console: Console, date: str) -> int:
    """A run stopped before it started (a setting, a baseline or history it cannot use): its own report set."""
    with ReportSet.open(reports, ARTIFACTS) as rs:
        return _failed(rs, reason, env, console, date, None)


if __name__ == "__main__":
    sys.exit(main())
