"""Every failure has a source: what schemathesis flags is graded against Huawei's own sources.

schemathesis judges answers by the whole spec, assumptions included. A flag is drift (a failure) only when the
request or answer also breaks the spec's sourced view (spec.sourced(): the spec less every x-assumed keyword);
one that breaks only an assumption is a warning. Each finding names the rule and where it comes from.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema

from cph_conformance import spec
from cph_conformance.run import checks

FAILURE, WARNING, ERROR = "failure", "warning", "error"

# Where the rules of schemathesis' own checks come from, by the spec node they read.
_BUILTIN_RULES = {
    "not_a_server_error": "no answer is a 5xx",
    "status_code_conformance": "only the statuses the spec documents",
    "content_type_conformance": "answers in the documented media type (application/json)",
    "response_headers_conformance": "the documented response headers",
    "ignored_auth": f"the {spec.auth_header()} header is mandatory: no answer without a valid one",
    "positive_data_acceptance": "valid requests are accepted",
    "missing_required_header": "a request without a mandatory header is refused",
}
_BUILTIN_SOURCES = {
    "status_code_conformance": "page: Status Codes (200), and huawei-docs: CPH's Status Codes and Error Codes",
    "response_headers_conformance": spec.source_of(spec.request_id_header_node()),
}


@dataclass(frozen=True)
class Finding:
    check: str
    verdict: str  # FAILURE, WARNING or ERROR
    rule: str
    source: str
    message: str
    curls: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What makes two findings the same: check, verdict, rule and the message with ids and numbers blurred."""
        blurred = re.sub(r"[0-9a-f]{16,}|\d+", "#", " ".join(self.message.split()))
        return (self.check, self.verdict, self.rule, blurred)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as schemathesis recorded them (the body decoded when it is JSON)."""

    method: str
    uri: str
    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    text: str = ""

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.uri).query, keep_blank_values=True)

    @property
    def project_id(self) -> str | None:
        parts = urlsplit(self.uri).path.split("/")
        return unquote(parts[2]) if len(parts) > 2 else None


@functools.cache
def _parameters() -> dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """name -> (the parameter, its schema in the whole spec, its schema in the sourced view), all resolved."""
    full = {p["name"]: p for p in spec.operation()["parameters"]}
    sourced = {p["name"]: p for p in spec.sourced()["paths"][spec.OPERATION_PATH]["get"]["parameters"]}
    return {
        name: (p, spec.resolve(p["schema"], spec.load()), spec.resolve(sourced[name]["schema"], spec.sourced()))
        for name, p in full.items()
    }


def _wire_errors(values: list[str], schema: dict[str, Any]) -> list[str]:
    """Why a parameter as sent (each of its string values) breaks schema; [] when it holds. Reads it as a server
    does: an integer from its digits. A repeated parameter is judged by each value (see request_breaks)."""
    errors: list[str] = []
    for raw in values:
        value: Any = raw
        if schema.get("type") == "integer":
            if not re.fullmatch(r"[+-]?\d+", raw):
                errors.append(f"{raw!r} is not an integer")
                continue
            value = int(raw)
        errors += [f"{e.validator}: {e.message}" for e in jsonschema.Draft4Validator(schema).iter_errors(value)]
    return errors


def request_breaks(exchange: Exchange) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """([(what, source)] the request breaks in Huawei's sources, [(what, why)] it breaks only in assumptions)."""
    sourced_errors: list[tuple[str, str]] = []
    assumed_errors: list[tuple[str, str]] = []
    query = exchange.query
    for name, (param, full, sourced) in _parameters().items():
        if param["in"] == "path":
            values = [exchange.project_id] if exchange.project_id is not None else []
        else:
            values = query.get(name, [])
        if not values:
            if param.get("required"):
                sourced_errors.append((f"{name} is missing", spec.source_of(param)))
            continue
        broken = _wire_errors(values, sourced)
        if broken and not param.get("required") and all(v == "" for v in values):
            # `image_type=` may mean "no image_type" to a service: no Huawei source says which.
            assumed_errors.append(
                (f"{name}: empty", "assumption: no Huawei source says whether an empty value is absent")
            )
            continue
        if broken:
            sourced_errors += [(f"{name}: {b}", spec.source_of(param)) for b in broken]
            continue
        if len(values) > 1 and sourced.get("type") != "array":
            assumed_errors.append(
                (f"{name}: sent more than once", "assumption: no Huawei source says which value counts")
            )
        assumed = spec.assumed_keywords(param["schema"])
        assumed_errors += [
            (f"{name}: {b}", f"assumption: {assumed.get(b.split(':')[0], 'not in any Huawei source')}")
            for b in _wire_errors(values, full)
        ]
    return sourced_errors, assumed_errors


def _schema_node(schema: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    """The innermost node with x-source along a jsonschema error's schema path (else the top)."""
    node: Any = schema
    found: dict[str, Any] = schema
    for part in path:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            break
        if isinstance(node, dict) and "x-source" in node:
            found = node
    return found


def answer_breaks(status: int, body: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """([(rule, source)] the answer's body breaks in Huawei's sources, [(rule, source)] only in assumptions)."""
    documented = spec.operation()["responses"].get(str(status))
    if documented is None:
        return [], []
    content = spec.deref(documented).get("content", {}).get("application/json")
    if not content:
        return [], []
    full = spec.resolve(content["schema"], spec.load())
    sourced = spec.resolve(_sourced_schema(status), spec.sourced())
    found = []
    for error in jsonschema.Draft4Validator(sourced).iter_errors(body):
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        node = _schema_node(sourced, list(error.absolute_schema_path))
        found.append((f"{error.validator} at {where}: {error.message[:200]}", spec.source_of(node)))
    if found:
        return found, []
    assumed = []
    for error in jsonschema.Draft4Validator(full).iter_errors(body):
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        why = (error.schema.get("x-assumed") or {}).get(error.validator, "not in any Huawei source")
        assumed.append((f"{error.validator} at {where}: {error.message[:200]}", f"assumption: {why}"))
    return [], assumed


def _sourced_schema(status: int) -> dict[str, Any]:
    response = spec.resolve(
        spec.sourced()["paths"][spec.OPERATION_PATH]["get"]["responses"][str(status)], spec.sourced()
    )
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def page_drift(check: str, message: str, curls: tuple[str, ...]) -> Finding:
    """Drift found by a per-answer check of cph_conformance.run.checks: its rule (the first line of its docstring)
    and the source of the spec node it reads."""
    rule = (getattr(checks, check).__doc__ or check).split("\n")[0]
    return Finding(check, FAILURE, rule, checks.source(check) or spec.DEFAULT_SOURCE, message, curls)


def grade(check: str, message: str, exchange: Exchange, curl: str) -> Finding:
    """A schemathesis failure as a finding: a failure when Huawei's sources back it, else a warning."""
    first = message.strip().splitlines()[0] if message.strip() else check
    if check == "negative_data_rejection":
        rule = "invalid requests are refused with 4xx"
        sourced_errors, assumed_errors = request_breaks(exchange)
        if sourced_errors:
            what = "; ".join(f"{w} ({s})" for w, s in sourced_errors)
            return Finding(
                check, FAILURE, rule, sourced_errors[0][1], f"{message.strip()}\nThe request breaks: {what}", (curl,)
            )
        why = "; ".join(f"{w} ({s})" for w, s in assumed_errors) or "nothing in Huawei's sources"
        return Finding(
            check,
            WARNING,
            rule,
            "assumption",
            f"{first}: the request breaks only assumptions of the spec: {why}",
            (curl,),
        )
    if check == "positive_data_acceptance" and exchange.status is not None and 400 <= exchange.status < 500:
        issued = [
            p for p in spec.operation()["parameters"] if p.get("x-issued-by-service") and p["name"] in exchange.query
        ]
        if issued:
            names = ", ".join(p["name"] for p in issued)
            return Finding(
                check,
                WARNING,
                "valid requests are accepted",
                spec.source_of(issued[0]),
                f"{first}: got {exchange.status} for a request whose {names} the service never issued; "
                f"only a {names} from an earlier answer is certain to be accepted",
                (curl,),
            )
    if check == "response_schema_conformance" and exchange.status is not None and exchange.body is not None:
        sourced_errors2, assumed_errors2 = answer_breaks(exchange.status, exchange.body)
        if sourced_errors2:
            rule, source = sourced_errors2[0]
            return Finding(check, FAILURE, rule, source, message.strip(), (curl,))
        if assumed_errors2:
            rule, source = assumed_errors2[0]
            return Finding(check, WARNING, rule, source, f"{first} (an assumption of the spec only)", (curl,))
    if checks.source(check) is not None:
        return page_drift(check, message.strip(), (curl,))
    rule = _BUILTIN_RULES.get(check, check.replace("_", " "))
    return Finding(check, FAILURE, rule, _BUILTIN_SOURCES.get(check, spec.DEFAULT_SOURCE), message.strip(), (curl,))
