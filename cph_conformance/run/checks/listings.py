"""The relations the spec states between queries, each a check over the walk's listings of one image type (Walked),
derived from the spec's annotations, not from this module:
- pagination: a listing ends, repeats no continuation and no image, skips no image (each page starts where the page
  before ended, in the listing at the largest page size), and every page request of it is answered with a page (the
  marker is the SDK's "pagination marker", next_marker "the marker that queries the next page"); a 200 whose body
  is no page is the answer checks' finding (its schema, or a body the run could not read), not paging's;
- full_pages (the page-size parameter, x-page-size): a page that more images follow holds as many as the page size
  asks for (the SDK: the number of images each page returns), except where a union's page ends with one of its types;
- same_listing_at_any_limit (the page-size parameter, x-page-size): the same images in the same order at any size;
- omitted_is_default (a parameter's schema default): leaving it out is sending its default, on the first page and on
  the page after a continuation the service gave;
- all_is_the_union (a selector value whose x-selects is a union): exactly its parts' images, in their order when
  the union is ordered, at every page size walked;
- image_type_partition (the parts of a union): no image is listed under two of them;
- selected_images_listed (x-selects read the other way, over what the run saw: Seen): every image that any answer of
  the run lists (a listing of another type, a request without image_type, one of schemathesis' cases) is in the
  complete listing of the type its values select, and of every union of that type.

A difference of members is said the way the rule points: the listing with fewer images is the one that lost them
(a listing at the largest page size cut short by a cap lost images; the smaller pages did not gain them).
Where one cause breaks several relations, the registry says which check's failure explains another's (explained_by):
an image skipped between pages (pagination) makes the listing differ at that page size (same_listing_at_any_limit),
and a listing of the union that differs at a page size differs from its parts there too (all_is_the_union).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from cph_conformance import spec
from cph_conformance.run.checks.answer import carried_fields
from cph_conformance.run.checks.evidence import Seen, Walked, siblings
from cph_conformance.run.checks.registry import LISTINGS, SEEN, Drift, check
from cph_conformance.run.collect.walk import (
    ENDLESS,
    IMAGE_REPEATED,
    MARKER_REPEATED,
    NO_PAGE,
    Listing,
    ids_of,
    listed,
    query_of,
    reference,
)
from cph_conformance.run.transport.exchange import Exchange, identity

SHOWN = 5  # ids named in a message


def _lacks(name: str, ids: list[str]) -> str:
    return f"{name} lacks {len(ids)}: {', '.join(ids[:SHOWN])}" + (", ..." if len(ids) > SHOWN else "")


def _members(want: list[str], got: list[str], names: tuple[str, str], prefix: bool) -> str:
    """What differs between the members of two listings, said the way the rule points: the listing with fewer images
    is the one that lost them. names: (the listing that should hold want, the one that holds got)."""
    want_name, got_name = names
    missing = [] if prefix else [i for i in want if i not in set(got)]
    extra = [i for i in got if i not in set(want)]
    counts = f"{got_name} lists {len(got)} image(s), {want_name} {len(want)}"
    lost = [_lacks(got_name, missing)] if missing else []
    lost += [_lacks(want_name, extra)] if extra else []
    return f"{counts}: {'; '.join(lost)}"


def _compare(
    want: list[str], got: list[str], prefix: bool, names: tuple[str, str], ordered: bool = True
) -> tuple[str, str] | None:
    """(cause, what differs) between the ids a listing should hold and those it holds; got may hold only the first
    ones when prefix; the order counts when ordered. names: (what holds want, what holds got), for the message."""
    if not ordered:
        if (prefix or set(got) >= set(want)) and set(got) <= set(want):
            return None
        return "members", _members(want, got, names, prefix)
    expected = want[: len(got)] if prefix else want
    if got == expected:
        return None
    if set(got) - set(want) or (not prefix and set(want) - set(got)):
        return "members", _members(want, got, names, prefix)
    shorter = min(len(got), len(expected))
    at = next((n for n in range(shorter) if got[n] != expected[n]), shorter)
    if at < shorter:
        return "order", f"position {at + 1} holds {got[at]} where {names[0]} holds {expected[at]}"
    return "members", f"{names[1]} lists {len(got)} image(s) where {names[0]} lists {len(expected)} (one twice)"


def _paged(walked: Walked) -> bool:
    return bool(walked.own)


@check(
    "paging with the continuation ends, repeats no marker and no image, skips no image, and each page request gets a "
    "page",
    ("sdk.marker", "sdk.next_marker"),
    "every listing the walk pages through; what it skips, against the listing at the largest page size",
    LISTINGS,
    applies=_paged,
)
def pagination(walked: Walked) -> Iterator[Drift]:
    continues, _ = spec.continuation()
    whole = reference(walked.listings, walked.selection)
    for listing in walked.own:
        yield from _broken(listing, continues)
        if whole is not None and listing is not whole and listing.usable:
            yield from _skipped(listing, whole, continues)


def _skipped(listing: Listing, whole: Listing, continues: str) -> Iterator[Drift]:
    """The first page that does not start where the page before ended: after pages that hold the first images of the
    listing at the largest page size (in any order), a page that holds later ones, and not the images between, which
    no page of this listing holds. Judged only while the pages so far hold the beginning of that listing: where they
    differ otherwise, the order or the members differ, which same_listing_at_any_limit says."""
    position = {image_id: n for n, image_id in enumerate(whole.ids)}
    everywhere = set(listing.ids)
    seen: set[str] = set()
    for n, page in enumerate(listing.pages, 1):
        ids = page.image_ids
        if not ids or any(i not in position for i in ids) or seen != set(whole.ids[: len(seen)]):
            return
        if n > 1:
            furthest = max(position[i] for i in ids)
            skipped = [i for i in whole.ids[len(seen) : furthest] if i not in everywhere]
            if skipped:
                yield Drift(
                    "skipped",
                    f"{listing.query}, page {n} (after page {n - 1}'s {continues}): skips {len(skipped)} image(s) that "
                    f"{spec.page_size()}={whole.size} lists between them, and no page walked at this size lists: "
                    f"{', '.join(skipped[:SHOWN])}",
                    (*whole.pages[: _page_holding(whole, furthest) + 1], *listing.pages[:n]),
                    listing.selection,
                    instance=listing.query,
                )
                return
        seen.update(ids)


def _page_holding(listing: Listing, position: int) -> int:
    """The index of the page that holds the image at this position of the listing."""
    count = 0
    for n, page in enumerate(listing.pages):
        count += len(page.images or ())
        if position < count:
            return n
    return len(listing.pages) - 1


def _broken(listing: Listing, continues: str) -> Iterator[Drift]:
    pages, where, n = listing.pages, listing.query, len(listing.pages)
    if listing.ended == NO_PAGE:
        page = pages[-1]
        if page.status == 200:
            # A 200 that holds no page is a body that breaks its schema, or one the run could not read:
            # response_schema_conformance's finding (within_the_largest_page's, too large), not another of paging's.
            return
        what = f"page {n}, after a {continues} the service gave" if n > 1 or listing.start else "the first page"
        every = f" (refused at each of {listing.tries} tries of this step)" if listing.tries > 1 else ""
        said = f"expected 200 with phone_images; got {page.status} {page.shown(160)!r}{every}"
        yield Drift("refused", f"{where}, {what}: {said}", pages[-2:], listing.selection)
    elif listing.ended == IMAGE_REPEATED:
        seen = set(ids_of(pages[: n - 1]))
        repeated = [i for i in ids_of(pages[-1:]) if i in seen]
        yield Drift(
            "image-repeated",
            f"{where}: page {n} repeats {len(repeated)} image(s) of page {listing.earlier}: {', '.join(repeated[:3])}",
            (pages[listing.earlier - 1], pages[-1]),
            listing.selection,
        )
    elif listing.ended == MARKER_REPEATED:
        yield Drift(
            "marker-repeated",
            f"{where}: page {n} gives next_marker {pages[-1].continuation!r}, which page {listing.earlier} gave "
            "already: paging would never end",
            (pages[listing.earlier - 1], pages[-1]),
            listing.selection,
        )
    elif listing.ended == ENDLESS:
        # No image and no marker repeated (those end the walk first): each page went on to another marker.
        empty = next((k for k in range(n) if not any(p.images for p in pages[k:])), n)
        held = f"; pages {empty + 1} to {n} hold no image, yet each gives one" if empty < n - 1 else ""
        yield Drift(
            "endless",
            f"{where}: paging did not end after {n} pages, more than the images listed at the largest page size "
            f"need: each page gives a new {continues}{held}",
            (pages[0], *pages[-2:]),  # the first page, and the last: the page with a marker, and the next one's
            listing.selection,
        )


def _comparable(walked: Walked) -> bool:
    whole = reference(walked.listings, walked.selection)
    return whole is not None and any(
        listing is not whole and listing.size is not None for listing in listed(walked.listings, walked.selection)
    )


@check(
    "a listing holds the same images in the same order at any page size",
    ("sdk.limit", "sdk.next_marker"),
    "every listing, against the one at the largest page size",
    LISTINGS,
    applies=_comparable,
    explained_by=("pagination",),  # an image skipped between pages is missing at that page size
)
def same_listing_at_any_limit(walked: Walked) -> Iterator[Drift]:
    whole = reference(walked.listings, walked.selection)
    assert whole is not None
    for listing in listed(walked.listings, walked.selection):
        if listing is whole or listing.size is None:
            continue
        names = (_size(whole), _size(listing) + ("" if listing.complete else "'s first pages"))
        differs = _compare(whole.ids, listing.ids, not listing.complete, names)
        if differs:
            cause, what = differs
            yield Drift(
                cause,
                f"{listing.query} against {_size(whole)}: {what}",
                (*whole.pages, *listing.pages),
                walked.selection,
                instance=listing.query,
            )


def _size(listing: Listing) -> str:
    return f"no {spec.page_size()}" if listing.size is None else f"{spec.page_size()}={listing.size}"


def _defaulted(walked: Walked) -> list[tuple[Listing, Listing]]:
    """A selection's pages with the page size's default and without a page size, paired where both start at the same
    place: the first page, and the page after a continuation the service gave."""
    default = int(spec.parameter_default(spec.page_size()))
    own = [listing for listing in walked.own if listing.usable and listing.pages]
    pairs = []
    for start in dict.fromkeys(listing.start for listing in own):
        with_default = next((x for x in own if x.size == default and x.start == start), None)
        omitted = next((x for x in own if x.size is None and x.start == start), None)
        if with_default and omitted:
            pairs.append((with_default, omitted))
    return pairs


@check(
    "leaving out a parameter that has a default is sending the default (limit: 500), after a marker too",
    ("sdk.limit",),
    "the first page and the page after a marker without limit, against limit=500's",
    LISTINGS,
    applies=lambda walked: bool(_defaulted(walked)),
)
def omitted_is_default(walked: Walked) -> Iterator[Drift]:
    for with_default, omitted in _defaulted(walked):
        after = omitted.start is not None
        where = f"the page after a {spec.continuation()[0]} the service gave" if after else "the first page"
        names = (f"{where} at {_size(with_default)}", f"{where} without")
        differs = _compare(ids_of(with_default.pages[:1]), ids_of(omitted.pages[:1]), False, names)
        if differs:
            cause, what = differs
            yield Drift(
                f"{cause}:after-marker" if after else cause,
                f"{spec.selector()}={walked.selection} without {spec.page_size()}, against "
                f"{spec.page_size()}={with_default.size} (the default): {what}",
                (with_default.pages[0], omitted.pages[0]),
                walked.selection,
            )


def _short_page(listing: Listing, joins_types: bool) -> tuple[int, int] | None:
    """(page number from 1, its image count) of the first page that holds fewer images than the page size asks for
    (its default when left out) while later pages of the listing hold more; in a union, a page may end where one of
    its types ends (a short page before a page of another type: Huawei's sources leave it open)."""
    asked = listing.size if listing.size is not None else int(spec.parameter_default(spec.page_size()))
    counts = [len(page.images or ()) for page in listing.pages]
    images = listing.images
    for n, count in enumerate(counts[:-1]):
        through = sum(counts[: n + 1])
        if count >= asked or through >= len(images):  # full, or nothing follows it
            continue
        if joins_types and through and owner(images[through - 1]) != owner(images[through]):
            continue
        return n + 1, count
    return None


@check(
    "a page that more images follow holds as many as limit asks for (500 without limit); in a listing of all, a page "
    "may end where an image type ends",
    ("sdk.limit",),
    "every page of every listing the walk pages through, but its last",
    LISTINGS,
    applies=_paged,
)
def full_pages(walked: Walked) -> Iterator[Drift]:
    joins_types = "union" in spec.image_type_selects().get(walked.selection, {})
    for listing in walked.own:
        short = _short_page(listing, joins_types) if listing.usable else None
        if short is None:
            continue
        n, count = short
        asked = f"{spec.page_size()}={listing.size}" if listing.size is not None else f"no {spec.page_size()}"
        yield Drift(
            "short-page",
            f"{listing.query}, page {n}: holds {count} image(s) where {asked} asks for "
            f"{listing.size or spec.parameter_default(spec.page_size())}, and page {n + 1} lists more"
            + (" (the page does not end where an image type ends)" if joins_types else ""),
            listing.pages[n - 1 : n + 1],
            walked.selection,
            instance=listing.query,
        )


def _union(walked: Walked) -> tuple[list[str], list[Listing]] | None:
    """A union's parts and their complete listings, when the selection is a union and every part was listed."""
    parts = list(spec.image_type_selects().get(walked.selection, {}).get("union", ()))
    references = [reference(walked.listings, part) for part in parts]
    if not parts or any(r is None for r in references):
        return None
    return parts, [r for r in references if r is not None]


@check(
    "a union (image_type=all) lists exactly its parts' images, the parts in their order, at every page size",
    ("page.image_type", "sdk.limit"),
    "every listing of all, against public + private + share",
    LISTINGS,
    applies=lambda walked: _union(walked) is not None and bool(listed(walked.listings, walked.selection)),
    explained_by=("same_listing_at_any_limit",),  # a listing of the union that differs at a size differs from its parts
)
def all_is_the_union(walked: Walked) -> Iterator[Drift]:
    found = _union(walked)
    assert found is not None
    parts, references = found
    rule = spec.image_type_selects()[walked.selection]
    part_of: dict[str, int] = {}  # an image listed under two parts is the first's (image_type_partition says so)
    for n, r in enumerate(references):
        for image_id in r.ids:
            part_of.setdefault(image_id, n)
    for listing in listed(walked.listings, walked.selection):
        if listing.size is None:
            continue
        shown = (*(page for r in references for page in r.pages), *listing.pages)
        where = f"{query_of(walked.selection, listing.size)} against {' + '.join(parts)}"
        names = ("its parts", walked.selection + ("" if listing.complete else "'s first pages"))
        differs = _compare(list(part_of), listing.ids, not listing.complete, names, ordered=False)
        if differs:
            yield Drift("members", f"{where}: {differs[1]}", shown, walked.selection, instance=listing.query)
            continue
        # Ordered: the parts one after the other, in their order (a listing's first pages, the first of them). An
        # image listed twice counts where it is first (pagination and unique_image_ids judge the repeat).
        once = list(dict.fromkeys(listing.ids))
        groups = [part_of[i] for i in once]
        expected = sorted(part_of.values())[: len(groups)]
        if rule.get("ordered") and groups != expected:
            at = next(n for n, (got, want) in enumerate(zip(groups, expected, strict=True)) if got != want)
            yield Drift(
                "order",
                f"{where}: position {listing.ids.index(once[at]) + 1} holds image {once[at]}, a {parts[groups[at]]} "
                f"image, where a {parts[expected[at]]} one was expected (the order is {', '.join(parts)})",
                shown,
                walked.selection,
                instance=listing.query,
            )
            continue
        for n, part in enumerate(references):
            within = [i for i in once if part_of[i] == n]
            if within and within != [i for i in part.ids if part_of[i] == n][: len(within)]:
                yield Drift(
                    f"order-within:{parts[n]}",
                    f"{where}: the {parts[n]} images come in another order than in {parts[n]}'s own listing",
                    shown,
                    walked.selection,
                    instance=listing.query,
                    assumed="the SDK gives the order of the types in a listing of all, not the order of the "
                    "images of one type",
                )


@check(
    "no image is listed under two image types that a union joins",
    ("page.image_type", "sdk.limit"),
    "the listings of public, private and share",
    LISTINGS,
    applies=lambda walked: _union(walked) is not None,
)
def image_type_partition(walked: Walked) -> Iterator[Drift]:
    found = _union(walked)
    assert found is not None
    owner: dict[str, Listing] = {}
    for part in found[1]:
        for image_id in part.ids:
            other = owner.setdefault(image_id, part)
            if other is not part:
                yield Drift(
                    f"{other.selection}+{part.selection}",
                    f"image {image_id} is listed as {other.selection} and as {part.selection}",
                    (other.pages[0], part.pages[0]),
                    walked.selection,
                )
                break


# --- what the run saw, against the listings ----------------------------------------------------------------------


def _values(rule: dict[str, Any]) -> dict[str, Any]:
    """The field values a type's x-selects gives (is_public: 1), without its other keywords."""
    return {k: v for k, v in rule.items() if k not in ("carries", "union", "ordered") and not k.startswith("x-")}


@functools.cache
def _selecting() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]]:
    """((field, the type it marks), ...), ((type, its field values), ...): what owner() reads, from x-selects."""
    values = tuple((selection, tuple(_values(rule).items())) for selection, rule in spec.image_type_selects().items())
    return tuple(carried_fields().items()), tuple((s, v) for s, v in values if v)


def owner(image: dict[str, Any]) -> str | None:
    """The image type whose values an image carries (x-selects): the type a field it carries marks (receive_status:
    share), else the one whose values it has (is_public 1: public); None when none."""
    carried, valued = _selecting()
    for field, selection in carried:
        if image.get(field) is not None:
            return selection
    return next((s for s, values in valued if all(image.get(k) == v for k, v in values)), None)


def _listed(seen: Seen) -> bool:
    """The type's complete listing, and, for a part of a union, every part's, were walked."""
    return all(reference(seen.listings, s) is not None for s in siblings(seen.selection))


def _asked(ex: Exchange) -> str:
    query = urlsplit(ex.url).query
    return f"the {ex.phase or 'run'}'s request " + (f"?{query}" if query else "without a query")


@check(
    "every image any answer of the run lists is in the complete listing of its type (ImageType's x-selects, read "
    "the other way), and in its union's",
    tuple(dict.fromkeys(c for rule in spec.image_type_selects().values() for c in spec.cites(rule))),
    "every image of every answer, against each type's complete listing",
    SEEN,
    applies=_listed,
)
def selected_images_listed(seen: Seen) -> Iterator[Drift]:
    whole = reference(seen.listings, seen.selection)
    assert whole is not None
    rule = spec.image_type_selects()[seen.selection]
    parts = rule.get("union", (seen.selection,))
    project = whole.pages[0].project_id if whole.pages else None
    listed_ids = set(whole.ids)
    missing: dict[str, tuple[Exchange, str]] = {}  # image -> the first answer that lists it, and its type
    for ex in seen.answers:
        if ex.project_id != project:
            continue
        for image in ex.images or ():
            image_id = identity(image)
            if image_id is not None and image_id not in listed_ids and image_id not in missing:
                kind = owner(image)
                if kind in parts:
                    missing[image_id] = (ex, str(kind))
    # Listed under another part of the union: which part an image belongs to then rests on what the spec assumes of
    # that part (share: every shared image carries receive_status), a warning; listed nowhere, a failure.
    elsewhere: dict[str, str] = {}
    for other in sorted(siblings(seen.selection) - {seen.selection}):
        found = reference(seen.listings, other)
        elsewhere |= {i: other for i in (found.ids if found else ()) if i in missing and i not in elsewhere}
    for cause, ids in (("missing", [i for i in missing if i not in elsewhere]), ("elsewhere", list(elsewhere))):
        if not ids:
            continue
        first = ids[0]
        ex, kind = missing[first]
        also = f"; {len(ids)} such images: {', '.join(ids[:SHOWN])}" if len(ids) > 1 else ""
        where = f", and {elsewhere[first]}'s lists it" if cause == "elsewhere" else ""
        part = f" (a part of {seen.selection})" if kind != seen.selection else ""
        said = (
            f"image {first}, which {_asked(ex)} lists, is of {kind}{part} by its values but not in {whole.query}'s "
            f"complete listing of {len(whole.ids)} image(s){where}{also}"
        )
        yield Drift(
            cause,
            said,
            (ex, whole.pages[0]),
            seen.selection,
            spec.cites(rule),
            _assumed(elsewhere[first]) if cause == "elsewhere" else "",
            instance=first,
        )


def _assumed(where: str) -> str:
    carries = spec.assumed_keywords(spec.image_type_selects()[where]).get("carries")
    return f"another type ({where}) lists it, and which type it is then rests on an assumption" + (
        f": {carries}" if carries else ""
    )
