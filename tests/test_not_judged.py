"""Why a check judged nothing, and what that does to the verdict, both ways, from tables of runs made here (no server):
the reason names the cause the run knows (the walk's listings broke off, the walk stopped, answers that could not be
read, throttled or never given, the deadline), never a generic one when it knows better; and every report (summary.md,
summary.html, junit.xml, the console) says the same about whether the run is inconclusive."""

from __future__ import annotations

from typing import Any, cast
from xml.etree import ElementTree

import pytest

from cph_conformance import spec
from cph_conformance.run.collect import walk
from cph_conformance.run.collect.walk import LAST, NO_PAGE, Listing
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.result import Result
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.verdict.judge import WALK, Facts, Stopped
from cph_conformance.run.verdict.verdict import CANNOT_RUN, DRIFT, Verdict
from tests import inprocess

URL = "https://cph.example" + spec.OPERATION_PATH.format(project_id=inprocess.PROJECT)
JSON = {"content-type": "application/json"}
LARGEST = spec.limit_bounds()[1]
TYPES = tuple(spec.image_type_selects())  # public, private, share, all


def answer(query: str, status: int = 200, body: Any = None, unreadable: str = "", n: int = 0) -> Exchange:
    if body is None and not unreadable:
        body = {**spec.example_response(), "request_id": f"{n:032x}"} if status == 200 else spec.error_example(status)
    text = "<<not json>>" if unreadable else ""
    return Exchange("GET", f"{URL}?{query}", VALID, status, JSON, body, text, "walk", unreadable=unreadable)


def empty_page(selection: str, n: int, unlisted: bool = False) -> Exchange:
    body = {"request_id": f"{n:032x}", **({} if unlisted else {"phone_images": []})}
    return answer(f"image_type={selection}&limit={LARGEST}", body=body)


def walked(
    broken: str = "", unreadable: str = "not-json", stopped: str = "", broken_at: int = 0, unlisted: bool = False
) -> walk.Walk:
    """A walk of an empty catalog: each type's listing at the largest page size, whole (its one page empty), but the
    broken type's, whose first page got a 200 that could not be read (or a 302: unreadable ""); broken_at: and a
    listing of public images at that page size whose page 2 repeats an image of page 1; unlisted: pages without
    phone_images at all."""
    listings = []
    for n, selection in enumerate(TYPES):
        if selection == broken:
            query = f"image_type={selection}&limit={LARGEST}"
            page = answer(query, 200, None, unreadable, n) if unreadable else answer(query, 302, {}, n=n)
            listings.append(Listing(selection, LARGEST, (page,), NO_PAGE, tries=3))
        else:
            listings.append(Listing(selection, LARGEST, (empty_page(selection, n, unlisted),), LAST))
    if broken_at:
        pages = tuple(answer(f"image_type=public&limit={broken_at}&n={n}", n=n) for n in range(2))
        listings.append(Listing("public", broken_at, pages, walk.IMAGE_REPEATED, earlier=1))
    done = walk.Walk(cast(Any, None), listings=listings, stopped=stopped)
    done.exchanges = [page for listing in listings for page in listing.pages]
    return done


def weighed(facts: Facts) -> Verdict:
    return inprocess.weighed(facts, strict=False)


def why(v: Verdict, check: str) -> str:
    return v.silent[check]


@pytest.mark.parametrize(
    ("case", "check", "said", "not_said"),
    [
        # The walk's relations: a listing at the largest page size broke off (the trial's B5, B11, B12, C3b, C6).
        ("share unreadable", "image_type_partition", "limit=500 broke off", "Nothing this run asked for"),
        ("share unreadable", "image_type_partition", "image_type=share limit=500: page 1 got 200, not-json", "see the"),
        ("share redirected", "all_is_the_union", "image_type=share limit=500: page 1 got 302, no page", "not-json"),
        # ... or the walk stopped before them: by an answer it could not get, or by the deadline.
        ("walk stopped", "image_type_partition", "The walk stopped early", "broke off"),
        ("walk stopped by the deadline", "image_type_partition", "deadline of 120 s (CPH_DEADLINE) passed", "broke"),
        # ... or the listings were whole, and too small to compare at two page sizes.
        ("empty catalog", "same_listing_at_any_limit", "too few images to relate (public 0,", "phone_images"),
        # ... and when its pages list nothing at all, not even an empty list, the reason says so.
        (
            "pages without a list",
            "same_listing_at_any_limit",
            "all 0; 4 of their 4 page(s) have no phone_images",
            "broke",
        ),
        # ... or whole, and every listing at another page size broke off (the trial's X1: pagination's finding).
        (
            "smaller pages broke",
            "same_listing_at_any_limit",
            "page 2 repeats an image of page 1): see pagination",
            "few",
        ),
        # The answers' checks: every page the run got was unreadable.
        ("pages unreadable", "image_type_filter", "could not be read (not-json 2)", "Nothing this run asked for"),
        ("pages readable", "image_type_filter", "Nothing this run asked for", "could not be read"),
    ],
)
def test_a_check_that_judged_nothing_names_the_cause_the_run_knows(
    case: str, check: str, said: str, not_said: str
) -> None:
    error_page = answer("limit=0", 400)
    facts = {
        "share unreadable": Facts((error_page,), walk=walked("share")),
        "share redirected": Facts((error_page,), walk=walked("share", unreadable="")),
        "walk stopped": Facts((error_page,), walk=walked("share", stopped="no answer: ReadError")),
        "walk stopped by the deadline": Facts(
            (error_page,),
            walk=walked("share", stopped="the run's deadline passed"),
            stopped=Stopped(120, parts=((WALK, "stopped after 4 listing(s)"),)),
        ),
        "empty catalog": Facts((error_page,), walk=walked()),
        "pages without a list": Facts((error_page,), walk=walked(unlisted=True)),
        "smaller pages broke": Facts((error_page,), walk=walked(broken_at=2)),
        "pages unreadable": Facts(
            (error_page, answer("image_type=public", unreadable="not-json"), answer("limit=5", unreadable="not-json"))
        ),
        "pages readable": Facts((error_page, answer("image_type=public", 400))),
    }[case]
    v = weighed(facts)
    assert said in why(v, check) and not_said not in why(v, check)
    assert any(said in line and check in line for line in v.too_little)  # the cause, beside the checks it took


def test_checks_of_one_cause_are_one_line_and_causes_stay_apart() -> None:
    v = weighed(
        Facts((answer("limit=0", 400), answer("image_type=all", unreadable="too-large: more")), walk=walked("all"))
    )
    lines = v.not_judged
    broke = [line for line in lines if "broke off" in line]
    unread = [line for line in lines if "could not be read (too-large 1)" in line]
    assert len(broke) == 1 and len(unread) == 1 and len(lines) == len(set(lines))
    assert "all_is_the_union" in broke[0] and "image_type_filter" in unread[0]


@pytest.mark.parametrize(
    ("broken", "check", "cause"),
    [
        ("", "same_listing_at_any_limit", "too few images to relate"),  # no failure: inconclusive
        # the page that could not be read fails the answer's checks (response_schema_conformance)
        ("share", "image_type_partition", "image_type=share limit=500: page 1 got 200, not-json"),
    ],
)
def test_every_report_says_the_same_of_whether_the_run_is_inconclusive(broken: str, check: str, cause: str) -> None:
    """A check that judged nothing and no failure: the run is inconclusive, in every report. With a failure (a listing
    whose page could not be read fails the checks of an answer, as the run judges the walk's answers too), drift
    decides the verdict in every report, and what the run could not judge is still said, with its cause, beside the
    checks: never as an error, never as inconclusive."""
    done = walked(broken)
    v = weighed(Facts((answer("limit=0", 400), *done.exchanges), walk=done))
    drift = bool(broken)
    r = Result(v)
    assert v.exit_status == (DRIFT if drift else CANNOT_RUN)
    md, html = report.render(r), report.render_html(r)
    suite = ElementTree.fromstring(report.render_junit(r))  # noqa: S314  (our own output)
    console = report.first_lines(r)
    inconclusive = [
        "## Inconclusive" in md,
        'id="inconclusive"' in html,
        any(case.get("name") == "the run judges enough" for case in suite),
        any(cause in line for line in console),
    ]
    assert inconclusive == [not drift] * 4
    assert (suite.get("errors") == "1") == (not drift)
    skipped = {case.get("name"): case.find("skipped") for case in suite}
    said = {name: element.get("message") or "" for name, element in skipped.items() if element is not None}
    assert suite.get("skipped") == str(len(said)) and cause in said[check]
    assert cause in md and cause in html  # said either way: under Inconclusive, or beside the checks
    assert ("## Not judged" in md) == drift and ('id="not-judged"' in html) == drift
