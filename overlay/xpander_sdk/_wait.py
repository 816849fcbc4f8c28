"""Waiting for a task to finish (`Task.await_result`/`wait`), and creating many tasks at once (`Tasks.acreate_many`).

A wait follows the task's events when it streams them (the final event carries the finished task, so no extra
request is made), and polls its status otherwise: 0.5 s, doubled up to 5 s, honouring `Retry-After`. One
deadline covers every request, reconnect and sleep: async waits run inside a cancel scope
(`anyio.fail_after`), sync ones set the attempt deadline the SDK's network backend keeps (`_deadline`). When it
passes, WaitTimeoutError carries the last state of the task seen; the task keeps running on the server.
`Waiter` takes every decision; the sync and async loops around it are twins.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._attempt import ATTEMPT_DEADLINE
from ._constants import MAX_DESCRIPTION_CHARS, POLL_INITIAL_INTERVAL, POLL_MAX_INTERVAL, WAIT_TIMEOUT
from ._events import Follower, afollow, follow
from ._http import _async_sleep, _may_retry, attempt_budget
from .exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    EventStreamError,
    InvalidArgumentError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    TaskFailedError,
    WaitTimeoutError,
)
from .models import AgentExecutionStatus
from .task import Task

if TYPE_CHECKING:
    from .models.events import TaskUpdateEvent
    from .tasks import RequestOptions, Tasks

logger = logging.getLogger("xpander_sdk")

FAILED_STATUSES = frozenset({AgentExecutionStatus.Failed, AgentExecutionStatus.Error, AgentExecutionStatus.Stopped})


def check_wait_timeout(value: object, parameter: str = "timeout") -> float:
    """Seconds to wait in all: a positive finite number (None would wait forever, and is refused)."""
    if value is None:
        return WAIT_TIMEOUT
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise InvalidArgumentError(parameter, f"{parameter} must be a positive number of seconds, got {value!r}")
    return float(value)


def check_flag(value: object, parameter: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgumentError(parameter, f"{parameter} must be True or False, got {value!r}")
    return value


class Waiter:
    """The state and the decisions of one wait for `task` to finish."""

    def __init__(self, task: Task, timeout: float, raise_on_failure: bool) -> None:
        self.task, self.timeout, self.raise_on_failure = task, timeout, raise_on_failure
        self.tasks = task._tasks()
        self.deadline = time.monotonic() + timeout
        self._interval = POLL_INITIAL_INTERVAL

    def follower(self) -> Follower | None:
        """The events to follow when the task streams them; None to poll."""
        if self.task.events_streaming is not True:
            return None
        try:
            return Follower(self.tasks, self.task.id, deadline=self.deadline, organization_id=self.task.organization_id)
        except InvalidArgumentError as error:  # no organization id anywhere: no events URL, the status route works
            self._polling_instead(error)
            return None

    def seen(self, event: TaskUpdateEvent) -> None:
        """Keep the task up to date with the state a task event carries."""
        if isinstance(event.data, Task) and event.data.id == self.task.id:  # the data of a task event
            self.task._refresh(event.data, keep_local_plan=True)

    def events_failed(self, error: ModuleException) -> None:
        """Go on by polling when the events could not be followed (the stream kept dropping, its route failed,
        answered something else, or did not know the task: the events root is another host, and the status
        route decides whether the task exists): the status route may well work. Raise `error` when polling
        cannot help either (401, 403: the key)."""
        fallback = isinstance(error, EventStreamError | APIConnectionError | InvalidResponseError | NotFoundError)
        if not fallback and not _may_retry(error, self.tasks._options({}), True):
            raise error
        self._polling_instead(error)

    def _polling_instead(self, reason: ModuleException) -> None:
        """Say, once per wait (a wait falls back at most once), that a task that streams events is followed by
        polling its status, which notices the end later (up to the poll interval, 5 s at most)."""
        logger.warning(
            "Following task %s by polling its status instead of its events (the end is noticed up to %g s later): %s",
            self.task.id,
            POLL_MAX_INTERVAL,
            reason,
        )

    def poll_options(self) -> RequestOptions:
        """One attempt per poll (the wait decides on retries), within the time left."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.timed_out()
        budget = attempt_budget(self.tasks.timeout)
        return {"max_retries": 0, "timeout": left if budget is None or left < budget else None}

    def polled(self, fresh: Task) -> float | None:
        """None when the task has finished, else the seconds until the next poll."""
        self.task._refresh(fresh, keep_local_plan=True)
        if self.task.is_terminal:
            return None
        delay = self._interval
        self._interval = min(self._interval * 2, POLL_MAX_INTERVAL)
        return self._until_deadline(delay)

    def poll_failed(self, error: ModuleException) -> float:
        """The seconds until the next poll after a failed one, or raise: `error` when it cannot pass (401,
        403, 404...), WaitTimeoutError when the deadline is what ended it."""
        if time.monotonic() >= self.deadline:
            raise self.timed_out() from error
        if not _may_retry(error, self.tasks._options({}), True):
            raise error
        retry_after = error.retry_after if isinstance(error, APIStatusError) else None
        logger.info("Polling task %s failed (%s); polling on", self.task.id, error)
        return self._until_deadline(self._interval if retry_after is None else retry_after)

    def _until_deadline(self, delay: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.timed_out()
        return min(delay, left)

    def timed_out(self) -> WaitTimeoutError:
        status = self.task.status.value
        return WaitTimeoutError(
            f"Task {self.task.id} did not finish within {self.timeout:g} s (last status seen: {status}); it keeps "
            f"running on the server",
            task=self.task,
        )

    def result(self) -> Task:
        """The finished task, or TaskFailedError when it failed and the caller asked for that."""
        if self.raise_on_failure and self.task.status in FAILED_STATUSES:
            result = f": {self.task.result[:MAX_DESCRIPTION_CHARS]}" if self.task.result else ""
            raise TaskFailedError(f"Task {self.task.id} finished {self.task.status.value}{result}", self.task)
        return self.task


# -- the two loops ------------------------------------------------------------------------------------------------
async def await_result(task: Task, timeout: float, raise_on_failure: bool) -> Task:
    """`Task.await_result`: the task, refreshed, once it has finished."""
    from anyio import fail_after  # noqa: PLC0415 - httpx's own dependency, imported when first needed

    waiter = Waiter(task, timeout, raise_on_failure)
    try:
        with fail_after(timeout):
            await _afinish(waiter)
    except TimeoutError:
        raise waiter.timed_out() from None
    except WaitTimeoutError as error:
        raise waiter.timed_out() from error.__cause__
    return waiter.result()


async def _afinish(waiter: Waiter) -> None:
    if waiter.task.is_terminal:
        return
    follower = waiter.follower()
    if follower is not None:
        events = afollow(follower)
        try:
            async for event in events:
                waiter.seen(event)
        except WaitTimeoutError:
            raise
        except ModuleException as error:
            waiter.events_failed(error)
        finally:
            await events.aclose()
    while not waiter.task.is_terminal:
        try:
            fresh = await waiter.tasks.aget(waiter.task.id, **waiter.poll_options())
        except WaitTimeoutError:
            raise
        except ModuleException as error:
            await _async_sleep(waiter.poll_failed(error))
            continue
        delay = waiter.polled(fresh)
        if delay is None:
            return
        await _async_sleep(delay)


def wait(task: Task, timeout: float, raise_on_failure: bool) -> Task:
    """`Task.wait`: the sync twin of `await_result`."""
    waiter = Waiter(task, timeout, raise_on_failure)
    token = ATTEMPT_DEADLINE.set(waiter.deadline)
    try:
        _finish(waiter)
    except WaitTimeoutError as error:
        raise waiter.timed_out() from error.__cause__
    finally:
        ATTEMPT_DEADLINE.reset(token)
    return waiter.result()


def _finish(waiter: Waiter) -> None:
    if waiter.task.is_terminal:
        return
    follower = waiter.follower()
    if follower is not None:
        events = follow(follower)
        try:
            for event in events:
                waiter.seen(event)
        except WaitTimeoutError:
            raise
        except ModuleException as error:
            waiter.events_failed(error)
        finally:
            events.close()
    while not waiter.task.is_terminal:
        try:
            fresh = waiter.tasks.get(waiter.task.id, **waiter.poll_options())
        except WaitTimeoutError:
            raise
        except ModuleException as error:
            time.sleep(waiter.poll_failed(error))
            continue
        delay = waiter.polled(fresh)
        if delay is None:
            return
        time.sleep(delay)


# -- create, then wait ----------------------------------------------------------------------------------------------
async def acreate_and_wait(
    tasks: Tasks, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float, raising: bool
) -> Task:
    """`Tasks.acreate_and_wait`: one deadline for the create and the wait."""
    from anyio import fail_after  # noqa: PLC0415

    started = time.monotonic()
    try:
        with fail_after(timeout):
            task = await tasks.acreate(*args, **kwargs)
    except TimeoutError:
        raise _not_created(timeout) from None
    return await task.await_result(timeout=max(timeout - (time.monotonic() - started), 0.001), raise_on_failure=raising)


def create_and_wait(tasks: Tasks, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float, raising: bool) -> Task:
    """`Tasks.create_and_wait`: the create's attempts and pauses are bounded by the deadline too."""
    started = time.monotonic()
    token = ATTEMPT_DEADLINE.set(started + timeout)
    try:
        task = tasks.create(*args, **kwargs)
    except APITimeoutError as error:
        if time.monotonic() - started >= timeout:
            raise _not_created(timeout) from error
        raise
    finally:
        ATTEMPT_DEADLINE.reset(token)
    left = timeout - (time.monotonic() - started)
    if left <= 0:
        raise WaitTimeoutError(
            f"Task {task.id} was created, but the {timeout:g} s to wait for it had passed", task=task
        )
    return task.wait(timeout=left, raise_on_failure=raising)


def _not_created(timeout: float) -> WaitTimeoutError:
    return WaitTimeoutError(
        f"The create did not answer within {timeout:g} s; the task may exist (list the agent's tasks before "
        f"creating it again)"
    )


# -- many at once -----------------------------------------------------------------------------------------------------
Outcome = Task | ModuleException
"""What `acreate_many` gives for each arguments: the task, or the error that ended its create (or wait)."""


def check_many(
    tasks: Tasks, arguments: object, concurrency: object, wait: object, wait_timeout: object, raise_on_failure: object
) -> tuple[list[dict[str, Any]], int, float | None, bool]:
    """The arguments of `acreate_many`, all checked before anything is sent: the argument dicts (each of
    `acreate`'s parameter names, with `agent_id`), the concurrency, the seconds to wait for each (None: no
    wait) and whether a failed task raises."""
    if isinstance(arguments, str | bytes | Mapping) or not isinstance(arguments, Iterable):
        raise InvalidArgumentError(
            "arguments", f"arguments must be a list of dicts of acreate's arguments, got {arguments!r}"
        )
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidArgumentError("concurrency", f"concurrency must be an int >= 1, got {concurrency!r}")
    names = _create_parameters(type(tasks))
    checked = []
    for index, item in enumerate(arguments):
        if not isinstance(item, Mapping):
            raise InvalidArgumentError(
                "arguments", f"arguments[{index}] must be a dict of acreate's arguments, got {item!r}"
            )
        unknown = sorted(set(item) - names)
        if unknown or "agent_id" not in item:
            what = f"has no parameter {unknown[0]!r}" if unknown else "needs agent_id"
            raise InvalidArgumentError("arguments", f"arguments[{index}]: acreate {what}")
        checked.append(dict(item))
    seconds = check_wait_timeout(wait_timeout, "wait_timeout") if check_flag(wait, "wait") else None
    return checked, concurrency, seconds, check_flag(raise_on_failure, "raise_on_failure")


def _create_parameters(tasks_class: type[Tasks]) -> frozenset[str]:
    import inspect  # noqa: PLC0415

    return frozenset(inspect.signature(tasks_class.acreate).parameters) - {"self"}


async def acreate_many(
    tasks: Tasks, arguments: list[dict[str, Any]], concurrency: int, wait: float | None, raising: bool
) -> list[Outcome]:
    """`Tasks.acreate_many`: `concurrency` workers take the next arguments in turn; results in input order."""
    from anyio import create_task_group  # noqa: PLC0415

    results: list[Outcome | None] = [None] * len(arguments)
    indexes = iter(range(len(arguments)))

    async def worker() -> None:
        for index in indexes:
            try:
                if wait is None:
                    results[index] = await tasks.acreate(**arguments[index])
                else:
                    results[index] = await acreate_and_wait(tasks, (), arguments[index], wait, raising)
            except ModuleException as error:
                results[index] = error

    async with create_task_group() as group:
        for _ in range(min(concurrency, len(arguments))):
            group.start_soon(worker)
    return [result for result in results if result is not None]  # every index was filled


def create_many(
    tasks: Tasks, arguments: list[dict[str, Any]], concurrency: int, wait: float | None, raising: bool
) -> list[Outcome]:
    """`Tasks.create_many`: the sync twin, on `concurrency` threads sharing the sync client's pool."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    def one(kwargs: dict[str, Any]) -> Outcome:
        try:
            if wait is None:
                return tasks.create(**kwargs)
            return create_and_wait(tasks, (), kwargs, wait, raising)
        except ModuleException as error:
            return error

    if not arguments:
        return []
    with ThreadPoolExecutor(max_workers=min(concurrency, len(arguments)), thread_name_prefix="xpander-create") as pool:
        return list(pool.map(one, arguments))
