"""The run's reports, rendered from its verdict (cph_conformance.run.verdict): summary.md (also printed, and appended
to a GitHub job's page), summary.html and junit.xml. No distinct cause is hidden; every finding names its check, the
rule, the statements that state it and curl lines that send its requests again (with "$CPH_AUTH_TOKEN" where the
credential goes)."""

from __future__ import annotations

import html
from collections import Counter
from xml.etree import ElementTree

from cph_conformance.run import rules
from cph_conformance.run.verdict import CANNOT_RUN, ERROR, FAILURE, PASSED, WARNING, Finding, Verdict

MAX_LISTED = 60  # distinct findings listed per kind; the count is always given
TITLES = {
    FAILURE: "Failures: drift from Huawei's sources",
    ERROR: "Errors: what kept the run from judging",
    WARNING: "Warnings: the spec's assumptions, not failures",
}


def _counts(v: Verdict) -> str:
    phases = Counter(ex.phase or "other" for ex in v.exchanges)
    statuses = Counter(ex.status for ex in v.exchanges if ex.answered)
    sent = ", ".join(f"{n} {phase}" for phase, n in sorted(phases.items()))
    got = ", ".join(f"{n} x {s}" for s, n in sorted(statuses.items(), key=lambda x: x[0] or 0))
    lost = len(v.exchanges) - sum(statuses.values())
    return (
        f"{len(v.exchanges)} requests ({sent}; {v.cases} schemathesis cases); answers by status: {got or 'none'}"
        + (f"; {lost} got no answer" if lost else "")
        + "."
    )


def _throttling(v: Verdict) -> str | None:
    t = v.throttling
    if not t.throttled:
        return None
    slowed = f", the pace slowed to one request every {t.slowest:.2f} s" if t.slowest else ""
    given_up = f"; {t.gave_up} still throttled after waiting, judged nothing" if t.gave_up else ""
    return f"Throttling: {t.throttled} answer(s) throttled, waited out for {t.waited:.1f} s in all{slowed}{given_up}."


def _finding(n: int, f: Finding) -> list[str]:
    lines = [f"{n}. **{f.check}**: {f.rule}"]
    sources = f.source.splitlines()
    lines.append(f"   source: {sources[0]}")
    lines += [f"   and: {s}" for s in sources[1:]]
    lines += [f"   {m}" for m in [m for m in f.message.strip().splitlines() if m.strip()][:6]]
    lines += [f"   {c}" for c in f.curls]
    return [*lines, ""]


def render(v: Verdict) -> str:
    lines = [f"# Conformance of {v.target}", "", f"**Verdict: {v.label}** (exit status {v.exit_status}).", ""]
    lines.append(_counts(v))
    throttling = _throttling(v)
    if throttling:
        lines.append(throttling)
    judged = [name for name in v.judged if v.judged[name]]
    lines.append(f"{len(judged)} checks judged the run: what each judged is in the table of checks below.")
    lines += [f"Note: {n}" for n in v.notes]
    if v.exit_status == CANNOT_RUN and v.inconclusive:
        lines += ["", "## Inconclusive: too little was judged to pass", ""]
        lines += [f"- {reason}" for reason in v.inconclusive]
    for verdict in (FAILURE, ERROR, WARNING):
        found = v.of(verdict)
        if not found:
            continue
        lines += ["", f"## {TITLES[verdict]} ({len(found)} distinct)", ""]
        for n, f in enumerate(found[:MAX_LISTED], 1):
            lines += _finding(n, f)
        if len(found) > MAX_LISTED:
            lines.append(f"... and {len(found) - MAX_LISTED} more distinct {verdict}s (see events.ndjson).")
    if not v.findings and v.exit_status == PASSED:
        lines += ["", "Every check passed."]
    lines += ["", *checks_table(v)]
    if v.probes:
        lines += ["", f"## Probes at the edges of what is accepted ({len(v.probes)})", ""]
        lines += [f"- {why}" for why in v.probes]
    return "\n".join(lines).rstrip() + "\n"


def result(v: Verdict, name: str) -> str:
    """What became of a check in a run: failed, warned, passed, or judged nothing."""
    verdicts = {f.verdict for f in v.findings if f.check == name}
    if FAILURE in verdicts:
        return "failed"
    if WARNING in verdicts:
        return "passed, with warnings"
    return "passed" if v.judged[name] else "judged nothing"


def checks_table(v: Verdict) -> list[str]:
    """Every check the run ran, from the registry (whose rules.table() is the README's): what it rests on, how much
    it judged and what became of it."""
    names = sorted({*v.expected_to_judge, *(n for n in v.judged if v.judged[n])})
    if not names:
        return []
    checks = rules.every()
    rows = ["## Checks", "", "| check | rests on | judged | result |", "|---|---|---:|---|"]
    rows += [
        f"| {n} | {checks[n].kind if n in checks else 'the run'} | {v.judged[n]} | {result(v, n)} |" for n in names
    ]
    return rows


def render_junit(v: Verdict) -> str:
    """The graded verdict for CI dashboards: one testcase per check that judged something, with one <failure> holding
    every distinct cause; what kept the run from judging on a testcase of its own; warnings as output. schemathesis'
    own tally, which knows neither the walk nor the grading, is in schemathesis-junit.xml."""
    suite = ElementTree.Element("testsuite", name="cph-conformance", tests="0", failures="0", errors="0")
    checks = rules.every()
    names = sorted({n for n in v.judged if v.judged[n]} | {f.check for f in v.findings if f.verdict == FAILURE})
    cases = {name: ElementTree.SubElement(suite, "testcase", classname="conformance", name=name) for name in names}
    for name, case in cases.items():
        failed = [f for f in v.findings if f.check == name and f.verdict == FAILURE]
        if failed:
            text = "\n\n".join("\n".join([f"source: {f.source}", f.message, *f.curls]) for f in failed)
            first = failed[0].message.strip().splitlines()[0]
            rule = checks[name].rule if name in checks else failed[0].rule
            ElementTree.SubElement(
                case, "failure", message=f"{len(failed)} cause(s): {first}"[:300], type=rule
            ).text = text
        warned = [f for f in v.findings if f.check == name and f.verdict == WARNING]
        if warned:
            ElementTree.SubElement(case, "system-out").text = "\n".join(
                f"warning (an assumption of the spec): {f.message} ({f.source})" for f in warned
            )
    problems = v.of(ERROR)
    if problems or v.inconclusive:
        case = ElementTree.SubElement(suite, "testcase", classname="conformance", name="the run judges enough")
        text = "\n".join([*v.inconclusive, *(f"{f.check}: {f.message}" for f in problems)])
        ElementTree.SubElement(case, "error", message=text.splitlines()[0][:300]).text = text
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(sum(1 for c in suite if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in suite if c.find("error") is not None)))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def render_html(v: Verdict) -> str:
    """The summary as one self-contained page: no script, no style sheet, no asset from the network."""
    body = html.escape(render(v))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Conformance: {html.escape(v.label)}</title></head>\n"
        f'<body><pre style="white-space: pre-wrap; font-family: monospace">{body}</pre></body></html>\n'
    )
