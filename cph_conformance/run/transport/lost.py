"""Why a request got no answer, by what the run saw of the connection: each class points somewhere else, so the
preflight's advice and every message about a lost answer follow the class, never the exception's wording.

- UNREACHABLE: no connection was made (refused, a name that does not resolve, a TLS handshake that failed, a proxy,
  no connection in time): the URL, the network or the proxy is what to check;
- SILENT: connected and sent, and no answer came within the time for one answer;
- CLOSED: connected and sent, and the connection was closed or reset before any answer (or what came was no HTTP);
- SLOW: an answer began (its status line came), and its body was still coming when the time for one answer ran out;
- CUT_SHORT: an answer began, and the connection broke off in the middle of its body;
- NOT_SENT: the run's deadline had passed (or the endpoint stopped the run): nothing was sent;
- UNSENDABLE: the request is one the HTTP library cannot send as it is.
"""

from __future__ import annotations

import enum
import socket
import ssl

import httpx

from cph_conformance.run.transport import bounds

DETAIL = 300  # characters of an exception's own words kept


class Lost(enum.StrEnum):
    UNREACHABLE = "unreachable"
    SILENT = "silent"
    CLOSED = "closed"
    SLOW = "slow"
    CUT_SHORT = "cut-short"
    NOT_SENT = "not-sent"
    UNSENDABLE = "unsendable"

    @property
    def connected(self) -> bool:
        """The endpoint accepted the connection (its host, port and scheme are right)."""
        return self in (Lost.SILENT, Lost.CLOSED, Lost.SLOW, Lost.CUT_SHORT)


def _causes(exc: BaseException) -> list[BaseException]:
    """exc and what raised it, innermost last (httpx wraps httpcore's exception, which wraps the socket's)."""
    chain = [exc]
    while (inner := chain[-1].__cause__ or chain[-1].__context__) is not None and inner not in chain:
        chain.append(inner)
    return chain


def _detail(exc: BaseException) -> str:
    """The exception in a few words on one line: its type and message (the endpoint's words may be in it)."""
    said = " ".join(str(exc).split())[:DETAIL]
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


def _no_connection(exc: httpx.TransportError) -> str:
    causes = _causes(exc)
    if any(isinstance(c, socket.gaierror) for c in causes):
        return f"no connection: the host name does not resolve ({_detail(exc)})"
    if any(isinstance(c, ssl.SSLError) for c in causes):
        return f"no connection: the TLS handshake failed ({_detail(exc)})"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"no connection: it was refused, nothing listens there ({_detail(exc)})"
    if isinstance(exc, httpx.ProxyError):
        return f"no connection: the proxy failed ({_detail(exc)})"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"no connection in time ({_detail(exc)})"
    return f"no connection ({_detail(exc)})"


def _within(seconds: float, per_answer: float) -> str:
    """The time bound that ran out, and what sets it."""
    if seconds < per_answer:
        return f"{seconds:.0f} s (what was left of the run's deadline, CPH_DEADLINE)"
    return f"{per_answer:g} s (the time the run gives one answer)"


def of(exc: Exception, per_answer: float = bounds.ANSWER_SECONDS) -> tuple[Lost, str]:
    """The class of a request's failure to get an answer, and one line that says what happened. per_answer: the
    run's time for one answer (a shorter bound that ran out was the deadline's)."""
    if isinstance(exc, bounds.NoAnswer):
        return Lost.SILENT, f"connected, and no answer came within {_within(exc.seconds, per_answer)}"
    if isinstance(exc, bounds.TooSlow):
        return (
            Lost.SLOW,
            f"answered {exc.status}, and its body was still coming after {_within(exc.seconds, per_answer)}",
        )
    if isinstance(exc, bounds.CutShort):
        return (
            Lost.CUT_SHORT,
            f"answered {exc.status}, then the connection broke off after {exc.received:,} bytes of the body "
            f"({exc.why})",
        )
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.ProxyError):
        return Lost.UNREACHABLE, _no_connection(exc)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError) or not isinstance(
        exc, httpx.TransportError
    ):
        return Lost.UNSENDABLE, f"not sent: the HTTP library cannot send this request ({_detail(exc)})"
    if isinstance(exc, httpx.TimeoutException):
        return Lost.SILENT, f"connected, and no answer came in time ({_detail(exc)})"
    # A read, write or protocol error before the status line.
    return Lost.CLOSED, f"connected, and the connection was closed before an answer ({_detail(exc)})"
