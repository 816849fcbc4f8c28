"""The demo agent of `FakeBackend.play_agent()`: it runs every task created, as a real agent would, slowly enough
for a follower to see each step arrive.

`delay` seconds after the create it starts the task (`executing`); over about `delay` seconds more, a task created
with `events_streaming=True` gets a `tool_call_request` and its `tool_call_result` (an `echo` tool, in the shapes
the server sends) and its answer in `chunk` events; then the task completes with the answer as its result,
`Done: <prompt>`. Each step takes the backend's lock and does nothing once the task has finished (stopped by the
SDK, or finished by the test) or been created again (a continued task gets a run of its own). The steps of every
task wait on one timer thread (a thread per task would be a thousand threads for a thousand tasks), which the
backend's `shutdown` ends.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

logger = logging.getLogger("xpander_sdk")

IDENTITY = {"name": "Fake agent", "icon": None}
"""Who speaks in the demo agent's events (the name `complete` gives its chunk too)."""
STREAM_STEPS = 5
"""The steps after the start of a task with events: a tool call, its result, two chunks, the completion."""


class AgentHost(Protocol):
    """What the demo agent uses of its backend (a `FakeBackend`, which imports this module: hence a protocol).
    `_agent_step` runs one step of a task with the backend's lock held, unless the task has finished or been
    created again since; a step calls the other three, which expect that lock held."""

    def _agent_step(self, task: dict[str, Any], step: Callable[[dict[str, Any]], None]) -> None: ...

    def _start(self, task: dict[str, Any]) -> None: ...

    def _publish(self, task_id: str, kind: str, data: Any, identity: dict[str, Any] | None = None) -> None: ...

    def _finish_now(self, task_id: str, status: str, result: str, *, strict: bool) -> None: ...


class Timeline:
    """Actions due at given times, run in order on one daemon thread (started on first use). The thread and
    `drained` wait on one condition: each change wakes every waiter."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()  # ties run in the order scheduled
        self._changed = threading.Condition()
        self._closed = False
        self._busy = False
        """Whether an action taken off `_due` is running."""
        self._thread: threading.Thread | None = None

    def call_later(self, seconds: float, action: Callable[[], None]) -> None:
        with self._changed:
            if self._closed:
                return
            heapq.heappush(self._due, (time.monotonic() + seconds, next(self._order), action))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="fake-xpander-agent")
                self._thread.start()
            self._changed.notify_all()

    def close(self) -> None:
        """Drop the actions not run yet; the thread ends."""
        with self._changed:
            self._closed = True
            self._due.clear()
            self._changed.notify_all()

    def drained(self, timeout: float) -> bool:
        """Whether every action scheduled has run (or been dropped by `close`), waiting up to `timeout` seconds
        for it: what a test waits on instead of sleeping past the last step."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._due and not self._busy, timeout)

    def _next(self) -> Callable[[], None] | None:
        """The next action once it is due, or None once closed."""
        with self._changed:
            while not self._closed:
                if not self._due:
                    self._changed.wait()
                    continue
                left = self._due[0][0] - time.monotonic()
                if left <= 0:
                    self._busy = True
                    return heapq.heappop(self._due)[2]
                self._changed.wait(left)
            return None

    def _run(self) -> None:
        while (action := self._next()) is not None:
            try:
                action()  # outside the timeline's lock: an action takes the backend's
            except Exception:  # a bug of the fake: say so, and go on with the other tasks
                logger.exception("The fake backend's demo agent failed a step")
            with self._changed:
                self._busy = False
                self._changed.notify_all()


class DemoAgent:
    """Runs each task it is given (see the module's docstring); `delay` may be changed between creates."""

    def __init__(self, backend: AgentHost, delay: float) -> None:
        self.backend, self.delay = backend, delay
        self._timeline = Timeline()
        self._calls = itertools.count(1)

    def run(self, task: dict[str, Any]) -> None:
        """Plan the run of a task just created (the backend's lock held)."""
        prompt = str(task["input"].get("text") or "")
        answer = f"Done: {prompt}"
        steps: list[Callable[[dict[str, Any]], None]] = []
        if task["events_streaming"]:
            call = self._tool_call(next(self._calls), prompt)
            result = {**call, "reasoning": None, "result": {"text": prompt}, "is_error": False}
            steps += [
                functools.partial(self._emit, "tool_call_request", call),
                functools.partial(self._emit, "tool_call_result", {**result, "approval_request_id": None}),
                functools.partial(self._emit, "chunk", answer[: len(answer) // 2]),
                functools.partial(self._emit, "chunk", answer[len(answer) // 2 :]),
            ]
        steps.append(functools.partial(self._complete, answer))
        self._timeline.call_later(self.delay, functools.partial(self.backend._agent_step, task, self.backend._start))
        for number, step in enumerate(steps, 1):
            at = self.delay * (1 + number / len(steps))
            self._timeline.call_later(at, functools.partial(self.backend._agent_step, task, step))

    def close(self) -> None:
        self._timeline.close()

    def drained(self, timeout: float) -> bool:
        """Whether every step planned has run (or been dropped by `close`), waiting up to `timeout` seconds."""
        return self._timeline.drained(timeout)

    def _emit(self, kind: str, data: Any, task: dict[str, Any]) -> None:
        self.backend._publish(task["id"], kind, data, IDENTITY)

    def _complete(self, answer: str, task: dict[str, Any]) -> None:
        self.backend._finish_now(task["id"], "completed", answer, strict=False)

    @staticmethod
    def _tool_call(number: int, prompt: str) -> dict[str, Any]:
        """A `tool_call_request`'s data, as the server sends it (reference: events-stream-sample.txt)."""
        return {
            "request_id": f"demo-request-{number}",
            "operation_id": "echo",
            "tool_call_id": f"demo-call-{number}",
            "graph_node_id": None,
            "tool_name": "echo",
            "payload": {"text": prompt},
            "reasoning": {"title": "Echo", "description": "repeat the prompt"},
            "plan_task_id": None,
        }
