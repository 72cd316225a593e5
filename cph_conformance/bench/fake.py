"""The fake CPH's own time for one page of the API's largest size, in process, beside the mock's app in process.

The fake: cph_client.testing.FakeCph.handle_request (routing, the token's check, the parameters' checks, the
engine's page, the httpx.Response), and the engine's page alone; the mock: its connexion app through
httpx.ASGITransport (routing, security and parameter validation, the engine's page, response validation). The same
request for each: image_type=all, the largest limit, from the middle of a catalog of IMAGES images.
"""

from __future__ import annotations

import asyncio

import httpx
from cph_client.testing import Catalog, FakeCph
from cph_client.testing.engine import Call

from cph_conformance import spec
from cph_conformance.bench.timing import Stats, interleaved
from cph_conformance.mock import catalog as mock_catalog
from cph_conformance.mock.app import Settings, create_app

IMAGES = 10_000
PAGE = spec.limit_bounds()[1]  # the API's largest page
ENDPOINT = "http://cph.bench"
CONTENDERS = ("fake: handle_request", "fake: the engine's page alone", "mock: its app in process")


def page_costs(rounds: int) -> dict[str, Stats]:
    catalog = Catalog.generated(IMAGES, mock_catalog.contract())
    fake = FakeCph(catalog, base_url=ENDPOINT)
    marker = catalog.ids()[IMAGES // 2]
    params = {spec.selector(): "all", spec.page_size(): str(PAGE), spec.continuation()[0]: marker}
    headers = {spec.auth_header(): fake.token}
    request = httpx.Request("GET", fake.images_url, params=params, headers=headers)
    call = Call(fake.project_id, "all", marker, PAGE)
    mock = httpx.ASGITransport(app=create_app(Settings(project_id=fake.project_id, token=fake.token, images=IMAGES)))
    loop = asyncio.new_event_loop()

    async def from_the_mock() -> bytes:
        sent = httpx.Request("GET", fake.images_url, params=params, headers=headers)
        return await (await mock.handle_async_request(sent)).aread()

    def fake_page() -> httpx.Response:
        response = fake.handle_request(request)
        fake.requests.clear()  # its record of requests would grow with every round
        return response

    sizes = {len(fake_page().content), len(loop.run_until_complete(from_the_mock()))}
    if len(sizes) != 1:
        raise RuntimeError(f"the fake and the mock answered pages of different sizes: {sizes}")
    try:
        fake_answer, engine_alone, mock_app = CONTENDERS
        return interleaved(
            {
                fake_answer: fake_page,
                engine_alone: lambda: fake.engine.listing(call),
                mock_app: lambda: loop.run_until_complete(from_the_mock()),
            },
            rounds,
        )
    finally:
        loop.close()
