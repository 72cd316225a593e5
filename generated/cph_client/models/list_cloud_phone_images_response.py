from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.page_info import PageInfo
    from ..models.phone_image import PhoneImage


T = TypeVar("T", bound="ListCloudPhoneImagesResponse")


@_attrs_define
class ListCloudPhoneImagesResponse:
    """One page of images. Nothing here is required: Huawei's SDK changelog made `request_id` and
    `phone_images` optional to match the live service, which omits them in some answers, and
    `page_info` is absent from the example of Huawei's documentation page.

        Attributes:
            request_id (str | Unset): Specifies the unique request ID.
            phone_images (list[PhoneImage] | Unset): Specifies images of cloud phones.
            page_info (PageInfo | Unset): Pagination state. `next_marker` is absent on the last page.
    """

    request_id: str | Unset = UNSET
    phone_images: list[PhoneImage] | Unset = UNSET
    page_info: PageInfo | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        request_id = self.request_id

        phone_images: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.phone_images, Unset):
            phone_images = []
            for phone_images_item_data in self.phone_images:
                phone_images_item = phone_images_item_data.to_dict()
                phone_images.append(phone_images_item)

        page_info: dict[str, Any] | Unset = UNSET
        if not isinstance(self.page_info, Unset):
            page_info = self.page_info.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if request_id is not UNSET:
            field_dict["request_id"] = request_id
        if phone_images is not UNSET:
            field_dict["phone_images"] = phone_images
        if page_info is not UNSET:
            field_dict["page_info"] = page_info

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.page_info import PageInfo  # noqa: PLC0415
        from ..models.phone_image import PhoneImage  # noqa: PLC0415

        _request_id_value = src_dict.get("request_id", UNSET)
        _request_id_read: Any = UNSET if _request_id_value is None else _request_id_value
        request_id = _request_id_read
        _phone_images_value = src_dict.get("phone_images", UNSET)
        _phone_images_read: Any = UNSET if _phone_images_value is None else _phone_images_value
        _phone_images = _phone_images_read
        phone_images: list[PhoneImage] | Unset = UNSET
        if _phone_images is not UNSET:
            phone_images = []
            for phone_images_item_data in _phone_images:
                phone_images_item = PhoneImage.from_dict(phone_images_item_data)

                phone_images.append(phone_images_item)

        _page_info_value = src_dict.get("page_info", UNSET)
        _page_info_read: Any = UNSET if _page_info_value is None else _page_info_value
        _page_info = _page_info_read
        page_info: PageInfo | Unset
        if isinstance(_page_info, Unset):
            page_info = UNSET
        else:
            page_info = PageInfo.from_dict(_page_info)

        list_cloud_phone_images_response = cls(
            request_id,
            phone_images,
            page_info,
        )

        if len(src_dict) != 0 + (_request_id_value is not UNSET) + (_phone_images_value is not UNSET) + (
            _page_info_value is not UNSET
        ):
            d = {key: value for key, value in src_dict.items() if key not in _DECLARED}
            list_cloud_phone_images_response.additional_properties = d
        return list_cloud_phone_images_response

    def __repr__(self) -> str:
        fields = []
        if self.request_id is not UNSET:
            fields.append(f"request_id={self.request_id!r}")
        if self.phone_images is not UNSET:
            fields.append(f"phone_images={self.phone_images!r}")
        if self.page_info is not UNSET:
            fields.append(f"page_info={self.page_info!r}")
        if self.additional_properties:
            fields.append(f"additional_properties={self.additional_properties!r}")
        return f"ListCloudPhoneImagesResponse({', '.join(fields)})"

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
        "request_id",
        "phone_images",
        "page_info",
    }
)
