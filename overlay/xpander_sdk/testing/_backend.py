"""`FakeBackend`: the task API in memory, behind an httpx transport (sync and async) or a loopback server.

It implements the routes of openapi.yaml: create, get, list (by agent and by user), update (the `aupdate` body,
or the whole task `asave` sends), stop, and each task's event stream (Server-Sent Events with ids, `: ping`
heartbeats and `Last-Event-ID` resume). It reads request bodies as the real server does (FastAPI on pydantic
models, `_validation`): unknown keys ignored and not stored, values coerced in pydantic's lax mode (`"3"` for an
int), and what it cannot use answered with FastAPI's 400 or 422 (pydantic's error types, locations and messages).
Every answer and event is checked against its response schema (`_schemas`), so a test fails where the real
server would refuse, and the SDK reads what the real server sends.

A task stays `pending` until the test says what happens to it: `complete`, `fail`, `emit` for one task,
`complete_next`/`fail_next` for the tasks the code under test will create, or `play_agent` (a demo agent runs
every task). `respond_next` and `disconnect_next` script failures of the next requests. A wait on a task that
nothing will finish fails in seconds with a 409 that says so (`unscripted_wait`, see `_unscripted`).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import parse_qsl, unquote

import httpx
from attrs import field, frozen

from .. import _http
from .._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_TIMEOUT, ORGANIZATION_ID_ENV, SDK_HEADERS, STAGING_ENV
from ..configuration import Configuration
from ..exceptions import InvalidArgumentError
from ..models.events import TaskUpdateEventType
from ..task import Task
from ..tasks import Tasks
from ._agent import DemoAgent
from ._schemas import schemas, violations
from ._states import TERMINAL
from ._unscripted import Unscripted
from ._validation import BodyRefused, check_body, json_mode, read_body
from ._wire import EventFeed, FakeTransport, serve_on_loopback

API_KEY = "fake-api-key"
ORGANIZATION_ID = "org-fake"
BASE_URL = "http://xpander.fake.test"
"""Where `install()` points the SDK (`.test` is reserved: nothing real answers there)."""
_TASK_EVENTS = frozenset({"task_created", "task_updated", "task_finished"})
_ROUTES = (
    ("GET", re.compile(r"/agent-execution/executions/history/user/([^/]+)"), "list_user_tasks"),
    ("GET", re.compile(r"/agent-execution/executions/history/([^/]+)"), "list_agent_tasks"),
    ("GET", re.compile(r"/agent-execution/([^/]+)/status"), "get_task"),
    ("GET", re.compile(r"/agent-execution/([^/]+)/events"), "get_task_events"),
    ("PATCH", re.compile(r"/agent-execution/([^/]+)/update"), "update_task"),
    ("POST", re.compile(r"/agent-execution/([^/]+)"), "create_task"),
    ("DELETE", re.compile(r"/agent-execution/([^/]+)"), "stop_task"),
)
_UPDATABLE = ("source", "status", "last_executed_node_id", "result")
_LIST_FILTERS = ("user_id", "parent_task_id", "triggering_agent_id", "status", "internal_status")


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@frozen
class RecordedRequest:
    """One request the backend received. `json` is the decoded body (None without one); `operation` the
    spec's operationId of its route (`create_task`, `get_task_events`...), None for no route. Its headers hold
    the API key, and its body may hold secrets (tokens, MCP keys): both are left out of the repr."""

    method: str
    path: str
    query: dict[str, str]
    json: Any = field(repr=False)
    operation: str | None
    headers: httpx.Headers = field(repr=False)


@frozen
class _Scripted:
    """A response scripted by `respond_next` (status > 0) or `disconnect_next` (status 0)."""

    status: int
    operation: str | None
    retry_after: float | None = None
    body: Any = None


@frozen
class _Outcome:
    """What `complete_next` / `fail_next` will do to a task the code under test creates."""

    status: str
    result: str
    after: float


class _Refused(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class FakeBackend:
    """The task API in memory. Plug it in with `backend.client()` (a `Tasks` on it), `install()` (every
    `Tasks()` of the process talks to it; the pytest fixture `xpander_backend` does this), `serve()` (a
    loopback HTTP server, for another process such as the command line), or `backend.transport` (its httpx
    transport, sync and async, for clients of your own).

    `requests` lists what was received; `tasks[task_id]` is the stored task as a `Task`.

    `unscripted_wait` (seconds, None for never): a wait on a task that nothing will finish (no `complete_next`/
    `fail_next` outcome, no `play_agent`) and that nothing has changed for that long is refused with a 409
    whose detail says what to script, so that the test fails at once instead of at the wait's timeout.
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
        self.api_key, self.organization_id, self.base_url = api_key, organization_id, base_url
        self.heartbeat = heartbeat
        """Seconds between the `: ping` comments of an event stream that has nothing new."""
        self._unscripted = Unscripted(None if unscripted_wait is None else _seconds(unscripted_wait, "unscripted_wait"))
        """After `unscripted_wait` seconds of quiet, a wait on a task that nothing will finish is refused (409)."""
        self._agent: DemoAgent | None = None
        self.requests: list[RecordedRequest] = []
        self._tasks: dict[str, dict[str, Any]] = {}
        self._logs: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._scripted: deque[_Scripted] = deque()
        self._outcomes: deque[_Outcome] = deque()
        self._standing_outcome: _Outcome | None = None
        """What `times=None` asked for: the outcome of every task created once the queued ones are used."""
        self._lock = threading.Lock()
        self._published = threading.Condition(self._lock)
        self._closed = threading.Event()
        self._arrivals: dict[str, threading.Condition] = {}
        """Per task, what its streams waiting for an event wait on (on the one lock): a publish wakes only the
        streams of its task, not every open stream."""
        self._installed = False
        self.transport = FakeTransport(self)
        """The httpx transport (sync and async) that serves requests from this backend."""
        self._timers: list[threading.Timer] = []

    # -- what a test reads -------------------------------------------------------------------------------------
    @property
    def tasks(self) -> Mapping[str, Task]:
        """The stored tasks by id, each read as a `Task` (a snapshot: read it again after a change)."""
        with self._lock:
            stored = copy.deepcopy(self._tasks)
        return {task_id: Task.from_dict(data) for task_id, data in stored.items()}

    def events(self, task_id: str) -> list[dict[str, Any]]:
        """The event log of a task created with `events_streaming=True`: each event's JSON, in order."""
        with self._lock:
            return [copy.deepcopy(event) for _, event in self._log(task_id)]

    # -- scripting ---------------------------------------------------------------------------------------------
    def complete(self, task_id: str, result: str = "") -> None:
        """Finish the task as its agent would: status `completed` and the result stored; for a task with events,
        `task_updated` (executing) unless it has started, a `chunk` with the result unless the test emitted
        chunks itself, then `task_finished`."""
        self._finish(task_id, "completed", _text(result, "result"), strict=True)

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
        self._finish(task_id, "failed", _text(error, "error"), strict=True)

    def emit(
        self, task_id: str, type: TaskUpdateEventType | str, data: Any = None, *, identity: str | None = None
    ) -> None:
        """Add an event to a task's stream (a task created with `events_streaming=True`): `type` such as `chunk`
        or `tool_call_request`, `data` any JSON value, `identity` the name of the agent that speaks."""
        kind = type.value if isinstance(type, TaskUpdateEventType) else _text(type, "type")
        if identity is not None:
            _text(identity, "identity")
        with self._published:
            self._stored(task_id, strict=True)
            if task_id not in self._logs:
                raise InvalidArgumentError("task_id", f"task {task_id} was created without events_streaming=True")
            self._publish(task_id, kind, data, None if identity is None else {"name": identity, "icon": None})
            self._unscripted.changed(task_id)

    def complete_next(self, result: str = "", *, after: float = 0.0, times: int | None = 1) -> None:
        """The next `times` tasks created (every one from now on with `times=None`) will complete with
        `result`, `after` seconds after their create."""
        self._queue(_Outcome("completed", _text(result, "result"), _seconds(after)), times)

    def fail_next(self, error: str = "The task failed", *, after: float = 0.0, times: int | None = 1) -> None:
        """The next `times` tasks created (every one from now on with `times=None`) will fail with `error`,
        `after` seconds after their create."""
        self._queue(_Outcome("failed", _text(error, "error"), _seconds(after)), times)

    def play_agent(self, delay: float = 0.5) -> None:
        """From now on, a demo agent runs every task created (but those a `complete_next`/`fail_next` outcome is
        for): `delay` seconds after the create it starts the task; over about `delay` seconds more, a task with
        events gets a `tool_call_request`, its `tool_call_result` and its answer in `chunk` events; then the task
        completes with the result `Done: <prompt>`. A task stopped or finished meanwhile is left as it is."""
        delay = _seconds(delay, "delay")
        with self._lock:
            if self._agent is None:
                self._agent = DemoAgent(self, delay)
            self._agent.delay = delay

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
            _seconds(retry_after, "retry_after")
        if body is not None:
            _json_text(body, "body")
        scripted = _Scripted(status, _operation(operation), retry_after, body)
        with self._lock:
            self._scripted.extend([scripted] * _count(times))

    def disconnect_next(self, *, times: int = 1, operation: str | None = None) -> None:
        """The next `times` requests (of `operation` only, when given) fail to connect (`httpx.ConnectError`):
        nothing reached the server, so the SDK may retry even a create. Over `serve()` the request has been
        sent when the connection closes without an answer: a create's outcome is then unknown (not retried)."""
        with self._lock:
            self._scripted.extend([_Scripted(0, _operation(operation))] * _count(times))

    # -- plugging in ---------------------------------------------------------------------------------------------
    def client(self, **options: Any) -> Tasks:
        """A `Tasks` that talks to this backend (sync and async), with `options` (`timeout`, `max_retries`...)."""
        configuration = Configuration(self.api_key, self.base_url, self.organization_id)
        http_client = httpx.Client(transport=self.transport, headers=SDK_HEADERS, timeout=DEFAULT_TIMEOUT)
        async_http_client = httpx.AsyncClient(transport=self.transport, headers=SDK_HEADERS, timeout=DEFAULT_TIMEOUT)
        return Tasks(configuration, http_client=http_client, async_http_client=async_http_client, **options)

    @contextlib.contextmanager
    def install(self) -> Iterator[Self]:
        """Until the block ends, send every `Tasks` that uses the SDK's own connections to this backend (also one
        made before, such as a module-level `Tasks()`), and point the environment at it (`XPANDER_API_KEY`,
        `XPANDER_BASE_URL`, `XPANDER_ORGANIZATION_ID`). A `Tasks` on clients of your own keeps them.

        While installed it takes any API key: a `Tasks` made before may hold the key of its time (and one made
        without a key uses this backend's)."""
        if _http.ROUTED is not None:
            raise RuntimeError("another FakeBackend is installed already")
        environment = {
            API_KEY_ENV: self.api_key,
            BASE_URL_ENV: self.base_url,
            ORGANIZATION_ID_ENV: self.organization_id,
        }
        saved = {name: os.environ.get(name) for name in (*environment, STAGING_ENV)}
        os.environ.update(environment)
        os.environ.pop(STAGING_ENV, None)
        sync_client = httpx.Client(transport=self.transport, headers=SDK_HEADERS, timeout=DEFAULT_TIMEOUT)
        async_client = httpx.AsyncClient(transport=self.transport, headers=SDK_HEADERS, timeout=DEFAULT_TIMEOUT)
        _http.ROUTED = _http.Routed(sync_client, _http.AsyncPool(async_client), self.api_key, self.base_url)
        self._installed = True
        try:
            yield self
        finally:
            _http.ROUTED, self._installed = None, False
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- serving -------------------------------------------------------------------------------------------------
    def answer(self, request: httpx.Request) -> httpx.Response | EventFeed:
        """The response to one request (its body read), or the event feed that a stream response sends."""
        body = request.read()
        method, path = request.method, request.url.raw_path.decode("ascii").partition("?")[0]
        query = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        route = _route(method, path)
        payload = _recorded_json(body)
        self.requests.append(RecordedRequest(method, path, query, payload, route.operation, request.headers))
        scripted = self._take_scripted(route.operation)
        if scripted is not None:
            return _scripted_response(scripted, request)
        try:
            return self._serve(request, route, query)
        except _Refused as refused:
            return _json_response(refused.status, {"detail": refused.detail})

    def _serve(self, request: httpx.Request, route: _Route, query: dict[str, str]) -> httpx.Response | EventFeed:
        operation, target = route.operation, route.target
        if operation is None:
            raise _Refused(405, "Method Not Allowed") if route.known_path else _Refused(404, "Not Found")
        key = request.headers.get("x-api-key")
        if not key:
            raise _Refused(401, "Not authenticated")
        if key != self.api_key and not self._installed:
            raise _Refused(403, "Invalid API key")
        if operation == "get_task_events":
            return self._event_feed(target, route.prefix, request.headers.get("last-event-id"))
        body = _check_request(operation, request)
        with self._published:
            status, answer = getattr(self, f"_{operation}")(target, body, query, request.headers)
        _check_answer(operation, answer)
        return _json_response(status, answer)

    # -- the routes (with the lock held) ---------------------------------------------------------------------
    def _create_task(self, agent_id: str, body: dict[str, Any], query: Any, headers: httpx.Headers) -> tuple[int, Any]:
        known = schemas()["Task"]["properties"]
        task = {key: value for key, value in body.items() if key in known and value is not None and key != "id"}
        task_id = body.get("id") or str(uuid.uuid4())
        if body.get("id") is not None:
            self._stored(task_id)  # continuing a task: it must exist
        task.update(
            id=task_id,
            agent_id=agent_id,
            organization_id=self.organization_id,
            input={key: value for key, value in (body.get("input") or {}).items() if value is not None},
            status="pending",
            created_at=now(),
            events_streaming=bool(body.get("events_streaming")),
        )
        if "x-agent-version" in headers:
            task["agent_version"] = headers["x-agent-version"]
        self._tasks[task_id] = task
        if task["events_streaming"]:
            self._logs.setdefault(task_id, [])  # a continued task's log goes on, with the ids after the last
            self._publish(task_id, "connected", None)
            self._publish(task_id, "task_created", task)
        answer = copy.deepcopy(task)
        self._script(task)
        return 200, answer

    def _get_task(self, task_id: str, body: Any, query: Any, headers: Any) -> tuple[int, Any]:
        task = self._stored(task_id)
        self._refuse_abandoned(task)
        return 200, copy.deepcopy(task)

    def _stop_task(self, task_id: str, body: Any, query: Any, headers: Any) -> tuple[int, Any]:
        task = self._stored(task_id)
        if task["status"] not in TERMINAL:
            task.update(status="stopped", is_manually_stopped=True, finished_at=now())
            self._changed(task_id)
        return 200, copy.deepcopy(task)

    def _update_task(self, task_id: str, body: dict[str, Any], query: Any, headers: Any) -> tuple[int, Any]:
        task = self._stored(task_id)
        if "created_at" in body:  # `asave`: the whole task
            task.update({key: value for key, value in body.items() if key not in ("id", "created_at")})
        else:
            task.update({key: body[key] for key in _UPDATABLE if key in body})
            if "tool_call_payload_extension" in body:
                task["payload_extension"] = body["tool_call_payload_extension"]
        if task["status"] in TERMINAL and not task.get("finished_at"):
            task["finished_at"] = now()
        self._changed(task_id)
        return 200, copy.deepcopy(task)

    def _list_agent_tasks(self, agent_id: str, body: Any, query: dict[str, str], headers: Any) -> tuple[int, Any]:
        return 200, self._list(query, lambda task: task["agent_id"] == agent_id)

    def _list_user_tasks(self, user_id: str, body: Any, query: dict[str, str], headers: Any) -> tuple[int, Any]:
        return 200, self._list(query, lambda task: _user_id(task) == user_id)

    def _list(self, query: dict[str, str], matches: Any) -> list[dict[str, Any]]:
        """The list items of the tasks `matches` keeps, in the order created (the spec says no order), filtered
        by the query's non-empty values."""
        filters = {key: value for key, value in query.items() if key in _LIST_FILTERS and value}
        items = [_list_item(task) for task in self._tasks.values() if matches(task)]
        return [item for item in items if all(item.get(key) == value for key, value in filters.items())]

    # -- tasks and their events ---------------------------------------------------------------------------------
    def _stored(self, task_id: str, *, strict: bool = False) -> dict[str, Any]:
        task = self._tasks.get(task_id)
        if task is None:
            if strict:
                raise InvalidArgumentError("task_id", f"the fake backend has no task {task_id!r}")
            raise _Refused(404, "Task not found")
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

    def _publish(self, task_id: str, kind: str, data: Any, identity: dict[str, Any] | None = None) -> None:
        event = {
            "type": kind,
            "task_id": task_id,
            "organization_id": self.organization_id,
            "time": now(),
            "data": copy.deepcopy(data),
            "identity": identity,
        }
        text = _json_text(event, "data")
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

    def _log(self, task_id: str) -> list[tuple[int, dict[str, Any]]]:
        self._stored(task_id, strict=True)
        if task_id not in self._logs:
            raise InvalidArgumentError("task_id", f"task {task_id} was created without events_streaming=True")
        return self._logs[task_id]

    def _event_feed(self, task_id: str, prefix: str, last_event_id: str | None) -> EventFeed:
        with self._lock:
            if prefix.rsplit("/", 1)[-1] != self.organization_id or task_id not in self._tasks:
                raise _Refused(404, "Task not found")
            if task_id not in self._logs:
                raise _Refused(404, "The task was created without events_streaming")
            self._refuse_abandoned(self._tasks[task_id])
            sent = int(last_event_id) if last_event_id and last_event_id.isdigit() else self._run_start(task_id)
        return EventFeed(task_id, sent)

    def _run_start(self, task_id: str) -> int:
        """The id before the latest run's `connected` event: a new stream of a continued task (created again
        with its id) starts there (the lock held)."""
        starts = [number for number, event in self._logs[task_id] if event["type"] == "connected"]
        return starts[-1] - 1 if starts else 0

    def pending_events(self, feed: EventFeed, wait: float) -> list[tuple[int, dict[str, Any]]] | None:
        """The events of `feed` after its last one sent, waiting up to `wait` seconds for one; None once the
        backend is closed, or nothing will ever come (an abandoned task: see `_unscripted`): the stream ends."""
        with self._published:
            log = self._logs[feed.task_id]
            if len(log) <= feed.sent and wait > 0 and not self._closed.is_set():
                arrival = self._arrivals.get(feed.task_id)
                if arrival is None:
                    arrival = self._arrivals[feed.task_id] = threading.Condition(self._lock)
                arrival.wait(wait)
            if self._closed.is_set():
                return None
            events = log[feed.sent :]
            return None if not events and self._abandoned(feed.task_id) else events

    # -- scripting helpers ---------------------------------------------------------------------------------------
    def _script(self, task: dict[str, Any]) -> None:
        """What happens to a task just created (the lock held): its `complete_next`/`fail_next` outcome, else the
        demo agent's run when it plays, else nothing until the test says."""
        outcome = self._outcomes.popleft() if self._outcomes else self._standing_outcome
        self._unscripted.created(task["id"], driven=outcome is not None or self._agent is not None)
        if outcome is not None:
            self._schedule(task["id"], outcome)
        elif self._agent is not None:
            self._agent.run(task)

    def _abandoned(self, task_id: str) -> bool:
        return self._unscripted.abandoned(task_id, finished=self._tasks[task_id]["status"] in TERMINAL)

    def _refuse_abandoned(self, task: dict[str, Any]) -> None:
        """A 409 that says what to script, for a wait's read of a task that nothing will finish (the lock held)."""
        detail = self._unscripted.refusal(task["id"], task["status"], finished=task["status"] in TERMINAL)
        if detail is not None:
            raise _Refused(409, detail)

    def _queue(self, outcome: _Outcome, times: int | None) -> None:
        with self._lock:
            if times is None:
                self._standing_outcome = outcome
            else:
                self._outcomes.extend([outcome] * _count(times))

    def _schedule(self, task_id: str, outcome: _Outcome) -> None:
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

    def _take_scripted(self, operation: str | None) -> _Scripted | None:
        with self._lock:
            for index, scripted in enumerate(self._scripted):
                if scripted.operation in (None, operation):
                    del self._scripted[index]
                    return scripted
        return None


# -- helpers ---------------------------------------------------------------------------------------------------------
@frozen
class _Route:
    """The operation of a request (None for no route), its path parameter, the path before `/agent-execution`
    (the organization id of an events URL, or of an agent controller's), and whether the path is a route's
    (with another method)."""

    operation: str | None
    target: str = ""
    prefix: str = ""
    known_path: bool = False


def _route(method: str, path: str) -> _Route:
    """The route of a request, from its path as sent (percent-encoded: a parameter is decoded once)."""
    start = path.find("/agent-execution/")
    if start < 0:
        return _Route(None)
    prefix, rest = path[:start], path[start:]
    known_path = False
    for route_method, pattern, operation in _ROUTES:
        match = pattern.fullmatch(rest)
        if match and route_method == method:
            return _Route(operation, unquote(match.group(1)), prefix)
        known_path = known_path or match is not None
    return _Route(None, "", prefix, known_path)


def _check_request(operation: str, request: httpx.Request) -> Any:
    """The body of a create or an update as the server reads it (`_validation`: unknown keys dropped, values
    coerced), or _Refused with FastAPI's 400 or 422. The other routes take no body: one sent is ignored, as
    FastAPI does (`requests` still shows it)."""
    if operation not in ("create_task", "update_task"):
        return None
    try:
        body = read_body(request.content, request.headers.get("content-type"))
        schema = "CreateTaskRequest" if operation == "create_task" else _update_schema(body)
        return check_body(schema, body)
    except BodyRefused as refused:
        raise _Refused(refused.status, refused.detail) from None


def _update_schema(body: Any) -> str:
    """`asave` sends the whole task (it has `created_at`); `aupdate` an UpdateTaskRequest."""
    return "Task" if isinstance(body, dict) and "created_at" in body else "UpdateTaskRequest"


def _recorded_json(body: bytes) -> Any:
    """The body of a request as `RecordedRequest.json` shows it: its JSON, its text when it is not JSON."""
    try:
        return json.loads(body) if body else None
    except (ValueError, RecursionError):
        return body.decode(errors="replace")


def _check_answer(operation: str, answer: Any) -> None:
    """The fake's own answers are the spec's: a failure here is a bug of the fake (or of a scripted value)."""
    schema = "TasksListItem" if operation.startswith("list") else "Task"
    for item in answer if isinstance(answer, list) else [answer]:
        problems = violations(schema, item)
        if problems:
            described = "; ".join(str(problem) for problem in problems)
            raise AssertionError(f"the fake backend answered {operation} outside openapi.yaml: {described}")


def _list_item(task: dict[str, Any]) -> dict[str, Any]:
    item = {key: task.get(key) for key in ("id", "agent_id", "organization_id", "status", "created_at", "result")}
    item.update(
        user_id=_user_id(task),
        parent_task_id=task.get("parent_execution"),
        triggering_agent_id=task.get("triggering_agent_id"),
        title=task.get("title"),
        internal_status=task.get("internal_status"),
    )
    return item


def _user_id(task: dict[str, Any]) -> str | None:
    user = task["input"].get("user") or {}
    return user.get("id")


def _json_response(status: int, body: Any) -> httpx.Response:
    """JSON with non-ASCII escaped: a lone surrogate a body sent (`"\\ud800"` is valid JSON) is written back
    escaped, where UTF-8 cannot hold it."""
    content = json.dumps(json_mode(body), allow_nan=False).encode()
    return httpx.Response(status, headers={"content-type": "application/json"}, content=content)


def _scripted_response(scripted: _Scripted, request: httpx.Request) -> httpx.Response:
    if scripted.status == 0:
        raise httpx.ConnectError("the fake backend refused the connection (disconnect_next)", request=request)
    body = scripted.body if scripted.body is not None else {"detail": HTTPStatus(scripted.status).phrase}
    headers = {} if scripted.retry_after is None else {"retry-after": f"{scripted.retry_after:g}"}
    return httpx.Response(scripted.status, headers=headers, json=body)


def _json_text(value: object, parameter: str) -> str:
    """`value` as JSON text; InvalidArgumentError naming `parameter` when it is not JSON (NaN is not)."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(parameter, f"{parameter} must be JSON data: {error}") from None


def _text(value: object, parameter: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(parameter, f"{parameter} must be a string, got {type(value).__name__}")
    return value


def _seconds(value: object, parameter: str = "after") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
        raise InvalidArgumentError(parameter, f"{parameter} must be a number of seconds >= 0, got {value!r}")
    return float(value)


def _count(times: object) -> int:
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise InvalidArgumentError("times", f"times must be a positive integer, got {times!r}")
    return times


def _operation(operation: str | None) -> str | None:
    names = {name for _, _, name in _ROUTES}
    if operation is not None and operation not in names:
        raise InvalidArgumentError("operation", f"operation must be one of {sorted(names)}, got {operation!r}")
    return operation
