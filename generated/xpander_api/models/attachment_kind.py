from enum import StrEnum


class AttachmentKind(StrEnum):
    ARCHIVE = "archive"
    AUDIO = "audio"
    DOCUMENT = "document"
    IMAGE = "image"
    PDF = "pdf"
    TEXT = "text"
    UNKNOWN = "unknown"
    VIDEO = "video"

    def __str__(self) -> str:
        return str(self.value)
