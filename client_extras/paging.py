"""Pages and images of ListCloudPhoneImages, following page_info.next_marker; every other answer raises.

    from cph_client import paging

    for image in paging.images(client, project_id, ImageType.ALL):      # every image, page after page
        ...
    page = paging.get_page(client, project_id, limit=10)                 # one page, or CphApiError

The async twins are aget_page, apages and aimages. An answer other than a page of images raises
cph_client.errors.CphApiError (status_code, error_code, error_msg, request_id), whatever its status or body;
a next_marker the service already gave raises RepeatedMarkerError instead of walking in circles.

Hand-written (client_extras/paging.py in cph-conformance), shipped in the wheel by `make generate`.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator

import httpx

from .api.cloud_phone_images import list_cloud_phone_images
from .client import AuthenticatedClient
from .errors import CphApiError
from .models import ImageType, ListCloudPhoneImagesResponse, PhoneImage
from .types import UNSET, Unset

__all__ = [
    "DEFAULT_LIMIT",
    "RepeatedMarkerError",
    "aget_page",
    "aimages",
    "apages",
    "get_page",
    "images",
    "pages",
]

DEFAULT_LIMIT: int | Unset = inspect.signature(list_cloud_phone_images.sync_detailed).parameters["limit"].default
"""The generated endpoint's default for limit, which is the spec's."""


class RepeatedMarkerError(RuntimeError):
    """The service gave a next_marker it had given before: following it would loop for ever."""


def _page(client: AuthenticatedClient, response: httpx.Response) -> ListCloudPhoneImagesResponse:
    if response.status_code != 200:
        raise CphApiError.from_response(response)
    try:
        parsed = list_cloud_phone_images._parse_response(client=client, response=response)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a body that is not a page
        raise CphApiError.from_response(response, f"the 200 answer is not a page of images: {exc!r}") from exc
    if not isinstance(parsed, ListCloudPhoneImagesResponse):
        raise CphApiError.from_response(response, "the 200 answer is not a page of images")
    return parsed


def get_page(
    client: AuthenticatedClient,
    project_id: str,
    image_type: ImageType | Unset = UNSET,
    *,
    marker: str | Unset = UNSET,
    limit: int | Unset = DEFAULT_LIMIT,
) -> ListCloudPhoneImagesResponse:
    """One page; any other answer raises CphApiError."""
    kwargs = list_cloud_phone_images._get_kwargs(project_id, image_type=image_type, marker=marker, limit=limit)
    return _page(client, client.get_httpx_client().request(**kwargs))


async def aget_page(
    client: AuthenticatedClient,
    project_id: str,
    image_type: ImageType | Unset = UNSET,
    *,
    marker: str | Unset = UNSET,
    limit: int | Unset = DEFAULT_LIMIT,
) -> ListCloudPhoneImagesResponse:
    """One page, with the async client; any other answer raises CphApiError."""
    kwargs = list_cloud_phone_images._get_kwargs(project_id, image_type=image_type, marker=marker, limit=limit)
    return _page(client, await client.get_async_httpx_client().request(**kwargs))


class _Markers:
    """The one marker loop, shared by pages and apages: the marker to send next, and whether the walk is over."""

    def __init__(self) -> None:
        self.marker: str | Unset = UNSET
        self.done = False
        self._seen: set[str] = set()

    def follow(self, page: ListCloudPhoneImagesResponse) -> None:
        """Take the next marker from page; none ends the walk, one given before raises RepeatedMarkerError."""
        marker = UNSET if isinstance(page.page_info, Unset) else page.page_info.next_marker
        if not isinstance(marker, str) or not marker:
            self.done = True
            return
        if marker in self._seen:
            raise RepeatedMarkerError(f"the service gave next_marker {marker!r} twice; stopping rather than looping")
        self._seen.add(marker)
        self.marker = marker


def pages(
    client: AuthenticatedClient,
    project_id: str,
    image_type: ImageType | Unset = UNSET,
    *,
    limit: int | Unset = DEFAULT_LIMIT,
) -> Iterator[ListCloudPhoneImagesResponse]:
    """Every page of image_type (all images when unset), first to last."""
    markers = _Markers()
    while not markers.done:
        page = get_page(client, project_id, image_type=image_type, marker=markers.marker, limit=limit)
        yield page
        markers.follow(page)


def images(
    client: AuthenticatedClient,
    project_id: str,
    image_type: ImageType | Unset = UNSET,
    *,
    limit: int | Unset = DEFAULT_LIMIT,
) -> Iterator[PhoneImage]:
    """Every image of image_type (all images when unset), in the service's order."""
    for page in pages(client, project_id, image_type, limit=limit):
        yield from page.phone_images or []


async def apages(
    client: AuthenticatedClient,
    project_id: str,
    image_type: ImageType | Unset = UNSET,
    *,
    limit: int | Unset = DEFAULT_LIMIT,
) -> AsyncIterator[ListCloudPhoneImagesResponse]:
    """Every page of image_type, with the async client."""
    markers = _Markers()
    while not markers.done:
        page = await aget_page(client, project_id, image_type=image_type, marker=markers.marker, limit=limit)
        yield page
        markers.follow(page)


async def aimages(
    client: AuthenticatedClient,
    project_id: str,
    image_type: ImageType | Unset = UNSET,
    *,
    limit: int | Unset = DEFAULT_LIMIT,
) -> AsyncIterator[PhoneImage]:
    """Every image of image_type, with the async client."""
    async for page in apages(client, project_id, image_type, limit=limit):
        for image in page.phone_images or []:
            yield image
