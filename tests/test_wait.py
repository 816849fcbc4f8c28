"""Tests of waiting for a task (`Task.await_result` / `Task.wait`), of `Tasks.acreate_and_wait` /
`create_and_wait`, and of `Tasks.acreate_many` / `create_many` (`xpander_sdk._wait`), sync and async.

Most run on `Backend`, an in-process scripted transport (httpx.MockTransport-like, with an async side that
really awaits, so concurrency can be counted); the deadline tests against a server that hangs or a stream that
stays open run on tests.faultserver.FaultServer (a real socket on 127.0.0.1), where the SDK's own timeouts act.
Every wait has a timeout, every async run an outer `asyncio.wait_for`, so a hang fails, never hangs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from attrs import evolve

from tests.faultserver import FaultServer, Hang, Stream, Trickle, json_bytes
from tests.faultserver import Reply as RawReply
from xpander_sdk import (
    AgentExecutionStatus,
    AuthenticationError,
    Configuration,
    InternalServerError,
    InvalidArgumentError,
    ModuleException,
    NotFoundError,
    PermissionDeniedError,
    Task,
    TaskFailedError,
    Tasks,
    WaitTimeoutError,
    _wait,
)
from xpander_sdk._constants import MAX_RECONNECTS, POLL_INITIAL_INTERVAL, POLL_MAX_INTERVAL

MODES = ("sync", "async")
ORG = "org-1"
TASK_ID = "task-1"
API_KEY = "test-key"
BASE = "https://api.test"
STATUS_PATH = f"/agent-execution/{TASK_ID}/status"
EVENTS_PATH = f"/{ORG}/agent-execution/{TASK_ID}/events"
TASK: dict[str, Any] = {
    "id": TASK_ID,
    "agent_id": "agent-1",
    "organization_id": ORG,
    "input": {"text": "hi"},
    "created_at": "2026-05-01T12:00:00Z",
}
SAMPLE_BYTES = (Path(__file__).parent / "fixtures" / "events-stream-sample.txt").read_bytes()
"""The reference stream: 11 events ending with task_finished (a completed Task, result "Hello!")."""
SLACK = 0.1
"""How late a deadline may be honoured (seconds)."""
OUTER = 10.0
"""The outer bound of every async run (a hang fails the test instead of hanging it)."""


def task_json(status: str = "pending", **fields: Any) -> dict[str, Any]:
    return {**TASK, "status": status, **fields}


def envelope(kind: str, data: Any) -> dict[str, Any]:
    return {"type": kind, "task_id": TASK_ID, "organization_id": ORG, "time": "2026-05-01T12:00:01Z", "data": data}


def frame(event: dict[str, Any], event_id: str | None = None) -> str:
    head = "" if event_id is None else f"id: {event_id}\n"
    return f"{head}data: {json.dumps(event)}\n\n"


# -- the in-process backend ---------------------------------------------------------------------------------------
Answer = dict[str, Any] | str | httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
"""A task (200 JSON), an event stream's text (200 text/event-stream), a response, an exception to raise, or a
function of the request."""


def status(code: int, body: Any = None, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, json=body if body is not None else {"detail": "x"}, headers=headers)


class Backend(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A scripted API for the sync and async clients: the n-th request to `(method, path)` gets the n-th answer
    scripted for it (the last repeats); other requests go to `fallback`. Each request takes `delay` seconds
    (slept, or awaited on the async side), so the requests in flight at once can be counted."""

    def __init__(self, fallback: Callable[[httpx.Request], httpx.Response] | None = None, delay: float = 0.0) -> None:
        self.fallback = fallback
        self.delay = delay
        self.scripts: dict[tuple[str, str], list[Answer]] = {}
        self.served: dict[tuple[str, str], int] = {}
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def script(self, method: str, path: str, *answers: Answer) -> None:
        self.scripts[(method, path)] = list(answers)

    @property
    def paths(self) -> list[tuple[str, str]]:
        return [(request.method, request.url.path) for request in self.requests]

    def gaps(self, method: str, path: str) -> list[float]:
        times = [when for when, request in zip(self.times, self.requests, strict=True)
                 if (request.method, request.url.path) == (method, path)]  # fmt: skip
        return [later - earlier for earlier, later in itertools.pairwise(times)]

    def _enter(self, request: httpx.Request) -> Answer:
        key = (request.method, request.url.path)
        with self._lock:
            self.requests.append(request)
            self.times.append(time.monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            answers = self.scripts.get(key)
            if answers is None:
                if self.fallback is None:
                    return httpx.Response(404, json={"detail": f"no route {key}"})
                return self.fallback
            self.served[key] = self.served.get(key, 0) + 1
            return answers[min(self.served[key], len(answers)) - 1]

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    @staticmethod
    def _respond(answer: Answer, request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, dict):
            return httpx.Response(200, json=answer)
        if isinstance(answer, str):
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=answer.encode())
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        answer = self._enter(request)
        try:
            if self.delay:
                time.sleep(self.delay)
            return self._respond(answer, request)
        finally:
            self._leave()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        answer = self._enter(request)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return self._respond(answer, request)
        finally:
            self._leave()

    def tasks(self) -> Tasks:
        tasks = Tasks(
            Configuration(api_key=API_KEY, base_url=BASE, organization_id=ORG),
            http_client=httpx.Client(transport=self),
            async_http_client=httpx.AsyncClient(transport=self),
        )
        tasks.retry_policy = evolve(tasks.retry_policy, initial_delay=0.001, max_delay=0.002)
        return tasks


def created(request: httpx.Request) -> httpx.Response:
    """The create route: a pending task whose id and input text are the prompt, its agent the path's."""
    if request.method != "POST":
        return httpx.Response(404, json={"detail": "no route"})
    body = json.loads(request.content)
    agent_id = request.url.path.rsplit("/", 1)[1]
    if agent_id == "missing":
        return httpx.Response(404, json={"detail": "Agent not found"})
    if agent_id == "broken":
        return httpx.Response(500, json={"detail": "boom"})
    prompt = body["input"]["text"]
    answer = task_json(
        id=f"t-{prompt}", agent_id=agent_id, input={"text": prompt}, events_streaming=bool(body["events_streaming"])
    )
    return httpx.Response(200, json=answer)


def bound(backend: Backend, **fields: Any) -> tuple[Tasks, Task]:
    tasks = backend.tasks()
    return tasks, Task.from_dict({**TASK, **fields}).bind(tasks)


def wait(mode: str, task: Task, timeout: float | None = 5.0, **options: Any) -> Task:
    """`task.wait(...)`, or in async mode `await task.await_result(...)` in a new event loop."""
    if mode == "sync":
        return task.wait(timeout, **options)
    return asyncio.run(asyncio.wait_for(task.await_result(timeout, **options), OUTER))


def call(mode: str, tasks: Tasks, name: str, *args: Any, **kwargs: Any) -> Any:
    """`tasks.<name>(...)`, or in async mode `await tasks.a<name>(...)` in a new event loop."""
    if mode == "sync":
        return getattr(tasks, name)(*args, **kwargs)
    return asyncio.run(asyncio.wait_for(getattr(tasks, f"a{name}")(*args, **kwargs), OUTER))


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    """What `function` returned or raised, and the seconds it took."""
    started = time.monotonic()
    try:
        outcome = function()
    except Exception as error:  # returned to the test, which checks its class
        outcome = error
    return outcome, time.monotonic() - started


@pytest.fixture
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Polls 20 ms apart (doubling to 80 ms) instead of 0.5 s (to 5 s): `_wait` imported the constants by name."""
    monkeypatch.setattr(_wait, "POLL_INITIAL_INTERVAL", 0.02)
    monkeypatch.setattr(_wait, "POLL_MAX_INTERVAL", 0.08)


# -- polling ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_polling_returns_the_same_task_refreshed_after_three_gets(mode: str) -> None:
    """With the real intervals: pending, pending, completed; 0.5 s then 1 s between the GETs."""
    backend = Backend()
    final = task_json("completed", result="done", finished_at="2026-05-01T12:00:09Z", title="T")
    backend.script("GET", STATUS_PATH, task_json(), task_json("executing"), final)
    _, task = bound(backend)
    result, took = timed(lambda: wait(mode, task))
    assert result is task
    assert (task.status, task.result, task.title) == (AgentExecutionStatus.Completed, "done", "T")
    assert task.finished_at is not None
    assert backend.paths == [("GET", STATUS_PATH)] * 3
    first, second = backend.gaps("GET", STATUS_PATH)
    assert 0.5 <= first < 0.5 + SLACK
    assert 1.0 <= second < 1.0 + SLACK
    assert took < 1.5 + 2 * SLACK


def test_the_poll_schedule_doubles_from_half_a_second_to_five() -> None:
    assert (POLL_INITIAL_INTERVAL, POLL_MAX_INTERVAL) == (0.5, 5.0)
    _, task = bound(Backend())
    waiter = task._waiter(600.0, raise_on_failure=False)
    delays = [waiter.polled(Task.from_dict(task_json("executing"))) for _ in range(7)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert waiter.polled(Task.from_dict(task_json("completed"))) is None


@pytest.mark.parametrize("mode", MODES)
def test_poll_intervals_double_up_to_the_maximum(mode: str, fast_polls: None) -> None:
    backend = Backend()
    backend.script("GET", STATUS_PATH, *([task_json()] * 5), task_json("completed"))
    _, task = bound(backend)
    assert wait(mode, task).status is AgentExecutionStatus.Completed
    gaps = backend.gaps("GET", STATUS_PATH)
    assert len(gaps) == 5
    for gap, expected in zip(gaps, [0.02, 0.04, 0.08, 0.08, 0.08], strict=True):
        assert expected <= gap < expected + 0.05, gaps


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("code", [429, 503])
def test_polling_honours_retry_after(mode: str, code: int, fast_polls: None) -> None:
    backend = Backend()
    backend.script(
        "GET", STATUS_PATH, task_json(), status(code, **{"retry-after": "0.3"}), task_json("completed", result="ok")
    )
    _, task = bound(backend)
    assert wait(mode, task).result == "ok"
    first, second = backend.gaps("GET", STATUS_PATH)
    assert first < 0.02 + 0.05
    assert 0.3 <= second < 0.3 + SLACK


@pytest.mark.parametrize("mode", MODES)
def test_polling_goes_on_after_5xx_and_connection_drops(mode: str, fast_polls: None) -> None:
    request = httpx.Request("GET", BASE)
    backend = Backend()
    backend.script(
        "GET",
        STATUS_PATH,
        task_json(),
        status(500),
        httpx.ConnectError("refused", request=request),
        status(502),
        httpx.RemoteProtocolError("peer closed connection", request=request),
        httpx.ReadTimeout("slow", request=request),
        task_json("completed", result="ok"),
    )
    _, task = bound(backend)
    assert wait(mode, task).result == "ok"
    assert len(backend.requests) == 7


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("code", "error"), [(404, NotFoundError), (403, PermissionDeniedError), (401, AuthenticationError)]
)
def test_polling_raises_at_once_on_a_client_error(
    mode: str, code: int, error: type[ModuleException], fast_polls: None
) -> None:
    backend = Backend()
    backend.script("GET", STATUS_PATH, task_json(), status(code, {"detail": "nope"}), task_json("completed"))
    _, task = bound(backend)
    with pytest.raises(error) as caught:
        wait(mode, task)
    assert caught.value.status_code == code
    assert len(backend.requests) == 2
    assert task.status is AgentExecutionStatus.Pending


# -- deadlines ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_polling_deadline_raises_with_the_last_task_seen(mode: str, fast_polls: None) -> None:
    polls = iter(range(1000))
    backend = Backend()
    backend.script("GET", STATUS_PATH, lambda request: httpx.Response(200, json=task_json(result=f"{next(polls)}")))
    _, task = bound(backend)
    outcome, took = timed(lambda: wait(mode, task, timeout=0.5))
    assert isinstance(outcome, WaitTimeoutError)
    assert 0.5 <= took < 0.5 + SLACK
    assert outcome.task is task
    assert task.status is AgentExecutionStatus.Pending
    assert task.result == str(len(backend.requests) - 1)  # the last poll's answer
    assert "0.5" in str(outcome) and "pending" in str(outcome)


@pytest.mark.parametrize("mode", MODES)
def test_polling_deadline_with_the_default_intervals(mode: str) -> None:
    backend = Backend()
    backend.script("GET", STATUS_PATH, task_json())
    _, task = bound(backend)
    outcome, took = timed(lambda: wait(mode, task, timeout=0.5))
    assert isinstance(outcome, WaitTimeoutError) and outcome.task is task
    assert 0.5 <= took < 0.5 + SLACK


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault_server:
        yield fault_server


def loopback(server: FaultServer, **fields: Any) -> tuple[Tasks, Task]:
    """A Tasks on the FaultServer with its own clients (where the SDK's deadlines act), and a task on it."""
    tasks = Tasks(Configuration(api_key=API_KEY, base_url=server.url, organization_id=ORG))
    tasks.retry_policy = evolve(tasks.retry_policy, initial_delay=0.01, max_delay=0.02)
    return tasks, Task.from_dict({**TASK, **fields}).bind(tasks)


HEARTBEATS = Stream(
    pieces=((0.0, frame(envelope("connected", None), "1").encode()), *(((0.05, b": ping\n\n"),) * 100)), end="hang"
)
SILENT = Stream(pieces=(), end="hang")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("events_streaming", "path", "action"),
    [
        (False, STATUS_PATH, Hang()),
        (True, EVENTS_PATH, Hang()),
        (True, EVENTS_PATH, HEARTBEATS),
        (True, EVENTS_PATH, SILENT),
    ],
    ids=["poll-hangs", "events-hang", "events-heartbeats", "events-silent"],
)
def test_the_deadline_is_honoured_on_a_server_that_never_finishes(
    server: FaultServer, mode: str, events_streaming: bool, path: str, action: Any
) -> None:
    server.script(path, action)
    tasks, task = loopback(server, events_streaming=events_streaming)
    try:
        outcome, took = timed(lambda: wait(mode, task, timeout=0.5))
    finally:
        tasks.close()
    assert isinstance(outcome, WaitTimeoutError), repr(outcome)
    assert 0.5 <= took < 0.5 + SLACK, took
    assert outcome.task is task and task.status is AgentExecutionStatus.Pending
    assert server.count >= 1
    assert all(request.path == path for request in server.requests)


@pytest.mark.parametrize("mode", MODES)
def test_the_deadline_counts_the_time_before_the_request_is_sent(
    server: FaultServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Time spent between a poll's start and its send (the first call in a process opens the client and imports
    the network backend: 0.1-0.3 s) is part of the wait's deadline, not added to it."""
    from xpander_sdk import _send

    build_request = _send.build_request  # type: ignore[attr-defined]  # the name _send looks up
    slow = iter([0.2])

    def slow_first_build(*args: Any, **kwargs: Any) -> Any:
        time.sleep(next(slow, 0.0))
        return build_request(*args, **kwargs)

    monkeypatch.setattr(_send, "build_request", slow_first_build)
    server.script(STATUS_PATH, Hang())
    tasks, task = loopback(server)
    try:
        outcome, took = timed(lambda: wait(mode, task, timeout=0.5))
    finally:
        tasks.close()
    assert isinstance(outcome, WaitTimeoutError), repr(outcome)
    assert 0.5 <= took < 0.5 + SLACK, took


# -- events -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_waiting_on_events_makes_no_get(mode: str) -> None:
    backend = Backend()
    backend.script("GET", EVENTS_PATH, SAMPLE_BYTES.decode())
    _, task = bound(backend, events_streaming=True)
    assert wait(mode, task) is task
    assert (task.status, task.result) == (AgentExecutionStatus.Completed, "Hello!")
    assert backend.paths == [("GET", EVENTS_PATH)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("data", ["done", None, {"id": TASK_ID, "status": "completed"}])
def test_a_final_event_without_a_task_is_followed_by_one_get(mode: str, data: Any) -> None:
    backend = Backend()
    backend.script("GET", EVENTS_PATH, frame(envelope("connected", None)) + frame(envelope("task_finished", data)))
    backend.script("GET", STATUS_PATH, task_json("completed", result="from the get"))
    _, task = bound(backend, events_streaming=True)
    assert wait(mode, task).result == "from the get"
    assert backend.paths == [("GET", EVENTS_PATH), ("GET", STATUS_PATH)]


@pytest.mark.parametrize("mode", MODES)
def test_task_events_refresh_the_task_on_the_way(mode: str) -> None:
    """task_updated refreshes the task; an event of another task does not."""
    other = {**task_json("completed", result="not mine"), "id": "task-2"}
    stream = (
        frame(envelope("task_updated", task_json("executing", title="running")))
        + frame(envelope("task_updated", other))
        + frame(envelope("task_finished", task_json("completed", result="mine", title="running")))
    )
    backend = Backend()
    backend.script("GET", EVENTS_PATH, stream)
    _, task = bound(backend, events_streaming=True)
    assert wait(mode, task).result == "mine"
    assert task.id == TASK_ID and len(backend.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_that_keeps_dropping_falls_back_to_polling(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    """A stream that closes before task_finished, again and again: EventStreamError inside, then polling."""
    backend = Backend()
    backend.script("GET", EVENTS_PATH, frame(envelope("connected", None), "1"), "")
    backend.script("GET", STATUS_PATH, task_json("completed", result="polled"))
    _, task = bound(backend, events_streaming=True)
    with caplog.at_level(logging.INFO, logger="xpander_sdk"):
        assert wait(mode, task).result == "polled"
    assert backend.paths == [("GET", EVENTS_PATH)] * (MAX_RECONNECTS + 1) + [("GET", STATUS_PATH)]
    (warning,) = [
        record for record in caplog.records if record.name == "xpander_sdk" and record.levelno >= logging.WARNING
    ]
    assert f"task {TASK_ID} by polling its status instead of its events" in warning.getMessage()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "answer",
    [status(503, **{"retry-after": "0"}), status(500), httpx.ConnectError("refused")],
    ids=["503", "500", "refused"],
)
def test_an_events_route_that_keeps_failing_falls_back_to_polling(mode: str, answer: Answer) -> None:
    """The events root (the agent controller) failing with 5xx or refusing connections is no reason to give up a
    wait the status route (the REST root) can finish: the wait polls, as it does after EventStreamError."""
    backend = Backend()
    backend.script("GET", EVENTS_PATH, answer)
    backend.script("GET", STATUS_PATH, task_json("completed", result="polled"))
    _, task = bound(backend, events_streaming=True)
    outcome, _ = timed(lambda: wait(mode, task))
    assert isinstance(outcome, Task) and outcome.result == "polled", repr(outcome)
    assert backend.paths[-1] == ("GET", STATUS_PATH)


@pytest.mark.parametrize("mode", MODES)
def test_an_events_route_that_does_not_know_the_task_falls_back_to_polling(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A 404 from the events root (another host, under an organization id) does not say the task is gone: the
    status route decides, and the wait polls it, with one WARNING."""
    backend = Backend()
    backend.script("GET", EVENTS_PATH, status(404, {"detail": "Task not found"}))
    backend.script("GET", STATUS_PATH, task_json("completed", result="polled"))
    _, task = bound(backend, events_streaming=True)
    with caplog.at_level(logging.INFO, logger="xpander_sdk"):
        assert wait(mode, task).result == "polled"
    assert backend.paths == [("GET", EVENTS_PATH), ("GET", STATUS_PATH)]
    (warning,) = [
        record for record in caplog.records if record.name == "xpander_sdk" and record.levelno >= logging.WARNING
    ]
    assert "[404]" in warning.getMessage()


@pytest.mark.parametrize("mode", MODES)
def test_an_events_route_that_refuses_access_raises(mode: str) -> None:
    backend = Backend()
    backend.script("GET", EVENTS_PATH, status(403, {"detail": "Forbidden"}))
    _, task = bound(backend, events_streaming=True)
    with pytest.raises(PermissionDeniedError):
        wait(mode, task)
    assert backend.paths == [("GET", EVENTS_PATH)]


# -- raise_on_failure and finished tasks ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("final", ["failed", "error", "stopped"])
@pytest.mark.parametrize("events_streaming", [False, True])
def test_a_failed_task_is_returned_or_raised(mode: str, final: str, events_streaming: bool, fast_polls: None) -> None:
    for raising in (False, True):
        backend = Backend()
        backend.script("GET", STATUS_PATH, task_json(), task_json(final, result="boom"))
        backend.script("GET", EVENTS_PATH, frame(envelope("task_finished", task_json(final, result="boom"))))
        _, task = bound(backend, events_streaming=events_streaming)
        if not raising:
            assert wait(mode, task) is task
            assert (task.status.value, task.result) == (final, "boom")
            continue
        with pytest.raises(TaskFailedError) as caught:
            wait(mode, task, raise_on_failure=True)
        assert caught.value.task is task
        assert caught.value.task.status.value == final
        assert final in str(caught.value) and "boom" in str(caught.value)
        assert caught.value.status_code == 0


@pytest.mark.parametrize("mode", MODES)
def test_a_completed_task_never_raises(mode: str) -> None:
    backend = Backend()
    backend.script("GET", STATUS_PATH, task_json("completed"))
    _, task = bound(backend)
    assert wait(mode, task, raise_on_failure=True) is task


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("final", ["completed", "failed", "error", "stopped"])
@pytest.mark.parametrize("events_streaming", [False, True])
def test_an_already_finished_task_is_returned_at_once(mode: str, final: str, events_streaming: bool) -> None:
    backend = Backend()
    _, task = bound(backend, status=final, events_streaming=events_streaming)
    assert wait(mode, task) is task
    if final != "completed":
        with pytest.raises(TaskFailedError) as caught:
            wait(mode, task, raise_on_failure=True)
        assert caught.value.task is task
    assert backend.requests == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"timeout": "5"}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"timeout": 5, "raise_on_failure": "yes"}, "raise_on_failure"),
        ({"timeout": 5, "raise_on_failure": None}, "raise_on_failure"),
    ],
)
def test_wait_arguments_are_checked_before_any_request(mode: str, options: dict[str, Any], parameter: str) -> None:
    backend = Backend()
    _, task = bound(backend)
    with pytest.raises(InvalidArgumentError) as caught:
        wait(mode, task, **options)
    assert caught.value.parameter == parameter
    assert backend.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_wait_timeout_none_is_the_default(mode: str) -> None:
    backend = Backend()
    backend.script("GET", STATUS_PATH, task_json("completed"))
    _, task = bound(backend)
    assert wait(mode, task, timeout=None) is task


# -- create, then wait ------------------------------------------------------------------------------------------------
CREATE_PATH = "/agent-execution/agent-1"


@pytest.mark.parametrize("mode", MODES)
def test_create_and_wait_follows_the_events(mode: str) -> None:
    backend = Backend()
    backend.script("POST", CREATE_PATH, task_json(events_streaming=True))
    backend.script("GET", EVENTS_PATH, SAMPLE_BYTES.decode())
    tasks = backend.tasks()
    task = call(mode, tasks, "create_and_wait", "agent-1", prompt="hi", events_streaming=True, wait_timeout=5)
    assert (task.status, task.result) == (AgentExecutionStatus.Completed, "Hello!")
    assert backend.paths == [("POST", CREATE_PATH), ("GET", EVENTS_PATH)]
    assert json.loads(backend.requests[0].content)["events_streaming"] is True
    assert task.configuration is tasks.configuration


@pytest.mark.parametrize("mode", MODES)
def test_create_and_wait_polls_without_events(mode: str, fast_polls: None) -> None:
    backend = Backend()
    backend.script("POST", CREATE_PATH, task_json())
    backend.script("GET", STATUS_PATH, task_json("executing"), task_json("completed", result="ok"))
    task = call(mode, backend.tasks(), "create_and_wait", agent_id="agent-1", prompt="hi")  # wait_timeout: default
    assert task.result == "ok"
    assert backend.paths == [("POST", CREATE_PATH), ("GET", STATUS_PATH), ("GET", STATUS_PATH)]


@pytest.mark.parametrize("mode", MODES)
def test_create_and_wait_raise_on_failure(mode: str) -> None:
    backend = Backend()
    backend.script("POST", CREATE_PATH, task_json())
    backend.script("GET", STATUS_PATH, task_json("failed", result="boom"))
    with pytest.raises(TaskFailedError) as caught:
        call(mode, backend.tasks(), "create_and_wait", "agent-1", prompt="hi", raise_on_failure=True)
    assert caught.value.task.result == "boom"
    assert call(mode, backend.tasks(), "create_and_wait", "agent-1", prompt="hi").status.value == "failed"


@pytest.mark.parametrize("mode", MODES)
def test_create_and_wait_raises_the_create_error(mode: str) -> None:
    backend = Backend()
    backend.script("POST", CREATE_PATH, status(404, {"detail": "Agent not found"}))
    with pytest.raises(NotFoundError):
        call(mode, backend.tasks(), "create_and_wait", "agent-1", prompt="hi")
    assert backend.paths == [("POST", CREATE_PATH)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("value", [0, -1, "x", True, float("nan"), float("inf")])
def test_create_and_wait_checks_wait_timeout_before_sending(mode: str, value: Any) -> None:
    backend = Backend()
    with pytest.raises(InvalidArgumentError) as caught:
        call(mode, backend.tasks(), "create_and_wait", "agent-1", prompt="hi", wait_timeout=value)
    assert caught.value.parameter == "wait_timeout"
    assert backend.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_a_create_that_hangs_past_wait_timeout(server: FaultServer, mode: str) -> None:
    """The deadline covers the create: WaitTimeoutError, with no task (the create never answered)."""
    server.script(CREATE_PATH, Hang())
    tasks, _ = loopback(server)
    try:
        outcome, took = timed(lambda: call(mode, tasks, "create_and_wait", "agent-1", prompt="hi", wait_timeout=0.5))
    finally:
        tasks.close()
    assert isinstance(outcome, WaitTimeoutError), repr(outcome)
    assert outcome.task is None
    assert 0.5 <= took < 0.5 + SLACK, took
    assert server.count == 1


@pytest.mark.parametrize("mode", MODES)
def test_one_deadline_covers_the_create_and_the_wait(server: FaultServer, mode: str) -> None:
    """A create that takes 0.3 s leaves 0.2 s of a 0.5 s wait_timeout to the wait."""
    body = json_bytes(task_json())
    server.script(CREATE_PATH, Trickle(RawReply(200, body), chunk=len(body), delay=0.3))
    server.script(STATUS_PATH, Hang())
    tasks, _ = loopback(server)
    try:
        outcome, took = timed(lambda: call(mode, tasks, "create_and_wait", "agent-1", prompt="hi", wait_timeout=0.5))
    finally:
        tasks.close()
    assert isinstance(outcome, WaitTimeoutError), repr(outcome)
    assert isinstance(outcome.task, Task) and outcome.task.id == TASK_ID
    assert 0.5 <= took < 0.5 + SLACK, took


# -- many at once -----------------------------------------------------------------------------------------------------
def many(mode: str, tasks: Tasks, arguments: Any, **options: Any) -> list[Task | ModuleException]:
    result: list[Task | ModuleException] = call(mode, tasks, "create_many", arguments, **options)
    return result


@pytest.mark.parametrize("mode", MODES)
def test_create_many_keeps_the_order_and_the_concurrency(mode: str) -> None:
    backend = Backend(fallback=created, delay=0.01)
    prompts = [f"p{number}" for number in range(50)]
    results = many(
        mode, backend.tasks(), [{"agent_id": "agent-1", "prompt": prompt} for prompt in prompts], concurrency=5
    )
    assert [result.input.text for result in results if isinstance(result, Task)] == prompts
    assert [result.id for result in results if isinstance(result, Task)] == [f"t-{prompt}" for prompt in prompts]
    assert len(backend.requests) == 50
    assert backend.max_in_flight == 5


@pytest.mark.parametrize("mode", MODES)
def test_create_many_default_concurrency_is_bounded(mode: str) -> None:
    backend = Backend(fallback=created, delay=0.01)
    results = many(mode, backend.tasks(), [{"agent_id": "a", "prompt": f"p{n}"} for n in range(40)])
    assert all(isinstance(result, Task) for result in results)
    assert backend.max_in_flight <= 16


@pytest.mark.parametrize("mode", MODES)
def test_create_many_puts_each_failure_in_its_slot(mode: str) -> None:
    backend = Backend(fallback=created)
    arguments: list[dict[str, Any]] = [{"agent_id": "agent-1", "prompt": f"p{n}"} for n in range(10)]
    arguments[3] = {"agent_id": "missing", "prompt": "p3"}
    arguments[7] = {"agent_id": "broken", "prompt": "p7"}
    results = many(mode, backend.tasks(), arguments, concurrency=3)
    assert len(results) == 10
    assert isinstance(results[3], NotFoundError)
    assert isinstance(results[7], InternalServerError)
    for index, result in enumerate(results):
        if index not in (3, 7):
            assert isinstance(result, Task) and result.input.text == f"p{index}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "bad",
    [
        {"agent_id": "agent-1", "promt": "typo"},
        {"prompt": "no agent"},
        "agent-1",
        ["agent-1", "hi"],
        None,
    ],
    ids=["unknown-kwarg", "no-agent_id", "a-string", "a-list", "none"],
)
def test_create_many_checks_every_argument_before_sending(mode: str, bad: Any) -> None:
    backend = Backend(fallback=created)
    arguments = [{"agent_id": "agent-1", "prompt": f"p{n}"} for n in range(5)] + [bad]
    with pytest.raises(InvalidArgumentError) as caught:
        many(mode, backend.tasks(), arguments, concurrency=2)
    assert caught.value.parameter == "arguments"
    assert "[5]" in str(caught.value)
    assert backend.requests == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("arguments", ["agent-1", {"agent_id": "agent-1"}, b"x", 5, None])
def test_create_many_needs_a_list_of_dicts(mode: str, arguments: Any) -> None:
    backend = Backend(fallback=created)
    with pytest.raises(InvalidArgumentError) as caught:
        many(mode, backend.tasks(), arguments)
    assert caught.value.parameter == "arguments"
    assert backend.requests == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("concurrency", [0, -1, True, 1.5, "4", None])
def test_create_many_checks_concurrency(mode: str, concurrency: Any) -> None:
    backend = Backend(fallback=created)
    with pytest.raises(InvalidArgumentError) as caught:
        many(mode, backend.tasks(), [{"agent_id": "agent-1"}], concurrency=concurrency)
    assert caught.value.parameter == "concurrency"
    assert backend.requests == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("flag", "value"), [("wait", "yes"), ("wait", 1), ("raise_on_failure", None)])
def test_create_many_checks_its_flags(mode: str, flag: str, value: Any) -> None:
    backend = Backend(fallback=created)
    with pytest.raises(InvalidArgumentError) as caught:
        many(mode, backend.tasks(), [{"agent_id": "agent-1"}], **{flag: value})
    assert caught.value.parameter == flag
    assert backend.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_create_many_of_nothing_sends_nothing(mode: str) -> None:
    backend = Backend(fallback=created)
    assert many(mode, backend.tasks(), []) == []
    assert many(mode, backend.tasks(), iter([])) == []
    assert backend.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_create_many_with_wait_follows_each_to_its_end(mode: str) -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/status"):
            task_id = request.url.path.split("/")[2]
            prompt = task_id.removeprefix("t-")
            return httpx.Response(
                200, json=task_json("completed", id=task_id, input={"text": prompt}, result=f"done {prompt}")
            )
        if request.method == "GET" and request.url.path.endswith("/events"):
            task_id = request.url.path.split("/")[3]
            prompt = task_id.removeprefix("t-")
            finished = task_json("completed", id=task_id, input={"text": prompt}, result=f"streamed {prompt}")
            body = frame({**envelope("task_finished", finished), "task_id": task_id})
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())
        return created(request)

    backend = Backend(fallback=route, delay=0.005)
    arguments: list[Mapping[str, Any]] = [
        {"agent_id": "agent-1", "prompt": f"p{n}", "events_streaming": n % 2 == 0} for n in range(12)
    ]
    arguments[5] = {"agent_id": "missing", "prompt": "p5"}
    results = many(mode, backend.tasks(), arguments, concurrency=4, wait=True, wait_timeout=5)
    for index, result in enumerate(results):
        if index == 5:
            assert isinstance(result, NotFoundError)
            continue
        assert isinstance(result, Task) and result.status is AgentExecutionStatus.Completed
        assert result.result == f"{'streamed' if index % 2 == 0 else 'done'} p{index}"
    assert len(backend.requests) == 11 * 2 + 1
    assert backend.max_in_flight <= 4


@pytest.mark.parametrize("mode", MODES)
def test_create_many_with_wait_and_raise_on_failure(mode: str) -> None:
    backend = Backend(fallback=created)
    backend.script("GET", "/agent-execution/t-p0/status", task_json("failed", id="t-p0", result="boom"))
    backend.script("GET", "/agent-execution/t-p1/status", task_json("completed", id="t-p1"))
    arguments = [{"agent_id": "agent-1", "prompt": "p0"}, {"agent_id": "agent-1", "prompt": "p1"}]
    failed, done = many(mode, backend.tasks(), arguments, wait=True, wait_timeout=5, raise_on_failure=True)
    assert isinstance(failed, TaskFailedError) and failed.task.id == "t-p0"
    assert isinstance(done, Task) and done.status is AgentExecutionStatus.Completed


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("value", [0, -1, "x"])
def test_create_many_checks_wait_timeout_when_waiting(mode: str, value: Any) -> None:
    backend = Backend(fallback=created)
    with pytest.raises(InvalidArgumentError) as caught:
        many(mode, backend.tasks(), [{"agent_id": "agent-1"}], wait=True, wait_timeout=value)
    assert caught.value.parameter == "wait_timeout"
    assert backend.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_a_streaming_task_is_followed_by_its_own_organization_id(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    """The quick start sets only the API key: the wait follows the task's events under the task's own
    organization id (no poll, so the end is seen at once), and says nothing."""
    caplog.set_level(logging.INFO, logger="xpander_sdk")
    backend = Backend()
    backend.script("GET", EVENTS_PATH, SAMPLE_BYTES.decode())
    tasks, task = bound(backend, events_streaming=True)
    tasks.configuration.organization_id = None
    assert wait(mode, task).result == "Hello!"
    assert backend.paths == [("GET", EVENTS_PATH)]
    assert not [
        record for record in caplog.records if record.name == "xpander_sdk" and record.levelno >= logging.WARNING
    ]


@pytest.mark.parametrize("mode", MODES)
def test_a_streaming_task_without_any_organization_id_is_polled_with_one_warning(
    mode: str, fast_polls: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither the configuration nor the task gives an organization id, so no events URL: the wait polls the
    status route instead of failing, and says so once, at WARNING, with the reason."""
    caplog.set_level(logging.INFO, logger="xpander_sdk")
    path = f"/agent-execution/{TASK_ID}/status"
    backend = Backend()
    answers = (task_json("executing", organization_id=""), task_json("completed", result="done", organization_id=""))
    backend.script("GET", path, *answers)
    tasks, task = bound(backend, events_streaming=True, organization_id="")
    tasks.configuration.organization_id = None
    finished = wait(mode, task)
    assert finished is task
    assert (task.status.value, task.result) == ("completed", "done")
    assert backend.paths == [("GET", path)] * 2
    (warning,) = [
        record for record in caplog.records if record.name == "xpander_sdk" and record.levelno >= logging.WARNING
    ]
    assert "polling its status instead of its events" in warning.getMessage()
    assert "organization_id is needed" in warning.getMessage()
