"""`FakeBackend`: the task API in memory, behind an httpx transport (sync and async) or a loopback server.

It implements the routes of openapi.yaml: create, get, list (by agent and by user), update (the `aupdate` body,
or the whole task `asave` sends), stop, an agent's configuration (`add_agent` scripts one; any other agent id
reads as a default agent), each task's event stream (Server-Sent Events with ids, `: ping` heartbeats and
`Last-Event-ID` resume), each task's activity log (`set_activity_log`), and agent code's reports: a task's
metrics (recorded, read with `metrics()`) and a task run elsewhere (recorded as a finished task, served like the
others). And the agent controller's two routes, what a worker (`@on_task`) talks to (see `_controller`): its
registration stream (`worker-registration`, then an `agent-execution` per task dispatched to it) and its news
(heartbeats, capacity), recorded.

It reads request bodies as the real server does (FastAPI on pydantic models, `_validation`): unknown keys ignored
and not stored, values coerced in pydantic's lax mode (`"3"` for an int), and what it cannot use answered with
FastAPI's 400 or 422 (pydantic's error types, locations and messages). Every answer and event is checked against
its response schema (`_schemas`), so a test fails where the real server would refuse, and the SDK reads what the
real server sends.

A task stays `pending` until the test says what happens to it: `complete`, `fail`, `emit` for one task,
`complete_next`/`fail_next` for the tasks the code under test will create, or `play_agent` (a demo agent runs
every task), or a worker registered for its agent (the task is dispatched to it). `respond_next` and
`disconnect_next` script failures of the next requests; `controller_down`, `dispatch_raw`, `redispatch`,
`silence_worker_streams` and `environment_conflict` the controller's faults. A wait on a task that nothing will
finish fails in seconds with a 409 that says so (`unscripted_wait`, see `_unscripted`).

`FakeBackend` is the public face of a stack of layers, each in a module of its own: `_events.EventLogs` (the event
logs and the one lock) < `_store.TaskStore` (the tasks and their changes) < `_scripting.Scripts` (what the test
scripted ahead) < `_controller.Controller` (the workers and their dispatch) < `_routes.Routes` (serving a request) <
`FakeBackend` (the methods a test calls). `_install` plugs
it into the SDK, `_wire` carries it (httpx transport, loopback server).
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
from collections.abc import Iterator, Mapping
from typing import Any, Self

from . import _arguments
from ._agent import DemoAgent
from ._arguments import count, json_text, known_operation, seconds, text
from ._controller import Frame, Worker, task_text
from ._install import route_sdk, tasks_client, unroute_sdk
from ._requests import RecordedRequest
from ._routes import Routes, default_agent
from ._schemas import violations
from ._scripting import Outcome, Scripted
from ._sdk import InvalidArgumentError, Task, Tasks, TaskUpdateEventType, clear_agent_cache
from ._sdk import Worker as SDKWorker
from ._states import TERMINAL
from ._wire import FakeTransport, serve_on_loopback

__all__ = ["API_KEY", "BASE_URL", "ORGANIZATION_ID", "FakeBackend", "RecordedRequest"]

API_KEY = "fake-api-key"
ORGANIZATION_ID = "org-fake"
BASE_URL = "http://xpander.fake.test"
"""Where `install()` points the SDK (`.test` is reserved: nothing real answers there)."""


class FakeBackend(Routes):
    """The task API in memory. Plug it in with `backend.client()` (a `Tasks` on it), `install()` (every
    `Tasks()` of the process talks to it; the pytest fixture `xpander_backend` does this), `serve()` (a
    loopback HTTP server, for another process such as the command line), or `backend.transport` (its httpx
    transport, sync and async, for clients of your own).

    `requests` lists what was received; `tasks[task_id]` is the stored task as a `Task`; `metrics()` the
    metrics reports.

    It is also an agent controller for workers (`@on_task`): each registration (`GET
    /{organization_id}/events/{agent_id}/`) is a new worker (`worker-1`, `worker-2`...), and each task created for
    its agent that no `complete_next`/`fail_next` outcome or `play_agent` takes is dispatched to one (the create's
    `worker_id` when it names a connected one, else in turn), or waits for the next registration. Reading:
    `workers`, `worker_events()`, `heartbeats()`, `dispatched(task_id)`. Faults: `controller_down(seconds)`,
    `dispatch_raw(agent_id, data)`, `redispatch(task_id)`, `silence_worker_streams(seconds)`,
    `environment_conflict(agent_id)`. See `_controller`.

    `unscripted_wait` (seconds, None for never): a wait on a task that nothing will finish (no `complete_next`/
    `fail_next` outcome, no `play_agent`, no worker of its agent) and that nothing has changed for that long is
    refused with a 409 whose detail says what to script, so that the test fails at once instead of at the wait's
    timeout.
    """

    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        organization_id: str = ORGANIZATION_ID,
        base_url: str = BASE_URL,
        heartbeat: float = 0.5,
        unscripted_wait: float | None = 5.0,
    ) -> None:
        super().__init__(
            api_key, organization_id, None if unscripted_wait is None else seconds(unscripted_wait, "unscripted_wait")
        )
        self.base_url = base_url
        self.heartbeat = heartbeat
        """Seconds between the `: ping` comments of an event stream that has nothing new."""
        self.transport = FakeTransport(self)
        """The httpx transport (sync and async) that serves requests from this backend."""
        clear_agent_cache()  # the SDK's agent reads of another fake (same base URL) are not this one's agents

    # -- what a test reads -------------------------------------------------------------------------------------
    @property
    def tasks(self) -> Mapping[str, Task]:
        """The stored tasks by id, each read as a `Task` (a snapshot: read it again after a change)."""
        with self._lock:
            stored = copy.deepcopy(self._tasks)
        return {task_id: Task.from_dict(data) for task_id, data in stored.items()}

    def metrics(self, agent_id: str | None = None) -> list[dict[str, Any]]:
        """The metrics reports received (`task.areport_metrics()`), of `agent_id` only when given: each body as
        the server read it, in the order received."""
        with self._lock:
            return [copy.deepcopy(body) for agent, body in self._metrics if agent_id in (None, agent)]

    def events(self, task_id: str) -> list[dict[str, Any]]:
        """The event log of a task created with `events_streaming=True`: each event's JSON, in order."""
        with self._lock:
            return [copy.deepcopy(event) for _, event in self._log(task_id)]

    # -- scripting ---------------------------------------------------------------------------------------------
    def complete(self, task_id: str, result: str = "") -> None:
        """Finish the task as its agent would: status `completed` and the result stored; for a task with events,
        `task_updated` (executing) unless it has started, a `chunk` with the result unless the test emitted
        chunks itself, then `task_finished`."""
        self._finish(task_id, "completed", text(result, "result"), strict=True)

    def start(self, task_id: str) -> None:
        """Mark the task `executing`, as its agent does when it picks it up (`task_updated` for a task with
        events); `complete` and `fail` do it first when it has not started."""
        with self._published:
            task = self._stored(task_id, strict=True)
            if task["status"] in TERMINAL:
                raise InvalidArgumentError("task_id", f"task {task_id} has finished already ({task['status']})")
            self._start(task)

    def fail(self, task_id: str, error: str = "The task failed") -> None:
        """Finish the task `failed`, with `error` as its result (and `task_finished` for a task with events)."""
        self._finish(task_id, "failed", text(error, "error"), strict=True)

    def emit(
        self, task_id: str, type: TaskUpdateEventType | str, data: Any = None, *, identity: str | None = None
    ) -> None:
        """Add an event to a task's stream (a task created with `events_streaming=True`): `type` such as `chunk`
        or `tool_call_request`, `data` any JSON value, `identity` the name of the agent that speaks."""
        kind = type.value if isinstance(type, TaskUpdateEventType) else text(type, "type")
        if identity is not None:
            text(identity, "identity")
        with self._published:
            self._stored(task_id, strict=True)
            if task_id not in self._logs:
                raise InvalidArgumentError("task_id", f"task {task_id} was created without events_streaming=True")
            self._publish(task_id, kind, data, None if identity is None else {"name": identity, "icon": None})
            self._unscripted.changed(task_id)

    def set_activity_log(self, task_id: str, messages: list[Any], *, user: Mapping[str, Any] | None = None) -> None:
        """Serve this activity log for the task from now on (`task.aget_activity_log()`): `messages` its entries,
        each one's JSON object, such as `{"id": "m1", "created_at": "2026-05-01T12:00:00Z", "role": "agent",
        "content": {"text": "Hi"}}`, a tool call (`tool_name`, `payload`) or a kind the SDK does not know; `user`
        the thread's user. The thread's id and `created_at` are the task's. Until then, the log holds the task's
        input as the user's first message, then its result once it has completed."""
        json_text(messages, "messages")
        if user is not None:
            json_text(user, "user")
        with self._lock:
            task = self._stored(task_id, strict=True)
            thread = {"id": task_id, "created_at": task["created_at"], "messages": copy.deepcopy(messages)}
            if user is not None:
                thread["user"] = copy.deepcopy(dict(user))
            problems = violations("AgentActivityThread", thread)
            if problems:
                parameter = "user" if problems[0].loc[:1] == ("user",) else "messages"
                raise InvalidArgumentError(parameter, f"not an activity log of openapi.yaml: {problems[0]}")
            self._activity_logs[task_id] = thread

    def complete_next(self, result: str = "", *, after: float = 0.0, times: int | None = 1) -> None:
        """The next `times` tasks created (every one from now on with `times=None`) will complete with
        `result`, `after` seconds after their create."""
        self._queue(Outcome("completed", text(result, "result"), seconds(after)), times)

    def fail_next(self, error: str = "The task failed", *, after: float = 0.0, times: int | None = 1) -> None:
        """The next `times` tasks created (every one from now on with `times=None`) will fail with `error`,
        `after` seconds after their create."""
        self._queue(Outcome("failed", text(error, "error"), seconds(after)), times)

    def play_agent(self, delay: float = 0.5) -> None:
        """From now on, a demo agent runs every task created (but those a `complete_next`/`fail_next` outcome is
        for): `delay` seconds after the create it starts the task; over about `delay` seconds more, a task with
        events gets a `tool_call_request`, its `tool_call_result` and its answer in `chunk` events; then the task
        completes with the result `Done: <prompt>`. A task stopped or finished meanwhile is left as it is."""
        delay = seconds(delay, "delay")
        with self._lock:
            if self._agent is None:
                self._agent = DemoAgent(self, delay)
            self._agent.delay = delay

    def add_agent(self, agent_id: str, **fields: Any) -> None:
        """From now on `GET /agents/{agent_id}` (`Agents().aget`) answers this agent: the default one (every
        agent id has it: framework `agno`, model `openai`/`gpt-4.1`, version 1) with `fields` over it, such as
        `name="Sales analyst"`, `framework="langchain"` or keys the SDK does not type (`tools=[...]`). Checked
        against openapi.yaml's Agent schema; the SDK's cached agent reads are forgotten."""
        text(agent_id, "agent_id")
        record = {**default_agent(agent_id, self.organization_id), **fields}
        json_text(record, "fields")
        problems = violations("Agent", record)
        if problems:
            described = "; ".join(str(problem) for problem in problems)
            raise InvalidArgumentError("fields", f"the agent is not an openapi.yaml Agent: {described}")
        with self._lock:
            self._agent_records[agent_id] = record
        clear_agent_cache()

    def respond_next(
        self,
        status: int,
        *,
        retry_after: float | None = None,
        body: Any = None,
        times: int = 1,
        operation: str | None = None,
    ) -> None:
        """The next `times` requests (of `operation` only, such as `create_task`, when given) get this error
        response instead of being served: `status` 300-599, a `Retry-After` header, and `body` (JSON; default
        `{"detail": <the status's phrase>}`)."""
        if isinstance(status, bool) or not isinstance(status, int) or not 300 <= status <= 599:
            raise InvalidArgumentError("status", f"status must be an HTTP error status (300-599), got {status!r}")
        if retry_after is not None:
            seconds(retry_after, "retry_after")
        if body is not None:
            json_text(body, "body")
        scripted = Scripted(status, known_operation(operation), retry_after, body)
        with self._lock:
            self._scripted.extend([scripted] * count(times))

    def disconnect_next(self, *, times: int = 1, operation: str | None = None) -> None:
        """The next `times` requests (of `operation` only, when given) fail to connect (`httpx.ConnectError`):
        nothing reached the server, so the SDK may retry even a create. Over `serve()` the request has been
        sent when the connection closes without an answer: a create's outcome is then unknown (not retried)."""
        with self._lock:
            self._scripted.extend([Scripted(0, known_operation(operation))] * count(times))

    # -- the agent controller: workers (see `_controller`) ---------------------------------------------------------
    @property
    def workers(self) -> list[dict[str, Any]]:
        """Every worker registered, in registration order: `{"id", "agent_id", "connected", "is_busy",
        "last_heartbeat"}` (`connected` while its registration stream is open; the last two from its news)."""
        with self._lock:
            return [worker.summary() for worker in self._workers.values()]

    def worker_events(self, worker_id: str | None = None, event: str | None = None) -> list[dict[str, Any]]:
        """What workers sent (`send_worker_event`), of `worker_id` and of the kind `event` (such as
        `worker-capacity-update`) only when given, in the order received: each `{"worker_id", "agent_id", "id",
        "event", "data"}`."""
        for value, parameter in ((worker_id, "worker_id"), (event, "event")):
            if value is not None:
                text(value, parameter)
        with self._lock:
            return [
                copy.deepcopy(sent)
                for sent in self._worker_events
                if worker_id in (None, sent["worker_id"]) and event in (None, sent["event"])
            ]

    def heartbeats(self, worker_id: str | None = None) -> list[dict[str, Any]]:
        """The `worker-heartbeat` events of `worker_events` (of `worker_id` only, when given)."""
        return self.worker_events(worker_id, "worker-heartbeat")

    def dispatched(self, task_id: str) -> int:
        """How many times the task was written to a worker's stream (`agent-execution`): 0 while it waits for
        one, 2 after a `redispatch`..."""
        text(task_id, "task_id")
        with self._lock:
            self._stored(task_id, strict=True)
            return self._dispatches.get(task_id, 0)

    def controller_down(self, seconds: float) -> None:
        """An outage of the agent controller, from now for `seconds`: every open worker stream ends at once, and
        `register_worker` and `send_worker_event` answer 503 (`{"detail": "Service Unavailable"}`) until it is
        over. The tasks created meanwhile (and those sent to a stream that had not written them) wait for the next
        registration, which gets a new worker id. The task routes are not affected."""
        until = _arguments.seconds(seconds, "seconds")
        with self._lock:
            self._down_until = time.monotonic() + until
            self._end_worker_streams()

    def silence_worker_streams(self, seconds: float) -> None:
        """From now for `seconds`, the worker streams open now write nothing at all, no ping, no task: dead
        connections the controller cannot reach, for longer than a worker's read timeout. Tasks created meanwhile
        wait for a worker it can reach: one that registers (a worker that noticed the silence reconnects), or a
        silenced stream still open when its silence ends."""
        until = time.monotonic() + _arguments.seconds(seconds, "seconds")
        with self._lock:
            for worker in self._workers.values():
                if worker.connected:
                    self._silenced[worker.id] = until

    def dispatch_raw(self, agent_id: str, data: str, *, event: str = "agent-execution") -> None:
        """Write one event with this raw `data` text (such as `"{not json"`, or a task without `created_at`) and
        the SSE name `event` to the first connected worker of the agent: a dispatch the server should never send.
        InvalidArgumentError when no worker of the agent is connected."""
        if any(mark in text(event, "event") for mark in "\r\n"):
            raise InvalidArgumentError("event", f"an SSE event name is one line, got {event!r}")
        frame = Frame(event, text(data, "data"))
        with self._lock:
            self._send(self._connected_workers(agent_id)[0], frame)

    def redispatch(self, task_id: str) -> None:
        """Send the stored task again to a connected worker of its agent (the next in turn): a duplicate
        dispatch. InvalidArgumentError when no worker of its agent is connected."""
        text(task_id, "task_id")
        with self._lock:
            task = self._stored(task_id, strict=True)
            worker = self._pick(task["agent_id"])
            if worker is None:
                raise InvalidArgumentError("task_id", f"no worker of agent {task['agent_id']!r} is connected")
            self._send(worker, Frame("agent-execution", task_text(task), task_id))

    def environment_conflict(self, agent_id: str, error: str = "The agent runs in another environment") -> None:
        """Send `worker-environment-conflict` with `{"error": error}` to every connected worker of the agent (the
        official worker stops listening). InvalidArgumentError when no worker of the agent is connected."""
        data = json.dumps({"error": text(error, "error")})
        with self._lock:
            for worker in self._connected_workers(agent_id):
                self._send(worker, Frame("worker-environment-conflict", data))

    def _connected_workers(self, agent_id: str) -> list[Worker]:
        """The agent's connected workers (the lock held); InvalidArgumentError for none."""
        connected = self._connected(text(agent_id, "agent_id"))
        if not connected:
            raise InvalidArgumentError("agent_id", f"no worker of agent {agent_id!r} is connected")
        return connected

    # -- plugging in ---------------------------------------------------------------------------------------------
    def client(self, **options: Any) -> Tasks:
        """A `Tasks` that talks to this backend (sync and async), with `options` (`timeout`, `max_retries`...)."""
        return tasks_client(self.transport, self.api_key, self.base_url, self.organization_id, options)

    @contextlib.contextmanager
    def run_worker(
        self, handler: Any, *, agent_id: str | None = None, timeout: float = 10.0, **options: Any
    ) -> Iterator[SDKWorker]:
        """Run `handler` as a worker of `agent_id` (default: `XPANDER_AGENT_ID`) against this backend, in this
        process on a thread of its own, until the block ends; yields the `Worker` (`worker.stats`...). Every task
        created for that agent (and not scripted otherwise) is dispatched to it. `options` are the Worker's
        (`concurrency`, `handler_timeout`, `grace_period`, `on_boot=()`...). The block starts once the worker has
        registered (TimeoutError after `timeout` seconds); at its end the worker stops as on SIGTERM (running
        handlers get `grace_period`)."""
        tasks = self.client()
        try:
            worker = SDKWorker(handler, tasks=tasks, agent_id=agent_id, **options)
            try:
                # a TimeoutError leaves it trying to register: stopped below all the same
                worker.start(timeout=seconds(timeout, "timeout"))
                yield worker
            finally:
                worker.stop(timeout=worker.grace_period + 30)
        finally:
            tasks.close()

    @contextlib.contextmanager
    def install(self) -> Iterator[Self]:
        """Until the block ends, send every `Tasks` that uses the SDK's own connections to this backend (also one
        made before, such as a module-level `Tasks()`), and point the environment at it (`XPANDER_API_KEY`,
        `XPANDER_BASE_URL`, `XPANDER_ORGANIZATION_ID`). A `Tasks` on clients of your own keeps them.

        While installed it takes any API key: a `Tasks` made before may hold the key of its time (and one made
        without a key uses this backend's)."""
        saved = route_sdk(self.transport, self.api_key, self.base_url, self.organization_id)
        clear_agent_cache()
        self._installed = True
        try:
            yield self
        finally:
            unroute_sdk(saved)
            self._installed = False

    @contextlib.contextmanager
    def serve(self, port: int = 0) -> Iterator[str]:
        """Serve this backend on a loopback HTTP server (127.0.0.1, a free port by default) until the block
        ends; yields its URL, the base URL for `XPANDER_BASE_URL`."""
        with serve_on_loopback(self, port) as url:
            yield url

    def shutdown(self) -> None:
        """End the event streams still open and cancel the pending `complete_next`/`fail_next` timers (the end
        of its `with` block, or of `serve()`'s)."""
        self._closed.set()
        for timer in self._timers:
            timer.cancel()
        if self._agent is not None:
            self._agent.close()
        with self._published:
            for arrival in self._arrivals.values():
                arrival.notify_all()
            self._end_worker_streams()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
