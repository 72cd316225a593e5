from enum import StrEnum


class ImageType(StrEnum):
    ALL = "all"
    PRIVATE = "private"
    PUBLIC = "public"
    SHARE = "share"

    def __str__(self) -> str:
        return str(self.value)
