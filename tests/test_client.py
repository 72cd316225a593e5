"""The generated client against canned HTTP answers (httpx.MockTransport): parsing, auth, errors, repr."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from cph_client import AuthenticatedClient
from cph_client.api.cloud_phone_images import list_cloud_phone_images
from cph_client.models import (
    ErrorBody,
    ImageLabel,
    ImageType,
    IsPublic,
    ListCloudPhoneImagesResponse,
)
from cph_client.types import Unset

from cph_conformance import spec

PROJECT = "0123456789abcdef0123456789abcdef"
BASE_URL = spec.base_url(spec.default_region())


def _client(token: str, answer: httpx.Response, seen: list[httpx.Request]) -> AuthenticatedClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    # MockTransport serves both the sync and the async httpx client.
    return AuthenticatedClient(
        base_url=BASE_URL,
        token=token,
        httpx_args={"transport": httpx.MockTransport(handler)},
    )


def _ok(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=body, headers={spec.request_id_header(): body.get("request_id", "")})


def test_parses_the_doc_example(token: str) -> None:
    seen: list[httpx.Request] = []
    client = _client(token, _ok(spec.example_response()), seen)
    page = list_cloud_phone_images.sync(PROJECT, client=client, image_type=ImageType.PUBLIC)
    assert isinstance(page, ListCloudPhoneImagesResponse)
    assert page.request_id == spec.example_response()["request_id"]
    assert not isinstance(page.phone_images, Unset)
    labels = [i.image_label for i in page.phone_images]
    assert all(isinstance(label, ImageLabel) for label in labels)
    assert labels == [i["image_label"] for i in spec.example_response()["phone_images"]]
    assert {i.is_public for i in page.phone_images} == {IsPublic.PUBLIC}
    assert page.to_dict() == spec.example_response()
    (request,) = seen
    assert request.url.path == spec.OPERATION_PATH.format(project_id=PROJECT)
    assert request.url.params["image_type"] == "public"


def test_sends_the_bare_token_in_the_auth_header(token: str) -> None:
    seen: list[httpx.Request] = []
    list_cloud_phone_images.sync(PROJECT, client=_client(token, _ok({}), seen))
    (request,) = seen
    assert request.headers[spec.auth_header()] == token
    assert "Authorization" not in request.headers


def test_an_unknown_label_keeps_its_value_and_the_page(token: str) -> None:
    body = json.loads(json.dumps(spec.example_response()))
    body["phone_images"][1]["image_label"] = "cloud_phone_9000"
    page = list_cloud_phone_images.sync(PROJECT, client=_client(token, _ok(body), []))
    assert isinstance(page, ListCloudPhoneImagesResponse)
    assert not isinstance(page.phone_images, Unset)
    labels = [i.image_label for i in page.phone_images]
    assert labels == [i["image_label"] for i in body["phone_images"]]
    assert [isinstance(label, ImageLabel) for label in labels] == [True, False, True]


def test_async_call_parses_the_same_page(token: str) -> None:
    client = _client(token, _ok(spec.example_response()), [])
    page = asyncio.run(list_cloud_phone_images.asyncio(PROJECT, client=client, limit=3))
    assert isinstance(page, ListCloudPhoneImagesResponse)
    assert page.to_dict() == spec.example_response()


def test_a_401_is_a_typed_error_with_huaweis_fields(token: str) -> None:
    body = spec.error_example(401)
    answer = httpx.Response(401, json=body, headers={spec.request_id_header(): body["request_id"]})
    response = list_cloud_phone_images.sync_detailed(PROJECT, client=_client(token, answer, []))
    assert response.status_code == 401
    error = response.parsed
    assert isinstance(error, ErrorBody)
    assert error.to_dict() == body


def test_the_token_is_in_no_repr_or_str(token: str) -> None:
    client = AuthenticatedClient(base_url=BASE_URL, token=token)
    texts = [repr(client), str(client)]
    client.get_httpx_client()  # caches the token in the client's headers
    texts += [repr(client), str(client), repr(client.with_headers({"X-Language": "en-us"}))]
    for text in texts:
        assert token not in text
    assert client.get_httpx_client().headers[spec.auth_header()] == token


def test_a_token_or_an_auth_is_required() -> None:
    with pytest.raises(TypeError, match="exactly one of token and auth"):
        AuthenticatedClient(base_url=BASE_URL)
