"""The run's reports, rendered from its verdict (verdict.py): summary.md (also printed, and appended
to a GitHub job's page), summary.html and junit.xml. No distinct cause is hidden; every finding names its check, the
rule, the statements that state it and curl lines that send its requests again (with "$CPH_AUTH_TOKEN" where the
credential goes). Compared with a baseline, the summaries list what changed since (cph_conformance.run.report.changes);
with a history, summary.html draws it (cph_conformance.run.report.history)."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jinja2

from cph_conformance.run import checks
from cph_conformance.run.checks import coverage
from cph_conformance.run.checks import run as run_checks
from cph_conformance.run.report import history
from cph_conformance.run.report.result import Result
from cph_conformance.run.verdict.findings import ERROR, FAILURE, FLAKY, WARNING, Finding
from cph_conformance.run.verdict.verdict import CANNOT_RUN, PASSED, Verdict

MAX_LISTED = 60  # distinct findings listed per kind; the count is always given
TITLES = {
    FAILURE: "Failures: drift from Huawei's sources",
    ERROR: "Errors: what kept the run from judging",
    WARNING: "Warnings: the spec's assumptions, not failures",
    FLAKY: "Flaky: failures that did not come back every time they were sent",
}
KINDS = (FAILURE, ERROR, FLAKY, WARNING)  # the order of the report's sections


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


def _blips(v: Verdict) -> str | None:
    b = v.blips
    if not b.met:
        return None
    if not b.again:
        return f"Blips (502, 503, 504, lost connections): {b.met}, not asked again (CPH_REPLAY=0): each an answer lost."
    return (
        f"Blips (502, 503, 504, lost connections): {b.met} met by {b.recovered + b.unavailable} request(s), each "
        f"asked again by the gateway (up to {b.again} more tries): {b.recovered} then answered, {b.unavailable} "
        "not, each sent again later as a whole (a flaky finding if it was then answered, an error if never). "
        "They are listed below the checks."
    )


def blips_section(v: Verdict) -> list[str]:
    if not v.blips.listed:
        return []
    more = v.blips.recovered + v.blips.unavailable - len(v.blips.listed)
    lines = ["## Blips met (what each try of a request got)", "", *(f"- {line}" for line in v.blips.listed)]
    return lines + ([f"- ... and {more} more request(s)"] if more > 0 else [])


def _replays(v: Verdict) -> str | None:
    """What sending failures again found; nothing when there was nothing to send again."""
    r = v.replays
    if r is None or not (r.sent or r.unsent or r.unavailable):
        return None
    return str(r.summary())


def _steps(v: Verdict) -> str | None:
    """The walk's own replays, which the Replays line does not count: a step is sent again as it fails."""
    if not v.steps_asked_again:
        return None
    return (
        f"Walk: {v.steps_asked_again} step(s) failed, then got their page when sent again (each a flaky finding, "
        "with every answer it got)."
    )


def run_lines(v: Verdict) -> list[str]:
    """The lines under the counts: what the gateway and the replays did, where they did anything."""
    return [line for line in (_throttling(v), _blips(v), _replays(v), _steps(v)) if line]


def reproduced(f: Finding) -> str:
    """How often a finding came back when its request was sent again, in words; "" when it was not sent again."""
    if not f.reproduced:
        return ""
    if f.verdict == FLAKY:
        return f"came back at {f.reproduced} tries"
    return f"reproduced {f.reproduced}"


def _finding(n: int, f: Finding) -> list[str]:
    again = reproduced(f)
    lines = [f"{n}. **{f.check}**: {f.rule}" + (f" ({again})" if again else "")]
    sources = f.source.splitlines()
    lines.append(f"   source: {sources[0]}")
    lines += [f"   and: {s}" for s in sources[1:]]
    lines += [f"   {m}" for m in [m for m in f.message.strip().splitlines() if m.strip()][:6]]
    if f.answers:
        lines.append("   every answer:")
        lines += [f"   {a}" for a in f.answers]
    else:
        lines += [f"   {c}" for c in f.curls]
    return [*lines, ""]


def changes_intro(r: Result) -> str:
    """How many changes there are against the baseline, and what those of shape do to the run."""
    assert r.changes is not None
    found, shape = len(r.changes.found), len(r.changes.of_shape)
    if not found:
        return "No change against CPH_BASELINE's observed.json."
    effect = (
        "they fail the run (CPH_FAIL_ON_CHANGE=1)"
        if r.fail_on_change
        else "they are notices (CPH_FAIL_ON_CHANGE=1 makes them fail the run)"
    )
    return (
        f"{found} change(s) against CPH_BASELINE's observed.json, {shape} of shape (fields, types, values, statuses, "
        f"error codes): {effect}."
    )


def changes_section(r: Result) -> list[str]:
    if r.changes is None:
        return []
    listed = [f"- {change}" + (" (shape)" if change.of_shape else "") for change in r.changes.found]
    listed += [f"- Note: {note}" for note in r.changes.notes]
    return [f"## Changes since {r.changes.since}", "", changes_intro(r), *(["", *listed] if listed else [])]


def render(r: Result) -> str:
    v = r.verdict
    lines = [f"# Conformance of {v.target}", "", f"**Verdict: {r.label}** (exit status {r.exit_status}).", ""]
    if not v.made:
        lines += ["## The run could not be made", ""]
        lines += [f"- {f.message}" for f in v.of(ERROR) if f.check == run_checks.setup.name]
        return "\n".join(lines).rstrip() + "\n"
    lines.append(_counts(v))
    lines += run_lines(v)
    judged = [name for name in v.judged if v.judged[name]]
    lines.append(f"{len(judged)} checks judged the run: what each judged is in the table of checks below.")
    lines += [f"Note: {n}" for n in v.notes]
    if r.changes is not None:
        lines += ["", *changes_section(r)]
    if r.exit_status == CANNOT_RUN and v.inconclusive:
        lines += ["", "## Inconclusive: too little was judged to pass", ""]
        lines += [f"- {reason}" for reason in v.inconclusive]
    for verdict in KINDS:
        found = v.of(verdict)
        if not found:
            continue
        lines += ["", f"## {TITLES[verdict]} ({len(found)} distinct)", ""]
        if verdict == FLAKY:
            lines += [flaky_intro(v), ""]
        for n, f in enumerate(found[:MAX_LISTED], 1):
            lines += _finding(n, f)
        if len(found) > MAX_LISTED:
            lines.append(f"... and {len(found) - MAX_LISTED} more distinct {verdict}s (see events.ndjson).")
    if not v.findings and r.exit_status == PASSED:
        lines += ["", "Every check passed."]
    lines += ["", *checks_table(v)]
    if statement_coverage(v):
        lines += ["", "## Statement coverage", "", coverage.table(v.judged).rstrip("\n")]
    blips = blips_section(v)
    if blips:
        lines += ["", *blips]
    lines += ["", *run_section(r)]
    if v.listings:
        lines += ["", "## Listings the walk compared", ""]
        lines += [f"- {line}" for line in v.listings]
    if v.probes:
        lines += ["", f"## Probes at the edges of what is accepted ({len(v.probes)})", ""]
        lines += [f"- {why}" for why in v.probes]
    return "\n".join(lines).rstrip() + "\n"


def flaky_intro(v: Verdict) -> str:
    effect = (
        "they fail the run (CPH_FAIL_ON_FLAKY=1)" if v.fail_on_flaky else "CPH_FAIL_ON_FLAKY=1 makes them fail the run"
    )
    return f"Each was sent again and did not come back every time; every answer it got is listed: {effect}."


def result(v: Verdict, name: str) -> str:
    """What became of a check in a run: failed, flaky, warned, passed, or judged nothing."""
    verdicts = {f.verdict for f in v.findings if f.check == name}
    if FAILURE in verdicts:
        return "failed"
    if FLAKY in verdicts:
        return "flaky"
    if WARNING in verdicts:
        return "passed, with warnings"
    return "passed" if v.judged.get(name) else "judged nothing"


def checks_rows(v: Verdict) -> list[tuple[str, str, int, str]]:
    """Every check the run ran, from the registry (whose rules.table() is the README's): (name, what it rests on,
    how much it judged, what became of it)."""
    every = checks.every()
    names = sorted({*v.expected_to_judge, *(n for n in v.judged if v.judged[n])})
    return [(n, every[n].kind if n in every else "the run", v.judged.get(n, 0), result(v, n)) for n in names]


def checks_table(v: Verdict) -> list[str]:
    rows = checks_rows(v)
    if not rows:
        return []
    lines = ["## Checks", "", "| check | rests on | judged | result |", "|---|---|---:|---|"]
    legend = (
        "Rests on: **page** = Huawei's documentation page; **huawei-docs** = another Huawei page; **sdk** = Huawei's "
        "SDK docstrings; **assumption** = the spec's own, a warning only; **the run** = the run itself, not a rule."
    )  # the same words under the HTML's table (templates/summary.html.jinja, #rests-on)
    return [*lines, *(f"| {n} | {kind} | {judged} | {outcome} |" for n, kind, judged, outcome in rows), "", legend]


def statement_coverage(v: Verdict) -> list[tuple[coverage.Covered, int]]:
    """Each statement with its checks and faults (checks/coverage.py) and how much its checks judged in this run, for
    both summaries, below the table of checks; [] when the run judged nothing."""
    return [(r, r.judged(v.judged)) for r in coverage.rows()] if any(v.judged.values()) else []


def run_section(r: Result) -> list[str]:
    """What the run was, and the command that replays it."""
    if r.about is None:
        return []
    lines = ["## The run", "", "| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in r.about.facts)]
    said = "To send the same requests again, from this project's folder, with the same credential in the environment:"
    return [*lines, "", said, "", "```sh", r.about.replay, "```"]


def render_junit(r: Result) -> str:
    """The graded verdict for CI dashboards: one testcase per check that judged something, with one <failure> holding
    every distinct cause; what kept the run from judging on a testcase of its own; warnings as output. schemathesis'
    own tally, which knows neither the walk nor the grading, is in schemathesis-junit.xml."""
    v = r.verdict
    suite = ElementTree.Element("testsuite", name="cph-conformance", tests="0", failures="0", errors="0")
    failing = (FAILURE, FLAKY) if v.fail_on_flaky else (FAILURE,)
    names = sorted({n for n in v.judged if v.judged[n]} | {f.check for f in v.findings if f.verdict in failing})
    for name in names:
        _junit_check(ElementTree.SubElement(suite, "testcase", classname="conformance", name=name), v, failing)
    if r.changes is not None:  # the comparison with the baseline: a failure only when it fails the run
        case = ElementTree.SubElement(suite, "testcase", classname="conformance", name="no change since the baseline")
        listed = "\n".join([changes_intro(r), *map(str, r.changes.found), *r.changes.notes])
        if r.changed_shape:
            first = str(r.changes.of_shape[0])
            ElementTree.SubElement(case, "failure", message=first[:300], type="changes of shape").text = listed
        else:
            ElementTree.SubElement(case, "system-out").text = listed
    problems = v.of(ERROR)
    if problems or v.inconclusive:
        name = "the run judges enough" if v.made else "the run could not be made"
        case = ElementTree.SubElement(suite, "testcase", classname="conformance", name=name)
        text = "\n".join([*v.inconclusive, *(f"{f.check}: {f.message}" for f in problems)])
        ElementTree.SubElement(case, "error", message=text.splitlines()[0][:300]).text = text
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(sum(1 for c in suite if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in suite if c.find("error") is not None)))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _junit_check(case: ElementTree.Element, v: Verdict, failing: tuple[str, ...]) -> None:
    """One check's testcase: a <failure> holding every cause that fails the run; its warnings (and flaky findings
    that do not fail it) as output."""
    name = case.get("name", "")
    failed = [f for f in v.findings if f.check == name and f.verdict in failing]
    if failed:
        text = "\n\n".join(
            "\n".join([f"source: {f.source}", f.message, reproduced(f), *(f.answers or f.curls)]) for f in failed
        )
        first = failed[0].message.strip().splitlines()[0]
        every = checks.every()
        rule = every[name].rule if name in every else failed[0].rule
        ElementTree.SubElement(case, "failure", message=f"{len(failed)} cause(s): {first}"[:300], type=rule).text = text
    said = [
        f"warning (an assumption of the spec): {f.message} ({f.source})"
        for f in v.findings
        if f.check == name and f.verdict == WARNING
    ]
    said += [
        "\n".join([f"flaky ({reproduced(f)}): {f.message}", *f.answers])
        for f in v.findings
        if f.check == name and f.verdict == FLAKY and FLAKY not in failing
    ]
    if said:
        ElementTree.SubElement(case, "system-out").text = "\n".join(said)


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return environment.get_template("summary.html.jinja")


def render_html(r: Result, runs: Sequence[dict[str, Any]] = ()) -> str:
    """The summary as one self-contained HTML page (templates/summary.html.jinja): no script, no style sheet, font
    or image from anywhere; the history of runs (this one last), when there is one, as an inline SVG chart."""
    v = r.verdict
    return _template().render(
        v=r,
        changes_intro=changes_intro(r) if r.changes is not None else "",
        chart=history.chart(runs),
        runs=len(runs),
        counts=_counts(v),
        run_lines=run_lines(v),
        flaky_intro=flaky_intro(v),
        reproduced=reproduced,
        inconclusive=v.inconclusive if r.exit_status == CANNOT_RUN else [],
        sections=[
            (kind, TITLES[kind] if v.made or kind != ERROR else "The run could not be made", v.of(kind)[:MAX_LISTED])
            for kind in KINDS
            if v.of(kind)
        ],
        checks=checks_rows(v),
        coverage=statement_coverage(v),
    )
