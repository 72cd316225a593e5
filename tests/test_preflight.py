"""The preflight, in process, through the run's sender: a refused token, another project, a wrong base URL (404) and
a redirect each stop the run with a reason that names what to fix, and never the credential."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import Iterator

import pytest

from cph_conformance import spec
from cph_conformance.mock.server import RunningMock
from cph_conformance.run.transport import preflight, target
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


def sender_to(t: target.Target) -> Sender:
    deadline = Deadline(60)
    patience = Patience(0, spec.statuses_when("throttled"), deadline=deadline)
    return Sender(t.base_url, t.project_id, t.credential, t.secrets, patience, deadline)


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


def test_a_404_says_the_base_url_is_wrong(token: str) -> None:
    with (
        answering(404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>") as url,
        pytest.raises(target.CannotRun, match=r"answered 404 .*CPH_BASE_URL is wrong"),
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
