from enum import StrEnum
from typing import Any, ClassVar


class ImageLabel(StrEnum):
    CLOUD_GAME = "cloud_game"
    CLOUD_GAME_1620 = "cloud_game_1620"
    CLOUD_PHONE = "cloud_phone"
    CLOUD_PHONE_1620 = "cloud_phone_1620"
    QEMU_PHONE = "qemu_phone"

    _by_value: ClassVar[dict[Any, "ImageLabel"]]

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def from_value(cls, value: Any) -> "ImageLabel":
        """The member for value, as ImageLabel(value) gives it, without the Enum call's overhead."""
        try:
            return cls._by_value[value]
        except (KeyError, TypeError):
            return cls(value)


ImageLabel._by_value = {member.value: member for member in ImageLabel}
