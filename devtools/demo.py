"""`make demo`: create a task against a local Prism mock of openapi.yaml, with the async and the sync call, then
follow it (reload, list, stop).

Runs the documented code unchanged; only the environment points it at the mock.
"""

from __future__ import annotations

import asyncio
import os
import sys

from devtools.prism import PrismNotAvailable, run_prism
from xpander_sdk import ModuleException, Task, Tasks

AGENT_ID = "agent-123"


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


def main() -> int:
    try:
        with run_prism() as url:
            os.environ["XPANDER_BASE_URL"] = url
            os.environ.setdefault("XPANDER_API_KEY", "demo-key")
            print(f"Prism is mocking openapi.yaml on {url}")
            show("async", asyncio.run(create_async()))
            created = create_sync()
            show("sync", created)
            follow(created)
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
