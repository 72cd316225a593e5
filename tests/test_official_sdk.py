"""Huawei's official SDK, an independent reading of Huawei's model, reads the mock's pages to the same data
as the generated client: a mock or spec that drifted from Huawei's model shows up here."""

from __future__ import annotations

from typing import Any

import pytest
from cph_client import AuthenticatedClient, paging
from cph_client.models import ImageType
from cph_client.types import UNSET, Unset

from cph_conformance import official_sdk
from cph_conformance.mock.server import RunningMock


def generated_client_images(mock: RunningMock, image_type: str | None, limit: int) -> list[dict[str, Any]]:
    kind: ImageType | Unset = ImageType(image_type) if image_type else UNSET
    with AuthenticatedClient(base_url=mock.base_url, token=mock.token) as client:
        return [
            image.to_dict()
            for page in paging.pages(client, mock.project_id, kind, limit=limit)
            for image in page.phone_images or []
        ]


@pytest.mark.parametrize("image_type", ["public", "private", "share", "all", None])
def test_the_official_sdk_reads_the_same_pages(mock: RunningMock, image_type: str | None) -> None:
    sdk = official_sdk.client(mock.base_url, mock.project_id, mock.ak, mock.sk)
    theirs = official_sdk.list_images(sdk, image_type, limit=7)
    ours = generated_client_images(mock, image_type, limit=7)
    assert theirs == ours
    assert len(ours) > 0
    # Every field Huawei's SDK models appears in the mock's images, and no other.
    fields = {key for image in theirs for key in image}
    assert fields <= set(official_sdk_fields())
    if image_type == "share":
        assert "receive_status" in fields


def official_sdk_fields() -> list[str]:
    from huaweicloudsdkcph.v1 import PhoneImage

    return list(PhoneImage.openapi_types)
