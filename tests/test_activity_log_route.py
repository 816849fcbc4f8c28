"""`task.aget_activity_log()` / `task.get_activity_log()`: `GET /activity/{agent_id}/{task_id}` through the task's
own requestor, on every transport.

- Faults on the real FaultServer (127.0.0.1), sync and async on both async transports: the route is idempotent,
  so 5xx, 429, read timeouts and dropped connections are retried; 401 and 404 end in their ModuleException
  subclasses; a 2xx body that is no thread is an InvalidResponseError, one with entries this version cannot read
  is a thread all the same. The table of outcomes is printed when the module ends.
- Against Prism (the spec's example), and the testing kit's `FakeBackend`, which serves the route.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from attrs import field, frozen

from tests.conftest import MODES
from tests.fault_table import Row, print_table
from tests.faultserver import API_KEY, Action, FaultServer, Hang, Reply, Reset, json_bytes, run_call, running, tasks_for
from tests.test_contract_lifecycle import on_prism, success_example
from xpander_sdk import (
    AuthenticationError,
    InternalServerError,
    InvalidArgumentError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    RateLimitError,
    RequestInfo,
    Task,
    Tasks,
)
from xpander_sdk.models.activity import (
    AgentActivityThread,
    AgentActivityThreadMessage,
    AgentActivityThreadOtherEntry,
    AgentActivityThreadToolCall,
)
from xpander_sdk.testing import FakeBackend

THREAD: dict[str, Any] = json.loads((Path(__file__).parent / "fixtures" / "activity" / "conversation.json").read_text())
TASK: dict[str, Any] = {
    "id": "task-1",
    "agent_id": "agent-1",
    "organization_id": "org-1",
    "input": {"text": "hi"},
    "created_at": "2026-05-01T12:00:00Z",
}
Result = AgentActivityThread | ModuleException

# -- the table printed at the end ----------------------------------------------------------------------------------
ROWS: list[Row] = []


@pytest.fixture(scope="module", autouse=True)
def fault_table(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    print_table(request, ROWS, "activity-log fault runs")


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


def read_log(tasks: Tasks, mode: str, task: dict[str, Any], **options: Any) -> tuple[Result, float]:
    """The log of `task` (bound to `tasks`), read with `get_activity_log` or `aget_activity_log`."""
    bound = Task.from_dict(task).bind(tasks)
    return run_call(
        tasks, mode, lambda _: bound.get_activity_log(**options), lambda _: bound.aget_activity_log(**options)
    )


def outcome(result: Result) -> str:
    if isinstance(result, ModuleException):
        return f"{type(result).__name__} [{result.status_code}]"
    return f"thread of {len(result.messages)} entries"


# -- expected results ----------------------------------------------------------------------------------------------
def _the_conversation(result: Result) -> None:
    assert isinstance(result, AgentActivityThread)
    assert result == AgentActivityThread.from_dict(THREAD)
    assert isinstance(result.messages[0], AgentActivityThreadMessage) and len(result.messages) == 10


def _kept_whole(result: Result) -> None:
    assert isinstance(result, AgentActivityThread)
    assert [type(entry) for entry in result.messages] == [AgentActivityThreadOtherEntry] * 2 + [
        AgentActivityThreadToolCall
    ]
    assert isinstance(result.messages[0], AgentActivityThreadOtherEntry) and result.messages[0].raw == "text"
    assert result.created_at is None and result.extra == {"created_at": "soon", "title": "kept"}


S500 = Reply(500, json_bytes({"detail": "boom"}))
S503 = Reply(503, json_bytes({"detail": "unavailable"}))
OK = Reply(200, json_bytes(THREAD))
ODD_THREAD = {
    "id": "thread-odd",
    "created_at": "soon",
    "title": "kept",
    "messages": ["text", {"id": 5, "role": "user"}, {"id": "t", "created_at": 0, "tool_name": "x", "payload": None}],
}


@frozen
class Case:
    """One fault: what the server does, and what the read must end in."""

    fault: str
    actions: tuple[Action, ...]
    expect: type[ModuleException] | type[AgentActivityThread] = AgentActivityThread
    status: int = 0
    text: str = ""
    """Must be in the exception's description."""
    requests: int = 1
    options: dict[str, Any] = field(factory=dict)
    max_seconds: float = 5.0
    check: Callable[[Result], None] | None = None


CASES = [
    Case("200-thread", (OK,), check=_the_conversation),
    Case("200-odd-entries-kept", (Reply(200, json_bytes(ODD_THREAD)),), check=_kept_whole),
    Case("503-then-200", (S503, OK), requests=2, check=_the_conversation),
    Case("500-then-200", (S500, OK), requests=2, check=_the_conversation),
    Case("500-x3", (S500,), expect=InternalServerError, status=500, text="boom", requests=3),
    Case("reset-then-200", (Reset(), OK), requests=2, check=_the_conversation),
    Case("read-timeout-then-200", (Hang(), OK), requests=2, options={"timeout": 0.3}, check=_the_conversation),
    Case(
        "429-retry-after-0-then-200",
        (Reply(429, json_bytes({"detail": "slow down"}), headers=(("retry-after", "0"),)), OK),
        requests=2,
        check=_the_conversation,
    ),
    Case(
        "429-no-retries",
        (Reply(429, json_bytes({"detail": "slow down"}), headers=(("retry-after", "0"),)),),
        expect=RateLimitError,
        status=429,
        text="slow down",
        options={"max_retries": 0},
    ),
    Case("404", (Reply(404, json_bytes({"detail": "Log not found"})),), NotFoundError, 404, "Log not found"),
    Case("401", (Reply(401, json_bytes({"detail": "Unauthorized"})),), AuthenticationError, 401, "Unauthorized"),
    Case(
        "text-200",
        (Reply(200, b"OK", content_type="text/plain"),),
        InvalidResponseError,
        200,
        "could not read the activity log: the body is not JSON",
    ),
    Case("empty-200", (Reply(200, b""),), InvalidResponseError, 200, "could not read the activity log: the body is"),
    Case(
        "array-200",
        (Reply(200, json_bytes([THREAD])),),
        InvalidResponseError,
        200,
        "could not read the activity log: expected a JSON object, got a JSON list",
    ),
    Case(
        "missing-id-200",
        (Reply(200, json_bytes({"created_at": "2026-05-01T12:00:00Z", "messages": []})),),
        InvalidResponseError,
        200,
        "could not read the activity log: the required key 'id' is missing",
    ),
    Case(
        "numeric-id-200",
        (Reply(200, json_bytes({"id": 7, "messages": []})),),
        InvalidResponseError,
        200,
        "the thread's id must be a string, got int",
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", [pytest.param(case, id=case.fault) for case in CASES])
def test_activity_log_fault(server: FaultServer, case: Case, mode: str) -> None:
    row = Row(case.fault, mode)
    ROWS.append(row)
    task = {**TASK, "id": f"task-{case.fault}"}  # one path per row
    path = f"/activity/{TASK['agent_id']}/{task['id']}"
    server.script(path, *case.actions)
    tasks = tasks_for(server.url)
    result, row.seconds = read_log(tasks, mode, task, **case.options)
    row.outcome, row.requests = outcome(result), server.count

    assert type(result) is case.expect, f"expected {case.expect.__name__}, got {result!r}"
    if isinstance(result, ModuleException):
        assert result.status_code == case.status
        assert case.text in result.description, result.description
        assert result.outcome_unknown is False, "reading the log is safe to repeat"
        assert result.request == RequestInfo("GET", f"{server.url}{path}", idempotent=True)
        assert API_KEY not in str(result) and API_KEY not in repr(result)
    if case.check is not None:
        case.check(result)
    assert server.count == case.requests, f"the server saw {server.count} requests, expected {case.requests}"
    for seen in server.requests:
        assert (seen.method, seen.path) == ("GET", path)
        assert seen.header("x-api-key") == API_KEY
        assert seen.body == b"" and seen.header("content-length") is None and seen.header("content-type") is None
    assert row.seconds < case.max_seconds
    row.as_designed = True


@pytest.mark.parametrize("mode", MODES)
def test_ids_are_one_percent_encoded_segment_each(server: FaultServer, mode: str) -> None:
    task = {**TASK, "id": "a/b?c", "agent_id": "ü 1"}
    path = f"/activity/{quote('ü 1', safe='')}/{quote('a/b?c', safe='')}"
    server.script(path, OK)
    result, _ = read_log(tasks_for(server.url), mode, task)
    assert isinstance(result, AgentActivityThread)
    assert [seen.path for seen in server.requests] == [path]


def test_a_task_without_a_usable_id_is_refused_before_sending(server: FaultServer) -> None:
    with pytest.raises(InvalidArgumentError, match="agent_id"):
        Task.from_dict({**TASK, "agent_id": ".."}).bind(tasks_for(server.url)).get_activity_log()
    assert server.count == 0


# -- against the spec's example (Prism) ----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_prism_answers_the_spec_example(prism_url: str, mode: str) -> None:
    example = success_example("get_task_activity_log")

    def act(tasks: Tasks) -> Any:
        task = Task.from_dict(TASK).bind(tasks)
        return task.get_activity_log() if mode == "sync" else task.aget_activity_log()

    thread, request, _ = on_prism(prism_url, "sync" if mode == "sync" else "async", act)
    assert request.method == "GET" and request.url.path == f"/activity/{TASK['agent_id']}/{TASK['id']}"
    assert thread == AgentActivityThread.from_dict(example)
    assert [type(entry) for entry in thread.messages] == [AgentActivityThreadMessage, AgentActivityThreadToolCall]


# -- the testing kit ----------------------------------------------------------------------------------------------
def kit_read(task: Task, mode: str) -> AgentActivityThread:
    return task.get_activity_log() if mode == "sync" else asyncio.run(task.aget_activity_log())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_kit_serves_the_input_then_the_result(tasks: Tasks, backend: FakeBackend, mode: str) -> None:
    task = tasks.create("agent-1", prompt="Summarize", file_urls=["https://files.example.com/a.pdf"])
    thread = kit_read(task, mode)
    assert (thread.id, thread.created_at) == (task.id, task.created_at)
    (first,) = thread.messages
    assert isinstance(first, AgentActivityThreadMessage) and first.role == "user"
    assert (first.content.text, first.content.files) == ("Summarize", ["https://files.example.com/a.pdf"])
    backend.complete(task.id, "Done")
    answer = kit_read(task, mode).messages[-1]
    assert isinstance(answer, AgentActivityThreadMessage) and (answer.role, answer.content.text) == ("agent", "Done")
    assert backend.requests[-1].operation == "get_task_activity_log"


def test_the_kit_serves_a_log_the_test_sets(tasks: Tasks, backend: FakeBackend) -> None:
    task = tasks.create("agent-1", prompt="p")
    backend.set_activity_log(task.id, THREAD["messages"], user=THREAD["user"])
    thread = task.get_activity_log()
    assert thread.messages == AgentActivityThread.from_dict(THREAD).messages
    assert thread.user is not None and thread.user.email == "dana@example.com"


def test_the_kit_refuses_a_log_outside_the_spec_naming_the_parameter(tasks: Tasks, backend: FakeBackend) -> None:
    task = tasks.create("agent-1", prompt="p")
    refused: tuple[tuple[str, Any, Any, str], ...] = (
        (task.id, ["not an object"], None, "messages"),
        (task.id, {"messages": []}, None, "messages"),
        (task.id, [], {"email": 3}, "user"),
        (task.id, [float("nan")], None, "messages"),
        ("no-such-task", [], None, "task_id"),
    )
    for task_id, messages, user, parameter in refused:
        with pytest.raises(InvalidArgumentError) as caught:
            backend.set_activity_log(task_id, messages, user=user)
        assert caught.value.parameter == parameter
    assert isinstance(task.get_activity_log().messages[0], AgentActivityThreadMessage)  # the default log still


def test_the_kit_answers_404_for_another_agent_or_an_unknown_task(tasks: Tasks, backend: FakeBackend) -> None:
    task = tasks.create("agent-1", prompt="p")
    for other in ({**task.to_dict(), "agent_id": "agent-2"}, {**task.to_dict(), "id": "no-such-task"}):
        with pytest.raises(NotFoundError, match="Activity log not found"):
            Task.from_dict(other).bind(tasks).get_activity_log()


def test_the_kit_scripts_failures_of_the_route(tasks: Tasks, backend: FakeBackend) -> None:
    task = tasks.create("agent-1", prompt="p")
    backend.respond_next(429, retry_after=0, operation="get_task_activity_log")
    with pytest.raises(RateLimitError):
        task.get_activity_log()
    assert isinstance(task.get_activity_log(), AgentActivityThread)
