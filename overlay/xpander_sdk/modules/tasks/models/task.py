"""Compatibility path of the official SDK: `from xpander_sdk.modules.tasks.models.task import AttachmentRef`."""

from ....models import AgentExecutionStatus, AttachmentKind, AttachmentRef
from ....task import HITLRequest as HumanInTheLoopRequest
from ....task import PendingECARequest
from ....task import TaskInput as AgentExecutionInput

__all__ = [
    "AgentExecutionInput",
    "AgentExecutionStatus",
    "AttachmentKind",
    "AttachmentRef",
    "HumanInTheLoopRequest",
    "PendingECARequest",
]
