"""A newcomer's first hour (issue 20, part 1): the quick start exports only `XPANDER_API_KEY`, and events and
waits still work, because every task carries its organization id; and a `Tasks()` made at import time that an
installed fake backend serves logs the URL it reached, not the cloud's.

Against `xpander_sdk.testing.FakeBackend.serve()` (a loopback server), sync and async on both transports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.conftest import MODES
from tests.faultserver import run_call
from xpander_sdk import Configuration, Task, Tasks
from xpander_sdk.testing import FakeBackend

OUTER = 10.0


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBackend]:
    """A fake backend on a loopback port, and the quick start's environment: the API key and the base URL, no
    organization id. Its tasks complete 0.2 s after their create."""
    with FakeBackend() as backend, backend.serve() as url:
        backend.complete_next("Hello!", after=0.2, times=None)
        monkeypatch.setenv("XPANDER_API_KEY", backend.api_key)
        monkeypatch.setenv("XPANDER_BASE_URL", url)
        monkeypatch.delenv("XPANDER_ORGANIZATION_ID", raising=False)
        yield backend


def operations(backend: FakeBackend) -> list[str | None]:
    return [request.operation for request in backend.requests]


@pytest.mark.parametrize("mode", MODES)
def test_create_and_wait_follows_the_events_with_only_an_api_key(
    served: FakeBackend, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the wait polled (logged at INFO), and a task done at 4.0 s came back at 7.6 s. Now it follows the
    task's events, so no status poll is made and nothing is logged at WARNING."""
    caplog.set_level(logging.INFO, logger="xpander_sdk")
    tasks = Tasks()
    assert tasks.configuration.organization_id is None
    task, _ = run_call(
        tasks,
        mode,
        lambda tasks: tasks.create_and_wait(agent_id="agent-1", prompt="hi", events_streaming=True, wait_timeout=OUTER),
        lambda tasks: tasks.acreate_and_wait(
            agent_id="agent-1", prompt="hi", events_streaming=True, wait_timeout=OUTER
        ),
    )
    assert isinstance(task, Task), task
    assert (task.status.value, task.result) == ("completed", "Hello!")
    assert operations(served) == ["create_task", "get_task_events"]
    assert not [
        record for record in caplog.records if record.name == "xpander_sdk" and record.levelno >= logging.WARNING
    ]


@pytest.mark.parametrize("mode", MODES)
def test_a_tasks_events_are_followed_with_only_an_api_key(served: FakeBackend, mode: str) -> None:
    """Before: `task.aevents()` raised "organization_id is needed"."""

    def sync(tasks: Tasks) -> list[str]:
        task = tasks.create(agent_id="agent-1", prompt="hi", events_streaming=True)
        with task.events() as stream:
            return [event.type.value for event in stream]

    async def asynchronous(tasks: Tasks) -> list[str]:
        task = await tasks.acreate(agent_id="agent-1", prompt="hi", events_streaming=True)
        async with task.aevents() as stream:
            return [event.type.value async for event in stream]

    types, _ = run_call(Tasks(), mode, sync, asynchronous)
    assert types == ["connected", "task_created", "task_updated", "chunk", "task_finished"]
    (events,) = [request for request in served.requests if request.operation == "get_task_events"]
    assert events.path.startswith(f"/{served.organization_id}/agent-execution/")


@pytest.mark.parametrize("mode", MODES)
def test_a_tasks_made_before_the_install_logs_what_it_reached(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    """A module-level `Tasks()` (the cloud's URL) that an installed fake serves: before, its log lines said
    `POST https://inbound.xpander.ai/...`; now they name the fake's URL, where the request went."""
    made_at_import = Tasks(Configuration(api_key="key-of-import-time"))
    caplog.set_level(logging.DEBUG, logger="xpander_sdk")
    with FakeBackend() as backend, backend.install():
        backend.complete_next("Hello!")
        task, _ = run_call(
            made_at_import,
            mode,
            lambda tasks: tasks.create_and_wait(agent_id="agent-1", prompt="hi", wait_timeout=OUTER),
            lambda tasks: tasks.acreate_and_wait(agent_id="agent-1", prompt="hi", wait_timeout=OUTER),
        )
    assert isinstance(task, Task), task
    lines = [record.getMessage() for record in caplog.records if " -> " in record.getMessage()]
    assert lines, "the SDK logged each response at DEBUG"
    assert all(backend.base_url in line and "xpander.ai" not in line for line in lines), lines


@pytest.mark.parametrize("mode", MODES)
def test_a_stale_configured_organization_id_does_not_break_events(
    served: FakeBackend, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the cloud `XPANDER_ORGANIZATION_ID` serves only the events: a stale one (another organization) would
    send them to a 404. The task's own organization id is used."""
    monkeypatch.setenv("XPANDER_ORGANIZATION_ID", "stale-org")
    task, _ = run_call(
        Tasks(),
        mode,
        lambda tasks: tasks.create_and_wait(agent_id="agent-1", prompt="hi", events_streaming=True, wait_timeout=OUTER),
        lambda tasks: tasks.acreate_and_wait(
            agent_id="agent-1", prompt="hi", events_streaming=True, wait_timeout=OUTER
        ),
    )
    assert isinstance(task, Task) and task.result == "Hello!", task
    assert operations(served) == ["create_task", "get_task_events"]
