from enum import StrEnum


class MCPServerSSOTokenMode(StrEnum):
    ACCESS = "access"
    EXCHANGE = "exchange"
    ID = "id"

    def __str__(self) -> str:
        return str(self.value)
