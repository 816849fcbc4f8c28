"""xpander-tasks: a small, fast, API-compatible client for running tasks on xpander.ai agents.

from xpander_sdk import Tasks
task = await Tasks().acreate(agent_id="agent-123", prompt="Summarize the latest sales report")
print(task.id, task.status.value)
await task.areload()            # or Tasks().aget(task.id); also alist, aupdate, astop
task = await task.await_result(timeout=300)   # follows its events, or polls; `async for e in task.aevents()`

The package is built in floors; a module imports only from the floors below its own (imports inside functions
included; `make lint` checks it with import-linter, see pyproject.toml), and an import inside a function is
there only to save load time, marked `lazy:`. From the top:

- cli (with _cli_args), testing, modules.* and models.<name>: the command line, the testing kit and the
  official SDK's import paths
- _on_task: `@on_task`, `@on_boot`, `@on_shutdown`, the official decorators of agent code
- _worker: `Worker`, which runs a handler for each task the agent controller dispatches
- _worker_session: one run of a worker: its listener, heartbeats, slots and stop, on one event loop
- _worker_run, _worker_link: one task's run on a worker (executing, the handler, the reports), and the worker's
  link to the agent controller (the registration stream, heartbeats, capacity)
- _backend: `Backend`, the official runtime helpers (invoke an agent, report a task run elsewhere)
- _agents: `Agents` and `Agent`, an agent's configuration and the tasks created on it
- _facade: `Tasks`, the facade users call
- _bulk: create then wait, and many at once
- _task_model: `Task` and `TasksListItem`, active records pointing at the requestor they came through
- _task_reports, _task_files: a Task's worker side: its reports (metrics, a task run elsewhere, the deep plan's
  status), and its files and message (`Task.to_message`, `get_human_readable_files`)
- _task_plan: the official deep-plan rules both follow (a result that asks a question, may the task finish)
- _wait: waiting for a task (events, else polls)
- _events: following a task's events
- _requestor: the one low-level client (configuration, pool, options, API key) every call goes through
- _routes, _create_body, _bodies: the API's routes and their request bodies
- the transport: _send (the one call path), _request (what a call is, and its httpx request), _pool (clients,
  fork and exit), _safe_fetch (the guarded fetch of a user-supplied URL, on clients of its own), _aiohttp and
  _httpcore_backend (network layers), _failures (errors), _retry (the one retry rule), _deadline (the one
  deadline mechanism)
- _task_json: reading (and writing) the server's JSON
- configuration, models (enums and value objects): what the user configures and passes
- _checks: every argument check
- exceptions, _constants, _version: the errors and every default
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
    "Agents": "._agents",
    "Agent": "._agents",
    "Backend": "._backend",
    "Worker": "._worker",
    "WorkerStats": "._worker_session",
    "on_task": "._on_task",
    "on_boot": "._on_task",
    "on_shutdown": "._on_task",
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
    "EventStreamError FieldError FileFetchError InternalServerError InvalidArgumentError InvalidResponseError "
    "ModuleException NotFoundError PermissionDeniedError RateLimitError RequestInfo TaskFailedError "
    "UnprocessableEntityError WaitTimeoutError WorkerError"
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
    from ._agents import Agent, Agents
    from ._backend import Backend
    from ._events import AsyncEventStream, EventStream
    from ._facade import Tasks
    from ._on_task import on_boot, on_shutdown, on_task
    from ._task_model import Task, TasksListItem
    from ._worker import Worker
    from ._worker_session import WorkerStats
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
        FileFetchError,
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
        WorkerError,
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
    "Agent",
    "AgentExecutionStatus",
    "Agents",
    "AsyncEventStream",
    "AttachmentKind",
    "AttachmentRef",
    "AuthenticationError",
    "Backend",
    "BadRequestError",
    "Configuration",
    "ConflictError",
    "ConversationKind",
    "DeepPlanning",
    "DeepPlanningTask",
    "EventStream",
    "EventStreamError",
    "FieldError",
    "FileFetchError",
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
    "Worker",
    "WorkerError",
    "WorkerStats",
    "__version__",
    "on_boot",
    "on_shutdown",
    "on_task",
]
