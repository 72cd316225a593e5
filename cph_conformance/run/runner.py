"""Conformance of a CPH endpoint to openapi/cph.yaml: `make conformance`, or `.ci/conformance` in CI.

The endpoint is the one the settings name (CPH_REGION or CPH_BASE_URL, CPH_PROJECT_ID, one credential), or a local
mock started for the run. Every request goes through a loopback gateway that alone holds the credential, paces every
request and waits out throttling. In order: the preflight, schemathesis (the rest of its settings are in
schemathesis.toml), the walk and the probes; then every answer is judged by every check, the verdict weighs the
evidence, and the reports go to the reports folder and the console.

What the run observed of the answers' shape goes to observed.json; with CPH_BASELINE (an earlier run's observed.json)
the summaries list what changed since, and with CPH_HISTORY the run joins a history that summary.html draws.

Exit status: 0 passed; 1 drift found (or, with CPH_FAIL_ON_CHANGE, changes of shape since CPH_BASELINE); 2 the run
could not be made (a setting, a baseline or history it cannot use, the credential, the endpoint, the reports folder)
or it is inconclusive (too many answers, or a whole check, judged nothing).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from cph_conformance import settings, spec
from cph_conformance.run.checks import registry as rules
from cph_conformance.run.collect import probes, recorded, walk
from cph_conformance.run.collect.exchange import Exchange
from cph_conformance.run.report import changes, history, observed, provenance, stored
from cph_conformance.run.report import summary as report
from cph_conformance.run.transport import gateway, preflight
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.gateway import PLACEHOLDER
from cph_conformance.run.transport.patience import AGAIN, Patience
from cph_conformance.run.transport.secrets import Secrets
from cph_conformance.run.transport.target import TOKEN, CannotRun, Target, from_environment
from cph_conformance.run.verdict import replay
from cph_conformance.run.verdict.verdict import CANNOT_RUN, SETUP, WARNING, Blips, Finding, Throttling, Verdict, error
from cph_conformance.settings import BadSetting
from cph_conformance.spec import ROOT, SPEC_PATH

SCHEMATHESIS_CHECKS = {c.name for c in rules.of(rules.SCHEMATHESIS)}
REQUEST_TIMEOUT = 10.0  # seconds the gateway waits for each answer of the endpoint (each try, when throttled)
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
    """Every secret, in every form, out of every file the run wrote (the gateway already kept them out)."""
    _edit_artifacts(reports, secrets.mask_bytes)


def rewrite_artifacts(reports: Path, gateway_url: str, base_url: str) -> None:
    """Requests went to the gateway; the files say where they were forwarded: the endpoint under test."""
    _edit_artifacts(reports, lambda data: data.replace(gateway_url.encode(), base_url.encode()))


def rate_limit(t: Target, env: Mapping[str, str]) -> str:
    return settings.value(env, "CPH_RATE_LIMIT", t.kind == "live")


def no_proxy_for_loopback(env: Mapping[str, str]) -> dict[str, str]:
    """NO_PROXY with the gateway's host added: schemathesis must reach the loopback gateway directly, whatever
    HTTP(S)_PROXY a CI network sets."""
    return {name: ",".join(filter(None, [env.get(name), gateway.HOST])) for name in ("NO_PROXY", "no_proxy")}


def toml_variables(base_url: str, project_id: str, token: str, limit: str, reports: Path) -> dict[str, str]:
    """The ${...} variables schemathesis.toml reads, for a run against base_url."""
    return {
        "CPH_BASE_URL": base_url,
        "CPH_PROJECT_ID": project_id,
        "CPH_AUTH_TOKEN": token,
        "CPH_RATE_LIMIT": limit,
        "CPH_REPORTS_DIR": str(reports),
    }


def schemathesis_command(env: Mapping[str, str]) -> list[str]:
    """schemathesis run, with the seed, examples and phases the settings ask for (else their defaults); every other
    setting of schemathesis is in schemathesis.toml."""
    return [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        str(SPEC_PATH.relative_to(ROOT)),
        "--seed",
        settings.value(env, "CPH_SEED"),
        "--max-examples",
        settings.value(env, "CPH_MAX_EXAMPLES"),
        "--phases",
        settings.value(env, "CPH_PHASES"),
    ]


def run_schemathesis(
    gateway_url: str,
    t: Target,
    reports: Path,
    env: Mapping[str, str],
    extra_args: tuple[str, ...] = (),
    quiet: bool = False,
) -> int:
    """The schemathesis CLI against the gateway; its output goes to the console with every secret masked."""
    child_env = {
        **os.environ,
        **env,
        # the gateway swaps the placeholder for the credential
        **toml_variables(gateway_url, t.project_id, PLACEHOLDER, rate_limit(t, env), reports),
        "PYTHONPATH": str(ROOT),
        **no_proxy_for_loopback(env),
    }
    with subprocess.Popen(
        [*schemathesis_command(env), *extra_args],
        env=child_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not quiet:
                print(t.secrets.mask(line.replace(gateway_url, t.base_url)), end="", flush=True)
    return proc.returncode


def conformance(t: Target, reports: Path, env: Mapping[str, str]) -> Verdict:
    """Preflight, schemathesis, the walk and the probes against t, all through one gateway (which paces every request
    and waits out throttling); then every answer judged by every check, and the evidence weighed."""
    limit = rate_limit(t, env)
    again = AGAIN if settings.flag(env, "CPH_REPLAY") else 0
    patience = Patience(
        settings.rate_per_second(limit),
        spec.statuses_when("throttled"),
        transient=spec.statuses_when("transient"),
        again=again,
    )
    v = Verdict(
        t.shown,
        strict=settings.flag(env, "CPH_STRICT"),
        rate_limit=limit,
        fail_on_flaky=settings.flag(env, "CPH_FAIL_ON_FLAKY"),
    )
    with gateway.running(t.base_url, spec.auth_header(), t.credential, t.secrets, REQUEST_TIMEOUT, patience) as gw:
        answers = [preflight.check(gw.base_url, t, patience.bound(REQUEST_TIMEOUT))]
        status = run_schemathesis(gw.base_url, t, reports, env)
        events = reports / "events.ndjson"
        if not events.exists():
            raise CannotRun(f"schemathesis exited with {status} and wrote no report")
        cases = recorded.read(events, (gw.base_url, t.base_url))
        answers += cases.exchanges
        v.cases, v.schemathesis_status = cases.cases, status
        for message in cases.errors:
            v.add(error("schemathesis", message))
        walked, answered = None, []
        if settings.flag(env, "CPH_WALK"):
            print("==> the walk and the probes: listings, relations between queries, edges of what is accepted")
            fetch = walk.http_fetch(gw.base_url, t.base_url, t.project_id, PLACEHOLDER, patience.bound(REQUEST_TIMEOUT))
            walked = walk.run(fetch, again=again)
            answered = probes.run(fetch, probes.plan(t.project_id, walked.marker))
            answers += walked.exchanges + [ex for _, ex in answered]
        v.judge(answers, cases.outcomes, walked, answered if walked is not None else None)
        v.judge_throttled([throttled(r, t) for r in patience.samples])
        if again:
            print("==> the failures sent again: drift only if it comes back every time")
            resend = replay.sender(gw.base_url, t.base_url, PLACEHOLDER, patience.bound(REQUEST_TIMEOUT))

            def rewalk(only: Collection[str]) -> walk.Walk:
                return walk.run(fetch, again=again, only=only)

            v.replays = replay.confirm(v, resend, rewalk if walked is not None else None, again=again)
        v.blips = Blips(patience.blips, patience.recovered, patience.unavailable, again, patience.listed)
        if status != 0 and not any(f.check in SCHEMATHESIS_CHECKS for f in v.findings):
            v.add(
                error(
                    "schemathesis",
                    f"schemathesis ended with status {status} and reported nothing to grade: "
                    "its output above says why (such as missing_auth: every request was refused)",
                )
            )
        v.throttling = Throttling(patience.throttled, patience.gave_up, patience.waited, patience.slowest)
        if gw.echoes:
            v.add(
                Finding(
                    "credential_echo",
                    WARNING,
                    "a service never sends back the credential it was sent",
                    "assumption: no Huawei source says a service never echoes a credential",
                    f"{gw.echoes} answer(s) carried the credential; it is masked everywhere",
                    key="echo",
                )
            )
        rewrite_artifacts(reports, gw.base_url, t.base_url)
    v.notes += list(t.warnings)
    if t.credential_variable != TOKEN:
        v.notes.append(
            f"the curl lines send ${TOKEN}; this run used {t.credential_variable} instead: get a token from IAM "
            "first (README, the main job, route 1)."
        )
    return v


def throttled(response: httpx.Response, t: Target) -> Exchange:
    """A throttled answer the gateway waited out, as an answer of the endpoint, every secret masked."""
    masked = httpx.Response(
        response.status_code,
        headers=[(k, t.secrets.mask(v)) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"],
        content=t.secrets.mask_bytes(response.content),
        request=response.request,
    )
    masked.elapsed = response.elapsed  # read by Patience, so measured
    return Exchange.of_response(masked, t.base_url, VALID, phase="throttled")


def write(
    v: Verdict,
    reports: Path,
    secrets: Secrets,
    env: Mapping[str, str],
    echo: bool = True,
    runs: Sequence[dict[str, Any]] = (),
) -> None:
    text = secrets.mask(report.render(v))
    (reports / "summary.md").write_text(text, encoding="utf-8")
    (reports / "summary.html").write_text(secrets.mask(report.render_html(v, runs)), encoding="utf-8")
    (reports / "junit.xml").write_text(secrets.mask(report.render_junit(v)), encoding="utf-8")
    step_summary = env.get("GITHUB_STEP_SUMMARY")
    if step_summary:  # GitHub Actions shows it on the job's page
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(text)
    if echo:
        print(text, end="")


@dataclasses.dataclass(frozen=True)
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

    def keep(self, v: Verdict, date: str, seen: dict[str, Any] | None) -> tuple[dict[str, Any], ...]:
        """The history with this run added, written back (when there is one); a write that fails is a note."""
        if self.history is None:
            return ()
        runs = tuple(history.appended(self.runs, history.entry(v, date, seen)))
        try:
            history.save(self.history, runs)
        except OSError as exc:
            v.notes.append(f"CPH_HISTORY={str(self.history)!r} could not be written: {exc.strerror or exc}")
        return runs


def record(v: Verdict, reports: Path, secrets: Secrets, env: Mapping[str, str], memory: Memory, date: str) -> None:
    """What the run observed (observed.json), compared with the baseline, kept in the history; then the reports."""
    seen = observed.of(v, date)
    if memory.baseline is not None:
        v.changes = changes.between(memory.baseline, seen)
        v.fail_on_change = settings.flag(env, "CPH_FAIL_ON_CHANGE")
    (reports / "observed.json").write_text(secrets.mask(observed.document(seen, v)) + "\n", encoding="utf-8")
    runs = memory.keep(v, date, seen)
    write(v, reports, secrets, env, runs=runs)


def _last_lines(v: Verdict, reports: Path) -> None:
    """What a CI log shows last: the verdict, the exit status, and where the reports are."""
    files = ", ".join(str(reports / name) for name in ("summary.md", "summary.html", "junit.xml"))
    print(f"==> Verdict: {v.label}, exit status {v.exit_status}. Reports: {files}", flush=True)


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
            print(f"==> conformance of {where} against {SPEC_PATH.relative_to(ROOT)}", flush=True)
            try:
                v = conformance(t, reports, env)
            finally:
                mask_artifacts(reports, t.secrets)
            seconds = time.monotonic() - clock
            v.about = provenance.of(env, where, t.kind == "live", date, seconds, len(v.exchanges), at)
            parts = (
                "schemathesis, the walk and the probes"
                if settings.flag(env, "CPH_WALK")
                else "schemathesis (CPH_WALK=0)"
            )
            print(f"==> the verdict: every answer of {parts} judged by every check, graded against Huawei's sources")
            record(v, reports, t.secrets, env, memory, date)
            _last_lines(v, reports)
    except CannotRun as exc:
        return _cannot_run(str(exc), reports, env, where, memory, date)
    return v.exit_status


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
    failed = Verdict(where, findings=[error(SETUP, reason)])
    runs = memory.keep(failed, date, None) if memory is not None else ()
    try:
        reports.mkdir(parents=True, exist_ok=True)
        write(failed, reports, Secrets(), env, echo=False, runs=runs)
    except OSError:
        return CANNOT_RUN  # the folder is the problem: the console said why
    _last_lines(failed, reports)
    return CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
