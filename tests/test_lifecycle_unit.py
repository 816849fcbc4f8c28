"""Unit tests of the lifecycle API (get, list, list_user_tasks, update, stop; the Task and TasksListItem methods).

Most run on tests.mock_api.FakeAPI (httpx.MockTransport: exact method, URL, headers and body bytes, no network);
the ones about which configuration and which connections a call uses run on a real tests.faultserver.FaultServer
on 127.0.0.1. Every call is tried sync and async.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import xpander_sdk
from tests.faultserver import FULL_TASK, FaultServer, closed_port, running, tasks_for
from tests.mock_api import MINIMAL_TASK, FakeAPI
from xpander_sdk import (
    AgentExecutionStatus,
    APIConnectionError,
    Configuration,
    InternalServerError,
    InvalidArgumentError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    Task,
    Tasks,
    TasksListItem,
)
from xpander_sdk._task_json import SAVE_KEYS

MODES = ("sync", "async")
BASE = "https://api.test"
LIST_ITEM: dict[str, Any] = {"id": "t1", "agent_id": "agent-123", "organization_id": "o", "status": "pending"}
UPDATE_EXAMPLE = (
    b'{"tool_call_payload_extension":{"headers":{"x":"y"}},"source":"sdk","status":"completed",'
    b'"last_executed_node_id":"node-7","result":"r"}'
)
Respond = Callable[[httpx.Request], httpx.Response]


def run(mode: str, target: object, name: str, *args: Any, **kwargs: Any) -> Any:
    """`target.<name>(...)`, or in async mode `await target.a<name>(...)` in a new event loop."""
    if mode == "sync":
        return getattr(target, name)(*args, **kwargs)

    async def go() -> Any:
        return await getattr(target, f"a{name}")(*args, **kwargs)

    return asyncio.run(go())


def task_json(status: str = "pending", **fields: Any) -> Respond:
    """A fresh 200 with a task for each request."""
    return lambda request: httpx.Response(200, json={**MINIMAL_TASK, "status": status, **fields})


def list_json(*items: dict[str, Any]) -> Respond:
    return lambda request: httpx.Response(200, json=list(items))


def echo(request: httpx.Request) -> httpx.Response:
    """The request's JSON body as the answer (a save answered with what it sent)."""
    return httpx.Response(200, content=request.content, headers={"content-type": "application/json"})


def fake(*answers: Respond) -> tuple[FakeAPI, Tasks]:
    api = FakeAPI(answers)
    return api, api.tasks()


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


# -- the wire -------------------------------------------------------------------------------------------------
def _common_headers(request: httpx.Request) -> None:
    assert request.headers["x-api-key"] == "test-key"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith("xpander-tasks-python/")


@pytest.mark.parametrize("mode", MODES)
def test_get_sends_a_bare_get_of_the_status_route(mode: str) -> None:
    api, tasks = fake(task_json("executing"))
    task = run(mode, tasks, "get", "t1")
    (request,) = api.requests
    assert (request.method, str(request.url)) == ("GET", f"{BASE}/agent-execution/t1/status")
    assert request.content == b""
    assert "content-length" not in request.headers and "content-type" not in request.headers
    _common_headers(request)
    assert isinstance(task, Task) and task.status is AgentExecutionStatus.Executing


@pytest.mark.parametrize("mode", MODES)
def test_stop_sends_a_delete_without_a_body(mode: str) -> None:
    api, tasks = fake(task_json("stopped"))
    task = run(mode, tasks, "stop", "t1")
    (request,) = api.requests
    assert (request.method, str(request.url)) == ("DELETE", f"{BASE}/agent-execution/t1")
    assert request.content == b""
    assert "content-length" not in request.headers, "a DELETE without a body says nothing of a body"
    assert "content-type" not in request.headers
    _common_headers(request)
    assert task.status is AgentExecutionStatus.Stopped


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_get_and_stop_send_no_body_on_a_real_socket(server: FaultServer, method: str) -> None:
    with tasks_for(server.url) as tasks:
        (tasks.get if method == "GET" else tasks.stop)("t-real")
    seen = server.requests[-1]
    path = "/agent-execution/t-real" + ("/status" if method == "GET" else "")
    assert (seen.method, seen.path, seen.body) == (method, path, b"")
    assert seen.header("content-length") is None
    assert seen.header("transfer-encoding") is None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("arguments", "body"),
    [
        (
            {
                "tool_call_payload_extension": {"headers": {"x": "y"}},
                "source": "sdk",
                "status": "completed",
                "last_executed_node_id": "node-7",
                "result": "r",
            },
            UPDATE_EXAMPLE,
        ),
        ({}, b"{}"),
        ({"result": ""}, b'{"result":""}'),
        ({"status": AgentExecutionStatus.Failed}, b'{"status":"failed"}'),
        ({"result": "r", "source": "sdk"}, b'{"source":"sdk","result":"r"}'),  # the official order, not the caller's
    ],
    ids=["lifecycle.md example", "nothing", "empty result", "status enum", "official order"],
)
def test_update_sends_a_patch_with_only_the_given_keys(mode: str, arguments: dict[str, Any], body: bytes) -> None:
    api, tasks = fake(task_json("completed", result="r"))
    task = run(mode, tasks, "update", "t1", **arguments)
    (request,) = api.requests
    assert (request.method, str(request.url)) == ("PATCH", f"{BASE}/agent-execution/t1/update")
    assert request.content == body
    assert request.headers["content-type"] == "application/json"
    assert request.headers["content-length"] == str(len(body))
    _common_headers(request)
    assert (task.status, task.result) == (AgentExecutionStatus.Completed, "r")


def test_update_takes_its_arguments_positionally_in_the_official_order() -> None:
    api, tasks = fake(task_json())
    tasks.update("t1", {"headers": {"x": "y"}}, "sdk", "completed", "node-7", "r")
    assert api.requests[0].content == UPDATE_EXAMPLE


FILTERS: dict[str, Any] = {
    "user_id": "u 1&x=y",
    "status": "executing",
    "parent_task_id": None,
    "internal_status": "ünï",
}
FILTERS_QUERY = "user_id=u+1%26x%3Dy&status=executing&parent_task_id=&internal_status=%C3%BCn%C3%AF"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("list", "/agent-execution/executions/history/agent-1"),
        ("list_user_tasks", "/agent-execution/executions/history/user/agent-1"),
    ],
)
def test_list_sends_the_filters_as_the_query(mode: str, method: str, path: str) -> None:
    api, tasks = fake(list_json(LIST_ITEM, {**LIST_ITEM, "id": "t2", "status": "queued"}))
    items = run(mode, tasks, method, "agent-1", FILTERS)
    (request,) = api.requests
    assert (request.method, request.url.raw_path.decode()) == ("GET", f"{path}?{FILTERS_QUERY}")
    assert str(request.url) == f"{BASE}{path}?{FILTERS_QUERY}"
    assert request.content == b""
    assert "content-length" not in request.headers
    _common_headers(request)
    assert [type(item) for item in items] == [TasksListItem, TasksListItem]
    assert [(item.id, item.status.value) for item in items] == [("t1", "pending"), ("t2", "queued")]


@pytest.mark.parametrize("mode", MODES)
def test_list_user_tasks_sends_a_user_id_filter_as_user_id(mode: str) -> None:
    """The generated builder calls the query's user_id `user_id_query` (it clashes with the path's): the wire
    says `user_id`."""
    api, tasks = fake(list_json())
    assert run(mode, tasks, "list_user_tasks", "u-path", {"user_id": "u-query", "status": "failed"}) == []
    query = api.requests[0].url.query.decode()
    assert api.requests[0].url.path == "/agent-execution/executions/history/user/u-path"
    assert query == "user_id=u-query&status=failed"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ["list", "list_user_tasks"])
def test_list_without_filters_sends_no_query(mode: str, method: str) -> None:
    api, tasks = fake(list_json())
    run(mode, tasks, method, "x")
    assert api.requests[0].url.query == b""
    assert b"?" not in api.requests[0].url.raw_path


# -- the Task's methods -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_reload_refreshes_the_same_object_in_place(mode: str) -> None:
    api, tasks = fake(task_json("pending"), task_json("executing", result="half", title="T"))
    task = tasks.get("t1")
    identity = id(task)
    assert task.status is AgentExecutionStatus.Pending
    returned = run(mode, task, "reload")
    assert returned is task and id(task) == identity
    assert (task.status, task.result, task.title) == (AgentExecutionStatus.Executing, "half", "T")
    assert str(api.requests[-1].url) == f"{BASE}/agent-execution/t1/status"
    assert task._requestor is tasks.requestor, "still bound after the refresh"


PLAN = {"enabled": True, "tasks": [{"id": "s1", "title": "step one", "completed": True}]}


@pytest.mark.parametrize("mode", MODES)
def test_reload_keeps_a_local_plan_and_context_the_server_sends_null(mode: str) -> None:
    _, tasks = fake(task_json("executing", deep_planning=None, additional_context=None))
    task = Task.from_dict({**MINIMAL_TASK, "deep_planning": PLAN, "additional_context": "local ctx"}).bind(tasks)
    plan = task.deep_planning
    run(mode, task, "reload")
    assert task.status is AgentExecutionStatus.Executing, "the rest is the server's"
    assert task.deep_planning is plan
    assert task.deep_planning is not None and [step.id for step in task.deep_planning.tasks] == ["s1"]
    assert task.additional_context == "local ctx"


@pytest.mark.parametrize("mode", MODES)
def test_reload_takes_the_servers_plan_and_context_when_it_sends_them(mode: str) -> None:
    server_plan = {"enabled": True, "tasks": [{"id": "s9", "title": "server", "completed": False}]}
    _, tasks = fake(task_json("executing", deep_planning=server_plan, additional_context="server ctx"))
    task = Task.from_dict({**MINIMAL_TASK, "deep_planning": PLAN, "additional_context": "local ctx"}).bind(tasks)
    run(mode, task, "reload")
    assert task.deep_planning is not None and [step.id for step in task.deep_planning.tasks] == ["s9"]
    assert task.additional_context == "server ctx"


@pytest.mark.parametrize("mode", MODES)
def test_stop_returns_the_task_itself_updated(mode: str) -> None:
    api, tasks = fake(task_json("stopped", is_manually_stopped=True))
    task = Task.from_dict(MINIMAL_TASK).bind(tasks)
    assert run(mode, task, "stop") is task
    assert (task.status, task.is_manually_stopped) == (AgentExecutionStatus.Stopped, True)
    (request,) = api.requests
    assert (request.method, str(request.url), request.content) == ("DELETE", f"{BASE}/agent-execution/t1", b"")


def _saveable_task() -> Task:
    return Task.from_dict(
        {
            **FULL_TASK,
            "tokens": {"completion_tokens": 3, "prompt_tokens": 4, "cache_read_tokens": 1},
            "deep_planning": PLAN,
            "result": None,
        }
    )


def test_the_save_body_is_the_official_one() -> None:
    task = _saveable_task()
    body = task.to_save_body()
    assert len(SAVE_KEYS) == 55
    assert list(body) == list(SAVE_KEYS)
    assert body["id"] == FULL_TASK["id"]
    assert body["created_at"] == "2026-05-01T12:00:00Z"
    assert body["status"] == "pending" and body["think_mode"] == "harder" and body["output_format"] == "json"
    assert body["tokens"] == {
        "completion_tokens": 3,
        "prompt_tokens": 4,
        "cache_read_tokens": 1,
        "cache_write_tokens": 0,
        "total_tokens": 7,
    }
    assert body["result"] is None and body["finished_at"] is None, "nulls are sent"
    assert list(body["input"]["user"]) == [
        "id",
        "first_name",
        "last_name",
        "email",
        "additional_attributes",
        "timezone",
    ]
    assert "deep_planning" not in body and "extra" not in body and "updated_at" not in body

    with_plan = task.to_save_body(with_deep_plan_update=True)
    after = SAVE_KEYS.index("user_tokens") + 1
    assert list(with_plan) == [*SAVE_KEYS[:after], "deep_planning", *SAVE_KEYS[after:]]
    assert with_plan["deep_planning"] == {
        "enabled": True,
        "enforce": False,
        "started": False,
        "question_raised": False,
        "tasks": [{"id": "s1", "title": "step one", "completed": True}],
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("with_deep_plan_update", [False, True])
def test_save_sends_the_save_body_and_returns_the_task_updated(mode: str, with_deep_plan_update: bool) -> None:
    api, tasks = fake(task_json("executing", id=FULL_TASK["id"]))
    task = _saveable_task().bind(tasks)
    expected = task.to_save_body(with_deep_plan_update)
    assert run(mode, task, "save", with_deep_plan_update) is task
    (request,) = api.requests
    assert (request.method, str(request.url)) == ("PATCH", f"{BASE}/agent-execution/{FULL_TASK['id']}/update")
    assert request.content == json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode()
    assert ("deep_planning" in json.loads(request.content)) is with_deep_plan_update
    assert task.status is AgentExecutionStatus.Executing, "updated from the answer"


@pytest.mark.parametrize("mode", MODES)
def test_set_status_saves_the_status_and_result(mode: str) -> None:
    api, tasks = fake(echo)
    task = Task.from_dict(MINIMAL_TASK).bind(tasks)
    assert run(mode, task, "set_status", "completed", result="done") is task
    sent = json.loads(api.requests[0].content)
    assert (sent["status"], sent["result"]) == ("completed", "done")
    assert list(sent) == list(SAVE_KEYS)
    assert (task.status, task.result) == (AgentExecutionStatus.Completed, "done")


@pytest.mark.parametrize("mode", MODES)
def test_set_status_with_an_enum_member(mode: str) -> None:
    api, tasks = fake(echo)
    task = Task.from_dict(MINIMAL_TASK).bind(tasks)
    run(mode, task, "set_status", AgentExecutionStatus.Failed)
    sent = json.loads(api.requests[0].content)
    assert (sent["status"], sent["result"]) == ("failed", None)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", ["bogus", "Completed", 5, None])
def test_set_status_refuses_what_is_not_a_status(mode: str, status: Any) -> None:
    api, tasks = fake(echo)
    task = Task.from_dict({**MINIMAL_TASK, "result": "before"}).bind(tasks)
    with pytest.raises(InvalidArgumentError) as caught:
        run(mode, task, "set_status", status, result="after")
    assert caught.value.parameter == "status"
    assert "status" in caught.value.description
    assert api.requests == []
    assert (task.status, task.result) == (AgentExecutionStatus.Pending, "before"), "the task is left as it was"


# -- binding --------------------------------------------------------------------------------------------------
def test_a_task_from_a_call_is_bound_to_the_tasks_that_made_it() -> None:
    _, tasks = fake(task_json(), list_json(LIST_ITEM))
    task = tasks.get("t1")
    assert task._requestor is tasks.requestor
    assert task.configuration is tasks.configuration
    (item,) = tasks.list("agent-123")
    assert item._requestor is tasks.requestor and item.configuration is tasks.configuration


def test_repr_shows_no_owner_and_never_fails() -> None:
    configuration = Configuration(api_key="sk-repr-secret", base_url="https://agent-controller.internal")
    task = Task.from_dict(MINIMAL_TASK).bind(Tasks(configuration))  # its root_url raises: repr must not care
    unbound = Task.from_dict(MINIMAL_TASK)
    for shown in (repr(task), str(task), repr(unbound), repr(pickle.loads(pickle.dumps(task)))):
        assert shown.startswith("Task(id='t1'")
        assert "owner" not in shown and "Tasks(" not in shown
        assert "agent-controller" not in shown and "sk-repr-secret" not in shown
    assert repr(task) == repr(unbound)
    item = TasksListItem.from_dict(LIST_ITEM).bind(Tasks(configuration))
    assert "owner" not in repr(item) and "agent-controller" not in repr(item)


def test_equality_ignores_the_owner() -> None:
    _, tasks = fake(task_json())
    task = tasks.get("t1")
    other = Task.from_dict(MINIMAL_TASK)
    assert task == other
    assert other.bind(FakeAPI().tasks()) == task
    assert task != Task.from_dict({**MINIMAL_TASK, "status": "executing"})


@pytest.mark.parametrize("status", ["executing", "hibernating"], ids=["known status", "unknown status"])
def test_a_pickle_round_trip_drops_the_owner_and_stays_equal(status: str) -> None:
    """Also with a status this version does not know: the SDK keeps such a task, so it must travel too."""
    _, tasks = fake(task_json(status), list_json({**LIST_ITEM, "status": status}))
    task = tasks.get("t1")
    clone = pickle.loads(pickle.dumps(task))
    assert clone._requestor is None and clone.configuration is None
    assert clone == task
    assert clone.status.value == status
    assert task._requestor is tasks.requestor, "the original stays bound"
    (item,) = tasks.list("agent-123")
    item_clone = pickle.loads(pickle.dumps(item))
    assert item_clone == item and item_clone._requestor is None
    for duplicate in (copy.copy(task), copy.deepcopy(task)):
        assert duplicate == task and duplicate._requestor is None


@pytest.mark.parametrize("mode", MODES)
def test_a_hand_built_task_is_unbound_until_bind(mode: str) -> None:
    api, tasks = fake(task_json("executing"))
    task = Task.from_dict(MINIMAL_TASK)
    assert task._requestor is None and task.configuration is None
    assert task.bind(tasks) is task
    assert task.configuration is tasks.configuration
    run(mode, task, "reload")
    assert str(api.requests[0].url) == f"{BASE}/agent-execution/t1/status"
    assert task.status is AgentExecutionStatus.Executing


@pytest.mark.parametrize("mode", MODES)
def test_an_unbound_task_follows_the_environment(
    server: FaultServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XPANDER_BASE_URL", server.url)
    monkeypatch.setenv("XPANDER_API_KEY", "env-key-1")
    task = Task.from_dict({**MINIMAL_TASK, "id": "unbound-1"})
    before = server.count
    run(mode, task, "reload")
    assert server.count == before + 1
    seen = server.requests[-1]
    assert (seen.method, seen.path, seen.header("x-api-key")) == (
        "GET",
        "/agent-execution/unbound-1/status",
        "env-key-1",
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_list_item_loads_through_the_tasks_that_listed_it(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not through the environment's configuration, as the official SDK does."""
    monkeypatch.setenv("XPANDER_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("XPANDER_API_KEY", "env-key-must-not-be-used")
    listers = {}
    for name in ("a", "b"):
        api = FakeAPI([list_json({**LIST_ITEM, "id": f"t-{name}"}), task_json(id=f"t-{name}")])
        configuration = Configuration(api_key=f"key-{name}", base_url=f"https://lister-{name}.test")
        listers[name] = (api, api.tasks(configuration=configuration))
    items = {name: tasks.list("agent-123")[0] for name, (_, tasks) in listers.items()}
    for name, item in reversed(items.items()):
        api, tasks = listers[name]
        loaded = run(mode, item, "load")
        assert isinstance(loaded, Task) and loaded.id == f"t-{name}"
        assert loaded._requestor is tasks.requestor
        request = api.requests[-1]
        assert str(request.url) == f"https://lister-{name}.test/agent-execution/t-{name}/status"
        assert request.headers["x-api-key"] == f"key-{name}"
    assert [len(api.requests) for api, _ in listers.values()] == [2, 2], "one list and one load each, no more"


@pytest.mark.parametrize("mode", MODES)
def test_a_list_item_loads_with_the_configuration_it_is_given(server: FaultServer, mode: str) -> None:
    api, tasks = fake(list_json({**LIST_ITEM, "id": "t-given"}))
    (item,) = tasks.list("agent-123")
    configuration = Configuration(api_key="given-key", base_url=server.url)
    before = server.count
    loaded = run(mode, item, "load", configuration)
    assert loaded.configuration is configuration
    assert server.count == before + 1 and len(api.requests) == 1
    seen = server.requests[-1]
    assert (seen.path, seen.header("x-api-key")) == ("/agent-execution/t-given/status", "given-key")


@pytest.mark.parametrize("mode", MODES)
def test_task_load_uses_the_configuration_it_is_given(
    server: FaultServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XPANDER_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("XPANDER_API_KEY", "env-key-must-not-be-used")
    configuration = Configuration(api_key="cfg-key", base_url=server.url)
    before = server.count
    task = run(mode, Task, "load", "t-cfg", configuration=configuration)
    assert isinstance(task, Task) and task.id == "t1"
    assert task.configuration is configuration
    assert server.count == before + 1
    seen = server.requests[-1]
    assert (seen.method, seen.path, seen.header("x-api-key")) == ("GET", "/agent-execution/t-cfg/status", "cfg-key")


@pytest.mark.parametrize("mode", MODES)
def test_task_load_without_configuration_reads_the_environment(
    server: FaultServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XPANDER_BASE_URL", server.url)
    monkeypatch.setenv("XPANDER_API_KEY", "env-key-2")
    before = server.count
    task = run(mode, Task, "load", "t-env")
    assert isinstance(task, Task)
    assert server.count == before + 1
    assert server.requests[-1].header("x-api-key") == "env-key-2"
    assert server.requests[-1].path == "/agent-execution/t-env/status"


# -- is_terminal ----------------------------------------------------------------------------------------------
TERMINAL = {"completed", "failed", "error", "stopped"}


@pytest.mark.parametrize("finished_at", [None, "2025-01-02T00:00:00Z"])
@pytest.mark.parametrize("status", list(AgentExecutionStatus), ids=lambda status: status.value)
def test_is_terminal_for_the_known_statuses(status: AgentExecutionStatus, finished_at: str | None) -> None:
    task = Task.from_dict({**MINIMAL_TASK, "status": status.value, "finished_at": finished_at})
    assert task.is_terminal is (status.value in TERMINAL), "a known status decides, whatever finished_at says"


@pytest.mark.parametrize(("finished_at", "terminal"), [(None, False), ("2025-01-02T00:00:00Z", True)])
def test_is_terminal_for_an_unknown_status_follows_finished_at(finished_at: str | None, terminal: bool) -> None:
    task = Task.from_dict({**MINIMAL_TASK, "status": "archived", "finished_at": finished_at})
    assert task.status.value == "archived"
    assert task.is_terminal is terminal


def test_the_terminal_statuses_are_the_documented_four() -> None:
    assert {status.value for status in AgentExecutionStatus if status.is_terminal} == TERMINAL


# -- with_options -----------------------------------------------------------------------------------------------
def test_with_options_is_a_copy_on_the_same_pool_with_the_new_settings() -> None:
    api, tasks = fake(task_json())
    original_timeout, original_retries = tasks.timeout, tasks.max_retries
    other = tasks.with_options(timeout=3, max_retries=5)
    assert other is not tasks
    assert other.requestor.session is tasks.requestor.session
    assert other.configuration is tasks.configuration
    assert other.max_retries == 5 and other.timeout.read == 3.0
    assert (tasks.timeout, tasks.max_retries) == (original_timeout, original_retries), "the original is unchanged"
    other.get("t1")
    assert api.requests[-1].extensions["timeout"]["read"] == 3.0
    tasks.get("t1")
    assert api.requests[-1].extensions["timeout"]["read"] == original_timeout.read
    assert tasks.with_options().max_retries == original_retries


def test_with_options_max_retries_is_the_copys_retry_count() -> None:
    api, tasks = fake(lambda request: httpx.Response(500, json={"detail": "boom"}))
    with pytest.raises(InternalServerError):
        tasks.with_options(max_retries=0).get("t1")
    assert len(api.requests) == 1
    with pytest.raises(InternalServerError):
        tasks.with_options(max_retries=1).get("t1")
    assert len(api.requests) == 3


def test_closing_the_copy_leaves_the_original_usable(server: FaultServer) -> None:
    tasks = tasks_for(server.url)
    try:
        assert tasks.get("t1").id == "t1"
        client = tasks.requestor.session.sync_client()
        copy_ = tasks.with_options(timeout=2)
        copy_.get("t1")
        copy_.close()
        with copy_:
            pass
        assert not client.is_closed and tasks.requestor.session.sync_client() is client
        assert tasks.get("t1").id == "t1"

        async def go() -> None:
            assert (await tasks.aget("t1")).id == "t1"
            pool_client = await tasks.requestor.session.async_client()
            other = tasks.with_options(max_retries=0)
            await other.aget("t1")
            await other.aclose()
            assert not pool_client.is_closed
            assert (await tasks.aget("t1")).id == "t1"
            await tasks.aclose()

        asyncio.run(go())
    finally:
        tasks.close()


# -- extra_headers, extra_query, extra_body ---------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("method", "args", "path"),
    [
        ("get", ("t1",), "/agent-execution/t1/status"),
        ("stop", ("t1",), "/agent-execution/t1"),
        ("update", ("t1",), "/agent-execution/t1/update"),
        ("list", ("ag", {"status": "failed"}), "/agent-execution/executions/history/ag?status=failed"),
        ("list_user_tasks", ("u1",), "/agent-execution/executions/history/user/u1"),
    ],
)
def test_extra_headers_and_query_reach_the_wire(mode: str, method: str, args: tuple[Any, ...], path: str) -> None:
    answer = list_json() if method.startswith("list") else task_json()
    api, tasks = fake(answer)
    run(mode, tasks, method, *args, extra_headers={"X-Trace": "abc-1"}, extra_query={"debug": "a b"})
    request = api.requests[0]
    assert request.headers["x-trace"] == "abc-1"
    assert request.headers["x-api-key"] == "test-key"
    separator = "&" if "?" in path else "?"
    assert request.url.raw_path.decode() == f"{path}{separator}debug=a+b"


@pytest.mark.parametrize("mode", MODES)
def test_extra_query_wins_over_a_filter_of_the_same_name(mode: str) -> None:
    """`_bodies.extra_query`: "they win over the call's own of the same name"."""
    api, tasks = fake(list_json())
    run(mode, tasks, "list", "ag", {"status": "failed", "user_id": "u"}, extra_query={"status": "executing"})
    assert api.requests[0].url.params.get_list("status") == ["executing"]
    assert api.requests[0].url.query.decode() == "status=executing&user_id=u"


@pytest.mark.parametrize("mode", MODES)
def test_extra_body_keys_win_on_update(mode: str) -> None:
    api, tasks = fake(task_json())
    run(mode, tasks, "update", "t1", status="completed", result="r", extra_body={"status": "failed", "new_key": [1]})
    assert api.requests[0].content == b'{"status":"failed","result":"r","new_key":[1]}'


@pytest.mark.parametrize("mode", MODES)
def test_extra_body_keys_win_on_create(mode: str) -> None:
    api, tasks = fake(lambda request: httpx.Response(201, json=MINIMAL_TASK))
    run(mode, tasks, "create", "agent-123", prompt="p", title="mine", extra_body={"title": "theirs", "new_key": True})
    body = json.loads(api.requests[0].content)
    assert (body["title"], body["new_key"]) == ("theirs", True)
    assert list(body)[-1] == "new_key" and list(body).index("title") < list(body).index("think_mode")


@pytest.mark.parametrize("mode", MODES)
def test_extra_body_on_save(mode: str) -> None:
    api, tasks = fake(task_json())
    task = Task.from_dict(MINIMAL_TASK).bind(tasks)
    run(mode, task, "save", extra_body={"result": "from extra", "new_key": 1})
    body = json.loads(api.requests[0].content)
    assert (body["result"], body["new_key"]) == ("from extra", 1)
    assert list(body) == [*SAVE_KEYS, "new_key"]


@pytest.mark.parametrize("mode", MODES)
def test_an_empty_extra_body_on_a_get_is_no_body(mode: str) -> None:
    api, tasks = fake(task_json())
    run(mode, tasks, "get", "t1", extra_body={})
    assert api.requests[0].content == b""


# -- errors carry their request, never the key ------------------------------------------------------------------
SECRET_KEY = "sk-live-unit-secret-777"
CALLS: dict[str, tuple[str, str, bool]] = {
    "create": ("POST", "/agent-execution/agent-1", False),
    "get": ("GET", "/agent-execution/t1/status", True),
    "list": ("GET", "/agent-execution/executions/history/agent-1?status=failed", True),
    "list_user_tasks": ("GET", "/agent-execution/executions/history/user/u1", True),
    "update": ("PATCH", "/agent-execution/t1/update", False),
    "stop": ("DELETE", "/agent-execution/t1", True),
    "task.reload": ("GET", "/agent-execution/t1/status", True),
    "task.stop": ("DELETE", "/agent-execution/t1", True),
    "task.save": ("PATCH", "/agent-execution/t1/update", False),
    "task.set_status": ("PATCH", "/agent-execution/t1/update", False),
    "item.load": ("GET", "/agent-execution/t1/status", True),
    "Task.load": ("GET", "/agent-execution/t1/status", True),
}


def _make_call(name: str, tasks: Tasks, mode: str) -> Any:
    """The call `name` of CALLS through `tasks` (Task.load: with its configuration, on the shared pool)."""
    task = Task.from_dict(MINIMAL_TASK).bind(tasks)
    calls: dict[str, Callable[[], Any]] = {
        "create": lambda: run(mode, tasks, "create", "agent-1", prompt="p"),
        "get": lambda: run(mode, tasks, "get", "t1"),
        "list": lambda: run(mode, tasks, "list", "agent-1", {"status": "failed"}),
        "list_user_tasks": lambda: run(mode, tasks, "list_user_tasks", "u1"),
        "update": lambda: run(mode, tasks, "update", "t1", status="completed"),
        "stop": lambda: run(mode, tasks, "stop", "t1"),
        "task.reload": lambda: run(mode, task, "reload"),
        "task.stop": lambda: run(mode, task, "stop"),
        "task.save": lambda: run(mode, task, "save"),
        "task.set_status": lambda: run(mode, task, "set_status", "completed"),
        "item.load": lambda: run(mode, TasksListItem.from_dict(LIST_ITEM).bind(tasks), "load"),
        "Task.load": lambda: run(mode, Task, "load", "t1", tasks.configuration, max_retries=0),
    }
    assert set(calls) == set(CALLS)
    return calls[name]()


FAILURES: dict[str, tuple[Respond, type[ModuleException]]] = {
    "404 echoing the key": (
        lambda request: httpx.Response(
            404, json={"detail": f"no task for key {request.headers['x-api-key']}", "key": request.headers["x-api-key"]}
        ),
        NotFoundError,
    ),
    "500": (lambda request: httpx.Response(500, text=f"boom {request.headers['x-api-key']}"), InternalServerError),
    "2xx not JSON": (
        lambda request: httpx.Response(200, text=f"ok {request.headers['x-api-key']}"),
        InvalidResponseError,
    ),
}


def _check_error(error: ModuleException, name: str, url: str) -> None:
    method, path, idempotent = CALLS[name]
    assert error.request is not None, "every error of a request carries it"
    assert (error.request.method, error.request.url) == (method, f"{url}{path}")
    assert str(error.request) == f"{method} {url}{path}"
    assert error.request.idempotent is idempotent
    if idempotent:
        assert not error.outcome_unknown
    shown = f"{error.request} {error.request!r} {error!r} {error} {error.description} {error.body!r}"
    assert SECRET_KEY not in shown


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize("name", [name for name in CALLS if name != "Task.load"])
def test_an_error_carries_its_request_and_never_the_key(name: str, failure: str, mode: str) -> None:
    respond, error_class = FAILURES[failure]
    api = FakeAPI([respond])
    tasks = api.tasks(configuration=Configuration(api_key=SECRET_KEY, base_url=BASE))
    with pytest.raises(error_class) as caught:
        _make_call(name, tasks, mode)
    assert type(caught.value) is error_class
    _check_error(caught.value, name, BASE)
    assert all(request.headers["x-api-key"] == SECRET_KEY for request in api.requests), "the key was sent"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(CALLS))
def test_a_connection_error_carries_its_request_and_never_the_key(name: str, mode: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with tasks_for(url, api_key=SECRET_KEY, max_retries=0) as tasks, pytest.raises(APIConnectionError) as caught:
        _make_call(name, tasks, mode)
    _check_error(caught.value, name, url)


# -- the official names -----------------------------------------------------------------------------------------
def test_the_official_import_paths() -> None:
    from xpander_sdk import ConversationKind, RequestInfo
    from xpander_sdk import TasksListItem as TopLevelItem
    from xpander_sdk.exceptions import RequestInfo as ExceptionsRequestInfo
    from xpander_sdk.modules.tasks.models.tasks_list import TasksListItem as OfficialItem
    from xpander_sdk.modules.tasks.sub_modules.task import Task as OfficialTask

    assert OfficialItem is TopLevelItem is TasksListItem
    assert OfficialTask is xpander_sdk.Task is Task
    assert RequestInfo is ExceptionsRequestInfo
    assert ConversationKind("direct").value == "direct"
    assert {"TasksListItem", "RequestInfo", "ConversationKind"} <= set(xpander_sdk.__all__)
    for name in ("areload", "aload", "astop", "asave", "aset_status"):
        assert inspect.iscoroutinefunction(getattr(OfficialTask, name)), name
    for name in ("reload", "load", "stop", "save", "set_status"):
        method = getattr(OfficialTask, name)
        assert callable(method) and not inspect.iscoroutinefunction(method), name
    assert inspect.iscoroutinefunction(OfficialItem.aload) and callable(OfficialItem.load)


def _positional(method: Any) -> list[tuple[str, Any]]:
    return [
        (parameter.name, parameter.default)
        for parameter in inspect.signature(method).parameters.values()
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and parameter.name != "self"
    ]


EMPTY = inspect.Parameter.empty


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (
            Tasks.aupdate,
            [
                ("task_id", EMPTY),
                ("tool_call_payload_extension", None),
                ("source", None),
                ("status", None),
                ("last_executed_node_id", None),
                ("result", None),
            ],
        ),
        (Tasks.alist, [("agent_id", EMPTY), ("filters", None)]),
        (Tasks.alist_user_tasks, [("user_id", EMPTY), ("filters", None)]),
        (Tasks.aget, [("task_id", EMPTY)]),
        (Tasks.astop, [("task_id", EMPTY)]),
        (Task.aload, [("task_id", EMPTY), ("configuration", None)]),
        (Task.areload, []),
        (Task.astop, []),
        (Task.asave, [("with_deep_plan_update", False)]),
        (Task.aset_status, [("status", EMPTY), ("result", None)]),
        (TasksListItem.aload, [("configuration", None)]),
    ],
    ids=lambda value: getattr(value, "__qualname__", ""),
)
def test_the_official_signatures(method: Any, expected: list[tuple[str, Any]]) -> None:
    assert _positional(method) == expected
    kinds = [parameter.kind for parameter in inspect.signature(method).parameters.values()]
    assert kinds[-1] is inspect.Parameter.VAR_KEYWORD, "then the per-call options"


TWINS = [
    (Tasks, "aget", "get"),
    (Tasks, "alist", "list"),
    (Tasks, "alist_user_tasks", "list_user_tasks"),
    (Tasks, "aupdate", "update"),
    (Tasks, "astop", "stop"),
    (Tasks, "acreate", "create"),
    (Task, "aload", "load"),
    (Task, "areload", "reload"),
    (Task, "astop", "stop"),
    (Task, "asave", "save"),
    (Task, "aset_status", "set_status"),
    (TasksListItem, "aload", "load"),
]


@pytest.mark.parametrize(("owner", "async_name", "sync_name"), TWINS, ids=[f"{t[0].__name__}.{t[2]}" for t in TWINS])
def test_each_sync_twin_has_the_parameters_of_its_async_method(owner: type, async_name: str, sync_name: str) -> None:
    asynchronous, synchronous = getattr(owner, async_name), getattr(owner, sync_name)
    assert inspect.iscoroutinefunction(asynchronous) and not inspect.iscoroutinefunction(synchronous)
    assert list(inspect.signature(synchronous).parameters.values()) == list(
        inspect.signature(asynchronous).parameters.values()
    )


@pytest.mark.parametrize("value", [object(), {1, 2}, float("nan")])
def test_a_task_field_set_to_a_non_json_value_is_refused_before_saving(value: object) -> None:
    """A worker that sets a field to something JSON cannot carry gets an InvalidArgumentError naming the task,
    not a TypeError from the encoder, and nothing is sent."""
    api = FakeAPI([lambda request: httpx.Response(200, json=MINIMAL_TASK)])
    tasks = api.tasks()
    task = tasks.get("t1")
    task.result = value  # type: ignore[assignment]
    with pytest.raises(xpander_sdk.InvalidArgumentError) as caught:
        task.save()
    assert caught.value.parameter == "task"
    assert len(api.requests) == 1, "only the get was sent"
