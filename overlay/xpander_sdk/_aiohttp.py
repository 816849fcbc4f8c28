"""The aiohttp transport of the SDK's own async clients on asyncio: httpx's API on aiohttp's connection pool,
through `httpx_aiohttp.AiohttpTransport` (checked against httpx-aiohttp 0.2.0 and aiohttp 3.14), with what
that transport leaves out filled in here.

Why aiohttp: on httpx's own async transport, more requests in flight make each one slower; on aiohttp, the SDK
does more per second at 100 and 1,000 in flight than one at a time (`make bench`).

What this layer changes of httpx-aiohttp 0.2.0 and of aiohttp's defaults, each shown by a test (test_aiohttp,
test_faults):
- Failures: every aiohttp failure becomes the httpx exception of the same event, so `_failures.transport_error`
  reads both transports alike. httpx-aiohttp calls a dropped or reset connection (`ServerDisconnectedError`,
  `ClientOSError`) a `ConnectTimeout`, which says that nothing was sent: a create would be retried and could
  run twice. It lets a response head that is not HTTP or too large (`ClientResponseError`), and aiohttp's own
  timeout (`asyncio.TimeoutError`), escape as they are.
- The attempt deadline (`_deadline.ATTEMPT_DEADLINE`) is aiohttp's `total` timeout, which covers connecting,
  sending, the head and the body: httpx-aiohttp passes only the per-operation timeouts, so a server sending a
  `100 Continue` every few hundred milliseconds would keep a call alive for ever. aiohttp has no write timeout;
  the deadline bounds writes. aiohttp ends a request past its total with a plain TimeoutError whatever it was
  doing: the `Connector` records when the request got its connection (`Progress`), so a deadline that ran out
  while connecting is a ConnectTimeout (nothing sent), as on httpx.
- A kept-alive connection is checked before reuse, as httpcore does (`Connector`); aiohttp's silent resend of a
  GET or DELETE is off (the SDK's retry rule is the only one); timeouts are not rounded up (`NO_ROUNDING`).
- `connect` is the time to open a connection (`sock_connect`), as in httpx; httpx-aiohttp gives aiohttp's
  `connect` (the wait for a pooled connection and the opening together) the pool timeout. Waiting for a place
  in the pool is bounded by the SDK's own gate (`_pool.AsyncPool`), before aiohttp.
- Limits: `max_connections=None` is no cap, as in httpx (httpx-aiohttp leaves aiohttp's 100, which would hold
  the 101st event stream); `keepalive_expiry` is kept (`max_keepalive_connections` has no aiohttp equivalent).
- The request goes out as httpx built it: its URL as encoded (aiohttp would re-quote it), its headers with
  their case and repeats, no header of aiohttp's own (httpx's requests carry the Accept, Accept-Encoding,
  User-Agent and Content-Type that aiohttp would add; `Request` for a DELETE's Content-Length), and a body
  over 1 MiB without aiohttp's warning. (The CONNECT aiohttp sends to a proxy for an https URL is aiohttp's
  own, with its User-Agent.)
- No cookie jar (the API key is the only credential); the largest response head h11 reads (`MAX_HEAD_BYTES`);
  environment proxies on this transport too (http and https; socks is refused, aiohttp would speak HTTP to it).
- Tracing: opentelemetry-instrumentation-httpx's wrappers on httpx's async transport wrap this transport's
  requests too (`traced`; tests/test_tracing.py): a span per request, as on httpx.

aiohttp is imported with this module, which `_pool` imports when it makes the first async client on asyncio.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import select
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._deadline import DEADLINE_REACHED, HEAD_TOO_LARGE, MAX_HEAD_BYTES, time_left
from .exceptions import InvalidArgumentError


class Phase:
    """Where a failure happened (the words of its message): connecting, waiting for the head, or reading the
    body. Which httpx exception an aiohttp failure becomes depends on it (see `MAPPING`)."""

    CONNECTING = "connecting"
    WAITING = "waiting for the response"
    READING = "reading the body"


class Progress:
    """How far one request has gone: `Phase.CONNECTING` until the pool hands it a connection (`Connector`
    says so through `PROGRESS`), then `Phase.WAITING`. aiohttp's total timeout ends a request with a plain
    TimeoutError whatever it was doing: this tells a connect that never finished (nothing sent: a create is
    retried) from a request that may have reached the server."""

    __slots__ = ("phase",)

    def __init__(self, phase: str = Phase.CONNECTING) -> None:
        self.phase = phase


PROGRESS: ContextVar[Progress | None] = ContextVar("xpander_sdk_aiohttp_progress", default=None)
"""The `Progress` of the request the running task is sending (set by `Transport.handle_async_request`)."""


def _deadline_passed() -> bool:
    left = time_left()
    return left is not None and left <= 0


def _timeout(error: BaseException, phase: str) -> httpx.HTTPError:
    """The httpx timeout for an aiohttp timeout: a connect timeout when no connection was made (aiohttp says
    so, whichever of its timeouts ran out); the deadline's own message when the attempt's deadline is what ran
    out (aiohttp's `total`: a plain TimeoutError, or any of its timeouts once the deadline has passed)."""
    connecting = isinstance(error, aiohttp.ConnectionTimeoutError) or phase == Phase.CONNECTING
    kind: type[httpx.TimeoutException] = httpx.ConnectTimeout if connecting else httpx.ReadTimeout
    if _deadline_passed() or not isinstance(error, aiohttp.ServerTimeoutError):
        return kind(f"{DEADLINE_REACHED} while {Phase.CONNECTING if connecting else phase}")
    return kind(str(error) or type(error).__name__)


RESETS = ("ConnectionResetError(", "ConnectionAbortedError(", "BrokenPipeError(")
"""How aiohttp names a connection broken under a body in the message of its `ClientPayloadError` (the only
place it keeps it: the error's cause is the length check that failed)."""


def _payload_error(error: aiohttp.ClientPayloadError, phase: str) -> httpx.HTTPError:
    """A body that ended before its end: reset (a NetworkError), or closed early or malformed (the words
    httpcore uses for a body cut short)."""
    if any(reset in str(error) for reset in RESETS):
        return httpx.ReadError(str(error))
    return httpx.RemoteProtocolError(f"peer closed connection without sending complete message body ({error})")


def _response_error(error: aiohttp.ClientResponseError, phase: str) -> httpx.HTTPError:
    """A response head aiohttp could not read: too large (a line over `MAX_HEAD_BYTES`, or too many headers),
    or not HTTP at all."""
    message = str(error.message)
    if "Got more than" in message or "Too many headers" in message or "too long" in message.lower():
        return httpx.RemoteProtocolError(f"{HEAD_TOO_LARGE}: {message}")
    return httpx.RemoteProtocolError(f"The answer was not valid HTTP: {message}")


def _as(kind: type[httpx.TransportError]) -> Callable[[BaseException, str], httpx.HTTPError]:
    return lambda error, phase: kind(str(error) or type(error).__name__)


def _disconnected(error: BaseException, phase: str) -> httpx.HTTPError:
    """The server closed the connection: before its answer (httpcore's words), or in the middle of its body."""
    if phase == Phase.READING:
        return httpx.RemoteProtocolError(f"peer closed connection without sending complete message body ({error})")
    return httpx.RemoteProtocolError("Server disconnected without sending a response.")


MAPPING: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], Callable[[Any, str], httpx.HTTPError]], ...]
MAPPING = (
    (TimeoutError, _timeout),  # aiohttp's own timeouts are all TimeoutErrors (ServerTimeoutError too)
    ((aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError), _as(httpx.ProxyError)),
    ((aiohttp.ClientConnectorError, aiohttp.ServerFingerprintMismatch), _as(httpx.ConnectError)),  # nothing sent
    ((aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError), _as(httpx.UnsupportedProtocol)),
    (aiohttp.ServerDisconnectedError, _disconnected),
    (aiohttp.ClientPayloadError, _payload_error),
    (aiohttp.ClientResponseError, _response_error),
    ((aiohttp.ClientOSError, aiohttp.ClientConnectionResetError), _as(httpx.ReadError)),  # broken once open
    (aiohttp.ClientError, _as(httpx.TransportError)),
)
"""aiohttp's failures, most specific first, and the httpx exception each becomes (given the phase)."""


def mapped_error(error: BaseException, phase: str) -> httpx.HTTPError | None:
    """The httpx exception for an aiohttp failure (or aiohttp's timeout) in `phase`; None for anything else,
    which is not the network's (a bug, a cancellation) and is raised as it is."""
    for kinds, convert in MAPPING:
        if isinstance(error, kinds):
            return convert(error, phase)
    return None


@contextlib.contextmanager
def mapping_errors(progress: Progress) -> Iterator[None]:
    """Raise the httpx exception of any aiohttp failure inside, given how far the request had gone when it
    failed, chained to it (less the request's headers)."""
    try:
        yield
    except Exception as exc:
        error = mapped_error(exc, progress.phase)
        if error is None:
            raise
        _forget_request_headers(exc)
        raise error from exc


def _forget_request_headers(error: BaseException) -> None:
    """aiohttp's response errors keep the request's headers (the API key among them), and show them in their
    repr: an error of the SDK's chain keeps the URL and the method only."""
    info = getattr(error, "request_info", None)
    if isinstance(info, aiohttp.RequestInfo):
        error.request_info = aiohttp.RequestInfo(info.url, info.method, CIMultiDictProxy(CIMultiDict()), info.real_url)  # type: ignore[attr-defined]


class ResponseStream(httpx.AsyncByteStream):
    """A response's body, as aiohttp receives it (each chunk as it arrives, for event streams). Closing it
    before the end closes the connection (aiohttp never reuses one with a body left unread)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with mapping_errors(Progress(Phase.READING)):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._response.release()


class Request(aiohttp.ClientRequest):
    """aiohttp's request, less the `Content-Length: 0` it adds to a DELETE without a body (httpx sends the
    headers it means to: the request's own, which this transport passes on)."""

    def update_body_from_data(self, body: Any, *args: Any, **kwargs: Any) -> None:
        if body is None:
            self._body = None
            return
        super().update_body_from_data(body, *args, **kwargs)


class Connector(aiohttp.TCPConnector):
    """aiohttp's pool, which tells the request's `Progress` when it has a connection, and makes the check
    httpcore makes before it reuses one: a kept-alive connection whose socket is readable has been closed or
    reset by the server (or holds bytes nobody asked for), and is dropped instead of written to. aiohttp
    notices a closed connection only once its event loop has read the end of file: a server that answers and
    closes at once would otherwise fail every other create with an unknown outcome (`Connection.close()` drops
    it). aiohttp 3.14's `_get` (private) returns only pooled connections: test_faults'
    `test_keep_alive_connection_closed_by_the_server_while_idle[blocked-async]` fails if that changes."""

    async def connect(self, req: aiohttp.ClientRequest, *args: Any, **kwargs: Any) -> aiohttp.connector.Connection:
        connection = await super().connect(req, *args, **kwargs)
        progress = PROGRESS.get()
        if progress is not None:
            progress.phase = Phase.WAITING
        return connection

    async def _get(self, *args: Any, **kwargs: Any) -> aiohttp.connector.Connection | None:
        while (connection := await super()._get(*args, **kwargs)) is not None and _readable(connection):
            connection.close()  # each pass takes one connection out of the pool: the loop ends
        return connection


def _readable(connection: aiohttp.connector.Connection) -> bool:
    """Whether the socket under `connection` has something to read (an end of file, a reset) without waiting
    (poll where there is one, select elsewhere: Windows; as httpcore's `is_socket_readable`)."""
    transport = connection.transport
    sock = None if transport is None else transport.get_extra_info("socket")
    if sock is None or sock.fileno() < 0:
        return False
    if not hasattr(select, "poll"):
        readable, _, _ = select.select([sock.fileno()], [], [], 0)
        return bool(readable)
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    return bool(poller.poll(0))


class Transport(AiohttpTransport):
    """httpx-aiohttp's transport with the changes of this module: its session, its timeouts, the request as
    httpx built it, and its failures as httpx's."""

    def __init__(self, *, ssl_context: ssl.SSLContext, limits: httpx.Limits, proxy: httpx.Proxy | None = None) -> None:
        super().__init__(verify=ssl_context, limits=limits, proxy=proxy, trust_env=False)
        self.ssl_context = ssl_context  # the SDK's one context (httpx makes one per client otherwise: 40 ms)
        self._proxy_arguments = _proxy_arguments(proxy)

    def get_client(self) -> aiohttp.ClientSession:
        """aiohttp's session for this transport. aiohttp itself would send a GET or DELETE again, once and
        silently, when a reused connection drops: the SDK's retries (`_send`, counted, logged, bounded by
        `max_retries`) are the only ones, so that one is turned off (`_retry_connection`, private: test_faults'
        `test_a_get_the_server_drops_on_a_kept_alive_connection_is_sent_once[async]` fails if it stops working)."""
        limits = self.limits
        connector = Connector(
            limit=limits.max_connections or 0,
            keepalive_timeout=limits.keepalive_expiry,
            ssl=self.ssl_context,
            timeout_ceil_threshold=NO_ROUNDING,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            request_class=Request,
            auto_decompress=False,
            max_line_size=MAX_HEAD_BYTES,
            max_field_size=MAX_HEAD_BYTES,
        )
        session._retry_connection = False  # the SDK's retry rule is the only one (see `get_client`'s docstring)
        return session

    def _session(self) -> aiohttp.ClientSession:
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        return self.client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through aiohttp, inside the wrappers that tracing put on httpx's own async transport
        (see `traced`): this transport is not an `httpx.AsyncHTTPTransport`, which they patch."""
        return await traced(self._send_request, self)(request)

    async def _send_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session()
        timeout = _client_timeout(request.extensions.get("timeout", {}))
        headers = CIMultiDict((name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw)
        progress = Progress()
        token = PROGRESS.set(progress)
        try:
            with mapping_errors(progress):
                response = await self._send(session, request, headers, timeout)
        finally:
            PROGRESS.reset(token)
        _check_head_size(response)
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=ResponseStream(response),
            request=request,
            extensions=_extensions(response),
        )

    async def _send(
        self,
        session: aiohttp.ClientSession,
        request: httpx.Request,
        headers: CIMultiDict[str],
        timeout: aiohttp.ClientTimeout,
    ) -> aiohttp.ClientResponse:
        return await session.request(  # a URL's userinfo goes as httpx's Basic header only (aiohttp refuses both)
            request.method,
            URL(str(request.url.copy_with(userinfo=b"") if request.url.userinfo else request.url), encoded=True),
            headers=headers,
            data=_body(request.content),
            allow_redirects=False,
            compress=False,
            timeout=timeout,
            server_hostname=request.extensions.get("sni_hostname"),
            **self._proxy_arguments,
        )


Send = Callable[[httpx.Request], Awaitable[httpx.Response]]


def traced(send: Send, transport: httpx.AsyncBaseTransport) -> Send:
    """`send` inside OpenTelemetry's wrappers that are on `httpx.AsyncHTTPTransport.handle_async_request` at this
    moment, nested as they are there (the last one put on outside); `send` itself when there are none.

    Why: tracing patches httpx's transport classes, and this transport is not one of them. opentelemetry-
    instrumentation-httpx's `HTTPXClientInstrumentor().instrument()` replaces that method with a wrapt
    `FunctionWrapper` whose wrapper opens a CLIENT span, adds the trace context to the request's headers and
    records the status or the error: the SDK's requests on httpx's transports get their spans that way, and on
    this one they would go unseen. Each wrapper is called as wrapt calls it, `wrapper(wrapped, instance, args,
    kwargs)`; each is a FunctionWrapper's `_self_wrapper` (wrapt's, private; `__wrapped__` leads to the next):
    tests/test_tracing.py fails on aiohttp if that changes. Only OpenTelemetry's wrappers (their function's
    module is `opentelemetry...`) and only enabled ones are applied: another tool's wrapper was written for
    httpx's own transport (it may read its connection pool), and is left to it. At most `MAX_WRAPPERS` are
    looked at. Looked up at each request, as httpx's own method is: an `uninstrument()` stops it. Nothing here
    imports opentelemetry or wrapt."""
    method = httpx.AsyncHTTPTransport.__dict__.get("handle_async_request")
    wrappers: list[Callable[..., Awaitable[httpx.Response]]] = []
    for _ in range(MAX_WRAPPERS):
        wrapper = getattr(method, "_self_wrapper", None)
        if not callable(wrapper):
            break
        if _is_opentelemetry(wrapper) and getattr(method, "_self_enabled", None) in (None, True):
            wrappers.append(wrapper)
        method = getattr(method, "__wrapped__", None)
    for wrapper in reversed(wrappers):
        send = functools.partial(_call_wrapper, wrapper, send, transport)
    return send


MAX_WRAPPERS = 16
"""How many wrappers `traced` looks through (a cycle of `__wrapped__` would otherwise never end)."""


def _is_opentelemetry(wrapper: Callable[..., object]) -> bool:
    """Whether a wrapper's function is OpenTelemetry's (the httpx instrumentation's is a `functools.partial`)."""
    function = getattr(wrapper, "func", wrapper)
    return str(getattr(function, "__module__", "")).startswith("opentelemetry.")


def _call_wrapper(
    wrapper: Callable[..., Awaitable[httpx.Response]], wrapped: Send, instance: object, request: httpx.Request
) -> Awaitable[httpx.Response]:
    return wrapper(wrapped, instance, (request,), {})


def _proxy_arguments(proxy: httpx.Proxy | None) -> dict[str, Any]:
    """What aiohttp's `request` takes to go through `proxy` (made once per transport)."""
    if proxy is None:
        return {}
    auth = None if proxy.auth is None else aiohttp.BasicAuth(*proxy.auth)
    return {"proxy": str(proxy.url), "proxy_auth": auth, "proxy_headers": dict(proxy.headers)}


LARGE_BODY = 1024 * 1024
"""aiohttp warns (a ResourceWarning) for every request whose body is more bytes than this, given as bytes."""


def _body(content: bytes) -> bytes | io.BytesIO | None:
    """The request's body as aiohttp takes it: none for no bytes, a large one as a file (sent in pieces, the
    same bytes)."""
    if not content:
        return None
    return io.BytesIO(content) if len(content) > LARGE_BODY else content


def _check_head_size(response: aiohttp.ClientResponse) -> None:
    """Refuse a response head larger than `MAX_HEAD_BYTES` in all, as httpx (h11) does: aiohttp bounds each line
    only. Its connection is closed (the body is not read)."""
    size = sum(len(name) + len(value) + 4 for name, value in response.raw_headers)
    if size > MAX_HEAD_BYTES:
        response.close()
        raise httpx.RemoteProtocolError(f"{HEAD_TOO_LARGE}: a response head of {size} bytes")


def _extensions(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """What httpx's own transport tells of a response: its HTTP version and reason phrase."""
    version = response.version
    extensions: dict[str, Any] = {
        "http_version": b"HTTP/1.1" if version is None else f"HTTP/{version[0]}.{version[1]}".encode()
    }
    if response.reason:
        extensions["reason_phrase"] = response.reason.encode()
    return extensions


def _client_timeout(timeouts: Mapping[str, float | None]) -> aiohttp.ClientTimeout:
    """httpx's per-operation timeouts as aiohttp's, with the attempt's deadline as the total; a deadline already
    passed fails at once, before anything is sent."""
    left = time_left()
    if left is not None and left <= 0:
        raise httpx.ConnectTimeout(f"{DEADLINE_REACHED} while {Phase.CONNECTING}")
    return aiohttp.ClientTimeout(
        total=left, sock_connect=timeouts.get("connect"), sock_read=timeouts.get("read"), ceil_threshold=NO_ROUNDING
    )


NO_ROUNDING = math.inf
"""aiohttp rounds a timeout of 5 s or more up to the next whole second (`ceil_threshold`): a 5.2 s deadline
would end after 6 s. The SDK's timeouts are kept as given, as httpx keeps them."""


class AsyncClient(httpx.AsyncClient):
    """An httpx.AsyncClient whose transports (its own, and one per proxy of the environment) are `Transport`s.
    httpx builds them in these two methods (httpx-aiohttp's own client overrides the same two)."""

    def _init_transport(  # type: ignore[override]  # httpx's keywords, of which the SDK sets verify and limits
        self,
        verify: ssl.SSLContext,
        limits: httpx.Limits,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: object,
    ) -> httpx.AsyncBaseTransport:
        return transport or Transport(ssl_context=verify, limits=limits)

    def _init_proxy_transport(  # type: ignore[override]
        self, proxy: httpx.Proxy, verify: ssl.SSLContext, limits: httpx.Limits, **options: object
    ) -> httpx.AsyncBaseTransport:
        if proxy.url.scheme not in ("http", "https"):  # aiohttp would speak HTTP to a SOCKS proxy
            raise InvalidArgumentError(
                "proxy",
                f"a {proxy.url.scheme}:// proxy (from the environment) is not supported by the aiohttp transport: "
                'use an http:// proxy, or Tasks(http_transport="httpx") with httpx[socks] installed',
            )
        return Transport(ssl_context=verify, limits=limits, proxy=proxy)


def forget_connections(client: httpx.AsyncClient) -> None:
    """In a forked child: cut this process off the connections of `client`, which are its parent's, without
    closing them. Each one's file descriptor is pointed at /dev/null: the socket stays open in the parent, and
    nothing that the child's copy of the event loop or of aiohttp's pool does with it (read an idle connection,
    close one past its keep-alive, with a TLS close_notify) reaches the parent's connection."""
    descriptors = [fd for session in _sessions(client) for fd in _descriptors(session)]
    if not descriptors:
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in descriptors:
            os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _sessions(client: httpx.AsyncClient) -> list[aiohttp.ClientSession]:
    """The aiohttp sessions of `client`'s transports (its own, and one per proxy), those made so far."""
    sessions = [getattr(transport, "client", None) for transport in (client._transport, *client._mounts.values())]
    return [session for session in sessions if isinstance(session, aiohttp.ClientSession)]


def _descriptors(session: aiohttp.ClientSession) -> list[int]:
    """The file descriptors of the connections in `session`'s pool, idle or in use."""
    connector = session.connector
    if connector is None:
        return []
    protocols = [protocol for idle in connector._conns.values() for protocol, _ in idle]
    protocols += connector._acquired
    sockets = [protocol.transport.get_extra_info("socket") for protocol in protocols if protocol.transport]
    return [sock.fileno() for sock in sockets if sock is not None and sock.fileno() >= 0]


def discard(client: httpx.AsyncClient) -> None:
    """Let go of `client` once its event loop is closed (or at exit): aiohttp's session and pool, collected
    unclosed, log an ERROR each ("Unclosed client session", "Unclosed connector") where an httpx client goes
    quietly. They are marked closed without any I/O (their loop cannot run it); the sockets close when
    collected, as an httpx client's do."""
    for session in _sessions(client):
        if session.connector is not None:
            session.connector._closed = True
            session._connector = None
