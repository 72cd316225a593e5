"""The AK/SK check the fake CPH and the mock make (cph_client.testing.signature.refusal) accepts what Huawei's own
signer (huaweicloudsdkcore) signs, and refuses it once anything signed changes: the same cases tests/test_auth.py
holds the client's signer to, signed here by the SDK alone."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from cph_client.testing.signature import MAX_SKEW, Keys, refusal

from tests.test_auth import AK, CASES, SK, WHEN, Case, _theirs

KEYS = Keys(AK, SK)


def _received(case: Case) -> tuple[str, str, str, dict[str, str], bytes]:
    """The request the SDK sends for case, as a server reads it: method, raw path, query, headers by lower-case name
    (their UTF-8 text: the SDK keeps them as Latin-1 strings), body."""
    url = urlsplit(case.url)
    signed = _theirs(case, url.netloc)
    headers = {k.lower(): str(v).encode("latin-1").decode() for k, v in signed.header_params.items()}
    path, _, query = signed.uri.partition("?")
    return case.method, path, query, headers, case.body


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_what_huaweis_signer_signs_passes(case: Case) -> None:
    assert refusal(*_received(case), KEYS, WHEN) is None
    assert refusal(*_received(case), KEYS, WHEN + MAX_SKEW) is None


def _changed(case: Case, part: str) -> tuple[str, str, str, dict[str, str], bytes]:
    method, path, query, headers, body = _received(case)
    if part == "method":
        method = "DELETE"
    elif part == "path":
        path += "x"
    elif part == "query":
        query += "&extra=1"
    elif part == "signed header":
        headers["x-sdk-date"] = (WHEN + timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
    elif part == "host":
        headers["host"] = "cph.elsewhere.example"
    elif part == "body":
        body += b"!"
    return method, path, query, headers, body


PARTS = ["method", "path", "query", "signed header", "host", "body"]


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("case", CASES[:2], ids=[c.id for c in CASES[:2]])
def test_anything_signed_that_changes_is_refused(case: Case, part: str) -> None:
    assert refusal(*_changed(case, part), KEYS, WHEN) == "signature mismatch"


@pytest.mark.parametrize(
    ("keys", "skew", "reason"),
    [
        (Keys("AN-UNKNOWN-ACCESS-KEY", SK), timedelta(), "unknown access key"),
        (Keys(AK, SK + "x"), timedelta(), "signature mismatch"),
        (KEYS, MAX_SKEW + timedelta(seconds=1), "more than 15 minutes off"),
        (KEYS, -MAX_SKEW - timedelta(seconds=1), "more than 15 minutes off"),
    ],
)
def test_other_keys_or_a_stale_date_are_refused(keys: Keys, skew: timedelta, reason: str) -> None:
    found = refusal(*_received(CASES[0]), keys, WHEN + skew)
    assert found is not None and reason in found
    assert SK not in found


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        ("Bearer x", "malformed Authorization"),
        (f"SDK-HMAC-SHA256 Access={AK}", "malformed Authorization"),
        (f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=x-sdk-date, Signature=0", "must include host"),
        (f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=x-sdk-date;host, Signature=0", "canonical order"),
    ],
)
def test_a_malformed_authorization_is_refused(authorization: str, reason: str) -> None:
    method, path, query, headers, body = _received(CASES[0])
    found = refusal(method, path, query, {**headers, "authorization": authorization}, body, KEYS, WHEN)
    assert found is not None and reason in found
