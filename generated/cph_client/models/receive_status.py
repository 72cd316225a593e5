from enum import IntEnum
from typing import Any, ClassVar


class ReceiveStatus(IntEnum):
    PENDING = 0
    ACCEPTED = 1
    REJECTED = 2

    _by_value: ClassVar[dict[Any, "ReceiveStatus"]]

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def from_value(cls, value: Any) -> "ReceiveStatus":
        """The member for value, as ReceiveStatus(value) gives it, without the Enum call's overhead."""
        try:
            return cls._by_value[value]
        except (KeyError, TypeError):
            return cls(value)


ReceiveStatus._by_value = {member.value: member for member in ReceiveStatus}
