"""Per-answer checks from the page and the SDK, beyond what the schema can say.

A well-formed page can still be wrong: these catch a server whose data contradicts the request. Each check is a
plain function of (query, status, headers, body) that raises Drift, so it is tested without a server, run on the
walk's answers, and registered with schemathesis by cph_conformance/run/hooks.py. Every value comes from the spec,
and source() says which spec node each check's rule comes from (the report prints that node's x-source).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from cph_conformance import spec

Query = Mapping[str, Any]
Headers = Mapping[str, str]


class Drift(AssertionError):
    """An answer that breaks a rule of the contract; the message says what was expected and what came."""


def images_of(status: int, body: Any) -> list[dict[str, Any]] | None:
    """The page's images, when the answer is a 200 JSON object carrying a list of them."""
    if status != 200 or not isinstance(body, dict):
        return None
    images = body.get("phone_images")
    return [i for i in images if isinstance(i, dict)] if isinstance(images, list) else None


def _ids(images: list[dict[str, Any]], n: int = 5) -> str:
    return ", ".join(str(i.get("image_id")) for i in images[:n]) + (" ..." if len(images) > n else "")


def image_type_filter(query: Query, status: int, headers: Headers, body: Any) -> None:
    """Every image of a page is of the image_type asked for (ImageType's x-selects): public ⇒ is_public 1,
    private ⇒ 2, share ⇒ it carries receive_status; and receive_status only ever on shared images."""
    images = images_of(status, body)
    image_type = query.get("image_type")
    rule = spec.image_type_selects().get(image_type) if isinstance(image_type, str) else None
    if not images or rule is None:
        return
    if "is_public" in rule:
        wrong = [i for i in images if i.get("is_public") != rule["is_public"]]
        if wrong:
            raise Drift(
                f"image_type={image_type}: expected every is_public to be {rule['is_public']}; "
                f"{len(wrong)} image(s) are not: {_ids(wrong)}"
            )
        carried = carried_fields()
        extra = [i for i in images if carried & set(i)]
        if extra:
            raise Drift(
                f"image_type={image_type}: {', '.join(sorted(carried))} belongs to shared images only; "
                f"{len(extra)} image(s) carry it: {_ids(extra)}"
            )
    elif "carries" in rule:
        wrong = [i for i in images if rule["carries"] not in i]
        if wrong:
            raise Drift(
                f"image_type={image_type}: expected every image to carry {rule['carries']}; {len(wrong)} do not: "
                f"{_ids(wrong)}"
            )


def carried_fields() -> set[str]:
    """Fields that mark an image type of their own (receive_status: shared images)."""
    return {str(r["carries"]) for r in spec.image_type_selects().values() if "carries" in r}


def effective_limit(query: Query) -> int | None:
    raw = query.get("limit")
    if raw is None:
        return int(spec.parameter_default("limit"))
    return int(raw) if re.fullmatch(r"\d+", str(raw)) else None


def page_within_limit(query: Query, status: int, headers: Headers, body: Any) -> None:
    """Never more images than limit, or its default when absent."""
    images = images_of(status, body)
    limit = effective_limit(query)
    if images is not None and limit is not None and len(images) > limit:
        raise Drift(f"limit={limit}: expected at most {limit} images; the page holds {len(images)}")


def unique_image_ids(query: Query, status: int, headers: Headers, body: Any) -> None:
    """image_id is the image's unique identifier: no page repeats one."""
    images = images_of(status, body)
    if not images:
        return
    counts = Counter(str(i.get("image_id")) for i in images)  # one pass: a page holds up to 500 images
    repeated = sorted(image_id for image_id, n in counts.items() if n > 1)
    if repeated:
        raise Drift(f"expected each image_id once in a page; repeated: {', '.join(repeated[:5])}")


def known_image_label(query: Query, status: int, headers: Headers, body: Any) -> None:
    """An image_label outside the page's list is drift, even though the client keeps it as a string."""
    images = images_of(status, body)
    if not images:
        return
    known = set(spec.enum("ImageLabel"))
    unknown = sorted({str(i["image_label"]) for i in images if "image_label" in i} - known)
    if unknown:
        raise Drift(
            f"image_label not in the page's list: {', '.join(unknown)}; known: {', '.join(sorted(known))}. "
            "If Huawei added a server flavour, add it to ImageLabel in openapi/cph.yaml"
        )


def length_in_bytes(query: Query, status: int, headers: Headers, body: Any) -> None:
    """The page states image_name, os_type, os_name and image_id limits in bytes: count UTF-8 bytes."""
    images = images_of(status, body)
    if not images:
        return
    limits = spec.max_bytes()
    for image in images:
        for name, limit in limits.items():
            value = image.get(name)
            if isinstance(value, str) and len(value.encode()) > limit:
                raise Drift(
                    f"{name} may hold at most {limit} bytes; image {image.get('image_id')} has "
                    f"{len(value.encode())} bytes ({len(value)} characters)"
                )


def request_id_header(query: Query, status: int, headers: Headers, body: Any) -> None:
    """The request-id header, when present, is the body's request_id."""
    name = spec.request_id_header()
    header = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    said = body.get("request_id") if isinstance(body, dict) else None
    if header is not None and isinstance(said, str) and header != said:
        raise Drift(f"expected the {name} header to equal the body's request_id; header {header!r}, body {said!r}")


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


def no_undocumented_fields(query: Query, status: int, headers: Headers, body: Any) -> None:
    """(STRICT=1) Every field of a documented JSON answer is one the spec lists."""
    schema = spec.response_schema(status)
    if schema is None or body is None:
        return
    extra = undeclared_fields(body, schema)
    if extra:
        raise Drift(f"fields the spec does not list: {', '.join(sorted(extra))}")


Check = Callable[[Query, int, Headers, Any], None]
PAGE_CHECKS: tuple[Check, ...] = (
    image_type_filter,
    page_within_limit,
    unique_image_ids,
    known_image_label,
    length_in_bytes,
    request_id_header,
)


def _spec_nodes() -> dict[str, dict[str, Any]]:
    """The spec node each check's rule comes from."""
    schemas = spec.load()["components"]["schemas"]
    return {
        "image_type_filter": schemas["ImageType"],
        "page_within_limit": spec.parameter("limit"),
        "unique_image_ids": schemas["PhoneImage"],
        "known_image_label": schemas["ImageLabel"],
        "length_in_bytes": schemas["PhoneImage"],
        "request_id_header": spec.request_id_header_node(),
        "no_undocumented_fields": schemas["ListCloudPhoneImagesResponse"],
    }


def source(check: str) -> str | None:
    node = _spec_nodes().get(check)
    return spec.source_of(node) if node is not None else None
