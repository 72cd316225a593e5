"""A finding: one cause of one check's verdict, as the reports show it: the check and its rule, what the rule rests on
(the statements quoted, or the assumption), what was found, and the curl lines that send its requests again.

A drift is a failure when the statements its check cites state the rule, and a warning when it breaks only an
assumption of the spec; a failure that did not come back every time it was sent again is flaky; what kept the run
from judging is an error (the run's own checks: cph_conformance.run.checks.run).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from cph_conformance import spec
from cph_conformance.run.checks.registry import Check, Drift
from cph_conformance.run.transport.exchange import Exchange

FAILURE, WARNING, ERROR, FLAKY = "failure", "warning", "error", "flaky"
MAX_CURLS = 4


@dataclass(frozen=True)
class Finding:
    check: str
    verdict: str  # FAILURE, WARNING, ERROR or FLAKY
    rule: str
    source: str  # the statements that state the rule, quoted; or "assumption: why"
    message: str
    curls: tuple[str, ...] = ()
    key: tuple[str, str] = ("", "")  # (selection, cause): one finding per check, verdict and key
    reproduced: str = ""  # how often the failure came back when sent again: "3/3" (drift), "1/3" (flaky); a
    # conclusive check's failure, not sent again, says so (replay.CONCLUSIVE)
    answers: tuple[str, ...] = ()  # a flaky finding's answers, each as seen, with its curl line


def source_of(cites: Iterable[str], assumed: str = "") -> str:
    """What a finding rests on, as the report prints it: each statement on a line, or the assumption."""
    statements = [spec.statements()[c] for c in cites]
    if assumed or not statements:
        return f"assumption: {assumed or 'no Huawei source states it'}"
    return "\n".join(str(s) for s in statements)


def curls_of(exchanges: Iterable[Exchange]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ex.curl for ex in exchanges))[:MAX_CURLS]


def of_drift(check: Check, drift: Drift) -> Finding:
    if drift.ours:  # the project's own fault: an error of the run, which no replay changes
        source = f"the run itself: {drift.ours}"
        return Finding(check.name, ERROR, check.rule, source, drift.message, curls_of(drift.exchanges), drift.key)
    cites = drift.citations if drift.citations is not None else check.cites
    assumed = drift.assumed or ("" if cites else check.assumed)
    verdict = WARNING if assumed else FAILURE
    source = source_of(cites, assumed)
    return Finding(check.name, verdict, check.rule, source, drift.message, curls_of(drift.exchanges), drift.key)


def error(check: Check, message: str, curls: Sequence[str] = (), key: str = "") -> Finding:
    """Something that kept the run from judging: not drift, and never a pass."""
    return Finding(check.name, ERROR, check.rule, "the run itself", message, tuple(curls), ("", key or message))


def flaky(check: Check, key: tuple[str, str], message: str, answers: Sequence[Exchange], failed: int) -> Finding:
    """A failure that did not come back every time it was sent (it failed `failed` times): every answer it got,
    each with its curl line."""
    source = source_of(check.cites, check.assumed) if check.fn is not None else availability_source()
    seen = tuple(f"{n}. {answer(ex)} — {ex.curl}" for n, ex in enumerate(answers, 1))
    return Finding(
        check.name, FLAKY, check.rule, source, message, (answers[0].curl,), key, f"{failed}/{len(answers)}", seen
    )


def availability_source() -> str:
    """What the blips rest on: the statements of the spec's transient answers."""
    node = next(r for code, r in spec.operation()["responses"].items() if int(code) in spec.statuses_when("transient"))
    return source_of(spec.cites(spec.deref(node)))


def answer(ex: Exchange) -> str:
    """An answer in a few words: its status and the start of its body, or why there was none."""
    if not ex.answered:
        return f"no answer ({ex.error})"
    return f"{ex.status} {ex.shown()}"


def added(findings: Sequence[Finding], new: Finding) -> list[Finding]:
    """The findings with one more: one per check, verdict and key; a repeat only adds its curl lines."""
    for n, known in enumerate(findings):
        if (known.check, known.verdict, known.key) == (new.check, new.verdict, new.key):
            curls = tuple(dict.fromkeys(known.curls + new.curls))[:MAX_CURLS]
            return [*findings[:n], replace(known, curls=curls), *findings[n + 1 :]]
    return [*findings, new]
