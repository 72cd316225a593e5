"""AK/SK requests checked as Huawei's API Gateway checks them: a request signed (SDK-HMAC-SHA256) with the right
access key and secret key passes; a bad signature, an unknown access key, or an X-Sdk-Date more than 15 minutes off
does not. The fake CPH and cph-conformance's mock both check with refusal() below.

The signature is computed as cph_client.auth computes it; cph-conformance holds both to Huawei's own signer
(huaweicloudsdkcore): the client's signatures must be the SDK's, and every request the SDK signs must pass here.

Hand-written (client_extras/testing/ in cph-conformance), shipped in the wheel by `make generate`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from ..auth import ALGORITHM, DATE_FORMAT, canonical_query, signature, string_to_sign

__all__ = ["ALGORITHM", "MAX_SKEW", "Keys", "is_signed", "refusal"]

MAX_SKEW = timedelta(minutes=15)  # API Gateway's window for X-Sdk-Date


@dataclass(frozen=True)
class Keys:
    ak: str
    sk: str = field(repr=False)


def is_signed(authorization: str) -> bool:
    """Whether an Authorization header claims an SDK-HMAC-SHA256 signature (else the token route applies)."""
    return authorization.startswith(ALGORITHM + " ")


def _authorization(value: str) -> dict[str, str] | None:
    """Access, SignedHeaders and Signature of `SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`."""
    algorithm, _, rest = value.partition(" ")
    if algorithm != ALGORITHM:
        return None
    parts = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    return parts if {"Access", "SignedHeaders", "Signature"} <= parts.keys() else None


def refusal(
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Keys,
    now: datetime,
) -> str | None:
    """Why a signed request is refused, or None when its signature is the one its keys give.

    raw_path: as sent (percent-encoded); query: as sent; headers: by lower-case name. The reason names no secret."""
    auth = _authorization(headers.get("authorization", ""))
    if auth is None:
        return "malformed Authorization"
    if not hmac.compare_digest(auth["Access"].encode(), keys.ak.encode()):
        return "unknown access key"
    try:
        signed_at = datetime.strptime(headers.get("x-sdk-date", ""), DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return "missing or malformed X-Sdk-Date"
    if abs(now - signed_at) > MAX_SKEW:
        return "X-Sdk-Date more than 15 minutes off"
    signed = auth["SignedHeaders"].split(";")
    if not {"host", "x-sdk-date"} <= set(signed) or not set(signed) <= headers.keys():
        return "SignedHeaders must include host and x-sdk-date, and name only headers sent"
    if signed != sorted({name for name in signed if "_" not in name}):  # the SDK signs no name with "_"
        return "SignedHeaders not in canonical order"
    text = string_to_sign(method, unquote(raw_path), canonical_query(query), headers, signed, body)
    if not hmac.compare_digest(signature(keys.sk, text).encode(), auth["Signature"].encode()):
        return "signature mismatch"
    return None
