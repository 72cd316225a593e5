"""The mock takes AK/SK-signed requests (checked with Huawei's own signer) as well as its token, and answers a
bad signature, an unknown AK or a date more than 15 minutes off with Huawei's 401 body. In process, through
httpx.ASGITransport; one run over HTTP, sync and async, with cph_client.paging."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cph_client import AuthenticatedClient, paging
from cph_client.auth import AkSkAuth
from cph_client.errors import CphApiError
from cph_client.models import ImageType, PhoneImage

from cph_conformance import spec
from cph_conformance.mock.app import Settings, create_app
from cph_conformance.mock.server import RunningMock, new_ak, new_sk

SETTINGS = Settings(
    project_id=secrets.token_hex(16), token=secrets.token_urlsafe(32), ak=new_ak(), sk=new_sk(), images=20
)
URL = spec.OPERATION_PATH.format(project_id=SETTINGS.project_id)


def _now() -> datetime:
    return datetime.now(UTC)


def _signed(
    ak: str = SETTINGS.ak, sk: str = SETTINGS.sk, skew: timedelta = timedelta()
) -> Callable[[httpx.Request], None]:
    return AkSkAuth(ak, sk, SETTINGS.project_id, now=lambda: _now() + skew).sign


def _tampered(request: httpx.Request) -> None:
    _signed()(request)
    request.url = request.url.copy_merge_params({"limit": "2"})


def _token(request: httpx.Request) -> None:
    request.headers["X-Auth-Token"] = SETTINGS.token


def _malformed(request: httpx.Request) -> None:
    _signed()(request)
    request.headers["Authorization"] = "SDK-HMAC-SHA256 Access=" + SETTINGS.ak


def _unsigned_host(request: httpx.Request) -> None:
    _signed()(request)
    request.headers["Authorization"] = request.headers["Authorization"].replace("host;", "")


# (id, how the request is authenticated, status)
CASES: list[tuple[str, Callable[[httpx.Request], None], int]] = [
    ("signed", _signed(), 200),
    ("signed-14-minutes-ago", _signed(skew=-timedelta(minutes=14)), 200),
    ("signed-14-minutes-ahead", _signed(skew=timedelta(minutes=14)), 200),
    ("token", _token, 200),
    ("wrong-secret-key", _signed(sk=new_sk()), 401),
    ("unknown-access-key", _signed(ak=new_ak()), 401),
    ("signed-16-minutes-ago", _signed(skew=-timedelta(minutes=16)), 401),
    ("signed-16-minutes-ahead", _signed(skew=timedelta(minutes=16)), 401),
    ("query-changed-after-signing", _tampered, 401),
    ("malformed-authorization", _malformed, 401),
    ("host-not-signed", _unsigned_host, 401),
]


async def _send(authenticate: Callable[[httpx.Request], None], url: str = URL) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(SETTINGS))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        request = client.build_request("GET", url, params={"image_type": "all", "limit": 5})
        authenticate(request)
        return await client.send(request)


@pytest.mark.parametrize(("authenticate", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_signed_requests_are_checked_like_the_gateway(
    authenticate: Callable[[httpx.Request], None], status: int
) -> None:
    response = asyncio.run(_send(authenticate))
    assert response.status_code == status, response.text
    if status == 401:
        body = response.json()
        assert body == {**spec.error_example(401), "request_id": response.headers["X-Request-Id"]}
    else:
        assert len(response.json()["phone_images"]) == 5


def test_a_valid_signature_for_another_project_is_403() -> None:
    response = asyncio.run(_send(_signed(), URL.replace(SETTINGS.project_id, "f" * 32)))
    assert response.status_code == 403
    assert response.json()["error_code"] == spec.error_example(403)["error_code"]


def test_the_secret_key_is_in_no_repr() -> None:
    assert SETTINGS.sk not in repr(SETTINGS)
    mock = RunningMock(base_url="http://127.0.0.1:1", project_id="p", token="t" * 20, ak=SETTINGS.ak, sk=SETTINGS.sk)
    assert SETTINGS.sk not in repr(mock) and "t" * 20 not in repr(mock)


def _clients(mock: RunningMock) -> dict[str, AuthenticatedClient]:
    return {
        "aksk": AuthenticatedClient(base_url=mock.base_url, auth=AkSkAuth(mock.ak, mock.sk, mock.project_id)),
        "token": AuthenticatedClient(base_url=mock.base_url, token=mock.token),
    }


def test_every_image_listed_over_http_with_aksk_and_token_sync_and_async(mock: RunningMock) -> None:
    def ids(images: list[PhoneImage]) -> list[str]:
        return [i.image_id for i in images]

    async def collect(client: AuthenticatedClient) -> list[PhoneImage]:
        async with client:
            return [i async for i in paging.aimages(client, mock.project_id, ImageType.ALL, limit=7)]

    listed = {}
    for name, client in _clients(mock).items():
        with client:
            listed[f"{name}-sync"] = ids(list(paging.images(client, mock.project_id, ImageType.ALL, limit=7)))
    for name, client in _clients(mock).items():
        listed[f"{name}-async"] = ids(asyncio.run(collect(client)))
    first = next(iter(listed.values()))
    assert len(first) > 7
    assert all(found == first for found in listed.values()), listed.keys()

    wrong = AuthenticatedClient(base_url=mock.base_url, auth=AkSkAuth(mock.ak, new_sk(), mock.project_id))
    with wrong, pytest.raises(CphApiError) as info:
        paging.get_page(wrong, mock.project_id)
    assert (info.value.status, info.value.error_code) == (401, spec.error_example(401)["error_code"])
