"""The classes of the entries of a task's activity log (see `models.activity`, which reads them and
re-exports them at the official import path), with the official names and fields, in the official order.

Each typed entry keeps the keys this version does not know in `extra` (the official models drop them); `to_dict()`
writes the official model's JSON dump, then those keys.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal, Union

from attrs import define, field, fields

from . import OpenEnum, User
from ._json import jsonable


class _Dumped:
    """What the classes of the log share: `to_dict()`, their fields in the official order (as the official
    model's JSON dump writes them), then their `extra` keys."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The object as JSON-ready data: its fields in the official order, then the keys of `extra`."""
        names = (a.name for a in fields(type(self)))  # type: ignore[arg-type]
        dumped = {name: _dump(getattr(self, name)) for name in names if name not in _NOT_DUMPED}
        dumped.update(getattr(self, "extra", None) or {})
        return dumped


_NOT_DUMPED = frozenset({"extra", "raw"})


def _dump(value: Any) -> Any:
    if isinstance(value, _Dumped):
        return value.to_dict()
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return jsonable(value)


# -- the entries ---------------------------------------------------------------------------------------------------
@define(kw_only=True)
class AgentActivityThreadMessageContent(_Dumped):
    text: str | None = None
    files: list[str] | None = field(factory=list)


@define(kw_only=True)
class AgentActivityThreadMessage(_Dumped):
    """A message of the user or of the agent."""

    id: str
    created_at: datetime.datetime
    role: Literal["user", "agent"]
    content: AgentActivityThreadMessageContent
    sub_execution_result: bool | None = False
    user: User | None = None
    """Who wrote a user message (threads may have several users)."""
    extra: dict[str, Any] = field(factory=dict, repr=False)


@define(kw_only=True)
class ToolCallRequestReasoning(_Dumped):
    """Why a tool (or a sub-agent) was called."""

    title: str | None = None
    description: str | None = None


@define(kw_only=True)
class AgentActivityThreadToolCall(_Dumped):
    id: str
    created_at: datetime.datetime
    tool_name: str
    payload: Any
    is_error: bool | None = False
    reasoning: ToolCallRequestReasoning | None = None
    result: Any = None
    plan_task_id: str | None = None
    extra: dict[str, Any] = field(factory=dict, repr=False)


class AgentActivityThreadReasoningType(OpenEnum):
    Think = "think"
    Analyze = "analyze"


@define(kw_only=True)
class AgentActivityThreadReasoning(_Dumped):
    id: str
    created_at: datetime.datetime
    type: AgentActivityThreadReasoningType
    title: str
    confidence: float
    thought: str | None = None
    action: str | None = None
    result: str | None = None
    analysis: str | None = None
    plan_task_id: str | None = None
    extra: dict[str, Any] = field(factory=dict, repr=False)


@define(kw_only=True)
class AgentActivityThreadSubAgentTrigger(_Dumped):
    id: str
    created_at: datetime.datetime
    agent_id: str
    query: str | None = None
    files: list[str] | None = field(factory=list)
    reasoning: ToolCallRequestReasoning
    plan_task_id: str | None = None
    extra: dict[str, Any] = field(factory=dict, repr=False)


class MCPOAuthResponseType(OpenEnum):
    NOT_SUPPORTED = "not_supported"
    LOGIN_REQUIRED = "login_required"
    TOKEN_ISSUE = "token_issue"  # noqa: S105 - the name of a state, not a secret
    TOKEN_READY = "token_ready"  # noqa: S105 - the name of a state, not a secret


@define(kw_only=True)
class MCPOAuthGetTokenGenericResponse(_Dumped):
    message: str
    server_url: str | None = None
    server_name: str | None = None


@define(kw_only=True)
class MCPOAuthGetTokenLoginRequiredResponse(_Dumped):
    url: str
    server_url: str
    server_name: str


@define(kw_only=True)
class MCPOAuthGetTokenTokenReadyResponse(_Dumped):
    access_token: str = field(repr=False)
    """A secret: never in the repr."""
    server_url: str | None = None
    server_name: str | None = None


@define(kw_only=True)
class MCPOAuthGetTokenResponse(_Dumped):
    """The answer of an MCP server's OAuth token request (the official `tools_repository.models.mcp` model)."""

    type: MCPOAuthResponseType
    data: MCPOAuthGetTokenTokenReadyResponse | MCPOAuthGetTokenLoginRequiredResponse | MCPOAuthGetTokenGenericResponse


@define(kw_only=True)
class AgentActivityThreadAuth(MCPOAuthGetTokenResponse):
    """An MCP authentication step (a login to ask the user for, a token ready or failing)."""

    id: str
    created_at: datetime.datetime
    extra: dict[str, Any] = field(factory=dict, repr=False)


@define(kw_only=True)
class _AgentActivityGatewayBase(_Dumped):
    """What the agent gateway's decisions share."""

    id: str
    created_at: datetime.datetime
    agent_id: str | None = None
    reasoning: str
    title: str = ""
    description: str = ""


@define(kw_only=True)
class AgentActivityThreadGatewayCreateExecution(_AgentActivityGatewayBase):
    action: Literal["create_execution"] = "create_execution"
    created_execution_id: str
    query: str = ""
    is_async: bool | None = False
    extra: dict[str, Any] = field(factory=dict, repr=False)


@define(kw_only=True)
class AgentActivityThreadGatewayAskExecution(_AgentActivityGatewayBase):
    action: Literal["ask_execution"] = "ask_execution"
    created_execution_id: str
    new_input: str
    rejected: str | None = None
    extra: dict[str, Any] = field(factory=dict, repr=False)


@define(kw_only=True)
class AgentActivityThreadGatewayStopExecution(_AgentActivityGatewayBase):
    action: Literal["stop_execution"] = "stop_execution"
    created_execution_id: str
    extra: dict[str, Any] = field(factory=dict, repr=False)


@define(kw_only=True)
class AgentActivityThreadGatewayContinueExecution(_AgentActivityGatewayBase):
    action: Literal["continue_execution"] = "continue_execution"
    created_execution_id: str
    rejected: str | None = None
    extra: dict[str, Any] = field(factory=dict, repr=False)


@define(kw_only=True)
class AgentActivityThreadGatewayExecutionResultEntry(_Dumped):
    created_execution_id: str
    status: str | None = None
    result: str | None = None


@define(kw_only=True)
class AgentActivityThreadGatewayGetExecutionsResult(_AgentActivityGatewayBase):
    action: Literal["get_executions_result"] = "get_executions_result"
    executions: list[AgentActivityThreadGatewayExecutionResultEntry] = field(factory=list)
    extra: dict[str, Any] = field(factory=dict, repr=False)


AgentActivityThreadGatewayDecisionType = Union[  # noqa: UP007 - the official alias, usable at run time
    AgentActivityThreadGatewayCreateExecution,
    AgentActivityThreadGatewayAskExecution,
    AgentActivityThreadGatewayStopExecution,
    AgentActivityThreadGatewayContinueExecution,
    AgentActivityThreadGatewayGetExecutionsResult,
]


@define(kw_only=True, repr=False)
class AgentActivityThreadOtherEntry(_Dumped):
    """An entry of a kind this version does not model (approval cards, questions, secret prompts...), or one no
    class of this version can read: the fields every entry shares when they can be read, the other keys in
    `extra` (also readable as attributes, `entry.action`, as on the official model), and the entry's JSON as it
    came in `raw` (which may not be an object at all). Its repr names its keys, never their values (a secret
    prompt may hold one)."""

    id: str | None = None
    created_at: datetime.datetime | None = None
    agent_id: str | None = None
    extra: dict[str, Any] = field(factory=dict, repr=False)
    raw: Any = None

    def __getattr__(self, name: str) -> Any:
        try:
            extra = object.__getattribute__(self, "extra")
        except AttributeError:  # not built yet (unpickling, copying)
            raise AttributeError(name) from None
        if name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        keys = list(self.extra) if isinstance(self.raw, Mapping) else f"<JSON {type(self.raw).__name__}>"
        return f"AgentActivityThreadOtherEntry(id={self.id!r}, created_at={self.created_at!r}, keys={keys})"


AgentActivityThreadMessageType = Union[  # noqa: UP007 - the official alias, usable at run time
    AgentActivityThreadMessage,
    AgentActivityThreadToolCall,
    AgentActivityThreadReasoning,
    AgentActivityThreadSubAgentTrigger,
    AgentActivityThreadAuth,
    AgentActivityThreadGatewayCreateExecution,
    AgentActivityThreadGatewayAskExecution,
    AgentActivityThreadGatewayStopExecution,
    AgentActivityThreadGatewayContinueExecution,
    AgentActivityThreadGatewayGetExecutionsResult,
    AgentActivityThreadOtherEntry,
]
