"""`Task` and `TasksListItem`: what the task routes return, with the official SDK's field names and Python types,
and the official methods that follow a task (`areload`, `astop`, `asave`, ...) through the `Tasks` that made it.

Parsed straight from the JSON object, leniently, as openapi.yaml's `Task` schema says: only `id`,
`agent_id`, `organization_id`, `input` and `created_at` are required; any other field may be missing or null
and gets the official default; an enum value this version does not list yet becomes a pseudo-member (see
`models.open_enum`) instead of an error; timestamps are read with `datetime.fromisoformat`, falling back on
dateutil's lenient `isoparse` for the forms it does not take; keys this version does not know are kept in
`extra`. The generated `xpander_api.models.Task` reads the same JSON through the spec; a differential test
holds the two to the same answers. This parser exists because it is five times faster, and a create pays for
it on every call.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Self, TypeVar

import attrs
from attrs import define, field, fields

from .exceptions import InvalidArgumentError
from .models import (
    AgentExecutionStatus,
    AttachmentKind,
    AttachmentRef,
    ConversationKind,
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
    coerced_transport,
    open_enum,
    to_enum,
)

if TYPE_CHECKING:
    from typing import Unpack

    from ._events import AsyncEventStream, EventStream, Follower
    from .configuration import Configuration
    from .tasks import RequestOptions, Tasks

E = TypeVar("E", bound=StrEnum)
Json = Mapping[str, Any]


def _enum(enum: type[E], value: object) -> E | None:
    return None if value is None else open_enum(enum, str(value))


def _enum_or(enum: type[E], value: object, default: E) -> E:
    """The enum value, or `default` when absent or null (an empty string is a value: it is kept)."""
    member = _enum(enum, value)
    return default if member is None else member


def parse_datetime(value: object) -> datetime.datetime | None:
    """An ISO-8601 timestamp (with or without a zone) or, as pydantic reads it, a number of seconds since the
    epoch (milliseconds above 2e10), as a datetime; None when absent or unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        pass
    from dateutil.parser import isoparse  # noqa: PLC0415 - only for the forms fromisoformat does not take

    try:
        return isoparse(value)
    except (ValueError, OverflowError):
        pass
    try:
        return _from_epoch(float(value))
    except ValueError:
        return None


def _from_epoch(seconds: float) -> datetime.datetime | None:
    if abs(seconds) > 2e10:
        seconds /= 1000
    try:
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _int_or(value: object, default: int) -> Any:
    """`value`, or `default` when absent or null (0 is a value)."""
    return default if value is None else value


def _lowered(value: object) -> str | None:
    """The official Task's rule for `harness_cli` and `permission_mode`: stripped and lower-cased, blank is None."""
    return None if value is None else (str(value).strip().lower() or None)


def _object(value: object) -> Json:
    """A nested JSON object, or {} for null; TypeError for anything else (the response is not a task)."""
    if type(value) is dict:  # what json.loads makes: decided without the Mapping ABC's slower check
        return value
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _objects(value: object) -> list[Json]:
    return [_object(item) for item in value or ()]  # type: ignore[attr-defined]


@define(kw_only=True)
class TaskInput:
    """The input of a task as the server stored it."""

    text: str = ""
    files: list[str] = field(factory=list)
    attachments: list[AttachmentRef] = field(factory=list)
    user: User | None = None
    principal: Principal | None = None


@define(kw_only=True)
class HITLRequest:
    """A human-in-the-loop request the task waits on."""

    wait_node_id: str | None = None


@define(kw_only=True)
class PendingECARequest:
    """A request for the user to connect an external account before the task goes on."""

    connector_name: str | None = None
    auth_url: str | None = None


@define(kw_only=True)
class DeepPlanningTask:
    """One step of a deep plan."""

    id: str | None = None
    title: str | None = None
    completed: bool = False


@define(kw_only=True)
class DeepPlanning:
    """The deep-planning state of a task."""

    enabled: bool = False
    enforce: bool = False
    started: bool = False
    question_raised: bool = False
    tasks: list[DeepPlanningTask] = field(factory=list)


@define(kw_only=True)
class TokenUsage:
    """Token usage of a task (with `return_metrics=True`)."""

    completion_tokens: int = 0
    prompt_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.completion_tokens + self.prompt_tokens


Tokens = TokenUsage
"""The official SDK's name for a task's token usage (`xpander_sdk.Tokens`, `xpander_sdk.models.shared.Tokens`)."""


class _Bound:
    """What a Task and a TasksListItem share: the `Tasks` (configuration and connection pool) that made them,
    kept out of repr, equality, copies and pickles (a connection pool does not travel). `bind()` gives one to
    an object built by hand."""

    __slots__ = ()
    _owner: Tasks | None

    def bind(self, tasks: Tasks | None) -> Self:
        """Follow this object through `tasks` from now on (None: a default `Tasks()`); returns self."""
        object.__setattr__(self, "_owner", tasks)
        return self

    @property
    def configuration(self) -> Configuration | None:
        """The configuration of the `Tasks` this object follows, or None when it has none."""
        return None if self._owner is None else self._owner.configuration

    def _tasks(self, configuration: Configuration | None = None) -> Tasks:
        from .tasks import Tasks  # noqa: PLC0415 - tasks imports this module's names lazily, never at load

        if configuration is None and self._owner is not None:
            return self._owner
        return Tasks.on_shared_pool(configuration)

    def __getstate__(self) -> dict[str, Any]:
        return {a.name: getattr(self, a.name) for a in fields(type(self)) if a.name != "_owner"}  # type: ignore[arg-type]

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_owner", None)


@define(kw_only=True, repr=False, getstate_setstate=False)
class Task(_Bound):
    """A task (agent execution) as the server returned it. `task.status.value` is always a string, even for a
    state this version does not know. Secrets the server echoes (`user_oidc_token`, `user_tokens`, MCP keys)
    never appear in its repr.

    A Task that a call returned follows the `Tasks` that made it: `await task.areload()`, `task.stop()` use
    its configuration and connections. The methods that change the task in place (`areload`, `astop`,
    `asave`, `aset_status`) return the task itself."""

    id: str
    agent_id: str
    organization_id: str
    input: TaskInput
    created_at: datetime.datetime
    status: AgentExecutionStatus = AgentExecutionStatus.Pending
    internal_status: str | None = None
    last_executed_node_id: str | None = None
    agent_version: str | None = None
    started_at: datetime.datetime | None = None
    paused_at: datetime.datetime | None = None
    finished_at: datetime.datetime | None = None
    result: str | None = None
    parent_execution: str | None = None
    conversation_id: str | None = None
    conversation_kind: str | None = None
    sub_executions: list[str] = field(factory=list)
    should_update_parent: bool = False
    is_manually_stopped: bool = False
    payload_extension: dict[str, Any] | None = None
    execution_kind: str | None = None
    hitl_request: HITLRequest | None = None
    pending_eca_request: PendingECARequest | None = None
    source: str | None = None
    voice_id: str | None = None
    output_format: OutputFormat | None = None
    output_schema: dict[str, Any] | None = None
    events_streaming: bool = False
    is_orchestration: bool = False
    is_gateway: bool = False
    is_app: bool = False
    background_auth_eligible: bool = False
    additional_context: str | None = None
    tool_call_limit: int | None = None
    instructions_override: str | None = None
    test_run_node_id: str | None = None
    user_oidc_token: str | None = None
    expected_output: str | None = None
    mcp_servers: list[MCPServerDetails] = field(factory=list)
    triggering_agent_id: str | None = None
    title: str | None = None
    think_mode: ThinkMode = ThinkMode.Default
    disable_attachment_injection: bool = False
    user_tokens: dict[str, Any] | None = None
    deep_planning: DeepPlanning | None = field(factory=DeepPlanning)
    """As in the official SDK: a DeepPlanning with its defaults when the server sent none, None for a null."""
    must_deep_plan: bool = False
    execution_attempts: int = 1
    return_metrics: bool = False
    llm_model_provider: str | None = None
    llm_model_name: str | None = None
    llm_reasoning_effort: LLMReasoningEffort | None = None
    harness_cli: str | None = None
    permission_mode: str | None = None
    tokens: TokenUsage | None = None
    used_tools: list[str] = field(factory=list)
    duration: float = 0.0
    """Seconds the task ran (`asave` sends it as a float, also when set to an int: the official model's type)."""
    updated_at: datetime.datetime | None = None
    worker_id: str | None = None
    finished_sub_executions: list[str] = field(factory=list)
    used_mutating_tools: bool = False
    is_continuous: bool = False
    extra: dict[str, Any] = field(factory=dict)
    """Keys the server sent that this version does not know, as they came."""
    _owner: Tasks | None = field(default=None, init=False, repr=False, eq=False)

    def __repr__(self) -> str:
        created = self.created_at.isoformat()
        return (
            f"Task(id={self.id!r}, agent_id={self.agent_id!r}, status={self.status.value!r}, "
            f"created_at={created!r}, title={self.title!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_dict(cls, data: Json) -> Task:
        """Parse the JSON object of a task. KeyError when a required key is missing; TypeError or ValueError
        when a required value cannot be read."""
        get = data.get
        created_at = parse_datetime(data["created_at"])
        if created_at is None:
            raise ValueError(f"created_at is not an ISO-8601 date-time: {data['created_at']!r}")
        return cls(
            id=data["id"],
            agent_id=data["agent_id"],
            organization_id=data["organization_id"],
            input=_task_input(_object(data["input"])),
            created_at=created_at,
            status=_enum_or(AgentExecutionStatus, get("status"), AgentExecutionStatus.Pending),
            internal_status=get("internal_status"),
            last_executed_node_id=get("last_executed_node_id"),
            agent_version=get("agent_version"),
            started_at=parse_datetime(get("started_at")),
            paused_at=parse_datetime(get("paused_at")),
            finished_at=parse_datetime(get("finished_at")),
            result=get("result"),
            parent_execution=get("parent_execution"),
            conversation_id=get("conversation_id"),
            conversation_kind=get("conversation_kind"),
            sub_executions=list(get("sub_executions") or ()),
            should_update_parent=bool(get("should_update_parent")),
            is_manually_stopped=bool(get("is_manually_stopped")),
            payload_extension=get("payload_extension"),
            execution_kind=get("execution_kind"),
            hitl_request=_hitl_request(get("hitl_request")),
            pending_eca_request=_pending_eca_request(get("pending_eca_request")),
            source=get("source"),
            voice_id=get("voice_id"),
            output_format=_enum(OutputFormat, get("output_format")),
            output_schema=get("output_schema"),
            events_streaming=bool(get("events_streaming")),
            is_orchestration=bool(get("is_orchestration")),
            is_gateway=bool(get("is_gateway")),
            is_app=bool(get("is_app")),
            background_auth_eligible=bool(get("background_auth_eligible")),
            additional_context=get("additional_context"),
            tool_call_limit=get("tool_call_limit"),
            instructions_override=get("instructions_override"),
            test_run_node_id=get("test_run_node_id"),
            user_oidc_token=get("user_oidc_token"),
            expected_output=get("expected_output"),
            mcp_servers=[_mcp_server(server) for server in _objects(get("mcp_servers"))],
            triggering_agent_id=get("triggering_agent_id"),
            title=get("title"),
            think_mode=_enum_or(ThinkMode, get("think_mode"), ThinkMode.Default),
            disable_attachment_injection=bool(get("disable_attachment_injection")),
            user_tokens=get("user_tokens"),
            deep_planning=_deep_planning(data["deep_planning"]) if "deep_planning" in data else DeepPlanning(),
            must_deep_plan=bool(get("must_deep_plan")),
            execution_attempts=_int_or(get("execution_attempts"), 1),
            return_metrics=bool(get("return_metrics")),
            llm_model_provider=get("llm_model_provider"),
            llm_model_name=get("llm_model_name"),
            llm_reasoning_effort=_enum(LLMReasoningEffort, get("llm_reasoning_effort")),
            harness_cli=_lowered(get("harness_cli")),
            permission_mode=_lowered(get("permission_mode")),
            tokens=_tokens(get("tokens")),
            used_tools=list(get("used_tools") or ()),
            duration=float(get("duration") or 0.0),
            updated_at=parse_datetime(get("updated_at")),
            worker_id=get("worker_id"),
            finished_sub_executions=list(get("finished_sub_executions") or ()),
            used_mutating_tools=bool(get("used_mutating_tools")),
            is_continuous=bool(get("is_continuous")),
            extra=_extra(data),
        )

    # -- following the task (the official methods) ------------------------------------------------------------
    @property
    def is_terminal(self) -> bool:
        """True once the task has finished: completed, failed, error or stopped. A status this version does not
        know counts as finished when the server has set `finished_at`."""
        listed = _LISTED_STATUSES.get(self.status.value)  # by value: a new state may be spelled like a name
        if listed is not None:
            return listed.is_terminal
        return self.finished_at is not None

    @classmethod
    async def aload(
        cls, task_id: str, configuration: Configuration | None = None, **options: Unpack[RequestOptions]
    ) -> Task:
        """The task `task_id`, read with `configuration` (default: the environment's, on the shared pool)."""
        from .tasks import Tasks  # noqa: PLC0415

        return await Tasks.on_shared_pool(configuration).aget(task_id, **options)

    @classmethod
    def load(cls, task_id: str, configuration: Configuration | None = None, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `aload`."""
        from .tasks import Tasks  # noqa: PLC0415

        return Tasks.on_shared_pool(configuration).get(task_id, **options)

    async def areload(self, **options: Unpack[RequestOptions]) -> Task:
        """Read the task again and update this object in place; returns it. As in the official SDK, a local
        deep plan and additional context are kept when the server sends them empty."""
        return self._refresh(await self._tasks().aget(self.id, **options), keep_local_plan=True)

    def reload(self, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `areload` (the official one returns None; this returns the task)."""
        return self._refresh(self._tasks().get(self.id, **options), keep_local_plan=True)

    async def astop(self, **options: Unpack[RequestOptions]) -> Task:
        """Stop the task and update this object from the server's answer; returns it."""
        return self._refresh(await self._tasks().astop(self.id, **options))

    def stop(self, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `astop`."""
        return self._refresh(self._tasks().stop(self.id, **options))

    # -- events and waiting --------------------------------------------------------------------------------------
    def aevents(self, *, read_timeout: float | None = None, max_reconnects: int | None = None) -> AsyncEventStream:
        """The task's events as they arrive (`async for event in task.aevents()`); the iteration ends after the
        final event (`task_finished`). A stream that drops, or stays silent (no event, no heartbeat) for
        `read_timeout` seconds (default 60), is resumed from the last event received, up to `max_reconnects`
        times in a row (default 5) before EventStreamError. For a task created without
        `events_streaming=True` this raises InvalidArgumentError (also a ValueError) at once."""
        from ._events import AsyncEventStream  # noqa: PLC0415 - loads httpx-sse on first use

        return AsyncEventStream(self._follower(read_timeout, max_reconnects))

    def events(self, *, read_timeout: float | None = None, max_reconnects: int | None = None) -> EventStream:
        """The sync twin of `aevents`: each event is yielded as it arrives (on the sync client, no event loop)."""
        from ._events import EventStream  # noqa: PLC0415

        return EventStream(self._follower(read_timeout, max_reconnects))

    def _follower(self, read_timeout: float | None, max_reconnects: int | None) -> Follower:
        from ._events import Follower, check_stream_options  # noqa: PLC0415

        if self.events_streaming is not True:
            raise InvalidArgumentError(
                "events_streaming",
                f"Task {self.id} was created without events_streaming=True, so it has no event stream: create it "
                f"with events_streaming=True, or wait for it with await_result()/wait(), which poll its status",
            )
        read, reconnects = check_stream_options(read_timeout, max_reconnects)
        return Follower(
            self._tasks(), self.id, read_timeout=read, max_reconnects=reconnects, organization_id=self.organization_id
        )

    async def await_result(self, timeout: float | None = None, *, raise_on_failure: bool = False) -> Task:
        """Wait until the task has finished and return it (this object, refreshed). It follows the task's
        events when it streams them, else polls its status (0.5 s, doubled up to 5 s). `timeout` (default 600 s)
        covers every request, reconnect and sleep: past it, WaitTimeoutError carries the last state seen. A
        failed, error or stopped task is returned, unless `raise_on_failure=True` (TaskFailedError)."""
        from . import _wait  # noqa: PLC0415

        seconds, raising = _wait.check_wait_timeout(timeout), _wait.check_flag(raise_on_failure, "raise_on_failure")
        return await _wait.await_result(self, seconds, raising)

    def wait(self, timeout: float | None = None, *, raise_on_failure: bool = False) -> Task:
        """The sync twin of `await_result`."""
        from . import _wait  # noqa: PLC0415

        seconds, raising = _wait.check_wait_timeout(timeout), _wait.check_flag(raise_on_failure, "raise_on_failure")
        return _wait.wait(self, seconds, raising)

    async def asave(self, with_deep_plan_update: bool = False, **options: Unpack[RequestOptions]) -> Task:
        """Send the whole task to the server (as the official SDK does, secrets it holds included) and update
        this object from the answer, keeping a local deep plan and additional context the answer lacks (as the
        official SDK does); returns it. `with_deep_plan_update=True` sends the deep plan too."""
        saved = await self._tasks()._asave_task(self, with_deep_plan_update, **options)
        return self._refresh(saved, keep_local_plan=True)

    def save(self, with_deep_plan_update: bool = False, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `asave`."""
        return self._refresh(self._tasks()._save_task(self, with_deep_plan_update, **options), keep_local_plan=True)

    async def aset_status(
        self, status: AgentExecutionStatus | str, result: str | None = None, **options: Unpack[RequestOptions]
    ) -> Task:
        """Set the status (and the result) and save the task; returns it."""
        self._set_status(status, result)
        return await self.asave(**options)

    def set_status(
        self, status: AgentExecutionStatus | str, result: str | None = None, **options: Unpack[RequestOptions]
    ) -> Task:
        """The sync twin of `aset_status`."""
        self._set_status(status, result)
        return self.save(**options)

    def _set_status(self, status: AgentExecutionStatus | str, result: str | None) -> None:
        self.status = to_enum(AgentExecutionStatus, status, "status")
        self.result = result

    def _refresh(self, fresh: Task, *, keep_local_plan: bool = False) -> Task:
        """This task with every field of `fresh` (the server's answer), keeping the Tasks it follows."""
        kept: dict[str, object] = {}
        if keep_local_plan:
            if self.deep_planning is not None and self.deep_planning.tasks and not _has_plan(fresh.deep_planning):
                kept["deep_planning"] = self.deep_planning
            if self.additional_context and not fresh.additional_context:
                kept["additional_context"] = self.additional_context
        for attribute in fields(Task):
            if attribute.name != "_owner":
                object.__setattr__(self, attribute.name, kept.get(attribute.name, getattr(fresh, attribute.name)))
        return self

    def to_save_body(self, with_deep_plan_update: bool = False) -> dict[str, Any]:
        """The body of `asave`, key for key what the official SDK sends: the official fields in its order,
        nulls included, `deep_planning` only with `with_deep_plan_update`; no field it does not know."""
        body = {}
        for key in SAVE_KEYS:
            body[key] = _jsonable(getattr(self, key))
            if key == "user_tokens" and with_deep_plan_update:
                body["deep_planning"] = _jsonable(self.deep_planning)
        if isinstance(self.duration, int) and not isinstance(self.duration, bool):
            body["duration"] = float(self.duration)  # the official float field writes 3 as 3.0
        return body

    def to_dict(self) -> dict[str, Any]:
        """The task as JSON-ready data: every field in the official model's order (enums as their values,
        date-times as ISO-8601 strings), then the keys this version does not know, as the server sent them. It
        holds the secrets the server echoed (`secret_values()`): do not log it as it is."""
        return _dump(self)

    def secret_values(self) -> list[object]:
        """The secrets this task holds (sent back by `asave`): the OIDC token, user tokens, MCP keys."""
        from ._request import mcp_secrets  # noqa: PLC0415

        return [self.user_oidc_token, *(self.user_tokens or {}).values(), *mcp_secrets(self.mcp_servers)]


_LISTED_STATUSES = {member.value: member for member in AgentExecutionStatus}


def _has_plan(plan: DeepPlanning | None) -> bool:
    return plan is not None and bool(plan.tasks)


_SAVE_KEYS_TEXT = (
    "id agent_id organization_id input status internal_status last_executed_node_id agent_version created_at "
    "started_at paused_at finished_at result parent_execution conversation_id conversation_kind sub_executions "
    "should_update_parent is_manually_stopped payload_extension execution_kind hitl_request pending_eca_request "
    "source voice_id output_format output_schema events_streaming is_orchestration is_gateway is_app "
    "background_auth_eligible additional_context tool_call_limit instructions_override test_run_node_id "
    "user_oidc_token expected_output mcp_servers triggering_agent_id title think_mode disable_attachment_injection "
    "user_tokens must_deep_plan execution_attempts return_metrics llm_model_provider llm_model_name "
    "llm_reasoning_effort harness_cli permission_mode tokens used_tools duration"
)
SAVE_KEYS = tuple(_SAVE_KEYS_TEXT.split())
"""The 55 keys of the official `Task.asave` body, in its order."""
_USER_KEYS = ("id", "first_name", "last_name", "email", "additional_attributes", "timezone")


def _jsonable(value: Any) -> Any:
    """`value` as the official SDK's pydantic dump writes it: enums as values, date-times as ISO-8601 with `Z`
    for UTC, nested objects as dicts in their fields' order (`input.user` in the official order)."""
    if isinstance(value, float | int | str | bool) or value is None:
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if attrs.has(type(value)):
        return _object_dump(value)
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value  # anything else is left for the JSON check of the save call to refuse, naming the task


def _dump(value: Task | TasksListItem) -> dict[str, Any]:
    """`to_dict` of a Task or a TasksListItem: its fields, then its `extra` keys."""
    dump = {a.name: _jsonable(getattr(value, a.name)) for a in fields(type(value)) if a.name not in _NOT_DUMPED}
    dump.update(value.extra)
    return dump


_NOT_DUMPED = frozenset({"extra", "_owner"})


def _object_dump(value: Any) -> dict[str, Any]:
    if isinstance(value, User):
        return {key: _jsonable(getattr(value, key)) for key in _USER_KEYS}
    dump = {a.name: _jsonable(getattr(value, a.name)) for a in fields(type(value))}
    if isinstance(value, TokenUsage):
        dump["total_tokens"] = value.total_tokens
    return dump


_KNOWN_KEYS = frozenset(attribute.name for attribute in fields(Task)) - {"extra", "_owner"}


def _extra(data: Json, known: frozenset[str] = _KNOWN_KEYS) -> dict[str, Any]:
    """The keys this version does not know, in the server's order (the set difference runs in C; usually empty)."""
    unknown = data.keys() - known
    return {key: value for key, value in data.items() if key in unknown} if unknown else {}


def _task_input(data: Json) -> TaskInput:
    user, principal = data.get("user"), data.get("principal")
    return TaskInput(
        text=data.get("text") or "",
        files=list(data.get("files") or ()),
        attachments=[_attachment(item) for item in _objects(data.get("attachments"))],
        user=None if user is None else _user(_object(user)),
        principal=None if principal is None else _principal(_object(principal)),
    )


def _user(data: Json) -> User:
    return User(
        email=data.get("email") or "",
        id=data.get("id"),
        first_name=data.get("first_name"),
        last_name=data.get("last_name"),
        additional_attributes=data.get("additional_attributes"),
        timezone=data.get("timezone"),
    )


def _principal(data: Json) -> Principal:
    return Principal(
        kind=_enum_or(PrincipalKind, data.get("kind"), open_enum(PrincipalKind, "")),
        id=data.get("id") or "",
        email=data.get("email"),
        display_name=data.get("display_name"),
    )


def _attachment(data: Json) -> AttachmentRef:
    return AttachmentRef(
        url=data.get("url") or "",
        name=data.get("name"),
        mime=data.get("mime"),
        size=data.get("size"),
        kind=_enum(AttachmentKind, data.get("kind")),
        sha256=data.get("sha256"),
        expires_at=data.get("expires_at"),
        source=data.get("source"),
        transcript=data.get("transcript"),
    )


def _mcp_server(data: Json) -> MCPServerDetails:
    server = MCPServerDetails(
        id=data.get("id"),
        type=_enum_or(MCPServerType, data.get("type"), MCPServerType.Remote),
        name=data.get("name"),
        command=data.get("command"),
        url=data.get("url"),
        auth_type=_enum_or(MCPServerAuthType, data.get("auth_type"), MCPServerAuthType._None),
        api_key=data.get("api_key"),
        use_secrets_manager=bool(data.get("use_secrets_manager")),
        client_id=data.get("client_id"),
        client_secret=data.get("client_secret"),
        headers=dict(data.get("headers") or {}),
        env_vars=dict(data.get("env_vars") or {}),
        allowed_tools=list(data.get("allowed_tools") or ()),
        additional_scopes=list(data.get("additional_scopes") or ()),
        share_user_token_across_other_agents=data.get("share_user_token_across_other_agents") is not False,
        sso_token=_enum_or(MCPServerSSOTokenMode, data.get("sso_token"), MCPServerSSOTokenMode.Access),
        sso_audience=data.get("sso_audience"),
    )
    # The stored transport (possibly one this version does not list: set without the strict converter), then the
    # official model's rule on it, as the official SDK applies it on every read: a local server talks stdio, a
    # remote one never does.
    object.__setattr__(server, "transport", _enum(MCPServerTransport, data.get("transport")))
    object.__setattr__(server, "transport", coerced_transport(server))
    return server


def _hitl_request(value: object) -> HITLRequest | None:
    return None if value is None else HITLRequest(wait_node_id=_object(value).get("wait_node_id"))


def _pending_eca_request(value: object) -> PendingECARequest | None:
    if value is None:
        return None
    data = _object(value)
    return PendingECARequest(connector_name=data.get("connector_name"), auth_url=data.get("auth_url"))


def _deep_planning(value: object) -> DeepPlanning | None:
    if value is None:
        return None
    data = _object(value)
    return DeepPlanning(
        enabled=bool(data.get("enabled")),
        enforce=bool(data.get("enforce")),
        started=bool(data.get("started")),
        question_raised=bool(data.get("question_raised")),
        tasks=[
            DeepPlanningTask(id=step.get("id"), title=step.get("title"), completed=bool(step.get("completed")))
            for step in _objects(data.get("tasks"))
        ],
    )


def _tokens(value: object) -> TokenUsage | None:
    if value is None:
        return None
    data = _object(value)
    return TokenUsage(
        completion_tokens=data.get("completion_tokens") or 0,
        prompt_tokens=data.get("prompt_tokens") or 0,
        cache_read_tokens=data.get("cache_read_tokens") or 0,
        cache_write_tokens=data.get("cache_write_tokens") or 0,
    )


@define(kw_only=True, repr=False, getstate_setstate=False)
class TasksListItem(_Bound):
    """One task of `Tasks.alist`: a summary; `await item.aload()` reads the whole Task (through the `Tasks` that
    listed it, not the environment's configuration as the official SDK does). A status this version does not
    know is kept as its value, instead of failing the whole list."""

    id: str
    agent_id: str
    organization_id: str
    status: AgentExecutionStatus
    user_id: str | None = None
    parent_task_id: str | None = None
    triggering_agent_id: str | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    source_node_type: str | None = None
    result: str | None = None
    title: str | None = None
    execution_kind: str | None = None
    process: dict[str, Any] | None = None
    conversation_kind: ConversationKind | None = None
    extra: dict[str, Any] = field(factory=dict)
    """Keys the server sent that this version does not know, as they came."""
    _owner: Tasks | None = field(default=None, init=False, repr=False, eq=False)

    def __repr__(self) -> str:
        return (
            f"TasksListItem(id={self.id!r}, agent_id={self.agent_id!r}, status={self.status.value!r}, "
            f"title={self.title!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_dict(cls, data: Json) -> TasksListItem:
        """Parse one item of a list. KeyError when a required key is missing."""
        get = data.get
        status = data["status"]
        if not isinstance(status, str):
            raise TypeError(f"status must be a string, got {type(status).__name__}")
        return cls(
            id=data["id"],
            agent_id=data["agent_id"],
            organization_id=data["organization_id"],
            status=open_enum(AgentExecutionStatus, status),
            user_id=get("user_id"),
            parent_task_id=get("parent_task_id"),
            triggering_agent_id=get("triggering_agent_id"),
            created_at=parse_datetime(get("created_at")),
            updated_at=parse_datetime(get("updated_at")),
            source_node_type=get("source_node_type"),
            result=get("result"),
            title=get("title"),
            execution_kind=get("execution_kind"),
            process=get("process"),
            conversation_kind=_enum(ConversationKind, get("conversation_kind")),
            extra=_extra(data, _LIST_ITEM_KEYS),
        )

    def to_dict(self) -> dict[str, Any]:
        """The item as JSON-ready data (see `Task.to_dict`)."""
        return _dump(self)

    async def aload(self, configuration: Configuration | None = None, **options: Unpack[RequestOptions]) -> Task:
        """The whole task, read through the `Tasks` that listed it (or `configuration`, when given)."""
        return await self._tasks(configuration).aget(self.id, **options)

    def load(self, configuration: Configuration | None = None, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `aload`."""
        return self._tasks(configuration).get(self.id, **options)


_LIST_ITEM_KEYS = frozenset(attribute.name for attribute in fields(TasksListItem)) - {"extra", "_owner"}
