"""Unit tests of the overlay on httpx.MockTransport: compatibility, wire format, configuration, Task parsing."""

from __future__ import annotations

import datetime
import inspect
import json
import pickle
from typing import Any

import attrs
import httpx
import pytest

import xpander_sdk
from tests.conftest import load_fixture
from tests.mock_api import MINIMAL_TASK, FakeAPI
from xpander_sdk import (
    AgentExecutionStatus,
    AttachmentKind,
    AttachmentRef,
    Configuration,
    InvalidArgumentError,
    LLMReasoningEffort,
    MCPServerAuthType,
    MCPServerDetails,
    MCPServerTransport,
    MCPServerType,
    ModuleException,
    OutputFormat,
    Principal,
    PrincipalKind,
    Task,
    Tasks,
    ThinkMode,
    User,
)
from xpander_sdk._bodies import CREATE_PARAMETERS, CreateArguments
from xpander_sdk._bulk import MANY_PARAMETERS

OFFICIAL_PARAMETERS: list[tuple[str, Any]] = [
    ("agent_id", inspect.Parameter.empty),
    ("existing_task_id", None),
    ("prompt", ""),
    ("file_urls", []),
    ("user_details", None),
    ("principal", None),
    ("agent_version", None),
    ("tool_call_payload_extension", None),
    ("source", None),
    ("worker_id", None),
    ("run_locally", False),
    ("output_format", None),
    ("output_schema", None),
    ("events_streaming", False),
    ("additional_context", None),
    ("instructions_override", None),
    ("test_run_node_id", None),
    ("user_oidc_token", None),
    ("expected_output", None),
    ("mcp_servers", []),
    ("triggering_agent_id", None),
    ("title", None),
    ("think_mode", ThinkMode.Default),
    ("disable_attachment_injection", False),
    ("return_metrics", False),
    ("user_tokens", None),
    ("llm_model_provider", None),
    ("llm_model_name", None),
    ("llm_reasoning_effort", None),
    ("harness_cli", None),
    ("tool_call_limit", None),
    ("attachments", None),
    ("permission_mode", None),
]
OFFICIAL_MINIMAL_BODY = (
    '{"id":null,"input":{"text":"hi","files":[],"user":null},"payload_extension":null,"source":null,'
    '"worker_id":null,"output_format":null,"output_schema":null,"run_locally":false,"events_streaming":false,'
    '"additional_context":null,"instructions_override":null,"test_run_node_id":null,"user_oidc_token":null,'
    '"expected_output":null,"mcp_servers":[],"triggering_agent_id":null,"title":null,"think_mode":"default",'
    '"disable_attachment_injection":false,"tool_call_limit":null,"user_tokens":null,"return_metrics":false,'
    '"llm_model_provider":null,"llm_model_name":null,"llm_reasoning_effort":null,"harness_cli":null,'
    '"permission_mode":null}'
)


# -- compatibility --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", [Tasks.acreate, Tasks.create])
def test_the_create_parameters_are_declared_once(method: Any) -> None:
    """`CreateArguments` is where the create parameters are declared; each public signature lists them again, in
    the same order, with the same defaults and annotations (so `CreateArguments.of(locals())` reads them all)."""
    declared: tuple[attrs.Attribute[Any], ...] = attrs.fields(CreateArguments)
    parameters = list(inspect.signature(method).parameters.values())[1:]  # without self
    positional = [p for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert [p.name for p in positional] == [field.name for field in declared] == list(CREATE_PARAMETERS)
    for parameter, field in zip(positional, declared, strict=True):
        default = inspect.Parameter.empty if field.default is attrs.NOTHING else field.default
        assert (parameter.default, parameter.annotation) == (default, field.type), parameter.name


def test_acreate_many_takes_every_parameter_of_acreate() -> None:
    parameters = set(inspect.signature(Tasks.acreate).parameters) - {"self"}
    assert parameters == MANY_PARAMETERS


@pytest.mark.parametrize("method", [Tasks.acreate, Tasks.create])
def test_signature_is_the_official_one(method: Any) -> None:
    parameters = list(inspect.signature(method).parameters.values())[1:]  # without self
    positional = [p for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert [(p.name, p.default) for p in positional] == [
        (name, tuple(default) if isinstance(default, list) else default) for name, default in OFFICIAL_PARAMETERS
    ]
    assert [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY] == [
        "timeout",
        "max_retries",
        "retry_unsafe",
        "extra_headers",
        "extra_query",
        "extra_body",
    ]
    mutable = [p.name for p in parameters if isinstance(p.default, list | dict | set)]
    assert mutable == [], "no mutable default may be shared between calls"


def test_top_level_exports_and_official_import_paths() -> None:
    from xpander_sdk.exceptions.module_exception import ModuleException as Official

    assert Official is ModuleException
    for name in [
        "Tasks",
        "Task",
        "ModuleException",
        "Configuration",
        "AgentExecutionStatus",
        "OutputFormat",
        "ThinkMode",
        "LLMReasoningEffort",
        "User",
        "Principal",
        "PrincipalKind",
        "AttachmentRef",
        "AttachmentKind",
        "MCPServerDetails",
        "MCPServerType",
        "MCPServerTransport",
        "MCPServerAuthType",
        "MCPServerSSOTokenMode",
    ]:
        assert hasattr(xpander_sdk, name), name


def test_official_enum_member_names() -> None:
    assert ThinkMode.Harder.value == "harder"
    assert OutputFormat.Json.value == "json"
    assert AgentExecutionStatus.Pending.value == "pending"
    assert LLMReasoningEffort.XHigh.value == "xhigh"
    assert MCPServerTransport.HTTP_Transport.value == "streamable-http"
    assert MCPServerAuthType._None.value == "none"
    assert PrincipalKind.api_key.value == "api_key"
    assert AttachmentKind.pdf.value == "pdf"


def test_module_exception_is_the_official_shape() -> None:
    error = ModuleException(404, "Agent not found")
    assert str(error) == "[404] Agent not found"
    assert (error.status_code, error.description) == (404, "Agent not found")
    assert ModuleException(status_code=500, description="x").status_code == 500
    clone = pickle.loads(pickle.dumps(error))
    assert (type(clone), str(clone)) == (ModuleException, "[404] Agent not found")


def test_mcp_transport_follows_type_as_in_the_official_sdk() -> None:
    assert MCPServerDetails(type=MCPServerType.Local).transport is MCPServerTransport.STDIO
    assert MCPServerDetails(type="local", transport="sse").transport is MCPServerTransport.STDIO
    assert MCPServerDetails(transport="stdio").transport is MCPServerTransport.HTTP_Transport
    assert MCPServerDetails(transport=None).transport is MCPServerTransport.HTTP_Transport
    assert MCPServerDetails(transport="sse").transport is MCPServerTransport.SSE


# -- the wire -------------------------------------------------------------------------------------------------
def test_minimal_call_sends_the_official_bytes() -> None:
    api = FakeAPI()
    api.tasks().create(agent_id="agent-123", prompt="hi")
    request = api.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://api.test/agent-execution/agent-123"
    assert request.content.decode() == OFFICIAL_MINIMAL_BODY
    assert request.headers["x-api-key"] == "test-key"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("xpander-tasks-python/")
    assert "x-agent-version" not in request.headers


@pytest.mark.anyio
async def test_full_reference_request_through_acreate() -> None:
    expected = load_fixture("create-request-full.json")
    api = FakeAPI()
    await api.tasks().acreate(
        "agent-123",
        existing_task_id="prev-task-id",
        prompt="Summarize the file",
        file_urls=["https://example.com/a.pdf"],
        user_details=User(
            id="u1",
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.com",
            additional_attributes={"team": "x"},
            timezone="Europe/London",
        ),
        principal=Principal(kind=PrincipalKind.user, id="u1", email="ada@example.com", display_name="Ada"),
        agent_version="3",
        tool_call_payload_extension={"headers": {"x": "y"}},
        source="sdk",
        worker_id="w1",
        output_format=OutputFormat.Json,
        output_schema={"type": "object", "properties": {"summary": {"type": "string"}}},
        events_streaming=True,
        additional_context="ctx",
        instructions_override="be brief",
        user_oidc_token="oidc",
        expected_output="a summary",
        mcp_servers=[MCPServerDetails(name="m", url="https://mcp.example.com/mcp")],
        triggering_agent_id="agent-0",
        title="My task",
        think_mode="harder",
        disable_attachment_injection=True,
        tool_call_limit=20,
        user_tokens={"m": "tok"},
        return_metrics=True,
        llm_model_provider="openai",
        llm_model_name="gpt-5",
        llm_reasoning_effort="high",
        harness_cli="claude-code",
        attachments=[
            AttachmentRef(url="https://example.com/a.pdf", name="a.pdf", mime="application/pdf", size=1234, kind="pdf")
        ],
        permission_mode="gated",
    )
    assert api.last_body == expected
    assert list(api.last_body) == list(expected), "top-level keys in the official order"
    assert api.requests[0].headers["x-agent-version"] == "3"


@pytest.mark.parametrize(
    ("given", "sent"),
    [(" Claude-Code ", "claude-code"), ("CODEX", "codex"), ("opencode", "opencode"), ("bogus", None), (None, None)],
)
def test_harness_cli_is_normalised_like_the_official_sdk(given: str | None, sent: str | None) -> None:
    api = FakeAPI()
    api.tasks().create("a", prompt="p", harness_cli=given)
    assert api.last_body["harness_cli"] == sent


@pytest.mark.parametrize(("given", "sent"), [(" GATED ", "gated"), ("full", "full"), ("  ", None), (None, None)])
def test_permission_mode_is_normalised_like_the_official_sdk(given: str | None, sent: str | None) -> None:
    api = FakeAPI()
    api.tasks().create("a", prompt="p", permission_mode=given)
    assert api.last_body["permission_mode"] == sent


def test_attachments_and_principal_are_left_out_when_unset() -> None:
    api = FakeAPI()
    api.tasks().create("a", prompt="p", attachments=[])
    assert list(api.last_body["input"]) == ["text", "files", "user"]


@pytest.mark.parametrize(
    ("agent_id", "path"),
    [
        ("a/b", "/agent-execution/a%2Fb"),
        ("../x", "/agent-execution/..%2Fx"),
        ("a?b#c", "/agent-execution/a%3Fb%23c"),
        ("agent-é", "/agent-execution/agent-%C3%A9"),
        ("a..b", "/agent-execution/a..b"),
        ("my agent", "/agent-execution/my%20agent"),  # as the official SDK's httpx encodes it
    ],
)
def test_agent_id_is_always_one_path_segment(agent_id: str, path: str) -> None:
    api = FakeAPI()
    api.tasks().create(agent_id, prompt="p")
    assert api.requests[0].url.raw_path.decode() == path


def test_nothing_is_sent_for_a_refused_argument() -> None:
    api = FakeAPI()
    with pytest.raises(InvalidArgumentError) as caught:
        api.tasks().create("a", prompt="p", tool_call_limit="3")  # type: ignore[arg-type]
    assert caught.value.parameter == "tool_call_limit"
    assert "tool_call_limit" in str(caught.value)
    assert caught.value.status_code == 0
    assert api.requests == []


def test_missing_api_key_says_which_variable_to_set() -> None:
    api = FakeAPI()
    tasks = api.tasks(configuration=Configuration(base_url="https://api.test"))
    with pytest.raises(InvalidArgumentError, match="XPANDER_API_KEY"):
        tasks.create("a", prompt="p")
    assert api.requests == []


# -- configuration --------------------------------------------------------------------------------------------
def test_configuration_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPANDER_API_KEY", "env-key")
    monkeypatch.setenv("XPANDER_ORGANIZATION_ID", "org-1")
    configuration = Configuration()
    assert (configuration.api_key, configuration.organization_id) == ("env-key", "org-1")
    assert configuration.root_url == "https://inbound.xpander.ai"
    monkeypatch.setenv("IS_STG", "true")
    assert Configuration().root_url == "https://inbound.stg.xpander.ai"
    monkeypatch.setenv("XPANDER_BASE_URL", "my.host/api/")
    assert Configuration().root_url == "https://my.host/api"


@pytest.mark.parametrize(
    ("base_url", "root"),
    [
        ("https://agent-controller.internal", "https://agent-controller.internal/org-1"),
        ("http://localhost:9016", "http://localhost:9016/org-1"),
        ("https://gw.example/agent-controller", "https://gw.example/agent-controller/org-1"),
        ("https://inbound.xpander.ai", "https://inbound.xpander.ai"),
    ],
)
def test_organization_id_is_in_the_path_on_an_agent_controller(base_url: str, root: str) -> None:
    configuration = Configuration(api_key="k", base_url=base_url, organization_id="org-1")
    assert configuration.root_url == root
    api = FakeAPI()
    api.tasks(configuration=configuration).create("agent-123", prompt="p")
    assert str(api.requests[0].url) == f"{root}/agent-execution/agent-123"


@pytest.mark.parametrize(
    "base_url", ["https://agent-controller.internal", "localhost:9016", "https://gw/agent-controller"]
)
def test_an_agent_controller_without_organization_id_is_refused_before_sending(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XPANDER_ORGANIZATION_ID", raising=False)
    api = FakeAPI()
    tasks = api.tasks(configuration=Configuration(api_key="k", base_url=base_url))
    with pytest.raises(InvalidArgumentError) as caught:
        tasks.create("agent-123", prompt="p")
    assert caught.value.parameter == "organization_id"
    assert "XPANDER_ORGANIZATION_ID" in caught.value.description
    assert "organization_id" in caught.value.description
    assert api.requests == []
    assert "Tasks(base_url=" in repr(tasks)  # the repr never fails on it


def test_reprs_hold_no_api_key() -> None:
    configuration = Configuration(api_key="super-secret-key", base_url="https://api.test")
    assert "super-secret-key" not in repr(configuration)
    assert "super-secret-key" not in repr(Tasks(configuration))
    server = MCPServerDetails(api_key="mcp-secret", client_secret="client-secret", headers={"auth": "header-secret"})
    assert not any(secret in repr(server) for secret in ("mcp-secret", "client-secret", "header-secret"))


# -- the Task -------------------------------------------------------------------------------------------------
def test_full_reference_task_has_the_right_python_types() -> None:
    api = FakeAPI([httpx.Response(200, json=load_fixture("task-response-full.json"))])
    task = api.tasks().create("agent-123", prompt="p")
    assert isinstance(task, Task)
    assert task.id == "6f1c2a4e-8b7d-4c3e-9a21-0d5e7f8a9b10"
    assert task.status is AgentExecutionStatus.Pending
    assert task.status.value == "pending"
    assert task.created_at == datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)
    assert task.output_format is OutputFormat.Json
    assert task.think_mode is ThinkMode.Harder
    assert task.llm_reasoning_effort is LLMReasoningEffort.High
    assert task.input.user is not None and task.input.user.email == "ada@example.com"
    assert task.input.principal is not None and task.input.principal.kind is PrincipalKind.user
    assert task.input.attachments[0].kind is AttachmentKind.pdf
    assert task.mcp_servers[0].transport is MCPServerTransport.HTTP_Transport
    assert task.deep_planning is not None and task.deep_planning.tasks == []
    assert task.payload_extension == {"headers": {"x": "y"}}
    assert task.tool_call_limit == 20
    assert task.extra == {}
    assert "oidc" not in repr(task) and "tok" not in repr(task)


def test_deep_planning_defaults_as_in_the_official_sdk() -> None:
    """Missing: a DeepPlanning with its defaults (the official default_factory); an explicit null: None."""
    minimal = {"id": "t1", "agent_id": "a", "organization_id": "o", "input": {"text": "x"}, "created_at": "2025-01-01"}
    assert Task.from_dict(minimal).deep_planning == xpander_sdk.DeepPlanning()
    assert Task.from_dict({**minimal, "deep_planning": None}).deep_planning is None


def test_unknown_enum_values_and_keys_never_fail_a_create() -> None:
    data = {
        **MINIMAL_TASK,
        "status": "hibernating",
        "output_format": "hologram",
        "think_mode": "deeper",
        "llm_reasoning_effort": "maximal",
        "input": {"text": "x", "principal": {"kind": "robot", "id": "r1"}, "attachments": [{"url": "u", "kind": "3d"}]},
        "mcp_servers": [{"type": "quantum", "transport": "carrier-pigeon", "auth_type": "magic", "sso_token": "new"}],
        "brand_new_field": {"a": 1},
    }
    api = FakeAPI([httpx.Response(201, json=data)])
    task = api.tasks().create("agent-123", prompt="p")
    assert task.status.value == "hibernating"
    assert isinstance(task.status, AgentExecutionStatus)
    assert task.status == "hibernating"
    assert task.status is not AgentExecutionStatus.Pending
    assert [task.output_format, task.think_mode, task.llm_reasoning_effort] == ["hologram", "deeper", "maximal"]
    assert task.input.principal is not None and task.input.principal.kind.value == "robot"
    assert task.input.attachments[0].kind == "3d"
    assert [task.mcp_servers[0].type, task.mcp_servers[0].transport] == ["quantum", "carrier-pigeon"]
    assert task.extra == {"brand_new_field": {"a": 1}}
    assert "hibernating" not in AgentExecutionStatus._value2member_map_, "unknown values are not added to the enum"


def test_minimal_task_gets_the_official_defaults() -> None:
    task = FakeAPI().tasks().create("agent-123", prompt="p")
    assert task.status is AgentExecutionStatus.Pending
    assert (task.result, task.finished_at, task.output_format) == (None, None, None)
    assert task.think_mode is ThinkMode.Default
    assert (task.sub_executions, task.mcp_servers, task.execution_attempts) == ([], [], 1)
    assert "Task(id='t1'" in str(task)


def test_task_from_dict_with_a_zoneless_timestamp() -> None:
    task = Task.from_dict({**MINIMAL_TASK, "created_at": "2025-01-01T00:00:00", "started_at": "not a date"})
    assert task.created_at == datetime.datetime(2025, 1, 1)
    assert task.started_at is None


def test_json_round_trip_of_the_request_body_is_stable() -> None:
    api = FakeAPI()
    api.tasks().create("a", prompt="ünïcødé ✓", title="日本語")
    body = api.requests[0].content.decode()
    assert "ünïcødé ✓" in body, "UTF-8 as the official SDK sends it, not \\u escapes"
    assert json.loads(body)["title"] == "日本語"


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("xpander_sdk.models.shared", ["OutputFormat", "ThinkMode"]),
        ("xpander_sdk.models.user", ["User"]),
        ("xpander_sdk.models.principal", ["Principal", "PrincipalKind"]),
        ("xpander_sdk.models.configuration", ["Configuration"]),
        ("xpander_sdk.modules.tasks.tasks_module", ["Tasks"]),
        ("xpander_sdk.modules.tasks.sub_modules.task", ["Task"]),
        (
            "xpander_sdk.modules.tasks.models.task",
            ["AgentExecutionStatus", "AgentExecutionInput", "AttachmentRef", "AttachmentKind"],
        ),
        ("xpander_sdk.modules.tools_repository.models.mcp", ["MCPServerDetails", "MCPServerType", "MCPServerAuthType"]),
        ("xpander_sdk.modules.agents.models.agent", ["LLMReasoningEffort"]),
    ],
)
def test_official_module_paths_still_import(module: str, names: list[str]) -> None:
    imported = __import__(module, fromlist=names)
    for name in names:
        assert getattr(imported, name) is getattr(xpander_sdk, name, getattr(imported, name))


@pytest.mark.parametrize("base_url", ["ftp://files.example", "https://host:abc", "https://[::1", "http://"])
def test_an_unusable_base_url_is_refused_before_sending(base_url: str) -> None:
    api = FakeAPI()
    tasks = api.tasks(configuration=Configuration(api_key="k", base_url=base_url))
    with pytest.raises(InvalidArgumentError) as caught:
        tasks.create("a", prompt="p")
    assert caught.value.parameter == "base_url"
    assert api.requests == []
