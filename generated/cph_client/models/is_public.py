from enum import IntEnum


class IsPublic(IntEnum):
    PUBLIC = 1
    PRIVATE = 2

    def __str__(self) -> str:
        return str(self.value)
