"""Listing images: the generated client vs Huawei's official SDK vs plain httpx + json.loads.

(a) from bytes in memory: each library's own decode step on one page;
(b) over HTTP from the mock on 127.0.0.1: listing N images, in pages of at most the API's largest limit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import requests
from cph_client import AuthenticatedClient, paging
from cph_client.api.cloud_phone_images import list_cloud_phone_images
from cph_client.models import ImageType, ListCloudPhoneImagesResponse

from cph_conformance import official_sdk, spec
from cph_conformance.bench.timing import Stats, interleaved
from cph_conformance.mock import catalog
from cph_conformance.mock.server import RunningMock

SIZES = (10, 1_000, 10_000)
CONTENDERS = ("generated client", "official SDK", "httpx + json.loads")
MAX_PAGE = spec.limit_bounds()[1]  # the API's largest page


@dataclass(frozen=True)
class Case:
    mode: str  # "memory" or "http"
    images: int
    stats: dict[str, Stats]


def _page_bytes(size: int) -> bytes:
    images = list(catalog.build(max(size, catalog.MIN_COVERING)).select("all")[:size])
    return json.dumps({"request_id": "0" * 32, "phone_images": images, "page_info": {}}).encode()


def from_memory(size: int, rounds: int) -> Case:
    body = _page_bytes(size)
    unused = "not-sent"  # nothing goes over the network in this case
    client = AuthenticatedClient(base_url="http://127.0.0.1", token=unused)
    sdk = official_sdk.client("http://127.0.0.1", "0" * 32, unused, unused)

    # Each library's own response object, built once: only the decoding is timed.
    ours = httpx.Response(200, content=body)
    theirs = requests.Response()
    theirs._content = body
    theirs.status_code = 200
    theirs.encoding = "utf-8"
    theirs.headers["Content-Type"] = "application/json"

    def generated() -> object:
        # The generated endpoint's own parsing step.
        parsed = list_cloud_phone_images._parse_response(client=client, response=ours)
        assert isinstance(parsed, ListCloudPhoneImagesResponse)
        return parsed

    def official() -> object:
        # The SDK's own parsing step, what its sync response handler calls.
        return sdk.deserialize(theirs, "ListCloudPhoneImagesResponse", None)

    def plain() -> object:
        return json.loads(body)

    stats = interleaved(dict(zip(CONTENDERS, (generated, official, plain), strict=True)), rounds)
    return Case("memory", size, stats)


def over_http(mock: RunningMock, size: int, rounds: int) -> Case:
    limit = min(size, MAX_PAGE)
    client = AuthenticatedClient(base_url=mock.base_url, token=mock.token)
    sdk = official_sdk.client(mock.base_url, mock.project_id, mock.ak, mock.sk)
    plain_client = httpx.Client(base_url=mock.base_url, headers={spec.auth_header(): mock.token})
    url = spec.OPERATION_PATH.format(project_id=mock.project_id)

    def generated() -> int:
        count = 0
        for page in paging.pages(client, mock.project_id, ImageType.ALL, limit=limit):
            count += len(page.phone_images or [])
            if count >= size:
                break
        return count

    def official() -> int:
        count = 0
        for page in official_sdk.pages(sdk, "all", limit):
            count += len(page.phone_images or [])
            if count >= size:
                break
        return count

    def plain() -> int:
        count, params = 0, {"image_type": "all", "limit": str(limit)}
        while count < size:
            body: dict[str, Any] = json.loads(plain_client.get(url, params=params).content)
            count += len(body["phone_images"])
            marker = body.get("page_info", {}).get("next_marker")
            if not marker:
                break
            params["marker"] = marker
        return count

    try:
        for fn in (generated, official, plain):
            assert fn() == size, fn.__name__  # each lists exactly the images asked for
        stats = interleaved(dict(zip(CONTENDERS, (generated, official, plain), strict=True)), rounds)
    finally:
        client.get_httpx_client().close()
        plain_client.close()
    return Case("http", size, stats)
