"""Property-based contract tests (hypothesis), all in-process and fast.

Requests: arguments drawn from the spec's request schema always build a body that is valid against
`CreateTaskRequest` and is exactly what the official SDK sends for them. Responses: any JSON the spec's lenient
`Task` schema allows (missing optional keys, unknown keys, unknown enum values) parses, and keeps what it was
sent. Also: every example in openapi.yaml and the reference fixtures are valid against their schemas.
"""

from __future__ import annotations

import copy
import datetime
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings

from tests import spec_tools, strategies
from tests.conftest import load_fixture
from xpander_sdk import Configuration, Task, Tasks
from xpander_sdk._bodies import CreateArguments
from xpander_sdk._create_body import build_body
from xpander_sdk._routes import parse_task

REQUEST_EXAMPLES = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RESPONSE_EXAMPLES = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MINIMAL_TASK = {
    "id": "t1",
    "agent_id": "agent-123",
    "organization_id": "o",
    "input": {"text": "x"},
    "created_at": "2025-01-01T00:00:00Z",
}


def assert_is_the_official_body(body: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal, valid, and byte for byte the same JSON (key order everywhere, `input.user` too; `1` vs `true`)."""
    assert spec_tools.violations(spec_tools.validator("CreateTaskRequest"), body) == []
    assert body == expected
    assert json.dumps(body) == json.dumps(expected)


# -- requests ----------------------------------------------------------------------------------------------------
@REQUEST_EXAMPLES
@given(call=strategies.create_calls())
def test_body_built_from_spec_valid_arguments_is_valid_and_official(
    call: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    arguments, expected = call
    assert_is_the_official_body(build_body(CreateArguments.of(arguments)), expected)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=strategies.create_calls())
def test_create_sends_the_official_body(call: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """The same property through the public `Tasks.create`, on the bytes that reach the transport."""
    arguments, expected = call
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=MINIMAL_TASK)

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        tasks = Tasks(Configuration(api_key="k", base_url="http://127.0.0.1:9"), http_client=client, max_retries=0)
        official = {name: arguments[name] for name in spec_tools.acreate_parameters()}
        assert tasks.create(**official).id == "t1"
    assert len(sent) == 1
    assert_is_the_official_body(json.loads(sent[0].content), expected)


def test_strategies_refuse_schema_keywords_they_do_not_know() -> None:
    """A constraint added to the spec must be taught to the strategies, not silently ignored."""
    request = strategies.SchemaStrategies("request")
    with pytest.raises(NotImplementedError, match="maxLength"):
        request.for_schema({"type": "string", "maxLength": 3}, "Thing.name")
    with pytest.raises(NotImplementedError, match="uuid"):
        request.for_schema({"type": "string", "format": "uuid"}, "Thing.id")


def test_the_strategies_cover_the_whole_request_schema() -> None:
    """Every schema the request uses gets a strategy (building them walks every keyword)."""
    request = strategies.SchemaStrategies("request", strategies.REQUEST_OVERRIDES)
    for key, node in spec_tools.request_wire_keys().items():
        request.for_schema(node, key).validate()


# -- responses ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field",
    [
        *spec_tools.TASK_ENUM_DEFAULTS,
        *(f"mcp_servers[].{name}" for name in ("type", "transport", "auth_type", "sso_token")),
    ],
)
def test_an_empty_enum_string_is_kept_not_replaced_by_the_default(field: str) -> None:
    """The spec's open enums take any string, "" included: `task.status.value` must be what was sent.

    Fails while `xpander_sdk._task_json` writes `_enum(...) or Default`: the pseudo-member of "" is falsy."""
    data: dict[str, Any] = copy.deepcopy(MINIMAL_TASK)
    if field.startswith("mcp_servers"):
        name = field.rsplit(".", 1)[1]
        data["mcp_servers"] = [{name: ""}]
    else:
        name = field
        data[field] = ""
    assert spec_tools.violations(spec_tools.validator("Task"), data) == []
    task = parse_task(httpx.Response(200, json=data), (), Task.from_dict)
    holder = task.mcp_servers[0] if field.startswith("mcp_servers") else task
    assert getattr(holder, name).value == ""


@RESPONSE_EXAMPLES
@given(data=strategies.task_responses())
@example(data={**MINIMAL_TASK, "status": "awaiting_approval", "brand_new_key": {"nested": [1, None]}})
def test_any_spec_valid_task_parses_and_keeps_what_was_sent(data: dict[str, Any]) -> None:
    assert spec_tools.violations(spec_tools.validator("Task", formats=False), data) == []
    task = parse_task(httpx.Response(200, json=data), (), Task.from_dict)
    spec_tools.assert_parsed_faithfully(data, task)
    spec_tools.assert_parsed_faithfully(data, Task.from_dict(data))


def test_unknown_enum_values_and_keys_everywhere_parse() -> None:
    """One response with an unknown value in every enum field and unknown keys at every level."""
    data: dict[str, Any] = {
        **MINIMAL_TASK,
        "status": "awaiting_approval",
        "output_format": "html",
        "think_mode": "hardest",
        "llm_reasoning_effort": "max",
        "input": {
            "text": "x",
            "principal": {"kind": "service_account", "id": "p", "new": 1},
            "attachments": [{"url": "https://example.com/a", "kind": "model3d", "new": True}],
            "new_input_key": [],
        },
        "mcp_servers": [
            {"type": "wasm", "transport": "websocket", "auth_type": "mtls", "sso_token": "refresh", "new": "k"}
        ],
        "deep_planning": {"tasks": [{"id": "s1", "new": 2}], "new": None},
        "tokens": {"prompt_tokens": 3, "reasoning_tokens": 9},
        "brand_new_key": {"nested": [1, None]},
    }
    assert spec_tools.violations(spec_tools.validator("Task"), data) == []
    task = parse_task(httpx.Response(200, json=data), (), Task.from_dict)
    spec_tools.assert_parsed_faithfully(data, task)
    assert task.extra == {"brand_new_key": {"nested": [1, None]}}
    assert task.status.value == "awaiting_approval"
    assert not task.status.is_terminal
    assert task.tokens is not None
    assert task.tokens.prompt_tokens == 3


# -- examples and fixtures ---------------------------------------------------------------------------------------
SPEC_EXAMPLES = list(spec_tools.examples())


def test_the_spec_has_the_examples_the_tests_rely_on() -> None:
    labels = {label for label, _, _ in SPEC_EXAMPLES}
    assert {"request example minimal", "request example full", "response 200 example"} <= labels
    assert {f"response {status} example" for status in spec_tools.error_responses()} <= labels


@pytest.mark.parametrize(("label", "pointer", "value"), SPEC_EXAMPLES, ids=[label for label, _, _ in SPEC_EXAMPLES])
def test_spec_example_is_valid_against_its_schema(label: str, pointer: str, value: Any) -> None:
    assert spec_tools.violations(spec_tools.validator_at(pointer), value) == [], label


def test_reference_fixtures_are_valid_and_match_the_spec() -> None:
    request = load_fixture("create-request-full.json")
    response = load_fixture("task-response-full.json")
    assert spec_tools.violations(spec_tools.validator("CreateTaskRequest"), request) == []
    assert spec_tools.violations(spec_tools.validator("Task"), response) == []
    assert request == spec_tools.request_example("full"), "the fixture is a copy of the spec's `full` example"


@pytest.mark.parametrize(
    "data",
    [load_fixture("task-response-full.json"), spec_tools.response_example(spec_tools.operation()["responses"]["200"])],
    ids=["fixture", "spec-200-example"],
)
def test_reference_responses_parse_faithfully(data: dict[str, Any]) -> None:
    task = parse_task(httpx.Response(200, json=data), (), Task.from_dict)
    spec_tools.assert_parsed_faithfully(data, task)
    assert task.extra == {}
    assert task.created_at == datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)


def test_validators_reject_what_the_spec_forbids() -> None:
    """The validators are strict where the spec is: these must fail, or the checks above prove nothing."""
    body = copy.deepcopy(spec_tools.request_example("minimal"))
    body["unknown"] = 1
    body["tool_call_limit"] = "3"
    body["input"]["principal"] = {"kind": "user", "id": "a:b"}
    assert len(spec_tools.violations(spec_tools.validator("CreateTaskRequest"), body)) == 3
    task = {**MINIMAL_TASK, "created_at": "yesterday"}
    assert spec_tools.violations(spec_tools.validator("Task"), task) == ["created_at: 'yesterday' is not a 'date-time'"]
    del task["input"]
    assert len(spec_tools.violations(spec_tools.validator("Task", formats=False), task)) == 1


@settings(max_examples=200, deadline=None)
@given(moment=strategies.date_times())
def test_drawn_date_times_are_iso_8601(moment: str) -> None:
    """The date-time strategy stays inside what servers write: zone-aware ones are RFC 3339 `date-time`s for the
    spec's validator, naive ones (the spec's description allows them) are not; the SDK reads both."""
    instance = {**MINIMAL_TASK, "created_at": moment}
    zone_aware = moment.endswith("Z") or moment[-6] in "+-"
    assert (spec_tools.violations(spec_tools.validator("Task"), instance) == []) is zone_aware
    created_at = parse_task(httpx.Response(200, json=instance), (), Task.from_dict).created_at
    assert (created_at.tzinfo is not None) is zone_aware
