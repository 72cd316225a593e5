"""The run's reports, rendered from its verdict (verdict.py): summary.md (also printed, and appended
to a GitHub job's page), summary.html and junit.xml, and the console's last lines (first_lines).

What broke comes first, before any detail: the verdict, a table of the checks that failed the run (each check's rule
in one line, its instances, how often they came back when sent again), the likely root of several failures
(causes.py), and how many warnings there are. Then one finding per check and cause, the check's statements quoted
once, the cause's instances folded under it and its smallest reproduction first (reproduce.py): a block that works
when pasted after the run. No distinct cause is hidden. Compared with a baseline, the summaries list what changed
since (cph_conformance.run.report.changes); with a history, summary.html draws it (cph_conformance.run.report.history).

Whatever the endpoint sent is data: escaped for the medium that shows it (escape.py): Markdown that makes no HTML,
image, link or heading of it; XML that stays well-formed; HTML by the template's autoescape; the console without
the characters a terminal acts on. Commands go in fenced blocks longer than any run of backticks they hold."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jinja2

from cph_conformance.run import checks
from cph_conformance.run.checks import coverage
from cph_conformance.run.checks import run as run_checks
from cph_conformance.run.report import causes, escape, history
from cph_conformance.run.report.result import Result
from cph_conformance.run.report.shown import MAX_LISTED, RESTS_ON, Group, groups, reproduced, rests_on, shown
from cph_conformance.run.verdict.findings import ERROR, FAILURE, FLAKY, RUN_SOURCE, WARNING, Finding
from cph_conformance.run.verdict.verdict import PASSED, Verdict

LEGEND = "Rests on: " + "; ".join(f"**{kind}** = {said}" for kind, said in RESTS_ON.items()) + "."
TITLES = {
    FAILURE: "Failures: drift from Huawei's sources",
    ERROR: "Errors: what kept the run from judging",
    WARNING: "Warnings: the spec's assumptions, not failures",
    FLAKY: "Flaky: failures that did not come back every time they were sent",
}
OWN_WARNINGS = "Warnings: the spec's assumptions and what the run met, not failures"
KINDS = (FAILURE, ERROR, FLAKY, WARNING)  # the order of the report's sections
INCONCLUSIVE = "Inconclusive: too little was judged to pass"
NOT_JUDGED = "Not judged: what the run could not judge (the failures decide the verdict)"
MAX_STOPPING = 5  # errors and warnings of the run itself the console names


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
        "not, each sent again later as a whole (a flaky finding if it was then answered, a warning if never). "
        "They are listed below the checks."
    )


def blips_section(v: Verdict) -> list[str]:
    if not v.blips.listed:
        return []
    more = v.blips.recovered + v.blips.unavailable - len(v.blips.listed)
    lines = ["## Blips met (what each try of a request got)", "", *(f"- {md(line)}" for line in v.blips.listed)]
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


def masked_line(r: Result) -> str | None:
    """What was masked, and how many times (the run's Secrets.summary()); None when nothing was."""
    return f"Secrets: the run's credential was {r.masked}, wherever it appeared." if r.masked else None


# --- the endpoint's text, escaped for each medium -------------------------------------------------------------------


def md(text: str) -> str:
    """Text that may hold what the endpoint sent, as one line of Markdown that shows it as it was (escape.py)."""
    return escape.markdown(escape.bound(text), one_line=True)


def fenced(lines: Sequence[str], info: str = "sh", indent: str = "") -> list[str]:
    """Lines in a fenced code block that nothing in them can end: its fence longer than any run of backticks."""
    shown = [escape.console(line) for line in lines]
    longest = max((len(run) for line in shown for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{indent}{fence}{info}", *(f"{indent}{line}" for line in shown), f"{indent}{fence}"]


def xml(text: str) -> str:
    return escape.xml(text)


# --- what broke: the first screen -----------------------------------------------------------------------------------


def failed_table(v: Verdict) -> list[str]:
    """The checks that failed the run, likely roots first: check, rule, instances, reproduced; then the root's
    sentence. [] when none failed."""
    rows = causes.broken(v)
    if not rows:
        return []
    lines = ["| failed check | rule | instances | reproduced |", "|---|---|---:|---|"]
    for row in rows:
        role = f" ({row.role})" if row.role else ""
        name = f"**{row.check}**" if row.explains else row.check
        lines.append(f"| {name}{role} | {md(row.rule)} | {row.instances} | {row.reproduced} |")
    root = causes.root_line(rows)
    return [*lines, *(["", root] if root else [])]


def stopping(v: Verdict) -> list[str]:
    """What kept the run from judging (its errors, the deadline's first) and what it met that costs it little (the
    run's own warnings), a line each, for the console."""
    said = [f for f in v.findings if f.verdict == ERROR or (f.verdict == WARNING and f.source == RUN_SOURCE)]
    return [f"{f.check}: {f.message.strip().splitlines()[0]}" for f in said[:MAX_STOPPING]]


def first_lines(r: Result) -> list[str]:
    """What broke, for the console's last lines: the verdict, each check that failed the run with its rule, its
    instances and how often they came back, the likely root, and the warnings; or why the run judged nothing. Plain
    text, nothing in it a terminal acts on; the caller adds where the reports are."""
    v = r.verdict
    lines = [f"Verdict: {r.label} (exit status {r.exit_status})."]
    if not v.made:
        return lines + [escape.console(f.message) for f in v.of(ERROR) if f.check == run_checks.setup.name]
    rows = causes.broken(v)
    if rows:
        lines.append("Failed checks (likely roots first):")
        for row in rows:
            role = f" ({row.role})" if row.role else ""
            lines.append(f"  {row.check}{role}: {row.rule}; {row.instances} instance(s), reproduced: {row.reproduced}")
        root = causes.root_line(rows)
        lines += [root] if root else []
    lines += [escape.console(line) for line in stopping(v)]
    lines += [escape.console(reason) for reason in v.inconclusive]
    if r.changed_shape and r.changes is not None:
        lines.append(changes_intro(r))
    return [*lines, causes.counts(v)]


# --- one finding per check and cause --------------------------------------------------------------------------------


def _group_md(n: int, g: Group) -> list[str]:
    lines = [f"### {n}. {g.check}" + (f": {g.role}" if g.role else ""), ""]
    lines += [f"Rule: {md(g.rule)}", "", f"Rests on **{g.rests_on}** ({RESTS_ON.get(g.rests_on, g.rests_on)}):"]
    for source in g.sources:  # each its own quote: lines of one would run together
        lines += ["", f"> {md(source)}"]
    lines.append("")
    for s in g.findings:
        lines += [f"#### {md(s.headline)}", ""]
        if s.smallest is not None:
            what = len(s.smallest.sent)
            lines += [f"Smallest reproduction ({what} request(s)): {md(s.smallest.message)}", "", *fenced(s.block), ""]
        lines += [*(f"Note: {md(note)}" for note in s.notes), *([""] if s.notes else [])]
        if len(s.listed) > 1 or s.unlisted or (s.listed and s.listed[0][1] > 1):
            lines += [f"Every instance ({s.finding.count}):", ""]
            lines += [f"- {md(message)}" + (f" ({count} times)" if count > 1 else "") for message, count in s.listed]
            lines += [f"- ... and {s.unlisted} more"] if s.unlisted else []
            lines.append("")
    return lines


def _plain_md(n: int, f: Finding) -> list[str]:
    """A finding without instances (an error, a flaky one): its message, then every answer or its curl lines."""
    again = reproduced(f)
    lines = [f"{n}. **{f.check}**: {md(f.rule)}" + (f" ({again})" if again else "")]
    sources = f.source.splitlines()
    lines.append(f"   source: {md(sources[0])}")
    lines += [f"   and: {md(s)}" for s in sources[1:]]
    lines += [f"   {md(m)}" for m in [m for m in f.message.strip().splitlines() if m.strip()][:6]]
    if f.answers:
        lines.append("   every answer:")
        lines += [f"   {md(a)}" for a in f.answers]
    elif f.curls:
        lines += ["", *fenced(f.curls, indent="   ")]
    return [*lines, ""]


def title(v: Verdict, kind: str) -> str:
    """A section's title: the warnings' names the run's own too, when it has some (answers never given, ...)."""
    if kind == WARNING and any(f.source == RUN_SOURCE for f in v.of(WARNING)):
        return OWN_WARNINGS
    return TITLES[kind]


def section_md(r: Result, kind: str) -> list[str]:
    v = r.verdict
    found = v.of(kind)
    if not found:
        return []
    if kind in (FAILURE, WARNING):
        made = groups(r, kind)
        lines = ["", f"## {title(v, kind)} ({len(found)} distinct cause(s) in {len(made)} check(s))", ""]
        for n, g in enumerate(made, 1):
            lines += _group_md(n, g)
    else:
        lines = ["", f"## {title(v, kind)} ({len(found)} distinct)", ""]
        if kind == FLAKY:
            lines += [flaky_intro(v), ""]
        for n, f in enumerate(found[:MAX_LISTED], 1):
            lines += _plain_md(n, f)
    if len(found) > MAX_LISTED:
        lines.append(f"... and {len(found) - MAX_LISTED} more distinct {kind}s (see events.ndjson).")
    return lines


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
    listed = [f"- {md(str(change))}" + (" (shape)" if change.of_shape else "") for change in r.changes.found]
    listed += [f"- Note: {md(note)}" for note in r.changes.notes]
    return [f"## Changes since {md(r.changes.since)}", "", changes_intro(r), *(["", *listed] if listed else [])]


def render(r: Result) -> str:
    v = r.verdict
    lines = [f"# Conformance of {md(v.target)}", "", f"**Verdict: {r.label}** (exit status {r.exit_status}).", ""]
    if not v.made:
        lines += ["## The run could not be made", ""]
        lines += [f"- {md(f.message)}" for f in v.of(ERROR) if f.check == run_checks.setup.name]
        return "\n".join(lines).rstrip() + "\n"
    failed = failed_table(v)
    if failed:
        lines += [*failed, ""]
    elif r.exit_status == PASSED:
        lines += ["Every check passed." if not v.findings else "No check failed.", ""]
    lines.append(causes.counts(v))
    if v.made and v.inconclusive:
        lines += ["", f"## {INCONCLUSIVE}", "", *(f"- {md(reason)}" for reason in v.inconclusive)]
    lines += ["", "## The run in numbers", "", _counts(v)]
    lines += run_lines(v)
    masked = masked_line(r)
    lines += [masked] if masked else []
    judged = [name for name in v.judged if v.judged[name]]
    lines.append(f"{len(judged)} checks judged the run: what each judged is in the table of checks below.")
    lines += [f"Note: {md(n)}" for n in v.notes]
    if r.changes is not None:
        lines += ["", *changes_section(r)]
    for kind in KINDS:
        lines += section_md(r, kind)
    if not_judged(v):
        lines += ["", f"## {NOT_JUDGED}", "", *(f"- {md(reason)}" for reason in not_judged(v))]
    lines += ["", *checks_table(v)]
    if statement_coverage(v):
        lines += ["", "## Statement coverage", "", coverage.table(v.judged).rstrip("\n")]
    blips = blips_section(v)
    if blips:
        lines += ["", *blips]
    lines += ["", *run_section(r)]
    if v.listings:
        lines += ["", "## Listings the walk compared", ""]
        lines += [f"- {md(line)}" for line in v.listings]
    if v.probes:
        lines += ["", f"## Probes at the edges of what is accepted ({len(v.probes)})", ""]
        lines += [f"- {md(why)}" for why in v.probes]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


def not_judged(v: Verdict) -> list[str]:
    """What the run judged too little of when a failure decides its verdict anyway (else it is inconclusive, and
    says so first): shown beside the table of checks, as junit.xml skips each check that judged nothing."""
    return v.too_little if v.made and not v.inconclusive else []


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
    names = sorted({*v.expected_to_judge, *(n for n in v.judged if v.judged[n])})
    failed = {n: [f for f in v.failures if f.check == n] for n in names}  # as their findings say what they rest on
    return [(n, rests_on(n, failed[n]), v.judged.get(n, 0), result(v, n)) for n in names]


def checks_table(v: Verdict) -> list[str]:
    rows = checks_rows(v)
    if not rows:
        return []
    lines = ["## Checks", "", "| check | rests on | judged | result |", "|---|---|---:|---|"]
    return [*lines, *(f"| {n} | {kind} | {judged} | {outcome} |" for n, kind, judged, outcome in rows), "", LEGEND]


def statement_coverage(v: Verdict) -> list[tuple[coverage.Covered, int]]:
    """Each statement with its checks and faults (checks/coverage.py) and how much its checks judged in this run, for
    both summaries, below the table of checks; [] when the run judged nothing."""
    return [(r, r.judged(v.judged)) for r in coverage.rows()] if any(v.judged.values()) else []


def run_section(r: Result) -> list[str]:
    """What the run was, and the command that replays it."""
    if r.about is None or not r.about.facts:
        return []
    lines = ["## The run", "", "| | |", "|---|---|", *(f"| {name} | {md(value)} |" for name, value in r.about.facts)]
    said = "To send the same requests again, from this project's folder, with the same credential in the environment:"
    return [*lines, "", said, "", *fenced([r.about.replay])]


def render_junit(r: Result) -> str:
    """The graded verdict for CI dashboards: one testcase per check that judged something, with one <failure> holding
    every distinct cause; each check that judged nothing skipped, with the cause; what kept the run from judging (its
    errors, the cause first, and why it is inconclusive when it is: as summary.md says) on a testcase of its own;
    warnings as output. schemathesis' own tally, which knows neither the walk nor the grading, is in
    schemathesis-junit.xml. Every text is one XML can
    hold (escape.xml): the document stays well-formed whatever the endpoint sent."""
    v = r.verdict
    suite = ElementTree.Element("testsuite", name="cph-conformance", tests="0", failures="0", errors="0", skipped="0")
    failing = causes.failing(v)
    shown = {*failing, WARNING}  # the run's own warnings too: checks of the run judge nothing
    names = sorted({n for n in v.judged if v.judged[n]} | {f.check for f in v.findings if f.verdict in shown})
    for name in names:
        _junit_check(ElementTree.SubElement(suite, "testcase", classname="conformance", name=name), r, failing)
    for name, why in v.silent.items() if v.made else ():  # a check that judged nothing, with the cause
        case = ElementTree.SubElement(suite, "testcase", classname="conformance", name=name)
        said = xml(f"judged nothing: {why}")
        ElementTree.SubElement(case, "skipped", message=escape.bound(said, 300)).text = said
    if r.changes is not None:  # the comparison with the baseline: a failure only when it fails the run
        case = ElementTree.SubElement(suite, "testcase", classname="conformance", name="no change since the baseline")
        listed = "\n".join([changes_intro(r), *map(str, r.changes.found), *r.changes.notes])
        if r.changed_shape:
            first = xml(str(r.changes.of_shape[0])[:300])
            ElementTree.SubElement(case, "failure", message=first, type="changes of shape").text = xml(listed)
        else:
            ElementTree.SubElement(case, "system-out").text = xml(listed)
    problems = v.of(ERROR)
    reasons = v.inconclusive if v.made else []  # as summary.md's Inconclusive section: only when it is
    if problems or reasons:
        name = "the run judges enough" if v.made else "the run could not be made"
        case = ElementTree.SubElement(suite, "testcase", classname="conformance", name=name)
        text = "\n".join([*(f"{f.check}: {f.message}" for f in problems), *reasons])  # the cause first
        ElementTree.SubElement(case, "error", message=xml(text.splitlines()[0][:300])).text = xml(text)
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(sum(1 for c in suite if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in suite if c.find("error") is not None)))
    suite.set("skipped", str(sum(1 for c in suite if c.find("skipped") is not None)))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _junit_text(f: Finding, r: Result) -> str:
    """One cause of a check's failure: its source, its instances, how often it came back, its smallest reproduction
    (or every answer of a flaky one)."""
    s = shown(f, r)
    lines = [f"source: {f.source}", s.headline]
    lines += [message for message, _ in s.listed] if s.listed else [f.message]
    lines += [reproduced(f)] if reproduced(f) else []
    lines += list(f.answers) if f.answers else list(s.block or f.curls)
    return "\n".join(lines)


def _junit_check(case: ElementTree.Element, r: Result, failing: tuple[str, ...]) -> None:
    """One check's testcase: a <failure> holding every cause that fails the run; its warnings (and flaky findings
    that do not fail it) as output."""
    v = r.verdict
    name = case.get("name", "")
    failed = [f for f in v.findings if f.check == name and f.verdict in failing]
    if failed:
        text = "\n\n".join(_junit_text(f, r) for f in failed)
        first = failed[0].message.strip().splitlines()[0]
        every = checks.every()
        rule = every[name].rule if name in every else failed[0].rule
        role = next((row.role for row in causes.broken(v) if row.check == name and row.role), "")
        message = xml(f"{len(failed)} cause(s){f' ({role})' if role else ''}: {first}"[:300])
        ElementTree.SubElement(case, "failure", message=message, type=rule).text = xml(text)
    said = [
        f"warning ({'the run itself' if f.source == RUN_SOURCE else 'an assumption of the spec'}): {f.message}"
        + ("" if f.source == RUN_SOURCE else f" ({f.source})")
        for f in v.findings
        if f.check == name and f.verdict == WARNING
    ]
    said += [
        "\n".join([f"flaky ({reproduced(f)}): {f.message}", *f.answers])
        for f in v.findings
        if f.check == name and f.verdict == FLAKY and FLAKY not in failing
    ]
    if said:
        ElementTree.SubElement(case, "system-out").text = xml("\n".join(said))


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["data"] = lambda text: escape.console(str(text), keep_newlines=True)
    return environment.get_template("summary.html.jinja")


def render_html(r: Result, runs: Sequence[dict[str, Any]] = ()) -> str:
    """The summary as one self-contained HTML page (templates/summary.html.jinja): no script, no style sheet, font
    or image from anywhere; the history of runs (this one last), when there is one, as an inline SVG chart."""
    v = r.verdict
    rows = causes.broken(v) if v.made else []
    return _template().render(
        v=r,
        changes_intro=changes_intro(r) if r.changes is not None else "",
        chart=history.chart(runs),
        runs=len(runs),
        counts=_counts(v),
        run_lines=run_lines(v),
        masked=masked_line(r) or "",
        flaky_intro=flaky_intro(v),
        reproduced=reproduced,
        inconclusive=v.inconclusive if v.made else [],
        inconclusive_title=INCONCLUSIVE,
        not_judged=not_judged(v),
        not_judged_title=NOT_JUDGED,
        failed=rows,
        root=causes.root_line(rows) or "",
        also=causes.counts(v),
        passed=r.exit_status == PASSED,
        groups={kind: groups(r, kind) for kind in (FAILURE, WARNING)},
        rests_on=RESTS_ON,
        sections=[
            (kind, title(v, kind) if v.made or kind != ERROR else "The run could not be made", v.of(kind)[:MAX_LISTED])
            for kind in KINDS
            if v.of(kind)
        ],
        checks=checks_rows(v),
        coverage=statement_coverage(v),
    )
