"""Bad input to the lifecycle calls (get, stop, update, list, list_user_tasks, Task.load and the Task methods):
every wrong call is refused with InvalidArgumentError naming the parameter, before anything is sent.

The calls go to a real server (tests.faultserver) that counts what reaches it: a refused call must leave it
untouched, not one request and not one connection. Odd but legal ids (`/`, `..`, `?`, `#`, a space, unicode)
must arrive percent-encoded as ONE path segment of the right route, byte for byte; legal filters must arrive in
the caller's order, form-encoded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from attrs import frozen

from tests.faultserver import (
    API_KEY,
    MINIMAL_TASK,
    Dynamic,
    FaultServer,
    Recorded,
    Reply,
    json_bytes,
    ok,
    tasks_for,
)
from xpander_sdk import (
    AgentExecutionStatus,
    Configuration,
    InvalidArgumentError,
    ModuleException,
    Task,
    Tasks,
    TasksListItem,
)

MODES = ("sync", "async")
LIST_ITEM: dict[str, Any] = {"id": "t1", "agent_id": "a", "organization_id": "o", "status": "pending"}
SECRET = "sk-not-an-api-key-value-4242"
"""A value given for x-api-key in extra_headers: refused, and never shown in the error."""


def _answer(seen: Recorded) -> Reply:
    """A list for the list routes, a task for the others."""
    if "/executions/history/" in seen.path:
        return Reply(200, json_bytes([LIST_ITEM]))
    return ok(200)


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(default=Dynamic(_answer)) as fault_server:
        yield fault_server


@pytest.fixture(scope="module")
def shared(server: FaultServer) -> Iterator[Tasks]:
    """One Tasks for the sync calls of the module, as an application would keep one."""
    with tasks_for(server.url) as tasks:
        yield tasks


# -- the calls ------------------------------------------------------------------------------------------------
@frozen
class Method:
    """A lifecycle call: how it is named here, the id it takes, and the route its id goes into."""

    name: str
    id_parameter: str
    http_method: str
    route: str
    """The raw path, with `{}` where the encoded id goes."""

    @property
    def sends_body(self) -> bool:
        return self.http_method == "PATCH"


GET = Method("get", "task_id", "GET", "/agent-execution/{}/status")
STOP = Method("stop", "task_id", "DELETE", "/agent-execution/{}")
UPDATE = Method("update", "task_id", "PATCH", "/agent-execution/{}/update")
LOAD = Method("Task.load", "task_id", "GET", "/agent-execution/{}/status")
LIST_USER = Method("list_user_tasks", "user_id", "GET", "/agent-execution/executions/history/user/{}")
LIST = Method("list", "agent_id", "GET", "/agent-execution/executions/history/{}")
TASK_RELOAD = Method("task.reload", "task_id", "GET", "/agent-execution/{}/status")
TASK_STOP = Method("task.stop", "task_id", "DELETE", "/agent-execution/{}")
TASK_SAVE = Method("task.save", "task_id", "PATCH", "/agent-execution/{}/update")

ID_METHODS = (GET, STOP, UPDATE, LOAD, LIST_USER, LIST)
"""The calls that take an id from the caller."""
ALL_METHODS = (*ID_METHODS, TASK_RELOAD, TASK_STOP, TASK_SAVE)
LIST_METHODS = (LIST, LIST_USER)


def _bound_task(tasks: Tasks, task_id: object) -> Task:
    return Task.from_dict({**MINIMAL_TASK, "id": task_id}).bind(tasks)


def _sync(tasks: Tasks, method: Method, ident: object, arguments: dict[str, Any]) -> Any:
    if method is LOAD:
        return Task.load(ident, tasks.configuration, **arguments)  # type: ignore[arg-type]
    if method is TASK_RELOAD:
        return _bound_task(tasks, ident).reload(**arguments)
    if method is TASK_STOP:
        return _bound_task(tasks, ident).stop(**arguments)
    if method is TASK_SAVE:
        return _bound_task(tasks, ident).save(**arguments)
    return getattr(tasks, method.name)(ident, **arguments)


async def _async(tasks: Tasks, method: Method, ident: object, arguments: dict[str, Any]) -> Any:
    if method is LOAD:
        return await Task.aload(ident, tasks.configuration, **arguments)  # type: ignore[arg-type]
    if method is TASK_RELOAD:
        return await _bound_task(tasks, ident).areload(**arguments)
    if method is TASK_STOP:
        return await _bound_task(tasks, ident).astop(**arguments)
    if method is TASK_SAVE:
        return await _bound_task(tasks, ident).asave(**arguments)
    return await getattr(tasks, f"a{method.name}")(ident, **arguments)


def invoke(
    server: FaultServer,
    shared: Tasks,
    mode: str,
    method: Method,
    ident: object = "t1",
    arguments: dict[str, Any] | None = None,
) -> Any:
    """`method` with this id and these arguments: sync on the module's Tasks, async on a new one (in a new event
    loop, closed afterwards)."""
    arguments = arguments or {}
    if mode == "sync":
        return _sync(shared, method, ident, arguments)

    async def go() -> Any:
        tasks = tasks_for(server.url)
        try:
            return await _async(tasks, method, ident, arguments)
        finally:
            await tasks.aclose()

    return asyncio.run(go())


def _nothing_reached(server: FaultServer, before: dict[str, int]) -> None:
    after = server.stats()
    assert (after["count"], after["connections"]) == (before["count"], before["connections"]), "nothing is sent"


def _refused(
    server: FaultServer,
    shared: Tasks,
    mode: str,
    method: Method,
    parameter: str,
    ident: object = "t1",
    arguments: dict[str, Any] | None = None,
) -> InvalidArgumentError:
    """Call, and check the call was refused before sending with an InvalidArgumentError naming `parameter` (or an
    item of it: `filters['status']`); the error, for more checks."""
    before = server.stats()
    with pytest.raises(InvalidArgumentError) as caught:
        invoke(server, shared, mode, method, ident, arguments)
    error = caught.value
    assert type(error) is InvalidArgumentError
    assert isinstance(error, ValueError) and isinstance(error, ModuleException)
    assert error.parameter == parameter or error.parameter.startswith(f"{parameter}["), error.parameter
    assert error.parameter in error.description, "the message names the parameter"
    assert error.status_code == 0
    assert str(error) == f"[0] {error.description}"
    assert not error.outcome_unknown
    _nothing_reached(server, before)
    return error


def _sent(server: FaultServer, shared: Tasks, mode: str, method: Method, ident: object, **arguments: Any) -> Recorded:
    """Call (it must succeed) and return the one request the server saw."""
    before = server.count
    result = invoke(server, shared, mode, method, ident, arguments)
    assert server.count == before + 1, "exactly one request"
    if method in LIST_METHODS:
        assert isinstance(result, list) and [type(item) for item in result] == [TasksListItem]
    else:
        assert isinstance(result, Task) and result.id == "t1"
    seen = server.requests[-1]
    assert seen.header("x-api-key") == API_KEY
    return seen


def _ids(methods: tuple[Method, ...]) -> list[str]:
    return [method.name for method in methods]


# -- path ids -------------------------------------------------------------------------------------------------
BAD_IDS: list[Any] = ["", ".", "..", "a\r\nb", "a\nb", "a\tb", "a\x00b", 5, None]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ID_METHODS, ids=_ids(ID_METHODS))
@pytest.mark.parametrize("ident", BAD_IDS, ids=repr)
def test_a_wrong_id_is_refused_before_sending(
    server: FaultServer, shared: Tasks, ident: object, method: Method, mode: str
) -> None:
    error = _refused(server, shared, mode, method, method.id_parameter, ident)
    assert error.parameter == method.id_parameter


ODD_IDS = [
    ("a/b", "a%2Fb"),
    ("../x", "..%2Fx"),
    ("x?y=1#f", "x%3Fy%3D1%23f"),
    ("a b", "a%20b"),
    ("ü", "%C3%BC"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ID_METHODS, ids=_ids(ID_METHODS))
@pytest.mark.parametrize(("ident", "segment"), ODD_IDS, ids=[odd for odd, _ in ODD_IDS])
def test_an_odd_id_is_sent_as_one_encoded_segment_of_the_route(
    server: FaultServer, shared: Tasks, ident: str, segment: str, method: Method, mode: str
) -> None:
    seen = _sent(server, shared, mode, method, ident)
    assert (seen.method, seen.path) == (method.http_method, method.route.format(segment))
    assert seen.body == (b"{}" if method.sends_body else b"")


# -- list filters ---------------------------------------------------------------------------------------------
@frozen
class Bad:
    """A wrong call: its arguments, the parameter the error must name, and what else the message says."""

    name: str
    arguments: dict[str, Any]
    parameter: str
    mentions: str = ""


BAD_FILTERS = [
    Bad("unknown key", {"filters": {"page": "2"}}, "filters", "page"),
    Bad("a list", {"filters": ["status"]}, "filters"),
    Bad("a str", {"filters": "status=failed"}, "filters"),
    *(
        Bad(f"{key} {label}", {"filters": {key: value}}, f"filters[{key!r}]")
        for key in ("status", "user_id")
        for label, value in (("int", 1), ("True", True), ("list", ["a", "b"]), ("dict", {"x": 1}))
    ),
    Bad("parent_task_id int", {"filters": {"parent_task_id": 7}}, "filters['parent_task_id']"),
    Bad("second filter wrong", {"filters": {"user_id": "u", "internal_status": 2.5}}, "filters['internal_status']"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", LIST_METHODS, ids=_ids(LIST_METHODS))
@pytest.mark.parametrize("bad", BAD_FILTERS, ids=lambda bad: bad.name)
def test_wrong_filters_are_refused_before_sending(
    server: FaultServer, shared: Tasks, bad: Bad, method: Method, mode: str
) -> None:
    error = _refused(server, shared, mode, method, bad.parameter, "x", bad.arguments)
    assert error.parameter == bad.parameter
    assert bad.mentions in error.description


GOOD_FILTERS: list[tuple[str, dict[str, Any], str]] = [
    ("status enum", {"status": AgentExecutionStatus.Failed}, "status=failed"),
    ("status str", {"status": "executing"}, "status=executing"),
    ("None is an empty value", {"parent_task_id": None}, "parent_task_id="),
    ("space is +", {"user_id": "u 1"}, "user_id=u+1"),
    (
        "the caller's order",
        {"triggering_agent_id": "ag", "status": AgentExecutionStatus.Failed, "parent_task_id": None, "user_id": "a b"},
        "triggering_agent_id=ag&status=failed&parent_task_id=&user_id=a+b",
    ),
    (
        "the caller's order, reversed",
        {"user_id": "a b", "parent_task_id": None, "status": AgentExecutionStatus.Failed, "triggering_agent_id": "ag"},
        "user_id=a+b&parent_task_id=&status=failed&triggering_agent_id=ag",
    ),
    ("reserved characters", {"internal_status": "x&y=z#w"}, "internal_status=x%26y%3Dz%23w"),
    ("no filters", {}, ""),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", LIST_METHODS, ids=_ids(LIST_METHODS))
@pytest.mark.parametrize(("name", "filters", "query"), GOOD_FILTERS, ids=[good[0] for good in GOOD_FILTERS])
def test_legal_filters_are_sent_in_the_callers_order(
    server: FaultServer, shared: Tasks, name: str, filters: dict[str, Any], query: str, method: Method, mode: str
) -> None:
    seen = _sent(server, shared, mode, method, "x", filters=filters)
    route = method.route.format("x")
    assert (seen.method, seen.path) == ("GET", f"{route}?{query}" if query else route), name


# -- update ---------------------------------------------------------------------------------------------------
BAD_UPDATES = [
    Bad("status not a status", {"status": "finished"}, "status", "'completed'"),
    Bad("status wrong case", {"status": "Completed"}, "status"),
    Bad("status int", {"status": 5}, "status"),
    Bad("tool_call_payload_extension list", {"tool_call_payload_extension": ["x"]}, "tool_call_payload_extension"),
    Bad("tool_call_payload_extension str", {"tool_call_payload_extension": "x"}, "tool_call_payload_extension"),
    Bad("source int", {"source": 5}, "source"),
    Bad("result int", {"result": 5}, "result"),
    Bad("last_executed_node_id int", {"last_executed_node_id": 5}, "last_executed_node_id"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bad", BAD_UPDATES, ids=lambda bad: bad.name)
def test_a_wrong_update_is_refused_before_sending(server: FaultServer, shared: Tasks, bad: Bad, mode: str) -> None:
    error = _refused(server, shared, mode, UPDATE, bad.parameter, "t1", bad.arguments)
    assert error.parameter == bad.parameter
    assert bad.mentions in error.description


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("arguments", "body"),
    [
        ({"status": "completed"}, {"status": "completed"}),
        ({"status": AgentExecutionStatus.Failed}, {"status": "failed"}),
        ({"result": "", "source": "sdk"}, {"source": "sdk", "result": ""}),
    ],
    ids=["status str", "status enum", "empty result"],
)
def test_a_legal_update_sends_only_the_given_keys(
    server: FaultServer, shared: Tasks, arguments: dict[str, Any], body: dict[str, Any], mode: str
) -> None:
    seen = _sent(server, shared, mode, UPDATE, "t1", **arguments)
    assert (seen.method, seen.path) == ("PATCH", "/agent-execution/t1/update")
    assert json.loads(seen.body) == body
    assert list(json.loads(seen.body)) == list(body), "in the official order"
    assert seen.body == json.dumps(body, separators=(",", ":")).encode()


# -- per-call options -----------------------------------------------------------------------------------------
BAD_OPTIONS = [
    Bad("timeout 0", {"timeout": 0}, "timeout"),
    Bad("timeout -1", {"timeout": -1}, "timeout"),
    Bad("timeout str", {"timeout": "3"}, "timeout"),
    Bad("max_retries -1", {"max_retries": -1}, "max_retries"),
    Bad("max_retries True", {"max_retries": True}, "max_retries"),
    Bad("extra_headers x-api-key", {"extra_headers": {"x-api-key": SECRET}}, "extra_headers", "x-api-key"),
    Bad("extra_headers X-Api-Key", {"extra_headers": {"X-Api-Key": SECRET}}, "extra_headers"),
    Bad("extra_headers name with LF", {"extra_headers": {"X-Bad\n": "v"}}, "extra_headers"),
    Bad("extra_headers value with CRLF", {"extra_headers": {"x": "a\r\nb"}}, "extra_headers"),
    Bad("extra_headers a list", {"extra_headers": [("x", "y")]}, "extra_headers"),
    Bad("extra_query int value", {"extra_query": {"a": 1}}, "extra_query"),
    Bad("extra_body not JSON", {"extra_body": {"a": object()}}, "extra_body", "JSON-encodable"),
    Bad("extra_body a list", {"extra_body": ["a"]}, "extra_body"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ALL_METHODS, ids=_ids(ALL_METHODS))
@pytest.mark.parametrize("bad", BAD_OPTIONS, ids=lambda bad: bad.name)
def test_a_wrong_option_is_refused_before_sending(
    server: FaultServer, shared: Tasks, bad: Bad, method: Method, mode: str
) -> None:
    error = _refused(server, shared, mode, method, bad.parameter, "t1", bad.arguments)
    assert bad.mentions in error.description
    for shown in (error.description, str(error), repr(error)):
        assert SECRET not in shown, "a value given for the API key header is never shown"


BODILESS = tuple(method for method in ALL_METHODS if not method.sends_body)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", BODILESS, ids=_ids(BODILESS))
def test_extra_body_is_refused_on_a_call_without_a_body(
    server: FaultServer, shared: Tasks, method: Method, mode: str
) -> None:
    error = _refused(server, shared, mode, method, "extra_body", "t1", {"extra_body": {"a": "b"}})
    assert error.parameter == "extra_body"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ALL_METHODS, ids=_ids(ALL_METHODS))
def test_none_options_mean_the_defaults(server: FaultServer, shared: Tasks, method: Method, mode: str) -> None:
    options = {"timeout": None, "max_retries": None, "extra_headers": None, "extra_query": None, "extra_body": None}
    seen = _sent(server, shared, mode, method, "t1", **options)
    assert (seen.method, seen.path) == (method.http_method, method.route.format("t1"))


# -- the API key ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ID_METHODS, ids=_ids(ID_METHODS))
def test_a_missing_api_key_is_refused_before_sending(
    server: FaultServer, method: Method, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XPANDER_API_KEY", raising=False)
    configuration = Configuration(api_key=None, base_url=server.url)
    assert configuration.api_key is None
    before = server.stats()
    tasks = Tasks(configuration)
    with pytest.raises(InvalidArgumentError) as caught:
        _sync(tasks, method, "t1", {}) if mode == "sync" else asyncio.run(_async(tasks, method, "t1", {}))
    assert caught.value.parameter == "api_key"
    assert "XPANDER_API_KEY" in caught.value.description
    _nothing_reached(server, before)
