from enum import StrEnum
from typing import Any


class ImageType(StrEnum):
    ALL = "all"
    PRIVATE = "private"
    PUBLIC = "public"
    SHARE = "share"

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def from_value(cls, value: Any) -> "ImageType":
        """The member for value, as ImageType(value) gives it, without the Enum call's overhead."""
        try:
            return _MEMBERS[value]
        except (KeyError, TypeError):
            return cls(value)


_MEMBERS = {member.value: member for member in ImageType}
