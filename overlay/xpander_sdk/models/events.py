"""The events of a task's stream (`Task.aevents()`), at the official import path `xpander_sdk.models.events`.

`TaskUpdateEvent` is the official envelope: `type`, `task_id`, `organization_id`, `time`, `data`, `identity`.
Unlike the official SDK, which drops them, events of a kind this version does not list are kept: their
`type` is a pseudo-member of `TaskUpdateEventType` whose `.value` is the server's string (see `open_enum`).
"""

from __future__ import annotations

import datetime
from typing import Any

from attrs import frozen

from . import OpenEnum


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


@frozen
class TaskUpdateEvent:
    """One event of a task's stream.

    `data` is a `Task` for `task_created`, `task_updated` and `task_finished` when it holds one (as in the
    official SDK), and the JSON value as sent otherwise (a text chunk, a tool call's dict, None). `time` is None
    when the server sent none that can be read. `event_id` is the stream's `id:` for the event (not part of the
    official envelope; None when the server sends no ids)."""

    type: TaskUpdateEventType
    task_id: str
    organization_id: str
    time: datetime.datetime | None
    data: Any
    identity: MessageIdentity | None = None
    event_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"TaskUpdateEvent(type={self.type.value!r}, task_id={self.task_id!r}, time={self.time!r}, "
            f"data={_short(self.data)})"
        )

    __str__ = __repr__


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
