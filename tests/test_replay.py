"""No failure without a reproduction (replay.py), both ways, from tables, with answers made here: a
failure that comes back at every try is drift and says so; one that does not is flaky, with every answer it got;
what was lost and comes when sent again is flaky, what never comes means the endpoint was unavailable; the replays
keep to their budget and never send a throttled answer again."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

import pytest

from cph_conformance import spec
from cph_conformance.run.collect import walk
from cph_conformance.run.transport.exchange import ERROR_HEADER, Exchange
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.patience import AGAIN
from cph_conformance.run.verdict import replay
from cph_conformance.run.verdict.verdict import CANNOT_RUN, DRIFT, ERROR, FAILURE, FLAKY, PASSED, Verdict
from tests import inprocess

URL = "https://cph.example/v1/0123456789abcdef0123456789abcdef/cloud-phone/phone-images"
JSON = {"content-type": "application/json"}
PAGE = Exchange("GET", f"{URL}?image_type=share", VALID, 200, JSON, spec.example_response())
FAILED = Exchange("GET", f"{URL}?image_type=share", VALID, 500, JSON, spec.error_example(500))
THROTTLED = Exchange("GET", f"{URL}?image_type=share", VALID, 429, {"content-type": "text/html"}, None, "<html/>")
LOST = Exchange("GET", f"{URL}?image_type=private", VALID, 502, {ERROR_HEADER.lower(): "unreachable: ConnectError"})
BLIP = Exchange("GET", f"{URL}?image_type=private", VALID, 503, JSON, spec.error_example(500))


def answering(*answers: Exchange) -> tuple[replay.Resend, list[Exchange]]:
    """A resend that gives these answers in turn (the last one again when they run out), and what it was sent."""
    given = iter(answers)
    sent: list[Exchange] = []

    def resend(ex: Exchange) -> Exchange:
        sent.append(ex)
        return next(given, answers[-1])

    return resend, sent


def confirmed(
    first: list[Exchange], *again: Exchange, budget: int = replay.BUDGET, flaky_fails: bool = False
) -> Verdict:
    v = Verdict("x", fail_on_flaky=flaky_fails)
    v.judge_answers(first)
    resend, _ = answering(*again)
    v.replays = replay.confirm(v, resend, None, budget=budget, pause=lambda _: None)
    return v


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


def test_flaky_fails_the_run_when_asked_to() -> None:
    v = confirmed([PAGE, FAILED], PAGE, FAILED, flaky_fails=True)
    assert v.of(FLAKY) and v.exit_status == DRIFT and v.label == "flaky"


@pytest.mark.parametrize(
    ("budget", "sent"),
    [(0, 0), (AGAIN - 1, 0), (AGAIN, AGAIN)],  # a failure is sent again whole, or not at all
)
def test_the_replays_keep_to_their_budget_and_what_is_left_keeps_its_verdict(budget: int, sent: int) -> None:
    v = Verdict("x")
    v.judge_answers([PAGE, FAILED])
    resend, requests = answering(PAGE)
    v.replays = replay.confirm(v, resend, None, budget=budget, pause=lambda _: None)
    assert len(requests) == v.replays.sent == sent
    failures = [f for f in v.findings if f.check == "not_a_server_error"]
    assert failures[0].verdict == (FAILURE if not sent else FLAKY)
    assert v.replays.unsent == (0 if sent else 1)


def test_a_throttled_answer_is_never_sent_again() -> None:
    v = Verdict("x")
    v.judge_answers([PAGE])
    v.judge_throttled([THROTTLED])
    resend, requests = answering(PAGE)
    v.replays = replay.confirm(v, resend, None, pause=lambda _: None)
    assert requests == [] and [f.verdict for f in v.findings if f.check == "content_type_conformance"] == [FAILURE]


@pytest.mark.parametrize(
    ("lost", "again", "verdict", "exit_status"),
    [
        (LOST, (PAGE,), FLAKY, PASSED),  # answered when sent again: a blip, listed
        (BLIP, (BLIP, PAGE), FLAKY, PASSED),
        (LOST, (LOST,), ERROR, CANNOT_RUN),  # never answered: the endpoint was unavailable
        (BLIP, (BLIP,), ERROR, CANNOT_RUN),
    ],
)
def test_a_request_without_an_answer_is_sent_again(
    lost: Exchange, again: tuple[Exchange, ...], verdict: str, exit_status: int
) -> None:
    pages = [
        Exchange("GET", f"{URL}?n={n}", VALID, 200, JSON, {**spec.example_response(), "request_id": f"r{n}"})
        for n in range(40)
    ]
    v = confirmed([*pages, lost], *again)
    assert [f.verdict for f in v.findings if f.check == "availability"] == [verdict]
    assert v.exit_status == exit_status
    assert (lost in v.unjudged) == (verdict == ERROR)


def walks(*found: bool) -> Callable[[Collection[str]], walk.Walk]:
    """Walks of a service whose image shared with the project is missing from its pages of one image, in turn:
    found[n], the nth new walk lists share as the first did (the image missing), else whole."""
    faulty = inprocess.fetch("pages-skip")
    clean = inprocess.fetch()
    turns: Iterator[bool] = iter(found)

    def rewalk(only: Collection[str]) -> walk.Walk:
        return walk.run(faulty if next(turns) else clean, only=only)

    return rewalk


@pytest.mark.parametrize(
    ("found", "verdict", "reproduced"),
    [((True, True), FAILURE, f"{AGAIN + 1}/{AGAIN + 1}"), ((False, True), FLAKY, f"2/{AGAIN + 1}")],
)
def test_a_failure_of_the_walk_is_judged_again_on_new_walks(
    found: tuple[bool, ...], verdict: str, reproduced: str
) -> None:
    first = walk.run(inprocess.fetch("pages-skip"))
    v = Verdict("x")
    v.judge(first.exchanges, walk=first)
    keys = {f.key for f in v.findings if f.check == "same_listing_at_any_limit"}
    assert keys
    resend, _ = answering(PAGE)
    v.replays = replay.confirm(v, resend, walks(*found), pause=lambda _: None)
    assert {(f.verdict, f.reproduced) for f in v.findings if f.check == "same_listing_at_any_limit"} == {
        (verdict, reproduced)
    }


def test_a_new_walk_lists_only_the_image_types_the_failures_concern() -> None:
    asked: list[Any] = []

    def rewalk(only: Collection[str]) -> walk.Walk:
        asked.append(set(only))
        return walk.run(inprocess.fetch(), only=only)

    first = walk.run(inprocess.fetch("pages-skip"))
    v = Verdict("x")
    v.judge(first.exchanges, walk=first)
    replay.confirm(v, answering(PAGE)[0], rewalk, pause=lambda _: None)
    named = {f.key.split(":")[0] for f in v.findings if f.check == "same_listing_at_any_limit"}
    assert asked and asked[0] >= named


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
