from enum import IntEnum
from typing import Any


class IsPublic(IntEnum):
    PUBLIC = 1
    PRIVATE = 2

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def from_value(cls, value: Any) -> "IsPublic":
        """The member for value, as IsPublic(value) gives it, without the Enum call's overhead."""
        try:
            return _MEMBERS[value]
        except (KeyError, TypeError):
            return cls(value)


_MEMBERS = {member.value: member for member in IsPublic}
