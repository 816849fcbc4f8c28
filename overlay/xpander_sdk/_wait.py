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
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _routes
from ._checks import positive_seconds
from ._constants import MAX_DESCRIPTION_CHARS, POLL_INITIAL_INTERVAL, POLL_MAX_INTERVAL, WAIT_TIMEOUT
from ._deadline import ATTEMPT_DEADLINE, Deadline
from ._events import Follower, afollow, follow
from ._pool import async_sleep
from ._request import Call, attempt_budget
from ._retry import RetryPolicy, may_retry, retry_delay
from .exceptions import (
    APIConnectionError,
    EventStreamError,
    InvalidArgumentError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    TaskFailedError,
    WaitTimeoutError,
)
from .models import AgentExecutionStatus

if TYPE_CHECKING:
    from ._requestor import RequestOptions, Requestor
    from ._task_model import Task
    from .models.events import TaskUpdateEvent

logger = logging.getLogger("xpander_sdk")

FAILED_STATUSES = frozenset({AgentExecutionStatus.Failed, AgentExecutionStatus.Error, AgentExecutionStatus.Stopped})
POLLING = RetryPolicy(max_retries=1 << 62, max_retry_after=float("inf"))
"""A wait's polls retry for as long as the wait lasts, at the poll interval or the server's `Retry-After`."""


def check_wait_timeout(value: object, parameter: str = "timeout") -> float:
    """Seconds to wait in all: a positive finite number (None is the default, 600 s)."""
    return WAIT_TIMEOUT if value is None else positive_seconds(parameter, value)


def timed_out(task: Task, timeout: float) -> WaitTimeoutError:
    """The error of a wait for `task` that lasted `timeout` seconds (the command line's too)."""
    return WaitTimeoutError(
        f"Task {task.id} did not finish within {timeout:g} s (last status seen: {task.status.value}); it keeps "
        f"running on the server",
        task=task,
    )


class Waiter:
    """The state and the decisions of one wait for `task` to finish, sending through `requestor`. `refresh`
    updates the task in place from a newer copy (its events' data, a poll's answer)."""

    def __init__(
        self,
        task: Task,
        requestor: Requestor,
        refresh: Callable[[Task], object],
        timeout: float,
        raise_on_failure: bool,
    ) -> None:
        self.task, self.requestor, self.refresh = task, requestor, refresh
        self.timeout, self.raise_on_failure = timeout, raise_on_failure
        self.deadline = Deadline.after(timeout)
        self._interval = POLL_INITIAL_INTERVAL
        self._read: Callable[[dict[str, Any]], Task] = type(task).from_dict

    def follower(self) -> Follower | None:
        """The events to follow when the task streams them; None to poll."""
        if self.task.events_streaming is not True:
            return None
        try:
            return Follower(
                self.requestor,
                self.task.id,
                self._read,
                deadline=self.deadline,
                organization_id=self.task.organization_id,
            )
        except InvalidArgumentError as error:  # no organization id anywhere: no events URL, the status route works
            self._polling_instead(error)
            return None

    def seen(self, event: TaskUpdateEvent) -> None:
        """Keep the task up to date with the state a task event carries."""
        if isinstance(event.data, type(self.task)) and event.data.id == self.task.id:  # a task event's data
            self.refresh(event.data)

    def events_failed(self, error: ModuleException) -> None:
        """Go on by polling when the events could not be followed (the stream kept dropping, its route failed,
        answered something else, or did not know the task: the events root is another host, and the status
        route decides whether the task exists): the status route may well work. Raise `error` when polling
        cannot help either (401, 403: the key)."""
        fallback = isinstance(error, EventStreamError | APIConnectionError | InvalidResponseError | NotFoundError)
        if not fallback and not may_retry(error, True):
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
        left = self.deadline.cap(self.timeout)
        if left <= 0:
            raise self.timed_out()
        budget = attempt_budget(self.requestor.timeout)
        return {"max_retries": 0, "timeout": left if budget is None or left < budget else None}

    def polled(self, fresh: Task) -> float | None:
        """None when the task has finished, else the seconds until the next poll."""
        self.refresh(fresh)
        if self.task.is_terminal:
            return None
        delay = self._interval
        self._interval = min(self._interval * 2, POLL_MAX_INTERVAL)
        return self._until_deadline(delay)

    def poll_failed(self, error: ModuleException) -> float:
        """The seconds until the next poll after a failed one, or raise: `error` when it cannot pass (401,
        403, 404...), WaitTimeoutError when the deadline is what ended it."""
        if self.deadline.passed():
            raise self.timed_out() from error
        delay = retry_delay(error, POLLING, 0, True, backoff=self._interval)
        if delay is None:
            raise error
        logger.info("Polling task %s failed (%s); polling on", self.task.id, error)
        return self._until_deadline(delay)

    def _until_deadline(self, delay: float) -> float:
        if self.deadline.passed():
            raise self.timed_out()
        return self.deadline.cap(delay)

    def timed_out(self) -> WaitTimeoutError:
        return timed_out(self.task, self.timeout)

    def poll(self) -> Call[Task]:
        return _routes.get(self.task.id, self._read)

    def result(self) -> Task:
        """The finished task, or TaskFailedError when it failed and the caller asked for that."""
        if self.raise_on_failure and self.task.status in FAILED_STATUSES:
            result = f": {self.task.result[:MAX_DESCRIPTION_CHARS]}" if self.task.result else ""
            raise TaskFailedError(f"Task {self.task.id} finished {self.task.status.value}{result}", self.task)
        return self.task


# -- the two loops ------------------------------------------------------------------------------------------------
async def await_result(waiter: Waiter) -> Task:
    """`Task.await_result`: the task, refreshed, once it has finished."""
    from anyio import fail_after  # noqa: PLC0415 - httpx's own dependency, imported when first needed

    try:
        with fail_after(waiter.timeout):
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
            fresh = await waiter.requestor.acall(waiter.poll(), waiter.requestor.options(waiter.poll_options()))
        except WaitTimeoutError:
            raise
        except ModuleException as error:
            await async_sleep(waiter.poll_failed(error))
            continue
        delay = waiter.polled(fresh)
        if delay is None:
            return
        await async_sleep(delay)


def wait(waiter: Waiter) -> Task:
    """`Task.wait`: the sync twin of `await_result`; its deadline bounds every attempt too."""
    token = ATTEMPT_DEADLINE.set(waiter.deadline.at)
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
            fresh = waiter.requestor.call(waiter.poll(), waiter.requestor.options(waiter.poll_options()))
        except WaitTimeoutError:
            raise
        except ModuleException as error:
            time.sleep(waiter.poll_failed(error))
            continue
        delay = waiter.polled(fresh)
        if delay is None:
            return
        time.sleep(delay)
