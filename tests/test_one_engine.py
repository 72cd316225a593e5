"""One behaviour, not two: the same requests, sent to the mock's app (connexion's routing and parameter checks in
front of the engine) and to the fake CPH (its own, from the spec, in front of the same engine), get the same status,
the same error code, and the same page. In process: the mock through httpx.ASGITransport, the fake as the
transport."""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cph_client.auth import AkSkAuth
from cph_client.testing import Catalog, FakeCph

from cph_conformance import spec
from cph_conformance.mock import catalog
from cph_conformance.mock.app import Settings, create_app
from cph_conformance.mock.server import new_ak, new_sk
from cph_conformance.run.transport.credential import MISPLACED_SIGNATURE, MISPLACED_TOKEN, Credential, Signed, Token

ENDPOINT = "http://cph.test"
SETTINGS = Settings(
    project_id=secrets.token_hex(16),
    token=secrets.token_urlsafe(32),
    ak=new_ak(),
    sk=new_sk(),
    images=catalog.MIN_COVERING,
)
IDS = catalog.build(catalog.MIN_COVERING).ids("all")
TOKEN = spec.auth_header()
OTHER = "f" * 32

# (what, method, path with {project}, query, how the request is authenticated)
Sign = Callable[[httpx.Request], None]


def token(value: str | None) -> Sign:
    def put(request: httpx.Request) -> None:
        if value is not None:
            request.headers[TOKEN] = value

    return put


def signed(sk: str = SETTINGS.sk) -> Sign:
    return AkSkAuth(SETTINGS.ak, sk, SETTINGS.project_id).sign


def misplaced(name: str) -> Sign:
    """The run's own credential where the page does not put it, as the run's probes put it."""
    credential: Credential = Signed(SETTINGS.ak, SETTINGS.sk, SETTINGS.project_id)
    if name in MISPLACED_TOKEN:
        credential = Token(TOKEN, SETTINGS.token)
    return lambda request: credential.misplace(name, request)


RIGHT = token(SETTINGS.token)
PATH = spec.OPERATION_PATH.replace("{project_id}", "{project}")
MISPLACED = [f"misplaced: {name}" for name in [*MISPLACED_TOKEN, *MISPLACED_SIGNATURE]]
CASES: list[tuple[str, str, str, str, Sign]] = [
    ("a page", "GET", PATH, "", RIGHT),
    *[(f"{t} after a marker", "GET", PATH, f"image_type={t}&limit=7&marker={IDS[2]}", RIGHT) for t in ["all"]],
    *[(f"{t} in pages of 4", "GET", PATH, f"image_type={t}&limit=4", RIGHT) for t in spec.enum("ImageType")],
    ("share after a share marker", "GET", PATH, f"image_type=share&marker={catalog.build(28).ids('share')[3]}", RIGHT),
    ("a marker of another type", "GET", PATH, f"image_type=public&marker={catalog.build(28).ids('share')[0]}", RIGHT),
    ("an unknown marker", "GET", PATH, "marker=no-such-image", RIGHT),
    ("an empty marker", "GET", PATH, "marker=", RIGHT),
    ("the smallest page", "GET", PATH, f"limit={spec.limit_bounds()[0]}", RIGHT),
    ("below the smallest page", "GET", PATH, f"limit={spec.limit_bounds()[0] - 1}", RIGHT),
    ("above the largest page", "GET", PATH, f"limit={spec.limit_bounds()[1] + 1}", RIGHT),
    ("a limit in words", "GET", PATH, "limit=ten", RIGHT),
    ("a fractional limit", "GET", PATH, "limit=1.5", RIGHT),
    ("a limit with spaces", "GET", PATH, "limit=%205%20", RIGHT),
    ("a limit with a sign", "GET", PATH, "limit=%2B5", RIGHT),
    ("an unknown image_type", "GET", PATH, "image_type=bogus", RIGHT),
    ("an empty image_type", "GET", PATH, "image_type=", RIGHT),
    ("an image_type in capitals", "GET", PATH, "image_type=PUBLIC", RIGHT),
    ("a NUL image_type", "GET", PATH, "image_type=%00", RIGHT),
    ("a marker that is not UTF-8", "GET", PATH, "marker=%ff%fe", RIGHT),
    ("a repeated limit", "GET", PATH, "limit=1&limit=2", RIGHT),
    ("a repeated image_type", "GET", PATH, "image_type=public&image_type=share", RIGHT),
    ("an unknown parameter", "GET", PATH, "colour=red", RIGHT),
    ("an array-style parameter", "GET", PATH, "image_type[]=x", RIGHT),
    ("no credential", "GET", PATH, "", token(None)),
    ("an empty token", "GET", PATH, "", token("")),
    ("a wrong token", "GET", PATH, "", token(SETTINGS.token[:-1])),
    ("the token in capitals", "GET", PATH, "", token(SETTINGS.token.upper())),
    ("no credential and a bad parameter", "GET", PATH, "limit=0", token(None)),
    ("another project", "GET", PATH.replace("{project}", OTHER), "", RIGHT),
    ("another project and a bad parameter", "GET", PATH.replace("{project}", OTHER), "limit=0", RIGHT),
    ("a project id that cannot be", "GET", PATH.replace("{project}", "NOT-A-PROJECT"), "", RIGHT),
    ("signed", "GET", PATH, "image_type=share&limit=3", signed()),
    ("signed with another secret key", "GET", PATH, "", signed(new_sk())),
    ("signed, another project", "GET", PATH.replace("{project}", OTHER), "", signed()),
    ("signed, a bad parameter", "GET", PATH, "limit=0", signed()),
    *[(f"misplaced: {name}", "GET", PATH, "limit=1", misplaced(name)) for name in MISPLACED_TOKEN],
    *[(f"misplaced: {name}", "GET", PATH, "limit=1", misplaced(name)) for name in MISPLACED_SIGNATURE],
    ("an unknown path", "GET", "/v1/{project}/cloud-phone/phones", "", RIGHT),
    ("an unknown path without a credential", "GET", "/v2/x", "", token(None)),
    ("POST", "POST", PATH, "", RIGHT),
    ("DELETE without a credential", "DELETE", PATH, "", token(None)),
]


def _request(client: httpx.AsyncClient, method: str, path: str, query: str, sign: Sign) -> httpx.Request:
    url = httpx.URL(ENDPOINT + path.replace("{project}", SETTINGS.project_id)).copy_with(query=query.encode() or None)
    request = client.build_request(method, url)
    sign(request)
    return request


@functools.cache
def _mock_app() -> Any:
    return create_app(SETTINGS)


async def _both(method: str, path: str, query: str, sign: Sign) -> tuple[httpx.Response, httpx.Response]:
    fake = FakeCph(
        Catalog.generated(SETTINGS.images),
        project_id=SETTINGS.project_id,
        token=SETTINGS.token,
        ak=SETTINGS.ak,
        sk=SETTINGS.sk,
        base_url=ENDPOINT,
    )
    answers = []
    for transport in (httpx.ASGITransport(app=_mock_app()), fake):
        async with httpx.AsyncClient(transport=transport) as client:
            answers.append(await client.send(_request(client, method, path, query, sign)))
    mock, answered = answers
    return mock, answered


@functools.cache
def answered(case: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the mock and the fake answered to a case of the table."""
    mock, fake = asyncio.run(_both(*CASES[case][1:]))
    return what(mock), what(fake)


def what(response: httpx.Response) -> dict[str, Any]:
    """What must be the same: the status and content type, the error body or the page less its request_id."""
    seen: dict[str, Any] = {"status": response.status_code, "type": response.headers.get("content-type")}
    if response.content:
        body = response.json()
        seen["body"] = {k: v for k, v in body.items() if k != "request_id"}
        seen["request_id header"] = response.headers.get(spec.request_id_header()) == body.get("request_id")
    if "allow" in response.headers:
        seen["allow"] = {m.strip() for m in response.headers["allow"].split(",")}
    return seen


@pytest.mark.parametrize("case", range(len(CASES)), ids=[c[0] for c in CASES])
def test_the_mock_and_the_fake_answer_alike(case: int) -> None:
    mock, fake = answered(case)
    assert fake == mock


@pytest.mark.parametrize("name", MISPLACED)
def test_the_credential_where_the_page_does_not_put_it_is_refused(name: str) -> None:
    """Another header or scheme, the query string, a cookie, the header twice; another query's signature, a date out
    of the window: refused as a request without the run's credential (401), by both."""
    mock, fake = answered(next(n for n, case in enumerate(CASES) if case[0] == name))
    assert mock["status"] == fake["status"] == 401


def test_the_table_covers_every_answer_the_front_doors_give() -> None:
    """Pages, and each error the routing, authentication, parameter and project checks give."""
    assert {answered(case)[0]["status"] for case in range(len(CASES))} == {200, 400, 401, 403, 404, 405}
