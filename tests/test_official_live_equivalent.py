"""The official SDK's own live tests of the task module (xpander-sdk's `tests/test_tasks_module.py`: list, load by
id, load from a list, create, create then find in the history, create then update and stop through the module
and through the instance), run unchanged in substance against the SDK's stateful fake backend
(`xpander_sdk.testing.FakeBackend`) served on a real loopback HTTP server instead of the cloud: `Tasks()` reads
`XPANDER_BASE_URL` and `XPANDER_API_KEY`, as there.

Each is run async (the official form) and sync. The official events test (create with `events_streaming=True`,
then `async for event in created_task.aevents()` until the `task_created` event) runs against the backend's event
stream (`XPANDER_ORGANIZATION_ID` set, as the official tests' environment has it), and so do a stream followed to
its end and `create_and_wait`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest

from xpander_sdk import InvalidArgumentError
from xpander_sdk.models.events import TaskUpdateEvent, TaskUpdateEventType
from xpander_sdk.modules.tasks.models.task import AgentExecutionStatus
from xpander_sdk.modules.tasks.models.tasks_list import TasksListItem
from xpander_sdk.modules.tasks.sub_modules.task import Task
from xpander_sdk.modules.tasks.tasks_module import Tasks
from xpander_sdk.testing import ORGANIZATION_ID, FakeBackend

AGENT_ID = "agent-with-tasks"
RESULT = "Hello!"


def status(task: Task) -> AgentExecutionStatus:
    """The task's status as it is now (mypy would narrow `task.status` after an assignment)."""
    return task.status


def event_requests(backend: FakeBackend) -> list[tuple[str, str | None]]:
    """(path, Last-Event-ID) of each request for a task's events, in order."""
    return [
        (request.path, request.headers.get("last-event-id"))
        for request in backend.requests
        if request.operation == "get_task_events"
    ]


def events_path(task_id: str) -> str:
    return f"/{ORGANIZATION_ID}/agent-execution/{task_id}/events"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeBackend, str]]:
    """The fake backend on a loopback server, and its URL, with the environment pointed at it."""
    with FakeBackend() as fake, fake.serve() as url:
        monkeypatch.setenv("XPANDER_BASE_URL", url)
        monkeypatch.setenv("XPANDER_API_KEY", fake.api_key)
        monkeypatch.setenv("XPANDER_ORGANIZATION_ID", fake.organization_id)
        yield fake, url


@pytest.fixture
def backend(served: tuple[FakeBackend, str]) -> FakeBackend:
    return served[0]


@pytest.fixture
def url(served: tuple[FakeBackend, str]) -> str:
    return served[1]


@pytest.fixture
def task_id(backend: FakeBackend) -> str:
    """The official tests' `XPANDER_TASK_ID`: a task that exists (and an agent with tasks)."""
    return Tasks().create(agent_id=AGENT_ID, prompt="an earlier task").id


@pytest.mark.anyio
async def test_list_tasks(task_id: str) -> None:
    tasks = Tasks()
    tasks_list = await tasks.alist(agent_id=AGENT_ID)
    assert isinstance(tasks_list, list)
    assert len(tasks_list) != 0
    assert isinstance(tasks_list[0], TasksListItem)


@pytest.mark.anyio
async def test_load_task(task_id: str) -> None:
    tasks = Tasks()
    task = await tasks.aget(task_id=task_id)
    assert isinstance(task, Task)
    assert task.id == task_id


@pytest.mark.anyio
async def test_load_task_from_list(task_id: str) -> None:
    tasks = Tasks()
    tasks_list = await tasks.alist(agent_id=AGENT_ID)
    assert isinstance(tasks_list, list)
    assert len(tasks_list) != 0
    task = await tasks_list[0].aload()
    assert isinstance(task, Task)
    assert task.id == tasks_list[0].id


@pytest.mark.anyio
async def test_create_task(backend: FakeBackend) -> None:
    tasks = Tasks()
    prompt = "what can you do"
    created_task = await tasks.acreate(agent_id=AGENT_ID, prompt=prompt)
    assert isinstance(created_task, Task)
    assert created_task.agent_id == AGENT_ID
    assert created_task.input.text == prompt
    assert created_task.status == AgentExecutionStatus.Pending


@pytest.mark.anyio
async def test_create_task_and_sync_with_history(backend: FakeBackend) -> None:
    tasks = Tasks()
    created_task = await tasks.acreate(agent_id=AGENT_ID, prompt="hi")
    assert created_task.status == AgentExecutionStatus.Pending
    tasks_list = await tasks.alist(agent_id=AGENT_ID)
    assert any(task.id == created_task.id for task in tasks_list)


@pytest.mark.anyio
async def test_create_and_update_task(backend: FakeBackend) -> None:
    tasks = Tasks()
    prompt = "hi"
    created_task = await tasks.acreate(agent_id=AGENT_ID, prompt=prompt)
    assert created_task.input.text == prompt
    assert created_task.status == AgentExecutionStatus.Pending

    # update using tasks module
    updated_task = await tasks.aupdate(task_id=created_task.id, source="sdk", status=AgentExecutionStatus.Executing)
    assert updated_task.id == created_task.id
    assert updated_task.status == AgentExecutionStatus.Executing
    assert updated_task.source == "sdk"

    # stop task using tasks module
    stopped_task = await tasks.astop(task_id=updated_task.id)
    assert stopped_task.id == updated_task.id
    assert stopped_task.status == AgentExecutionStatus.Stopped

    # update using task instance
    updated_task.status = AgentExecutionStatus.Paused
    await updated_task.asave()
    assert updated_task.status == AgentExecutionStatus.Paused

    # stop task using task instance
    await updated_task.astop()
    assert status(updated_task) == AgentExecutionStatus.Stopped
    assert backend.tasks[created_task.id].status.value == "stopped"


def test_the_same_path_sync(backend: FakeBackend) -> None:
    """The sync names on the same path: create, list, load from the list, update, stop, save, stop, reload."""
    tasks = Tasks()
    created = tasks.create(agent_id=AGENT_ID, prompt="hi")
    listed = tasks.list(agent_id=AGENT_ID)
    assert [item.id for item in listed] == [created.id]
    loaded = listed[0].load()
    assert loaded == tasks.get(created.id)
    updated = tasks.update(task_id=created.id, source="sdk", status=AgentExecutionStatus.Executing)
    assert (updated.status, updated.source) == (AgentExecutionStatus.Executing, "sdk")
    assert tasks.stop(task_id=created.id).status == AgentExecutionStatus.Stopped
    updated.status = AgentExecutionStatus.Paused
    assert updated.save() is updated
    assert updated.status == AgentExecutionStatus.Paused
    assert updated.stop() is updated
    assert status(updated) == AgentExecutionStatus.Stopped
    assert created.reload() is created
    assert created.status == AgentExecutionStatus.Stopped
    assert created.is_terminal
    assert [request.method for request in backend.requests] == [
        "POST", "GET", "GET", "GET", "PATCH", "DELETE", "PATCH", "DELETE", "GET"
    ]  # fmt: skip


# -- events -----------------------------------------------------------------------------------------------------
STREAM_TYPES = ["connected", "task_created", "task_updated", "chunk", "task_finished"]


@pytest.mark.anyio
async def test_create_task_with_events(backend: FakeBackend) -> None:
    """The official events test, as it is: the loop breaks at the `task_created` event."""
    tasks = Tasks()
    prompt = "what can you do"

    # Create task with events enabled
    created_task = await tasks.acreate(agent_id=AGENT_ID, prompt=prompt, events_streaming=True)

    assert isinstance(created_task, Task)
    assert created_task.events_streaming is True

    found_created_event = False

    async for event in created_task.aevents():
        print("Received:", event)

        # Ensure event is for this task
        assert event.task_id == created_task.id
        assert event.organization_id == created_task.organization_id

        if event.type == TaskUpdateEventType.TaskCreated:
            found_created_event = True
            break  # Test succeeds once we receive the 'created' event

    assert found_created_event, "Expected 'created' event not found in task stream"


def test_create_task_with_events_sync(backend: FakeBackend) -> None:
    tasks = Tasks()
    created_task = tasks.create(agent_id=AGENT_ID, prompt="what can you do", events_streaming=True)
    assert created_task.events_streaming is True
    found_created_event = False
    with created_task.events() as stream:
        for event in stream:
            print("Received:", event)
            assert event.task_id == created_task.id
            assert event.organization_id == created_task.organization_id
            if event.type == TaskUpdateEventType.TaskCreated:
                found_created_event = True
                break
    assert found_created_event
    assert event_requests(backend) == [(events_path(created_task.id), None)]


def _check_full_stream(events: list[TaskUpdateEvent], task: Task) -> None:
    assert [event.type.value for event in events] == STREAM_TYPES
    assert [event.event_id for event in events] == ["1", "2", "3", "4", "5"]
    assert all(event.task_id == task.id and event.organization_id == ORGANIZATION_ID for event in events)
    created, finished = events[1].data, events[-1].data
    assert isinstance(created, Task) and created.status == AgentExecutionStatus.Pending
    assert isinstance(finished, Task) and finished.status == AgentExecutionStatus.Completed
    assert (finished.id, finished.result) == (task.id, RESULT)
    assert events[3].data == RESULT
    assert events[3].identity is not None and events[3].identity.name == "Fake agent"


@pytest.mark.anyio
async def test_events_followed_to_the_end(backend: FakeBackend) -> None:
    """The stream of a task the agent completes while it is followed: it ends by itself after task_finished."""
    tasks = Tasks()
    task = await tasks.acreate(agent_id=AGENT_ID, prompt="hi", events_streaming=True)
    threading.Timer(0.2, backend.complete, (task.id, RESULT)).start()
    async with task.aevents() as stream:
        events = [event async for event in stream]
    _check_full_stream(events, task)
    assert (stream.received, stream.skipped, stream.reconnects) == (5, 0, 0)


def test_events_followed_to_the_end_sync(backend: FakeBackend) -> None:
    tasks = Tasks()
    task = tasks.create(agent_id=AGENT_ID, prompt="hi", events_streaming=True)
    threading.Timer(0.2, backend.complete, (task.id, RESULT)).start()
    with task.events() as stream:
        events = list(stream)
    _check_full_stream(events, task)


@pytest.mark.anyio
async def test_events_of_an_update_and_a_stop(backend: FakeBackend) -> None:
    """The official update then stop, with the task's stream followed meanwhile: the update is a `task_updated`,
    the stop the final `task_finished`."""
    tasks = Tasks()
    task = await tasks.acreate(agent_id=AGENT_ID, prompt="hi", events_streaming=True)

    async def drive() -> None:
        await asyncio.sleep(0.1)
        await tasks.aupdate(task_id=task.id, source="sdk", status=AgentExecutionStatus.Executing)
        await tasks.astop(task_id=task.id)

    async with asyncio.timeout(10):
        driver = asyncio.create_task(drive())
        events = [event async for event in task.aevents()]
        await driver
    assert [event.type.value for event in events] == ["connected", "task_created", "task_updated", "task_finished"]
    statuses = [event.data.status for event in events if isinstance(event.data, Task)]
    assert statuses == [AgentExecutionStatus.Pending, AgentExecutionStatus.Executing, AgentExecutionStatus.Stopped]


@pytest.mark.anyio
async def test_create_and_wait(backend: FakeBackend) -> None:
    """create_and_wait on the stream: the create, then the events until task_finished; no status request."""
    backend.complete_next(RESULT, after=0.2, times=None)
    task = await Tasks().acreate_and_wait(AGENT_ID, prompt="hi", events_streaming=True, wait_timeout=10)
    assert (task.status, task.result) == (AgentExecutionStatus.Completed, RESULT)
    assert [request.method for request in backend.requests] == ["POST", "GET"]
    assert backend.requests[1].path == events_path(task.id)
    assert backend.tasks[task.id].status.value == "completed"


def test_create_and_wait_sync(backend: FakeBackend) -> None:
    backend.complete_next(RESULT, after=0.2, times=None)
    task = Tasks().create_and_wait(AGENT_ID, prompt="hi", events_streaming=True, wait_timeout=10)
    assert (task.status, task.result) == (AgentExecutionStatus.Completed, RESULT)
    assert [request.method for request in backend.requests] == ["POST", "GET"]


@pytest.mark.anyio
async def test_create_and_wait_without_events_polls(backend: FakeBackend) -> None:
    backend.complete_next(RESULT, after=0.2, times=None)
    task = await Tasks().acreate_and_wait(AGENT_ID, prompt="hi", wait_timeout=10)
    assert (task.status, task.result) == (AgentExecutionStatus.Completed, RESULT)
    paths = [request.path for request in backend.requests]
    assert paths[0] == f"/agent-execution/{AGENT_ID}"
    assert set(paths[1:]) == {f"/agent-execution/{task.id}/status"}
    with pytest.raises(InvalidArgumentError):  # the task has no event log
        backend.events(task.id)


def test_the_backend_resumes_after_last_event_id(backend: FakeBackend, url: str) -> None:
    """The backend's own contract: with Last-Event-ID, the stream starts at the next event."""
    task = Tasks().create(agent_id=AGENT_ID, prompt="hi", events_streaming=True)
    backend.complete(task.id, RESULT)
    headers = {"x-api-key": backend.api_key, "accept": "text/event-stream", "last-event-id": "3"}
    response = httpx.get(url + events_path(task.id), headers=headers, timeout=10)
    assert response.headers["content-type"] == "text/event-stream"
    ids = [line.removeprefix("id: ") for line in response.text.splitlines() if line.startswith("id: ")]
    assert ids == ["4", "5"]
    another = events_path(task.id).replace(ORGANIZATION_ID, "another-org")
    refused = httpx.get(url + another, headers=headers, timeout=10)
    assert refused.status_code == 404
    assert event_requests(backend) == [(events_path(task.id), "3"), (another, "3")]  # the second one refused


def test_events_of_a_task_without_events_streaming_are_refused(backend: FakeBackend, url: str) -> None:
    task = Tasks().create(agent_id=AGENT_ID, prompt="hi")
    response = httpx.get(url + events_path(task.id), headers={"x-api-key": backend.api_key}, timeout=10)
    assert response.status_code == 404
