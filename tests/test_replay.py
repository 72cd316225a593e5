"""No failure without a reproduction (replay.py), both ways, from tables, with answers made here: a
failure that comes back at every try is drift and says so; one that does not is flaky, with every answer it got;
what was lost and comes when sent again is flaky, what never comes means the endpoint was unavailable; the replays
keep to their budget and never send a throttled answer again."""

from __future__ import annotations

import functools
from collections.abc import Collection
from xml.etree import ElementTree

import pytest

from cph_conformance import spec
from cph_conformance.run import pipeline
from cph_conformance.run.checks.evidence import parts_of
from cph_conformance.run.collect import walk
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.result import Result
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.transport.patience import AGAIN
from cph_conformance.run.verdict import replay
from cph_conformance.run.verdict.findings import ERROR, FAILURE, FLAKY, WARNING
from cph_conformance.run.verdict.judge import Facts
from cph_conformance.run.verdict.verdict import CANNOT_RUN, DRIFT, PASSED, Verdict
from tests import inprocess

URL = "https://cph.example/v1/0123456789abcdef0123456789abcdef/cloud-phone/phone-images"
JSON = {"content-type": "application/json"}
PAGE = Exchange("GET", f"{URL}?image_type=share", VALID, 200, JSON, spec.example_response())
FAILED = Exchange("GET", f"{URL}?image_type=share", VALID, 500, JSON, spec.error_example(500))
THROTTLED = Exchange("GET", f"{URL}?image_type=share", VALID, 429, {"content-type": "text/html"}, None, "<html/>")
LOST = Exchange("GET", f"{URL}?image_type=private", VALID, None, {}, None, "no answer: ConnectError")
BLIP = Exchange("GET", f"{URL}?image_type=private", VALID, 503, JSON, spec.error_example(500))


class Scripted:
    """What the replays send through, scripted: each exchange sent again gets the next of these answers (the last one
    again when they run out), each walk the next of these services (pages-skip's, or the clean mock's)."""

    def __init__(self, *answers: Exchange, walks: tuple[str | None, ...] = ()) -> None:
        self._answers = iter(answers)
        self._last = answers[-1] if answers else PAGE
        self._walks = walks
        self.attempt = 0
        self.requests: list[Exchange] = []
        self.walked: list[set[str]] = []
        self._walked_requests = 0

    @property
    def sent(self) -> int:
        return len(self.requests) + self._walked_requests

    @property
    def out_of_time(self) -> bool:
        return False

    def again(self, ex: Exchange) -> Exchange:
        self.requests.append(ex)
        self._last = next(self._answers, self._last)
        return self._last

    def walk(self, only: Collection[str]) -> walk.Walk:
        self.walked.append(set(only))
        service = self._walks[self.attempt - 1] if self.attempt <= len(self._walks) else None
        done = walk_of(service, frozenset(only))
        self._walked_requests += len(done.exchanges)
        return done


@functools.cache  # a service in process walks the same way each time; weighing reads a walk, never changes it
def walk_of(service: str | None, only: frozenset[str]) -> walk.Walk:
    return walk.run(inprocess.sender(service), only=only)


def confirmed(
    first: list[Exchange],
    *again: Exchange,
    budget: int = replay.BUDGET,
    flaky_fails: bool = False,
    throttled: tuple[Exchange, ...] = (),
    scripted: Scripted | None = None,
    done: walk.Walk | None = None,
) -> Verdict:
    plan = pipeline.Plan(
        again=AGAIN, fail_on_flaky=flaky_fails, replays=budget, pause=lambda _: None, say=lambda _: None
    )
    facts = Facts(tuple(first), throttled, walk=done)
    return pipeline.weigh("x", facts, plan, resender=scripted or Scripted(*again))


@pytest.mark.parametrize(
    ("again", "verdict", "reproduced", "exit_status"),
    [
        ((FAILED, FAILED), FAILURE, f"{AGAIN + 1}/{AGAIN + 1}", DRIFT),  # back at every try: drift
        ((PAGE, FAILED), FLAKY, f"2/{AGAIN + 1}", PASSED),  # not every time: flaky, which fails nothing
        ((PAGE, PAGE), FLAKY, f"1/{AGAIN + 1}", PASSED),
        ((BLIP, BLIP), FLAKY, f"1/{AGAIN + 1}", PASSED),  # sent again, no answer to judge: not back
    ],
)
def test_a_failure_counts_as_drift_only_when_it_comes_back_every_time(
    again: tuple[Exchange, ...], verdict: str, reproduced: str, exit_status: int
) -> None:
    v = confirmed([PAGE, FAILED], *again)
    found = [f for f in v.findings if f.check == "not_a_server_error"]
    assert [(f.verdict, f.reproduced) for f in found] == [(verdict, reproduced)]
    assert v.exit_status == exit_status
    if verdict == FLAKY:  # every answer it got, the first one first, each with its curl line
        assert len(found[0].answers) == AGAIN + 1 and found[0].answers[0].startswith("1. 500 ")
        assert all("curl -X GET" in a for a in found[0].answers)


def test_a_conclusive_failure_is_drift_on_first_sight_and_never_sent_again() -> None:
    """Two different requests answered with one request_id (request_ids is conclusive): whatever a cache answers
    next time, the two answers stay what they were. A failure of another check is sent again as ever."""
    other = Exchange("GET", f"{URL}?image_type=share&limit=5", VALID, 200, JSON, spec.example_response())
    scripted = Scripted(PAGE)
    v = confirmed([PAGE, other, FAILED], scripted=scripted)
    found = {f.check: (f.verdict, f.reproduced) for f in v.findings}
    assert found["request_ids"] == (FAILURE, replay.CONCLUSIVE)
    assert found["not_a_server_error"] == (FLAKY, f"1/{AGAIN + 1}")
    assert scripted.requests == [FAILED] * AGAIN  # only the other check's evidence was sent again
    assert v.replays is not None and v.replays.conclusive == 1 and "conclusive at first sight" in v.replays.summary()
    assert v.exit_status == DRIFT


def test_flaky_fails_the_run_when_asked_to() -> None:
    v = confirmed([PAGE, FAILED], PAGE, FAILED, flaky_fails=True)
    assert v.of(FLAKY) and v.exit_status == DRIFT and v.label == "flaky"


@pytest.mark.parametrize(
    ("budget", "sent"),
    [(0, 0), (AGAIN - 1, 0), (AGAIN, AGAIN)],  # a failure is sent again whole, or not at all
)
def test_the_replays_keep_to_their_budget_and_what_is_left_keeps_its_verdict(budget: int, sent: int) -> None:
    scripted = Scripted(PAGE)
    v = confirmed([PAGE, FAILED], budget=budget, scripted=scripted)
    assert v.replays is not None
    assert len(scripted.requests) == v.replays.sent == sent
    failures = [f for f in v.findings if f.check == "not_a_server_error"]
    assert failures[0].verdict == (FAILURE if not sent else FLAKY)
    assert v.replays.unsent == (0 if sent else 1)


def test_a_throttled_answer_is_never_sent_again() -> None:
    scripted = Scripted(PAGE)
    v = confirmed([PAGE], throttled=(THROTTLED,), scripted=scripted)
    assert scripted.requests == [] and [f.verdict for f in v.findings if f.check == "content_type_conformance"] == [
        FAILURE
    ]


@pytest.mark.parametrize(
    ("lost", "again", "verdict", "exit_status"),
    [
        (LOST, (PAGE,), FLAKY, PASSED),  # answered when sent again: a blip, listed
        (BLIP, (BLIP, PAGE), FLAKY, PASSED),
        (LOST, (LOST,), WARNING, PASSED),  # never answered: the endpoint was unavailable for it, a warning
        (BLIP, (BLIP,), WARNING, PASSED),
    ],
)
def test_a_request_without_an_answer_is_sent_again(
    lost: Exchange, again: tuple[Exchange, ...], verdict: str, exit_status: int
) -> None:
    v = confirmed([*pages(40), lost], *again)
    assert [f.verdict for f in v.findings if f.check == "availability"] == [verdict]
    assert v.exit_status == exit_status
    assert (lost in v.unjudged) == (verdict == WARNING)


@pytest.mark.parametrize(
    ("lost", "exit_status"),
    [
        (1, PASSED),  # 1 of 41 answers never given: every check judged, and what was lost is listed
        (2, PASSED),  # 2 of 42: under UNJUDGED_SHARE
        (3, CANNOT_RUN),  # 3 of 43: more than UNJUDGED_SHARE judged nothing: inconclusive
    ],
)
def test_answers_never_given_are_listed_and_weighed_with_what_judged_nothing(lost: int, exit_status: int) -> None:
    """A hostile or flaky endpoint that drops a request now and then does not stop the run as one that could not run:
    each request it never answered is listed (a warning of the run itself, its curl line), and only more than the
    share of answers a run may lose makes it inconclusive."""
    never = [
        Exchange("GET", f"{URL}?image_type=private&n={n}", VALID, None, {}, None, "no answer: ReadTimeout")
        for n in range(lost)
    ]
    v = confirmed([*pages(40), *never], LOST)
    (found,) = [f for f in v.findings if f.check == "availability"]
    assert found.verdict == WARNING and found.count == lost and all("ReadTimeout" in i.message for i in found.instances)
    assert v.exit_status == exit_status and not v.of(ERROR)
    assert bool(v.inconclusive) == (exit_status == CANNOT_RUN)
    if v.inconclusive:
        assert "more than 5%" in v.inconclusive[0] and "The endpoint was unavailable for them" in v.inconclusive[0]


def pages(count: int) -> list[Exchange]:
    return [
        Exchange("GET", f"{URL}?n={n}", VALID, 200, JSON, {**spec.example_response(), "request_id": f"r{n}"})
        for n in range(count)
    ]


def first_walk_of_pages_skip() -> walk.Walk:
    return walk_of("pages-skip", frozenset())


@pytest.mark.parametrize(
    ("found", "verdict", "reproduced"),
    [((True, True), FAILURE, f"{AGAIN + 1}/{AGAIN + 1}"), ((False, True), FLAKY, f"2/{AGAIN + 1}")],
)
def test_a_failure_of_the_walk_is_judged_again_on_new_walks(
    found: tuple[bool, ...], verdict: str, reproduced: str
) -> None:
    """Walks of a service whose image shared with the project is missing from its pages of one image, in turn:
    found[n], the nth new walk lists share as the first did (the image missing), else whole."""
    first = first_walk_of_pages_skip()
    turns = tuple("pages-skip" if f else None for f in found)
    v = confirmed(list(first.exchanges), done=first, scripted=Scripted(PAGE, walks=turns))
    assert {(f.verdict, f.reproduced) for f in v.findings if f.check == "same_listing_at_any_limit"} == {
        (verdict, reproduced)
    }


def test_a_new_walk_lists_only_the_image_types_the_failures_concern() -> None:
    first = first_walk_of_pages_skip()
    scripted = Scripted(PAGE)
    v = confirmed(list(first.exchanges), done=first, scripted=scripted)
    named = {f.key[0] for f in v.findings if f.check == "same_listing_at_any_limit"}
    assert named and scripted.walked
    assert all(asked in [parts_of(selection) for selection in named] for asked in scripted.walked)


def listing_of(n: int, **names: str) -> Exchange:
    """A page of two images, with these names (image_id -> image_name), request n."""
    images = [
        {**spec.example_response()["phone_images"][0], "image_id": i, "image_name": name} for i, name in names.items()
    ]
    body = {"request_id": f"r{n}", "phone_images": images}
    return Exchange("GET", f"{URL}?image_type=public&n={n % 2}", VALID, 200, JSON, body)


@pytest.mark.parametrize(
    ("again", "verdict"),
    [
        # The same image disagrees again: the same failure.
        ((listing_of(3, a="one", b="x"), listing_of(4, a="two", b="x")) * 2, FAILURE),
        # Another image disagrees on the same field: another failure, come by chance; this one did not come back.
        ((listing_of(3, a="one", b="x"), listing_of(4, a="one", b="y")) * 2, FLAKY),
    ],
)
def test_a_failure_across_answers_comes_back_only_as_the_same_disagreement(
    again: tuple[Exchange, ...], verdict: str
) -> None:
    v = confirmed([listing_of(1, a="one", b="x"), listing_of(2, a="two", b="x")], *again)
    assert [f.verdict for f in v.findings if f.check == "image_identity"] == [verdict]


@pytest.mark.parametrize(
    ("url", "raw"),
    [
        (
            f"{URL}?marker=a%2Fb%3D&image_type=all",
            b"/v1/0123456789abcdef0123456789abcdef/cloud-phone/phone-images?marker=a%2Fb%3D&image_type=all",
        ),
        (URL, b"/v1/0123456789abcdef0123456789abcdef/cloud-phone/phone-images"),  # no query: no "?"
        (f"{URL}?marker=", b"/v1/0123456789abcdef0123456789abcdef/cloud-phone/phone-images?marker="),
    ],
)
def test_a_request_is_sent_again_as_it_was_sent(url: str, raw: bytes) -> None:
    """The path and query a replay sends, percent-encoding kept (a marker decoded and encoded again may differ)."""
    assert Exchange("GET", url, VALID, 200).raw_path == raw


class Late(Scripted):
    """Scripted, with the run's deadline passing once `sends` requests were sent again."""

    def __init__(self, *answers: Exchange, sends: int) -> None:
        super().__init__(*answers)
        self.sends = sends

    @property
    def out_of_time(self) -> bool:
        return len(self.requests) >= self.sends


@pytest.mark.parametrize(
    ("sends", "verdict", "late"),
    [
        (AGAIN, FAILURE, 0),  # every try sent in time: drift, reproduced
        (1, FAILURE, 1),  # the deadline passed at the first try: it keeps its verdict, never flaky by the deadline
        (0, FAILURE, 1),  # passed before: not sent again, kept
    ],
)
def test_a_failure_the_deadline_kept_from_its_tries_keeps_its_verdict_and_the_deadline_says_so(
    sends: int, verdict: str, late: int
) -> None:
    v = confirmed([PAGE, FAILED], scripted=Late(FAILED, sends=sends))
    assert [f.verdict for f in v.findings if f.check == "not_a_server_error"] == [verdict]
    assert v.replays is not None and v.replays.late == late
    deadline = [f for f in v.findings if f.check == "deadline"]
    assert len(deadline) == (1 if late else 0)
    if late:  # cutting the replays short costs no judgement: a warning, naming the cause first, with its advice
        assert deadline[0].verdict == WARNING and v.findings[0] is deadline[0]
        assert "Cut short: the replays (1 failure(s) or lost request(s) not sent again)" in deadline[0].message
        assert "Raise CPH_DEADLINE" in deadline[0].message and v.exit_status == DRIFT


def test_one_request_never_answered_and_replays_the_deadline_cut_short_fail_nothing() -> None:
    """The trial's C5b: one request of many never answered, sent again until the deadline passed. Every check judged:
    the run passes, and says both, each a warning of the run itself, in every report."""
    v = confirmed([*pages(40), LOST], scripted=Late(LOST, sends=1))
    assert v.exit_status == PASSED and not v.of(ERROR) and v.inconclusive == []
    assert [(f.check, f.verdict) for f in v.of(WARNING)] == [("deadline", WARNING), ("availability", WARNING)]
    r = Result(v)
    lines = report.first_lines(r)
    assert any(line.startswith("deadline: ") for line in lines) and any(
        line.startswith("availability: ") for line in lines
    )
    assert "2 warning(s) of the run itself (deadline, availability" in lines[-1]
    md = report.render(r)
    assert "### 1. deadline" in md or "deadline" in md.split("## Warnings")[1]
    assert LOST.curl.split(" '")[0] in md and "image_type=private" in md.split("## Warnings")[1]
    suite = ElementTree.fromstring(report.render_junit(r))  # noqa: S314  (our own output)
    said = {case.get("name"): case.findtext("system-out") or "" for case in suite}
    assert "warning (the run itself): the endpoint never answered 1 request(s)" in said["availability"]
    assert suite.get("errors") == "0" and suite.get("failures") == "0"
