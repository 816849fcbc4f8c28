"""Contract: every parameter of `Tasks.acreate` reaches the wire, as openapi.yaml says, through the real Prism mock
(request validation on: a request that breaks the spec is answered 422 with an `sl-violations` header).

Each request is recorded by a transport wrapped around httpx's own, so the tests see exactly what Prism got.
Also: every ```python block of the README compiles and runs as a script, as written (no top-level `await`): against
Prism, or against the fake backend for the blocks that follow events; the files of the testing example run elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import json
import logging
import re
import types
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from tests import spec_tools
from tests.conftest import load_fixture
from xpander_sdk import (
    AttachmentKind,
    AttachmentRef,
    Configuration,
    LLMReasoningEffort,
    MCPServerAuthType,
    MCPServerDetails,
    MCPServerSSOTokenMode,
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
from xpander_sdk.testing import FakeBackend

API_KEY = "test-api-key"
README = spec_tools.ROOT / "README.md"
EXAMPLE_TASK_ID = "6f1c2a4e-8b7d-4c3e-9a21-0d5e7f8a9b10"  # the id in the spec's 200 example, which Prism answers
# What the official SDK sends for `create(agent_id="agent-123", prompt="hi")`, byte for byte.
OFFICIAL_MINIMAL_BODY = (
    b'{"id":null,"input":{"text":"hi","files":[],"user":null},"payload_extension":null,"source":null,'
    b'"worker_id":null,"output_format":null,"output_schema":null,"run_locally":false,"events_streaming":false,'
    b'"additional_context":null,"instructions_override":null,"test_run_node_id":null,"user_oidc_token":null,'
    b'"expected_output":null,"mcp_servers":[],"triggering_agent_id":null,"title":null,"think_mode":"default",'
    b'"disable_attachment_injection":false,"tool_call_limit":null,"user_tokens":null,"return_metrics":false,'
    b'"llm_model_provider":null,"llm_model_name":null,"llm_reasoning_effort":null,"harness_cli":null,'
    b'"permission_mode":null}'
)


def _prism_refused(error: ModuleException) -> str:
    response = error.response
    if response is None:
        return f"the call failed before Prism answered: {type(error).__name__}: {error}"
    violations = response.headers.get("sl-violations")
    return f"Prism refused the request: {type(error).__name__}: {error}\nsl-violations: {violations}"


def _only_request(requests: list[httpx.Request]) -> httpx.Request:
    assert len(requests) == 1, f"expected one request, {len(requests)} were sent"
    return requests[0]


def create_recorded(prism_url: str, **arguments: Any) -> tuple[Task, httpx.Request]:
    """`Tasks.create` against Prism; the task and the one request that was sent. Fails on any error."""
    transport = spec_tools.RecordingTransport()
    with httpx.Client(transport=transport) as client:
        tasks = Tasks(Configuration(api_key=API_KEY, base_url=prism_url), http_client=client, max_retries=0)
        try:
            task = tasks.create(**arguments)
        except ModuleException as error:
            pytest.fail(_prism_refused(error))
    return task, _only_request(transport.requests)


async def acreate_recorded(prism_url: str, **arguments: Any) -> tuple[Task, httpx.Request]:
    """The async twin of `create_recorded`, through `Tasks.acreate`."""
    transport = spec_tools.AsyncRecordingTransport()
    async with httpx.AsyncClient(transport=transport) as client:
        tasks = Tasks(Configuration(api_key=API_KEY, base_url=prism_url), async_http_client=client, max_retries=0)
        try:
            task = await tasks.acreate(**arguments)
        except ModuleException as error:
            pytest.fail(_prism_refused(error))
    return task, _only_request(transport.requests)


def body_of(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content)
    return body


def minimal_body() -> dict[str, Any]:
    """The spec's `minimal` request example: what `create(agent_id="agent-123", prompt="hi")` sends."""
    return copy.deepcopy(spec_tools.request_example("minimal"))


# -- one case per parameter ---------------------------------------------------------------------------------
# parameter -> (a spec-valid value other than the default, the wire key it lands on, the JSON expected there).
# Body keys are dotted paths; `header:` and `path:` name the other parts of the request.
FULL_USER: dict[str, Any] = {
    "id": "u1",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "additional_attributes": {"team": "x", "level": 3},
    "timezone": "Europe/London",
}
FULL_PRINCIPAL = {"kind": "slack", "id": "U024BE7LH", "email": "ada@example.com", "display_name": "Ada"}
FULL_ATTACHMENT: dict[str, Any] = {
    "url": "https://example.com/a.pdf",
    "name": "a.pdf",
    "mime": "application/pdf",
    "size": 1234,
    "kind": "pdf",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "expires_at": "2026-06-01T00:00:00Z",
    "source": "slack",
    "transcript": "hello",
}
FULL_MCP_SERVER = {
    "id": "mcp-1",
    "type": "remote",
    "name": "crm",
    "command": None,
    "url": "https://mcp.example.com/mcp",
    "transport": "sse",
    "auth_type": "api_key",
    "api_key": "mcp-secret",
    "use_secrets_manager": True,
    "client_id": "client",
    "client_secret": "client-secret",
    "headers": {"x-team": "sales"},
    "env_vars": {"MODE": "ro"},
    "allowed_tools": ["search"],
    "additional_scopes": ["crm.read"],
    "share_user_token_across_other_agents": False,
    "sso_token": "exchange",
    "sso_audience": "crm-api",
}
OUTPUT_SCHEMA = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}

PARAMETER_CASES: dict[str, tuple[Any, str, Any]] = {
    "agent_id": ("a/b", "path:agent_id", "/agent-execution/a%2Fb"),
    "existing_task_id": ("prev-task-id", "id", "prev-task-id"),
    "prompt": ("Summarize the latest sales report", "input.text", "Summarize the latest sales report"),
    "file_urls": (
        ["https://example.com/a.pdf", "s3://b/c.csv"],
        "input.files",
        ["https://example.com/a.pdf", "s3://b/c.csv"],
    ),
    "user_details": (User(**FULL_USER), "input.user", FULL_USER),
    "principal": (
        Principal(kind=PrincipalKind.slack, id="U024BE7LH", email="ada@example.com", display_name="Ada"),
        "input.principal",
        FULL_PRINCIPAL,
    ),
    "agent_version": ("3", "header:x-agent-version", "3"),
    "tool_call_payload_extension": (
        {"headers": {"x": "y"}, "n": [1, 2.5, None]},
        "payload_extension",
        {"headers": {"x": "y"}, "n": [1, 2.5, None]},
    ),
    "source": ("sdk", "source", "sdk"),
    "worker_id": ("w1", "worker_id", "w1"),
    "run_locally": (True, "run_locally", True),
    "output_format": (OutputFormat.Json, "output_format", "json"),
    "output_schema": (OUTPUT_SCHEMA, "output_schema", OUTPUT_SCHEMA),
    "events_streaming": (True, "events_streaming", True),
    "additional_context": ("ctx", "additional_context", "ctx"),
    "instructions_override": ("be brief", "instructions_override", "be brief"),
    "test_run_node_id": ("node-7", "test_run_node_id", "node-7"),
    "user_oidc_token": ("oidc-token", "user_oidc_token", "oidc-token"),
    "expected_output": ("a summary", "expected_output", "a summary"),
    "mcp_servers": (
        [
            MCPServerDetails(
                id="mcp-1",
                type=MCPServerType.Remote,
                name="crm",
                url="https://mcp.example.com/mcp",
                transport=MCPServerTransport.SSE,
                auth_type=MCPServerAuthType.APIKey,
                api_key="mcp-secret",
                use_secrets_manager=True,
                client_id="client",
                client_secret="client-secret",
                headers={"x-team": "sales"},
                env_vars={"MODE": "ro"},
                allowed_tools=["search"],
                additional_scopes=["crm.read"],
                share_user_token_across_other_agents=False,
                sso_token=MCPServerSSOTokenMode.Exchange,
                sso_audience="crm-api",
            )
        ],
        "mcp_servers",
        [FULL_MCP_SERVER],
    ),
    "triggering_agent_id": ("agent-0", "triggering_agent_id", "agent-0"),
    "title": ("My task", "title", "My task"),
    "think_mode": (ThinkMode.Harder, "think_mode", "harder"),
    "disable_attachment_injection": (True, "disable_attachment_injection", True),
    "return_metrics": (True, "return_metrics", True),
    "user_tokens": ({"crm": "user-token"}, "user_tokens", {"crm": "user-token"}),
    "llm_model_provider": ("openai", "llm_model_provider", "openai"),
    "llm_model_name": ("gpt-5", "llm_model_name", "gpt-5"),
    "llm_reasoning_effort": (LLMReasoningEffort.XHigh, "llm_reasoning_effort", "xhigh"),
    "harness_cli": ("claude-code", "harness_cli", "claude-code"),
    "tool_call_limit": (20, "tool_call_limit", 20),
    "attachments": (
        [AttachmentRef(**{**FULL_ATTACHMENT, "kind": AttachmentKind.pdf})],
        "input.attachments",
        [FULL_ATTACHMENT],
    ),
    "permission_mode": ("gated", "permission_mode", "gated"),
}


def test_every_parameter_has_a_wire_case() -> None:
    """The table above covers the signature exactly: a new parameter must get its own wire test."""
    assert set(PARAMETER_CASES) == set(spec_tools.acreate_parameters())


def test_every_case_lands_on_the_wire_key_the_spec_names() -> None:
    """Each case's wire key is the one openapi.yaml gives its parameter (the drift table, read the other way)."""
    by_parameter = {spec_tools.parameter_for(key): key for key in spec_tools.request_wire_keys()}
    assert {name: case[1] for name, case in PARAMETER_CASES.items()} == by_parameter


@pytest.mark.anyio
@pytest.mark.parametrize("parameter", list(spec_tools.acreate_parameters()))
async def test_parameter_reaches_the_wire(prism_url: str, parameter: str) -> None:
    """Setting one parameter changes exactly its own wire key, to the expected JSON, and Prism accepts it."""
    assert parameter in PARAMETER_CASES, f"no wire case for the parameter {parameter!r}: add one"
    value, wire_key, expected = PARAMETER_CASES[parameter]
    default = spec_tools.acreate_parameters()[parameter].default
    assert value != default, f"the case of {parameter} must use a non-default value"
    arguments: dict[str, Any] = {"agent_id": "agent-123", "prompt": "hi", parameter: value}

    task, request = await acreate_recorded(prism_url, **arguments)

    assert task.id == EXAMPLE_TASK_ID
    assert request.method == "POST"
    assert request.headers["x-api-key"] == API_KEY
    expected_body = minimal_body()
    if wire_key == "path:agent_id":
        assert request.url.raw_path.decode() == expected
    else:
        assert request.url.raw_path == b"/agent-execution/agent-123"
    if wire_key.startswith("header:"):
        assert request.headers.get(wire_key.removeprefix("header:")) == expected
    else:
        assert "x-agent-version" not in request.headers
    if ":" not in wire_key:
        spec_tools.set_path(expected_body, wire_key, expected)
    assert body_of(request) == expected_body


def _minimal_call(mode: str, prism_url: str) -> tuple[Task, httpx.Request]:
    if mode == "sync":
        return create_recorded(prism_url, agent_id="agent-123", prompt="hi")
    return asyncio.run(acreate_recorded(prism_url, agent_id="agent-123", prompt="hi"))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_minimal_call_sends_the_official_body_byte_for_byte(prism_url: str, mode: str) -> None:
    task, request = _minimal_call(mode, prism_url)

    assert request.content == OFFICIAL_MINIMAL_BODY
    expected = json.dumps(spec_tools.request_example("minimal"), separators=(",", ":")).encode()
    assert request.content == expected, "the spec's `minimal` example is not the official minimal body"
    assert request.url.raw_path == b"/agent-execution/agent-123"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-api-key"] == API_KEY
    assert "x-agent-version" not in request.headers
    assert task.id == EXAMPLE_TASK_ID
    assert task.status.value == "pending"


def full_reference_arguments() -> dict[str, Any]:
    """The arguments of `create` that reproduce tests/fixtures/create-request-full.json."""
    return {
        "agent_id": "agent-123",
        "existing_task_id": "prev-task-id",
        "prompt": "Summarize the file",
        "file_urls": ["https://example.com/a.pdf"],
        "user_details": User(
            id="u1",
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.com",
            additional_attributes={"team": "x"},
            timezone="Europe/London",
        ),
        "principal": Principal(kind=PrincipalKind.user, id="u1", email="ada@example.com", display_name="Ada"),
        "agent_version": "3",
        "tool_call_payload_extension": {"headers": {"x": "y"}},
        "source": "sdk",
        "worker_id": "w1",
        "run_locally": False,
        "output_format": OutputFormat.Json,
        "output_schema": {"type": "object", "properties": {"summary": {"type": "string"}}},
        "events_streaming": True,
        "additional_context": "ctx",
        "instructions_override": "be brief",
        "test_run_node_id": None,
        "user_oidc_token": "oidc",
        "expected_output": "a summary",
        "mcp_servers": [
            MCPServerDetails(
                type=MCPServerType.Remote,
                name="m",
                url="https://mcp.example.com/mcp",
                auth_type=MCPServerAuthType._None,
                sso_token=MCPServerSSOTokenMode.Access,
            )
        ],
        "triggering_agent_id": "agent-0",
        "title": "My task",
        "think_mode": ThinkMode.Harder,
        "disable_attachment_injection": True,
        "return_metrics": True,
        "user_tokens": {"m": "tok"},
        "llm_model_provider": "openai",
        "llm_model_name": "gpt-5",
        "llm_reasoning_effort": LLMReasoningEffort.High,
        "harness_cli": "claude-code",
        "tool_call_limit": 20,
        "attachments": [
            AttachmentRef(url="https://example.com/a.pdf", name="a.pdf", mime="application/pdf", size=1234, kind="pdf")
        ],
        "permission_mode": "gated",
    }


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_full_reference_request_is_reproduced_exactly(prism_url: str, mode: str) -> None:
    reference = load_fixture("create-request-full.json")
    arguments = full_reference_arguments()
    if mode == "sync":
        task, request = create_recorded(prism_url, **arguments)
    else:
        task, request = asyncio.run(acreate_recorded(prism_url, **arguments))

    body = body_of(request)
    assert body == reference
    # Key order is the official one everywhere, input.user included: the same bytes as the reference.
    assert request.content == json.dumps(reference, ensure_ascii=False, separators=(",", ":")).encode()
    assert list(body) == list(reference)
    assert list(body["input"]) == list(reference["input"])
    assert list(body["mcp_servers"][0]) == list(reference["mcp_servers"][0])
    assert list(body["input"]["attachments"][0]) == list(reference["input"]["attachments"][0])
    assert list(body["input"]["principal"]) == list(reference["input"]["principal"])
    assert list(body["input"]["user"]) == list(reference["input"]["user"])
    assert request.headers["x-agent-version"] == "3"
    assert task.id == EXAMPLE_TASK_ID


MAPPING_PARAMETERS = [
    name
    for name, parameter in spec_tools.acreate_parameters().items()
    if str(parameter.annotation).startswith("Mapping[")
]


def test_the_mapping_parameters_are_found() -> None:
    assert MAPPING_PARAMETERS == ["tool_call_payload_extension", "output_schema", "user_tokens"]


@pytest.mark.parametrize("parameter", MAPPING_PARAMETERS)
def test_a_mapping_parameter_takes_any_mapping(prism_url: str, parameter: str) -> None:
    """Annotated `Mapping[...]`: a read-only mapping (not a dict) is sent as the same JSON object as a dict.

    Fails while `_bodies.json_object` runs `json.dumps` on the mapping itself instead of on `dict(value)`."""
    value: dict[str, Any] = {"type": "object"} if parameter == "output_schema" else {"crm": "token"}
    _, request = create_recorded(prism_url, agent_id="agent-123", prompt="hi", **{parameter: MappingProxyType(value)})
    assert body_of(request)[PARAMETER_CASES[parameter][1]] == value


def test_percent_encoded_agent_id_reaches_prism_as_one_segment(prism_url: str) -> None:
    """An id with reserved characters stays one path segment: `/` and `?` are percent-encoded, not routed."""
    _, request = create_recorded(prism_url, agent_id="a/b?c#d%e", prompt="hi")
    assert request.url.raw_path == b"/agent-execution/a%2Fb%3Fc%23d%25e"
    assert request.url.query == b""


# -- README ----------------------------------------------------------------------------------------------------
_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_NAMED_FILE = re.compile(r"# \w+\.py\b")
"""The first line of a block that is a file of the "Testing your code" example (`# myapp.py: ...`): run as files
under pytest by tests/test_testing_readme.py, not as a script here."""
_SENDS = re.compile(
    r"\.(?:a?(?:create|create_and_wait|create_many|get|list|list_user_tasks|update|stop|reload|load|save|set_status"
    r"|events)|await_result|wait)\("
)
"""A call of the SDK that sends a request: a block with one must send, and get only 2xx answers; a block without
one (a `Configuration`, the logging set-up) must send nothing."""


def readme_blocks(text: str) -> list[tuple[int, str]]:
    """Every ```python block of the README with the line number of its fence, but the files of the testing
    example."""
    return [
        (text.count("\n", 0, match.start()) + 1, match.group(1))
        for match in _FENCE.finditer(text)
        if not _NAMED_FILE.match(match.group(1))
    ]


def compile_block(fence_line: int, source: str) -> types.CodeType:
    """A block compiled as a script: without top-level `await` (a user who pastes it into a file gets a
    SyntaxError), with the README's own line numbers, so a failure names the line to fix."""
    try:
        return compile("\n" * fence_line + source, README.name, "exec", dont_inherit=True)
    except SyntaxError as error:
        awaits = re.search(r"\b(await|async)\b", str(error.msg))
        hint = " (wrap it in `async def main()` and `asyncio.run(main())`)" if awaits else ""
        pytest.fail(f"{README.name}:{error.lineno}: the block does not run as a script: {error.msg}{hint}")


def run_snippet(fence_line: int, source: str) -> None:
    """Run a block as `python block.py` would: as `__main__`, so an `if __name__ == "__main__":` guard runs."""
    exec(compile_block(fence_line, source), {"__name__": "__main__"})  # noqa: S102 - the project's own README


@contextlib.contextmanager
def _responses_logged(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[int]]]:
    """The statuses of the responses the SDK logged while the block ran (one DEBUG line per response). The
    level of the `xpander_sdk` logger is restored afterwards, whatever the block set."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="xpander_sdk"):

        def statuses() -> list[int]:
            found = (re.search(r" -> (\d{3}) ", record.getMessage()) for record in caplog.records)
            return [int(match.group(1)) for match in found if match]

        yield statuses


def run_example(line: int, source: str, caplog: pytest.LogCaptureFixture) -> str:
    """Run one README block; it must not raise. A block that calls the SDK must send, and get only 2xx answers;
    one that does not must send nothing. Returns what it printed."""
    output = io.StringIO()
    with _responses_logged(caplog) as statuses, contextlib.redirect_stdout(output):
        try:
            run_snippet(line, source)
        except Exception as exc:
            pytest.fail(f"the README block at line {line} raised {exc!r}:\n{source}")
        finally:
            _undo_tracing()
    if _SENDS.search(source):
        assert statuses(), f"the README block at line {line} sent no request:\n{source}"
    else:
        assert not statuses(), f"the README block at line {line} shows no request but sent one:\n{source}"
    assert all(200 <= status < 300 for status in statuses()), (line, statuses(), output.getvalue())
    return output.getvalue()


def _undo_tracing() -> None:
    """Undo what the Tracing block turns on (httpx's transports patched for the whole process), so that the
    tests after it, tests/test_tracing.py among them, see httpx as it was."""
    instrumentor = HTTPXClientInstrumentor()  # a singleton: the one the block used
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()


def follows_events(source: str) -> bool:
    """A block that follows a task's events: Prism serves no live stream, the fake backend does."""
    return "events_streaming" in source


def test_every_readme_block_compiles_as_a_script() -> None:
    """All of them, the testing example's files included: none has a top-level `await`."""
    text = README.read_text()
    blocks = [(text.count("\n", 0, match.start()) + 1, match.group(1)) for match in _FENCE.finditer(text)]
    assert len(blocks) > len(readme_blocks(text)) >= 10, "the README shows its examples in ```python blocks"
    for line, source in blocks:
        compile_block(line, source)


def test_readme_examples_run_against_prism(prism_env: str, caplog: pytest.LogCaptureFixture) -> None:
    """Every block that does not follow events runs as a script against Prism (which checks each request against
    the spec): those that send, and those that only build a configuration or set up logging, which must send
    nothing (they need no network)."""
    examples = [(line, source) for line, source in readme_blocks(README.read_text()) if not follows_events(source)]
    assert sum(bool(_SENDS.search(source)) for _, source in examples) >= 6, "the README shows the calls"
    for line, source in examples:
        output = run_example(line, source, caplog)
        if "print(task.id" in source:
            assert EXAMPLE_TASK_ID in output, (line, output)


def test_readme_event_examples_run_against_the_fake_backend(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The blocks that follow events, against `xpander_sdk.testing.FakeBackend` on a loopback server: it serves
    each task's event stream and finishes every task 50 ms after its create."""
    examples = [(line, source) for line, source in readme_blocks(README.read_text()) if follows_events(source)]
    assert len(examples) >= 4, "the README shows events and waiting, async and sync, and many at once"
    with FakeBackend() as backend, backend.serve() as url:
        backend.complete_next("Hello!", after=0.05, times=None)
        monkeypatch.setenv("XPANDER_BASE_URL", url)
        monkeypatch.setenv("XPANDER_API_KEY", backend.api_key)
        monkeypatch.setenv("XPANDER_ORGANIZATION_ID", backend.organization_id)
        for line, source in examples:
            assert "Traceback" not in run_example(line, source, caplog)
        events = [request for request in backend.requests if request.operation == "get_task_events"]
        assert events, "a block followed a task's events"


def test_readme_example_finder_sees_every_python_block_but_the_named_files() -> None:
    """The extraction itself: every python block is found with the line of its fence, a `# myapp.py` file not."""
    text = "intro\n```python\nimport os\n```\n```sh\nTasks()\n```\n"
    text += "```python\n# myapp.py: the code under test\nTasks().create('a')\n```\n```python\nTask.load('t')\n```\n"
    assert readme_blocks(text) == [(2, "import os\n"), (12, "Task.load('t')\n")]


def test_a_block_with_top_level_await_fails_naming_its_readme_line() -> None:
    """A block a user cannot run as a script fails the README tests at the line to fix; a guarded one runs."""
    text = "intro\n\n```python\nfrom xpander_sdk import Tasks\n\ntask = await Tasks().aget('t')\n```\n"
    [(line, source)] = readme_blocks(text)
    with pytest.raises(pytest.fail.Exception, match=r"README\.md:6: .*'await' outside function.*asyncio\.run"):
        compile_block(line, source)
    with pytest.raises(SystemExit, match="the guarded part ran"):
        run_snippet(1, "if __name__ == '__main__':\n    raise SystemExit('the guarded part ran')\n")
