"""The benchmarks' constant server answers as the spec says: its page for the token, Huawei's 401 body without."""

from __future__ import annotations

import asyncio
import secrets
from http import HTTPStatus

import httpx
import pytest

from cph_conformance import spec
from cph_conformance.bench import constant_server

TOKEN = secrets.token_urlsafe(16)


def answer(headers: dict[str, str]) -> httpx.Response:
    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=constant_server.app(TOKEN))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(spec.OPERATION_PATH.format(project_id="0" * 32), headers=headers)

    return asyncio.run(get())


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({spec.auth_header(): TOKEN}, HTTPStatus.OK),
        ({spec.auth_header(): "wrong"}, HTTPStatus.UNAUTHORIZED),
        ({}, HTTPStatus.UNAUTHORIZED),
    ],
)
def test_the_token_gets_the_page_and_anything_else_huaweis_401(headers: dict[str, str], status: int) -> None:
    response = answer(headers)
    assert response.status_code == status
    body = response.json()
    assert response.headers[spec.request_id_header()] == body["request_id"]
    if status == HTTPStatus.UNAUTHORIZED:
        assert body == {**spec.error_example(status), "request_id": body["request_id"]}
    else:
        assert body["phone_images"] == []
