from enum import StrEnum


class ConversationKind(StrEnum):
    DIRECT = "direct"
    GATEWAY = "gateway"

    def __str__(self) -> str:
        return str(self.value)
