"""A throwaway HTTP server for tests: a handler class served on a loopback address, a free port, always stopped."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cph_conformance.run.transport.gateway import (
    POLL_INTERVAL,  # serve_forever's default, 0.5 s, each test would wait out
)


class Quiet(BaseHTTPRequestHandler):
    """A handler that logs nothing: the tests say what matters."""

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> Iterator[str]:
    """Serve handler on host (a loopback address) and a free port; yields the base URL."""
    server = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(POLL_INTERVAL,), daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
