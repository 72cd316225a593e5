"""The IAM token from a password, against a loopback IAM stand-in: 201 with X-Subject-Token, or Huawei's 401."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from cph_conformance import spec
from cph_conformance.run.transport import iam
from tests import loopback

REGION = spec.default_region()
USER, DOMAIN = "ci-bot", "example-account"
TEAM = f"{REGION}_team"  # a second project in the region, as Huawei names them
PROJECTS = {REGION: secrets.token_hex(16), TEAM: secrets.token_hex(16)}
# Keystone's 401, as Huawei's IAM answers a wrong user name or password.
WRONG_PASSWORD = {"error": {"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}}


@dataclass
class StandIn:
    url: str
    password: str
    token: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    echo: bool = False  # a careless server that quotes the password back in its error message
    tokenless: bool = False  # a 201 without X-Subject-Token
    padding: int = 0  # bytes of padding in a 201's body

    def __repr__(self) -> str:  # the password and token stay out of test reports
        return f"StandIn({self.url!r}, {len(self.requests)} request(s))"


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    """IAM's POST /v3/auth/tokens on 127.0.0.1, a free port, always stopped."""
    state = StandIn("", "pw-" + secrets.token_urlsafe(24), "MIIT" + secrets.token_urlsafe(64))

    class Handler(loopback.Quiet):
        def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"path": self.path, "body": body})
            if self.path != iam.TOKENS_PATH:
                self._answer(302, {}, {"Location": iam.TOKENS_PATH})
                return
            user = body["auth"]["identity"]["password"]["user"]
            if (user["name"], user["domain"]["name"], user["password"]) != (USER, DOMAIN, state.password):
                said = {"error_code": "IAM.0101", "error_msg": f"wrong password {user['password']}"}
                self._answer(401, said if state.echo else WRONG_PASSWORD)
                return
            project = body["auth"]["scope"]["project"]
            name = project.get("name") or next((n for n, i in PROJECTS.items() if i == project.get("id")), None)
            if name not in PROJECTS:
                self._answer(400, {"error_code": "IAM.0007", "error_msg": "Request parameter project is invalid."})
                return
            issued: dict[str, Any] = {
                "token": {"project": {"id": PROJECTS[name], "name": name}, "expires_at": "2026-11-28T10:00:00Z"}
            }
            if state.padding:
                issued["padding"] = "x" * state.padding
            self._answer(201, issued, {} if state.tokenless else {"X-Subject-Token": state.token})

    with loopback.serving(Handler) as state.url:
        yield state


def _fetch(stand_in: StandIn, **overrides: Any) -> iam.IamToken:
    given: dict[str, Any] = {"user": USER, "password": stand_in.password, "domain": DOMAIN, "region": REGION}
    return iam.fetch_token(**{**given, "iam_url": stand_in.url, **overrides})


def test_the_right_password_gets_the_token_of_the_region_s_default_project(stand_in: StandIn) -> None:
    issued = _fetch(stand_in)
    assert (issued.token, issued.project_id, issued.project_name) == (stand_in.token, PROJECTS[REGION], REGION)
    assert stand_in.token not in repr(issued)
    [sent] = stand_in.requests
    assert sent["path"] == "/v3/auth/tokens"
    assert sent["body"] == iam.request_body(USER, stand_in.password, DOMAIN, project_name=REGION)
    assert sent["body"]["auth"]["identity"]["methods"] == ["password"]


def test_the_project_by_id_or_by_name(stand_in: StandIn) -> None:
    assert _fetch(stand_in, project_id=PROJECTS[TEAM]).project_name == TEAM
    assert stand_in.requests[-1]["body"]["auth"]["scope"] == {"project": {"id": PROJECTS[TEAM]}}
    assert _fetch(stand_in, project_name=TEAM).project_id == PROJECTS[TEAM]
    assert stand_in.requests[-1]["body"]["auth"]["scope"] == {"project": {"name": TEAM}}


def test_a_wrong_password_names_the_variables_and_iam_s_reason_never_the_password(stand_in: StandIn) -> None:
    wrong = "wrong-" + secrets.token_urlsafe(16)
    with pytest.raises(iam.IamError) as caught:
        _fetch(stand_in, password=wrong)
    message = str(caught.value)
    assert "401" in message and "The username or password is wrong." in message
    assert all(name in message for name in iam.IAM_VARIABLES)
    assert wrong not in message and stand_in.password not in message
    assert wrong not in repr(caught.value)


def test_a_password_the_server_echoes_is_masked(stand_in: StandIn) -> None:
    stand_in.echo = True
    wrong = "wrong-" + secrets.token_urlsafe(16)
    with pytest.raises(iam.IamError) as caught:
        _fetch(stand_in, password=wrong)
    assert "IAM.0101 wrong password [MASKED]" in str(caught.value)
    assert wrong not in str(caught.value)


def test_a_201_without_a_token_is_an_error(stand_in: StandIn) -> None:
    stand_in.tokenless = True
    with pytest.raises(iam.IamError, match="without an X-Subject-Token header"):
        _fetch(stand_in)


def test_an_answer_larger_than_its_bound_is_read_no_further_and_is_an_error(
    stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IAM's URL may be any endpoint (CPH_IAM_URL): its answer is read within bounds, as every answer of the run."""
    monkeypatch.setattr(iam, "MAX_BODY", 1000)
    stand_in.padding = 5000
    with pytest.raises(iam.IamError, match=r"answered 201 with too-large: more than 1,000 bytes"):
        _fetch(stand_in)
    stand_in.padding = 500
    assert _fetch(stand_in).token == stand_in.token


def test_an_unknown_project_says_which_variables_name_it(stand_in: StandIn) -> None:
    with pytest.raises(iam.IamError, match=r"400 \(IAM.0007 .*CPH_PROJECT_ID.*CPH_IAM_PROJECT_NAME"):
        _fetch(stand_in, project_name="nowhere")


def test_a_redirect_is_not_followed(stand_in: StandIn) -> None:
    with pytest.raises(iam.IamError, match="answered 302"):
        _fetch(stand_in, iam_url=stand_in.url + "/elsewhere")
    assert len(stand_in.requests) == 1


def test_an_unknown_region_lists_the_spec_s_before_any_request(stand_in: StandIn) -> None:
    with pytest.raises(spec.UnknownRegion, match=spec.default_region()):
        _fetch(stand_in, region="eu-west-0")
    assert stand_in.requests == []


def test_an_unreachable_iam_is_an_iam_error(stand_in: StandIn) -> None:
    with socket.socket() as sock:  # a loopback port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(iam.IamError, match=f"cannot reach IAM at {closed}/v3/auth/tokens: ConnectError"):
        _fetch(stand_in, iam_url=closed)


def _env(stand_in: StandIn, **extra: str) -> dict[str, str]:
    env = {"CPH_IAM_USER": USER, "CPH_IAM_PASSWORD": stand_in.password, "CPH_IAM_DOMAIN": DOMAIN}
    return {**env, "CPH_REGION": REGION, "CPH_IAM_URL": stand_in.url, **extra}


def test_from_environment(stand_in: StandIn) -> None:
    assert iam.from_environment({}) is None
    issued = iam.from_environment(_env(stand_in, CPH_IAM_PROJECT_NAME=TEAM))
    assert issued is not None and issued.project_id == PROJECTS[TEAM]


@pytest.mark.parametrize("unset", [*iam.IAM_VARIABLES, "CPH_REGION"])
def test_from_environment_names_what_is_missing(stand_in: StandIn, unset: str) -> None:
    env = _env(stand_in)
    del env[unset]
    with pytest.raises(iam.IamError, match=f"^{unset} not set"):
        iam.from_environment(env)
    assert stand_in.requests == []


def test_the_command_never_prints_the_token(
    stand_in: StandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("CPH_PROJECT_ID", "CPH_IAM_PROJECT_NAME"):  # whatever the session's environment holds
        monkeypatch.delenv(name, raising=False)
    for name, value in _env(stand_in).items():
        monkeypatch.setenv(name, value)
    assert iam.main() == 0
    out, err = capsys.readouterr()
    assert PROJECTS[REGION] in out
    assert stand_in.token not in out + err and stand_in.password not in out + err
    monkeypatch.setenv("CPH_IAM_PASSWORD", "wrong")
    assert iam.main() == 2
    assert "CPH_IAM_PASSWORD" in capsys.readouterr().err
