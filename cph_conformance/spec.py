"""The one OpenAPI document, loaded once, and the few look-ups the tooling needs from it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "cph.yaml"
OPERATION_PATH = "/v1/{project_id}/cloud-phone/phone-images"


@functools.cache
def load() -> dict[str, Any]:
    """The parsed spec. Callers must not mutate it."""
    with SPEC_PATH.open(encoding="utf-8") as f:
        # libyaml's parser when PyYAML has it (10 times faster; every process of a run reads the spec), same result.
        data: dict[str, Any] = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506  (a safe loader)
    return data


def schema(name: str) -> dict[str, Any]:
    result: dict[str, Any] = load()["components"]["schemas"][name]
    return result


def enum(name: str) -> list[Any]:
    """The values of a component schema's enum, in the spec's order."""
    return list(schema(name)["enum"])


def operation() -> dict[str, Any]:
    result: dict[str, Any] = load()["paths"][OPERATION_PATH]["get"]
    return result


def parameter(name: str) -> dict[str, Any]:
    for param in operation()["parameters"]:
        if param["name"] == name:
            return dict(param)
    raise KeyError(f"the operation has no parameter {name!r}")


def parameter_default(name: str) -> Any:
    """The default the spec gives a parameter (the service's value when the parameter is absent)."""
    return parameter(name)["schema"]["default"]


def example_response() -> dict[str, Any]:
    """The example 200 body of Huawei's documentation page."""
    result: dict[str, Any] = operation()["responses"]["200"]["content"]["application/json"]["examples"]["doc"]["value"]
    return result


def error_example(status: int) -> dict[str, Any]:
    """Huawei's error body the spec gives as the example for a status (error_code and error_msg)."""
    ref: str = operation()["responses"][str(status)]["$ref"]
    response = load()["components"]["responses"][ref.rsplit("/", 1)[1]]
    result: dict[str, Any] = response["content"]["application/json"]["example"]
    return result


def documented_statuses() -> set[int]:
    return {int(code) for code in operation()["responses"]}


def deref(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local $ref (one or more hops) to the node it names."""
    while "$ref" in node:
        target: Any = load()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def component_name(node: dict[str, Any] | None) -> str | None:
    """The component schema a node names (its $ref, or its array items' $ref), or None."""
    if not node:
        return None
    ref = node.get("$ref") or (node.get("items") or {}).get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/components/schemas/"):
        return None
    return ref.rsplit("/", 1)[1]


def response_schema_name(status: int) -> str | None:
    """The name of the component schema the operation documents for a status (ListCloudPhoneImagesResponse for 200,
    ErrorBody for the errors), or None."""
    response = operation()["responses"].get(str(status))
    if response is None:
        return None
    content = deref(response).get("content", {}).get("application/json")
    return component_name(content["schema"]) if content else None


def response_schema(status: int) -> dict[str, Any] | None:
    """The JSON schema the operation documents for a status, or None."""
    response = operation()["responses"].get(str(status))
    if response is None:
        return None
    content = deref(response).get("content", {}).get("application/json")
    return deref(content["schema"]) if content else None


# Where a fact comes from: the statements of Huawei's sources the spec quotes (x-statements), cited by id (x-source).
SOURCE_KINDS = ("page", "huawei-docs", "sdk")
PAGE = "Huawei's documentation page"


@dataclass(frozen=True)
class Statement:
    """A statement of one of Huawei's sources, quoted in the spec's x-statements."""

    id: str
    kind: str  # one of SOURCE_KINDS
    where: str
    quote: str
    says: str = ""  # what the quote says in English, when it is not in English
    url: str = ""
    testable: bool = True  # False: it states no rule an answer can break (it names a thing, guides a caller)
    why: str = ""  # why it is not testable

    def __str__(self) -> str:
        said = f" ({self.says})" if self.says else ""
        return f"{self.kind}: {self.where}: \u201c{self.quote}\u201d{said}"


@functools.cache
def statements() -> dict[str, Statement]:
    """Every statement the spec quotes, by id."""
    table: dict[str, dict[str, Any]] = load()["x-statements"]
    return {
        key: Statement(
            id=key,
            testable=entry.get("testable", True) is not False,
            **{k: " ".join(str(v).split()) for k, v in entry.items() if k != "testable"},
        )
        for key, entry in table.items()
    }


def cited_in(node: Any) -> tuple[str, ...]:
    """Every statement a node and the nodes within it cite (x-source), following $ref, once each, in order."""
    found: dict[str, None] = {}
    stack = [node]
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            item = deref(item)
            found.update(dict.fromkeys(cites(item) if "x-source" in item else ()))
            stack += [v for k, v in item.items() if k not in ("x-source", "x-statements")]
        elif isinstance(item, list):
            stack += item
    return tuple(found)


def cites(node: dict[str, Any] | None) -> tuple[str, ...]:
    """The statement ids a node's x-source cites (following $ref); () when it cites none."""
    if node is None:
        return ()
    found = node.get("x-source") or deref(node).get("x-source") or ()
    return tuple([found] if isinstance(found, str) else found)


def assumed_keywords(node: dict[str, Any]) -> dict[str, str]:
    """The constraint keywords of a schema node that no Huawei source states, each with why it is there."""
    return dict(deref(node).get("x-assumed") or {})


def _without_assumptions(node: Any) -> Any:
    if isinstance(node, dict):
        assumed = set(node.get("x-assumed") or {})
        kept = {k: _without_assumptions(v) for k, v in node.items() if k not in assumed}
        return {**kept, **(node.get("x-sourced") or {})}
    if isinstance(node, list):
        return [_without_assumptions(v) for v in node]
    return node


@functools.cache
def sourced() -> dict[str, Any]:
    """The spec less every constraint marked x-assumed: what Huawei's own sources state, and only that.

    A request or answer that breaks the spec but not this view breaks only an assumption."""
    result: dict[str, Any] = _without_assumptions(load())
    return result


def resolve(node: Any, document: dict[str, Any]) -> Any:
    """node with every local $ref replaced by what it names in document (no cycles in this spec's schemas)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, document)
        return {k: resolve(v, document) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, document) for v in node]
    return node


def auth_header() -> str:
    """The header that carries the IAM token (the operation's apiKey security scheme)."""
    (scheme,) = (load()["components"]["securitySchemes"][name] for entry in operation()["security"] for name in entry)
    return str(scheme["name"])


def request_id_header() -> str:
    """The response header that repeats the body's request_id."""
    (name,) = operation()["responses"]["200"]["headers"]
    return str(name)


def limit_bounds() -> tuple[int, int]:
    """limit's minimum and maximum: the smallest and the largest page."""
    s = parameter("limit")["schema"]
    return int(s["minimum"]), int(s["maximum"])


def object_schemas() -> dict[str, dict[str, Any]]:
    """Every component schema that has properties (the objects an answer is made of), by name."""
    schemas: dict[str, dict[str, Any]] = load()["components"]["schemas"]
    return {name: node for name, node in schemas.items() if "properties" in node}


def max_bytes(name: str = "PhoneImage") -> dict[str, int]:
    """The fields of a schema whose length the page states in UTF-8 bytes, with the limit."""
    return {k: int(v["x-max-bytes"]) for k, v in schema(name)["properties"].items() if "x-max-bytes" in v}


def image_type_selects() -> dict[str, dict[str, Any]]:
    """What each image_type selects (ImageType's x-selects): {is_public: v}, {carries: field} or {union: [...]}, each
    with the statements that state it (x-source) and what of it is assumed (x-assumed)."""
    return dict(schema("ImageType")["x-selects"])


def selector() -> str:
    """The query parameter whose values select what a listing holds (its schema has x-selects): image_type."""
    (name,) = (p["name"] for p in operation()["parameters"] if "x-selects" in deref(p["schema"]))
    return str(name)


def page_size() -> str:
    """The query parameter that bounds a page (x-page-size): limit."""
    (name,) = (p["name"] for p in operation()["parameters"] if p.get("x-page-size"))
    return str(name)


def usual_page_sizes() -> list[int]:
    """The page sizes callers usually ask for (the page-size parameter's x-usual, from the SDK)."""
    return [int(n) for n in parameter(page_size()).get("x-usual", [])]


def continuation() -> tuple[str, tuple[str, ...]]:
    """The query parameter that continues a listing (x-continues), and the path of the answer's field that gives its
    value: ("marker", ("page_info", "next_marker"))."""
    (param,) = (p for p in operation()["parameters"] if p.get("x-continues"))
    return str(param["name"]), tuple(str(param["x-continues"]).split("."))


@functools.cache
def statuses_when(situation: str) -> frozenset[int]:
    """The statuses the operation documents for a situation (its responses' x-when): e.g. throttled -> {429}."""
    return frozenset(
        int(code) for code, r in operation()["responses"].items() if situation in deref(r).get("x-when", ())
    )


def response_node(status: int) -> dict[str, Any] | None:
    """The response the operation documents for a status, dereferenced; None if it documents none."""
    node = operation()["responses"].get(str(status))
    return deref(node) if node is not None else None


def _error_codes_node(status: int) -> dict[str, Any] | None:
    node = response_node(status)
    return node.get("x-error-codes") if node is not None else None


def error_codes(status: int) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """The error codes Huawei's pages state for a documented error status, with the statements that state them (the
    response's x-error-codes); None when they state none (see error_codes_not_judged) or the status is undocumented."""
    node = _error_codes_node(status)
    if node is None or not node.get("codes"):
        return None
    return frozenset(str(c) for c in node["codes"]), cites(node)


def error_codes_not_judged() -> dict[int, tuple[str, tuple[str, ...]]]:
    """The documented error statuses whose error_code no page states: why, and the statements the why rests on."""
    found: dict[int, tuple[str, tuple[str, ...]]] = {}
    for status in sorted(documented_statuses()):
        node = _error_codes_node(status)
        if node is not None and node.get("judged") is False:
            found[status] = (" ".join(str(node["why"]).split()), cites(node))
    return found


def error_code_cites() -> tuple[str, ...]:
    """Every statement an error status' codes rest on, once each, in the spec's order of statuses."""
    found: dict[str, None] = {}
    for status in sorted(documented_statuses()):
        judged = error_codes(status)
        found.update(dict.fromkeys(judged[1] if judged else ()))
    return tuple(found)


class UnknownRegion(ValueError):
    """A region the spec's servers do not list; the message lists the ones they do."""


def _server() -> dict[str, Any]:
    """The spec's one server: a URL template whose `region` variable enumerates the regions that serve CPH."""
    result: dict[str, Any] = load()["servers"][0]
    return result


def regions() -> list[str]:
    """The regions the spec's servers variable allows, in the spec's order."""
    return list(_server()["variables"]["region"]["enum"])


def default_region() -> str:
    result: str = _server()["variables"]["region"]["default"]
    return result


def check_region(region: str) -> str:
    """region itself when the spec lists it; UnknownRegion, listing the spec's regions, otherwise."""
    known = regions()
    if region not in known:
        raise UnknownRegion(
            f"unknown region {region!r}: {SPEC_PATH.relative_to(ROOT)} lists {', '.join(known)} "
            "(servers, variable region)"
        )
    return region


def base_url(region: str) -> str:
    """CPH's endpoint in region, from the spec's servers URL template, e.g. https://cph.cn-north-4.myhuaweicloud.com."""
    url: str = _server()["url"]
    return url.replace("{region}", check_region(region)).rstrip("/")


def iam_url(region: str) -> str:
    """IAM's endpoint in the same region: CPH's host with its service label `cph` replaced by `iam`
    (https://iam.<region>.myhuaweicloud.com), so that the domain is written only in the spec."""
    scheme, rest = base_url(region).split("://", 1)
    service, domain = rest.split(".", 1)
    if service != "cph":
        raise ValueError(f"the spec's server {_server()['url']!r} does not start with the service label cph")
    return f"{scheme}://iam.{domain}"
