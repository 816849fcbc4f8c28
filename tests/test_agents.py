"""`Agents`, `Agent` (`acreate_task`) and `Backend.ainvoke_agent`: what they send, what they read, the 5 s cache,
their faults, and the testing kit's `GET /agents/{agent_id}`.

The transport-dependent tests run each mode of `MODES` (sync, async on aiohttp, async on httpx) against a real
loopback server: the fake backend served (`FakeBackend.serve`) or the FaultServer.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import pickle
from collections.abc import Iterator
from typing import Any

import pytest

import xpander_sdk
from tests.conftest import MODES
from tests.faultserver import Reply, json_bytes, run_call, running, tasks_for
from xpander_sdk import (
    Agent,
    Agents,
    AuthenticationError,
    Backend,
    Configuration,
    InternalServerError,
    InvalidArgumentError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    RateLimitError,
    Task,
    Tasks,
    User,
)
from xpander_sdk._agents import CACHE, AgentCache, _new_cache_lock, clear_agent_cache
from xpander_sdk.models.agents import AgentStatus, Framework
from xpander_sdk.testing import API_KEY, ORGANIZATION_ID, FakeBackend

AGENT_ID = "agent-1"
MINIMAL_AGENT: dict[str, Any] = {
    "id": AGENT_ID,
    "organization_id": "org-1",
    "name": "Sales analyst",
    "unique_name": "sales-analyst",
    "framework": "agno",
    "model_provider": "openai",
    "model_name": "gpt-4.1",
}
REQUIRED = tuple(MINIMAL_AGENT)


@pytest.fixture(autouse=True)
def no_cached_agents() -> Iterator[None]:
    clear_agent_cache()
    yield
    clear_agent_cache()


def agent_reads(backend: FakeBackend) -> list[Any]:
    return [request for request in backend.requests if request.operation == "get_agent"]


def served_tasks(url: str) -> Tasks:
    return Tasks(Configuration(api_key=API_KEY, base_url=url, organization_id=ORGANIZATION_ID), max_retries=0)


# -- over both transports -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_aget_then_acreate_task_on_each_transport(mode: str, backend: FakeBackend) -> None:
    backend.add_agent(AGENT_ID, name="Sales analyst", tools=[{"id": "t1"}])
    with backend.serve() as url:
        result, _ = run_call(
            served_tasks(url),
            mode,
            lambda tasks: Agents(tasks=tasks).get(AGENT_ID).create_task("Summarize"),
            lambda tasks: _acreate_on_agent(tasks, "Summarize"),
        )
    assert isinstance(result, Task)
    assert result.agent_id == AGENT_ID
    read, create = backend.requests
    assert (read.method, read.path, read.operation) == ("GET", f"/agents/{AGENT_ID}", "get_agent")
    assert (create.method, create.path) == ("POST", f"/agent-execution/{AGENT_ID}")
    assert create.json["source"] == "sdk"
    assert create.json["input"]["text"] == "Summarize"


async def _acreate_on_agent(tasks: Tasks, prompt: str) -> Task:
    agent = await Agents(tasks=tasks).aget(AGENT_ID)
    assert agent.name == "Sales analyst"
    assert agent.extra == {"instructions": {"role": [], "goal": [], "general": ""}, "tools": [{"id": "t1"}]}
    task = await agent.acreate_task(prompt)
    assert task.configuration is tasks.configuration  # the task follows the requestor the agent came through
    return task


@pytest.mark.parametrize("mode", MODES)
def test_invoke_agent_pins_the_version_on_both_calls(mode: str, backend: FakeBackend) -> None:
    with backend.serve() as url:
        result, _ = run_call(
            served_tasks(url),
            mode,
            lambda tasks: Backend(tasks=tasks).invoke_agent(AGENT_ID, "hi", agent_version="3"),
            lambda tasks: Backend(tasks=tasks).ainvoke_agent(AGENT_ID, "hi", agent_version="3"),
        )
    assert isinstance(result, Task)
    assert result.agent_version == "3"
    read, create = backend.requests
    assert (read.path, read.headers["x-agent-version"]) == (f"/agents/{AGENT_ID}", "3")
    assert (create.path, create.headers["x-agent-version"]) == (f"/agent-execution/{AGENT_ID}", "3")
    assert create.json["source"] == "sdk"


@pytest.mark.parametrize("mode", MODES)
def test_a_prompt_holding_xpander_task_id_only_reads_that_task(mode: str, backend: FakeBackend) -> None:
    with backend.serve() as url:
        created = served_tasks(url).create(AGENT_ID, prompt="first")
        prompt = json.dumps({"xpander_task_id": created.id, "other": 1})
        result, _ = run_call(
            served_tasks(url),
            mode,
            lambda tasks: Backend(tasks=tasks).invoke_agent(prompt=prompt),
            lambda tasks: Backend(tasks=tasks).ainvoke_agent(prompt=prompt),
        )
    assert isinstance(result, Task)
    assert result.id == created.id
    assert [request.operation for request in backend.requests] == ["create_task", "get_task"]


# -- acreate_task is Tasks.acreate ----------------------------------------------------------------------------------
CREATE_ARGUMENTS: dict[str, Any] = {
    "prompt": "Summarize",
    "existing_task_id": None,
    "file_urls": ["https://example.com/a.csv"],
    "user_details": User(email="ada@example.com", id="u-1"),
    "agent_version": "3",
    "tool_call_payload_extension": {"crm": {"account": 7}},
    "run_locally": True,
    "output_format": "json",
    "output_schema": {"type": "object"},
    "events_streaming": True,
    "additional_context": "Q3 only",
    "title": "Sales",
    "think_mode": "harder",
    "tool_call_limit": 5,
    "llm_model_name": "gpt-5",
    "permission_mode": "gated",
}


@pytest.mark.parametrize("arguments", [{}, {"prompt": "hi"}, CREATE_ARGUMENTS, {**CREATE_ARGUMENTS, "source": "x"}])
def test_acreate_task_sends_what_tasks_acreate_sends_with_source_sdk(
    backend: FakeBackend, tasks: Tasks, arguments: dict[str, Any]
) -> None:
    tasks.create(AGENT_ID, **{"source": "sdk", **arguments})
    Agents(tasks=tasks).get(AGENT_ID).create_task(**arguments)
    by_tasks, by_agent = (request for request in backend.requests if request.operation == "create_task")
    assert by_agent.json == by_tasks.json
    assert by_agent.headers.get("x-agent-version") == by_tasks.headers.get("x-agent-version")
    official_order = [key for key in by_tasks.json if key != "tool_call_limit"] + ["tool_call_limit"]
    assert list(by_agent.json) == official_order  # the official acreate_task writes tool_call_limit last


def test_acreate_task_has_the_parameters_of_tasks_acreate() -> None:
    create = inspect.signature(Tasks.acreate).parameters
    expected = ["prompt", "existing_task_id", *[name for name in create if name not in ("self", "agent_id")][2:]]
    for method in (Agent.acreate_task, Agent.create_task):
        parameters = inspect.signature(method).parameters
        assert list(parameters)[1:] == expected
        for name in expected:
            default = "sdk" if name == "source" else create[name].default
            assert (parameters[name].default, parameters[name].kind) == (default, create[name].kind), name


def test_invoke_agent_has_the_official_parameters() -> None:
    official = [
        *("agent_id", "prompt", "existing_task_id", "file_urls", "user_details", "agent_version"),
        *("tool_call_payload_extension", "source", "worker_id", "run_locally", "output_format", "output_schema"),
        *("events_streaming", "additional_context", "expected_output", "attachments", "options"),
    ]
    for method in (Backend.ainvoke_agent, Backend.invoke_agent):
        parameters = inspect.signature(method).parameters
        assert list(parameters)[1:] == official
        assert (parameters["prompt"].default, parameters["source"].default) == ("", "sdk")


def test_acreate_task_refuses_bad_arguments_before_sending(backend: FakeBackend, tasks: Tasks) -> None:
    agent = Agents(tasks=tasks).get(AGENT_ID)
    with pytest.raises(InvalidArgumentError) as caught:
        agent.create_task("hi", tool_call_limit="5")  # type: ignore[arg-type]
    assert caught.value.parameter == "tool_call_limit"
    assert [request.operation for request in backend.requests] == ["get_agent"]


def test_a_hand_made_agent_creates_through_the_environment(backend: FakeBackend) -> None:
    with backend.install():
        task = Agent.from_dict(MINIMAL_AGENT).create_task("hi")
    assert task.agent_id == AGENT_ID
    assert backend.requests[-1].json["source"] == "sdk"


# -- reading an agent -----------------------------------------------------------------------------------------------
def test_the_minimal_agent_reads_with_the_official_defaults() -> None:
    agent = Agent.from_dict(MINIMAL_AGENT)
    assert (agent.framework, agent.version, agent.status) == (Framework.Agno, 1, AgentStatus.ACTIVE)
    assert (agent.description, agent.created_at, agent.extra) == (None, None, {})
    assert agent.to_dict() == {
        **MINIMAL_AGENT,
        "description": None,
        "version": 1,
        "status": "ACTIVE",
        "created_at": None,
    }


def test_an_agent_is_read_leniently() -> None:
    data = {
        **MINIMAL_AGENT,
        "framework": "brand-new-framework",
        "status": "ARCHIVED",
        "version": "7",
        "created_at": "2026-01-01T12:00:00Z",
        "instructions": {"role": ["analyst"]},
        "llm_credentials": {"value": "sk-secret-credential"},
    }
    agent = Agent.from_dict(data)
    assert (agent.framework.value, agent.status.value, agent.version) == ("brand-new-framework", "ARCHIVED", 7)
    assert agent.framework == "brand-new-framework"
    assert agent.created_at is not None
    assert agent.created_at.isoformat() == "2026-01-01T12:00:00+00:00"
    assert agent.extra == {"instructions": {"role": ["analyst"]}, "llm_credentials": {"value": "sk-secret-credential"}}
    assert "sk-secret" not in repr(agent)
    assert Agent.from_dict({**MINIMAL_AGENT, "status": None, "version": None}).status is AgentStatus.ACTIVE


@pytest.mark.parametrize("key", REQUIRED)
def test_a_missing_required_key_is_a_key_error(key: str) -> None:
    with pytest.raises(KeyError, match=key):
        Agent.from_dict({name: value for name, value in MINIMAL_AGENT.items() if name != key})


@pytest.mark.parametrize(("key", "value"), [("id", 5), ("framework", None), ("version", "v3"), ("version", True)])
def test_a_value_of_the_wrong_type_is_a_type_error(key: str, value: Any) -> None:
    with pytest.raises(TypeError, match=key):
        Agent.from_dict({**MINIMAL_AGENT, key: value})


def test_an_agent_pickles_without_its_requestor(tasks: Tasks) -> None:
    agent = Agents(tasks=tasks).get(AGENT_ID)
    copy = pickle.loads(pickle.dumps(agent))
    assert copy == agent
    assert copy.configuration is None


# -- which agent, which version ----------------------------------------------------------------------------------------
def test_the_agent_id_falls_back_on_the_configuration_then_the_environment(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    with backend.install():
        assert Agents(Configuration(agent_id="from-configuration")).get().id == "from-configuration"
        assert Agents(Configuration(agent_id="from-configuration")).get("").id == "from-configuration"
    monkeypatch.setenv("XPANDER_AGENT_ID", "from-environment")
    with backend.install():
        assert Agents().get().id == "from-environment"
        assert Agents().get("given").id == "given"


def test_the_default_agent_id_comes_from_the_environment_at_call_time(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    with backend.install():
        agents = Agents()
        monkeypatch.setenv("XPANDER_AGENT_ID", "set-later")
        assert agents.get().id == "set-later"


def test_no_agent_id_at_all_is_refused_naming_agent_id(backend: FakeBackend) -> None:
    with backend.install():
        with pytest.raises(InvalidArgumentError) as caught:
            Agents().get()
        with pytest.raises(InvalidArgumentError) as invoked:
            Backend().invoke_agent(prompt="hi")
    assert caught.value.parameter == invoked.value.parameter == "agent_id"
    assert backend.requests == []


@pytest.mark.parametrize(("version", "header"), [(3, "3"), ("4", "4"), (0, None), (None, None), ("", None)])
def test_the_version_is_sent_as_x_agent_version(
    backend: FakeBackend, tasks: Tasks, version: Any, header: str | None
) -> None:
    agent = Agents(tasks=tasks).get(AGENT_ID, version)
    assert backend.requests[-1].headers.get("x-agent-version") == header
    assert agent.version == (int(header) if header else 1)


@pytest.mark.parametrize("version", [True, 1.5, [3], "a\nb"])
def test_a_bad_version_is_refused_naming_version(backend: FakeBackend, tasks: Tasks, version: Any) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Agents(tasks=tasks).get(AGENT_ID, version)
    assert caught.value.parameter == "version"
    assert backend.requests == []


@pytest.mark.parametrize("agent_id", ["a/b", "a b", "agént"])
def test_the_agent_id_is_one_path_segment(backend: FakeBackend, tasks: Tasks, agent_id: str) -> None:
    assert Agents(tasks=tasks).get(agent_id).id == agent_id
    assert agent_reads(backend)[0].path.count("/") == 2


def test_agents_refuses_a_configuration_and_tasks_together(tasks: Tasks) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Agents(Configuration(api_key="k"), tasks=tasks)
    assert caught.value.parameter == "tasks"
    with pytest.raises(InvalidArgumentError):
        Backend(tasks="not tasks")  # type: ignore[arg-type]


# -- the cache ---------------------------------------------------------------------------------------------------------
def test_a_read_is_reused_for_5_seconds(backend: FakeBackend, tasks: Tasks, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(CACHE, "clock", lambda: now[0])
    agents = Agents(tasks=tasks)
    first = agents.get(AGENT_ID)
    first.extra["changed"] = True
    second = asyncio.run(agents.aget(AGENT_ID))
    assert "changed" not in second.extra  # a copy: changing an agent changes no other read
    assert second.to_dict() == {key: value for key, value in first.to_dict().items() if key != "changed"}
    assert len(agent_reads(backend)) == 1
    agents.get(AGENT_ID, version=2)  # another version: another read
    Agents(tasks=backend.client(max_retries=0)).get(AGENT_ID)  # another Agents, the same configuration: reused
    assert len(agent_reads(backend)) == 2
    now[0] += 5.0
    agents.get(AGENT_ID)
    assert len(agent_reads(backend)) == 3


def test_the_cache_is_per_api_key_and_organization(backend: FakeBackend) -> None:
    with backend.install():
        Agents(Configuration(api_key="key-1", organization_id="o")).get(AGENT_ID)
        Agents(Configuration(api_key="key-2", organization_id="o")).get(AGENT_ID)
        Agents(Configuration(api_key="key-2", organization_id="p")).get(AGENT_ID)
        Agents(Configuration(api_key="key-2", organization_id="p")).get(AGENT_ID)
    assert len(agent_reads(backend)) == 3


def test_a_failure_is_not_cached(backend: FakeBackend, tasks: Tasks) -> None:
    backend.respond_next(404, operation="get_agent")
    with pytest.raises(NotFoundError):
        Agents(tasks=tasks).get(AGENT_ID)
    assert Agents(tasks=tasks).get(AGENT_ID).id == AGENT_ID
    assert len(agent_reads(backend)) == 2


def test_scripting_an_agent_forgets_the_cached_reads(backend: FakeBackend, tasks: Tasks) -> None:
    assert Agents(tasks=tasks).get(AGENT_ID).name == AGENT_ID
    backend.add_agent(AGENT_ID, name="Renamed")
    assert Agents(tasks=tasks).get(AGENT_ID).name == "Renamed"


def test_the_cache_keeps_the_newest_reads_and_no_api_key(backend: FakeBackend, tasks: Tasks) -> None:
    cache = AgentCache(size=2)
    for number in range(3):
        cache.put(("u", "o", "k", f"a{number}", ""), {"n": number})
    assert cache.get(("u", "o", "k", "a0", "")) is None
    assert cache.get(("u", "o", "k", "a2", "")) == {"n": 2}
    Agents(tasks=tasks).get(AGENT_ID)
    assert CACHE._entries
    assert all(API_KEY not in repr(key) for key in CACHE._entries)


def test_a_forked_child_gets_a_new_cache_lock() -> None:
    lock = CACHE._lock
    _new_cache_lock()
    assert CACHE._lock is not lock
    assert not CACHE._lock.locked()


# -- faults, on the FaultServer ----------------------------------------------------------------------------------------
AGENT_PATH = f"/agents/{AGENT_ID}"
RETRY_NOW = (("retry-after", "0"),)
FAULTS: list[tuple[str, tuple[Reply, ...], type[object], int]] = [
    ("401", (Reply(401, json_bytes({"detail": "Unauthorized"})),), AuthenticationError, 1),
    ("404", (Reply(404, json_bytes({"detail": "Agent not found"})),), NotFoundError, 1),
    ("429 then 200", (Reply(429, headers=RETRY_NOW), Reply(200, json_bytes(MINIMAL_AGENT))), Agent, 2),
    ("429 always", (Reply(429, headers=RETRY_NOW),), RateLimitError, 3),
    ("503 then 200", (Reply(503), Reply(200, json_bytes(MINIMAL_AGENT))), Agent, 2),
    ("500 always", (Reply(500, json_bytes({"detail": "boom"})),), InternalServerError, 3),
    ("not JSON", (Reply(200, b"<html>", content_type="text/html"),), InvalidResponseError, 1),
    ("a JSON array", (Reply(200, json_bytes([MINIMAL_AGENT])),), InvalidResponseError, 1),
    ("empty", (Reply(200),), InvalidResponseError, 1),
    ("id not a string", (Reply(200, json_bytes({**MINIMAL_AGENT, "id": 5})),), InvalidResponseError, 1),
]
"""A fault of `GET /agents/{agent_id}`: the replies in turn, what the call ends with, and the requests sent (the
read is idempotent: 429 and 5xx are retried, twice by default)."""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("name", "replies", "expected", "requests"), FAULTS, ids=[fault[0] for fault in FAULTS])
def test_faults_of_the_agent_read(
    mode: str, name: str, replies: tuple[Reply, ...], expected: type[object], requests: int
) -> None:
    with running() as server:
        server.script(AGENT_PATH, *replies)
        result, seconds = run_call(
            tasks_for(server.url),
            mode,
            lambda tasks: Agents(tasks=tasks).get(AGENT_ID),
            lambda tasks: Agents(tasks=tasks).aget(AGENT_ID),
        )
        assert isinstance(result, expected), result
        assert server.count == requests
        assert all(request.path == AGENT_PATH for request in server.requests)
    assert seconds < 5


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("missing", ["name", "model_name"])
def test_a_missing_required_key_is_an_invalid_response_naming_it(mode: str, missing: str) -> None:
    body = {key: value for key, value in MINIMAL_AGENT.items() if key != missing}
    with running() as server:
        server.script(AGENT_PATH, Reply(200, json_bytes(body)))
        result, _ = run_call(
            tasks_for(server.url),
            mode,
            lambda tasks: Agents(tasks=tasks).get(AGENT_ID),
            lambda tasks: Agents(tasks=tasks).aget(AGENT_ID),
        )
    assert isinstance(result, InvalidResponseError)
    assert f"'{missing}'" in str(result)
    assert "the agent" in str(result)


def test_a_failed_xpander_task_id_read_raises_instead_of_creating() -> None:
    with running() as server:
        server.script("/agent-execution/t-404/status", Reply(404, json_bytes({"detail": "Task not found"})))
        with pytest.raises(NotFoundError):
            Backend(tasks=tasks_for(server.url)).invoke_agent(AGENT_ID, prompt='{"xpander_task_id": "t-404"}')
        assert [request.method for request in server.requests] == ["GET"]


@pytest.mark.parametrize(
    "prompt", ['{"a": 1}', '["xpander_task_id"]', '"xpander_task_id"', '{"xpander_task_id": null}']
)
def test_other_json_prompts_create_a_task(backend: FakeBackend, tasks: Tasks, prompt: str) -> None:
    task = Backend(tasks=tasks).invoke_agent(AGENT_ID, prompt)
    assert task.input.text == prompt
    assert [request.operation for request in backend.requests] == ["get_agent", "create_task"]


# -- the testing kit's route -------------------------------------------------------------------------------------------
def test_the_kit_answers_a_default_agent_for_any_id(backend: FakeBackend, tasks: Tasks) -> None:
    agent = Agents(tasks=tasks).get("any-agent", version=4)
    assert (agent.id, agent.organization_id, agent.framework, agent.version) == (
        "any-agent",
        ORGANIZATION_ID,
        Framework.Agno,
        4,
    )
    assert agent_reads(backend)[0].headers["x-agent-version"] == "4"


def test_the_kit_scripts_agents_checked_against_the_spec(backend: FakeBackend, tasks: Tasks) -> None:
    backend.add_agent("a2", framework="langchain", model_name="claude", graph=[{"type": "tool"}])
    agent = Agents(tasks=tasks).get("a2")
    assert (agent.framework, agent.model_name, agent.extra["graph"]) == (
        Framework.LangChain,
        "claude",
        [{"type": "tool"}],
    )
    with pytest.raises(InvalidArgumentError) as caught:
        backend.add_agent("a3", version="three")
    assert caught.value.parameter == "fields"
    with pytest.raises(InvalidArgumentError):
        backend.add_agent("a3", name=float("nan"))


def test_the_kit_agent_route_takes_scripted_failures(backend: FakeBackend, tasks: Tasks) -> None:
    backend.respond_next(503, operation="get_agent", retry_after=0)
    with pytest.raises(ModuleException) as caught:
        Agents(tasks=tasks).get(AGENT_ID)
    assert caught.value.status_code == 503
    assert Agents(tasks=tasks).get(AGENT_ID).id == AGENT_ID


# -- import paths ------------------------------------------------------------------------------------------------------
def test_the_official_import_paths() -> None:
    from xpander_sdk.models.frameworks import Framework as OfficialFramework
    from xpander_sdk.modules.agents.agents_module import Agent as ModuleAgent
    from xpander_sdk.modules.agents.agents_module import Agents as ModuleAgents
    from xpander_sdk.modules.agents.models.agent import AgentStatus as OfficialStatus
    from xpander_sdk.modules.agents.sub_modules.agent import Agent as SubAgent
    from xpander_sdk.modules.backend.backend_module import Backend as ModuleBackend

    assert ModuleAgents is Agents and ModuleAgent is SubAgent is Agent and ModuleBackend is Backend
    assert (OfficialFramework, OfficialStatus) == (Framework, AgentStatus)
    assert {"Agent", "Agents", "Backend"} <= set(dir(xpander_sdk))


def test_the_cache_repr_shows_no_agent_json(backend: FakeBackend, tasks: Tasks) -> None:
    """A cached agent may hold secrets (an MCP server's key): the cache's repr shows its settings only."""
    backend.add_agent("agent-secret", mcp_servers=[{"name": "s", "api_key": "mcp-secret-key"}])
    Agents(tasks=tasks).get("agent-secret")
    assert CACHE._entries
    assert "mcp-secret-key" not in repr(CACHE) and "agent-secret" not in repr(CACHE)
