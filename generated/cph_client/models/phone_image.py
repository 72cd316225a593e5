from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.image_label import ImageLabel
from ..models.is_public import IsPublic
from ..models.receive_status import ReceiveStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="PhoneImage")
_IsPublic_by_value = IsPublic._by_value
_ImageLabel_by_value = ImageLabel._by_value
_ReceiveStatus_by_value = ReceiveStatus._by_value


@_attrs_define
class PhoneImage:
    """A cloud phone image. The six fields present in every image of the example of Huawei's
    documentation page are required: they are what a caller identifies and picks an image by.
    `is_support_encrypt` and `receive_status` are absent from that example, so they are optional.
    Length limits: the page states them in bytes (`x-max-bytes`); maxLength counts characters,
    which are never fewer than bytes, so it holds too.

        Attributes:
            image_name (str): Specifies the cloud phone image name. The value can contain a maximum of 128 bytes.
            os_type (str): Specifies the image OS type, which can contain a maximum of 16 bytes.
            is_public (IsPublic): Image type
                - 1: public image
                - 2: private image
            os_name (str): Specifies the cloud phone OS, which can contain a maximum of 36 bytes.
            image_label (ImageLabel | str): Specifies the cloud phone specifications to which the image applies (see
                ImageLabel).
                Open: a label this spec does not know is kept as a plain string, so a client does not lose
                the page when Huawei adds a server flavour. The conformance run reports such a label as drift.
            image_id (str): Specifies the unique identifier of the cloud phone image. The value can contain a maximum of 32
                bytes.
            is_support_encrypt (bool | Unset): Specifies whether the current image supports file-level encryption.
            receive_status (ReceiveStatus | Unset): Receive status of an image shared with this project; present on shared
                images only.
                - 0: pending
                - 1: accepted
                - 2: rejected
    """

    image_name: str
    os_type: str
    is_public: IsPublic
    os_name: str
    image_label: ImageLabel | str
    image_id: str
    is_support_encrypt: bool | Unset = UNSET
    receive_status: ReceiveStatus | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image_name = self.image_name

        os_type = self.os_type

        is_public = self.is_public.value

        os_name = self.os_name

        image_label: str
        if isinstance(self.image_label, ImageLabel):
            image_label = self.image_label.value
        else:
            image_label = self.image_label

        image_id = self.image_id

        is_support_encrypt = self.is_support_encrypt

        receive_status: int | Unset = UNSET
        if not isinstance(self.receive_status, Unset):
            receive_status = self.receive_status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "image_name": image_name,
                "os_type": os_type,
                "is_public": is_public,
                "os_name": os_name,
                "image_label": image_label,
                "image_id": image_id,
            }
        )
        if is_support_encrypt is not UNSET:
            field_dict["is_support_encrypt"] = is_support_encrypt
        if receive_status is not UNSET:
            field_dict["receive_status"] = receive_status

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        try:
            is_public = _IsPublic_by_value[src_dict["is_public"]]
        except (KeyError, TypeError):
            is_public = IsPublic(src_dict["is_public"])

        _image_label = src_dict["image_label"]
        image_label: ImageLabel | str
        try:
            image_label = _ImageLabel_by_value[_image_label]
        except (KeyError, TypeError):  # a value the spec does not know yet: kept as it came, as the default does
            image_label = cast(ImageLabel | str, _image_label)

        _is_support_encrypt_value = src_dict.get("is_support_encrypt", UNSET)
        _is_support_encrypt_read: Any = UNSET if _is_support_encrypt_value is None else _is_support_encrypt_value
        is_support_encrypt = _is_support_encrypt_read
        _receive_status_value = src_dict.get("receive_status", UNSET)
        _receive_status_read: Any = UNSET if _receive_status_value is None else _receive_status_value
        _receive_status = _receive_status_read
        receive_status: ReceiveStatus | Unset
        if _receive_status is UNSET:
            receive_status = UNSET
        else:
            try:
                receive_status = _ReceiveStatus_by_value[_receive_status]
            except (KeyError, TypeError):
                receive_status = ReceiveStatus(_receive_status)

        phone_image = cls(
            src_dict["image_name"],
            src_dict["os_type"],
            is_public,
            src_dict["os_name"],
            image_label,
            src_dict["image_id"],
            is_support_encrypt,
            receive_status,
        )

        if len(src_dict) != 6 + (_is_support_encrypt_value is not UNSET) + (_receive_status_value is not UNSET):
            d = {key: value for key, value in src_dict.items() if key not in _DECLARED}
            phone_image.additional_properties = d
        return phone_image

    def __repr__(self) -> str:
        fields = [
            f"image_name={self.image_name!r}",
            f"os_type={self.os_type!r}",
            f"is_public={self.is_public!r}",
            f"os_name={self.os_name!r}",
            f"image_label={self.image_label!r}",
            f"image_id={self.image_id!r}",
        ]
        if self.is_support_encrypt is not UNSET:
            fields.append(f"is_support_encrypt={self.is_support_encrypt!r}")
        if self.receive_status is not UNSET:
            fields.append(f"receive_status={self.receive_status!r}")
        if self.additional_properties:
            fields.append(f"additional_properties={self.additional_properties!r}")
        return f"PhoneImage({', '.join(fields)})"

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties


_DECLARED = frozenset(
    {
        "image_name",
        "os_type",
        "is_public",
        "os_name",
        "image_label",
        "image_id",
        "is_support_encrypt",
        "receive_status",
    }
)
