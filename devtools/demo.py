"""`make demo`: the whole path of a task, on this machine.

1. Create a task against a local Prism mock of openapi.yaml, with the async and the sync call, then follow it
   (reload, list, stop): Prism checks every request against the spec.
2. Follow one to its result against a local server built on `xpander_sdk.testing.FakeBackend`, whose scripted
   agent thinks, calls a tool and streams its answer: create with `events_streaming=True`, print the events as
   they arrive, wait for the result; then run the command line, `xpander-tasks create ... --wait`.
3. Run a worker (`@on_task`'s `Worker`) against the same fake's agent controller, and one task through it: the
   fake dispatches the task to the worker, whose handler answers it.

Runs the documented code unchanged; only the environment points it at the mocks.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from devtools.prism import PrismNotAvailable, run_prism
from xpander_sdk import ModuleException, Task, Tasks, TaskUpdateEvent
from xpander_sdk.testing import FakeBackend

AGENT_ID = "agent-123"
WORKER_AGENT_ID = "agent-local"


def show(how: str, task: Task) -> None:
    print(f"  {how:<6} task {task.id}")
    print(f"         status={task.status.value}  agent={task.agent_id}  created_at={task.created_at.isoformat()}")


async def create_async() -> Task:
    async with Tasks() as tasks:
        return await tasks.acreate(
            agent_id=AGENT_ID,
            prompt="Summarize the latest sales report",
            file_urls=["https://example.com/sales.csv"],
        )


def create_sync() -> Task:
    with Tasks() as tasks:
        return tasks.create(agent_id=AGENT_ID, prompt="Summarize the latest sales report")


def follow(task: Task) -> None:
    """The lifecycle calls on the created task (Prism answers each route with its example)."""
    task.reload()
    print(f"  reload task {task.id}: status={task.status.value} terminal={task.is_terminal} result={task.result!r}")
    with Tasks() as tasks:
        listed = tasks.list(AGENT_ID, filters={"status": "completed"})
        print(
            f"  list   {len(listed)} tasks of {AGENT_ID}: " + ", ".join(f"{i.id[:8]} {i.status.value}" for i in listed)
        )
        print(f"  stop   task {task.id}: status={tasks.stop(task.id).status.value}")


def run_agent(backend: FakeBackend, task_id: str) -> None:
    """The fake's scripted agent: it starts, thinks, calls a tool, then streams its answer in chunks."""
    steps = (
        ("think", {"tool_name": "think", "payload": {"input": {"thought": "Read the report, then sum it up"}}}),
        ("tool_call_request", {"tool_name": "read_file", "payload": {"url": "https://example.com/sales.csv"}}),
        ("tool_call_result", {"tool_name": "read_file", "result": {"rows": 1284}, "is_error": False}),
        ("chunk", "Sales grew 12% "),
        ("chunk", "quarter on quarter, "),
        ("chunk", "led by the EU region."),
    )
    time.sleep(0.15)
    backend.start(task_id)
    for kind, data in steps:
        time.sleep(0.15)
        backend.emit(task_id, kind, data, identity="Sales analyst")
    time.sleep(0.15)
    backend.complete(task_id, result=RESULT)


def describe(event: TaskUpdateEvent) -> str:
    data = event.data
    if isinstance(data, Task):
        return f"status={data.status.value}"
    if isinstance(data, dict):
        detail = data["result"] if "result" in data else data.get("payload")
        return f"{data.get('tool_name', '')} {json.dumps(detail)}"[:80]
    return "" if data is None else repr(data)[:80]


async def follow_events() -> None:
    """Create with events, print each event as it arrives, then wait for the result (the documented code)."""
    async with Tasks() as tasks:
        task = await tasks.acreate(agent_id=AGENT_ID, prompt="Summarize the latest sales report", events_streaming=True)
        print(f"  created task {task.id} ({task.status.value}); its events:")
        agent = threading.Thread(target=run_agent, args=(BACKEND, task.id), daemon=True)
        agent.start()
        started = time.monotonic()
        async for event in task.aevents():
            print(f"    +{time.monotonic() - started:4.2f}s  {event.type.value:<18} {describe(event)}")
        task = await task.await_result(timeout=30)
        print(f"  result ({task.status.value}): {task.result}")
        agent.join(timeout=5)


async def answer_locally(task: Task) -> Task:
    """The demo worker's handler: what an `@on_task` function does."""
    task.result = f"Answered on this machine: {task.input.text}"
    return task


def run_worker() -> None:
    """A worker registered with the fake's controller, and one task created for its agent, run by it."""
    with BACKEND.run_worker(answer_locally, agent_id=WORKER_AGENT_ID, on_boot=(), on_shutdown=()) as worker:
        print(f"\n3. A worker (@on_task) registered with the fake's agent controller as {worker.worker_id}")
        with Tasks() as tasks:
            task = tasks.create(agent_id=WORKER_AGENT_ID, prompt="What is 6 x 7?")
            print(f"  created task {task.id} for {WORKER_AGENT_ID}; the controller dispatches it to the worker")
            done = task.wait(timeout=30)
        print(f"  result ({done.status.value}): {done.result}")
    stats = worker.stats
    print(f"  worker stopped: {stats.completed} completed, {stats.failed} failed, {stats.dispatched} dispatched")


def run_cli() -> int:
    """`xpander-tasks create ... --wait`, the console script, against the same local server."""
    script = Path(sys.executable).with_name("xpander-tasks")
    command = [str(script), "create", AGENT_ID, "Summarize the latest sales report", "--wait", "--timeout", "30"]
    print("  $ xpander-tasks create agent-123 'Summarize the latest sales report' --wait")
    BACKEND.complete_next(result=RESULT, after=0.5)
    done = subprocess.run(  # noqa: S603 - the console script itself; stderr merged to keep the terminal's order
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=False
    )
    for line in done.stdout.splitlines():
        print(f"  {line}")
    print(f"  (exit status {done.returncode})")
    return done.returncode


BACKEND = FakeBackend()
RESULT = "Sales grew 12% quarter on quarter, led by the EU region."


def main() -> int:
    try:
        with run_prism() as url:
            os.environ["XPANDER_BASE_URL"] = url
            os.environ.setdefault("XPANDER_API_KEY", "demo-key")
            print(f"1. Prism is mocking openapi.yaml on {url}")
            show("async", asyncio.run(create_async()))
            created = create_sync()
            show("sync", created)
            follow(created)
        with BACKEND, BACKEND.serve() as url:
            os.environ.update(
                XPANDER_BASE_URL=url, XPANDER_API_KEY=BACKEND.api_key, XPANDER_ORGANIZATION_ID=BACKEND.organization_id
            )
            print(f"\n2. A fake backend (xpander_sdk.testing) with a scripted agent serves the API on {url}")
            asyncio.run(follow_events())
            print()
            if run_cli() != 0:
                return 1
            run_worker()
    except PrismNotAvailable as exc:
        print(exc, file=sys.stderr)
        return 1
    except ModuleException as exc:
        print(f"The demo failed: {exc!r}", file=sys.stderr)
        return 1
    print(
        "\nAgainst the real cloud, run the same code with your key and one of your agents:\n"
        "  XPANDER_API_KEY=... python -c 'from xpander_sdk import Tasks; "
        't = Tasks().create(agent_id="<your-agent-id>", prompt="hi"); print(t.id, t.status.value)\''
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
