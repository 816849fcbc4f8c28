"""Transport: pooled httpx clients, building requests, timeouts, retries with backoff, logging, and HTTP
failures as ModuleExceptions. Every endpoint goes through one path: `HTTPSession.call` (sync) or `acall`.

Whether a failed request is retried depends on the endpoint (see `Endpoint.idempotent`). Get, list and stop
are idempotent: like openai-python, they are retried after a dropped connection, a timeout, a 408, a 429 or a
5xx. Creating (and updating) a task is not: by default such a request is retried only when the server cannot
have acted on it (the connection was never established, or it answered 429 or 503); any other failure after
the request was sent is raised at once with `outcome_unknown` set, unless the caller opted in with
`retry_unsafe=True` for that call.

`timeout` bounds each attempt as a whole: its largest value is the attempt's deadline (see `attempt_budget`),
while each socket operation keeps its own httpx timeout.

The SDK's own async clients run on aiohttp under asyncio (`_aiohttp`, through httpx-aiohttp) and on httpx's
transport under trio or when asked (`http_transport`, `XPANDER_HTTP_TRANSPORT`); both raise httpx's exceptions,
read here alike. After `os.fork()` the child drops (never closes) the
pooled clients the SDK made, so it never shares a connection with its parent (see `_abandon_after_fork`).
"""

from __future__ import annotations

import atexit
import email.utils
import json
import logging
import math
import os
import random
import ssl
import sys
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar
from urllib.parse import urlsplit

import httpx
from attrs import field, frozen

from ._attempt import ATTEMPT_DEADLINE, DEADLINE_REACHED, HEAD_TOO_LARGE, MAX_HEAD_BYTES
from ._constants import (
    DEFAULT_HTTP_TRANSPORT,
    DEFAULT_LIMITS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    HTTP_TRANSPORT_ENV,
    HTTP_TRANSPORTS,
    INITIAL_RETRY_DELAY,
    MAX_CONNECT_TIMEOUT,
    MAX_DESCRIPTION_CHARS,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    SDK_HEADERS,
    STREAM_LIMITS,
)
from .exceptions import (
    NO_HTTP_STATUS,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InvalidArgumentError,
    InvalidResponseError,
    ModuleException,
    RequestInfo,
    field_errors,
    status_error_class,
)

if TYPE_CHECKING:
    from anyio import Semaphore

    _Client = TypeVar("_Client", httpx.Client, httpx.AsyncClient)

T = TypeVar("T")
logger = logging.getLogger("xpander_sdk")

HeaderCache = dict[tuple[tuple[str, str], ...], httpx.Headers]
"""Request headers made once, by the headers a request adds to its client's defaults (see `HTTPSession`)."""
REDACTED = "***"

# httpx failures that happen before a byte of the request reaches the server: always safe to retry.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


@frozen
class RetryPolicy:
    """How many times, and how long to wait: exponential backoff with jitter, honouring `Retry-After`."""

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    max_retry_after: float = MAX_RETRY_AFTER
    """A `Retry-After` longer than this is not waited for: the error is raised with its `retry_after`."""

    def backoff(self, retry_number: int) -> float:
        """The wait before retry `retry_number` (1, 2, ...): initial * 2^(n-1), capped, times 0.5-1.0."""
        delay: float = min(self.max_delay, self.initial_delay * 2.0 ** (retry_number - 1))
        return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not cryptography


@frozen
class CallOptions:
    """What one call may change: its timeout, its retry policy, whether unsafe failures are retried, and what it
    adds to the request (headers, query parameters, body keys: for what this version does not know yet)."""

    timeout: httpx.Timeout
    retry: RetryPolicy
    retry_unsafe: bool = False
    extra_headers: tuple[tuple[str, str], ...] = ()
    extra_query: tuple[tuple[str, str], ...] = ()
    extra_body: Mapping[str, Any] | None = None


@frozen
class Endpoint(Generic[T]):
    """One route of the API, described once: what it does (for messages), whether repeating it is safe, and how
    its 2xx response is read. Its request comes from the generated endpoint's builder (see `Call`)."""

    action: str
    """What the call does, in the words of an error message: "create the task", "list the tasks"."""
    idempotent: bool
    """Safe to repeat (get, list, stop): retried after any failure that may be transient (see `_may_retry`)."""
    parse: Callable[[httpx.Response, Iterable[str]], T]
    """The result of a 2xx response; raises InvalidResponseError when the body is not what the route returns."""


@frozen
class Call(Generic[T]):
    """One call of an endpoint, ready to send: the route, headers and body from the generated request builder
    (`xpander_api.api.tasks.<operation>._get_kwargs`), and the secrets to keep out of any error message."""

    endpoint: Endpoint[T]
    method: str
    path: str
    body: Any = None
    """The JSON body; None sends no body at all (GET, DELETE)."""
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    secrets: Callable[[], Iterable[object]] = field(default=tuple, eq=False)
    """The secret values among the call's arguments (tokens, MCP keys), gathered only when an error needs them."""

    @classmethod
    def of(
        cls, endpoint: Endpoint[T], generated: Mapping[str, Any], secrets: Callable[[], Iterable[object]] = tuple
    ) -> Call[T]:
        """The call a generated `_get_kwargs` describes: keys `method`, `url`, and optionally `json`, `params`
        and `headers` (a test pins this shape: the builder is the generator's private helper)."""
        params = generated.get("params") or {}
        return cls(
            endpoint,
            generated["method"].upper(),
            generated["url"],
            generated.get("json"),
            tuple((name, value) for name, value in params.items()),
            tuple(generated.get("headers", {}).items()),
            secrets,
        )


def parse_retry_after(headers: httpx.Headers, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or `retry-after-ms`; None when absent or bad."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    wait: float = when.timestamp() - now()
    return max(0.0, wait)


class Secrets:
    """The strings to keep out of a call's errors and logs: the API key and the call's own secrets (see
    `Call.secrets`), each also JSON-escaped (a server that re-serialises the request echoes `\\"` or `\\uXXXX`
    forms), longest first. Worked out on first use: a successful call never pays for them."""

    __slots__ = ("_api_key", "_collect", "_values")

    def __init__(self, api_key: str, collect: Callable[[], Iterable[object]] = tuple) -> None:
        self._api_key, self._collect = api_key, collect
        self._values: tuple[str, ...] | None = None

    def __iter__(self) -> Iterator[str]:
        if self._values is None:
            found = {value for value in (self._api_key, *self._collect()) if isinstance(value, str) and len(value) >= 3}
            escaped = {json.dumps(value, ensure_ascii=ascii)[1:-1] for value in found for ascii in (True, False)}
            self._values = tuple(sorted(found | escaped, key=len, reverse=True))
        return iter(self._values)


def redact(text: str, secrets: Iterable[str], marker: str = REDACTED) -> str:
    """`text` with every secret value of the call replaced by `marker` (***): servers may echo a request back."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, marker)
    return text


def redact_json(value: Any, secrets: tuple[str, ...], marker: str = REDACTED) -> Any:
    """A parsed JSON value with every secret replaced by `marker` (***), in every string it holds (keys too)."""
    if isinstance(value, str):
        return redact(value, secrets, marker)
    if isinstance(value, list):
        return [redact_json(item, secrets, marker) for item in value]
    if isinstance(value, dict):
        return {redact(key, secrets, marker): redact_json(item, secrets, marker) for key, item in value.items()}
    return value


def _describe_body(body: Any, text: str) -> str:
    detail = body.get("detail") if isinstance(body, dict) else None
    errors = field_errors(body)
    if errors:
        return "; ".join(str(error) for error in errors)
    if isinstance(detail, str):
        return detail
    if detail is not None:
        return json.dumps(detail, ensure_ascii=False)
    return text.strip() or "(empty body)"


def status_error(response: httpx.Response, secrets: Iterable[str]) -> APIStatusError:
    """The ModuleException subclass for a non-2xx response (the body must have been read)."""
    text = response.text
    try:
        body: Any = response.json()
    except ValueError:
        body = text
    secrets = tuple(secrets)
    if response.is_redirect:
        location = response.headers.get("location", "?")
        description = f"Redirect to {location} not followed (the API key is never sent to another URL)"
    else:
        description = _describe_body(body, text)
    description = redact(description, secrets)[:MAX_DESCRIPTION_CHARS]
    body = redact_json(body, secrets)
    cls = status_error_class(response.status_code)
    return cls(
        response.status_code,
        description,
        body=body,
        response=response,
        request_id=response.headers.get("x-request-id"),
        retry_after=parse_retry_after(response.headers),
    )


def attempt_budget(timeout: httpx.Timeout) -> float | None:
    """The seconds one attempt may take in all: the largest finite value of `timeout` (`timeout=1.0` is 1 s
    for everything; the default, 60 s). None when every value is None (no bound)."""
    values = [value for value in (timeout.connect, timeout.read, timeout.write, timeout.pool) if value is not None]
    return max(values) if values else None


def _tried(error: httpx.HTTPError, request: httpx.Request) -> httpx.URL:
    """The URL httpx was sending to when `error` happened (the SDK's request when the error carries none)."""
    try:
        return error.request.url
    except RuntimeError:  # an error made without its request (the async gate's PoolTimeout)
        return request.url


def _origin(url: httpx.URL) -> str:
    """`scheme://host:port` of `url`: never its userinfo, path or query (and no header is ever shown)."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return f"{url.scheme}://{host}" if port is None else f"{url.scheme}://{host}:{port}"


_TIMEOUT_PHASES: dict[type[httpx.TimeoutException], str] = {
    httpx.ConnectTimeout: "Timed out connecting to",
    httpx.WriteTimeout: "Timed out sending the request to",
    httpx.ReadTimeout: "Timed out waiting for the response from",
    httpx.PoolTimeout: "Timed out waiting for a free connection in the pool for",
}
_FAILURES: tuple[tuple[type[httpx.HTTPError], str], ...] = (
    (httpx.ProxyError, "Could not connect through the proxy to"),
    (httpx.ConnectError, "Could not connect to"),
    (httpx.RemoteProtocolError, "The connection to {} was closed or the answer was not valid HTTP"),
    (httpx.NetworkError, "The connection to {} was closed or reset"),
)


def transport_error(error: httpx.HTTPError, request: httpx.Request, budget: float | None = None) -> ModuleException:
    """The ModuleException for an httpx failure that produced no response it could read, naming the origin
    that was tried. `budget` is the attempt's deadline in seconds (see `attempt_budget`)."""
    sent = not isinstance(error, (*_NOT_SENT, httpx.PoolTimeout))
    origin = _origin(_tried(error, request))
    what = type(error).__name__
    message = str(error)
    detail = f"{what}: {message or what}"
    failure: ModuleException
    if isinstance(error, httpx.TimeoutException) and message.startswith(DEADLINE_REACHED):
        failure = deadline_error(origin, budget, detail, request_sent=sent)
    elif isinstance(error, httpx.TimeoutException):
        phase = _TIMEOUT_PHASES.get(type(error), "Timed out talking to")
        failure = APITimeoutError(f"{phase} {origin} ({detail})", request_sent=sent)
    elif isinstance(error, httpx.RemoteProtocolError) and HEAD_TOO_LARGE in message:
        failure = _head_too_large(origin, detail)
    else:
        phrase = next((phrase for kind, phrase in _FAILURES if isinstance(error, kind)), "The request to {} failed")
        phrase = phrase.format(origin) if "{}" in phrase else f"{phrase} {origin}"
        failure = APIConnectionError(f"{phrase} ({detail})", request_sent=sent)
    failure.__cause__ = error
    return failure


def deadline_error(origin: str, budget: float | None, detail: str, *, request_sent: bool) -> APITimeoutError:
    """The error for an attempt that ran out of its deadline."""
    return APITimeoutError(
        f"Timed out: no complete response from {origin} within {budget} s ({detail})", request_sent=request_sent
    )


def _head_too_large(origin: str, detail: str) -> InvalidResponseError:
    """The server answered, with a head the HTTP client will not buffer: not a connection failure, and it may
    have created the task (InvalidResponseError: never retried, outcome unknown)."""
    limit = MAX_HEAD_BYTES // 1024
    return InvalidResponseError(
        NO_HTTP_STATUS,
        f"The server at {origin} answered, but its response head is larger than the {limit} KiB the HTTP "
        f"client reads ({detail})",
    )


def undecodable(response: httpx.Response, error: httpx.DecodingError) -> ModuleException:
    """The error for a response whose body does not decode (a corrupt Content-Encoding): the status counts."""
    reason = f"the body could not be decoded ({error})"
    if response.is_success:
        failure: ModuleException = InvalidResponseError(
            response.status_code,
            f"The server answered {response.status_code} but the SDK could not read the task: {reason}",
            response=response,
            request_id=response.headers.get("x-request-id"),
        )
    else:
        failure = status_error_class(response.status_code)(
            response.status_code,
            reason,
            response=response,
            request_id=response.headers.get("x-request-id"),
            retry_after=parse_retry_after(response.headers),
        )
    failure.__cause__ = error
    return failure


def invalid_response(
    response: httpx.Response, reason: str, secrets: Iterable[str] = (), what: str = "the task"
) -> InvalidResponseError:
    """The error for a 2xx whose body is not `what` (a task, a list of tasks): the server may have acted."""
    return InvalidResponseError(
        response.status_code,
        f"The server answered {response.status_code} but the SDK could not read {what}: {reason}",
        body=redact(response.text, secrets)[:MAX_DESCRIPTION_CHARS],
        response=response,
        request_id=response.headers.get("x-request-id"),
    )


def _may_retry(error: ModuleException, options: CallOptions, idempotent: bool) -> bool:
    """Whether `error` may pass with a new attempt without acting twice: always when nothing reached the server
    (or it said 429 or 503); for an idempotent request (or with `retry_unsafe`), also after a timeout, a dropped
    connection, a 408 or a 5xx."""
    repeatable = idempotent or options.retry_unsafe
    if isinstance(error, APIConnectionError):
        return repeatable or not error.request_sent
    if isinstance(error, APIStatusError):
        if error.status_code in (429, 503):
            return True
        return repeatable and (error.status_code >= 500 or error.status_code == 408)
    return False


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One TLS context per process: httpx would build one (about 40 ms) for every client it makes."""
    return httpx.create_ssl_context()


def _own_client(client_class: type[_Client], limits: httpx.Limits) -> _Client:
    """A client of the SDK's own on httpx's transport: pooled, with the SDK's headers and timeouts, and the
    attempt deadline in its network backend."""
    from . import _deadline  # noqa: PLC0415 - imports httpcore, which httpx too loads with its first client

    try:
        client = client_class(limits=limits, timeout=DEFAULT_TIMEOUT, verify=_ssl_context(), headers=SDK_HEADERS)
    except ImportError as exc:  # a socks:// proxy in the environment without httpx[socks]
        raise InvalidArgumentError("proxy", f"the proxy from the environment cannot be used: {exc}") from None
    _deadline.install(client)
    return client


def check_http_transport(value: object, parameter: str = "http_transport") -> str:
    """One of `HTTP_TRANSPORTS` ("aiohttp", "httpx"), as given (case and spaces aside)."""
    name = value.strip().lower() if isinstance(value, str) else None
    if name not in HTTP_TRANSPORTS:
        choices = " or ".join(repr(choice) for choice in HTTP_TRANSPORTS)
        raise InvalidArgumentError(parameter, f"{parameter} must be {choices}, got {value!r}")
    return name


def configured_http_transport() -> str:
    """The transport `XPANDER_HTTP_TRANSPORT` names, else the default (aiohttp)."""
    configured = os.environ.get(HTTP_TRANSPORT_ENV)
    if not configured:
        return DEFAULT_HTTP_TRANSPORT
    return check_http_transport(configured, HTTP_TRANSPORT_ENV)


def _own_async_client(limits: httpx.Limits, transport: str | None, on_asyncio: bool) -> httpx.AsyncClient:
    """An async client of the SDK's own for the running loop: on aiohttp's transport under asyncio unless
    `transport` (else `XPANDER_HTTP_TRANSPORT`) says "httpx"; on httpx's under trio, which aiohttp does not run
    on."""
    if on_asyncio and (transport or configured_http_transport()) == "aiohttp":
        from . import _aiohttp  # noqa: PLC0415 - imports aiohttp (tens of ms): paid when the first client is made

        return _aiohttp.AsyncClient(limits=limits, timeout=DEFAULT_TIMEOUT, verify=_ssl_context(), headers=SDK_HEADERS)
    return _own_client(httpx.AsyncClient, limits)


class AsyncPool:
    """An AsyncClient, with the gate that bounds the requests in flight to the pool's connections and the wait
    for a place to the pool timeout (in front of the transport: httpcore's queue costs grow with its length),
    and for the SDK's own clients the async generator that closes it when its event loop ends.

    The loop finalises async generators still alive when it shuts down (`asyncio.run` calls
    `shutdown_asyncgens()`, and trio does the same), so `_close_at_loop_end` closes the client inside its own loop
    even when the caller never calls `aclose()`: the documented `asyncio.run(Tasks().acreate(...))` leaves no
    socket open. A caller's client has neither gate nor closer: it is used as it is.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        gate: AsyncioGate | AnyioGate | None = None,
        closer: AsyncGenerator[None, None] | None = None,
    ) -> None:
        self.client = client
        self.gate = gate
        self._closer = closer

    @classmethod
    async def open(cls, limits: httpx.Limits, transport: str | None = None) -> AsyncPool:
        """A new client of the SDK's own, for the running event loop, on `transport` (see `_own_async_client`)."""
        on_asyncio = _on_asyncio()
        client = _own_async_client(limits, transport, on_asyncio)
        closer = _close_at_loop_end(client)
        await anext(closer)
        places = limits.max_connections or 1_000_000
        return cls(client, AsyncioGate(places) if on_asyncio else AnyioGate(places), closer)

    @property
    def own(self) -> bool:
        """Whether the client is the SDK's own (with the attempt deadline in its transport), not the caller's."""
        return self.gate is not None

    async def enter(self, timeout: httpx.Timeout) -> None:
        """Take a place at the gate for one attempt; waiting longer than the pool timeout is a PoolTimeout."""
        if self.gate is not None:
            await self.gate.enter(timeout.pool)

    def leave(self) -> None:
        if self.gate is not None:
            self.gate.leave()


POOL_TIMEOUT = "no free connection within the pool timeout"


class AsyncioGate:
    """The gate on asyncio: its own semaphore and timeout. A call that waits pays for a timeout each time,
    and asyncio's costs a fraction of anyio's cancel scope (with 1,000 calls in flight on 100 connections,
    900 wait)."""

    __slots__ = ("_semaphore",)

    def __init__(self, places: int) -> None:
        import asyncio  # noqa: PLC0415 - loaded already: the gate is made on a running asyncio loop

        self._semaphore = asyncio.Semaphore(places)

    async def enter(self, pool_timeout: float | None) -> None:
        semaphore = self._semaphore
        if not semaphore.locked():  # a free place: taken without waiting (the usual case, and the cheap one)
            await semaphore.acquire()
            return
        import asyncio  # noqa: PLC0415 - loaded already (see __init__)

        try:
            async with asyncio.timeout(pool_timeout):
                await semaphore.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout(POOL_TIMEOUT) from None

    def leave(self) -> None:
        self._semaphore.release()


class AnyioGate:
    """The gate elsewhere (trio): anyio's semaphore, and its cancel scope for the pool timeout."""

    __slots__ = ("_semaphore",)

    def __init__(self, places: int) -> None:
        from anyio import Semaphore  # noqa: PLC0415 - httpx's own dependency, imported when first needed

        self._semaphore: Semaphore = Semaphore(places)

    async def enter(self, pool_timeout: float | None) -> None:
        semaphore = self._semaphore
        if semaphore.value > 0:  # a free place: no wait, so no cancel scope
            semaphore.acquire_nowait()
            return
        from anyio import fail_after  # noqa: PLC0415

        try:
            with fail_after(pool_timeout):
                await semaphore.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout(POOL_TIMEOUT) from None

    def leave(self) -> None:
        self._semaphore.release()


async def _close_at_loop_end(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    owner = os.getpid()
    try:
        yield
    finally:
        if os.getpid() == owner:  # never in a forked child: the connections are its parent's (see HTTPSession)
            await client.aclose()


class HTTPSession:
    """The HTTP clients of one `Tasks`: one pooled `httpx.Client`, and one `httpx.AsyncClient` per event loop.

    An AsyncClient's connections belong to the event loop that opened them, so a `Tasks` used across several
    `asyncio.run()` calls gets a client per loop, and drops the ones whose loop has closed. Clients passed in by
    the caller are used as they are and never closed here.

    Fork safety: in a child made by `os.fork()` (gunicorn --preload, multiprocessing's fork, Celery prefork),
    every session drops the clients it made, so the child's first call opens connections of its own instead of
    writing on a socket its parent still uses (both would read each other's responses). They are dropped, not
    closed: closing would send a TLS close_notify on the parent's socket. The lock is replaced too (another
    thread may have held it at the fork). Clients passed in by the caller are the caller's: they are kept, and
    after a fork the caller must not use them in both processes.
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits = DEFAULT_LIMITS,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        http_transport: str | None = None,
    ) -> None:
        self._limits = limits
        self._http_transport = http_transport
        """The transport of the async clients this session makes; None: `XPANDER_HTTP_TRANSPORT` when each is made."""
        self._lock = threading.Lock()
        self._sync_client = http_client
        self._owns_sync = http_client is None
        self._user_async_pool = None if async_http_client is None else AsyncPool(async_http_client)
        self._async_pools: dict[weakref.ref[object], AsyncPool] = {}
        self._streams: HTTPSession | None = None
        self.header_cache: HeaderCache = {}
        """The headers of requests on this session's own clients, by the headers a request adds (see
        `_request.build_request`): all its clients are made alike, so they share one default set."""
        _SESSIONS.add(self)

    def _abandon_after_fork(self) -> None:
        """In a forked child: forget (never close) the clients this session made, and replace the lock. An
        aiohttp client is cut off its connections first (see `_aiohttp.forget_connections`: its event loop would
        go on reading them), then let go of quietly (`_discard`)."""
        self._lock = threading.Lock()
        if self._owns_sync:
            self._sync_client = None
        for pool in self._async_pools.values():
            if _on_aiohttp(pool):
                from . import _aiohttp  # noqa: PLC0415 - already imported with the client it made

                _aiohttp.forget_connections(pool.client)
            _discard(pool)
        self._async_pools = {}

    # -- clients -------------------------------------------------------------------------------------------
    @property
    def streams(self) -> HTTPSession:
        """The session of event streams: clients of their own without a connection cap (`STREAM_LIMITS`), so
        that open streams never hold the places calls wait for; the caller's clients when they gave some."""
        streams = self._streams
        if streams is None:
            with self._lock:
                if self._streams is None:
                    user_async = None if self._user_async_pool is None else self._user_async_pool.client
                    self._streams = HTTPSession(
                        limits=STREAM_LIMITS,
                        http_client=None if self._owns_sync else self._sync_client,
                        async_http_client=user_async,
                        http_transport=self._http_transport,
                    )
                streams = self._streams
        return streams

    def sync_client(self) -> httpx.Client:
        if ROUTED is not None and self._owns_sync:
            return ROUTED.sync_client
        client = self._sync_client
        if client is None:
            with self._lock:
                if self._sync_client is None:
                    self._sync_client = _own_client(httpx.Client, self._limits)
                client = self._sync_client
        return client

    async def async_client(self) -> httpx.AsyncClient:
        """The async client of the running event loop, made on first use."""
        return (await self.async_pool()).client

    async def async_pool(self) -> AsyncPool:
        """The async client (and its gate) of the running event loop, made on first use."""
        if self._user_async_pool is not None:
            return self._user_async_pool
        if ROUTED is not None:
            return ROUTED.async_pool
        key = weakref.ref(_running_loop())
        pool = self._async_pools.get(key)
        if pool is None:
            with self._lock:
                self._drop_clients_of_closed_loops()
            pool = self._async_pools.setdefault(key, await AsyncPool.open(self._limits, self._http_transport))
        return pool

    def owns(self, client: httpx.Client | httpx.AsyncClient) -> bool:
        """Whether `client` is one this session made (and configured), not the caller's."""
        if self._user_async_pool is not None and client is self._user_async_pool.client:
            return False
        return client is not self._sync_client or self._owns_sync

    def _drop_clients_of_closed_loops(self) -> None:
        for key in [key for key in self._async_pools if (loop := key()) is None or _is_closed(loop)]:
            _discard(self._async_pools.pop(key))

    def _discard_idle_clients(self) -> None:
        """At exit: let go of the async clients whose loop is not running (they can no longer be closed)."""
        for key in list(self._async_pools):
            loop = key()
            if loop is None or not getattr(loop, "is_running", lambda: False)():
                _discard(self._async_pools.pop(key))

    def close(self) -> None:
        """Close the sync client (if this session made it), and that of the event streams. Async clients need
        `aclose()`."""
        if self._streams is not None:
            self._streams.close()
        with self._lock:
            client, self._sync_client = self._sync_client, (None if self._owns_sync else self._sync_client)
        if self._owns_sync and client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the async client of the running loop, and the sync client."""
        pool = self._async_pools.pop(weakref.ref(_running_loop()), None)
        if pool is not None:
            await pool.client.aclose()
        if self._streams is not None:
            await self._streams.aclose()
        self.close()

    # -- calling -------------------------------------------------------------------------------------------
    def call(self, call: Call[T], root_url: str, api_key: str, options: CallOptions) -> T:
        """Send `call` on the sync client with retries and return what its endpoint reads from the response;
        raise the ModuleException of the last failure, carrying the request."""
        client = self.sync_client()
        root_url = _reached_root(client, root_url)
        request = build_request(client, call, root_url, api_key, options, self._header_cache_for(client))
        secrets = Secrets(api_key, call.secrets)
        return _result(call, request, self.send(request, call, options, secrets), secrets)

    async def acall(self, call: Call[T], root_url: str, api_key: str, options: CallOptions) -> T:
        """The async twin of `call`, on the running loop's client."""
        pool = await self.async_pool()
        root_url = _reached_root(pool.client, root_url)
        request = build_request(pool.client, call, root_url, api_key, options, self._header_cache_for(pool.client))
        secrets = Secrets(api_key, call.secrets)
        return _result(call, request, await self.asend(pool, request, call, options, secrets), secrets)

    def open_stream(self, call: Call[Any], root_url: str, api_key: str, options: CallOptions) -> httpx.Response:
        """One attempt at a streamed answer (an event stream; its caller decides on retries): the 2xx response
        with its body unread (the caller reads and closes it), or the attempt's ModuleException, carrying the
        request."""
        client = self.sync_client()
        root_url = _reached_root(client, root_url)
        request = build_request(client, call, root_url, api_key, options, self._header_cache_for(client))
        started = time.perf_counter()
        return _one_attempt(request, call, _open(client, request), started, options, Secrets(api_key, call.secrets))

    async def aopen_stream(self, call: Call[Any], root_url: str, api_key: str, options: CallOptions) -> httpx.Response:
        """The async twin of `open_stream`, on the running loop's client, outside the gate of the calls (a stream
        holds its connection for as long as it lasts)."""
        client = (await self.async_pool()).client
        root_url = _reached_root(client, root_url)
        request = build_request(client, call, root_url, api_key, options, self._header_cache_for(client))
        started = time.perf_counter()
        outcome = await _aopen(client, request)
        return _one_attempt(request, call, outcome, started, options, Secrets(api_key, call.secrets))

    def _header_cache_for(self, client: httpx.Client | httpx.AsyncClient) -> HeaderCache | None:
        """The header cache for the SDK's own clients; None for a caller's, whose own `build_request` runs."""
        return self.header_cache if self.owns(client) else None

    def send(
        self, request: httpx.Request, call: Call[Any], options: CallOptions, secrets: Iterable[str]
    ) -> httpx.Response:
        """Send with retries: the 2xx response (body read), or raise the ModuleException of the last failure.

        Each attempt has a deadline (see `attempt_budget`), kept by the network backend of the SDK's own client.
        A caller's sync client has a transport of its own, which knows no deadline: there only httpx's timeout
        of each socket operation applies."""
        client = self.sync_client()
        budget = attempt_budget(options.timeout)
        retries = 0
        while True:
            started = time.perf_counter()
            token = ATTEMPT_DEADLINE.set(_attempt_deadline(budget))
            try:
                outcome = _attempt(client, request, budget)
            finally:
                ATTEMPT_DEADLINE.reset(token)
            step = _settle(request, call, outcome, started, retries, options, secrets)
            if isinstance(step, httpx.Response):
                return step
            retries += 1
            time.sleep(_retry_pause(step))

    async def asend(
        self, pool: AsyncPool, request: httpx.Request, call: Call[Any], options: CallOptions, secrets: Iterable[str]
    ) -> httpx.Response:
        """The async twin of `send`, on `pool` (see `async_pool`): at most `max_connections` requests of one
        client are in flight at once. On a caller's async client, the deadline is a cancel scope around the
        attempt (`anyio.fail_after`)."""
        budget = attempt_budget(options.timeout)
        retries = 0
        while True:
            started = time.perf_counter()
            token = ATTEMPT_DEADLINE.set(_attempt_deadline(budget))
            try:
                if pool.own or budget is None:
                    outcome = await _aattempt(pool, request, options.timeout, budget)
                else:
                    outcome = await _aattempt_within(pool, request, options.timeout, budget)
            finally:
                ATTEMPT_DEADLINE.reset(token)
            step = _settle(request, call, outcome, started, retries, options, secrets)
            if isinstance(step, httpx.Response):
                return step
            retries += 1
            await _async_sleep(_retry_pause(step))


class Routed(NamedTuple):
    """Where `xpander_sdk.testing.FakeBackend.install()` sends the SDK: the clients that every session uses in
    place of its own (a session on a caller's clients keeps them), the fake's API key, for a `Tasks` made
    before without one, and its base URL, which replaces the configured one in the requests sent there."""

    sync_client: httpx.Client
    async_pool: AsyncPool
    api_key: str
    base_url: str


ROUTED: Routed | None = None
"""Set while a fake backend is installed; None otherwise (one global read per call)."""


def _reached_root(client: httpx.Client | httpx.AsyncClient, root_url: str) -> str:
    """The root URL a request on `client` goes to: the configured one, or on the clients of an installed fake
    backend, the fake's base URL with the configured root's path (an organization id segment) kept, so that a
    `Tasks` made before the install (at import time, on the cloud's URL) logs and reports what it reached."""
    routed = ROUTED
    if routed is None or (client is not routed.sync_client and client is not routed.async_pool.client):
        return root_url
    return _rooted_at(routed.base_url, root_url)


@lru_cache(maxsize=64)
def _rooted_at(base_url: str, root_url: str) -> str:
    return base_url.rstrip("/") + urlsplit(root_url).path.rstrip("/")


_SESSIONS: weakref.WeakSet[HTTPSession] = weakref.WeakSet()
"""Every HTTPSession alive, for `_abandon_after_fork`."""


def _discard(pool: AsyncPool) -> None:
    """Let go of an async client whose event loop is closed (or gone at exit): its connections can no longer be
    closed from their loop. An httpx client goes quietly; an aiohttp one is told so first (see
    `_aiohttp.discard`), or it would log errors about an unclosed session when collected."""
    if _on_aiohttp(pool):
        from . import _aiohttp  # noqa: PLC0415 - already imported with the client it made

        _aiohttp.discard(pool.client)


def _on_aiohttp(pool: AsyncPool) -> bool:
    """Whether the SDK's own `pool` is on aiohttp (its client is then `_aiohttp`'s, and that module loaded)."""
    return not isinstance(pool.client._transport, httpx.AsyncHTTPTransport)


def _discard_at_exit() -> None:
    for session in list(_SESSIONS):
        session._discard_idle_clients()


atexit.register(_discard_at_exit)


def _abandon_after_fork() -> None:
    """Run in the child after `os.fork()`: no session keeps a client (nor a lock) of the parent."""
    for session in list(_SESSIONS):
        session._abandon_after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_abandon_after_fork)


def _attempt_deadline(budget: float | None) -> float | None:
    """When an attempt must be over: `budget` seconds from now, or sooner when an outer deadline (a sync wait's,
    see `_wait`) is set."""
    outer = ATTEMPT_DEADLINE.get()
    own = None if budget is None else time.monotonic() + budget
    if outer is None or (own is not None and own < outer):
        return own
    return outer


def _retry_pause(delay: float) -> float:
    """`delay`, cut to the time left before an outer deadline: past it, the next attempt fails at once."""
    outer = ATTEMPT_DEADLINE.get()
    return delay if outer is None else max(0.0, min(delay, outer - time.monotonic()))


def _attempt(client: httpx.Client, request: httpx.Request, budget: float | None) -> httpx.Response | ModuleException:
    """One attempt: the response with its body read, or the error it ended in."""
    try:
        return _read_body(client.send(request, stream=True), request, budget)
    except httpx.HTTPError as exc:
        return transport_error(exc, request, budget)


async def _aattempt(
    pool: AsyncPool, request: httpx.Request, timeout: httpx.Timeout, budget: float | None
) -> httpx.Response | ModuleException:
    """The async twin of `_attempt`, through the pool's gate."""
    try:
        await pool.enter(timeout)
        try:
            return await _aread_body(await pool.client.send(request, stream=True), request, budget)
        finally:
            pool.leave()
    except httpx.HTTPError as exc:
        return transport_error(exc, request, budget)


async def _aattempt_within(
    pool: AsyncPool, request: httpx.Request, timeout: httpx.Timeout, budget: float
) -> httpx.Response | ModuleException:
    """`_aattempt` on a caller's async client, cancelled when `budget` seconds have passed."""
    from anyio import fail_after  # noqa: PLC0415 - httpx's own dependency, imported when first needed

    try:
        with fail_after(budget):
            return await _aattempt(pool, request, timeout, budget)
    except TimeoutError:
        detail = f"{DEADLINE_REACHED}, the attempt was cancelled"
        return deadline_error(_origin(request.url), budget, detail, request_sent=True)


def _one_attempt(
    request: httpx.Request,
    call: Call[Any],
    outcome: httpx.Response | ModuleException,
    started: float,
    options: CallOptions,
    secrets: Iterable[str],
) -> httpx.Response:
    """The response of a 2xx attempt, or raise its error (`options` allow no retry: the stream's `Follower`
    decides on them)."""
    step = _settle(request, call, outcome, started, 0, options, secrets)
    if not isinstance(step, httpx.Response):
        raise TypeError("open_stream takes options without retries (max_retries=0)")
    return step


def _open(client: httpx.Client, request: httpx.Request) -> httpx.Response | ModuleException:
    """One attempt at a streamed answer: a 2xx response with its body unread; any other with it read."""
    try:
        response = client.send(request, stream=True)
    except httpx.HTTPError as exc:
        return transport_error(exc, request)
    return response if response.is_success else _read_body(response, request, None)


async def _aopen(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response | ModuleException:
    """The async twin of `_open`."""
    try:
        response = await client.send(request, stream=True)
    except httpx.HTTPError as exc:
        return transport_error(exc, request)
    return response if response.is_success else await _aread_body(response, request, None)


def _read_body(
    response: httpx.Response, request: httpx.Request, budget: float | None
) -> httpx.Response | ModuleException:
    """The response with its body read, or the error when the body cannot be read or decoded."""
    try:
        response.read()
    except httpx.DecodingError as exc:
        return undecodable(response, exc)
    except httpx.HTTPError as exc:
        return transport_error(exc, request, budget)
    finally:
        response.close()
    return response


async def _aread_body(
    response: httpx.Response, request: httpx.Request, budget: float | None
) -> httpx.Response | ModuleException:
    """The async twin of `_read_body`."""
    try:
        await response.aread()
    except httpx.DecodingError as exc:
        return undecodable(response, exc)
    except httpx.HTTPError as exc:
        return transport_error(exc, request, budget)
    finally:
        await response.aclose()
    return response


def _on_asyncio() -> bool:
    """Whether the running event loop is asyncio's (not trio's)."""
    return _asyncio_loop() is not None


def _asyncio_loop() -> object | None:
    """The running asyncio loop, or None.

    asyncio is looked up in sys.modules, not imported: sync-only users never pay for it, and when it was never
    imported, no asyncio loop can be running.
    """
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    try:
        loop: object = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop


def _running_loop() -> object:
    """The identity of the running event loop: the asyncio loop, or the trio run's token."""
    loop = _asyncio_loop()
    if loop is not None:
        return loop
    import trio  # noqa: PLC0415 - not asyncio: httpx runs on trio too

    return trio.lowlevel.current_trio_token()


def _is_closed(loop: object) -> bool:
    is_closed = getattr(loop, "is_closed", None)
    return bool(is_closed()) if is_closed is not None else False


async def _async_sleep(seconds: float) -> None:
    """Sleep in whatever async library runs us (asyncio or trio, as httpx supports both)."""
    import anyio  # noqa: PLC0415 - httpx's own dependency, imported when first needed

    await anyio.sleep(seconds)


def _settle(
    request: httpx.Request,
    call: Call[Any],
    outcome: httpx.Response | ModuleException,
    started: float,
    retries: int,
    options: CallOptions,
    secrets: Iterable[str],
) -> httpx.Response | float:
    """Judge one attempt: the response when it succeeded, the seconds to wait before the next attempt, or
    raise the ModuleException that ends the call."""
    if isinstance(outcome, httpx.Response):
        _log_response(request, outcome, started, retries)
        if outcome.is_success:
            return outcome
        error: ModuleException = status_error(outcome, secrets)
    else:
        error = outcome
    delay = _retry_delay(error, options, retries, call.endpoint.idempotent)
    if delay is None:
        error.request = request_info(request, call)
        raise error
    _log_retry(request, error, delay, retries + 1, options.retry.max_retries)
    return delay


def _retry_delay(error: ModuleException, options: CallOptions, retries: int, idempotent: bool) -> float | None:
    """Seconds to wait before the next attempt, or None to give up with `error`."""
    policy = options.retry
    if retries >= policy.max_retries or not _may_retry(error, options, idempotent):
        return None
    retry_after = error.retry_after if isinstance(error, APIStatusError) else None
    if retry_after is None:
        return policy.backoff(retries + 1)
    if retry_after > policy.max_retry_after:
        return None
    return retry_after


def request_info(request: httpx.Request, call: Call[Any]) -> RequestInfo:
    """What an error tells of its request: method and URL (without userinfo; headers never), and whether it
    was idempotent."""
    url = request.url.copy_with(userinfo=b"") if request.url.userinfo else request.url
    return RequestInfo(request.method, str(url), call.endpoint.idempotent)


def _result(call: Call[T], request: httpx.Request, response: httpx.Response, secrets: Iterable[str]) -> T:
    """What the endpoint reads from a 2xx response; a body it cannot read raises with the request attached."""
    try:
        return call.endpoint.parse(response, secrets)
    except ModuleException as error:
        error.request = request_info(request, call)
        raise


def _log_response(request: httpx.Request, response: httpx.Response, started: float, retries: int) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug(
            "%s %s -> %d in %.1f ms (attempt %d)",
            request.method,
            request.url,
            response.status_code,
            elapsed_ms,
            retries + 1,
        )


def _log_retry(request: httpx.Request, error: ModuleException, delay: float, retry: int, max_retries: int) -> None:
    logger.info(
        "%s %s failed (%s: %s); retry %d of %d in %.2f s",
        request.method,
        request.url,
        type(error).__name__,
        error,
        retry,
        max_retries,
        delay,
    )


def check_timeout(value: object, parameter: str = "timeout") -> httpx.Timeout:
    """A positive number of seconds, or an httpx.Timeout. None (wait forever) is refused on purpose."""
    if isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return httpx.Timeout(float(value), connect=min(MAX_CONNECT_TIMEOUT, float(value)))
    raise InvalidArgumentError(
        parameter, f"{parameter} must be a positive number of seconds or an httpx.Timeout, got {value!r}"
    )


# -- building requests ----------------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def endpoint_url(root_url: str, path: str) -> httpx.URL:
    """The URL of a request, parsed once per root URL and path: httpx.URL is immutable, and parsing it costs
    more than the rest of building the request."""
    try:
        url = httpx.URL(root_url + path)
    except httpx.InvalidURL as exc:
        raise InvalidArgumentError("base_url", f"base_url does not make a valid URL ({exc}): {root_url!r}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidArgumentError(
            "base_url", f"base_url must be an http:// or https:// URL with a host, got {root_url!r}"
        )
    return url


_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON: the bytes httpx 0.28 writes for `json=` (and so the official SDK sends), whatever
    the installed httpx version (0.27 writes spaces), from one encoder made once instead of one per call."""
    return _JSON_ENCODER.encode(value).encode("utf-8")


def _cached_headers(
    cache: HeaderCache, client: httpx.Client | httpx.AsyncClient, extra: tuple[tuple[str, str], ...]
) -> httpx.Headers:
    """`client`'s default headers and `extra`, normalised once per `extra` (httpx.Request copies them, so the
    cached object is never changed). A bounded cache: a new API key or agent version adds an entry."""
    headers = cache.get(extra)
    if headers is None:
        if len(cache) >= 64:
            cache.clear()
        headers = httpx.Headers(client.headers)
        headers.update(extra)  # a header the request sets replaces the client's default (accept, for a stream)
        cache[extra] = headers
    return headers


def _body(call: Call[Any], extra_body: Mapping[str, Any] | None) -> bytes | None:
    """The encoded body of `call` with `extra_body`'s keys merged in (they win); None for a call without one."""
    if not extra_body:
        return None if call.body is None else encode_json(call.body)
    if call.body is None:
        raise InvalidArgumentError("extra_body", f"extra_body cannot be used here: {call.method} sends no body")
    return encode_json({**call.body, **extra_body})


def build_request(
    client: httpx.Client | httpx.AsyncClient,
    call: Call[Any],
    root_url: str,
    api_key: str,
    options: CallOptions,
    header_cache: HeaderCache | None,
) -> httpx.Request:
    """The httpx request of `call` with the API key, this SDK's headers and the call's extras.

    `header_cache` is None for a caller's client: its `build_request` applies its headers, cookies and query
    parameters. The SDK's own clients have nothing of the kind but their default headers (and send no cookies:
    the API key is the only credential), so their requests are built directly, on headers normalised once (see
    `HTTPSession.header_cache`)."""
    url = endpoint_url(root_url, call.path)
    if call.params or options.extra_query:  # extra_query's keys replace the call's own
        url = url.copy_merge_params({**dict(call.params), **dict(options.extra_query)})
    content = _body(call, options.extra_body)
    extra = (*call.headers, ("x-api-key", api_key), *options.extra_headers)
    if header_cache is None:
        headers = httpx.Headers(SDK_HEADERS)
        headers.update(extra)
        return client.build_request(call.method, url, content=content, headers=headers, timeout=options.timeout)
    return httpx.Request(
        call.method,
        url,
        content=content,
        headers=_cached_headers(header_cache, client, extra),
        extensions={"timeout": options.timeout.as_dict()},
    )
