"""The event logs of the tasks created with `events_streaming=True`: publishing an event (checked against the
spec's `TaskUpdateEvent`), and what a stream reads of a log (its run's start, the events it has not sent yet,
waiting for the next one).

`EventLogs` is the lowest layer of `FakeBackend` (`EventLogs` < `TaskStore` < `Scripts` < `Controller` < `Routes`
< `FakeBackend`, each in its own module): it owns the backend's one lock, which every layer above takes, and knows
nothing of the stored tasks but their ids.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

from ._arguments import json_text
from ._schemas import violations
from ._sdk import InvalidArgumentError
from ._states import now
from ._wire import EventFeed

_TASK_EVENTS = frozenset({"task_created", "task_updated", "task_finished"})


class EventLogs:
    """The event log of each task that streams, and the lock that guards every state of the backend."""

    def __init__(self, organization_id: str) -> None:
        self.organization_id = organization_id
        self._logs: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self._published = threading.Condition(self._lock)
        self._closed = threading.Event()
        self._arrivals: dict[str, threading.Condition] = {}
        """Per task, what its streams waiting for an event wait on (on the one lock): a publish wakes only the
        streams of its task, not every open stream."""

    def _publish(self, task_id: str, kind: str, data: Any, identity: dict[str, Any] | None = None) -> None:
        event = {
            "type": kind,
            "task_id": task_id,
            "organization_id": self.organization_id,
            "time": now(),
            "data": copy.deepcopy(data),
            "identity": identity,
        }
        text = json_text(event, "data")
        problems = violations("TaskUpdateEvent", event)
        if kind in _TASK_EVENTS:
            problems += violations("Task", event["data"])
        if problems:
            described = "; ".join(str(problem) for problem in problems)
            raise InvalidArgumentError("data", f"the event is not one the server could send: {described}")
        log = self._logs[task_id]
        log.append((len(log) + 1, json.loads(text)))
        arrival = self._arrivals.get(task_id)
        if arrival is not None:
            arrival.notify_all()

    def _streamed(self, task_id: str) -> bool:
        """Whether the test emitted chunks of the answer itself (then `complete` adds none)."""
        return any(event["type"] == "chunk" for _, event in self._logs[task_id])

    def _ended(self, task_id: str) -> bool:
        log = self._logs.get(task_id) or []
        return bool(log) and log[-1][1]["type"] == "task_finished"

    def _run_start(self, task_id: str) -> int:
        """The id before the latest run's `connected` event: a new stream of a continued task (created again
        with its id) starts there (the lock held)."""
        starts = [number for number, event in self._logs[task_id] if event["type"] == "connected"]
        return starts[-1] - 1 if starts else 0

    def _unsent(self, feed: EventFeed, wait: float) -> list[tuple[int, dict[str, Any]]] | None:
        """The events of `feed` after its last one sent, waiting up to `wait` seconds for one (the lock held);
        None once the backend is closed."""
        log = self._logs[feed.task_id]
        if len(log) <= feed.sent and wait > 0 and not self._closed.is_set():
            arrival = self._arrivals.get(feed.task_id)
            if arrival is None:
                arrival = self._arrivals[feed.task_id] = threading.Condition(self._lock)
            arrival.wait(wait)
        if self._closed.is_set():
            return None
        return log[feed.sent :]
