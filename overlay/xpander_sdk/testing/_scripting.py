"""What a test scripted ahead, and its playing out: the outcomes of the tasks about to be created
(`complete_next`/`fail_next`, run at once or on a timer), the demo agent of `play_agent`, and the error responses
of the next requests (`respond_next`/`disconnect_next`).

`Scripts` is the layer over `TaskStore` (see `_events`): the public methods that fill these queues are
`FakeBackend`'s; the routes (`_routes`) take from them as requests come.
"""

from __future__ import annotations

import threading
from collections import deque
from http import HTTPStatus
from typing import Any

import httpx
from attrs import frozen

from ._agent import DemoAgent
from ._arguments import count
from ._store import TaskStore


@frozen
class Scripted:
    """A response scripted by `respond_next` (status > 0) or `disconnect_next` (status 0)."""

    status: int
    operation: str | None
    retry_after: float | None = None
    body: Any = None


@frozen
class Outcome:
    """What `complete_next` / `fail_next` will do to a task the code under test creates."""

    status: str
    result: str
    after: float


class Scripts(TaskStore):
    """The queues of scripted outcomes and responses, and the demo agent when it plays."""

    def __init__(self, organization_id: str, unscripted_wait: float | None) -> None:
        super().__init__(organization_id, unscripted_wait)
        self._agent: DemoAgent | None = None
        self._scripted: deque[Scripted] = deque()
        self._outcomes: deque[Outcome] = deque()
        self._standing_outcome: Outcome | None = None
        """What `times=None` asked for: the outcome of every task created once the queued ones are used."""
        self._timers: list[threading.Timer] = []

    def _script(self, task: dict[str, Any]) -> bool:
        """What happens to a task just created (the lock held): its `complete_next`/`fail_next` outcome, else the
        demo agent's run when it plays, else nothing until the test says (or a worker runs it: `_controller`).
        Whether a script took it."""
        outcome = self._outcomes.popleft() if self._outcomes else self._standing_outcome
        self._unscripted.created(task["id"], driven=outcome is not None or self._agent is not None)
        if outcome is not None:
            self._schedule(task["id"], outcome)
        elif self._agent is not None:
            self._agent.run(task)
        return outcome is not None or self._agent is not None

    def _queue(self, outcome: Outcome, times: int | None) -> None:
        with self._lock:
            if times is None:
                self._standing_outcome = outcome
            else:
                self._outcomes.extend([outcome] * count(times))

    def _schedule(self, task_id: str, outcome: Outcome) -> None:
        """Run `outcome` on the task `after` seconds from now, on a timer thread (the lock is held now); with
        `after=0`, at once: the create answers `pending`, and the first read sees the task finished."""
        if outcome.after == 0:
            self._finish_now(task_id, outcome.status, outcome.result, strict=False)
            return
        arguments = (task_id, outcome.status, outcome.result)
        timer = threading.Timer(outcome.after, self._finish, arguments, {"strict": False})
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _take_scripted(self, operation: str | None) -> Scripted | None:
        with self._lock:
            for index, scripted in enumerate(self._scripted):
                if scripted.operation in (None, operation):
                    del self._scripted[index]
                    return scripted
        return None


def scripted_response(scripted: Scripted, request: httpx.Request) -> httpx.Response:
    """The answer a `respond_next` scripted, or the ConnectError of a `disconnect_next`."""
    if scripted.status == 0:
        raise httpx.ConnectError("the fake backend refused the connection (disconnect_next)", request=request)
    body = scripted.body if scripted.body is not None else {"detail": HTTPStatus(scripted.status).phrase}
    headers = {} if scripted.retry_after is None else {"retry-after": f"{scripted.retry_after:g}"}
    return httpx.Response(scripted.status, headers=headers, json=body)
