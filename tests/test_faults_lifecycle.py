"""Fault injection for the lifecycle calls (get, list, list_user_tasks, stop, update), sync and async, on the
real FaultServer (127.0.0.1).

Get, list and stop are idempotent: they are retried after 5xx, 429, read timeouts and dropped connections,
and their failures never leave `outcome_unknown` set. Update is not: only 429/503 and failures before sending
are retried; a 500 or a connection dropped after sending ends the call with `outcome_unknown=True`.

Each row asserts the result type (or the exception class and its status), the requests the server saw (count,
method, path, headers, body), the `RequestInfo` on the exception (method, URL, idempotent), and an upper bound
on the time (against hangs, not a performance claim). The table of outcomes is printed when the module ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from attrs import field, frozen

from tests.conftest import MODES
from tests.fault_table import Row, print_table
from tests.faultserver import (
    API_KEY,
    FASTAPI_422,
    FULL_TASK,
    Action,
    FaultServer,
    Hang,
    Reply,
    Reset,
    json_bytes,
    ok,
    run_call,
    running,
    tasks_for,
)
from xpander_sdk import (
    APIConnectionError,
    AuthenticationError,
    InternalServerError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    RequestInfo,
    Task,
    Tasks,
    TasksListItem,
    UnprocessableEntityError,
)

Result = Task | list[TasksListItem] | ModuleException
UPDATE_BODY = b'{"result":"r"}'
"""What `update(task_id, result="r")` must send, byte for byte."""


# -- the table printed at the end --------------------------------------------------------------------------------
ROWS: list[Row] = []


@pytest.fixture(scope="module", autouse=True)
def fault_table(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the outcome of every fault when the module is done."""
    yield
    print_table(request, ROWS, "lifecycle fault runs")


def outcome(result: Result) -> str:
    if isinstance(result, ModuleException):
        return f"{type(result).__name__} [{result.status_code}]"
    if isinstance(result, list):
        return f"list of {len(result)} TasksListItem"
    return f"Task {result.id[:12]} ({result.status.value})"


# -- the operations ----------------------------------------------------------------------------------------------
@frozen
class Op:
    """One lifecycle call: its HTTP method, the path it requests for an id, and whether it is idempotent."""

    name: str
    method: str
    path: Callable[[str], str]
    idempotent: bool


GET = Op("get", "GET", lambda ident: f"/agent-execution/{ident}/status", idempotent=True)
LIST = Op("list", "GET", lambda ident: f"/agent-execution/executions/history/{ident}", idempotent=True)
USER_LIST = Op(
    "list_user_tasks", "GET", lambda ident: f"/agent-execution/executions/history/user/{ident}", idempotent=True
)
STOP = Op("stop", "DELETE", lambda ident: f"/agent-execution/{ident}", idempotent=True)
UPDATE = Op("update", "PATCH", lambda ident: f"/agent-execution/{ident}/update", idempotent=False)


def _sync(tasks: Tasks, op: Op, ident: str, options: dict[str, Any]) -> Task | list[TasksListItem]:
    if op is GET:
        return tasks.get(ident, **options)
    if op is LIST:
        return tasks.list(ident, **options)
    if op is USER_LIST:
        return tasks.list_user_tasks(ident, **options)
    if op is STOP:
        return tasks.stop(ident, **options)
    return tasks.update(ident, result="r", **options)


async def _async(tasks: Tasks, op: Op, ident: str, options: dict[str, Any]) -> Task | list[TasksListItem]:
    if op is GET:
        return await tasks.aget(ident, **options)
    if op is LIST:
        return await tasks.alist(ident, **options)
    if op is USER_LIST:
        return await tasks.alist_user_tasks(ident, **options)
    if op is STOP:
        return await tasks.astop(ident, **options)
    return await tasks.aupdate(ident, result="r", **options)


def call(tasks: Tasks, mode: str, op: Op, ident: str, **options: Any) -> tuple[Result, float]:
    """Run `op` on `ident` sync or async (see `faultserver.run_call`)."""
    return run_call(
        tasks, mode, lambda tasks: _sync(tasks, op, ident, options), lambda tasks: _async(tasks, op, ident, options)
    )


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


# -- expected results ----------------------------------------------------------------------------------------------
def _full_task(result: Result) -> None:
    assert isinstance(result, Task)
    assert (result.id, result.agent_id, result.organization_id) == (
        FULL_TASK["id"],
        FULL_TASK["agent_id"],
        FULL_TASK["organization_id"],
    )
    assert result.status.value == "pending"
    assert result.input.user is not None and result.input.user.email == "ada@example.com"
    assert result.extra == {}


def _status_is(value: str) -> Callable[[Result], None]:
    def check(result: Result) -> None:
        assert isinstance(result, Task)
        assert result.id == FULL_TASK["id"]
        assert result.status.value == value

    return check


def _field_errors(result: Result) -> None:
    assert isinstance(result, UnprocessableEntityError)
    assert [(error.field, error.type) for error in result.errors] == [
        ("tool_call_limit", "greater_than_equal"),
        ("input.user.email", "missing"),
    ]
    assert result.body == FASTAPI_422


def _connection_sent(result: Result) -> None:
    assert isinstance(result, APIConnectionError)
    assert result.request_sent, "the server read the whole request"


ITEMS: list[dict[str, Any]] = [
    {"id": "t1", "agent_id": "a", "organization_id": "o", "status": "completed", "created_at": "2026-05-01T12:00:00Z"},
    {"id": "t2", "agent_id": "a", "organization_id": "o", "status": "queued", "title": "waiting"},
    {"id": "t3", "agent_id": "a", "organization_id": "o", "status": "executing", "user_id": "u1"},
]


def _three_items(result: Result) -> None:
    assert isinstance(result, list)
    assert all(type(item) is TasksListItem for item in result)
    assert [(item.id, item.status.value) for item in result] == [
        ("t1", "completed"),
        ("t2", "queued"),
        ("t3", "executing"),
    ]
    assert result[1].title == "waiting"
    assert result[2].user_id == "u1"


def _empty_list(result: Result) -> None:
    assert result == []


RETRY_NOW = (("retry-after", "0"),)
S500 = Reply(500, json_bytes({"detail": "boom"}))
S503 = Reply(503, json_bytes({"detail": "unavailable"}))


@frozen
class Case:
    """One fault of one operation: what the server does, and what the call must end in."""

    fault: str
    op: Op
    actions: tuple[Action, ...]
    expect: type[ModuleException] | type[Task] | type[list[Any]] = Task
    status: int = 0
    text: str = ""
    """Must be in the exception's description."""
    requests: int = 1
    options: dict[str, Any] = field(factory=dict)
    outcome_unknown: bool = False
    min_seconds: float = 0.0
    max_seconds: float = 5.0
    check: Callable[[Result], None] | None = None


CASES = [
    # get: GET /agent-execution/<id>/status, idempotent
    Case("get-200-full", GET, (ok(200, FULL_TASK),), check=_full_task),
    Case("get-503-then-200", GET, (S503, ok(200, FULL_TASK)), requests=2, check=_full_task),
    Case(
        "get-read-timeout-then-200",
        GET,
        (Hang(), ok(200, FULL_TASK)),
        requests=2,
        options={"timeout": 0.3},
        min_seconds=0.25,
        check=_full_task,
    ),
    Case("get-500-then-200", GET, (S500, ok(200, FULL_TASK)), requests=2, check=_full_task),
    Case(
        "get-404",
        GET,
        (Reply(404, json_bytes({"detail": "Task not found"})),),
        expect=NotFoundError,
        status=404,
        text="Task not found",
    ),
    Case(
        "get-401",
        GET,
        (Reply(401, json_bytes({"detail": "Unauthorized"})),),
        expect=AuthenticationError,
        status=401,
        text="Unauthorized",
    ),
    Case(
        "get-429-retry-after-0-then-200",
        GET,
        (Reply(429, json_bytes({"detail": "slow down"}), headers=RETRY_NOW), ok(200, FULL_TASK)),
        requests=2,
        check=_full_task,
    ),
    Case("get-500-x3", GET, (S500,), expect=InternalServerError, status=500, text="boom", requests=3),
    Case("get-reset-then-200", GET, (Reset(), ok(200, FULL_TASK)), requests=2, check=_full_task),
    Case(
        "get-text-200",
        GET,
        (Reply(200, b"OK", content_type="text/plain"),),
        expect=InvalidResponseError,
        status=200,
        text="could not read the task: the body is not JSON",
    ),
    Case(
        "get-array-200",
        GET,
        (Reply(200, json_bytes([FULL_TASK])),),
        expect=InvalidResponseError,
        status=200,
        text="expected a JSON object, got a JSON list",
    ),
    Case(
        "get-missing-id-200",
        GET,
        (ok(200, {key: value for key, value in FULL_TASK.items() if key != "id"}),),
        expect=InvalidResponseError,
        status=200,
        text="could not read the task: the required key 'id' is missing",
    ),
    Case("get-unknown-status-200", GET, (ok(200, {**FULL_TASK, "status": "queued"}),), check=_status_is("queued")),
    # stop: DELETE /agent-execution/<id>, no body, idempotent
    Case("stop-200", STOP, (ok(200, {**FULL_TASK, "status": "stopped"}),), check=_status_is("stopped")),
    Case("stop-500-then-200", STOP, (S500, ok(200, {**FULL_TASK, "status": "stopped"})), requests=2),
    Case("stop-reset-then-200", STOP, (Reset(), ok(200, {**FULL_TASK, "status": "stopped"})), requests=2),
    Case(
        "stop-404",
        STOP,
        (Reply(404, json_bytes({"detail": "Task not found"})),),
        expect=NotFoundError,
        status=404,
        text="Task not found",
    ),
    # update: PATCH /agent-execution/<id>/update, not idempotent
    Case("update-200", UPDATE, (ok(200, {**FULL_TASK, "result": "r"}),), check=_status_is("pending")),
    Case("update-500", UPDATE, (S500,), expect=InternalServerError, status=500, text="boom", outcome_unknown=True),
    Case("update-503-then-200", UPDATE, (S503, ok(200, FULL_TASK)), requests=2, check=_full_task),
    Case(
        "update-422",
        UPDATE,
        (Reply(422, json_bytes(FASTAPI_422)),),
        expect=UnprocessableEntityError,
        status=422,
        text="tool_call_limit: Input should be >= 0",
        check=_field_errors,
    ),
    Case(
        "update-reset-after-sending",
        UPDATE,
        (Reset(), ok(200, FULL_TASK)),
        expect=APIConnectionError,
        text="was closed or reset (",
        outcome_unknown=True,
        check=_connection_sent,
    ),
    # list: GET /agent-execution/executions/history/<agent>, idempotent
    Case("list-200-3-items", LIST, (Reply(200, json_bytes(ITEMS)),), expect=list, check=_three_items),
    Case(
        "list-503-then-200",
        LIST,
        (S503, Reply(200, json_bytes(ITEMS))),
        expect=list,
        requests=2,
        check=_three_items,
    ),
    Case(
        "list-read-timeout-then-200",
        LIST,
        (Hang(), Reply(200, json_bytes(ITEMS))),
        expect=list,
        requests=2,
        options={"timeout": 0.3},
        min_seconds=0.25,
        check=_three_items,
    ),
    Case(
        "list-object-200",
        LIST,
        (Reply(200, json_bytes({"items": ITEMS})),),
        expect=InvalidResponseError,
        status=200,
        text="could not read the list of tasks: expected a JSON array, got a JSON dict",
    ),
    Case("list-204", LIST, (Reply(204, content_type=None),), expect=list, check=_empty_list),
    Case(
        "list-item-missing-status",
        LIST,
        (Reply(200, json_bytes([ITEMS[0], {k: v for k, v in ITEMS[1].items() if k != "status"}])),),
        expect=InvalidResponseError,
        status=200,
        text="could not read the list of tasks: an item has no required key 'status'",
    ),
    # list_user_tasks: GET /agent-execution/executions/history/user/<user>, idempotent
    Case("user-list-200-3-items", USER_LIST, (Reply(200, json_bytes(ITEMS)),), expect=list, check=_three_items),
    Case(
        "user-list-404",
        USER_LIST,
        (Reply(404, json_bytes({"detail": "User not found"})),),
        expect=NotFoundError,
        status=404,
        text="User not found",
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", [pytest.param(case, id=case.fault) for case in CASES])
def test_lifecycle_fault(server: FaultServer, case: Case, mode: str) -> None:
    row = Row(case.fault, mode)
    ROWS.append(row)
    ident = f"id-{case.fault}"  # one id (so one path) per row
    path = case.op.path(ident)
    server.script(path, *case.actions)
    tasks = tasks_for(server.url)
    result, row.seconds = call(tasks, mode, case.op, ident, **case.options)
    row.outcome, row.requests = outcome(result), server.count

    assert type(result) is case.expect, f"expected {case.expect.__name__}, got {result!r}"
    if isinstance(result, ModuleException):
        assert result.status_code == case.status
        assert case.text in result.description, result.description
        assert str(result) == f"[{case.status}] {result.description}"
        assert result.outcome_unknown is case.outcome_unknown
        if case.op.idempotent:
            assert result.outcome_unknown is False, "an idempotent call is safe to repeat"
        assert result.request == RequestInfo(case.op.method, f"{server.url}{path}", case.op.idempotent)
        assert str(result.request) == f"{case.op.method} {server.url}{path}"
        assert API_KEY not in str(result) and API_KEY not in repr(result)
    elif isinstance(result, list):
        assert all(item._requestor is tasks.requestor for item in result), "the items follow the Tasks that listed them"
    else:
        assert result._requestor is tasks.requestor, "the task follows the Tasks that read it"
    if case.check is not None:
        case.check(result)

    assert server.count == case.requests, f"the server saw {server.count} requests, expected {case.requests}"
    for seen in server.requests:
        assert (seen.method, seen.path) == (case.op.method, path)
        assert seen.header("x-api-key") == API_KEY
        if case.op is UPDATE:
            assert seen.body == UPDATE_BODY
            assert seen.header("content-type") == "application/json"
            assert seen.header("content-length") == str(len(UPDATE_BODY))
        else:
            assert seen.body == b""
            assert seen.header("content-length") is None, f"{case.op.method} sends no body: {seen.headers}"
            assert seen.header("content-type") is None
    assert case.min_seconds <= row.seconds < case.max_seconds
    row.as_designed = True
