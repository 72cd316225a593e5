"""cph_client.auth.AkSkAuth signs as Huawei's SDK signs: each case is signed by both, on fixed keys and a fixed
date, and must give the same Authorization, the same extra headers and the same query on the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cph_client import AuthenticatedClient
from cph_client.api.cloud_phone_images import list_cloud_phone_images
from cph_client.auth import AkSkAuth
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest

AK = "HPUAEXAMPLEAK0000001"
SK = "sEcReTkEy/Example+0123456789abcdefghijKLMN"
SECURITY_TOKEN = "gQpjbi1ub3J0aC00FAKE-SECURITY-TOKEN"  # noqa: S105 - a fixed fake for the signer comparison
PROJECT = "0123456789abcdef0123456789abcdef"
WHEN = datetime(2026, 11, 27, 10, 4, 5, tzinfo=UTC)
IMAGES = f"/v1/{PROJECT}/cloud-phone/phone-images"


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    url: str
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    project_id: str | None = PROJECT
    security_token: str | None = None


CASES = [
    Case(
        "get-reserved-and-non-ascii-query",
        "GET",
        f"https://cph.cn-north-4.myhuaweicloud.com{IMAGES}",
        params=[
            ("marker", "a b+c/d?e&f=g#h%i~j*k'l(m)!n;o:p@q$r,s[t]u"),
            ("limit", "5"),
            ("image_type", "public"),
            ("name", "云手机 éü"),
            ("empty", ""),
            ("Z", "upper-case key sorts first"),
        ],
    ),
    Case(
        "post-json-body",
        "POST",
        f"https://cph.cn-north-4.myhuaweicloud.com/v1/{PROJECT}/cloud-phone/phones/batch-restart",
        headers={"Content-Type": "application/json;charset=UTF-8", "X-Language": "en-us"},
        body=b'{"phones": [{"phone_id": "a1b2"}], "note": "\xe4\xba\x91"}',
    ),
    Case(
        "temporary-credentials",
        "GET",
        f"https://cph.cn-north-4.myhuaweicloud.com{IMAGES}",
        params=[("image_type", "share")],
        security_token=SECURITY_TOKEN,
    ),
    Case("host-with-a-port", "GET", f"http://127.0.0.1:8443{IMAGES}", params=[("limit", "1")]),
    Case(
        "no-project-non-json-body-and-an-underscore-header",
        "PUT",
        "https://cph.example.com/v1/files/a%20b/",
        headers={"Content-Type": "application/octet-stream", "X_Trace_Id": "not-signed", "User-Agent": "cph/1"},
        body=b"\x00\x01binary",
        project_id=None,
    ),
]


def _ours(case: Case) -> httpx.Request:
    request = httpx.Request(case.method, case.url, params=tuple(case.params), headers=case.headers, content=case.body)
    AkSkAuth(AK, SK, case.project_id, case.security_token, now=lambda: WHEN).sign(request)
    return request


def _theirs(case: Case, host: str) -> SdkRequest:
    """The same request as Huawei's SDK builds and signs it: the caller's headers, Host and the date."""
    url = urlsplit(case.url)
    request = SdkRequest(
        method=case.method,
        schema=url.scheme,
        host=url.netloc,
        resource_path=url.path,
        query_params=list(case.params),
        header_params={**case.headers, "Host": host, "X-Sdk-Date": WHEN.strftime("%Y%m%dT%H%M%SZ")},
        body=case.body,
    )
    credentials = BasicCredentials(AK, SK, case.project_id)
    if case.security_token:
        credentials = credentials.with_security_token(case.security_token)
    signed: SdkRequest = credentials.sign_request(request)
    return signed


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_signs_as_the_official_sdk(case: Case) -> None:
    ours = _ours(case)
    theirs = _theirs(case, ours.headers["Host"])
    expected: dict[str, Any] = theirs.header_params
    assert ours.headers["Authorization"] == expected["Authorization"]
    for name in ("X-Sdk-Date", "X-Project-Id", "X-Security-Token", "X-Sdk-Content-Sha256"):
        assert ours.headers.get(name) == expected.get(name), name
    # What goes on the wire is what was signed: the SDK sends its canonical query too.
    their_query = theirs.uri.partition("?")[2]
    assert ours.url.query.decode() == their_query
    assert bool(their_query) == bool(case.params)
    assert ours.content == case.body


def test_the_signature_covers_what_it_must() -> None:
    """Change any signed part and the signature changes: the comparison above cannot pass by accident."""
    base = CASES[0]
    reference = _ours(base).headers["Authorization"]
    variants = [
        Case(base.id, "POST", base.url, base.params),
        Case(base.id, base.method, base.url.replace("phone-images", "phone-image"), base.params),
        Case(base.id, base.method, base.url, [*base.params[:-1], ("Z", "other")]),
        Case(base.id, base.method, base.url, base.params, headers={"X-Language": "en-us"}),
        Case(base.id, base.method, base.url, base.params, project_id="f" * 32),
    ]
    assert len({reference, *(_ours(v).headers["Authorization"] for v in variants)}) == len(variants) + 1


def test_the_date_is_utc_whatever_the_clock_zone() -> None:
    request = httpx.Request("GET", "https://cph.example.com/")
    AkSkAuth(AK, SK, now=lambda: WHEN.astimezone(timezone(timedelta(hours=8)))).sign(request)
    assert request.headers["X-Sdk-Date"] == "20261127T100405Z"


def test_signing_again_replaces_the_old_signature() -> None:
    request = httpx.Request("GET", f"https://cph.example.com{IMAGES}", params={"b": "2", "a": "1"})
    AkSkAuth(AK, SK, now=lambda: WHEN - timedelta(hours=1)).sign(request)
    AkSkAuth(AK, SK, now=lambda: WHEN).sign(request)
    fresh = httpx.Request("GET", f"https://cph.example.com{IMAGES}", params={"b": "2", "a": "1"})
    AkSkAuth(AK, SK, now=lambda: WHEN).sign(fresh)
    assert request.headers.get_list("Authorization") == [fresh.headers["Authorization"]]
    assert request.url == fresh.url


def test_the_client_signs_every_request_and_sends_no_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    auth = AkSkAuth(AK, SK, PROJECT, now=lambda: WHEN)
    client = AuthenticatedClient(
        base_url="https://cph.example.com", auth=auth, httpx_args={"transport": httpx.MockTransport(handler)}
    )
    list_cloud_phone_images.sync(PROJECT, client=client, limit=3)
    (request,) = seen
    assert request.headers["Authorization"].startswith(f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=")
    assert request.headers["X-Project-Id"] == PROJECT
    assert "X-Auth-Token" not in request.headers


@pytest.mark.parametrize("security_token", [None, SECURITY_TOKEN])
def test_the_secret_key_and_security_token_are_in_no_repr(security_token: str | None) -> None:
    auth = AkSkAuth(AK, SK, PROJECT, security_token)
    client = AuthenticatedClient(base_url="https://cph.example.com", auth=auth)
    for text in (repr(auth), str(auth), repr(client), str(client)):
        assert SK not in text and SECURITY_TOKEN not in text
        assert AK in text


@pytest.mark.parametrize(("ak", "sk"), [("", SK), (AK, "")])
def test_missing_keys_are_refused_without_echoing_them(ak: str, sk: str) -> None:
    with pytest.raises(ValueError, match="access key") as info:
        AkSkAuth(ak, sk)
    assert SK not in str(info.value)


def test_a_client_takes_a_token_or_an_auth_not_both() -> None:
    with pytest.raises(TypeError, match="exactly one of token and auth"):
        AuthenticatedClient(base_url="https://cph.example.com", token=PROJECT, auth=AkSkAuth(AK, SK))
