"""The worker against the testing kit's agent controller, over a loopback socket, on both async transports: the
protocol, and each fault the official worker dies of (the issue's list): outages of the controller and the API,
a refused key, a dispatch that is not a task, a duplicate, a silent stream, a burst, a handler that raises or
hangs, the stop and the drain. The process-level behaviour (`python agent.py`, signals, the command line) is in
tests/test_worker_process.py; one task's run in tests/test_worker_run.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.worker_kit import AGENT, served_configuration, wait_until
from xpander_sdk import Task, Tasks, Worker, WorkerError
from xpander_sdk._worker_run import NOT_STARTED, STOPPED
from xpander_sdk.testing import FakeBackend

pytestmark = pytest.mark.usefixtures("http_transport")


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    """A backend whose streams send a `: ping` every 50 ms (so a read timeout of 0.5 s never fires on them)."""
    with FakeBackend(heartbeat=0.05) as fake:
        yield fake


@pytest.fixture
def url(backend: FakeBackend) -> Iterator[str]:
    with backend.serve() as served:
        yield served


@pytest.fixture
def tasks(backend: FakeBackend, url: str) -> Iterator[Tasks]:
    with Tasks(served_configuration(backend, url), max_retries=0) as client:
        yield client


@contextlib.contextmanager
def running(backend: FakeBackend, url: str, handler: Any, **options: Any) -> Iterator[Worker]:
    options = {"heartbeat_interval": 0.05, "grace_period": 5.0, "on_boot": (), "on_shutdown": (), **options}
    worker = Worker(handler, configuration=served_configuration(backend, url), agent_id=AGENT, **options)
    worker.start(timeout=15)
    try:
        yield worker
    finally:
        worker.stop(timeout=30)
        assert not worker.running


def status(backend: FakeBackend, task_id: str) -> str:
    return backend.tasks[task_id].status.value


def finished(backend: FakeBackend, *task_ids: str) -> bool:
    return all(status(backend, task_id) in ("completed", "error", "failed") for task_id in task_ids)


async def answer(task: Task) -> Task:
    task.result = f"answer to {task.input.text}"
    return task


# -- the protocol ---------------------------------------------------------------------------------------------------
def test_a_worker_registers_runs_a_task_and_sends_heartbeats(backend: FakeBackend, url: str, tasks: Tasks) -> None:
    with running(backend, url, answer) as worker:
        assert worker.worker_id == "worker-1"
        task = tasks.create(agent_id=AGENT, prompt="2 + 2?")
        wait_until(lambda: finished(backend, task.id), what="the task")
        wait_until(lambda: len(backend.heartbeats("worker-1")) >= 2, what="two heartbeats")
    assert (status(backend, task.id), backend.tasks[task.id].result) == ("completed", "answer to 2 + 2?")
    (registration,) = [r for r in backend.requests if r.operation == "register_worker"]
    assert registration.path == f"/{backend.organization_id}/events/{AGENT}/"
    assert registration.query == {"environment": "local", "supports_llm_gateway": "true"}
    assert registration.headers["accept"] == "text/event-stream"
    saves = [r.json["status"] for r in backend.requests if r.operation == "update_task"]
    assert saves == ["executing", "completed"]
    assert worker.stats.completed == 1
    wait_until(lambda: backend.workers[0]["connected"] is False, what="the stop to close the stream")


def test_the_worker_tells_its_capacity(backend: FakeBackend, url: str, tasks: Tasks) -> None:
    gate = threading.Event()

    def hold(task: Task) -> Task:
        gate.wait(10)
        return task

    with running(backend, url, hold, concurrency=1) as worker:
        task = tasks.create(agent_id=AGENT, prompt="hold")
        wait_until(lambda: backend.worker_events(event="worker-capacity-update"), what="busy")
        gate.set()
        wait_until(lambda: finished(backend, task.id), what="the task")
        wait_until(lambda: len(backend.worker_events(event="worker-capacity-update")) == 2, what="free")
    updates = [event["data"] for event in backend.worker_events(event="worker-capacity-update")]
    assert updates == [{"is_busy": True}, {"is_busy": False}]
    assert worker.stats.completed == 1


# -- outages ---------------------------------------------------------------------------------------------------------
def test_a_controller_outage_is_survived(backend: FakeBackend, url: str, tasks: Tasks) -> None:
    with running(backend, url, answer) as worker:
        backend.controller_down(0.8)
        during = tasks.create(agent_id=AGENT, prompt="during the outage")
        wait_until(lambda: finished(backend, during.id), timeout=30, what="the task created during the outage")
        wait_until(lambda: backend.heartbeats(worker.worker_id or ""), what="heartbeats of the new registration")
        after = tasks.create(agent_id=AGENT, prompt="after")
        wait_until(lambda: finished(backend, after.id), what="the task created after the outage")
    assert worker.stats.registrations >= 2
    assert worker.worker_id != "worker-1"
    assert [status(backend, task.id) for task in (during, after)] == ["completed", "completed"]
    refused = [r for r in backend.requests if r.operation in ("register_worker", "send_worker_event")]
    assert len(refused) > 2


def test_an_api_outage_does_not_leave_a_task_executing(backend: FakeBackend, url: str, tasks: Tasks) -> None:
    async def through_an_outage(task: Task) -> Task:
        backend.respond_next(503, times=5, operation="update_task")
        task.result = "kept"
        return task

    with running(backend, url, through_an_outage):
        task = tasks.create(agent_id=AGENT, prompt="p")
        wait_until(lambda: finished(backend, task.id), timeout=30, what="the final save")
    assert (status(backend, task.id), backend.tasks[task.id].result) == ("completed", "kept")


def test_a_refused_key_stops_the_worker_naming_the_key_problem(backend: FakeBackend, url: str) -> None:
    worker = Worker(
        answer, configuration=served_configuration(backend, url, "wrong-key-123"), agent_id=AGENT, on_boot=()
    )
    with pytest.raises(WorkerError) as raised:
        worker.start(timeout=15)
    worker.stop(timeout=15)
    assert raised.value.status_code == 403
    assert "XPANDER_API_KEY" in str(raised.value)
    assert "wrong-key-123" not in str(raised.value)
    assert worker.error is raised.value
    assert len([r for r in backend.requests if r.operation == "register_worker"]) == 1, "not retried"


def test_an_unknown_agent_is_waited_out_with_a_hint(
    backend: FakeBackend, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A 404 may be an ingress in the middle of a deploy: the worker keeps trying, naming what to check."""
    caplog.set_level(logging.WARNING, "xpander_sdk.worker")
    backend.respond_next(404, operation="register_worker")
    with running(backend, url, answer) as worker:
        assert worker.stats.registrations == 1
    (warning,) = [record.getMessage() for record in caplog.records if "reconnecting" in record.getMessage()]
    assert "404" in warning and "XPANDER_AGENT_ID" in warning


def test_an_environment_conflict_stops_the_worker(backend: FakeBackend, url: str) -> None:
    with running(backend, url, answer) as worker:
        backend.environment_conflict(AGENT, "The agent runs in the cloud")
        wait_until(lambda: not worker.running, what="the worker to stop")
    assert isinstance(worker.error, WorkerError)
    assert "The agent runs in the cloud" in str(worker.error)


# -- what the controller sends ---------------------------------------------------------------------------------------
def test_a_dispatch_that_is_not_a_task_is_skipped_with_a_warning(
    backend: FakeBackend, url: str, tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "xpander_sdk.worker")
    with running(backend, url, answer) as worker:
        backend.dispatch_raw(AGENT, "{not json")
        backend.dispatch_raw(AGENT, '{"id": "t-1"}')
        task = tasks.create(agent_id=AGENT, prompt="still here")
        wait_until(lambda: finished(backend, task.id), what="the next task")
    assert worker.stats.skipped == 2
    assert status(backend, task.id) == "completed"
    skipped = [record for record in caplog.records if "Skipped a dispatch" in record.getMessage()]
    assert [record.levelno for record in skipped] == [logging.WARNING, logging.WARNING]


def test_a_task_dispatched_twice_runs_once(backend: FakeBackend, url: str, tasks: Tasks) -> None:
    gate, calls = threading.Event(), []

    def hold(task: Task) -> Task:
        calls.append(task.id)
        gate.wait(10)
        return task

    with running(backend, url, hold) as worker:
        task = tasks.create(agent_id=AGENT, prompt="once")
        wait_until(lambda: calls, what="the handler")
        backend.redispatch(task.id)  # while it runs
        wait_until(lambda: worker.stats.duplicates == 1, what="the duplicate")
        gate.set()
        wait_until(lambda: finished(backend, task.id), what="the task")
        backend.redispatch(task.id)  # once it has finished
        wait_until(lambda: worker.stats.duplicates == 2, what="the second duplicate")
    assert calls == [task.id]
    assert backend.dispatched(task.id) == 3


def test_a_silent_stream_is_reconnected_and_no_task_is_lost(backend: FakeBackend, url: str, tasks: Tasks) -> None:
    with running(backend, url, answer, read_timeout=0.5) as worker:
        backend.silence_worker_streams(2.0)
        task = tasks.create(agent_id=AGENT, prompt="sent while silent")
        wait_until(lambda: finished(backend, task.id), timeout=30, what="the task")
    assert worker.stats.registrations >= 2
    assert worker.stats.completed == 1
    assert status(backend, task.id) == "completed"


def test_a_burst_waits_while_the_stream_and_heartbeats_go_on(backend: FakeBackend, url: str, tasks: Tasks) -> None:
    gate = threading.Event()

    def hold(task: Task) -> Task:
        gate.wait(10)
        return task

    with running(backend, url, hold, concurrency=2) as worker:
        created = [tasks.create(agent_id=AGENT, prompt=f"task {n}") for n in range(6)]
        wait_until(lambda: worker.stats.dispatched == 6, what="every dispatch read while the slots are busy")
        assert (worker.stats.running, worker.stats.queued) == (2, 4)
        beats = len(backend.heartbeats())
        wait_until(lambda: len(backend.heartbeats()) >= beats + 3, what="heartbeats while busy")
        gate.set()
        wait_until(lambda: finished(backend, *(task.id for task in created)), what="the burst")
    assert worker.stats.completed == 6


def test_queued_tasks_start_in_the_order_they_came(backend: FakeBackend, url: str, tasks: Tasks) -> None:
    gate, started = threading.Event(), []

    def hold(task: Task) -> Task:
        started.append(task.input.text)
        gate.wait(10)
        return task

    with running(backend, url, hold, concurrency=1) as worker:
        created = [tasks.create(agent_id=AGENT, prompt=f"task {n}") for n in range(5)]
        wait_until(lambda: worker.stats.queued == 4, what="four queued behind the first")
        gate.set()
        wait_until(lambda: finished(backend, *(task.id for task in created)), what="the queue")
    assert started == [f"task {n}" for n in range(5)]


# -- the handler ----------------------------------------------------------------------------------------------------
def test_a_handler_that_raises_ends_its_task_error_and_the_worker_goes_on(
    backend: FakeBackend, url: str, tasks: Tasks
) -> None:
    async def picky(task: Task) -> Task:
        if task.input.text == "bad":
            raise ValueError("cannot answer that")
        return await answer(task)

    with running(backend, url, picky, concurrency=1):
        bad, good = (tasks.create(agent_id=AGENT, prompt=prompt) for prompt in ("bad", "good"))
        wait_until(lambda: finished(backend, bad.id, good.id), what="both tasks")
    assert (status(backend, bad.id), backend.tasks[bad.id].result) == ("error", "cannot answer that")
    assert status(backend, good.id) == "completed"


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_a_handler_past_its_deadline_frees_its_slot(backend: FakeBackend, url: str, tasks: Tasks, kind: str) -> None:
    release = threading.Event()

    async def hang_async(task: Task) -> Task:
        if task.input.text == "hang":
            await asyncio.sleep(30)
        return task

    def hang_sync(task: Task) -> Task:
        if task.input.text == "hang":
            release.wait(30)
        return task

    handler = hang_async if kind == "async" else hang_sync
    try:
        with running(backend, url, handler, concurrency=1, handler_timeout=0.3):
            hung, next_one = (tasks.create(agent_id=AGENT, prompt=prompt) for prompt in ("hang", "next"))
            wait_until(lambda: finished(backend, hung.id, next_one.id), what="both tasks")
    finally:
        release.set()
    assert status(backend, hung.id) == "error"
    assert "handler_timeout" in (backend.tasks[hung.id].result or "")
    assert status(backend, next_one.id) == "completed"


# -- the stop ---------------------------------------------------------------------------------------------------------
def test_the_stop_ends_the_running_and_the_queued_tasks_with_a_reason(
    backend: FakeBackend, url: str, tasks: Tasks
) -> None:
    shutdown: list[str] = []

    async def hang(task: Task) -> Task:
        await asyncio.sleep(30)
        return task

    worker = Worker(
        hang,
        configuration=served_configuration(backend, url),
        agent_id=AGENT,
        concurrency=1,
        grace_period=0.3,
        heartbeat_interval=0.05,
        on_boot=(),
        on_shutdown=(lambda: shutdown.append("hook"),),
    )
    worker.start(timeout=15)
    running_task, queued_task = (tasks.create(agent_id=AGENT, prompt=prompt) for prompt in ("runs", "waits"))
    wait_until(lambda: worker.stats.running == 1 and worker.stats.queued == 1, what="one running, one queued")
    worker.stop(timeout=30)
    assert not worker.running
    assert (status(backend, running_task.id), backend.tasks[running_task.id].result) == ("error", STOPPED)
    assert (status(backend, queued_task.id), backend.tasks[queued_task.id].result) == ("error", NOT_STARTED)
    assert shutdown == ["hook"]
    wait_until(lambda: backend.workers[0]["connected"] is False, what="the stop to close the stream")


def test_a_handler_that_finishes_within_the_grace_period_completes(
    backend: FakeBackend, url: str, tasks: Tasks
) -> None:
    async def slow(task: Task) -> Task:
        await asyncio.sleep(0.5)
        return await answer(task)

    with running(backend, url, slow, grace_period=10.0) as worker:
        task = tasks.create(agent_id=AGENT, prompt="finish me")
        wait_until(lambda: worker.stats.running == 1, what="the handler")
    assert status(backend, task.id) == "completed"


def test_drain_runs_every_task_taken(backend: FakeBackend, url: str, tasks: Tasks) -> None:
    async def slow(task: Task) -> Task:
        await asyncio.sleep(0.1)
        return await answer(task)

    worker = Worker(slow, configuration=served_configuration(backend, url), agent_id=AGENT, concurrency=1, on_boot=())
    worker.start(timeout=15)
    created = [tasks.create(agent_id=AGENT, prompt=f"t{n}") for n in range(3)]
    wait_until(lambda: worker.stats.dispatched == 3, what="every dispatch")
    worker.drain(timeout=30)
    assert not worker.running
    assert [status(backend, task.id) for task in created] == ["completed"] * 3
