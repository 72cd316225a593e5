"""Each check of one answer and across answers, both ways, from a table: answers it accepts and answers it rejects,
with the key of the cause and whether it is a failure or only an assumption's warning. No server."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.checks.registry import ANSWER, ANSWERS
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.verdict.findings import ERROR as AN_ERROR
from cph_conformance.run.verdict.findings import FAILURE, WARNING, Finding
from cph_conformance.run.verdict.verdict import Verdict
from tests import inprocess

EXAMPLE = spec.example_response()  # three public images, as Huawei's documentation page shows them
PUBLIC, PRIVATE = spec.enum("IsPublic")
RECEIVE = spec.enum("ReceiveStatus")[0]
URL = "https://cph.example" + spec.OPERATION_PATH.format(project_id="0123456789abcdef0123456789abcdef")
JSON = {"content-type": "application/json"}


def page(*images: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"request_id": "5aac6ab146ba76e5b12a3d00a03a9869", "phone_images": list(images), **extra}


def image(n: int = 0, **fields: Any) -> dict[str, Any]:
    return {**copy.deepcopy(EXAMPLE["phone_images"][n % 3]), "image_id": f"{n:032x}", **fields}


def answer(
    query: str = "",
    status: int = 200,
    body: Any = None,
    headers: dict[str, str] | None = None,
    text: str = "",
    unreadable: str = "",
    echoed: int = 0,
) -> Exchange:
    body = EXAMPLE if body is None and status == 200 and not text else body
    url = URL + (f"?{query}" if query else "")
    return Exchange("GET", url, VALID, status, headers or JSON, body, text, unreadable=unreadable, echoed=echoed)


ERROR = spec.error_example(401)
ERROR_WITHOUT_ID = {k: v for k, v in ERROR.items() if k != "request_id"}
# (check, the answer, the cause's key when it must drift, else None, FAILURE or WARNING)
ONE: list[tuple[str, Exchange, str | None, str]] = [
    ("not_a_server_error", answer(), None, FAILURE),
    ("not_a_server_error", answer(status=401, body=ERROR), None, FAILURE),
    ("not_a_server_error", answer(status=500, body=spec.error_example(500)), "500", FAILURE),
    ("status_code_conformance", answer(status=403, body=spec.error_example(403)), None, FAILURE),
    ("status_code_conformance", answer(status=203), "203", FAILURE),
    ("content_type_conformance", answer(headers={"content-type": "application/json;charset=UTF-8"}), None, FAILURE),
    ("content_type_conformance", answer(headers={"content-type": "text/plain"}), "text/plain", FAILURE),
    (
        "content_type_conformance",
        answer(status=401, body=ERROR, headers={"content-type": "text/html"}),
        "text/html",
        FAILURE,
    ),
    ("response_schema_conformance", answer(), None, FAILURE),
    ("response_schema_conformance", answer(status=401, body=ERROR), None, FAILURE),
    (
        "response_schema_conformance",
        answer(body=page(image(0, is_public="1"))),
        "type@$.phone_images[].is_public",
        FAILURE,
    ),
    (
        "response_schema_conformance",
        answer(body=page(image(0, image_id="x" * 33))),
        "maxLength@$.phone_images[].image_id",
        FAILURE,
    ),
    (
        "response_schema_conformance",
        answer(body=page(image(0, receive_status=7))),
        "enum@$.phone_images[].receive_status",
        FAILURE,
    ),
    ("response_schema_conformance", answer(body={"request_id": 5}), "type@$.request_id", FAILURE),
    (
        "response_schema_conformance",
        answer(body={"phone_images": [{"image_name": "x"}]}),
        "required@$.phone_images[]",
        FAILURE,
    ),
    (
        "response_schema_conformance",
        answer(body={"phone_images": [{"image_id": "x"}]}),
        "required@$.phone_images[]",
        WARNING,
    ),
    ("response_schema_conformance", answer(status=401, body={"error_msg": "x"}), "required@$", FAILURE),
    ("response_schema_conformance", answer(status=401, text="<html>401</html>"), "not-json", FAILURE),
    # What the sender would not decode: the body is not what the spec documents, and says why.
    ("response_schema_conformance", answer(text="[[[", unreadable="too-deep: JSON nested deeper"), "too-deep", FAILURE),
    (
        "response_schema_conformance",
        answer(text="{", headers={**JSON, "content-encoding": "gzip"}, unreadable="undecodable: not gzip"),
        "undecodable",
        FAILURE,
    ),
    # A body too large to read is within_the_largest_page's, not the schema's.
    ("response_schema_conformance", answer(text="{", unreadable="too-large: more than 10 bytes"), None, FAILURE),
    ("within_the_largest_page", answer(), None, FAILURE),
    ("within_the_largest_page", answer(text="{", unreadable="too-large: more than 10 bytes"), "too-large", FAILURE),
    ("credential_echo", answer(), None, FAILURE),
    ("credential_echo", answer(echoed=2), "echoed", WARNING),
    # Huawei's SDK reads a null field as absent: a null is the spec's assumption broken, unless the field is required
    (
        "response_schema_conformance",
        answer(body={**page(image(0, is_support_encrypt=None)), "page_info": None}),
        "type@$.page_info",
        WARNING,
    ),
    ("response_schema_conformance", answer(body=page(image(0, image_id=None))), "required@$.phone_images[]", FAILURE),
    ("image_type_filter", answer("image_type=public"), None, FAILURE),
    (
        "image_type_filter",
        answer("image_type=public", body=page(image(0), image(1, is_public=PRIVATE))),
        "public:is_public",
        FAILURE,
    ),
    ("image_type_filter", answer("image_type=private", body=page(image(0, is_public=PRIVATE))), None, FAILURE),
    ("image_type_filter", answer("image_type=private"), "private:is_public", FAILURE),
    (
        "image_type_filter",
        answer("image_type=private", body=page(image(0, is_public=PRIVATE, receive_status=RECEIVE))),
        "private:not:receive_status",
        FAILURE,
    ),
    ("image_type_filter", answer("image_type=share", body=page(image(0, receive_status=RECEIVE))), None, FAILURE),
    # That every shared image carries receive_status is the spec's assumption: a warning, never a failure.
    ("image_type_filter", answer("image_type=share", body=page(image(0))), "share:carries:receive_status", WARNING),
    ("image_type_filter", answer("image_type=all", body=page(image(0), image(1, is_public=PRIVATE))), None, FAILURE),
    ("page_within_limit", answer("limit=2", body=page(image(0), image(1))), None, FAILURE),
    ("page_within_limit", answer("limit=2", body=page(image(0), image(1), image(2))), "over", FAILURE),
    ("page_within_limit", answer(body=page(*(image(n) for n in range(spec.limit_bounds()[1] + 1)))), "over", FAILURE),
    ("page_within_limit", answer("limit=ten", body=page(image(0), image(1))), None, FAILURE),
    # Digits of another script: no source says a service reads them as a number (one that ignores them pages by the
    # default), so no size is asked for.
    ("page_within_limit", answer("limit=%D9%A1", body=page(image(0), image(1))), None, FAILURE),
    # Out of range: accepting it is negative_data_rejection's to judge, not how many the page holds.
    ("page_within_limit", answer("limit=0", body=page(image(0))), None, FAILURE),
    ("unique_image_ids", answer(), None, FAILURE),
    ("unique_image_ids", answer(body=page(image(0), image(1), image(0))), "repeated", FAILURE),
    # Images without an image_id have no identity to repeat: their answer's schema says what is wrong with them.
    ("unique_image_ids", answer(body=page(image(0, image_id=None), image(1, image_id=None))), None, FAILURE),
    ("known_image_label", answer(), None, FAILURE),
    ("known_image_label", answer(body=page(image(0, image_label="cloud_phone_9000"))), "cloud_phone_9000", FAILURE),
    ("length_in_bytes", answer(body=page(image(0, image_name="云" * 42))), None, FAILURE),  # 126 bytes
    ("length_in_bytes", answer(body=page(image(0, image_name="云手机镜像" * 10))), "image_name", FAILURE),
    ("length_in_bytes", answer(body=page(image(0, os_type="ä" * 9))), "os_type", FAILURE),
    # A lone surrogate (a JSON escape UTF-8 cannot carry) is counted, never an error of the check: client_reads's.
    ("length_in_bytes", answer(body=page(image(0, os_type="a" * 13 + "\ud800"))), None, FAILURE),  # 16 bytes
    ("length_in_bytes", answer(body=page(image(0, os_type="a" * 14 + "\ud800"))), "os_type", FAILURE),
    ("request_id_header", answer(headers={**JSON, "x-request-id": EXAMPLE["request_id"]}), None, FAILURE),
    # That the header is the body's request_id is the spec's assumption: a warning.
    ("request_id_header", answer(headers={**JSON, "x-request-id": "0" * 32}), "differs", WARNING),
    (
        "request_id_header",
        answer(status=401, body={**ERROR, "request_id": "b"}, headers={"x-request-id": "a"}),
        "differs",
        WARNING,
    ),
    ("request_id_header", answer(), None, FAILURE),  # the header is optional
    ("documented_error_code", answer(status=401, body=ERROR), None, FAILURE),  # more: tests/test_error_codes.py
    ("documented_error_code", answer(status=401, body={**ERROR, "error_code": "CPS.0001"}), "401:CPS.0001", FAILURE),
    ("no_undocumented_fields", answer(), None, FAILURE),
    (
        "no_undocumented_fields",
        answer(body=page(image(0, image_size_mb=2048))),
        "$.phone_images[].image_size_mb",
        FAILURE,
    ),
    ("no_undocumented_fields", answer(status=401, body=ERROR), None, FAILURE),
    ("no_undocumented_fields", answer(status=401, body={**ERROR, "trace": "x"}), "$.trace", FAILURE),
    # The pinned client reads what the run judges: nulls as absent fields, undeclared fields kept.
    ("client_reads", answer(body={"phone_images": None, "page_info": None, "extra": [1]}), None, FAILURE),
    ("client_reads", answer(status=401, body={**ERROR, "request_id": None}), None, FAILURE),
    ("client_reads", answer(body=page(image(0), score=float("nan"))), "not-json", FAILURE),  # Python reads NaN
    # ... and a lone surrogate's escape, in a value or a name, which UTF-8 cannot carry.
    ("client_reads", answer(body=page(image(0, image_name="\ud800AOSP"))), "not-json", FAILURE),
    ("client_reads", answer(body={**page(image(0)), "\udfff": 1}), "not-json", FAILURE),
    ("client_reads", answer(body=page(image(0, image_name="\U0001f600"))), None, FAILURE),  # a pair: one character
    (
        "client_reads",
        answer(body=page(image(0, is_public=3))),
        "ListCloudPhoneImagesResponse.from_dict raises ValueError",
        FAILURE,
    ),
    ("client_reads", answer(status=401, body=ERROR_WITHOUT_ID | {"error_code": None}), None, FAILURE),
    # Huawei's sources allow an image without os_name; the client cannot read it: the project's fault, an error.
    (
        "client_reads",
        answer(body=page({k: v for k, v in image(0).items() if k != "os_name"})),
        "ListCloudPhoneImagesResponse.from_dict raises KeyError",
        AN_ERROR,
    ),
    (
        "client_reads",
        answer(body=page(image(0, size=2**70))),
        "the client's JSON parser (orjson) cannot read it",
        AN_ERROR,
    ),
]


def judged(check: str, exchanges: list[Exchange]) -> Verdict:
    return inprocess.answers(*exchanges)


def keyed(f: Finding) -> str:
    """A finding's key as the tables write it: the selection and the cause."""
    return ":".join(filter(None, f.key))


@pytest.mark.parametrize(
    ("check", "ex", "key", "graded"),
    ONE,
    ids=[f"{c}-{'rejects' if k else 'accepts'}-{n}" for n, (c, _, k, _) in enumerate(ONE)],
)
def test_each_answer_check_accepts_and_rejects(check: str, ex: Exchange, key: str | None, graded: str) -> None:
    found = [f for f in judged(check, [ex]).findings if f.check == check]
    assert (key, graded) in [(keyed(f), f.verdict) for f in found] if key else found == []
    for f in found:
        assert f.curls == (ex.curl,)
        assert f.source.startswith("assumption: ") == (graded == WARNING)


SHARED = image(9, is_public=PRIVATE, receive_status=RECEIVE)
# (check, the answers of a run, the cause's key when they must drift, else None)
ACROSS: list[tuple[str, list[Exchange], str | None]] = [
    (
        "image_identity",
        [answer("image_type=all", body=page(image(0), SHARED)), answer("image_type=share", body=page(SHARED))],
        None,
    ),
    (
        "image_identity",
        [
            answer("image_type=all", body=page(image(0), SHARED)),
            answer("image_type=share", body=page({**SHARED, "os_name": "x"})),
        ],
        "os_name",
    ),
    (
        "image_identity",
        [answer("limit=1", body=page(image(0))), answer("marker=m", body=page({**image(0), "x": 1}))],
        "x",
    ),
    ("request_ids", [answer(body=page(image(0))), answer(body={**page(image(1)), "request_id": "another"})], None),
    ("request_ids", [answer(body=page(image(0))), answer("limit=1", body=page(image(1)))], "repeated"),
    # The same request answered twice with one request_id: a cache's replay, which a GET allows.
    ("request_ids", [answer("limit=1", body=page(image(0))), answer("limit=1", body=page(image(0)))], None),
    (
        "request_ids",
        [
            answer(status=401, body=ERROR_WITHOUT_ID, headers={"x-request-id": "r"}),
            answer("limit=1", status=403, body={}, headers={"x-request-id": "r"}),
        ],
        "repeated",
    ),
]


@pytest.mark.parametrize(("check", "exchanges", "key"), ACROSS, ids=[f"{c}-{n}" for n, (c, _, _) in enumerate(ACROSS)])
def test_each_check_across_answers_accepts_and_rejects(check: str, exchanges: list[Exchange], key: str | None) -> None:
    found = [f for f in judged(check, exchanges).findings if f.check == check]
    assert [keyed(f) for f in found] == ([key] if key else [])
    for f in found:  # both answers, so that the two can be compared
        assert f.verdict == FAILURE and len(f.curls) == 2


def test_every_check_of_answers_is_tested_both_ways() -> None:
    tested = {(c, k is None) for c, _, k, _ in ONE} | {(c, k is None) for c, _, k in ACROSS}
    for check in (*checks.of(ANSWER, strict=True), *checks.of(ANSWERS)):
        assert {(check.name, True), (check.name, False)} <= tested, check.name


def test_a_page_without_phone_images_is_an_empty_page_and_an_error_is_no_page() -> None:
    assert answer(body={"request_id": "r"}).images == []  # the SDK made phone_images optional
    assert answer(body={"phone_images": None}).images == []
    assert answer(body={"phone_images": "x"}).images is None  # the schema check says why
    assert answer(status=401, body=ERROR).images is None


def test_an_answer_that_judges_nothing_is_given_only_to_the_checks_of_its_shape() -> None:
    """Throttled (429 APIGW.0308) even after waiting, or no answer at all: the run's evidence has neither. A throttled
    answer is still one the spec documents: its status, media type and body are judged, nothing else."""
    throttled = answer("n=1", status=429, body=spec.error_example(429))
    lost = Exchange("GET", URL, VALID, None, {}, None, "unreachable")
    v = judged("", [throttled, lost])
    assert v.findings == () and len(v.unjudged) == 2
    assert {name for name, n in v.judged.items() if n} == {
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "within_the_largest_page",
        "credential_echo",
        "documented_error_code",  # its code, as Huawei's pages give a 429's
        "client_reads",  # what the client makes of it
    }
    html = answer("n=2", status=429, text="<html>slow down</html>", headers={"content-type": "text/html"})
    assert {(f.check, keyed(f)) for f in judged("", [html]).findings} == {
        ("content_type_conformance", "text/html"),
        ("response_schema_conformance", "not-json"),
    }


@pytest.mark.parametrize(
    ("value", "schema", "extra"),
    [
        (EXAMPLE, spec.response_schema(200), set()),
        (page(image(0, size=1)), spec.response_schema(200), {"$.phone_images[].size"}),
        ({**EXAMPLE, "page_info": {"next_marker": "x", "total": 3}}, spec.response_schema(200), {"$.page_info.total"}),
        ({**spec.error_example(403), "detail": "x"}, spec.response_schema(403), {"$.detail"}),
    ],
)
def test_undeclared_fields_walks_refs_items_and_any_of(value: Any, schema: Any, extra: set[str]) -> None:
    from cph_conformance.run.checks.answer import undeclared_fields

    assert undeclared_fields(value, schema) == extra


def test_a_huge_broken_page_is_one_drift_per_way_it_breaks_its_schema() -> None:
    """1,000 images, each without its image_id and with a number for a name: two ways, two drifts (not 2,000), and
    no more of the page's errors read than ERRORS_READ."""
    broken = [{**image(n, image_id=None, image_name=n)} for n in range(1000)]
    drifts = list(checks.every()["response_schema_conformance"].judge(answer(body=page(*broken))))
    assert sorted(d.cause for d in drifts) == ["required@$.phone_images[]", "type@$.phone_images[].image_name"]
