"""The calls and response fixtures of the differential suite, as JSON-describable data (decoded by
`runner.decode`: `{"$": "ThinkMode.Harder"}` is an enum member, `{"$": "User", "kwargs": {...}}` an object;
a parameter left out is simply not in `kwargs`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FULL_TASK: dict[str, Any] = json.loads((ROOT / "tests" / "fixtures" / "task-response-full.json").read_text())
REQUIRED_TASK_KEYS = ("id", "agent_id", "organization_id", "input", "created_at")
NOT_OPTIONAL_TASK_KEYS = (*REQUIRED_TASK_KEYS, "background_auth_eligible")
"""The Task fields the official SDK does not annotate Optional (`background_auth_eligible: bool = False`)."""
AGENT = "agent-123"
OMIT = {"$omit": True}
"""A keyword argument with this value is left out of the call (`call(..., prompt=OMIT)`: no prompt at all)."""


def obj(class_name: str, /, **kwargs: Any) -> dict[str, Any]:
    return {"$": class_name, "kwargs": kwargs}


def member(name: str) -> dict[str, str]:
    return {"$": name}


USER = obj(
    "User",
    email="ada@example.com",
    id="u-1",
    first_name="Ada",
    last_name="Lovelace",
    timezone="Europe/London",
    additional_attributes={"team": "analytics", "level": 3},
)
PRINCIPAL = obj("Principal", kind=member("PrincipalKind.user"), id="u-1", email="ada@example.com", display_name="Ada")
MCP_SERVER = obj(
    "MCPServerDetails",
    name="search",
    url="https://mcp.example.com/mcp",
    auth_type=member("MCPServerAuthType.APIKey"),
    api_key="mcp-secret-key",
    headers={"X-Team": "a"},
    allowed_tools=["search"],
)
ATTACHMENT = obj(
    "AttachmentRef",
    url="https://example.com/a.pdf",
    name="a.pdf",
    mime="application/pdf",
    size=1234,
    kind=member("AttachmentKind.pdf"),
    sha256="ab" * 32,
    expires_at="2030-01-01T00:00:00Z",
    source="upload",
    transcript="page one",
)

# One typical value for each of the 32 parameters after agent_id (the path), in the official order.
TYPICAL: dict[str, Any] = {
    "existing_task_id": "t-prev",
    "prompt": "Summarize the latest sales report",
    "file_urls": ["https://example.com/sales.csv"],
    "user_details": USER,
    "principal": PRINCIPAL,
    "agent_version": "3",
    "tool_call_payload_extension": {"crm": {"account": 7}},
    "source": "sdk",
    "worker_id": "worker-1",
    "run_locally": True,
    "output_format": member("OutputFormat.Json"),
    "output_schema": {"type": "object", "properties": {"total": {"type": "number"}}},
    "events_streaming": True,
    "additional_context": "Q3 only",
    "instructions_override": "Be brief.",
    "test_run_node_id": "node-1",
    "user_oidc_token": "oidc-secret-token",
    "expected_output": "A table",
    "mcp_servers": [MCP_SERVER],
    "triggering_agent_id": "agent-0",
    "title": "Sales summary",
    "think_mode": member("ThinkMode.Harder"),
    "disable_attachment_injection": True,
    "return_metrics": True,
    "user_tokens": {"search": "user-token-1"},
    "llm_model_provider": "openai",
    "llm_model_name": "gpt-5",
    "llm_reasoning_effort": member("LLMReasoningEffort.High"),
    "harness_cli": "codex",
    "tool_call_limit": 5,
    "attachments": [ATTACHMENT],
    "permission_mode": "gated",
}


def call(name: str, /, mode: str = "async", args: list[Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    """A call on AGENT with prompt "hi" unless the arguments say otherwise (`prompt=OMIT` leaves it out)."""
    arguments: dict[str, Any] = {} if args else {"agent_id": AGENT, "prompt": "hi"}
    arguments.update(kwargs)
    kept = {key: value for key, value in arguments.items() if value != OMIT}
    return {"name": name, "mode": mode, "args": args or [], "kwargs": kept}


def _one(name: str, value: Any) -> dict[str, Any]:
    return {name: value}


MCP_VARIANTS = [
    obj("MCPServerDetails", type=member("MCPServerType.Local"), name="local", command="npx srv", env_vars={"A": "1"}),
    obj(
        "MCPServerDetails",
        name="remote-stdio",
        url="https://m.example.com",
        transport=member("MCPServerTransport.STDIO"),
    ),
    obj("MCPServerDetails", name="sse", url="https://m.example.com/sse", transport=member("MCPServerTransport.SSE")),
]

REQUEST_CALLS: list[dict[str, Any]] = [
    call("minimal"),
    call("minimal, sync create", mode="sync"),
    *(call(f"{name} set", **_one(name, value)) for name, value in TYPICAL.items()),
    *(call(f"{name}=None", **_one(name, None)) for name in TYPICAL),
    call("every parameter set", **TYPICAL),
    call("every parameter set, sync create", mode="sync", **TYPICAL),
    call("every parameter positional", args=[AGENT, *TYPICAL.values()]),
    call("no prompt", prompt=OMIT),
    call("empty prompt", prompt=""),
    call("existing_task_id without prompt", prompt=OMIT, existing_task_id="t-prev"),
    call("prompt=None with file_urls", prompt=None, file_urls=["https://example.com/a.csv"]),
    call("agent_version int", agent_version=3),
    call("agent_version empty", agent_version=""),
    call("output_format as a string", output_format="json"),
    call("llm_reasoning_effort as a string", llm_reasoning_effort="high"),
    call("think_mode as a string", think_mode="harder"),
    call("tool_call_limit as a string", tool_call_limit="5"),
    call("user_details email only", user_details=obj("User", email="bob@example.com")),
    call("principal minimal, kind as a string", principal=obj("Principal", kind="slack", id="U123")),
    call("attachments url only", attachments=[obj("AttachmentRef", url="https://example.com/b.png")]),
    call("attachments empty list", attachments=[]),
    call("harness_cli mixed case", harness_cli=" Claude-Code "),
    call("harness_cli unknown", harness_cli="unknown-tool"),
    call("harness_cli blank", harness_cli=""),
    call("permission_mode mixed case", permission_mode=" GATED "),
    call("permission_mode blank", permission_mode=""),
    call("permission_mode unknown", permission_mode="auto"),
    call("mcp_servers item as a dict", mcp_servers=[{"name": "m", "url": "https://mcp.example.com"}]),
    call("mcp_servers transports", mcp_servers=MCP_VARIANTS),
    call("file_urls empty list", file_urls=[]),
    call("unicode prompt: emoji", prompt="Résumé 📊👩🏽‍💻 done ✅"),
    call("unicode prompt: RTL", prompt="שלום עולם — مرحبا بالعالم \u202eabc\u202c"),
    call("unicode prompt: controls and separators", prompt='tab\tline\nquote" back\\ \u2028\u2029 \x7f'),
    call("unicode prompt: lone surrogate", prompt="bad \ud800 half"),
    call("large prompt (1 MB)", prompt=("Lorem ipsum é 👋 " * 70_000)[:1_000_000]),
    call("tool_call_limit 0", tool_call_limit=0),
    call("agent id with a space", agent_id="my agent"),
    call("agent id with a slash", agent_id="team/agent"),
    call("agent id unicode", agent_id="agént"),
    call("agent id empty", agent_id=""),
    call("agent id '.'", agent_id="."),
    call("agent id '..'", agent_id=".."),
    call("agent id of 1,000 characters", agent_id="x" * 1000),
    call("agent id with a tab", agent_id="a\tb"),
    call("agent id with CR LF", agent_id="a\r\nX-Injected: 1"),
    call("agent id with NUL", agent_id="a\x00b"),
    call("tool_call_limit negative", tool_call_limit=-1),
    call("attachment size negative", attachments=[obj("AttachmentRef", url="https://example.com/a.pdf", size=-1)]),
    call("run_locally as 1", run_locally=1),
    call("source as an int", source=5),
]


def _variant(**changes: Any) -> bytes:
    task = copy.deepcopy(FULL_TASK)
    task.update(changes)
    return json.dumps(task).encode("utf-8")


_NULL_OPTIONALS = {key: None for key in FULL_TASK if key not in NOT_OPTIONAL_TASK_KEYS}
_NULL_INPUT = {"text": None, "files": None, "attachments": None, "user": None, "principal": None}

RESPONSES: dict[str, bytes] = {
    "full": json.dumps(FULL_TASK).encode("utf-8"),
    "minimal": (
        b'{"id":"t1","agent_id":"a","organization_id":"o","input":{"text":"x"},"created_at":"2025-01-01T00:00:00Z"}'
    ),
    "unknown keys": _variant(brand_new_field={"x": 1}, another_one=[1, 2]),
    "unknown status": _variant(status="hibernating"),
    "unknown output_format": _variant(output_format="hologram"),
    "timestamps without zone": _variant(created_at="2025-01-01T12:00:00", started_at="2025-01-01T12:00:01.5"),
    "timestamps with offset": _variant(created_at="2025-01-01T12:00:00+02:00", finished_at="2025-01-01T13:00:00Z"),
    "optional fields null": _variant(**_NULL_OPTIONALS),
    "input fields null": _variant(input=_NULL_INPUT),
    "background_auth_eligible null": _variant(background_auth_eligible=None),
}
RESPONSE_CALLS = [{**call(f"response: {name}"), "response": name} for name in RESPONSES]
RESPONSE_CALLS.append({**call("response: full, sync create", mode="sync"), "response": "full"})
ALL_CALLS = REQUEST_CALLS + RESPONSE_CALLS


def answer(call_name: str) -> bytes:
    """The body the server answers a call with: its fixture for a response call, else the full Task."""
    for item in RESPONSE_CALLS:
        if item["name"] == call_name:
            return RESPONSES[item["response"]]
    return RESPONSES["full"]
