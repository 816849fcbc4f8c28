from enum import StrEnum


class WorkerEventEvent(StrEnum):
    WORKER_CAPACITY_UPDATE = "worker-capacity-update"
    WORKER_FINISHED = "worker-finished"
    WORKER_HEARTBEAT = "worker-heartbeat"

    def __str__(self) -> str:
        return str(self.value)
