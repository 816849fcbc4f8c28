"""`Task` and `TasksListItem`: what the task routes return, with the official SDK's field names and Python
types, and the official methods that follow a task (`areload`, `astop`, `asave`, `aevents`, `await_result`...).

An active record, as in the official SDK, whose back-reference is the requestor it came through (`_requestor`),
never the `Tasks` facade: its calls go down to the routes, the events and the waits, which know it only as a
type. Its JSON is read and written in `_task_json`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Self

from attrs import define, field, fields

from . import _routes
from ._bodies import mcp_secrets
from ._checks import flag, whole_number
from ._request import Call
from ._requestor import Requestor
from ._task_json import SAVE_KEYS, dump, read_list_item, read_task
from ._task_reports import TaskReports
from .exceptions import InvalidArgumentError
from .models import (
    AgentExecutionStatus,
    ConversationKind,
    DeepPlanning,
    HITLRequest,
    LLMReasoningEffort,
    MCPServerDetails,
    OutputFormat,
    PendingECARequest,
    TaskInput,
    ThinkMode,
    TokenUsage,
    to_enum,
)
from .models._json import jsonable

if TYPE_CHECKING:
    from typing import Unpack

    from ._events import AsyncEventStream, EventStream, Follower
    from ._requestor import HasRequestor, RequestOptions
    from ._wait import Waiter
    from .configuration import Configuration
    from .models.activity import AgentActivityThread

Json = Mapping[str, Any]


class _ActiveRecord:
    """What a Task and a TasksListItem share: the requestor (configuration and connection pool) their calls go
    through, kept out of repr, equality, copies and pickles (a connection pool does not travel). `bind()` gives
    one to an object built by hand; one without sends through the environment's, on the shared pool."""

    __slots__ = ()
    _requestor: Requestor | None

    def bind(self, tasks: HasRequestor | Requestor | None) -> Self:
        """Follow this object through `tasks` (a `Tasks`) from now on (None: a default `Tasks()`); returns self."""
        requestor = tasks if tasks is None or isinstance(tasks, Requestor) else tasks.requestor
        object.__setattr__(self, "_requestor", requestor)
        return self

    @property
    def configuration(self) -> Configuration | None:
        """The configuration of the `Tasks` this object follows, or None when it has none."""
        return None if self._requestor is None else self._requestor.configuration

    def _sender(self, configuration: Configuration | None = None) -> Requestor:
        """The requestor to send through: this object's, or for another configuration (or none bound), one on
        the shared pool."""
        if configuration is None and self._requestor is not None:
            return self._requestor
        return Requestor.shared(configuration)

    def __getstate__(self) -> dict[str, Any]:
        return {a.name: getattr(self, a.name) for a in fields(type(self)) if a.name != "_requestor"}  # type: ignore[arg-type]

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_requestor", None)


@define(kw_only=True, repr=False, getstate_setstate=False)
class Task(_ActiveRecord, TaskReports):
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
    _requestor: Requestor | None = field(default=None, init=False, repr=False, eq=False)

    def __repr__(self) -> str:
        created = self.created_at.isoformat()
        return (
            f"Task(id={self.id!r}, agent_id={self.agent_id!r}, status={self.status.value!r}, "
            f"created_at={created!r}, title={self.title!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_dict(cls, data: Json) -> Self:
        """Parse the JSON object of a task. KeyError when a required key is missing; TypeError or ValueError
        when a required value cannot be read."""
        return read_task(cls, data, _TASK_KEYS)

    def _reader(self) -> Callable[[dict[str, Any]], Task]:
        """What makes a Task of a task's JSON that follows what this one follows."""
        requestor = self._requestor
        return Task.from_dict if requestor is None else lambda data: Task.from_dict(data).bind(requestor)

    @property
    def is_terminal(self) -> bool:
        """True once the task has finished: completed, failed, error or stopped. A status this version does not
        know counts as finished when the server has set `finished_at`."""
        listed = _LISTED_STATUSES.get(self.status.value)  # by value: a new state may be spelled like a name
        if listed is not None:
            return listed.is_terminal
        return self.finished_at is not None

    # -- reading and changing the task (the official methods) ------------------------------------------------
    @classmethod
    async def aload(
        cls, task_id: str, configuration: Configuration | None = None, **options: Unpack[RequestOptions]
    ) -> Task:
        """The task `task_id`, read with `configuration` (default: the environment's, on the shared pool)."""
        requestor = Requestor.shared(configuration)
        return await _aget(requestor, task_id, options)

    @classmethod
    def load(cls, task_id: str, configuration: Configuration | None = None, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `aload`."""
        return _get(Requestor.shared(configuration), task_id, options)

    async def areload(self, **options: Unpack[RequestOptions]) -> Task:
        """Read the task again and update this object in place; returns it. As in the official SDK, a local
        deep plan and additional context are kept when the server sends them empty."""
        return self._refresh(await _aget(self._sender(), self.id, options), keep_local_plan=True)

    def reload(self, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `areload` (the official one returns None; this returns the task)."""
        return self._refresh(_get(self._sender(), self.id, options), keep_local_plan=True)

    async def astop(self, **options: Unpack[RequestOptions]) -> Task:
        """Stop the task and update this object from the server's answer; returns it."""
        requestor = self._sender()
        return self._refresh(await requestor.acall(_routes.stop(self.id, self._reader()), requestor.options(options)))

    def stop(self, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `astop`."""
        requestor = self._sender()
        return self._refresh(requestor.call(_routes.stop(self.id, self._reader()), requestor.options(options)))

    async def asave(self, with_deep_plan_update: bool = False, **options: Unpack[RequestOptions]) -> Task:
        """Send the whole task to the server (as the official SDK does, secrets it holds included) and update
        this object from the answer, keeping a local deep plan and additional context the answer lacks (as the
        official SDK does); returns it. `with_deep_plan_update=True` sends the deep plan too."""
        requestor = self._sender()
        saved = await requestor.acall(self._save_call(with_deep_plan_update), requestor.options(options))
        return self._refresh(saved, keep_local_plan=True)

    def save(self, with_deep_plan_update: bool = False, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `asave`."""
        requestor = self._sender()
        saved = requestor.call(self._save_call(with_deep_plan_update), requestor.options(options))
        return self._refresh(saved, keep_local_plan=True)

    def _save_call(self, with_deep_plan_update: bool) -> Call[Task]:
        body = self.to_save_body(with_deep_plan_update)
        return _routes.save(self.id, body, self.secret_values, self._reader())

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
        """This task with every field of `fresh` (the server's answer), keeping the requestor it follows."""
        kept: dict[str, object] = {}
        if keep_local_plan:
            if self.deep_planning is not None and self.deep_planning.tasks and not _has_plan(fresh.deep_planning):
                kept["deep_planning"] = self.deep_planning
            if self.additional_context and not fresh.additional_context:
                kept["additional_context"] = self.additional_context
        for attribute in fields(Task):
            if attribute.name != "_requestor":
                object.__setattr__(self, attribute.name, kept.get(attribute.name, getattr(fresh, attribute.name)))
        return self

    # -- the activity log (worker side) -------------------------------------------------------------------------
    async def aget_activity_log(self, **options: Unpack[RequestOptions]) -> AgentActivityThread:
        """The task's activity log: its messages, tool calls, reasoning steps, sub-agent triggers, authentication
        and gateway entries, oldest first (see `xpander_sdk.models.activity`). An entry of a kind this version
        does not know is an `AgentActivityThreadOtherEntry` holding its JSON; only a body that is no thread at all
        raises InvalidResponseError (the official SDK returns the response's text, a str, when it cannot read
        one). NotFoundError when the server has no log for the task."""
        requestor = self._sender()
        return await requestor.acall(self._activity_log_call(), requestor.options(options))

    def get_activity_log(self, **options: Unpack[RequestOptions]) -> AgentActivityThread:
        """The sync twin of `aget_activity_log`."""
        requestor = self._sender()
        return requestor.call(self._activity_log_call(), requestor.options(options))

    def _activity_log_call(self) -> Call[AgentActivityThread]:
        from .models.activity import AgentActivityThread  # noqa: PLC0415 - lazy: its classes cost 15 ms to load

        return _routes.activity_log(self.agent_id, self.id, AgentActivityThread.from_dict)

    # -- events and waiting --------------------------------------------------------------------------------------
    def aevents(self, *, read_timeout: float | None = None, max_reconnects: int | None = None) -> AsyncEventStream:
        """The task's events as they arrive (`async for event in task.aevents()`); the iteration ends after the
        final event (`task_finished`). A stream that drops, or stays silent (no event, no heartbeat) for
        `read_timeout` seconds (default 60), is resumed from the last event received, up to `max_reconnects`
        times in a row (default 5) before EventStreamError. For a task created without
        `events_streaming=True` this raises InvalidArgumentError (also a ValueError) at once."""
        from ._events import AsyncEventStream  # noqa: PLC0415 - lazy: loads httpx-sse on first use

        return AsyncEventStream(self._follower(read_timeout, max_reconnects))

    def events(self, *, read_timeout: float | None = None, max_reconnects: int | None = None) -> EventStream:
        """The sync twin of `aevents`: each event is yielded as it arrives (on the sync client, no event loop)."""
        from ._events import EventStream  # noqa: PLC0415 - lazy: loads httpx-sse on first use

        return EventStream(self._follower(read_timeout, max_reconnects))

    def _follower(self, read_timeout: float | None, max_reconnects: int | None) -> Follower:
        from ._events import Follower, check_stream_options  # noqa: PLC0415 - lazy: loads httpx-sse on first use

        if self.events_streaming is not True:
            raise InvalidArgumentError(
                "events_streaming",
                f"Task {self.id} was created without events_streaming=True, so it has no event stream: create it "
                f"with events_streaming=True, or wait for it with await_result()/wait(), which poll its status",
            )
        read, reconnects = check_stream_options(read_timeout, max_reconnects)
        requestor = self._sender()
        return Follower(
            requestor,
            self.id,
            self._reader(),
            read_timeout=read,
            max_reconnects=reconnects,
            organization_id=self.organization_id,
        )

    async def await_result(self, timeout: float | None = None, *, raise_on_failure: bool = False) -> Task:
        """Wait until the task has finished and return it (this object, refreshed). It follows the task's
        events when it streams them, else polls its status (0.5 s, doubled up to 5 s). `timeout` (default 600 s)
        covers every request, reconnect and sleep: past it, WaitTimeoutError carries the last state seen. A
        failed, error or stopped task is returned, unless `raise_on_failure=True` (TaskFailedError)."""
        from . import _wait  # noqa: PLC0415 - lazy: with the events (httpx-sse), loaded on the first wait

        return await _wait.await_result(self._waiter(timeout, raise_on_failure))

    def wait(self, timeout: float | None = None, *, raise_on_failure: bool = False) -> Task:
        """The sync twin of `await_result`."""
        from . import _wait  # noqa: PLC0415 - lazy: with the events (httpx-sse), loaded on the first wait

        return _wait.wait(self._waiter(timeout, raise_on_failure))

    def _waiter(self, timeout: float | None, raise_on_failure: bool) -> Waiter:
        from . import _wait  # noqa: PLC0415 - lazy: with the events (httpx-sse), loaded on the first wait

        seconds, raising = _wait.check_wait_timeout(timeout), flag("raise_on_failure", raise_on_failure)
        refresh = partial(self._refresh, keep_local_plan=True)
        return _wait.Waiter(self, self._sender(), refresh, seconds, raising)

    # -- the message and files of the task (the worker side; see _task_files) -------------------------------------
    def to_message(self, retry_count: int = 0, with_timestamp: bool = True) -> str:
        """The task as the message for a model, as the official SDK writes it: the prompt, `Files: <urls>`, the
        text files' contents (read through the guarded fetch), attachment notes, the retry prompt when a started
        deep plan has open items (the task is reloaded for it), and `Message timestamp (UTC)` (from `created_at`;
        not with `with_timestamp=False`). A JSON prompt is returned as it is."""
        checked = whole_number("retry_count", retry_count), flag("with_timestamp", with_timestamp)
        from . import _task_files  # noqa: PLC0415 - lazy: ~2 ms of import (attrs classes, a regex), for workers only

        return _task_files.message(self, *checked)

    def get_human_readable_files(self) -> list[dict[str, str]]:
        """The task's text files (.txt, .csv, .json, .py...) with their content: `[{"url", "content"}]`, read
        concurrently (10 s for all), each cut to 8,000 characters and all to 24,000; a file that cannot be read
        (or is refused: internal addresses) has "Error: file could not be read"."""
        from . import _task_files  # noqa: PLC0415 - lazy: ~2 ms of import (attrs classes, a regex), for workers only

        return _task_files.human_readable_files(self)

    def get_files(self) -> list[str]:
        """The PDF URLs for a model (the official SDK returns agno `File`s when agno is installed)."""
        from . import _task_files  # noqa: PLC0415 - lazy: ~2 ms of import (attrs classes, a regex), for workers only

        return _task_files.pdf_urls(self)

    def get_images(self) -> list[str]:
        """The image URLs for a model, at most 20 (the official SDK returns agno `Image`s when agno is installed)."""
        from . import _task_files  # noqa: PLC0415 - lazy: ~2 ms of import (attrs classes, a regex), for workers only

        return _task_files.image_urls(self)

    def get_audios(self) -> list[Any]:
        """[] (as the official SDK for every model that takes no audio: transcripts go into the message)."""
        return []

    def get_videos(self) -> list[Any]:
        """[] (as the official SDK for every model that takes no video)."""
        return []

    def get_media_texts(self) -> list[dict[str, str]]:
        """The transcripts of the task's audio and video attachments that carry one: `[{"url", "content"}]`."""
        from . import _task_files  # noqa: PLC0415 - lazy: ~2 ms of import (attrs classes, a regex), for workers only

        return _task_files.media_texts(self)

    # -- as data -----------------------------------------------------------------------------------------------
    def to_save_body(self, with_deep_plan_update: bool = False) -> dict[str, Any]:
        """The body of `asave`, key for key what the official SDK sends: the official fields in its order,
        nulls included, `deep_planning` only with `with_deep_plan_update`; no field it does not know."""
        body = {}
        for key in SAVE_KEYS:
            body[key] = jsonable(getattr(self, key))
            if key == "user_tokens" and with_deep_plan_update:
                body["deep_planning"] = jsonable(self.deep_planning)
        if isinstance(self.duration, int) and not isinstance(self.duration, bool):
            body["duration"] = float(self.duration)  # the official float field writes 3 as 3.0
        return body

    def to_dict(self) -> dict[str, Any]:
        """The task as JSON-ready data: every field in the official model's order (enums as their values,
        date-times as ISO-8601 strings), then the keys this version does not know, as the server sent them. It
        holds the secrets the server echoed (`secret_values()`): do not log it as it is."""
        return dump(self)

    def secret_values(self) -> list[object]:
        """The secrets this task holds (sent back by `asave`): the OIDC token, user tokens, MCP keys."""
        return [self.user_oidc_token, *(self.user_tokens or {}).values(), *mcp_secrets(self.mcp_servers)]


_LISTED_STATUSES = {member.value: member for member in AgentExecutionStatus}
_TASK_KEYS = frozenset(attribute.name for attribute in fields(Task)) - {"extra", "_requestor"}


def _has_plan(plan: DeepPlanning | None) -> bool:
    return plan is not None and bool(plan.tasks)


async def _aget(requestor: Requestor, task_id: str, options: RequestOptions) -> Task:
    """The task `task_id`, following `requestor`."""
    task = await requestor.acall(_routes.get(task_id, Task.from_dict), requestor.options(options))
    return task.bind(requestor)


def _get(requestor: Requestor, task_id: str, options: RequestOptions) -> Task:
    """The sync twin of `_aget`."""
    return requestor.call(_routes.get(task_id, Task.from_dict), requestor.options(options)).bind(requestor)


@define(kw_only=True, repr=False, getstate_setstate=False)
class TasksListItem(_ActiveRecord):
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
    _requestor: Requestor | None = field(default=None, init=False, repr=False, eq=False)

    def __repr__(self) -> str:
        return (
            f"TasksListItem(id={self.id!r}, agent_id={self.agent_id!r}, status={self.status.value!r}, "
            f"title={self.title!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_dict(cls, data: Json) -> Self:
        """Parse one item of a list. KeyError when a required key is missing."""
        return read_list_item(cls, data, _LIST_ITEM_KEYS)

    def to_dict(self) -> dict[str, Any]:
        """The item as JSON-ready data (see `Task.to_dict`)."""
        return dump(self)

    async def aload(self, configuration: Configuration | None = None, **options: Unpack[RequestOptions]) -> Task:
        """The whole task, read through the `Tasks` that listed it (or `configuration`, when given)."""
        return await _aget(self._sender(configuration), self.id, options)

    def load(self, configuration: Configuration | None = None, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `aload`."""
        return _get(self._sender(configuration), self.id, options)


_LIST_ITEM_KEYS = frozenset(attribute.name for attribute in fields(TasksListItem)) - {"extra", "_requestor"}
