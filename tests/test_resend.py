"""python -m cph_conformance.run.resend: a request of a run that signed its requests (or got IAM's token) sent again
from a shell, the credential from the environment and placed as the run placed it; never printed."""

from __future__ import annotations

import pytest

from cph_conformance.mock.server import RunningMock
from cph_conformance.run import resend
from cph_conformance.run.report import reproduce
from cph_conformance.run.verdict.findings import Instance, Sent

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


@pytest.mark.parametrize(
    ("env", "url", "said"),
    [
        ({}, "{images}", "no credential: set CPH_AUTH_TOKEN"),
        ({"CPH_AK": "AK"}, "{images}", "CPH_SK not set"),
        (None, "cph.example/v1/x", "is not a request's URL"),  # None: the mock's access key
    ],
)
def test_without_a_credential_or_a_url_it_says_which_and_exits_2(
    mock: RunningMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str] | None,
    url: str,
    said: str,
) -> None:  # fmt: skip
    for name in ("CPH_AUTH_TOKEN", "CPH_AK", "CPH_SK", "CPH_SECURITY_TOKEN", "CPH_IAM_USER", "CPH_IAM_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (_env(mock) if env is None else env).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CPH_PROJECT_ID", mock.project_id)
    assert resend.main(["valid", "GET", url.format(images=mock.images_url)]) == 2
    assert said in capsys.readouterr().err


SENT = (Sent("GET", "https://cph.example/v1/p/cloud-phone/phone-images?limit=1", "missing"),)


@pytest.mark.parametrize(
    ("by_token", "line"), [(True, "curl -X GET"), (False, ".venv/bin/python -m cph_conformance.run.resend missing GET")]
)
def test_a_live_runs_reproduction_sends_the_credential_it_used(by_token: bool, line: str) -> None:
    lines = reproduce.block(Instance("", "", "", SENT), None, "p", by_token=by_token)
    assert lines[-1].startswith(line), lines
