"""A finding: one cause of one check's verdict, as the reports show it: the check and its rule, what the rule rests on
(the statements quoted, or the assumption), what was found, and the curl lines that send its requests again.

One finding per check, verdict and cause (a drift's typed cause, whatever its selection): each drift of it is one of
its instances (where: the drift's selection and instance; what was found; the requests that show it), so that five
listings that lose images at five page sizes are one finding with five instances, not five findings.

A drift is a failure when the statements its check cites state the rule, and a warning when it breaks only an
assumption of the spec; a failure that did not come back every time it was sent again is flaky; what kept the run
from judging is an error (the run's own checks: cph_conformance.run.checks.run); what the run met that costs it
little (a few requests the endpoint never answered, replays its deadline cut short) is a warning of the run itself:
shown, failing nothing, and weighed with the rest of what the run could not judge (verdict.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

from cph_conformance import spec
from cph_conformance.run.checks.registry import Check, Drift, kind_of
from cph_conformance.run.transport.exchange import Exchange, curl

FAILURE, WARNING, ERROR, FLAKY = "failure", "warning", "error", "flaky"
MAX_CURLS = 4
RUN_SOURCE = "the run itself"  # what the findings of the run's own checks rest on
MAX_INSTANCES = 200  # instances kept per finding (the rest are counted): an answer check may fail on every answer


class Sent(NamedTuple):
    """A request as the endpoint saw it: enough to send it again."""

    method: str
    url: str
    auth: str

    @property
    def curl(self) -> str:
        return curl(self.method, self.url, self.auth)

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)


@dataclass(frozen=True)
class Instance:
    """One drift of a finding: where it is, what was found, and the requests that show it."""

    selection: str  # the image type (or other selection) it concerns; "" when none
    instance: str  # exactly where, when the check says (a listing's query); "" when it does not
    message: str
    sent: tuple[Sent, ...]

    @property
    def size(self) -> tuple[int, int, int]:
        """How small a reproduction it makes: its requests, then the sum of their numeric parameters (a page size,
        a limit), then their length; the smallest is shown first."""
        numbers = sum(int(v) for s in self.sent for _, v in s.query if v.isascii() and v.isdigit() and len(v) < 12)
        return len(self.sent), numbers, sum(len(s.url) for s in self.sent)


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
    instances: tuple[Instance, ...] = ()  # each drift of this cause, in the order found (up to MAX_INSTANCES)
    more: int = 0  # instances found beyond those kept
    rests_on: str = ""  # the kind of source its own statements are, where they are not its check's; "": its check's

    @property
    def cause(self) -> str:
        return self.key[1]

    @property
    def count(self) -> int:
        """How many instances it has: its drifts (1 for a finding made of none, such as an error)."""
        return len(self.instances) + self.more or 1

    @property
    def selections(self) -> tuple[str, ...]:
        """What it concerns (image types), in the order found; none when nothing in particular."""
        found = [i.selection for i in self.instances] if self.instances else [self.key[0]]
        return tuple(s for s in dict.fromkeys(found) if s)

    @property
    def smallest(self) -> Instance | None:
        """The instance with the fewest requests and the smallest parameters: the reproduction to show first."""
        return min(self.instances, key=lambda i: i.size, default=None)


def source_of(cites: Iterable[str], assumed: str = "") -> str:
    """What a finding rests on, as the report prints it: each statement on a line, or the assumption."""
    statements = [spec.statements()[c] for c in cites]
    if assumed or not statements:
        return f"assumption: {assumed or 'no Huawei source states it'}"
    return "\n".join(str(s) for s in statements)


def curls_of(exchanges: Iterable[Exchange]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ex.curl for ex in exchanges))[:MAX_CURLS]


def sent_of(exchanges: Iterable[Exchange]) -> tuple[Sent, ...]:
    """The distinct requests of some exchanges, in order."""
    return tuple(dict.fromkeys(Sent(ex.method, ex.url, ex.auth) for ex in exchanges))


def of_drift(check: Check, drift: Drift) -> Finding:
    if drift.ours:  # the project's own fault: an error of the run, which no replay changes
        source = f"the run itself: {drift.ours}"
        return Finding(check.name, ERROR, check.rule, source, drift.message, curls_of(drift.exchanges), drift.key)
    cites = drift.citations if drift.citations is not None else check.cites
    assumed = drift.assumed or ("" if cites else check.assumed)
    verdict = WARNING if assumed else FAILURE
    source = source_of(cites, assumed)
    found = Instance(drift.selection, drift.instance, drift.message, sent_of(drift.exchanges))
    curls = curls_of(drift.exchanges)
    own = kind_of(cites) if drift.citations is not None and not assumed else ""
    return Finding(
        check.name, verdict, check.rule, source, drift.message, curls, drift.key, instances=(found,), rests_on=own
    )


def error(check: Check, message: str, curls: Sequence[str] = (), key: str = "") -> Finding:
    """Something that kept the run from judging: not drift, and never a pass."""
    return Finding(check.name, ERROR, check.rule, RUN_SOURCE, message, tuple(curls), ("", key or message))


def noticed(check: Check, message: str, key: str, exchanges: Sequence[Exchange] = ()) -> Finding:
    """What the run met that fails nothing but must be seen: a warning of the run itself, each of its requests an
    instance (a request the endpoint never answered, with what it got instead)."""
    found = tuple(Instance("", "", ex.error or answer(ex), sent_of([ex])) for ex in exchanges)
    kept, more = found[:MAX_INSTANCES], max(0, len(found) - MAX_INSTANCES)
    curls = curls_of(exchanges)
    return Finding(check.name, WARNING, check.rule, RUN_SOURCE, message, curls, ("", key), instances=kept, more=more)


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
    """The findings with one more: one per check, verdict and cause; a repeat adds its instances (the first keeps its
    key, which the replays send again) and its curl lines."""
    for n, known in enumerate(findings):
        if (known.check, known.verdict, known.cause) == (new.check, new.verdict, new.cause):
            # An answer check may fail on every answer of a long run: once full, only counted (no copies).
            curls = known.curls if len(known.curls) >= MAX_CURLS else tuple(dict.fromkeys(known.curls + new.curls))
            room = MAX_INSTANCES - len(known.instances)
            kept = (*known.instances, *new.instances[:room]) if room > 0 else known.instances
            more = known.more + new.more + max(0, len(new.instances) - max(room, 0))
            merged = replace(known, curls=curls[:MAX_CURLS], instances=kept, more=more)
            return [*findings[:n], merged, *findings[n + 1 :]]
    return [*findings, new]
