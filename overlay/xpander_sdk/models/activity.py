"""A task's activity log (`Task.aget_activity_log()`), at the official import path `xpander_sdk.models.activity`,
with the official class names and fields.

An `AgentActivityThread` holds the task's entries in `messages`, each one of: a message of the user or the
agent, a tool call, a reasoning step, a sub-agent trigger, an MCP authentication step, one of five agent-gateway
decisions, or `AgentActivityThreadOtherEntry`, the catch-all for kinds this version does not model.

`AgentActivityThread.from_dict` reads the server's JSON leniently:

- each entry becomes the class the official SDK's pydantic union picks for it: an entry naming an `action` this
  version does not model is an OtherEntry; otherwise, of the classes whose official model would accept it, the
  one with the most fields set (those of nested objects included), the first listed on a tie (see `_lax`);
- an entry no class accepts (a field of the wrong type, not an object at all) becomes an OtherEntry holding its
  JSON (`raw`), where the official SDK fails the whole thread (its `aget_activity_log` then returns the
  response's text, a str, instead of a thread);
- keys this version does not know are kept in each entry's and the thread's `extra`, as the server sent them (the
  official typed entries drop them); a thread key whose value cannot be read (`created_at`, `messages`, `user`)
  is kept there too, and the field is None (`messages`: []).

Only JSON that is no thread at all is refused: TypeError when it is not an object or its `id` is not a string,
KeyError when it has no `id` (the route turns both into InvalidResponseError).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self

from attrs import define, field

from . import User
from ._activity_entries import (
    AgentActivityThreadAuth,
    AgentActivityThreadGatewayAskExecution,
    AgentActivityThreadGatewayContinueExecution,
    AgentActivityThreadGatewayCreateExecution,
    AgentActivityThreadGatewayDecisionType,
    AgentActivityThreadGatewayExecutionResultEntry,
    AgentActivityThreadGatewayGetExecutionsResult,
    AgentActivityThreadGatewayStopExecution,
    AgentActivityThreadMessage,
    AgentActivityThreadMessageContent,
    AgentActivityThreadMessageType,
    AgentActivityThreadOtherEntry,
    AgentActivityThreadReasoning,
    AgentActivityThreadReasoningType,
    AgentActivityThreadSubAgentTrigger,
    AgentActivityThreadToolCall,
    MCPOAuthGetTokenGenericResponse,
    MCPOAuthGetTokenLoginRequiredResponse,
    MCPOAuthGetTokenResponse,
    MCPOAuthGetTokenTokenReadyResponse,
    MCPOAuthResponseType,
    ToolCallRequestReasoning,
    _AgentActivityGatewayBase,  # noqa: F401 - the official module has it
    _Dumped,
)
from ._lax import (
    REQUIRED,
    Check,
    Field,
    Invalid,
    anything,
    array,
    best,
    boolean,
    literal,
    mapping,
    member,
    model,
    moment,
    number,
    optional,
    read_fields,
    text,
)

Json = Mapping[str, Any]


# -- the thread ----------------------------------------------------------------------------------------------------
@define(kw_only=True, repr=False)
class AgentActivityThread(_Dumped):
    """A task's activity log: its entries in order (`messages`), and the user it belongs to. See the module
    docstring for how the JSON is read."""

    id: str
    created_at: datetime.datetime | None
    """None when the server sent none that can be read (the official model requires one)."""
    messages: list[AgentActivityThreadMessageType] = field(factory=list)
    user: User | None = None
    extra: dict[str, Any] = field(factory=dict, repr=False)
    """Keys this version does not know, and thread keys whose value could not be read, as the server sent them."""

    @classmethod
    def from_dict(cls, data: Json) -> Self:
        """Read a thread's JSON object (see the module docstring). TypeError when it is not an object or its id
        is not a string, KeyError when it has no id; anything else is read, never refused."""
        thread_id = _thread_id(data)
        extra = _unknown(data, _THREAD_KEYS)
        created_at = _lenient(moment, data.get("created_at"), "created_at", extra)
        entries = data.get("messages")
        if isinstance(entries, list | tuple):
            messages = [read_entry(entry) for entry in entries]
        else:
            messages = []
            if entries is not None:
                extra["messages"] = entries
        user = _lenient(_USER, data.get("user"), "user", extra)
        return cls(id=thread_id, created_at=created_at, messages=messages, user=user, extra=extra)

    def __repr__(self) -> str:
        return (
            f"AgentActivityThread(id={self.id!r}, created_at={self.created_at!r}, "
            f"messages=<{len(self.messages)} entries>)"
        )


@define(kw_only=True)
class AgentActivityThreadListItem(_Dumped):
    """A thread in a list of threads: its id and creation time."""

    id: str
    created_at: datetime.datetime | None
    extra: dict[str, Any] = field(factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Json) -> Self:
        """Read one item (as `AgentActivityThread.from_dict` reads a thread)."""
        extra = _unknown(data, frozenset({"id", "created_at"}))
        created_at = _lenient(moment, data.get("created_at"), "created_at", extra)
        return cls(id=_thread_id(data), created_at=created_at, extra=extra)


def _thread_id(data: object) -> str:
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a JSON object, got a JSON {type(data).__name__}")
    thread_id = data["id"]
    if not isinstance(thread_id, str):
        raise TypeError(f"the thread's id must be a string, got {type(thread_id).__name__}")
    return thread_id


def _unknown(data: Json, known: frozenset[str]) -> dict[str, Any]:
    """The keys of `data` outside `known`, in the server's order."""
    return {key: value for key, value in data.items() if key not in known}


def _lenient(check: Check, value: Any, key: str, extra: dict[str, Any]) -> Any:
    """`value` read by `check`; None for null, and for a value that cannot be read (kept in `extra`)."""
    if value is None:
        return None
    try:
        return check(value)[0]
    except Invalid:
        extra[key] = value
        return None


# -- reading an entry as the official pydantic union does ------------------------------------------------------------
def read_entry(value: Any) -> AgentActivityThreadMessageType:
    """The entry `value` (one item of a thread's `messages`), as the class the official SDK picks: see the
    module docstring. Never raises: an entry that cannot be read is an OtherEntry holding it."""
    if isinstance(value, Mapping):
        action = value.get("action")
        if not isinstance(action, str) or action in MODELLED_ACTIONS:
            chosen: tuple[type[Any], dict[str, Any]] | None = None
            most = -1
            for kind, spec in _KINDS:
                try:
                    values, count = read_fields(spec, value)
                except Invalid:
                    continue
                if count > most:
                    chosen, most = (kind, values), count
            if chosen is not None and chosen[0] is not AgentActivityThreadOtherEntry:
                kind, values = chosen
                return kind(**values, extra=_unknown(value, _NAMES[kind]))  # type: ignore[no-any-return]
    return _other(value)


MODELLED_ACTIONS = frozenset(
    {"create_execution", "ask_execution", "stop_execution", "continue_execution", "get_executions_result"}
)
"""The gateway decisions this version models; an entry naming another `action` is an OtherEntry."""


def _other(value: Any) -> AgentActivityThreadOtherEntry:
    """The OtherEntry of `value`: its shared fields where they can be read, every other key (and a shared one
    that cannot be read) in `extra`, and `value` itself in `raw`."""
    if not isinstance(value, Mapping):
        return AgentActivityThreadOtherEntry(raw=value)
    extra = _unknown(value, _SHARED_KEYS)
    read = {key: _lenient(check, value.get(key), key, extra) for key, check in _SHARED.items()}
    return AgentActivityThreadOtherEntry(**read, extra=extra, raw=value)


def _none() -> None:
    return None


def _false() -> bool:
    return False


def _blank() -> str:
    return ""


def _f(name: str, check: Check, default: Any = REQUIRED) -> Field:
    return Field(name, check, default)


_ID_AT = (_f("id", text), _f("created_at", moment))
_OPTIONAL_TEXT = optional(text)
_REASONING = model(
    (_f("title", _OPTIONAL_TEXT, _none), _f("description", _OPTIONAL_TEXT, _none)), ToolCallRequestReasoning
)
_USER_FIELDS = tuple(
    _f(name, check, _none if name != "email" else REQUIRED)
    for name, check in (
        ("id", _OPTIONAL_TEXT),
        ("first_name", _OPTIONAL_TEXT),
        ("last_name", _OPTIONAL_TEXT),
        ("email", text),
        ("additional_attributes", optional(mapping)),
        ("timezone", _OPTIONAL_TEXT),
    )
)
_USER = model(_USER_FIELDS, User)
_CONTENT = model(
    (_f("text", _OPTIONAL_TEXT, _none), _f("files", optional(array(text)), list)), AgentActivityThreadMessageContent
)
_SERVER = (_f("server_url", _OPTIONAL_TEXT, _none), _f("server_name", _OPTIONAL_TEXT, _none))
_TOKEN_DATA = best(
    (
        model((_f("access_token", text), *_SERVER), MCPOAuthGetTokenTokenReadyResponse),
        model(
            (_f("url", text), _f("server_url", text), _f("server_name", text)), MCPOAuthGetTokenLoginRequiredResponse
        ),
        model((_f("message", text), *_SERVER), MCPOAuthGetTokenGenericResponse),
    )
)
_GATEWAY = (
    *_ID_AT,
    _f("agent_id", _OPTIONAL_TEXT, _none),
    _f("reasoning", text),
    _f("title", text, _blank),
    _f("description", text, _blank),
)


def _gateway(action: str, *more: Field) -> tuple[Field, ...]:
    return (*_GATEWAY, _f("action", literal(action), lambda: action), _f("created_execution_id", text), *more)


_EXECUTION_RESULT = model(
    (_f("created_execution_id", text), _f("status", _OPTIONAL_TEXT, _none), _f("result", _OPTIONAL_TEXT, _none)),
    AgentActivityThreadGatewayExecutionResultEntry,
)
_SHARED: dict[str, Check] = {"id": text, "created_at": moment, "agent_id": text}
_SHARED_KEYS = frozenset(_SHARED)
_KINDS: tuple[tuple[type[Any], tuple[Field, ...]], ...] = (
    (
        AgentActivityThreadMessage,
        (
            *_ID_AT,
            _f("role", literal("user", "agent")),
            _f("content", _CONTENT),
            _f("sub_execution_result", optional(boolean), _false),
            _f("user", optional(_USER), _none),
        ),
    ),
    (
        AgentActivityThreadToolCall,
        (
            *_ID_AT,
            _f("tool_name", text),
            _f("payload", anything),
            _f("is_error", optional(boolean), _false),
            _f("reasoning", optional(_REASONING), _none),
            _f("result", anything, _none),
            _f("plan_task_id", _OPTIONAL_TEXT, _none),
        ),
    ),
    (
        AgentActivityThreadReasoning,
        (
            *_ID_AT,
            _f("type", member(AgentActivityThreadReasoningType)),
            _f("title", text),
            _f("confidence", number),
            *(_f(name, _OPTIONAL_TEXT, _none) for name in ("thought", "action", "result", "analysis", "plan_task_id")),
        ),
    ),
    (
        AgentActivityThreadSubAgentTrigger,
        (
            *_ID_AT,
            _f("agent_id", text),
            _f("query", _OPTIONAL_TEXT, _none),
            _f("files", optional(array(text)), list),
            _f("reasoning", _REASONING),
            _f("plan_task_id", _OPTIONAL_TEXT, _none),
        ),
    ),
    (AgentActivityThreadAuth, (_f("type", member(MCPOAuthResponseType)), _f("data", _TOKEN_DATA), *_ID_AT)),
    (
        AgentActivityThreadGatewayCreateExecution,
        _gateway("create_execution", _f("query", text, _blank), _f("is_async", optional(boolean), _false)),
    ),
    (
        AgentActivityThreadGatewayAskExecution,
        _gateway("ask_execution", _f("new_input", text), _f("rejected", _OPTIONAL_TEXT, _none)),
    ),
    (AgentActivityThreadGatewayStopExecution, _gateway("stop_execution")),
    (
        AgentActivityThreadGatewayContinueExecution,
        _gateway("continue_execution", _f("rejected", _OPTIONAL_TEXT, _none)),
    ),
    (
        AgentActivityThreadGatewayGetExecutionsResult,
        (
            *_GATEWAY,
            _f("action", literal("get_executions_result"), lambda: "get_executions_result"),
            _f("executions", array(_EXECUTION_RESULT), list),
        ),
    ),
    (
        AgentActivityThreadOtherEntry,
        tuple(_f(key, optional(check), _none) for key, check in _SHARED.items()),
    ),
)
"""Each class of the official union, in its order, with the fields of its official model."""
_NAMES = {kind: frozenset(f.name for f in spec) for kind, spec in _KINDS}
_THREAD_KEYS = frozenset({"id", "created_at", "messages", "user"})

__all__ = [
    "AgentActivityThread",
    "AgentActivityThreadAuth",
    "AgentActivityThreadGatewayAskExecution",
    "AgentActivityThreadGatewayContinueExecution",
    "AgentActivityThreadGatewayCreateExecution",
    "AgentActivityThreadGatewayDecisionType",
    "AgentActivityThreadGatewayExecutionResultEntry",
    "AgentActivityThreadGatewayGetExecutionsResult",
    "AgentActivityThreadGatewayStopExecution",
    "AgentActivityThreadListItem",
    "AgentActivityThreadMessage",
    "AgentActivityThreadMessageContent",
    "AgentActivityThreadMessageType",
    "AgentActivityThreadOtherEntry",
    "AgentActivityThreadReasoning",
    "AgentActivityThreadReasoningType",
    "AgentActivityThreadSubAgentTrigger",
    "AgentActivityThreadToolCall",
    "MCPOAuthGetTokenGenericResponse",
    "MCPOAuthGetTokenLoginRequiredResponse",
    "MCPOAuthGetTokenResponse",
    "MCPOAuthGetTokenTokenReadyResponse",
    "MCPOAuthResponseType",
    "ToolCallRequestReasoning",
    "User",
]
