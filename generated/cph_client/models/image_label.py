from enum import StrEnum


class ImageLabel(StrEnum):
    CLOUD_GAME = "cloud_game"
    CLOUD_GAME_1620 = "cloud_game_1620"
    CLOUD_PHONE = "cloud_phone"
    CLOUD_PHONE_1620 = "cloud_phone_1620"
    QEMU_PHONE = "qemu_phone"

    def __str__(self) -> str:
        return str(self.value)
