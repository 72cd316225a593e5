"""Named, deliberate violations of the contract, one at a time (`--fault NAME` or CPH_MOCK_FAULT).

Each fault says which conformance check must catch it; tests/test_fault_matrix.py holds the mock to that.
In fault mode the mock's response self-validation is off, so the drift reaches the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Body = dict[str, Any]


@dataclass(frozen=True)
class Fault:
    description: str
    caught_by: str  # the conformance check that must fail
    strict_only: bool = False  # only reported with STRICT=1


FAULTS: dict[str, Fault] = {
    "request-id-type": Fault("request_id is a number, not a string", "response_schema_conformance"),
    "unknown-image-label": Fault("an image_label outside the spec's five", "known_image_label"),
    "is-public-string": Fault('is_public is the string "1", not an integer', "response_schema_conformance"),
    "long-image-id": Fault("an image_id longer than 32 characters", "response_schema_conformance"),
    "no-auth": Fault("200 for a request without X-Auth-Token", "ignored_auth"),
    "invalid-image-type-200": Fault("200 for an image_type outside the enum", "negative_data_rejection"),
    "server-error": Fault("500 for image_type=share", "not_a_server_error"),
    "wrong-content-type": Fault("200 with Content-Type text/plain", "content_type_conformance"),
    "undocumented-status": Fault("203 instead of 200, a status the spec does not list", "status_code_conformance"),
    "public-filter-leak": Fault("image_type=public also returns private images", "image_type_filter"),
    "duplicate-image-ids": Fault("an image appears twice in a page", "unique_image_ids"),
    "over-limit": Fault("one image more than limit", "page_within_limit"),
    "undocumented-field": Fault("images carry a field the spec does not list", "no_undocumented_fields", True),
}


def check(name: str | None) -> str | None:
    if name is not None and name not in FAULTS:
        raise ValueError(f"unknown fault {name!r}; choose one of: {', '.join(FAULTS)}")
    return name


def mutate_body(fault: str | None, body: Body, limit: int) -> Body:
    """The 200 body with the fault's drift applied (body faults only; others act elsewhere)."""
    if fault is None:
        return body
    images: list[Body] = [dict(i) for i in body.get("phone_images", [])]
    if fault == "request-id-type":
        body["request_id"] = int(body["request_id"][:8], 16)
    elif fault == "unknown-image-label" and images:
        images[0]["image_label"] = "cloud_phone_9000"
    elif fault == "is-public-string":
        for image in images:
            image["is_public"] = str(image["is_public"])
    elif fault == "long-image-id" and images:
        images[0]["image_id"] = images[0]["image_id"] * 2
    elif fault == "duplicate-image-ids" and images:
        images = [*images[:-1], images[0]] if len(images) > 1 else images * 2
    elif fault == "over-limit" and images:
        # Pad with copies of this page's own images under fresh ids: only the count is wrong.
        images += [dict(images[n % len(images)]) for n in range(limit + 1 - len(images))]
        for n, image in enumerate(images):
            image["image_id"] = f"{n:032x}"
    elif fault == "undocumented-field":
        for image in images:
            image["image_size_mb"] = 2048
    if "phone_images" in body or images:
        body["phone_images"] = images
    return body
