"""The API's routes, each described once: the generated request builder that makes its route, headers and
body, whether it is idempotent, how its 2xx response is read, and which of its arguments are secrets.

`Tasks` turns checked arguments into a `Call` here and sends it through `HTTPSession.call`/`acall`; nothing
else in the SDK knows a path. The generated builders are the generator's private `_get_kwargs`: the one
generated helper the overlay relies on, pinned by a test on its shape (`tests/test_endpoints_unit.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from xpander_api import models as api
from xpander_api.api.tasks import (
    create_task,
    get_task,
    get_task_events,
    list_agent_tasks,
    list_user_tasks,
    stop_task,
    update_task,
)

from ._http import Call, Endpoint, invalid_response
from ._request import build_model, check_path_id, create_secrets, in_official_order, json_object, list_filters
from .task import Task, TasksListItem


def _json(response: httpx.Response, secrets: Iterable[str], what: str) -> Any:
    if not response.content:
        raise invalid_response(response, "the body is empty", secrets, what)
    try:
        return response.json()
    except ValueError:
        raise invalid_response(response, "the body is not JSON", secrets, what) from None


def parse_task(response: httpx.Response, secrets: Iterable[str] = ()) -> Task:
    """The Task in a 2xx response, or InvalidResponseError when the body is not one."""
    data = _json(response, secrets, "the task")
    if not isinstance(data, dict):
        reason = f"expected a JSON object, got a JSON {type(data).__name__}"
        raise invalid_response(response, reason, secrets)
    try:
        return Task.from_dict(data)
    except KeyError as exc:
        raise invalid_response(response, f"the required key {exc} is missing", secrets) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise invalid_response(response, f"a field has the wrong type or format ({exc})", secrets) from None


def parse_task_list(response: httpx.Response, secrets: Iterable[str] = ()) -> list[TasksListItem]:
    """The items of a list response (a 204 is an empty list, as in the official SDK), or InvalidResponseError.
    An item with a status this version does not know is kept (the official SDK fails the whole list)."""
    what = "the list of tasks"
    if response.status_code == 204:
        return []
    data = _json(response, secrets, what)
    if not isinstance(data, list):
        raise invalid_response(response, f"expected a JSON array, got a JSON {type(data).__name__}", secrets, what)
    try:
        return [TasksListItem.from_dict(item) for item in data]
    except KeyError as exc:
        raise invalid_response(response, f"an item has no required key {exc}", secrets, what) from None
    except (TypeError, ValueError, AttributeError) as exc:
        reason = f"an item is not a task summary ({type(exc).__name__}: {exc})"
        raise invalid_response(response, reason, secrets, what) from None


CREATE = Endpoint("create the task", idempotent=False, parse=parse_task)
GET = Endpoint("read the task", idempotent=True, parse=parse_task)
STOP = Endpoint("stop the task", idempotent=True, parse=parse_task)
UPDATE = Endpoint("update the task", idempotent=False, parse=parse_task)
LIST = Endpoint("list the tasks", idempotent=True, parse=parse_task_list)
EVENTS = Endpoint("follow the task's events", idempotent=True, parse=lambda response, _: response)
"""Its response is read as a stream of events (see `_events`), never as a whole body."""
EVENT_STREAM_HEADERS = (("accept", "text/event-stream"), ("cache-control", "no-store"))
"""What the official SDK (httpx-sse's `connect_sse`) sends with the request of an event stream."""


def create(args: Mapping[str, Any], agent_version: str | None) -> Call[Task]:
    """`POST /agent-execution/{agent_id}`: the official body (with `input.user` in the official key order)."""
    generated = create_task._get_kwargs(
        check_path_id("agent_id", args["agent_id"]),
        body=build_model(args),
        **({} if agent_version is None else {"x_agent_version": agent_version}),
    )
    generated["json"] = in_official_order(generated["json"])
    return Call.of(CREATE, generated, lambda: create_secrets(args))


def get(task_id: object) -> Call[Task]:
    """`GET /agent-execution/{task_id}/status`."""
    return Call.of(GET, get_task._get_kwargs(check_path_id("task_id", task_id)))


def stop(task_id: object) -> Call[Task]:
    """`DELETE /agent-execution/{task_id}`, with no body."""
    return Call.of(STOP, stop_task._get_kwargs(check_path_id("task_id", task_id)))


def update(task_id: object, body: dict[str, Any]) -> Call[Task]:
    """`PATCH /agent-execution/{task_id}/update` with the keys `aupdate` was given (see `_request.update_body`)."""
    generated = update_task._get_kwargs(check_path_id("task_id", task_id), body=api.UpdateTaskRequest.from_dict(body))
    return Call.of(UPDATE, generated)


def save(task: Task, with_deep_plan_update: bool) -> Call[Task]:
    """The same PATCH with the whole task as its body (`Task.asave`): the official SDK sends every field,
    secrets included, so they are redacted from any error."""
    generated = update_task._get_kwargs(check_path_id("task.id", task.id), body=api.UpdateTaskRequest())
    generated["json"] = json_object("task", task.to_save_body(with_deep_plan_update))  # a field set to a non-JSON value
    return Call.of(UPDATE, generated, task.secret_values)


def list_by_agent(agent_id: object, filters: object) -> Call[list[TasksListItem]]:
    """`GET /agent-execution/executions/history/{agent_id}` with the filters as query parameters."""
    checked = list_filters(filters)
    generated = list_agent_tasks._get_kwargs(check_path_id("agent_id", agent_id), **checked)
    return Call.of(LIST, _in_given_order(generated, checked))


def list_by_user(user_id: object, filters: object) -> Call[list[TasksListItem]]:
    """`GET /agent-execution/executions/history/user/{user_id}` with the filters as query parameters."""
    checked = list_filters(filters)
    query = {("user_id_query" if key == "user_id" else key): value for key, value in checked.items()}
    generated = list_user_tasks._get_kwargs(check_path_id("user_id", user_id), **query)  # the generator renames
    return Call.of(LIST, _in_given_order(generated, checked))  # the query's user_id, which clashes with the path's


def events(task_id: object, last_event_id: str | None) -> Call[httpx.Response]:
    """`GET /agent-execution/{task_id}/events` (under the events root, see `Configuration.events_root_url`),
    with `Last-Event-ID` when resuming a stream."""
    resume = {} if last_event_id is None else {"last_event_id": last_event_id}
    generated = get_task_events._get_kwargs(check_path_id("task_id", task_id), **resume)
    generated["headers"] = {**dict(EVENT_STREAM_HEADERS), **generated["headers"]}
    return Call.of(EVENTS, generated)


def _in_given_order(generated: dict[str, Any], filters: Mapping[str, str]) -> dict[str, Any]:
    """The query in the order the caller gave the filters (as the official SDK sends them; the generated
    builder writes the spec's order)."""
    params = generated.get("params") or {}
    generated["params"] = {key: params[key] for key in filters if key in params}
    return generated
