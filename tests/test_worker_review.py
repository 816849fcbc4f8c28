"""Faults found reviewing the worker (issue 23), each with the sequence that showed it: what a handler may leave in
its task, or raise, must still end the task (never `executing`) and keep the slot and the worker alive; a
cancelled `arun()` still ends its tasks; a handler that ignores its cancellation does not keep the process from
exiting; a handler is not started once the worker's stop has ended the grace period."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.faultserver import Stream
from tests.faultserver import running as running_fault_server
from tests.test_worker_process import SCRIPT, run_as_main, start, stopped, worker_env
from tests.worker_kit import AGENT, run, run_context, wait_until
from xpander_sdk import (
    AgentExecutionStatus,
    Configuration,
    InvalidArgumentError,
    Task,
    Tasks,
    TokenUsage,
    Worker,
    WorkerError,
    on_task,
)
from xpander_sdk._cli_args import build_parser, parse
from xpander_sdk._constants import WORKER_READ_TIMEOUT
from xpander_sdk._worker_link import ControllerLink
from xpander_sdk._worker_run import NOT_STARTED, STOPPED, run_task
from xpander_sdk.cli import make_worker
from xpander_sdk.testing import API_KEY, ORGANIZATION_ID, FakeBackend


class Unprintable:
    def __str__(self) -> str:
        raise ZeroDivisionError("no text")


# -- what a handler leaves in its task -----------------------------------------------------------------------------
def test_a_status_set_as_text_is_read_as_the_status(backend: FakeBackend, tasks: Tasks) -> None:
    """`task.status = "completed"` (the official model takes it) killed the slot and left the task `executing`."""
    task = tasks.create(agent_id=AGENT, prompt="p")

    async def handle(given: Task) -> Task:
        given.status = "completed"  # type: ignore[assignment]
        given.result = "done"
        return given

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Completed
    assert (backend.tasks[task.id].status.value, backend.tasks[task.id].result) == ("completed", "done")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("used_tools", None),
        ("result", Unprintable()),
        ("status", "no such status"),
        ("payload_extension", {"not json": object()}),
    ],
)
def test_a_task_the_handler_left_unsendable_still_ends_error(
    backend: FakeBackend, tasks: Tasks, field: str, value: object
) -> None:
    """What the handler left cannot be sent: the task is saved as it was dispatched, `error`, saying why (it was
    left `executing`, or the slot died)."""
    task = tasks.create(agent_id=AGENT, prompt="p")

    async def handle(given: Task) -> Task:
        object.__setattr__(given, field, value)
        return given

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Error
    stored = backend.tasks[task.id]
    assert stored.status.value == "error"
    assert "could not be reported" in (stored.result or "")


def test_a_final_save_the_api_refuses_still_ends_the_task(backend: FakeBackend, tasks: Tasks) -> None:
    """A 422 on the handler's task (a field the API will not take): the task is ended `error` all the same."""
    task = tasks.create(agent_id=AGENT, prompt="p")

    async def handle(given: Task) -> Task:
        backend.respond_next(422, operation="update_task")
        given.result = "refused"
        return given

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Error
    stored = backend.tasks[task.id]
    assert stored.status.value == "error"
    assert "could not be reported" in (stored.result or "")


# -- what a handler raises -----------------------------------------------------------------------------------------
async def raises_cancelled(task: Task) -> Task:
    raise asyncio.CancelledError


def sync_raises_cancelled(task: Task) -> Task:
    raise asyncio.CancelledError


async def exits(task: Task) -> Task:
    sys.exit(3)


def sync_exits(task: Task) -> Task:
    sys.exit(3)


@pytest.mark.parametrize("handler", [raises_cancelled, sync_raises_cancelled, exits, sync_exits])
def test_a_handler_raising_a_base_exception_ends_its_task_error(
    backend: FakeBackend, tasks: Tasks, handler: Any
) -> None:
    """Its own CancelledError or SystemExit escaped `run_task` (the slot died, or the worker's
    loop with it) and left the task `executing`."""
    task = tasks.create(agent_id=AGENT, prompt="p")
    assert run(task, run_context(tasks, handler)) == AgentExecutionStatus.Error
    stored = backend.tasks[task.id]
    assert stored.status.value == "error"
    assert stored.result


# -- the stop ------------------------------------------------------------------------------------------------------
def test_a_handler_is_not_started_once_the_grace_period_is_over(backend: FakeBackend, tasks: Tasks) -> None:
    """The stop ended the grace period while the task was being marked `executing`: the sync handler was started
    anyway (its side effects happen) and its task reported stopped."""
    task = tasks.create(agent_id=AGENT, prompt="p")
    calls: list[str] = []

    def handle(given: Task) -> Task:
        calls.append(given.id)
        return given

    async def main() -> AgentExecutionStatus | None:
        context = run_context(tasks, handle)
        context.abort.set()
        return await run_task(task, context)

    assert asyncio.run(main()) == AgentExecutionStatus.Error
    threading.Event().wait(0.2)
    assert calls == []
    assert backend.tasks[task.id].result == NOT_STARTED


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise ZeroDivisionError("no text")


def test_a_handler_raising_an_error_without_text_ends_its_task_error(backend: FakeBackend, tasks: Tasks) -> None:
    """`str()` of the handler's exception raised too: it escaped `run_task`, the slot died, the task stayed
    `executing`."""
    task = tasks.create(agent_id=AGENT, prompt="p")

    async def handle(given: Task) -> Task:
        raise UnprintableError

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Error
    assert (backend.tasks[task.id].status.value, backend.tasks[task.id].result) == ("error", "UnprintableError")


# -- a cancelled arun() --------------------------------------------------------------------------------------------
async def hang(task: Task) -> Task:
    await asyncio.sleep(30)
    return task


async def until(condition: Any, what: str, timeout: float = 15.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_cancelled_arun_still_ends_its_running_and_queued_tasks(backend: FakeBackend, tasks: Tasks) -> None:
    """Cancelling the task of `arun()` (Ctrl-C under `asyncio.run(worker.arun())`, an app's shutdown) cancelled
    the handlers and left their tasks `executing` forever."""
    shutdown: list[str] = []

    async def main() -> None:
        options: dict[str, Any] = {"concurrency": 1, "heartbeat_interval": 0.05, "on_boot": ()}
        worker = Worker(hang, tasks=tasks, agent_id=AGENT, on_shutdown=(lambda: shutdown.append("hook"),), **options)
        running = asyncio.ensure_future(worker.arun())
        await until(lambda: backend.workers, "the registration")
        created = [tasks.create(agent_id=AGENT, prompt=prompt) for prompt in ("runs", "waits")]
        await until(lambda: worker.stats.running == 1 and worker.stats.queued == 1, "one running, one queued")
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert not worker.running
        results = [(backend.tasks[task.id].status.value, backend.tasks[task.id].result) for task in created]
        assert results == [("error", STOPPED), ("error", NOT_STARTED)]

    asyncio.run(main())
    assert shutdown == ["hook"]


# -- the process's exit --------------------------------------------------------------------------------------------
IGNORES_ITS_CANCELLATION = """\
import asyncio

from xpander_sdk import Task, on_task


@on_task(grace_period=0.2, heartbeat_interval=0.1)
async def handle(task: Task) -> Task:
    while True:
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            pass
"""


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_a_handler_ignoring_its_cancellation_does_not_keep_the_process_from_exiting(
    backend: FakeBackend, tmp_path: Path, transport: str
) -> None:
    """Its task was ended, but `asyncio.run` waited forever for the handler at its end: SIGTERM never exited."""
    (tmp_path / "agent.py").write_text(IGNORES_ITS_CANCELLATION)
    with (
        backend.serve() as url,
        Tasks(Configuration(api_key=API_KEY, base_url=url, organization_id=ORGANIZATION_ID)) as tasks,
    ):
        process = start([sys.executable, "agent.py"], worker_env(url, transport), tmp_path)
        try:
            wait_until(lambda: backend.workers, what="the registration")
            task = tasks.create(agent_id=AGENT, prompt="p")
            wait_until(lambda: backend.tasks[task.id].status.value == "executing", what="the handler")
        finally:
            code, _, err = stopped(process)
    assert code == 0, err
    assert (backend.tasks[task.id].status.value, backend.tasks[task.id].result) == ("error", STOPPED)


# -- arguments -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("agent_id", [123, "..", "a\nb"])
def test_an_agent_id_no_route_takes_is_refused_when_the_worker_is_made(agent_id: object) -> None:
    """It was taken, and the worker then reconnected forever, each registration refused locally."""
    configuration = Configuration(api_key="k", base_url="http://127.0.0.1:9", organization_id="o")
    with pytest.raises(InvalidArgumentError) as refused:
        Worker(hang, configuration=configuration, agent_id=agent_id)  # type: ignore[arg-type]
    assert refused.value.parameter == "agent_id"


def test_a_connection_setting_refused_locally_stops_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """A SOCKS proxy in the environment, which the aiohttp transport refuses (InvalidArgumentError naming
    `proxy`): the worker retried it forever as an outage instead of stopping (`run()`: one line, exit 78)."""
    monkeypatch.setenv("XPANDER_HTTP_TRANSPORT", "aiohttp")
    monkeypatch.setenv("HTTP_PROXY", "socks5://127.0.0.1:1")
    configuration = Configuration(api_key="k", base_url="http://127.0.0.1:9", organization_id="o")
    with Tasks(configuration) as tasks:
        worker = Worker(hang, tasks=tasks, agent_id=AGENT, on_boot=(), on_shutdown=())
        with pytest.raises(InvalidArgumentError) as refused:
            worker.start(timeout=10)
        worker.stop(timeout=10)
    assert refused.value.parameter == "proxy"
    assert worker.error is refused.value
    assert not worker.running


# -- a stop after a stop -------------------------------------------------------------------------------------------
def test_a_stop_after_a_drain_ends_a_handler_that_does_not_finish(backend: FakeBackend, tasks: Tasks) -> None:
    """`adrain()` waits for the running handlers without limit; a `astop(grace_period=0)` after it was ignored (the
    worker was stopping already), so a hung handler held the worker forever."""

    async def main() -> None:
        options: dict[str, Any] = {"concurrency": 1, "heartbeat_interval": 0.05, "on_boot": (), "on_shutdown": ()}
        worker = Worker(hang, tasks=tasks, agent_id=AGENT, **options)
        running = asyncio.ensure_future(worker.arun())
        await until(lambda: backend.workers, "the registration")
        task = tasks.create(agent_id=AGENT, prompt="hangs")
        await until(lambda: worker.stats.running == 1, "the handler")
        draining = asyncio.ensure_future(worker.adrain())
        await asyncio.sleep(0.1)
        await asyncio.wait_for(worker.astop(grace_period=0), 15)
        await asyncio.wait_for(asyncio.gather(draining, running), 5)
        assert (backend.tasks[task.id].status.value, backend.tasks[task.id].result) == ("error", STOPPED)

    asyncio.run(main())


# -- reconnects ----------------------------------------------------------------------------------------------------
def test_a_stream_that_ends_at_once_is_reconnected_with_growing_delays(http_transport: str) -> None:
    """An answer of 200 and an empty event stream (a proxy, a controller in trouble) counted as a clean end each
    time: the worker reconnected every 0.25-0.5 s forever, with a WARNING each time."""
    with running_fault_server() as server:
        path = f"/o/events/{AGENT}/?environment=local&supports_llm_gateway=true"
        server.script(path, Stream())
        configuration = Configuration(api_key=API_KEY, base_url=server.url, organization_id="o")
        with Tasks(configuration) as tasks:
            worker = Worker(hang, tasks=tasks, agent_id=AGENT, on_boot=(), on_shutdown=())
            with contextlib.suppress(TimeoutError):
                worker.start(timeout=3.0)
            worker.stop(timeout=10)
        attempts = [request for request in server.requests if request.path == path]
    assert 2 <= len(attempts) <= 5, f"{len(attempts)} registrations in 3 s"


# -- @on_task's options --------------------------------------------------------------------------------------------
DECORATED = """\
from xpander_sdk import Task, on_task


@on_task(handler_timeout=7, concurrency=3, grace_period=4)
async def handle(task: Task) -> Task:
    return task
"""


def test_the_command_line_keeps_the_options_on_task_was_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`xpander-tasks worker agent:handle` dropped `@on_task(handler_timeout=...)`: no deadline, and the defaults
    instead of the options the code asked for. The flags given win over them."""
    (tmp_path / "decorated_agent.py").write_text(DECORATED)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("XPANDER_AGENT_ID", AGENT)
    monkeypatch.setenv("XPANDER_API_KEY", "k")
    args = parse(build_parser(), ["worker", "decorated_agent:handle", "--concurrency", "5"])
    worker = make_worker(args)
    assert (worker.handler_timeout, worker.concurrency, worker.grace_period) == (7, 5, 4)
    assert worker.read_timeout == WORKER_READ_TIMEOUT


def test_on_task_refuses_an_option_the_worker_does_not_have() -> None:
    """`@on_task(concurency=16)` in an imported module was taken and never used."""
    with pytest.raises(InvalidArgumentError) as refused:
        on_task(concurency=16)
    assert refused.value.parameter == "concurency"


def test_a_handler_returning_another_task_still_ends_the_task_it_was_given(backend: FakeBackend, tasks: Tasks) -> None:
    """The returned task's fields were taken with its id: the final save went to the other task, and the one
    dispatched stayed `executing`."""
    task, other = (tasks.create(agent_id=AGENT, prompt=prompt) for prompt in ("given", "other"))

    async def handle(given: Task) -> Task:
        returned = tasks.get(other.id)
        returned.status, returned.result = AgentExecutionStatus.Executing, "the answer"
        return returned

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Completed
    assert (backend.tasks[task.id].status.value, backend.tasks[task.id].result) == ("completed", "the answer")
    assert backend.tasks[other.id].status.value == "pending"


# -- the testing kit -----------------------------------------------------------------------------------------------
def test_run_worker_that_cannot_register_stops_its_worker(backend: FakeBackend) -> None:
    """`start()` timed out (the controller down for longer than it waits) and the worker's thread was left
    running, reconnecting forever on a closed tasks, after the test had moved on."""
    backend.controller_down(60)
    with pytest.raises(TimeoutError), backend.run_worker(hang, agent_id=AGENT, timeout=0.5, on_boot=(), on_shutdown=()):
        pass  # pragma: no cover - never reached
    alive = [thread for thread in threading.enumerate() if thread.name == "xpander-worker"]
    assert alive == []


def test_the_command_line_takes_a_grace_period_of_zero() -> None:
    """`Worker(grace_period=0)` ends the running handlers at once; `--grace-period 0` was refused as not positive."""
    assert parse(build_parser(), ["worker", "agent:handle", "--grace-period", "0"]).grace_period == 0
    with pytest.raises(SystemExit):
        parse(build_parser(), ["worker", "agent:handle", "--grace-period", "-1"])


def test_run_under_a_running_loop_is_refused_and_leaves_that_loop_alone() -> None:
    """`run()` has its own loop (see `run_loop`): under a running loop it refuses, as `asyncio.run` does."""
    configuration = Configuration(api_key="k", base_url="http://127.0.0.1:9", organization_id="o")
    worker = Worker(hang, configuration=configuration, agent_id=AGENT, on_boot=(), on_shutdown=())

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with pytest.raises(RuntimeError, match="running event loop"):
            worker.run()
        assert asyncio.get_event_loop() is loop
        await asyncio.sleep(0)

    asyncio.run(main())


def test_a_final_save_refused_for_the_task_itself_is_not_sent_again(backend: FakeBackend, tasks: Tasks) -> None:
    """A 404 or 409 is about the task, not what the handler put in it: no second save as dispatched."""
    task = tasks.create(agent_id=AGENT, prompt="p")

    async def handle(given: Task) -> Task:
        backend.respond_next(409, operation="update_task")
        return given

    run(task, run_context(tasks, handle))
    statuses = [r.json["status"] for r in backend.requests if r.operation == "update_task"]
    assert statuses == ["executing", "completed"]


# -- @on_task under a running loop ---------------------------------------------------------------------------------
def test_a_worker_started_under_a_running_loop_logs_what_stopped_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """In a notebook `@on_task` starts the worker as a task of its loop: a refused key ended that task with a
    WorkerError nobody retrieved (at best "Task exception was never retrieved" at garbage collection)."""
    caplog.set_level(logging.ERROR, "xpander_sdk.worker")

    async def main() -> None:
        with FakeBackend() as backend, backend.install():
            monkeypatch.setenv("XPANDER_AGENT_ID", AGENT)
            backend.respond_next(403, operation="register_worker")
            run_as_main(SCRIPT)
            started = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            await asyncio.wait(started, timeout=10)
            await asyncio.sleep(0)

    asyncio.run(main())
    (record,) = [r for r in caplog.records if r.name == "xpander_sdk.worker" and "XPANDER_API_KEY" in r.getMessage()]
    assert record.levelno == logging.ERROR


# -- secrets -------------------------------------------------------------------------------------------------------
def test_a_refused_registration_names_the_controller_without_the_base_urls_userinfo(
    backend: FakeBackend, http_transport: str
) -> None:
    """The WorkerError (its one line on stderr under `run()`) showed the events root as configured, with the
    password of a base URL such as `https://user:password@host`."""
    backend.respond_next(403, operation="register_worker")
    with backend.serve() as url:
        with_userinfo = url.replace("http://", "http://user:s3cret-pw@")
        configuration = Configuration(api_key=API_KEY, base_url=with_userinfo, organization_id=ORGANIZATION_ID)
        with Tasks(configuration) as tasks:
            worker = Worker(hang, tasks=tasks, agent_id=AGENT, on_boot=(), on_shutdown=())
            with pytest.raises(WorkerError) as refused:
                worker.start(timeout=10)
            worker.stop(timeout=10)
    assert "XPANDER_API_KEY" in str(refused.value)
    assert "s3cret-pw" not in str(refused.value) + repr(refused.value)
    assert url.removeprefix("http://") in str(refused.value)


def test_the_aiohttp_transport_sends_to_a_base_url_with_userinfo(backend: FakeBackend) -> None:
    """aiohttp refused the request with a bare ValueError (httpx's Basic header from the userinfo, and the
    userinfo in the URL): every async call failed so, and the worker's listener died silently on it."""
    with backend.serve() as url:
        with_userinfo = url.replace("http://", "http://user:s3cret-pw@")
        configuration = Configuration(api_key=API_KEY, base_url=with_userinfo, organization_id=ORGANIZATION_ID)
        with Tasks(configuration, http_transport="aiohttp") as tasks:
            created = asyncio.run(tasks.acreate(agent_id=AGENT, prompt="p"))
    assert backend.tasks[created.id].input.text == "p"


def test_an_unexpected_error_of_the_listener_is_logged_and_the_stream_reopened(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception that is no ModuleException (the aiohttp ValueError above) ended the listener's task with
    nobody to see it: the worker ran on without a stream, never registered, silent."""
    original = ControllerLink.amessages
    opened: list[int] = []

    def first_fails(link: ControllerLink) -> Any:
        opened.append(1)
        if len(opened) == 1:
            raise RuntimeError("a fault of the SDK")
        return original(link)

    monkeypatch.setattr(ControllerLink, "amessages", first_fails)
    with backend.run_worker(hang, agent_id=AGENT, on_boot=(), on_shutdown=()) as worker:
        assert worker.stats.registrations == 1
    (logged,) = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert logged.exc_info is not None and str(logged.exc_info[1]) == "a fault of the SDK"


def test_an_unexpected_error_of_a_heartbeat_does_not_end_the_heartbeats(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A heartbeat failing with no ModuleException ended the heartbeats' task for good, silently: the controller
    then saw a worker without heartbeats."""
    original = ControllerLink.asend
    sent: list[str] = []

    async def first_fails(link: ControllerLink, event: str, data: Any, options: Any) -> None:
        sent.append(event)
        if len(sent) == 1:
            raise RuntimeError("a fault of the SDK")
        await original(link, event, data, options)

    monkeypatch.setattr(ControllerLink, "asend", first_fails)
    with backend.run_worker(hang, agent_id=AGENT, on_boot=(), on_shutdown=(), heartbeat_interval=0.05):
        wait_until(lambda: len(backend.heartbeats()) >= 2, what="heartbeats after the failure")


def test_a_metrics_report_failing_unexpectedly_leaves_the_saved_task_as_it_is(
    backend: FakeBackend, tasks: Tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The metrics come after the final save: whatever they raise, the task saved `completed` stays so."""

    async def fails(self: Task, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a fault of the SDK")

    monkeypatch.setattr(Task, "areport_metrics", fails)
    task = tasks.create(agent_id=AGENT, prompt="p")

    async def handle(given: Task) -> Task:
        given.tokens = TokenUsage(prompt_tokens=1, completion_tokens=1)
        return given

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Completed
    statuses = [r.json["status"] for r in backend.requests if r.operation == "update_task"]
    assert statuses == ["executing", "completed"]
