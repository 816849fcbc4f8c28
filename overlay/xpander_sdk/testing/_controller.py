"""The fake's agent controller: what a worker (`@on_task`, agent code that runs tasks on the user's machines)
talks to. A worker registers with `GET {base}/{organization_id}/events/{agent_id}/` and keeps that Server-Sent
Events stream open; the controller sends it `worker-registration` (its record, a `DeployedAsset`: its id is the
worker id), then one `agent-execution` (the whole `Task`) per task it hands it, with `: ping` comments after each
`heartbeat` of silence. The worker tells its news with `POST .../events/{worker_id}?type=worker&agent_id=...`
(`worker-heartbeat`, `worker-capacity-update`, `worker-finished`), recorded in order.

Each registration is a new worker (`worker-1`, `worker-2`... in the backend's order), connected until its stream
ends: the client closed it (or went away: over `serve()`, seen at the next write, a ping at most a heartbeat
later), `controller_down`, or the backend's shutdown.

Dispatch: a task created for an agent, that no `complete_next`/`fail_next` outcome and no `play_agent` takes (they
win), goes to a connected worker of its agent: the one its create's `worker_id` names when it is connected, else
the next in turn (round robin, in registration order). With none connected it waits in its agent's queue, and
the queue goes out, in creation order, when one registers (also the tasks created before any worker of the agent
ever registered). A task created with `run_locally=True` and the `worker_id` of a registered worker is that
worker's own (the official `--invoke` runs it itself): not dispatched. A frame not yet read when its worker's
stream ends goes back to the front of the queue. A task a worker will finish is not *abandoned* (`_unscripted`):
once its agent has had a worker, one whose agent has a worker connected, that waits in the queue, or that was
written to a worker's stream (that worker may still be running it, through an outage of the controller).

`Controller` is the layer over `Scripts` (`EventLogs` < `TaskStore` < `Scripts` < `Controller` < `Routes` <
`FakeBackend`), on the backend's one lock; the public methods a test calls (`workers`, `worker_events`,
`controller_down`, `dispatch_raw`...) are `FakeBackend`'s.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import deque
from typing import Any

from attrs import define, field, frozen

from ._requests import Refused
from ._schemas import violations
from ._scripting import Scripts
from ._states import TERMINAL, now
from ._wire import Feed

PING = b": ping\n\n"


@frozen
class Frame:
    """One event of a worker's stream: its SSE `event:` name, its `data:` text, and the task it carries (None for
    a registration, a conflict or a raw one)."""

    event: str
    data: str
    task_id: str | None = None

    def encode(self) -> str:
        """The event as written: a `data:` line per line of the text (SSE joins them back with newlines)."""
        lines = self.data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return f"event: {self.event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


@define
class Worker:
    """A registered worker: its record (what its registration sent), whether its stream is open, the frames not
    yet written to it, when it was last written to, and what its news said."""

    id: str
    agent_id: str
    record: dict[str, Any]
    arrival: threading.Condition
    """What its stream waits on (on the one lock): a frame for it, its end, the backend's shutdown."""
    connected: bool = True
    outbox: deque[Frame] = field(factory=deque)
    quiet_since: float = field(factory=time.monotonic)
    is_busy: bool | None = None
    last_heartbeat: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent_id": self.agent_id,
            "connected": self.connected,
            "is_busy": self.is_busy,
            "last_heartbeat": self.last_heartbeat,
        }


@define
class WorkerFeed(Feed):
    """The registration stream of one worker, as `_wire`'s bodies serve it."""

    worker_id: str
    over: bool = False

    def next_chunk(self, backend: Controller, wait: float) -> bytes:
        chunk = backend.worker_chunk(self.worker_id, wait)
        if chunk is None:
            self.over = True
            return b""
        return chunk

    def close(self, backend: Controller) -> None:
        backend.worker_gone(self.worker_id)


class Controller(Scripts):
    """The workers, their queues of tasks, and what they sent (run with the backend's lock held, but the
    stream's `worker_chunk`/`worker_gone`, which take it)."""

    heartbeat: float
    """Seconds of silence before a `: ping` (`FakeBackend`'s)."""

    def __init__(self, organization_id: str, unscripted_wait: float | None) -> None:
        super().__init__(organization_id, unscripted_wait)
        self._workers: dict[str, Worker] = {}
        """Every worker registered, by id, in registration order."""
        self._waiting: dict[str, list[str]] = {}
        """Per agent, the ids of its tasks waiting for a worker, in creation order."""
        self._served: set[str] = set()
        """The agents that have had a worker: a task waiting in their queue is one a worker will run."""
        self._turns: dict[str, int] = {}
        self._worker_events: list[dict[str, Any]] = []
        self._dispatches: dict[str, int] = {}
        """Per task, how many times it was written to a worker's stream."""
        self._down_until = 0.0
        self._silenced: dict[str, float] = {}
        """The workers whose streams `silence_worker_streams` silenced, and until when (`time.monotonic()`)."""

    # -- dispatch (the lock held) ----------------------------------------------------------------------------------
    def _hand_out(self, task: dict[str, Any], body: dict[str, Any]) -> None:
        """A task just created that no script took (`_script`): a worker runs it (see the module), but the one
        a worker created for itself (`run_locally` with its own `worker_id`)."""
        if not (body.get("run_locally") is True and body.get("worker_id") in self._workers):
            self._dispatch(task)

    def _dispatch(self, task: dict[str, Any]) -> None:
        """Hand the task to a connected worker of its agent, or queue it for the next one."""
        agent_id = task["agent_id"]
        worker = self._pick(agent_id, task.get("worker_id"))
        if worker is None:
            waiting = self._waiting.setdefault(agent_id, [])
            if task["id"] not in waiting:
                waiting.append(task["id"])
            return
        self._send(worker, Frame("agent-execution", task_text(task), task["id"]))

    def _connected(self, agent_id: str) -> list[Worker]:
        """The agent's workers the controller can reach: connected, and not silenced (a dead connection)."""
        now = time.monotonic()
        return [
            worker
            for worker in self._workers.values()
            if worker.connected and worker.agent_id == agent_id and self._silenced.get(worker.id, 0.0) <= now
        ]

    def _pick(self, agent_id: str, named: str | None = None) -> Worker | None:
        """The connected worker `named`, else the agent's next connected worker in turn; None for none."""
        connected = self._connected(agent_id)
        if not connected:
            return None
        for worker in connected:
            if worker.id == named:
                return worker
        turn = self._turns.get(agent_id, 0)
        self._turns[agent_id] = turn + 1
        return connected[turn % len(connected)]

    def _send(self, worker: Worker, frame: Frame) -> None:
        worker.outbox.append(frame)
        worker.arrival.notify_all()

    def _drain(self, agent_id: str) -> None:
        """Dispatch the agent's waiting tasks, in order, while one of its workers is connected (those finished
        meanwhile are dropped)."""
        waiting = self._waiting.get(agent_id) or []
        while waiting and self._connected(agent_id):
            task = self._tasks.get(waiting.pop(0))
            if task is not None and task["agent_id"] == agent_id and task["status"] not in TERMINAL:
                self._dispatch(task)

    def _disconnect(self, worker: Worker, *, drain: bool = True) -> None:
        """The worker's stream is over: the tasks it was not sent yet go back to the front of the queue (and out
        again to another worker of the agent, with `drain`)."""
        worker.connected = False
        unsent = [frame.task_id for frame in worker.outbox if frame.task_id is not None]
        worker.outbox.clear()
        waiting = self._waiting.setdefault(worker.agent_id, [])
        waiting[:0] = [task_id for task_id in dict.fromkeys(unsent) if task_id not in waiting]
        worker.arrival.notify_all()
        if drain:
            self._drain(worker.agent_id)

    def _worked(self, task: dict[str, Any]) -> bool:
        agent_id, task_id = task["agent_id"], task["id"]
        if agent_id not in self._served:
            return False
        return (
            bool(self._connected(agent_id)) or task_id in self._waiting.get(agent_id, ()) or task_id in self._dispatches
        )

    def _controller_is_down(self) -> bool:
        return time.monotonic() < self._down_until

    # -- the routes ------------------------------------------------------------------------------------------------
    def _register_worker(self, agent_id: str) -> WorkerFeed:
        """A new worker of the agent: its stream, which starts with its registration then the agent's queue."""
        with self._lock:
            worker_id = f"worker-{len(self._workers) + 1}"
            record = deployed_asset(worker_id, agent_id, self.organization_id)
            worker = Worker(worker_id, agent_id, record, threading.Condition(self._lock))
            worker.outbox.append(Frame("worker-registration", json.dumps(record)))
            self._workers[worker_id] = worker
            self._served.add(agent_id)
            self._drain(agent_id)
        return WorkerFeed(worker_id)

    def _send_worker_event(
        self, worker_id: str, body: dict[str, Any], query: dict[str, str], headers: Any
    ) -> tuple[int, Any]:
        """A worker's news, recorded; 404 for a worker this controller did not register (or of another agent)."""
        worker = self._workers.get(worker_id)
        if worker is None or worker.agent_id != query["agent_id"]:
            raise Refused(404, "Worker not found")
        data = copy.deepcopy(body["data"])
        sent = {"worker_id": worker_id, "agent_id": worker.agent_id, "id": body["id"], "event": body["event"]}
        self._worker_events.append({**sent, "data": data})
        if body["event"] == "worker-heartbeat" and isinstance(data, str):
            worker.last_heartbeat = data
        elif body["event"] == "worker-capacity-update" and isinstance(data, dict) and "is_busy" in data:
            worker.is_busy = data["is_busy"]
        return 200, {}

    # -- a worker's stream (each call takes the lock) -------------------------------------------------------------
    def worker_chunk(self, worker_id: str, wait: float) -> bytes | None:
        """The frames for the worker (waiting up to `wait` seconds for one), a ping after a heartbeat of silence,
        b"" for nothing yet (or while `silence_worker_streams` holds everything); None once its stream is over."""
        with self._lock:
            worker = self._workers[worker_id]
            silent = self._silenced.get(worker_id, 0.0) - time.monotonic()
            if wait > 0 and worker.connected and not self._closed.is_set() and (silent > 0 or not worker.outbox):
                worker.arrival.wait(min(wait, silent) if silent > 0 else wait)
            if not worker.connected or self._closed.is_set():
                return None
            if worker_id in self._silenced:
                if time.monotonic() < self._silenced[worker_id]:
                    return b""
                del self._silenced[worker_id]  # reachable again: it takes its agent's waiting tasks
                self._drain(worker.agent_id)
            if worker.outbox:
                frames = list(worker.outbox)
                worker.outbox.clear()
                for frame in frames:
                    if frame.task_id is not None:
                        self._dispatches[frame.task_id] = self._dispatches.get(frame.task_id, 0) + 1
                worker.quiet_since = time.monotonic()
                return "".join(frame.encode() for frame in frames).encode()
            if time.monotonic() - worker.quiet_since >= self.heartbeat:
                worker.quiet_since = time.monotonic()
                return PING
            return b""

    def worker_gone(self, worker_id: str) -> None:
        """The worker's stream was closed by its client (or the client went away)."""
        with self._lock:
            worker = self._workers[worker_id]
            if worker.connected:
                self._disconnect(worker)

    def _end_worker_streams(self) -> None:
        """Every open worker stream ends (the backend's shutdown, `controller_down`); the lock held."""
        for worker in self._workers.values():
            if worker.connected:
                self._disconnect(worker, drain=False)


def deployed_asset(worker_id: str, agent_id: str, organization_id: str) -> dict[str, Any]:
    """A worker's record, as its `worker-registration` sends it (checked against openapi.yaml's DeployedAsset)."""
    registered_at = now()
    record = {
        "id": worker_id,
        "name": worker_id,
        "organization_id": organization_id,
        "type": "worker",
        "created_at": registered_at,
        "created_by": None,
        "last_heartbeat": registered_at,  # the official worker refuses a null here (a required datetime)
        "dedicated_agent_id": agent_id,
        "parent_asset_id": None,
    }
    _check("DeployedAsset", record)
    return record


def task_text(task: dict[str, Any]) -> str:
    """A stored task as an `agent-execution` sends it (checked against openapi.yaml's Task)."""
    _check("Task", task)
    return json.dumps(task)


def _check(schema: str, value: Any) -> None:
    problems = violations(schema, value)
    if problems:
        described = "; ".join(str(problem) for problem in problems)
        raise AssertionError(f"the fake controller sent a {schema} outside openapi.yaml: {described}")
