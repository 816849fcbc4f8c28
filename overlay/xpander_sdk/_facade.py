"""`Tasks`: the facade users call: create a task, then follow it (get, list, update, stop).

The parameters, their order and their defaults are the official SDK's. Every method also takes this SDK's
keyword-only per-call options (see `RequestOptions`); `acreate`/`create` add `retry_unsafe`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, TypeVar, Unpack

import httpx
from attrs import evolve

from . import _http
from ._constants import (
    API_KEY_ENV,
    CREATE_MANY_CONCURRENCY,
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT,
    MAX_RETRIES_ENV,
    TIMEOUT_ENV,
)
from ._http import (
    CallOptions,
    HTTPSession,
    RetryPolicy,
    check_http_transport,
    check_timeout,
    configured_http_transport,
)
from .configuration import Configuration
from .exceptions import InvalidArgumentError, ModuleException
from .models import (
    AgentExecutionStatus,
    AttachmentRef,
    LLMReasoningEffort,
    MCPServerDetails,
    OutputFormat,
    Principal,
    ThinkMode,
    User,
)

if TYPE_CHECKING:
    from ._http import Call
    from .task import Task, TasksListItem

T = TypeVar("T")
TaskList: TypeAlias = "list[TasksListItem]"
"""What the list calls return (named here: inside `Tasks`, `list` is a method)."""
Outcomes: TypeAlias = "list[Task | ModuleException]"
"""What `acreate_many` returns: for each dict of arguments, in order, the task or the error that ended it."""


class RequestOptions(TypedDict, total=False):
    """The keyword-only options every call takes, to change that call only (openai-python's names)."""

    timeout: float | httpx.Timeout | None
    """Seconds (or an httpx.Timeout) for each attempt, instead of the `Tasks` timeout."""
    max_retries: int | None
    """Retries for this call, instead of the `Tasks` setting."""
    extra_headers: Mapping[str, str] | None
    """Headers to add (not `x-api-key`: set the key in the Configuration)."""
    extra_query: Mapping[str, str] | None
    """Query parameters to add."""
    extra_body: Mapping[str, Any] | None
    """Keys to add to the JSON body (create and update), e.g. a field the server has and this version lacks."""


_OPTION_NAMES = frozenset(RequestOptions.__annotations__)


def _default_timeout() -> httpx.Timeout:
    configured = os.environ.get(TIMEOUT_ENV)
    if not configured:
        return DEFAULT_TIMEOUT
    try:
        return check_timeout(float(configured), TIMEOUT_ENV)
    except ValueError:
        message = f"{TIMEOUT_ENV} must be a number of seconds, got {configured!r}"
        raise InvalidArgumentError(TIMEOUT_ENV, message) from None


def _default_max_retries() -> int:
    configured = os.environ.get(MAX_RETRIES_ENV)
    if not configured:
        return RetryPolicy().max_retries
    if not configured.strip().isdigit():
        raise InvalidArgumentError(MAX_RETRIES_ENV, f"{MAX_RETRIES_ENV} must be a whole number, got {configured!r}")
    return int(configured)


def _check_max_retries(value: object, parameter: str = "max_retries") -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise InvalidArgumentError(parameter, f"{parameter} must be a non-negative integer, got {value!r}")


_shared_session: HTTPSession | None = None
_shared_session_lock = threading.Lock()


def _new_shared_session_lock() -> None:
    """In a child made by `os.fork()`: a new lock, as another thread may have held the old one at the fork.
    (The shared session itself drops its parent's clients: see `HTTPSession`.)"""
    global _shared_session_lock  # noqa: PLW0603 - replaced in the child only
    _shared_session_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_new_shared_session_lock)


def shared_session() -> HTTPSession:
    """The connection pool of every `Tasks()` made without arguments, so that the documented one-liner
    `await Tasks().acreate(...)` reuses connections (the official SDK also shares its argument-less `Tasks()`)."""
    global _shared_session  # noqa: PLW0603 - one pool per process, made on first use
    with _shared_session_lock:
        if _shared_session is None:
            _shared_session = HTTPSession()
        return _shared_session


class Tasks:
    """Create tasks on xpander.ai agents.

    One `Tasks` holds one pool of connections (a sync `httpx.Client`, and an `httpx.AsyncClient` per event
    loop); create it once and reuse it. Close it with `close()`/`aclose()` or use it as a context manager.

    Args:
        configuration: API key, base URL and organization id; by default read from `XPANDER_API_KEY`,
            `XPANDER_BASE_URL`, `XPANDER_ORGANIZATION_ID` and `IS_STG`.
        timeout: seconds (or an `httpx.Timeout`) for each attempt; default `XPANDER_TIMEOUT`, else 10 s to
            connect and 60 s to read. Its largest value is also the deadline of a whole attempt (connect,
            send, wait, read the head and the body): `timeout=1.0` ends an attempt after 1 s however the server
            trickles its answer. On a sync `http_client` of your own only the per-operation timeouts apply.
        max_retries: retries after a failure the server cannot have acted on; default `XPANDER_MAX_RETRIES`,
            else 2.
        http_client / async_http_client: your own httpx clients (proxies, mTLS, test transports); used as
            they are and never closed by this object. After `os.fork()` the SDK's own pools start afresh in
            the child, but your clients are yours: do not use one in both processes.
        limits: the connection pool's limits (default 100 connections, 20 kept alive).
        http_transport: what carries the requests of the SDK's own async clients: "aiohttp" (the default under
            asyncio: aiohttp's connection pool under the httpx API, through httpx-aiohttp; as fast at 1,000
            requests in flight as at one) or "httpx" (httpx's own transport; always under trio). Default
            `XPANDER_HTTP_TRANSPORT`, else "aiohttp". The sync client and clients you pass in are not affected.

    `Tasks()` with no arguments at all uses one process-wide pool shared by all such instances (so
    `await Tasks().acreate(...)` in a loop reuses connections); `close()` leaves that pool open.
    `with_options(...)` returns a copy with other settings on the same pool.

    Every Task (and TasksListItem) a call returns follows this `Tasks`: `await task.areload()` uses its
    configuration and its connections.
    """

    def __init__(
        self,
        configuration: Configuration | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        limits: httpx.Limits | None = None,
        http_transport: str | None = None,
    ) -> None:
        bare = configuration is None and timeout is None and max_retries is None and http_transport is None
        self.configuration = Configuration() if configuration is None else _check_configuration(configuration)
        self.timeout = _default_timeout() if timeout is None else check_timeout(timeout)
        retries = _default_max_retries() if max_retries is None else _check_max_retries(max_retries)
        self.retry_policy = RetryPolicy(max_retries=retries)
        checked_transport = check_http_transport(http_transport) if http_transport is not None else None
        if checked_transport is None:
            configured_http_transport()  # a bad XPANDER_HTTP_TRANSPORT is refused here, before anything is sent
        self._owns_session = not (bare and http_client is None and async_http_client is None and limits is None)
        self._checked_api_key: str | None = None
        self._default_options: CallOptions | None = None
        if self._owns_session:
            self._session = HTTPSession(
                limits=limits or DEFAULT_LIMITS,
                http_client=http_client,
                async_http_client=async_http_client,
                http_transport=checked_transport,
            )
        else:
            self._session = shared_session()

    def with_options(self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None) -> Tasks:
        """A copy with another timeout or retry count that shares this object's connection pool (closing the
        copy leaves the pool open; close the original)."""
        copy = object.__new__(Tasks)
        copy.__dict__.update(self.__dict__)
        copy._owns_session = False
        if timeout is not None:
            copy.timeout = check_timeout(timeout)
        if max_retries is not None:
            copy.retry_policy = evolve(self.retry_policy, max_retries=_check_max_retries(max_retries))
        return copy

    @classmethod
    def on_shared_pool(cls, configuration: Configuration | None = None) -> Tasks:
        """A `Tasks` for `configuration` (default: the environment's) on the process-wide pool of `Tasks()`:
        nothing to close. What `Task.aload(task_id, configuration)` uses."""
        tasks = cls()
        if configuration is not None:
            tasks.configuration = _check_configuration(configuration)
        return tasks

    @property
    def max_retries(self) -> int:
        return self.retry_policy.max_retries

    def __repr__(self) -> str:
        return (
            f"Tasks(base_url={self.configuration.base_url!r}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r})"
        )

    # -- lifecycle -----------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connections of the sync client (not those of the shared pool of `Tasks()`)."""
        if self._owns_session:
            self._session.close()

    async def aclose(self) -> None:
        """Close the connections of the running loop's async client and of the sync client (not those of
        the shared pool of `Tasks()`)."""
        if self._owns_session:
            await self._session.aclose()

    def __enter__(self) -> Tasks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Tasks:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- create --------------------------------------------------------------------------------------------
    async def acreate(
        self,
        agent_id: str,
        existing_task_id: str | None = None,
        prompt: str | None = "",
        file_urls: Sequence[str] | None = (),
        user_details: User | None = None,
        principal: Principal | None = None,
        agent_version: str | int | None = None,
        tool_call_payload_extension: Mapping[str, Any] | None = None,
        source: str | None = None,
        worker_id: str | None = None,
        run_locally: bool | None = False,
        output_format: OutputFormat | str | None = None,
        output_schema: Mapping[str, Any] | None = None,
        events_streaming: bool | None = False,
        additional_context: str | None = None,
        instructions_override: str | None = None,
        test_run_node_id: str | None = None,
        user_oidc_token: str | None = None,
        expected_output: str | None = None,
        mcp_servers: Sequence[MCPServerDetails] | None = (),
        triggering_agent_id: str | None = None,
        title: str | None = None,
        think_mode: ThinkMode | str | None = ThinkMode.Default,
        disable_attachment_injection: bool | None = False,
        return_metrics: bool | None = False,
        user_tokens: Mapping[str, str] | None = None,
        llm_model_provider: str | None = None,
        llm_model_name: str | None = None,
        llm_reasoning_effort: LLMReasoningEffort | str | None = None,
        harness_cli: str | None = None,
        tool_call_limit: int | None = None,
        attachments: Sequence[AttachmentRef] | None = None,
        permission_mode: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry_unsafe: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Task:
        """Create a task on the agent `agent_id` and return it (usually `pending`: the agent runs it in the
        background). Raises a `ModuleException` subclass on any failure; nothing is sent for refused arguments.

        The keyword-only options change this call only (see `RequestOptions`). `retry_unsafe=True` also
        retries failures after which the server may already have created the task (5xx other than 503, read
        timeouts, dropped connections): it can create the task twice."""
        call, options = self._create_call(locals())
        return self._own(await self._acall(call, options))

    def create(
        self,
        agent_id: str,
        existing_task_id: str | None = None,
        prompt: str | None = "",
        file_urls: Sequence[str] | None = (),
        user_details: User | None = None,
        principal: Principal | None = None,
        agent_version: str | int | None = None,
        tool_call_payload_extension: Mapping[str, Any] | None = None,
        source: str | None = None,
        worker_id: str | None = None,
        run_locally: bool | None = False,
        output_format: OutputFormat | str | None = None,
        output_schema: Mapping[str, Any] | None = None,
        events_streaming: bool | None = False,
        additional_context: str | None = None,
        instructions_override: str | None = None,
        test_run_node_id: str | None = None,
        user_oidc_token: str | None = None,
        expected_output: str | None = None,
        mcp_servers: Sequence[MCPServerDetails] | None = (),
        triggering_agent_id: str | None = None,
        title: str | None = None,
        think_mode: ThinkMode | str | None = ThinkMode.Default,
        disable_attachment_injection: bool | None = False,
        return_metrics: bool | None = False,
        user_tokens: Mapping[str, str] | None = None,
        llm_model_provider: str | None = None,
        llm_model_name: str | None = None,
        llm_reasoning_effort: LLMReasoningEffort | str | None = None,
        harness_cli: str | None = None,
        tool_call_limit: int | None = None,
        attachments: Sequence[AttachmentRef] | None = None,
        permission_mode: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry_unsafe: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Task:
        """The sync twin of `acreate`, on a real sync client: no event loop and no thread are involved, so it
        also works (blocking) inside a running event loop, such as a notebook's."""
        call, options = self._create_call(locals())
        return self._own(self._call(call, options))

    def _create_call(self, arguments: dict[str, Any]) -> tuple[Call[Task], CallOptions]:
        """The checked call and options of `acreate`'s arguments; InvalidArgumentError before anything is sent."""
        from . import _endpoints, _request  # noqa: PLC0415 - with the generated models, loaded on the first call

        agent_version = _request.agent_version_header(arguments["agent_version"])
        retry_unsafe = arguments["retry_unsafe"]
        if not isinstance(retry_unsafe, bool):
            raise InvalidArgumentError("retry_unsafe", f"retry_unsafe must be True or False, got {retry_unsafe!r}")
        options_given = {name: arguments[name] for name in _OPTION_NAMES}
        options = self._options(options_given, retry_unsafe=retry_unsafe)  # type: ignore[arg-type]
        return _endpoints.create(arguments, agent_version), options

    # -- follow --------------------------------------------------------------------------------------------
    async def aget(self, task_id: str, **options: Unpack[RequestOptions]) -> Task:
        """The task `task_id` as the server has it now (`GET .../status`)."""
        from . import _endpoints  # noqa: PLC0415

        return self._own(await self._acall(_endpoints.get(task_id), self._options(options)))

    def get(self, task_id: str, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `aget`."""
        from . import _endpoints  # noqa: PLC0415

        return self._own(self._call(_endpoints.get(task_id), self._options(options)))

    async def alist(
        self,
        agent_id: str,
        filters: Mapping[str, str | AgentExecutionStatus | None] | None = None,
        **options: Unpack[RequestOptions],
    ) -> TaskList:
        """The tasks of the agent `agent_id`, filtered by `user_id`, `parent_task_id`, `triggering_agent_id`,
        `status` (an AgentExecutionStatus or its value) and `internal_status`."""
        from . import _endpoints  # noqa: PLC0415

        return self._own_all(await self._acall(_endpoints.list_by_agent(agent_id, filters), self._options(options)))

    def list(
        self,
        agent_id: str,
        filters: Mapping[str, str | AgentExecutionStatus | None] | None = None,
        **options: Unpack[RequestOptions],
    ) -> TaskList:
        """The sync twin of `alist`."""
        from . import _endpoints  # noqa: PLC0415

        return self._own_all(self._call(_endpoints.list_by_agent(agent_id, filters), self._options(options)))

    async def alist_user_tasks(
        self,
        user_id: str,
        filters: Mapping[str, str | AgentExecutionStatus | None] | None = None,
        **options: Unpack[RequestOptions],
    ) -> TaskList:
        """The tasks run for the user `user_id`, with the filters of `alist`."""
        from . import _endpoints  # noqa: PLC0415

        return self._own_all(await self._acall(_endpoints.list_by_user(user_id, filters), self._options(options)))

    def list_user_tasks(
        self,
        user_id: str,
        filters: Mapping[str, str | AgentExecutionStatus | None] | None = None,
        **options: Unpack[RequestOptions],
    ) -> TaskList:
        """The sync twin of `alist_user_tasks`."""
        from . import _endpoints  # noqa: PLC0415

        return self._own_all(self._call(_endpoints.list_by_user(user_id, filters), self._options(options)))

    async def aupdate(
        self,
        task_id: str,
        tool_call_payload_extension: Mapping[str, Any] | None = None,
        source: str | None = None,
        status: AgentExecutionStatus | str | None = None,
        last_executed_node_id: str | None = None,
        result: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Task:
        """Change the given fields of the task (None leaves a field as it is) and return the task as the server
        answered. `status` may be an AgentExecutionStatus or its value."""
        from . import _endpoints, _request  # noqa: PLC0415

        body = _request.update_body(tool_call_payload_extension, source, status, last_executed_node_id, result)
        return self._own(await self._acall(_endpoints.update(task_id, body), self._options(options)))

    def update(
        self,
        task_id: str,
        tool_call_payload_extension: Mapping[str, Any] | None = None,
        source: str | None = None,
        status: AgentExecutionStatus | str | None = None,
        last_executed_node_id: str | None = None,
        result: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Task:
        """The sync twin of `aupdate`."""
        from . import _endpoints, _request  # noqa: PLC0415

        body = _request.update_body(tool_call_payload_extension, source, status, last_executed_node_id, result)
        return self._own(self._call(_endpoints.update(task_id, body), self._options(options)))

    async def astop(self, task_id: str, **options: Unpack[RequestOptions]) -> Task:
        """Stop the task and return it as the server answered (usually `stopped`; stopping a finished task is
        safe). Stop is idempotent, so its failures are retried like a get's."""
        from . import _endpoints  # noqa: PLC0415

        return self._own(await self._acall(_endpoints.stop(task_id), self._options(options)))

    def stop(self, task_id: str, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `astop`."""
        from . import _endpoints  # noqa: PLC0415

        return self._own(self._call(_endpoints.stop(task_id), self._options(options)))

    # -- wait, and many at once -----------------------------------------------------------------------------
    async def acreate_and_wait(
        self, *args: Any, wait_timeout: float | None = None, raise_on_failure: bool = False, **kwargs: Any
    ) -> Task:
        """Create a task (with `acreate`'s parameters) and return it once it has finished (see
        `Task.await_result`). `wait_timeout` (default 600 s) covers the create and the wait; past it,
        WaitTimeoutError (its `task` is None when the create had not answered). With `events_streaming=True`
        the wait follows the task's events, and returns as soon as the final one arrives; else it polls."""
        from . import _wait  # noqa: PLC0415

        seconds = _wait.check_wait_timeout(wait_timeout, "wait_timeout")
        raising = _wait.check_flag(raise_on_failure, "raise_on_failure")
        return await _wait.acreate_and_wait(self, args, kwargs, seconds, raising)

    def create_and_wait(
        self, *args: Any, wait_timeout: float | None = None, raise_on_failure: bool = False, **kwargs: Any
    ) -> Task:
        """The sync twin of `acreate_and_wait`."""
        from . import _wait  # noqa: PLC0415

        seconds = _wait.check_wait_timeout(wait_timeout, "wait_timeout")
        raising = _wait.check_flag(raise_on_failure, "raise_on_failure")
        return _wait.create_and_wait(self, args, kwargs, seconds, raising)

    async def acreate_many(
        self,
        arguments: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = CREATE_MANY_CONCURRENCY,
        wait: bool = False,
        wait_timeout: float | None = None,
        raise_on_failure: bool = False,
    ) -> Outcomes:
        """Create one task per dict of `acreate`'s arguments, at most `concurrency` at a time, on this object's
        pool; with `wait=True`, also wait for each (as `acreate_and_wait`, `wait_timeout` each). Returns, in the
        order given, each Task or the ModuleException that ended it: one failure does not stop the others.
        Every dict is checked before anything is sent."""
        from . import _wait  # noqa: PLC0415

        checked = _wait.check_many(self, arguments, concurrency, wait, wait_timeout, raise_on_failure)
        return await _wait.acreate_many(self, *checked)

    def create_many(
        self,
        arguments: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = CREATE_MANY_CONCURRENCY,
        wait: bool = False,
        wait_timeout: float | None = None,
        raise_on_failure: bool = False,
    ) -> Outcomes:
        """The sync twin of `acreate_many`, on `concurrency` threads sharing the sync client."""
        from . import _wait  # noqa: PLC0415

        checked = _wait.check_many(self, arguments, concurrency, wait, wait_timeout, raise_on_failure)
        return _wait.create_many(self, *checked)

    async def _asave_task(self, task: Task, with_deep_plan_update: bool, **options: Unpack[RequestOptions]) -> Task:
        """`Task.asave`: the whole task in the update's PATCH."""
        from . import _endpoints  # noqa: PLC0415

        return self._own(await self._acall(_endpoints.save(task, with_deep_plan_update), self._options(options)))

    def _save_task(self, task: Task, with_deep_plan_update: bool, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `_asave_task`."""
        from . import _endpoints  # noqa: PLC0415

        return self._own(self._call(_endpoints.save(task, with_deep_plan_update), self._options(options)))

    # -- one call path ---------------------------------------------------------------------------------------
    async def _acall(self, call: Call[T], options: CallOptions) -> T:
        return await self._session.acall(call, self.configuration.root_url, self._api_key(), options)

    def _call(self, call: Call[T], options: CallOptions) -> T:
        return self._session.call(call, self.configuration.root_url, self._api_key(), options)

    def _api_key(self) -> str:
        from ._request import check_header_value  # noqa: PLC0415

        api_key = self.configuration.api_key
        if api_key is not None and api_key is self._checked_api_key:
            return api_key  # checked on an earlier call (the usual case: the key does not change)
        if not api_key and _http.ROUTED is not None:
            return _http.ROUTED.api_key  # made before a fake backend was installed (xpander_sdk.testing)
        if not api_key:
            raise InvalidArgumentError(
                "api_key", f"No API key: set {API_KEY_ENV} or pass Tasks(configuration=Configuration(api_key=...))"
            )
        self._checked_api_key = check_header_value("api_key", api_key, secret=True)
        return api_key

    def _options(self, given: RequestOptions, *, retry_unsafe: bool = False) -> CallOptions:
        """The options of one call: this object's, changed by what the call was given (checked). A call given
        none gets this object's own, made once for its current timeout and retry policy."""
        unknown = given.keys() - _OPTION_NAMES
        if unknown:
            raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
        if not retry_unsafe and all(value is None for value in given.values()):
            defaults = self._default_options
            if defaults is None or defaults.timeout is not self.timeout or defaults.retry is not self.retry_policy:
                defaults = self._default_options = CallOptions(timeout=self.timeout, retry=self.retry_policy)
            return defaults
        from . import _request  # noqa: PLC0415

        timeout, max_retries = given.get("timeout"), given.get("max_retries")
        retry = self.retry_policy
        if max_retries is not None:
            retry = evolve(retry, max_retries=_check_max_retries(max_retries))
        return CallOptions(
            timeout=self.timeout if timeout is None else check_timeout(timeout),
            retry=retry,
            retry_unsafe=retry_unsafe,
            extra_headers=_request.extra_headers(given.get("extra_headers")),
            extra_query=_request.extra_query(given.get("extra_query")),
            extra_body=_request.extra_body(given.get("extra_body")),
        )

    def _own(self, task: Task) -> Task:
        """`task`, following this Tasks from now on."""
        return task.bind(self)

    def _own_all(self, items: TaskList) -> TaskList:
        for item in items:
            item.bind(self)
        return items


def _check_configuration(configuration: object) -> Configuration:
    if not isinstance(configuration, Configuration):
        raise InvalidArgumentError("configuration", f"configuration must be a Configuration, got {configuration!r}")
    return configuration
