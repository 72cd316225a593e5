from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ErrorBody")


@_attrs_define
class ErrorBody:
    """Huawei's error body. Service errors carry `CPS.xxxx` codes, API Gateway errors `APIGW.xxxx`.
    Example: {"request_id":"aad0860d089c482b943971f802a6718e","error_code":"CPS.0001",
    "error_msg":"No permission to request resources."}

        Attributes:
            error_code (str): The error code, e.g. CPS.0001 or APIGW.0301.
            error_msg (str): What went wrong.
            request_id (str | Unset): The unique request ID.
    """

    error_code: str
    error_msg: str
    request_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error_code = self.error_code

        error_msg = self.error_msg

        request_id = self.request_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "error_code": error_code,
                "error_msg": error_msg,
            }
        )
        if request_id is not UNSET:
            field_dict["request_id"] = request_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        _request_id_value = src_dict.get("request_id", UNSET)
        _request_id_read: Any = UNSET if _request_id_value is None else _request_id_value
        request_id = _request_id_read
        error_body = cls(
            src_dict["error_code"],
            src_dict["error_msg"],
            request_id,
        )

        if len(src_dict) != 2 + (_request_id_value is not UNSET):
            d = {key: value for key, value in src_dict.items() if key not in _DECLARED}
            error_body.additional_properties = d
        return error_body

    def __repr__(self) -> str:
        fields = [
            f"error_code={self.error_code!r}",
            f"error_msg={self.error_msg!r}",
        ]
        if self.request_id is not UNSET:
            fields.append(f"request_id={self.request_id!r}")
        if self.additional_properties:
            fields.append(f"additional_properties={self.additional_properties!r}")
        return f"ErrorBody({', '.join(fields)})"

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
        "error_code",
        "error_msg",
        "request_id",
    }
)
