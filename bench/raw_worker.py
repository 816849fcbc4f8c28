"""The floor of the worker benchmark: the least a worker can do per task on this machine, in raw aiohttp (no SDK,
no heartbeats, no capacity updates, no checks): read the registration stream, and for each `agent-execution` frame
`json.loads` the task, PATCH it `executing` (the whole task, as both SDKs send it), call the same no-op handler as
`bench/worker_agent.py`, PATCH it `completed`. Tasks run one after another, each to its end, in the order received.
Configured from the same environment variables; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from typing import Any

import aiohttp


def handle(task: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    task["result"] = json.dumps({"delay_s": started - float(task["input"]["text"]), "started": started})
    return task


async def run_task(session: aiohttp.ClientSession, base_url: str, task: dict[str, Any]) -> None:
    url = f"{base_url}/agent-execution/{task['id']}/update"
    task.update(status="executing", result=None)
    async with session.patch(url, data=json.dumps(task), headers={"Content-Type": "application/json"}) as answer:
        task = json.loads(await answer.read())
    task = handle(task)
    task["status"] = "completed"
    async with session.patch(url, data=json.dumps(task), headers={"Content-Type": "application/json"}) as answer:
        await answer.read()


async def main() -> None:
    base_url, organization = os.environ["XPANDER_BASE_URL"], os.environ["XPANDER_ORGANIZATION_ID"]
    url = f"{base_url}/{organization}/events/{os.environ['XPANDER_AGENT_ID']}/?environment=local"
    headers = {"x-api-key": os.environ["XPANDER_API_KEY"]}
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)

    async def listen() -> None:
        async with aiohttp.ClientSession(headers=headers) as session, session.get(url, timeout=None) as stream:
            event = ""
            async for line in stream.content:
                text = line.decode().rstrip("\r\n")
                if text.startswith("event:"):
                    event = text[6:].strip()
                elif text.startswith("data:") and event == "agent-execution":
                    await run_task(session, base_url, json.loads(text[5:]))

    listener = asyncio.ensure_future(listen())
    await asyncio.wait({listener, asyncio.ensure_future(stop.wait())}, return_when=asyncio.FIRST_COMPLETED)
    listener.cancel()


if __name__ == "__main__":
    asyncio.run(main())
