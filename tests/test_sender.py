"""The run's one sender and its gateway, against small loopback upstreams: the credential goes only on what is sent
upstream, what comes back is masked, no redirect is followed, throttling and blips are waited out, every answer is
read within bounds (size, time, nesting) and the run's deadline, and an answer's time is the endpoint's, not the
run's pace."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpcore
import httpx
import pytest

from cph_conformance import spec
from cph_conformance.run.collect.cases import no_proxy_for_loopback
from cph_conformance.run.transport import bounds, gateway
from cph_conformance.run.transport.bounds import Bounds
from cph_conformance.run.transport.credential import MISSING, NEAR_MISSES, VALID, WRONG, Token
from cph_conformance.run.transport.deadline import Deadline
from cph_conformance.run.transport.exchange import Outgoing
from cph_conformance.run.transport.lost import Lost
from cph_conformance.run.transport.patience import Patience
from cph_conformance.run.transport.secrets import MASK, Secrets
from cph_conformance.run.transport.sender import Sender
from tests import loopback

TOKEN = "MIIT/abc+def=ghi_jkl-0123456789"  # noqa: S105  (a test token)
PROJECT = "0123456789abcdef0123456789abcdef"


class Upstream:
    """What a loopback upstream saw; its handler echoes the credential it gets (body, header) or redirects."""

    def __init__(self, redirect_to: str | None = None) -> None:
        self.seen: list[dict[str, str]] = []
        upstream = self

        class Handler(loopback.Quiet):
            def do_GET(self) -> None:  # http.server's name
                upstream.seen.append(dict(self.headers.items()))
                token = self.headers.get(spec.auth_header(), "")
                if redirect_to:
                    self.send_response(302)
                    self.send_header("Location", redirect_to + self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"request_id": token, "error_msg": f"token {quote(token, safe='')}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Echo", token)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.handler = Handler


def sender(
    url: str,
    patience: Patience | None = None,
    limits: Bounds | None = None,
    deadline: Deadline | None = None,
    secrets: Secrets | None = None,
) -> Sender:
    deadline = deadline or Deadline(60)
    patience = patience or Patience(per_second=0, statuses=(), deadline=deadline)
    credential = Token(spec.auth_header(), TOKEN)
    return Sender(url, PROJECT, credential, secrets or Secrets([TOKEN]), patience, deadline, limits)


@contextlib.contextmanager
def through_gateway(url: str, **options: object) -> Iterator[gateway.Gateway]:
    run = sender(url, **options)  # type: ignore[arg-type]
    with gateway.running(run) as gw:
        yield gw
    run.close()


def get(path: str = "/v1/x", auth: str = VALID) -> Outgoing:
    return Outgoing("GET", path.encode(), auth)


def test_the_sender_puts_the_credential_on_and_masks_every_echo_of_it() -> None:
    upstream = Upstream()
    with loopback.serving(upstream.handler) as url:
        run = sender(url)
        answer, wrong, missing = (run.send(get(auth=auth)) for auth in (VALID, WRONG, MISSING))
    assert [s.get(spec.auth_header()) for s in upstream.seen] == [TOKEN, "cph-conformance-wrong-token", None]
    assert answer.status == 200 and TOKEN not in answer.text and quote(TOKEN, safe="") not in answer.text
    assert answer.body["request_id"] == MASK and answer.headers["x-echo"] == MASK
    assert (answer.echoed, wrong.echoed, missing.echoed) == (3, 0, 0)  # every copy: two in the body, one in a header
    assert wrong.body["request_id"] == "cph-conformance-wrong-token" and missing.body["request_id"] == ""
    assert run.log == [answer, wrong, missing]


def test_the_gateway_is_the_senders_http_face_for_the_placeholder_and_its_near_misses() -> None:
    """schemathesis knows only the placeholder: the gateway sends the credential in its place (and a near miss of it
    as the same near miss of the credential, masked: it is all but the secret); the answer comes back masked."""
    upstream = Upstream()
    secrets = Secrets([TOKEN])
    with loopback.serving(upstream.handler) as url, through_gateway(url, secrets=secrets) as gw:
        answer = httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): gateway.PLACEHOLDER})
        misses = [
            httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): miss.make(gateway.PLACEHOLDER)})
            for miss in NEAR_MISSES.values()
        ]
        missing = httpx.get(gw.base_url + "/v1/x")
    sent = [s.get(spec.auth_header()) for s in upstream.seen]
    assert sent == [TOKEN, *(miss.make(TOKEN) for miss in NEAR_MISSES.values()), None]
    assert answer.json()["request_id"] == MASK and answer.headers["X-Echo"] == MASK
    assert [a.json()["request_id"] for a in misses] == [MASK] * len(NEAR_MISSES)
    assert missing.json()["request_id"] == ""
    assert not any(miss.make(TOKEN) in secrets.mask(f"x {miss.make(TOKEN)} y") for miss in NEAR_MISSES.values())


@pytest.mark.parametrize(
    ("raised", "shown"), [(BrokenPipeError, False), (ConnectionResetError, False), (KeyError, True)]
)
def test_a_client_that_hung_up_on_the_gateway_leaves_no_traceback(
    raised: type[Exception], shown: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """schemathesis' child, stopped at the deadline, hangs up while the gateway still relays its answer: nobody is
    left to tell. Any other error of the gateway's is a traceback on stderr."""
    with through_gateway("http://127.0.0.1:9") as gw:
        try:
            raise raised("the client hung up")
        except Exception:  # as socketserver calls handle_error: within the except clause
            gw.server.handle_error(None, ("127.0.0.1", 1))
    assert ("Traceback" in capsys.readouterr().err) == shown


def test_throttling_is_waited_out_for_every_request() -> None:
    class Throttling(loopback.Quiet):
        sent = 0

        def do_GET(self) -> None:  # http.server's name
            Throttling.sent += 1
            status = 429 if Throttling.sent % 2 else 200  # every other request, and no Retry-After
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    patience = Patience(per_second=1000, statuses={429}, sleep=lambda s: None)
    with loopback.serving(Throttling) as url, through_gateway(url, patience=patience) as gw:
        statuses = [httpx.get(gw.base_url + f"/v1/x?n={n}").status_code for n in range(4)]
    assert statuses == [200] * 4
    assert (Throttling.sent, patience.throttled, patience.gave_up) == (8, 4, 0)


@pytest.mark.parametrize(
    ("headers", "sent", "status", "blips"),
    [
        ({}, 3, 200, 2),  # the run's request: a dropped connection and a 503 are blips, asked again
        ({"X-Schemathesis-Probe-Null": "Supports NULL byte in headers"}, 1, 502, 0),  # schemathesis' own: sent once
    ],
)
def test_a_blip_of_the_runs_requests_only_is_asked_again(
    headers: dict[str, str], sent: int, status: int, blips: int
) -> None:
    class Blipping(loopback.Quiet):
        sent = 0

        def do_GET(self) -> None:  # http.server's name
            Blipping.sent += 1
            if Blipping.sent == 1:  # the connection dropped, no answer
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(503 if Blipping.sent == 2 else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    transient = spec.statuses_when("transient")
    patience = Patience(1000, {429}, sleep=lambda s: None, transient=transient, again=2)
    with loopback.serving(Blipping) as url, through_gateway(url, patience=patience) as gw:
        answer = httpx.get(gw.base_url + "/v1/x", headers=headers)
    assert (Blipping.sent, answer.status_code, patience.blips) == (sent, status, blips)


def test_a_redirect_to_another_host_is_an_answer_never_followed_with_the_credential() -> None:
    # The other host is another loopback address: if anything followed the redirect, it would show up there.
    elsewhere = Upstream()
    with loopback.serving(elsewhere.handler, host="127.0.0.2") as other:
        upstream = Upstream(redirect_to=other)
        with loopback.serving(upstream.handler) as url:
            answer = sender(url).send(get())
    assert answer.status == 302 and answer.headers["location"].startswith(other)
    assert len(upstream.seen) == 1 and elsewhere.seen == []


def test_an_unreachable_upstream_is_no_answer_and_the_gateway_marks_it() -> None:
    with loopback.serving(Upstream().handler) as url:
        pass  # nothing listens there any more
    lost = sender(url).send(get())
    assert lost.status is None and lost.error is not None and "ConnectError" in lost.error
    with through_gateway(url) as gw:
        answer = httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): gateway.PLACEHOLDER})
    assert answer.status_code == 502 and "ConnectError" in answer.headers[gateway.ERROR_HEADER]
    assert lost.lost is Lost.UNREACHABLE and answer.headers[gateway.LOST_HEADER] == Lost.UNREACHABLE


def answering(seconds: float = 0.0, body: bytes = b"", headers: tuple[tuple[str, str], ...] = ()) -> type:
    """An upstream that answers every GET with body (JSON), after a while."""

    class Answering(loopback.Quiet):
        def do_GET(self) -> None:  # http.server's name
            time.sleep(seconds)
            self.send_response(200)
            for name, value in (("Content-Type", "application/json"), *headers):
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Answering


def test_an_answers_time_is_the_endpoints_not_the_runs_pace() -> None:
    """At 10 requests a second, the second request waits 0.1 s for its turn: the answer's time leaves it out."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    with loopback.serving(answering(0.02)) as url:
        # A clock that stands still: the second request always waits its whole turn, however long the first took.
        run = sender(url, patience=Patience(per_second=10, statuses={429}, sleep=sleep, clock=lambda: 0.0))
        started = time.monotonic()
        answers = [run.send(get()) for _ in "ab"]
        took = time.monotonic() - started
    assert took >= 0.1 and waits == [0.1]  # the pace
    assert all(ex.elapsed is not None and ex.elapsed >= 0.02 for ex in answers)  # the endpoint's time, at least
    # The answers' times and the wait are apart within the whole: a time that held the wait would count it twice.
    # (No upper bound on an answer's time: a loaded machine stretches it.)
    assert sum(ex.elapsed or 0 for ex in answers) + sum(waits) <= took


PAGE = json.dumps(spec.example_response()).encode()
DEEP = b"[" * 5000 + b"]" * 5000


@pytest.mark.parametrize(
    ("body", "headers", "limits", "unreadable", "parsed"),
    [
        (PAGE, (), Bounds(1 << 20), "", True),
        (PAGE + b" " * 200, (), Bounds(len(PAGE) + 100), "too-large", False),  # cut where the bound is
        (gzip.compress(PAGE), (("Content-Encoding", "gzip"),), Bounds(1 << 20), "", True),
        (gzip.compress(b" " * 3000), (("Content-Encoding", "gzip"),), Bounds(1000), "too-large", False),  # decoded
        (PAGE, (("Content-Encoding", "gzip"),), Bounds(1 << 20), "undecodable", False),  # a false Content-Encoding
        (DEEP, (), Bounds(1 << 20), "too-deep", False),
        (b'{"a": ' * 40 + b"1" + b"}" * 40, (), Bounds(1 << 20), "too-deep", False),  # deeper than MAX_DEPTH
        (b"<html>no</html>", (), Bounds(1 << 20), "not-json", False),
    ],
)
def test_an_answer_is_read_within_its_bounds_and_says_why_it_was_not_read_whole(
    body: bytes, headers: tuple[tuple[str, str], ...], limits: Bounds, unreadable: str, parsed: bool
) -> None:
    with loopback.serving(answering(0, body, headers)) as url:
        ex = sender(url, limits=limits).send(get())
    assert ex.status == 200 and ex.unreadable.split(":")[0] == unreadable and (ex.body is not None) == parsed
    assert len(ex.text) <= bounds.TEXT_KEPT


GZIP = (("Content-Encoding", "gzip"),)


@pytest.mark.parametrize(
    ("body", "limits", "kept", "unreadable"),
    [
        (gzip.compress(PAGE), Bounds(1 << 20), PAGE, ""),  # decoded
        (PAGE, Bounds(1 << 20), PAGE, "undecodable"),  # not gzip: kept as it came
        (PAGE, Bounds(100), PAGE[:100], "too-large"),  # as it came, up to the bound
        (gzip.compress(b" " * 3000), Bounds(1000), b" " * 1000, "too-large"),  # decoded, up to the bound
    ],
    ids=["gzip", "false-gzip", "false-gzip-too-large", "gzip-too-large"],
)
def test_a_body_under_a_false_content_encoding_is_kept_as_it_came_within_the_bound(
    body: bytes, limits: Bounds, kept: bytes, unreadable: str
) -> None:
    with loopback.serving(answering(0, body, GZIP)) as url:
        ex = sender(url, limits=limits).send(get())
    assert (ex.text, ex.unreadable.split(":")[0]) == (kept.decode(), unreadable)


@pytest.mark.waits  # 2 s of waiting each, beside the other tests
@pytest.mark.parametrize(
    ("at_once", "dripped", "lost", "said"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", b" " * 200, Lost.SLOW, "its body was still coming"),
        # httpx's timeout bounds each read, and a byte every 50 ms never trips it: the sender's bounds the whole answer.
        (
            b"",
            b"HTTP/1.1 200 OK\r\nX-Drip: " + b"x" * 400 + b"\r\nContent-Length: 2\r\n\r\n{}",
            Lost.SILENT,
            "no answer",
        ),
    ],
    ids=["body", "status-line-and-headers"],
)
def test_an_answer_that_drips_is_no_answer_after_its_time(
    at_once: bytes, dripped: bytes, lost: Lost, said: str
) -> None:
    class Dripping(loopback.Quiet):
        def do_GET(self) -> None:  # http.server's name
            with contextlib.suppress(OSError):  # the sender hangs up, as it must
                self.wfile.write(at_once)
                for byte in dripped:  # 10 s and more in all
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.05)

    with loopback.serving(Dripping) as url:
        # 2 s: the server's thread, held up by a loaded machine, still begins its answer within it. Unbounded, the
        # sender would wait the drip out and get its 200.
        ex = sender(url, limits=Bounds(1 << 20, seconds=2)).send(get())
    assert ex.status is None and ex.lost is lost and said in (ex.error or "") and "2 s" in (ex.error or "")


@pytest.mark.parametrize(
    ("until", "timeout", "left"),
    [
        (None, 5.0, 5.0),  # no answer being read: httpx's own timeout
        (None, None, None),
        (100.0, 5.0, 5.0),  # more time left than the timeout
        (3.0, 5.0, 3.0),  # less: what is left
        (3.0, None, 3.0),
        (-1.0, 5.0, "late"),  # none left
    ],
)
def test_each_read_of_an_answer_waits_for_what_is_left_of_its_time(
    until: float | None, timeout: float | None, left: float | str | None
) -> None:
    token = bounds._UNTIL.set(None if until is None else 1000.0 + until)
    try:
        if left == "late":
            with pytest.raises(httpcore.ReadTimeout):
                bounds._left(timeout, httpcore.ReadTimeout, clock=lambda: 1000.0)
        else:
            assert bounds._left(timeout, httpcore.ReadTimeout, clock=lambda: 1000.0) == left
    finally:
        bounds._UNTIL.reset(token)


class _Recorded(httpcore.NetworkStream, httpcore.NetworkBackend):
    """A network backend and stream that connect nothing and record the timeouts they were given."""

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, *args: Any) -> httpcore.NetworkStream:
        self.timeouts.append(timeout)
        return self

    def connect_unix_socket(self, path: str, timeout: float | None = None, *args: Any) -> httpcore.NetworkStream:
        self.timeouts.append(timeout)
        return self

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.timeouts.append(timeout)
        return b""

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.timeouts.append(timeout)

    def start_tls(
        self, context: Any, hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        self.timeouts.append(timeout)
        return self


@pytest.mark.parametrize(
    "step",
    [
        lambda b: b.connect_tcp("127.0.0.1", 443, 5.0),
        lambda b: b.connect_unix_socket("/x", 5.0),
        lambda b: b.connect_tcp("127.0.0.1", 443, 5.0).read(10, 5.0),
        lambda b: b.connect_tcp("127.0.0.1", 443, 5.0).write(b"x", 5.0),
        # TLS, as every Huawei endpoint is: the stream start_tls gives back is bounded too.
        lambda b: b.connect_tcp("127.0.0.1", 443, 5.0).start_tls(None, "cph.example", timeout=5.0).read(10, 5.0),
    ],
    ids=["connect", "connect-unix", "read", "write", "tls-read"],
)
def test_every_step_of_a_connection_waits_at_most_for_what_is_left_of_the_answers_time(
    step: Callable[[httpcore.NetworkBackend], object],
) -> None:
    recorded = _Recorded()
    token = bounds._UNTIL.set(time.monotonic() + 1.0)  # 1 s left, less than the 5 s each step is given
    try:
        step(bounds._TimedBackend(recorded))
    finally:
        bounds._UNTIL.reset(token)
    assert recorded.timeouts and all(t is not None and t <= 1.0 for t in recorded.timeouts), recorded.timeouts


class _Refusing(_Recorded):
    def connect_tcp(self, host: str, port: int, timeout: float | None = None, *args: Any) -> httpcore.NetworkStream:
        self.timeouts.append(timeout)
        raise httpcore.ConnectError(f"{host} refused")


def test_a_name_of_several_addresses_gets_what_is_left_at_each_and_its_resolution_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """socket.create_connection gives each address the whole timeout; a name of several took it several times."""
    addresses = ["192.0.2.1", "192.0.2.2", "2001:db8::1"]
    infos = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 443)) for a in addresses]
    monkeypatch.setattr(bounds, "_getaddrinfo", lambda *args, **kwargs: infos)
    refusing = _Refusing()
    token = bounds._UNTIL.set(time.monotonic() + 1.0)
    try:
        with pytest.raises(httpcore.ConnectError, match="2001:db8::1 refused"):  # the last address's
            bounds._TimedBackend(refusing).connect_tcp("cph.example", 443, 5.0)
        assert len(refusing.timeouts) == 3 and all(t is not None and t <= 1.0 for t in refusing.timeouts)
        # A resolver that does not answer: the connection is no answer once the time left is up.
        stuck = threading.Event()
        monkeypatch.setattr(bounds, "_getaddrinfo", lambda *args, **kwargs: stuck.wait(30) and infos)
        bounds._UNTIL.set(time.monotonic() + 0.2)
        with pytest.raises(httpcore.ConnectTimeout, match=r"cph\.example was not resolved"):
            bounds._TimedBackend(refusing).connect_tcp("cph.example", 443, 5.0)
        stuck.set()
    finally:
        bounds._UNTIL.reset(token)


def test_the_client_bounds_the_connections_of_every_transport_it_makes() -> None:
    """The direct one and each mount (a proxy the environment names gets one); an app's transport is left alone."""
    proxied = {"https://": httpx.HTTPTransport(proxy="http://127.0.0.1:9"), "all://other.example": None}
    with bounds.client(mounts=proxied) as made:
        pools = [t._pool for t in [made._transport, *made._mounts.values()] if t is not None]  # type: ignore[attr-defined]
        assert len(pools) == 2 and all(isinstance(p._network_backend, bounds._TimedBackend) for p in pools)
    app = httpx.MockTransport(lambda request: httpx.Response(200))
    with bounds.client(transport=app) as made:
        assert made._transport is app


def test_past_the_deadline_nothing_is_sent() -> None:
    upstream = Upstream()
    clock = [0.0]
    deadline = Deadline(10, clock=lambda: clock[0])
    with loopback.serving(upstream.handler) as url:
        run = sender(url, deadline=deadline)
        before = run.send(get())
        clock[0] = 11
        after = run.send(get())
    assert before.status == 200 and after.status is None and "deadline" in after.text
    assert len(upstream.seen) == 1 and run.log == [before]


def test_a_retry_after_past_the_deadline_stops_the_run_at_once_naming_both() -> None:
    class Later(loopback.Quiet):
        def do_GET(self) -> None:  # http.server's name
            self.send_response(429)
            self.send_header("Retry-After", "3600")
            self.send_header("Content-Length", "0")
            self.end_headers()

    deadline = Deadline(60)
    slept: list[float] = []
    patience = Patience(1000, {429}, sleep=slept.append, deadline=deadline)
    with loopback.serving(Later) as url:
        ex = sender(url, patience=patience, deadline=deadline).send(get())
    assert ex.status == 429 and slept == [] and deadline.passed
    assert "asks to wait 3600 s" in deadline.why and "are left" in deadline.why


def test_a_proxy_set_for_ci_never_carries_loopback_traffic(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP(S)_PROXY pointing nowhere: the sender still reaches a loopback upstream, and schemathesis is told to reach
    the gateway directly."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    with loopback.serving(Upstream().handler) as url:
        assert sender(url).send(get()).status == 200
    assert no_proxy_for_loopback({})["NO_PROXY"] == gateway.HOST
    assert no_proxy_for_loopback({"no_proxy": ".corp"})["no_proxy"] == f".corp,{gateway.HOST}"
