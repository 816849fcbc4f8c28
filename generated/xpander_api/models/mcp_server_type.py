from enum import StrEnum


class MCPServerType(StrEnum):
    LOCAL = "local"
    REMOTE = "remote"

    def __str__(self) -> str:
        return str(self.value)
