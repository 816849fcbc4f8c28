from enum import StrEnum


class OutputFormat(StrEnum):
    JSON = "json"
    MARKDOWN = "markdown"
    TEXT = "text"
    VOICE = "voice"

    def __str__(self) -> str:
        return str(self.value)
