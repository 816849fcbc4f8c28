"""How `FakeBackend` serves one request: recorded, answered as scripted (`respond_next`/`disconnect_next`), else
authenticated, read as the real server reads it, and routed to the handler of its operation (create, get, list,
update, stop, the event stream, the activity log, an agent, a report: metrics, a task run elsewhere; or the agent
controller's: a worker's registration stream, its news), whose answer is checked against the spec.

`Routes` is the layer over `Controller` (see `_events`); the request helpers without state are in `_requests`.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx

from ._controller import Controller
from ._requests import (
    WORKER_OPERATIONS,
    RecordedRequest,
    Refused,
    Route,
    check_answer,
    check_request,
    json_response,
    recorded_json,
    route,
)
from ._schemas import schemas
from ._scripting import scripted_response
from ._states import TERMINAL, now
from ._wire import Feed

_UPDATABLE = ("source", "status", "last_executed_node_id", "result")
_LIST_FILTERS = ("user_id", "parent_task_id", "triggering_agent_id", "status", "internal_status")


class Routes(Controller):
    """The serving of requests: `answer`, and a handler per operation of openapi.yaml (run with the lock held)."""

    def __init__(self, api_key: str, organization_id: str, unscripted_wait: float | None) -> None:
        super().__init__(organization_id, unscripted_wait)
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._installed = False
        self._activity_logs: dict[str, dict[str, Any]] = {}
        """The activity logs a test set (`set_activity_log`), by task id."""
        self._agent_records: dict[str, dict[str, Any]] = {}
        """The agents a test scripted (`add_agent`), by id: what `GET /agents/{agent_id}` answers for them."""
        self._metrics: list[tuple[str, dict[str, Any]]] = []
        """The metrics reports received: the agent id of each and its body as the server read it."""

    def answer(self, request: httpx.Request) -> httpx.Response | Feed:
        """The response to one request (its body read), or the feed that a stream response sends."""
        body = request.read()
        method, path = request.method, request.url.raw_path.decode("ascii").partition("?")[0]
        query = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        request_route = route(method, path)
        payload = recorded_json(body)
        self.requests.append(RecordedRequest(method, path, query, payload, request_route.operation, request.headers))
        scripted = self._take_scripted(request_route.operation)
        if scripted is not None:
            return scripted_response(scripted, request)
        try:
            return self._serve(request, request_route, query)
        except Refused as refused:
            return json_response(refused.status, {"detail": refused.detail})

    def _serve(self, request: httpx.Request, route: Route, query: dict[str, str]) -> httpx.Response | Feed:
        operation, target = route.operation, route.target
        if operation is None:
            raise Refused(405, "Method Not Allowed") if route.known_path else Refused(404, "Not Found")
        if operation in WORKER_OPERATIONS and self._controller_is_down():  # what a proxy answers, before any key
            raise Refused(503, "Service Unavailable")
        key = request.headers.get("x-api-key")
        if not key:
            raise Refused(401, "Not authenticated")
        if key != self.api_key and not self._installed:
            raise Refused(403, "Invalid API key")
        if operation in WORKER_OPERATIONS and not self._own_prefix(route.prefix):
            raise Refused(404, "Not Found")  # the controller's routes are under its organization
        body = check_request(operation, request, query)
        if operation == "get_task_events":
            return self._event_feed(target, route.prefix, request.headers.get("last-event-id"))
        if operation == "register_worker":
            return self._register_worker(target)
        with self._published:
            if operation == "get_task_activity_log":
                status, answer = self._get_task_activity_log(target, route.second)
            else:
                status, answer = getattr(self, f"_{operation}")(target, body, query, request.headers)
        check_answer(operation, answer)
        return json_response(status, answer)

    # -- the routes (with the lock held) ---------------------------------------------------------------------
    def _create_task(self, agent_id: str, body: dict[str, Any], query: Any, headers: httpx.Headers) -> tuple[int, Any]:
        task = self._new_task(agent_id, body, headers)
        task_id = task["id"]
        self._tasks[task_id] = task
        if task["events_streaming"]:
            self._logs.setdefault(task_id, [])  # a continued task's log goes on, with the ids after the last
            self._publish(task_id, "connected", None)
            self._publish(task_id, "task_created", task)
        answer = copy.deepcopy(task)
        if not self._script(task):
            self._hand_out(task, body)
        return 200, answer

    def _new_task(self, agent_id: str, body: dict[str, Any], headers: httpx.Headers) -> dict[str, Any]:
        """The task a create stores, `pending`: the body's values that a Task has, with its id (a new one, or the
        body's for a continued task, which must exist) and the server's own fields."""
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
        return task

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

    def _get_task_activity_log(self, agent_id: str, task_id: str) -> tuple[int, Any]:
        """The log a test set for the task, else `default_activity_log`; 404 for a task this backend does not
        have, or one of another agent."""
        task = self._tasks.get(task_id)
        if task is None or task["agent_id"] != agent_id:
            raise Refused(404, "Activity log not found")
        scripted = self._activity_logs.get(task_id)
        return 200, copy.deepcopy(scripted) if scripted is not None else default_activity_log(task)

    def _list_agent_tasks(self, agent_id: str, body: Any, query: dict[str, str], headers: Any) -> tuple[int, Any]:
        return 200, self._list(query, lambda task: task["agent_id"] == agent_id)

    def _list_user_tasks(self, user_id: str, body: Any, query: dict[str, str], headers: Any) -> tuple[int, Any]:
        return 200, self._list(query, lambda task: _user_id(task) == user_id)

    def _list(self, query: dict[str, str], matches: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """The list items of the tasks `matches` keeps, in the order created (the spec says no order), filtered
        by the query's non-empty values."""
        filters = {key: value for key, value in query.items() if key in _LIST_FILTERS and value}
        items = [_list_item(task) for task in self._tasks.values() if matches(task)]
        return [item for item in items if all(item.get(key) == value for key, value in filters.items())]

    def _get_agent(self, agent_id: str, body: Any, query: Any, headers: httpx.Headers) -> tuple[int, Any]:
        """The scripted agent `agent_id`, else a default one (any agent id is one the fake knows, as for a
        create), with the version `x-agent-version` pins."""
        record = copy.deepcopy(self._agent_records.get(agent_id) or default_agent(agent_id, self.organization_id))
        pinned = headers.get("x-agent-version")
        if pinned is not None:
            record["version"] = int(pinned) if pinned.isdigit() else record.get("version")
        return 200, record

    def _report_execution_metrics(
        self, agent_id: str, body: dict[str, Any], query: Any, headers: Any
    ) -> tuple[int, Any]:
        self._metrics.append((agent_id, copy.deepcopy(body)))
        return 200, {}

    def _report_external_task(self, agent_id: str, body: dict[str, Any], query: Any, headers: Any) -> tuple[int, Any]:
        """A task run elsewhere, recorded finished (`completed`, or `failed` when `is_success` is false): a new
        task, or the stored task with the report's id, updated. Served as any task from then on."""
        task_id = body.get("id") or str(uuid.uuid4())
        task = self._tasks.get(task_id)
        if task is None:
            task = {"id": task_id, "agent_id": agent_id, "organization_id": self.organization_id, "created_at": now()}
            task["input"] = {"text": body.get("input") or ""}
            self._tasks[task_id] = task
        reported = {
            key: body[key] for key in ("result", "used_tools", "duration", "tokens") if body.get(key) is not None
        }
        task.update(reported, status="failed" if body.get("is_success") is False else "completed", finished_at=now())
        self._changed(task_id)
        return 200, copy.deepcopy(task)


def default_agent(agent_id: str, organization_id: str) -> dict[str, Any]:
    """What the fake answers for an agent the test did not script: the official SDK's required keys, and a few."""
    return {
        "id": agent_id,
        "organization_id": organization_id,
        "name": agent_id,
        "unique_name": agent_id,
        "description": None,
        "framework": "agno",
        "model_provider": "openai",
        "model_name": "gpt-4.1",
        "version": 1,
        "status": "ACTIVE",
        "created_at": AGENT_CREATED_AT,
        "instructions": {"role": [], "goal": [], "general": ""},
    }


AGENT_CREATED_AT = "2026-01-01T00:00:00Z"


def default_activity_log(task: dict[str, Any]) -> dict[str, Any]:
    """The activity log of a task no test set one for: the task's input as the user's first message (with the
    input's user), then the result as the agent's answer once the task has completed."""
    given = task["input"]
    first: dict[str, Any] = {
        "id": f"{task['id']}-input",
        "created_at": task["created_at"],
        "role": "user",
        "content": {"text": given.get("text") or "", "files": list(given.get("files") or [])},
    }
    thread: dict[str, Any] = {"id": task["id"], "created_at": task["created_at"], "messages": [first]}
    if given.get("user"):
        first["user"] = thread["user"] = copy.deepcopy(given["user"])
    if task["status"] == "completed" and task.get("result"):
        answer = {"text": task["result"], "files": []}
        at = task.get("finished_at") or task["created_at"]
        thread["messages"].append({"id": f"{task['id']}-result", "created_at": at, "role": "agent", "content": answer})
    return thread


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
