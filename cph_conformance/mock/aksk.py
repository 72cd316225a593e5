"""The mock's AK/SK check: a request signed (SDK-HMAC-SHA256) with the mock's AK/SK passes as if it carried the
mock's token; a bad signature, an unknown AK or an X-Sdk-Date more than 15 minutes off is refused with 401,
which the mock's error handler turns into Huawei's 401 body (the spec's example). A request without such an
Authorization header goes on to the token check untouched.

The expected signature comes from Huawei's own signer (huaweicloudsdkcore), not from cph_client.auth: the
client's signer is checked against an independent implementation every time it talks to the mock.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from connexion.exceptions import ProblemException
from connexion.middleware import MiddlewarePosition
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_SKEW = timedelta(minutes=15)  # API Gateway's window for X-Sdk-Date
log = logging.getLogger("cph_conformance.mock")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Any]


@dataclass(frozen=True)
class Keys:
    ak: str
    sk: str = field(repr=False)


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
    """Why a signed request is refused, or None when its signature is the one Huawei's signer gives.

    headers: lower-cased names. The reason names no secret: it goes to the mock's log.
    """
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
    request = SdkRequest(
        method=method,
        resource_path=raw_path,
        query_params=parse_qsl(query, keep_blank_values=True),
        header_params={name: headers[name] for name in signed},
        body=body,
    )
    expected = _authorization(Signer(BasicCredentials(keys.ak, keys.sk)).sign(request).header_params["Authorization"])
    assert expected is not None
    if expected["SignedHeaders"] != auth["SignedHeaders"]:
        return "SignedHeaders not in canonical order"
    if not hmac.compare_digest(expected["Signature"].encode(), auth["Signature"].encode()):
        return "signature mismatch"
    return None


def _decode(value: bytes) -> str:
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("latin-1")


class AkSkMiddleware:
    """ASGI middleware, placed before connexion's security check: a valid signature stands in for the token."""

    def __init__(self, app: Any, *, ak: str, sk: str, token: str, now: Callable[[], datetime] = _utc_now) -> None:
        self.app = app
        self.keys = Keys(ak, sk)
        self.token = token.encode()
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # ASGI header names are lower-case; a request without a signature costs one scan of them.
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        if not authorization.startswith(ALGORITHM.encode() + b" "):
            await self.app(scope, receive, send)
            return
        headers = {_decode(k).lower(): _decode(v) for k, v in scope["headers"]}
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        reason = refusal(
            scope["method"],
            _decode(scope.get("raw_path") or scope["path"].encode()),
            _decode(scope.get("query_string", b"")),
            headers,
            body,
            self.keys,
            self.now(),
        )
        if reason is not None:
            log.info("refusing an AK/SK request: %s", reason)
            raise ProblemException(status=401, title="Unauthorized", detail=reason)
        # Past this point the request counts as carrying the mock's token.
        scope = {
            **scope,
            "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"x-auth-token"]
            + [(b"x-auth-token", self.token)],
        }
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def install(app: Any, *, ak: str, sk: str, token: str) -> None:
    """Add the check to a connexion app, just before its security check and inside its error handling."""
    app.add_middleware(AkSkMiddleware, position=MiddlewarePosition.BEFORE_SECURITY, ak=ak, sk=sk, token=token)
