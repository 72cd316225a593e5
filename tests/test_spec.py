"""The spec is valid OpenAPI, holds every fact of Huawei's page, and its example validates."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from cph_conformance import spec
from tests import doc_page

DOC = doc_page.read()


def _resolved_schema(name: str) -> dict[str, Any]:
    """A component schema with its $refs resolvable by jsonschema (OpenAPI 3.0 schemas are close enough)."""
    return {"$ref": f"#/components/schemas/{name}", "components": spec.load()["components"]}


def test_spec_is_valid_openapi() -> None:
    spec_dict, base_uri = read_from_filename(str(spec.SPEC_PATH))
    validate(spec_dict, base_uri=base_uri)
    assert spec_dict["openapi"] == "3.0.3"


def test_the_fast_parser_reads_what_pyyaml_reads() -> None:
    """spec.load() takes libyaml's parser when PyYAML has one: the same document, value for value and type for type."""
    parsed = yaml.safe_load(spec.SPEC_PATH.read_text(encoding="utf-8"))
    assert repr(spec.load()) == repr(parsed)


def test_operation_is_the_documented_one() -> None:
    paths = spec.load()["paths"]
    assert list(paths) == [DOC.path]
    assert list(paths[DOC.path]) == [DOC.method.lower()]
    assert spec.operation()["operationId"] == "ListCloudPhoneImages"


def test_every_documented_image_type_and_no_other() -> None:
    assert spec.enum("ImageType") == DOC.image_types
    assert spec.parameter("image_type")["required"] is False


def test_every_documented_label_with_its_server_flavour() -> None:
    assert spec.enum("ImageLabel") == list(DOC.labels)
    description = spec.schema("ImageLabel")["description"]
    for label, flavour in DOC.labels.items():
        assert f"- {label}: {flavour}" in description


def test_is_public_values_and_names() -> None:
    assert spec.enum("IsPublic") == list(DOC.is_public)
    assert spec.schema("IsPublic")["x-enum-varnames"] == ["PUBLIC", "PRIVATE"]


def test_phone_image_fields_and_byte_limits() -> None:
    props = spec.schema("PhoneImage")["properties"]
    assert set(DOC.phone_image_fields) <= set(props)
    # Every field cites the statements it rests on; those beyond the page cite Huawei's SDK.
    for field, node in props.items():
        kinds = {spec.statements()[c].kind for c in spec.cites(node)}
        assert kinds == ({"page"} if field in DOC.phone_image_fields else {"sdk"}), field
    for field, limit in DOC.max_bytes.items():
        assert props[field]["maxLength"] == limit, field
        assert f"maximum of {limit} bytes" in props[field]["description"], field


def test_auth_header_is_an_api_key_required_on_the_operation() -> None:
    schemes = spec.load()["components"]["securitySchemes"]
    (name,) = schemes
    assert schemes[name] == {**schemes[name], "type": "apiKey", "in": "header", "name": DOC.header}
    assert "X-Subject-Token" in schemes[name]["description"]
    assert spec.operation()["security"] == [{name: []}]


def test_items_not_on_the_page_cite_huaweis_sdk() -> None:
    for node in (spec.parameter("marker"), spec.parameter("limit"), spec.schema("PageInfo")):
        assert {spec.statements()[c].kind for c in spec.cites(node)} == {"sdk"}


def test_the_pages_example_is_the_200_example_and_validates() -> None:
    assert spec.example_response() == DOC.example
    jsonschema.validate(DOC.example, _resolved_schema("ListCloudPhoneImagesResponse"))


@pytest.mark.parametrize("status", sorted(s for s in spec.documented_statuses() if s >= HTTPStatus.BAD_REQUEST))
def test_error_responses_use_huaweis_body(status: int) -> None:
    example = spec.error_example(status)
    jsonschema.validate(example, _resolved_schema("ErrorBody"))
    assert example["error_code"].split(".")[0] in {"CPS", "APIGW"}


def test_schemas_reject_what_the_page_forbids() -> None:
    image = dict(DOC.example["phone_images"][0])
    schema = _resolved_schema("PhoneImage")
    for bad in ({"is_public": 3}, {"is_public": "1"}, {"image_id": "x" * 33}, {"image_name": "n" * 129}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**image, **bad}, schema)
    jsonschema.validate({**image, "image_label": "a_label_added_later"}, schema)  # open enum
