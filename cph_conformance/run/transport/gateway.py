"""The gateway: the run's sender (sender.py) as a loopback HTTP endpoint, for schemathesis, which sends its cases over
HTTP. Schemathesis knows only PLACEHOLDER where the credential goes; the gateway turns each request into the
sender's (the placeholder means the run's credential, a near miss of it the same near miss, no header no
credential, any other value a wrong one), and hands back the answer as the sender read it: bounded, every secret
masked. So schemathesis never holds a secret, never follows a redirect past the endpoint, never reads a body the run
would not (too large, too deep, undecodable: a line saying so comes in its place), and its requests are in the
sender's log like every other request of the run, joined to its cases by their X-Schemathesis-TestCaseId.

An answer the sender could not get (refused connection, timeout, the run's deadline) comes back as 502 with the
header ERROR_HEADER naming the cause (and LOST_HEADER its class, lost.Lost): schemathesis records it, and the run
counts it as no answer. A body the sender
did not read whole (too large, undecodable) comes with UNREAD_HEADER saying why, so that schemathesis' check of the
project's rules (cph_conformance.run.collect.shrinking) reads the answer as the run does.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cph_conformance import spec
from cph_conformance.run.transport.bounds import NOT_JSON
from cph_conformance.run.transport.credential import EMPTY, MISSING, NEAR_MISSES, VALID, WRONG
from cph_conformance.run.transport.exchange import TOOL, Outgoing
from cph_conformance.run.transport.lost import Lost
from cph_conformance.run.transport.sender import HOP, Sender

PLACEHOLDER = "cph-conformance-placeholder-credential"
CASE_HEADER = "X-Schemathesis-TestCaseId"
TOOLS_OWN = "x-schemathesis-probe"  # the headers of schemathesis' capability probes start so
ERROR_HEADER = "X-Cph-Conformance-Error"
LOST_HEADER = "X-Cph-Conformance-Lost"
UNREAD_HEADER = "X-Cph-Conformance-Unread"
HOST = "127.0.0.1"
POLL_INTERVAL = 0.02  # seconds between serve_forever's looks for shutdown()
MAX_REQUEST = 1 << 20  # bytes of a request body the gateway takes (the operation is a GET)
_DROPPED = HOP | {
    "content-encoding",
    "content-length",
    ERROR_HEADER.lower(),
    LOST_HEADER.lower(),
    UNREAD_HEADER.lower(),
}  # the gateway's own
_NEAR_MISSES = {miss.make(PLACEHOLDER): name for name, miss in NEAR_MISSES.items()}


def _one_line(said: str) -> str:
    """A header's value: ASCII, one line, bounded."""
    return " ".join(said.encode("ascii", "replace").decode().split())[:500]


def auth_of(sent: str | None) -> str:
    """How a request that reached the gateway is authenticated, by what its credential header holds."""
    if sent is None:
        return MISSING
    if sent == PLACEHOLDER:
        return VALID
    if sent == "":
        return EMPTY
    return _NEAR_MISSES.get(sent, WRONG)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet when the client hung up (schemathesis' child, stopped at the run's deadline): its answer was still
        being relayed, and nobody is left to read it. Anything else is a traceback on stderr, as socketserver does."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class Gateway:
    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.server = _Server((HOST, 0), self._handler())
        self.base_url = f"http://{HOST}:{self.server.server_address[1]}"

    def outgoing(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Outgoing:
        auth_header = spec.auth_header().lower()
        sent = next((v for k, v in headers if k.lower() == auth_header), None)
        case_id = next((v for k, v in headers if k.lower() == CASE_HEADER.lower()), "")
        tools_own = any(k.lower().startswith(TOOLS_OWN) for k, _ in headers)
        kept = tuple((k, v) for k, v in headers if k.lower() not in _DROPPED | {auth_header, CASE_HEADER.lower()})
        phase = TOOL if tools_own else "schemathesis"
        return Outgoing(method, target.encode("latin-1"), auth_of(sent), phase, kept, body, case_id)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm on, each answer waits for a delayed
            # ACK (about 40 ms on Linux), which made the gateway most of a run's time.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                pass  # the sender logs every exchange

            def _relay(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_REQUEST)
                body = self.rfile.read(length) if length else b""
                out = gateway.outgoing(self.command, self.path, list(self.headers.items()), body)
                ex, content = gateway.sender.exchange(out)
                if ex.status is None:
                    self._error(ex.text, ex.lost)
                    return
                headers = dict(ex.headers)
                if ex.unreadable and ex.unreadable != NOT_JSON:  # what the run would not read, no tool reads either
                    content = f"the run did not read this body: {ex.unreadable}".encode()
                    headers["content-type"] = "text/plain"
                self.send_response_only(ex.status)
                for name, value in headers.items():
                    if name not in _DROPPED:
                        self.send_header(name, value)
                if ex.unreadable:
                    self.send_header(UNREAD_HEADER, _one_line(ex.unreadable))
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def _error(self, reason: str, lost: Lost | None) -> None:
                content = b'{"gateway_error": "no answer"}'
                self.send_response_only(502, "Bad Gateway")
                self.send_header(ERROR_HEADER, _one_line(reason))
                if lost is not None:
                    self.send_header(LOST_HEADER, lost.value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = _relay

        return Handler

    def __repr__(self) -> str:
        return f"Gateway({self.base_url} -> {self.sender.endpoint})"


@contextlib.contextmanager
def running(sender: Sender) -> Iterator[Gateway]:
    """The sender's gateway on a free loopback port for the duration of the block; always stopped."""
    gateway = Gateway(sender)
    # serve_forever notices shutdown() only when it polls: every 0.5 s by default, which every run waited out.
    thread = threading.Thread(
        target=gateway.server.serve_forever, args=(POLL_INTERVAL,), name="cph-gateway", daemon=True
    )
    thread.start()
    try:
        yield gateway
    finally:
        gateway.server.shutdown()
        gateway.server.server_close()
        thread.join(timeout=5)
