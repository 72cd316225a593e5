"""The short human summary of a conformance run, read from schemathesis' NDJSON events.

Which checks ran, how many cases, and each distinct failure with its check name and a curl line that
reproduces it. Requests in the events are already sanitized by schemathesis; the curl line puts
"$CPH_AUTH_TOKEN" where the token was, so it can be pasted into a shell that has it set.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AUTH_HEADER = "X-Auth-Token"


@dataclass(frozen=True)
class Failure:
    check: str
    code: str
    title: str
    message: str
    curl: str


@dataclass
class Summary:
    checks: dict[str, int] = field(default_factory=dict)  # check name -> how many cases it judged
    cases: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def failed_checks(self) -> set[str]:
        return {f.check for f in self.failures}

    def render(self, target: str, exit_status: int = 0) -> str:
        lines = [f"# Conformance of {target}", ""]
        lines.append(f"{self.cases} cases; {len(self.checks)} checks ran: {', '.join(sorted(self.checks))}.")
        if not self.failures and exit_status != 0:
            lines += [
                "",
                f"No check failed, but schemathesis ended the run with status {exit_status}: a warning that fails the "
                "run (such as missing_auth: every request was refused) or an error. Its output above says which.",
            ]
            return "\n".join(lines) + "\n"
        if not self.failures:
            lines += ["", "Every check passed."]
            return "\n".join(lines) + "\n"
        lines += ["", f"{len(self.failures)} distinct failure(s) in {len(self.failed_checks)} check(s):", ""]
        for n, f in enumerate(self.failures, 1):
            first = f.message.strip().splitlines()[0] if f.message.strip() else f.title
            lines += [f"{n}. {f.check} ({f.code}): {first}", f"   {f.curl}", ""]
        return "\n".join(lines)


def curl(request: dict[str, Any]) -> str:
    parts = ["curl", "-X", request.get("method", "GET")]
    for name, values in (request.get("headers") or {}).items():
        for value in values:
            if name.lower() == AUTH_HEADER.lower():
                parts += ["-H", f'"{AUTH_HEADER}: $CPH_AUTH_TOKEN"']
            else:
                parts += ["-H", shlex.quote(f"{name}: {value}")]
    parts.append(shlex.quote(request.get("uri", "")))
    return " ".join(parts)


def summarize(events: Path) -> Summary:
    summary = Summary()
    seen: set[tuple[str, str]] = set()
    for line in events.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished or "recorder" not in finished:
            continue
        recorder = finished["recorder"]
        summary.cases += len(recorder.get("cases", {}))
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                name = check["name"]
                summary.checks[name] = summary.checks.get(name, 0) + 1
                info = (check.get("failure_info") or {}).get("failure")
                if check.get("status") != "failure" or not info:
                    continue
                key = (name, info.get("message", "").strip().splitlines()[0] if info.get("message") else "")
                if key in seen:
                    continue
                seen.add(key)
                request = (recorder.get("interactions", {}).get(case_id) or {}).get("request", {})
                summary.failures.append(
                    Failure(name, info.get("code", ""), info.get("title", ""), info.get("message", ""), curl(request))
                )
    return summary
