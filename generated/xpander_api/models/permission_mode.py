from enum import StrEnum


class PermissionMode(StrEnum):
    FULL = "full"
    GATED = "gated"

    def __str__(self) -> str:
        return str(self.value)
