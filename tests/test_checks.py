"""Each per-answer check, both ways, from a table: an answer it accepts and one it rejects. No server."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cph_conformance import spec
from cph_conformance.run import checks

EXAMPLE = spec.example_response()  # three public images, as Huawei's documentation page shows them
PUBLIC, PRIVATE = spec.enum("IsPublic")
RECEIVE = spec.enum("ReceiveStatus")[0]


def page(*images: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"request_id": "5aac6ab146ba76e5b12a3d00a03a9869", "phone_images": list(images), **extra}


def image(n: int = 0, **fields: Any) -> dict[str, Any]:
    return {**copy.deepcopy(EXAMPLE["phone_images"][n % 3]), "image_id": f"{n:032x}", **fields}


# (check, query, status, headers, body, the start of the message when it must fail, else None)
CASES: list[tuple[checks.Check, dict[str, Any], int, dict[str, str], Any, str | None]] = [
    (checks.image_type_filter, {"image_type": "public"}, 200, {}, EXAMPLE, None),
    (
        checks.image_type_filter,
        {"image_type": "public"},
        200,
        {},
        page(image(0), image(1, is_public=PRIVATE)),
        "image_type=public: expected every is_public to be 1",
    ),
    (checks.image_type_filter, {"image_type": "private"}, 200, {}, page(image(0, is_public=PRIVATE)), None),
    (checks.image_type_filter, {"image_type": "private"}, 200, {}, EXAMPLE, "image_type=private: expected every"),
    (
        checks.image_type_filter,
        {"image_type": "private"},
        200,
        {},
        page(image(0, is_public=PRIVATE, receive_status=RECEIVE)),
        "image_type=private: receive_status belongs",
    ),
    (checks.image_type_filter, {"image_type": "share"}, 200, {}, page(image(0, receive_status=RECEIVE)), None),
    (checks.image_type_filter, {"image_type": "share"}, 200, {}, page(image(0)), "image_type=share: expected every"),
    (checks.image_type_filter, {"image_type": "all"}, 200, {}, page(image(0), image(1, is_public=PRIVATE)), None),
    (checks.image_type_filter, {"image_type": "public"}, 400, {}, page(image(1, is_public=PRIVATE)), None),
    (checks.page_within_limit, {"limit": "2"}, 200, {}, page(image(0), image(1)), None),
    (checks.page_within_limit, {"limit": "2"}, 200, {}, page(image(0), image(1), image(2)), "limit=2: expected at"),
    (
        checks.page_within_limit,
        {},
        200,
        {},
        page(*(image(n) for n in range(spec.limit_bounds()[1] + 1))),
        f"limit={spec.parameter_default('limit')}: expected at most",
    ),
    (checks.page_within_limit, {"limit": "ten"}, 200, {}, page(image(0), image(1)), None),
    (checks.unique_image_ids, {}, 200, {}, EXAMPLE, None),
    (checks.unique_image_ids, {}, 200, {}, page(image(0), image(1), image(0)), "expected each image_id once"),
    (checks.known_image_label, {}, 200, {}, EXAMPLE, None),
    (checks.known_image_label, {}, 200, {}, page(image(0, image_label="cloud_phone_9000")), "image_label not in"),
    (checks.length_in_bytes, {}, 200, {}, page(image(0, image_name="云" * 42)), None),  # 126 bytes
    (
        checks.length_in_bytes,
        {},
        200,
        {},
        page(image(0, image_name="云手机镜像" * 10)),
        "image_name may hold at most 128",
    ),
    (checks.length_in_bytes, {}, 200, {}, page(image(0, os_type="ä" * 9)), "os_type may hold at most 16 bytes"),
    (checks.request_id_header, {}, 200, {"X-Request-Id": EXAMPLE["request_id"]}, EXAMPLE, None),
    (checks.request_id_header, {}, 200, {"x-request-id": "0" * 32}, EXAMPLE, "expected the X-Request-Id header"),
    (
        checks.request_id_header,
        {},
        401,
        {"X-Request-Id": "a" * 32},
        {**spec.error_example(401), "request_id": "b"},
        "expected the X-Request-Id header",
    ),
    (checks.request_id_header, {}, 200, {}, EXAMPLE, None),  # the header is optional
    (checks.no_undocumented_fields, {}, 200, {}, EXAMPLE, None),
    (checks.no_undocumented_fields, {}, 200, {}, page(image(0, image_size_mb=2048)), "fields the spec does not list"),
    (checks.no_undocumented_fields, {}, 401, {}, spec.error_example(401), None),
    (checks.no_undocumented_fields, {}, 401, {}, {**spec.error_example(401), "trace": "x"}, "fields the spec does"),
]


@pytest.mark.parametrize(
    ("check", "query", "status", "headers", "body", "fails_with"),
    CASES,
    ids=[f"{c[0].__name__}-{'rejects' if c[5] else 'accepts'}-{n}" for n, c in enumerate(CASES)],
)
def test_each_check_accepts_and_rejects(
    check: checks.Check, query: dict[str, Any], status: int, headers: dict[str, str], body: Any, fails_with: str | None
) -> None:
    if fails_with is None:
        check(query, status, headers, body)
    else:
        with pytest.raises(checks.Drift, match=f"^{fails_with}"):
            check(query, status, headers, body)


def test_every_registered_check_is_tested_both_ways() -> None:
    tested = {(c[0].__name__, c[5] is None) for c in CASES}
    for check in (*checks.PAGE_CHECKS, checks.no_undocumented_fields):
        assert {(check.__name__, True), (check.__name__, False)} <= tested, check.__name__


def test_every_check_names_a_source_in_the_spec() -> None:
    for check in (*checks.PAGE_CHECKS, checks.no_undocumented_fields):
        source = checks.source(check.__name__)
        assert source is not None and source.split(":")[0] in spec.SOURCE_KINDS, check.__name__


@pytest.mark.parametrize(
    ("value", "schema", "extra"),
    [
        (EXAMPLE, spec.response_schema(200), set()),
        (page(image(0, size=1)), spec.response_schema(200), {"$.phone_images[].size"}),
        ({**EXAMPLE, "page_info": {"next_marker": "x", "total": 3}}, spec.response_schema(200), {"$.page_info.total"}),
        ({**spec.error_example(403), "detail": "x"}, spec.response_schema(403), {"$.detail"}),
    ],
)
def test_undeclared_fields_walks_refs_items_and_any_of(value: Any, schema: Any, extra: set[str]) -> None:
    assert checks.undeclared_fields(value, schema) == extra
