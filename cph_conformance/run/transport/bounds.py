"""What the run reads of an answer, at most: its size, its time and its nesting, so that nothing an endpoint sends can
hang, bloat or crash the run (curl's --max-filesize and --max-time, for every request of the run).

- Size: the largest page the spec allows (limit's maximum times the largest image its byte limits allow, every byte
  of a string escaped as JSON can escape it, plus the envelope), times MARGIN. No documented answer is larger: a
  larger one is read no further, and judged as drift. CPH_MAX_BODY changes it.
- Time: one answer, from sending the request to its last byte, takes at most `seconds`; a body still coming then is
  no answer (a blip, asked again like a lost connection).
- Nesting: a JSON value nested deeper than MAX_DEPTH is not decoded: no answer the spec documents is deeper than a
  few levels, and the checks walk what they are given.
"""

from __future__ import annotations

import datetime
import functools
import json
import time
from dataclasses import dataclass
from typing import Any

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


class TooSlow(httpx.ReadTimeout):
    """The answer's body did not come whole in time: no answer, as a timeout is (a blip, asked again)."""


def read(client: httpx.Client, request: httpx.Request, bounds: Bounds, seconds: float) -> httpx.Response:
    """Send request and read its answer within bounds and `seconds` in all. A body larger than bounds.body is cut
    there, and one that is not what its Content-Encoding says is kept raw: the answer's extensions then say why
    ("refused"). No answer in time raises httpx.TimeoutException, as any lost connection raises its TransportError."""
    started = time.monotonic()
    request.extensions["timeout"] = httpx.Timeout(seconds).as_dict()
    response = client.send(request, stream=True)
    chunks: list[bytes] = []
    size, why = 0, ""
    try:
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > bounds.body or response.num_bytes_downloaded > bounds.body:
                    chunks.append(chunk[: max(0, bounds.body - (size - len(chunk)))])
                    why = f"{TOO_LARGE}: more than {bounds.body:,} bytes; the run read no further"
                    break
                chunks.append(chunk)
                if time.monotonic() - started > seconds:
                    raise TooSlow(f"the body was still coming after {seconds:.0f} s", request=request)
        except httpx.DecodingError as exc:
            encoding = response.headers.get("content-encoding", "")
            why = f"{UNDECODABLE}: the body is not what its Content-Encoding {encoding!r} says ({exc})"
    finally:
        response.close()
    headers = [
        (k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-encoding", "content-length")
    ]
    answer = httpx.Response(
        response.status_code, headers=headers, content=b"".join(chunks), request=request, extensions={"refused": why}
    )
    answer.elapsed = datetime.timedelta(seconds=time.monotonic() - started)
    return answer


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
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            if level > depth:
                return True
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False
