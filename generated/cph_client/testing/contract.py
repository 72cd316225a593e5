"""The facts of the API that the fake CPH needs, read from a spec: by default the one this wheel was generated from.

The wheel carries its spec twice: openapi.yaml as written, and openapi.json, the same document as JSON (written by
cph-conformance's `make generate`), which the standard library reads: the wheel has no YAML parser. The
project's mock passes the spec it reads itself, so that both answer from the one document. Nothing here states a
fact of the API: every value below is looked up in the document.

Hand-written (client_extras/testing/ in cph-conformance), shipped in the wheel by `make generate`.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["Contract", "UnsupportedSchema"]

# The JSON Schema keywords a parameter's schema may use for the fake to check it as the spec says; any other fails
# loudly when the fake starts (a constraint it cannot check would let bad input through, silently).
CHECKED = frozenset({"type", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "default"})
DESCRIPTIVE = frozenset({"description", "title", "example", "examples", "nullable"})


class UnsupportedSchema(ValueError):
    """A parameter's schema uses a keyword the fake cannot check."""


def _resolve(node: Any, document: Mapping[str, Any]) -> Any:
    """node with every local $ref replaced by what it names (the spec's schemas have no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in str(node["$ref"]).removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, document)
        return {k: _resolve(v, document) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, document) for v in node]
    return node


class Contract:
    """The one operation of a spec (path, method, parameters, answers) and the lookups the fake makes in it."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        ((path, item),) = document["paths"].items()
        ((method, operation),) = item.items()
        self.path: str = path
        self.method: str = method.upper()
        self.operation: dict[str, Any] = _resolve(operation, document)
        self.parameters: dict[str, dict[str, Any]] = {p["name"]: p for p in self.operation["parameters"]}
        for parameter in self.parameters.values():
            unknown = {k for k in parameter["schema"] if not k.startswith("x-")} - CHECKED - DESCRIPTIVE
            if unknown:
                raise UnsupportedSchema(
                    f"parameter {parameter['name']!r} uses {sorted(unknown)}, which the fake cannot check"
                )
        self._patterns = {
            name: re.compile(p["schema"]["pattern"]) for name, p in self.parameters.items() if "pattern" in p["schema"]
        }

    @staticmethod
    @functools.cache
    def packaged() -> Contract:
        """The spec this wheel was generated from (its openapi.json)."""
        text = importlib.resources.files(__name__.partition(".")[0]).joinpath("openapi.json").read_bytes()
        return Contract(orjson.loads(text))

    # --- values ---------------------------------------------------------------------------------------------------

    def enum(self, schema: str) -> list[Any]:
        """A component schema's enum, in the spec's order."""
        return list(self.document["components"]["schemas"][schema]["enum"])

    def _marked(self, mark: str) -> str:
        (name,) = (n for n, p in self.parameters.items() if p.get(mark) or mark in p["schema"])
        return name

    @functools.cached_property
    def selector(self) -> str:
        """The query parameter that selects what a listing holds (its schema has x-selects): image_type."""
        return self._marked("x-selects")

    @functools.cached_property
    def selects(self) -> dict[str, dict[str, Any]]:
        """What each value of the selector selects: {is_public: v}, {carries: field} or {union: [...]}."""
        return dict(self.parameters[self.selector]["schema"]["x-selects"])

    @functools.cached_property
    def page_size(self) -> str:
        """The query parameter that bounds a page (x-page-size): limit."""
        return self._marked("x-page-size")

    @functools.cached_property
    def page_sizes(self) -> tuple[int, int, int]:
        """The page size's minimum, maximum and default."""
        schema = self.parameters[self.page_size]["schema"]
        return int(schema["minimum"]), int(schema["maximum"]), int(schema["default"])

    @functools.cached_property
    def continuation(self) -> str:
        """The query parameter that continues a listing (x-continues): marker."""
        return self._marked("x-continues")

    def path_parameters(self) -> list[str]:
        return [n for n, p in self.parameters.items() if p["in"] == "path"]

    @functools.cached_property
    def example_images(self) -> list[dict[str, Any]]:
        """The images of the example answer of Huawei's documentation page (the 200 answer's first example)."""
        content = self.operation["responses"]["200"]["content"]["application/json"]
        example = next(iter(content["examples"].values()))["value"]
        images = [value for value in example.values() if isinstance(value, list)]
        return [dict(image) for image in images[0]]

    # --- headers and answers --------------------------------------------------------------------------------------

    @functools.cached_property
    def auth_header(self) -> str:
        """The header that carries the IAM token (the operation's apiKey security scheme)."""
        schemes = self.document["components"]["securitySchemes"]
        (name,) = (schemes[n]["name"] for entry in self.operation["security"] for n in entry)
        return str(name)

    @functools.cached_property
    def request_id_header(self) -> str:
        """The response header that repeats the body's request_id."""
        (name,) = self.operation["responses"]["200"]["headers"]
        return str(name)

    @functools.cached_property
    def media_type(self) -> str:
        """The media type of the operation's answers (its 200's, which its error answers share)."""
        (media_type,) = self.operation["responses"]["200"]["content"]
        return str(media_type)

    @functools.cached_property
    def documented_statuses(self) -> frozenset[int]:
        return frozenset(int(code) for code in self.operation["responses"])

    def statuses_when(self, situation: str) -> list[int]:
        """The statuses the operation documents for a situation (x-when), in the spec's order: throttled -> [429]."""
        return [int(c) for c, r in self.operation["responses"].items() if situation in r.get("x-when", ())]

    @functools.cached_property
    def _undeclared(self) -> dict[int, dict[str, Any]]:
        """Answers the operation cannot document, by status: the component responses that carry x-status."""
        responses = _resolve(self.document["components"].get("responses", {}), self.document)
        return {int(r["x-status"]): r for r in responses.values() if "x-status" in r}

    def error_status(self, status: int) -> int:
        """The status answered for status: itself when the spec has an error body for it, else the service's
        failure (500)."""
        if status in self.documented_statuses or status in self._undeclared:
            return status
        (failure,) = self.statuses_when("service-failure")
        return failure

    def error_example(self, status: int) -> dict[str, Any]:
        """Huawei's error body the spec gives as the example for an error status (see error_status)."""
        status = self.error_status(status)
        response = self._undeclared.get(status) or self.operation["responses"][str(status)]
        return dict(response["content"]["application/json"]["example"])

    # --- where the API is -----------------------------------------------------------------------------------------

    @functools.cached_property
    def default_region(self) -> str:
        return str(self.document["servers"][0]["variables"]["region"]["default"])

    def base_url(self, region: str | None = None) -> str:
        """CPH's endpoint in region (the default region when None), from the spec's servers."""
        server = self.document["servers"][0]
        known = server["variables"]["region"]["enum"]
        region = region or self.default_region
        if region not in known:
            raise ValueError(f"unknown region {region!r}: the spec lists {', '.join(known)}")
        return str(server["url"]).replace("{region}", region).rstrip("/")

    # --- parameters -----------------------------------------------------------------------------------------------

    def check(self, name: str, raw: str) -> tuple[Any, str | None]:
        """A parameter's value as the service reads it from the text sent (an integer parameter's digits as an
        int), and why the spec refuses it, or None."""
        schema = self.parameters[name]["schema"]
        value: Any = raw
        if schema.get("type") == "integer":
            value, why = integer(name, raw)
            if why:
                return raw, why
        # The messages of the mock's validator (fastjsonschema's), with the value read.
        if "enum" in schema and value not in schema["enum"]:
            return value, f"{name} must be one of {schema['enum']}: {value!r}"
        if "minimum" in schema and value < schema["minimum"]:
            return value, f"{name} must be bigger than or equal to {schema['minimum']}: {value!r}"
        if "maximum" in schema and value > schema["maximum"]:
            return value, f"{name} must be smaller than or equal to {schema['maximum']}: {value!r}"
        if "minLength" in schema and len(value) < schema["minLength"]:
            return value, f"{name} must be longer than or equal to {schema['minLength']} characters: {value!r}"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return value, f"{name} must be shorter than or equal to {schema['maxLength']} characters: {value!r}"
        if name in self._patterns and not self._patterns[name].search(value):
            return value, f"{name} must match pattern {schema['pattern']}: {value!r}"
        return value, None


INTEGER = re.compile(r"[+-]?[0-9]+")  # an integer as the spec writes one: ASCII digits, a sign at most


def integer(name: str, raw: str) -> tuple[int | None, str | None]:
    """An integer parameter's value read from its text, and why it is none (int() alone takes white space around
    it and any script's digits, which a service that reads the spec's integers does not)."""
    if not INTEGER.fullmatch(raw):
        return None, f"{name} must be integer: {raw!r}"
    return int(raw), None
