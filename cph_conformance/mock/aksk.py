"""The mock's AK/SK check: a request signed (SDK-HMAC-SHA256) with the mock's AK/SK passes as if it carried the
mock's token; a bad signature, an unknown AK or an X-Sdk-Date more than 15 minutes off is refused with 401,
which the mock's error handler turns into Huawei's 401 body (the spec's example). A request without such an
Authorization header goes on to the token check untouched.

The check is the wheel's (cph_client.testing.signature.refusal), the one the fake CPH makes: tests/test_signature.py
holds it to Huawei's own signer (huaweicloudsdkcore), as tests/test_auth.py holds the client's signatures.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from connexion.exceptions import ProblemException
from connexion.middleware import MiddlewarePosition
from cph_client.testing.signature import ALGORITHM, Keys, refusal

__all__ = ["AkSkMiddleware", "Keys", "install", "refusal"]

log = logging.getLogger("cph_conformance.mock")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _decode(value: bytes) -> str:
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("latin-1")


class AkSkMiddleware:
    """ASGI middleware, placed before connexion's security check: a valid signature stands in for the token."""

    def __init__(
        self,
        app: Any,
        *,
        ak: str,
        sk: str,
        token: str,
        now: Callable[[], datetime] = _utc_now,
        lets_in: Callable[[str], bool] | None = None,
    ) -> None:
        self.app = app
        self.keys = Keys(ak, sk)
        self.token = token.encode()
        self.now = now
        self.lets_in = lets_in  # a fault's: the reasons of refusal it lets in anyway

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
        if reason is not None and not (self.lets_in and self.lets_in(reason)):
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


def install(app: Any, *, ak: str, sk: str, token: str, lets_in: Callable[[str], bool] | None = None) -> None:
    """Add the check to a connexion app, just before its security check and inside its error handling (lets_in: a
    fault's reasons of refusal to let in anyway)."""
    app.add_middleware(
        AkSkMiddleware, position=MiddlewarePosition.BEFORE_SECURITY, ak=ak, sk=sk, token=token, lets_in=lets_in
    )
