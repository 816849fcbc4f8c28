"""xpander-tasks: a small, fast, API-compatible client for creating tasks on xpander.ai agents.

from xpander_sdk import Tasks
task = await Tasks().acreate(agent_id="agent-123", prompt="Summarize the latest sales report")
print(task.id, task.status.value)
"""

from ._version import __version__
from .configuration import Configuration
from .exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FieldError,
    InternalServerError,
    InvalidArgumentError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from .models import (
    AgentExecutionStatus,
    AttachmentKind,
    AttachmentRef,
    LLMReasoningEffort,
    MCPServerAuthType,
    MCPServerDetails,
    MCPServerSSOTokenMode,
    MCPServerTransport,
    MCPServerType,
    OutputFormat,
    Principal,
    PrincipalKind,
    ThinkMode,
    User,
)
from .task import DeepPlanning, DeepPlanningTask, HITLRequest, PendingECARequest, Task, TaskInput, TokenUsage
from .tasks import Tasks

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AgentExecutionStatus",
    "AttachmentKind",
    "AttachmentRef",
    "AuthenticationError",
    "BadRequestError",
    "Configuration",
    "ConflictError",
    "DeepPlanning",
    "DeepPlanningTask",
    "FieldError",
    "HITLRequest",
    "InternalServerError",
    "InvalidArgumentError",
    "InvalidResponseError",
    "LLMReasoningEffort",
    "MCPServerAuthType",
    "MCPServerDetails",
    "MCPServerSSOTokenMode",
    "MCPServerTransport",
    "MCPServerType",
    "ModuleException",
    "NotFoundError",
    "OutputFormat",
    "PendingECARequest",
    "PermissionDeniedError",
    "Principal",
    "PrincipalKind",
    "RateLimitError",
    "Task",
    "TaskInput",
    "Tasks",
    "ThinkMode",
    "TokenUsage",
    "UnprocessableEntityError",
    "User",
    "__version__",
]
