"""A minimal, fast HTTP/1.1 keep-alive server for the benchmarks: it answers every POST, on any path, and every
GET of a task's status (`/agent-execution/<id>/status`, what `Tasks.get` reads), with the canned full Task JSON
(tests/fixtures/task-response-full.json), and anything else with 404.

For the event benchmarks it also serves `GET /<org>/agent-execution/<task id>/events` as `text/event-stream`
(one HTTP chunk per SSE event, no `id:` lines, as the agent controller sends them), the stream chosen by the
task id (`stream_task_id`, `finishing_task_id`):

- `ev-mix-<n>`: n events at once, a mix shaped like a real run (mostly `chunk` tokens, tool calls, a full
  Task in a `task_updated` every 500 events), ending with `task_finished`;
- `ev-small-<n>`: n small `chunk` events at once, ending with `task_finished`;
- `ev-fin-<ms>-<tag>`: `connected`, `task_updated`, one `chunk` at once; then, <ms> milliseconds later, the
  `task_finished` whose Task `result` is the server's `time.time()` just before it was written.

A POST to `/agent-execution/agent-wait-<ms>` (`wait_agent_id`: a create for that agent) answers a Task with a
new id `ev-fin-<ms>-c<n>`, and a status GET of an `ev-` id answers that task, completed once its final event was
sent. `GET /_bench/files/<name>` answers a small text file (for `Task.to_message()` with files), after
`?delay_ms=<n>` when given. `GET /_bench/stats` answers the open connections, their peak and the requests of
each kind counted so far, and the server's CPU seconds so far (`cpu_s`), as JSON; `?reset` starts the peak and
the counts afresh.

It runs in a process of its own (`python -m bench.server`), so that it does not share the GIL with the client
being measured. It listens on 127.0.0.1 only, prints its port on the first line of stdout, and stops when its
stdin closes (the parent went away), on SIGTERM, or after `--lifetime` seconds, whichever comes first.

Only the standard library is used: an `asyncio.Protocol` that parses just enough of HTTP/1.1 (the request
line, `Content-Length`, `Transfer-Encoding: chunked`, `Connection: close`).

It is also the server of the `many` section (1,000 calls in flight, 1,000 event streams at once), unchanged
but for the CPU time in its stats: one asyncio process, listening with a backlog of 4,096, is enough there,
and several would compete with the client for the 2 cores. Every client is capped at 100 connections (the
streams aside), each request costs the server a few tens of microseconds (canned bytes, no JSON), and the
section reports the server's share of a core, which stays small (5-20%) while the client's is a whole core:
the client, not the server, is what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import functools
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devtools.child import child_server

ROOT = Path(__file__).resolve().parent.parent
TASK_JSON = ROOT / "tests" / "fixtures" / "task-response-full.json"
HOST = "127.0.0.1"
DEFAULT_LIFETIME = 900.0
MAX_HEAD = 64 * 1024
STATUS_PREFIX, STATUS_SUFFIX = b"/agent-execution/", b"/status"
"""The GET route answered with the Task: `GET /agent-execution/<task id>/status`."""
EVENTS_SEGMENT, EVENTS_SUFFIX = b"agent-execution", b"events"
"""The events route: `GET /<organization id>/agent-execution/<task id>/events`."""
STATS_PATH = b"/_bench/stats"
FILES_PREFIX = b"/_bench/files/"
"""`GET /_bench/files/<name>`: a text file (`FILE_BODY`, `text/plain`), for `Task.to_message()` with files."""
FILE_BODY = ("Quarterly notes\n" + "revenue,region,growth\n" * 100).encode()
EVENT_TASK_PREFIX = "ev-"
WAIT_AGENT_PREFIX = "agent-wait-"
EVENT_TIME = datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)
"""The `time` of the first event of a stream; each next event is a millisecond later (so no two are equal)."""
UPDATE_EVERY = 500
"""A `task_updated` event with a full Task every this many events of a mixed stream."""
STAMP_PLACEHOLDER = "0000000000.000000"
"""Replaced in a built `task_finished` by `f"{time.time():.6f}"` (as long until the year 2286) when it is sent."""
TOKENS = (" The", " quarterly", " sales", " grew", " 12%,", " led", " by", " EMEA", ".", "\n", " Next", " steps:")


def stream_task_id(kind: str, events: int) -> str:
    """The id of a task whose event stream is `events` events of `kind` ("mix" or "small") at once."""
    return f"{EVENT_TASK_PREFIX}{kind}-{events}"


def finishing_task_id(delay_ms: int, tag: str) -> str:
    """The id of a task whose stream sends its `task_finished` `delay_ms` after the request (stamped)."""
    return f"{EVENT_TASK_PREFIX}fin-{delay_ms}-{tag}"


def wait_agent_id(delay_ms: int) -> str:
    """The agent whose creates answer a new task of `finishing_task_id(delay_ms, ...)`."""
    return f"{WAIT_AGENT_PREFIX}{delay_ms}"


def _response(status: str, body: bytes, *, close: bool = False, content_type: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
        f"{'connection: close' if close else 'connection: keep-alive'}\r\n\r\n"
    )
    return head.encode("ascii") + body


def _stream_head(*, close: bool) -> bytes:
    return (
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\n"
        f"transfer-encoding: chunked\r\n{'connection: close' if close else 'connection: keep-alive'}\r\n\r\n"
    ).encode("ascii")


STREAM_END = b"0\r\n\r\n"


# -- the event streams ------------------------------------------------------------------------------------------
@functools.cache
def _task_template() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TASK_JSON.read_bytes())
    return data


def task_data(task_id: str, status: str, result: str | None = None) -> dict[str, Any]:
    """The full canned Task as the events and creates carry it, with this id and status."""
    finished = status in ("completed", "failed", "error", "stopped")
    return {
        **_task_template(),
        "id": task_id,
        "status": status,
        "started_at": None if status == "pending" else "2026-05-01T12:00:01.000000Z",
        "finished_at": "2026-05-01T12:05:00.000000Z" if finished else None,
        "result": result,
    }


def _event(kind: str, task_id: str, index: int, data: object) -> bytes:
    """One SSE event in one HTTP chunk, the envelope as the agent controller writes it (compact JSON)."""
    when = (EVENT_TIME + datetime.timedelta(milliseconds=index)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    envelope = {
        "type": kind,
        "task_id": task_id,
        "organization_id": "org-bench",
        "time": when,
        "data": data,
        "identity": None,
    }
    line = b"data: " + json.dumps(envelope, separators=(",", ":")).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(line), line)


def _tool_call(index: int, *, result: bool) -> dict[str, Any]:
    call: dict[str, Any] = {
        "request_id": f"r{index}",
        "operation_id": "web_search",
        "tool_call_id": f"call_{index}",
        "graph_node_id": None,
        "tool_name": "web_search",
        "payload": {"q": f"quarterly sales {index}"},
        "reasoning": None if result else {"title": "search", "description": "look up the figures"},
        "plan_task_id": None,
    }
    if result:
        call.update({"result": {"hits": 3, "top": "Sales grew 12% over the quarter."}, "is_error": False})
        call["approval_request_id"] = None
    return call


def _mixed_event(task_id: str, index: int) -> bytes:
    """Event `index` (2 up to the last but one) of a mixed stream."""
    if index % UPDATE_EVERY == 0:
        return _event("task_updated", task_id, index, task_data(task_id, "executing"))
    if index % 100 in (20, 21):
        kind = "tool_call_request" if index % 100 == 20 else "tool_call_result"
        return _event(kind, task_id, index, _tool_call(index - index % 100, result=kind == "tool_call_result"))
    if index % 250 == 50:
        thought = {"input": {"title": "Plan", "confidence": 0.9, "thought": "summarise the quarter"}}
        return _event("think", task_id, index, {**_tool_call(index, result=False), "payload": thought})
    if index % UPDATE_EVERY == 400:
        usage = {"estimated_tokens": 1200 + index, "context_window": 128000, "percent": 0.9}
        return _event("context_status", task_id, index, usage)
    return _event("chunk", task_id, index, TOKENS[index % len(TOKENS)])


def stream_body(task_id: str) -> bytes | None:
    """The whole body (every chunk, not the end) of an `ev-mix-<n>` or `ev-small-<n>` stream; None for any other
    id."""
    kind, _, count = task_id.removeprefix(EVENT_TASK_PREFIX).partition("-")
    if not task_id.startswith(EVENT_TASK_PREFIX) or kind not in ("mix", "small") or not count.isdigit():
        return None
    return _stream_body(task_id, kind, max(int(count), 3))


@functools.lru_cache(maxsize=4)
def _stream_body(task_id: str, kind: str, events: int) -> bytes:
    """Built once per id: `connected`, `task_created`, the mix or the tokens, `task_finished`."""
    parts = [_event("connected", task_id, 0, None), _event("task_created", task_id, 1, task_data(task_id, "pending"))]
    for index in range(2, events - 1):
        if kind == "mix":
            parts.append(_mixed_event(task_id, index))
        else:
            parts.append(_event("chunk", task_id, index, TOKENS[index % len(TOKENS)]))
    parts.append(_event("task_finished", task_id, events - 1, task_data(task_id, "completed", "Sales grew 12%.")))
    return b"".join(parts)


def _finishing_delay(task_id: str) -> float | None:
    """The delay in seconds of an `ev-fin-<ms>-<tag>` id, or None."""
    kind, _, rest = task_id.removeprefix(EVENT_TASK_PREFIX).partition("-")
    delay = rest.partition("-")[0]
    return int(delay) / 1000 if kind == "fin" and delay.isdigit() else None


class _State:
    """What every connection shares: the canned answers, the tasks created for the wait benchmarks and the
    finished ones (answered by the status route), and the counts `/_bench/stats` reports."""

    def __init__(self) -> None:
        body = TASK_JSON.read_bytes()
        self.ok, self.ok_close = _response("200 OK", body), _response("200 OK", body, close=True)
        self.not_found = _response("404 Not Found", b'{"detail":"Not Found"}')
        self.finished: dict[str, bytes] = {}
        self.created = 0
        self.open = self.peak = 0
        self.counts = {"post": 0, "status": 0, "events": 0, "other": 0}

    def stats(self, reset: bool) -> bytes:
        """The counts, and the server's CPU seconds so far (`cpu_s`: for the share of a core it used)."""
        counts = {"open": self.open, "peak": self.peak, **self.counts, "cpu_s": time.process_time()}
        body = json.dumps(counts).encode()
        if reset:
            self.peak = self.open
            self.counts = dict.fromkeys(self.counts, 0)
        return body


class _Connection(asyncio.Protocol):
    """One client connection: parses pipelined requests from a buffer and answers each in order (a request that
    arrives while a held-open event stream is being answered waits for its end)."""

    def __init__(self, state: _State) -> None:
        self._state = state
        self._ok, self._ok_close, self._not_found = state.ok, state.ok_close, state.not_found
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._held: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._state.open += 1
        self._state.peak = max(self._state.peak, self._state.open)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._answer_buffered()

    def _answer_buffered(self) -> None:
        while self._transport is not None and self._held is None and self._one_request():
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
        counts = self._state.counts
        status_id = _status_task_id(target) if method == b"GET" else None
        events_id = _events_task_id(target) if method == b"GET" and status_id is None else None
        if method == b"POST":
            counts["post"] += 1
            self._transport.write(self._created(target, close) or (self._ok_close if close else self._ok))
        elif status_id is not None:
            counts["status"] += 1
            self._transport.write(self._status(status_id, close))
        elif events_id is not None or (method == b"GET" and target.startswith(FILES_PREFIX)):
            return self._answer_held(target, events_id, close)
        elif method == b"GET" and target.split(b"?", 1)[0] == STATS_PATH:
            self._transport.write(_response("200 OK", self._state.stats(b"?reset" in target), close=close))
        else:
            counts["other"] += 1
            self._transport.write(self._not_found)
        if close:
            self._close()
            return False
        return True

    def _created(self, target: bytes, close: bool) -> bytes | None:
        """The answer to a create for a `wait_agent_id` agent (`POST /agent-execution/<agent id>`): a new task
        that finishes after that delay; None for any other POST."""
        agent = target.split(b"?", 1)[0].removeprefix(STATUS_PREFIX).decode("latin-1")
        delay = agent.removeprefix(WAIT_AGENT_PREFIX)
        if not agent.startswith(WAIT_AGENT_PREFIX) or not delay.isdigit():
            return None
        self._state.created += 1
        task_id = finishing_task_id(int(delay), f"c{self._state.created}")
        body = json.dumps(task_data(task_id, "pending"), separators=(",", ":")).encode()
        return _response("200 OK", body, close=close)

    def _status(self, task_id: str, close: bool) -> bytes:
        if not task_id.startswith(EVENT_TASK_PREFIX):
            return self._ok_close if close else self._ok
        body = self._state.finished.get(task_id)
        if body is None:
            body = json.dumps(task_data(task_id, "executing"), separators=(",", ":")).encode()
        return _response("200 OK", body, close=close)

    def _events(self, task_id: str, close: bool) -> bool:
        """Answer an events request; True when the next request may be answered at once."""
        assert self._transport is not None
        body = stream_body(task_id)
        if body is not None:
            self._transport.write(_stream_head(close=close) + body + STREAM_END)
        else:
            delay = _finishing_delay(task_id)
            if delay is None:
                self._transport.write(self._not_found)
            else:
                self._transport.write(
                    _stream_head(close=close)
                    + _event("connected", task_id, 0, None)
                    + _event("task_updated", task_id, 1, task_data(task_id, "executing"))
                    + _event("chunk", task_id, 2, TOKENS[0])
                )
                final = _event("task_finished", task_id, 3, task_data(task_id, "completed", STAMP_PLACEHOLDER))
                self._held = asyncio.get_running_loop().call_later(delay, self._finish, task_id, final, close)
                return False
        if close:
            self._close()
            return False
        return True

    def _answer_held(self, target: bytes, events_id: str | None, close: bool) -> bool:
        """An event stream or a file, whose answer may be held back; True when the next request may be answered
        at once."""
        if events_id is not None:
            self._state.counts["events"] += 1
            return self._events(events_id, close)
        self._state.counts["other"] += 1
        return self._file(target, close)

    def _file(self, target: bytes, close: bool) -> bool:
        """Answer a file request, after `?delay_ms=<n>` when given (a remote host's latency); True when the next
        request may be answered at once."""
        answer = _response("200 OK", FILE_BODY, close=close, content_type="text/plain")
        delay = target.partition(b"?delay_ms=")[2]
        if delay.isdigit() and int(delay) > 0:
            self._held = asyncio.get_running_loop().call_later(int(delay) / 1000, self._release, answer, close)
            return False
        self._release(answer, close, held=False)
        return not close

    def _release(self, answer: bytes, close: bool, *, held: bool = True) -> None:
        """Write a held (or immediate) answer; then close, or go on with the requests already buffered."""
        self._held = None
        if self._transport is None:
            return
        self._transport.write(answer)
        if close:
            self._close()
        elif held:
            self._answer_buffered()

    def _finish(self, task_id: str, final: bytes, close: bool) -> None:
        """The held stream's `task_finished` (built beforehand), stamped with the time just before it is written,
        and the stream's end."""
        self._held = None
        if self._transport is None:
            return
        stamp = f"{time.time():.6f}"
        self._transport.write(final.replace(STAMP_PLACEHOLDER.encode(), stamp.encode(), 1) + STREAM_END)
        task = task_data(task_id, "completed", stamp)
        self._state.finished[task_id] = json.dumps(task, separators=(",", ":")).encode()
        if close:
            self._close()
        else:
            self._answer_buffered()

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._state.open -= 1
        if self._held is not None:
            self._held.cancel()
            self._held = None


def _status_task_id(target: bytes) -> str | None:
    """The task id of a status request target (`/agent-execution/<one segment>/status`), else None."""
    path = target.split(b"?", 1)[0]
    if not (path.startswith(STATUS_PREFIX) and path.endswith(STATUS_SUFFIX)):
        return None
    task_id = path[len(STATUS_PREFIX) : -len(STATUS_SUFFIX)]
    return task_id.decode("latin-1") if task_id and b"/" not in task_id else None


def _events_task_id(target: bytes) -> str | None:
    """The task id of an events request target (`/<org>/agent-execution/<id>/events`), else None."""
    parts = target.split(b"?", 1)[0].split(b"/")
    if len(parts) != 5 or parts[0] or not parts[1] or parts[2] != EVENTS_SEGMENT or parts[4] != EVENTS_SUFFIX:
        return None
    return parts[3].decode("latin-1") or None


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
    state = _State()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(state), HOST, port, backlog=4096, reuse_address=True)
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
