"""A real HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, for the reliability and security tests.

It runs an asyncio server in a background thread (standard library only), records every request it reads
(method, raw path, headers, body) and answers each one with a scripted action:

    with FaultServer() as server:
        server.script("/agent-execution/flaky", Reply(503, headers=(("retry-after", "0"),)), Reply(201, body=...))
        tasks = tasks_for(server.url)
        tasks.create("flaky", prompt="p")        # 503, then 201
        assert server.count == 2

The n-th request to a path gets the n-th action scripted for it (the last one repeats). A path with no script
gets `FAULTS[name]` when it is `/agent-execution/<name>` (so the agent id picks the fault), else `default`.
Actions: `Reply` (any status, headers and body), `Dynamic` (a reply made from the request, to echo it),
`Trickle` (a reply sent in small pieces with pauses), `Repeat` (the same bytes again and again, such as
endless `100 Continue`s), `Stream` (a streamed response, such as server-sent events: chunks sent at set times,
then the final chunk, a close, a reset or silence), `ResetMidBody` (headers and half the body, then a TCP
reset or a close), `Raw` (any bytes), `Reset` (a reset instead of a reply), `Close` (a clean close instead of a
reply) and `Hang` (read the request, never answer). `GET /_stats` answers the counters (requests, connections
accepted, open, most open at once) without being counted.

`running()` starts one in a thread of the test process; `spawned()` in a child process (for load tests: no
shared GIL, and its sockets, threads and memory stay out of the measurements). `tasks_for(url)` makes a
`Tasks` on it with retries that wait ~10 ms instead of 0.5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from attrs import define, evolve, frozen

from devtools.child import child_server
from xpander_sdk import Configuration, ModuleException, Task, Tasks

HOST = "127.0.0.1"
FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "fault-test-api-key"
STATS_PATH = "/_stats"

MINIMAL_TASK: dict[str, Any] = {
    "id": "t1",
    "agent_id": "a",
    "organization_id": "o",
    "input": {"text": "x"},
    "created_at": "2025-01-01T00:00:00Z",
}
FULL_TASK: dict[str, Any] = json.loads((FIXTURES / "task-response-full.json").read_text())
STREAMING_TASK_ID = "task-1"
STREAMING_ORG = "org-1"
STREAMING_EVENTS_PATH = f"/{STREAMING_ORG}/agent-execution/{STREAMING_TASK_ID}/events"
STREAMING_TASK: dict[str, Any] = {
    "id": STREAMING_TASK_ID,
    "agent_id": "agent-1",
    "organization_id": STREAMING_ORG,
    "input": {"text": "hi"},
    "created_at": "2026-05-01T12:00:00Z",
    "events_streaming": True,
}
"""A task created with events streaming, and the path of its event stream (the tests that follow one)."""
FASTAPI_422: dict[str, Any] = {
    "detail": [
        {"loc": ["body", "tool_call_limit"], "msg": "Input should be >= 0", "type": "greater_than_equal", "input": -1},
        {"loc": ["body", "input", "user", "email"], "msg": "Field required", "type": "missing"},
    ]
}
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    307: "Temporary Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    418: "I'm a teapot",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    520: "Unknown Error",
}


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


# -- actions ----------------------------------------------------------------------------------------------------
@frozen
class Reply:
    """An ordinary response. `content_type=None` sends no Content-Type header; `close` ends the connection
    (saying so); `idle_close` closes it silently that many seconds later (a server's keep-alive timeout)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str | None = "application/json"
    close: bool = False
    idle_close: float | None = None

    def head(self, content_length: int | None = None) -> bytes:
        lines = [f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Whatever')}"]
        if self.content_type is not None:
            lines.append(f"content-type: {self.content_type}")
        if self.status != 204:
            lines.append(f"content-length: {len(self.body) if content_length is None else content_length}")
        lines.append("connection: close" if self.close else "connection: keep-alive")
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def ok(status: int = 201, task: Mapping[str, Any] = MINIMAL_TASK, **options: Any) -> Reply:
    """A success with a task."""
    return Reply(status, json_bytes(task), **options)


@frozen
class Trickle:
    """`reply`, its body (with `head=True`, its head too) sent `chunk` bytes at a time with `delay` seconds
    between the pieces."""

    reply: Reply
    chunk: int = 8
    delay: float = 0.02
    head: bool = False


@frozen
class Repeat:
    """`data` sent again every `interval` seconds (such as endless `100 Continue`s), until the client goes away
    or `give_up_after` seconds have passed; then a close."""

    data: bytes
    interval: float
    give_up_after: float = 5.0


Piece = tuple[float, bytes]
"""A part of a `Stream`: the seconds to wait, then the bytes to send (one chunk)."""


@frozen
class Stream:
    """A response written as it goes, server-sent events by default: the head (`transfer-encoding: chunked`,
    or with `chunked=False` no length and `connection: close`: a body that ends with the connection), then each
    of `pieces` after its pause, then the `end`:

    - "done": the final chunk (the connection then serves the next request; closed when not chunked);
    - "close": a clean close (FIN) without the final chunk, a truncated chunked body;
    - "reset": a TCP reset;
    - "hang": nothing more, the connection open and silent until the client closes it (or `give_up_after`
      seconds, then a close).

    `pieces` may be a function that returns them (an iterator, to make a long stream as it is sent). Writing
    waits while the client is not reading (flow control), so a long stream never piles up in the server."""

    pieces: Sequence[Piece] | Callable[[], Iterable[Piece]] = ()
    end: Literal["done", "close", "reset", "hang"] = "done"
    status: int = 200
    content_type: str | None = "text/event-stream"
    headers: tuple[tuple[str, str], ...] = ()
    chunked: bool = True
    give_up_after: float = 10.0

    def head(self) -> bytes:
        lines = [f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Whatever')}"]
        if self.content_type is not None:
            lines.append(f"content-type: {self.content_type}")
        lines.append("cache-control: no-cache")
        lines.append("transfer-encoding: chunked" if self.chunked else "connection: close")
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def parts(self) -> Iterable[Piece]:
        return self.pieces() if callable(self.pieces) else self.pieces


@frozen
class ResetMidBody:
    """The head of `reply` (with its full Content-Length), half its body, then a TCP reset (or with
    `reset=False`, a clean close)."""

    reply: Reply
    reset: bool = True


@frozen
class Raw:
    """These bytes as they are (anything but HTTP, or several responses in one), then a close if `close`."""

    data: bytes
    close: bool = True


@frozen
class Reset:
    """A TCP reset (RST) after reading the request, instead of a response."""


@frozen
class Close:
    """A clean close (FIN) after reading the request, instead of a response."""


@frozen
class Hang:
    """Read the request and never answer; the connection is closed when the client gives up."""


@frozen
class Dynamic:
    """A reply made from the request (to echo it back, as some servers do in their errors)."""

    make: Callable[[Recorded], Reply]


Action = Reply | Trickle | Repeat | Stream | ResetMidBody | Raw | Reset | Close | Hang | Dynamic

FAULTS: dict[str, tuple[Action, ...]] = {
    "ok": (ok(),),
    "ok-200-full": (ok(200, FULL_TASK),),
    "ok-201-full": (ok(201, FULL_TASK),),
    "ok-201-minimal": (ok(),),
    "status-400": (Reply(400, json_bytes({"detail": "Invalid output_schema"})),),
    "status-401": (Reply(401, json_bytes({"detail": "Unauthorized"})),),
    "status-403": (Reply(403, json_bytes({"detail": "Forbidden"})),),
    "status-404": (Reply(404, json_bytes({"detail": "Agent not found"})),),
    "status-409": (Reply(409, json_bytes({"detail": "Task is already running"})),),
    "status-422": (Reply(422, json_bytes(FASTAPI_422)),),
    "status-418": (Reply(418, b"I'm a teapot", content_type="text/plain"),),
    "status-500": (Reply(500, json_bytes({"detail": "boom"})),),
    "status-502-html": (Reply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html"),),
    "status-503": (Reply(503, json_bytes({"detail": "unavailable"}), headers=(("retry-after", "0"),)),),
    "status-503-then-201": (Reply(503, b"", headers=(("retry-after", "0"),)), ok()),
    "status-504": (Reply(504, b"gateway timeout", content_type="text/plain"),),
    "status-520-text": (Reply(520, b"origin error: web server returned an unknown error", content_type="text/plain"),),
    "empty-204": (Reply(204, content_type=None),),
    "text-200": (Reply(200, b"OK", content_type="text/plain"),),
    "truncated-200": (Reply(200, json_bytes(MINIMAL_TASK)[:25]),),
    "missing-key-200": (Reply(200, json_bytes({k: v for k, v in MINIMAL_TASK.items() if k != "created_at"})),),
    "array-200": (Reply(200, json_bytes([MINIMAL_TASK])),),
    "reset": (Reset(),),
    "close": (Close(),),
    "reset-mid-body": (ResetMidBody(ok(200, FULL_TASK)),),
    "eof-mid-body": (ResetMidBody(ok(200, FULL_TASK), reset=False),),
    "hang": (Hang(),),
}


# -- the server -------------------------------------------------------------------------------------------------
@frozen
class Recorded:
    """One request as the server read it."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


@define
class _Script:
    actions: tuple[Action, ...]
    served: int = 0

    def next(self) -> Action:
        self.served += 1
        return self.actions[min(self.served, len(self.actions)) - 1]


class FaultServer:
    """See the module docstring. `record=False` keeps only the counts (for load tests)."""

    def __init__(self, *, record: bool = True, default: Action = FAULTS["ok"][0]) -> None:
        self.record = record
        self.default = default
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._count = 0
        self._connections = 0
        self._open = 0
        self._max_open = 0
        self._scripts: dict[str, _Script] = {}
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faultserver", daemon=True)
        self._server: asyncio.Server | None = None
        self._live: set[_Connection] = set()
        self._startup_error: BaseException | None = None
        self.port = 0

    # -- control (any thread) --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def script(self, path: str, *actions: Action) -> None:
        """Answer the requests to `path` with `actions` in turn (the last one repeats)."""
        with self._lock:
            self._scripts[path] = _Script(tuple(actions))

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    @property
    def count(self) -> int:
        """Requests read (whole head and body), recorded or not."""
        with self._lock:
            return self._count

    def stats(self) -> dict[str, int]:
        """Requests read, connections accepted, connections open now, and the most ever open at once."""
        with self._lock:
            return {
                "count": self._count,
                "connections": self._connections,
                "open": self._open,
                "max_open": self._max_open,
            }

    def start(self) -> FaultServer:
        self._thread.start()
        if not self._ready.wait(10) or self._startup_error is not None:
            raise RuntimeError(f"the fault server did not start: {self._startup_error!r}")
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if not self._loop.is_closed():
            self._loop.close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the loop's thread -----------------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(self._listen())
        except BaseException as exc:  # reported by start()
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    async def _listen(self) -> asyncio.Server:
        server = await self._loop.create_server(lambda: _Connection(self), HOST, 0, backlog=4096)
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        busy = [connection.busy for connection in self._live if connection.busy is not None]
        for task in busy:
            task.cancel()
        await asyncio.gather(*busy, return_exceptions=True)
        for connection in list(self._live):
            connection.reset()
        await asyncio.sleep(0)
        await self._server.wait_closed()

    def _opened(self, connection: _Connection) -> None:
        self._live.add(connection)
        with self._lock:
            self._connections += 1
            self._open += 1
            self._max_open = max(self._max_open, self._open)

    def _closed(self, connection: _Connection) -> None:
        self._live.discard(connection)
        with self._lock:
            self._open -= 1

    def _received(self, method: str, path: str, headers: tuple[tuple[str, str], ...], body: bytes) -> Action:
        """Count (and record) a request; the action that answers it. `GET /_stats` answers `stats()`, uncounted."""
        if method == "GET" and path == STATS_PATH:
            return Reply(200, json_bytes(self.stats()))
        recorded = Recorded(method, path, headers, body)
        with self._lock:
            self._count += 1
            if self.record:
                self._requests.append(recorded)
            script = self._scripts.get(path)
            if script is None:
                name = path.removeprefix("/agent-execution/")
                if name != path and name in FAULTS:
                    script = self._scripts[path] = _Script(FAULTS[name])
            action = self.default if script is None else script.next()
        return action.make(recorded) if isinstance(action, Dynamic) else action


class _Connection(asyncio.Protocol):
    """One client connection: parses requests as they come and carries out the action for each, in order.

    A `Reply` is written at once (the fast path); other actions run as a task, and the requests after them
    wait in the buffer until it is done."""

    def __init__(self, server: FaultServer) -> None:
        self._server = server
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self.busy: asyncio.Task[None] | None = None
        """The task carrying out a slow or broken action, if any (requests after it wait)."""
        self._lost = asyncio.get_running_loop().create_future()
        self._writable = asyncio.Event()
        """Clear while the transport's buffer is full (the client is not reading); set again when it drains or
        the connection is lost (only `Stream` waits for it)."""
        self._writable.set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server._opened(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._transport = None
            self._server._closed(self)
        if not self._lost.done():
            self._lost.set_result(None)
        self._writable.set()

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self.busy is None:
            self._serve()

    def reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), not a FIN."""
        transport = self._transport
        if transport is None:
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _serve(self) -> None:
        """Answer the complete requests in the buffer, until one needs a task or the connection ends."""
        while self._transport is not None and self.busy is None:
            request = self._next_request()
            if request is None:
                return
            action, client_close = request
            if isinstance(action, Reply):
                self._transport.write(action.head() + action.body)
                if action.close or client_close:
                    self._close()
                elif action.idle_close is not None:
                    asyncio.get_running_loop().call_later(action.idle_close, self._close)
            else:
                self.busy = asyncio.get_running_loop().create_task(self._perform(action, client_close))

    def _next_request(self) -> tuple[Action, bool] | None:
        """The action for the first complete request of the buffer (removed from it), and whether the client
        asked to close; None when the buffer holds no complete request yet."""
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        request_line, *lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        headers = tuple((name.strip(), value.strip()) for name, _, value in (line.partition(":") for line in lines))
        length = int(next((value for name, value in headers if name.lower() == "content-length"), "0"))
        if len(buffer) < end + 4 + length:
            return None
        body = bytes(buffer[end + 4 : end + 4 + length])
        del buffer[: end + 4 + length]
        method, path, _ = request_line.split(" ", 2)
        client_close = any(name.lower() == "connection" and value.lower() == "close" for name, value in headers)
        return self._server._received(method, path, headers, body), client_close

    async def _perform(self, action: Action, client_close: bool) -> None:
        try:
            keep_alive = await self._act(action)
        except asyncio.CancelledError:
            self.reset()
            raise
        self.busy = None
        if not keep_alive or client_close:
            self._close()
        else:
            self._serve()

    async def _trickle(self, transport: asyncio.Transport, action: Trickle) -> bool:
        head, body = action.reply.head(), action.reply.body
        if not action.head:
            transport.write(head)
        data = head + body if action.head else body
        for start in range(0, len(data), action.chunk):
            await asyncio.sleep(action.delay)
            if self._transport is None:
                return False
            transport.write(data[start : start + action.chunk])
        return not action.reply.close

    async def _stream(self, transport: asyncio.Transport, action: Stream) -> bool:
        transport.write(action.head())
        for delay, data in action.parts():
            if delay > 0:
                await asyncio.sleep(delay)
            if self._transport is None:
                return False
            if data:
                transport.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if action.chunked else data)
            if not self._writable.is_set():
                await self._writable.wait()
        if self._transport is None:
            return False
        if action.end == "done":
            if action.chunked:
                transport.write(b"0\r\n\r\n")
            return action.chunked
        if action.end == "reset":
            self.reset()
        elif action.end == "hang":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._lost), action.give_up_after)
        return False

    async def _act(self, action: Action) -> bool:
        """Carry out a slow or broken action; True when the connection may serve another request."""
        transport = self._transport
        if transport is None:
            return False
        if isinstance(action, Trickle):
            return await self._trickle(transport, action)
        if isinstance(action, Stream):
            return await self._stream(transport, action)
        if isinstance(action, Repeat):
            for _ in range(max(1, round(action.give_up_after / action.interval))):
                if self._transport is None:
                    break
                transport.write(action.data)
                await asyncio.sleep(action.interval)
        if isinstance(action, ResetMidBody):
            body = action.reply.body
            transport.write(action.reply.head() + body[: len(body) // 2])
            await asyncio.sleep(0.05)
            if action.reset:
                self.reset()
        elif isinstance(action, Raw):
            transport.write(action.data)
            return not action.close
        elif isinstance(action, Reset):
            self.reset()
        elif isinstance(action, Close):
            self._close()
        elif isinstance(action, Hang):
            await self._lost  # until the client gives up and closes its end
        return False


# -- in a process of its own ----------------------------------------------------------------------------------
@frozen
class ChildServer:
    """A FaultServer running in a child process (see `spawned`): its URL, and its counters over HTTP."""

    url: str

    def stats(self) -> dict[str, int]:
        with socket.create_connection((HOST, int(self.url.rsplit(":", 1)[1])), timeout=10) as sock:
            sock.sendall(f"GET {STATS_PATH} HTTP/1.1\r\nhost: {HOST}\r\nconnection: close\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        stats: dict[str, int] = json.loads(data.split(b"\r\n\r\n", 1)[1])
        return stats


@contextlib.contextmanager
def spawned() -> Iterator[ChildServer]:
    """A FaultServer (record=False) in a child process (for load tests): see devtools.child."""
    with child_server("tests.faultserver") as port:
        yield ChildServer(f"http://{HOST}:{port}")


def main() -> None:
    """Serve (record=False) until stdin closes; print the port first."""
    with FaultServer(record=False) as server:
        print(server.port, flush=True)
        sys.stdin.read()


# -- helpers for the tests --------------------------------------------------------------------------------------
@contextlib.contextmanager
def running(*, record: bool = True) -> Iterator[FaultServer]:
    """A started FaultServer, stopped on exit (what the test modules' fixtures yield)."""
    with FaultServer(record=record) as server:
        yield server


@contextlib.contextmanager
def saturated_listener() -> Iterator[int]:
    """A port on 127.0.0.1 whose listener never accepts and whose backlog is full: connecting times out."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, 0))
        listener.listen(0)
        port: int = listener.getsockname()[1]
        fillers: list[socket.socket] = []
        try:
            for _ in range(16):
                filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                fillers.append(filler)
                filler.settimeout(0.2)
                try:
                    filler.connect((HOST, port))
                except TimeoutError:
                    break
            else:
                raise RuntimeError("could not fill the listen backlog")
            yield port
        finally:
            for filler in fillers:
                filler.close()


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port


def tasks_for(url: str, *, api_key: str = API_KEY, fast_retries: bool = True, **options: Any) -> Tasks:
    """A Tasks on `url` with its own pool; retries wait ~10 ms instead of 0.5 s unless `fast_retries=False`."""
    tasks = Tasks(Configuration(api_key=api_key, base_url=url), **options)
    if fast_retries:
        tasks.retry_policy = evolve(tasks.retry_policy, initial_delay=0.01, max_delay=0.02)
    return tasks


R = TypeVar("R")


def run_call(
    tasks: Tasks, mode: str, sync: Callable[[Tasks], R], asynchronous: Callable[[Tasks], Awaitable[R]]
) -> tuple[R | ModuleException, float]:
    """`sync(tasks)` (mode "sync") or `asynchronous(tasks)` awaited in a fresh event loop (any other mode); what
    it returned or the ModuleException it raised, and the seconds it took. The Tasks is closed afterwards."""
    started = time.monotonic()
    result: R | ModuleException
    if mode == "sync":
        try:
            result = sync(tasks)
        except ModuleException as exc:
            result = exc
        finally:
            tasks.close()
    else:

        async def go() -> R | ModuleException:
            try:
                return await asynchronous(tasks)
            except ModuleException as exc:
                return exc
            finally:
                await tasks.aclose()

        result = asyncio.run(go())
    return result, time.monotonic() - started


def call(tasks: Tasks, mode: str, agent_id: str, **options: Any) -> tuple[Task | ModuleException, float]:
    """Create a task with `create` or `acreate` (see `run_call`)."""
    return run_call(
        tasks,
        mode,
        lambda tasks: tasks.create(agent_id, prompt="p", **options),
        lambda tasks: tasks.acreate(agent_id, prompt="p", **options),
    )


if __name__ == "__main__":
    main()
