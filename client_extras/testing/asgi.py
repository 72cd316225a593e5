"""The fake CPH as an ASGI app, for a server to serve (uvicorn, hypercorn: whichever your tests have), e.g. to point a
program that is not Python, or a conformance run, at it:

    app = asgi_app(FakeCph(...))
    uvicorn.run(app, host="127.0.0.1", port=0)

It answers as the transport does (FakeCph.answer), faults and recording included, whatever host it is called on.
Hand-written (client_extras/testing/ in cph-conformance), shipped in the wheel by `make generate`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from .fake import FakeCph, Received

__all__ = ["asgi_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def _text(value: bytes) -> str:
    """A header's bytes as text: UTF-8, else Latin-1 (which every byte is)."""
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("latin-1")


def asgi_app(fake: FakeCph) -> App:
    """An ASGI app (HTTP, and lifespan events) that answers as fake does."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            raise ValueError(f"the fake CPH serves HTTP, not {scope['type']}")
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        as_sent = tuple((_text(name).lower(), _text(value)) for name, value in scope["headers"])
        headers: dict[str, str] = {}
        for name, value in as_sent:
            headers.setdefault(name, value)
        raw_path = scope.get("raw_path") or quote(scope["path"]).encode()
        received = Received(
            scope["method"],
            raw_path.decode("latin-1").partition("?")[0],
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            b"".join(chunks),
            as_sent,
        )
        answer, delay = fake.answer(received)
        if delay:
            await asyncio.sleep(delay)
        sent = {**answer.headers, "Content-Type": answer.content_type, "Content-Length": str(len(answer.body))}
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in sent.items()],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})

    return app
