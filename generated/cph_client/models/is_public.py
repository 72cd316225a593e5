from enum import IntEnum
from typing import Any, ClassVar


class IsPublic(IntEnum):
    PUBLIC = 1
    PRIVATE = 2

    _by_value: ClassVar[dict[Any, "IsPublic"]]

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def from_value(cls, value: Any) -> "IsPublic":
        """The member for value, as IsPublic(value) gives it, without the Enum call's overhead."""
        try:
            return cls._by_value[value]
        except (KeyError, TypeError):
            return cls(value)


IsPublic._by_value = {member.value: member for member in IsPublic}
