"""One task's run on a worker (`_worker_run.run_task`), against the testing kit's task routes: the saves, the
handler's kinds, its deadline and the worker's stop, the result it reports, the deep plan's re-runs, and the
final save through an outage. The worker's controller side is in tests/test_worker.py."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.worker_kit import AGENT, run, run_context
from xpander_sdk import AgentExecutionStatus, Task, Tasks, TaskUpdateEvent, TaskUpdateEventType, TokenUsage
from xpander_sdk._worker_run import MAX_PLAN_RUNS, NOT_STARTED, STOPPED, end_unstarted, run_task
from xpander_sdk.models import DeepPlanning, DeepPlanningTask
from xpander_sdk.testing import FakeBackend


def new_task(tasks: Tasks, prompt: str = "hi") -> Task:
    return tasks.create(agent_id=AGENT, prompt=prompt)


def saves(backend: FakeBackend, task_id: str) -> list[dict[str, Any]]:
    """The whole-task saves the backend received for the task, in order."""
    path = f"/agent-execution/{task_id}/update"
    return [request.json for request in backend.requests if request.path == path]


# -- the saves and the result -----------------------------------------------------------------------------------------
def test_an_async_handler_runs_between_executing_and_completed(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)
    seen: list[str] = []

    async def handle(given: Task) -> Task:
        seen.append(backend.tasks[given.id].status.value)
        given.result = "answer to " + given.input.text
        given.used_tools = ["search", "calculator"]
        return given

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Completed
    assert seen == ["executing"]
    first, last = saves(backend, task.id)
    assert (first["status"], first["result"]) == ("executing", None)
    assert (last["status"], last["result"], last["used_tools"]) == (
        "completed",
        "answer to hi",
        ["search", "calculator"],
    )
    assert backend.tasks[task.id].status.value == "completed"
    assert backend.metrics() == [], "no tokens: no metrics"


def test_the_handlers_tokens_go_to_the_metrics_with_the_workers_configuration(
    backend: FakeBackend, tasks: Tasks
) -> None:
    task = new_task(tasks)

    async def handle(given: Task) -> Task:
        given.result = "done"
        given.tokens = TokenUsage(prompt_tokens=10, completion_tokens=5)
        given.used_tools = ["search"]
        return given

    run(task, run_context(tasks, handle))
    (report,) = backend.metrics(AGENT)
    assert report["llm_tokens"]["worker"]["prompt_tokens"] == 10
    assert report["api_calls_made"] == ["search"], "the official loses used_tools before its report"
    metrics_request = next(r for r in backend.requests if r.operation == "report_execution_metrics")
    assert metrics_request.headers["x-api-key"] == backend.api_key


def test_a_sync_handler_runs_on_a_thread_of_its_own(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)
    threads: list[str] = []

    def handle(given: Task) -> Task:
        threads.append(threading.current_thread().name)
        given.result = "sync"
        return given

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Completed
    assert threads == [f"xpander-handler-{task.id}"]
    assert saves(backend, task.id)[-1]["result"] == "sync"


def test_a_handler_that_returns_none_reports_the_task_it_was_given(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)

    async def handle(given: Task) -> None:
        given.result = "in place"

    run(task, run_context(tasks, handle))
    assert saves(backend, task.id)[-1]["result"] == "in place"


def test_a_handler_may_return_another_task_object(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)

    async def handle(given: Task) -> Task:
        other = Task.from_dict(given.to_dict())
        other.result = "from a copy"
        return other

    run(task, run_context(tasks, handle))
    assert saves(backend, task.id)[-1]["result"] == "from a copy"


@pytest.mark.parametrize(
    ("result", "sent"),
    [({"total": 3}, '{"total": 3}'), ([1, 2], "[1, 2]"), (42, "42"), ("text", "text")],
)
def test_a_result_that_is_not_text_is_sent_as_json(
    backend: FakeBackend, tasks: Tasks, result: object, sent: str
) -> None:
    task = new_task(tasks)

    async def handle(given: Task) -> Task:
        given.result = result  # type: ignore[assignment]  # what a handler may do
        return given

    run(task, run_context(tasks, handle))
    assert saves(backend, task.id)[-1]["result"] == sent


def test_a_handler_that_sets_its_own_status_keeps_it(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)

    async def handle(given: Task) -> Task:
        given.status, given.result = AgentExecutionStatus.Failed, "could not do it"
        return given

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Failed
    assert saves(backend, task.id)[-1]["status"] == "failed"


def test_an_async_generator_handler_reports_its_finished_events_result(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)

    async def handle(given: Task) -> AsyncIterator[TaskUpdateEvent]:
        for kind, data in ((TaskUpdateEventType.Chunk, "Hel"), (TaskUpdateEventType.TaskFinished, "Hello")):
            yield TaskUpdateEvent(
                type=kind, task_id=given.id, organization_id=given.organization_id, time=None, data=data
            )

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Completed
    assert saves(backend, task.id)[-1]["result"] == "Hello"


# -- failures of the handler ----------------------------------------------------------------------------------------
def test_a_handler_that_raises_ends_the_task_error_with_its_message(
    backend: FakeBackend, tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    task = new_task(tasks)

    async def handle(given: Task) -> Task:
        raise RuntimeError("the model is down")

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Error
    last = saves(backend, task.id)[-1]
    assert (last["status"], last["result"]) == ("error", "the model is down")
    assert any(record.exc_info for record in caplog.records), "logged with its traceback"


def test_a_handler_that_returns_something_else_ends_the_task_error(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)

    def handle(given: Task) -> str:
        return "just text"

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Error
    assert "not a Task" in saves(backend, task.id)[-1]["result"]


def test_an_async_handler_past_its_deadline_is_cancelled(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)
    cancelled = threading.Event()

    async def handle(given: Task) -> Task:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return given

    started = time.monotonic()
    assert run(task, run_context(tasks, handle, handler_timeout=0.2)) == AgentExecutionStatus.Error
    assert time.monotonic() - started < 5
    assert cancelled.is_set()
    assert "handler_timeout" in saves(backend, task.id)[-1]["result"]


def test_a_sync_handler_past_its_deadline_is_abandoned(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)
    release = threading.Event()

    def handle(given: Task) -> Task:
        release.wait(30)
        return given

    started = time.monotonic()
    try:
        assert run(task, run_context(tasks, handle, handler_timeout=0.2)) == AgentExecutionStatus.Error
        assert time.monotonic() - started < 5, "the slot is free while the thread still runs"
        assert "handler_timeout" in saves(backend, task.id)[-1]["result"]
    finally:
        release.set()


def test_the_workers_stop_ends_a_running_handler(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)

    async def main() -> AgentExecutionStatus | None:
        async def handle(given: Task) -> Task:
            await asyncio.sleep(30)
            return given

        context = run_context(tasks, handle)
        asyncio.get_running_loop().call_later(0.2, context.abort.set)
        return await run_task(task, context)

    assert asyncio.run(main()) == AgentExecutionStatus.Error
    assert saves(backend, task.id)[-1]["result"] == STOPPED


def test_a_task_ended_before_it_started_says_so(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)
    asyncio.run(end_unstarted(task, run_context(tasks, None)))
    (only,) = saves(backend, task.id)
    assert (only["status"], only["result"]) == ("error", NOT_STARTED)


# -- the API's failures ---------------------------------------------------------------------------------------------
def test_a_task_the_api_will_not_mark_executing_is_not_run(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)
    calls: list[Task] = []
    backend.respond_next(404, operation="update_task")

    async def handle(given: Task) -> Task:
        calls.append(given)
        return given

    assert run(task, run_context(tasks, handle)) is None
    assert calls == []


def test_the_final_save_goes_on_through_an_outage(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)

    async def handle(given: Task) -> Task:
        backend.respond_next(503, times=4, operation="update_task")
        given.result = "kept"
        return given

    assert run(task, run_context(tasks, handle)) == AgentExecutionStatus.Completed
    assert backend.tasks[task.id].status.value == "completed"
    assert len(saves(backend, task.id)) == 6, "executing, 4 refused, then the save that landed"


def test_a_stopping_worker_gives_up_the_save_after_its_report_window(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)

    async def main() -> None:
        async def handle(given: Task) -> Task:
            backend.respond_next(503, times=1000, operation="update_task")
            return given

        context = run_context(tasks, handle)
        asyncio.get_running_loop().call_later(0.3, context.final.set)
        await run_task(task, context)

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 5
    assert backend.tasks[task.id].status.value == "executing"


# -- the deep plan --------------------------------------------------------------------------------------------------
def plan(*, enforce: bool, completed: bool) -> DeepPlanning:
    step = DeepPlanningTask(id="s1", title="Read the report", completed=completed)
    return DeepPlanning(enabled=True, enforce=enforce, started=True, tasks=[step])


@pytest.mark.parametrize(
    ("enforce", "completed", "runs"), [(True, False, MAX_PLAN_RUNS), (True, True, 1), (False, False, 1)]
)
def test_an_enforced_plan_with_open_steps_runs_the_handler_again(
    backend: FakeBackend, tasks: Tasks, enforce: bool, completed: bool, runs: int
) -> None:
    task = new_task(tasks)
    task.deep_planning = plan(enforce=enforce, completed=completed)
    task.save(with_deep_plan_update=True)
    calls: list[int] = []

    async def handle(given: Task) -> Task:
        calls.append(1)
        given.result = "partial answer"
        return given

    run(task, run_context(tasks, handle))
    assert len(calls) == runs
    status_reads = [r for r in backend.requests if r.operation == "get_task"]
    assert len(status_reads) == (runs if enforce else 0), "the plan is read only when it is enforced"


def test_a_task_without_a_plan_sends_two_requests(backend: FakeBackend, tasks: Tasks) -> None:
    task = new_task(tasks)
    before = len(backend.requests)

    async def handle(given: Task) -> Task:
        return given

    run(task, run_context(tasks, handle))
    assert [r.operation for r in backend.requests[before:]] == ["update_task", "update_task"]
