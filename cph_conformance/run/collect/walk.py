"""The walk: listings of every image type at several page sizes, and the relations the spec states between them.

A listing is every page of one query, first to last, following the answer's continuation (page_info.next_marker
as the next request's marker). The walk lists each value of the selector (image_type) at the largest page size and
at a small one and the first pages at the sizes callers usually ask for (x-usual), asks for the first page without
a page size (the spec's default applies), and the first pages of the union (all) one image at a time. Then each
relation the spec states is checked on every listing it applies to, derived from the spec's annotations, not from
this module:
- pagination: a listing ends, repeats no continuation and no image, and every page request of it is answered with a
  page (the marker is the SDK's "pagination marker", next_marker "the marker that queries the next page");
- same_listing_at_any_limit (the page-size parameter, x-page-size): the same images in the same order at any size;
- omitted_is_default (a parameter's schema default): leaving it out is sending its default;
- all_is_the_union (a selector value whose x-selects is a union): exactly its parts' images, in their order when
  the union is ordered, at every page size walked;
- image_type_partition (the parts of a union): no image is listed under two of them.
A page shorter than the page size is no sign of the last page: only the continuation is (the SDK says no more).

Read-only and bounded: at most MAX_REQUESTS requests, each through `fetch`, which goes through the run's gateway
(its pace and its patience with throttling) or, in the tests, to an app in this process. A step whose answer fails
(no page where one was expected, or no answer to judge) is sent again, up to `again` more times (REPLAY): a step
that then gets its page is flaky (Walk.flaky) and the walk goes on with it. An answer that still judges nothing (no
answer, throttled after the gateway's patience) stops the walk with an error: what was listed in full is still
judged, nothing else is.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from cph_conformance import spec
from cph_conformance.run.checks.registry import LISTINGS, Drift, check
from cph_conformance.run.collect.exchange import Exchange
from cph_conformance.run.transport.credential import VALID, headers_for
from cph_conformance.run.transport.patience import REPLAY_PAUSE

MAX_REQUESTS = 150
SMALL_PAGES = 5  # the small page size aims at about this many pages per listing
PREFIX_PAGES = 3  # first pages of the union walked at the smallest page size
USUAL_PAGES = 4  # first pages of the union walked at each page size callers usually ask for (x-usual)
REFERENCE_PAGES = 20  # pages the listing at the largest page size may take

Fetch = Callable[[dict[str, Any], str | None, str], Exchange]  # (query, project id or None for the run's, auth)


class Stop(Exception):
    """The walk cannot go on: its budget is spent, or an answer judges nothing (no answer, throttled)."""


@dataclass(frozen=True)
class Listing:
    selection: str  # the selector's value (an image_type)
    size: int | None  # the page size sent; None: left out (the default applies)
    pages: tuple[Exchange, ...]
    complete: bool  # its last page carried no continuation; else the first pages only

    @property
    def images(self) -> list[dict[str, Any]]:
        return [image for page in self.pages for image in page.images or ()]

    @property
    def ids(self) -> list[str]:
        return [str(image.get("image_id")) for image in self.images]

    @property
    def query(self) -> str:
        size = f"&{spec.page_size()}={self.size}" if self.size is not None else ""
        return f"{spec.selector()}={self.selection}{size}"


@dataclass
class Walk:
    fetch: Fetch
    max_requests: int = MAX_REQUESTS
    exchanges: list[Exchange] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    paging: list[Drift] = field(default_factory=list)  # what broke while listing: the pagination check's
    stopped: str = ""  # why the walk stopped early, if it did
    again: int = 0  # more tries of a step whose answer fails
    pause: Callable[[float], None] = time.sleep
    flaky: list[tuple[str, list[Exchange]]] = field(default_factory=list)  # (key, every answer) of steps that failed
    # and then got their page; the key is the pagination drift's had they not

    @property
    def marker(self) -> str | None:
        """A continuation the service gave the run's own listing (for the probes), if any."""
        return next((ex.continuation for ex in self.exchanges if ex.judged and ex.continuation), None)

    def get(self, query: dict[str, Any]) -> Exchange:
        return self.step(query)[-1]

    def step(self, query: dict[str, Any]) -> list[Exchange]:
        """Every answer one page request got: sent again while it fails and tries are left (the last answer is the
        step's)."""
        tries = [self._send(query)]
        while tries[-1].images is None and len(tries) <= self.again:
            self.pause(REPLAY_PAUSE)
            tries.append(self._send(query))
        last = tries[-1]
        if len(tries) > 1 and last.images is not None:
            key = f"{query.get(spec.selector())}:{'refused' if tries[0].judged else 'unavailable'}"
            self.flaky.append((key, tries))
        if not last.judged:
            what = last.error or (f"still throttled ({last.status})" if last.throttled else f"a blip ({last.status})")
            again = f", at each of {len(tries)} tries of the step" if len(tries) > 1 else ""
            raise Stop(f"{what}{again}: {last.curl}")
        return tries

    def _send(self, query: dict[str, Any]) -> Exchange:
        if len(self.exchanges) >= self.max_requests:
            raise Stop(f"the walk's budget of {self.max_requests} requests is spent")
        ex = dataclasses.replace(self.fetch(query, None, VALID), phase="walk")
        self.exchanges.append(ex)
        return ex

    def listing(self, selection: str, size: int | None, max_pages: int, prefix: bool = False) -> Listing | None:
        """Every page of one query (at most max_pages; with prefix, its first max_pages pages, all the walk needs of
        it); None, with a drift, when paging breaks."""
        continues, _ = spec.continuation()
        pages: list[Exchange] = []
        seen_markers: dict[str, int] = {}
        seen_ids: dict[str, int] = {}
        marker: str | None = None
        for n in range(1, max_pages + 1):
            query: dict[str, Any] = {spec.selector(): selection}
            if size is not None:
                query[spec.page_size()] = size
            if marker is not None:
                query[continues] = marker
            tries = self.step(query)
            page = tries[-1]
            pages.append(page)
            images = page.images
            if images is None:
                what = f"page {n}, after a {continues} the service gave" if marker is not None else "the first page"
                every = f" (refused at each of {len(tries)} tries of this step)" if len(tries) > 1 else ""
                self.paging.append(
                    Drift(
                        f"{selection}:refused",
                        f"{query_of(selection, size)}, {what}: expected 200 with phone_images; got {page.status} "
                        f"{' '.join(page.text.split())[:160]!r}{every}",
                        pages[-2:],
                    )
                )
                return None
            repeated = [i for i in images if str(i.get("image_id")) in seen_ids]
            if repeated:
                first = seen_ids[str(repeated[0].get("image_id"))]
                self.paging.append(
                    Drift(
                        f"{selection}:image-repeated",
                        f"{query_of(selection, size)}: page {n} repeats {len(repeated)} image(s) of page {first}: "
                        f"{', '.join(str(i.get('image_id')) for i in repeated[:3])}",
                        [pages[first - 1], page],
                    )
                )
                return None
            seen_ids.update((str(i.get("image_id")), n) for i in images)
            marker = page.continuation
            if marker is None:
                return Listing(selection, size, tuple(pages), complete=True)
            if marker in seen_markers:
                self.paging.append(
                    Drift(
                        f"{selection}:marker-repeated",
                        f"{query_of(selection, size)}: page {n} gives next_marker {marker!r}, which page "
                        f"{seen_markers[marker]} gave already: paging would never end",
                        [pages[seen_markers[marker] - 1], page],
                    )
                )
                return None
            seen_markers[marker] = n
        if prefix:
            return Listing(selection, size, tuple(pages), complete=False)
        self.paging.append(
            Drift(
                f"{selection}:endless",
                f"{query_of(selection, size)}: paging did not end after {max_pages} pages, more than the images "
                "listed at the largest page size need (is the marker ignored?)",
                pages[:2] + pages[-1:],
            )
        )
        return None

    def first_pages(self, selection: str, size: int | None, count: int) -> None:
        """Lists the first `count` pages of a query (fewer when it ends sooner), a listing's beginning, unless paging
        breaks in them (a drift)."""
        found = self.listing(selection, size, count, prefix=True)
        if found is not None:
            self.listings.append(found)

    def edges(self, parts: Sequence[str]) -> list[int]:
        """Where each part of a union ends in it (the images of the parts before it, and its own), as listed."""
        counts = [len(r.ids) if (r := _reference(self.listings, part)) else 0 for part in parts]
        return sorted({sum(counts[: n + 1]) for n in range(len(counts) - 1)} - {0})

    def gather(self, only: Collection[str] = ()) -> None:
        """List every selector value (or only those) at the largest and a small page size, its first pages at the
        sizes callers usually ask for, its first page without one, and the first pages of each union at the smallest
        size."""
        smallest, largest = spec.limit_bounds()
        for selection, rule in spec.image_type_selects().items():
            if only and selection not in only:
                continue
            reference = self.listing(selection, largest, REFERENCE_PAGES)
            if reference is None:
                continue
            self.listings.append(reference)
            count = len(reference.ids)
            # A small page size, below the largest even for a type with thousands of images: the whole listing when
            # it takes about SMALL_PAGES pages, else its first SMALL_PAGES pages.
            small = max(smallest, min(largest // 2, math.ceil(count / SMALL_PAGES)))
            if count:  # one image too: a page of one, and paging that ends after it
                # Every union's page may stop short where one of its parts ends: room for one page per part.
                slack = len(rule.get("union", ())) + 2
                if math.ceil(count / small) <= SMALL_PAGES + slack:
                    walked = self.listing(selection, small, math.ceil(count / small) + slack)
                    if walked is not None:
                        self.listings.append(walked)
                else:
                    self.first_pages(selection, small, SMALL_PAGES)
            self.first_pages(selection, None, 1)
            default = int(spec.parameter_default(spec.page_size()))
            if default not in (largest, small):
                self.first_pages(selection, default, 1)
            # The sizes callers usually ask for, where a service may well behave otherwise: the first pages of each.
            for usual in (n for n in spec.usual_page_sizes() if n < count and n not in (small, largest)):
                self.first_pages(selection, usual, USUAL_PAGES)
            if "union" in rule and count > 1:
                self.first_pages(selection, smallest, PREFIX_PAGES)
                # Pages that end exactly where one part of the union ends and the next begins.
                for edge in self.edges(rule["union"]):
                    if smallest <= edge < min(count, largest) and edge not in (small, *spec.usual_page_sizes()):
                        self.first_pages(selection, edge, 2)


def query_of(selection: str, size: int | None) -> str:
    return f"{spec.selector()}={selection}" + (f" {spec.page_size()}={size}" if size is not None else "")


def _listed(listings: Sequence[Listing], selection: str) -> list[Listing]:
    return [listing for listing in listings if listing.selection == selection]


def _reference(listings: Sequence[Listing], selection: str) -> Listing | None:
    """The complete listing of a selection at the largest page size walked."""
    complete = [listing for listing in _listed(listings, selection) if listing.complete and listing.size is not None]
    return max(complete, key=lambda listing: listing.size or 0, default=None)


def images_per_selection(listings: Sequence[Listing]) -> dict[str, int]:
    """How many images each selector value (image_type) lists: its complete listing at the largest page size walked;
    a selection whose listing broke off is not counted."""
    counted = {selection: _reference(listings, selection) for selection in spec.image_type_selects()}
    return {selection: len(reference.ids) for selection, reference in counted.items() if reference is not None}


def _compare(want: list[str], got: list[str], prefix: bool, ordered: bool = True) -> tuple[str, str] | None:
    """(key, what differs) between the ids a listing should hold and those it holds; got may hold only the first
    ones when prefix; the order counts when ordered."""
    if not ordered:
        missing = [] if prefix else [i for i in want if i not in set(got)]
        extra = [i for i in got if i not in set(want)]
        if not missing and not extra:
            return None
        return "members", f"missing: {', '.join(missing[:5]) or 'none'}; extra: {', '.join(extra[:5]) or 'none'}"
    expected = want[: len(got)] if prefix else want
    if got == expected:
        return None
    if not prefix and set(got) != set(want):
        missing, extra = [i for i in want if i not in set(got)], [i for i in got if i not in set(want)]
        return "members", (
            f"{len(got)} image(s) where {len(want)} were expected; missing: {', '.join(missing[:5]) or 'none'}; "
            f"extra: {', '.join(extra[:5]) or 'none'}"
        )
    shorter = min(len(got), len(expected))
    at = next((n for n in range(shorter) if got[n] != expected[n]), shorter)
    if at < shorter:
        return "order", f"position {at + 1} holds {got[at]} where {expected[at]} was expected"
    return "members", f"{len(got)} image(s) where {len(expected)} were expected"


# --- the relations, each a check: fn(listings) -> (judged, drifts) ----------------------------------------------------


@check(
    "paging with the continuation ends, repeats no marker and no image, and each page request gets a page",
    ("sdk.marker", "sdk.next_marker"),
    "every listing the walk pages through",
    LISTINGS,
)
def pagination(walk: Walk) -> tuple[int, list[Drift]]:
    return len(walk.listings) + len(walk.paging), walk.paging


@check(
    "a listing holds the same images in the same order at any page size",
    ("sdk.limit", "sdk.next_marker"),
    "every listing, against the one at the largest page size",
    LISTINGS,
)
def same_listing_at_any_limit(walk: Walk) -> tuple[int, list[Drift]]:
    judged, drifts = 0, []
    for selection in spec.image_type_selects():
        reference = _reference(walk.listings, selection)
        if reference is None:
            continue
        for listing in _listed(walk.listings, selection):
            if listing is reference or listing.size is None:
                continue
            judged += 1
            differs = _compare(reference.ids, listing.ids, prefix=not listing.complete)
            if differs:
                key, what = differs
                drifts.append(
                    Drift(
                        f"{selection}:{key}",
                        f"{query_of(selection, listing.size)} against {spec.page_size()}={reference.size}: {what}",
                        [reference.pages[0], *listing.pages],
                    )
                )
    return judged, drifts


@check(
    "leaving out a parameter that has a default is sending the default (limit: 500)",
    ("sdk.limit",),
    "the first page without limit, against limit=500's",
    LISTINGS,
)
def omitted_is_default(walk: Walk) -> tuple[int, list[Drift]]:
    judged, drifts = 0, []
    default = int(spec.parameter_default(spec.page_size()))
    for selection in spec.image_type_selects():
        with_default = [
            listing for listing in _listed(walk.listings, selection) if listing.size == default and listing.pages
        ]
        omitted = [listing for listing in _listed(walk.listings, selection) if listing.size is None and listing.pages]
        if not with_default or not omitted:
            continue
        judged += 1
        want = [str(i.get("image_id")) for i in with_default[0].pages[0].images or ()]
        got = [str(i.get("image_id")) for i in omitted[0].pages[0].images or ()]
        differs = _compare(want, got, prefix=False)
        if differs:
            key, what = differs
            drifts.append(
                Drift(
                    f"{selection}:{key}",
                    f"{spec.selector()}={selection} without {spec.page_size()}, against "
                    f"{spec.page_size()}={default} (the default): the first page holds {what}",
                    [with_default[0].pages[0], omitted[0].pages[0]],
                )
            )
    return judged, drifts


@check(
    "a union (image_type=all) lists exactly its parts' images, the parts in their order, at every page size",
    ("page.image_type", "sdk.limit"),
    "every listing of all, against public + private + share",
    LISTINGS,
)
def all_is_the_union(walk: Walk) -> tuple[int, list[Drift]]:
    judged, drifts = 0, []
    for selection, rule in spec.image_type_selects().items():
        parts = rule.get("union")
        references = [_reference(walk.listings, part) for part in parts or ()]
        if not parts or any(r is None for r in references):
            continue
        part_of = {image_id: n for n, r in enumerate(references) if r is not None for image_id in r.ids}
        for listing in _listed(walk.listings, selection):
            if listing.size is None:
                continue
            judged += 1
            shown = [*(r.pages[0] for r in references if r is not None), *listing.pages[:2]]
            where = f"{query_of(selection, listing.size)} against {' + '.join(parts)}"
            differs = _compare(list(part_of), listing.ids, prefix=not listing.complete, ordered=False)
            if differs:
                drifts.append(Drift(f"{selection}:members", f"{where}: {differs[1]}", shown))
                continue
            # Ordered: the parts one after the other, in their order (a listing's first pages, the first of them).
            groups = [part_of[i] for i in listing.ids]
            expected = sorted(part_of.values())[: len(groups)]
            if rule.get("ordered") and groups != expected:
                at = next(n for n, (got, want) in enumerate(zip(groups, expected, strict=True)) if got != want)
                drifts.append(
                    Drift(
                        f"{selection}:order",
                        f"{where}: position {at + 1} holds image {listing.ids[at]}, a {parts[groups[at]]} image, where "
                        f"a {parts[expected[at]]} one was expected (the order is {', '.join(parts)})",
                        shown,
                    )
                )
                continue
            for n, reference in enumerate(references):
                within = [i for i in listing.ids if part_of[i] == n]
                if reference is not None and within != reference.ids[: len(within)] and within:
                    drifts.append(
                        Drift(
                            f"{selection}:order-within:{parts[n]}",
                            f"{where}: the {parts[n]} images come in another order than in {parts[n]}'s own listing",
                            shown,
                            assumed="the SDK gives the order of the types in a listing of all, not the order of the "
                            "images of one type",
                        )
                    )
    return judged, drifts


@check(
    "no image is listed under two image types that a union joins",
    ("page.image_type", "sdk.limit"),
    "the listings of public, private and share",
    LISTINGS,
)
def image_type_partition(walk: Walk) -> tuple[int, list[Drift]]:
    judged, drifts = 0, []
    for rule in spec.image_type_selects().values():
        owner: dict[str, Listing] = {}
        for part in rule.get("union", ()):
            reference = _reference(walk.listings, part)
            if reference is None:
                continue
            judged += 1
            for image_id in reference.ids:
                other = owner.setdefault(image_id, reference)
                if other is not reference:
                    drifts.append(
                        Drift(
                            f"{other.selection}+{part}",
                            f"image {image_id} is listed as {other.selection} and as {part}",
                            [other.pages[0], reference.pages[0]],
                        )
                    )
                    break
    return judged, drifts


def http_fetch(gateway_url: str, endpoint_url: str, project_id: str, placeholder: str, timeout: float) -> Fetch:
    """A fetch through the gateway (which holds the credential, paces and waits out throttling); it never follows a
    redirect."""
    client = httpx.Client(base_url=gateway_url, timeout=timeout, follow_redirects=False, trust_env=False)

    def fetch(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Exchange:
        path = spec.OPERATION_PATH.format(project_id=project or project_id)
        try:
            response = client.get(path, params=query, headers=headers_for(auth, placeholder))
        except httpx.HTTPError as exc:  # the gateway itself did not answer: nothing to judge
            request = client.build_request("GET", path, params=query)
            url = endpoint_url + request.url.raw_path.decode("ascii")
            return Exchange("GET", url, auth, None, {}, None, f"the run's gateway did not answer: {type(exc).__name__}")
        return Exchange.of_response(response, endpoint_url, auth, phase="")

    return fetch


def run(
    fetch: Fetch,
    max_requests: int = MAX_REQUESTS,
    again: int = 0,
    pause: Callable[[float], None] = time.sleep,
    only: Collection[str] = (),
) -> Walk:
    """Every listing the walk takes (of only these selector values, if given), within its budget, each failing step
    sent `again` more times; an answer that judges nothing stops it (Walk.stopped)."""
    walk = Walk(fetch, max_requests, again=again, pause=pause)
    try:
        walk.gather(only)
    except Stop as exc:
        walk.stopped = str(exc)
    return walk
