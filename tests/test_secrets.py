"""Secrets masked by value in every form; malformed credentials named without their value; the gateway puts the
credential only on what it forwards upstream, masks what comes back, follows no redirect, and says how long the
endpoint took to answer, its own pace left out."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from cph_conformance import spec
from cph_conformance.run.collect.exchange import ELAPSED_HEADER, ERROR_HEADER, Exchange
from cph_conformance.run.transport import gateway, target
from cph_conformance.run.transport.credential import NEAR_MISSES, Token
from cph_conformance.run.transport.patience import Patience
from cph_conformance.run.transport.secrets import MASK, MalformedCredential, Secrets, check_credential
from tests import leaks, loopback

TOKEN = "MIIT/a~?>bc+d~?>ef=ghi_~?>jkl-0123456789"  # noqa: S105  (a test token)


@pytest.mark.parametrize("encoding", list(leaks.ENCODINGS))
def test_every_form_of_a_secret_is_masked_and_counted(encoding: str) -> None:
    encode, form = leaks.ENCODINGS[encoding]
    text = f"before {encode(TOKEN)} after"
    assert leaks.copies(text, TOKEN)  # the detector sees the secret in this form
    for mask, data in ((Secrets.mask, text), (Secrets.mask_bytes, text.encode())):
        secrets = Secrets([TOKEN])
        masked = mask(secrets, data)  # type: ignore[arg-type]
        shown = masked.decode() if isinstance(masked, bytes) else masked
        assert MASK in shown and shown.startswith("before ") and shown.endswith(" after")
        assert leaks.copies(shown, TOKEN) == []
        assert secrets.masked == Counter({form: 1})


@pytest.mark.parametrize(
    "text",
    [
        "ordinary words, short values (abc, 42) and a URL: /v1/x?limit=10&marker=a%20b",
        TOKEN[:12] + " is only the start of the token",
        "MIIT/abc+ nothing secret",
        base64.b64encode(b"another credential entirely, not the run's").decode(),
        b"another credential entirely, not the run's".hex(),
        json.dumps({"image_name": "云手机镜像" * 50, "error_msg": "<b> &amp; &#47; %2F"}),
    ],
)
def test_what_is_not_a_secret_is_left_alone(text: str) -> None:
    secrets = Secrets([TOKEN])
    assert secrets.mask(text) == text
    assert secrets.mask_bytes(text.encode()) == text.encode()
    assert not secrets.masked and secrets.summary() == ""
    assert TOKEN not in repr(secrets)


def test_a_secret_is_masked_whole_before_a_shorter_one_inside_it() -> None:
    secrets = Secrets([TOKEN[:-1], TOKEN])
    assert secrets.mask(f"{TOKEN} and {TOKEN[:-1]}") == f"{MASK} and {MASK}"


AK = "QTWAOYTTINDUT2QVKYUC"
SIGNATURE = "9e4b0d7e" * 8
AUTHORIZATION = f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;x-sdk-date, Signature={SIGNATURE}"


def test_an_echoed_authorization_header_loses_its_access_key_and_signature_everywhere_after() -> None:
    secrets = Secrets([TOKEN])
    echoed = secrets.mask(json.dumps({"seen": AUTHORIZATION}))
    assert AK not in echoed and SIGNATURE not in echoed
    assert "SDK-HMAC-SHA256 Access=" + MASK in echoed and "Signature=" + MASK in echoed
    later = secrets.mask(f"sig {SIGNATURE} and {base64.b64encode(SIGNATURE.encode()).decode()}")
    assert later == f"sig {MASK} and {MASK}"
    assert secrets.masked == Counter({"Authorization signature": 2, "Authorization access key": 1, "base64": 1})


def test_the_gateway_can_name_the_header_it_signed() -> None:
    secrets = Secrets()
    secrets.add_authorization(AUTHORIZATION)
    assert secrets.mask(quote(AUTHORIZATION, safe="")).count(MASK) == 2


def test_the_summary_says_how_often_and_in_which_forms() -> None:
    secrets = Secrets([TOKEN])
    b64 = base64.b64encode(TOKEN.encode()).decode()
    secrets.mask(f"{b64} {b64} {TOKEN}")
    secrets.mask_bytes(b64.encode())
    assert secrets.summary() == "masked 4 times (base64 x3, as is x1)"


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


# --- the gateway ------------------------------------------------------------------------------------------------


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


@contextlib.contextmanager
def through_gateway(upstream: str) -> Iterator[gateway.Gateway]:
    credential = Token(spec.auth_header(), TOKEN)
    with gateway.running(upstream, spec.auth_header(), credential, Secrets([TOKEN]), 5.0) as gw:
        yield gw


def test_the_gateway_swaps_the_placeholder_for_the_credential_and_masks_the_echo() -> None:
    upstream = Upstream()
    with loopback.serving(upstream.handler) as url, through_gateway(url) as gw:
        answer = httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): gateway.PLACEHOLDER})
        wrong = httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): "wrong"})
        missing = httpx.get(gw.base_url + "/v1/x")
    assert [s.get(spec.auth_header()) for s in upstream.seen] == [TOKEN, "wrong", None]
    assert answer.status_code == 200
    assert TOKEN not in answer.text and quote(TOKEN, safe="") not in answer.text
    assert answer.json()["request_id"] == MASK
    assert answer.headers["X-Echo"] == MASK
    assert wrong.json()["request_id"] == "wrong" and missing.json()["request_id"] == ""
    assert gw.echoes == 1  # only the answer that carried the credential counts


def test_a_near_miss_of_the_placeholder_is_sent_as_the_same_near_miss_of_the_credential_and_masked() -> None:
    """The probes ask for a near miss of the run's credential by sending one of the placeholder: only the gateway
    knows the credential, and it masks the near miss too (it is all but the secret)."""
    upstream = Upstream()
    secrets = Secrets([TOKEN])
    with (
        loopback.serving(upstream.handler) as url,
        gateway.running(url, spec.auth_header(), Token(spec.auth_header(), TOKEN), secrets, 5.0) as gw,
    ):
        answers = [
            httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): miss.make(gateway.PLACEHOLDER)})
            for miss in NEAR_MISSES.values()
        ]
    assert [s.get(spec.auth_header()) for s in upstream.seen] == [miss.make(TOKEN) for miss in NEAR_MISSES.values()]
    assert [a.json()["request_id"] for a in answers] == [MASK] * len(NEAR_MISSES)
    assert not any(miss.make(TOKEN) in secrets.mask(f"x {miss.make(TOKEN)} y") for miss in NEAR_MISSES.values())


def test_the_gateway_waits_out_throttling_for_every_tool_that_sends_through_it() -> None:
    class Throttling(loopback.Quiet):
        sent = 0

        def do_GET(self) -> None:  # http.server's name
            Throttling.sent += 1
            status = 429 if Throttling.sent % 2 else 200  # every other request, and no Retry-After
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    patience = Patience(per_second=1000, statuses={429}, sleep=lambda s: None)
    with (
        loopback.serving(Throttling) as url,
        gateway.running(
            url, spec.auth_header(), Token(spec.auth_header(), TOKEN), Secrets([TOKEN]), 5.0, patience
        ) as gw,
    ):
        statuses = [httpx.get(gw.base_url + f"/v1/x?n={n}").status_code for n in range(4)]
    assert statuses == [200] * 4
    assert (Throttling.sent, patience.throttled, patience.gave_up) == (8, 4, 0)


@pytest.mark.parametrize(
    ("headers", "sent", "status", "blips"),
    [
        ({}, 3, 200, 2),  # the run's request: a dropped connection and a 503 are blips, asked again
        ({gateway.SCHEMATHESIS_PROBE: "Supports NULL byte in headers"}, 1, 502, 0),  # schemathesis' own: sent once
    ],
)
def test_the_gateway_asks_again_after_a_blip_of_the_runs_requests_only(
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
    with (
        loopback.serving(Blipping) as url,
        gateway.running(
            url, spec.auth_header(), Token(spec.auth_header(), TOKEN), Secrets([TOKEN]), 5.0, patience
        ) as gw,
    ):
        answer = httpx.get(gw.base_url + "/v1/x", headers=headers)
    assert (Blipping.sent, answer.status_code, patience.blips) == (sent, status, blips)


def test_a_redirect_to_another_host_is_relayed_never_followed_with_the_credential() -> None:
    # The other host is another loopback address: if anything followed the redirect, it would show up there.
    elsewhere = Upstream()
    with loopback.serving(elsewhere.handler, host="127.0.0.2") as other:
        upstream = Upstream(redirect_to=other)
        with loopback.serving(upstream.handler) as url, through_gateway(url) as gw:
            answer = httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): gateway.PLACEHOLDER})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(other)
    assert len(upstream.seen) == 1
    assert elsewhere.seen == []


def test_an_unreachable_upstream_is_a_marked_error_not_an_answer() -> None:
    with loopback.serving(Upstream().handler) as url:
        pass  # nothing listens there any more
    with through_gateway(url) as gw:
        answer = httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): gateway.PLACEHOLDER})
    assert answer.status_code == 502
    assert answer.headers[ERROR_HEADER].startswith("unreachable: ConnectError")


def answering_after(seconds: float) -> type[loopback.Quiet]:
    """An upstream that answers every GET with an empty 200 after a while."""

    class Slow(loopback.Quiet):
        def do_GET(self) -> None:  # http.server's name
            time.sleep(seconds)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Slow


def test_an_upstream_that_does_not_answer_in_time_is_a_marked_timeout() -> None:
    credential = Token(spec.auth_header(), TOKEN)
    with (
        loopback.serving(answering_after(1.0)) as url,
        gateway.running(url, spec.auth_header(), credential, Secrets([TOKEN]), 0.2) as gw,
    ):
        answer = httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): gateway.PLACEHOLDER}, timeout=5)
    assert answer.status_code == 502
    assert answer.headers[ERROR_HEADER].startswith("timeout: no answer within the request timeout")


def test_an_answers_time_is_the_endpoints_not_the_runs_pace() -> None:
    """At 10 requests a second, the second request waits 0.1 s for its turn in the gateway: the client measures
    that wait, the gateway's ELAPSED_HEADER (and so the answer's time) does not."""
    patience = Patience(per_second=10, statuses={429})
    credential = Token(spec.auth_header(), TOKEN)
    with (
        loopback.serving(answering_after(0.02)) as url,
        gateway.running(url, spec.auth_header(), credential, Secrets([TOKEN]), 5.0, patience) as gw,
    ):
        answers = [httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): gateway.PLACEHOLDER}) for _ in "ab"]
    paced = answers[1]
    ex = Exchange.of_response(paced, url, "valid", "walk")
    assert paced.elapsed.total_seconds() >= 0.08  # the client waited for the pace
    assert ex.elapsed is not None and 0.02 <= ex.elapsed < 0.08  # the endpoint did not
    assert float(paced.headers[ELAPSED_HEADER]) == ex.elapsed


def test_a_proxy_set_for_ci_never_carries_loopback_traffic(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP(S)_PROXY pointing nowhere: the gateway still reaches a loopback upstream, and schemathesis is told
    to reach the gateway directly."""
    from cph_conformance.run import runner

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    upstream = Upstream()
    with loopback.serving(upstream.handler) as url, through_gateway(url) as gw:
        answer = httpx.get(gw.base_url + "/v1/x", headers={spec.auth_header(): gateway.PLACEHOLDER}, trust_env=False)
    assert answer.status_code == 200
    assert runner.no_proxy_for_loopback({})["NO_PROXY"] == gateway.HOST
    assert runner.no_proxy_for_loopback({"no_proxy": ".corp"})["no_proxy"] == f".corp,{gateway.HOST}"
