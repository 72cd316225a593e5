from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PageInfo")


@_attrs_define
class PageInfo:
    """Pagination state. `next_marker` is absent on the last page.

    Attributes:
        next_marker (str | Unset): The `marker` that fetches the next page.
    """

    next_marker: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        next_marker = self.next_marker

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if next_marker is not UNSET:
            field_dict["next_marker"] = next_marker

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        _next_marker_value = src_dict.get("next_marker", UNSET)
        _next_marker_read: Any = UNSET if _next_marker_value is None else _next_marker_value
        next_marker = _next_marker_read
        page_info = cls(
            next_marker,
        )

        if len(src_dict) != 0 + (_next_marker_value is not UNSET):
            d = {key: value for key, value in src_dict.items() if key not in _DECLARED}
            page_info.additional_properties = d
        return page_info

    def __repr__(self) -> str:
        fields = []
        if self.next_marker is not UNSET:
            fields.append(f"next_marker={self.next_marker!r}")
        if self.additional_properties:
            fields.append(f"additional_properties={self.additional_properties!r}")
        return f"PageInfo({', '.join(fields)})"

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
        "next_marker",
    }
)
