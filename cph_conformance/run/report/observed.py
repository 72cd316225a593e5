"""What a run observed of the endpoint, as reports/observed.json: the shape of its answers, never their data, so that
the next run can say what changed (cph_conformance.run.report.changes).

- the fields seen in each of the spec's response schemas, with their JSON types (answers judged by the checks);
- the values seen of each field the spec enumerates (an enum, directly, by $ref or among anyOf's, or a boolean);
  free text (names, ids, markers, messages) never: a project with three images would have its names in the file;
- the longest value of each field the spec limits in UTF-8 bytes (x-max-bytes), with the limit;
- statuses and error codes by kind of request: the part of the run that sent it and, for a probe, the situation
  the spec documents for it (x-when), else how it was authenticated. Each kind's answers are stable from run to
  run (a walk's page is a 200, another project's probe a 401 or 403), so a new status in a kind is the service's;
- images per image type, from the walk's complete listings;
- latency percentiles of every answer (the endpoint's time, as the gateway measured it: ELAPSED_HEADER), the
  requests sent, the run's date and the spec's version and SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from cph_conformance import spec
from cph_conformance.run.collect import walk
from cph_conformance.run.transport.exchange import Exchange, utf8_bytes
from cph_conformance.run.verdict.verdict import Verdict
from cph_conformance.spec import SPEC_PATH

FILE = "cph-conformance observed"  # what the file says it is
FORMAT = 1  # this project's version of the file's layout: another is refused as a baseline
PERCENTILES = (50, 95, 99)
ERROR_CODE = "error_code"  # the field of the spec's error body (ErrorBody) that holds Huawei's code

# What observed.json holds, as far as a later run reads it: a baseline is checked against it before the run starts.
_TYPES = {"type": "array", "items": {"type": "string"}}
_COUNTS = {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "file",
        "format",
        "date",
        "spec",
        "schemas",
        "values",
        "bytes",
        "statuses",
        "error_codes",
        "images",
        "latency",
    ],
    "properties": {
        "file": {"const": FILE},
        "format": {"const": FORMAT},
        "date": {"type": "string"},
        "spec": {"type": "object", "properties": {"version": {"type": "string"}, "sha256": {"type": "string"}}},
        "schemas": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": _TYPES}},
        "values": {"type": "object", "additionalProperties": {"type": "array"}},
        "bytes": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["longest", "limit"],
                "properties": {"longest": {"type": "integer"}, "limit": {"type": "integer", "minimum": 1}},
            },
        },
        "statuses": _COUNTS,
        "error_codes": _COUNTS,
        "images": {"type": "object", "additionalProperties": {"type": "integer"}},
        "latency": {"type": "object", "properties": {f"p{p}_ms": {"type": "number"} for p in PERCENTILES}},
        "exit_status": {"type": "integer"},
    },
}


def json_type(value: Any) -> str:
    """The JSON type of a decoded JSON value, as JSON Schema names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    for kind, name in ((float, "number"), (str, "string"), (list, "array"), (dict, "object")):
        if isinstance(value, kind):
            return name
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _enumerates(node: dict[str, Any]) -> bool:
    node = spec.deref(node)
    return "enum" in node or node.get("type") == "boolean" or any(_enumerates(n) for n in node.get("anyOf", ()))


def enumerated_fields() -> set[str]:
    """ "Schema.field" of every field whose values the spec enumerates (or a boolean): the ones whose values count."""
    return {
        f"{name}.{field}"
        for name, schema in spec.object_schemas().items()
        for field, node in schema["properties"].items()
        if _enumerates(node)
    }


def byte_limits() -> dict[str, int]:
    """ "Schema.field" of every field the spec limits in UTF-8 bytes, with the limit."""
    return {f"{name}.{field}": limit for name in spec.object_schemas() for field, limit in spec.max_bytes(name).items()}


class _Shapes:
    """Fields, types, enumerated values and longest byte lengths, gathered over answers."""

    def __init__(self) -> None:
        self.types: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.values: dict[str, dict[tuple[str, str], Any]] = defaultdict(dict)  # by type and text: 1 is not true
        self.longest: dict[str, int] = defaultdict(int)
        self.enumerated = enumerated_fields()
        self.limited = byte_limits()

    def add(self, body: dict[str, Any], name: str) -> None:
        properties = spec.schema(name)["properties"]
        for field, value in body.items():
            self.types[name][field].add(json_type(value))
            key = f"{name}.{field}"
            if key in self.enumerated and not isinstance(value, (dict, list)):
                self.values[key][json_type(value), json.dumps(value)] = value
            if key in self.limited and isinstance(value, str):
                self.longest[key] = max(self.longest[key], utf8_bytes(value))
            inner = spec.component_name(properties.get(field))
            if inner is None or inner not in spec.object_schemas():
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    self.add(item, inner)


def kind_of(ex: Exchange, situations: dict[int, str]) -> str:
    """What kind of request an answer is to: "probe/<the situation the spec documents for it>", or
    "<phase>/<how it was authenticated>" (walk/valid, fuzzing/missing)."""
    return f"{ex.phase or 'other'}/{situations.get(id(ex), ex.auth)}"


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile p (0 < p <= 100) of values (not empty)."""
    ranked = sorted(values)
    return ranked[max(0, math.ceil(p / 100 * len(ranked)) - 1)]


def latency(exchanges: Sequence[Exchange]) -> dict[str, Any]:
    """p50, p95 and p99 of the endpoint's time to answer, in milliseconds, over every answer that has one."""
    times = [ex.elapsed for ex in exchanges if ex.answered and ex.elapsed is not None]
    found: dict[str, Any] = {"answers": len(times)}
    if times:
        found |= {f"p{p}_ms": round(percentile(times, p) * 1000, 1) for p in PERCENTILES}
    return found


def of(v: Verdict, date: str) -> dict[str, Any]:
    """What the run of v observed, as observed.json holds it (without its verdict: document() adds it)."""
    shapes = _Shapes()
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    codes: dict[str, Counter[str]] = defaultdict(Counter)
    situations = {id(p.answer): p.probe.situation for p in v.probed}
    for ex in v.exchanges:
        if not ex.judged or ex.status is None:
            continue
        kind = kind_of(ex, situations)
        statuses[kind][str(ex.status)] += 1
        name = spec.response_schema_name(ex.status)
        if not isinstance(ex.body, dict):
            continue
        if name is not None:
            shapes.add(ex.body, name)
        if isinstance(ex.body.get(ERROR_CODE), str):
            codes[kind][ex.body[ERROR_CODE]] += 1
    limits = byte_limits()
    return {
        "file": FILE,
        "format": FORMAT,
        "date": date,
        "endpoint": v.target,
        "spec": {
            "version": str(spec.load()["info"]["version"]),
            "sha256": hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest(),
        },
        "requests": {
            "sent": len(v.exchanges),
            "judged": sum(1 for ex in v.exchanges if ex.judged),
            "by_phase": dict(sorted(Counter(ex.phase or "other" for ex in v.exchanges).items())),
        },
        "schemas": {
            name: {field: sorted(types) for field, types in sorted(fields.items())}
            for name, fields in sorted(shapes.types.items())
        },
        "values": {key: [found[k] for k in sorted(found)] for key, found in sorted(shapes.values.items())},
        "bytes": {key: {"longest": longest, "limit": limits[key]} for key, longest in sorted(shapes.longest.items())},
        "statuses": {kind: dict(sorted(found.items())) for kind, found in sorted(statuses.items())},
        "error_codes": {kind: dict(sorted(found.items())) for kind, found in sorted(codes.items())},
        "images": walk.images_per_selection(v.walk.listings) if v.walk is not None else {},
        "latency": latency(v.exchanges),
    }


def document(observed: dict[str, Any], label: str, exit_status: int) -> str:
    """observed.json's text: what the run observed and its verdict (the next run's baseline only if conclusive)."""
    return json.dumps({**observed, "verdict": label, "exit_status": exit_status}, indent=1, ensure_ascii=False)
