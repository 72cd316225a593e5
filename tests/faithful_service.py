"""A stand-in for Huawei's service that none of the project's code built: it behaves as Huawei's documentation page
and Huawei's SDK describe, but differs from the mock wherever they leave room. It deliberately does not read
openapi/cph.yaml, so the spec's mistakes cannot hide in it; the conformance run must pass against every flavour.

Every flavour differs from the mock, within what the page and the SDK allow:
- an empty marker is no marker; a marker is an opaque token, and a made-up one is refused with 400;
- image names in Chinese, up to 126 UTF-8 bytes; error codes of its own choosing (CPS.0005 is not used);
- a repeated query parameter: the first value counts.
Then each flavour, as a set of traits (FLAVOURS):
- huawei: Content-Type "application/json;charset=UTF-8", as Huawei's gateways send it; the last page has no
  page_info at all; images carry is_support_encrypt only sometimes; a refused request's error message (400, 403)
  quotes the caller's token back, as the service of the first live trial did (the run must mask it everywhere);
- terse: another project's id gets 401, answers carry no request_id and no X-Request-Id (the SDK makes request_id
  optional), plain "application/json", and every page has page_info, the last one with an empty next_marker;
- paged: pages of all stop where one image type ends (a short page with a next_marker: limit is an upper bound);
  markers hold characters that must be percent-encoded (=, &, +, /, a space); a listing whose last page is full
  gives a next_marker to an empty last page; images carry fields the spec does not list (create_time); answers
  are gzip-compressed; no image is shared with the project; what it leaves out is null (is_support_encrypt, the last
  page's page_info: Huawei's SDK reads null as absent) and an empty page has no phone_images at all (the SDK made it
  optional because the live service leaves it out);
- blips: an API gateway that blips: one request in BLIP_EVERY gets 503 APIGW.0201 "Backend unavailable", and one
  in RESET_EVERY loses its connection after the status line (a reset, as a client sees it); sent again, each is
  answered. The run must ask again and pass, listing what it met;
- gateway: blips, and API Gateway's throttling, 429 APIG.0308 without Retry-After (Huawei documents none) for one
  request in THROTTLE_EVERY, as a gateway's limit meets a run's bursts (counted, not timed: a run on a slow machine
  meets it too): the run must wait it out and pass, or say it is inconclusive.
- public-only: an account with no private and no shared images: image_type=private and share list nothing, all is
  the public images;
- no-public: a region with no public images: image_type=public lists nothing, all starts with the private ones;
- bare: every optional field absent: images carry only the six the page's example has (no is_support_encrypt, and
  shared images no receive_status: the SDK says what it is, not that a shared image has one), no request_id, and
  page_info only on a page that has a next one;
- reworded: the gateway's errors with the codes of API Gateway's own table (APIG.0301, APIG.0101) and messages
  worded as Huawei's FAQs quote them, not as the spec's examples: a message may change without notice;
- public-default: a request without image_type lists the public images only, not all of them: no Huawei source gives
  image_type a default, so the run must assume none (and every image it lists is still in its type's listing).
It is an ASGI app: tests call it in process, or serve it on loopback (tests/test_conformance_run.py).
"""

from __future__ import annotations

import base64
import gzip
import itertools
import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx

Scope = MutableMapping[str, Any]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
THROTTLE_EVERY = 23  # requests; apart from BLIP_EVERY and RESET_EVERY, so that each kind of answer comes
BLIP_EVERY, RESET_EVERY = 40, 97  # requests


class Reset(httpx.RemoteProtocolError):
    """The connection lost after the status line: a server closes it (uvicorn, on this exception), and an app in a
    client's process raises it to the client (httpx.ASGITransport), as httpx raises a reset."""


@dataclass(frozen=True)
class Flavour:
    charset: bool = True  # Content-Type with ;charset=UTF-8
    request_ids: bool = True  # request_id in bodies and X-Request-Id
    quotes_token: bool = True  # 400 and 403 messages quote the caller's token
    other_project: int = 403  # the status for another project's id
    last_page_info: str = "absent"  # the last page's page_info: "absent", or "empty" (an empty next_marker)
    type_boundaries: bool = False  # pages of all stop where a type ends
    url_markers: bool = False  # markers that must be percent-encoded
    empty_last_page: bool = False  # a full last page still points at an empty one
    extra_fields: bool = False  # images carry create_time
    gzipped: bool = False
    shares: bool = True  # images shared with the project
    nulls: bool = False  # null for what it leaves out (Huawei's SDK reads null as absent); no phone_images when empty
    throttles: bool = False
    blips: bool = False  # 503 now and then, and a lost connection
    public: bool = True  # public images in the catalog
    private: bool = True  # private images in the catalog
    optional_fields: bool = True  # is_support_encrypt, receive_status (shared images) and request_id
    apig: bool = False  # the gateway's errors as APIG.xxxx with Huawei's FAQ wording, not APIGW.xxxx
    default_type: str = "all"  # what a request without image_type lists


TERSE = "terse"
FLAVOURS = {
    "huawei": Flavour(),
    TERSE: Flavour(charset=False, request_ids=False, quotes_token=False, other_project=401, last_page_info="empty"),
    "paged": Flavour(
        type_boundaries=True,
        url_markers=True,
        empty_last_page=True,
        extra_fields=True,
        gzipped=True,
        shares=False,
        nulls=True,
    ),
    "blips": Flavour(blips=True),
    "public-only": Flavour(private=False, shares=False),
    "no-public": Flavour(public=False),
    "bare": Flavour(optional_fields=False, request_ids=False),
    "reworded": Flavour(apig=True),
    "public-default": Flavour(default_type="public"),
    "gateway": Flavour(throttles=True, blips=True),
}


def _image(n: int, kind: str, flavour: Flavour) -> dict[str, Any]:
    image: dict[str, Any] = {
        "image_name": f"云手机镜像{n:02d}" + "测" * (n % 37),  # at most 5 + 2 + 36 characters, 126 bytes
        "os_type": "android",
        "is_public": 1 if kind == "public" else 2,
        "os_name": f"Android{10 + n % 4}",
        "image_label": ("cloud_phone", "cloud_game", "qemu_phone", "cloud_phone_1620", "cloud_game_1620")[n % 5],
        "image_id": f"{0xA0000000 + n:08x}{n:024x}",
    }
    if flavour.optional_fields and n % 3 == 0:
        image["is_support_encrypt"] = n % 2 == 0
    elif flavour.optional_fields and flavour.nulls:
        image["is_support_encrypt"] = None
    if kind == "share" and flavour.optional_fields:
        image["receive_status"] = n % 3
    if flavour.extra_fields:
        image["create_time"] = f"2025-10-{1 + n % 28:02d}T08:00:00Z"
    return image


def catalog(flavour: Flavour) -> dict[str, list[dict[str, Any]]]:
    listed = {
        "public": [_image(n, "public", flavour) for n in range(0, 7)] if flavour.public else [],
        "private": [_image(n, "private", flavour) for n in range(7, 12)] if flavour.private else [],
        "share": [_image(n, "share", flavour) for n in range(12, 16)] if flavour.shares else [],
    }
    listed["all"] = listed["public"] + listed["private"] + listed["share"]
    return listed


def _marker(offset: int, flavour: Flavour) -> str:
    if flavour.url_markers:  # =, &, +, / and a space: each means something else in a query string unless encoded
        return f"offset={offset}&sig=" + base64.b64encode(bytes([250, 251, offset])).decode() + " /end"
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(marker: str, flavour: Flavour) -> int | None:
    if flavour.url_markers:
        found = re.fullmatch(r"offset=(\d+)&sig=(\S+) /end", marker)
        return int(found.group(1)) if found else None
    try:
        kind, _, value = base64.urlsafe_b64decode(marker.encode()).decode().partition(":")
        return int(value) if kind == "offset" else None
    except ValueError:
        return None


def _page(listed: list[dict[str, Any]], start: int, limit: int, flavour: Flavour) -> tuple[list[dict[str, Any]], int]:
    """The images of a page from start, and where the next page starts."""
    images = listed[start : start + limit]
    if flavour.type_boundaries and images:
        kinds = [(i["is_public"], "receive_status" in i) for i in images]
        images = images[: next((n for n in range(1, len(kinds)) if kinds[n] != kinds[0]), len(images))]
    return images, start + len(images)


def handle(
    method: str,
    path: str,
    query: dict[str, list[str]],
    token: str | None,
    project: str,
    expected: str,
    flavour: Flavour,
) -> tuple[int, dict[str, Any]]:
    parts = path.strip("/").split("/")
    if len(parts) != 4 or parts[0] != "v1" or parts[2:] != ["cloud-phone", "phone-images"]:
        if flavour.apig:
            return 404, {"error_code": "APIG.0101", "error_msg": "The API does not exist."}
        return 404, {"error_code": "APIGW.0101", "error_msg": "The API does not exist or has not been published."}
    if token != expected:
        if flavour.apig:
            said = "decrypt token fail" if token else "x-auth-token not found"
            return 401, {"error_code": "APIG.0301", "error_msg": f"Incorrect IAM authentication information: {said}"}
        return 401, {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information."}
    if method != "GET":
        return 405, {"error_code": "APIGW.0102", "error_msg": "Method not allowed."}
    if parts[1] != project:
        if flavour.other_project == 401:
            return 401, {"error_code": "APIGW.0301", "error_msg": "The token is not valid for this project."}
        return 403, {"error_code": "CPS.0001", "error_msg": "No permission to request resources."}
    first = {k: v[0] for k, v in query.items()}
    listed = catalog(flavour)
    image_type = first.get("image_type", flavour.default_type)
    if image_type not in listed:
        return 400, {"error_code": "CPS.0010", "error_msg": "image_type is invalid."}
    raw_limit = first.get("limit", "500")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 500:
        return 400, {"error_code": "CPS.0010", "error_msg": "limit must be an integer from 1 to 500."}
    limit = int(raw_limit)
    start = 0
    if first.get("marker"):
        offset = _offset(first["marker"], flavour)
        if offset is None or not 0 <= offset <= len(listed[image_type]):
            return 400, {"error_code": "CPS.0011", "error_msg": "marker is invalid."}
        start = offset
    images, after = _page(listed[image_type], start, limit, flavour)
    body: dict[str, Any] = {"phone_images": images} if images or not flavour.nulls else {}
    more = after < len(listed[image_type]) or (flavour.empty_last_page and images and len(images) == limit)
    if more:
        body["page_info"] = {"next_marker": _marker(after, flavour)}
    elif flavour.last_page_info == "empty":
        body["page_info"] = {"next_marker": ""}
    elif flavour.nulls:
        body["page_info"] = None
    return 200, body


def app(project: str, token: str, flavour_name: str = "huawei") -> Callable[[Scope, Any, Send], Awaitable[None]]:
    flavour = FLAVOURS[flavour_name]
    served = itertools.count(1)

    async def asgi(scope: Scope, receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope["query_string"].decode("utf-8", "replace"), keep_blank_values=True)
        n = next(served)
        if flavour.throttles and n % THROTTLE_EVERY == 0:
            status, body = 429, {"error_code": "APIG.0308", "error_msg": "The throttling threshold has been reached."}
        elif flavour.blips and n % BLIP_EVERY == 0:
            status, body = 503, {"error_code": "APIGW.0201", "error_msg": "Backend unavailable."}
        else:
            status, body = handle(
                scope["method"], scope["path"], query, headers.get("x-auth-token"), project, token, flavour
            )
        if status in (400, 403) and flavour.quotes_token:
            body = {**body, "error_msg": f"{body['error_msg']} (X-Auth-Token: {headers.get('x-auth-token')})"}
        content_type = b"application/json;charset=UTF-8" if flavour.charset else b"application/json"
        answer_headers = [(b"content-type", content_type)]
        if flavour.request_ids:
            request_id = secrets.token_hex(16)
            body = {"request_id": request_id, **body}
            answer_headers.append((b"x-request-id", request_id.encode()))
        content = json.dumps(body, ensure_ascii=False).encode()
        if flavour.gzipped and "gzip" in headers.get("accept-encoding", ""):
            content = gzip.compress(content, mtime=0)
            answer_headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": status, "headers": answer_headers})
        if flavour.blips and n % RESET_EVERY == 0:
            raise Reset("the connection was reset")
        await send({"type": "http.response.body", "body": content})

    return asgi


def main(argv: list[str]) -> None:
    """python -m tests.faithful_service FLAVOUR: serve that flavour on a free loopback port, for the project and token
    of CPH_MOCK_PROJECT_ID and CPH_MOCK_TOKEN, as cph_conformance.mock.server.child() starts a server: the first
    stdout line is the base URL."""
    import logging
    import os

    from cph_conformance.mock import server

    class NoResets(logging.Filter):
        """uvicorn logs each Reset as an error with its traceback: it is the flavour's doing, and says nothing."""

        def filter(self, record: logging.LogRecord) -> bool:
            return not (record.exc_info and isinstance(record.exc_info[1], Reset))

    logging.getLogger("uvicorn.error").addFilter(NoResets())
    sock = server.listen(0)
    print(f"http://{server.HOST}:{sock.getsockname()[1]}", flush=True)
    asgi = app(os.environ["CPH_MOCK_PROJECT_ID"], os.environ["CPH_MOCK_TOKEN"], argv[0] if argv else "huawei")
    server.uvicorn_server(asgi).run(sockets=[sock])


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
