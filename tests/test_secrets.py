"""Secrets masked by value in every form; malformed credentials named without their value. What the sender does with
the credential and what comes back: tests/test_sender.py."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest

from cph_conformance.run.transport import target
from cph_conformance.run.transport.secrets import MASK, MalformedCredential, Secrets, check_credential

TOKEN = "MIIT/abc+def=ghi_jkl-0123456789"  # noqa: S105  (a test token)


@pytest.mark.parametrize(
    "form",
    [
        TOKEN,
        quote(TOKEN, safe=""),
        quote(TOKEN, safe="").lower(),
        quote_plus(TOKEN),
        json.dumps(TOKEN)[1:-1],
        TOKEN.replace("/", "\\/"),
    ],
)
def test_every_form_of_a_secret_is_masked(form: str) -> None:
    secrets = Secrets([TOKEN])
    text = f"before {form} after"
    assert secrets.mask(text) == f"before {MASK} after"
    assert secrets.mask_bytes(text.encode()) == f"before {MASK} after".encode()


def test_what_is_not_a_secret_is_left_alone() -> None:
    secrets = Secrets([TOKEN])
    assert secrets.mask("MIIT/abc+ nothing secret") == "MIIT/abc+ nothing secret"
    assert TOKEN not in repr(secrets)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (TOKEN + "\r", "carriage return"),
        (TOKEN + "\n", "carriage return or line feed"),
        (" " + TOKEN, "white space"),
        (TOKEN + "é", "non-ASCII"),
        (TOKEN[:5] + "\x07" + TOKEN[5:], "control characters"),
    ],
)
def test_a_malformed_credential_is_named_without_its_value(value: str, problem: str) -> None:
    with pytest.raises(MalformedCredential, match=problem) as raised:
        check_credential("CPH_AUTH_TOKEN", value)
    assert "CPH_AUTH_TOKEN" in str(raised.value)
    assert TOKEN not in str(raised.value) and TOKEN[:12] not in str(raised.value)


def test_a_good_credential_passes() -> None:
    check_credential("CPH_AUTH_TOKEN", TOKEN)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://cph.cn-north-4.myhuaweicloud.com", True),
        ("http://127.0.0.1:8080/", True),
        ("https://cph.cn-north-4.myhuaweicloud.com/v1", False),
        ("cph.cn-north-4.myhuaweicloud.com", False),
        ("https://cph.example?x=1", False),
        ("https://user:pw@cph.example", False),
        ("http://127.0.0.1:port", False),
    ],
)
def test_the_base_url_is_scheme_host_and_port_only(url: str, ok: bool) -> None:
    if ok:
        assert target.check_base_url(url) == url.rstrip("/")
    else:
        with pytest.raises(target.CannotRun, match="CPH_BASE_URL"):
            target.check_base_url(url)


@pytest.mark.parametrize(("project_id", "warned"), [("0123456789abcdef0123456789abcdef", False), ("my-project", True)])
def test_a_project_id_off_the_spec_pattern_is_a_warning_the_pattern_is_an_assumption(
    project_id: str, warned: bool
) -> None:
    warnings = target.check_project_id(project_id)
    assert bool(warnings) == warned
    assert all("assumption" not in w or "CPH_PROJECT_ID" in w for w in warnings)


def test_a_malformed_token_stops_a_live_run_before_anything_else() -> None:
    env = {"CPH_BASE_URL": "https://cph.example/v1", "CPH_PROJECT_ID": "0" * 32, "CPH_AUTH_TOKEN": TOKEN + "\r"}
    with pytest.raises(target.CannotRun) as raised:
        target.live(env)
    assert "CPH_AUTH_TOKEN" in str(raised.value) and "CPH_BASE_URL" not in str(raised.value)
    assert TOKEN not in str(raised.value)
