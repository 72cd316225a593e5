"""Why a request got no answer, by class (cph_conformance.run.transport.lost): each failure httpx and the bounds
raise, including those a loopback socket cannot make (a name that does not resolve, a proxy), falls in the class
that says where to look, in one line. tests/test_preflight.py meets the others on real sockets."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest

from cph_conformance.run.transport import bounds, lost
from cph_conformance.run.transport.lost import Lost

REQUEST = httpx.Request("GET", "http://127.0.0.1:9/v1/x")


def caused(outer: Exception, inner: BaseException) -> Exception:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("exc", "kind", "says"),
    [
        (
            caused(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known")),
            Lost.UNREACHABLE,
            "no connection: the host name does not resolve",
        ),
        (
            caused(httpx.ConnectError("x"), ssl.SSLCertVerificationError(1, "certificate verify failed")),
            Lost.UNREACHABLE,
            "no connection: the TLS handshake failed",
        ),
        (
            caused(httpx.ConnectError("x"), ConnectionRefusedError(111, "Connection refused")),
            Lost.UNREACHABLE,
            "no connection: it was refused",
        ),
        (httpx.ConnectTimeout("timed out"), Lost.UNREACHABLE, "no connection in time"),
        (httpx.ProxyError("502 from the proxy"), Lost.UNREACHABLE, "the proxy failed"),
        (bounds.NoAnswer(10, REQUEST), Lost.SILENT, "no answer came within 10 s (the time the run gives one answer)"),
        (bounds.NoAnswer(4, REQUEST), Lost.SILENT, "within 4 s (what was left of the run's deadline, CPH_DEADLINE)"),
        (httpx.ReadTimeout("timed out"), Lost.SILENT, "no answer came in time"),
        (bounds.TooSlow(200, 10, REQUEST), Lost.SLOW, "answered 200, and its body was still coming after 10 s"),
        (
            bounds.CutShort(200, 1234, httpx.ReadError("[Errno 104] reset"), REQUEST),
            Lost.CUT_SHORT,
            "answered 200, then the connection broke off after 1,234 bytes of the body (ReadError: [Errno 104] reset)",
        ),
        (httpx.RemoteProtocolError("Server disconnected"), Lost.CLOSED, "the connection was closed before an answer"),
        (httpx.ReadError("reset"), Lost.CLOSED, "the connection was closed before an answer"),
        (httpx.UnsupportedProtocol("ftp"), Lost.UNSENDABLE, "the HTTP library cannot send this request"),
        (ValueError("bad header"), Lost.UNSENDABLE, "the HTTP library cannot send this request"),
    ],
)
def test_each_failure_falls_in_the_class_that_says_where_to_look(exc: Exception, kind: Lost, says: str) -> None:
    got, said = lost.of(exc, per_answer=10)
    assert (got, says in said) == (kind, True), said
    assert got.connected == (kind in (Lost.SILENT, Lost.CLOSED, Lost.SLOW, Lost.CUT_SHORT))


def test_what_the_endpoint_said_stays_on_one_line_and_bounded() -> None:
    exc = httpx.RemoteProtocolError("illegal status line:\r\nHTTP/9 \x1b[2J" + "x" * 1000)
    kind, said = lost.of(exc)
    assert kind is Lost.CLOSED and "\n" not in said and "\r" not in said and len(said) < 500
