"""One task's run on a worker, from `executing` to the last report, as the official worker runs it: the whole task
saved `executing`, the handler, the deep plan's check (the handler runs again, up to 5 times, while an enforced
plan has open steps), the whole task saved `completed` (or `error` with the handler's exception as its result),
and its metrics when it has tokens.

Where the official worker fails, this one does not: the handler has a deadline (`handler_timeout`: an async
handler is cancelled, a sync one abandoned on its thread) and the worker's stop can end it (the grace period);
the final save is retried through any outage until it lands (or the worker's last report window ends), so no task
is left `executing`; the handler's `used_tools` and `tokens` are sent (the official plan check's reload loses
them); the metrics go with the worker's own configuration; the plan check is made only for a task with an
enabled, enforced deep plan (the official reads every task again).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from attrs import define, field

from . import _routes
from ._request import CallOptions
from ._retry import RetryPolicy, may_retry
from ._task_model import Task
from ._task_plan import plan_following_status
from .exceptions import APIConnectionError, APIStatusError, ModuleException
from .models import AgentExecutionStatus, to_enum
from .models.events import TaskUpdateEvent, TaskUpdateEventType

logger = logging.getLogger("xpander_sdk.worker")

Handler = Callable[[Task], Any]
"""What `@on_task` decorates: `async def`/`def` taking the task and returning it (None: the task it was given),
or an async generator of `TaskUpdateEvent`s whose `task_finished` event carries the result."""

MAX_PLAN_RUNS = 6
"""The handler's runs for one task while an enforced deep plan has open steps: the first and 5 more (official)."""
STOPPED = "The worker stopped before the task finished"
NOT_STARTED = "The worker stopped before starting the task"


@define
class RunContext:
    """What every run of a worker shares: the handler, its deadline, the options of the saves, and the two
    events of the worker's stop: `abort` (the grace period is over: end the handlers now) and `final` (the last
    report window is over: stop retrying the saves)."""

    handler: Handler
    handler_timeout: float | None
    save_options: CallOptions
    backoff: RetryPolicy
    """The pauses of the worker's own retries: a save through an outage, a reconnect to the controller."""
    abort: asyncio.Event = field(factory=asyncio.Event)
    final: asyncio.Event = field(factory=asyncio.Event)


# -- the run ------------------------------------------------------------------------------------------------------
async def run_task(
    task: Task, context: RunContext, started: Callable[[], None] = lambda: None
) -> AgentExecutionStatus | None:
    """Run one dispatched task to its end and report it; its final status (None when it was not run: the
    server refused to mark it `executing`). `started` is called once it is saved `executing`, before the handler.
    Never raises but CancelledError."""
    if not await _mark_executing(task, context):
        return None
    dispatched = task.__getstate__()
    if context.abort.is_set():  # the stop's grace period ended while it was being marked executing
        error: str | None = NOT_STARTED
    else:
        started()
        logger.info("Running task %s", task.id)
        error = await _handle(task, context)
    problem = await _conclude(task, error, context)
    if problem is not None:
        await _report_as_dispatched(task, dispatched, problem, context)
    logger.info("Task %s ended %s", task.id, task.status.value)
    return task.status


async def end_unstarted(task: Task, context: RunContext) -> None:
    """End a task the worker took but will not run (it is stopping): `error`, saying why."""
    task.status, task.result = AgentExecutionStatus.Error, NOT_STARTED
    await report(task, context)


async def _mark_executing(task: Task, context: RunContext) -> bool:
    """Save the task `executing` (result cleared, as the official worker does). False when the server refuses
    it for good (a 4xx: the task is gone or not this worker's); through an outage the handler runs anyway, as its
    result is worth reporting once the API is back."""
    task.status, task.result = AgentExecutionStatus.Executing, None
    try:
        await _save(task, context)
    except APIStatusError as error:
        if 400 <= error.status_code < 500 and error.status_code not in (408, 429):
            logger.warning("Task %s not run: the API refused to mark it executing (%s)", task.id, error)
            return False
        logger.warning("Task %s: could not mark it executing (%s); running it anyway", task.id, error)
    except ModuleException as error:
        logger.warning("Task %s: could not mark it executing (%s); running it anyway", task.id, error)
    return True


async def _handle(task: Task, context: RunContext) -> str | None:
    """Run the handler (and its re-runs for the deep plan) within its deadline and the worker's stop; the error
    to report, or None when it returned."""
    job = asyncio.ensure_future(_runs(task, context))
    stop = asyncio.ensure_future(context.abort.wait())
    try:
        await asyncio.wait({job, stop}, timeout=context.handler_timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if not job.done():
        job.cancel()
        await asyncio.wait({job}, timeout=1.0)  # let an async handler's `finally` blocks run
        if context.abort.is_set():
            logger.error("Task %s: %s (its handler was ended)", task.id, STOPPED)
            return STOPPED
        logger.error("Task %s: the handler passed its deadline (%s s)", task.id, context.handler_timeout)
        return f"The handler did not finish within {context.handler_timeout:g} s (handler_timeout)"
    if job.cancelled():  # nothing here cancelled it: the handler raised CancelledError itself
        logger.error("Task %s: the handler raised CancelledError", task.id)
        return "The handler raised CancelledError"
    error = job.exception()
    if error is not None:
        logger.error("Task %s: the handler raised %s", task.id, type(error).__name__, exc_info=error)
        return _text_of(error)
    return None


def _text_of(error: BaseException) -> str:
    """The handler's exception as the task's result: its message, else its class's name."""
    try:
        return str(error) or type(error).__name__
    except Exception:  # an exception whose __str__ fails
        return type(error).__name__


async def _runs(task: Task, context: RunContext) -> None:
    """The handler, run again (up to MAX_PLAN_RUNS in all) while the task's enforced deep plan has open steps;
    the task given is updated in place with what the handler returned."""
    for run in range(1, MAX_PLAN_RUNS + 1):
        try:
            returned = await invoke(context.handler, task)
        except SystemExit as exit_:  # the handler's own sys.exit(): its task ends error, the worker goes on
            raise RuntimeError(f"the handler raised SystemExit({exit_.code!r})") from None
        if returned is not task:
            _adopt(task, returned)
        if not await _plan_open(task, context):
            return
        if run < MAX_PLAN_RUNS:
            logger.info("Task %s: its deep plan has open steps; running the handler again (%d)", task.id, run + 1)
    logger.warning("Task %s: its deep plan still has open steps after %d runs", task.id, MAX_PLAN_RUNS)


def _adopt(task: Task, returned: Task) -> None:
    """The task the worker reports is the one it was given (its id), with the fields of the one the handler
    returned."""
    for name in Task.__attrs_attrs__:
        if name.name not in ("_requestor", "id"):
            object.__setattr__(task, name.name, getattr(returned, name.name))


async def _plan_open(task: Task, context: RunContext) -> bool:
    """Whether an enforced deep plan keeps the task from finishing: read from the server (the agent's tools mark
    the steps there) only for a task whose plan is enabled and enforced; a failed read lets it finish."""
    plan = task.deep_planning
    if plan is None or not (plan.enabled and plan.enforce):
        return False
    requestor = task._sender()
    try:
        fresh = await requestor.acall(_routes.get(task.id, Task.from_dict), context.save_options)
    except ModuleException as error:
        logger.warning("Task %s: could not read its deep plan (%s); letting it finish", task.id, error)
        return False
    if fresh.deep_planning is not None:
        task.deep_planning = fresh.deep_planning
    return not plan_following_status(task.deep_planning, task.result).can_finish


# -- calling the handler --------------------------------------------------------------------------------------------
async def invoke(handler: Handler, task: Task) -> Task:
    """Call the handler the way it is written: an async generator is read to its end, a coroutine function
    awaited, a plain function run on a thread of its own (so one that never returns holds no slot once
    abandoned). What it returns must be a Task (None: the task given)."""
    if inspect.isasyncgenfunction(handler):
        return await _read_stream(handler(task), task)
    result = handler(task) if inspect.iscoroutinefunction(handler) else await _on_thread(handler, task)
    if inspect.isawaitable(result):
        result = await result
    if result is None:
        return task
    if not isinstance(result, Task):
        raise TypeError(f"the handler returned {type(result).__name__}, not a Task (return the task, or None)")
    return result


async def _on_thread(handler: Handler, task: Task) -> Any:
    """Run a sync handler on a daemon thread; cancelling the wait abandons the thread, not the worker."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def hand_over(outcome: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # an abandoned handler ending after its worker's loop closed
            loop.call_soon_threadsafe(settle, outcome)

    def work() -> None:
        try:
            value = context.run(handler, task)
        except BaseException as error:  # handed to the worker's loop, which reports it
            failure = error
            hand_over(lambda: future.set_exception(failure))
        else:
            hand_over(lambda: future.set_result(value))

    threading.Thread(target=work, name=f"xpander-handler-{task.id}", daemon=True).start()
    return await future


async def _read_stream(events: Any, task: Task) -> Task:
    """An async generator handler (official): its events are read; a `task_finished` event's data gives the
    result (a Task, a task's JSON object, or the result text)."""
    async for event in events:
        if not isinstance(event, TaskUpdateEvent):
            raise TypeError(f"the handler yielded {type(event).__name__}, not a TaskUpdateEvent")
        if event.type != TaskUpdateEventType.TaskFinished:
            continue
        data = event.data
        if isinstance(data, Task):
            task = data
        elif isinstance(data, dict):
            task = Task.from_dict({**task.to_dict(), **data})
        elif isinstance(data, str):
            task.result = data
    return task


# -- the end ------------------------------------------------------------------------------------------------------
async def _conclude(task: Task, error: str | None, context: RunContext) -> str | None:
    """Set the final status and result and report the task; None once done, else why the task as the handler
    left it could not be reported (refused for good, or fields that cannot be sent: a status that is no status,
    `used_tools` of None, a result without text...)."""
    try:
        _finish(task, error)
        return await report(task, context)
    except Exception as problem:  # whatever the handler left in the task, the task must end
        logger.debug("Task %s: reading the handler's task failed", task.id, exc_info=problem)
        return f"{type(problem).__name__} while reading the handler's task"


async def _report_as_dispatched(task: Task, dispatched: dict[str, Any], problem: str, context: RunContext) -> None:
    """End the task `error` as it was dispatched (what the handler changed is dropped), saying why."""
    logger.error("Task %s: the handler's task could not be reported (%s); ending it error", task.id, problem)
    for name, value in dispatched.items():
        object.__setattr__(task, name, value)
    task.status, task.result = AgentExecutionStatus.Error, f"The handler's task could not be reported: {problem}"
    await report(task, context)


def _finish(task: Task, error: str | None) -> None:
    """The final status (official rule: `error` when the handler failed; `completed` unless the handler set
    another status itself, as a member or its text) and a result the API takes (text: a dict or list as JSON, as
    the official does for a JSON output format, anything else as its str)."""
    task.status = to_enum(AgentExecutionStatus, task.status, "status")
    if error is not None:
        task.status, task.result = AgentExecutionStatus.Error, error
    elif task.status.value == AgentExecutionStatus.Executing.value:
        task.status = AgentExecutionStatus.Completed
    task.result = _as_text(task.result)


def _as_text(result: object) -> str | None:
    if result is None or isinstance(result, str):
        return result
    dump = getattr(result, "model_dump_json", None)  # a pydantic model (the official handles those)
    if callable(dump):
        return str(dump())
    try:
        return json.dumps(result)
    except (TypeError, ValueError):
        return str(result)


async def report(task: Task, context: RunContext) -> str | None:
    """Save the finished task, retrying through any outage until it lands (until `final` once the worker is
    stopping), then report its metrics when it has tokens. The handler's tokens and tools are kept over the
    save's answer, as the official keeps them. Returns why the save was refused for what the task holds (a 400,
    413 or 422, a task that is not JSON), else None."""
    tokens, used_tools = task.tokens, list(task.used_tools)
    refused = await _save_until_landed(task, context)
    if refused is not None:
        return None if refused is _NOT_SAVED else refused
    task.tokens, task.used_tools = tokens, used_tools
    if tokens is None:
        return None
    try:
        await task.areport_metrics()
    except Exception as error:  # the task is saved: whatever the metrics raise, it is only logged
        unexpected = None if isinstance(error, ModuleException) else error
        logger.warning("Task %s: its metrics were not reported (%s)", task.id, error, exc_info=unexpected)
    return None


_NOT_SAVED = "not saved, and the task as dispatched would not be either (an outage past the stop, a 403, 404, 409...)"


async def _save_until_landed(task: Task, context: RunContext) -> str | None:
    """None once saved; else the refusal of what the task holds (its description: a 400, 413 or 422, a task that
    is not JSON), or `_NOT_SAVED`."""
    failures = 0
    while True:
        try:
            await _save(task, context)
            return None
        except (APIConnectionError, APIStatusError) as error:
            if not may_retry(error, True) or context.final.is_set():  # an outage (any save is safe to repeat)
                logger.error("Task %s: could not save it %s (%s)", task.id, task.status.value, error)
                refused_body = isinstance(error, APIStatusError) and error.status_code in (400, 413, 422)
                return error.description if refused_body else _NOT_SAVED
            failures += 1
            delay = context.backoff.backoff(failures)
            status = task.status.value
            logger.warning("Task %s: saving it %s failed (%s); again in %.1f s", task.id, status, error, delay)
        except ModuleException as error:
            logger.error("Task %s: could not save it %s (%s)", task.id, task.status.value, error)
            return error.description
        with contextlib.suppress(TimeoutError):  # the pause, cut short when the report window ends
            await asyncio.wait_for(context.final.wait(), delay)


async def _save(task: Task, context: RunContext) -> None:
    """The whole task, as `Task.asave` sends it (a whole-task save is safe to repeat: retried on any outage)."""
    requestor = task._sender()
    saved = await requestor.acall(task._save_call(False), context.save_options)
    task._refresh(saved, keep_local_plan=True)
