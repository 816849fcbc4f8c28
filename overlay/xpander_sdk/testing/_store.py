"""The stored tasks of `FakeBackend` and what changes them: a task looked up, started, finished (with the events
that say so), a step of the demo agent, the abandoned-task check (`_unscripted`), and the opening and reading of a
task's event stream.

`TaskStore` is the layer over `EventLogs` (see `_events`): the methods here are the ones the scripting methods, the
routes and the demo agent (`_agent.AgentHost`) share, most of them run with the backend's lock held.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._events import EventLogs
from ._requests import Refused
from ._sdk import InvalidArgumentError
from ._states import TERMINAL, now
from ._unscripted import Unscripted
from ._wire import EventFeed


class TaskStore(EventLogs):
    """The tasks by id (each the JSON the server would answer), with their event logs."""

    def __init__(self, organization_id: str, unscripted_wait: float | None) -> None:
        super().__init__(organization_id)
        self._unscripted = Unscripted(unscripted_wait)
        """After `unscripted_wait` seconds of quiet, a wait on a task that nothing will finish is refused (409)."""
        self._tasks: dict[str, dict[str, Any]] = {}

    def _stored(self, task_id: str, *, strict: bool = False) -> dict[str, Any]:
        task = self._tasks.get(task_id)
        if task is None:
            if strict:
                raise InvalidArgumentError("task_id", f"the fake backend has no task {task_id!r}")
            raise Refused(404, "Task not found")
        return task

    def _finish(self, task_id: str, status: str, result: str, *, strict: bool) -> None:
        with self._published:
            self._finish_now(task_id, status, result, strict=strict)

    def _finish_now(self, task_id: str, status: str, result: str, *, strict: bool) -> None:
        """`_finish` with the lock held."""
        task = self._stored(task_id, strict=True)
        if task["status"] in TERMINAL:
            if strict:
                raise InvalidArgumentError("task_id", f"task {task_id} has finished already ({task['status']})")
            return
        self._start(task)
        task.update(status=status, result=result, finished_at=now())
        if task_id in self._logs and status == "completed" and result and not self._streamed(task_id):
            self._publish(task_id, "chunk", result, {"name": "Fake agent", "icon": None})
        self._changed(task_id)

    def _start(self, task: dict[str, Any]) -> None:
        """Mark a task that has not started `executing` (the lock held), with `task_updated` when it streams."""
        if task.get("started_at"):
            return
        task.update(status="executing", started_at=now())
        self._changed(task["id"])

    def _agent_step(self, task: dict[str, Any], step: Callable[[dict[str, Any]], None]) -> None:
        """One step of the demo agent on a task (see `AgentHost`): run with the lock held, unless the task has
        finished (stopped by the SDK, finished by the test) or been created again (a continued task has a run of
        its own) since."""
        with self._published:
            if self._tasks.get(task["id"]) is task and task["status"] not in TERMINAL:
                step(task)

    def _changed(self, task_id: str) -> None:
        """After a change to a task: `task_updated` (or `task_finished` once it has finished) when it streams."""
        self._unscripted.changed(task_id)
        if task_id in self._logs and not self._ended(task_id):
            task = self._tasks[task_id]
            self._publish(task_id, "task_finished" if task["status"] in TERMINAL else "task_updated", task)

    def _log(self, task_id: str) -> list[tuple[int, dict[str, Any]]]:
        self._stored(task_id, strict=True)
        if task_id not in self._logs:
            raise InvalidArgumentError("task_id", f"task {task_id} was created without events_streaming=True")
        return self._logs[task_id]

    def _worked(self, task: dict[str, Any]) -> bool:
        """Whether a worker will finish the task (the controller layer knows; the lock held)."""
        return False

    def _abandoned(self, task_id: str) -> bool:
        task = self._tasks[task_id]
        return self._unscripted.abandoned(task_id, finished=task["status"] in TERMINAL, worked=self._worked(task))

    def _refuse_abandoned(self, task: dict[str, Any]) -> None:
        """A 409 that says what to script, for a wait's read of a task that nothing will finish (the lock held)."""
        finished, worked = task["status"] in TERMINAL, self._worked(task)
        detail = self._unscripted.refusal(task["id"], task["status"], finished=finished, worked=worked)
        if detail is not None:
            raise Refused(409, detail)

    def _event_feed(self, task_id: str, prefix: str, last_event_id: str | None) -> EventFeed:
        with self._lock:
            if not self._own_prefix(prefix) or task_id not in self._tasks:
                raise Refused(404, "Task not found")
            if task_id not in self._logs:
                raise Refused(404, "The task was created without events_streaming")
            self._refuse_abandoned(self._tasks[task_id])
            sent = int(last_event_id) if last_event_id and last_event_id.isdigit() else self._run_start(task_id)
        return EventFeed(task_id, sent)

    def _own_prefix(self, prefix: str) -> bool:
        """Whether the path before a route of the events root (`/{organization_id}`, after the base URL's own
        path) names this backend's organization."""
        return prefix.rsplit("/", 1)[-1] == self.organization_id

    def pending_events(self, feed: EventFeed, wait: float) -> list[tuple[int, dict[str, Any]]] | None:
        """The events of `feed` after its last one sent, waiting up to `wait` seconds for one; None once the
        backend is closed, or nothing will ever come (an abandoned task: see `_unscripted`): the stream ends."""
        with self._published:
            events = self._unsent(feed, wait)
            return None if events == [] and self._abandoned(feed.task_id) else events
