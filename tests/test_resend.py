"""python -m cph_conformance.run.resend: a request of a run that signed its requests (or got IAM's token) sent again
from a shell, the credential from the environment and placed as the run placed it; never printed."""

from __future__ import annotations

import os
import subprocess

import pytest

from cph_conformance.mock.server import RunningMock
from cph_conformance.run import resend
from cph_conformance.run.report import reproduce
from cph_conformance.run.verdict.findings import Instance, Sent
from cph_conformance.spec import ROOT

QUERY = "?limit=2&image_type=public"


def _env(mock: RunningMock, sk: str | None = None) -> dict[str, str]:
    return {"CPH_AK": mock.ak, "CPH_SK": mock.sk if sk is None else sk, "CPH_PROJECT_ID": mock.project_id}


@pytest.mark.parametrize(
    ("auth", "wrong_sk", "status"),
    [
        ("valid", False, "200"),  # signed as the run signed it: accepted
        ("valid", True, "401"),  # another secret key: refused, and the key is nowhere in what is printed
        ("missing", False, "401"),  # the probe's request without a credential, as the probe sent it
        ("signed:skewed", False, "401"),  # a misplacement the run made on purpose, made again
    ],
)
def test_a_request_is_sent_again_with_the_environments_credential_as_the_run_placed_it(
    mock: RunningMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], auth: str, wrong_sk: bool,
    status: str,
) -> None:  # fmt: skip
    sk = mock.sk[::-1] if wrong_sk else None
    for name, value in _env(mock, sk).items():
        monkeypatch.setenv(name, value)
    assert resend.main([auth, "GET", mock.images_url + QUERY]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == status, out + err
    assert ('"phone_images"' in out) == (status == "200")
    assert mock.sk not in out + err and (sk is None or sk not in out + err)


def _env_of(name: str, mock: RunningMock) -> dict[str, str]:
    """The environment a row names: none, an access key alone, the mock's key pair, with another endpoint named, or
    a token (which a misplaced signature cannot be made of)."""
    return {
        "none": {},
        "ak alone": {"CPH_AK": "AK"},
        "aksk": _env(mock),
        "aksk elsewhere": {**_env(mock), "CPH_BASE_URL": "https://cph.example"},
        "token": {"CPH_AUTH_TOKEN": "MIIT-a-token-0123456789"},
    }[name]


@pytest.mark.parametrize(
    ("env", "auth", "url", "said"),
    [
        ("none", "valid", "{images}", "no credential: set CPH_AUTH_TOKEN"),
        ("ak alone", "valid", "{images}", "CPH_SK not set"),
        ("aksk", "valid", "cph.example/v1/x", "is not a request's URL"),
        ("aksk", "valid", "http://user:pw@{host}/v1/x", "is not a request's URL"),  # httpx would send Basic instead
        ("aksk", "valid", "http://127.0.0.1:abc/v1/x", "is not a request's URL"),
        ("aksk", "valid", "http://[::1/v1", "is not a request's URL"),
        ("aksk", "valid", "{images}?image_name=云", "is not a request's URL"),  # the reports write it percent-encoded
        # The credential goes to the endpoint the environment names, and to no other.
        ("aksk elsewhere", "valid", "{images}", "is not the one CPH_BASE_URL or CPH_REGION names"),
        ("token", "signed:skewed", "{images}", "misplaces a credential of another kind"),
    ],
)
def test_without_a_credential_or_a_url_it_says_which_and_exits_2(
    mock: RunningMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: str, auth: str,
    url: str, said: str,
) -> None:  # fmt: skip
    for name in ("CPH_AUTH_TOKEN", "CPH_AK", "CPH_SK", "CPH_SECURITY_TOKEN", "CPH_IAM_USER", "CPH_IAM_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CPH_BASE_URL", raising=False)
    monkeypatch.delenv("CPH_REGION", raising=False)
    for name, value in {**_env_of(env, mock), "CPH_PROJECT_ID": mock.project_id}.items():
        monkeypatch.setenv(name, value)
    host = mock.base_url.split("://")[1]
    assert resend.main([auth, "GET", url.format(images=mock.images_url, host=host)]) == 2
    err = capsys.readouterr().err
    assert said in err and mock.sk not in err


SENT = (Sent("GET", "https://cph.example/v1/p/cloud-phone/phone-images?limit=1", "missing"),)


@pytest.mark.parametrize(
    ("by_token", "line"),
    [(True, "curl -X GET"), (False, "PYTHONPATH=generated .venv/bin/python -m cph_conformance.run.resend missing GET")],
)
def test_a_live_runs_reproduction_sends_the_credential_it_used(by_token: bool, line: str) -> None:
    lines = reproduce.block(Instance("", "", "", SENT), None, "p", by_token=by_token)
    assert lines[-1].startswith(line), lines


def test_a_blank_base_url_as_ci_sets_it_leaves_the_urls_endpoint(
    mock: RunningMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {**_env(mock), "CPH_BASE_URL": " ", "CPH_REGION": ""}.items():
        monkeypatch.setenv(name, value)
    assert resend.main(["valid", "GET", mock.images_url + QUERY]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "200"


def test_the_reproduction_line_works_pasted_into_a_shell_that_has_only_the_credential(mock: RunningMock) -> None:
    """As a user pastes it, from the project's folder: no PYTHONPATH, no other variable of the run's."""
    sent = (Sent("GET", mock.images_url + QUERY, "valid"),)
    *_, line = reproduce.block(Instance("", "", "", sent), None, mock.project_id, by_token=False)
    shell = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", ""), **_env(mock)}
    ran = subprocess.run(["bash", "-c", line], env=shell, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (ran.returncode, ran.stdout.splitlines()[:1]) == (0, ["200"]), ran.stderr
    assert mock.sk not in ran.stdout + ran.stderr
