"""A fault's way in for a misplaced token: ASGI middleware, placed before connexion's security check, that takes the
token from wherever the fault looks for it (another header or scheme, the query string, a cookie) and hands it on
as the X-Auth-Token the page documents, as a gateway that looks everywhere would. The clean mock has none: a token
anywhere but in one X-Auth-Token header is no token (cph_client.testing.engine.the_token)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connexion.middleware import MiddlewarePosition

from cph_conformance import spec

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Any]
Finds = Callable[[Mapping[str, str], str], str | None]  # (headers by lower-case name, the query) -> a token, or None


class TokenFrom:
    def __init__(self, app: Any, *, finds: Finds) -> None:
        self.app = app
        self.finds = finds
        self.header = spec.auth_header().lower().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(k.lower() == self.header for k, _ in scope["headers"]):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            token = self.finds(headers, scope.get("query_string", b"").decode("latin-1"))
            if token is not None:
                scope = {**scope, "headers": [*scope["headers"], (self.header, token.encode("latin-1"))]}
        await self.app(scope, receive, send)


def install(app: Any, finds: Finds) -> None:
    app.add_middleware(TokenFrom, position=MiddlewarePosition.BEFORE_SECURITY, finds=finds)
