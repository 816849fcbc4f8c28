"""Compatibility path of the official SDK: `from xpander_sdk.modules.tasks.models.task import AttachmentRef`."""

from ....models import AgentExecutionStatus, AttachmentKind, AttachmentRef, PendingECARequest
from ....models import HITLRequest as HumanInTheLoopRequest
from ....models import TaskInput as AgentExecutionInput

__all__ = [
    "AgentExecutionInput",
    "AgentExecutionStatus",
    "AttachmentKind",
    "AttachmentRef",
    "HumanInTheLoopRequest",
    "PendingECARequest",
]
