"""Contract: the lifecycle operations (get_task, stop_task, update_task, list_agent_tasks, list_user_tasks) as
openapi.yaml describes them.

- Through the real Prism mock of the spec's examples (request validation on: a request that breaks the spec is
  answered 422 with an `sl-violations` header), sync and async: each call succeeds and returns the spec's example;
  ids with reserved characters stay one path segment; a Task's own reload/stop/save/set_status go the same way.
- Every parameter on the wire: each `update` parameter on the key UpdateTaskRequest names, `Task.save`'s whole
  task valid against `Task`, each list filter on the query parameter the spec names.
- Spec-derived properties (hypothesis): list items drawn from `TasksListItem` parse as the generated client
  parses them; update bodies drawn from `UpdateTaskRequest` are what `_bodies.update_body` builds; any task the
  spec allows is saved as a valid `Task` body; `is_terminal` is the listed state's, else whether `finished_at` is set.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import inspect
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import xpander_api.models
from tests import spec_tools, strategies
from tests.conftest import load_fixture
from xpander_api.types import Unset
from xpander_sdk import (
    AgentExecutionStatus,
    Configuration,
    ModuleException,
    Task,
    Tasks,
    UnprocessableEntityError,
)
from xpander_sdk._bodies import LIST_FILTERS, update_body
from xpander_sdk._routes import parse_task_list
from xpander_sdk._task_json import SAVE_KEYS
from xpander_sdk._task_model import TasksListItem

API_KEY = "test-api-key"
Mode = Literal["sync", "async"]
MODES: list[Mode] = ["sync", "async"]
# operationId -> the Tasks methods (async, sync) that send it.
METHODS: dict[str, tuple[str, str]] = {
    "get_task": ("aget", "get"),
    "stop_task": ("astop", "stop"),
    "update_task": ("aupdate", "update"),
    "list_agent_tasks": ("alist", "list"),
    "list_user_tasks": ("alist_user_tasks", "list_user_tasks"),
}
LIST_OPERATIONS = ["list_agent_tasks", "list_user_tasks"]
UPDATE_REQUEST_EXAMPLES = ["full", "empty", "empty_result"]  # the UpdateTaskRequest bodies (`save` is a Task)
ITEM_EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BODY_EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the spec, per operation ------------------------------------------------------------------------------------
def find_operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """(path template, HTTP method, operation) of an operationId of openapi.yaml."""
    for path, item in spec_tools.load_spec()["paths"].items():
        for method, node in item.items():
            if isinstance(node, dict) and node.get("operationId") == operation_id:
                return path, method.upper(), node
    raise KeyError(f"openapi.yaml has no operation {operation_id!r}")


def parameters_of(operation_id: str, location: str) -> list[dict[str, Any]]:
    """The operation's parameters in `location` (`path`, `query`), `$ref`s resolved, in the spec's order."""
    _, _, node = find_operation(operation_id)
    resolved = (spec_tools.resolve(parameter) for parameter in node.get("parameters", []))
    return [parameter for parameter in resolved if parameter["in"] == location]


def path_parameter(operation_id: str) -> dict[str, Any]:
    (parameter,) = parameters_of(operation_id, "path")
    return parameter


def expected_path(operation_id: str, value: str) -> bytes:
    """The raw path for a path-parameter value: the template with the value percent-encoded as one segment."""
    template, _, _ = find_operation(operation_id)
    name = path_parameter(operation_id)["name"]
    return template.replace(f"{{{name}}}", quote(value, safe="")).encode()


def success_example(operation_id: str) -> Any:
    """The example of the operation's 200 response (what Prism answers)."""
    _, _, node = find_operation(operation_id)
    return spec_tools.response_example(spec_tools.resolve(node["responses"]["200"]))


def update_request_example(name: str) -> dict[str, Any]:
    _, _, node = find_operation("update_task")
    value: dict[str, Any] = node["requestBody"]["content"]["application/json"]["examples"][name]["value"]
    return copy.deepcopy(value)


def compact(value: Any) -> bytes:
    """The bytes the SDK sends for a JSON value (compact, UTF-8)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# -- calls through Prism ----------------------------------------------------------------------------------------
class Recording(spec_tools.RecordingTransport):
    """httpx's transport, keeping every request and every response."""

    def __init__(self) -> None:
        super().__init__()
        self.responses: list[httpx.Response] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.responses.append(response)
        return response


class AsyncRecording(spec_tools.AsyncRecordingTransport):
    """The async twin of `Recording`."""

    def __init__(self) -> None:
        super().__init__()
        self.responses: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.responses.append(response)
        return response


def _refused(error: ModuleException) -> str:
    response = error.response
    if response is None:
        return f"the call failed before Prism answered: {type(error).__name__}: {error}"
    violations = response.headers.get("sl-violations")
    return f"Prism refused the request: {type(error).__name__}: {error}\nsl-violations: {violations}"


def _only_exchange(requests: list[httpx.Request], responses: list[httpx.Response]) -> tuple[httpx.Request, Any]:
    assert len(requests) == 1, f"expected one request, {len(requests)} were sent"
    (response,) = responses
    # Prism answers a request that breaks the spec with 422 (`--errors`); without `--errors` it would answer the
    # example with the violations in this header: either way, none must be named.
    assert "sl-violations" not in response.headers, response.headers["sl-violations"]
    assert 200 <= response.status_code < 300, response.status_code
    return requests[0], response


def on_prism(prism_url: str, mode: Mode, act: Callable[[Tasks], Any]) -> tuple[Any, httpx.Request, Tasks]:
    """`act(tasks)` (awaited in async mode) with a Tasks on Prism without retries, on a recording client of that
    mode; (the result, the one request sent, the Tasks). Fails on any error and on any violation Prism names."""
    configuration = Configuration(api_key=API_KEY, base_url=prism_url)
    if mode == "sync":
        transport = Recording()
        with httpx.Client(transport=transport) as client:
            tasks = Tasks(configuration, http_client=client, max_retries=0)
            try:
                result = act(tasks)
            except ModuleException as error:
                pytest.fail(_refused(error))
        request, _ = _only_exchange(transport.requests, transport.responses)
        return result, request, tasks

    async def run() -> tuple[Any, httpx.Request, Tasks]:
        transport = AsyncRecording()
        async with httpx.AsyncClient(transport=transport) as client:
            tasks = Tasks(configuration, async_http_client=client, max_retries=0)
            try:
                found = await act(tasks)
            except ModuleException as error:
                pytest.fail(_refused(error))
        sent, _ = _only_exchange(transport.requests, transport.responses)
        return found, sent, tasks

    return asyncio.run(run())


def call_through_prism(prism_url: str, mode: Mode, method: str, *args: Any, **kwargs: Any) -> tuple[Any, httpx.Request]:
    """`tasks.<method>(...)` (awaited in async mode) against Prism; (the result, the one request sent). What the
    call returns follows the Tasks that made it."""
    result, request, tasks = on_prism(prism_url, mode, lambda tasks: getattr(tasks, method)(*args, **kwargs))
    for item in result if isinstance(result, list) else [result]:
        assert item._requestor is tasks.requestor
    return result, request


def call_operation(
    prism_url: str, mode: Mode, operation_id: str, *args: Any, **kwargs: Any
) -> tuple[Any, httpx.Request]:
    """The Tasks method of an operation (`get_task` -> `get` or `aget`) against Prism."""
    async_name, sync_name = METHODS[operation_id]
    return call_through_prism(prism_url, mode, sync_name if mode == "sync" else async_name, *args, **kwargs)


def check_request(request: httpx.Request, operation_id: str, path_value: str) -> None:
    """The request's method and path are the operation's, with the API key."""
    _, method, _ = find_operation(operation_id)
    assert request.method == method
    assert request.url.raw_path.split(b"?")[0] == expected_path(operation_id, path_value)
    assert request.headers["x-api-key"] == API_KEY


def check_no_body(request: httpx.Request) -> None:
    assert request.content == b""
    assert "content-length" not in request.headers
    assert "content-type" not in request.headers


def assert_is_example_task(task: Task, operation_id: str) -> None:
    example_task = success_example(operation_id)
    assert isinstance(task, Task)
    assert (task.id, task.agent_id, task.organization_id, task.status.value) == (
        example_task["id"],
        example_task["agent_id"],
        example_task["organization_id"],
        example_task["status"],
    )
    spec_tools.assert_parsed_faithfully(example_task, task)


def assert_is_example_list(items: Any, operation_id: str) -> None:
    expected = [
        (item["id"], item["agent_id"], item["organization_id"], item["status"], item.get("title"))
        for item in success_example(operation_id)
    ]
    assert isinstance(items, list)
    assert all(isinstance(item, TasksListItem) for item in items)
    assert [(i.id, i.agent_id, i.organization_id, i.status.value, i.title) for i in items] == expected


def test_prism_refuses_a_request_the_spec_forbids(prism_url: str) -> None:
    """The checks above can fail: a body key UpdateTaskRequest does not have is answered 422, violations named."""
    with httpx.Client() as client:
        tasks = Tasks(Configuration(api_key=API_KEY, base_url=prism_url), http_client=client, max_retries=0)
        with pytest.raises(UnprocessableEntityError) as caught:
            tasks.update("task-1", result="r", extra_body={"bogus": 1})
    assert caught.value.response is not None
    assert "bogus" in caught.value.response.headers["sl-violations"]


# -- get and stop ------------------------------------------------------------------------------------------------
def test_the_spec_has_the_operations_and_examples_the_tests_use() -> None:
    for operation_id in METHODS:
        find_operation(operation_id)
        assert success_example(operation_id)
    assert [success_example("get_task")["status"], success_example("stop_task")["status"]] == ["completed", "stopped"]
    for name in UPDATE_REQUEST_EXAMPLES:
        assert spec_tools.violations(spec_tools.validator("UpdateTaskRequest"), update_request_example(name)) == []


@pytest.mark.parametrize("mode", MODES)
def test_get_task(prism_url: str, mode: Mode) -> None:
    task_id = path_parameter("get_task")["example"]
    task, request = call_operation(prism_url, mode, "get_task", task_id)
    check_request(request, "get_task", task_id)
    check_no_body(request)
    assert request.url.query == b""
    assert_is_example_task(task, "get_task")


@pytest.mark.parametrize("mode", MODES)
def test_stop_task(prism_url: str, mode: Mode) -> None:
    task_id = path_parameter("stop_task")["example"]
    task, request = call_operation(prism_url, mode, "stop_task", task_id)
    check_request(request, "stop_task", task_id)
    check_no_body(request)
    assert_is_example_task(task, "stop_task")
    assert task.is_terminal


ODD_IDS = ["a/b", "a?b#c", "a b", "50%", "ü-ß"]
PATH_CASES = [(operation_id, odd) for operation_id in METHODS for odd in ODD_IDS]


@pytest.mark.parametrize(("operation_id", "path_value"), PATH_CASES, ids=[f"{o}-{v}" for o, v in PATH_CASES])
def test_path_id_is_one_percent_encoded_segment(prism_url: str, operation_id: str, path_value: str) -> None:
    """An id with reserved characters is sent as one percent-encoded segment of the operation's template, and
    Prism routes it to that operation (it answers the operation's own example)."""
    result, request = call_operation(prism_url, "sync", operation_id, path_value)
    check_request(request, operation_id, path_value)
    if operation_id in LIST_OPERATIONS:
        assert_is_example_list(result, operation_id)
    else:
        assert_is_example_task(result, operation_id)


# -- update ------------------------------------------------------------------------------------------------------
UPDATE_PROPERTIES = list(spec_tools.properties("UpdateTaskRequest"))


def update_parameters() -> list[str]:
    """The official parameters of `Tasks.aupdate` after `task_id` (not the `**options`)."""
    parameters = inspect.signature(Tasks.aupdate).parameters.values()
    return [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD][2:]


def test_every_update_parameter_has_the_key_of_its_name() -> None:
    """Each parameter of `update` is sent on the UpdateTaskRequest key of its name, in the spec's order; the
    full example sets every key (so that the tests below set every parameter)."""
    assert update_parameters() == UPDATE_PROPERTIES
    assert list(update_request_example("full")) == UPDATE_PROPERTIES
    for name in UPDATE_PROPERTIES:
        assert inspect.signature(Tasks.aupdate).parameters[name].default is None
        assert inspect.signature(Tasks.update).parameters[name].default is None


def as_update_arguments(body: Mapping[str, Any]) -> dict[str, Any]:
    """The `update` arguments that send `body` (status as the AgentExecutionStatus member)."""
    arguments = dict(body)
    if "status" in arguments:
        arguments["status"] = AgentExecutionStatus(arguments["status"])
    return arguments


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", UPDATE_REQUEST_EXAMPLES)
def test_update_sends_the_spec_example(prism_url: str, mode: Mode, name: str) -> None:
    """`full` sets every parameter, `empty` none, `empty_result` only `result=""`: the body is the example's,
    byte for byte (the given keys only, in the official order), and Prism accepts it."""
    body = update_request_example(name)
    task_id = "task-1"
    task, request = call_operation(prism_url, mode, "update_task", task_id, **as_update_arguments(body))
    check_request(request, "update_task", task_id)
    assert request.headers["content-type"] == "application/json"
    assert request.content == compact(body)
    assert spec_tools.violations(spec_tools.validator("UpdateTaskRequest"), json.loads(request.content)) == []
    assert_is_example_task(task, "update_task")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("key", UPDATE_PROPERTIES)
def test_update_parameter_lands_on_its_key(prism_url: str, mode: Mode, key: str) -> None:
    """Setting one parameter sends exactly the UpdateTaskRequest key of that name, valid against the schema."""
    value = update_request_example("full")[key]
    _, request = call_operation(prism_url, mode, "update_task", "task-1", **as_update_arguments({key: value}))
    body = json.loads(request.content)
    assert body == {key: value}
    assert spec_tools.violations(spec_tools.validator("UpdateTaskRequest"), body) == []


@pytest.mark.parametrize("mode", MODES)
def test_update_takes_the_status_as_its_string_value(prism_url: str, mode: Mode) -> None:
    _, request = call_operation(prism_url, mode, "update_task", "task-1", status="failed", result="boom")
    assert request.content == b'{"status":"failed","result":"boom"}'


# -- Task.save ---------------------------------------------------------------------------------------------------
SAVED_TASKS: dict[str, dict[str, Any]] = {
    "spec-save-example": update_request_example("save"),
    "spec-get-example": success_example("get_task"),
    "fixture-full": load_fixture("task-response-full.json"),
}


def save_keys(with_deep_plan_update: bool) -> list[str]:
    """SAVE_KEYS, with `deep_planning` after `user_tokens` when the deep plan is sent."""
    keys = list(SAVE_KEYS)
    if with_deep_plan_update:
        keys.insert(keys.index("user_tokens") + 1, "deep_planning")
    return keys


def test_save_keys_are_keys_of_the_task_schema() -> None:
    task_keys = set(spec_tools.properties("Task"))
    assert set(save_keys(with_deep_plan_update=True)) <= task_keys
    assert len(SAVE_KEYS) == len(set(SAVE_KEYS)) == 55
    assert list(update_request_example("save")) == list(SAVE_KEYS), "the spec's `save` example is the 55 keys"


def save_through_prism(prism_url: str, mode: Mode, task: Task, with_deep_plan_update: bool) -> httpx.Request:
    """`task.save(...)` / `await task.asave(...)` through a Tasks on Prism; the one request sent."""
    name = "save" if mode == "sync" else "asave"
    saved, request, tasks = on_prism(
        prism_url, mode, lambda tasks: getattr(task.bind(tasks), name)(with_deep_plan_update=with_deep_plan_update)
    )
    assert saved is task
    assert task._requestor is tasks.requestor
    return request


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("with_deep_plan_update", [False, True], ids=["task", "with-deep-plan"])
@pytest.mark.parametrize("source", list(SAVED_TASKS))
def test_save_sends_the_whole_task_as_the_spec_says(
    prism_url: str, mode: Mode, with_deep_plan_update: bool, source: str
) -> None:
    data = copy.deepcopy(SAVED_TASKS[source])
    task = Task.from_dict(data)
    request = save_through_prism(prism_url, mode, task, with_deep_plan_update)

    check_request(request, "update_task", data["id"])
    body = json.loads(request.content)
    assert list(body) == save_keys(with_deep_plan_update)
    assert spec_tools.violations(spec_tools.validator("Task"), body) == []
    for key in ("id", "agent_id", "organization_id", "status", "result"):
        assert body[key] == data.get(key), key
    if source == "spec-save-example" and not with_deep_plan_update:
        assert request.content == compact(data), "the spec's `save` example is what the SDK sends for it"
    # The task is refreshed in place from the server's answer (the update's example).
    assert_is_example_task(task, "update_task")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=strategies.task_responses(), with_deep_plan_update=st.booleans())
def test_any_spec_valid_task_is_saved_as_a_valid_task(data: dict[str, Any], with_deep_plan_update: bool) -> None:
    """Whatever task the server sent (unknown keys and enum values too), `asave` sends the 55 official keys and
    a body the spec's `Task` accepts (date-time formats too, when the server's own were RFC 3339)."""
    formats = spec_tools.violations(spec_tools.validator("Task"), data) == []
    body = Task.from_dict(data).to_save_body(with_deep_plan_update)
    assert list(body) == save_keys(with_deep_plan_update)
    assert spec_tools.violations(spec_tools.validator("Task", formats=formats), body) == []
    assert json.loads(compact(body)) == body


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("method", "operation_id"), [("reload", "get_task"), ("stop", "stop_task")])
def test_a_task_follows_itself_through_the_operations(
    prism_url: str, mode: Mode, method: str, operation_id: str
) -> None:
    """`task.reload()` and `task.stop()` send the operation of `Tasks.get`/`Tasks.stop` for the task's id, and
    refresh the task in place from the answer."""
    task = Task.from_dict(update_request_example("save"))
    name = method if mode == "sync" else f"a{method}"
    returned, request, _ = on_prism(prism_url, mode, lambda tasks: getattr(task.bind(tasks), name)())
    assert returned is task
    check_request(request, operation_id, "task-1")
    check_no_body(request)
    assert_is_example_task(task, operation_id)


@pytest.mark.parametrize("mode", MODES)
def test_set_status_saves_the_task_with_its_new_status(prism_url: str, mode: Mode) -> None:
    task = Task.from_dict(update_request_example("save"))
    if mode == "sync":
        _, request, _ = on_prism(
            prism_url, mode, lambda tasks: task.bind(tasks).set_status(AgentExecutionStatus.Failed, "boom")
        )
    else:
        _, request, _ = on_prism(prism_url, mode, lambda tasks: task.bind(tasks).aset_status("failed", "boom"))
    check_request(request, "update_task", "task-1")
    body = json.loads(request.content)
    assert list(body) == list(SAVE_KEYS)
    assert (body["status"], body["result"]) == ("failed", "boom")
    assert spec_tools.violations(spec_tools.validator("Task"), body) == []
    assert body == {**update_request_example("save"), "status": "failed", "result": "boom"}


def terminal_states() -> set[str]:
    """The terminal states the spec's AgentExecutionStatus names ("Terminal states are `completed`, ...")."""
    description = spec_tools.schema("AgentExecutionStatus")["description"]
    sentence = description.split("Terminal states are", 1)[1].split(".", 1)[0]
    return set(re.findall(r"`([^`]+)`", sentence))


MINIMAL_FINISHED_TASK = {
    "id": "t1",
    "agent_id": "a",
    "organization_id": "o",
    "input": {"text": "x"},
    "created_at": "2026-05-01T12:00:00Z",
    "finished_at": "2026-05-01T12:00:09Z",
}


def test_the_terminal_states_are_listed_states() -> None:
    listed = set(spec_tools.schema("AgentExecutionStatus")["enum"])
    assert terminal_states() == {"completed", "failed", "error", "stopped"}
    assert terminal_states() < listed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=strategies.task_responses())
@example(data={**MINIMAL_FINISHED_TASK, "status": "stopped"})
@example(data={**MINIMAL_FINISHED_TASK, "status": "paused"})
@example(data={**MINIMAL_FINISHED_TASK, "status": "archived"})
@example(data={**MINIMAL_FINISHED_TASK, "status": "archived", "finished_at": None})
@example(data={**MINIMAL_FINISHED_TASK, "status": "Completed"})  # a member's name, not a listed value
@example(data={**MINIMAL_FINISHED_TASK, "status": "Pending"})
def test_is_terminal_is_the_listed_state_else_finished_at(data: dict[str, Any]) -> None:
    """A listed state is terminal when the spec says so; a state the spec does not list (any other string, the
    spec's responses are open) is terminal when the server set `finished_at`."""
    task = Task.from_dict(data)
    status = task.status.value
    if status in spec_tools.schema("AgentExecutionStatus")["enum"]:
        expected = status in terminal_states()
    else:
        expected = task.finished_at is not None
    assert task.is_terminal is expected, (status, task.finished_at)


# -- list --------------------------------------------------------------------------------------------------------
def filter_example(operation_id: str, name: str) -> str:
    """The spec's example of a query parameter."""
    (parameter,) = [p for p in parameters_of(operation_id, "query") if p["name"] == name]
    example_value: str = parameter["example"]
    return example_value


def test_list_filters_are_the_query_parameters_of_both_list_routes() -> None:
    for operation_id in LIST_OPERATIONS:
        assert [p["name"] for p in parameters_of(operation_id, "query")] == list(LIST_FILTERS)


LIST_CASES = [
    (operation_id, parameter["name"])
    for operation_id in LIST_OPERATIONS
    for parameter in parameters_of(operation_id, "query")
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("operation_id", "name"), LIST_CASES, ids=[f"{o}-{n}" for o, n in LIST_CASES])
def test_list_filter_lands_on_its_query_parameter(prism_url: str, mode: Mode, operation_id: str, name: str) -> None:
    """One filter, set to the spec's example: exactly that query parameter is sent, and Prism accepts it."""
    path_value = path_parameter(operation_id)["example"]
    value = filter_example(operation_id, name)
    items, request = call_operation(prism_url, mode, operation_id, path_value, {name: value})
    check_request(request, operation_id, path_value)
    check_no_body(request)
    assert request.url.params.multi_items() == [(name, value)]
    assert_is_example_list(items, operation_id)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("operation_id", LIST_OPERATIONS)
def test_list_with_no_filter_sends_no_query(prism_url: str, mode: Mode, operation_id: str) -> None:
    path_value = path_parameter(operation_id)["example"]
    no_filters: list[dict[str, str] | None] = [None, {}]
    for filters in no_filters:
        items, request = call_operation(prism_url, mode, operation_id, path_value, filters)
        check_request(request, operation_id, path_value)
        assert request.url.query == b""
        assert_is_example_list(items, operation_id)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("operation_id", LIST_OPERATIONS)
@pytest.mark.parametrize("order", ["spec", "reversed"])
def test_list_with_every_filter(prism_url: str, mode: Mode, operation_id: str, order: str) -> None:
    """All five filters (status as the AgentExecutionStatus member): each on its query parameter, in the order the
    caller gave them."""
    names = [p["name"] for p in parameters_of(operation_id, "query")]
    if order == "reversed":
        names.reverse()
    sent = {name: filter_example(operation_id, name) for name in names}
    filters: dict[str, str | AgentExecutionStatus | None] = dict(sent)
    filters["status"] = AgentExecutionStatus(sent["status"])
    path_value = path_parameter(operation_id)["example"]
    items, request = call_operation(prism_url, mode, operation_id, path_value, filters)
    check_request(request, operation_id, path_value)
    assert request.url.params.multi_items() == list(sent.items())
    assert_is_example_list(items, operation_id)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("operation_id", LIST_OPERATIONS)
def test_list_filters_given_as_none_are_sent_empty(prism_url: str, mode: Mode, operation_id: str) -> None:
    """As the official SDK: `key=`, which the spec accepts for every filter."""
    path_value = path_parameter(operation_id)["example"]
    filters: dict[str, str | AgentExecutionStatus | None] = dict.fromkeys(LIST_FILTERS)
    items, request = call_operation(prism_url, mode, operation_id, path_value, filters)
    assert request.url.query == "&".join(f"{name}=" for name in LIST_FILTERS).encode()
    assert_is_example_list(items, operation_id)


@pytest.mark.parametrize("operation_id", LIST_OPERATIONS)
def test_filter_values_are_form_encoded_and_read_back(prism_url: str, operation_id: str) -> None:
    """Reserved characters in a filter value reach the server as the value itself (httpx form encoding)."""
    value = "a b&c=d/é+"
    path_value = path_parameter(operation_id)["example"]
    _, request = call_operation(prism_url, "sync", operation_id, path_value, {"parent_task_id": value})
    assert request.url.params.multi_items() == [("parent_task_id", value)]
    assert b" " not in request.url.raw_path


# -- list items (hypothesis) -------------------------------------------------------------------------------------
LIST_ITEM_PROPERTIES = spec_tools.properties("TasksListItem")
MINIMAL_ITEM = {"id": "t1", "agent_id": "a", "organization_id": "o", "status": "pending"}


def list_items() -> st.SearchStrategy[dict[str, Any]]:
    """Items valid against the spec's TasksListItem: required keys, optional ones missing or null, open `status`
    and `conversation_kind` strings, unknown keys."""
    strategy: st.SearchStrategy[dict[str, Any]] = strategies.SchemaStrategies("response").named("TasksListItem")
    return strategy


def _unset_as_none(value: Any) -> Any:
    return None if isinstance(value, Unset) else value


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def assert_item_parsed_faithfully(data: Mapping[str, Any], item: TasksListItem) -> None:
    """The overlay's item holds what was sent, and agrees with the generated client's model."""
    generated = xpander_api.models.TasksListItem.from_dict(data)
    ours = (item.id, item.agent_id, item.organization_id, item.status.value, item.title, item.result)
    theirs = (
        generated.id,
        generated.agent_id,
        generated.organization_id,
        _enum_value(generated.status),
        _unset_as_none(generated.title),
        _unset_as_none(generated.result),
    )
    assert ours == theirs
    assert ours == tuple(data.get(key) for key in ("id", "agent_id", "organization_id", "status", "title", "result"))
    assert isinstance(item.status, AgentExecutionStatus)
    for key in ("user_id", "parent_task_id", "triggering_agent_id", "source_node_type", "execution_kind", "process"):
        assert getattr(item, key) == data.get(key), key
    kind = item.conversation_kind
    assert (None if kind is None else kind.value) == data.get("conversation_kind")
    assert (None if kind is None else kind.value) == _enum_value(_unset_as_none(generated.conversation_kind))
    for key in ("created_at", "updated_at"):
        sent, parsed = data.get(key), getattr(item, key)
        if sent is None:
            assert parsed is None, key
        else:
            assert isinstance(parsed, datetime.datetime), key
            generated_value = getattr(generated, key)
            if isinstance(generated_value, datetime.datetime):
                assert parsed == generated_value, key
    unknown = {key: value for key, value in data.items() if key not in LIST_ITEM_PROPERTIES}
    assert item.extra == unknown
    assert item.extra == generated.additional_properties


@ITEM_EXAMPLES
@given(data=list_items())
@example(data=MINIMAL_ITEM)
@example(data={**MINIMAL_ITEM, "status": "queued", "conversation_kind": "", "brand_new": {"x": [1, None]}})
@example(data={**MINIMAL_ITEM, "status": "", "conversation_kind": "gateway", "process": {"pid": 7}, "title": None})
def test_any_spec_valid_list_item_parses_as_the_generated_client_does(data: dict[str, Any]) -> None:
    assert spec_tools.violations(spec_tools.validator("TasksListItem", formats=False), data) == []
    assert set(spec_tools.schema("TasksListItem")["required"]) <= set(data)
    assert_item_parsed_faithfully(data, TasksListItem.from_dict(data))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(list_items(), max_size=4))
def test_any_spec_valid_list_parses_item_by_item(data: list[dict[str, Any]]) -> None:
    """The list route's parser: each item of the array, in order, as `from_dict` reads it."""
    items = parse_task_list(httpx.Response(200, json=data), (), TasksListItem.from_dict)
    assert items == [TasksListItem.from_dict(item) for item in data]
    for sent, item in zip(data, items, strict=True):
        assert_item_parsed_faithfully(sent, item)


def test_the_list_examples_of_the_spec_parse_faithfully() -> None:
    for operation_id in LIST_OPERATIONS:
        for data in success_example(operation_id):
            assert spec_tools.violations(spec_tools.validator("TasksListItem"), data) == []
            assert_item_parsed_faithfully(data, TasksListItem.from_dict(data))
    data = spec_tools.schema("TasksListItem")["example"]
    assert_item_parsed_faithfully(data, TasksListItem.from_dict(data))


# -- update bodies (hypothesis) ----------------------------------------------------------------------------------
UpdateCall = tuple[dict[str, Any], dict[str, Any]]


@st.composite
def update_calls(draw: st.DrawFn) -> UpdateCall:
    """(keyword arguments of `update_body`, the body they must give): any subset of UpdateTaskRequest's keys,
    each value drawn from its schema, passed in any order; a status as its string or as the enum member."""
    request = strategies.SchemaStrategies("request")
    properties = spec_tools.properties("UpdateTaskRequest")
    chosen = draw(st.lists(st.sampled_from(list(properties)), unique=True))
    arguments = {key: draw(request.for_schema(properties[key], f"UpdateTaskRequest.{key}")) for key in chosen}
    expected = {key: arguments[key] for key in properties if key in arguments}
    if "status" in arguments and draw(st.booleans()):
        arguments["status"] = AgentExecutionStatus(arguments["status"])
    return arguments, expected


@BODY_EXAMPLES
@given(call=update_calls())
@example(call=({}, {}))
@example(call=({"result": ""}, {"result": ""}))
@example(call=({"tool_call_payload_extension": {}}, {"tool_call_payload_extension": {}}))
def test_update_body_from_spec_valid_arguments_is_valid_and_in_the_official_order(call: UpdateCall) -> None:
    arguments, expected = call
    body = update_body(**{key: arguments.get(key) for key in UPDATE_PROPERTIES})
    assert body == expected
    assert list(body) == [key for key in UPDATE_PROPERTIES if key in expected]
    assert compact(body) == compact(expected)
    assert spec_tools.violations(spec_tools.validator("UpdateTaskRequest"), body) == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=update_calls())
def test_update_sends_the_update_body(call: UpdateCall) -> None:
    """The same property through the public `Tasks.update`, on the bytes that reach the transport."""
    arguments, expected = call
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=success_example("update_task"))

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        tasks = Tasks(Configuration(api_key="k", base_url="http://127.0.0.1:9"), http_client=client, max_retries=0)
        assert tasks.update("task-1", **arguments).status.value == "completed"
    (request,) = sent
    assert request.content == compact(expected)
    assert request.url.raw_path == expected_path("update_task", "task-1")
