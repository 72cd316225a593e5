"""`make conformance` / `.ci/conformance`: conformance of a CPH endpoint to openapi/cph.yaml.

    python -m cph_conformance.run

The endpoint is the one the environment names (cph_conformance/run/target.py), or a local mock started for the
run. Every request goes through the loopback credential gateway (gateway.py), which alone holds the secret.
In order: the preflight, schemathesis with the page's checks (settings in schemathesis.toml), the walk over
pages (walk.py), then the graded summary (report.py) in reports/ and on the console.

Environment: SEED, MAX_EXAMPLES, RATE_LIMIT (e.g. 5/s), STRICT=1 (also fail on fields the spec does not list),
CPH_REPORTS_DIR (default reports/), WALK=0 (skip the walk), PHASES (schemathesis' phases, e.g. fuzzing for a
quick run without the coverage phase's boundary cases).
Exit status: 0 passed; 1 drift found; 2 the run could not be made (setup, credentials, unreachable, errors).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from cph_conformance import spec
from cph_conformance.run import gateway, preflight, report, walk
from cph_conformance.run.gateway import PLACEHOLDER
from cph_conformance.run.secrets import Secrets
from cph_conformance.run.target import TOKEN, CannotRun, Target, from_environment
from cph_conformance.run.verdict import ERROR, WARNING, Finding
from cph_conformance.spec import ROOT, SPEC_PATH

DEFAULTS = {"SEED": "20261126", "MAX_EXAMPLES": "100"}
# The variables a run reads beside CPH_* (the endpoint, credentials and reports folder), as the docstring lists them.
SETTINGS = ("SEED", "MAX_EXAMPLES", "RATE_LIMIT", "STRICT", "WALK", "PHASES", "GITHUB_STEP_SUMMARY")
RATE_LIMITS = {"live": "5/s", "mock": "1000/s"}  # be gentle with Huawei; the mock needs no throttle
REQUEST_TIMEOUT = 10.0  # schemathesis.toml's request-timeout
# Everything the run writes in the reports folder; nothing else there is ever touched.
ARTIFACTS = ("junit.xml", "schemathesis-junit.xml", "cassette.yaml", "events.ndjson", "summary.md", "summary.html")


def reports_dir(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    return Path(env.get("CPH_REPORTS_DIR") or ROOT / "reports")


def clear_artifacts(reports: Path) -> None:
    """Remove the previous run's own files, so that a stale report never passes for this run's."""
    reports.mkdir(parents=True, exist_ok=True)
    for name in ARTIFACTS:
        (reports / name).unlink(missing_ok=True)


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


def rate_limit(t: Target, env: dict[str, str]) -> str:
    return env.get("RATE_LIMIT") or RATE_LIMITS[t.kind]


def per_second(limit: str) -> float:
    """schemathesis' rate-limit notation (N/s, N/m, N/h) in requests per second."""
    count, _, unit = limit.partition("/")
    return float(count) / {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(unit or "s", 1)


def no_proxy_for_loopback(env: dict[str, str]) -> dict[str, str]:
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


def schemathesis_command(env: dict[str, str]) -> list[str]:
    """schemathesis run, with the seed, examples and phases the environment asks for (else the defaults); every
    other setting is in schemathesis.toml."""
    return [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        str(SPEC_PATH.relative_to(ROOT)),
        "--seed",
        env.get("SEED") or DEFAULTS["SEED"],
        "--max-examples",
        env.get("MAX_EXAMPLES") or DEFAULTS["MAX_EXAMPLES"],
        *(["--phases", env["PHASES"]] if env.get("PHASES") else []),
    ]


def run_schemathesis(
    gateway_url: str,
    t: Target,
    reports: Path,
    env: dict[str, str],
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


def conformance(t: Target, reports: Path, env: dict[str, str]) -> report.Summary:
    """Preflight, schemathesis and the walk against t, all through one gateway; the graded summary."""
    upstream_timeout = REQUEST_TIMEOUT - 1  # the gateway answers a timeout before schemathesis gives up
    with gateway.running(t.base_url, spec.auth_header(), t.credential, t.secrets, upstream_timeout) as gw:
        preflight.check(gw.base_url, t)
        status = run_schemathesis(gw.base_url, t, reports, env)
        events = reports / "events.ndjson"
        if not events.exists():
            raise CannotRun(f"schemathesis exited with {status} and wrote no report")
        summary = report.summarize(events, f"{t.base_url} ({t.kind})", (gw.base_url, t.base_url))
        summary.schemathesis_status = status
        if env.get("WALK", "1") != "0":
            print("==> the walk: paging, image types, request ids, authorization", flush=True)
            fetch = walk.http_fetch(gw.base_url, t.base_url, t.project_id, per_second(rate_limit(t, env)))
            walked = walk.run(fetch, t.project_id)
            summary.walk_requests = len(walked.answers)
            for answer in walked.answers:
                summary.count(answer.status)
            for finding in walked.findings:
                summary.add(finding)
            summary.checks.update(dict.fromkeys(walk.CHECKS, len(walked.answers)))
        if gw.echoes:
            summary.add(
                Finding(
                    "credential_echo",
                    WARNING,
                    "a service never sends back the credential it was sent",
                    "the run itself",
                    f"{gw.echoes} answer(s) carried the credential; it is masked everywhere",
                )
            )
        rewrite_artifacts(reports, gw.base_url, t.base_url)
    summary.notes += list(t.warnings)
    if t.credential_variable != TOKEN:
        summary.notes.append(
            f"the curl lines send ${TOKEN}; this run used {t.credential_variable} instead: get a token from IAM "
            "first (README, the main job, route 1)."
        )
    return summary


def write(summary: report.Summary, reports: Path, secrets: Secrets, env: dict[str, str], echo: bool = True) -> None:
    text = secrets.mask(summary.render())
    (reports / "summary.md").write_text(text, encoding="utf-8")
    (reports / "summary.html").write_text(secrets.mask(summary.render_html()), encoding="utf-8")
    (reports / "junit.xml").write_text(secrets.mask(summary.render_junit()), encoding="utf-8")
    step_summary = env.get("GITHUB_STEP_SUMMARY")
    if step_summary:  # GitHub Actions shows it on the job's page
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(text)
    if echo:
        print(text, end="")


def main() -> int:
    env = dict(os.environ)
    reports = reports_dir(env)
    where = "the endpoint the environment names"
    try:
        clear_artifacts(reports)
        with from_environment(env) as t:
            where = f"{t.base_url} ({t.kind})"
            print(f"==> conformance of {where} against {SPEC_PATH.relative_to(ROOT)}", flush=True)
            try:
                summary = conformance(t, reports, env)
            finally:
                mask_artifacts(reports, t.secrets)
            print("==> the verdict: graded against Huawei's sources, the walk included (it supersedes the tally above)")
            write(summary, reports, t.secrets, env)
    except CannotRun as exc:
        print(f"error: {exc}", file=sys.stderr)
        # CI keeps the reports folder: it says why there is no verdict (messages hold no credential).
        failed = report.Summary(
            where, findings=[Finding("setup", ERROR, "the run can be made", "the run itself", str(exc))]
        )
        write(failed, reports, Secrets(), env, echo=False)
        return report.CANNOT_RUN
    return summary.exit_status


if __name__ == "__main__":
    sys.exit(main())
