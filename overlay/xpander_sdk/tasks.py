"""`Tasks`: the facade users call, `await Tasks().acreate(...)` and `Tasks().create(...)`.

The parameters, their order and their defaults are the official SDK's; the keyword-only `timeout`,
`max_retries` and `retry_unsafe` after them are this SDK's per-call options.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx
from attrs import evolve

from ._http import (
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT,
    CallOptions,
    HTTPSession,
    RetryPolicy,
    check_timeout,
    invalid_response,
)
from .configuration import API_KEY_ENV, Configuration
from .exceptions import InvalidArgumentError
from .models import AttachmentRef, LLMReasoningEffort, MCPServerDetails, OutputFormat, Principal, ThinkMode, User

if TYPE_CHECKING:
    from .task import Task

TIMEOUT_ENV = "XPANDER_TIMEOUT"
MAX_RETRIES_ENV = "XPANDER_MAX_RETRIES"


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


def parse_task(response: httpx.Response, secrets: Iterable[str] = ()) -> Task:
    """The Task in a 2xx response, or InvalidResponseError when the body is not one."""
    from .task import Task  # noqa: PLC0415 - the Task model (and the generated one) load on the first create

    if not response.content:
        raise invalid_response(response, "the body is empty", secrets)
    try:
        data = response.json()
    except ValueError:
        raise invalid_response(response, "the body is not JSON", secrets) from None
    if not isinstance(data, dict):
        raise invalid_response(response, f"expected a JSON object, got a JSON {type(data).__name__}", secrets)
    try:
        return Task.from_dict(data)
    except KeyError as exc:
        raise invalid_response(response, f"the required key {exc} is missing", secrets) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise invalid_response(response, f"a field has the wrong type or format ({exc})", secrets) from None


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

    `Tasks()` with no arguments at all uses one process-wide pool shared by all such instances (so
    `await Tasks().acreate(...)` in a loop reuses connections); `close()` leaves that pool open.
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
    ) -> None:
        if configuration is not None and not isinstance(configuration, Configuration):
            raise InvalidArgumentError("configuration", f"configuration must be a Configuration, got {configuration!r}")
        bare = configuration is None and timeout is None and max_retries is None
        self.configuration = configuration or Configuration()
        self.timeout = _default_timeout() if timeout is None else check_timeout(timeout)
        retries = _default_max_retries() if max_retries is None else _check_max_retries(max_retries)
        self.retry_policy = RetryPolicy(max_retries=retries)
        self._owns_session = not (bare and http_client is None and async_http_client is None and limits is None)
        if self._owns_session:
            self._session = HTTPSession(
                limits=limits or DEFAULT_LIMITS, http_client=http_client, async_http_client=async_http_client
            )
        else:
            self._session = shared_session()

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
    ) -> Task:
        """Create a task on the agent `agent_id` and return it (usually `pending`: the agent runs it in the
        background). Raises a `ModuleException` subclass on any failure; nothing is sent for refused arguments.

        `timeout` and `max_retries` override the `Tasks` settings for this call. `retry_unsafe=True` also
        retries failures after which the server may already have created the task (5xx other than 503, read
        timeouts, dropped connections): it can create the task twice."""
        arguments = locals()
        pool = await self._session.async_pool()
        request, options, secrets = self._prepare(pool.client, arguments, timeout, max_retries, retry_unsafe)
        response = await self._session.asend(pool, request, options, secrets)
        return parse_task(response, secrets)

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
    ) -> Task:
        """The sync twin of `acreate`, on a real sync client: no event loop and no thread are involved, so it
        also works (blocking) inside a running event loop, such as a notebook's."""
        arguments = locals()
        client = self._session.sync_client()
        request, options, secrets = self._prepare(client, arguments, timeout, max_retries, retry_unsafe)
        response = self._session.send(request, options, secrets)
        return parse_task(response, secrets)

    def _prepare(
        self,
        client: httpx.Client | httpx.AsyncClient,
        arguments: dict[str, Any],
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        retry_unsafe: bool,
    ) -> tuple[httpx.Request, CallOptions, Iterable[str]]:
        """Check every argument and build the request; raises InvalidArgumentError before anything is sent."""
        from . import _request  # noqa: PLC0415 - with the generated models, loaded on the first create

        api_key = self.configuration.api_key
        if not api_key:
            raise InvalidArgumentError(
                "api_key", f"No API key: set {API_KEY_ENV} or pass Tasks(configuration=Configuration(api_key=...))"
            )
        _request.check_header_value("api_key", api_key, secret=True)
        agent_version = _request.agent_version_header(arguments["agent_version"])
        if not isinstance(retry_unsafe, bool):
            raise InvalidArgumentError("retry_unsafe", f"retry_unsafe must be True or False, got {retry_unsafe!r}")
        retry = self.retry_policy
        if max_retries is not None:
            retry = evolve(retry, max_retries=_check_max_retries(max_retries))
        options = CallOptions(
            timeout=self.timeout if timeout is None else check_timeout(timeout),
            retry=retry,
            retry_unsafe=retry_unsafe,
        )
        request = _request.build_request(
            client,
            header_cache=self._session.header_cache if self._session.owns(client) else None,
            root_url=self.configuration.root_url,
            agent_id=_request.check_agent_id(arguments["agent_id"]),
            body=_request.build_model(arguments),
            api_key=api_key,
            agent_version=agent_version,
            timeout=options.timeout,
        )
        return request, options, _request.CallSecrets(arguments, api_key)
