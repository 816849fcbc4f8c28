"""xpander-tasks: a small, fast, API-compatible client for running tasks on xpander.ai agents.

from xpander_sdk import Tasks
task = await Tasks().acreate(agent_id="agent-123", prompt="Summarize the latest sales report")
print(task.id, task.status.value)
await task.areload()            # or Tasks().aget(task.id); also alist, aupdate, astop
task = await task.await_result(timeout=300)   # follows its events, or polls; `async for e in task.aevents()`
"""

import importlib as _importlib
import typing as _typing

from ._version import __version__

# Names are loaded on first use (PEP 562), so that `import xpander_sdk` costs next to nothing; the imports
# under TYPE_CHECKING tell type checkers and IDEs what each name is.
_HOMES = {
    "Configuration": ".configuration",
    "Task": "._task_model",
    "TasksListItem": "._task_model",
    "Tasks": "._facade",
    "TaskUpdateEvent": ".models.events",
    "TaskUpdateEventType": ".models.events",
    "MessageIdentity": ".models.events",
    "EventStream": "._events",
    "AsyncEventStream": "._events",
}
_MODELS = (
    "AgentExecutionStatus AttachmentKind AttachmentRef ConversationKind DeepPlanning DeepPlanningTask HITLRequest "
    "LLMReasoningEffort MCPServerAuthType MCPServerDetails MCPServerSSOTokenMode MCPServerTransport MCPServerType "
    "OutputFormat PendingECARequest Principal PrincipalKind TaskInput ThinkMode TokenUsage Tokens User"
)
_EXCEPTIONS = (
    "APIConnectionError APIStatusError APITimeoutError AuthenticationError BadRequestError ConflictError "
    "EventStreamError FieldError InternalServerError InvalidArgumentError InvalidResponseError ModuleException "
    "NotFoundError PermissionDeniedError RateLimitError RequestInfo TaskFailedError UnprocessableEntityError "
    "WaitTimeoutError"
)
_HOMES.update(dict.fromkeys(_MODELS.split(), ".models"))
_HOMES.update(dict.fromkeys(_EXCEPTIONS.split(), ".exceptions"))


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names only (not the helpers this module imports for itself)."""
    return sorted(__all__)


if _typing.TYPE_CHECKING:
    from ._events import AsyncEventStream, EventStream
    from ._facade import Tasks
    from ._task_model import Task, TasksListItem
    from .configuration import Configuration
    from .exceptions import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConflictError,
        EventStreamError,
        FieldError,
        InternalServerError,
        InvalidArgumentError,
        InvalidResponseError,
        ModuleException,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        RequestInfo,
        TaskFailedError,
        UnprocessableEntityError,
        WaitTimeoutError,
    )
    from .models import (
        AgentExecutionStatus,
        AttachmentKind,
        AttachmentRef,
        ConversationKind,
        DeepPlanning,
        DeepPlanningTask,
        HITLRequest,
        LLMReasoningEffort,
        MCPServerAuthType,
        MCPServerDetails,
        MCPServerSSOTokenMode,
        MCPServerTransport,
        MCPServerType,
        OutputFormat,
        PendingECARequest,
        Principal,
        PrincipalKind,
        TaskInput,
        ThinkMode,
        Tokens,
        TokenUsage,
        User,
    )
    from .models.events import MessageIdentity, TaskUpdateEvent, TaskUpdateEventType

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AgentExecutionStatus",
    "AsyncEventStream",
    "AttachmentKind",
    "AttachmentRef",
    "AuthenticationError",
    "BadRequestError",
    "Configuration",
    "ConflictError",
    "ConversationKind",
    "DeepPlanning",
    "DeepPlanningTask",
    "EventStream",
    "EventStreamError",
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
    "MessageIdentity",
    "ModuleException",
    "NotFoundError",
    "OutputFormat",
    "PendingECARequest",
    "PermissionDeniedError",
    "Principal",
    "PrincipalKind",
    "RateLimitError",
    "RequestInfo",
    "Task",
    "TaskFailedError",
    "TaskInput",
    "TaskUpdateEvent",
    "TaskUpdateEventType",
    "Tasks",
    "TasksListItem",
    "ThinkMode",
    "TokenUsage",
    "Tokens",
    "UnprocessableEntityError",
    "User",
    "WaitTimeoutError",
    "__version__",
]
