"""Drift guards: openapi.yaml and the hand-written overlay describe the same API.

They fail, naming what drifted, when the spec gains or loses a request key without a matching `acreate`
parameter, when a default differs, when a `Task` property has no attribute, when an enum's members differ
(overlay, generated client and spec), or when an error status of the spec does not raise its exception.
Each check is a function of the spec, so that a test can show it catches a changed copy of the spec.
"""

from __future__ import annotations

import copy
import enum
import inspect
from collections.abc import Mapping
from typing import Any

import attrs
import httpx
import pytest

import xpander_api.models
import xpander_sdk.models
import xpander_sdk.task
from tests import spec_tools
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
from xpander_sdk._request import HARNESS_CLIS, PERMISSION_MODES
from xpander_sdk.exceptions import APIStatusError, status_error_class

# Defaults of parameters whose spec key has no `default` (any other such parameter must default to None).
DEFAULTS_WITHOUT_SPEC_DEFAULT: dict[str, Any] = {"prompt": "", "think_mode": "default"}
# Spec enums the overlay keeps as a set of accepted strings rather than an enum class.
ENUMS_AS_SETS: dict[str, frozenset[str]] = {"HarnessCLI": HARNESS_CLIS, "PermissionMode": PERMISSION_MODES}
# Response schemas and the overlay class each is parsed into (the request-side value objects too).
OVERLAY_CLASSES: dict[str, type[Any]] = {
    "Task": xpander_sdk.task.Task,
    "TaskInputRecord": xpander_sdk.task.TaskInput,
    "UserRecord": xpander_sdk.models.User,
    "PrincipalRecord": xpander_sdk.models.Principal,
    "AttachmentRecord": xpander_sdk.models.AttachmentRef,
    "MCPServerRecord": xpander_sdk.models.MCPServerDetails,
    "HITLRequest": xpander_sdk.task.HITLRequest,
    "PendingECARequest": xpander_sdk.task.PendingECARequest,
    "DeepPlanning": xpander_sdk.task.DeepPlanning,
    "DeepPlanningTask": xpander_sdk.task.DeepPlanningTask,
    "TokenUsage": xpander_sdk.task.TokenUsage,
    "User": xpander_sdk.models.User,
    "Principal": xpander_sdk.models.Principal,
    "AttachmentRef": xpander_sdk.models.AttachmentRef,
    "MCPServerDetails": xpander_sdk.models.MCPServerDetails,
}
# Attributes of an overlay class that are not a key of its schema.
OVERLAY_ONLY_ATTRIBUTES: dict[str, set[str]] = {"Task": {"extra"}}
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
        overlay = getattr(xpander_sdk.models, name, None)
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
    attributes = {attribute.name for attribute in attrs.fields(cls)} - OVERLAY_ONLY_ATTRIBUTES.get(schema_name, set())
    problems = [f"{schema_name}.{key} is not an attribute of {cls.__name__}" for key in sorted(keys - attributes)]
    problems += [f"{cls.__name__}.{name} is not a key of {schema_name}" for name in sorted(attributes - keys)]
    return problems


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
    not_parsed = {"CreateTaskRequest", "TaskInput", "ErrorResponse", "HTTPValidationError", "ValidationError"}
    assert objects - not_parsed == set(OVERLAY_CLASSES)


def test_task_attribute_drift_is_caught() -> None:
    spec = copy.deepcopy(spec_tools.load_spec())
    spec["components"]["schemas"]["Task"]["properties"]["priority"] = {"type": ["integer", "null"]}
    del spec["components"]["schemas"]["Task"]["properties"]["title"]
    assert attribute_drift(spec, "Task", xpander_sdk.task.Task) == [
        "Task.priority is not an attribute of Task",
        "Task.title is not a key of Task",
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


def test_every_overlay_enum_is_in_the_spec() -> None:
    overlay = {
        name
        for name, value in vars(xpander_sdk.models).items()
        if isinstance(value, type) and issubclass(value, enum.Enum) and value.__module__ == xpander_sdk.models.__name__
    }
    assert overlay == set(spec_tools.enum_schemas()) - set(ENUMS_AS_SETS)


@pytest.mark.parametrize("name", list(spec_tools.enum_schemas()))
def test_generated_enum_has_the_spec_and_overlay_values(name: str) -> None:
    values, _ = spec_tools.enum_schemas()[name]
    generated = getattr(xpander_api.models, name)
    assert sorted(member.value for member in generated) == sorted(values)  # the generator sorts members
    overlay = ENUMS_AS_SETS.get(name)
    if overlay is None:
        assert [member.value for member in getattr(xpander_sdk.models, name)] == values
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
