"""A stand-in for Huawei's service that none of the project's code built: it behaves as Huawei's documentation page
and Huawei's SDK describe, but differs from the mock wherever they leave room. It deliberately does not read
openapi/cph.yaml, so the spec's mistakes cannot hide in it; the conformance run must pass against it.

Where it differs from the mock, within what the page and the SDK allow:
- an empty marker is no marker; a marker is an opaque offset token, and a made-up one is refused with 400;
- Content-Type is "application/json;charset=UTF-8", as Huawei's gateways send it;
- the last page has no page_info at all; images carry is_support_encrypt only sometimes;
- image names in Chinese, up to 126 UTF-8 bytes; error codes of its own choosing (CPS.0005 is not used);
- a repeated query parameter: the first value counts;
- a refused request's error message (400, 403) quotes the caller's token back, as the service of the first live
  trial did: the run must mask it everywhere.
The "terse" flavour differs again, still within the page and the SDK: another project's id gets 401, answers
carry no request_id and no X-Request-Id (the SDK makes request_id optional), Content-Type is plain
"application/json", and every page has page_info, the last one with an empty next_marker.
It is an ASGI app: tests call it in process, or serve it on loopback (tests/test_conformance_run.py).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
JSON = b"application/json;charset=UTF-8"


def _image(n: int, kind: str) -> dict[str, Any]:
    image: dict[str, Any] = {
        "image_name": f"云手机镜像{n:02d}" + "测" * (n % 37),  # at most 5 + 2 + 36 characters, 126 bytes
        "os_type": "android",
        "is_public": 1 if kind == "public" else 2,
        "os_name": f"Android{10 + n % 4}",
        "image_label": ("cloud_phone", "cloud_game", "qemu_phone", "cloud_phone_1620", "cloud_game_1620")[n % 5],
        "image_id": f"{0xA0000000 + n:08x}{n:024x}",
    }
    if n % 3 == 0:
        image["is_support_encrypt"] = n % 2 == 0
    if kind == "share":
        image["receive_status"] = n % 3
    return image


CATALOG = {
    "public": [_image(n, "public") for n in range(0, 7)],
    "private": [_image(n, "private") for n in range(7, 12)],
    "share": [_image(n, "share") for n in range(12, 16)],
}
CATALOG["all"] = CATALOG["public"] + CATALOG["private"] + CATALOG["share"]


def _marker(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(marker: str) -> int | None:
    try:
        kind, _, value = base64.urlsafe_b64decode(marker.encode()).decode().partition(":")
        return int(value) if kind == "offset" else None
    except ValueError:
        return None


TERSE = "terse"


def handle(
    method: str,
    path: str,
    query: dict[str, list[str]],
    token: str | None,
    project: str,
    expected: str,
    flavour: str = "huawei",
) -> tuple[int, dict[str, Any]]:
    parts = path.strip("/").split("/")
    if len(parts) != 4 or parts[0] != "v1" or parts[2:] != ["cloud-phone", "phone-images"]:
        return 404, {"error_code": "APIGW.0101", "error_msg": "The API does not exist or has not been published."}
    if token != expected:
        return 401, {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information."}
    if method != "GET":
        return 405, {"error_code": "APIGW.0102", "error_msg": "Method not allowed."}
    if parts[1] != project:
        if flavour == TERSE:
            return 401, {"error_code": "APIGW.0301", "error_msg": "The token is not valid for this project."}
        return 403, {"error_code": "CPS.0001", "error_msg": "No permission to request resources."}
    first = {k: v[0] for k, v in query.items()}
    image_type = first.get("image_type", "all")
    if image_type not in CATALOG:
        return 400, {"error_code": "CPS.0010", "error_msg": "image_type is invalid."}
    raw_limit = first.get("limit", "500")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 500:
        return 400, {"error_code": "CPS.0010", "error_msg": "limit must be an integer from 1 to 500."}
    limit = int(raw_limit)
    start = 0
    if first.get("marker"):
        offset = _offset(first["marker"])
        if offset is None or not 0 <= offset <= len(CATALOG[image_type]):
            return 400, {"error_code": "CPS.0011", "error_msg": "marker is invalid."}
        start = offset
    images = CATALOG[image_type][start : start + limit]
    body: dict[str, Any] = {"phone_images": images}
    if start + limit < len(CATALOG[image_type]):
        body["page_info"] = {"next_marker": _marker(start + limit)}
    elif flavour == TERSE:
        body["page_info"] = {"next_marker": ""}
    return 200, body


def app(project: str, token: str, flavour: str = "huawei") -> Callable[[Scope, Any, Send], Awaitable[None]]:
    async def asgi(scope: Scope, receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope["query_string"].decode("utf-8", "replace"), keep_blank_values=True)
        status, body = handle(
            scope["method"], scope["path"], query, headers.get("x-auth-token"), project, token, flavour
        )
        if status in (400, 403) and flavour != TERSE:
            body = {**body, "error_msg": f"{body['error_msg']} (X-Auth-Token: {headers.get('x-auth-token')})"}
        answer_headers = [(b"content-type", b"application/json" if flavour == TERSE else JSON)]
        if flavour != TERSE:
            request_id = secrets.token_hex(16)
            body = {"request_id": request_id, **body}
            answer_headers.append((b"x-request-id", request_id.encode()))
        await send({"type": "http.response.start", "status": status, "headers": answer_headers})
        await send({"type": "http.response.body", "body": json.dumps(body, ensure_ascii=False).encode()})

    return asgi
