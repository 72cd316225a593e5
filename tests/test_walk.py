"""The walk: each relation between listings both ways, from hand-made listings; paging that breaks is a failure of
pagination; the walk is bounded whatever the service says, and an answer that judges nothing stops it without drift.
Each relation is also held to a fault of the mock by tests/test_fault_matrix.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks.registry import LISTINGS
from cph_conformance.run.collect import walk
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.result import Result
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.verdict.findings import ERROR, FAILURE, FLAKY
from cph_conformance.run.verdict.judge import Facts, judge
from cph_conformance.run.verdict.verdict import CANNOT_RUN, Verdict
from tests import inprocess

URL = "https://cph.example/v1/p/cloud-phone/phone-images"
LARGEST = spec.limit_bounds()[1]
IS_PUBLIC, IS_PRIVATE = spec.enum("IsPublic")
RECEIVED = spec.enum("ReceiveStatus")[1]
PUBLIC, PRIVATE, SHARE = ("a1", "a2", "a3"), ("b1", "b2"), ("c1",)
JSON = {"content-type": "application/json"}


def typed(image_id: str) -> dict[str, Any]:
    """An image of the type its id's letter says: a public, b private, c shared (any other: untyped); "?a" is a
    public image without an image_id."""
    fields = {"a": {"is_public": IS_PUBLIC}, "b": {"is_public": IS_PRIVATE}}
    fields["c"] = {"is_public": IS_PRIVATE, "receive_status": RECEIVED}
    if image_id.startswith("?"):
        return fields.get(image_id[1:2], {})
    return {"image_id": image_id, **fields.get(image_id[:1], {})}


def listing(
    selection: str, size: int | None, *pages: tuple[str, ...], complete: bool = True, start: str | None = None
) -> walk.Listing:
    exchanges = tuple(
        Exchange(
            "GET",
            f"{URL}?image_type={selection}&n={n}&size={size}",
            VALID,
            200,
            {},
            {"phone_images": [typed(i) for i in ids]},
        )
        for n, ids in enumerate(pages)
    )
    return walk.Listing(selection, size, exchanges, walk.LAST if complete else walk.FIRST_PAGES, start=start)


Fetch = Callable[[dict[str, Any], str | None, str], Exchange]


@dataclasses.dataclass
class Service:
    """A service made by a test, as the walk sends to it: fetch(query, project, auth)."""

    fetch: Fetch

    def get(self, query: dict[str, Any], project: str | None = None, auth: str = VALID, phase: str = "") -> Exchange:
        return dataclasses.replace(self.fetch(query, project, auth), phase=phase)


def mock(name: str | None = None) -> Fetch:
    """The mock's app, through the run's sender, as a fetch."""
    sender = inprocess.sender(name)
    return lambda query, project, auth: sender.get(query, project, auth)


def walked(*listings: walk.Listing) -> walk.Walk:
    done = walk.Walk(Service(mock()))
    done.listings = list(listings)
    return done


def drifts(check: str, done: walk.Walk) -> tuple[int, list[str]]:
    """What a check of listings judged of a walk, and the keys (selection:cause) of what it found."""
    found = judge(Facts((), walk=done), strict=True)
    return found.judged[check], [":".join(filter(None, d.key)) for d in found.drifts if d.check == check]


def weighed(done: walk.Walk) -> Verdict:
    return inprocess.weighed(Facts(tuple(done.exchanges), walk=done), strict=False)


FAITHFUL = [
    listing("public", LARGEST, PUBLIC),
    listing("private", LARGEST, PRIVATE),
    listing("share", LARGEST, SHARE),
    listing("all", LARGEST, PUBLIC + PRIVATE + SHARE),
    # pages of 2 that stop short where a type ends: only the continuation marks the last page
    listing("all", 2, ("a1", "a2"), ("a3",), ("b1", "b2"), ("c1",)),
    listing("all", None, PUBLIC + PRIVATE + SHARE, complete=True),
    listing("all", 1, ("a1",), ("a2",), complete=False),
    # the page after a marker page 1 at limit=2 gave, with the default page size and without one
    listing("all", LARGEST, ("a3", *PRIVATE, *SHARE), start="m"),
    listing("all", None, ("a3", *PRIVATE, *SHARE), start="m"),
]


def replaced(index: int, new: walk.Listing) -> list[walk.Listing]:
    return [new if n == index else old for n, old in enumerate(FAITHFUL)]


# (check, the listings, the cause's key when they must drift, else None)
RELATIONS: list[tuple[str, list[walk.Listing], str | None]] = [
    ("same_listing_at_any_limit", FAITHFUL, None),
    ("same_listing_at_any_limit", replaced(4, listing("all", 2, ("a1", "a2"), ("b1", "b2"), ("c1",))), "all:members"),
    (
        "same_listing_at_any_limit",
        replaced(4, listing("all", 2, ("a2", "a1"), ("a3", "b1"), ("b2", "c1"))),
        "all:order",
    ),
    ("same_listing_at_any_limit", replaced(6, listing("all", 1, ("a2",), complete=False)), "all:order"),
    ("omitted_is_default", FAITHFUL, None),
    ("omitted_is_default", replaced(5, listing("all", None, ("a1", "a2"), complete=False)), "all:members"),
    # a marker without limit restarts from the first page
    (
        "omitted_is_default",
        replaced(8, listing("all", None, PUBLIC + PRIVATE + SHARE, start="m")),
        "all:members:after-marker",
    ),
    ("all_is_the_union", FAITHFUL, None),
    ("all_is_the_union", replaced(3, listing("all", LARGEST, PUBLIC + PRIVATE)), "all:members"),
    ("all_is_the_union", replaced(3, listing("all", LARGEST, PRIVATE + PUBLIC + SHARE)), "all:order"),
    ("all_is_the_union", replaced(6, listing("all", 1, ("b1",), complete=False)), "all:order"),
    ("image_type_partition", FAITHFUL, None),
    ("image_type_partition", replaced(2, listing("share", LARGEST, ("b1", "c1"))), "all:private+share"),
    # Images without an image_id are no image listed twice: what is wrong with them is their answer's schema's.
    (
        "image_type_partition",
        [listing("public", LARGEST, (*PUBLIC, "?a")), listing("private", LARGEST, (*PRIVATE, "?b")), *FAITHFUL[2:]],
        None,
    ),
    # Each page starts where the page before ended (its images in any order); a3 is never listed at this size.
    ("pagination", FAITHFUL, None),
    ("pagination", replaced(4, listing("all", 2, ("a2", "a1"), ("b1", "a3"), ("b2",), ("c1",))), None),
    ("pagination", replaced(4, listing("all", 2, ("a1", "a2"), ("b1", "b2"), ("c1",))), "all:skipped"),
    ("pagination", replaced(6, listing("all", 1, ("a1",), ("a3",), complete=False)), "all:skipped"),
    # The first page differs from the listing at the largest size: not paging's doing (same_listing_at_any_limit's)
    ("pagination", replaced(6, listing("all", 1, ("a2",), ("a3",), complete=False)), None),
    # A page short of limit while more follow: only where a type of the union ends, or as the last page.
    ("full_pages", FAITHFUL, None),
    ("full_pages", replaced(4, listing("all", 2, ("a1",), ("a2", "a3"), ("b1", "b2"), ("c1",))), "all:short-page"),
    ("full_pages", replaced(4, listing("all", 2, ("a1", "a2"), ("a3", "b1"), ("b2",), ("c1",))), None),
    ("full_pages", replaced(4, listing("all", 2, ("a1", "a2"), ("a3", "b1"), ("b2",), ("c1",), ())), None),
    ("full_pages", replaced(5, listing("all", None, ("a1", "a2"), ("a3",), complete=False)), "all:short-page"),
    ("full_pages", [listing("public", 2, ("a1",), ("a2", "a3"))], "public:short-page"),
    ("full_pages", [listing("public", 2, ("a1", "a2"), ("a3",))], None),
]


@pytest.mark.parametrize(
    ("check", "listings", "key"), RELATIONS, ids=[f"{c}-{n}" for n, (c, _, _) in enumerate(RELATIONS)]
)
def test_each_relation_between_listings_holds_or_drifts(
    check: str, listings: list[walk.Listing], key: str | None
) -> None:
    judged, keys = drifts(check, walked(*listings))
    assert judged > 0
    assert keys == ([key] if key else [])


def test_every_relation_is_tested_both_ways() -> None:
    tested = {(c, k is None) for c, _, k in RELATIONS}
    for check in checks.of(LISTINGS):
        assert {(check.name, True), (check.name, False)} <= tested, check.name


@pytest.mark.parametrize(
    ("whole", "small", "said"),
    [
        # The listing at the largest page size is cut short (a cap): it lost the image, the pages of 2 did not gain it.
        (("a1", "a2"), (("a1", "a2"), ("a3",)), "limit=2 lists 3 image(s), limit=500 2: limit=500 lacks 1: a3"),
        # The pages of 2 skip an image: they lost it.
        (("a1", "a2", "a3"), (("a1", "a2"),), "limit=2 lists 2 image(s), limit=500 3: limit=2 lacks 1: a3"),
    ],
)
def test_the_listing_with_fewer_images_is_said_to_lack_them(
    whole: tuple[str, ...], small: tuple[tuple[str, ...], ...], said: str
) -> None:
    done = walked(listing("public", LARGEST, whole), listing("public", 2, *small))
    found = judge(Facts((), walk=done), strict=True)
    (drift,) = [d for d in found.drifts if d.check == "same_listing_at_any_limit"]
    assert drift.message == f"image_type=public limit=2 against limit={LARGEST}: {said}".replace("500", str(LARGEST))


def shown(query: str, *images: dict[str, Any], project: str = "p") -> Exchange:
    """An answer of the run that lists these images (with the values that select their type)."""
    url = URL.replace("/p/", f"/{project}/") + (f"?{query}" if query else "")
    return Exchange("GET", url, VALID, 200, {}, {"phone_images": list(images)})


PUBLIC_IMAGE, PRIVATE_IMAGE = {"image_id": "a9", "is_public": IS_PUBLIC}, {"image_id": "b9", "is_public": IS_PRIVATE}
SHARED_IMAGE = {"image_id": "c1", "is_public": IS_PRIVATE, "receive_status": RECEIVED}
# (the answers of the run besides the walk's listings, the keys of what must drift, and whether each is a failure)
SEEN: list[tuple[list[Exchange], list[str], bool]] = [
    ([shown("", {"image_id": "a1", "is_public": IS_PUBLIC}, SHARED_IMAGE)], [], True),  # listed where they belong
    ([shown("", PUBLIC_IMAGE)], ["public:missing", "all:missing"], True),  # listed by no type: a failure
    ([shown("image_type=private", PRIVATE_IMAGE)], ["private:missing", "all:missing"], True),
    ([shown("", {**SHARED_IMAGE, "image_id": "c9"})], ["share:missing", "all:missing"], True),
    # c1 without receive_status: private by its values, but share lists it (shared images may lack it): a warning
    ([shown("", {"image_id": "c1", "is_public": IS_PRIVATE})], ["private:elsewhere"], False),
    ([shown("", PUBLIC_IMAGE, project="q")], [], True),  # another project's images are not this one's
]


@pytest.mark.parametrize(("answers", "keys", "failure"), SEEN)
def test_every_image_the_run_saw_is_in_the_listing_of_its_type(
    answers: list[Exchange], keys: list[str], failure: bool
) -> None:
    found = judge(Facts(tuple(answers), walk=walked(*FAITHFUL)), strict=True)
    drifts = [d for d in found.drifts if d.check == "selected_images_listed"]
    assert found.judged["selected_images_listed"] > 0
    assert sorted(":".join(d.key) for d in drifts) == sorted(keys)
    assert all(bool(d.assumed) != failure for d in drifts)


def pages_of(ids: list[str], per_page: int, marker: Any) -> Service:
    """A fetch of a service with these images, whose continuation is marker(n) for page n (None: the last)."""

    def fetch(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        n = int(query.get("marker") or 0)
        body: dict[str, Any] = {"phone_images": [{"image_id": i} for i in ids[n * per_page : (n + 1) * per_page]]}
        if marker(n) is not None:
            body["page_info"] = {"next_marker": marker(n)}
        return Exchange("GET", f"{URL}?{query}", auth, 200, {}, body)

    return Service(fetch)


@pytest.mark.parametrize(
    ("marker", "key"),
    [
        (lambda n: str(n + 1) if n < 2 else None, None),  # three pages, then the end
        (lambda n: "1", "public:marker-repeated"),  # page 2 points at page 2 again
        (lambda n: str(n + 1), "public:endless"),  # every page says there is more (empty pages)
    ],
)
def test_paging_ends_and_repeats_no_marker(marker: Any, key: str | None) -> None:
    done = walk.Walk(pages_of([f"i{n}" for n in range(6)], 2, marker))
    found = done.listing("public", 2, max_pages=5)
    assert found.usable == (key is None)
    assert drifts("pagination", done)[1] == ([key] if key else [])


def test_endless_paging_says_which_pages_held_nothing_and_shows_the_last_link() -> None:
    """Six images in three pages, then empty pages that each give another marker: the finding names the empty pages
    (the marker is not ignored: an ignored marker repeats images) and shows the first page and the last two."""
    done = walk.Walk(pages_of([f"i{n}" for n in range(6)], 2, lambda n: str(n + 1)))
    done.listing("public", 2, max_pages=5)
    (drift,) = [d for d in judge(Facts((), walk=done), strict=True).drifts if d.check == "pagination"]
    assert drift.message.endswith("each page gives a new marker; pages 4 to 5 hold no image, yet each gives one")
    assert drift.exchanges == (done.exchanges[0], *done.exchanges[-2:])


def test_a_type_with_thousands_of_images_is_compared_at_a_small_page_size_too() -> None:
    """Its pages at the largest size, and the first pages at a smaller one, where this service skips an image."""
    ids = [f"i{n}" for n in range(3000)]

    def big(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        size, start = int(query.get("limit", LARGEST)), int(query.get("marker") or 0)
        step = size if size == LARGEST else size + 1  # below the largest size, one image skipped between pages
        body: dict[str, Any] = {"phone_images": [{"image_id": i} for i in ids[start : start + size]]}
        if start + step < len(ids):
            body["page_info"] = {"next_marker": str(start + step)}
        return Exchange("GET", f"{URL}?{sorted(query.items())}", auth, 200, {}, body)

    done = walk.run(Service(big))
    assert not done.stopped and len(done.exchanges) <= walk.MAX_REQUESTS
    assert "public:order" in drifts("same_listing_at_any_limit", done)[1]


@pytest.mark.parametrize("missing", [None, ""])  # every other image: without an image_id, or with an empty one
def test_images_without_an_identity_take_their_place_in_pages_and_relate_to_nothing(missing: str | None) -> None:
    """100 images paged faithfully, every other one without an image_id (the schema's finding): the walk sizes its
    listings by images, not identities, so paging is never taken for endless, and no image without one is related
    to another. With "" instead, the spec's schema allows it: one identity, repeated (unique_image_ids)."""
    images = [{"image_id": f"i{n}"} if n % 2 else ({"image_id": missing} if missing is not None else {}) for n in
              range(100)]  # fmt: skip

    def fetch(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        size, start = int(query.get("limit", LARGEST)), int(query.get("marker") or 0)
        body: dict[str, Any] = {"phone_images": images[start : start + size]}
        if start + size < len(images):
            body["page_info"] = {"next_marker": str(start + size)}
        return Exchange("GET", f"{URL}?{sorted(query.items())}", auth, 200, {}, body)

    done = walk.run(Service(fetch))
    found = {d.check for d in judge(Facts(tuple(done.exchanges), walk=done), strict=True).drifts}
    if missing is None:
        assert not found & {"pagination", "same_listing_at_any_limit", "unique_image_ids"}  # (it lists one set
        # of images for every image_type: the type checks' findings, not these)
    else:
        assert "unique_image_ids" in found


def test_a_project_with_a_single_image_leaves_no_relation_unjudged() -> None:
    """One public image and nothing else: a faithful project, whose run must not be inconclusive for want of a
    listing to compare."""

    def single(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        listed = query.get("image_type") in ("public", "all", None) and not query.get("marker")
        return Exchange(
            "GET",
            f"{URL}?{sorted(query.items())}",
            auth,
            200,
            {},
            {"phone_images": [{"image_id": "i0"}]} if listed else {"phone_images": []},
        )

    done = walk.run(Service(single))
    judged = {check.name: drifts(check.name, done)[0] for check in checks.of(LISTINGS)}
    assert [name for name, count in judged.items() if not count] == []


def test_paging_that_starts_over_after_the_last_page_is_a_failure_not_a_crash() -> None:
    """After its last page the service gives a marker back to the start: the first pages the walk takes of a listing
    (not only the listings it pages through to the end) repeat images, a failure of pagination for every relation."""
    clean = mock()

    def starts_over(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        ex = clean(query, project, auth)
        if ex.images and ex.continuation is None and query.get("marker"):
            first = clean({"image_type": query["image_type"], "limit": 1}, None, VALID).images or [{}]
            ex = dataclasses.replace(ex, body={**ex.body, "page_info": {"next_marker": first[0].get("image_id")}})
        return ex

    done = walk.run(Service(starts_over))
    assert "all:image-repeated" in drifts("pagination", done)[1]
    assert FAILURE in [f.verdict for f in weighed(done).findings if f.check == "pagination"]


def test_a_page_that_repeats_an_image_of_an_earlier_one_is_a_failure() -> None:
    done = walk.Walk(pages_of(["i0", "i1", "i1", "i2"], 2, lambda n: str(n + 1) if n < 1 else None))
    assert not done.listing("public", 2, max_pages=5).usable
    assert drifts("pagination", done)[1] == ["public:image-repeated"]


def test_the_walk_is_bounded_even_when_every_answer_says_there_is_more() -> None:
    sent: list[int] = []

    def endless(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        sent.append(1)
        n = len(sent)
        body = {
            # Never more than three images (a full page at 500 made each judging of this walk cost half a second).
            "phone_images": [{"image_id": f"{n}-{i}"} for i in range(min(3, int(query.get("limit", 3))))],
            "page_info": {"next_marker": str(n)},
        }
        return Exchange("GET", f"{URL}?{n}", auth, 200, {}, body)

    done = walk.run(Service(endless))
    assert len(sent) <= walk.MAX_REQUESTS
    assert "pagination" in {f.check for f in weighed(done).findings if f.verdict == FAILURE}


def test_a_spent_budget_stops_the_walk_with_an_error_not_a_pass() -> None:
    done = walk.run(Service(mock()), max_requests=3)
    assert "budget of 3 requests" in done.stopped
    v = weighed(done)
    assert [f.verdict for f in v.findings] == [ERROR] and v.exit_status == CANNOT_RUN


@pytest.mark.parametrize(
    "lost",
    [
        Exchange("GET", URL, VALID, None, {}, None, "no answer: ConnectError"),
        Exchange(
            "GET", URL, VALID, 429, {"content-type": "application/json"}, spec.error_example(429)
        ),  # still throttled after the gateway's patience
    ],
)
def test_an_answer_that_judges_nothing_stops_the_walk_without_drift(lost: Exchange) -> None:
    calls = iter(range(1000))

    clean = mock()

    def dying(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        return clean(query, project, auth) if next(calls) < 3 else lost

    done = walk.run(Service(dying))
    v = weighed(done)
    assert [f.verdict for f in v.findings] == [ERROR]
    assert done.stopped and v.exit_status == CANNOT_RUN


@pytest.mark.parametrize(
    ("fails", "flaky", "refused"),
    [
        (0, [], False),
        (1, ["public:refused"], False),  # refused once, then its page: the walk goes on, and says so
        (3, [], True),  # refused at every try: drift
    ],
)
def test_a_step_that_fails_is_sent_again_before_it_counts(fails: int, flaky: list[str], refused: bool) -> None:
    clean = mock()
    failures = iter(range(fails))

    def refusing(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        if query.get("image_type") == "public" and query.get("limit") == LARGEST and next(failures, None) is not None:
            return Exchange("GET", URL, auth, 500, {"content-type": "application/json"}, spec.error_example(500))
        return clean(query, project, auth)

    done = walk.run(Service(refusing), again=2, pause=lambda _: None)
    assert [f"{step.selection}:{'refused' if step.refused else 'lost'}" for step in done.retried] == flaky
    paging = [f for f in weighed(done).findings if f.check == "pagination" and f.verdict == FAILURE]
    assert (("public", "refused") in [f.key for f in paging]) == refused
    if refused:
        assert "(refused at each of 3 tries of this step)" in paging[0].message
    assert any(ls.selection == "public" and ls.size == LARGEST and ls.usable for ls in done.listings) != refused
    v = weighed(done)
    said = f"Walk: {len(flaky)} step(s) failed, then got their page when sent again"
    assert [f.verdict for f in v.findings if f.verdict == FLAKY] == [FLAKY] * len(flaky)
    assert all((said in text) == bool(flaky) for text in (report.render(Result(v)), report.render_html(Result(v))))


@pytest.mark.parametrize(
    ("status", "unreadable", "paging", "caught_by"),
    [
        (500, "", ["public:refused"], "pagination"),  # the page request refused: paging's
        (200, "undecodable: the body is not what its Content-Encoding 'gzip' says", [], "response_schema_conformance"),
        (200, "not-json", [], "response_schema_conformance"),
        (200, "too-large: more than 100 bytes; the run read no further", [], "within_the_largest_page"),
    ],
    ids=["refused", "undecodable", "not-json", "too-large"],
)
def test_a_page_the_run_could_not_read_is_the_answer_checks_finding_not_pagings(
    status: int, unreadable: str, paging: list[str], caught_by: str
) -> None:
    """One cause, few findings: a 200 whose body the run could not read fails the checks of an answer's shape, and
    pagination adds none for it; a refused page request stays paging's. Either way the run fails."""
    clean = mock()

    def broken(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        if query.get("image_type") == "public":
            return Exchange("GET", URL, auth, status, JSON, None, '{"phone_images": [', unreadable=unreadable)
        return clean(query, project, auth)

    done = walk.run(Service(broken))
    assert drifts("pagination", done)[1] == paging
    v = weighed(done)
    assert caught_by in {f.check for f in v.findings if f.verdict == FAILURE}, [f.check for f in v.findings]


def test_a_type_edge_beyond_the_largest_page_size_is_never_asked_for() -> None:
    """320 public and 200 private images: all's public and private part ends at image 520, past the largest page size
    (an independent service refused limit=520, rightly, and the run called it drift)."""
    ids = {"public": [f"p{n}" for n in range(320)], "private": [f"q{n}" for n in range(200)], "share": ["s0", "s1"]}
    ids["all"] = ids["public"] + ids["private"] + ids["share"]

    def bounded(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        limit, start = int(query.get("limit", LARGEST)), int(query.get("marker") or 0)
        if not 1 <= limit <= LARGEST:
            return Exchange("GET", URL, auth, 400, {"content-type": "application/json"}, spec.error_example(400))
        listed = ids[query["image_type"]]
        body: dict[str, Any] = {"phone_images": [{"image_id": i} for i in listed[start : start + limit]]}
        if start + limit < len(listed):
            body["page_info"] = {"next_marker": str(start + limit)}
        return Exchange("GET", f"{URL}?{sorted(query.items())}", auth, 200, {}, body)

    done = walk.run(Service(bounded))
    assert drifts("pagination", done)[1] == []
    assert all(listing.size is None or listing.size <= LARGEST for listing in done.listings)


@pytest.mark.parametrize(
    ("private", "every"),
    [
        # a public image listed as private too, so twice in all: the partition's finding, no order made up
        (("a1", *PRIVATE), (*PUBLIC, "a1", *PRIVATE, *SHARE)),
        # an image twice in one page of all: the union still holds its parts, in their order
        (PRIVATE, PUBLIC + PRIVATE + SHARE + SHARE),
    ],
)
def test_an_image_listed_twice_is_judged_where_it_is_first_never_a_crash(
    private: tuple[str, ...], every: tuple[str, ...]
) -> None:
    listings = (
        listing("public", LARGEST, PUBLIC),
        listing("private", LARGEST, private),
        listing("share", LARGEST, SHARE),
        listing("all", LARGEST, every),
    )
    found = judge(Facts((), walk=walked(*listings)), strict=True)
    assert found.broken == ()
    assert [d.check for d in found.drifts if d.check == "all_is_the_union"] == []
