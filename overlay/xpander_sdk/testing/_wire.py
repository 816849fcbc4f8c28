"""How `FakeBackend` reaches the SDK: the bodies of its event streams (sync and async, read incrementally as the
real server's), and a loopback HTTP server around it for another process (`FakeBackend.serve()`)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TextIO

import httpx
from attrs import define, field

from .._attempt import ATTEMPT_DEADLINE, DEADLINE_REACHED

if TYPE_CHECKING:
    from ._backend import FakeBackend

ASYNC_POLL = 0.005
"""Seconds between two looks at the event log in an async stream (the log is guarded by a thread lock, which an
event loop must not wait on)."""


@define
class EventFeed:
    """One event stream being served: its task, the id of the last event sent (0 for none), when it last sent
    something, and whether it has ended."""

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
    """A sync stream's body: the events after `Last-Event-ID`, then each new one as it is published, with a `:
    ping` comment after each `heartbeat` of silence; it ends after `task_finished` (or when the backend closes).
    A sync wait's deadline (the SDK's attempt deadline) ends it with the read timeout the network would raise."""

    def __init__(self, backend: FakeBackend, feed: EventFeed) -> None:
        self._backend, self._feed = backend, feed

    def __iter__(self) -> Iterator[bytes]:
        feed, heartbeat = self._feed, self._backend.heartbeat
        while not feed.over:
            deadline = ATTEMPT_DEADLINE.get()
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise httpx.ReadTimeout(f"{DEADLINE_REACHED} while waiting for the response")
            chunk = feed.next_chunk(self._backend, heartbeat if left is None else min(heartbeat, left))
            if chunk:
                yield chunk


class AsyncEventBody(httpx.AsyncByteStream):
    """The async twin of `EventBody` (a wait's deadline cancels it from outside)."""

    def __init__(self, backend: FakeBackend, feed: EventFeed) -> None:
        self._backend, self._feed = backend, feed

    async def __aiter__(self) -> AsyncIterator[bytes]:
        from anyio import sleep  # noqa: PLC0415 - httpx's own dependency

        feed = self._feed
        while not feed.over:
            chunk = feed.next_chunk(self._backend, 0)
            if chunk:
                yield chunk
            else:
                await sleep(ASYNC_POLL)


class FakeTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The httpx transport of a FakeBackend, sync and async. A client closing it leaves the backend serving."""

    def __init__(self, backend: FakeBackend) -> None:
        self.backend = backend

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.backend.answer(request)
        return _stream_response(EventBody(self.backend, answer)) if isinstance(answer, EventFeed) else answer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.backend.answer(request)
        return _stream_response(AsyncEventBody(self.backend, answer)) if isinstance(answer, EventFeed) else answer


def _stream_response(body: httpx.SyncByteStream | httpx.AsyncByteStream) -> httpx.Response:
    headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
    return httpx.Response(200, headers=headers, stream=body)


@contextlib.contextmanager
def serve_on_loopback(backend: FakeBackend, port: int = 0, log: TextIO | None = None) -> Iterator[str]:
    """Run `backend` behind a threaded HTTP/1.1 server on 127.0.0.1 until the block ends; yields its URL. With
    `log`, one line per answer is written there (`HH:MM:SS METHOD /path status`)."""
    server = _Server(("127.0.0.1", port), _handler_class(backend, log))
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
    accepted. The kernel caps it at `net.core.somaxconn` (4096 on Linux since 5.4)."""

    request_queue_size = 4096
    daemon_threads = True


def _handler_class(backend: FakeBackend, log: TextIO | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # an event stream is written chunk by chunk, each as it comes

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the test reads backend.requests
            pass

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if log is not None:
                status = int(code) if isinstance(code, int) else code  # an HTTPStatus: its number
                log.write(f"{time.strftime('%H:%M:%S')} {self.command} {self.path} {status}\n")  # one write: whole
                log.flush()  # lines, from any number of threads

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            content = self.rfile.read(length) if length else b""
            url = f"http://{self.headers.get('host') or 'localhost'}{self.path}"
            request = httpx.Request(self.command, url, headers=list(self.headers.items()), content=content)
            try:
                response = backend.transport.handle_request(request)
            except httpx.ConnectError:  # disconnect_next: close without an answer
                self.close_connection = True
                return
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

        def _send_stream(self, response: httpx.Response) -> None:
            """An event stream, close-delimited, each chunk written as it comes."""
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client went away
                for chunk in response.iter_raw():
                    self.wfile.write(chunk)
                    self.wfile.flush()

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    return Handler
