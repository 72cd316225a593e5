"""What the run reads of an answer, at most: its size, its time and its nesting, so that nothing an endpoint sends can
hang, bloat or crash the run (curl's --max-filesize and --max-time, for every request of the run).

- Size: the largest page the spec allows (limit's maximum times the largest image its byte limits allow, every byte
  of a string escaped as JSON can escape it, plus the envelope), times MARGIN. No documented answer is larger: a
  larger one is read no further, and judged as drift. CPH_MAX_BODY changes it.
- Time: one answer, from sending the request to its last byte, takes at most `seconds`; a body still coming then is
  no answer (a blip, asked again like a lost connection). httpx's timeouts bound each read, not their sum: an
  endpoint that sends a byte a second would never time out. The connections of client() bound every read, write
  and connect by what is left of the answer's time: the name's resolution, and all the addresses it gives, tried in
  turn, within it too.
- Nesting: a JSON value nested deeper than MAX_DEPTH is not decoded: no answer the spec documents is deeper than a
  few levels, and the checks walk what they are given.
"""

from __future__ import annotations

import contextvars
import datetime
import functools
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from cph_conformance import spec

MARGIN = 2
ESCAPED = 6  # characters, at most, one byte of a string takes in JSON (\u00XX)
# A string the spec does not bound (next_marker, request_id, a label the spec does not know) counts as the longest
# one the spec bounds: an assumption of this project, and a generous one (no such value comes near it).
MAX_DEPTH = 32
ANSWER_SECONDS = 10.0
TEXT_KEPT = 8192  # characters of a body kept as text, for the reports

# Why an answer was not read whole, as Exchange.refused says it (the word before the colon).
TOO_LARGE, UNDECODABLE, TOO_DEEP, NOT_JSON = "too-large", "undecodable", "too-deep", "not-json"


def _largest(schema: dict[str, Any], items: int) -> int:
    """Bytes of the largest JSON value a schema allows; an array holds at most `items` items."""
    schema = spec.deref(schema)
    branches = [spec.deref(b) for key in ("anyOf", "oneOf") for b in schema.get(key, [])]
    if branches:
        return max(_largest(b, items) for b in branches)
    if "enum" in schema:
        return max(len(json.dumps(v)) for v in schema["enum"]) * ESCAPED
    kind = schema.get("type")
    if kind == "object":
        fields = schema.get("properties", {})
        return 2 + sum(len(name) + 4 + _largest(node, items) for name, node in fields.items())
    if kind == "array":
        return 2 + items * (_largest(schema.get("items", {}), items) + 1)
    if kind == "string":
        return 2 + ESCAPED * int(schema.get("x-max-bytes") or schema.get("maxLength") or _longest_bound())
    return 24  # a number, a boolean or null


@functools.cache
def _longest_bound() -> int:
    return max(max(spec.max_bytes(name).values(), default=0) for name in spec.object_schemas())


@functools.cache
def largest_page() -> int:
    """Bytes of the largest page the spec allows: its 200 schema, with limit's maximum images."""
    schema = spec.response_schema(200)
    assert schema is not None, "the spec documents a 200"
    return _largest(schema, spec.limit_bounds()[1])


@dataclass(frozen=True)
class Bounds:
    body: int  # bytes of an answer's body, decoded
    seconds: float = ANSWER_SECONDS  # for one answer, from sending to its last byte
    depth: int = MAX_DEPTH

    @classmethod
    def of_spec(cls, body: int | None = None, seconds: float = ANSWER_SECONDS) -> Bounds:
        return cls(body or MARGIN * largest_page(), seconds)


class NoAnswer(httpx.ReadTimeout):
    """Connected and sent, and no status line came within `seconds`."""

    def __init__(self, seconds: float, request: httpx.Request) -> None:
        super().__init__(f"no answer within {seconds:.0f} s", request=request)
        self.seconds = seconds


class TooSlow(httpx.ReadTimeout):
    """The answer's body did not come whole in time: no answer, as a timeout is (a blip, asked again)."""

    def __init__(self, status: int, seconds: float, request: httpx.Request) -> None:
        super().__init__(f"{status}: the body was still coming after {seconds:.0f} s", request=request)
        self.status, self.seconds = status, seconds


class CutShort(httpx.ReadError):
    """The connection broke off in the middle of the answer's body: no answer, as a lost connection is."""

    def __init__(self, status: int, received: int, cause: httpx.TransportError, request: httpx.Request) -> None:
        self.why = f"{type(cause).__name__}: {' '.join(str(cause).split())[:300]}"
        super().__init__(f"{status}: the body broke off after {received:,} bytes ({self.why})", request=request)
        self.status, self.received = status, received


# When the answer being read must be whole (time.monotonic()), for the connections of client(): a context variable,
# as each request is sent and read in one thread.
_UNTIL: contextvars.ContextVar[float | None] = contextvars.ContextVar("answer_until", default=None)


def _left(
    timeout: float | None, late: type[httpcore.TimeoutException], clock: Callable[[], float] = time.monotonic
) -> float | None:
    """timeout, shortened to what is left of the answer's time; `late` raised when none is left."""
    until = _UNTIL.get()
    if until is None:
        return timeout
    left = until - clock()
    if left <= 0:
        raise late("the answer's time is up")
    return left if timeout is None else min(timeout, left)


class _Timed(httpcore.NetworkStream):
    """A connection whose reads and writes wait at most for what is left of the answer's time."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _Timed(self._stream.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


_getaddrinfo = socket.getaddrinfo  # the system's resolver (tests put a stand-in here, not in socket)


def _addresses(host: str, port: int, seconds: float | None) -> list[str]:
    """host's addresses, in the resolver's order (an address: itself), resolved within seconds: the resolver takes no
    timeout, so a thread asks it and is left to finish on its own."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    found: list[Any] = []

    def ask() -> None:
        try:
            found.append(_getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            found.append(exc)

    asking = threading.Thread(target=ask, name="cph-resolve", daemon=True)
    asking.start()
    asking.join(seconds)
    if not found:
        raise httpcore.ConnectTimeout(f"{host} was not resolved within {seconds or 0:.0f} s")
    if isinstance(found[0], OSError):
        raise httpcore.ConnectError(f"{host}: {found[0]}") from found[0]
    return list(dict.fromkeys(str(info[4][0]) for info in found[0]))


class _TimedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, its connections _Timed."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """A connection to the first of host's addresses that takes one, each tried with what is left of the answer's
        time (socket.create_connection gives each the whole timeout), the name resolved within it too."""
        failed: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in _addresses(host, port, _left(timeout, httpcore.ConnectTimeout)):
            left = _left(timeout, httpcore.ConnectTimeout)
            try:
                return _Timed(self._backend.connect_tcp(address, port, left, local_address, socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failed = exc
        raise failed or httpcore.ConnectError(f"{host} resolves to no address")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Timed(self._backend.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def client(**options: Any) -> httpx.Client:
    """An httpx.Client (options as httpx's) whose connections read() bounds by each answer's whole time. A transport
    given in options (an app in this process) is used as it is."""
    made = httpx.Client(**options)
    if "transport" not in options or options["transport"] is None:
        # httpx makes its transports (the direct one, one per proxy the environment names) without a way to pass
        # httpcore a network backend: each pool's is wrapped (httpx 0.28, httpcore 1.0, pinned in the locks).
        for transport in [made._transport, *made._mounts.values()]:
            pool = getattr(transport, "_pool", None)
            if pool is not None:
                pool._network_backend = _TimedBackend(pool._network_backend)
    return made


DECODED_STEP = 4096  # bytes of an encoded body decoded at a time: a small one that expands hugely stops at the bound


def read(client: httpx.Client, request: httpx.Request, bounds: Bounds, seconds: float) -> httpx.Response:
    """Send request and read its answer within bounds and `seconds` in all. A body larger than bounds.body (as it
    came, or decoded) is cut there, and one that is not what its Content-Encoding says is kept as it came (up to
    bounds.body): the answer's extensions then say why ("refused"). Without an answer it raises what says why: a
    connection that could not be made httpx's ConnectError (or ConnectTimeout, ProxyError); NoAnswer when nothing came
    in time; TooSlow or CutShort for a body that did not come whole; any other TransportError as httpx raised it."""
    started = time.monotonic()
    request.extensions["timeout"] = httpx.Timeout(seconds).as_dict()
    until = _UNTIL.set(started + seconds)
    try:
        return _read(client, request, bounds, seconds, started)
    finally:
        _UNTIL.reset(until)


def _read(
    client: httpx.Client, request: httpx.Request, bounds: Bounds, seconds: float, started: float
) -> httpx.Response:
    try:
        response = client.send(request, stream=True)
    except httpx.ReadTimeout as exc:
        raise NoAnswer(seconds, request) from exc
    # A transport in this process (an app's) may hand over an answer read already, its encoding undone.
    encoding = "" if response.is_stream_consumed else response.headers.get("content-encoding", "")
    raw: list[bytes] = []
    size, why = 0, ""
    try:
        for chunk in _raw(response, seconds):
            size += len(chunk)
            if size > bounds.body:
                raw.append(chunk[: max(0, bounds.body - (size - len(chunk)))])
                why = _too_large(bounds.body)
                break
            raw.append(chunk)
            if time.monotonic() - started > seconds:
                raise TooSlow(response.status_code, seconds, request)
    finally:
        response.close()
    content, refused = _decoded(raw, encoding, bounds.body)
    headers = [
        (k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-encoding", "content-length")
    ]
    answer = httpx.Response(
        response.status_code, headers=headers, content=content, request=request, extensions={"refused": why or refused}
    )
    answer.elapsed = datetime.timedelta(seconds=time.monotonic() - started)
    return answer


def _raw(response: httpx.Response, seconds: float) -> Iterator[bytes]:
    """The answer's body as it comes (before its Content-Encoding is undone); what breaks it off, said with the
    answer's status: a read that times out is a body still coming."""
    if response.is_stream_consumed:
        yield response.content
        return
    received = 0
    try:
        for chunk in response.iter_raw():
            received += len(chunk)
            yield chunk
    except httpx.TimeoutException as exc:
        raise TooSlow(response.status_code, seconds, response.request) from exc
    except httpx.TransportError as exc:
        raise CutShort(response.status_code, received, exc, response.request) from exc


def _too_large(limit: int) -> str:
    return f"{TOO_LARGE}: more than {limit:,} bytes; the run read no further"


def _decoded(raw: list[bytes], encoding: str, limit: int) -> tuple[bytes, str]:
    """(the body with its Content-Encoding undone, up to limit bytes; "") or, for a body that is not what its
    Content-Encoding says, (the body as it came, why). httpx undoes the encodings it knows (as it would have), a step
    at a time, so that what expands past limit stops there."""
    if not encoding.strip():
        return b"".join(raw), ""
    steps = (chunk[at : at + DECODED_STEP] for chunk in raw for at in range(0, len(chunk), DECODED_STEP))
    encoded = httpx.Response(200, headers={"content-encoding": encoding}, content=steps)
    decoded: list[bytes] = []
    size = 0
    try:
        for chunk in encoded.iter_bytes():
            size += len(chunk)
            if size > limit:
                decoded.append(chunk[: max(0, limit - (size - len(chunk)))])
                return b"".join(decoded), _too_large(limit)
            decoded.append(chunk)
    except httpx.DecodingError as exc:
        said = " ".join(str(exc).split())[:200]
        return b"".join(raw), f"{UNDECODABLE}: the body is not what its Content-Encoding {encoding!r} says ({said})"
    return b"".join(decoded), ""


def refused(response: httpx.Response) -> str:
    return str(response.extensions.get("refused") or "")


def decode(content: bytes, depth: int = MAX_DEPTH) -> tuple[Any, str]:
    """(the JSON value, "") of a body; (None, why) when it is none: not JSON, or nested deeper than `depth`."""
    if not content:
        return None, ""
    try:
        value = json.loads(content)
    except RecursionError:
        return None, f"{TOO_DEEP}: JSON nested deeper than Python decodes"
    except ValueError:
        return None, NOT_JSON
    if _deeper(value, depth):
        return None, f"{TOO_DEEP}: JSON nested deeper than {depth} levels"
    return value, ""


def _deeper(value: Any, depth: int) -> bool:
    """Whether value nests containers deeper than depth (without recursion: a deep value is what it guards from)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, level = stack.pop()
        if level > depth:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))  # containers only
    return False
