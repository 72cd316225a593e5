"""The generated models' lean from_dict (templates/model.py.jinja) decodes as the generator's own did: typed
fields, the open image_label, additional properties kept, the source left alone; and reprs leave out what is
unset."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cph_client.models import (
    ErrorBody,
    ImageLabel,
    IsPublic,
    ListCloudPhoneImagesResponse,
    PageInfo,
    PhoneImage,
    ReceiveStatus,
)
from cph_client.types import Unset

from cph_conformance import spec
from cph_conformance.mock import catalog

CATALOG = list(catalog.build(catalog.MIN_COVERING).select("all"))
IMAGE = dict(CATALOG[0])
SHARED = next(dict(i) for i in CATALOG if "receive_status" in i)


def test_every_catalog_image_round_trips_and_the_source_is_untouched() -> None:
    page = {"request_id": "r" * 32, "phone_images": CATALOG, "page_info": {"next_marker": "m"}}
    before = copy.deepcopy(page)
    parsed = ListCloudPhoneImagesResponse.from_dict(page)
    assert page == before
    assert parsed.to_dict() == page
    assert isinstance(parsed.phone_images, list)
    for image in parsed.phone_images:
        assert isinstance(image.is_public, IsPublic)
        assert isinstance(image.image_label, ImageLabel)
        assert image.additional_properties == {}
    assert {i.receive_status for i in parsed.phone_images} >= set(ReceiveStatus)


# (id, model, source, additional_properties expected)
EXTRAS: list[tuple[str, type[Any], dict[str, Any], dict[str, Any]]] = [
    ("image-extra", PhoneImage, {**IMAGE, "os_version": "12"}, {"os_version": "12"}),
    ("shared-extra", PhoneImage, {**SHARED, "owner": None}, {"owner": None}),
    ("image-none-optional", PhoneImage, {**IMAGE, "is_support_encrypt": None}, {}),
    ("image-exact", PhoneImage, IMAGE, {}),
    ("page-extra", ListCloudPhoneImagesResponse, {"count": 3}, {"count": 3}),
    ("page-empty", ListCloudPhoneImagesResponse, {}, {}),
    ("page-info-extra", PageInfo, {"next_marker": "m", "total": 9}, {"total": 9}),
    (
        "error-extra",
        ErrorBody,
        {**spec.error_example(401), "encoded_authorization_message": "x"},
        {"encoded_authorization_message": "x"},
    ),
]


@pytest.mark.parametrize(("model", "source", "extra"), [c[1:] for c in EXTRAS], ids=[c[0] for c in EXTRAS])
def test_undeclared_fields_are_kept_and_only_they(
    model: type[Any], source: dict[str, Any], extra: dict[str, Any]
) -> None:
    parsed = model.from_dict(source)
    assert parsed.additional_properties == extra
    # A declared field that is null is read as absent (as Huawei's SDK reads it), and written so.
    assert parsed.to_dict() == {k: v for k, v in source.items() if v is not None or k in extra}


@pytest.mark.parametrize(
    ("model", "source", "absent"),
    [
        (ListCloudPhoneImagesResponse, {"phone_images": None, "request_id": None, "page_info": None}, 3),
        (PageInfo, {"next_marker": None}, 1),
        (PhoneImage, {**IMAGE, "is_support_encrypt": None, "receive_status": None}, 2),
        (ErrorBody, {**spec.error_example(401), "request_id": None}, 1),
    ],
)
def test_a_null_optional_field_is_read_as_an_absent_one(model: type[Any], source: dict[str, Any], absent: int) -> None:
    """As Huawei's SDK reads it (every field of its models defaults to None): a null list is no list to iterate, a
    null object none to read. A required field is read as it came."""
    parsed = model.from_dict(source)
    unset = [k for k, v in source.items() if v is None and isinstance(getattr(parsed, k), Unset)]
    assert len(unset) == absent and parsed.additional_properties == {}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("is_public", 3, ValueError),
        ("is_public", "1", ValueError),
        ("is_public", [1], ValueError),
        ("receive_status", 7, ValueError),
        ("image_id", None, KeyError),  # None here means: the field is missing
        ("is_public", None, KeyError),
        ("image_label", None, KeyError),
    ],
)
def test_a_value_outside_a_closed_enum_or_a_missing_field_raises(
    field: str, value: Any, error: type[Exception]
) -> None:
    source = dict(SHARED)
    if value is None:
        del source[field]
    else:
        source[field] = value
    with pytest.raises(error):
        PhoneImage.from_dict(source)


@pytest.mark.parametrize("label", ["cloud_phone_9000", "", 42, ["x"]])
def test_an_unknown_label_is_kept_as_it_came(label: Any) -> None:
    image = PhoneImage.from_dict({**IMAGE, "image_label": label})
    assert image.image_label == label
    assert not isinstance(image.image_label, ImageLabel)


def test_enum_members_come_back_for_their_values() -> None:
    for enum in (IsPublic, ReceiveStatus, ImageLabel):
        for member in enum:
            assert enum.from_value(member.value) is member
    assert IsPublic.from_value(True) is IsPublic.PUBLIC  # as IsPublic(True) gives it
    with pytest.raises(ValueError, match="is not a valid IsPublic"):
        IsPublic.from_value(0)


def test_reprs_leave_out_unset_fields() -> None:
    page = ListCloudPhoneImagesResponse.from_dict({"phone_images": [IMAGE], "page_info": {}})
    text = repr(page)
    assert "Unset" not in text and "object at 0x" not in text
    assert text.startswith("ListCloudPhoneImagesResponse(phone_images=[PhoneImage(image_name=")
    assert "page_info=PageInfo())" in text
    assert "request_id" not in text and "receive_status" not in text and "additional_properties" not in text
    shared = PhoneImage.from_dict({**SHARED, "os_version": "12"})
    assert "receive_status=<ReceiveStatus." in repr(shared)
    assert repr(shared).endswith("additional_properties={'os_version': '12'})")
    assert repr(PageInfo()) == "PageInfo()"
    assert repr(PageInfo(next_marker="m")) == "PageInfo(next_marker='m')"
