"""The walk: listings of every image type at several page sizes, collected for the checks of the relations the spec
states between them (cph_conformance.run.checks.listings). It judges nothing itself.

A listing is every page of one query, first to last, following the answer's continuation (page_info.next_marker
as the next request's marker). The walk lists each value of the selector (image_type) at the largest page size and
at a small one and the first pages at the sizes callers usually ask for (x-usual), asks for the first page without
a page size (the spec's default applies) and, where paging gave a continuation, the page after it without a page
size and with the default one, and the first pages of the union (all) one image at a time, and at the page sizes
that end exactly where one type of the union ends. No parameter is left out unless the spec gives its default
(image_type has none: the walk always sends one). Each listing records how it ended: at its last page
(no continuation), after the first pages the walk wanted, or broken off, and where: a page request that got no page,
a page that repeats an image or a continuation of an earlier page, or paging that would not end. A page shorter
than the page size is no sign of the last page: only the continuation is (the SDK says no more).

Read-only and bounded: at most MAX_REQUESTS requests, each through the run's sender (its pace, its patience with
throttling, its bounds). A step whose answer fails (no page where one was expected, or no answer to judge) is sent
again, up to `again` more times (CPH_REPLAY): a step that then gets its page is kept as retried (Walk.retried) and the
walk goes on with it. An answer that still judges nothing (no answer, throttled after the sender's patience) stops
the walk (Walk.stopped): what was listed is still judged, nothing else is.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cph_conformance import spec
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.transport.patience import REPLAY_PAUSE

MAX_REQUESTS = 150
SMALL_PAGES = 5  # the small page size aims at about this many pages per listing
PREFIX_PAGES = 3  # first pages of the union walked at the smallest page size
USUAL_PAGES = 4  # first pages of the union walked at each page size callers usually ask for (x-usual)
REFERENCE_PAGES = 20  # pages the listing at the largest page size may take

# How a listing ended: at its last page, after the first pages the walk wanted, or broken off.
LAST, FIRST_PAGES = "last page", "first pages"
NO_PAGE, IMAGE_REPEATED, MARKER_REPEATED, ENDLESS = "no page", "image repeated", "marker repeated", "endless"


class Gets(Protocol):
    """What the walk sends its requests through: the run's sender (cph_conformance.run.transport.sender.Sender)."""

    def get(
        self, query: dict[str, Any], project: str | None = None, auth: str = VALID, phase: str = ""
    ) -> Exchange: ...


class Stop(Exception):
    """The walk cannot go on: its budget is spent, or an answer judges nothing (no answer, throttled)."""


@dataclass(frozen=True)
class Listing:
    selection: str  # the selector's value (an image_type)
    size: int | None  # the page size sent; None: left out (the default applies)
    pages: tuple[Exchange, ...]
    ended: str = LAST  # LAST, FIRST_PAGES, or how paging broke: NO_PAGE, IMAGE_REPEATED, MARKER_REPEATED, ENDLESS
    earlier: int = 0  # when paging broke on a repeat: the page (from 1) that held it first
    tries: int = 1  # when it broke on NO_PAGE: how often that page was asked for
    start: str | None = None  # the continuation it started from (the page after another's); None: the first page

    @property
    def complete(self) -> bool:
        return self.ended == LAST

    @property
    def usable(self) -> bool:
        """Its pages are a listing's, whole or its beginning: paging did not break."""
        return self.ended in (LAST, FIRST_PAGES)

    @functools.cached_property  # pages is a tuple of frozen exchanges: read once, by every check of listings
    def images(self) -> list[dict[str, Any]]:
        return [image for page in self.pages for image in page.images or ()]

    @functools.cached_property
    def ids(self) -> list[str]:
        return ids_of(self.pages)

    @property
    def query(self) -> str:
        after = f" after a {spec.continuation()[0]} the service gave" if self.start is not None else ""
        return query_of(self.selection, self.size) + after


def ids_of(pages: Sequence[Exchange]) -> list[str]:
    """The identities of the images of some pages, in order (Exchange.image_ids)."""
    return [found for page in pages for found in page.image_ids]


@dataclass(frozen=True)
class Retried:
    """A step of the walk that failed, then got its page when sent again: every answer it got."""

    selection: str
    refused: bool  # its first answer was judged but no page; else it was no answer at all
    tries: tuple[Exchange, ...]


@dataclass
class Walk:
    sender: Gets
    max_requests: int = MAX_REQUESTS
    exchanges: list[Exchange] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    stopped: str = ""  # why the walk stopped early, if it did
    again: int = 0  # more tries of a step whose answer fails
    pause: Callable[[float], None] = time.sleep
    retried: list[Retried] = field(default_factory=list)
    phase: str = "walk"  # what its requests are, in the run's log (a walk sent again is a replay)

    @property
    def marker(self) -> str | None:
        """A continuation the service gave the run's own listing (for the probes), if any."""
        return next((ex.continuation for ex in self.exchanges if ex.judged and ex.continuation), None)

    def step(self, query: dict[str, Any]) -> list[Exchange]:
        """Every answer one page request got: sent again while it fails and tries are left (the last answer is the
        step's)."""
        tries = [self._send(query)]
        while tries[-1].images is None and len(tries) <= self.again:
            self.pause(REPLAY_PAUSE)
            tries.append(self._send(query))
        last = tries[-1]
        if len(tries) > 1 and last.images is not None:
            self.retried.append(Retried(str(query.get(spec.selector())), tries[0].judged, tuple(tries)))
        if not last.judged:
            what = last.error or (f"still throttled ({last.status})" if last.throttled else f"a blip ({last.status})")
            again = f", at each of {len(tries)} tries of the step" if len(tries) > 1 else ""
            raise Stop(f"{what}{again}: {last.curl}")
        return tries

    def _send(self, query: dict[str, Any]) -> Exchange:
        if len(self.exchanges) >= self.max_requests:
            raise Stop(f"the walk's budget of {self.max_requests} requests is spent")
        ex = self.sender.get(query, auth=VALID, phase=self.phase)
        self.exchanges.append(ex)
        return ex

    def listing(
        self, selection: str, size: int | None, max_pages: int, prefix: bool = False, start: str | None = None
    ) -> Listing:
        """The pages of one query, first to last (at most max_pages; with prefix, its first max_pages pages, all the
        walk needs of it), kept whichever way it ended; from a continuation the service gave, when start is one."""
        continues, _ = spec.continuation()
        pages: list[Exchange] = []
        seen_markers: dict[str, int] = {}
        seen_ids: dict[str, int] = {}
        marker: str | None = start

        def ended(how: str, earlier: int = 0, tries: int = 1) -> Listing:
            found = Listing(selection, size, tuple(pages), how, earlier, tries, start)
            self.listings.append(found)
            return found

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
                return ended(NO_PAGE, tries=len(tries))
            ids = page.image_ids
            repeated = [found for found in ids if found in seen_ids]
            if repeated:
                return ended(IMAGE_REPEATED, seen_ids[repeated[0]])
            seen_ids.update((found, n) for found in ids)
            marker = page.continuation
            if marker is None:
                return ended(LAST)
            if marker in seen_markers:
                return ended(MARKER_REPEATED, seen_markers[marker])
            seen_markers[marker] = n
        return ended(FIRST_PAGES if prefix else ENDLESS)

    def first_pages(self, selection: str, size: int | None, count: int, start: str | None = None) -> None:
        """Lists the first `count` pages of a query (fewer when it ends sooner): a listing's beginning (after the
        continuation start, when given)."""
        self.listing(selection, size, count, prefix=True, start=start)

    def edges(self, parts: Sequence[str]) -> list[int]:
        """Where each part of a union ends in it (the images of the parts before it, and its own), as listed."""
        counts = [len(r.images) if (r := reference(self.listings, part)) else 0 for part in parts]
        return sorted({sum(counts[: n + 1]) for n in range(len(counts) - 1)} - {0})

    def gather(self, only: Collection[str] = ()) -> None:
        """List every selector value (or only those) at the largest and a small page size, its first pages at the
        sizes callers usually ask for, its first page without one, and the first pages of each union at the smallest
        size."""
        smallest, largest = spec.limit_bounds()
        for selection, rule in spec.image_type_selects().items():
            if only and selection not in only:
                continue
            whole = self.listing(selection, largest, REFERENCE_PAGES)
            if not whole.complete:
                continue
            count = len(whole.images)  # every image takes its place in a page, with an identity or without
            # A small page size, below the largest even for a type with thousands of images: the whole listing when
            # it takes about SMALL_PAGES pages, else its first SMALL_PAGES pages.
            small = max(smallest, min(largest // 2, math.ceil(count / SMALL_PAGES)))
            after = None
            if count:  # one image too: a page of one, and paging that ends after it
                # Every union's page may stop short where one of its parts ends: room for one page per part.
                slack = len(rule.get("union", ())) + 2
                if math.ceil(count / small) <= SMALL_PAGES + slack:
                    paged = self.listing(selection, small, math.ceil(count / small) + slack)
                else:
                    paged = self.listing(selection, small, SMALL_PAGES, prefix=True)
                after = paged.pages[0].continuation if paged.usable and paged.pages else None
            self.first_pages(selection, None, 1)
            default = int(spec.parameter_default(spec.page_size()))
            if default not in (largest, small):
                self.first_pages(selection, default, 1)
            if after is not None:  # the page after a continuation, without a page size and with its default
                self.first_pages(selection, None, 1, start=after)
                self.first_pages(selection, default, 1, start=after)
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


def listed(listings: Sequence[Listing], selection: str) -> list[Listing]:
    """A selection's listings from the first page whose paging did not break."""
    return [
        listing for listing in listings if listing.selection == selection and listing.usable and listing.start is None
    ]


def reference(listings: Sequence[Listing], selection: str) -> Listing | None:
    """The complete listing of a selection at the largest page size walked."""
    complete = [listing for listing in listed(listings, selection) if listing.complete and listing.size is not None]
    return max(complete, key=lambda listing: listing.size or 0, default=None)


def images_per_selection(listings: Sequence[Listing]) -> dict[str, int]:
    """How many images each selector value (image_type) lists: its complete listing at the largest page size walked;
    a selection whose listing broke off is not counted."""
    counted = {selection: reference(listings, selection) for selection in spec.image_type_selects()}
    return {selection: len(found.images) for selection, found in counted.items() if found is not None}


def run(
    sender: Gets,
    max_requests: int = MAX_REQUESTS,
    again: int = 0,
    pause: Callable[[float], None] = time.sleep,
    only: Collection[str] = (),
    phase: str = "walk",
) -> Walk:
    """Every listing the walk takes (of only these selector values, if given), within its budget, each failing step
    sent `again` more times; an answer that judges nothing stops it (Walk.stopped)."""
    walk = Walk(sender, max_requests, again=again, pause=pause, phase=phase)
    try:
        walk.gather(only)
    except Stop as exc:
        walk.stopped = str(exc)
    return walk
