from enum import IntEnum


class ReceiveStatus(IntEnum):
    PENDING = 0
    ACCEPTED = 1
    REJECTED = 2

    def __str__(self) -> str:
        return str(self.value)
