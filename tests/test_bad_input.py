"""Bad input: every wrong call is refused with InvalidArgumentError naming the parameter, before anything is sent.

The calls go to a real server (tests.faultserver) that counts what reaches it: a refused call must leave it
untouched, not one connection. Odd but legal values (agent ids with `/`, `?`, `#`, unicode...) must arrive
percent-encoded as one path segment, byte for byte.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from attrs import frozen

from tests.faultserver import API_KEY, FaultServer, running, tasks_for
from xpander_sdk import (
    AttachmentRef,
    Configuration,
    InvalidArgumentError,
    MCPServerDetails,
    ModuleException,
    Principal,
    Tasks,
    User,
)

MODES = ("sync", "async")


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


@pytest.fixture(scope="module")
def shared(server: FaultServer) -> Iterator[Tasks]:
    """One Tasks for the sync calls of the module, as an application would keep one (a new httpx client costs
    ~50 ms here: its SSL context)."""
    with tasks_for(server.url) as tasks:
        yield tasks


NOT_GIVEN: Any = object()
"""An argument value meaning "leave this parameter out of the call"."""


def call(tasks: Tasks, mode: str, arguments: dict[str, Any], *, close: bool = True) -> Any:
    """`create` or `acreate` (in a new event loop) with these arguments (agent "ok" and a prompt unless
    given; `NOT_GIVEN` leaves one out); closes the Tasks afterwards unless `close=False`."""
    arguments = {"agent_id": "ok", "prompt": "p", **arguments}
    arguments = {name: value for name, value in arguments.items() if value is not NOT_GIVEN}
    if mode == "sync":
        try:
            return tasks.create(**arguments)
        finally:
            if close:
                tasks.close()

    async def go() -> Any:
        try:
            return await tasks.acreate(**arguments)
        finally:
            await tasks.aclose()

    return asyncio.run(go())


@frozen
class Bad:
    """A wrong call: its arguments, and the parameter the error must name."""

    name: str
    arguments: dict[str, Any]
    parameter: str
    mentions: str = ""
    """Also in the message, when set."""


def _schema(value: Any) -> dict[str, Any]:
    return {"output_schema": value}


BAD_CALLS = [
    # agent_id
    Bad("agent_id empty", {"agent_id": ""}, "agent_id"),
    Bad("agent_id None", {"agent_id": None}, "agent_id"),
    Bad("agent_id int", {"agent_id": 123}, "agent_id"),
    Bad("agent_id bytes", {"agent_id": b"agent"}, "agent_id"),
    Bad("agent_id tab", {"agent_id": "a\tb"}, "agent_id", "control characters"),
    Bad("agent_id CRLF", {"agent_id": "a\r\nX-Injected: 1"}, "agent_id"),
    Bad("agent_id NUL", {"agent_id": "a\x00b"}, "agent_id"),
    Bad("agent_id DEL", {"agent_id": "a\x7fb"}, "agent_id"),
    Bad("agent_id lone surrogate", {"agent_id": "a\ud800"}, "agent_id"),
    Bad("agent_id dot", {"agent_id": "."}, "agent_id", "relative path segment"),
    Bad("agent_id dot-dot", {"agent_id": ".."}, "agent_id", "relative path segment"),
    # headers
    Bad("agent_version CRLF", {"agent_version": "3\r\nX-Injected: 1"}, "agent_version", "no CR, LF"),
    Bad("agent_version LF", {"agent_version": "3\nx"}, "agent_version"),
    Bad("agent_version unicode", {"agent_version": "v\u00e9"}, "agent_version"),
    Bad("agent_version float", {"agent_version": 3.5}, "agent_version", "an int"),
    Bad("agent_version True", {"agent_version": True}, "agent_version"),
    # input
    Bad("prompt int", {"prompt": 42}, "prompt", "a string or None"),
    Bad("prompt lone surrogate", {"prompt": "a\ud800"}, "prompt"),
    Bad("file_urls a str", {"file_urls": "https://example.com/a.pdf"}, "file_urls", "a list of strings"),
    Bad("file_urls bytes", {"file_urls": b"https://example.com/a.pdf"}, "file_urls"),
    Bad("file_urls item int", {"file_urls": ["https://example.com/a.pdf", 7]}, "file_urls[1]"),
    Bad("file_urls dict", {"file_urls": {"a": "b"}}, "file_urls"),
    Bad("user_details a str", {"user_details": "ada@example.com"}, "user_details"),
    Bad("user_details without email (dict)", {"user_details": {"id": "u1"}}, "user_details", "email"),
    Bad("user_details email None", {"user_details": User(email=None)}, "user_details.email"),  # type: ignore[arg-type]
    Bad("user_details email blank", {"user_details": User(email="  ")}, "user_details.email"),
    Bad("user_details id int", {"user_details": User(email="a@b.c", id=5)}, "user_details.id"),  # type: ignore[arg-type]
    Bad(
        "user_details attributes not JSON",
        {"user_details": User(email="a@b.c", additional_attributes={"x": object()})},
        "user_details.additional_attributes",
    ),
    Bad("principal id with ':'", {"principal": Principal(kind="user", id="slack:U1")}, "principal.id", "':'"),
    Bad("principal id with space", {"principal": Principal(kind="user", id="u 1")}, "principal.id"),
    Bad("principal id empty", {"principal": Principal(kind="user", id="")}, "principal.id"),
    Bad("principal a str", {"principal": "u1"}, "principal"),
    Bad("principal unknown key", {"principal": {"kind": "user", "id": "u1", "role": "x"}}, "principal"),
    Bad("principal kind unknown (dict)", {"principal": {"kind": "robot", "id": "u1"}}, "principal.kind"),
    Bad("attachments a str", {"attachments": "https://example.com/a.pdf"}, "attachments"),
    Bad("attachments url empty", {"attachments": [AttachmentRef(url="")]}, "attachments[0].url"),
    Bad("attachments size True", {"attachments": [{"url": "u", "size": True}]}, "attachments[0].size"),
    Bad("attachments kind unknown", {"attachments": [{"url": "u", "kind": "hologram"}]}, "attachments[0].kind"),
    # flags
    Bad("run_locally str", {"run_locally": "yes"}, "run_locally"),
    Bad("events_streaming int", {"events_streaming": 1}, "events_streaming"),
    Bad("return_metrics str", {"return_metrics": "false"}, "return_metrics", "True, False or None"),
    # optional strings
    *(
        Bad(f"{name} int", {name: 5}, name, "a string or None")
        for name in (
            "existing_task_id",
            "source",
            "worker_id",
            "additional_context",
            "instructions_override",
            "test_run_node_id",
            "expected_output",
            "triggering_agent_id",
            "title",
            "llm_model_provider",
            "llm_model_name",
        )
    ),
    # enums
    Bad("output_format unknown", {"output_format": "pdf"}, "output_format", "'markdown'"),
    Bad("output_format int", {"output_format": 1}, "output_format"),
    Bad("output_format wrong case", {"output_format": "JSON"}, "output_format"),
    Bad("think_mode unknown", {"think_mode": "hardest"}, "think_mode", "'harder'"),
    Bad("llm_reasoning_effort unknown", {"llm_reasoning_effort": "max"}, "llm_reasoning_effort", "'xhigh'"),
    Bad("llm_reasoning_effort int", {"llm_reasoning_effort": 3}, "llm_reasoning_effort"),
    # numbers and objects
    Bad("tool_call_limit True", {"tool_call_limit": True}, "tool_call_limit"),
    Bad("tool_call_limit '3'", {"tool_call_limit": "3"}, "tool_call_limit"),
    Bad("tool_call_limit 2.5", {"tool_call_limit": 2.5}, "tool_call_limit"),
    Bad("output_schema list", _schema([{"type": "object"}]), "output_schema"),
    Bad("output_schema str", _schema('{"type": "object"}'), "output_schema"),
    Bad("output_schema int keys", _schema({1: "x"}), "output_schema"),
    Bad("output_schema NaN", _schema({"max": float("nan")}), "output_schema", "JSON-encodable"),
    Bad("output_schema set", _schema({"enum": {1, 2}}), "output_schema", "JSON-encodable"),
    Bad("tool_call_payload_extension str", {"tool_call_payload_extension": "x=1"}, "tool_call_payload_extension"),
    Bad("user_tokens list", {"user_tokens": ["token-value-1"]}, "user_tokens"),
    Bad("user_tokens int value", {"user_tokens": {"svc": 12345678}}, "user_tokens['svc']"),
    Bad("user_tokens None value", {"user_tokens": {"svc": None}}, "user_tokens['svc']"),
    # MCP servers
    Bad("mcp_servers one server, not a list", {"mcp_servers": MCPServerDetails()}, "mcp_servers"),
    Bad("mcp_servers item str", {"mcp_servers": ["https://mcp.example.com"]}, "mcp_servers[0]"),
    Bad("mcp_servers bad type", {"mcp_servers": [{"type": "cloud"}]}, "mcp_servers[0].type", "'remote'"),
    Bad("mcp_servers bad transport", {"mcp_servers": [{"transport": "websocket"}]}, "mcp_servers[0].transport"),
    Bad("mcp_servers bad auth_type", {"mcp_servers": [{"auth_type": "mtls"}]}, "mcp_servers[0].auth_type"),
    Bad("mcp_servers bad sso_token", {"mcp_servers": [{"sso_token": "refresh"}]}, "mcp_servers[0].sso_token"),
    Bad("mcp_servers unknown key", {"mcp_servers": [{"urll": "https://x"}]}, "mcp_servers[0]"),
    Bad("mcp_servers api_key int", {"mcp_servers": [{"api_key": 12345678}]}, "mcp_servers[0].api_key"),
    Bad("mcp_servers header int", {"mcp_servers": [{"headers": {"A": 5}}]}, "mcp_servers[0].headers['A']"),
    Bad("mcp_servers env_vars int", {"mcp_servers": [{"env_vars": {"A": 5}}]}, "mcp_servers[0].env_vars['A']"),
    Bad("mcp_servers allowed_tools str", {"mcp_servers": [{"allowed_tools": "a,b"}]}, "mcp_servers[0].allowed_tools"),
    Bad("mcp_servers url int", {"mcp_servers": [{"url": 5}]}, "mcp_servers[0].url"),
    # per-call options
    Bad("timeout 0", {"timeout": 0}, "timeout", "positive"),
    Bad("timeout -1", {"timeout": -1}, "timeout"),
    Bad("timeout str", {"timeout": "5"}, "timeout"),
    Bad("timeout inf", {"timeout": float("inf")}, "timeout"),
    Bad("timeout nan", {"timeout": float("nan")}, "timeout"),
    Bad("timeout True", {"timeout": True}, "timeout"),
    Bad("max_retries -1", {"max_retries": -1}, "max_retries"),
    Bad("max_retries True", {"max_retries": True}, "max_retries"),
    Bad("max_retries 1.5", {"max_retries": 1.5}, "max_retries"),
]


def _nothing_reached(server: FaultServer, before: dict[str, int]) -> None:
    after = server.stats()
    assert (after["count"], after["connections"]) == (before["count"], before["connections"]), "nothing is sent"


# Every wrong call through `create`; through `acreate` too for one in four (they share the checks: what the
# async ones add is that acreate, too, refuses before it sends).
CALLS_AND_MODES = [
    pytest.param(bad, mode, id=f"{bad.name}-{mode}")
    for index, bad in enumerate(BAD_CALLS)
    for mode in (MODES if index % 4 == 0 else MODES[:1])
]


@pytest.mark.parametrize(("bad", "mode"), CALLS_AND_MODES)
def test_a_wrong_call_is_refused_before_sending(server: FaultServer, shared: Tasks, bad: Bad, mode: str) -> None:
    before = server.stats()
    tasks = shared if mode == "sync" else tasks_for(server.url)
    with pytest.raises(InvalidArgumentError) as caught:
        call(tasks, mode, bad.arguments, close=False)
    error = caught.value
    assert error.parameter == bad.parameter
    assert bad.parameter in error.description
    assert bad.mentions in error.description
    assert error.status_code == 0
    assert str(error) == f"[0] {error.description}"
    assert isinstance(error, ValueError) and isinstance(error, ModuleException)
    assert not error.outcome_unknown
    assert len(error.description) < 400, "a huge value is summarised, not echoed"
    _nothing_reached(server, before)


# -- the configuration ---------------------------------------------------------------------------------------
@frozen
class BadConfig:
    name: str
    configuration: Configuration
    parameter: str
    mentions: str = ""


def _config(**fields: Any) -> Configuration:
    return Configuration(**{"api_key": API_KEY, "base_url": "http://127.0.0.1:9", **fields})


BAD_CONFIGS = [
    BadConfig("api_key missing", _config(api_key=None), "api_key", "XPANDER_API_KEY"),
    BadConfig("api_key empty", _config(api_key=""), "api_key", "XPANDER_API_KEY"),
    BadConfig("api_key CRLF", _config(api_key="key-1234\r\nX-Injected: 1"), "api_key", "no CR, LF"),
    BadConfig("api_key LF", _config(api_key="key-1234\nx"), "api_key"),
    BadConfig("api_key NUL", _config(api_key="key-1234\x00"), "api_key"),
    BadConfig("api_key unicode", _config(api_key="kéy-1234"), "api_key"),
    BadConfig("api_key bytes", _config(api_key=b"key-1234"), "api_key"),
    BadConfig("base_url ftp", _config(base_url="ftp://127.0.0.1"), "base_url"),
    BadConfig("base_url without host", _config(base_url="http://"), "base_url"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bad", BAD_CONFIGS, ids=lambda bad: bad.name)
def test_a_wrong_configuration_is_refused_before_sending(server: FaultServer, bad: BadConfig, mode: str) -> None:
    before = server.stats()
    tasks = Tasks(bad.configuration)
    with pytest.raises(InvalidArgumentError) as caught:
        call(tasks, mode, {})
    assert caught.value.parameter == bad.parameter
    assert bad.parameter in caught.value.description
    assert bad.mentions in caught.value.description
    if bad.parameter == "api_key" and bad.configuration.api_key:
        assert "key-1234" not in caught.value.description, "the refused key is a secret: never shown"
    _nothing_reached(server, before)


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.0}, "timeout"),
        ({"timeout": "60"}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": "2"}, "max_retries"),
        ({"configuration": "api-key-1234"}, "configuration"),
    ],
)
def test_wrong_tasks_options_are_refused(options: dict[str, Any], parameter: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Tasks(**options)
    assert caught.value.parameter == parameter
    assert parameter in caught.value.description


@pytest.mark.parametrize(
    ("model", "fields", "parameter"),
    [
        (Principal, {"kind": "robot", "id": "u1"}, "Principal.kind"),
        (MCPServerDetails, {"type": "cloud"}, "MCPServerDetails.type"),
        (MCPServerDetails, {"auth_type": "mtls"}, "MCPServerDetails.auth_type"),
        (AttachmentRef, {"url": "u", "kind": "hologram"}, "AttachmentRef.kind"),
    ],
)
def test_wrong_enum_strings_are_refused_when_the_model_is_made(
    model: type[Any], fields: dict[str, Any], parameter: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        model(**fields)
    assert caught.value.parameter == parameter


# -- legal but odd: what reaches the server ------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("agent_id", "path"),
    [
        ("agent-é", "/agent-execution/agent-%C3%A9"),
        ("日本", "/agent-execution/%E6%97%A5%E6%9C%AC"),
        ("🤖", "/agent-execution/%F0%9F%A4%96"),
        ("a..b", "/agent-execution/a..b"),
        ("...", "/agent-execution/..."),
        ("a/b", "/agent-execution/a%2Fb"),
        ("../admin", "/agent-execution/..%2Fadmin"),
        ("a?b=1", "/agent-execution/a%3Fb%3D1"),
        ("?", "/agent-execution/%3F"),
        ("#", "/agent-execution/%23"),
        ("a#frag", "/agent-execution/a%23frag"),
        ("%2F", "/agent-execution/%252F"),
        ("a%", "/agent-execution/a%25"),
        ("a;b", "/agent-execution/a%3Bb"),
        ("a+b&c", "/agent-execution/a%2Bb%26c"),
        ("u@h:1", "/agent-execution/u%40h%3A1"),
        ("a\\b", "/agent-execution/a%5Cb"),
        ("~x_-.", "/agent-execution/~x_-."),
        ("x" * 512, "/agent-execution/" + "x" * 512),
    ],
    ids=lambda value: value if len(value) < 40 else f"{len(value)} chars",
)
def test_an_odd_agent_id_is_one_percent_encoded_segment(
    server: FaultServer, shared: Tasks, agent_id: str, path: str, mode: str
) -> None:
    before = server.count
    task = call(shared if mode == "sync" else tasks_for(server.url), mode, {"agent_id": agent_id}, close=False)
    assert task.id == "t1"
    assert server.count == before + 1
    seen = server.requests[-1]
    assert (seen.method, seen.path) == ("POST", path)
    assert seen.header("x-api-key") == API_KEY


@pytest.mark.parametrize("mode", MODES)
def test_legal_but_unusual_values_are_sent_as_the_official_sdk_sends_them(
    server: FaultServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="xpander_sdk")
    arguments = {
        "harness_cli": "vim",  # unknown: sent as null, with a warning (official behaviour)
        "permission_mode": "  GATED ",
        "think_mode": "harder",
        "output_format": "markdown",
        "tool_call_limit": 0,
        "file_urls": None,
        "prompt": "",
        "attachments": [AttachmentRef(url="https://example.com/a.pdf")],
        "agent_version": "v1.2-beta",
        "user_details": {"email": "ada@example.com"},
        "timeout": None,  # None means the Tasks' default, not "no timeout"
        "max_retries": None,
    }
    call(tasks_for(server.url), mode, arguments)
    seen = server.requests[-1]
    body = json.loads(seen.body)
    assert body["harness_cli"] is None
    assert body["permission_mode"] == "gated"
    assert (body["think_mode"], body["output_format"], body["tool_call_limit"]) == ("harder", "markdown", 0)
    assert body["input"]["text"] == ""
    assert body["input"]["files"] is None
    assert body["input"]["attachments"][0]["url"] == "https://example.com/a.pdf"
    assert body["input"]["user"]["email"] == "ada@example.com"
    assert seen.header("x-agent-version") == "v1.2-beta"
    assert any("harness_cli 'vim'" in record.getMessage() for record in caplog.records)


# Calls the official SDK 2.0.537 sends (captured; ../shared/reference/xpander-wire.md, "What the server's own
# schema accepts"), once refused here: each is sent, with the official values on the wire.
OFFICIAL_CALLS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("no prompt", {"prompt": NOT_GIVEN}, {"input.text": ""}),
    ("continue without text", {"prompt": NOT_GIVEN, "existing_task_id": "t-prev"}, {"input.text": "", "id": "t-prev"}),
    ("prompt None with files", {"prompt": None, "file_urls": ["https://e.x/a.csv"]}, {"input.text": None}),
    ("agent_version int", {"agent_version": 3}, {"header:x-agent-version": "3"}),
    ("agent_version empty", {"agent_version": ""}, {"header:x-agent-version": None}),
    *(
        (f"{flag} None", {flag: None}, {flag: None})
        for flag in ("events_streaming", "run_locally", "return_metrics", "disable_attachment_injection")
    ),
    ("think_mode None (the official SDK crashes)", {"think_mode": None}, {"think_mode": "default"}),
    ("mcp_servers None (the official SDK crashes)", {"mcp_servers": None}, {"mcp_servers": []}),
    ("permission_mode unknown", {"permission_mode": " Auto "}, {"permission_mode": "auto"}),
    ("harness_cli not a string", {"harness_cli": 5}, {"harness_cli": None}),
    ("tool_call_limit negative", {"tool_call_limit": -1}, {"tool_call_limit": -1}),
    ("attachment size negative", {"attachments": [AttachmentRef(url="u", size=-1)]}, {"input.attachments.0.size": -1}),
]


def _on_the_wire(seen: Any, where: str) -> Any:
    if where.startswith("header:"):
        return seen.header(where.removeprefix("header:"))
    value: Any = json.loads(seen.body)
    for key in where.split("."):
        value = value[int(key)] if key.isdigit() else value[key]
    return value


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("name", "arguments", "expected"), OFFICIAL_CALLS, ids=[c[0] for c in OFFICIAL_CALLS])
def test_what_the_official_sdk_sends_is_sent(
    server: FaultServer, mode: str, name: str, arguments: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = server.count
    task = call(tasks_for(server.url), mode, arguments)
    assert task.id == "t1", name
    assert server.count == before + 1
    seen = server.requests[-1]
    assert {where: _on_the_wire(seen, where) for where in expected} == expected


def test_a_timeout_object_and_none_are_accepted(server: FaultServer) -> None:
    with tasks_for(server.url, timeout=httpx.Timeout(5.0, connect=1.0)) as tasks:
        assert tasks.create("ok", prompt="p", timeout=None).id == "t1"
        assert tasks.create("ok", prompt="p", timeout=httpx.Timeout(2.0)).id == "t1"
        assert tasks.create("ok", prompt="p", timeout=1).id == "t1"


# -- once SDK bugs, now fixed ------------------------------------------------------------------------------
def test_a_string_that_is_not_utf8_encodable_is_an_invalid_argument(server: FaultServer) -> None:
    before = server.stats()
    with pytest.raises(InvalidArgumentError) as caught:
        call(tasks_for(server.url), "sync", {"prompt": "broken \ud800 text"})
    assert caught.value.parameter == "prompt"
    _nothing_reached(server, before)


def test_retry_unsafe_of_the_wrong_type_is_refused(server: FaultServer) -> None:
    before = server.stats()
    with pytest.raises(InvalidArgumentError) as caught:
        call(tasks_for(server.url), "sync", {"retry_unsafe": "yes"})
    assert caught.value.parameter == "retry_unsafe"
    _nothing_reached(server, before)
