"""The cheapest server that honours the contract for valid requests: one constant 200 page (no images, so
every filter and limit holds), 401 without the token. Conformance throughput against it, beside the mock's,
shows what the mock costs.

    python -m cph_conformance.bench.constant_server   (CPH_MOCK_TOKEN; prints its base URL first)
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from cph_conformance import spec

Scope = MutableMapping[str, Any]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

REQUEST_ID = "0" * 32
OK = json.dumps({"request_id": REQUEST_ID, "phone_images": [], "page_info": {}}).encode()
UNAUTHORIZED = json.dumps({**spec.error_example(401), "request_id": REQUEST_ID}).encode()
# ASGI hands header names over lower-cased.
AUTH_HEADER = spec.auth_header().lower().encode()
REQUEST_ID_HEADER = spec.request_id_header().lower().encode()


def app(token: str) -> Callable[[Scope, Any, Send], Awaitable[None]]:
    expected = token.encode()

    async def asgi(scope: Scope, receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        status, body = (200, OK) if headers.get(AUTH_HEADER) == expected else (401, UNAUTHORIZED)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (REQUEST_ID_HEADER, REQUEST_ID.encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return asgi


def main() -> None:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app(os.environ["CPH_MOCK_TOKEN"]), log_level="error", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
