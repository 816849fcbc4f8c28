"""The connection pools: the SDK's own httpx clients (one sync client, one async client per event loop, on
aiohttp's transport or httpx's), the gate that bounds the async requests in flight, where an installed fake
backend routes them, and what happens to them at exit and after `os.fork()` (see `HTTPSession`).

`_send` sends on the clients a session gives; nothing here builds or judges a request.
"""

from __future__ import annotations

import atexit
import os
import ssl
import sys
import threading
import weakref
from collections.abc import AsyncGenerator
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, TypeVar
from urllib.parse import urlsplit

import httpx

from ._checks import check_http_transport
from ._constants import (
    DEFAULT_HTTP_TRANSPORT,
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT,
    HTTP_TRANSPORT_ENV,
    SDK_HEADERS,
    STREAM_LIMITS,
)
from .exceptions import InvalidArgumentError

if TYPE_CHECKING:
    from anyio import Semaphore

    _Client = TypeVar("_Client", httpx.Client, httpx.AsyncClient)

HeaderCache = dict[tuple[tuple[str, str], ...], httpx.Headers]
"""Request headers made once, by the headers a request adds to its client's defaults (see `HTTPSession`)."""


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One TLS context per process: httpx would build one (about 40 ms) for every client it makes."""
    return httpx.create_ssl_context()


def _own_client(client_class: type[_Client], limits: httpx.Limits) -> _Client:
    """A client of the SDK's own on httpx's transport: pooled, with the SDK's headers and timeouts, and the
    attempt deadline in its network backend."""
    from . import _httpcore_backend  # noqa: PLC0415 - lazy: imports httpcore, which httpx loads with its first client

    try:
        client = client_class(limits=limits, timeout=DEFAULT_TIMEOUT, verify=_ssl_context(), headers=SDK_HEADERS)
    except ImportError as exc:  # a socks:// proxy in the environment without httpx[socks]
        raise InvalidArgumentError("proxy", f"the proxy from the environment cannot be used: {exc}") from None
    _httpcore_backend.install(client)
    return client


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
        from . import _aiohttp  # noqa: PLC0415 - lazy: imports aiohttp (tens of ms), paid when the first client is made

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
                from . import _aiohttp  # noqa: PLC0415 - lazy: loaded already, with the client it made

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

    def header_cache_for(self, client: httpx.Client | httpx.AsyncClient) -> HeaderCache | None:
        """The header cache for the SDK's own clients; None for a caller's, whose own `build_request` runs."""
        return self.header_cache if self.owns(client) else None


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


def reached_root(client: httpx.Client | httpx.AsyncClient, root_url: str) -> str:
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
        from . import _aiohttp  # noqa: PLC0415 - lazy: loaded already, with the client it made

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


async def async_sleep(seconds: float) -> None:
    """Sleep in whatever async library runs us (asyncio or trio, as httpx supports both)."""
    import anyio  # noqa: PLC0415 - httpx's own dependency, imported when first needed

    await anyio.sleep(seconds)
