"""`FakeBackend`'s agent controller, driven as a worker would drive it, with raw httpx clients (no SDK worker).

A worker's registration stream is read by a `Reader` (a thread per stream), over each wire a worker may use:
the backend's httpx transport, sync (`sync`) and async (`async`), and its loopback server (`serve`, real sockets).
What is checked: the registration frame and each dispatched task (openapi.yaml's DeployedAsset and Task, by
jsonschema), the per-agent queue (tasks created before a worker registers, or while none is connected), round
robin and a create's `worker_id`, scripted outcomes winning, the worker's news recorded, the controller's routes
(routing, auth, query and body checks, `respond_next`/`disconnect_next`), the faults (`controller_down`,
`dispatch_raw`, `redispatch`, `silence_worker_streams`, `environment_conflict`) and the end of a stream (the client
closing it, the backend's shutdown). Every read has a timeout and every loop a bound; loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import httpx_sse
import pytest

from tests import spec_tools
from xpander_sdk import Configuration, InvalidArgumentError, Task, Tasks, _routes, _send
from xpander_sdk._request import CallOptions
from xpander_sdk._retry import RetryPolicy
from xpander_sdk.testing import FakeBackend
from xpander_sdk.testing._requests import route

AGENT = "agent-1"
OTHER_AGENT = "agent-2"
HEARTBEAT = 0.1
READ = 5.0
"""Seconds a test waits for a frame it expects (a frame arrives in milliseconds)."""
WIRES = ("sync", "async", "serve")
REGISTER = "/{org}/events/{agent}/?environment=local&supports_llm_gateway=true"


# -- helpers ---------------------------------------------------------------------------------------------------------
class Reader:
    """One registration stream, read on a thread of its own: each frame `(event, data)` in a queue (`: ping`
    comments as `(":", "ping")`, with the time each chunk arrived), None once the stream is over."""

    def __init__(
        self, backend: FakeBackend, wire: str, url: str, agent_id: str, headers: dict[str, str], read: float
    ) -> None:
        self.backend, self.wire, self.url, self.read = backend, wire, url, read
        self.error: BaseException | None = None
        """What ended the stream, when it was not the server."""
        self.path = REGISTER.format(org=backend.organization_id, agent=agent_id)
        self.headers = {"x-api-key": backend.api_key, "accept": "text/event-stream", **headers}
        self.frames: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.status: queue.Queue[tuple[int, bytes]] = queue.Queue()
        self.arrivals: list[float] = []
        self._buffer = ""
        self._response: httpx.Response | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def status_code(self) -> int:
        return self.status.get(timeout=READ)[0]

    def next(self, timeout: float = READ, *, pings: bool = False) -> tuple[str, str] | None:
        """The next frame (pings skipped unless asked), None once the stream is over; a test failure when none
        comes within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:  # bounded: by the deadline
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no frame within {timeout} s")
            try:
                frame = self.frames.get(timeout=left)
            except queue.Empty:
                pytest.fail(f"no frame within {timeout} s")
            if frame is None or pings or frame[0] != ":":
                return frame

    def next_json(self, event: str) -> Any:
        frame = self.next()
        assert frame is not None, "the stream ended"
        assert frame[0] == event, frame
        return json.loads(frame[1])

    def ended(self, timeout: float = READ) -> bool:
        """Whether the stream ends (only pings before) within `timeout` seconds."""
        return self.next(timeout) is None

    def close(self) -> None:
        """Close the stream from the client's side, and wait for the thread."""
        if self._loop is not None and self._task is not None:
            with contextlib.suppress(RuntimeError):  # the loop has finished already
                self._loop.call_soon_threadsafe(self._task.cancel)
        elif self._response is not None:
            with contextlib.suppress(Exception):
                self._response.close()
        self._thread.join(timeout=READ)
        assert not self._thread.is_alive()

    # -- the thread ------------------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            if self.wire == "async":
                asyncio.run(self._run_async())
            else:
                self._run_sync()
        except (httpx.HTTPError, OSError, asyncio.CancelledError) as error:
            self.error = error
        finally:
            self.frames.put(None)

    def _client(self) -> httpx.Client:
        transport = None if self.wire == "serve" else self.backend.transport
        return httpx.Client(transport=transport, base_url=self.url, timeout=httpx.Timeout(READ, read=self.read))

    def _run_sync(self) -> None:
        with self._client() as client, client.stream("GET", self.path, headers=self.headers) as response:
            self._response = response
            if response.status_code != 200:
                self.status.put((response.status_code, response.read()))
                return
            self.status.put((200, b""))
            for chunk in response.iter_text():
                self._take(chunk)

    async def _run_async(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        async with (
            httpx.AsyncClient(
                transport=self.backend.transport, base_url=self.url, timeout=httpx.Timeout(READ, read=self.read)
            ) as client,
            client.stream("GET", self.path, headers=self.headers) as response,
        ):
            if response.status_code != 200:
                self.status.put((response.status_code, await response.aread()))
                return
            self.status.put((200, b""))
            async for chunk in response.aiter_text():
                self._take(chunk)

    def _take(self, chunk: str) -> None:
        self.arrivals.append(time.monotonic())
        self._buffer += chunk
        *frames, self._buffer = self._buffer.split("\n\n")
        for frame in frames:
            lines = frame.split("\n")
            if lines[0].startswith(":"):
                self.frames.put((":", lines[0][1:].strip()))
                continue
            fields = [line.split(": ", 1) for line in lines]
            event = next((value for name, value in fields if name == "event"), "message")
            self.frames.put((event, "\n".join(value for name, value in fields if name == "data")))


class Wire:
    """What a test reaches the backend with: `open` a registration stream, `post` a worker's news, `get` a task
    route, over one of WIRES."""

    def __init__(self, backend: FakeBackend, wire: str, url: str) -> None:
        self.backend, self.wire, self.url = backend, wire, url
        self.readers: list[Reader] = []
        transport = None if wire == "serve" else backend.transport
        self.client = httpx.Client(transport=transport, base_url=url, headers={"x-api-key": backend.api_key})

    def open(self, agent_id: str = AGENT, *, read: float = 30.0, **headers: str) -> Reader:
        """A registration stream, whose client's read timeout is `read` seconds."""
        reader = Reader(self.backend, self.wire, self.url, agent_id, headers, read)
        self.readers.append(reader)
        return reader

    def register(self, agent_id: str = AGENT) -> tuple[Reader, str]:
        """A stream that registered: the reader and its worker id."""
        reader = self.open(agent_id)
        assert reader.status_code() == 200
        return reader, reader.next_json("worker-registration")["id"]

    def post(self, worker_id: str, event: str, data: Any, agent_id: str = AGENT, **headers: str) -> httpx.Response:
        body = {"id": str(uuid.uuid4()), "event": event, "data": data}
        path = f"/{self.backend.organization_id}/events/{worker_id}"
        return self.client.post(path, params={"type": "worker", "agent_id": agent_id}, json=body, headers=headers)

    def tasks(self) -> Tasks:
        return self.backend.client(max_retries=0) if self.wire != "serve" else _tasks_on(self.backend, self.url)

    def close(self) -> None:
        for reader in self.readers:
            reader.close()
        self.client.close()


def _tasks_on(backend: FakeBackend, url: str) -> Tasks:
    return Tasks(Configuration(backend.api_key, url, backend.organization_id), max_retries=0)


@contextlib.contextmanager
def wired(wire: str, **options: Any) -> Iterator[tuple[FakeBackend, Wire]]:
    """A backend (pings every HEARTBEAT) and a `Wire` on it; over `serve` its loopback server."""
    with FakeBackend(heartbeat=HEARTBEAT, **options) as backend:
        if wire == "serve":
            with backend.serve() as url:
                link = Wire(backend, wire, url)
                try:
                    yield backend, link
                finally:
                    link.close()
        else:
            link = Wire(backend, wire, backend.base_url)
            try:
                yield backend, link
            finally:
                backend.shutdown()
                link.close()


@pytest.fixture(params=WIRES)
def wire(request: pytest.FixtureRequest) -> Iterator[tuple[FakeBackend, Wire]]:
    with wired(request.param) as pair:
        yield pair


def until(check: Any, timeout: float = READ) -> None:
    """Wait (bounded) until `check()` is true."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.01)


def assert_valid(schema: str, value: Any) -> None:
    assert spec_tools.violations(spec_tools.validator(schema), value) == [], (schema, value)


# -- registration and dispatch ------------------------------------------------------------------------------------
def test_a_worker_registers_and_gets_each_task_of_its_agent(wire: tuple[FakeBackend, Wire]) -> None:
    backend, link = wire
    reader = link.open()
    assert reader.status_code() == 200
    record = reader.next_json("worker-registration")
    assert_valid("DeployedAsset", record)
    assert record == {
        "id": "worker-1",
        "name": "worker-1",
        "organization_id": backend.organization_id,
        "type": "worker",
        "created_at": record["created_at"],
        "created_by": None,
        "last_heartbeat": record["created_at"],  # the official worker refuses a null
        "dedicated_agent_id": AGENT,
        "parent_asset_id": None,
    }
    with link.tasks() as tasks:
        created = tasks.create(agent_id=AGENT, prompt="Summarize")
    sent = reader.next_json("agent-execution")
    assert_valid("Task", sent)
    assert Task.from_dict(sent).id == created.id
    assert sent == link.client.get(f"/agent-execution/{created.id}/status").json()  # the stored task
    assert sent["input"]["text"] == "Summarize"
    assert backend.dispatched(created.id) == 1
    assert backend.workers == [
        {"id": "worker-1", "agent_id": AGENT, "connected": True, "is_busy": None, "last_heartbeat": None}
    ]
    registration = next(request for request in backend.requests if request.operation == "register_worker")
    assert registration.query == {"environment": "local", "supports_llm_gateway": "true"}


def test_the_stream_reads_with_httpx_sse() -> None:
    """The frames as a worker's SSE client reads them (httpx_sse), in-process."""
    with FakeBackend(heartbeat=HEARTBEAT) as backend:
        client = httpx.Client(transport=backend.transport, base_url=backend.base_url)
        path = REGISTER.format(org=backend.organization_id, agent=AGENT)
        with httpx_sse.connect_sse(client, "GET", path, headers={"x-api-key": backend.api_key}) as source:
            events = source.iter_sse()
            first = next(events)
            assert (first.event, json.loads(first.data)["id"]) == ("worker-registration", "worker-1")
            task = backend.client().create(agent_id=AGENT, prompt="hello")
            second = next(events)
            assert second.event == "agent-execution"
            assert Task.from_dict(json.loads(second.data)).input.text == "hello"
            assert json.loads(second.data)["id"] == task.id
        assert backend.workers[0]["connected"] is False  # the client closed it


def test_an_idle_stream_pings_each_heartbeat(wire: tuple[FakeBackend, Wire]) -> None:
    _, link = wire
    reader, _ = link.register()
    assert [reader.next(pings=True) for _ in range(3)] == [(":", "ping")] * 3


def test_tasks_created_before_a_worker_registers_go_to_it_in_order(wire: tuple[FakeBackend, Wire]) -> None:
    backend, link = wire
    with link.tasks() as tasks:
        created = [tasks.create(agent_id=AGENT, prompt=f"job {number}") for number in range(3)]
        tasks.create(agent_id=OTHER_AGENT, prompt="not mine")
        finished = tasks.create(agent_id=AGENT, prompt="done already")
    backend.complete(finished.id, "done")
    assert [backend.dispatched(task.id) for task in created] == [0, 0, 0]
    reader, _ = link.register()
    assert [reader.next_json("agent-execution")["id"] for _ in created] == [task.id for task in created]
    assert reader.next(pings=True) == (":", "ping")  # nothing else: not another agent's
    assert backend.dispatched(finished.id) == 0


def test_round_robin_and_the_worker_a_create_names() -> None:
    with wired("sync") as (backend, link):
        first, first_id = link.register()
        second, second_id = link.register()
        other, _ = link.register(OTHER_AGENT)
        with link.tasks() as tasks:
            ids = [tasks.create(agent_id=AGENT, prompt=f"job {number}").id for number in range(4)]
            named = tasks.create(agent_id=AGENT, prompt="for the second", worker_id=second_id).id
            unknown = tasks.create(agent_id=AGENT, prompt="no such worker", worker_id="worker-99").id
            theirs = tasks.create(agent_id=OTHER_AGENT, prompt="theirs").id
        assert [first.next_json("agent-execution")["id"] for _ in range(2)] == [ids[0], ids[2]]
        assert [second.next_json("agent-execution")["id"] for _ in range(3)] == [ids[1], ids[3], named]
        assert first.next_json("agent-execution")["id"] == unknown  # in turn, as if it named none
        assert other.next_json("agent-execution")["id"] == theirs
        assert (first_id, second_id) == ("worker-1", "worker-2")
        assert [backend.dispatched(task_id) for task_id in [*ids, named, unknown, theirs]] == [1] * 7


def test_scripted_outcomes_and_the_demo_agent_win_over_workers() -> None:
    with wired("sync") as (backend, link):
        reader, _ = link.register()
        backend.complete_next("scripted")
        with link.tasks() as tasks:
            scripted = tasks.create(agent_id=AGENT, prompt="scripted")
            backend.play_agent(delay=0.01)
            played = tasks.create(agent_id=AGENT, prompt="played")
        until(lambda: backend.tasks[played.id].status.value == "completed")
        assert backend.tasks[scripted.id].result == "scripted"
        assert reader.next(pings=True) == (":", "ping")
        assert (backend.dispatched(scripted.id), backend.dispatched(played.id)) == (0, 0)


def test_a_task_its_worker_runs_itself_is_not_dispatched() -> None:
    """The official `--invoke` creates a task with its own worker id and `run_locally=True`, then runs it: the
    controller does not send it back to the worker."""
    with wired("sync") as (backend, link):
        reader, worker_id = link.register()
        with link.tasks() as tasks:
            own = tasks.create(agent_id=AGENT, prompt="invoke", worker_id=worker_id, run_locally=True)
            remote = tasks.create(agent_id=AGENT, prompt="any", run_locally=True)
        assert reader.next_json("agent-execution")["id"] == remote.id
        assert (backend.dispatched(own.id), backend.dispatched(remote.id)) == (0, 1)


# -- the worker's news ----------------------------------------------------------------------------------------------
def test_heartbeats_and_capacity_updates_are_recorded(wire: tuple[FakeBackend, Wire]) -> None:
    backend, link = wire
    _, worker_id = link.register()
    _, other_id = link.register(OTHER_AGENT)
    beats = ["2026-12-06T20:03:46.769961", "2026-12-06T20:03:48.771002"]
    for beat in beats:
        assert link.post(worker_id, "worker-heartbeat", beat).status_code == 200
    assert link.post(worker_id, "worker-capacity-update", {"is_busy": True}).status_code == 200
    assert link.post(other_id, "worker-heartbeat", "2026-12-06T20:03:47", agent_id=OTHER_AGENT).status_code == 200
    assert link.post(worker_id, "worker-finished", {}).status_code == 200
    assert [event["data"] for event in backend.heartbeats(worker_id)] == beats
    assert len(backend.heartbeats()) == 3
    capacity = backend.worker_events(event="worker-capacity-update")
    assert [(event["worker_id"], event["agent_id"], event["data"]) for event in capacity] == [
        (worker_id, AGENT, {"is_busy": True})
    ]
    sent = backend.worker_events(worker_id)
    assert [event["event"] for event in sent] == [
        "worker-heartbeat", "worker-heartbeat", "worker-capacity-update", "worker-finished",
    ]  # fmt: skip
    assert all(uuid.UUID(event["id"]) for event in sent)
    assert backend.workers[0] == {
        "id": worker_id, "agent_id": AGENT, "connected": True, "is_busy": True, "last_heartbeat": beats[-1],
    }  # fmt: skip


def test_the_news_of_an_unknown_worker_or_a_bad_body_is_refused() -> None:
    with wired("sync") as (backend, link):
        _, worker_id = link.register()
        assert link.post("worker-99", "worker-heartbeat", "t").status_code == 404
        assert link.post(worker_id, "worker-heartbeat", "t", agent_id=OTHER_AGENT).status_code == 404
        refused = link.post(worker_id, "worker-nap", "t")
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "event"]
        path = f"/{backend.organization_id}/events/{worker_id}"
        missing = link.client.post(path, params={"type": "worker"}, json={"id": "x", "event": "worker-heartbeat"})
        assert missing.status_code == 422
        assert missing.json()["detail"] == [
            {"type": "missing", "loc": ["query", "agent_id"], "msg": "Field required", "input": None}
        ]
        assert backend.worker_events() == []


def test_registration_checks_its_query() -> None:
    with wired("sync") as (backend, link):
        path = f"/{backend.organization_id}/events/{AGENT}/"
        assert link.client.get(path).json()["detail"][0]["loc"] == ["query", "environment"]
        wrong = link.client.get(path, params={"environment": "mars"})
        assert (wrong.status_code, wrong.json()["detail"][0]["type"]) == (422, "enum")
        assert backend.workers == []


# -- routing and auth -------------------------------------------------------------------------------------------------
def test_the_controller_routes_and_their_neighbours() -> None:
    assert route("GET", "/org-fake/events/agent-1/").operation == "register_worker"
    assert route("POST", "/org-fake/events/worker-1").operation == "send_worker_event"
    assert route("GET", "/org-fake/events/worker-1").known_path  # 405
    assert route("GET", "/org-fake/agent-execution/t1/events").operation == "get_task_events"
    assert route("GET", "/org-fake/agent-execution/t1/events").target == "t1"
    push = route("POST", "/org-fake/agent-execution/t1/events/push")
    assert (push.operation, push.known_path) == (None, False)
    assert route("POST", "/agent-execution/events").operation == "create_task"  # a task id `events`: no confusion


def test_the_controller_routes_are_authenticated_and_under_the_organization() -> None:
    with wired("sync") as (backend, link):
        path = REGISTER.format(org=backend.organization_id, agent=AGENT)
        assert link.client.get(path, headers={"x-api-key": ""}).status_code == 401
        assert link.client.get(path, headers={"x-api-key": "wrong"}).status_code == 403
        assert link.post("worker-1", "worker-heartbeat", "t", **{"x-api-key": "wrong"}).status_code == 403
        assert link.client.get(REGISTER.format(org="another-org", agent=AGENT)).status_code == 404
        assert link.client.post(f"/{backend.organization_id}/events/{AGENT}/").status_code == 405
        assert backend.workers == []


def test_respond_next_and_disconnect_next_take_the_registration() -> None:
    with wired("sync") as (backend, link):
        backend.respond_next(401, operation="register_worker")
        refused = link.open()
        assert refused.status_code() == 401
        assert refused.ended()
        backend.disconnect_next(operation="register_worker")
        gone = link.open()
        assert gone.ended()  # ConnectError: no status at all
        backend.respond_next(503, operation="send_worker_event")
        _, worker_id = link.register()
        assert worker_id == "worker-1"
        assert link.post(worker_id, "worker-heartbeat", "t").status_code == 503
        assert link.post(worker_id, "worker-heartbeat", "t").status_code == 200


# -- the end of a stream -------------------------------------------------------------------------------------------
def test_the_backend_shutdown_ends_every_stream(wire: tuple[FakeBackend, Wire]) -> None:
    backend, link = wire
    readers = [link.register()[0], link.register(OTHER_AGENT)[0]]
    backend.shutdown()
    assert [reader.ended() for reader in readers] == [True, True]
    assert [worker["connected"] for worker in backend.workers] == [False, False]


def test_a_stream_the_client_closes_is_a_worker_gone(wire: tuple[FakeBackend, Wire]) -> None:
    backend, link = wire
    first, _ = link.register()
    second, second_id = link.register()
    first.close()
    until(lambda: not backend.workers[0]["connected"])
    with link.tasks() as tasks:
        ids = [tasks.create(agent_id=AGENT, prompt=f"job {number}").id for number in range(2)]
    assert [second.next_json("agent-execution")["id"] for _ in ids] == ids
    assert backend.workers[1]["id"] == second_id


def test_a_task_not_yet_written_to_a_stream_that_ends_goes_to_the_next_worker() -> None:
    with wired("sync") as (backend, link):
        first, _ = link.register()
        backend.silence_worker_streams(READ)
        with link.tasks() as tasks:
            held = tasks.create(agent_id=AGENT, prompt="held").id
        first.close()
        backend.silence_worker_streams(0)
        second, _ = link.register()
        assert second.next_json("agent-execution")["id"] == held
        assert backend.dispatched(held) == 1


# -- faults ------------------------------------------------------------------------------------------------------------
def test_controller_down_ends_the_streams_answers_503_then_recovers(wire: tuple[FakeBackend, Wire]) -> None:
    backend, link = wire
    reader, worker_id = link.register()
    outage = 1.0
    backend.controller_down(outage)
    started = time.monotonic()
    assert reader.ended()
    refused = link.open()
    assert refused.status_code() == 503
    assert link.post(worker_id, "worker-heartbeat", "t").status_code == 503
    assert link.client.get(REGISTER.format(org=backend.organization_id, agent=AGENT)).json() == {
        "detail": "Service Unavailable"
    }
    with link.tasks() as tasks:
        queued = tasks.create(agent_id=AGENT, prompt="during the outage")  # the task routes still answer
        assert tasks.get(queued.id).id == queued.id
    assert backend.dispatched(queued.id) == 0
    assert backend.workers[0]["connected"] is False
    time.sleep(max(0.0, outage - (time.monotonic() - started)) + 0.05)
    again, again_id = link.register()
    assert again_id == "worker-2"
    assert again.next_json("agent-execution")["id"] == queued.id
    assert link.post(again_id, "worker-heartbeat", "t").status_code == 200


def test_a_task_a_worker_will_run_is_not_abandoned() -> None:
    """`unscripted_wait`: a task dispatched to a connected worker, or queued for an agent that has had one (the
    controller is down), is read again and again without a 409; one of an agent that never had a worker is
    refused as before."""
    quiet = 0.2
    with wired("sync", unscripted_wait=quiet) as (backend, link):
        link.register()
        with link.tasks() as tasks:
            dispatched = tasks.create(agent_id=AGENT, prompt="a worker has it")
            lonely = tasks.create(agent_id="agent-nobody-runs", prompt="nobody")
            backend.controller_down(READ)
            queued = tasks.create(agent_id=AGENT, prompt="waits for the next registration")
            time.sleep(quiet * 2)
            for _ in range(2):
                assert tasks.get(dispatched.id).status.value == "pending"
                assert tasks.get(queued.id).status.value == "pending"
            tasks.get(lonely.id)
            refused = link.client.get(f"/agent-execution/{lonely.id}/status")
            assert refused.status_code == 409
            assert "worker" in refused.json()["detail"]


def test_dispatch_raw_sends_the_text_as_it_is(wire: tuple[FakeBackend, Wire]) -> None:
    backend, link = wire
    reader, _ = link.register()
    backend.dispatch_raw(AGENT, "{not json")
    assert reader.next() == ("agent-execution", "{not json")
    no_created_at = json.dumps({"id": "t"})
    backend.dispatch_raw(AGENT, no_created_at)
    assert reader.next() == ("agent-execution", no_created_at)
    backend.dispatch_raw(AGENT, "line one\nline two", event="something-new")
    assert reader.next() == ("something-new", "line one\nline two")


def test_dispatch_raw_goes_to_the_first_connected_worker_only() -> None:
    with wired("sync") as (backend, link):
        first, _ = link.register()
        second, _ = link.register()
        backend.dispatch_raw(AGENT, "raw")
        assert first.next() == ("agent-execution", "raw")
        assert second.next(pings=True) == (":", "ping")


def test_redispatch_sends_the_task_again() -> None:
    with wired("sync") as (backend, link):
        reader, _ = link.register()
        with link.tasks() as tasks:
            task = tasks.create(agent_id=AGENT, prompt="twice")
        first = reader.next_json("agent-execution")
        backend.redispatch(task.id)
        assert reader.next_json("agent-execution") == first
        assert backend.dispatched(task.id) == 2


def test_environment_conflict_goes_to_every_worker_of_the_agent(wire: tuple[FakeBackend, Wire]) -> None:
    backend, link = wire
    readers = [link.register()[0], link.register()[0]]
    other, _ = link.register(OTHER_AGENT)
    backend.environment_conflict(AGENT, error="The agent runs in the cloud")
    for reader in readers:
        conflict = reader.next_json("worker-environment-conflict")
        assert conflict == {"error": "The agent runs in the cloud"}
        assert_valid("WorkerEnvironmentConflict", conflict)
    assert other.next(pings=True) == (":", "ping")


def test_silenced_streams_write_nothing_then_what_was_held(wire: tuple[FakeBackend, Wire]) -> None:
    backend, link = wire
    reader, _ = link.register()
    silence = 0.6
    backend.silence_worker_streams(silence)
    started = time.monotonic()
    with link.tasks() as tasks:
        task = tasks.create(agent_id=AGENT, prompt="held back")
    assert reader.next_json("agent-execution")["id"] == task.id
    assert time.monotonic() - started >= silence - 0.05
    # nothing at all (not a ping: one a heartbeat without) arrived in the silence (a chunk written just before it
    # starts may still be on its way)
    assert [at for at in reader.arrivals if started + 2 * HEARTBEAT < at < started + silence - 0.05] == []
    assert backend.dispatched(task.id) == 1


def refused_parameter(call: Any, *arguments: Any, **options: Any) -> str:
    """The parameter the InvalidArgumentError of `call(*arguments, **options)` names."""
    with pytest.raises(InvalidArgumentError) as refused:
        call(*arguments, **options)
    return refused.value.parameter


def test_a_stream_silent_for_longer_than_the_read_timeout_times_out(wire: tuple[FakeBackend, Wire]) -> None:
    """In-process as over sockets: a client's read timeout fires on a silenced stream (pings each heartbeat kept
    it from firing before), and the worker is gone."""
    backend, link = wire
    reader = link.open(read=0.3)
    assert reader.status_code() == 200
    reader.next_json("worker-registration")
    assert [reader.next(pings=True) for _ in range(6)] == [(":", "ping")] * 6  # 0.6 s, with a read timeout of 0.3
    backend.silence_worker_streams(1.0)
    assert reader.ended()
    assert isinstance(reader.error, httpx.ReadTimeout)
    until(lambda: not backend.workers[0]["connected"])  # over serve(): at the first write after the silence


def test_the_faults_check_their_arguments() -> None:
    with wired("sync") as (backend, link):
        assert refused_parameter(backend.controller_down, -1) == "seconds"
        assert refused_parameter(backend.silence_worker_streams, "1") == "seconds"
        assert refused_parameter(backend.dispatch_raw, AGENT, "x") == "agent_id"  # no worker connected
        assert refused_parameter(backend.environment_conflict, AGENT) == "agent_id"
        link.register()
        assert refused_parameter(backend.dispatch_raw, AGENT, {"id": "t"}) == "data"
        assert refused_parameter(backend.dispatch_raw, AGENT, "x", event=None) == "event"
        assert refused_parameter(backend.dispatch_raw, AGENT, "x", event="two\nlines") == "event"
        assert refused_parameter(backend.environment_conflict, AGENT, error=3) == "error"
        assert refused_parameter(backend.redispatch, "no-such-task") == "task_id"
        assert refused_parameter(backend.dispatched, "no-such-task") == "task_id"
        assert refused_parameter(backend.worker_events, event=3) == "event"
        with link.tasks() as tasks:
            theirs = tasks.create(agent_id=OTHER_AGENT, prompt="no worker")
        with pytest.raises(InvalidArgumentError, match="no worker of agent 'agent-2'"):
            backend.redispatch(theirs.id)


# -- the SDK's own request builders ----------------------------------------------------------------------------------
def test_the_sdk_request_builders_reach_the_fake_controller() -> None:
    """What the worker will send (`_routes.register_worker`, `_routes.send_worker_event`, through a Requestor of
    `backend.client()`, under the events root its configuration computes) is what the fake serves."""
    with FakeBackend(heartbeat=HEARTBEAT) as backend, backend.client() as tasks:
        requestor = tasks.requestor
        root = requestor.configuration.events_root_url_for(None)
        assert root == f"{backend.base_url}/{backend.organization_id}"
        options = CallOptions(timeout=httpx.Timeout(READ), retry=RetryPolicy(max_retries=0))
        response = requestor.open_stream(_routes.register_worker(AGENT, "local"), root, options)
        try:
            assert response.status_code == 200
            record = json.loads(next(httpx_sse.EventSource(response).iter_sse()).data)
        finally:
            response.close()
        body = {"id": str(uuid.uuid4()), "event": "worker-capacity-update", "data": {"is_busy": False}}
        news = _routes.send_worker_event(record["id"], AGENT, body)
        _send.call(requestor.session, news, root, backend.api_key, options)
        assert backend.worker_events() == [{"worker_id": "worker-1", "agent_id": AGENT, **body}]
        assert [request.operation for request in backend.requests] == ["register_worker", "send_worker_event"]
        assert backend.requests[0].headers["accept"] == "text/event-stream"
        assert backend.workers[0]["connected"] is False
