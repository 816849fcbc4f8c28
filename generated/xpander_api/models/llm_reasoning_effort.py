from enum import StrEnum


class LLMReasoningEffort(StrEnum):
    HIGH = "high"
    LOW = "low"
    MEDIUM = "medium"
    X_HIGH = "xhigh"

    def __str__(self) -> str:
        return str(self.value)
