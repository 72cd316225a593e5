from enum import StrEnum
from typing import Any, ClassVar


class ImageType(StrEnum):
    ALL = "all"
    PRIVATE = "private"
    PUBLIC = "public"
    SHARE = "share"

    _by_value: ClassVar[dict[Any, "ImageType"]]

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def from_value(cls, value: Any) -> "ImageType":
        """The member for value, as ImageType(value) gives it, without the Enum call's overhead."""
        try:
            return cls._by_value[value]
        except (KeyError, TypeError):
            return cls(value)


ImageType._by_value = {member.value: member for member in ImageType}
