"""Schemathesis' hooks module (cases.HOOKS): the project's per-answer rules as a check of schemathesis, so that
Hypothesis shrinks a case of the fuzzing phase that breaks one before it is reported. It is loaded by the CLI child
(SCHEMATHESIS_HOOKS) and by the engine in this process (cases.engine_config), the same module either way.

The check (cases.RULES) turns schemathesis' answer into the run's Exchange, as the sender read it (the gateway hands
on why a body was not read whole), and judges it with every check of one answer (kind ANSWER): Check.judge, as the
run judges it afterwards. Only a failure fails schemathesis' case: a drift that rests on an assumption (a check that
cites no statement, or Drift.assumed: findings.of_drift grades it a warning) never does, so Hypothesis never
shrinks towards one.

Why a seam as well: in schemathesis 4.32.5 no check's failure reaches Hypothesis. schemathesis.toml sets
continue-on-failure (a failure is recorded, the case goes on), and without it schemathesis raises a FailureGroup,
which is a BaseExceptionGroup: Hypothesis takes it for an interruption, not a failure, and neither shrinks nor goes
on. So the test body of the fuzzing phase (schemathesis.engine.run.unit._case.run_one_case) is wrapped: a case this
check failed raises that failure, as an Exception, once schemathesis has recorded everything, and Hypothesis shrinks
it. One failure class per finding (check, selection, cause), so that Hypothesis shrinks each finding on its own. A
finding that a request without query parameters shows has nothing to shrink: Hypothesis is not told of it (once
told of a failure, it generates few more cases). The other phases send every case, as before.

The cap (CPH_SHRINK_REQUESTS): once a fuzzing case has broken a rule, the phase may send that many more requests
(a few more cases, then the shrinking); then it stops, every case it sent kept: the smallest found so far is among
them. A request sent before is not sent again: its answer is known. 0: Hypothesis is told of nothing, nothing is
shrunk, and the fuzzing phase runs as it did before this module.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import schemathesis
from schemathesis.core.failures import Failure, FailureGroup

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks.registry import ANSWER, Drift
from cph_conformance.run.collect.cases import RULES
from cph_conformance.run.transport import bounds
from cph_conformance.run.transport.exchange import Exchange, Outgoing
from cph_conformance.run.transport.gateway import ERROR_HEADER, LOST_HEADER, UNREAD_HEADER, auth_of
from cph_conformance.run.transport.lost import Lost
from cph_conformance.run.verdict.findings import FAILURE, of_drift
from cph_conformance.run.verdict.shrunk import FUZZING, size

# --- schemathesis' answer as the run's ----------------------------------------------------------------------------


def exchange_of(response: Any, case: Any) -> Exchange:
    """Schemathesis' request and the gateway's answer to it, as the sender read it: the gateway's 502 with
    ERROR_HEADER is no answer (LOST_HEADER its class); UNREAD_HEADER says why a body is no value (too large,
    undecodable)."""
    request = response.request
    parts = urlsplit(str(request.url))
    raw_path = (parts.path + (f"?{parts.query}" if parts.query else "")).encode("latin-1", "replace")
    sent = request.headers.get(spec.auth_header())
    out = Outgoing(str(request.method), raw_path, auth_of(sent), "schemathesis", case_id=str(case.id))
    headers = {name.lower(): values[0] for name, values in response.headers.items() if values}
    url = str(request.url)
    if ERROR_HEADER.lower() in headers:
        kind = headers.get(LOST_HEADER.lower(), "")
        lost = Lost(kind) if kind in {k.value for k in Lost} else None
        return Exchange(out.method, url, out.auth, None, text=headers[ERROR_HEADER.lower()], request=out, lost=lost)
    content = bytes(response.content or b"")
    unread = headers.pop(UNREAD_HEADER.lower(), "")
    body, not_json = (None, "") if unread else bounds.decode(content)
    text = content[: bounds.TEXT_KEPT].decode("utf-8", "replace")
    why = unread or (not_json if content.strip() else "")
    return Exchange(out.method, url, out.auth, response.status_code, headers, body, text, "", None, why, 0, out)


def failures(ex: Exchange, strict: bool = False) -> list[Drift]:
    """The drifts of one answer that fail the run: every check of one answer (the strict-only ones when strict), as
    the run judges every answer it got, less each drift that rests on an assumption (a check that cites no
    statement, or Drift.assumed): findings.of_drift grades them."""
    if not ex.judged:
        return []
    found = []
    for check in checks.of(ANSWER, strict):
        if check.judging(ex):
            found += [d for d in check.judge(ex) if of_drift(check, d).verdict == FAILURE]
    return found


# --- the failures schemathesis records, and Hypothesis shrinks -----------------------------------------------------


class RuleBroken(Failure):
    """A sourced rule of the project, broken by one answer. Each finding has its own subclass (broken_by)."""

    code = "ST901"
    kind_title = "A rule of cph-conformance broken"

    def again(self) -> RuleBroken:
        """The same failure, a new exception: the one recorded stays as schemathesis recorded it."""
        return type(self)(operation=self.operation, title=self.title, message=self.message, case_id=self.case_id)


@functools.cache
def broken_by(check: str, selection: str, cause: str) -> type[RuleBroken]:
    """The failure class of one finding: schemathesis counts a failure once per class, and Hypothesis shrinks each
    failure class on its own (its interesting origin is the exception's type)."""
    return type(f"RuleBroken[{check}|{selection}|{cause}]", (RuleBroken,), {"__slots__": ()})


def failure_of(drift: Drift, operation: str, case_id: str) -> RuleBroken:
    check = checks.every()[drift.check]
    rests_on = ", ".join(drift.citations if drift.citations is not None else check.cites)
    message = f"{drift.message}\n\nRule: {check.rule}\nRests on: {rests_on}"
    kind = broken_by(drift.check, *drift.key)
    return kind(operation=operation, title=f"{drift.check} ({drift.cause})", message=message, case_id=case_id)


class project_rules:  # schemathesis names a check after its class: cases.RULES
    """The check: every answer schemathesis gets, judged by the project's sourced rules of one answer. One instance
    per run: it also keeps the fuzzing phase's count of requests for the cap (fuzz)."""

    def __init__(self) -> None:
        # Set by the run (cases.rules_settings): by run_cli for the CLI child, by run_engine while the engine runs.
        # Without them (schemathesis' pytest plugin) nothing is shrunk and no strict-only check judges.
        self.cap = int(os.environ.get("CPH_SHRINK_REQUESTS") or 0)
        self.strict = os.environ.get("CPH_STRICT") == "1"
        self._lock = threading.Lock()
        self._broken: dict[str, list[RuleBroken]] = {}  # case id -> what this check recorded of it
        self._known: dict[int, RuleBroken | None] = {}  # a request (schemathesis' hash of a case) -> its outcome
        self._bare: set[type[RuleBroken]] = set()  # findings a request without query parameters shows
        self._hunting = False  # a fuzzing case has broken a rule: the cap counts from here
        self._spent = 0  # requests sent since

    def after_response(self, ctx: Any, response: Any, case: Any) -> bool | None:
        ex = exchange_of(response, case)
        if not ex.judged:
            return True  # no answer to judge (none, throttled, a blip): the check is skipped, not passed
        found = sorted(failures(ex, self.strict), key=lambda d: (d.check, d.key))
        if not found:
            return None
        broken = [failure_of(d, case.operation.label, case.id) for d in found]
        with self._lock:
            if str(ctx.phase) == FUZZING:
                self._broken[case.id] = broken  # for fuzz(), which the fuzzing phase calls next
            if size(ex)[0] == 0:  # in any phase: the examples' and coverage's bare requests come first
                self._bare.update(type(b) for b in broken)
        raise broken[0] if len(broken) == 1 else FailureGroup(broken)

    def fuzz(self, case: Any, send: Callable[[], None], recorder: Any) -> None:
        """One case of the fuzzing phase: sent (send), within the cap; a rule it broke raised for Hypothesis."""
        broken = self._outcome(case, send, recorder)
        if broken is not None:
            # One place raises it: Hypothesis tells failures apart by type and place, and replays must match.
            raise broken.again()

    def _outcome(self, case: Any, send: Callable[[], None], recorder: Any) -> RuleBroken | None:
        request = hash(case)
        with self._lock:
            if self._hunting and request in self._known:
                return self._known[request]  # the same request: its answer is known, nothing is sent
            if self._hunting and self._spent >= self.cap:
                raise _budget_spent()
        before = len(recorder.interactions)
        send()
        with self._lock:
            if self._hunting:
                self._spent += len(recorder.interactions) - before
            # A finding a request without query parameters shows has nothing to shrink: Hypothesis is not told, and
            # goes on generating cases (it stops soon after the first failure it is told of).
            broken = [b for b in self._broken.pop(case.id, []) if type(b) not in self._bare]
            self._known[request] = broken[0] if broken and self.cap else None
            self._hunting = self._hunting or self._known[request] is not None
            return self._known[request]


def _budget_spent() -> BaseException:
    """What stops schemathesis' fuzzing of an operation early and keeps every case it recorded (its own, for a
    time budget spent)."""
    from schemathesis.engine.run.unit._case import BudgetExpired

    return BudgetExpired()


# --- the seam ------------------------------------------------------------------------------------------------------


def _wrap_fuzzing() -> None:
    """Wrap the fuzzing phase's test body, once: a case goes through project_rules.fuzz when the run has the check."""
    from schemathesis.engine.run.unit import _case

    body = _case.run_one_case
    if getattr(body, "cph_conformance", False):
        return

    @functools.wraps(body)
    def run_one_case(*, case: Any, ctx: Any, scenario: Any, errors: Any, pending_events: Any) -> None:
        def send() -> None:
            body(case=case, ctx=ctx, scenario=scenario, errors=errors, pending_events=pending_events)

        rules = ctx.checks.instances.get(RULES)
        if not isinstance(rules, project_rules) or str(scenario.phase) != FUZZING:
            send()
            return
        rules.fuzz(case, send, scenario.recorder)

    run_one_case.cph_conformance = True  # type: ignore[attr-defined]
    _case.run_one_case = run_one_case


project_rules.__name__ = project_rules.__qualname__ = RULES
schemathesis.check(project_rules)
_wrap_fuzzing()
