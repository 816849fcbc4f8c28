from enum import StrEnum


class ThinkMode(StrEnum):
    DEFAULT = "default"
    HARDER = "harder"

    def __str__(self) -> str:
        return str(self.value)
