"""Named, deliberate violations of the contract, one at a time (`--fault NAME` or CPH_MOCK_FAULT), and faithful
variants: behaviours Huawei's sources allow that the spec's assumptions do not, which the run must accept.

Each fault owns its behaviour: how it loosens the spec the mock serves, how it pages, how it changes a page, an
error answer or the answer as a whole. mock/app.py hands the fault to the engine (cph_client.testing.engine, which
the wheel's fake CPH answers from too) as its hooks, so adding a fault is one entry here.
The mock knows what each fault does, not which check of the run catches it: the mock never imports the run (the run
starts the mock). cph_conformance.run.checks.caught names the check each fault must fail, and the fault matrix
(tests/test_fault_matrix.py) holds the run to it. In fault mode the mock's self-validation is off.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cph_client.testing.engine import Answer, Call, Pager

from cph_conformance import spec

__all__ = ["FAULTS", "Answer", "Call", "Fault", "get"]
HUGE = 4 << 20  # bytes of a huge page's padding: more than the run reads of an answer (twice the largest page)

Body = dict[str, Any]
Image = dict[str, Any]


@dataclass(frozen=True)
class Fault:
    description: str  # what it breaks (or, faithful, what it does that Huawei's sources allow)
    faithful: bool = False  # a behaviour Huawei's sources allow: the run must pass
    strict_only: bool = False  # only reported with CPH_STRICT=1
    inconclusive: bool = False  # True: the run cannot judge enough of it, and must say so (exit 2), never pass
    loosen: Callable[[dict[str, Any]], None] | None = None  # edits (a copy of) the operation the mock serves
    authenticates: bool = True  # False: no credential is asked for
    accepts_token: Callable[[str, str], bool] | None = None  # (token received, the right one): let it in?
    signature_lets_in: Callable[[str], bool] | None = None  # why a signed request is refused: let it in anyway?
    token_from: Callable[[Mapping[str, str], str], str | None] | None = None  # (headers, query): a token found
    # where the page does not put it, taken as the X-Auth-Token (mock/misplaced.py)
    any_project: Callable[[Call], bool] | None = None  # a request for another project answered with the run's images
    fail_with: Callable[[Call], int | None] | None = None  # a status to answer instead of a page
    select: Callable[[str | None], str | None] | None = None  # the image_type whose images are listed
    pager: Pager | None = None  # how a selection is cut into pages
    page: Callable[[Body, Call], Body] | None = None  # changes a 200 body
    answer: Callable[[Body, Call], Answer | None] | None = None  # replaces the 200 answer as a whole
    error: Callable[[int, Body, str], Answer | None] | None = None  # replaces an error answer (status, body, token)
    flaky: bool = False  # its failure does not come back every time: flaky, not drift (unless CPH_FAIL_ON_FLAKY)


def _images(body: Body) -> list[Image]:
    return [dict(i) for i in body.get("phone_images", [])]


def _with_images(body: Body, images: list[Image]) -> Body:
    return {**body, "phone_images": images}


def _each(change: Callable[[Image], None]) -> Callable[[Body, Call], Body]:
    def page(body: Body, _call: Call) -> Body:
        images = _images(body)
        for image in images:
            change(image)
        return _with_images(body, images)

    return page


def _first(change: Callable[[Image], None]) -> Callable[[Body, Call], Body]:
    def page(body: Body, _call: Call) -> Body:
        images = _images(body)
        if images:
            change(images[0])
        return _with_images(body, images)

    return page


def _json(status: int, body: Body, headers: dict[str, str] | None = None) -> Answer:
    import json

    return Answer(status, json.dumps(body).encode(), "application/json", headers or {})


def _set(key: str, value: Any) -> Callable[[Image], None]:
    return lambda image: image.__setitem__(key, value)


# --- pagers: Catalog.page's contract, broken in one way each ---------------------------------------------------


def _position(selection: Sequence[Image], marker: str | None) -> int:
    if marker is None:
        return 0
    ids = [str(i["image_id"]) for i in selection]
    return ids.index(marker) + 1 if marker in ids else len(selection)


def _from(selection: Sequence[Image], start: int, limit: int) -> tuple[Sequence[Image], str | None]:
    """limit images from start, and the marker of the next page (the last image's id) when more remain."""
    images = selection[start : start + limit]
    more = start + limit < len(selection)
    return images, (images[-1]["image_id"] if more and images else None)


def _plain(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    return _from(selection, _position(selection, call.marker), call.limit)


def _end_at_type_edge(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    images, marker = _plain(selection, call)
    public, _ = spec.enum("IsPublic")
    end = _position(selection, call.marker) + len(images)
    edge = sum(1 for i in selection if i["is_public"] == public)  # public images come first in all
    if call.image_type in (None, "all") and images and end == edge < len(selection):
        return images, None
    return images, marker


def _marker_ignored(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    return _from(selection, 0, call.limit)


def _last_page_points_back(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    start = _position(selection, call.marker)
    images, marker = _from(selection, start, call.limit)
    if marker is None and start > 0 and selection:
        marker = selection[0]["image_id"]
    return images, marker


def _pages_overlap(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    return _from(selection, max(0, _position(selection, call.marker) - 1), call.limit)


def _pages_skip(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    return _from(selection, _position(selection, call.marker) + (1 if call.marker else 0), call.limit)


def _all_without_shared(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    if call.image_type in (None, "all"):
        selection = [i for i in selection if "receive_status" not in i]
    return _from(selection, _position(selection, call.marker), call.limit)


def _over_limit(body: Body, call: Call) -> Body:
    """Pad with copies of this page's own images under fresh ids: only the count is wrong."""
    images = _images(body)
    if not images:
        return body
    images += [dict(images[n % len(images)]) for n in range(call.limit + 1 - len(images))]
    for n, image in enumerate(images):
        image["image_id"] = f"{n:032x}"
    return _with_images(body, images)


def _duplicate(body: Body, _call: Call) -> Body:
    images = _images(body)
    if not images:
        return body
    return _with_images(body, [*images[:-1], images[0]] if len(images) > 1 else images * 2)


def _private_receive_status(body: Body, call: Call) -> Body:
    _, private = spec.enum("IsPublic")
    images = _images(body)
    for image in images:
        if image.get("is_public") == private and "receive_status" not in image:
            image["receive_status"] = spec.enum("ReceiveStatus")[0]
            break
    return _with_images(body, images)


def _set_lower(key: str) -> Callable[[Image], None]:
    return lambda image: image.__setitem__(key, str(image[key]).lower())


def _stringify(key: str) -> Callable[[Image], None]:
    return lambda image: image.__setitem__(key, str(image[key]))


def _reversed_when_small(body: Body, call: Call) -> Body:
    if call.limit >= spec.limit_bounds()[1]:
        return body
    return _with_images(body, _images(body)[::-1])


def _share_with_private(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    if call.image_type == "share":  # selected as all: all less the public images
        public, _ = spec.enum("IsPublic")
        selection = [i for i in selection if i["is_public"] != public]
    return _from(selection, _position(selection, call.marker), call.limit)


def _first_public_hidden(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    """public and all leave out the first public image; a request without image_type still lists it."""
    if call.image_type in ("public", "all"):
        public, _ = spec.enum("IsPublic")
        first = next((i for i in selection if i["is_public"] == public), None)
        selection = [i for i in selection if i is not first]
    return _from(selection, _position(selection, call.marker), call.limit)


def _all_by_id(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    if call.image_type in (None, "all"):
        selection = sorted(selection, key=lambda image: str(image["image_id"]))
    return _from(selection, _position(selection, call.marker), call.limit)


def _stop_at_type_boundary(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    """Catalog.page's contract, except that a page never holds images of two types: it stops short where its type
    ends, with a next_marker (only the last page has none)."""
    start = _position(selection, call.marker)
    images = list(selection[start : start + call.limit])
    kinds = [(i["is_public"], "receive_status" in i) for i in images]
    cut = next((n for n in range(1, len(kinds)) if kinds[n] != kinds[0]), len(images))
    images = images[:cut]
    more = start + len(images) < len(selection)
    return images, (images[-1]["image_id"] if more and images else None)


def _echo_token(body: Body, call: Call) -> Body:
    return {**body, "request_id": call.token}


def _echo_token_answer(body: Body, call: Call) -> Answer:
    return _json(200, body, {spec.request_id_header(): call.token, "X-Echo": f"token={call.token}"})


def _echo_token_error(status: int, body: Body, token: str) -> Answer:
    return _json(status, {**body, "error_msg": f"{body.get('error_msg')} (token {token})"}, {"X-Echo": token})


def _every_other_time(fail: Callable[[Call], int | None]) -> Callable[[Call], int | None]:
    """fail, at the first request it applies to and every other one after (a count of the mock's own)."""
    count = itertools.count()

    def sometimes(call: Call) -> int | None:
        status = fail(call)
        return status if status is not None and next(count) % 2 == 0 else None

    return sometimes


def _html_429(status: int, body: Body, _token: str) -> Answer | None:
    if status != 429:
        return None
    return Answer(429, b"<html><body><h1>429 Too Many Requests</h1></body></html>", "text/html")


def _html_401(status: int, body: Body, _token: str) -> Answer | None:
    if status != 401:
        return None
    return Answer(401, b"<html><body><h1>401 Unauthorized</h1></body></html>", "text/html")


def _service_code_on_404(status: int, body: Body, _token: str) -> Answer | None:
    """A 404 that carries the code the mock gives an invalid parameter (the service's), not the gateway's."""
    if status != 404:
        return None
    said = {**body, "error_code": spec.error_example(400)["error_code"]}
    return _json(404, said, {spec.request_id_header(): str(body.get("request_id"))})


def _token_anywhere(headers: Mapping[str, str], query: str) -> str | None:
    """A token in Authorization (any scheme), the query string or a cookie, as a gateway that looks everywhere."""
    from http.cookies import SimpleCookie
    from urllib.parse import parse_qs

    name = spec.auth_header()
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme in ("Bearer", "Basic", "Token") and value:
        return value
    if name in parse_qs(query):
        return parse_qs(query)[name][0]
    cookie = SimpleCookie(headers.get("cookie", ""))
    return cookie[name].value if name in cookie else None


def _with_nan(body: Body, _call: Call) -> Answer:
    """Each image with a field the spec does not list, whose value is NaN: Python's JSON reader takes it; JSON has no
    such number, and the client's parser (orjson) refuses it."""
    import json

    images = [{**image, "rating": float("nan")} for image in _images(body)]
    rid = str(body.get("request_id"))
    content = json.dumps(_with_images(body, images)).encode()
    return Answer(200, content, "application/json", {spec.request_id_header(): rid})


def _without_shares(selection: Sequence[Image], call: Call) -> tuple[Sequence[Image], str | None]:
    selection = [i for i in selection if "receive_status" not in i]
    return _from(selection, _position(selection, call.marker), call.limit)


def _empty_is_null(body: Body, _call: Call) -> Body:
    return {**body, "phone_images": body.get("phone_images") or None}


def _loosen_image_type(operation: dict[str, Any]) -> None:
    for param in operation["parameters"]:
        if param["name"] == "image_type":
            param["schema"] = {"type": "string"}


def _accept_empty_marker(operation: dict[str, Any]) -> None:
    for param in operation["parameters"]:
        if param["name"] == "marker":
            param["schema"] = {"type": "string"}


def _cached_by_content() -> Callable[[Body, Call], Answer]:
    """A cache keyed on what a page holds: a request whose page holds what an earlier request's page held (limit=500
    and no limit, say) is answered with that earlier answer as it was, its request_id too."""
    import json

    cached: dict[str, Answer] = {}

    def answer(body: Body, _call: Call) -> Answer:
        held = json.dumps({k: v for k, v in body.items() if k != "request_id"}, sort_keys=True)
        if held not in cached:
            cached[held] = _json(200, body, {spec.request_id_header(): str(body.get("request_id"))})
        return cached[held]

    return answer


def _mismatched_header(body: Body, _call: Call) -> Answer:
    other = hashlib.sha256(str(body.get("request_id")).encode()).hexdigest()[:32]
    return _json(200, body, {spec.request_id_header(): other})


FAULTS: dict[str, Fault] = {
    # The answer's shape (the schema).
    "request-id-type": Fault(
        "request_id is a number, not a string",
        page=lambda body, _c: {**body, "request_id": int(str(body["request_id"])[:8], 16)},
    ),
    "is-public-string": Fault(
        'is_public is the string "1", not an integer',
        page=_each(lambda image: image.__setitem__("is_public", str(image["is_public"]))),
    ),
    "long-image-id": Fault(
        "an image_id longer than 32 characters",
        page=_first(lambda image: image.__setitem__("image_id", image["image_id"] * 2)),
    ),
    "phone-images-object": Fault(
        "phone_images is an object of images by image_id, not an array",
        page=lambda body, _c: {**body, "phone_images": {str(i["image_id"]): i for i in _images(body)}},
    ),
    "encrypt-as-text": Fault(
        'is_support_encrypt is the text "true" or "false", not a boolean',
        page=_each(
            lambda image: image.__setitem__("is_support_encrypt", str(bool(image.get("is_support_encrypt"))).lower())
        ),
    ),
    "long-name-bytes": Fault(
        "an image_name of 50 CJK characters: 150 UTF-8 bytes, over the page's 128",
        page=_first(_set("image_name", "云手机镜像" * 10)),
    ),
    "undocumented-field": Fault(
        "images carry a field the spec does not list",
        strict_only=True,
        page=_each(_set("image_size_mb", 2048)),
    ),
    "unknown-image-label": Fault(
        "an image_label outside the spec's five",
        page=_first(_set("image_label", "cloud_phone_9000")),
    ),
    # The answer as a whole.
    "wrong-content-type": Fault(
        "200 with Content-Type text/plain",
        answer=lambda body, _c: Answer(200, _json(200, body).body, "text/plain"),
    ),
    "huge-page": Fault(
        f"every 200 is its page followed by {HUGE >> 20} MB of white space: larger than any page the spec allows",
        answer=lambda body, _c: Answer(200, _json(200, body).body + b" " * HUGE, "application/json"),
    ),
    "undocumented-status": Fault(
        "203 instead of 200, a status the spec does not list",
        answer=lambda body, _c: _json(203, body),
    ),
    "server-error": Fault(
        "500 for image_type=share",
        fail_with=lambda call: 500 if call.image_type == "share" else None,
    ),
    "server-error-over-100": Fault(
        "500 for a limit over 100 (none given is answered): a failure schemathesis' fuzzing shrinks to limit=101",
        fail_with=lambda call: 500 if call.limit_given and call.limit > 100 else None,
    ),
    "server-error-every-other-time": Fault(
        "500 for every other request for image_type=share: sent again, it is answered, then fails again (flaky)",
        fail_with=_every_other_time(lambda call: 500 if call.image_type == "share" else None),
        flaky=True,
    ),
    # What a page holds.
    "public-filter-leak": Fault(
        "image_type=public also returns private images",
        select=lambda image_type: "all" if image_type == "public" else image_type,
    ),
    "private-receive-status": Fault(
        "a private image carries receive_status, which belongs to shared images",
        page=_private_receive_status,
    ),
    "duplicate-image-ids": Fault("an image appears twice in a page", page=_duplicate),
    "over-limit": Fault("one image more than limit", page=_over_limit),
    # Across pages (the walk).
    "marker-ignored": Fault("marker is ignored: every page is page one", pager=_marker_ignored),
    "last-page-points-back": Fault(
        "the last page carries a next_marker pointing back to the first page",
        pager=_last_page_points_back,
    ),
    "pages-overlap": Fault("each page repeats the last image of the page before", pager=_pages_overlap),
    "pages-skip": Fault("an image is skipped between pages", pager=_pages_skip),
    "usual-sizes-skip": Fault(
        "at the page sizes callers usually ask for (10, 20, 50), an image is skipped between pages",
        pager=lambda selection, call: (_pages_skip if call.limit in spec.usual_page_sizes() else _plain)(
            selection, call
        ),
    ),
    "private-usual-size-skip": Fault(
        "image_type=private at limit=10 (a size callers usually ask for) skips an image between pages; every other "
        "listing is whole",
        pager=lambda selection, call: (
            _pages_skip if call.image_type == "private" and call.limit == spec.usual_page_sizes()[0] else _plain
        )(selection, call),
    ),
    "all-ends-at-type-edge": Fault(
        "a page of all that ends exactly where the public images end has no next_marker: the listing stops there",
        pager=_end_at_type_edge,
    ),
    "limit-capped-15": Fault(
        "a page holds at most 15 images whatever limit asks for, with a next_marker while more remain",
        pager=lambda selection, call: _from(selection, _position(selection, call.marker), min(call.limit, 15)),
    ),
    "default-limit-10": Fault(
        "without limit, pages of 10 instead of the SDK's default 500",
        pager=lambda selection, call: _from(
            selection, _position(selection, call.marker), call.limit if call.limit_given else 10
        ),
    ),
    "marker-without-limit-restarts": Fault(
        "a marker without limit is ignored: the page after it is the first page (with a limit, paging works)",
        pager=lambda selection, call: (
            _from(selection, 0, call.limit) if call.marker and not call.limit_given else _plain(selection, call)
        ),
    ),
    "share-lists-private": Fault(
        "image_type=share lists the private images too",
        select=lambda image_type: "all" if image_type == "share" else image_type,
        pager=_share_with_private,
    ),
    "public-image-hidden": Fault(
        "image_type=public and all leave out the first public image, which a request without image_type lists",
        pager=_first_public_hidden,
    ),
    "all-without-shared": Fault(
        "image_type=all (and no image_type) leaves out the shared images", pager=_all_without_shared
    ),
    "echo-token": Fault(
        "the token is echoed: as every 200's request_id, in a header and in error messages",
        page=_echo_token,
        answer=_echo_token_answer,
        error=_echo_token_error,
    ),
    "cached-by-content": Fault(
        "a cache keyed on what a page holds answers a later, different request (limit=500, then no limit) with the "
        "earlier answer, its request_id too",
        answer=_cached_by_content(),
    ),
    "unauthorized-code-of-another-status": Fault(
        "image_type=share is answered 401 with the code of a 403 (CPS.0001), not API Gateway's 401 code",
        fail_with=lambda call: 401 if call.image_type == "share" else None,
        error=lambda status, body, _t: (
            _json(status, {**body, "error_code": spec.error_example(403)["error_code"]}) if status == 401 else None
        ),
    ),
    "throttled-code-of-another-status": Fault(
        "throttled answers (the first pages of all, one image at a time) carry the code of an invalid parameter, not "
        "API Gateway's throttling code",
        fail_with=lambda call: 429 if call.image_type == "all" and call.limit == 1 else None,
        error=lambda status, body, _t: (
            _json(status, {**body, "error_code": spec.error_example(400)["error_code"]}) if status == 429 else None
        ),
    ),
    # What the project's own client reads.
    "nan-in-a-field": Fault(
        "each image carries a field the spec does not list, whose value is NaN: not JSON, though Python reads it",
        answer=_with_nan,
    ),
    "image-without-os-name": Fault(
        "images whose image_id ends in 0 have no os_name, in every answer: Huawei's sources allow it (the spec assumes "
        "every image has one), and the client generated from the spec cannot read it",
        page=_each(lambda image: image.pop("os_name", None) if str(image["image_id"]).endswith("0") else None),
    ),
    # Error answers.
    "error-code-of-another-status": Fault(
        "image_type=share is answered 404 with the code the mock gives an invalid parameter, which no page gives a 404",
        fail_with=lambda call: 404 if call.image_type == "share" else None,
        error=_service_code_on_404,
    ),
    # Authentication and authorization.
    "no-auth": Fault(
        "200 for a request without X-Auth-Token",
        authenticates=False,
        loosen=lambda operation: operation.__setitem__("security", []),
    ),
    "other-project-200": Fault(
        "another project's id is answered 200 with this project's images: an authorization bypass",
        any_project=lambda _call: True,
    ),
    "other-project-with-query-200": Fault(
        "another project's id is refused bare, but answered 200 when image_type is given",
        any_project=lambda call: call.image_type is not None,
    ),
    "token-any-case": Fault(
        "the token is compared without regard to case",
        accepts_token=lambda got, right: got.lower() == right.lower(),
    ),
    "token-prefix": Fault(
        "any token that starts with the right one is let in",
        accepts_token=lambda got, right: got.startswith(right),
    ),
    "token-anywhere": Fault(
        "the token is taken from Authorization (Bearer, Basic, Token), the query string or a cookie too, not only "
        "from X-Auth-Token",
        token_from=_token_anywhere,
    ),
    "signature-unchecked": Fault(
        "an AK/SK request with the right access key and a fresh X-Sdk-Date passes whatever its signature",
        signature_lets_in=lambda why: why == "signature mismatch",
    ),
    "html-401": Fault("401 comes as an HTML page, not Huawei's JSON error body", error=_html_401),
    # Invalid input.
    "invalid-image-type-200": Fault("200 for an image_type outside the enum", loosen=_loosen_image_type),
    "image-type-any-case": Fault(
        "image_type is read without regard to case or white space around it (PUBLIC, ' public')",
        loosen=_loosen_image_type,
        select=lambda image_type: image_type.strip().lower() if image_type is not None else None,
        fail_with=lambda call: (
            400
            if call.image_type is not None and call.image_type.strip().lower() not in spec.enum("ImageType")
            else None
        ),
    ),
    # One image, one truth; every answer judged.
    "fields-differ-by-type": Fault(
        "images listed under all (or no image_type) carry another os_name than under their own type",
        page=lambda body, call: _each(_set_lower("os_name"))(body, call) if call.image_type in (None, "all") else body,
    ),
    "later-pages-bad-schema": Fault(
        "pages after the first (with a marker) give is_public as a string",
        page=lambda body, call: _each(_stringify("is_public"))(body, call) if call.marker else body,
    ),
    # Relations between queries.
    "small-pages-reordered": Fault(
        "pages smaller than the largest list their images in reverse",
        page=_reversed_when_small,
    ),
    "all-interleaved": Fault(
        "image_type=all lists every type's images mixed, by image_id, not public then private then share",
        pager=_all_by_id,
    ),
    # No pass without evidence.
    "throttled-as-html": Fault(
        "throttled answers (the first pages of all, one image at a time) come as an HTML page, not Huawei's error body",
        fail_with=lambda call: 429 if call.image_type == "all" and call.limit == 1 else None,
        error=_html_429,
    ),
    "throttle-share": Fault(
        "every request for image_type=share is throttled (429 APIGW.0308), however long the caller waits",
        inconclusive=True,
        fail_with=lambda call: 429 if call.image_type == "share" else None,
    ),
    # Faithful variants: Huawei's sources allow these; the spec's assumptions do not. The run must pass.
    "empty-marker-is-none": Fault(
        "marker= (empty) is taken as no marker and answered 200: the spec's minLength is an assumption",
        loosen=_accept_empty_marker,
        faithful=True,
    ),
    "type-boundary-pages": Fault(
        "pages of all stop where one image type ends (a short page with a next_marker): limit is only an upper bound",
        pager=_stop_at_type_boundary,
        faithful=True,
    ),
    "request-id-header-differs": Fault(
        "X-Request-Id is another id than the body's request_id (a gateway's own): no Huawei page says they are one",
        answer=_mismatched_header,
        faithful=True,
    ),
    "phone-images-null": Fault(
        'an account without shared images, whose empty pages say "phone_images": null: Huawei\'s SDK reads a null '
        "as an absent field, and so does the client",
        pager=_without_shares,
        page=_empty_is_null,
        faithful=True,
    ),
    "share-without-receive-status": Fault(
        "shared images carry no receive_status: the SDK says what the field is, not that a shared image has one",
        page=_each(lambda image: image.pop("receive_status", None)),
        faithful=True,
    ),
}


def get(name: str | None) -> Fault | None:
    if name is None:
        return None
    if name not in FAULTS:
        raise ValueError(f"unknown fault {name!r}; choose one of: {', '.join(FAULTS)}")
    return FAULTS[name]
