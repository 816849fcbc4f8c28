"""Drift guards: openapi.yaml and the hand-written overlay describe the same API.

They fail, naming what drifted, when the spec gains or loses a request key without a matching `acreate`
parameter, when a default differs, when a `Task` (or `TasksListItem`...) property has no attribute, when an
UpdateTaskRequest key is not one `update_body` writes, when an operation has no `Tasks` method that sends it or
the list filters are not the spec's query parameters, when an enum's members differ (overlay, generated client
and spec), or when an error status of the spec does not raise its exception.
Each check is a function of the spec, so that a test can show it catches a changed copy of the spec.
"""

from __future__ import annotations

import asyncio
import copy
import enum
import functools
import inspect
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import httpx
import pytest

import xpander_api.models
import xpander_sdk._agents
import xpander_sdk._task_model
import xpander_sdk.models
import xpander_sdk.models.activity
import xpander_sdk.models.events
from tests import spec_tools
from tests.mock_api import MINIMAL_TASK, FakeAPI
from xpander_sdk import (
    AuthenticationError,
    BadRequestError,
    Configuration,
    ConflictError,
    InternalServerError,
    ModuleException,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Tasks,
    UnprocessableEntityError,
)
from xpander_sdk._bodies import LIST_FILTERS, update_body
from xpander_sdk._create_body import HARNESS_CLIS, PERMISSION_MODES
from xpander_sdk.exceptions import APIStatusError, status_error_class

# Defaults of parameters whose spec key has no `default` (any other such parameter must default to None).
DEFAULTS_WITHOUT_SPEC_DEFAULT: dict[str, Any] = {"prompt": "", "think_mode": "default"}
# Spec enums the overlay keeps as a set of accepted strings rather than an enum class.
ENUMS_AS_SETS: dict[str, frozenset[str]] = {"HarnessCLI": HARNESS_CLIS, "PermissionMode": PERMISSION_MODES}
# Response schemas and the overlay class each is parsed into (the request-side value objects too).
OVERLAY_CLASSES: dict[str, type[Any]] = {
    "Task": xpander_sdk._task_model.Task,
    "Agent": xpander_sdk._agents.Agent,
    "TasksListItem": xpander_sdk._task_model.TasksListItem,
    "TaskInputRecord": xpander_sdk.models.TaskInput,
    "UserRecord": xpander_sdk.models.User,
    "PrincipalRecord": xpander_sdk.models.Principal,
    "AttachmentRecord": xpander_sdk.models.AttachmentRef,
    "MCPServerRecord": xpander_sdk.models.MCPServerDetails,
    "HITLRequest": xpander_sdk.models.HITLRequest,
    "PendingECARequest": xpander_sdk.models.PendingECARequest,
    "DeepPlanning": xpander_sdk.models.DeepPlanning,
    "DeepPlanningTask": xpander_sdk.models.DeepPlanningTask,
    "TokenUsage": xpander_sdk.models.TokenUsage,
    "User": xpander_sdk.models.User,
    "Principal": xpander_sdk.models.Principal,
    "AttachmentRef": xpander_sdk.models.AttachmentRef,
    "MCPServerDetails": xpander_sdk.models.MCPServerDetails,
    "TaskUpdateEvent": xpander_sdk.models.events.TaskUpdateEvent,
    "MessageIdentity": xpander_sdk.models.events.MessageIdentity,
    "AgentActivityThread": xpander_sdk.models.activity.AgentActivityThread,
}
# Attributes of the overlay classes that are not a key of their schema: `extra` (the keys this version does not
# know, as the server sent them). Private attributes (`_owner`: the Tasks that made the object) are not either.
# `event_id` (an event's SSE `id:` line, not a key of its JSON) neither.
OVERLAY_ONLY_ATTRIBUTES = frozenset({"extra", "event_id"})
# Request schemas: sent, never parsed into an overlay class.
REQUEST_SCHEMAS = frozenset(
    {
        "CreateTaskRequest",
        "TaskInput",
        "UpdateTaskRequest",
        "ExecutionMetricsReport",
        "ExecutionTokens",
        "ReportedTokens",
        "TaskReportRequest",
        "WorkerEvent",
        "WorkerCapacity",
    }
)
# Controller messages a worker reads one key of (`_worker_link`): not parsed into an overlay class.
WORKER_READ_KEYS = {"DeployedAsset": "id", "WorkerEnvironmentConflict": "error"}
# Operations sent by Task methods (async, sync) under another root (the events root), checked in
# tests/test_events_unit.py.
TASK_OPERATIONS: dict[str, tuple[str, str]] = {"get_task_events": ("aevents", "events")}
# Operations sent by the worker side (Task, Agents, Backend methods), whose requests are checked by their own tests
# (tests/test_worker_side*.py, tests/test_activity_log.py).
WORKER_OPERATIONS = frozenset(
    {
        "get_task_activity_log",
        "report_execution_metrics",
        "report_external_task",
        "push_task_events",
        "get_agent",
        "register_worker",
        "send_worker_event",
    }
)
# Every operation of the spec, and the Tasks methods (async, sync) that send it.
OPERATION_METHODS: dict[str, tuple[str, str]] = {
    "create_task": ("acreate", "create"),
    "get_task": ("aget", "get"),
    "stop_task": ("astop", "stop"),
    "update_task": ("aupdate", "update"),
    "list_agent_tasks": ("alist", "list"),
    "list_user_tasks": ("alist_user_tasks", "list_user_tasks"),
}
# Arguments with which each operation's methods send a request.
OPERATION_ARGUMENTS: dict[str, dict[str, Any]] = {
    "create_task": {"agent_id": "agent-123", "prompt": "hi"},
    "get_task": {"task_id": "t1"},
    "stop_task": {"task_id": "t1"},
    "update_task": {"task_id": "t1", "result": "r"},
    "list_agent_tasks": {"agent_id": "agent-123"},
    "list_user_tasks": {"user_id": "u1"},
}
# One value per parameter of `_bodies.update_body`, to see every key it can write.
UPDATE_BODY_VALUES: dict[str, Any] = {
    "tool_call_payload_extension": {"headers": {"x": "y"}},
    "source": "sdk",
    "status": "completed",
    "last_executed_node_id": "node-7",
    "result": "r",
}
ERROR_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    500: InternalServerError,
    503: InternalServerError,
}


# -- the checks ------------------------------------------------------------------------------------------------
def request_parameter_drift(spec: spec_tools.Spec, parameters: Mapping[str, inspect.Parameter]) -> list[str]:
    """Wire keys without a parameter, and parameters without a wire key."""
    wire_keys = spec_tools.request_wire_keys(spec)
    by_parameter = {spec_tools.parameter_for(key): key for key in wire_keys}
    problems = [
        f"the spec's {key} has no acreate parameter {spec_tools.parameter_for(key)!r}"
        for key in wire_keys
        if spec_tools.parameter_for(key) not in parameters
    ]
    problems += [f"acreate's {name!r} sends no key of the spec" for name in parameters if name not in by_parameter]
    return problems


def _comparable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _spec_default(node: Mapping[str, Any], spec: spec_tools.Spec) -> tuple[bool, Any]:
    """(whether the key has a default, the default), looking through a `$ref`."""
    for candidate in (node, spec_tools.resolve(node, spec)):
        if "default" in candidate:
            return True, candidate["default"]
    return False, None


def default_drift(spec: spec_tools.Spec, parameters: Mapping[str, inspect.Parameter]) -> list[str]:
    """Parameters whose default is not the spec's (or None, where the spec has no default)."""
    problems = []
    for key, node in spec_tools.request_wire_keys(spec).items():
        name = spec_tools.parameter_for(key)
        parameter = parameters.get(name)
        if parameter is None:
            continue  # reported by request_parameter_drift
        actual = parameter.default
        if node.get("x-required"):
            if actual is not inspect.Parameter.empty:
                problems.append(f"{name} is required by the spec ({key}) but defaults to {actual!r}")
            continue
        if actual is inspect.Parameter.empty:
            problems.append(f"{name} is required, but the spec's {key} is optional")
            continue
        has_default, expected = _spec_default(node, spec)
        if not has_default:
            expected = DEFAULTS_WITHOUT_SPEC_DEFAULT.get(name)
        if _comparable(actual) != expected or type(_comparable(actual)) is not type(expected):
            problems.append(f"{name} defaults to {actual!r}, the spec's {key} to {expected!r}")
    return problems


def enum_drift(spec: spec_tools.Spec) -> list[str]:
    """Spec enums whose overlay counterpart has other member names or values."""
    problems = []
    for name, (values, varnames) in spec_tools.enum_schemas(spec).items():
        if len(values) != len(varnames):
            problems.append(f"{name}: x-enum-varnames {varnames} does not name each of {values}")
        if name in ENUMS_AS_SETS:
            if ENUMS_AS_SETS[name] != set(values):
                problems.append(f"{name}: the overlay accepts {sorted(ENUMS_AS_SETS[name])}, the spec {values}")
            continue
        overlay = getattr(xpander_sdk.models, name, None) or getattr(xpander_sdk.models.events, name, None)
        if not (isinstance(overlay, type) and issubclass(overlay, enum.Enum)):
            problems.append(f"{name}: xpander_sdk.models has no enum {name}")
            continue
        members = [(member.name, member.value) for member in overlay]
        if members != list(zip(varnames, values, strict=False)):
            problems.append(f"{name}: the overlay has {members}, the spec {list(zip(varnames, values, strict=False))}")
    return problems


def attribute_drift(spec: spec_tools.Spec, schema_name: str, cls: type[Any]) -> list[str]:
    """Schema properties without an attribute of the overlay class, and attributes without a property."""
    keys = set(spec_tools.properties(schema_name, spec))
    names = (
        [attribute.name for attribute in attrs.fields(cls)]
        if attrs.has(cls)
        else [name for name, member in vars(cls).items() if isinstance(member, property)]  # a lazy event
    )
    attributes = {name for name in names if not name.startswith("_") and name not in OVERLAY_ONLY_ATTRIBUTES}
    problems = [f"{schema_name}.{key} is not an attribute of {cls.__name__}" for key in sorted(keys - attributes)]
    problems += [f"{cls.__name__}.{name} is not a key of {schema_name}" for name in sorted(attributes - keys)]
    return problems


def update_key_drift(spec: spec_tools.Spec, written: Sequence[str]) -> list[str]:
    """UpdateTaskRequest's keys that `update_body` cannot write, and keys it writes that the schema lacks."""
    keys = list(spec_tools.properties("UpdateTaskRequest", spec))
    problems = [f"UpdateTaskRequest.{key} is not a key update_body writes" for key in keys if key not in written]
    problems += [
        f"update_body writes {key!r}, which is not a key of UpdateTaskRequest" for key in written if key not in keys
    ]
    return problems


def spec_operations(spec: spec_tools.Spec) -> dict[str, tuple[str, str]]:
    """Every operation of the spec: operationId -> (HTTP method, path template)."""
    return {
        node["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, node in item.items()
        if isinstance(node, Mapping) and "operationId" in node
    }


def operation_at(spec: spec_tools.Spec, method: str, path: str) -> str | None:
    """The operationId that serves `method path` (a path template's literal segments win over its parameters, as
    in OpenAPI), None when no operation does."""
    matches = []
    for operation_id, (operation_method, template) in spec_operations(spec).items():
        pattern = "/".join("[^/]+" if part.startswith("{") else re.escape(part) for part in template.split("/"))
        if operation_method == method and re.fullmatch(pattern, path):
            matches.append((template.count("{"), operation_id))
    return min(matches)[1] if matches else None


def operation_drift(spec: spec_tools.Spec, sent: Mapping[str, tuple[str, str]]) -> list[str]:
    """Operations without Tasks methods, methods of operations the spec lacks, and methods whose request (`sent`:
    method name -> (HTTP method, path)) is not their operation's."""
    operations = spec_operations(spec)
    problems = [
        f"the spec's {op} has no Tasks method"
        for op in operations
        if op not in OPERATION_METHODS and op not in TASK_OPERATIONS and op not in WORKER_OPERATIONS
    ]
    for operation_id, names in OPERATION_METHODS.items():
        if operation_id not in operations:
            problems.append(f"Tasks.{'/'.join(names)} use {operation_id}, which is not an operation of the spec")
            continue
        for name in names:
            method, path = sent[name]
            found = operation_at(spec, method, path)
            if found != operation_id:
                problems.append(f"Tasks.{name} sends {method} {path}: {found or 'no operation'}, not {operation_id}")
    return problems


def query_parameter_drift(spec: spec_tools.Spec, operation_id: str) -> list[str]:
    """The operation's query parameters, when they are not the list filters of the SDK in their order."""
    method, path = spec_operations(spec)[operation_id]
    parameters = spec["paths"][path][method.lower()].get("parameters", [])
    names = [p["name"] for p in (spec_tools.resolve(p, spec) for p in parameters) if p["in"] == "query"]
    if names == list(LIST_FILTERS):
        return []
    return [f"{operation_id}'s query parameters are {names}, the SDK's filters {list(LIST_FILTERS)}"]


@functools.cache
def requests_sent() -> dict[str, tuple[str, str]]:
    """What each Tasks method of `OPERATION_METHODS` sends: method name -> (HTTP method, raw path)."""
    api = FakeAPI(
        [lambda request: httpx.Response(200, json=[] if b"/history/" in request.url.raw_path else MINIMAL_TASK)]
    )
    transport = httpx.MockTransport(api)
    configuration = Configuration(api_key="test-key", base_url="https://api.test")
    sent: dict[str, tuple[str, str]] = {}
    with httpx.Client(transport=transport) as client:
        async_client = httpx.AsyncClient(transport=transport)
        tasks = Tasks(configuration, http_client=client, async_http_client=async_client, max_retries=0)
        for operation_id, (async_name, sync_name) in OPERATION_METHODS.items():
            arguments = OPERATION_ARGUMENTS[operation_id]
            getattr(tasks, sync_name)(**arguments)
            asyncio.run(getattr(tasks, async_name)(**arguments))
            for name, request in zip((sync_name, async_name), api.requests[-2:], strict=True):
                sent[name] = (request.method, request.url.raw_path.decode().partition("?")[0])
        asyncio.run(async_client.aclose())
    return sent


# -- request keys and parameters ---------------------------------------------------------------------------------
def test_every_request_key_has_a_parameter_and_back() -> None:
    assert request_parameter_drift(spec_tools.load_spec(), spec_tools.acreate_parameters()) == []


def test_the_renamed_keys_are_keys_of_the_spec() -> None:
    """The rename table has no stale entries (a key the spec dropped)."""
    assert set(spec_tools.RENAMED_PARAMETERS) <= set(spec_tools.request_wire_keys())


def test_request_drift_is_caught_both_ways() -> None:
    """The check itself: a key added to the spec, or a parameter the spec lost, is named."""
    spec = copy.deepcopy(spec_tools.load_spec())
    spec["components"]["schemas"]["CreateTaskRequest"]["properties"]["priority"] = {"type": ["integer", "null"]}
    spec["components"]["schemas"]["TaskInput"]["properties"]["voice"] = {"type": ["string", "null"]}
    del spec["components"]["schemas"]["CreateTaskRequest"]["properties"]["title"]
    spec["paths"][spec_tools.OPERATION_PATH]["post"]["parameters"].append(
        {"name": "x-trace", "in": "header", "required": False, "schema": {"type": "string"}}
    )
    problems = request_parameter_drift(spec, spec_tools.acreate_parameters())
    assert problems == [
        "the spec's input.voice has no acreate parameter 'voice'",
        "the spec's priority has no acreate parameter 'priority'",
        "the spec's header:x-trace has no acreate parameter 'x-trace'",
        "acreate's 'title' sends no key of the spec",
    ]


def test_parameter_defaults_match_the_spec() -> None:
    assert default_drift(spec_tools.load_spec(), spec_tools.acreate_parameters()) == []


def test_default_drift_is_caught() -> None:
    spec = copy.deepcopy(spec_tools.load_spec())
    properties = spec["components"]["schemas"]["CreateTaskRequest"]["properties"]
    properties["run_locally"]["default"] = True
    properties["title"]["default"] = "untitled"
    del properties["mcp_servers"]["default"]
    properties["think_mode"]["default"] = "harder"
    problems = default_drift(spec, spec_tools.acreate_parameters())
    assert problems == [
        "run_locally defaults to False, the spec's run_locally to True",
        "mcp_servers defaults to (), the spec's mcp_servers to None",
        "title defaults to None, the spec's title to 'untitled'",
        "think_mode defaults to <ThinkMode.Default: 'default'>, the spec's think_mode to 'harder'",
    ]


def test_create_takes_exactly_the_parameters_of_acreate() -> None:
    """The checks above read `acreate`; the sync `create` must not drift from it."""

    def described(method: Any) -> list[tuple[str, Any, Any, Any]]:
        parameters = inspect.signature(method).parameters.values()
        return [(p.name, p.kind, p.default, p.annotation) for p in parameters]

    assert described(Tasks.create) == described(Tasks.acreate)


def test_agent_id_is_the_required_path_parameter() -> None:
    parameters = spec_tools.acreate_parameters()
    assert next(iter(parameters)) == "agent_id"
    assert parameters["agent_id"].default is inspect.Parameter.empty
    assert spec_tools.request_wire_keys()["path:agent_id"]["x-required"] is True


# -- Task and the value objects ----------------------------------------------------------------------------------
@pytest.mark.parametrize("schema_name", list(OVERLAY_CLASSES))
def test_schema_properties_are_overlay_attributes(schema_name: str) -> None:
    assert attribute_drift(spec_tools.load_spec(), schema_name, OVERLAY_CLASSES[schema_name]) == []


def test_every_object_schema_has_an_overlay_class() -> None:
    """A new object schema in the spec needs its overlay class (and a row in OVERLAY_CLASSES)."""
    objects = {
        name for name, node in spec_tools.schemas().items() if node.get("type") == "object" and node.get("properties")
    }
    not_parsed = REQUEST_SCHEMAS | WORKER_READ_KEYS.keys() | {"ErrorResponse", "HTTPValidationError", "ValidationError"}
    assert objects - not_parsed == set(OVERLAY_CLASSES)


@pytest.mark.parametrize(("schema_name", "key"), WORKER_READ_KEYS.items())
def test_the_key_a_worker_reads_is_required_by_its_schema(schema_name: str, key: str) -> None:
    schema = spec_tools.schemas()[schema_name]
    assert key in schema["required"]
    assert schema["properties"][key]["type"] == "string"


def test_task_attribute_drift_is_caught() -> None:
    spec = copy.deepcopy(spec_tools.load_spec())
    spec["components"]["schemas"]["Task"]["properties"]["priority"] = {"type": ["integer", "null"]}
    del spec["components"]["schemas"]["Task"]["properties"]["title"]
    assert attribute_drift(spec, "Task", xpander_sdk._task_model.Task) == [
        "Task.priority is not an attribute of Task",
        "Task.title is not a key of Task",
    ]


def test_list_item_attribute_drift_is_caught() -> None:
    spec = copy.deepcopy(spec_tools.load_spec())
    spec["components"]["schemas"]["TasksListItem"]["properties"]["priority"] = {"type": ["integer", "null"]}
    del spec["components"]["schemas"]["TasksListItem"]["properties"]["process"]
    assert attribute_drift(spec, "TasksListItem", xpander_sdk._task_model.TasksListItem) == [
        "TasksListItem.priority is not an attribute of TasksListItem",
        "TasksListItem.process is not a key of TasksListItem",
    ]


def test_private_attributes_and_extra_are_not_schema_keys() -> None:
    """`_requestor` and `extra` are left out of the comparison, any other attribute is not."""
    assert {"_requestor", "extra"} <= {attribute.name for attribute in attrs.fields(xpander_sdk._task_model.Task)}
    assert {"_requestor", "extra"} <= {
        attribute.name for attribute in attrs.fields(xpander_sdk._task_model.TasksListItem)
    }

    @attrs.define
    class Probe:
        id: str
        extra: dict[str, Any] = attrs.field(factory=dict)
        bogus: int = 0
        _secret: int = attrs.field(default=0, init=False)

    assert attribute_drift(spec_tools.load_spec(), "TokenUsage", Probe) == [
        f"TokenUsage.{key} is not an attribute of Probe" for key in sorted(spec_tools.properties("TokenUsage"))
    ] + ["Probe.bogus is not a key of TokenUsage", "Probe.id is not a key of TokenUsage"]


def test_task_requestor_is_no_wire_key() -> None:
    """The private `_requestor` (what the task sends through) is not set by the constructor, not parsed, and
    never sent."""
    requestor = attrs.fields(xpander_sdk._task_model.Task)._requestor
    assert requestor.init is False
    assert not requestor.eq
    assert not requestor.repr
    task = xpander_sdk._task_model.Task.from_dict({**MINIMAL_TASK, "_requestor": "x"})
    assert task._requestor is None
    assert task.extra == {"_requestor": "x"}
    assert "_requestor" not in task.to_save_body(with_deep_plan_update=True)


# -- update_task's body ------------------------------------------------------------------------------------------
def update_body_keys() -> list[str]:
    """Every key `update_body` writes, when each of its parameters is set."""
    return list(update_body(**UPDATE_BODY_VALUES))


def test_update_body_values_cover_its_parameters() -> None:
    assert list(inspect.signature(update_body).parameters) == list(UPDATE_BODY_VALUES)


def test_update_body_writes_every_key_of_update_task_request_and_back() -> None:
    assert update_key_drift(spec_tools.load_spec(), update_body_keys()) == []
    assert update_body_keys() == list(spec_tools.properties("UpdateTaskRequest")), "in the spec's order"


def test_update_takes_the_parameters_of_update_body() -> None:
    """`aupdate`/`update` take `task_id`, then update_body's parameters, in its order, defaulting to None."""
    for method in (Tasks.aupdate, Tasks.update):
        parameters = inspect.signature(method).parameters.values()
        official = [p for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
        assert [p.name for p in official] == ["self", "task_id", *UPDATE_BODY_VALUES]
        assert all(p.default is None for p in official[2:])


def test_update_key_drift_is_caught_both_ways() -> None:
    spec = copy.deepcopy(spec_tools.load_spec())
    properties = spec["components"]["schemas"]["UpdateTaskRequest"]["properties"]
    properties["priority"] = {"type": "integer"}
    del properties["result"]
    assert update_key_drift(spec, update_body_keys()) == [
        "UpdateTaskRequest.priority is not a key update_body writes",
        "update_body writes 'result', which is not a key of UpdateTaskRequest",
    ]


# -- operations ----------------------------------------------------------------------------------------------
def test_every_operation_has_the_tasks_methods_that_send_it() -> None:
    assert set(OPERATION_ARGUMENTS) == set(OPERATION_METHODS)
    assert operation_drift(spec_tools.load_spec(), requests_sent()) == []


def test_requests_sent_are_matched_to_their_operations() -> None:
    """The matcher itself: each method's request, against the spec's templates."""
    sent = requests_sent()
    spec = spec_tools.load_spec()
    assert sent["get"] == ("GET", "/agent-execution/t1/status")
    assert operation_at(spec, "DELETE", "/agent-execution/t1") == "stop_task"
    assert operation_at(spec, "POST", "/agent-execution/t1") == "create_task"
    assert operation_at(spec, "GET", "/agent-execution/executions/history/user/u1") == "list_user_tasks"
    assert operation_at(spec, "GET", "/agent-execution/executions/history/u1") == "list_agent_tasks"
    assert operation_at(spec, "PUT", "/agent-execution/t1/update") is None
    assert operation_at(spec, "GET", "/agent-execution/t1/status/more") is None


def test_operation_drift_is_caught() -> None:
    """A new operation, a renamed one and a moved route are each named."""
    spec = copy.deepcopy(spec_tools.load_spec())
    paths = spec["paths"]
    paths["/agent-execution/{task_id}/wait"] = {"get": {"operationId": "wait_task", "responses": {}}}
    paths["/agent-execution/{task_id}/state"] = paths.pop("/agent-execution/{task_id}/status")
    paths["/agent-execution/{agent_id}"]["delete"]["operationId"] = "cancel_task"
    assert operation_drift(spec, requests_sent()) == [
        "the spec's cancel_task has no Tasks method",
        "the spec's wait_task has no Tasks method",
        "Tasks.aget sends GET /agent-execution/t1/status: no operation, not get_task",
        "Tasks.get sends GET /agent-execution/t1/status: no operation, not get_task",
        "Tasks.astop/stop use stop_task, which is not an operation of the spec",
    ]


@pytest.mark.parametrize("operation_id", ["list_agent_tasks", "list_user_tasks"])
def test_list_query_parameters_are_the_sdk_filters_in_order(operation_id: str) -> None:
    assert query_parameter_drift(spec_tools.load_spec(), operation_id) == []


def test_query_parameter_drift_is_caught() -> None:
    spec = copy.deepcopy(spec_tools.load_spec())
    parameters = spec["paths"]["/agent-execution/executions/history/{agent_id}"]["get"]["parameters"]
    parameters[1], parameters[2] = parameters[2], parameters[1]
    parameters.append({"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}})
    assert query_parameter_drift(spec, "list_agent_tasks") == [
        "list_agent_tasks's query parameters are "
        "['parent_task_id', 'user_id', 'triggering_agent_id', 'status', 'internal_status', 'limit'], "
        "the SDK's filters ['user_id', 'parent_task_id', 'triggering_agent_id', 'status', 'internal_status']"
    ]


# -- enums -----------------------------------------------------------------------------------------------------
def test_spec_enums_match_the_overlay() -> None:
    assert enum_drift(spec_tools.load_spec()) == []


def test_enum_drift_is_caught() -> None:
    spec = copy.deepcopy(spec_tools.load_spec())
    schemas = spec["components"]["schemas"]
    schemas["ThinkMode"]["enum"].append("hardest")
    schemas["ThinkMode"]["x-enum-varnames"].append("Hardest")
    schemas["OutputFormat"]["x-enum-varnames"][1] = "MarkDown"
    schemas["HarnessCLI"]["enum"].append("aider")
    schemas["HarnessCLI"]["x-enum-varnames"].append("Aider")
    schemas["Region"] = {"type": "string", "enum": ["eu"], "x-enum-varnames": ["EU"]}
    problems = enum_drift(spec)
    assert len(problems) == 4
    assert [problem.split(":")[0] for problem in problems] == ["OutputFormat", "ThinkMode", "HarnessCLI", "Region"]


def overlay_enums() -> dict[str, type[enum.Enum]]:
    """The enums xpander_sdk.models (and its `events` module) define, by name; a base without members
    (`OpenEnum`) is not one."""
    return {
        name: value
        for module in (xpander_sdk.models, xpander_sdk.models.events)
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, enum.Enum)
        and value.__module__ == module.__name__
        and len(value.__members__) > 0
    }


def test_every_overlay_enum_is_in_the_spec() -> None:
    assert set(overlay_enums()) == set(spec_tools.enum_schemas()) - set(ENUMS_AS_SETS)
    assert "ConversationKind" in overlay_enums()


@pytest.mark.parametrize("name", list(spec_tools.enum_schemas()))
def test_generated_enum_has_the_spec_and_overlay_values(name: str) -> None:
    values, _ = spec_tools.enum_schemas()[name]
    generated = getattr(xpander_api.models, name)
    assert sorted(member.value for member in generated) == sorted(values)  # the generator sorts members
    overlay = ENUMS_AS_SETS.get(name)
    if overlay is None:
        assert [member.value for member in overlay_enums()[name]] == values
    else:
        assert overlay == {member.value for member in generated}


# -- error statuses --------------------------------------------------------------------------------------------
def test_every_error_status_of_the_spec_has_its_exception() -> None:
    assert set(spec_tools.error_responses()) == set(ERROR_CLASSES)
    for status, cls in ERROR_CLASSES.items():
        assert status_error_class(status) is cls, status


@pytest.mark.parametrize("status", sorted(spec_tools.error_responses()))
def test_error_status_from_prism_raises_its_exception(prism_url: str, status: int) -> None:
    """Prism answers the spec's example for `Prefer: code=N`; the SDK raises the class of N with its details."""
    response = spec_tools.error_responses()[status]
    example = spec_tools.response_example(response)
    transport = spec_tools.RecordingTransport()
    with httpx.Client(transport=transport, headers={"Prefer": f"code={status}"}) as client:
        tasks = Tasks(Configuration(api_key="test-api-key", base_url=prism_url), http_client=client)
        with pytest.raises(ModuleException) as caught:
            tasks.create(agent_id="agent-123", prompt="hi", max_retries=0)

    error = caught.value
    assert type(error) is ERROR_CLASSES[status]
    assert error.status_code == status
    assert len(transport.requests) == 1, "max_retries=0 must not retry"
    assert error.response is not None
    assert "sl-violations" not in error.response.headers, error.response.headers["sl-violations"]
    assert error.body == example
    retry_after = spec_tools.header_example(response, "Retry-After")
    assert isinstance(error, APIStatusError)
    assert error.retry_after == (None if retry_after is None else float(retry_after))
    assert error.outcome_unknown is (status >= 500 and status != 503)
    if isinstance(example.get("detail"), str):
        assert error.description == example["detail"]
    if status == 422:
        assert isinstance(error, UnprocessableEntityError)
        assert error.errors, "a 422 must carry its field errors"
        assert [(e.loc, e.msg, e.type) for e in error.errors] == [
            (tuple(item["loc"]), item["msg"], item["type"]) for item in example["detail"]
        ]
        assert error.errors[0].field == "tool_call_limit"
    if status == 429:
        assert error.retry_after == 2.0


def test_without_prefer_the_same_call_succeeds(prism_url: str) -> None:
    """Without `Prefer`, the same call succeeds: the errors above come from the header, not the request."""
    with httpx.Client() as client:
        tasks = Tasks(Configuration(api_key="test-api-key", base_url=prism_url), http_client=client)
        assert tasks.create(agent_id="agent-123", prompt="hi", max_retries=0).agent_id == "agent-123"
