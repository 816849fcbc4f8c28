"""Open event streams do not take the places that calls wait for: streams have a pool of their own.

A `Tasks` whose call pool has 4 connections holds 12 open, silent event streams; a create and a get still
go through at once (async, and sync from another thread), and closing the streams closes their connections.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.faultserver import MINIMAL_TASK, FaultServer, Stream, ok, running, tasks_for
from xpander_sdk import AsyncEventStream, EventStream, Task, Tasks

ORG = "org-1"
STREAMS = 12
CALL_POOL = httpx.Limits(max_connections=4, max_keepalive_connections=4)
FIRST_EVENT = (
    b'data: {"type":"connected","task_id":"t1","organization_id":"org-1","time":"2026-05-01T12:00:00Z","data":null}\n\n'
)
SILENT_STREAM = Stream(((0.0, FIRST_EVENT),), end="hang", give_up_after=20.0)
CALL_WITHIN = 2.0
"""Seconds a create or get may take while the streams are open (a starved call would wait the pool timeout)."""


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        for number in range(STREAMS):
            fault_server.script(f"/{ORG}/agent-execution/s{number}/events", SILENT_STREAM)
        fault_server.script("/agent-execution/agent-1", ok(201))
        fault_server.script("/agent-execution/t1/status", ok(200))
        yield fault_server


def tasks_on(server: FaultServer) -> Tasks:
    tasks = tasks_for(server.url, limits=CALL_POOL, timeout=httpx.Timeout(5.0, pool=5.0))
    tasks.configuration.organization_id = ORG
    return tasks


def streaming_task(tasks: Tasks, number: int) -> Task:
    data = {**MINIMAL_TASK, "id": f"s{number}", "organization_id": ORG, "events_streaming": True}
    return Task.from_dict(data).bind(tasks)


def open_connections(server: FaultServer) -> int:
    return server.stats()["open"]


def test_open_async_streams_leave_the_call_pool_free(server: FaultServer, http_transport: str) -> None:
    async def scenario() -> tuple[float, int, int]:
        tasks = tasks_on(server)
        streams: list[AsyncEventStream] = [streaming_task(tasks, n).aevents() for n in range(STREAMS)]
        for stream in streams:  # each stream is open and has delivered its first event
            await asyncio.wait_for(anext(aiter(stream)), 5)
        held = open_connections(server)
        started = time.perf_counter()
        await asyncio.wait_for(tasks.acreate("agent-1", prompt="hi"), CALL_WITHIN)
        await asyncio.wait_for(tasks.aget("t1"), CALL_WITHIN)
        took = time.perf_counter() - started
        for stream in streams:
            await stream.aclose()
        await tasks.aclose()
        return took, held, open_connections(server)

    took, held, _ = asyncio.run(scenario())
    assert held >= STREAMS, f"{STREAMS} streams hold {STREAMS} connections of their own, {held} open"
    assert took < CALL_WITHIN


def test_open_sync_streams_leave_the_call_pool_free(server: FaultServer) -> None:
    tasks = tasks_on(server)
    streams: list[EventStream] = [streaming_task(tasks, n).events() for n in range(STREAMS)]
    first_events = []
    for stream in streams:
        first_events.append(next(iter(stream)))
    assert [event.type.value for event in first_events] == ["connected"] * STREAMS
    assert open_connections(server) >= STREAMS
    outcome: list[object] = []

    def calls() -> None:
        outcome.append(tasks.create("agent-1", prompt="hi"))
        outcome.append(tasks.get("t1"))

    worker = threading.Thread(target=calls, daemon=True)
    started = time.perf_counter()
    worker.start()
    worker.join(CALL_WITHIN)
    took = time.perf_counter() - started
    assert not worker.is_alive(), "a create and a get waited behind the open streams"
    assert [type(result).__name__ for result in outcome] == ["Task", "Task"]
    assert took < CALL_WITHIN
    for stream in streams:
        stream.close()
    deadline = time.monotonic() + 5
    while open_connections(server) > 1 and time.monotonic() < deadline:  # the call pool keeps one alive
        time.sleep(0.02)
    assert open_connections(server) <= 1, "closing a stream closes its connection"
    tasks.close()
