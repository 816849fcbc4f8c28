"""`Tasks`: the facade users call: create a task, then follow it (get, list, update, stop), wait for it, and
create many at once.

The parameters, their order and their defaults are the official SDK's. Every method also takes this SDK's
keyword-only per-call options (see `RequestOptions`); `acreate`/`create` add `retry_unsafe`. A `Tasks` holds a
requestor (`_requestor.Requestor`: configuration, pool, timeout, retries), and every Task it returns follows
that requestor, not the facade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, Unpack

import httpx

from . import _routes
from ._bodies import CreateArguments, agent_version_header, update_body
from ._checks import check_http_transport, check_timeout, whole_number
from ._constants import CREATE_MANY_CONCURRENCY, DEFAULT_LIMITS
from ._pool import HTTPSession, configured_http_transport
from ._request import Call, CallOptions
from ._requestor import (
    RequestOptions,
    Requestor,
    check_configuration,
    default_max_retries,
    default_timeout,
    shared_session,
)
from ._retry import RetryPolicy
from ._task_model import Task, TasksListItem
from .configuration import Configuration
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
    from ._bulk import Outcome

T = TypeVar("T")
TaskList: TypeAlias = "list[TasksListItem]"
"""What the list calls return (named here: inside `Tasks`, `list` is a method)."""
Outcomes: TypeAlias = "list[Outcome]"
"""What `acreate_many` returns: for each dict of arguments, in order, the task or the error that ended it."""


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
        checked_configuration = Configuration() if configuration is None else check_configuration(configuration)
        checked_timeout = default_timeout() if timeout is None else check_timeout(timeout)
        retries = default_max_retries() if max_retries is None else whole_number("max_retries", max_retries)
        checked_transport = None if http_transport is None else check_http_transport(http_transport)
        if checked_transport is None:
            configured_http_transport()  # a bad XPANDER_HTTP_TRANSPORT is refused here, before anything is sent
        owns = not (bare and http_client is None and async_http_client is None and limits is None)
        session = (
            shared_session()
            if not owns
            else HTTPSession(
                limits=limits or DEFAULT_LIMITS,
                http_client=http_client,
                async_http_client=async_http_client,
                http_transport=checked_transport,
            )
        )
        self._requestor = Requestor(
            checked_configuration,
            session,
            timeout=checked_timeout,
            retry_policy=RetryPolicy(max_retries=retries),
            owns_session=owns,
        )

    def with_options(self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None) -> Tasks:
        """A copy with another timeout or retry count that shares this object's connection pool (closing the
        copy leaves the pool open; close the original)."""
        copy = object.__new__(Tasks)
        copy._requestor = self._requestor.with_options(timeout=timeout, max_retries=max_retries)
        return copy

    @classmethod
    def on_shared_pool(cls, configuration: Configuration | None = None) -> Tasks:
        """A `Tasks` for `configuration` (default: the environment's) on the process-wide pool of `Tasks()`:
        nothing to close."""
        return cls._on(Requestor.shared(configuration))

    @classmethod
    def _on(cls, requestor: Requestor) -> Tasks:
        """A `Tasks` sending through `requestor` (an Agent's or an `Agents`'s), so that their creates and reads
        take the one create path of `acreate`; closing it is left to whoever made `requestor`."""
        tasks = object.__new__(cls)
        tasks._requestor = requestor
        return tasks

    # -- what it holds -------------------------------------------------------------------------------------------
    @property
    def requestor(self) -> Requestor:
        """The low-level client this object sends through (configuration, pool, timeout, retries): what the
        tasks it returns follow."""
        return self._requestor

    @property
    def configuration(self) -> Configuration:
        return self._requestor.configuration

    @configuration.setter
    def configuration(self, configuration: Configuration) -> None:
        self._requestor.configuration = check_configuration(configuration)

    @property
    def timeout(self) -> httpx.Timeout:
        return self._requestor.timeout

    @timeout.setter
    def timeout(self, timeout: float | httpx.Timeout) -> None:
        self._requestor.timeout = check_timeout(timeout)

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._requestor.retry_policy

    @retry_policy.setter
    def retry_policy(self, retry_policy: RetryPolicy) -> None:
        self._requestor.retry_policy = retry_policy

    @property
    def max_retries(self) -> int:
        return self._requestor.retry_policy.max_retries

    def __repr__(self) -> str:
        return (
            f"Tasks(base_url={self.configuration.base_url!r}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r})"
        )

    # -- lifecycle -----------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connections of the sync client (not those of the shared pool of `Tasks()`)."""
        self._requestor.close()

    async def aclose(self) -> None:
        """Close the connections of the running loop's async client and of the sync client (not those of
        the shared pool of `Tasks()`)."""
        await self._requestor.aclose()

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
        return await self._asend(call, options)

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
        return self._send(call, options)

    def _create_call(self, given: Mapping[str, Any]) -> tuple[Call[Task], CallOptions]:
        """The checked call and options of `acreate`'s arguments; InvalidArgumentError before anything is sent."""
        arguments = CreateArguments.of(given)
        agent_version = agent_version_header(arguments.agent_version)
        options_given: RequestOptions = {
            "timeout": given["timeout"],
            "max_retries": given["max_retries"],
            "extra_headers": given["extra_headers"],
            "extra_query": given["extra_query"],
            "extra_body": given["extra_body"],
        }
        options = self._requestor.options(options_given, retry_unsafe=given["retry_unsafe"])
        return _routes.create(arguments, agent_version, _TASK), options

    # -- follow --------------------------------------------------------------------------------------------
    async def aget(self, task_id: str, **options: Unpack[RequestOptions]) -> Task:
        """The task `task_id` as the server has it now (`GET .../status`)."""
        return await self._acall(_routes.get(task_id, _TASK), options)

    def get(self, task_id: str, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `aget`."""
        return self._call(_routes.get(task_id, _TASK), options)

    async def alist(
        self,
        agent_id: str,
        filters: Mapping[str, str | AgentExecutionStatus | None] | None = None,
        **options: Unpack[RequestOptions],
    ) -> TaskList:
        """The tasks of the agent `agent_id`, filtered by `user_id`, `parent_task_id`, `triggering_agent_id`,
        `status` (an AgentExecutionStatus or its value) and `internal_status`."""
        return self._follow_all(await self._acall(_routes.list_by_agent(agent_id, filters, _ITEM), options))

    def list(
        self,
        agent_id: str,
        filters: Mapping[str, str | AgentExecutionStatus | None] | None = None,
        **options: Unpack[RequestOptions],
    ) -> TaskList:
        """The sync twin of `alist`."""
        return self._follow_all(self._call(_routes.list_by_agent(agent_id, filters, _ITEM), options))

    async def alist_user_tasks(
        self,
        user_id: str,
        filters: Mapping[str, str | AgentExecutionStatus | None] | None = None,
        **options: Unpack[RequestOptions],
    ) -> TaskList:
        """The tasks run for the user `user_id`, with the filters of `alist`."""
        return self._follow_all(await self._acall(_routes.list_by_user(user_id, filters, _ITEM), options))

    def list_user_tasks(
        self,
        user_id: str,
        filters: Mapping[str, str | AgentExecutionStatus | None] | None = None,
        **options: Unpack[RequestOptions],
    ) -> TaskList:
        """The sync twin of `alist_user_tasks`."""
        return self._follow_all(self._call(_routes.list_by_user(user_id, filters, _ITEM), options))

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
        body = update_body(tool_call_payload_extension, source, status, last_executed_node_id, result)
        return await self._acall(_routes.update(task_id, body, _TASK), options)

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
        body = update_body(tool_call_payload_extension, source, status, last_executed_node_id, result)
        return self._call(_routes.update(task_id, body, _TASK), options)

    async def astop(self, task_id: str, **options: Unpack[RequestOptions]) -> Task:
        """Stop the task and return it as the server answered (usually `stopped`; stopping a finished task is
        safe). Stop is idempotent, so its failures are retried like a get's."""
        return await self._acall(_routes.stop(task_id, _TASK), options)

    def stop(self, task_id: str, **options: Unpack[RequestOptions]) -> Task:
        """The sync twin of `astop`."""
        return self._call(_routes.stop(task_id, _TASK), options)

    # -- wait, and many at once -----------------------------------------------------------------------------
    async def acreate_and_wait(
        self, *args: Any, wait_timeout: float | None = None, raise_on_failure: bool = False, **kwargs: Any
    ) -> Task:
        """Create a task (with `acreate`'s parameters) and return it once it has finished (see
        `Task.await_result`). `wait_timeout` (default 600 s) covers the create and the wait; past it,
        WaitTimeoutError (its `task` is None when the create had not answered). With `events_streaming=True`
        the wait follows the task's events, and returns as soon as the final one arrives; else it polls."""
        from . import _bulk  # noqa: PLC0415 - lazy: with the waits, loaded on first use

        seconds, raising = _bulk.check_wait(wait_timeout, raise_on_failure)
        return await _bulk.acreate_and_wait(self, args, kwargs, seconds, raising)

    def create_and_wait(
        self, *args: Any, wait_timeout: float | None = None, raise_on_failure: bool = False, **kwargs: Any
    ) -> Task:
        """The sync twin of `acreate_and_wait`."""
        from . import _bulk  # noqa: PLC0415 - lazy: with the waits, loaded on first use

        seconds, raising = _bulk.check_wait(wait_timeout, raise_on_failure)
        return _bulk.create_and_wait(self, args, kwargs, seconds, raising)

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
        from . import _bulk  # noqa: PLC0415 - lazy: with the waits, loaded on first use

        checked = _bulk.check_many(arguments, concurrency, wait, wait_timeout, raise_on_failure)
        return await _bulk.acreate_many(self, *checked)

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
        from . import _bulk  # noqa: PLC0415 - lazy: with the waits, loaded on first use

        checked = _bulk.check_many(arguments, concurrency, wait, wait_timeout, raise_on_failure)
        return _bulk.create_many(self, *checked)

    # -- one call path ---------------------------------------------------------------------------------------
    async def _acall(self, call: Call[T], options: RequestOptions) -> T:
        return await self._asend(call, self._requestor.options(options))

    def _call(self, call: Call[T], options: RequestOptions) -> T:
        return self._send(call, self._requestor.options(options))

    async def _asend(self, call: Call[T], options: CallOptions) -> T:
        """Send `call` through this object's requestor; a Task it returns follows that requestor."""
        requestor = self._requestor
        return _following(await requestor.acall(call, options), requestor)

    def _send(self, call: Call[T], options: CallOptions) -> T:
        """The sync twin of `_asend`."""
        requestor = self._requestor
        return _following(requestor.call(call, options), requestor)

    def _follow_all(self, items: TaskList) -> TaskList:
        for item in items:
            item.bind(self._requestor)
        return items


_TASK = Task.from_dict
_ITEM = TasksListItem.from_dict


def _following(result: T, requestor: Requestor) -> T:
    """`result`, following `requestor` when it is a Task."""
    if isinstance(result, Task):
        result.bind(requestor)
    return result
