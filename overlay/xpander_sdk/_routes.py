"""The API's routes, each described once: the generated request builder that makes its route, headers and
body, whether it is idempotent, how its 2xx response is read, and which of its arguments are secrets.

A route turns checked arguments into a `Call`, which the requestor (`_requestor`) sends; nothing else in the SDK
knows a path. What a task route's answer becomes is handed down by the caller (`read`, as openai-python's
`cast_to`): this floor knows the JSON, not the `Task` class. The generated builders are the generator's private
`_get_kwargs`: the one generated helper the overlay relies on, pinned by a test on its shape
(`tests/test_endpoints_unit.py`).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any, TypeVar

import httpx

from ._bodies import CreateArguments, create_secrets, in_official_order, list_filters
from ._checks import check_path_id, json_object
from ._failures import invalid_response
from ._request import Call, Endpoint

T = TypeVar("T")


@functools.cache
def _builder(operation: str, tag: str = "tasks") -> ModuleType:
    """The generated module of `operation` (`xpander_api.api.tasks.get_task`...), imported on its first call: the
    generated client costs about 110 ms to import, which `import xpander_sdk` does not pay."""
    return importlib.import_module(f"xpander_api.api.{tag}.{operation}")


Read = Callable[[dict[str, Any]], T]
"""What a route's caller makes of one JSON object of the answer (`Task.from_dict`): KeyError, TypeError,
ValueError or AttributeError when the object is not one."""


def _json(response: httpx.Response, secrets: Iterable[str], what: str) -> Any:
    if not response.content:
        raise invalid_response(response, "the body is empty", secrets, what)
    try:
        return response.json()
    except ValueError:
        raise invalid_response(response, "the body is not JSON", secrets, what) from None


def parse_task(response: httpx.Response, secrets: Iterable[str], read: Read[T], what: str = "the task") -> T:
    """What `read` makes of the JSON object (the task, by default) in a 2xx response, or InvalidResponseError
    when the body is not one."""
    data = _json(response, secrets, what)
    if not isinstance(data, dict):
        reason = f"expected a JSON object, got a JSON {type(data).__name__}"
        raise invalid_response(response, reason, secrets, what)
    try:
        return read(data)
    except KeyError as exc:
        raise invalid_response(response, f"the required key {exc} is missing", secrets, what) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise invalid_response(response, f"a field has the wrong type or format ({exc})", secrets, what) from None


def parse_task_list(response: httpx.Response, secrets: Iterable[str], read: Read[T]) -> list[T]:
    """What `read` makes of each item of a list response (a 204 is an empty list, as in the official SDK), or
    InvalidResponseError. An item with a status this version does not know is kept (the official SDK fails the
    whole list)."""
    what = "the list of tasks"
    if response.status_code == 204:
        return []
    data = _json(response, secrets, what)
    if not isinstance(data, list):
        raise invalid_response(response, f"expected a JSON array, got a JSON {type(data).__name__}", secrets, what)
    try:
        return [read(item) for item in data]
    except KeyError as exc:
        raise invalid_response(response, f"an item has no required key {exc}", secrets, what) from None
    except (TypeError, ValueError, AttributeError) as exc:
        reason = f"an item is not a task summary ({type(exc).__name__}: {exc})"
        raise invalid_response(response, reason, secrets, what) from None


def _task(read: Read[T], what: str = "the task") -> Callable[[httpx.Response, Iterable[str]], T]:
    return lambda response, secrets: parse_task(response, secrets, read, what)


def _ignored(response: httpx.Response, secrets: Iterable[str]) -> None:
    """A route whose answer the official SDK never reads (a report, a push): any 2xx body is accepted."""


def _streamed(response: httpx.Response, secrets: Iterable[str]) -> httpx.Response:
    return response


CREATE = Endpoint("create the task", idempotent=False)
GET = Endpoint("read the task", idempotent=True)
STOP = Endpoint("stop the task", idempotent=True)
UPDATE = Endpoint("update the task", idempotent=False)
LIST = Endpoint("list the tasks", idempotent=True)
EVENTS = Endpoint("follow the task's events", idempotent=True)
"""Its response is read as a stream of events (see `_events`), never as a whole body."""
ACTIVITY_LOG = Endpoint("read the task's activity log", idempotent=True)
REPORT_METRICS = Endpoint("report the task's metrics", idempotent=False)
REPORT_EXTERNAL_TASK = Endpoint("report the external task", idempotent=False)
PUSH_EVENTS = Endpoint("push the task's events", idempotent=False)
GET_AGENT = Endpoint("read the agent", idempotent=True)
EVENT_STREAM_HEADERS = (("accept", "text/event-stream"), ("cache-control", "no-store"))
"""What the official SDK (httpx-sse's `connect_sse`) sends with the request of an event stream."""


def create(args: CreateArguments, agent_version: str | None, read: Read[T]) -> Call[T]:
    """`POST /agent-execution/{agent_id}`: the official body (with `input.user` in the official key order)."""
    from ._create_body import build_model  # noqa: PLC0415 - lazy: imports the generated models, on the first create

    generated = _builder("create_task")._get_kwargs(
        check_path_id("agent_id", args.agent_id),
        body=build_model(args),
        **({} if agent_version is None else {"x_agent_version": agent_version}),
    )
    generated["json"] = in_official_order(generated["json"])
    return Call.of(CREATE, generated, _task(read), lambda: create_secrets(args))


def get(task_id: object, read: Read[T]) -> Call[T]:
    """`GET /agent-execution/{task_id}/status`."""
    return Call.of(GET, _builder("get_task")._get_kwargs(check_path_id("task_id", task_id)), _task(read))


def stop(task_id: object, read: Read[T]) -> Call[T]:
    """`DELETE /agent-execution/{task_id}`, with no body."""
    return Call.of(STOP, _builder("stop_task")._get_kwargs(check_path_id("task_id", task_id)), _task(read))


def update(task_id: object, body: dict[str, Any], read: Read[T]) -> Call[T]:
    """`PATCH /agent-execution/{task_id}/update` with the keys `aupdate` was given (see `_bodies.update_body`)."""
    from xpander_api.models import UpdateTaskRequest  # noqa: PLC0415 - lazy: the generated models (see _builder)

    generated = _builder("update_task")._get_kwargs(
        check_path_id("task_id", task_id), body=UpdateTaskRequest.from_dict(body)
    )
    return Call.of(UPDATE, generated, _task(read))


def save(task_id: object, body: object, secrets: Callable[[], Iterable[object]], read: Read[T]) -> Call[T]:
    """The same PATCH with a whole task as its body (`Task.asave`, whose `to_save_body` it is): the official SDK
    sends every field, secrets included, so they are redacted from any error."""
    from xpander_api.models import UpdateTaskRequest  # noqa: PLC0415 - lazy: the generated models (see _builder)

    generated = _builder("update_task")._get_kwargs(check_path_id("task.id", task_id), body=UpdateTaskRequest())
    generated["json"] = json_object("task", body)  # a field set to a non-JSON value is refused, naming the task
    return Call.of(UPDATE, generated, _task(read), secrets)


def list_by_agent(agent_id: object, filters: object, read: Read[T]) -> Call[list[T]]:
    """`GET /agent-execution/executions/history/{agent_id}` with the filters as query parameters."""
    checked = list_filters(filters)
    generated = _builder("list_agent_tasks")._get_kwargs(check_path_id("agent_id", agent_id), **checked)
    return Call.of(
        LIST, _in_given_order(generated, checked), lambda response, secrets: parse_task_list(response, secrets, read)
    )


def list_by_user(user_id: object, filters: object, read: Read[T]) -> Call[list[T]]:
    """`GET /agent-execution/executions/history/user/{user_id}` with the filters as query parameters."""
    checked = list_filters(filters)
    query = {("user_id_query" if key == "user_id" else key): value for key, value in checked.items()}
    generated = _builder("list_user_tasks")._get_kwargs(
        check_path_id("user_id", user_id), **query
    )  # the generator renames
    generated = _in_given_order(generated, checked)  # the query's user_id, which clashes with the path's
    return Call.of(LIST, generated, lambda response, secrets: parse_task_list(response, secrets, read))


def events(task_id: object, last_event_id: str | None) -> Call[httpx.Response]:
    """`GET /agent-execution/{task_id}/events` (under the events root, see `Configuration.events_root_url`),
    with `Last-Event-ID` when resuming a stream."""
    resume = {} if last_event_id is None else {"last_event_id": last_event_id}
    generated = _builder("get_task_events")._get_kwargs(check_path_id("task_id", task_id), **resume)
    generated["headers"] = {**dict(EVENT_STREAM_HEADERS), **generated["headers"]}
    return Call.of(EVENTS, generated, _streamed)


def _in_given_order(generated: dict[str, Any], filters: Mapping[str, str]) -> dict[str, Any]:
    """The query in the order the caller gave the filters (as the official SDK sends them; the generated
    builder writes the spec's order)."""
    params = generated.get("params") or {}
    generated["params"] = {key: params[key] for key in filters if key in params}
    return generated


def activity_log(agent_id: object, task_id: object, read: Read[T]) -> Call[T]:
    """`GET /activity/{agent_id}/{task_id}`: the task's activity thread."""
    generated = _builder("get_task_activity_log")._get_kwargs(
        check_path_id("agent_id", agent_id), check_path_id("task_id", task_id)
    )
    return Call.of(ACTIVITY_LOG, generated, _task(read, "the activity log"))


def report_metrics(agent_id: object, body: dict[str, Any]) -> Call[None]:
    """`POST /agents-metrics/{agent_id}/execution` with an `ExecutionMetricsReport` body, sent in the caller's key
    order (the official SDK's); the answer is not read."""
    from xpander_api.models import ExecutionMetricsReport  # noqa: PLC0415 - lazy: the generated models (see _builder)

    generated = _builder("report_execution_metrics")._get_kwargs(
        check_path_id("agent_id", agent_id), body=ExecutionMetricsReport()
    )
    generated["json"] = body
    return Call.of(REPORT_METRICS, generated, _ignored)


def report_external_task(agent_id: object, body: dict[str, Any], read: Read[T]) -> Call[T]:
    """`POST /agent-execution/{agent_id}/report_task` with a `TaskReportRequest` body (in the caller's key order):
    the task as recorded."""
    from xpander_api.models import TaskReportRequest  # noqa: PLC0415 - lazy: the generated models (see _builder)

    generated = _builder("report_external_task")._get_kwargs(
        check_path_id("agent_id", agent_id), body=TaskReportRequest()
    )
    generated["json"] = body
    return Call.of(REPORT_EXTERNAL_TASK, generated, _task(read))


def push_events(task_id: object, events: list[dict[str, Any]]) -> Call[None]:
    """`POST /agent-execution/{task_id}/events/push` with a JSON array of events; the answer is not read."""
    generated = _builder("push_task_events")._get_kwargs(check_path_id("task_id", task_id), body=[])
    generated["json"] = events
    return Call.of(PUSH_EVENTS, generated, _ignored)


def get_agent(agent_id: object, version: str | None, read: Read[T]) -> Call[T]:
    """`GET /agents/{agent_id}`, with `x-agent-version` when a version is pinned."""
    pinned = {} if version is None else {"x_agent_version": version}
    generated = _builder("get_agent", "agents")._get_kwargs(check_path_id("agent_id", agent_id), **pinned)
    return Call.of(GET_AGENT, generated, _task(read, "the agent"))


REGISTER_WORKER = Endpoint("register the worker", idempotent=True)
"""Its response is read as a stream of the worker's events (see `_worker_stream`), never as a whole body."""
WORKER_EVENT = Endpoint("tell the controller about the worker", idempotent=True)
"""A heartbeat or a capacity update: sending one twice tells the controller nothing new."""


def register_worker(agent_id: object, environment: str) -> Call[httpx.Response]:
    """`GET /events/{agent_id}/?environment=...&supports_llm_gateway=true` (under the events root): the worker's
    stream of registrations and tasks."""
    from xpander_api.models import RegisterWorkerEnvironment  # noqa: PLC0415 - lazy: the generated models (see _builder)

    generated = _builder("register_worker", "workers")._get_kwargs(
        check_path_id("agent_id", agent_id),
        environment=RegisterWorkerEnvironment(environment),
        supports_llm_gateway=True,
    )
    generated["headers"] = dict(EVENT_STREAM_HEADERS)
    return Call.of(REGISTER_WORKER, generated, _streamed)


def send_worker_event(worker_id: object, agent_id: object, body: dict[str, Any]) -> Call[None]:
    """`POST /events/{worker_id}?type=worker&agent_id=...` with `{id, event, data}` (in that order, the official's);
    the answer is not read."""
    from xpander_api.models import SendWorkerEventType, WorkerEvent  # noqa: PLC0415 - lazy: the generated models

    generated = _builder("send_worker_event", "workers")._get_kwargs(
        check_path_id("worker_id", worker_id),
        body=WorkerEvent.from_dict(body),
        type_=SendWorkerEventType.WORKER,
        agent_id=check_path_id("agent_id", agent_id),
    )
    generated["json"] = body
    return Call.of(WORKER_EVENT, generated, _ignored)
