"""cph_client.paging and CphApiError against canned answers (httpx.MockTransport): every page followed, every
answer that is not a page raised as CphApiError, a repeated marker stopped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cph_client import AuthenticatedClient, paging
from cph_client.client import DEFAULT_TIMEOUT
from cph_client.errors import CphApiError
from cph_client.models import ImageType, PhoneImage

from cph_conformance import spec
from cph_conformance.mock import catalog

PROJECT = "0123456789abcdef0123456789abcdef"
IMAGES = list(catalog.build(catalog.MIN_COVERING).select("all"))


def _client(token: str, handler: Callable[[httpx.Request], httpx.Response]) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url="https://cph.example.com", token=token, httpx_args={"transport": httpx.MockTransport(handler)}
    )


def _catalog(request: httpx.Request) -> httpx.Response:
    """Pages of IMAGES, each marker the last image's id, as the mock and the service page."""
    params = request.url.params
    limit = int(params.get("limit", spec.parameter_default("limit")))
    start = 0
    if "marker" in params:
        start = next(i for i, image in enumerate(IMAGES) if image["image_id"] == params["marker"]) + 1
    page = IMAGES[start : start + limit]
    more = start + limit < len(IMAGES)
    page_info = {"next_marker": page[-1]["image_id"]} if more else {}
    return httpx.Response(200, json={"request_id": "r" * 32, "phone_images": page, "page_info": page_info})


def _ids(images: list[PhoneImage]) -> list[str]:
    return [image.image_id for image in images]


@pytest.mark.parametrize("limit", [1, 7, len(IMAGES), 500])
def test_images_walks_every_page_sync_and_async(token: str, limit: int) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _catalog(request)

    expected = [image["image_id"] for image in IMAGES]
    assert _ids(list(paging.images(_client(token, handler), PROJECT, ImageType.ALL, limit=limit))) == expected
    pages_sent = len(seen)
    assert pages_sent == -(-len(IMAGES) // limit)

    async def collect() -> list[PhoneImage]:
        return [image async for image in paging.aimages(_client(token, handler), PROJECT, ImageType.ALL, limit=limit)]

    assert _ids(asyncio.run(collect())) == expected
    assert len(seen) == 2 * pages_sent
    assert {r.url.params["image_type"] for r in seen} == {"all"}


def test_the_default_limit_is_the_specs(token: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _catalog(request)

    list(paging.pages(_client(token, handler), PROJECT))
    assert spec.parameter_default("limit") == paging.DEFAULT_LIMIT
    assert [r.url.params["limit"] for r in seen] == [str(spec.parameter_default("limit"))]
    assert "image_type" not in seen[0].url.params


def _answer(status: int, body: Any, content_type: str = "application/json", **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers={"Content-Type": content_type, **headers})


def _huawei(status: int) -> httpx.Response:
    body = {**spec.error_example(status), "request_id": "e" * 32}
    return _answer(status, body, **{"X-Request-Id": "e" * 32})


HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
BAD_PAGE = {"phone_images": [{"image_id": "x"}]}  # required fields missing

# (id, answer, status, error_code, request_id)
NOT_A_PAGE = [
    *[
        (f"documented-{s}", _huawei(s), s, spec.error_example(s)["error_code"], "e" * 32)
        for s in sorted(spec.documented_statuses() - {200})
    ],
    ("html-502", _answer(502, HTML, "text/html", **{"X-Request-Id": "h" * 32}), 502, None, "h" * 32),
    ("empty-503", _answer(503, b"", "text/plain"), 503, None, None),
    ("json-not-huaweis", _answer(500, {"message": "oops"}), 500, None, None),
    ("undocumented-203-page", _answer(203, {"phone_images": []}), 203, None, None),
    ("html-200", _answer(200, HTML, "text/html"), 200, None, None),
    ("200-missing-fields", _answer(200, BAD_PAGE), 200, None, None),
    ("200-a-list", _answer(200, [1, 2]), 200, None, None),
]


@pytest.mark.parametrize(
    ("answer", "status", "code", "request_id"), [c[1:] for c in NOT_A_PAGE], ids=[c[0] for c in NOT_A_PAGE]
)
def test_every_answer_that_is_not_a_page_raises_cph_api_error(
    token: str, answer: httpx.Response, status: int, code: str | None, request_id: str | None
) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:  # a fresh copy: a response is read once
        return httpx.Response(answer.status_code, content=answer.content, headers=answer.headers)

    client = _client(token, handler)
    with pytest.raises(CphApiError) as sync_info:
        paging.get_page(client, PROJECT)
    with pytest.raises(CphApiError) as async_info:
        asyncio.run(paging.aget_page(client, PROJECT))
    for error in (sync_info.value, async_info.value):
        assert (error.status, error.error_code, error.request_id) == (status, code, request_id)
        assert error.error_msg
        if code:
            assert error.error_msg == spec.error_example(status)["error_msg"]
            assert str(error) == f"HTTP {status} {code}: {error.error_msg} (request_id {request_id})"
        assert token not in str(error) and token not in repr(error)


def test_an_error_after_the_first_page_raises(token: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return _huawei(401) if "marker" in request.url.params else _catalog(request)

    walked: list[PhoneImage] = []
    with pytest.raises(CphApiError, match=r"APIGW\.0301"):
        walked.extend(paging.images(_client(token, handler), PROJECT, limit=5))
    assert len(walked) == 5


@pytest.mark.parametrize("markers", [["a", "a"], ["a", "b", "a"]])
def test_a_repeated_marker_raises_instead_of_looping(token: str, markers: list[str]) -> None:
    answers = iter(markers)

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"phone_images": [], "page_info": {"next_marker": next(answers)}})

    with pytest.raises(paging.RepeatedMarkerError, match="'a'"):
        list(paging.pages(_client(token, handler), PROJECT))

    answers = iter(markers)

    async def walk() -> None:
        async for _page in paging.apages(_client(token, handler), PROJECT):
            pass

    with pytest.raises(paging.RepeatedMarkerError):
        asyncio.run(walk())


@pytest.mark.parametrize("page_info", [{}, {"next_marker": ""}, None])
def test_the_last_page_ends_the_walk(token: str, page_info: dict[str, str] | None) -> None:
    body: dict[str, Any] = {"phone_images": IMAGES[:2]}
    if page_info is not None:
        body["page_info"] = page_info
    walked = list(paging.images(_client(token, lambda _r: httpx.Response(200, json=body)), PROJECT))
    assert len(walked) == 2


def test_the_default_timeout_is_ten_seconds_and_overridable(token: str) -> None:
    client = AuthenticatedClient(base_url="https://cph.example.com", token=token)
    assert client.get_httpx_client().timeout == DEFAULT_TIMEOUT == httpx.Timeout(10.0)
    assert client.get_async_httpx_client().timeout == httpx.Timeout(10.0)
    quick = AuthenticatedClient(base_url="https://cph.example.com", token=token, timeout=httpx.Timeout(2.5))
    assert quick.get_httpx_client().timeout == httpx.Timeout(2.5)


def test_every_paging_function_takes_image_type_in_the_same_place() -> None:
    """get_page(client, project, ImageType.X) works as pages(...) and images(...) do."""
    import inspect

    for function in (paging.get_page, paging.aget_page, paging.pages, paging.images, paging.apages, paging.aimages):
        parameters = list(inspect.signature(function).parameters.values())
        assert [p.name for p in parameters[:3]] == ["client", "project_id", "image_type"], function.__name__
        assert parameters[2].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, function.__name__
