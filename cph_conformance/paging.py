"""Walking the pages of ListCloudPhoneImages with the generated client, by page_info.next_marker."""

from __future__ import annotations

from collections.abc import Iterator

from cph_client import AuthenticatedClient
from cph_client.api.cloud_phone_images import list_cloud_phone_images
from cph_client.models import ImageType, ListCloudPhoneImagesResponse
from cph_client.types import UNSET, Unset


def pages(
    client: AuthenticatedClient, project_id: str, image_type: ImageType | Unset = UNSET, limit: int = 500
) -> Iterator[ListCloudPhoneImagesResponse]:
    """Every page, first to last; an answer that is not a page (an error body) raises with what came back."""
    marker: str | Unset = UNSET
    while True:
        page = list_cloud_phone_images.sync(
            project_id, client=client, image_type=image_type, marker=marker, limit=limit
        )
        if not isinstance(page, ListCloudPhoneImagesResponse):
            raise RuntimeError(f"expected a page of images, got {page!r}")
        yield page
        next_marker = page.page_info.next_marker if not isinstance(page.page_info, Unset) else UNSET
        if not isinstance(next_marker, str):
            return
        marker = next_marker
