from enum import StrEnum


class AgentExecutionStatus(StrEnum):
    COMPLETED = "completed"
    ERROR = "error"
    EXECUTING = "executing"
    FAILED = "failed"
    PAUSED = "paused"
    PENDING = "pending"
    STOPPED = "stopped"

    def __str__(self) -> str:
        return str(self.value)
