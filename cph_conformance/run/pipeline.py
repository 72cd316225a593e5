"""The one pipeline of a conformance run, which the runner and the tests both call: a target and its sender in, a
Verdict out. In order: the preflight (a setup problem stops the run with a reason), schemathesis' cases (through
the gateway), the walk and the probes; then every answer judged by every check, every failure sent again, and the
evidence weighed. Every request goes through the one sender, whichever part sends it.
"""

from __future__ import annotations

import dataclasses
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cph_conformance.run import checks
from cph_conformance.run.checks import probes
from cph_conformance.run.checks import run as run_checks
from cph_conformance.run.checks.evidence import Case, Probed
from cph_conformance.run.checks.registry import CASE, Drift
from cph_conformance.run.collect import walk as walking
from cph_conformance.run.collect.cases import Cases
from cph_conformance.run.transport import gateway, preflight
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.transport.patience import AGAIN
from cph_conformance.run.transport.sender import Sender
from cph_conformance.run.transport.target import Target
from cph_conformance.run.verdict import replay, shrunk
from cph_conformance.run.verdict.findings import Finding, error
from cph_conformance.run.verdict.judge import CASES, PROBES, REPLAYS, WALK, Facts, Stopped, judge
from cph_conformance.run.verdict.verdict import (
    Blips,
    Throttling,
    Verdict,
    blips_of,
    findings_of,
    stopped_finding,
    throttling_of,
)

CasesSource = Callable[[str], Cases]  # the gateway's URL -> schemathesis' cases sent through it


@dataclass(frozen=True)
class Plan:
    """What the run does, from its settings."""

    walk: bool = True  # the walk and the probes (CPH_WALK)
    probes: bool = True  # the probes, after the walk (the tests may leave them out)
    again: int = AGAIN  # more tries of a failure, a blip, a failing step (CPH_REPLAY=0: none)
    strict: bool = False  # the strict-only checks too (CPH_STRICT)
    fail_on_flaky: bool = False  # flaky findings fail the run (CPH_FAIL_ON_FLAKY)
    rate_limit: str = ""  # as the reports name it
    walk_budget: int = walking.MAX_REQUESTS
    replays: int = replay.BUDGET  # requests the replays may send
    notes: tuple[str, ...] = ()
    pause: Callable[[float], None] = time.sleep  # between the tries of a failing request or step
    say: Callable[[str], None] = print  # what the run is doing, for the console


def conform(target: Target, sender: Sender, cases: CasesSource | None, plan: Plan) -> Verdict:
    """Preflight, schemathesis, the walk and the probes against the target through its sender; then the verdict. A
    part the deadline kept from starting does not start; what it cut short or kept from running is said (Stopped)."""
    preflight.check(sender, target)
    cut: list[tuple[str, str]] = []
    found = None
    if cases is not None and sender.deadline.passed:
        cut.append((CASES, "not run"))
    elif cases is not None:
        with gateway.running(sender) as gw:
            found = cases(gw.base_url)
        if found.stopped:
            cut.append((CASES, f"stopped after {found.count} case(s)"))
    walked, probed = None, None
    if plan.walk and sender.deadline.passed:
        cut += [(WALK, "not run"), *([(PROBES, "not run")] if plan.probes else [])]
    elif plan.walk:
        plan.say("==> the walk and the probes: listings, relations between queries, edges of what is accepted")
        walked = walking.run(sender, plan.walk_budget, plan.again, plan.pause)
        if sender.cut["walk"]:
            cut.append((WALK, f"stopped after {len(walked.listings)} listing(s)"))
        if plan.probes:
            probed = tuple(
                Probed(p, sender.get(p.query, p.project, p.auth, phase="probe"))
                for p in probes.plan(target.project_id, walked.marker, target.credential.misplaced)
            )
            if sender.cut["probe"]:
                cut.append((PROBES, f"{sender.cut['probe']} of {len(probed)} not sent or cut short"))
    log = sender.log
    facts = Facts(
        tuple(_phased(log, found)),
        tuple(sender.throttled()),
        _cases(found, log),
        walked,
        probed,
        found.status if found else 0,
        _stopped(sender, cut),
    )
    errors = _errors(found)
    shrinking = shrunk.of(found, log) if found is not None else None
    return weigh(target.shown, facts, plan, sender, errors, found.count if found else 0, shrinking=shrinking)


def weigh(
    target: str,
    facts: Facts,
    plan: Plan,
    sender: Sender | None = None,
    errors: Sequence[Finding] = (),
    cases: int = 0,
    resender: replay.Replaying | None = None,
    shrinking: shrunk.Shrinking | None = None,
) -> Verdict:
    """The verdict on what the run collected: every check judges its evidence, each cause is one finding, and every
    failure is sent again through the sender (when there is one, and the plan sends again; or through resender).
    shrinking: what schemathesis' fuzzing shrank (each finding's smallest shrunk case comes first)."""
    shrinking = shrinking or shrunk.Shrinking()
    judgement = judge(facts, plan.strict)
    judgement = dataclasses.replace(judgement, drifts=shrunk.first(judgement.drifts, shrinking))
    findings = findings_of(judgement, facts, [*errors, *_ungraded(facts, judgement.drifts, shrinking)])
    findings = shrunk.told(findings, judgement.drifts, shrinking)
    walked = facts.walk
    recovered = [ex for step in walked.retried for ex in step.tries if not ex.judged] if walked else []
    if resender is None and sender is not None:
        resender = replay.Resender(sender, plan.again, plan.walk_budget, plan.pause)
    findings, replays = _sent_again(findings, judgement.drifts, facts, plan, resender, recovered)
    recovered += replays.answered if replays else []
    stopped = _replays_cut(facts.stopped, replays, sender)
    if stopped is not None and stopped.parts:  # the cause first: what it cut short follows from it
        findings = [stopped_finding(stopped), *findings]
    return Verdict(
        target,
        tuple(findings),
        judgement.judged,
        facts.ran,
        facts.answers,
        cases,
        facts.probed or (),
        walked,
        throttling_of(sender.patience) if sender else Throttling(),
        blips_of(sender.patience) if sender else Blips(),
        replays,
        plan.rate_limit,
        plan.strict,
        plan.fail_on_flaky,
        (*plan.notes, *filter(None, [shrinking.note()])),
        tuple(recovered),
        stopped,
    )


def _sent_again(
    findings: list[Finding],
    drifts: Sequence[Drift],
    facts: Facts,
    plan: Plan,
    resender: replay.Replaying | None,
    recovered: Sequence[Exchange],
) -> tuple[list[Finding], replay.Replays | None]:
    """Every failure sent again (when the plan sends again and something can): drift only if it comes back."""
    if not plan.again or resender is None:
        return findings, None
    plan.say("==> the failures sent again: drift only if it comes back every time")
    lost = [ex for ex in facts.answers if ex.transient and ex not in recovered]
    cost = len(facts.walk.exchanges) if facts.walk else 0
    return replay.confirm(findings, drifts, lost, resender, cost, plan.replays, plan.again, plan.pause)


def _replays_cut(stopped: Stopped | None, replays: replay.Replays | None, sender: Sender | None) -> Stopped | None:
    """What the deadline stopped, with the replays it kept from being sent or cut short, if it did."""
    late, cut = replays.late if replays else 0, sender.cut["replay"] if sender else 0
    if not (late or cut):
        return stopped
    what = [f"{late} failure(s) or lost request(s) not sent again" if late else ""]
    what += [f"{cut} request(s) cut short while they were sent" if cut else ""]
    return (stopped or _stopped(sender) or Stopped()).cut(REPLAYS, ", ".join(filter(None, what)))


def _phased(log: Sequence[Exchange], found: Cases | None) -> list[Exchange]:
    """The log, each of schemathesis' requests in the phase of its case (examples, coverage, fuzzing)."""
    phases = found.phases if found else {}
    return [
        dataclasses.replace(ex, phase=phases.get(ex.case_id, ex.phase)) if ex.case_id else ex
        for ex in log
        if ex.phase != "replay"
    ]


def _cases(found: Cases | None, log: Sequence[Exchange]) -> tuple[Case, ...] | None:
    """Each outcome of schemathesis' checks, with the answer it judged (None: schemathesis did not run)."""
    if found is None:
        return None
    answers = {ex.case_id: ex for ex in _phased(log, found) if ex.case_id}
    return tuple(Case(o.check, o.failure, answers[o.case_id]) for o in found.outcomes if o.case_id in answers)


def _stopped(sender: Sender | None, cut: Sequence[tuple[str, str]] = ()) -> Stopped | None:
    """What the deadline cut short, when it stopped the run; None while it has not."""
    if sender is None or not sender.deadline.why:
        return None
    return Stopped(sender.deadline.seconds, sender.deadline.asked, tuple(cut))


def _errors(found: Cases | None) -> list[Finding]:
    """What kept the run from judging, beyond the checks: schemathesis' own errors; but when the deadline stopped
    schemathesis, what it then did not write follows from that (the deadline says so)."""
    if found is None or found.stopped:
        return []
    return [error(run_checks.schemathesis, message) for message in found.errors]


def _ungraded(facts: Facts, drifts: Sequence[Drift], shrinking: shrunk.Shrinking) -> list[Finding]:
    """Schemathesis ended with a failing status, and no check of its cases found anything in them to grade, nor did
    the run find the drift its check of the project's rules failed a case for: said, never hidden (such as its
    missing_auth warning, which schemathesis.toml makes fail its run)."""
    status = facts.schemathesis_status
    stopped = facts.stopped is not None and any(part == CASES for part, _ in facts.stopped.parts)
    if (
        status in (0, None)
        or stopped  # the deadline stopped it: its status is the run's signal, and the deadline says so
        or shrunk.explains(shrinking, drifts)
        or any(checks.every()[d.check].by == CASE for d in drifts)
    ):
        return []
    if status < 0:
        said = f"schemathesis was ended by signal {-status} ({_signal_name(-status)}), not by this run, before it "
        said += "reported its cases: something on this machine stopped it (out of memory, a CI job's timeout)"
    else:
        said = (
            f"schemathesis ended with status {status} and reported nothing to grade: its output above says why (such "
            "as missing_auth: every request was refused)"
        )
    return [error(run_checks.schemathesis, said)]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"
