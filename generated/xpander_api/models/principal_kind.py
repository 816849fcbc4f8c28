from enum import StrEnum


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"
    API_KEY = "api_key"
    SLACK = "slack"
    SYSTEM = "system"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
