"""cph_client.testing.FakeCph in process: the credential routes, the parameters, the listings and their pages, the
faults a test switches on and the requests it records, each one way and the other, from the spec's facts. The wheel's
README runs it under pytest (tests/test_fake_readme.py); the mock answers alike (tests/test_one_engine.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from cph_client import AuthenticatedClient, paging
from cph_client.auth import AkSkAuth
from cph_client.errors import CphApiError
from cph_client.models import ImageType
from cph_client.testing import Call, Catalog, Contract, Engine, FakeCph, asgi_app, image_id
from cph_client.testing.contract import UnsupportedSchema
from cph_client.types import UNSET

from cph_conformance import spec
from cph_conformance.mock import catalog as mock_catalog
from cph_conformance.mock.faults import Fault

SMALLEST, LARGEST = spec.limit_bounds()
(THROTTLED,) = spec.statuses_when("throttled")
TRANSIENT = sorted(spec.statuses_when("transient"))


def fake(**kwargs: Any) -> FakeCph:
    return FakeCph(Catalog.generated(mock_catalog.MIN_COVERING), **kwargs)


def get(
    f: FakeCph, headers: dict[str, str] | None = None, url: str | None = None, method: str = "GET", **params: Any
) -> httpx.Response:
    with httpx.Client(transport=f) as client:
        sent = {spec.auth_header(): f.token} if headers is None else headers
        return client.request(method, url or f.images_url, params=params or None, headers=sent)


def error_code(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    assert response.headers[spec.request_id_header()] == body["request_id"]
    return str(body["error_code"])


# --- who gets in --------------------------------------------------------------------------------------------------


def _aksk(f: FakeCph, sk: str | None = None) -> Callable[[httpx.Request], None]:
    return AkSkAuth(f.ak, sk or f.sk, f.project_id).sign


ROUTES: list[tuple[str, Callable[[FakeCph], dict[str, str] | None], int, str | None]] = [
    ("the token", lambda f: {spec.auth_header(): f.token}, 200, "token"),
    ("no credential", lambda f: {}, 401, None),
    ("an empty token", lambda f: {spec.auth_header(): ""}, 401, None),
    ("another token", lambda f: {spec.auth_header(): f.token + "x"}, 401, None),
    ("the token in another case", lambda f: {spec.auth_header(): f.token.swapcase()}, 401, None),
]


@pytest.mark.parametrize(("headers", "status", "route"), [r[1:] for r in ROUTES], ids=[r[0] for r in ROUTES])
def test_the_token_route(headers: Callable[[FakeCph], dict[str, str]], status: int, route: str | None) -> None:
    f = fake()
    response = get(f, headers(f))
    assert response.status_code == status
    if status != 200:
        assert error_code(response) == spec.error_example(status)["error_code"]
    assert (f.requests[-1].status, f.requests[-1].route) == (status, route)


@pytest.mark.parametrize(("right", "status"), [(True, 200), (False, 401)])
def test_the_aksk_route(right: bool, status: int) -> None:
    f = fake()
    with httpx.Client(transport=f) as client:
        request = client.build_request("GET", f.images_url, params={"limit": 1})
        _aksk(f, None if right else f.sk + "x")(request)
        response = client.send(request)
    assert response.status_code == status
    assert f.requests[-1].route == ("aksk" if right else None)
    assert f.requests[-1].refused == (None if right else "signature mismatch")


def test_another_project_is_refused_as_the_spec_says() -> None:
    f = fake()
    response = get(f, url=f.images_url.replace(f.project_id, "f" * 32))
    assert response.status_code == 403 and error_code(response) == spec.error_example(403)["error_code"]
    assert get(f).status_code == 200


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("", "GET", 200),
        ("", "HEAD", 200),
        ("", "POST", 405),
        ("/x", "GET", 404),
        ("/", "GET", 404),
    ],
)
def test_routing(path: str, method: str, status: int) -> None:
    f = fake()
    response = get(f, url=f.images_url + path, method=method)
    assert response.status_code == status
    if status == 405:
        assert "GET" in response.headers["Allow"]
        assert error_code(response).startswith("APIGW.")
    if status == 404:
        assert error_code(response) == spec.error_example(404)["error_code"]


def test_another_host_does_not_answer() -> None:
    f = fake()
    with pytest.raises(httpx.ConnectError, match=r"FakeCph\(base_url=\.\.\.\)"):
        get(f, url=f.images_url.replace("cph.", "iam."))
    assert f.requests == []
    assert fake(base_url="http://127.0.0.1:9").images_url.startswith("http://127.0.0.1:9/v1/")
    assert fake(region=spec.regions()[-1]).base_url == spec.base_url(spec.regions()[-1])


# --- what is accepted -----------------------------------------------------------------------------------------------

PARAMETERS: list[tuple[dict[str, Any], int]] = [
    ({}, 200),
    *[({"image_type": t}, 200) for t in spec.enum("ImageType")],
    ({"image_type": "bogus"}, 400),
    ({"image_type": ""}, 400),
    ({"image_type": "PUBLIC"}, 400),
    ({"limit": SMALLEST}, 200),
    ({"limit": LARGEST}, 200),
    ({"limit": SMALLEST - 1}, 400),
    ({"limit": LARGEST + 1}, 400),
    ({"limit": "ten"}, 400),
    ({"limit": "1.5"}, 400),
    ({"marker": ""}, 400),
    ({"marker": "no-such-image"}, 200),
    ({"unknown": "ignored"}, 200),
]


@pytest.mark.parametrize(("params", "status"), PARAMETERS, ids=[str(p) for p, _ in PARAMETERS])
def test_parameters_are_checked_against_the_spec(params: dict[str, Any], status: int) -> None:
    response = get(fake(), **params)
    assert response.status_code == status, response.text
    if status == 400:
        body = response.json()
        assert body["error_code"] == spec.error_example(400)["error_code"]
        assert body["error_msg"].startswith(spec.error_example(400)["error_msg"] + " " + next(iter(params)))


def test_a_bad_project_id_is_a_bad_parameter() -> None:
    f = fake()
    assert get(f, url=f.images_url.replace(f.project_id, "NOT-HEX")).status_code == 400


def test_a_repeated_parameter_counts_its_last_value() -> None:
    f = fake()
    response = get(f, url=f"{f.images_url}?limit=1&limit=2")
    assert len(response.json()["phone_images"]) == 2
    assert f.requests[-1].params == {"limit": "2"}


# --- listings -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("image_type", [*spec.enum("ImageType"), None])
def test_every_listing_pages_through_the_catalog(image_type: str | None) -> None:
    f = fake()
    kind = ImageType(image_type) if image_type else None
    with f.client() as client:
        pages = list(paging.pages(client, f.project_id, kind or UNSET, limit=7))
    ids = [image.image_id for page in pages for image in page.phone_images or []]
    assert ids == f.catalog.ids(image_type) and ids
    assert all(len(page.phone_images or []) <= 7 for page in pages)
    assert len(pages) == -(-len(ids) // 7)


def test_no_limit_is_the_spec_default_and_the_last_page_has_no_next_marker() -> None:
    big = FakeCph(Catalog.build(public=LARGEST + 1))
    first = get(big).json()
    assert len(first["phone_images"]) == spec.parameter_default("limit")
    last = get(big, marker=first["page_info"]["next_marker"]).json()
    assert len(last["phone_images"]) == 1 and last["page_info"] == {}


def test_async_and_sync_list_the_same() -> None:
    f = fake()

    async def listed(client: AuthenticatedClient) -> list[str]:
        async with client:
            return [i.image_id async for i in paging.aimages(client, f.project_id, ImageType.ALL, limit=5)]

    with f.client(aksk=True) as client:
        sync = [i.image_id for i in paging.images(client, f.project_id, ImageType.ALL, limit=5)]
    assert asyncio.run(listed(f.client())) == sync == f.catalog.ids("all")


# --- faults ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("retry_after", [None, 3])
def test_throttling_for_the_next_n_requests(retry_after: int | None) -> None:
    f = fake()
    f.throttle(times=2, retry_after=retry_after)
    answers = [get(f, limit=1) for _ in range(3)]
    assert [a.status_code for a in answers] == [THROTTLED, THROTTLED, 200]
    assert error_code(answers[0]) == spec.error_example(THROTTLED)["error_code"]
    assert answers[0].headers.get("Retry-After") == (None if retry_after is None else str(retry_after))
    assert [r.fault for r in f.requests] == ["throttle", "throttle", None]


@pytest.mark.parametrize("status", [None, *TRANSIENT])
def test_a_blip_is_a_transient_status(status: int | None) -> None:
    f = fake()
    f.blip(status=status)
    response = get(f)
    assert response.status_code == (status or TRANSIENT[0])
    assert error_code(response) == spec.error_example(response.status_code)["error_code"]
    assert get(f).status_code == 200


@pytest.mark.parametrize(
    ("switch", "reason"),
    [
        (lambda f: f.blip(status=500), "a blip's status is one of"),
        (lambda f: f.fail(200), "an error status the spec documents"),
        (lambda f: f.fail(418), "an error status the spec documents"),
        (lambda f: f.throttle(times=0), "times must be 1 or more"),
        (lambda f: f.throttle(retry_after=-1), "retry_after must be 0 or more"),
        (lambda f: f.slow(-1), "seconds must be 0 or more"),
    ],
)
def test_a_fault_that_cannot_be_is_refused(switch: Callable[[FakeCph], None], reason: str) -> None:
    f = fake()
    with pytest.raises(ValueError, match=reason):
        switch(f)
    assert get(f).status_code == 200


def test_faults_answer_in_the_order_they_were_switched_on_and_can_be_dropped() -> None:
    f = fake()
    f.fail(403)
    f.throttle()
    f.blip()
    assert [get(f).status_code for _ in range(4)] == [403, THROTTLED, TRANSIENT[0], 200]
    f.throttle(times=5)
    f.clear_faults()
    assert get(f).status_code == 200


def test_a_malformed_page_is_a_200_the_client_cannot_read() -> None:
    f = fake()
    f.malformed()
    with f.client() as client:
        with pytest.raises(CphApiError, match="not a page of images") as caught:
            paging.get_page(client, f.project_id)
        assert caught.value.status == 200
        assert paging.get_page(client, f.project_id).phone_images


@pytest.mark.parametrize(("delay", "timeout", "times_out"), [(0.01, 5.0, False), (0.2, 0.01, True)])
def test_a_slow_answer_past_the_read_timeout_times_out(delay: float, timeout: float, times_out: bool) -> None:
    f = fake()
    f.slow(delay)
    with f.client(timeout=httpx.Timeout(timeout)) as client:
        if times_out:
            with pytest.raises(httpx.ReadTimeout):
                paging.get_page(client, f.project_id)
        else:
            assert paging.get_page(client, f.project_id).phone_images
    assert f.requests[-1].fault == "slow"


def test_a_slow_answer_times_out_for_the_async_client_too() -> None:
    f = fake()
    f.slow(0.2)

    async def page() -> None:
        async with f.client(timeout=httpx.Timeout(0.01)) as client:
            await paging.aget_page(client, f.project_id)

    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(page())


# --- what it records ------------------------------------------------------------------------------------------------


def test_every_request_is_recorded_and_no_credential_shows() -> None:
    f = fake()
    f.throttle()
    with f.client() as client:
        with pytest.raises(CphApiError):
            paging.get_page(client, f.project_id, ImageType.SHARE, limit=2)
        list(paging.pages(client, f.project_id, ImageType.SHARE, limit=2))
    statuses = [r.status for r in f.requests]
    assert statuses[0] == THROTTLED and set(statuses[1:]) == {200}
    assert [r.params.get("marker") for r in f.requests[1:]] == [None, *f.catalog.ids("share")[1:-1:2]]
    assert all(r.params["image_type"] == "share" for r in f.requests)
    assert f.requests[1].headers[spec.auth_header().lower()] == f.token
    shown = repr(f.requests) + repr(f) + repr(f.credentials)
    assert f.token not in shown and f.sk not in shown and f.project_id in shown


# --- the catalog ----------------------------------------------------------------------------------------------------


def test_the_catalog_builder() -> None:
    built = Catalog.build(public=3, private=2, shared=4, labels=["cloud_game", "a-label-of-tomorrow"])
    assert [len(built.select(t)) for t in ("public", "private", "share", "all")] == [3, 2, 4, 9]
    assert {i["image_label"] for i in built} == {"cloud_game", "a-label-of-tomorrow"}
    assert [i["receive_status"] for i in built.shared] == [*spec.enum("ReceiveStatus"), spec.enum("ReceiveStatus")[0]]
    ids = built.ids()
    assert len(set(ids)) == 9 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert built == Catalog.build(public=3, private=2, shared=4, labels=["cloud_game", "a-label-of-tomorrow"])
    assert built != Catalog.build(public=3, private=2, shared=4)
    more = built.plus(built.models("public")[0].to_dict() | {"image_id": image_id("one more")})
    assert more.ids("public")[-1] == image_id("one more") and len(more) == 10
    with pytest.raises(ValueError, match="same image_id"):
        built.plus(built.public[0])


def test_the_mock_and_the_fake_generate_the_same_catalog() -> None:
    assert mock_catalog.build(60) == Catalog.generated(60)
    assert Catalog.covering_size() == mock_catalog.MIN_COVERING
    with pytest.raises(ValueError, match="example images"):
        Catalog.generated(2)


def test_an_image_of_no_type_is_refused() -> None:
    image = dict(Catalog.build(public=1).public[0], is_public=7)
    with pytest.raises(ValueError, match="no one image type"):
        Catalog([image])


# --- the spec it answers by -----------------------------------------------------------------------------------------


def test_the_packaged_spec_is_the_projects() -> None:
    assert Contract.packaged().document == spec.load()


def test_a_parameter_the_fake_cannot_check_stops_it() -> None:
    document = spec.load()
    operation = dict(document["paths"][spec.OPERATION_PATH]["get"])
    operation["parameters"] = [*operation["parameters"], {"name": "x", "in": "query", "schema": {"format": "uuid"}}]
    changed = {**document, "paths": {spec.OPERATION_PATH: {"get": operation}}}
    with pytest.raises(UnsupportedSchema, match="'x' uses \\['format'\\]"):
        Contract(changed)
    Contract(document)


# --- served as an ASGI app ------------------------------------------------------------------------------------------


def test_the_asgi_app_answers_as_the_transport() -> None:
    f = fake()

    async def listed() -> tuple[list[int], list[str]]:
        transport = httpx.ASGITransport(app=asgi_app(f))
        async with AuthenticatedClient(
            base_url="http://127.0.0.1:1", token=f.token, httpx_args={"transport": transport}
        ) as client:
            ids = [i.image_id async for i in paging.aimages(client, f.project_id, limit=4)]
            other = await client.get_async_httpx_client().get(f.images_url.replace(f.project_id, "0" * 32))
            return [other.status_code], ids

    statuses, ids = asyncio.run(listed())
    assert statuses == [403] and ids == f.catalog.ids()
    assert {r.route for r in f.requests} == {"token"}


# --- the engine -----------------------------------------------------------------------------------------------------


def test_a_page_joined_from_encoded_images_is_the_page_encoded_whole() -> None:
    """Without hooks that change a page, the engine joins images encoded once; with one (that changes nothing), it
    encodes the page whole: the same bytes, but for the request_id."""
    generated = Catalog.generated(60)
    project = "0" * 32
    fast = Engine(generated, project)
    whole = Engine(generated, project, hooks=Fault("changes nothing", page=lambda body, _call: body))
    share = generated.ids("share")
    for call in (
        Call(project, "all", None, 7),
        Call(project, "share", share[3], 5),
        Call(project, "share", share[-2], 5),  # the last page
        Call(project, None, "no-such-image", 5),
        Call(project, "public", None, LARGEST),
    ):
        one, other = fast.listing(call), whole.listing(call)
        ids = [orjson.loads(answer.body)["request_id"].encode() for answer in (one, other)]
        assert one.body.replace(*ids) == other.body
        assert one.headers[spec.request_id_header()].encode() == ids[0]
