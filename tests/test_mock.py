"""The mock over real HTTP: Huawei's behaviour and error bodies, from the doc, the SDK and the spec."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import fastjsonschema
import httpx
import jsonschema
import pytest
from connexion import spec as connexion_spec
from connexion.exceptions import InvalidSpecification

from cph_conformance import spec
from cph_conformance.mock import __main__ as mock_main
from cph_conformance.mock import app as mock_app
from cph_conformance.mock import catalog, server, validation
from cph_conformance.mock.server import RunningMock

REQUEST_ID = re.compile(r"[0-9a-f]{32}")
IMAGE_TYPES = [*spec.enum("ImageType"), None]
SMALLEST, LARGEST = spec.limit_bounds()


# One client for the module, its connections reused: httpx.get() builds a client per request (~30 ms each).
HTTP = httpx.Client(timeout=10)


@pytest.fixture(scope="module", autouse=True)
def _close_the_client() -> Iterator[None]:
    yield
    HTTP.close()


def get(mock: RunningMock, token: str | None = "", url: str | None = None, **params: Any) -> httpx.Response:
    headers = {} if token is None else {spec.auth_header(): token or mock.token}
    return HTTP.get(url or mock.images_url, params=params, headers=headers)


def assert_huawei_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """Huawei's error body, with the error_code the spec gives for the status (any APIGW code for one it does not
    document, such as 405)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"request_id", "error_code", "error_msg"}
    if status in spec.documented_statuses():
        assert body["error_code"] == spec.error_example(status)["error_code"]
    else:
        assert body["error_code"].startswith("APIGW.")
    assert REQUEST_ID.fullmatch(body["request_id"])
    assert response.headers[spec.request_id_header()] == body["request_id"]
    return body


def validate(response: httpx.Response) -> dict[str, Any]:
    schema = {**spec.response_schema(response.status_code), "components": spec.load()["components"]}  # type: ignore[dict-item]
    body: dict[str, Any] = response.json()
    jsonschema.validate(body, schema)
    return body


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_no_or_wrong_token_is_401_from_the_gateway(mock: RunningMock, token: str | None) -> None:
    body = assert_huawei_error(get(mock, token=token), 401)
    assert body == {**body, **spec.error_example(401), "request_id": body["request_id"]}


def test_another_project_is_403(mock: RunningMock) -> None:
    other = mock.images_url.replace(mock.project_id, "f" * 32)
    assert_huawei_error(get(mock, url=other), 403)


@pytest.mark.parametrize(
    "params",
    [
        {"image_type": "bogus"},
        {"image_type": ""},
        {"limit": SMALLEST - 1},
        {"limit": LARGEST + 1},
        {"limit": "ten"},
        {"marker": ""},
    ],
)
def test_invalid_parameters_are_400_with_huaweis_body(mock: RunningMock, params: dict[str, Any]) -> None:
    body = assert_huawei_error(get(mock, **params), 400)
    assert "\n" not in body["error_msg"]


def test_unknown_path_is_404_and_wrong_method_405_with_allow(mock: RunningMock) -> None:
    assert_huawei_error(get(mock, url=mock.base_url + "/v1/nothing/here"), 404)
    response = HTTP.post(mock.images_url, headers={spec.auth_header(): mock.token})
    assert_huawei_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_every_answer_has_a_fresh_request_id(mock: RunningMock) -> None:
    ids = set()
    for _ in range(3):
        response = get(mock, limit=1)
        body = validate(response)
        assert REQUEST_ID.fullmatch(body["request_id"])
        assert response.headers[spec.request_id_header()] == body["request_id"]
        ids.add(body["request_id"])
    assert len(ids) == 3


def _all_pages(mock: RunningMock, image_type: str | None, limit: int) -> list[dict[str, Any]]:
    images: list[dict[str, Any]] = []
    marker = None
    for _ in range(1000):
        params: dict[str, Any] = {"limit": limit}
        if image_type:
            params["image_type"] = image_type
        if marker:
            params["marker"] = marker
        page = validate(get(mock, **params))
        assert len(page["phone_images"]) <= limit
        images += page["phone_images"]
        marker = page["page_info"].get("next_marker")
        if not marker:
            return images
    raise AssertionError("pagination did not end")


SELECTS = spec.image_type_selects()
(ALL,) = (image_type for image_type, rule in SELECTS.items() if "union" in rule)


def kind_of(image: dict[str, Any]) -> str:
    """The one image_type, not a union, whose x-selects rule holds for image: a field it carries decides first."""
    carried = [t for t, rule in SELECTS.items() if rule.get("carries") in image]
    (kind,) = carried or [t for t, rule in SELECTS.items() if rule.get("is_public") == image["is_public"]]
    return kind


@pytest.mark.parametrize("image_type", IMAGE_TYPES)
def test_filters_and_pagination(mock: RunningMock, image_type: str | None) -> None:
    images = _all_pages(mock, image_type, limit=7)
    ids = [i["image_id"] for i in images]
    assert len(ids) == len(set(ids))
    assert ids == [i["image_id"] for i in _all_pages(mock, image_type, limit=LARGEST)]
    kinds = [kind_of(i) for i in images]
    rule = SELECTS[image_type or ALL]  # no image_type lists what `all` lists
    if "union" in rule:  # every kind, in the union's order
        assert kinds == sorted(kinds, key=rule["union"].index)
        assert set(kinds) == set(rule["union"])
    else:
        assert set(kinds) == {image_type}
    if "carries" in rule:  # the catalog holds the carried field's every value
        field = spec.deref(spec.schema("PhoneImage")["properties"][rule["carries"]])
        assert {i[rule["carries"]] for i in images} == set(field["enum"])


def test_an_unknown_marker_ends_the_listing(mock: RunningMock) -> None:
    body = validate(get(mock, marker="no-such-image"))
    assert body["phone_images"] == []
    assert "next_marker" not in body["page_info"]


def test_catalog_covers_every_label_kind_and_status() -> None:
    images = catalog.build(catalog.MIN_COVERING)
    public, _ = spec.enum("IsPublic")
    for label in spec.enum("ImageLabel"):
        assert any(i["image_label"] == label and i["is_public"] == public for i in images.public)
        assert any(i["image_label"] == label for i in images.private)
    assert {i["receive_status"] for i in images.shared} == set(spec.enum("ReceiveStatus"))
    assert images.public[:3] == tuple(spec.example_response()["phone_images"])
    big = catalog.build(10_000)
    assert big == catalog.build(10_000) and len(big) == 10_000  # deterministic


def _inlined(node: Any) -> Any:
    """A schema with every local $ref replaced by what it names, as connexion hands schemas to validators."""
    if isinstance(node, dict):
        return {k: _inlined(v) for k, v in spec.deref(node).items()}
    if isinstance(node, list):
        return [_inlined(v) for v in node]
    return node


@pytest.mark.parametrize(
    "drift",
    [{"request_id": 5}, {"phone_images": [{"image_id": "x"}]}, {"phone_images": "none"}, {"page_info": []}],
)
def test_the_compiled_self_validation_rejects_what_the_spec_forbids(drift: dict[str, Any]) -> None:
    check = validation.compiled(_inlined(spec.response_schema(200)))
    check(spec.example_response())
    with pytest.raises(fastjsonschema.JsonSchemaValueException):
        check({**spec.example_response(), **drift})


@pytest.mark.parametrize(("value", "ok"), [("public", True), ("bogus", False), ("", False)])
def test_the_compiled_parameter_check_matches_the_spec(value: str, ok: bool) -> None:
    param = _inlined(spec.parameter("image_type"))
    error = validation.CompiledParameterValidator.validate_parameter("query", value, param)
    assert (error is None) == ok
    if not ok:
        assert error is not None and error.startswith("image_type must be one of")


@pytest.mark.parametrize(
    "query",
    [
        "limit=1&limit=2",
        "image_type=public&image_type=all",
        "limit=1.5",
        "limit=-1",
        "limit=99999999999999999999",
        "marker=%00",
        "marker=%ff%fe",
        "image_type=%00",
        "limit=%20",
        "image_type[]=x",
    ],
)
def test_odd_input_with_the_right_credential_is_answered_or_refused_as_bad_input(mock: RunningMock, query: str) -> None:
    """With the right token and project nothing but the input can be wrong: a page (200) or a 400, never 401,
    403, 404, 429 or a 500."""
    response = HTTP.get(f"{mock.images_url}?{query}", headers={spec.auth_header(): mock.token})
    assert {HTTPStatus.OK, HTTPStatus.BAD_REQUEST} <= spec.documented_statuses()
    if response.status_code == HTTPStatus.OK:
        validate(response)
    else:
        assert_huawei_error(response, HTTPStatus.BAD_REQUEST)


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another socket listens on."""
    with socket.socket() as sock:
        sock.bind((server.HOST, 0))
        sock.listen()
        yield sock.getsockname()[1]


# make mock's settings it cannot use, as options or variables: (argv, env, what its one line names)
REFUSED = [
    ([], {"CPH_MOCK_PORT": "abc"}, "CPH_MOCK_PORT='abc' is not a port number"),
    ([], {"CPH_MOCK_PORT": "70000"}, "CPH_MOCK_PORT='70000' is not a port number"),
    ([], {"CPH_MOCK_PORT": "-1"}, "CPH_MOCK_PORT='-1' is not a port number"),
    (["--port", "x"], {}, "--port='x' is not a port number"),
    ([], {"CPH_MOCK_IMAGES": "2"}, "CPH_MOCK_IMAGES='2' is less than 3"),
    (["--images", "0"], {}, "--images='0' is less than 3"),
    ([], {"CPH_MOCK_FAULT": "nope"}, "CPH_MOCK_FAULT='nope' is not a fault of the mock"),
    ([], {"CPH_MOCK_FAULT": "Bad Fault"}, "CPH_MOCK_FAULT='Bad Fault' is not one of the mock's faults"),
    (["--fault", "pages-skipp"], {}, "--fault='pages-skipp' is not a fault of the mock; did you mean pages-skip?"),
    (["--imges", "5"], {}, "unrecognized arguments: --imges 5"),
]


@pytest.mark.parametrize(("argv", "env", "says"), REFUSED)
def test_a_setting_make_mock_cannot_use_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], env: dict[str, str], says: str
) -> None:
    assert mock_main.main(argv, env) == 2  # returned, not raised: no traceback
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {says}"), line


# What make mock serves for settings it takes: (argv, env, port, images, fault, project, token; "": a random one)
TAKEN = [
    ([], {}, 8080, 60, None, "", ""),
    ([], {"CPH_MOCK_PORT": "0", "CPH_MOCK_IMAGES": "3", "CPH_MOCK_FAULT": "pages-skip"}, 0, 3, "pages-skip", "", ""),
    (["--port", "9", "--images", "7", "--fault", "no-auth"], {"CPH_MOCK_IMAGES": "2"}, 9, 7, "no-auth", "", ""),
    # A fixed project and token, as a report's reproduction starts the mock; the options over the variables.
    (["--project-id", "p1", "--token", "t1"], {"CPH_MOCK_PROJECT_ID": "p0"}, 8080, 60, None, "p1", "t1"),
    ([], {"CPH_MOCK_PROJECT_ID": "p0", "CPH_MOCK_TOKEN": "t0"}, 8080, 60, None, "p0", "t0"),
]


@pytest.mark.parametrize(("argv", "env", "port", "images", "fault", "project", "token"), TAKEN)
def test_make_mock_takes_its_options_over_its_variables(
    argv: list[str], env: dict[str, str], port: int, images: int, fault: str | None, project: str, token: str
) -> None:
    chosen = mock_main.plan(mock_main._parser().parse_args(argv), env)
    assert (chosen.port, chosen.images, chosen.fault) == (port, images, fault)
    assert (chosen.project_id, chosen.token) == (project, token)


def test_a_port_the_mock_cannot_listen_on_is_one_line_naming_where_it_came_from(
    taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert mock_main.main([], {"CPH_MOCK_PORT": str(taken_port)}) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{taken_port}") and "set CPH_MOCK_PORT" in line


def test_connexion_checks_each_spec_the_mock_serves_once_and_refuses_a_bad_one_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks: list[object] = []
    validator = connexion_spec.create_spec_validator

    def counted(raw: object) -> Any:
        checks.append(raw)
        return validator(raw)

    monkeypatch.setattr(connexion_spec, "create_spec_validator", counted)
    settings = mock_app.Settings(project_id="0" * 32, token="t", fault="invalid-image-type-200")  # noqa: S106
    for _ in range(3):
        mock_app.create_app(settings)
    assert len(checks) <= 1  # none if an earlier test served this spec
    monkeypatch.setattr(mock_app, "_served_spec", lambda _fault: {**spec.load(), "info": "no title, no version"})
    for _ in range(2):
        with pytest.raises(InvalidSpecification):
            mock_app.create_app(settings)
