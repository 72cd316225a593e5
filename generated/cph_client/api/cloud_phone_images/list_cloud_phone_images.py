from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.image_type import ImageType
from ...models.list_cloud_phone_images_response import ListCloudPhoneImagesResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    project_id: str,
    *,
    image_type: ImageType | Unset = UNSET,
    marker: str | Unset = UNSET,
    limit: int | Unset = 500,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_image_type: str | Unset = UNSET
    if not isinstance(image_type, Unset):
        json_image_type = image_type.value

    params["image_type"] = json_image_type

    params["marker"] = marker

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/{project_id}/cloud-phone/phone-images".format(
            project_id=quote(str(project_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | ListCloudPhoneImagesResponse | None:
    if response.status_code == 200:
        response_200 = ListCloudPhoneImagesResponse.from_dict(orjson.loads(response.content))

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(orjson.loads(response.content))

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(orjson.loads(response.content))

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(orjson.loads(response.content))

        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(orjson.loads(response.content))

        return response_404

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(orjson.loads(response.content))

        return response_429

    if response.status_code == 500:
        response_500 = ErrorBody.from_dict(orjson.loads(response.content))

        return response_500

    if response.status_code == 502:
        response_502 = ErrorBody.from_dict(orjson.loads(response.content))

        return response_502

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(orjson.loads(response.content))

        return response_503

    if response.status_code == 504:
        response_504 = ErrorBody.from_dict(orjson.loads(response.content))

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | ListCloudPhoneImagesResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    project_id: str,
    *,
    client: AuthenticatedClient,
    image_type: ImageType | Unset = UNSET,
    marker: str | Unset = UNSET,
    limit: int | Unset = 500,
) -> Response[ErrorBody | ListCloudPhoneImagesResponse]:
    """Querying the Image of a Cloud Phone

     This API is used to query available cloud phone images by project ID.

    Each account has all the permissions required to call all APIs, but IAM users must be assigned
    the required permissions (see Permissions Policies and Supported Actions).

    Args:
        project_id (str):
        image_type (ImageType | Unset): Which images to list. public, private, share (shared with
            this project) or all.
        marker (str | Unset):
        limit (int | Unset):  Default: 500.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ListCloudPhoneImagesResponse]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        image_type=image_type,
        marker=marker,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    project_id: str,
    *,
    client: AuthenticatedClient,
    image_type: ImageType | Unset = UNSET,
    marker: str | Unset = UNSET,
    limit: int | Unset = 500,
) -> ErrorBody | ListCloudPhoneImagesResponse | None:
    """Querying the Image of a Cloud Phone

     This API is used to query available cloud phone images by project ID.

    Each account has all the permissions required to call all APIs, but IAM users must be assigned
    the required permissions (see Permissions Policies and Supported Actions).

    Args:
        project_id (str):
        image_type (ImageType | Unset): Which images to list. public, private, share (shared with
            this project) or all.
        marker (str | Unset):
        limit (int | Unset):  Default: 500.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ListCloudPhoneImagesResponse
    """

    return sync_detailed(
        project_id=project_id,
        client=client,
        image_type=image_type,
        marker=marker,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    project_id: str,
    *,
    client: AuthenticatedClient,
    image_type: ImageType | Unset = UNSET,
    marker: str | Unset = UNSET,
    limit: int | Unset = 500,
) -> Response[ErrorBody | ListCloudPhoneImagesResponse]:
    """Querying the Image of a Cloud Phone

     This API is used to query available cloud phone images by project ID.

    Each account has all the permissions required to call all APIs, but IAM users must be assigned
    the required permissions (see Permissions Policies and Supported Actions).

    Args:
        project_id (str):
        image_type (ImageType | Unset): Which images to list. public, private, share (shared with
            this project) or all.
        marker (str | Unset):
        limit (int | Unset):  Default: 500.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ListCloudPhoneImagesResponse]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        image_type=image_type,
        marker=marker,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    project_id: str,
    *,
    client: AuthenticatedClient,
    image_type: ImageType | Unset = UNSET,
    marker: str | Unset = UNSET,
    limit: int | Unset = 500,
) -> ErrorBody | ListCloudPhoneImagesResponse | None:
    """Querying the Image of a Cloud Phone

     This API is used to query available cloud phone images by project ID.

    Each account has all the permissions required to call all APIs, but IAM users must be assigned
    the required permissions (see Permissions Policies and Supported Actions).

    Args:
        project_id (str):
        image_type (ImageType | Unset): Which images to list. public, private, share (shared with
            this project) or all.
        marker (str | Unset):
        limit (int | Unset):  Default: 500.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ListCloudPhoneImagesResponse
    """

    return (
        await asyncio_detailed(
            project_id=project_id,
            client=client,
            image_type=image_type,
            marker=marker,
            limit=limit,
        )
    ).parsed
