from enum import StrEnum


class SendWorkerEventType(StrEnum):
    WORKER = "worker"

    def __str__(self) -> str:
        return str(self.value)
