"""A small stateful fake of the task API on a real loopback HTTP server, for end-to-end tests of the lifecycle.

It keeps tasks in memory and implements the routes of openapi.yaml: create, get (status), stop, update (the
`aupdate` body or the whole task of `asave`), the two lists, and the events of a task (`GET
/{organization_id}/agent-execution/{task_id}/events`, Server-Sent Events). Every request body is validated
against the spec's request schema, and every response (each event too) against its response schema, so a test
fails where the real server would refuse (or where the spec would not describe what it answers).

    with LocalBackend() as backend:           # XPANDER_BASE_URL / XPANDER_API_KEY point at it (monkeypatch)
        task = Tasks(Configuration(api_key=backend.api_key, base_url=backend.url)).create("agent-1", prompt="hi")

Events: a task created with `events_streaming=True` has an event log, each event with an `id:` (1, 2, ...):
`connected` and `task_created` (the stored task) at once; then, when the task finishes (`backend.complete(id)`,
an update or a stop that makes it terminal, or by itself `auto_complete` seconds after its create),
`task_updated`, a `chunk` of the result (on `complete`) and `task_finished`, with the finished task. The stream
sends the log from the event after `Last-Event-ID` (the whole log without it), then each new event as it comes,
with `: ping` comments in between, and ends after `task_finished`. The SDK reaches it with
`Configuration(base_url=backend.url, organization_id=ORGANIZATION_ID)`: any base URL other than a cloud, agent
controller or :8085 one puts the events at `{backend.url}/{organization_id}/agent-execution/{id}/events`.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests import spec_tools

API_KEY = "local-backend-key"
ORGANIZATION_ID = "org-local"
_ROUTES = (
    ("POST", re.compile(r"/agent-execution/([^/]+)"), "create"),
    ("GET", re.compile(r"/agent-execution/([^/]+)/status"), "get"),
    ("DELETE", re.compile(r"/agent-execution/([^/]+)"), "stop"),
    ("PATCH", re.compile(r"/agent-execution/([^/]+)/update"), "update"),
    ("GET", re.compile(r"/agent-execution/executions/history/user/([^/]+)"), "list_user"),
    ("GET", re.compile(r"/agent-execution/executions/history/([^/]+)"), "list_agent"),
)
_EVENTS_ROUTE = re.compile(r"/([^/]+)/agent-execution/([^/]+)/events")
_REQUEST_SCHEMAS = {"create": "CreateTaskRequest", "update": "UpdateTaskRequest"}
_UPDATABLE = ("source", "status", "last_executed_node_id", "result")
_TERMINAL = frozenset({"completed", "failed", "error", "stopped"})
_TASK_EVENTS = frozenset({"task_created", "task_updated", "task_finished"})
HEARTBEAT = 0.1
"""Seconds between the `: ping` comments of an event stream waiting for the next event."""
STREAM_LIMIT = 30.0
"""An event stream still open after this long is closed (a test that forgot to finish its task)."""


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Refused(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class LocalBackend:
    """The fake API. `tasks` maps task ids to the stored task JSON; `requests` lists (method, path, body);
    `events` maps the ids of tasks created with events_streaming to their event log ((id, event) pairs);
    `event_requests` lists (task id, Last-Event-ID) for each events request. With `auto_complete` (seconds),
    each task created is completed (result "Hello!") that long after its create."""

    def __init__(self, *, auto_complete: float | None = None) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.events: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.event_requests: list[tuple[str, str | None]] = []
        self.api_key = API_KEY
        self.auto_complete = auto_complete
        self._lock = threading.Lock()
        self._published = threading.Condition(self._lock)
        self._closing = threading.Event()
        self._timers: list[threading.Timer] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LocalBackend:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing.set()
        for timer in self._timers:
            timer.cancel()
        with self._published:
            self._published.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- the routes -------------------------------------------------------------------------------------------
    def handle(self, method: str, target: str, body: Any) -> tuple[int, Any]:
        """The status and JSON answer for one request (validated both ways against openapi.yaml)."""
        parts = urlsplit(target)
        for route_method, pattern, name in _ROUTES:
            match = pattern.fullmatch(parts.path)
            if route_method == method and match:
                self._check_request(name, body)
                with self._lock:
                    status, answer = getattr(self, f"_{name}")(unquote(match.group(1)), body, parts.query)
                self._check_response(name, answer)
                return status, answer
        return 404, {"detail": f"no route {method} {parts.path}"}

    def _create(self, agent_id: str, body: dict[str, Any], query: str) -> tuple[int, Any]:
        task_id = str(uuid.uuid4())
        self.tasks[task_id] = {
            "id": task_id,
            "agent_id": agent_id,
            "organization_id": ORGANIZATION_ID,
            "input": body["input"],
            "status": "pending",
            "created_at": _now(),
            "source": body.get("source"),
            "title": body.get("title"),
            "events_streaming": bool(body.get("events_streaming")),
            "user_tokens": body.get("user_tokens"),
        }
        if self.tasks[task_id]["events_streaming"]:
            self.events[task_id] = []
            self._publish(task_id, "connected", None)
            self._publish(task_id, "task_created", self.tasks[task_id])
        if self.auto_complete is not None:
            timer = threading.Timer(self.auto_complete, self.complete, (task_id,))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        return 200, self.tasks[task_id]

    def _stored(self, task_id: str) -> dict[str, Any]:
        if task_id not in self.tasks:
            raise Refused(404, "Task not found")
        return self.tasks[task_id]

    def _get(self, task_id: str, body: Any, query: str) -> tuple[int, Any]:
        return 200, self._stored(task_id)

    def _stop(self, task_id: str, body: Any, query: str) -> tuple[int, Any]:
        task = self._stored(task_id)
        task.update(status="stopped", is_manually_stopped=True, finished_at=_now())
        self._changed(task_id)
        return 200, task

    def _update(self, task_id: str, body: dict[str, Any], query: str) -> tuple[int, Any]:
        task = self._stored(task_id)
        if "created_at" in body:  # asave: the whole task
            task.update({key: value for key, value in body.items() if key not in ("id", "created_at")})
        else:
            task.update({key: body[key] for key in _UPDATABLE if key in body})
            if "tool_call_payload_extension" in body:
                task["payload_extension"] = body["tool_call_payload_extension"]
        self._changed(task_id)
        return 200, task

    def _list(self, matches: Any, query: str) -> tuple[int, Any]:
        filters = dict(parse_qsl(query, keep_blank_values=True))
        items = [
            {
                "id": task["id"],
                "agent_id": task["agent_id"],
                "organization_id": task["organization_id"],
                "status": task["status"],
                "user_id": (task["input"].get("user") or {}).get("id"),
                "created_at": task["created_at"],
                "title": task.get("title"),
                "result": task.get("result"),
            }
            for task in self.tasks.values()
            if matches(task)
        ]
        return 200, [item for item in items if all(item.get(k) == v for k, v in filters.items() if v)]

    def _list_agent(self, agent_id: str, body: Any, query: str) -> tuple[int, Any]:
        return self._list(lambda task: task["agent_id"] == agent_id, query)

    def _list_user(self, user_id: str, body: Any, query: str) -> tuple[int, Any]:
        return self._list(lambda task: (task["input"].get("user") or {}).get("id") == user_id, query)

    # -- events ---------------------------------------------------------------------------------------------------
    def complete(self, task_id: str, result: str = "Hello!", status: str = "completed") -> None:
        """Finish the task as its agent would: the status and result stored, and (for a task with events) the
        events `task_updated`, `chunk` (the result) and `task_finished` published."""
        with self._published:
            task = self.tasks[task_id]
            if task["status"] in _TERMINAL:
                return
            task.update(status=status, result=result, started_at=task.get("started_at") or _now(), finished_at=_now())
            if self._streams(task_id):
                self._publish(task_id, "task_updated", task)
                self._publish(task_id, "chunk", result)
                self._publish(task_id, "task_finished", task)

    def _changed(self, task_id: str) -> None:
        """After an update or a stop (the lock held): `task_updated`, and `task_finished` once it is terminal."""
        if self._streams(task_id):
            task = self.tasks[task_id]
            self._publish(task_id, "task_updated", task)
            if task["status"] in _TERMINAL:
                self._publish(task_id, "task_finished", task)

    def _streams(self, task_id: str) -> bool:
        """Whether the task has an event log that has not ended (the lock held)."""
        log = self.events.get(task_id)
        return log is not None and not (log and log[-1][1]["type"] == "task_finished")

    def _publish(self, task_id: str, kind: str, data: Any) -> None:
        """Add an event to the task's log (the lock held), checked against the spec, and wake the streams."""
        event = {
            "type": kind,
            "task_id": task_id,
            "organization_id": ORGANIZATION_ID,
            "time": _now(),
            "data": copy.deepcopy(data),
            "identity": None if kind != "chunk" else {"name": "Local agent", "icon": None},
        }
        errors = spec_tools.violations(spec_tools.validator("TaskUpdateEvent"), event)
        if kind in _TASK_EVENTS:
            errors += spec_tools.violations(spec_tools.validator("Task"), event["data"])
        assert not errors, f"the local backend sent an event outside the spec: {errors}"
        log = self.events[task_id]
        log.append((len(log) + 1, event))
        self._published.notify_all()

    def _check_events_request(self, organization_id: str, task_id: str, body: Any) -> None:
        if body is not None:
            raise Refused(400, "events takes no body")
        if organization_id != ORGANIZATION_ID or task_id not in self.tasks:
            raise Refused(404, "Task not found")
        if task_id not in self.events:
            raise Refused(404, "The task was created without events_streaming")

    def stream_events(self, handler: BaseHTTPRequestHandler, task_id: str, last_event_id: str | None) -> None:
        """Serve the task's event stream on `handler`'s connection (close-delimited), from the event after
        `last_event_id`, until `task_finished` (or the client goes away, or STREAM_LIMIT)."""
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("cache-control", "no-cache")
        handler.send_header("connection", "close")
        handler.end_headers()
        handler.close_connection = True
        sent = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
        give_up = time.monotonic() + STREAM_LIMIT
        while not self._closing.is_set() and time.monotonic() < give_up:
            with self._published:
                log = self.events[task_id]
                if len(log) <= sent:
                    self._published.wait(HEARTBEAT)
                pending = log[sent:]
            text = "".join(f"id: {number}\ndata: {json.dumps(event)}\n\n" for number, event in pending)
            try:
                handler.wfile.write(text.encode() if pending else b": ping\n\n")
                handler.wfile.flush()
            except OSError:  # the client went away
                return
            if pending:
                sent = pending[-1][0]
                if pending[-1][1]["type"] == "task_finished":
                    return

    # -- the contract -------------------------------------------------------------------------------------------
    @staticmethod
    def _check_request(name: str, body: Any) -> None:
        schema = _REQUEST_SCHEMAS.get(name)
        if schema is None:
            if body is not None:
                raise Refused(400, f"{name} takes no body")
            return
        if name == "update" and isinstance(body, dict) and "created_at" in body:
            schema = "Task"  # asave sends the whole task
        errors = spec_tools.violations(spec_tools.validator(schema), body)
        if errors:
            raise Refused(422, [{"loc": ["body"], "msg": error, "type": "value_error"} for error in errors])

    @staticmethod
    def _check_response(name: str, answer: Any) -> None:
        items = answer if name.startswith("list") else [answer]
        schema = "TasksListItem" if name.startswith("list") else "Task"
        for item in items:
            errors = spec_tools.violations(spec_tools.validator(schema), item)
            assert not errors, f"the local backend answered outside the spec: {errors}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                backend.requests.append((self.command, self.path, body))
                events = _EVENTS_ROUTE.fullmatch(urlsplit(self.path).path)
                if self.headers.get("x-api-key") != backend.api_key:
                    status, answer = 403, {"detail": "Forbidden"}
                elif self.command == "GET" and events:
                    organization_id, task_id = unquote(events.group(1)), unquote(events.group(2))
                    try:
                        with backend._lock:
                            backend._check_events_request(organization_id, task_id, body)
                        backend.event_requests.append((task_id, self.headers.get("last-event-id")))
                    except Refused as refused:
                        status, answer = refused.status, {"detail": refused.detail}
                    else:
                        backend.stream_events(self, task_id, self.headers.get("last-event-id"))
                        return
                else:
                    try:
                        status, answer = backend.handle(self.command, self.path, body)
                    except Refused as refused:
                        status, answer = refused.status, {"detail": refused.detail}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        return Handler


def running() -> Iterator[LocalBackend]:
    with LocalBackend() as backend:
        yield backend
