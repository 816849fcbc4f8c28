"""The official SDK's own live tests of the task module (xpander-sdk's `tests/test_tasks_module.py`: list, load by
id, load from a list, create, create then find in the history, create then update and stop through the module
and through the instance), run unchanged in substance against a local stateful backend (`tests.local_backend`)
instead of the cloud: `Tasks()` reads `XPANDER_BASE_URL` and `XPANDER_API_KEY`, as there.

Each is run async (the official form) and sync. The events test of that file belongs to the events issue.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.local_backend import LocalBackend
from xpander_sdk.modules.tasks.models.task import AgentExecutionStatus
from xpander_sdk.modules.tasks.models.tasks_list import TasksListItem
from xpander_sdk.modules.tasks.sub_modules.task import Task
from xpander_sdk.modules.tasks.tasks_module import Tasks

AGENT_ID = "agent-with-tasks"


def status(task: Task) -> AgentExecutionStatus:
    """The task's status as it is now (mypy would narrow `task.status` after an assignment)."""
    return task.status


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalBackend]:
    with LocalBackend() as local:
        monkeypatch.setenv("XPANDER_BASE_URL", local.url)
        monkeypatch.setenv("XPANDER_API_KEY", local.api_key)
        yield local


@pytest.fixture
def task_id(backend: LocalBackend) -> str:
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
async def test_create_task(backend: LocalBackend) -> None:
    tasks = Tasks()
    prompt = "what can you do"
    created_task = await tasks.acreate(agent_id=AGENT_ID, prompt=prompt)
    assert isinstance(created_task, Task)
    assert created_task.agent_id == AGENT_ID
    assert created_task.input.text == prompt
    assert created_task.status == AgentExecutionStatus.Pending


@pytest.mark.anyio
async def test_create_task_and_sync_with_history(backend: LocalBackend) -> None:
    tasks = Tasks()
    created_task = await tasks.acreate(agent_id=AGENT_ID, prompt="hi")
    assert created_task.status == AgentExecutionStatus.Pending
    tasks_list = await tasks.alist(agent_id=AGENT_ID)
    assert any(task.id == created_task.id for task in tasks_list)


@pytest.mark.anyio
async def test_create_and_update_task(backend: LocalBackend) -> None:
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
    assert backend.tasks[created_task.id]["status"] == "stopped"


def test_the_same_path_sync(backend: LocalBackend) -> None:
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
    assert [method for method, _, _ in backend.requests] == [
        "POST", "GET", "GET", "GET", "PATCH", "DELETE", "PATCH", "DELETE", "GET"
    ]  # fmt: skip
