"""The mock's ASGI app in this process (no server, no port): a walk `fetch` over it, for fast tests."""

from __future__ import annotations

import functools
from typing import Any

from starlette.testclient import TestClient

from cph_conformance import spec
from cph_conformance.mock.app import Settings, create_app
from cph_conformance.run import walk

PROJECT = "0123456789abcdef0123456789abcdef"
TOKEN = "MIIT-in-process-token-0123456789abcdefghijklmnop"  # noqa: S105  (a test token)


@functools.cache
def client(fault: str | None = None, images: int = 60) -> TestClient:
    """One test client per fault, built once per session."""
    app = create_app(Settings(project_id=PROJECT, token=TOKEN, images=images, fault=fault))
    test_client: TestClient = app.test_client()
    return test_client


def fetch(fault: str | None = None, images: int = 60) -> walk.Fetch:
    def get(query: dict[str, Any], project: str | None = None, auth: str = walk.VALID) -> walk.Answer:
        headers = {walk.VALID: {spec.auth_header(): TOKEN}, walk.WRONG: {spec.auth_header(): walk.WRONG_TOKEN}}
        response = client(fault, images).get(
            spec.OPERATION_PATH.format(project_id=project or PROJECT), params=query, headers=headers.get(auth, {})
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        url = "https://cph.example" + response.request.url.raw_path.decode("ascii")
        return walk.Answer(
            url, auth, response.status_code, {k.lower(): v for k, v in response.headers.items()}, body, response.text
        )

    return get
