from enum import IntEnum
from typing import Any


class ReceiveStatus(IntEnum):
    PENDING = 0
    ACCEPTED = 1
    REJECTED = 2

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def from_value(cls, value: Any) -> "ReceiveStatus":
        """The member for value, as ReceiveStatus(value) gives it, without the Enum call's overhead."""
        try:
            return _MEMBERS[value]
        except (KeyError, TypeError):
            return cls(value)


_MEMBERS = {member.value: member for member in ReceiveStatus}
