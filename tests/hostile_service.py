"""A hostile stand-in for the service, at the transport level: a raw asyncio server on 127.0.0.1 and a free port
(raw, so that it controls chunking, Content-Length, redirects and how long a connection stays open), always stopped.

It serves GET /v1/{project_id}/cloud-phone/phone-images as a valid service would, its pages made of the example
response of openapi/cph.yaml (paged by limit and marker, filtered by image_type, 400 for what is out of bounds, 401
without the credential, 403 for another project), and misbehaves in one way, its flavour (FLAVOURS):
- plain: it does not (the control);
- echo-token: every answer echoes the token it got, in each of tests/leaks.ENCODINGS, in the body and in headers;
- echo-refused: every request refused (401), the error message echoing the token in each encoding;
- echo-aksk: an AK/SK run (signatures checked as the mock checks them); every answer echoes the Authorization header;
- endless: an endless chunked body;
- huge: a 30 MB page (of more images than any page may hold);
- deep: JSON nested 100,000 deep;
- drip: a valid page, one byte every 0.5 s; drip-head: its status line and headers so;
- lone-surrogate: a page's first image has a field named with the JSON escape of a lone surrogate, and its
  image_name begins with one (\\ud800);
- short-body: Content-Length larger than what is sent, the connection held open;
- redirect-loop: 302 to the same URL, every time;
- throttle-forever: 429 with Retry-After: 3600, every time;
- false-gzip: Content-Encoding: gzip on a plain body;
- markup: markup and control characters in image fields and error messages; markup-refused: every request refused
  with them in the error message.
Each is bounded: what never ends stops when the client goes (or after HOLD_AT_MOST seconds).

    with hostile_service.serving("drip") as service:
        service.base_url, service.project_id, service.token
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cph_conformance import spec
from tests import leaks

HOST = "127.0.0.1"
HOLD_AT_MOST = 600.0  # seconds any connection is kept, whatever the flavour
HEAD_LIMIT = 64 * 1024  # bytes of a request's line and headers
HUGE_BYTES = 30 * 1024 * 1024
DEPTH = 100_000
DRIP_EVERY = 0.5  # seconds between the bytes of a drip
HOSTILE_TEXT = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![x](http://127.0.0.1:9/x.png)",
    "[link](http://127.0.0.1:9/)",
    "line\n# heading",
    "\x1b]8;;http://127.0.0.1:9/\x1b\\click\x1b]8;;\x1b\\",
    "\x1b[2J\x1b[H",
    "nul\x00byte",
)


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]  # lower-case names

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.target).query, keep_blank_values=True).items()}


@dataclass
class Service:
    flavour: str
    project_id: str
    token: str = field(repr=False)
    ak: str = ""
    sk: str = field(default="", repr=False)
    base_url: str = ""
    requests: int = 0  # requests read
    open_connections: int = 0
    dripped: list[tuple[float, int]] = field(default_factory=list)  # the drip's body writes: when (monotonic), bytes
    credentials_seen: set[str] = field(default_factory=set, repr=False)  # X-Auth-Token and Authorization values


Answer = tuple[int, dict[str, Any], list[tuple[str, str]]]  # status, JSON body, extra headers


def images() -> list[dict[str, Any]]:
    """The spec's example images."""
    listed: list[dict[str, Any]] = spec.example_response()["phone_images"]
    return listed


def _error(status: int, message: str | None = None) -> dict[str, Any]:
    body = {**spec.error_example(status), "request_id": secrets.token_hex(16)}  # unique, as the spec says
    if message is not None:
        body["error_msg"] = message
    return body


def _authorized(service: Service, request: Request) -> bool:
    if service.ak:  # checked as the mock checks a signature: with Huawei's own signer
        from cph_conformance.mock import aksk

        parts = urlsplit(request.target)
        keys = aksk.Keys(service.ak, service.sk)
        now = datetime.datetime.now(datetime.UTC)
        return aksk.refusal(request.method, parts.path, parts.query, request.headers, b"", keys, now) is None
    return request.headers.get(spec.auth_header().lower()) == service.token


def valid(service: Service, request: Request) -> Answer:
    """What a valid service answers."""
    parts = request.path.strip("/").split("/")
    if len(parts) != 4 or parts[0] != "v1" or parts[2:] != ["cloud-phone", "phone-images"]:
        return 404, _error(404), []
    if not _authorized(service, request):
        return 401, _error(401), []
    if request.method != "GET":
        return 405, _error(404, "Method not allowed."), []
    if parts[1] != service.project_id:
        return 403, _error(403), []
    query = request.query
    selected = {
        "all": images(),
        "public": [i for i in images() if i["is_public"] == 1],
        "private": [i for i in images() if i["is_public"] == 2],
        "share": [i for i in images() if "receive_status" in i],
    }
    image_type = query.get("image_type", "all")
    low, high = spec.limit_bounds()
    raw_limit = query.get("limit", str(high))
    if image_type not in selected or not raw_limit.isdigit() or not low <= int(raw_limit) <= high:
        return 400, _error(400), []
    start = 0
    if "marker" in query:
        marker = query["marker"]
        if not marker.startswith("m") or not marker[1:].isdigit() or int(marker[1:]) > len(selected[image_type]):
            return 400, _error(400), []
        start = int(marker[1:])
    listed = selected[image_type]
    page = listed[start : start + int(raw_limit)]
    body: dict[str, Any] = {"phone_images": page, "request_id": secrets.token_hex(16)}
    if start + len(page) < len(listed):
        body["page_info"] = {"next_marker": f"m{start + len(page)}"}
    return 200, body, []


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Answer')}", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join([*lines, "Connection: close", "", ""])).encode("latin-1")


_REASONS = {200: "OK", 302: "Found", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
_REASONS |= {405: "Method Not Allowed", 429: "Too Many Requests"}


async def _send(writer: asyncio.StreamWriter, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
    type_ = [("Content-Type", "application/json;charset=UTF-8")]
    writer.write(_head(status, [*type_, *headers, ("Content-Length", str(len(body)))]) + body)
    await writer.drain()


async def _until_gone(reader: asyncio.StreamReader, seconds: float = HOLD_AT_MOST) -> None:
    """Wait until the client closes the connection (or seconds pass)."""
    with contextlib.suppress(TimeoutError, ConnectionError):
        await asyncio.wait_for(reader.read(), seconds)


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


# --- the flavours -------------------------------------------------------------------------------------------------

Handler = Callable[[Service, Request, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _echoes(value: str) -> dict[str, str]:
    return {name: encode(value) for name, (encode, _) in leaks.ENCODINGS.items()}


async def plain(service: Service, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    status, body, headers = valid(service, request)
    await _send(writer, status, _json(body), headers)


async def echo_token(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    status, body, headers = valid(service, request)
    sent = request.headers.get(spec.auth_header().lower(), "")
    content = _json(body)
    if sent:
        echoes = _echoes(sent)
        # Each form as is in the JSON text (a \u-escaped one is then the token, to a JSON reader): not json.dumps'.
        raw = ", ".join(f'{json.dumps(name)}: "{value}"' for name, value in echoes.items())
        content = content[:-1] + b', "echo": {' + raw.encode() + b"}}"
        headers += [(f"X-Echo-{n}", value) for n, value in enumerate(echoes.values())]
    await _send(writer, status, content, headers)


async def echo_refused(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    sent = request.headers.get(spec.auth_header().lower(), "")
    echoes = ", ".join(_echoes(sent).values()) if sent else "nothing"
    body = _error(401, f"Incorrect IAM authentication information: {echoes}.")
    await _send(writer, 401, _json(body), [("X-Echo", echoes)])


async def echo_aksk(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    status, body, headers = valid(service, request)
    sent = request.headers.get("authorization", "")
    if sent:
        body["seen_authorization"] = sent
        if "error_msg" in body:
            body["error_msg"] += f" (Authorization: {sent})"
        headers.append(("X-Echo-Authorization", sent))
    await _send(writer, status, _json(body), headers)


async def endless(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    status, body, headers = valid(service, request)
    if status != 200:
        await _send(writer, status, _json(body), headers)
        return
    writer.write(_head(200, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]))
    image = json.dumps(images()[0]).encode() + b","
    chunk = image * (16 * 1024 // len(image))
    started = time.monotonic()
    first = b'{"phone_images": ['
    with contextlib.suppress(ConnectionError):
        writer.write(b"%x\r\n%s\r\n" % (len(first), first))
        while time.monotonic() - started < HOLD_AT_MOST:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()  # raises once the client has gone


_HUGE: list[bytes] = []  # built once


def _huge() -> bytes:
    if not _HUGE:
        one = _json(images()[0])
        listed = b", ".join([one] * (HUGE_BYTES // len(one) + 1))
        _HUGE.append(b'{"phone_images": [' + listed + b'], "request_id": "' + b"0" * 32 + b'"}')
    return _HUGE[0]


async def huge(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    status, body, headers = valid(service, request)
    with contextlib.suppress(ConnectionError):
        await _send(writer, status, _huge() if status == 200 else _json(body), headers)


async def deep(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    status, body, headers = valid(service, request)
    content = _json(body)
    if status == 200:
        content = b'{"phone_images": [' + b"[" * DEPTH + b"]" * DEPTH + b'], "request_id": "' + b"0" * 32 + b'"}'
    await _send(writer, status, content, headers)


async def drip(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    status, body, _ = valid(service, request)
    content = _json(body)
    writer.write(_head(status, [("Content-Type", "application/json"), ("Content-Length", str(len(content)))]))
    with contextlib.suppress(ConnectionError):
        for n in range(len(content)):
            byte = content[n : n + 1]
            writer.write(byte)
            service.dripped.append((time.monotonic(), len(byte)))
            await writer.drain()
            await asyncio.sleep(DRIP_EVERY)


async def drip_head(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    """Each answer's status line and headers a byte at a time (longer in all than any run's deadline): httpx's
    timeout, per read, never runs out."""
    status, body, headers = valid(service, request)
    content = _json(body)
    padded = [*headers, ("X-Padding", "." * 400), ("Content-Type", "application/json")]
    answer = _head(status, [*padded, ("Content-Length", str(len(content)))])
    with contextlib.suppress(ConnectionError):
        for n in range(len(answer)):
            writer.write(answer[n : n + 1])
            await writer.drain()
            await asyncio.sleep(DRIP_EVERY)
        writer.write(content)
        await writer.drain()


async def lone_surrogate(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    """Valid answers, but a page's first image has a field named with the JSON escape of a lone surrogate, and its
    image_name begins with one."""
    status, body, headers = valid(service, request)
    content = json.dumps(body).encode()  # \u-escaped: the escape stays as the service wrote it
    content = content.replace(b'"image_name": "', b'"\\udc00": 1, "image_name": "\\ud800', 1)
    await _send(writer, status, content, headers)


async def short_body(service: Service, request: Request, reader: asyncio.StreamReader, writer: Any) -> None:
    status, body, _ = valid(service, request)
    content = _json(body)
    writer.write(_head(status, [("Content-Type", "application/json"), ("Content-Length", str(len(content) + 100_000))]))
    writer.write(content)
    await writer.drain()
    await _until_gone(reader)


async def redirect_loop(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    writer.write(_head(302, [("Location", request.target), ("Content-Length", "0")]))
    await writer.drain()


async def throttle_forever(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    await _send(writer, 429, _json(_error(429)), [("Retry-After", "3600")])


async def false_gzip(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    status, body, headers = valid(service, request)
    await _send(writer, status, _json(body), [*headers, ("Content-Encoding", "gzip")])


def _marked(n: int) -> str:
    return HOSTILE_TEXT[n % len(HOSTILE_TEXT)]


async def markup(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    status, body, headers = valid(service, request)
    for n, image in enumerate(body.get("phone_images", [])):
        body["phone_images"][n] = {**image, "image_name": _marked(n), "os_name": _marked(n + 5)[:36]}
        body["phone_images"][n]["description"] = " ".join(HOSTILE_TEXT)
    if "error_msg" in body:
        body["error_msg"] = " ".join(HOSTILE_TEXT)
    await _send(writer, status, _json(body), headers)


async def markup_refused(service: Service, request: Request, reader: Any, writer: asyncio.StreamWriter) -> None:
    await _send(writer, 401, _json(_error(401, " ".join(HOSTILE_TEXT))), [])


FLAVOURS: dict[str, Handler] = {
    "plain": plain,
    "echo-token": echo_token,
    "echo-refused": echo_refused,
    "echo-aksk": echo_aksk,
    "endless": endless,
    "huge": huge,
    "deep": deep,
    "drip": drip,
    "drip-head": drip_head,
    "lone-surrogate": lone_surrogate,
    "short-body": short_body,
    "redirect-loop": redirect_loop,
    "throttle-forever": throttle_forever,
    "false-gzip": false_gzip,
    "markup": markup,
    "markup-refused": markup_refused,
}


# --- the server ----------------------------------------------------------------------------------------------------


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    line, *lines = head.decode("latin-1").split("\r\n")
    method, target, _ = [*line.split(" ", 2), "", ""][:3]
    headers = {}
    for header in lines:
        name, _, value = header.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return Request(method, target, headers)


def _connection_handler(
    service: Service,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    handler = FLAVOURS[service.flavour]

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        service.open_connections += 1
        try:
            request = await _read_request(reader)
            if request is not None:
                service.requests += 1
                for name in (spec.auth_header().lower(), "authorization"):
                    if request.headers.get(name):
                        service.credentials_seen.add(request.headers[name])
                await asyncio.wait_for(handler(service, request, reader, writer), HOLD_AT_MOST)
        except (ConnectionError, TimeoutError):
            pass
        except asyncio.CancelledError:  # stopped mid-answer: ended here, or asyncio (3.11) logs the cancelled task
            pass
        finally:
            service.open_connections -= 1
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return connection


@contextlib.contextmanager
def serving(flavour: str, aksk: bool | None = None) -> Iterator[Service]:
    """The flavour served on HOST and a free port from a thread of this process, with a fresh project id and
    token (and AK/SK for echo-aksk, or when aksk is True); always stopped, its connections with it."""
    if flavour not in FLAVOURS:
        raise ValueError(f"no flavour {flavour!r}: one of {', '.join(FLAVOURS)}")
    signed = flavour == "echo-aksk" if aksk is None else aksk
    service = Service(
        flavour,
        secrets.token_hex(16),
        "MIIT" + secrets.token_urlsafe(48),
        ak=secrets.token_hex(10).upper() if signed else "",
        sk=secrets.token_urlsafe(30) if signed else "",
    )
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(_connection_handler(service), HOST, 0, limit=HEAD_LIMIT))
    service.base_url = f"http://{HOST}:{server.sockets[0].getsockname()[1]}"
    thread = threading.Thread(target=loop.run_forever, name=f"hostile-{flavour}", daemon=True)
    thread.start()

    async def stop() -> None:
        server.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)

    try:
        yield service
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def main(argv: list[str]) -> None:
    """python -m tests.hostile_service FLAVOUR: serve it until Ctrl-C, printing what a run needs."""
    with serving(argv[0] if argv else "plain") as service:
        credential = f"CPH_AK={service.ak} CPH_SK={service.sk}" if service.ak else f"CPH_AUTH_TOKEN={service.token}"
        print(f"export CPH_BASE_URL={service.base_url} CPH_PROJECT_ID={service.project_id} {credential}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(1)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
