"""The events of a task's stream (`Task.aevents()`), at the official import path `xpander_sdk.models.events`.

`TaskUpdateEvent` is the official envelope: `type`, `task_id`, `organization_id`, `time`, `data`, `identity`.
Unlike the official SDK, which drops them, events of a kind this version does not list are kept: their
`type` is a pseudo-member of `TaskUpdateEventType` whose `.value` is the server's string (see `open_enum`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from attrs import frozen

from . import OpenEnum, open_enum
from ._json import jsonable, parse_datetime

ReadTask = Callable[[dict[str, Any]], Any]
"""What makes the Task of a task event's data (`Task.from_dict`, bound): given by the stream, from the floor
above (this module does not import the Task class)."""


class TaskUpdateEventType(OpenEnum):
    """The kind of a task event, with the official member names. The server adds kinds: unknown values are
    kept (see the module docstring)."""

    Connected = "connected"
    TaskCreated = "task_created"
    TaskUpdated = "task_updated"
    TaskFinished = "task_finished"
    Chunk = "chunk"
    AuthEvent = "auth_event"
    ToolCallRequest = "tool_call_request"
    ToolCallResult = "tool_call_result"
    SubAgentTrigger = "sub_agent_trigger"
    Think = "think"
    Analyze = "analyze"
    PlanUpdated = "plan_updated"
    TaskCompactization = "task_compactization"
    ContextStatus = "context_status"
    AgentGatewayDecision = "agent_gateway_decision"
    ProcessStateChanged = "process_state_changed"
    ProcessUpdate = "process_update"
    GatewaySteerApplied = "gateway_steer_applied"
    AskUserQuestions = "ask_user_questions"
    SubTaskCreated = "sub_task_created"
    SubTaskUpdated = "sub_task_updated"
    SubTaskFinished = "sub_task_finished"
    InviteMember = "invite_member"
    MemberInvited = "member_invited"
    AskForSecret = "ask_for_secret"
    SecretSaved = "secret_saved"
    LiveSurfaceCreated = "live_surface_created"
    InlineCard = "inline_card"


@frozen
class MessageIdentity:
    """Who an event speaks for: a name, and an icon (URL or emoji)."""

    name: str
    icon: str | None = None


class TaskUpdateEvent:
    """One event of a task's stream, with the official fields: `type`, `task_id`, `organization_id`, `time`,
    `data` and `identity`, plus `event_id`, the stream's `id:` for the event (None when the server sends none).

    `data` is a `Task` for `task_created`, `task_updated` and `task_finished` when it holds one (as in the
    official SDK), and the JSON value as sent otherwise (a text chunk, a tool call's dict, None). `time` is None
    when the server sent none that can be read.

    An event read from a stream keeps the JSON it came in and reads each field when it is first asked for (a
    Task in `data` is parsed once, on first access): a stream of thousands of chunks costs little more than
    decoding their JSON. Events are equal when their fields are."""

    __slots__ = ("_data", "_envelope", "_read_task", "_time", "_type", "event_id")

    def __init__(
        self,
        type: TaskUpdateEventType | str,
        task_id: str,
        organization_id: str,
        time: datetime.datetime | None,
        data: Any = None,
        identity: MessageIdentity | None = None,
        event_id: str | None = None,
    ) -> None:
        kind = type.value if isinstance(type, TaskUpdateEventType) else str(type)
        self._envelope: dict[str, Any] = {
            "type": kind,
            "task_id": task_id,
            "organization_id": organization_id,
            "identity": identity,
        }
        self._read_task: ReadTask | None = None
        self._type: Any = _UNREAD
        self._time: Any = time
        self._data: Any = data
        self.event_id = event_id

    @classmethod
    def from_envelope(
        cls, envelope: dict[str, Any], read_task: ReadTask | None = None, event_id: str | None = None
    ) -> TaskUpdateEvent:
        """The event in a decoded envelope whose `type` is a string; `read_task` makes the Task of a task event's
        `data` (an event stream passes `Task.from_dict`, bound to what the task follows; None keeps the JSON)."""
        event = cls.__new__(cls)
        event._envelope, event._read_task, event.event_id, event._time = envelope, read_task, event_id, _UNREAD
        kind = envelope["type"]
        event._type = _MEMBERS.get(kind, _UNREAD)  # a listed kind now (cheap), another on first read
        event._data = _UNREAD if kind in TASK_EVENTS else envelope.get("data")  # a Task is parsed on first read
        return event

    @property
    def type(self) -> TaskUpdateEventType:
        if self._type is _UNREAD:
            self._type = open_enum(TaskUpdateEventType, self._envelope["type"])
        kind: TaskUpdateEventType = self._type
        return kind

    @property
    def task_id(self) -> str:
        return _text(self._envelope.get("task_id"))

    @property
    def organization_id(self) -> str:
        return _text(self._envelope.get("organization_id"))

    @property
    def time(self) -> datetime.datetime | None:
        if self._time is _UNREAD:
            self._time = parse_datetime(self._envelope.get("time"))
        return self._time  # type: ignore[no-any-return]

    @property
    def data(self) -> Any:
        if self._data is _UNREAD:
            self._data = _read_data(self._envelope, self._read_task)
        return self._data

    @property
    def identity(self) -> MessageIdentity | None:
        value = self._envelope.get("identity")
        if isinstance(value, MessageIdentity) or value is None:
            return value
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            return None
        icon = value.get("icon")
        return MessageIdentity(value["name"], icon if isinstance(icon, str) else None)

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data: the official envelope's keys (a Task in `data` by its `to_dict()`, the
        time as ISO-8601), plus `event_id`."""
        data, identity = self.data, self.identity
        return {
            "type": self.type.value,
            "task_id": self.task_id,
            "organization_id": self.organization_id,
            "time": jsonable(self.time),
            "data": data.to_dict() if hasattr(data, "to_dict") else data,
            "identity": None if identity is None else {"name": identity.name, "icon": identity.icon},
            "event_id": self.event_id,
        }

    def _fields(self) -> tuple[Any, ...]:
        return (self.type, self.task_id, self.organization_id, self.time, self.data, self.identity, self.event_id)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaskUpdateEvent):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # unhashable, as the official model (its data is mutable)

    def __reduce__(self) -> tuple[Any, ...]:
        return (TaskUpdateEvent, self._fields())

    def __repr__(self) -> str:
        return (
            f"TaskUpdateEvent(type={self.type.value!r}, task_id={self.task_id!r}, time={self.time!r}, "
            f"data={_short(self.data)})"
        )

    __str__ = __repr__


_MEMBERS: dict[str, TaskUpdateEventType] = {member.value: member for member in TaskUpdateEventType}
_UNREAD: Any = object()
"""A field of an event not read from its JSON yet."""
TASK_EVENTS = frozenset({"task_created", "task_updated", "task_finished"})
"""The kinds whose `data` is the task itself (as in the official SDK: not `task_compactization`)."""


def _read_data(envelope: dict[str, Any], read_task: ReadTask | None) -> Any:
    """The event's data: the Task of a task event when it is one (and `read_task` is given), else the value as
    sent."""
    data = envelope.get("data")
    if read_task is None or envelope["type"] not in TASK_EVENTS or not isinstance(data, dict):
        return data
    try:
        return read_task(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return data


def _text(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _short(value: Any, limit: int = 80) -> str:
    """What a repr shows of an event's data: a Task's own short repr, a JSON object or array by its size only
    (a task payload that did not parse may hold tokens and MCP keys), any other value cut at `limit`."""
    if isinstance(value, dict):
        return f"<object of {len(value)} keys>"
    if isinstance(value, list):
        return f"<array of {len(value)} items>"
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


__all__ = ["MessageIdentity", "TaskUpdateEvent", "TaskUpdateEventType"]
