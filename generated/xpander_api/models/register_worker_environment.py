from enum import StrEnum


class RegisterWorkerEnvironment(StrEnum):
    LOCAL = "local"
    XPANDER = "xpander"

    def __str__(self) -> str:
        return str(self.value)
