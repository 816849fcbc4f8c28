"""Fault injection for the event stream of a task (`Task.events()` / `Task.aevents()`), sync and async, on the
real FaultServer (127.0.0.1), whose `Stream` action sends server-sent events in timed chunks and then ends the
body, closes without the final chunk, resets, or goes silent.

The stream's promises (issue 12): errors before the stream are the usual ModuleException subclasses (429/5xx and
connection failures before the first byte retried); a 2xx that is not `text/event-stream` is an
InvalidResponseError; a drop (reset, truncated body, silence longer than `read_timeout`, a clean close before
`task_finished`) reconnects with `last-event-id` and never delivers an event twice; after `max_reconnects`
reconnects in a row without a new event, EventStreamError; heartbeat comments keep the stream alive; a bad event
is skipped with a WARNING; unknown types are yielded; the loop ends by itself after `task_finished`; closing the
stream closes its connection; the sync iterator is incremental and memory stays flat on a long stream.

Each row asserts what the caller saw (the event types and SSE ids in order, the payloads, or the exception
class, its status and counters), the stream's counters, the requests the server saw (count, path, headers,
`last-event-id` on each), and an upper bound on the time (against hangs, not a performance claim). Every run is
bounded (a worker thread joined with a timeout, or `asyncio.wait_for`), so a hanging stream fails, never hangs.
The table of outcomes is printed when the module ends.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import threading
import time
import tracemalloc
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from typing import Any, Literal

import pytest
from attrs import define, field, frozen

from tests.conftest import MODES
from tests.fault_table import Row, print_table
from tests.faultserver import (
    API_KEY,
    FIXTURES,
    Action,
    FaultServer,
    Piece,
    Reply,
    Reset,
    Stream,
    json_bytes,
    running,
    tasks_for,
)
from tests.faultserver import (
    STREAMING_EVENTS_PATH as EVENTS_PATH,
)
from tests.faultserver import (
    STREAMING_ORG as ORG,
)
from tests.faultserver import (
    STREAMING_TASK as TASK,
)
from tests.faultserver import (
    STREAMING_TASK_ID as TASK_ID,
)
from xpander_sdk import (
    APIConnectionError,
    AuthenticationError,
    EventStreamError,
    InternalServerError,
    InvalidArgumentError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    PermissionDeniedError,
    Task,
    Tasks,
)
from xpander_sdk.models.events import TaskUpdateEvent

MAX_RETRIES = 2
SAMPLE: list[dict[str, Any]] = [
    json.loads(line.removeprefix("data: "))
    for line in (FIXTURES / "events-stream-sample.txt").read_text().splitlines()
    if line.startswith("data: ")
]
"""The reference stream's 11 events (connected, task_created, ..., chunk, chunk, task_finished), with full Task
payloads in task_created/task_updated/task_finished (a copy of the reference's events-stream-sample.txt)."""
TYPES = tuple(event["type"] for event in SAMPLE)
IDS = tuple(str(number) for number in range(1, len(SAMPLE) + 1))
NO_IDS: tuple[str | None, ...] = (None,) * len(SAMPLE)
UNKNOWN_DATA = {"shape": "new", "n": 1}
BIG_TEXT = ("héllo wörld, 0123456789 ✓ " * 5000)[:100_000]
"""100,000 characters (some of them two and three bytes in UTF-8, so the 8,000-byte pieces split some)."""


def frame(event: dict[str, Any], event_id: str | None = None) -> bytes:
    """One server-sent event: an `id:` line when given, then `data: <json>`, then the blank line."""
    head = "" if event_id is None else f"id: {event_id}\n"
    return f"{head}data: {json.dumps(event, separators=(',', ':'), ensure_ascii=False)}\n\n".encode()


def sample(first: int = 1, last: int = len(SAMPLE), *, ids: bool = True, delay: float = 0.0) -> tuple[Piece, ...]:
    """Events `first`..`last` (1-based) of SAMPLE, one piece each, with `id: <n>` lines when `ids`."""
    return tuple((delay, frame(SAMPLE[n - 1], str(n) if ids else None)) for n in range(first, last + 1))


def envelope(kind: str, data: Any) -> dict[str, Any]:
    return {**SAMPLE[0], "type": kind, "time": "2026-05-01T12:00:06.500000Z", "data": data}


def split(data: bytes, size: int) -> tuple[Piece, ...]:
    return tuple((0.0, data[start : start + size]) for start in range(0, len(data), size))


# -- the table printed at the end --------------------------------------------------------------------------------
ROWS: list[Row] = []


@pytest.fixture(scope="module", autouse=True)
def fault_table(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the outcome of every fault when the module is done."""
    yield
    print_table(request, ROWS, "event stream fault runs")


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


def tasks_on(server: FaultServer, organization_id: str | None = ORG, **options: Any) -> Tasks:
    """A Tasks on `server` (retries and reconnects after ~10 ms) for `organization_id`."""
    tasks = tasks_for(server.url, max_retries=MAX_RETRIES, **options)
    tasks.configuration.organization_id = organization_id
    return tasks


# -- following a stream, bounded ------------------------------------------------------------------------------------
@frozen
class Plan:
    """How the caller follows the stream: the arguments of `events()`/`aevents()`, a `break` after
    `stop_after` events, how the stream is closed ("close": `close()`/`aclose()` after the loop; "with": the
    loop inside the context manager; "none": not before `watch_close`; "drop": never, the stream is only
    let go of, as `for event in task.events(): ... break` does), whether to keep every event (else only
    the last: a long stream), whether to measure how soon the server sees the connection closed, and the bound
    on the whole run."""

    options: dict[str, Any] = field(factory=dict)
    stop_after: int | None = None
    close: Literal["close", "with", "none", "drop"] = "close"
    keep: bool = True
    watch_close: bool = False
    limit: float = 6.0


@define
class Run:
    """What the caller saw."""

    events: list[TaskUpdateEvent] = field(factory=list)
    count: int = 0
    arrivals: list[float] = field(factory=list)
    """Seconds from the call to each event reaching the caller (the first two only on a long stream)."""
    error: Exception | None = None
    at_call: bool = False
    """The error came from `events()`/`aevents()` itself, before any iteration."""
    received: int | None = None
    skipped: int | None = None
    reconnects: int | None = None
    closed_after: float | None = None
    """Seconds from the end of the loop (and the close) until the server had no connection open; None: not
    within WATCH_CLOSE seconds."""
    hung: bool = False
    seconds: float = 0.0
    warnings: list[logging.LogRecord] = field(factory=list)


WATCH_CLOSE = 1.0


def wait_closed(server: FaultServer, within: float = WATCH_CLOSE) -> float | None:
    """Seconds until the server has no connection open, or None when one is still open after `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if server.stats()["open"] == 0:
            return time.monotonic() - started
        time.sleep(0.005)
    return None


def _seen(run: Run, plan: Plan, event: TaskUpdateEvent, started: float) -> bool:
    """Record `event`; True when the caller breaks here."""
    run.count += 1
    if plan.keep:
        run.events.append(event)
    else:
        run.events[:] = [event]
    if plan.keep or run.count <= 2:
        run.arrivals.append(time.monotonic() - started)
    return plan.stop_after is not None and run.count >= plan.stop_after


def _loop(stream: Iterable[TaskUpdateEvent], plan: Plan, run: Run, started: float) -> None:
    for event in stream:
        if _seen(run, plan, event, started):
            break


async def _aloop(stream: AsyncIterable[TaskUpdateEvent], plan: Plan, run: Run, started: float) -> None:
    async for event in stream:
        if _seen(run, plan, event, started):
            break


def _follow_sync(server: FaultServer, task: Task, plan: Plan, run: Run, started: float) -> None:
    try:
        stream = task.events(**plan.options)
    except Exception as exc:
        run.error, run.at_call = exc, True
        return
    try:
        if plan.close == "with":
            with stream as opened:
                _loop(opened, plan, run, started)
        else:
            _loop(stream, plan, run, started)
    except Exception as exc:
        run.error = exc
    run.received, run.skipped, run.reconnects = stream.received, stream.skipped, stream.reconnects
    if plan.close == "close":
        stream.close()
    elif plan.close == "drop":
        del stream
        if plan.watch_close:
            run.closed_after = wait_closed(server)
        return
    if plan.watch_close:
        run.closed_after = wait_closed(server)
    if plan.close == "none":
        stream.close()


async def _follow_async(server: FaultServer, task: Task, plan: Plan, run: Run, started: float) -> None:
    try:
        stream = task.aevents(**plan.options)
    except Exception as exc:
        run.error, run.at_call = exc, True
        return
    try:
        if plan.close == "with":
            async with stream as opened:
                await _aloop(opened, plan, run, started)
        else:
            await _aloop(stream, plan, run, started)
    except Exception as exc:
        run.error = exc
    run.received, run.skipped, run.reconnects = stream.received, stream.skipped, stream.reconnects
    if plan.close == "close":
        await stream.aclose()
    elif plan.close == "drop":
        del stream
        if plan.watch_close:
            run.closed_after = await asyncio.to_thread(wait_closed, server)
        return
    if plan.watch_close:
        run.closed_after = await asyncio.to_thread(wait_closed, server)
    if plan.close == "none":
        await stream.aclose()


def follow(server: FaultServer, tasks: Tasks, task: Task, mode: str, plan: Plan) -> Run:
    """Follow the events of `task` sync (in a worker thread, joined with a timeout) or async (in a fresh event
    loop, under `asyncio.wait_for`); at most `plan.limit` seconds. The Tasks is closed afterwards."""
    run = Run()
    started = time.monotonic()
    if mode == "sync":

        def work() -> None:
            try:
                _follow_sync(server, task, plan, run, started)
            finally:
                tasks.close()

        worker = threading.Thread(target=work, name="events-consumer", daemon=True)
        worker.start()
        worker.join(plan.limit)
        run.hung = worker.is_alive()
    else:

        async def work_async() -> None:
            try:
                await _follow_async(server, task, plan, run, started)
            finally:
                await tasks.aclose()

        async def bounded() -> None:
            try:
                await asyncio.wait_for(work_async(), plan.limit)
            except TimeoutError:
                run.hung = True

        asyncio.run(bounded())
    run.seconds = time.monotonic() - started
    return run


def outcome(run: Run) -> str:
    if run.hung:
        return f"HUNG after {run.count} events"
    if isinstance(run.error, ModuleException):
        name = type(run.error).__name__
        return f"{name} [{run.error.status_code}]" + (f" after {run.count}" if run.count else "")
    if run.error is not None:
        return f"raw {type(run.error).__name__}"
    text = f"{run.count:,} events"
    if run.reconnects:
        text += f", {run.reconnects} reconnect" + ("s" if run.reconnects > 1 else "")
    last = run.events[-1].type.value if run.events else "-"
    return text if last == "task_finished" else f"{text}, last {last}"


# -- expected results ----------------------------------------------------------------------------------------------
def _sample_payloads(events: list[TaskUpdateEvent]) -> None:
    """The reference stream as the caller must see it: envelopes read, task_* data as Tasks, the rest raw."""
    for event in events:
        assert (event.task_id, event.organization_id) == (TASK_ID, ORG)
        assert isinstance(event.time, datetime.datetime)
    assert events[0].time == datetime.datetime(2026, 5, 1, 12, 0, 0, 100000, tzinfo=datetime.UTC)
    assert events[0].data is None, "connected carries null"
    created, updated, finished = events[1].data, events[2].data, events[-1].data
    assert isinstance(created, Task) and created.id == TASK_ID and created.status.value == "pending"
    assert created.events_streaming is True
    assert isinstance(updated, Task) and updated.status.value == "executing"
    assert isinstance(finished, Task) and finished.status.value == "completed" and finished.result == "Hello!"
    for index in range(3, len(SAMPLE) - 1):  # think, tool calls, plan, context status, chunks: raw JSON
        assert events[index].data == SAMPLE[index]["data"]
    assert [event.data for event in events if event.type.value == "chunk"] == ["Hel", "lo!"]


def _warned(run: Run) -> None:
    assert any(record.levelno == logging.WARNING for record in run.warnings), "a WARNING on logger xpander_sdk"
    for record in run.warnings:
        assert API_KEY not in record.getMessage()


def _unknown_kept(run: Run) -> None:
    event = run.events[3]
    assert event.type.value == "brand_new_event"
    assert event.data == UNKNOWN_DATA
    assert event.task_id == TASK_ID


def _big_event_intact(run: Run) -> None:
    big = run.events[8]
    assert isinstance(big.data, str) and len(big.data) == 100_000
    assert big.data == BIG_TEXT


def _gave_up(run: Run) -> None:
    error = run.error
    assert isinstance(error, EventStreamError) and isinstance(error, APIConnectionError)
    assert error.events_received == run.count == 2
    assert error.reconnects == 2
    assert "2" in error.description and "event" in error.description, error.description


def _closed_by_client(run: Run) -> None:
    assert run.closed_after is not None, f"the server still had the connection open {WATCH_CLOSE} s later"


def _incremental(run: Run) -> None:
    assert run.arrivals[0] < 0.5, f"the first event reached the caller {run.arrivals[0]:.3f} s after the call"
    assert run.arrivals[1] >= 0.9, f"the second event came {run.arrivals[1]:.3f} s after the call"


def _refused_at_call(text: str) -> Callable[[Run], None]:
    def check(run: Run) -> None:
        assert isinstance(run.error, ValueError), "InvalidArgumentError is also a ValueError"
        assert text in str(run.error), str(run.error)

    return check


RETRY_NOW = (("retry-after", "0"),)
S500 = Reply(500, json_bytes({"detail": "boom"}))
FORBIDDEN = {"detail": "Forbidden"}
HTML = b"<html><body><h1>Welcome</h1></body></html>"
MALFORMED = b"data: {not json\n\n"
HEARTBEATS = tuple((0.05, b": ping\n\n") for _ in range(16))
"""A comment every 0.05 s for 0.8 s (read_timeout is 0.3 s)."""
UNKNOWN_EVENT = frame(envelope("brand_new_event", UNKNOWN_DATA), "u")
REPLAYED_3 = frame(SAMPLE[2], "3").replace(b'":', b'": ').replace(b',"', b', "')
"""Event 3 again, with its id, its JSON spaced differently (as another server process would write it)."""
RETRY_1_DAY = b"retry: 86400000\n\n"
"""The SSE field that asks for a reconnection delay (in ms): here a day."""
CRLF_STREAM = b"".join(data for _, data in sample()).replace(b"\n", b"\r\n")
BIG_EVENT = frame(envelope("chunk", BIG_TEXT))


@frozen
class Case:
    """One fault: what the server does (the n-th request gets the n-th action, the last repeats), and what the
    caller must see."""

    fault: str
    actions: tuple[Action, ...]
    expect: type[Exception] | None = None
    status: int = 0
    types: tuple[str, ...] = TYPES
    """The event types the caller sees, in order (before the error, if any)."""
    ids: tuple[str | None, ...] | None = None
    """Their `event_id`s (not checked when None)."""
    requests: int = 1
    last_event_ids: tuple[str | None, ...] | None = None
    """The `last-event-id` header of each request (None: on none of them)."""
    plan: Plan = field(factory=Plan)
    task: dict[str, Any] = field(factory=dict)
    organization_id: str | None = ORG
    tasks_options: dict[str, Any] = field(factory=dict)
    at_call: bool = False
    reconnects: int | None = 0
    """`stream.reconnects` at the end (not checked when None)."""
    skipped: int = 0
    body: Any = None
    min_seconds: float = 0.0
    max_seconds: float = 3.0
    check: Callable[[Run], None] | None = None


CASES = [
    Case("full-stream", (Stream(sample(ids=False)),), ids=NO_IDS),
    Case("full-stream-with-ids", (Stream(sample()),), ids=IDS),
    Case("close-delimited-body", (Stream(sample(ids=False), chunked=False),), ids=NO_IDS),
    # before the stream
    Case(
        "status-403",
        (Reply(403, json_bytes(FORBIDDEN)),),
        expect=PermissionDeniedError,
        status=403,
        types=(),
        body=FORBIDDEN,
    ),
    Case(
        "status-404",
        (Reply(404, json_bytes({"detail": "Task not found"})),),
        expect=NotFoundError,
        status=404,
        types=(),
        body={"detail": "Task not found"},
    ),
    Case(
        "status-404-as-event-stream",
        (Stream(sample(1, 2), status=404),),
        expect=NotFoundError,
        status=404,
        types=(),
    ),
    Case(
        "status-401",
        (Reply(401, json_bytes({"detail": "Unauthorized"})),),
        expect=AuthenticationError,
        status=401,
        types=(),
        body={"detail": "Unauthorized"},
    ),
    Case(
        "status-429-retry-after-0-then-stream",
        (Reply(429, json_bytes({"detail": "slow down"}), headers=RETRY_NOW), Stream(sample())),
        ids=IDS,
        requests=2,
        reconnects=None,
    ),
    Case(
        f"status-500-x{MAX_RETRIES + 1}",
        (S500,),
        expect=InternalServerError,
        status=500,
        types=(),
        requests=MAX_RETRIES + 1,
        body={"detail": "boom"},
    ),
    Case("reset-before-stream-then-stream", (Reset(), Stream(sample())), ids=IDS, requests=2, reconnects=None),
    Case(
        "html-200",
        (Reply(200, HTML, content_type="text/html"),),
        expect=InvalidResponseError,
        status=200,
        types=(),
    ),
    # drops, reconnects, replays
    Case(
        "reset-mid-event-after-3",
        (Stream((*sample(1, 3), (0.0, frame(SAMPLE[3], "4")[:40])), end="reset"), Stream(sample(4))),
        ids=IDS,
        requests=2,
        last_event_ids=(None, "3"),
        reconnects=1,
    ),
    Case(
        "truncated-chunked-after-3",
        (Stream(sample(1, 3), end="close"), Stream(sample(4))),
        ids=IDS,
        requests=2,
        last_event_ids=(None, "3"),
        reconnects=1,
    ),
    Case(
        "replay-of-id-3-after-reset",
        (Stream(sample(1, 3), end="reset"), Stream(sample(3))),
        ids=IDS,
        requests=2,
        last_event_ids=(None, "3"),
        reconnects=1,
    ),
    Case(
        "replay-of-all-without-ids",
        (Stream(sample(1, 3, ids=False), end="reset"), Stream(sample(ids=False))),
        ids=NO_IDS,
        requests=2,
        reconnects=1,
    ),
    Case(
        "replay-of-id-3-reserialized",
        (Stream(sample(1, 3), end="reset"), Stream(((0.0, REPLAYED_3), *sample(4)))),
        ids=IDS,
        requests=2,
        last_event_ids=(None, "3"),
        reconnects=1,
    ),
    Case(
        "retry-field-of-a-day-then-drop",
        (Stream(((0.0, RETRY_1_DAY), *sample(1, 3)), end="close"), Stream(sample(4))),
        ids=IDS,
        requests=2,
        last_event_ids=(None, "3"),
        reconnects=1,
        plan=Plan(limit=2.0),
        max_seconds=1.5,
    ),
    Case(
        "crlf-lines-in-7-byte-pieces",
        (Stream(split(CRLF_STREAM, 7)),),
        ids=IDS,
    ),
    Case(
        "stream-longer-than-tasks-timeout",
        (Stream((*sample(1, 1), *HEARTBEATS, *HEARTBEATS[:8], *sample(2))),),
        ids=IDS,
        tasks_options={"timeout": 0.5},
        plan=Plan(options={"read_timeout": 0.3}),
        min_seconds=1.15,
    ),
    Case(
        "heartbeats-past-read-timeout",
        (Stream((*sample(1, 1), *HEARTBEATS, *sample(2))),),
        ids=IDS,
        plan=Plan(options={"read_timeout": 0.3}),
        min_seconds=0.75,
    ),
    Case(
        "silence-past-read-timeout",
        (Stream(sample(1, 3), end="hang"), Stream(sample(4))),
        ids=IDS,
        requests=2,
        last_event_ids=(None, "3"),
        reconnects=1,
        plan=Plan(options={"read_timeout": 0.3}),
        min_seconds=0.3,
    ),
    Case(
        "clean-close-without-final-event",
        (Stream(sample(1, 2)), Stream(())),
        expect=EventStreamError,
        types=TYPES[:2],
        ids=IDS[:2],
        requests=3,
        last_event_ids=(None, "2", "2"),
        reconnects=2,
        plan=Plan(options={"max_reconnects": 2}),
        check=_gave_up,
    ),
    # what the events hold
    Case(
        "malformed-json-event",
        (Stream((*sample(1, 4, ids=False), (0.0, MALFORMED), *sample(5, ids=False))),),
        ids=NO_IDS,
        skipped=1,
        check=_warned,
    ),
    Case(
        "unknown-event-type",
        (Stream((*sample(1, 3), (0.0, UNKNOWN_EVENT), *sample(4))),),
        types=(*TYPES[:3], "brand_new_event", *TYPES[3:]),
        ids=(*IDS[:3], "u", *IDS[3:]),
        check=_unknown_kept,
    ),
    Case(
        "event-of-100kb",
        (Stream((*sample(1, 8, ids=False), *split(BIG_EVENT, 8000), *sample(9, ids=False))),),
        types=(*TYPES[:8], "chunk", *TYPES[8:]),
        check=_big_event_intact,
    ),
    # the end of the stream, and the caller's
    Case(
        "open-after-task-finished",
        (Stream(sample(), end="hang"),),
        ids=IDS,
        plan=Plan(close="none", watch_close=True),
        max_seconds=1.0 + WATCH_CLOSE,
        check=_closed_by_client,
    ),
    Case(
        "break-then-close",
        (Stream((*sample(1, 3), *HEARTBEATS), end="hang"),),
        types=TYPES[:2],
        ids=IDS[:2],
        plan=Plan(stop_after=2, watch_close=True),
        max_seconds=1.0 + WATCH_CLOSE,
        check=_closed_by_client,
    ),
    Case(
        "break-in-with-block",
        (Stream((*sample(1, 3), *HEARTBEATS), end="hang"),),
        types=TYPES[:2],
        ids=IDS[:2],
        plan=Plan(stop_after=2, close="with", watch_close=True),
        max_seconds=1.0 + WATCH_CLOSE,
        check=_closed_by_client,
    ),
    Case(
        "break-without-close",
        (Stream((*sample(1, 3), *HEARTBEATS), end="hang"),),
        types=TYPES[:2],
        ids=IDS[:2],
        plan=Plan(stop_after=2, close="drop", watch_close=True),
        max_seconds=1.0 + WATCH_CLOSE,
        check=_closed_by_client,
    ),
    Case(
        "first-event-then-1s-pause",
        (
            Stream(
                ((0.0, frame(SAMPLE[0], "1")), (1.0, b"".join(data for _, data in sample(2)))),
            ),
        ),
        ids=IDS,
        min_seconds=0.95,
        check=_incremental,
    ),
    # refused before any request
    Case(
        "task-without-events-streaming",
        (Stream(sample()),),
        expect=InvalidArgumentError,
        types=(),
        requests=0,
        task={"events_streaming": False},
        at_call=True,
        check=_refused_at_call("events_streaming"),
    ),
    Case(
        "no-organization-id",
        (Stream(sample()),),
        expect=InvalidArgumentError,
        types=(),
        requests=0,
        organization_id=None,
        task={"organization_id": ""},  # nor the task: the configuration's absence alone falls back to the task's
        at_call=True,
        check=_refused_at_call("organization_id"),
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", [pytest.param(case, id=case.fault) for case in CASES])
def test_event_stream_fault(server: FaultServer, case: Case, mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="xpander_sdk")
    row = Row(case.fault, mode)
    ROWS.append(row)
    server.script(EVENTS_PATH, *case.actions)
    tasks = tasks_on(server, case.organization_id, **case.tasks_options)
    task = Task.from_dict({**TASK, **case.task}).bind(tasks)
    run = follow(server, tasks, task, mode, case.plan)
    run.warnings = [record for record in caplog.records if record.name.split(".")[0] == "xpander_sdk"]
    row.outcome, row.requests, row.seconds = outcome(run), server.count, run.seconds

    assert not run.hung, f"the stream did not end within {case.plan.limit} s ({run.count} events)"
    if case.expect is None:
        assert run.error is None, f"expected the stream to end after task_finished, got {run.error!r}"
    else:
        assert type(run.error) is case.expect, f"expected {case.expect.__name__}, got {run.error!r}"
    if isinstance(run.error, ModuleException):
        assert run.error.status_code == case.status, run.error
        if case.body is not None:
            assert run.error.body == case.body
        assert API_KEY not in str(run.error) and API_KEY not in repr(run.error)
    if case.at_call:
        assert run.at_call, "raised at the call of events()/aevents(), before any iteration"

    types = [event.type.value for event in run.events]
    assert types == list(case.types), "every event exactly once, in order"
    if case.ids is not None:
        assert [event.event_id for event in run.events] == list(case.ids)
    if tuple(types) == TYPES:
        _sample_payloads(run.events)
    if not case.at_call:
        assert run.received == run.count, f"stream.received {run.received}, {run.count} events delivered"
        assert run.skipped == case.skipped
        if case.reconnects is not None:
            assert run.reconnects == case.reconnects
    if case.check is not None:
        case.check(run)

    assert server.count == case.requests, f"the server saw {server.count} requests, expected {case.requests}"
    expected_ids = case.last_event_ids or (None,) * case.requests
    for seen, last_event_id in zip(server.requests, expected_ids, strict=True):
        assert (seen.method, seen.path) == ("GET", EVENTS_PATH)
        assert seen.header("x-api-key") == API_KEY
        assert seen.header("accept") == "text/event-stream"
        assert seen.header("cache-control") == "no-store"
        assert seen.header("last-event-id") == last_event_id
        assert seen.body == b""
    assert case.min_seconds <= run.seconds < case.max_seconds, f"{run.seconds:.3f} s"
    row.as_designed = True


# -- a long stream ---------------------------------------------------------------------------------------------------
LONG_STREAM = 100_000
MEMORY_LIMIT = 4_000_000
"""Bytes traced at the peak while following LONG_STREAM events (some 13 MB on the wire): a stream kept in memory
would take several times the wire size."""
CHUNK_HEAD = frame(envelope("chunk", "#"))[: -len(b'#","identity":null}\n\n')]


def long_stream(count: int) -> Callable[[], Iterator[Piece]]:
    """connected, `count` chunk events with data "c0", "c1", ... (no ids, as the cloud sends), task_finished;
    made as sent, 500 events a piece."""

    def pieces() -> Iterator[Piece]:
        yield 0.0, frame(SAMPLE[0])
        for start in range(0, count, 500):
            numbers = range(start, min(count, start + 500))
            yield 0.0, b"".join(b'%sc%d","identity":null}\n\n' % (CHUNK_HEAD, n) for n in numbers)
        yield 0.0, frame(SAMPLE[-1])

    return pieces


def _long_parts(pieces: Callable[[], Iterable[Piece]]) -> int:
    return sum(len(data) for _, data in pieces())


@pytest.mark.parametrize("mode", MODES)
def test_long_stream_memory_flat(server: FaultServer, mode: str) -> None:
    """100,000 events all arrive, in order, with the memory traced at the peak under MEMORY_LIMIT."""
    row = Row(f"{LONG_STREAM:,}-events-memory", mode)
    ROWS.append(row)
    pieces = long_stream(LONG_STREAM)
    wire = _long_parts(pieces)
    server.script(EVENTS_PATH, Stream(pieces))
    tasks = tasks_on(server)
    task = Task.from_dict(TASK).bind(tasks)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run = follow(server, tasks, task, mode, Plan(keep=False, limit=20.0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    row.outcome = f"{run.count:,} events, peak {peak / 1e6:.1f} MB" if run.error is None else outcome(run)
    row.requests, row.seconds = server.count, run.seconds

    assert not run.hung and run.error is None, outcome(run)
    assert run.count == LONG_STREAM + 2 == run.received
    assert run.events[0].type.value == "task_finished"
    assert run.skipped == 0 and run.reconnects == 0
    assert server.count == 1
    assert peak < MEMORY_LIMIT, f"peak {peak:,} bytes traced for a stream of {wire:,} bytes"
    assert run.seconds < 10.0
    row.as_designed = True
