"""The agent of the worker benchmark (`bench.worker_bench`): one script that runs under both SDKs, ours and the
official xpander-sdk 2.0.537. `python bench/worker_agent.py` starts the worker and blocks (ours: `@on_task` on a
function of `__main__`; the official: decorating starts it), configured from the environment (XPANDER_API_KEY,
XPANDER_BASE_URL, XPANDER_ORGANIZATION_ID, XPANDER_AGENT_ID; ours also XPANDER_WORKER_CONCURRENCY).

The handler does no work: at its first line it reads the clock, and it returns the delay from the dispatch
(`bench.controller` puts its `time.monotonic()` at the writing of the dispatch in `input.text`) and its own start
time in the task's result, which the controller reads from the final save.
"""

import json
import time

from xpander_sdk import Task, on_task


@on_task
async def handle(task: Task) -> Task:
    started = time.monotonic()
    try:
        delay: float | None = started - float(task.input.text or "")
    except ValueError:
        delay = None
    task.result = json.dumps({"delay_s": delay, "started": started})
    return task
