"""`make conformance`: property-based conformance of a CPH endpoint against openapi/cph.yaml.

With CPH_BASE_URL, CPH_PROJECT_ID and CPH_AUTH_TOKEN set, it tests that endpoint (the live service);
with none of them, a local mock on a free loopback port. Settings are in schemathesis.toml; this module
only chooses the target, checks it can be reached with the credentials, runs schemathesis and summarizes.

Environment: SEED, MAX_EXAMPLES, RATE_LIMIT (e.g. 5/s), STRICT=1 (also report fields the spec does not list),
CPH_REPORTS_DIR (default reports/).
Exit status: 0 only when every check passed; 1 when a check failed; 2 when the run could not be made.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from cph_conformance import report
from cph_conformance.mock import server
from cph_conformance.spec import OPERATION_PATH, ROOT, SPEC_PATH


def reports_dir() -> Path:
    return Path(os.environ.get("CPH_REPORTS_DIR") or ROOT / "reports")


CREDENTIALS = ("CPH_BASE_URL", "CPH_PROJECT_ID", "CPH_AUTH_TOKEN")
DEFAULTS = {"SEED": "20261126", "MAX_EXAMPLES": "100"}
RATE_LIMITS = {"live": "5/s", "mock": "1000/s"}  # be gentle with Huawei; the mock needs no throttle
PREFLIGHT_TIMEOUT = 10.0


class CannotRun(Exception):
    """The run could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    kind: str  # "live" or "mock"
    base_url: str
    project_id: str
    token: str

    def __repr__(self) -> str:
        return f"Target({self.kind!r}, {self.base_url!r}, project_id={self.project_id!r})"


def _given() -> dict[str, str]:
    return {name: os.environ[name] for name in CREDENTIALS if os.environ.get(name)}


@contextlib.contextmanager
def target() -> Iterator[Target]:
    """The endpoint to test: the one the environment names, or a mock started for the run and stopped after."""
    given = _given()
    if given:
        missing = [name for name in CREDENTIALS if name not in given]
        if missing:
            raise CannotRun(
                f"{', '.join(missing)} not set: a live run needs all of {', '.join(CREDENTIALS)} "
                "(unset them all to test the local mock)."
            )
        yield Target("live", given["CPH_BASE_URL"].rstrip("/"), given["CPH_PROJECT_ID"], given["CPH_AUTH_TOKEN"])
        return
    with server.running() as mock:
        yield Target("mock", mock.base_url, mock.project_id, mock.token)


def preflight(t: Target) -> None:
    """One documented GET, so that an unreachable endpoint or a refused token fails with a reason, not 401s."""
    url = t.base_url + OPERATION_PATH.format(project_id=t.project_id)
    try:
        response = httpx.get(url, params={"limit": 1}, headers={"X-Auth-Token": t.token}, timeout=PREFLIGHT_TIMEOUT)
    except httpx.HTTPError as exc:
        raise CannotRun(f"cannot reach {t.base_url}: {type(exc).__name__}: {exc}. Check CPH_BASE_URL.") from None
    if response.status_code in (401, 403):
        try:
            body = response.json()
            said = f"{body.get('error_code')} {body.get('error_msg')}"
        except ValueError:
            said = response.text[:200]
        what = (
            "CPH_AUTH_TOKEN was refused: it is wrong or expired (IAM tokens last 24 hours). Get a new one from IAM "
            "(the X-Subject-Token header of POST /v3/auth/tokens)."
            if response.status_code == 401
            else f"the token may not read project {t.project_id}: CPH_PROJECT_ID must be the project the token "
            "was issued for."
        )
        raise CannotRun(f"{t.base_url} answered {response.status_code} ({said}): {what}")


def run_schemathesis(
    t: Target, overrides: dict[str, str] | None = None, extra_args: tuple[str, ...] = (), quiet: bool = False
) -> int:
    """Run the schemathesis CLI against t; overrides take the place of the environment's SEED, MAX_EXAMPLES,
    RATE_LIMIT, CPH_REPORTS_DIR and STRICT."""
    given = {**os.environ, **(overrides or {})}
    env = {
        **given,
        "CPH_BASE_URL": t.base_url,
        "CPH_PROJECT_ID": t.project_id,
        "CPH_AUTH_TOKEN": t.token,
        "CPH_RATE_LIMIT": given.get("RATE_LIMIT") or RATE_LIMITS[t.kind],
        "CPH_REPORTS_DIR": given.get("CPH_REPORTS_DIR") or str(reports_dir()),
        "PYTHONPATH": str(ROOT),
    }
    seed = given.get("SEED") or DEFAULTS["SEED"]
    examples = given.get("MAX_EXAMPLES") or DEFAULTS["MAX_EXAMPLES"]
    cmd = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        str(SPEC_PATH.relative_to(ROOT)),
        "--seed",
        seed,
        "--max-examples",
        examples,
        *extra_args,
    ]
    output = subprocess.DEVNULL if quiet else None
    return subprocess.run(cmd, env=env, cwd=ROOT, stdout=output, stderr=output).returncode


def main() -> int:
    reports = reports_dir()
    shutil.rmtree(reports, ignore_errors=True)  # a stale report must never pass for this run's
    reports.mkdir(parents=True)
    try:
        with target() as t:
            print(f"==> conformance of {t.base_url} ({t.kind}) against {SPEC_PATH.relative_to(ROOT)}", flush=True)
            preflight(t)
            status = run_schemathesis(t)
    except CannotRun as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    events = reports / "events.ndjson"
    if not events.exists():
        print(f"error: schemathesis exited with {status} and wrote no report", file=sys.stderr)
        return 2
    summary = report.summarize(events)
    text = summary.render(f"{t.base_url} ({t.kind})", status)
    (reports / "summary.md").write_text(text, encoding="utf-8")
    print(text, end="")
    # Never pass a run whose own report shows a failure, whatever schemathesis' status.
    return 0 if status == 0 and not summary.failures else 1


if __name__ == "__main__":
    sys.exit(main())
