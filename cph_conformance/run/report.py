"""The run's verdict and its summary: schemathesis' events, the walk's findings and the setup's warnings,
graded (cph_conformance.run.verdict), listed without hiding any distinct cause, and rendered as Markdown and
as a self-contained HTML page.

Requests recorded by schemathesis went to the loopback gateway; the report shows them against the endpoint
under test, and each curl line puts "$CPH_AUTH_TOKEN" where the credential goes, so it can be pasted.
"""

from __future__ import annotations

import base64
import html
import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from cph_conformance import spec
from cph_conformance.run.gateway import ERROR_HEADER
from cph_conformance.run.verdict import ERROR, FAILURE, WARNING, Exchange, Finding, grade

# schemathesis reports these as run, but they need requests this run never sends (other methods: schemathesis.toml
# has unexpected-methods = []; resources created or deleted: the stateful phase is off), so they judged nothing.
NOTHING_TO_JUDGE = frozenset(
    {
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "object_level_authorization",
    }
)
TOKEN_VARIABLE = "$CPH_AUTH_TOKEN"  # noqa: S105  (a shell variable's name)
PASSED, DRIFT, CANNOT_RUN = 0, 1, 2
MAX_LISTED = 60  # distinct findings listed per kind; the count is always given


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """schemathesis' NDJSON events, one dict each (the one reader of that file)."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def curl(
    method: str, uri: str, headers: dict[str, list[str]] | None = None, base: tuple[str, str] | None = None
) -> str:
    """A curl line for a recorded request; base=(gateway URL, endpoint URL) puts the endpoint back."""
    if base is not None and uri.startswith(base[0]):
        uri = base[1] + uri[len(base[0]) :]
    auth = spec.auth_header()
    parts = ["curl", "-X", method]
    for name, values in (headers or {}).items():
        for value in values:
            if name.lower() == auth.lower():
                parts += ["-H", f'"{auth}: {TOKEN_VARIABLE}"']
            else:
                parts += ["-H", shlex.quote(f"{name}: {value}")]
    parts.append(shlex.quote(uri))
    return " ".join(parts)


def _exchange(interaction: dict[str, Any]) -> Exchange:
    request = interaction.get("request") or {}
    response = interaction.get("response") or {}
    raw = (response.get("content") or {}).get("$base64")
    text = base64.b64decode(raw).decode("utf-8", "replace") if raw else ""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    headers = {k.lower(): v[0] for k, v in (response.get("headers") or {}).items() if v}
    return Exchange(
        request.get("method", "GET"), request.get("uri", ""), response.get("status_code"), headers, body, text
    )


@dataclass
class Summary:
    target: str
    checks: dict[str, int] = field(default_factory=dict)  # check name -> how many answers it judged
    cases: int = 0
    walk_requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)  # answers the endpoint gave, by status
    unanswered: int = 0  # requests that got no answer (the gateway's marked 502s)
    findings: list[Finding] = field(default_factory=list)
    schemathesis_status: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        """Keep one finding per distinct cause; a repeat only adds its curl line (up to three)."""
        for n, known in enumerate(self.findings):
            if known.key == finding.key:
                if len(known.curls) < 3 and finding.curls and finding.curls[0] not in known.curls:
                    self.findings[n] = Finding(
                        known.check, known.verdict, known.rule, known.source, known.message, known.curls + finding.curls
                    )
                return
        self.findings.append(finding)

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def of(self, verdict: str) -> list[Finding]:
        return [f for f in self.findings if f.verdict == verdict]

    @property
    def failures(self) -> list[Finding]:
        return self.of(FAILURE)

    @property
    def failed_checks(self) -> set[str]:
        return {f.check for f in self.failures}

    @property
    def exit_status(self) -> int:
        if self.failures:
            return DRIFT
        if self.of(ERROR) or (self.schemathesis_status != 0 and not self.of(WARNING)):
            return CANNOT_RUN
        return PASSED

    @property
    def verdict(self) -> str:
        return {PASSED: "passed", DRIFT: "drift found", CANNOT_RUN: "could not run to the end"}[self.exit_status]

    def render(self) -> str:
        lines = [
            f"# Conformance of {self.target}",
            "",
            f"**Verdict: {self.verdict}** (exit status {self.exit_status}).",
            "",
        ]
        statuses = ", ".join(f"{n} x {s}" for s, n in sorted(self.statuses.items()))
        lines.append(
            f"{self.cases} schemathesis cases and {self.walk_requests} walk requests; answers by status: "
            f"{statuses or 'none'}" + (f"; {self.unanswered} request(s) got no answer." if self.unanswered else ".")
        )
        judged = sorted(set(self.checks) - NOTHING_TO_JUDGE)
        lines.append(f"{len(judged)} checks judged the answers: {', '.join(judged)}.")
        lines += [f"Note: {n}" for n in self.notes]
        if self.schemathesis_status != 0 and not self.failures and not self.of(ERROR) and not self.of(WARNING):
            lines += [
                "",
                f"No check failed, but schemathesis ended with status {self.schemathesis_status}: a warning that fails "
                "the run (such as missing_auth: every request was refused) or an error. Its output above says which.",
            ]
        titles = {
            FAILURE: "Failures: drift from Huawei's sources",
            ERROR: "Errors: requests that got no answer",
            WARNING: "Warnings: the spec's assumptions, not failures",
        }
        for verdict in (FAILURE, ERROR, WARNING):
            found = self.of(verdict)
            if not found:
                continue
            lines += ["", f"## {titles[verdict]} ({len(found)} distinct)", ""]
            for n, f in enumerate(found[:MAX_LISTED], 1):
                message = [m for m in f.message.strip().splitlines() if m.strip()][:6]
                lines.append(f"{n}. **{f.check}**: {f.rule}")
                lines.append(f"   source: {f.source}")
                lines += [f"   {m}" for m in message]
                lines += [f"   {c}" for c in f.curls]
                lines.append("")
            if len(found) > MAX_LISTED:
                lines.append(f"... and {len(found) - MAX_LISTED} more distinct {verdict}s (see events.ndjson).")
        if not self.findings and self.exit_status == PASSED:
            lines += ["", "Every check passed."]
        return "\n".join(lines).rstrip() + "\n"

    def render_junit(self) -> str:
        """The graded verdict for CI dashboards: one testcase per check (a failure for each distinct drift), the
        errors on a testcase of their own, warnings as output. schemathesis' own tally, which knows neither the
        walk nor the grading, is in schemathesis-junit.xml."""
        suite = ElementTree.Element("testsuite", name="cph-conformance", tests="0", failures="0", errors="0")
        cases: dict[str, ElementTree.Element] = {}
        for check in sorted({*self.checks, *(f.check for f in self.findings)}):
            cases[check] = ElementTree.SubElement(suite, "testcase", classname="conformance", name=check)
        for f in self.findings:
            text = "\n".join([f"rule: {f.rule}", f"source: {f.source}", f.message, *f.curls])
            if f.verdict == WARNING:
                out = cases[f.check].find("system-out")
                out = out if out is not None else ElementTree.SubElement(cases[f.check], "system-out")
                out.text = (out.text or "") + f"warning (an assumption of the spec): {text}\n"
                continue
            tag = "failure" if f.verdict == FAILURE else "error"
            first = f.message.strip().splitlines()[0] if f.message.strip() else f.rule
            ElementTree.SubElement(cases[f.check], tag, message=first[:300]).text = text
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases.values() if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in cases.values() if c.find("error") is not None)))
        return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"

    def render_html(self) -> str:
        """The summary as one self-contained page: no script, no style sheet, no asset from the network."""
        body = html.escape(self.render())
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>Conformance: {html.escape(self.verdict)}</title></head>\n"
            f'<body><pre style="white-space: pre-wrap; font-family: monospace">{body}</pre></body></html>\n'
        )


def summarize(events: Path, target: str, base: tuple[str, str] | None = None) -> Summary:
    """Read schemathesis' events into a summary: cases, checks, graded failures, and errors."""
    summary = Summary(target)
    for event in read_events(events):
        finished = event.get("ScenarioFinished")
        if finished and "recorder" in finished:
            _scenario(summary, finished["recorder"], base)
        for kind in ("NonFatalError", "FatalError"):
            if kind in event:
                info = event[kind].get("info") or event[kind]
                message = str(info.get("message") or info.get("title") or info)[:500]
                summary.add(Finding("schemathesis", ERROR, "the run completes", "the run itself", message))
    return summary


def _scenario(summary: Summary, recorder: dict[str, Any], base: tuple[str, str] | None) -> None:
    summary.cases += len(recorder.get("cases", {}))
    # Each answer decoded (base64, JSON) and its curl line built once, for the counts and for every check of it.
    exchanges: dict[str, tuple[Exchange, str]] = {}
    for case_id, interaction in recorder.get("interactions", {}).items():
        exchange = _exchange(interaction)
        line = curl(exchange.method, exchange.uri, (interaction.get("request") or {}).get("headers"), base)
        exchanges[case_id] = (exchange, line)
        if ERROR_HEADER.lower() in exchange.headers:
            summary.unanswered += 1
            summary.add(
                Finding(
                    "gateway",
                    ERROR,
                    "every request gets an answer",
                    "the run itself",
                    exchange.headers[ERROR_HEADER.lower()],
                    (line,),
                )
            )
        elif exchange.status is None:
            summary.add(
                Finding(
                    "schemathesis",
                    ERROR,
                    "every request gets an answer",
                    "the run itself",
                    "no answer recorded",
                    (line,),
                )
            )
        else:
            summary.count(exchange.status)
    for case_id, checks in recorder.get("checks", {}).items():
        exchange, line = exchanges.get(case_id) or (_exchange({}), "")
        unanswered = ERROR_HEADER.lower() in exchange.headers  # nothing to judge: listed as an error above
        for check in checks:
            name = check["name"]
            summary.checks[name] = summary.checks.get(name, 0) + 1
            info = (check.get("failure_info") or {}).get("failure")
            if check.get("status") != "failure" or not info or unanswered:
                continue
            message = info.get("message") or info.get("title") or ""
            # A probe (ignored_auth) has its own request: show that one.
            probe = ((check.get("failure_info") or {}).get("case") or {}).get("request")
            shown = (
                curl(probe.get("method", "GET"), probe.get("uri", ""), probe.get("headers"), base) if probe else line
            )
            summary.add(grade(name, message, exchange, shown))
