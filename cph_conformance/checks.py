"""Conformance checks from the page, beyond what the schema can say, registered with schemathesis.

A well-formed page can still be wrong: these catch a server whose data contradicts the request. Each check
has one job, looks only at 200 answers to requests it can interpret, and reads every value from the spec.
STRICT=1 also registers no_undocumented_fields.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response

from cph_conformance import spec

IS_PUBLIC = spec.enum_names("IsPublic")  # {"public": 1, "private": 2}
DEFAULT_LIMIT = int(spec.parameter_default("limit"))
KNOWN_LABELS = frozenset(spec.enum("ImageLabel"))


def _images(response: Response) -> list[dict[str, Any]] | None:
    """The page's images, when the response is a 200 with a JSON object carrying a list of them."""
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    images = body.get("phone_images") if isinstance(body, dict) else None
    return [i for i in images if isinstance(i, dict)] if isinstance(images, list) else None


def _query(case: Case[Any], name: str) -> Any:
    return (case.query or {}).get(name)


@schemathesis.check
def image_type_filter(ctx: CheckContext, response: Response, case: Case[Any]) -> None:
    """public ⇒ every image has is_public 1; private ⇒ 2; share ⇒ every image carries receive_status."""
    images = _images(response)
    image_type = _query(case, "image_type")
    if not images or not isinstance(image_type, str):
        return
    if image_type in IS_PUBLIC:
        wrong = [i.get("image_id") for i in images if i.get("is_public") != IS_PUBLIC[image_type]]
        if wrong:
            raise AssertionError(
                f"image_type={image_type} returned {len(wrong)} image(s) whose is_public is not "
                f"{IS_PUBLIC[image_type]}: {', '.join(map(str, wrong[:5]))}"
            )
    elif image_type == "share":
        wrong = [i.get("image_id") for i in images if "receive_status" not in i]
        if wrong:
            raise AssertionError(
                f"image_type=share returned {len(wrong)} image(s) without receive_status: "
                f"{', '.join(map(str, wrong[:5]))}"
            )


@schemathesis.check
def page_within_limit(ctx: CheckContext, response: Response, case: Case[Any]) -> None:
    """Never more images than limit (or its default when absent)."""
    images = _images(response)
    raw = _query(case, "limit")
    limit = DEFAULT_LIMIT if raw is None else raw
    if images is None or not re.fullmatch(r"\d+", str(limit)):
        return
    if len(images) > int(limit):
        raise AssertionError(f"limit={limit} but the page holds {len(images)} images")


@schemathesis.check
def unique_image_ids(ctx: CheckContext, response: Response, case: Case[Any]) -> None:
    """image_id is unique within a page."""
    images = _images(response)
    if not images:
        return
    counts = Counter(str(i.get("image_id")) for i in images)  # one pass: a page holds up to 500 images
    repeated = sorted(image_id for image_id, n in counts.items() if n > 1)
    if repeated:
        raise AssertionError(f"image_id repeated within one page: {', '.join(repeated[:5])}")


@schemathesis.check
def known_image_label(ctx: CheckContext, response: Response, case: Case[Any]) -> None:
    """An image_label outside the spec's enum is drift, even though the client keeps it as a string."""
    images = _images(response)
    if not images:
        return
    unknown = sorted({str(i["image_label"]) for i in images if "image_label" in i} - KNOWN_LABELS)
    if unknown:
        raise AssertionError(
            f"image_label not in the spec: {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_LABELS))}. "
            "If Huawei added a server flavour, add it to ImageLabel in openapi/cph.yaml"
        )


def undeclared_fields(value: Any, schema: dict[str, Any], path: str = "$") -> set[str]:
    """JSON paths of object keys the schema does not declare, walking properties, items and anyOf/oneOf/allOf."""
    schema = spec.deref(schema)
    branches = [spec.deref(b) for key in ("anyOf", "oneOf", "allOf") for b in schema.get(key, [])]
    if branches:
        return set.intersection(*(undeclared_fields(value, b, path) for b in branches))
    found: set[str] = set()
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        for key, item in value.items():
            if key in props:
                found |= undeclared_fields(item, props[key], f"{path}.{key}")
            else:
                found.add(f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            found |= undeclared_fields(item, schema["items"], f"{path}[]")
    return found


def no_undocumented_fields(ctx: CheckContext, response: Response, case: Case[Any]) -> None:
    """(STRICT=1) Every field of a documented JSON answer is one the spec lists."""
    schema = spec.response_schema(response.status_code)
    if schema is None:
        return
    try:
        body = response.json()
    except ValueError:
        return
    extra = undeclared_fields(body, schema)
    if extra:
        raise AssertionError(f"fields the spec does not list: {', '.join(sorted(extra))}")


if os.environ.get("STRICT") == "1":
    schemathesis.check(no_undocumented_fields)
