"""The attempt deadline of the SDK's own clients: an httpcore network backend whose every connect, TLS
handshake, write and read waits at most until the deadline of the current attempt (`_deadline.ATTEMPT_DEADLINE`).

httpx applies its timeouts to each socket operation, so a server that keeps sending something (a `100
Continue` every few hundred milliseconds, a response head one byte at a time) keeps a call alive for as long as
it likes. Here each operation gets min(its own timeout, the time left); when the time left is what ran out, the
httpcore timeout raised says so (its message starts with `_deadline.DEADLINE_REACHED`), and httpx maps it to its
own timeout of the same kind. The cost is one contextvar read and one clock read per socket operation.

This module imports httpcore, so it is imported only when the SDK makes its first client.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

from ._deadline import ATTEMPT_DEADLINE, DEADLINE_REACHED

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable

    from httpcore._backends.base import SOCKET_OPTION

_TimeoutClass = type[httpcore.ConnectTimeout] | type[httpcore.ReadTimeout] | type[httpcore.WriteTimeout]
_CONNECTING = (httpcore.ConnectTimeout, "connecting")
_SENDING = (httpcore.WriteTimeout, "sending the request")
_WAITING = (httpcore.ReadTimeout, "waiting for the response")


def install(client: httpx.Client | httpx.AsyncClient) -> None:
    """Put the deadline backend under every httpx transport of `client` (its own and those httpx mounted for
    proxies from the environment).

    httpx takes no network backend, so this sets the `_network_backend` of each transport's httpcore pool
    before the pool has made any connection (tests/test_deadline.py pins the attributes relied on)."""
    transports: list[Any] = [client._transport, *client._mounts.values()]
    for transport in transports:
        if isinstance(transport, httpx.HTTPTransport):
            transport._pool._network_backend = Backend(transport._pool._network_backend)
        elif isinstance(transport, httpx.AsyncHTTPTransport):
            transport._pool._network_backend = AsyncBackend(transport._pool._network_backend)


def _bounded(timeout: float | None, kind: tuple[_TimeoutClass, str]) -> tuple[float | None, bool]:
    """The timeout for one operation, and whether it is the time left until the deadline (not its own)."""
    deadline = ATTEMPT_DEADLINE.get()
    if deadline is None:
        return timeout, False
    left = deadline - time.monotonic()
    if timeout is not None and timeout <= left:
        return timeout, False
    if left <= 0:
        raise _reached(kind)
    return left, True


def _reached(kind: tuple[_TimeoutClass, str]) -> httpcore.TimeoutException:
    error_class, phase = kind
    return error_class(f"{DEADLINE_REACHED} while {phase}")


class _Limit:
    """`with _Limit(timeout, kind) as bounded:` runs one socket operation with the bounded timeout, and turns
    its timeout into the deadline's own when the time left is what ran out."""

    __slots__ = ("_capped", "_kind", "_timeout")

    def __init__(self, timeout: float | None, kind: tuple[_TimeoutClass, str]) -> None:
        self._kind = kind
        self._timeout, self._capped = _bounded(timeout, kind)

    def __enter__(self) -> float | None:
        return self._timeout

    def __exit__(self, error_type: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        if self._capped and error_type is not None and issubclass(error_type, self._kind[0]):
            raise _reached(self._kind) from None


class Backend(httpcore.NetworkBackend):
    """A sync backend whose streams keep to the deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        with _Limit(timeout, _CONNECTING) as bounded:
            stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return Stream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SOCKET_OPTION] | None = None
    ) -> httpcore.NetworkStream:
        with _Limit(timeout, _CONNECTING) as bounded:
            stream = self._backend.connect_unix_socket(path, bounded, socket_options)
        return Stream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if ATTEMPT_DEADLINE.get() is None:  # no deadline (an event stream's reads): the plain read
            return self._stream.read(max_bytes, timeout)
        with _Limit(timeout, _WAITING) as bounded:
            return self._stream.read(max_bytes, bounded)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with _Limit(timeout, _SENDING) as bounded:
            self._stream.write(buffer, bounded)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        with _Limit(timeout, _CONNECTING) as bounded:
            return Stream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class AsyncBackend(httpcore.AsyncNetworkBackend):
    """The async twin of `Backend` (asyncio and trio alike: it wraps httpcore's own backend)."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with _Limit(timeout, _CONNECTING) as bounded:
            stream = await self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return AsyncStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        with _Limit(timeout, _CONNECTING) as bounded:
            stream = await self._backend.connect_unix_socket(path, bounded, socket_options)
        return AsyncStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class AsyncStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if ATTEMPT_DEADLINE.get() is None:  # no deadline (an event stream's reads): the plain read
            return await self._stream.read(max_bytes, timeout)
        with _Limit(timeout, _WAITING) as bounded:
            return await self._stream.read(max_bytes, bounded)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with _Limit(timeout, _SENDING) as bounded:
            await self._stream.write(buffer, bounded)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        with _Limit(timeout, _CONNECTING) as bounded:
            return AsyncStream(await self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)
