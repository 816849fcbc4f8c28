"""What the worker's tests share: a bounded wait, the configuration of a worker on a served `FakeBackend`, and the
context and the call of one task's run (`_worker_run.run_task`) with quick retries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from xpander_sdk import AgentExecutionStatus, Configuration, Task, Tasks
from xpander_sdk._retry import RetryPolicy
from xpander_sdk._worker_run import RunContext, run_task
from xpander_sdk.testing import FakeBackend

AGENT = "agent-1"
FAST_RETRY = RetryPolicy(max_retries=0, initial_delay=0.01, max_delay=0.05)
"""The worker's own pauses in a test: 10 ms, up to 50 ms."""


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, what: str = "the condition") -> Any:
    """`condition()` once it is true (polled every 20 ms); AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def served_configuration(backend: FakeBackend, url: str, api_key: str | None = None) -> Configuration:
    """The configuration of a worker on `backend` served at `url` (its key, else `api_key`)."""
    return Configuration(api_key=api_key or backend.api_key, base_url=url, organization_id=backend.organization_id)


def run_context(tasks: Tasks, handler: Any, handler_timeout: float | None = None) -> RunContext:
    """A task run's context on `tasks` (its saves retried on any outage, as the worker's), with quick pauses."""
    return RunContext(handler, handler_timeout, tasks.requestor.options({}, retry_unsafe=True), FAST_RETRY)


def run(task: Task, context: RunContext) -> AgentExecutionStatus | None:
    """`run_task` on a loop of its own."""
    return asyncio.run(run_task(task, context))
