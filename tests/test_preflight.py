"""The preflight, in process, through the run's sender: a refused token, another project, a wrong base URL (404) and
a redirect each stop the run with a reason that names what to fix, and never the credential."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import secrets
import socket
import struct
import time
from collections.abc import Callable, Iterator

import pytest

from cph_conformance import spec
from cph_conformance.mock.server import RunningMock
from cph_conformance.run.transport import preflight, target
from cph_conformance.run.transport.bounds import Bounds
from cph_conformance.run.transport.deadline import Deadline
from cph_conformance.run.transport.patience import Patience
from cph_conformance.run.transport.sender import Sender
from tests import loopback


@contextlib.contextmanager
def answering(status: int, headers: dict[str, str], body: bytes = b"") -> Iterator[str]:
    """A loopback server that gives every request the same answer."""

    class Handler(loopback.Quiet):
        def do_GET(self) -> None:  # http.server's name
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    with loopback.serving(Handler) as url:
        yield url


def sender_to(t: target.Target, limits: Bounds | None = None, again: int = 0) -> Sender:
    """The run's sender to t; again: tries after a blip or a lost connection, at once."""
    deadline = Deadline(60)
    patience = Patience(0, spec.statuses_when("throttled"), sleep=lambda _: None, again=again, deadline=deadline)
    return Sender(t.base_url, t.project_id, t.credential, t.secrets, patience, deadline, limits)


def check(base_url: str, project_id: str, token: str) -> None:
    t = target.live({"CPH_BASE_URL": base_url, "CPH_PROJECT_ID": project_id, "CPH_AUTH_TOKEN": token})
    preflight.check(sender_to(t), t)


def test_the_right_credential_passes(mock: RunningMock) -> None:
    check(mock.base_url, mock.project_id, mock.token)


@pytest.mark.parametrize(
    ("wrong", "says"),
    [("token", "answered 401 (APIGW.0301"), ("project", "answered 403 (CPS.0001")],
)
def test_a_refused_credential_says_which_variable(mock: RunningMock, token: str, wrong: str, says: str) -> None:
    with pytest.raises(target.CannotRun, match=r"answered 40[13]") as raised:
        check(
            mock.base_url,
            "f" * 32 if wrong == "project" else mock.project_id,
            token if wrong == "token" else mock.token,
        )
    assert says in str(raised.value)
    assert ("CPH_AUTH_TOKEN was refused" in str(raised.value)) == (wrong == "token")
    assert ("CPH_PROJECT_ID must be" in str(raised.value)) == (wrong == "project")
    assert token not in str(raised.value) and mock.token not in str(raised.value)


def test_a_400_for_the_one_valid_request_says_the_project_id_is_refused(token: str) -> None:
    """The preflight's request is valid by the spec: a 400 is the service refusing the project id, a setup problem,
    never drift."""
    body = b'{"error_code": "CPS.0005", "error_msg": "Invalid parameter: project_id"}'
    with (
        answering(400, {"Content-Type": "application/json"}, body) as url,
        pytest.raises(target.CannotRun, match=r"answered 400 \(CPS.0005 .*CPH_PROJECT_ID"),
    ):
        check(url, "abc", token)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<h1>Not Found</h1>", r"answered 404 .*CPH_BASE_URL is wrong"),
        (b'{"error_code": "APIGW.0101", "error_msg": "The API does not exist"}', r"CPH_BASE_URL is wrong"),
        # Not the gateway's code: likely the service's own, for the project.
        (b'{"error_code": "CPS.0404", "error_msg": "The project does not exist."}', r"CPS.0404 .*check CPH_PROJECT_ID"),
    ],
)
def test_a_404_says_whether_the_base_url_or_the_project_is_wrong(token: str, body: bytes, says: str) -> None:
    kind = "text/html" if body.startswith(b"<") else "application/json"
    with (
        answering(404, {"Content-Type": kind}, body) as url,
        pytest.raises(target.CannotRun, match=says),
    ):
        check(url, "0" * 32, token)


def test_a_redirect_is_not_followed_and_says_where_it_went(token: str) -> None:
    with (
        answering(302, {"Location": "https://login.example/next"}) as url,
        pytest.raises(target.CannotRun, match=r"a redirect to login\.example; it was not followed"),
    ):
        check(url, "0" * 32, token)


def test_an_echoed_token_is_masked_in_the_reason(token: str) -> None:
    body = f'{{"error_code": "APIGW.0301", "error_msg": "bad token {token}"}}'.encode()
    with answering(401, {"Content-Type": "application/json"}, body) as url, pytest.raises(target.CannotRun) as raised:
        check(url, "0" * 32, token)
    assert "bad token [MASKED]" in str(raised.value)
    assert token not in str(raised.value)


@pytest.mark.parametrize(
    ("named_by", "says"), [("CPH_BASE_URL", "Check CPH_BASE_URL"), ("CPH_REGION", "Check CPH_REGION")]
)
def test_an_unreachable_endpoint_names_the_variable_that_named_it(token: str, named_by: str, says: str) -> None:
    with socket.socket() as held:  # bound and never listened on: nothing answers there
        held.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{held.getsockname()[1]}"
        t = target.live({"CPH_BASE_URL": url, "CPH_PROJECT_ID": "0" * 32, "CPH_AUTH_TOKEN": token})
        t = dataclasses.replace(t, endpoint_variable=named_by)
        with pytest.raises(target.CannotRun, match=f"cannot reach {url}") as raised:
            preflight.check(sender_to(t), t)
    assert says in str(raised.value) and ("CPH_BASE_URL" in str(raised.value)) == (named_by == "CPH_BASE_URL")


# --- an endpoint that was reached and gave no whole answer: the message says what happened, not "cannot reach" ----

PAGE = json.dumps(spec.example_response()).encode()
# The time each answer gets. Short only where nothing the endpoint does can come early (the silent one); where the
# endpoint acts (hangs up, breaks off, drips), long enough that a loopback thread held up by a loaded machine still
# acts in time, and the answer's end decides, not the bound.
SECONDS = 0.3
ACTS_WITHIN = 10.0
DRIP_BOUND = 2.5  # seconds of a drip of 5


def _until_gone(handler: loopback.Quiet) -> None:
    """Wait until the client hangs up (at most a few seconds)."""
    handler.connection.settimeout(5)
    with contextlib.suppress(OSError):
        handler.rfile.read(1)


class Silent(loopback.Quiet):
    """Accepts, reads the request, never answers."""

    def do_GET(self) -> None:  # http.server's name
        _until_gone(self)


class HangsUp(loopback.Quiet):
    """Reads the request and closes the connection without a word."""

    def do_GET(self) -> None:  # http.server's name
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


class CutsShort(loopback.Quiet):
    """200, the headers and half the body, then a reset (RST)."""

    def do_GET(self) -> None:  # http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE[: len(PAGE) // 2])
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class Drips(loopback.Quiet):
    """200, then a byte of its body now and then."""

    def do_GET(self) -> None:  # http.server's name
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        with contextlib.suppress(OSError):
            for _ in range(100):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.05)


@contextlib.contextmanager
def nothing_listens() -> Iterator[str]:
    with socket.socket() as held:  # bound and never listened on: nothing answers there
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


@contextlib.contextmanager
def https_to(handler: type[loopback.Quiet]) -> Iterator[str]:
    with loopback.serving(handler) as url:
        yield url.replace("http://", "https://")


@pytest.mark.parametrize(
    ("endpoint", "seconds", "says"),
    [
        (nothing_listens, ACTS_WITHIN, "cannot reach .*: no connection: it was refused"),
        (lambda: https_to(Silent), ACTS_WITHIN, "cannot reach .*: no connection: the TLS handshake failed"),
        pytest.param(
            lambda: loopback.serving(Silent),
            SECONDS,
            # asked once: a request that got no answer in its time is not asked again
            f"was reached, but the preflight got no whole answer: connected, and no answer came within {SECONDS} s "
            r"\(the time the run gives one answer\)\. The endpoint is too slow or stuck",
            marks=pytest.mark.waits,  # SECONDS, whatever else runs: nothing it waits for can come early
        ),
        (
            lambda: loopback.serving(HangsUp),
            ACTS_WITHIN,
            "was reached, .*: connected, and the connection was closed before an "
            "answer .*If it speaks HTTPS, CPH_BASE_URL must start with https://",
        ),
        (
            lambda: loopback.serving(CutsShort),
            ACTS_WITHIN,
            "was reached, .*: answered 200, then the connection broke off after "
            r"\d[\d,]* bytes of the body \(ReadError: .*\)\. Its answer did not come whole",
        ),
        pytest.param(
            lambda: loopback.serving(Drips),
            DRIP_BOUND,
            "was reached, but the preflight got no whole answer: answered 200, and its body was still coming after "
            f"{DRIP_BOUND} s .*Its answer did not come whole",
            marks=pytest.mark.waits,  # DRIP_BOUND of waiting, beside the other tests
        ),
    ],
    ids=["refused", "tls", "silent", "hangs-up", "cut-short", "drips"],
)
def test_no_answer_says_what_happened_and_only_an_unreached_endpoint_checks_the_url(
    endpoint: Callable[[], contextlib.AbstractContextManager[str]], seconds: float, says: str
) -> None:
    token = "MIIT" + secrets.token_urlsafe(48)
    with endpoint() as url:
        t = target.live({"CPH_BASE_URL": url, "CPH_PROJECT_ID": "0" * 32, "CPH_AUTH_TOKEN": token})
        with pytest.raises(target.CannotRun) as raised:
            preflight.check(sender_to(t, Bounds(1 << 20, seconds=seconds), again=2), t)
    said = str(raised.value)
    assert re.search(says, said), said
    reached = "was reached" in said
    assert ("Check CPH_BASE_URL" in said) != reached and ("cannot reach" in said) != reached
    assert "\n" not in said and token not in said


@pytest.mark.parametrize("again", [0, 2])
def test_the_reason_says_how_often_the_preflight_tried(token: str, again: int) -> None:
    with nothing_listens() as url:
        t = target.live({"CPH_BASE_URL": url, "CPH_PROJECT_ID": "0" * 32, "CPH_AUTH_TOKEN": token})
        run = sender_to(t)
        run.patience = Patience(0, (), again=again, sleep=lambda _: None, deadline=run.deadline)
        with pytest.raises(target.CannotRun) as raised:
            preflight.check(run, t)
    assert (f"cannot reach {url} in 3 tries: " in str(raised.value)) == (again == 2)
