"""The credential gateway: a loopback proxy between everything the run sends and the endpoint under test.

Schemathesis, the preflight, the walk and the probes send their requests here with PLACEHOLDER where the credential
goes; the gateway alone holds the real credential and puts it on the request it forwards (a token, or an AK/SK
signature). A near miss of the placeholder (credential.NEAR_MISSES) gets the same near miss of the real credential,
which joins the secrets. Answers come back with every secret masked by value, headers included. So nothing that
writes a report ever sees a secret, even one a server echoes. The gateway follows no redirect: a 3xx goes back as
it came, and no credential ever reaches another host.

Every request goes out at the run's pace and throttling is waited out (patience.py), whichever tool
sent it: the run slows to what the endpoint allows. Every answer carries ELAPSED_HEADER: the seconds the endpoint
took to answer the last try, which neither the pace nor those waits are part of (the run's latency percentiles).

An answer the gateway could not get (refused connection, timeout, bad TLS) comes back as 502 with the header
ERROR_HEADER naming the cause, so the report lists it as an error of the run, not as drift.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from cph_conformance.run.collect.exchange import ELAPSED_HEADER, ERROR_HEADER
from cph_conformance.run.transport.credential import NEAR_MISSES, Credential
from cph_conformance.run.transport.patience import Patience
from cph_conformance.run.transport.secrets import Secrets

PLACEHOLDER = "cph-conformance-placeholder-credential"
SCHEMATHESIS_PROBE = "X-Schemathesis-Probe"  # the header of schemathesis' capability probes
HOST = "127.0.0.1"
POLL_INTERVAL = 0.02  # seconds between serve_forever's looks for shutdown()
# Headers that belong to one hop, and those httpx has already acted on (it decodes the body).
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}
_DROP_FROM_ANSWER = _HOP | {"content-encoding", "content-length"}


class Gateway:
    """Forwards to upstream (scheme://host[:port]); replaces PLACEHOLDER in auth_header by the credential."""

    def __init__(
        self,
        upstream: str,
        auth_header: str,
        credential: Credential,
        secrets: Secrets,
        timeout: float,
        patience: Patience | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.auth_header = auth_header
        self.credential = credential
        self.secrets = secrets
        # No pace and no retries unless the run asks for them (the run does: runner.conformance).
        self.patience = patience or Patience(per_second=0, statuses=())
        self.near_misses = {miss.make(PLACEHOLDER): name for name, miss in NEAR_MISSES.items()}
        # The one client that may leave this machine: for a remote endpoint it honours HTTPS_PROXY and SSL_CERT_FILE,
        # as CI networks need; a loopback endpoint (the mock, a stand-in) is never reached through a proxy.
        remote = httpx.URL(self.upstream).host not in ("127.0.0.1", "localhost", "::1")
        self.client = httpx.Client(follow_redirects=False, timeout=timeout, trust_env=remote)
        self.server = ThreadingHTTPServer((HOST, 0), self._handler())
        self.server.daemon_threads = True
        self.base_url = f"http://{HOST}:{self.server.server_address[1]}"
        self.echoes = 0  # answers that carried a secret (masked before anyone saw them)

    def forward(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> httpx.Response:
        """Send one request upstream with the credential where the placeholder was; the answer unmasked."""
        outgoing = [(k, v) for k, v in headers if k.lower() not in _HOP | {"host", "content-length"}]
        url = httpx.URL(self.upstream)
        path, _, query = target.partition("?")
        url = url.copy_with(raw_path=(path + ("?" + query if query else "")).encode("latin-1"))
        request = self.client.build_request(method, url, headers=outgoing, content=body or None)
        sent = request.headers.get(self.auth_header)
        credential: Credential | None = self.credential if sent == PLACEHOLDER else None
        if sent in self.near_misses:
            credential, missed = self.credential.near_miss(self.near_misses[sent])
            self.secrets.add(missed)  # it is all but the secret
        if credential is not None:
            del request.headers[self.auth_header]
            credential.apply(request)
        # schemathesis' probes of what a server supports (a NULL byte in a header) are its own business, not requests
        # of the run: a server that drops their connection has said what schemathesis asked, and they are not blips.
        tools_own = SCHEMATHESIS_PROBE in request.headers
        label = f"{method} {self.secrets.mask(str(request.url))}"
        return self.patience.send(lambda: self.client.send(request), blips=not tools_own, label=label)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm on, each answer waits for a delayed
            # ACK (about 40 ms on Linux), which made the gateway most of a run's time.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                pass  # requests are recorded by the tools that send them

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    answer = gateway.forward(self.command, self.path, list(self.headers.items()), body)
                except httpx.TimeoutException as exc:
                    self._error("timeout", f"no answer within the request timeout ({type(exc).__name__})")
                    return
                except (httpx.HTTPError, ValueError) as exc:
                    self._error("unreachable", f"{type(exc).__name__}: {exc}")
                    return
                content = gateway.secrets.mask_bytes(answer.content)
                headers = [(k, gateway.secrets.mask(v)) for k, v in answer.headers.multi_items()]
                if content != answer.content or headers != answer.headers.multi_items():
                    gateway.echoes += 1
                self.send_response_only(answer.status_code, answer.reason_phrase)
                for name, value in headers:
                    if name.lower() not in _DROP_FROM_ANSWER:
                        self.send_header(name, value)
                self.send_header(ELAPSED_HEADER, f"{answer.elapsed.total_seconds():.6f}")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def _error(self, kind: str, reason: str) -> None:
                content = gateway.secrets.mask(f'{{"gateway_error": "{kind}"}}').encode()
                self.send_response_only(502, "Bad Gateway")
                said = gateway.secrets.mask(f"{kind}: {reason}").encode("ascii", "replace").decode()
                self.send_header(ERROR_HEADER, " ".join(said.split())[:500])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _relay

        return Handler

    def __repr__(self) -> str:
        return f"Gateway({self.base_url} -> {self.upstream})"


@contextlib.contextmanager
def running(
    upstream: str,
    auth_header: str,
    credential: Credential,
    secrets: Secrets,
    timeout: float,
    patience: Patience | None = None,
) -> Iterator[Gateway]:
    """A gateway on a free loopback port for the duration of the block; always stopped."""
    gateway = Gateway(upstream, auth_header, credential, secrets, timeout, patience)
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
        gateway.client.close()
        thread.join(timeout=5)
