"""Reading a request to the fake and writing its answer, with no state of the backend: the route table of
openapi.yaml, the record a test reads (`RecordedRequest`), the body as the real server reads it (`_validation`),
and the checks that the fake's own answers are the spec's (`_schemas`).

Pure functions and values, apart from the backend's layers (`_routes` serves with them) so that they read
without the locking and the task state around them.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

import httpx
from attrs import field, frozen

from ._schemas import violations
from ._validation import BodyRefused, check_body, check_query, json_mode, read_body

ROUTES = (
    ("GET", re.compile(r"/agent-execution/executions/history/user/([^/]+)"), "list_user_tasks"),
    ("GET", re.compile(r"/agent-execution/executions/history/([^/]+)"), "list_agent_tasks"),
    ("GET", re.compile(r"/agent-execution/([^/]+)/status"), "get_task"),
    ("GET", re.compile(r"/agent-execution/([^/]+)/events"), "get_task_events"),
    ("PATCH", re.compile(r"/agent-execution/([^/]+)/update"), "update_task"),
    ("POST", re.compile(r"/agent-execution/([^/]+)/report_task"), "report_external_task"),
    ("POST", re.compile(r"/agent-execution/([^/]+)"), "create_task"),
    ("DELETE", re.compile(r"/agent-execution/([^/]+)"), "stop_task"),
    ("GET", re.compile(r"/activity/([^/]+)/([^/]+)"), "get_task_activity_log"),
    ("GET", re.compile(r"/agents/([^/]+)"), "get_agent"),
    ("POST", re.compile(r"/agents-metrics/([^/]+)/execution"), "report_execution_metrics"),
    ("GET", re.compile(r"/events/([^/]+)/"), "register_worker"),
    ("POST", re.compile(r"/events/([^/]+)"), "send_worker_event"),
)
_ROOTS = ("/agent-execution/", "/agents-metrics/", "/activity/", "/agents/", "/events/")
"""Where a route's path starts (what is before it is the prefix: an agent controller's organization id). The
first root in the path wins: `/agent-execution/{id}/events` is a task's, not the controller's."""
WORKER_OPERATIONS = frozenset({"register_worker", "send_worker_event"})
"""The agent controller's routes (a worker's registration stream and its news): `controller_down` refuses them."""
REQUEST_SCHEMAS = {
    "create_task": "CreateTaskRequest",
    "report_external_task": "TaskReportRequest",
    "report_execution_metrics": "ExecutionMetricsReport",
    "send_worker_event": "WorkerEvent",
}
"""The request schema of each route that reads a body (but the update's, which depends on the body)."""
QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "register_worker": {
        "properties": {
            "environment": {"type": "string", "enum": ["local", "xpander"]},
            "supports_llm_gateway": {"type": "boolean"},
        },
        "required": ["environment"],
    },
    "send_worker_event": {
        "properties": {"type": {"type": "string", "enum": ["worker"]}, "agent_id": {"type": "string", "minLength": 1}},
        "required": ["type", "agent_id"],
    },
}
"""The query parameters of openapi.yaml's routes that have required ones, as an object schema (`check_query`)."""
ANSWER_SCHEMAS = {
    "report_external_task": "Task",
    "report_execution_metrics": None,
    "send_worker_event": None,
    "get_task_activity_log": "AgentActivityThread",
    "get_agent": "Agent",
}
"""The response schema of a route, when it is not a task's (`Task`, or `TasksListItem` for a list); None for a
route whose answer is any JSON value."""
OPERATIONS = frozenset(name for _, _, name in ROUTES)
"""The spec's operationIds of the routes (what `respond_next(operation=...)` takes)."""


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


class Refused(Exception):
    """A request the fake answers with an error: `status` and the `detail` of its JSON body."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@frozen
class Route:
    """The operation of a request (None for no route), its path parameter (and its second one: the task of
    `/activity/{agent_id}/{task_id}`), the path before the route (`/agent-execution...`, `/activity...`: the
    organization id of an events URL, or of an agent controller's), and whether the path is a route's (with
    another method)."""

    operation: str | None
    target: str = ""
    prefix: str = ""
    known_path: bool = False
    second: str = ""


def route(method: str, path: str) -> Route:
    """The route of a request, from its path as sent (percent-encoded: a parameter is decoded once)."""
    starts = [index for index in (path.find(root) for root in _ROOTS) if index >= 0]
    if not starts:
        return Route(None)
    start = min(starts)
    prefix, rest = path[:start], path[start:]
    known_path = False
    for route_method, pattern, operation in ROUTES:
        match = pattern.fullmatch(rest)
        if match and route_method == method:
            second = unquote(match.group(2)) if pattern.groups > 1 else ""
            return Route(operation, unquote(match.group(1)), prefix, second=second)
        known_path = known_path or match is not None
    return Route(None, "", prefix, known_path)


def check_request(operation: str, request: httpx.Request, query: dict[str, str]) -> Any:
    """The body of a create, an update, a report or a worker's event as the server reads it (`_validation`:
    unknown keys dropped, values coerced), or Refused with FastAPI's 400 or 422; the required query parameters
    (QUERY_SCHEMAS) are checked first. The other routes take no body: one sent is ignored, as FastAPI does
    (`requests` still shows it)."""
    try:
        if operation in QUERY_SCHEMAS:
            check_query(QUERY_SCHEMAS[operation], query)
    except BodyRefused as refused:
        raise Refused(refused.status, refused.detail) from None
    if operation not in REQUEST_SCHEMAS and operation != "update_task":
        return None
    try:
        body = read_body(request.content, request.headers.get("content-type"))
        schema = REQUEST_SCHEMAS.get(operation) or _update_schema(body)
        return check_body(schema, body)
    except BodyRefused as refused:
        raise Refused(refused.status, refused.detail) from None


def _update_schema(body: Any) -> str:
    """`asave` sends the whole task (it has `created_at`); `aupdate` an UpdateTaskRequest."""
    return "Task" if isinstance(body, dict) and "created_at" in body else "UpdateTaskRequest"


def recorded_json(body: bytes) -> Any:
    """The body of a request as `RecordedRequest.json` shows it: its JSON, its text when it is not JSON."""
    try:
        return json.loads(body) if body else None
    except (ValueError, RecursionError):
        return body.decode(errors="replace")


def check_answer(operation: str, answer: Any) -> None:
    """The fake's own answers are the spec's: a failure here is a bug of the fake (or of a scripted value)."""
    schema = ANSWER_SCHEMAS.get(operation, "TasksListItem" if operation.startswith("list") else "Task")
    if schema is None:
        return
    for item in answer if isinstance(answer, list) else [answer]:
        problems = violations(schema, item)
        if problems:
            described = "; ".join(str(problem) for problem in problems)
            raise AssertionError(f"the fake backend answered {operation} outside openapi.yaml: {described}")


def json_response(status: int, body: Any) -> httpx.Response:
    """JSON with non-ASCII escaped: a lone surrogate a body sent (`"\\ud800"` is valid JSON) is written back
    escaped, where UTF-8 cannot hold it."""
    content = json.dumps(json_mode(body), allow_nan=False).encode()
    return httpx.Response(status, headers={"content-type": "application/json"}, content=content)
