"""Load and resources: thousands of creates on a bounded pool, and nothing left behind (sockets, threads, memory).

The server is the fault server in a child process (tests.faultserver.spawned): it does not share the GIL with
the client, and its own sockets, threads and memory stay out of the client's measurements. Every bound here
is a generous guard against leaks and hangs, not a performance claim.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.faultserver import ChildServer, spawned, tasks_for
from xpander_sdk import Task, Tasks

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
POOL = 50


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


def settle(start_fds: int, slack: int, seconds: float = 5.0) -> int:
    """The open fd count once it is back within `slack` of `start_fds` (or after `seconds`)."""
    deadline = time.monotonic() + seconds
    while True:
        gc.collect()
        now = open_fds()
        if now <= start_fds + slack or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


@pytest.fixture(scope="module")
def child() -> Iterator[ChildServer]:
    with spawned() as server:
        yield server


def report(request: pytest.FixtureRequest, line: str) -> None:
    """Print a measurement in the test run's output (also under output capture)."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        request.config.get_terminal_writer().line(f"\n{line}")


def test_2000_concurrent_acreate_on_a_bounded_pool(
    child: ChildServer, request: pytest.FixtureRequest, http_transport: str
) -> None:
    """2,000 creates in flight at once from one event loop, on a pool of 50 connections: all succeed, the pool
    never opens more than 50, and after aclose() no socket or thread is left.

    The calls go through a semaphore of 2 x POOL: 100 are inside the SDK at any time, so the pool's own bound
    and queue are exercised (50 waiting for a connection). Without it, the 2,000 would all queue in httpcore,
    whose queue handling is quadratic (see test_oversubscribed_pool_still_completes)."""
    gc.collect()
    start_fds, start_threads = open_fds(), threading.active_count()
    before = child.stats()
    tasks = tasks_for(child.url, limits=httpx.Limits(max_connections=POOL))

    async def main() -> list[Task]:
        gate = asyncio.Semaphore(2 * POOL)

        async def one(index: int) -> Task:
            async with gate:
                return await tasks.acreate("ok", prompt=f"prompt {index}")

        try:
            return await asyncio.gather(*(one(index) for index in range(2000)))
        finally:
            await tasks.aclose()

    started = time.monotonic()
    results = asyncio.run(main())
    elapsed = time.monotonic() - started
    after = child.stats()

    assert len(results) == 2000 and all(isinstance(task, Task) and task.id == "t1" for task in results)
    assert after["count"] - before["count"] == 2000, "each create sent exactly once"
    assert after["max_open"] <= POOL + 1, "never more than the pool's connections at once (+1: the stats one)"
    end_fds = settle(start_fds, slack=2)
    assert end_fds <= start_fds + 2, f"sockets left open: {start_fds} fds before, {end_fds} after aclose()"
    assert threading.active_count() <= start_threads, "no thread left behind"
    assert elapsed < 60
    report(
        request,
        f"load: 2,000 concurrent acreate on {POOL} connections in {elapsed:.1f} s, "
        f"{after['connections'] - before['connections']} connections opened, at most {after['max_open']} at once; "
        f"fds {start_fds} -> {end_fds}, threads {start_threads} -> {threading.active_count()}",
    )


def test_oversubscribed_pool_still_completes(
    child: ChildServer, request: pytest.FixtureRequest, http_transport: str
) -> None:
    """500 acreate gathered at once with no gate on 50 connections: 450 wait in the pool's queue; all succeed."""
    before = child.stats()
    tasks = tasks_for(child.url, limits=httpx.Limits(max_connections=POOL))

    async def main() -> list[Task]:
        try:
            return await asyncio.gather(*(tasks.acreate("ok", prompt="p") for _ in range(500)))
        finally:
            await tasks.aclose()

    started = time.monotonic()
    results = asyncio.run(main())
    elapsed = time.monotonic() - started
    after = child.stats()
    assert len(results) == 500 and all(task.id == "t1" for task in results)
    assert after["count"] - before["count"] == 500
    assert after["max_open"] <= POOL + 1
    assert elapsed < 60
    report(request, f"load: 500 acreate gathered at once (no gate) on {POOL} connections in {elapsed:.1f} s")


MEMORY_CALLS = 20_000
MEMORY_BUDGET_S = 20.0
MIN_MEMORY_CALLS = 5_000


def test_memory_is_flat_over_many_sequential_creates(child: ChildServer, request: pytest.FixtureRequest) -> None:
    """RSS after a 2,000-create warm-up and after up to 20,000 more (sync client: the faster one; stopped after
    20 s on a slow machine, but never before 5,000) grows by less than 20 MB."""
    gc.collect()
    start_fds = open_fds()
    with tasks_for(child.url) as tasks:
        for _ in range(2000):
            tasks.create("ok", prompt="p")
        gc.collect()
        warm = rss_bytes()
        started = time.monotonic()
        done = 0
        while done < MEMORY_CALLS and (done < MIN_MEMORY_CALLS or time.monotonic() - started < MEMORY_BUDGET_S):
            tasks.create("ok", prompt="p")
            done += 1
        elapsed = time.monotonic() - started
        gc.collect()
        end = rss_bytes()
    growth = (end - warm) / 2**20
    report(
        request,
        f"memory: RSS {warm / 2**20:.1f} MB after 2,000 warm-up creates, {end / 2**20:.1f} MB after {done:,} more "
        f"({elapsed:.1f} s): growth {growth:+.2f} MB ({(end - warm) / done:+.1f} bytes per create)",
    )
    assert done >= MIN_MEMORY_CALLS
    assert growth < 20, f"RSS grew by {growth:.1f} MB over {done} creates"
    assert settle(start_fds, slack=1) <= start_fds + 1, "the sync client's socket is closed by close()"


def test_a_tasks_per_call_leaves_nothing_behind(child: ChildServer, http_transport: str) -> None:
    """The anti-pattern `with Tasks(...) as t: t.create(...)` per call: each Tasks closes its pool."""
    gc.collect()
    start_fds, start_threads = open_fds(), threading.active_count()
    for _ in range(30):
        with tasks_for(child.url) as tasks:
            tasks.create("ok", prompt="p")

    async def per_call() -> None:
        for _ in range(10):
            async with tasks_for(child.url) as tasks:
                await tasks.acreate("ok", prompt="p")

    asyncio.run(per_call())
    end_fds = settle(start_fds, slack=2)
    assert end_fds <= start_fds + 2, f"{end_fds - start_fds} fds leaked by 40 short-lived Tasks"
    assert threading.active_count() <= start_threads


def test_a_bare_tasks_shares_one_pool_across_calls(child: ChildServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """`Tasks().create(...)` in a loop (the documented one-liner) reuses one connection instead of opening
    one per call."""
    monkeypatch.setenv("XPANDER_API_KEY", "k-12345678")
    monkeypatch.setenv("XPANDER_BASE_URL", child.url)
    before = child.stats()
    for _ in range(20):
        assert Tasks().create("ok", prompt="p").id == "t1"
    after = child.stats()
    assert after["count"] - before["count"] == 20
    assert after["connections"] - before["connections"] <= 2, "one pooled connection (+1 for the stats call)"
