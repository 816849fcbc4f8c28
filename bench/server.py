"""A minimal, fast HTTP/1.1 keep-alive server for the benchmarks: it answers every POST, on any path, and every
GET of a task's status (`/agent-execution/<id>/status`, what `Tasks.get` reads), with the canned full Task JSON
(tests/fixtures/task-response-full.json), and anything else with 404.

It runs in a process of its own (`python -m bench.server`), so that it does not share the GIL with the client
being measured. It listens on 127.0.0.1 only, prints its port on the first line of stdout, and stops when its
stdin closes (the parent went away), on SIGTERM, or after `--lifetime` seconds, whichever comes first.

Only the standard library is used: an `asyncio.Protocol` that parses just enough of HTTP/1.1 (the request
line, `Content-Length`, `Transfer-Encoding: chunked`, `Connection: close`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from devtools.child import child_server

ROOT = Path(__file__).resolve().parent.parent
TASK_JSON = ROOT / "tests" / "fixtures" / "task-response-full.json"
HOST = "127.0.0.1"
DEFAULT_LIFETIME = 900.0
MAX_HEAD = 64 * 1024
STATUS_PREFIX, STATUS_SUFFIX = b"/agent-execution/", b"/status"
"""The GET route answered with the Task: `GET /agent-execution/<task id>/status`."""


def _response(status: str, body: bytes, *, close: bool = False) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"{'connection: close' if close else 'connection: keep-alive'}\r\n\r\n"
    )
    return head.encode("ascii") + body


class _Connection(asyncio.Protocol):
    """One client connection: parses pipelined requests from a buffer and answers each in order."""

    def __init__(self, ok: bytes, ok_close: bytes, not_found: bytes) -> None:
        self._ok, self._ok_close, self._not_found = ok, ok_close, not_found
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._transport is not None and self._one_request():
            pass

    def _one_request(self) -> bool:
        """Answer the first complete request in the buffer; False when there is none yet."""
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEAD:
                self._close()
            return False
        method, target, length, chunked, close = _parse_head(bytes(buffer[:end]))
        start = end + 4
        if chunked:
            consumed = _chunked_length(buffer, start)
            if consumed is None:
                return False
            del buffer[: start + consumed]
        else:
            if len(buffer) < start + length:
                return False
            del buffer[: start + length]
        assert self._transport is not None
        if method == b"POST" or (method == b"GET" and _is_status(target)):
            self._transport.write(self._ok_close if close else self._ok)
        else:
            self._transport.write(self._not_found)
        if close:
            self._close()
            return False
        return True

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


def _is_status(target: bytes) -> bool:
    """Whether a request target (path and query) is a task's status: `/agent-execution/<one segment>/status`."""
    path = target.split(b"?", 1)[0]
    if not (path.startswith(STATUS_PREFIX) and path.endswith(STATUS_SUFFIX)):
        return False
    task_id = path[len(STATUS_PREFIX) : -len(STATUS_SUFFIX)]
    return bool(task_id) and b"/" not in task_id


def _parse_head(head: bytes) -> tuple[bytes, bytes, int, bool, bool]:
    """The method, the request target, Content-Length, whether the body is chunked, and whether the client asked
    to close."""
    lines = head.split(b"\r\n")
    method, _, rest = lines[0].partition(b" ")
    target = rest.split(b" ", 1)[0]
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    return method, target, length, chunked, close


def _chunked_length(buffer: bytearray, start: int) -> int | None:
    """The number of bytes of a complete chunked body (with its trailer) from `start`, or None if incomplete."""
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0], 16)
        position = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n", position)
            while trailer_end > position:  # skip trailer fields up to the empty line
                position = trailer_end + 2
                trailer_end = buffer.find(b"\r\n", position)
            if trailer_end < 0:
                return None
            return trailer_end + 2 - start
        position += size + 2
        if position > len(buffer):
            return None


async def serve(port: int, lifetime: float) -> None:
    """Serve until stdin closes, SIGTERM/SIGINT, or `lifetime` seconds; print the port once listening."""
    body = TASK_JSON.read_bytes()
    ok, ok_close = _response("200 OK", body), _response("200 OK", body, close=True)
    not_found = _response("404 Not Found", b'{"detail":"Not Found"}')
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(ok, ok_close, not_found), HOST, port, backlog=1024, reuse_address=True
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    stdin = sys.stdin.fileno()

    def stdin_readable() -> None:
        if not os.read(stdin, 4096):
            loop.remove_reader(stdin)
            stop.set()

    with contextlib.suppress(OSError, ValueError, PermissionError, NotImplementedError):
        loop.add_reader(stdin, stdin_readable)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), lifetime)


@contextlib.contextmanager
def running_server(lifetime: float = DEFAULT_LIFETIME) -> Iterator[int]:
    """Start the server in a subprocess; yield its port; stop it on exit."""
    with child_server("bench.server", ["--lifetime", str(lifetime)]) as port:
        yield port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    parser.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME, help="stop after this many seconds")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.lifetime))


if __name__ == "__main__":
    main()
