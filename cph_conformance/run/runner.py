"""`make conformance` / `.ci/conformance`: conformance of a CPH endpoint to openapi/cph.yaml.

    python -m cph_conformance.run

The endpoint is the one the environment names (cph_conformance/run/target.py), or a local mock started for the
run. Every request goes through the loopback credential gateway (gateway.py), which alone holds the secret, paces
every request and waits out throttling. In order: the preflight, schemathesis (settings in schemathesis.toml), the
walk (walk.py) and the probes (probes.py); then every answer is judged by every check of the registry (rules.py)
and the verdict weighs the evidence (verdict.py); the summary (report.py) goes to reports/ and the console.

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
from cph_conformance.run import gateway, preflight, probes, recorded, report, rules, walk
from cph_conformance.run.gateway import PLACEHOLDER
from cph_conformance.run.patience import Patience
from cph_conformance.run.secrets import Secrets
from cph_conformance.run.target import TOKEN, CannotRun, Target, from_environment
from cph_conformance.run.verdict import CANNOT_RUN, WARNING, Finding, Throttling, Verdict, error
from cph_conformance.spec import ROOT, SPEC_PATH

SCHEMATHESIS_CHECKS = {c.name for c in rules.of(rules.SCHEMATHESIS)}

DEFAULTS = {"SEED": "20261126", "MAX_EXAMPLES": "100"}
# The variables a run reads beside CPH_* (the endpoint, credentials and reports folder), as the docstring lists them.
SETTINGS = ("SEED", "MAX_EXAMPLES", "RATE_LIMIT", "STRICT", "WALK", "PHASES", "GITHUB_STEP_SUMMARY")
RATE_LIMITS = {"live": "5/s", "mock": "1000/s"}  # be gentle with Huawei; the mock needs no throttle
REQUEST_TIMEOUT = 10.0  # seconds the gateway waits for each answer of the endpoint (each try, when throttled)
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


def conformance(t: Target, reports: Path, env: dict[str, str]) -> Verdict:
    """Preflight, schemathesis, the walk and the probes against t, all through one gateway (which paces every request
    and waits out throttling); then every answer judged by every check, and the evidence weighed."""
    limit = rate_limit(t, env)
    patience = Patience(per_second(limit), spec.statuses_when("throttled"))
    v = Verdict(f"{t.base_url} ({t.kind})", strict=env.get("STRICT") == "1", rate_limit=limit)
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
        if env.get("WALK", "1") != "0":
            print("==> the walk and the probes: listings, relations between queries, edges of what is accepted")
            fetch = walk.http_fetch(gw.base_url, t.base_url, t.project_id, PLACEHOLDER, patience.bound(REQUEST_TIMEOUT))
            walked = walk.run(fetch)
            answered = probes.run(fetch, probes.plan(t.project_id, walked.marker))
            answers += walked.exchanges + [ex for _, ex in answered]
        v.judge(answers, cases.outcomes, walked, answered if walked is not None else None)
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


def write(v: Verdict, reports: Path, secrets: Secrets, env: dict[str, str], echo: bool = True) -> None:
    text = secrets.mask(report.render(v))
    (reports / "summary.md").write_text(text, encoding="utf-8")
    (reports / "summary.html").write_text(secrets.mask(report.render_html(v)), encoding="utf-8")
    (reports / "junit.xml").write_text(secrets.mask(report.render_junit(v)), encoding="utf-8")
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
                v = conformance(t, reports, env)
            finally:
                mask_artifacts(reports, t.secrets)
            print("==> the verdict: every answer judged by every check, graded against Huawei's sources")
            write(v, reports, t.secrets, env)
    except CannotRun as exc:
        print(f"error: {exc}", file=sys.stderr)
        # CI keeps the reports folder: it says why there is no verdict (messages hold no credential).
        failed = Verdict(where, findings=[error("setup", str(exc))])
        write(failed, reports, Secrets(), env, echo=False)
        return CANNOT_RUN
    return v.exit_status


if __name__ == "__main__":
    sys.exit(main())
