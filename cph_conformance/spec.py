"""The one OpenAPI document, loaded once, and the few look-ups the tooling needs from it."""

from __future__ import annotations

import functools
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


def property_names(name: str) -> set[str]:
    """The fields a component schema declares."""
    return set(schema(name)["properties"])


def deref(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local $ref (one or more hops) to the node it names."""
    while "$ref" in node:
        target: Any = load()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def response_schema(status: int) -> dict[str, Any] | None:
    """The JSON schema the operation documents for a status, or None."""
    response = operation()["responses"].get(str(status))
    if response is None:
        return None
    content = deref(response).get("content", {}).get("application/json")
    return deref(content["schema"]) if content else None


def enum_names(name: str) -> dict[str, Any]:
    """x-enum-varnames of an enum schema, lower-cased, mapped to their values."""
    s = schema(name)
    return {n.lower(): v for n, v in zip(s["x-enum-varnames"], s["enum"], strict=True)}


# Where a fact comes from. x-source starts with its kind; an item without one comes from the page.
PAGE = "Huawei's documentation page"
SOURCE_KINDS = ("page", "huawei-docs", "sdk", "assumption")
DEFAULT_SOURCE = f"page: {PAGE}, Querying the Image of a Cloud Phone"


def source_of(node: dict[str, Any] | None) -> str:
    """The x-source of a node (following $ref), or the page by default."""
    if node is None:
        return DEFAULT_SOURCE
    text = node.get("x-source") or deref(node).get("x-source")
    return str(text) if text else DEFAULT_SOURCE


def is_assumption(source: str) -> bool:
    return source.startswith("assumption:")


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


def request_id_header_node() -> dict[str, Any]:
    return deref(operation()["responses"]["200"]["headers"][request_id_header()])


def limit_bounds() -> tuple[int, int]:
    """limit's minimum and maximum: the smallest and the largest page."""
    s = parameter("limit")["schema"]
    return int(s["minimum"]), int(s["maximum"])


def max_bytes(name: str = "PhoneImage") -> dict[str, int]:
    """The fields of a schema whose length the page states in UTF-8 bytes, with the limit."""
    return {k: int(v["x-max-bytes"]) for k, v in schema(name)["properties"].items() if "x-max-bytes" in v}


def image_type_selects() -> dict[str, dict[str, Any]]:
    """What each image_type selects (ImageType's x-selects): {is_public: v}, {carries: field} or {union: [...]}."""
    return dict(schema("ImageType")["x-selects"])


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
