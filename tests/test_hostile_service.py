"""The hostile service does what each flavour says, and no more: the plain flavour is a valid service (the control);
each other misbehaves its one way. Every read is bounded (a few KB of an endless body, short timeouts)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from cph_conformance import spec
from tests import hostile_service, leaks, polling
from tests.hostile_service import Service

TIMEOUT = httpx.Timeout(5.0)


def images_url(service: Service) -> str:
    return service.base_url + spec.OPERATION_PATH.format(project_id=service.project_id)


def headers(service: Service, url: str = "") -> dict[str, str]:
    if service.ak:  # signed as the run signs: by the pinned client's signer
        from cph_client.auth import AkSkAuth

        request = httpx.Request("GET", url or images_url(service))
        AkSkAuth(service.ak, service.sk, project_id=service.project_id).sign(request)
        return {
            k: v for k, v in request.headers.items() if k.lower() in ("authorization", "x-sdk-date", "x-project-id")
        }
    return {spec.auth_header(): service.token}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as c:
        yield c


@pytest.mark.parametrize(
    ("query", "credential", "status"),
    [
        ({}, True, 200),
        ({"limit": "1"}, True, 200),
        ({"image_type": "private"}, True, 200),
        ({"limit": "0"}, True, 400),
        ({"limit": str(spec.limit_bounds()[1] + 1)}, True, 400),
        ({"image_type": "nonsense"}, True, 400),
        ({"marker": "not-one-it-issued"}, True, 400),
        ({}, False, 401),
    ],
)
def test_the_plain_flavour_is_a_valid_service(
    client: httpx.Client, query: dict[str, str], credential: bool, status: int
) -> None:
    with hostile_service.serving("plain") as service:
        answer = client.get(images_url(service), params=query, headers=headers(service) if credential else {})
    assert answer.status_code == status
    assert int(answer.headers["Content-Length"]) == len(answer.content)
    if status == 200:
        wanted = [i for i in spec.example_response()["phone_images"] if query.get("image_type") != "private"]
        assert answer.json()["phone_images"] == wanted[: int(query.get("limit", 500))]
    else:
        assert set(answer.json()) == {"request_id", "error_code", "error_msg"}


def test_the_plain_flavour_pages_with_the_markers_it_issues(client: httpx.Client) -> None:
    with hostile_service.serving("plain") as service:
        seen, marker = [], None
        for _ in range(10):
            page = client.get(
                images_url(service),
                params={"limit": "1", **({"marker": marker} if marker else {})},
                headers=headers(service),
            ).json()
            seen += page["phone_images"]
            marker = page.get("page_info", {}).get("next_marker")
            if not marker:
                break
    assert seen == spec.example_response()["phone_images"]


def test_another_project_is_forbidden(client: httpx.Client) -> None:
    with hostile_service.serving("plain") as service:
        answer = client.get(
            service.base_url + spec.OPERATION_PATH.format(project_id="0" * 32), headers=headers(service)
        )
    assert answer.status_code == 403


@pytest.mark.parametrize("flavour", ["echo-token", "echo-refused"])
def test_the_echo_flavours_send_the_token_back_in_every_encoding(client: httpx.Client, flavour: str) -> None:
    with hostile_service.serving(flavour) as service:
        answer = client.get(images_url(service), headers=headers(service))
    assert answer.status_code == (200 if flavour == "echo-token" else 401)
    said = answer.text if flavour == "echo-token" else answer.json()["error_msg"]
    shown_headers = "\n".join(answer.headers.values())
    for name, (encode, _) in leaks.ENCODINGS.items():
        assert encode(service.token) in said, name
        assert encode(service.token) in shown_headers, name
    assert answer.json()  # still JSON


def test_the_plain_flavour_echoes_nothing(client: httpx.Client) -> None:
    with hostile_service.serving("plain") as service:
        answer = client.get(images_url(service), headers=headers(service))
    assert leaks.copies(answer.text + "\n".join(answer.headers.values()), service.token) == []


def test_the_aksk_flavour_echoes_the_authorization_header(client: httpx.Client) -> None:
    with hostile_service.serving("echo-aksk") as service:
        signed = headers(service)
        answer = client.get(images_url(service), headers=signed)
        # The signature's first digit changed (to 0, or to 1 when it is 0 already: one run in 16 it was, and passed).
        first = signed["authorization"].split("Signature=")[1][0]
        changed = re.sub("Signature=.", f"Signature={'1' if first == '0' else '0'}", signed["authorization"])
        wrong = {**signed, "authorization": changed}
        refused = client.get(images_url(service), headers=wrong)
    assert answer.status_code == 200 and refused.status_code == 401
    assert answer.json()["seen_authorization"] == signed["authorization"] == answer.headers["X-Echo-Authorization"]
    assert refused.json()["seen_authorization"] == wrong["authorization"]


def test_the_endless_body_goes_on_until_the_client_leaves(client: httpx.Client) -> None:
    with hostile_service.serving("endless") as service:
        with client.stream("GET", images_url(service), headers=headers(service)) as answer:
            assert answer.headers["Transfer-Encoding"] == "chunked"
            read = 0
            for chunk in answer.iter_raw():
                read += len(chunk)
                if read > 256 * 1024:
                    break
        assert read > 256 * 1024
        polling.until(lambda: service.open_connections == 0, 30, every=0.02)  # the server stops at once
        assert service.open_connections == 0  # the server stopped when the client left


@pytest.mark.waits
def test_the_huge_page_is_30_mb_of_more_images_than_a_page_holds() -> None:
    with (
        httpx.Client(timeout=TIMEOUT, trust_env=False) as client,
        hostile_service.serving("huge") as service,
        client.stream("GET", images_url(service), headers=headers(service)) as answer,
    ):
        assert int(answer.headers["Content-Length"]) >= hostile_service.HUGE_BYTES
        start = next(answer.iter_raw(4096))
    assert start.startswith(b'{"phone_images": [{')


def test_the_deep_answer_nests_100000_deep(client: httpx.Client) -> None:
    with hostile_service.serving("deep") as service:
        answer = client.get(images_url(service), headers=headers(service))
    body = answer.content
    assert answer.status_code == 200
    assert body.count(b"[") >= hostile_service.DEPTH and b"[" * hostile_service.DEPTH in body


@pytest.mark.waits
def test_the_drip_sends_a_byte_at_a_time() -> None:
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as client, hostile_service.serving("drip") as service:
        # Timed from the request: the second byte is written DRIP_EVERY after the first, which follows the request,
        # so a thread held up anywhere makes this longer, never shorter (timed from the head, a hold-up of that
        # long found both bytes read already).
        got, started = b"", time.monotonic()
        with client.stream("GET", images_url(service), headers=headers(service)) as answer:
            length = int(answer.headers["Content-Length"])
            for chunk in answer.iter_raw(1):
                got += chunk
                if len(got) == 2:
                    break
        took = time.monotonic() - started
    assert answer.status_code == 200
    assert len(got) == 2 < length and took >= hostile_service.DRIP_EVERY * 0.8
    # And the server wrote a byte at a time, DRIP_EVERY apart by its own clock (load only makes that longer).
    (first, one), (second, other) = service.dripped[:2]
    assert one == other == 1 and second - first >= hostile_service.DRIP_EVERY * 0.8


def test_the_short_body_is_held_open_short_of_its_length() -> None:
    with (
        hostile_service.serving("short-body") as service,
        httpx.Client(timeout=httpx.Timeout(5.0, read=0.3), trust_env=False) as client,
        client.stream("GET", images_url(service), headers=headers(service)) as answer,
    ):
        length, got = int(answer.headers["Content-Length"]), b""
        with pytest.raises(httpx.ReadTimeout):
            for chunk in answer.iter_raw():
                got += chunk
    assert 0 < len(got) < length
    assert json.loads(got)["phone_images"]  # what it sent is a whole page: only the length lies


def test_the_redirect_points_at_itself(client: httpx.Client) -> None:
    with hostile_service.serving("redirect-loop") as service:
        answer = client.get(images_url(service) + "?limit=10", headers=headers(service))
        with pytest.raises(httpx.TooManyRedirects):
            client.get(images_url(service), headers=headers(service), follow_redirects=True)
    assert answer.status_code == 302
    assert answer.headers["Location"] == spec.OPERATION_PATH.format(project_id=service.project_id) + "?limit=10"
    assert service.requests > 2


def test_throttling_asks_to_wait_an_hour_every_time(client: httpx.Client) -> None:
    with hostile_service.serving("throttle-forever") as service:
        answers = [client.get(images_url(service), headers=headers(service)) for _ in range(3)]
    assert [(a.status_code, a.headers["Retry-After"]) for a in answers] == [(429, "3600")] * 3


def test_the_false_gzip_is_a_plain_body(client: httpx.Client) -> None:
    with hostile_service.serving("false-gzip") as service:
        with pytest.raises(httpx.DecodingError):
            client.get(images_url(service), headers=headers(service))
        with client.stream("GET", images_url(service), headers=headers(service)) as answer:
            raw = b"".join(answer.iter_raw())
    assert answer.headers["Content-Encoding"] == "gzip"
    assert json.loads(raw)["phone_images"]


@pytest.mark.parametrize(("flavour", "status"), [("markup", 200), ("markup-refused", 401)])
def test_markup_and_control_characters_come_in_the_text(client: httpx.Client, flavour: str, status: int) -> None:
    with hostile_service.serving(flavour) as service:
        answer = client.get(images_url(service), headers=headers(service))
        refused = client.get(images_url(service))
    assert answer.status_code == status
    body = answer.json()
    for said in (
        body["phone_images"][0]["description"] if status == 200 else body["error_msg"],
        refused.json()["error_msg"],
    ):
        assert all(text in said for text in ("<script>", "<img src=x onerror=", "\x1b[2J", "\x00", "\x1b]8;;"))
    if status == 200:
        assert {i["image_name"] for i in answer.json()["phone_images"]} <= set(hostile_service.HOSTILE_TEXT)
