"""The calls and response fixtures of the differential suite, as JSON-describable data (decoded by
`runner.decode`: `{"$": "ThinkMode.Harder"}` is an enum member, `{"$": "User", "kwargs": {...}}` an object;
a parameter left out is simply not in `kwargs`)."""

from __future__ import annotations

import copy
import json
import re
import threading
from pathlib import Path
from typing import Any

from attrs import define, field

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
CREATE_CALLS = REQUEST_CALLS + RESPONSE_CALLS


# -- the lifecycle calls (get, stop, update, list; Task.aload, areload, astop, asave, aset_status) -------------
# A lifecycle call is a chain of steps, each a method called on the `Tasks`, on a class (`Task`), or on what the
# step before returned (`subject`, or `subject[0]` for the first item of a list). The server answers each route
# with the fixtures the call names (`responses`: route -> fixture names, used in turn, the last one repeated).

TASK_ID = "task-1"
CONFIG = {"$config": True}
"""An argument with this value is the runner's Configuration (the one its `Tasks` was made with)."""


def step(on: str, method: str, /, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """One step: `method` of `on` ("tasks", "Task", "subject", "subject[0]"); a name without the leading `a` of
    the async methods is a sync method, run in a thread."""
    return {
        "on": on,
        "method": method,
        "mode": "async" if method.startswith("a") else "sync",
        "args": list(args),
        "kwargs": kwargs,
    }


def assign(**values: Any) -> dict[str, Any]:
    """A step setting attributes of the subject (`task.result = ...`), as a worker does before `asave`; a value
    `{"$like": {...}}` is an object of the class the attribute holds (see `runner.decode_like`)."""
    return {"on": "subject", "set": values}


def lifecycle(name: str, /, *steps: dict[str, Any], **responses: str | list[str]) -> dict[str, Any]:
    routes = {route: [value] if isinstance(value, str) else value for route, value in responses.items()}
    return {"name": name, "steps": list(steps), "responses": routes}


def load(mode: str = "async") -> dict[str, Any]:
    """`Task.aload(TASK_ID, configuration=cfg)` (or `Task.load`)."""
    return step("Task", "aload" if mode == "async" else "load", TASK_ID, configuration=CONFIG)


def _task(**changes: Any) -> dict[str, Any]:
    task = copy.deepcopy(LIFECYCLE_TASK)
    task.update(changes)
    return task


_API_KEY_SERVER = {  # keys in another order than the official model's, to see both write the model's order
    "url": "https://mcp.example.com/mcp",
    "name": "search",
    "api_key": "mcp-secret-key",
    "auth_type": "api_key",
    "type": "remote",
    "transport": "streamable-http",
    "headers": {"X-Team": "a", "Authorization": "Bearer mcp-header-secret"},
    "allowed_tools": ["search", "fetch"],
    "id": "mcp-1",
    "use_secrets_manager": False,
    "client_id": None,
    "client_secret": None,
    "env_vars": {},
    "additional_scopes": [],
    "share_user_token_across_other_agents": False,
    "sso_token": "id",
    "sso_audience": "api://x",
    "command": None,
}
_OAUTH_SERVER = {
    "name": "drive",
    "url": "https://mcp.example.com/drive",
    "auth_type": "oauth2",
    "client_id": "cid",
    "client_secret": "oauth-client-secret",
    "additional_scopes": ["drive.read"],
}
LIFECYCLE_TASK: dict[str, Any] = {
    **copy.deepcopy(FULL_TASK),
    "id": TASK_ID,
    "status": "executing",
    "internal_status": "thinking",
    "last_executed_node_id": "node-3",
    "created_at": "2026-05-01T12:00:00.000000Z",
    "started_at": "2026-05-01T12:00:01.250Z",
    "input": {
        "text": "Summarize the file",
        "files": ["https://example.com/a.pdf"],
        "attachments": [{"url": "https://example.com/a.pdf", "kind": "pdf", "name": "a.pdf", "size": 1234}],
        "user": {
            "email": "ada@example.com",
            "timezone": "Europe/London",
            "id": "u1",
            "last_name": "Lovelace",
            "first_name": "Ada",
            "additional_attributes": {"team": "x", "level": 3},
        },
        "principal": {"id": "u1", "kind": "user", "display_name": "Ada", "email": "ada@example.com"},
    },
    "sub_executions": ["task-0"],
    "hitl_request": {"wait_node_id": "node-9"},
    "pending_eca_request": {"connector_name": "gmail", "auth_url": "https://auth.example.com/x"},
    "mcp_servers": [_API_KEY_SERVER, _OAUTH_SERVER],
    "user_tokens": {"search": "user-token-1", "drive": "user-token-2"},
    "user_oidc_token": "oidc-secret-token",
    "deep_planning": {
        "enabled": True,
        "enforce": True,
        "started": True,
        "question_raised": False,
        "tasks": [{"id": "p1", "title": "read", "completed": True}, {"id": "p2", "title": "sum"}],
    },
    "execution_attempts": 2,
    "tokens": {"prompt_tokens": 10, "completion_tokens": 5, "cache_read_tokens": 3, "cache_write_tokens": 1},
    "used_tools": ["web_search"],
    "duration": 0,
}
"""A task with every kind of value `asave` sends back: secrets, MCP servers, a deep plan, tokens, a user."""

LIST_ITEMS: list[dict[str, Any]] = [
    {
        "id": TASK_ID,
        "agent_id": "agent-1",
        "organization_id": "org-456",
        "status": "completed",
        "user_id": "u1",
        "parent_task_id": "task-0",
        "triggering_agent_id": "agent-0",
        "created_at": "2026-05-01T12:00:00.000000Z",
        "updated_at": "2026-05-01T12:05:00+02:00",
        "source_node_type": "sdk",
        "result": "done",
        "title": "My task",
        "execution_kind": "resident",
        "process": {"state": "running", "attempt": 1},
        "conversation_kind": "direct",
        "brand_new_field": 1,
    },
    {"id": "task-2", "agent_id": "agent-1", "organization_id": "org-456", "status": "pending"},
]


def _nested_unknown_keys() -> dict[str, Any]:
    task = _task()
    task["input"]["user"]["avatar"] = "https://example.com/ada.png"
    task["input"]["attachments"][0]["thumbnail"] = "t.png"
    task["mcp_servers"][0]["brand_new"] = True
    task["deep_planning"]["tasks"][0]["note"] = "n"
    task["tokens"]["reasoning_tokens"] = 4
    task["hitl_request"]["prompt"] = "approve?"
    return task


def _ok(value: Any) -> tuple[int, bytes]:
    return 200, json.dumps(value).encode("utf-8")


_NULL_LIFECYCLE = {key: None for key in LIFECYCLE_TASK if key not in NOT_OPTIONAL_TASK_KEYS}
LIFECYCLE_RESPONSES: dict[str, tuple[int, bytes]] = {
    "task": _ok(LIFECYCLE_TASK),
    "minimal": (200, RESPONSES["minimal"]),
    "stopped": _ok(_task(status="stopped", is_manually_stopped=True, finished_at="2026-05-01T12:01:00Z")),
    "updated": _ok(_task(status="completed", result="r", finished_at="2026-05-01T12:01:00.5Z")),
    "saved": _ok(_task(status="completed", result="done", finished_at="2026-05-01T12:01:00Z")),
    "lost plan and context": _ok(
        _task(status="completed", additional_context=None, deep_planning={"enabled": True, "tasks": []})
    ),
    "timestamps": _ok(
        _task(
            created_at="2026-05-01T14:00:00.123+02:00",
            started_at="2026-05-01T12:00:01",
            paused_at="2026-05-01T12:00:02.5",
            finished_at="2026-05-01T12:00:03+00:00",
        )
    ),
    "execution_attempts 0": _ok(_task(execution_attempts=0)),
    "duration 1.5, tool_call_limit 0": _ok(_task(duration=1.5, tool_call_limit=0)),
    "harness_cli and permission_mode not normalized": _ok(_task(harness_cli=" Claude-Code ", permission_mode="GATED")),
    "mcp transports": _ok(
        _task(
            mcp_servers=[
                {"name": "r", "url": "https://m.example.com", "transport": "stdio"},
                {"type": "local", "name": "l", "command": "srv", "transport": "sse"},
                {"name": "n", "url": "https://m.example.com", "transport": None},
            ]
        )
    ),
    "unknown keys": _ok(_task(brand_new_field={"x": 1}, updated_at="2026-05-01T12:00:05Z", worker_id="w1")),
    "nested unknown keys": _ok(_nested_unknown_keys()),
    "timestamps as epoch seconds": _ok(_task(started_at=1777636801, finished_at="1777636802")),
    "deep_planning null": _ok(_task(deep_planning=None)),
    "deep_planning absent": _ok({key: value for key, value in LIFECYCLE_TASK.items() if key != "deep_planning"}),
    "conversation_kind gateway": _ok(_task(conversation_kind="gateway", execution_kind="resident")),
    "optional fields null": _ok(_task(**_NULL_LIFECYCLE)),
    "tokens partly null": _ok(_task(tokens={"prompt_tokens": 10, "completion_tokens": None})),
    "list": _ok(LIST_ITEMS),
    "list with an unknown status": _ok([*LIST_ITEMS, {**LIST_ITEMS[1], "id": "task-3", "status": "queued"}]),
    "list 204": (204, b""),
    "plan done": _ok(
        _task(deep_planning={**LIFECYCLE_TASK["deep_planning"], "tasks": [{"id": "p1", "completed": True}]})
    ),
    "not found": (404, b'{"detail":"Task not found"}'),
}
AGENT_RECORD: dict[str, Any] = {
    "id": AGENT,
    "organization_id": "org-1",
    "name": "Sales analyst",
    "unique_name": "sales-analyst",
    "description": "Sums up sales",
    "framework": "agno",
    "model_provider": "openai",
    "model_name": "gpt-4.1",
    "version": 3,
    "status": "ACTIVE",
    "created_at": "2026-01-01T00:00:00Z",
    "instructions": {"role": ["analyst"], "goal": ["sum"], "general": "Be brief."},
    "graph": [],
    "tools": [],
    "brand_new_field": {"x": 1},
}
"""An agent as `GET /agents/{agent_id}` answers (the official SDK requires the first seven keys only)."""
_REQUIRED_AGENT_KEYS = ("id", "organization_id", "name", "unique_name", "framework", "model_provider", "model_name")
LIFECYCLE_RESPONSES.update(
    {
        "agent": _ok(AGENT_RECORD),
        "agent minimal": _ok({key: AGENT_RECORD[key] for key in _REQUIRED_AGENT_KEYS}),
        "agent unknown framework": _ok({**AGENT_RECORD, "framework": "brand-new-framework"}),
        "agent without model_name": _ok({key: value for key, value in AGENT_RECORD.items() if key != "model_name"}),
        "agent status null": _ok({**AGENT_RECORD, "status": None, "description": None}),
        "agent 404": (404, b'{"detail":"Agent not found"}'),
    }
)
DEFAULT_RESPONSES = {"get": ["task"], "stop": ["stopped"], "update": ["updated"], "list": ["list"], "agent": ["agent"]}
FIVE_UPDATE_ARGS = {
    "tool_call_payload_extension": {"headers": {"x": "y"}},
    "source": "sdk",
    "status": member("AgentExecutionStatus.Completed"),
    "last_executed_node_id": "node-7",
    "result": "r",
}
FILTERS = {"user_id": "u 1&x=y", "status": "executing", "parent_task_id": None, "internal_status": "ünï"}
SAVE_VARIANTS = (
    "minimal",
    "timestamps",
    "execution_attempts 0",
    "duration 1.5, tool_call_limit 0",
    "harness_cli and permission_mode not normalized",
    "mcp transports",
    "unknown keys",
    "optional fields null",
    "tokens partly null",
    "nested unknown keys",
    "timestamps as epoch seconds",
    "conversation_kind gateway",
)
DEEP_PLAN_VARIANTS = ("minimal", "deep_planning null", "deep_planning absent", "nested unknown keys")

# -- the worker-side reports (a POST is answered as a create: the full task) -----------------------------------------
METRICS = "areport_metrics"
REPORT_CALLS: list[dict[str, Any]] = [
    lifecycle("Task.aload, areport_metrics(configuration=cfg)", load(), step("subject", METRICS, configuration=CONFIG)),
    lifecycle("Task.load, report_metrics(configuration=cfg)", load("sync"), step("subject", "report_metrics", CONFIG)),
    lifecycle(
        "Task.aload, set fields, areport_metrics(configuration=cfg)",
        load(),
        assign(
            result="",
            used_tools=["a", "b"],
            llm_model_name=" GPT-5 ",
            status=member("AgentExecutionStatus.Completed"),
            tokens={"$like": {"prompt_tokens": 7, "completion_tokens": None, "cache_write_tokens": 2}},
        ),
        step("subject", METRICS, configuration=CONFIG),
    ),
    lifecycle(
        "Task.aload, orchestration returning metrics, areport_metrics(configuration=cfg)",
        load(),
        assign(source="orchestration", return_metrics=True),
        step("subject", METRICS, configuration=CONFIG),
    ),
    lifecycle("Task.aload, areport_metrics (no configuration)", load(), step("subject", METRICS)),
    lifecycle(
        "Task.aload, source null, areport_metrics(configuration=cfg)",
        load(),
        assign(source=None),
        step("subject", METRICS, configuration=CONFIG),
    ),
    lifecycle(
        "Task.aload, tokens None, areport_metrics(configuration=cfg)",
        load(),
        assign(tokens=None),
        step("subject", METRICS, configuration=CONFIG),
    ),
    lifecycle(
        "Task.areport_external_task(configuration=cfg), every field",
        step(
            "Task",
            "areport_external_task",
            configuration=CONFIG,
            agent_id=AGENT,
            id="ext-1",
            input="What is 2+2? ✓",
            llm_response={"choices": [{"message": {"content": "4"}}], "usage": None},
            tokens=obj("Tokens", prompt_tokens=9, completion_tokens=1, cache_read_tokens=4),
            is_success=False,
            result="4",
            duration=3,
            used_tools=["calc"],
        ),
    ),
    lifecycle(
        "Task.report_external_task(configuration=cfg), defaults",
        step("Task", "report_external_task", configuration=CONFIG, agent_id=AGENT),
    ),
    lifecycle(
        "Task.areport_external_task(configuration=cfg), nulls",
        step("Task", "areport_external_task", CONFIG, AGENT, duration=None, used_tools=None, is_success=None),
    ),
    lifecycle("Task.aload, aget_plan_following_status", load(), step("subject", "aget_plan_following_status")),
    lifecycle(
        "Task.load, get_plan_following_status, plan done",
        load("sync"),
        step("subject", "get_plan_following_status"),
        get=["task", "plan done"],
    ),
    lifecycle(
        "Task.aload, aget_plan_following_status, reload 404",
        load(),
        step("subject", "aget_plan_following_status"),
        get=["task", "not found"],
    ),
]

LIFECYCLE_CALLS: list[dict[str, Any]] = [
    # Tasks.aget / get
    lifecycle("aget", step("tasks", "aget", TASK_ID)),
    lifecycle("get, sync", step("tasks", "get", TASK_ID)),
    lifecycle("aget, task_id keyword", step("tasks", "aget", task_id=TASK_ID)),
    lifecycle("aget id with a space", step("tasks", "aget", "a b")),
    lifecycle("aget id unicode", step("tasks", "aget", "tâsk-1")),
    lifecycle("aget id with a slash", step("tasks", "aget", "team/task-1")),
    lifecycle("aget id with '?'", step("tasks", "aget", "task-1?x=1")),
    lifecycle("aget id empty", step("tasks", "aget", "")),
    lifecycle("aget id '..'", step("tasks", "aget", "..")),
    lifecycle("aget response: minimal", step("tasks", "aget", TASK_ID), get="minimal"),
    lifecycle("aget response: timestamps", step("tasks", "aget", TASK_ID), get="timestamps"),
    lifecycle("aget response: execution_attempts 0", step("tasks", "aget", TASK_ID), get="execution_attempts 0"),
    lifecycle(
        "aget response: harness_cli and permission_mode not normalized",
        step("tasks", "aget", TASK_ID),
        get="harness_cli and permission_mode not normalized",
    ),
    lifecycle("aget response: mcp transports", step("tasks", "aget", TASK_ID), get="mcp transports"),
    # Tasks.astop / stop
    lifecycle("astop", step("tasks", "astop", TASK_ID)),
    lifecycle("stop, sync", step("tasks", "stop", TASK_ID)),
    lifecycle("astop id with a slash", step("tasks", "astop", "team/task-1")),
    # Tasks.aupdate / update
    lifecycle("aupdate all five", step("tasks", "aupdate", TASK_ID, **FIVE_UPDATE_ARGS)),
    lifecycle("update all five, sync", step("tasks", "update", TASK_ID, **FIVE_UPDATE_ARGS)),
    lifecycle("aupdate all five positional", step("tasks", "aupdate", TASK_ID, *FIVE_UPDATE_ARGS.values())),
    lifecycle("aupdate nothing", step("tasks", "aupdate", TASK_ID)),
    lifecycle("aupdate result empty", step("tasks", "aupdate", TASK_ID, result="")),
    lifecycle("aupdate status only", step("tasks", "aupdate", TASK_ID, status=member("AgentExecutionStatus.Failed"))),
    lifecycle("aupdate status as a string", step("tasks", "aupdate", TASK_ID, status="completed")),
    lifecycle("aupdate unicode result", step("tasks", "aupdate", TASK_ID, result="Résumé 📊 \u2028 done")),
    # Tasks.alist / list / alist_user_tasks / list_user_tasks
    lifecycle("alist", step("tasks", "alist", "agent-1")),
    lifecycle("list, sync", step("tasks", "list", "agent-1")),
    lifecycle("alist filters", step("tasks", "alist", "agent-1", FILTERS)),
    lifecycle("list filters, sync", step("tasks", "list", "agent-1", filters=FILTERS)),
    lifecycle("alist filters empty", step("tasks", "alist", "agent-1", {})),
    lifecycle(
        "alist status as a member", step("tasks", "alist", "agent-1", {"status": member("AgentExecutionStatus.Failed")})
    ),
    lifecycle("alist unknown filter key", step("tasks", "alist", "agent-1", {"page": "2"})),
    lifecycle("alist filter value a list", step("tasks", "alist", "agent-1", {"triggering_agent_id": ["a1", "a2"]})),
    lifecycle("alist agent id with a slash", step("tasks", "alist", "team/agent-1")),
    lifecycle("alist response: unknown status", step("tasks", "alist", "agent-1"), list="list with an unknown status"),
    lifecycle("alist response: 204", step("tasks", "alist", "agent-1"), list="list 204"),
    lifecycle("alist_user_tasks", step("tasks", "alist_user_tasks", "u1", {"status": "completed"})),
    lifecycle("list_user_tasks, sync", step("tasks", "list_user_tasks", "u1", {"status": "completed"})),
    lifecycle("alist_user_tasks no filters", step("tasks", "alist_user_tasks", "u 1")),
    # TasksListItem.aload / load
    lifecycle(
        "alist, then item aload(configuration)",
        step("tasks", "alist", "agent-1"),
        step("subject[0]", "aload", configuration=CONFIG),
    ),
    lifecycle(
        "list, then item load(configuration), sync",
        step("tasks", "list", "agent-1"),
        step("subject[0]", "load", configuration=CONFIG),
    ),
    lifecycle("alist, then item aload()", step("tasks", "alist", "agent-1"), step("subject[0]", "aload")),
    # Task.aload / load and the methods of a loaded task
    lifecycle("Task.aload", load()),
    lifecycle("Task.load, sync", load("sync")),
    lifecycle("Task.aload without configuration", step("Task", "aload", TASK_ID)),
    lifecycle("Task.aload, areload", load(), step("subject", "areload")),
    lifecycle("Task.load, reload, sync", load("sync"), step("subject", "reload")),
    lifecycle(
        "Task.aload, areload losing plan and context",
        load(),
        step("subject", "areload"),
        get=["task", "lost plan and context"],
    ),
    lifecycle("Task.aload, astop", load(), step("subject", "astop")),
    lifecycle("Task.load, stop, sync", load("sync"), step("subject", "stop")),
    lifecycle("Task.aload, asave", load(), step("subject", "asave"), update="saved"),
    lifecycle("Task.load, save, sync", load("sync"), step("subject", "save"), update="saved"),
    lifecycle(
        "Task.aload, asave(with_deep_plan_update=True)",
        load(),
        step("subject", "asave", with_deep_plan_update=True),
        update="saved",
    ),
    lifecycle(
        "Task.aload, asave (answer losing plan and context), asave(with_deep_plan_update=True)",
        load(),
        step("subject", "asave"),
        step("subject", "asave", with_deep_plan_update=True),
        update=["lost plan and context", "saved"],
    ),
    lifecycle(
        "Task.aload, asave, answer losing plan and context",
        load(),
        step("subject", "asave"),
        update="lost plan and context",
    ),
    lifecycle(
        "Task.aload, aset_status",
        load(),
        step("subject", "aset_status", member("AgentExecutionStatus.Completed"), result="done"),
        update="saved",
    ),
    lifecycle(
        "Task.load, set_status, sync",
        load("sync"),
        step("subject", "set_status", member("AgentExecutionStatus.Completed"), result="done"),
        update="saved",
    ),
    lifecycle(
        "Task.aload, aset_status without result",
        load(),
        step("subject", "aset_status", member("AgentExecutionStatus.Failed")),
        update="saved",
    ),
    lifecycle(
        "Task.aload, aset_status as a string",
        load(),
        step("subject", "aset_status", "completed", result="done"),
        update="saved",
    ),
    lifecycle("Task.aload, asave twice", load(), step("subject", "asave"), step("subject", "asave"), update="saved"),
    lifecycle(
        "alist, item aload(configuration), asave",
        step("tasks", "alist", "agent-1"),
        step("subject[0]", "aload", configuration=CONFIG),
        step("subject", "asave"),
        update="saved",
    ),
    *(
        lifecycle(f"Task.aload, asave: {name}", load(), step("subject", "asave"), get=name, update="saved")
        for name in SAVE_VARIANTS
    ),
    lifecycle(
        "Task.aload, areload losing plan, asave(with_deep_plan_update=True)",
        load(),
        step("subject", "areload"),
        step("subject", "asave", with_deep_plan_update=True),
        get=["task", "lost plan and context"],
        update="saved",
    ),
    lifecycle("Task.aload, astop, asave", load(), step("subject", "astop"), step("subject", "asave"), update="saved"),
    lifecycle(
        "acreate, then asave", step("tasks", "acreate", AGENT, prompt="hi"), step("subject", "asave"), update="saved"
    ),
    lifecycle("acreate, then areload", step("tasks", "acreate", AGENT, prompt="hi"), step("subject", "areload")),
    lifecycle("aget, then asave", step("tasks", "aget", TASK_ID), step("subject", "asave"), update="saved"),
    lifecycle(
        "aupdate, then asave",
        step("tasks", "aupdate", TASK_ID, result="r"),
        step("subject", "asave"),
        update=["updated", "saved"],
    ),
    lifecycle(
        "Task.aload, set fields, asave",
        load(),
        assign(
            result="the answer",
            status=member("AgentExecutionStatus.Completed"),
            used_tools=["a", "b"],
            duration=2.5,
            additional_context=None,
            title="Renamed",
        ),
        step("subject", "asave"),
        update="saved",
    ),
    lifecycle(
        "Task.aload, set duration as an int, asave",
        load(),
        assign(duration=3),
        step("subject", "asave"),
        update="saved",
    ),
    lifecycle(
        "Task.aload, set status as a string, asave",
        load(),
        assign(status="failed"),
        step("subject", "asave"),
        update="saved",
    ),
    lifecycle(
        "Task.aload, set tokens, asave",
        load(),
        assign(tokens={"$like": {"prompt_tokens": 7, "completion_tokens": 8, "cache_read_tokens": 1}}),
        step("subject", "asave"),
        update="saved",
    ),
    lifecycle(
        "Task.aload, set tokens as xpander_sdk Tokens, asave",
        load(),
        assign(tokens=obj("Tokens", prompt_tokens=7, completion_tokens=8)),
        step("subject", "asave"),
        update="saved",
    ),
    lifecycle(
        "Task.aload, set deep_planning, asave(with_deep_plan_update=True)",
        load(),
        assign(deep_planning={"$like": {"enabled": True, "started": True, "question_raised": True}}),
        step("subject", "asave", with_deep_plan_update=True),
        update="saved",
    ),
    lifecycle(
        "Task.aload, set deep_planning as xpander_sdk DeepPlanning, asave(with_deep_plan_update=True)",
        load(),
        assign(deep_planning=obj("DeepPlanning", enabled=True, tasks=[obj("DeepPlanningItem", id="p9", title="x")])),
        step("subject", "asave", with_deep_plan_update=True),
        update="saved",
    ),
    *(
        lifecycle(
            f"Task.aload, asave(with_deep_plan_update=True): {name}",
            load(),
            step("subject", "asave", with_deep_plan_update=True),
            get=name,
            update="saved",
        )
        for name in DEEP_PLAN_VARIANTS
    ),
    *REPORT_CALLS,
]


# -- Agents.aget / get, Agent.aload, agent.acreate_task / create_task, Backend.ainvoke_agent / invoke_agent ---------
# Each call reads an agent id of its own: both SDKs keep an agent read for 5 s, per agent id and version.
def task_on_agent(name: str, agent_id: str, /, *steps: dict[str, Any], **aget_kwargs: Any) -> dict[str, Any]:
    """A chain that reads the agent `agent_id` (`Agents(configuration=cfg).aget`, or `get` before a sync step),
    then the given steps."""
    read = "get" if steps and steps[0]["mode"] == "sync" else "aget"
    return lifecycle(name, step("agents", read, agent_id, **aget_kwargs), *steps)


_ACREATE_TASK_ARGS = {"prompt": TYPICAL["prompt"], "existing_task_id": TYPICAL["existing_task_id"]}
_ACREATE_TASK_ARGS.update((key, value) for key, value in TYPICAL.items() if key not in _ACREATE_TASK_ARGS)
"""Every parameter of `acreate_task`, in its order (prompt before existing_task_id, unlike `Tasks.acreate`)."""
_INVOKE_ARGS = {
    key: TYPICAL[key]
    for key in [
        "prompt",
        "existing_task_id",
        "file_urls",
        "user_details",
        "agent_version",
        "tool_call_payload_extension",
        "source",
        "worker_id",
        "run_locally",
        "output_format",
        "output_schema",
        "events_streaming",
        "additional_context",
        "expected_output",
        "attachments",
    ]
}


def invoke(name: str, method: str, /, *args: Any, **kwargs: Any) -> dict[str, Any]:
    return lifecycle(name, step("backend", method, *args, **kwargs))


AGENT_CALLS: list[dict[str, Any]] = [
    lifecycle("Agents.aget", step("agents", "aget", "agent-a1")),
    lifecycle("Agents.get, sync", step("agents", "get", "agent-a2")),
    lifecycle("Agents.aget, agent_id keyword", step("agents", "aget", agent_id="agent-a3")),
    lifecycle("Agents.aget version=3", step("agents", "aget", "agent-a4", version=3)),
    lifecycle("Agents.aget version=0", step("agents", "aget", "agent-a5", version=0)),
    lifecycle(
        "Agents.aget twice: the second read cached",
        step("agents", "aget", "agent-a6"),
        step("agents", "aget", "agent-a6"),
    ),
    lifecycle(
        "Agents.aget, then another version: not cached",
        step("agents", "aget", "agent-a7"),
        step("agents", "aget", "agent-a7", version=2),
    ),
    lifecycle("Agents.aget response: minimal", step("agents", "aget", "agent-a8"), agent="agent minimal"),
    lifecycle("Agents.aget response: status null", step("agents", "aget", "agent-a9"), agent="agent status null"),
    lifecycle(
        "Agents.aget response: unknown framework", step("agents", "aget", "agent-a10"), agent="agent unknown framework"
    ),
    lifecycle(
        "Agents.aget response: without model_name",
        step("agents", "aget", "agent-a11"),
        agent="agent without model_name",
    ),
    lifecycle("Agents.aget response: 404", step("agents", "aget", "agent-a12"), agent="agent 404"),
    lifecycle(
        "Agents.aget 404, then again: a failure is not cached", step("agents", "aget", "agent-a13"), agent="agent 404"
    ),
    lifecycle("Agents.aget id with a slash", step("agents", "aget", "team/agent-a14")),
    lifecycle("Agent.aload", step("Agent", "aload", "agent-a15", configuration=CONFIG)),
    lifecycle("Agent.load, sync", step("Agent", "load", "agent-a16", configuration=CONFIG)),
    task_on_agent("aget, acreate_task", "agent-b1", step("subject", "acreate_task", "hi")),
    task_on_agent("get, create_task, sync", "agent-b2", step("subject", "create_task", prompt="hi")),
    task_on_agent("aget, acreate_task no arguments", "agent-b3", step("subject", "acreate_task")),
    task_on_agent(
        "aget, acreate_task every parameter", "agent-b4", step("subject", "acreate_task", **_ACREATE_TASK_ARGS)
    ),
    task_on_agent(
        "aget, acreate_task every parameter positional",
        "agent-b5",
        step("subject", "acreate_task", *_ACREATE_TASK_ARGS.values()),
    ),
    task_on_agent("aget, acreate_task source=None", "agent-b6", step("subject", "acreate_task", "hi", source=None)),
    task_on_agent(
        "aget, acreate_task tool_call_limit", "agent-b7", step("subject", "acreate_task", "hi", tool_call_limit=5)
    ),
    task_on_agent(
        "aget, acreate_task agent_version", "agent-b8", step("subject", "acreate_task", "hi", agent_version="3")
    ),
    task_on_agent(
        "aget, acreate_task, areload", "agent-b9", step("subject", "acreate_task", "hi"), step("subject", "areload")
    ),
    task_on_agent("aget version=2, acreate_task", "agent-b10", step("subject", "acreate_task", "hi"), version=2),
    invoke("Backend.ainvoke_agent", "ainvoke_agent", "agent-c1", "hi"),
    invoke("Backend.invoke_agent, sync", "invoke_agent", "agent-c2", prompt="hi"),
    invoke("Backend.ainvoke_agent every parameter", "ainvoke_agent", "agent-c3", **_INVOKE_ARGS),
    invoke("Backend.ainvoke_agent agent_version", "ainvoke_agent", "agent-c4", prompt="hi", agent_version="2"),
    invoke(
        "Backend.ainvoke_agent xpander_task_id", "ainvoke_agent", "agent-c5", prompt='{"xpander_task_id": "task-1"}'
    ),
    invoke("Backend.invoke_agent xpander_task_id, sync", "invoke_agent", prompt='{"xpander_task_id": "task-1"}'),
    invoke("Backend.ainvoke_agent JSON prompt without xpander_task_id", "ainvoke_agent", "agent-c6", prompt='{"a": 1}'),
    invoke("Backend.ainvoke_agent without an agent id", "ainvoke_agent", prompt="hi"),
]
ALL_CALLS = CREATE_CALLS + LIFECYCLE_CALLS + AGENT_CALLS
_RESPONSES_OF = {item["name"]: item.get("responses", {}) for item in ALL_CALLS}
_CREATE_FIXTURE = {item["name"]: item["response"] for item in RESPONSE_CALLS}
NO_ROUTE = (404, b'{"detail":"compat: no such route"}')
NO_TUNNEL = (403, b'{"detail":"compat: the recording server opens no tunnel"}')


LIFECYCLE_ROUTES = (
    ("GET", re.compile(r"/agent-execution/executions/history/(user/)?[^/]+"), "list"),
    ("GET", re.compile(r"/agent-execution/[^/]+/status"), "get"),
    ("DELETE", re.compile(r"/agent-execution/[^/]+"), "stop"),
    ("PATCH", re.compile(r"/agent-execution/[^/]+/update"), "update"),
    ("GET", re.compile(r"/agents/[^/]+"), "agent"),
)
"""The lifecycle routes, each id one path segment: an id the official SDK does not encode (`team/task-1`)
reaches no route, as on the real server, and gets a 404."""


def route_of(method: str, path: str) -> str | None:
    """Which route a request is for: create (any POST, as before the lifecycle calls), get, stop, update, list;
    "tunnel" for a proxy CONNECT (a request that would have left the machine); None for any other."""
    if method == "CONNECT":
        return "tunnel"
    if method == "POST":
        return "create"
    path = path.partition("?")[0]
    for route_method, pattern, route in LIFECYCLE_ROUTES:
        if method == route_method and pattern.fullmatch(path):
            return route
    return None


@define
class Answers:
    """How the recording server answers: `answers(mark, method, path) -> (status, body)`; a create with its
    fixture (the full Task unless a response call names another), a lifecycle route with the fixtures its call
    names, in turn (counted per mark, so per SDK and call)."""

    counts: dict[tuple[str, str], int] = field(factory=dict)
    lock: threading.Lock = field(factory=threading.Lock)

    def __call__(self, mark: str, method: str, path: str) -> tuple[int, bytes]:
        name = mark.partition("/")[2]
        route = route_of(method, path)
        if route == "create":
            return 200, RESPONSES[_CREATE_FIXTURE.get(name, "full")]
        if route == "tunnel":
            return NO_TUNNEL
        if route is None:
            return NO_ROUTE
        names = _RESPONSES_OF.get(name, {}).get(route) or DEFAULT_RESPONSES[route]
        with self.lock:
            index = self.counts.get((mark, route), 0)
            self.counts[(mark, route)] = index + 1
        return LIFECYCLE_RESPONSES[names[min(index, len(names) - 1)]]
