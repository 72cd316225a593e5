"""The generated client over real HTTP against the mock: sync and async, every image_type, all pages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from cph_client import AuthenticatedClient, paging
from cph_client.api.cloud_phone_images import list_cloud_phone_images
from cph_client.models import ErrorBody, ImageLabel, ImageType, IsPublic, ListCloudPhoneImagesResponse, PhoneImage
from cph_client.types import UNSET, Unset

from cph_conformance import spec
from cph_conformance.mock import server
from cph_conformance.mock.server import RunningMock


def client_for(mock: RunningMock, token: str | None = None) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=mock.base_url, token=mock.token if token is None else token)


def walk(client: AuthenticatedClient, project_id: str, image_type: ImageType | Unset, limit: int) -> list[PhoneImage]:
    images: list[PhoneImage] = []
    for page in paging.pages(client, project_id, image_type, limit=limit):
        assert isinstance(page.phone_images, list)
        assert len(page.phone_images) <= limit
        images += page.phone_images
    return images


@pytest.mark.parametrize("image_type", [*ImageType, UNSET])
def test_sync_walks_every_page_of_every_image_type(mock: RunningMock, image_type: ImageType | Unset) -> None:
    with client_for(mock) as client:
        paged = walk(client, mock.project_id, image_type, limit=9)
        whole = walk(client, mock.project_id, image_type, limit=spec.limit_bounds()[1])
    assert [i.image_id for i in paged] == [i.image_id for i in whole]
    assert len({i.image_id for i in paged}) == len(paged) > 0
    if image_type == ImageType.PUBLIC:
        assert {i.is_public for i in paged} == {IsPublic.PUBLIC}
    if image_type == ImageType.PRIVATE:
        assert {i.is_public for i in paged} == {IsPublic.PRIVATE}
    rule = spec.image_type_selects()[image_type or ImageType.ALL]
    if "carries" in rule:  # shared images: each carries a receive_status of the spec's, together every one
        field = rule["carries"]
        values = [getattr(i, field) for i in paged]
        assert all(not isinstance(v, Unset) for v in values)
        assert {int(v) for v in values} == set(spec.enum("ReceiveStatus"))  # the catalog holds every status
    if "is_public" in rule:  # public and private images carry none
        assert all(isinstance(i.receive_status, Unset) for i in paged)
    assert all(isinstance(i.image_label, ImageLabel) for i in paged)


def test_async_reads_the_same_pages(mock: RunningMock) -> None:
    async def both() -> tuple[object, object]:
        async with client_for(mock) as client:
            return await asyncio.gather(
                list_cloud_phone_images.asyncio(mock.project_id, client=client, image_type=ImageType.ALL, limit=5),
                list_cloud_phone_images.asyncio(mock.project_id, client=client, image_type=ImageType.SHARE, limit=5),
            )

    every, shared = asyncio.run(both())
    with client_for(mock) as client:
        expected = list_cloud_phone_images.sync(mock.project_id, client=client, image_type=ImageType.ALL, limit=5)
    assert isinstance(every, ListCloudPhoneImagesResponse) and isinstance(expected, ListCloudPhoneImagesResponse)
    assert [i.image_id for i in every.phone_images or []] == [i.image_id for i in expected.phone_images or []]
    assert isinstance(shared, ListCloudPhoneImagesResponse)


@pytest.mark.parametrize(
    ("token", "project", "status"),
    [
        ("wrong", None, HTTPStatus.UNAUTHORIZED),
        (None, "f" * 32, HTTPStatus.FORBIDDEN),
        (None, "not-hex", HTTPStatus.BAD_REQUEST),
    ],
)
def test_errors_come_back_typed(mock: RunningMock, token: str | None, project: str | None, status: int) -> None:
    with client_for(mock, token) as client:
        response = list_cloud_phone_images.sync_detailed(project or mock.project_id, client=client)
    assert response.status_code == status
    assert isinstance(response.parsed, ErrorBody)
    assert response.parsed.error_code == spec.error_example(status)["error_code"]
    assert response.parsed.request_id == response.headers[spec.request_id_header()]


@pytest.fixture(scope="module")
def drifting_mock() -> Iterator[RunningMock]:
    with server.in_thread(fault="unknown-image-label") as running:
        yield running


def test_an_unknown_label_from_the_wire_is_kept(drifting_mock: RunningMock) -> None:
    with client_for(drifting_mock) as client:
        page = list_cloud_phone_images.sync(drifting_mock.project_id, client=client, limit=4)
    assert isinstance(page, ListCloudPhoneImagesResponse)
    assert isinstance(page.phone_images, list) and len(page.phone_images) == 4
    assert page.phone_images[0].image_label == "cloud_phone_9000"
    assert all(isinstance(i.image_label, ImageLabel) for i in page.phone_images[1:])
