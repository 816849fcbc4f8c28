"""Event loops and threads: one Tasks across asyncio.run() calls, threads, a running loop, and trio.

All against the fault server on real sockets; every test bounds its time (against deadlocks and hangs).
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faultserver import FaultServer, running, tasks_for
from xpander_sdk import Task, Tasks


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


def wait_for(condition: object, seconds: float = 3.0) -> bool:
    """Poll `condition()` (with a GC pass) until true or `seconds` passed."""
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        gc.collect()
        time.sleep(0.02)
    return True


def test_one_tasks_across_three_asyncio_runs(server: FaultServer, http_transport: str) -> None:
    tasks = tasks_for(server.url)
    clients = []

    async def create(run: int) -> Task:
        clients.append(await tasks.requestor.session.async_client())
        task = await tasks.acreate("ok", prompt=f"run {run}")
        await tasks.acreate("ok", prompt=f"run {run}, again")
        return task

    started = time.monotonic()
    results = [asyncio.run(create(run)) for run in range(3)]
    assert all(task.id == "t1" for task in results)
    assert server.count == 6
    assert len({id(client) for client in clients}) == 3, "one AsyncClient per event loop"
    assert len(tasks.requestor.session._async_pools) == 1, "the clients of closed loops are dropped"
    assert time.monotonic() - started < 10
    tasks.close()


def test_async_with_in_each_run_closes_that_runs_connections(server: FaultServer, http_transport: str) -> None:
    tasks = tasks_for(server.url)

    async def create() -> Task:
        async with tasks:
            return await tasks.acreate("ok", prompt="p")

    for _ in range(3):
        assert asyncio.run(create()).id == "t1"
        assert wait_for(lambda: server.stats()["open"] == 0), "aclose() closed this loop's connection"
    assert server.count == 3
    assert server.stats()["connections"] == 3


@pytest.mark.parametrize("bare", [False, True], ids=["own Tasks", "bare Tasks() one-liner"])
def test_connections_of_a_finished_loop_are_closed(
    server: FaultServer, bare: bool, monkeypatch: pytest.MonkeyPatch, http_transport: str
) -> None:
    """Without `async with`/aclose() inside the loop, each loop's client is still closed when its loop ends
    (the SDK's async-generator finaliser): the documented one-liner `asyncio.run(Tasks().acreate(...))` leaves
    no connection open."""
    monkeypatch.setenv("XPANDER_API_KEY", "k-12345678")
    monkeypatch.setenv("XPANDER_BASE_URL", server.url)
    tasks = Tasks() if bare else tasks_for(server.url)
    try:
        for _ in range(3):
            asyncio.run(tasks.acreate("ok", prompt="p"))
        tasks.close()
        assert server.count == 3
        assert wait_for(lambda: server.stats()["open"] == 0, seconds=1.0), (
            f"{server.stats()['open']} connections still open after close()"
        )
    finally:  # what the SDK left open: dropped here, so that the GC closes it now, not in a later test
        tasks.requestor.session._async_pools.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            del tasks
            gc.collect()


def test_create_from_eight_threads_at_once(server: FaultServer) -> None:
    barrier = threading.Barrier(8)

    with tasks_for(server.url) as tasks:

        def worker(index: int) -> list[Task]:
            barrier.wait(timeout=10)
            return [tasks.create("ok", prompt=f"thread {index} call {call}") for call in range(25)]

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = [task for batch in pool.map(worker, range(8), timeout=30) for task in batch]
        elapsed = time.monotonic() - started
        client = tasks.requestor.session.sync_client()
    assert len(results) == 200 and all(task.id == "t1" for task in results)
    assert server.count == 200
    assert server.stats()["max_open"] <= 8, "one shared pool: at most a connection per thread"
    prompts = sorted(seen.body.decode().split('"text":"', 1)[1].split('"', 1)[0] for seen in server.requests)
    assert prompts == sorted(f"thread {index} call {call}" for index in range(8) for call in range(25))
    assert client.is_closed
    assert elapsed < 30


def test_asyncio_run_in_several_threads_with_one_tasks(server: FaultServer, http_transport: str) -> None:
    """Four threads, each with its own event loop, share one Tasks: each loop gets its own AsyncClient."""
    tasks = tasks_for(server.url)

    def worker(index: int) -> list[Task]:
        async def main() -> list[Task]:
            async with tasks:
                return await asyncio.gather(*(tasks.acreate("ok", prompt=f"{index}") for _ in range(20)))

        return asyncio.run(main())

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [task for batch in pool.map(worker, range(4), timeout=30) for task in batch]
    assert len(results) == 80 and all(task.id == "t1" for task in results)
    assert server.count == 80
    assert wait_for(lambda: server.stats()["open"] == 0)


def test_create_inside_a_running_loop_blocks_but_works(server: FaultServer) -> None:
    """The sync create() in a coroutine (a notebook cell, a careless handler): it blocks the loop for the
    call, but needs no loop of its own, so it neither deadlocks nor raises."""
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    async def main() -> tuple[Task, Task]:
        background = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)
        with tasks_for(server.url) as tasks:
            first = tasks.create("ok", prompt="p")
            async with tasks:
                second = await tasks.acreate("ok", prompt="p")
        background.cancel()
        return first, second

    started = time.monotonic()
    first, second = asyncio.run(asyncio.wait_for(main(), timeout=10))
    assert first.id == second.id == "t1"
    assert server.count == 2
    assert ticks, "the loop ran around the blocking call"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("anyio_backend", ["trio"])
@pytest.mark.anyio
async def test_acreate_under_trio(server: FaultServer, anyio_backend: str) -> None:
    import trio

    tasks = tasks_for(server.url)
    results: list[Task] = []

    async def create(index: int) -> None:
        results.append(await tasks.acreate("ok", prompt=f"in the nursery {index}"))

    async with tasks:
        with trio.fail_after(10):
            results.append(await tasks.acreate("ok", prompt="p"))
            async with trio.open_nursery() as nursery:
                for index in range(10):
                    nursery.start_soon(create, index)
        assert len(results) == 11 and all(task.id == "t1" for task in results)
        assert server.count == 11
    assert wait_for(lambda: server.stats()["open"] == 0), "aclose() under trio closed its connections"


def test_retry_backoff_under_trio(server: FaultServer) -> None:
    """The wait between retries sleeps in trio too (not asyncio.sleep)."""
    import trio

    tasks = tasks_for(server.url)

    async def main() -> Task:
        async with tasks:
            return await tasks.acreate("status-503-then-201", prompt="p")

    started = time.monotonic()
    assert trio.run(main).id == "t1"
    assert server.count == 2
    assert time.monotonic() - started < 5


def test_trio_then_asyncio_with_one_tasks(server: FaultServer, http_transport: str) -> None:
    import trio

    tasks = tasks_for(server.url)

    async def create() -> Task:
        return await tasks.acreate("ok", prompt="p")

    assert trio.run(create).id == "t1"
    assert asyncio.run(create()).id == "t1"
    assert trio.run(create).id == "t1"
    assert server.count == 3
    tasks.close()


def test_a_bare_tasks_in_asyncio_run_in_a_loop(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, http_transport: str
) -> None:
    """The documented one-liner `asyncio.run(Tasks().acreate(...))`, repeated: the shared pool must not hand a
    client of a closed loop to a new one."""
    monkeypatch.setenv("XPANDER_API_KEY", "k-12345678")
    monkeypatch.setenv("XPANDER_BASE_URL", server.url)
    for _ in range(3):
        assert asyncio.run(Tasks().acreate("ok", prompt="p")).id == "t1"
    assert server.count == 3
