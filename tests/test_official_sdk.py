"""Huawei's official SDK, an independent reading of Huawei's model, reads the mock's pages to the same data
as the generated client: a mock or spec that drifted from Huawei's model shows up here."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cph_client import AuthenticatedClient, paging
from cph_client.models import ImageType
from cph_client.types import UNSET, Unset
from huaweicloudsdkcph.v1 import PhoneImage

from cph_conformance import official_sdk, spec
from cph_conformance.mock import server
from cph_conformance.mock.server import RunningMock
from cph_conformance.spec import ROOT
from tests import background

IMAGE_TYPES = [*spec.enum("ImageType"), None]


def generated_client_images(mock: RunningMock, image_type: str | None, limit: int) -> list[dict[str, Any]]:
    kind: ImageType | Unset = ImageType(image_type) if image_type else UNSET
    with AuthenticatedClient(base_url=mock.base_url, token=mock.token) as client:
        return [
            image.to_dict()
            for page in paging.pages(client, mock.project_id, kind, limit=limit)
            for image in page.phone_images or []
        ]


@pytest.mark.parametrize("image_type", IMAGE_TYPES)
def test_the_official_sdk_reads_the_same_pages(mock: RunningMock, image_type: str | None) -> None:
    sdk = official_sdk.client(mock.base_url, mock.project_id, mock.ak, mock.sk)
    theirs = official_sdk.list_images(sdk, image_type, limit=7)
    ours = generated_client_images(mock, image_type, limit=7)
    assert theirs == ours
    assert len(ours) > 0


def wire_fields(mock: RunningMock) -> set[str]:
    """Every key of every image the mock sends over HTTP, as JSON (no client in between to drop any)."""
    fields: set[str] = set()
    params: dict[str, Any] = {"limit": spec.limit_bounds()[1]}
    with httpx.Client(headers={spec.auth_header(): mock.token}, timeout=10) as http:
        while True:
            body = http.get(mock.images_url, params=params).raise_for_status().json()
            fields.update(key for image in body["phone_images"] for key in image)
            params["marker"] = body["page_info"].get("next_marker")
            if not params["marker"]:
                return fields


@pytest.fixture(scope="module")
def undocumented_field_mock() -> Iterator[RunningMock]:
    with server.in_thread(fault="undocumented-field") as running:
        yield running


@pytest.mark.parametrize(
    ("fault", "beyond_the_sdk"), [(None, set()), ("undocumented-field", {"image_size_mb"})], ids=["clean", "fault"]
)
def test_the_mock_sends_only_fields_huaweis_sdk_models(
    request: pytest.FixtureRequest, fault: str | None, beyond_the_sdk: set[str]
) -> None:
    mock: RunningMock = request.getfixturevalue("undocumented_field_mock" if fault else "mock")
    sent = wire_fields(mock)
    # attribute_map: the SDK's attribute -> the JSON key it reads; a key it does not map, it drops unseen.
    assert sent - set(PhoneImage.attribute_map.values()) == beyond_the_sdk
    assert "receive_status" in sent  # the one field only shared images carry is on the wire too


# Huawei's client, in a process of its own: it lists every image from the mock, with signed requests.
SDK_LISTS = """
import sys
from cph_conformance import official_sdk
assert official_sdk.list_images(official_sdk.client(*sys.argv[1:]), None, limit=100)
"""


def _list_from_a_fresh_home(folder: Path) -> tuple[subprocess.CompletedProcess[str], list[Path]]:
    """Huawei's client lists the mock's images, both in processes whose HOME is an empty folder: what the client ran,
    and what the home holds afterwards."""
    home = folder / "home"
    home.mkdir()
    env = {**background.ENVIRONMENT, "HOME": str(home)}
    with server.running(env=env) as mock:
        listed = subprocess.run(
            [sys.executable, "-c", SDK_LISTS, mock.base_url, mock.project_id, mock.ak, mock.sk],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
    return listed, sorted(home.rglob("*"))


BACKGROUND = {"listed_from_a_fresh_home": _list_from_a_fresh_home}
listed_from_a_fresh_home = background.fixture(__name__, "listed_from_a_fresh_home")


def test_neither_huaweis_client_nor_the_mock_writes_the_home(
    listed_from_a_fresh_home: tuple[subprocess.CompletedProcess[str], list[Path]],
) -> None:
    """Huawei's client imports huaweicloudsdkcore, which writes ~/.huaweicloud/ unless kept from it
    (cph_conformance/sdk_home); the mock checks signatures with cph_client.testing, not the SDK."""
    listed, home = listed_from_a_fresh_home
    assert listed.returncode == 0, listed.stderr
    assert home == []
