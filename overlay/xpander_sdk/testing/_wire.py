"""How `FakeBackend` reaches the SDK: the bodies of its event streams (sync and async, read incrementally as the
real server's), and a loopback HTTP server around it for another process (`FakeBackend.serve()`).

An event stream's answer is a `Feed`: a task's events (`EventFeed`), or a worker's registration stream
(`_controller.WorkerFeed`). The bodies here only ask it for the next chunk, and tell it when the client closed."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TextIO

import httpx
from attrs import define, field

from ._sdk import DEADLINE_REACHED, Deadline

if TYPE_CHECKING:
    from ._backend import FakeBackend

ASYNC_POLL = 0.005
"""Seconds between two looks at the event log in an async stream (the log is guarded by a thread lock, which an
event loop must not wait on)."""
REQUEST_TIMEOUT = 30.0
"""Seconds one read or write of a `serve_on_loopback` connection may block (read when the server is made): a
client that sends half a request, or leaves a keep-alive connection idle, does not hold a thread forever, and a
stream whose reader stopped reading ends. It does not cut an open event stream: there the server only writes (a
ping each heartbeat at least), and a write blocks only while the reader's buffers are full."""
READ_TIMED_OUT = "timed out"
"""The message of the ReadTimeout an in-process stream raises after its client's read timeout without a byte (a
socket's, as httpcore raises it)."""
MAX_BODY = 64 * 1024 * 1024
"""The largest request body `serve_on_loopback` reads (larger: 413)."""


class Feed:
    """An event stream being served: `next_chunk` gives what to write next, `over` says it has ended, `close` is
    called once the client closed it (or went away)."""

    over: bool

    def next_chunk(self, backend: FakeBackend, wait: float) -> bytes:
        """The bytes to write now (waiting up to `wait` seconds for some), b"" for nothing yet; `over` set once the
        stream ends."""
        raise NotImplementedError

    def close(self, backend: FakeBackend) -> None:
        """The client closed the stream (or went away): nothing to do unless the feed says otherwise."""


@define
class EventFeed(Feed):
    """One task's event stream being served: its task, the id of the last event sent (0 for none), when it last
    sent something, and whether it has ended."""

    task_id: str
    sent: int
    quiet_since: float = field(factory=time.monotonic)
    over: bool = False

    def next_chunk(self, backend: FakeBackend, wait: float) -> bytes:
        """The frames of the events published since the last chunk (waiting up to `wait` seconds for one), a
        `: ping` comment after a heartbeat of silence, or b"" for nothing yet; `over` once the stream ends."""
        events = backend.pending_events(self, wait)
        if events is None:
            self.over = True
            return b""
        if events:
            self.sent, self.quiet_since = events[-1][0], time.monotonic()
            self.over = events[-1][1]["type"] == "task_finished"
            return "".join(f"id: {number}\ndata: {json.dumps(event)}\n\n" for number, event in events).encode()
        if time.monotonic() - self.quiet_since >= backend.heartbeat:
            self.quiet_since = time.monotonic()
            return b": ping\n\n"
        return b""


class EventBody(httpx.SyncByteStream):
    """A sync stream's body: what its feed sends (a task's events after `Last-Event-ID`, then each new one as it is
    published, with a `: ping` comment after each `heartbeat` of silence; it ends after `task_finished` or when
    the backend closes). A sync wait's deadline (the SDK's attempt deadline) ends it with the read timeout the
    network would raise; so does `read_timeout` (its client's) seconds without a byte, as a socket's would."""

    def __init__(self, backend: FakeBackend, feed: Feed, read_timeout: float | None = None) -> None:
        self._backend, self._feed, self._read_timeout = backend, feed, read_timeout

    def __iter__(self) -> Iterator[bytes]:
        feed, heartbeat, asked = self._feed, self._backend.heartbeat, time.monotonic()
        while not feed.over:
            left = Deadline.of_attempt().left()
            if left is not None and left <= 0:
                raise httpx.ReadTimeout(f"{DEADLINE_REACHED} while waiting for the response")
            idle = None if self._read_timeout is None else self._read_timeout - (time.monotonic() - asked)
            if idle is not None and idle <= 0:
                raise httpx.ReadTimeout(READ_TIMED_OUT)
            chunk = feed.next_chunk(self._backend, min(wait for wait in (heartbeat, left, idle) if wait is not None))
            if chunk:
                yield chunk
                asked = time.monotonic()  # a read's timeout runs from when the reader asks for more

    def close(self) -> None:
        self._feed.close(self._backend)


class AsyncEventBody(httpx.AsyncByteStream):
    """The async twin of `EventBody` (a wait's deadline cancels it from outside)."""

    def __init__(self, backend: FakeBackend, feed: Feed, read_timeout: float | None = None) -> None:
        self._backend, self._feed, self._read_timeout = backend, feed, read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        from anyio import sleep  # noqa: PLC0415 - httpx's own dependency

        feed, asked = self._feed, time.monotonic()
        while not feed.over:
            chunk = feed.next_chunk(self._backend, 0)
            if chunk:
                yield chunk
                asked = time.monotonic()
            elif self._read_timeout is not None and time.monotonic() - asked >= self._read_timeout:
                raise httpx.ReadTimeout(READ_TIMED_OUT)
            else:
                await sleep(ASYNC_POLL)

    async def aclose(self) -> None:
        self._feed.close(self._backend)


class FakeTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The httpx transport of a FakeBackend, sync and async. A client closing it leaves the backend serving."""

    def __init__(self, backend: FakeBackend) -> None:
        self.backend = backend

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.backend.answer(request)
        if not isinstance(answer, Feed):
            return answer
        return _stream_response(EventBody(self.backend, answer, _read_timeout(request)))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.backend.answer(request)
        if not isinstance(answer, Feed):
            return answer
        return _stream_response(AsyncEventBody(self.backend, answer, _read_timeout(request)))


def _read_timeout(request: httpx.Request) -> float | None:
    """The read timeout of the request's client (httpx's `timeout` extension; none for a request of
    `serve_on_loopback`, whose client's socket has its own)."""
    read = (request.extensions.get("timeout") or {}).get("read")
    return None if read is None else float(read)


def _stream_response(body: httpx.SyncByteStream | httpx.AsyncByteStream) -> httpx.Response:
    headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
    return httpx.Response(200, headers=headers, stream=body)


@contextlib.contextmanager
def serve_on_loopback(backend: FakeBackend, port: int = 0, log: TextIO | None = None) -> Iterator[str]:
    """Run `backend` behind a threaded HTTP/1.1 server on 127.0.0.1 until the block ends; yields its URL. With
    `log`, one line per answer is written there (`HH:MM:SS METHOD /path status`)."""
    server = _Server(("127.0.0.1", port), backend, log)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True, name="fake-xpander-backend")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        backend.shutdown()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    """A thread per connection, and a listen backlog for a burst: with the default of 5, a client opening a
    hundred connections at once (`acreate_many(concurrency=50)`) had some of them reset before they were
    accepted. The kernel caps it at `net.core.somaxconn` (4096 on Linux since 5.4).

    It holds what its handlers serve: the backend, the `log` of `serve_on_loopback`, and the timeout of a
    connection's reads and writes (REQUEST_TIMEOUT as it was when the server was made)."""

    request_queue_size = 4096
    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: FakeBackend, log: TextIO | None) -> None:
        self.backend, self.log = backend, log
        self.request_timeout = REQUEST_TIMEOUT
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    """One connection of a `_Server`: each request handed to its backend's transport, and the answer written
    back (an event stream chunk by chunk, as it comes)."""

    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # an event stream is written chunk by chunk, each as it comes

    def setup(self) -> None:
        """The connection's reads and writes time out after the server's `request_timeout` (what the class
        attribute `timeout`, left None here, would set, but read from the server)."""
        self.request.settimeout(self.server.request_timeout)
        super().setup()

    def handle(self) -> None:
        """Serve the connection's requests; a client that goes away (a reset, a broken pipe: while the server
        reads its next request or writes an answer) ends it quietly, not with a traceback on stderr."""
        with contextlib.suppress(ConnectionError):
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the test reads backend.requests
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log = self.server.log
        if log is not None:
            status = int(code) if isinstance(code, int) else code  # an HTTPStatus: its number
            log.write(f"{time.strftime('%H:%M:%S')} {self.command} {self.path} {status}\n")  # one write: whole
            log.flush()  # lines, from any number of threads

    def _serve(self) -> None:
        content = self._body()
        request = None if content is None else self._request(content)
        if request is None:
            return
        try:
            response = self.server.backend.transport.handle_request(request)
        except httpx.ConnectError:  # disconnect_next: close without an answer
            self.close_connection = True
            return
        self._send(response)

    def _send(self, response: httpx.Response) -> None:
        self.send_response(response.status_code)
        for name, value in response.headers.multi_items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        if response.headers.get("content-type") == "text/event-stream":
            self._send_stream(response)
        else:
            self.send_header("content-length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

    def _body(self) -> bytes | None:
        """The request's body, or None once refused: a chunked one (411: http.server does not decode chunks,
        and the SDK always sends a Content-Length), a Content-Length that is not one non-negative integer
        (400), or one over MAX_BODY (413: reading it would allocate it whole first)."""
        if "transfer-encoding" in self.headers:
            self._refuse(411, "A request body needs a Content-Length (chunked bodies are not read)")
            return None
        lengths = {value.strip() for value in self.headers.get_all("content-length") or ()}
        if not lengths:
            return b""
        length = lengths.pop()
        if lengths or not re.fullmatch(r"[0-9]+", length):
            self._refuse(400, "The Content-Length is not one non-negative integer")
            return None
        if int(length) > MAX_BODY:
            self._refuse(413, f"The body is over {MAX_BODY} bytes")
            return None
        return self.rfile.read(int(length))

    def _request(self, content: bytes) -> httpx.Request | None:
        """The request for the backend, at the server's own address (the Host header is the client's word,
        and need not be a URL's host at all), or None once refused (400: a target that is not a path)."""
        host, port = self.connection.getsockname()[:2]
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in self.headers.items()]
        try:
            if not self.path.startswith("/"):
                raise httpx.InvalidURL(f"the request target {self.path!r} is not a path")
            return httpx.Request(self.command, f"http://{host}:{port}{self.path}", headers=headers, content=content)
        except httpx.InvalidURL as error:
            self._refuse(400, f"Invalid request target: {error}")
            return None

    def _refuse(self, status: int, detail: str) -> None:
        """Answer `{"detail": ...}` with `status`, and close the connection: what the client sent next
        cannot be told from the rest of this request."""
        body = json.dumps({"detail": detail}).encode()
        self.close_connection = True
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _send_stream(self, response: httpx.Response) -> None:
        """An event stream, close-delimited, each chunk written as it comes; closed once it ends or the client
        goes away (its feed hears of it: a worker's stream so ended is a worker gone)."""
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            with contextlib.suppress(OSError):  # the client went away, or stopped reading for REQUEST_TIMEOUT
                for chunk in response.iter_raw():
                    self.wfile.write(chunk)
                    self.wfile.flush()
        finally:
            response.close()

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve
