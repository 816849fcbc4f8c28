"""A small stateful fake of the task API on a real loopback HTTP server, for end-to-end tests of the lifecycle.

It keeps tasks in memory and implements the routes of openapi.yaml: create, get (status), stop, update (the
`aupdate` body or the whole task of `asave`), and the two lists. Every request body is validated against the
spec's request schema, and every response against its response schema, so a test fails where the real server
would refuse (or where the spec would not describe what it answers).

    with LocalBackend() as backend:           # XPANDER_BASE_URL / XPANDER_API_KEY point at it (monkeypatch)
        task = Tasks(Configuration(api_key=backend.api_key, base_url=backend.url)).create("agent-1", prompt="hi")
"""

from __future__ import annotations

import json
import re
import threading
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
_REQUEST_SCHEMAS = {"create": "CreateTaskRequest", "update": "UpdateTaskRequest"}
_UPDATABLE = ("source", "status", "last_executed_node_id", "result")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Refused(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class LocalBackend:
    """The fake API. `tasks` maps task ids to the stored task JSON; `requests` lists (method, path, body)."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.api_key = API_KEY
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LocalBackend:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
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
        return 200, task

    def _update(self, task_id: str, body: dict[str, Any], query: str) -> tuple[int, Any]:
        task = self._stored(task_id)
        if "created_at" in body:  # asave: the whole task
            task.update({key: value for key, value in body.items() if key not in ("id", "created_at")})
        else:
            task.update({key: body[key] for key in _UPDATABLE if key in body})
            if "tool_call_payload_extension" in body:
                task["payload_extension"] = body["tool_call_payload_extension"]
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
                if self.headers.get("x-api-key") != backend.api_key:
                    status, answer = 403, {"detail": "Forbidden"}
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
