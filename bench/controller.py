"""The fake agent controller of the worker benchmark (`bench.worker_bench`): an aiohttp server on 127.0.0.1 in a
process of its own (so it shares no GIL with the worker being measured), speaking the controller's side of the
worker protocol (reference xpander-worker.md §2-§5) for one worker at a time:

- `GET /{org}/events/{agent_id}/`: the registration stream (SSE). It answers `worker-registration` with a worker
  id at once, then writes each dispatch as an `agent-execution` frame holding a whole Task (the full fixture
  task, tests/fixtures/task-response-full.json, with a new id, `pending`) whose `input.text` is the controller's
  `time.monotonic()` taken just before the frame is written (CLOCK_MONOTONIC is system-wide on Linux, so the
  worker's handler can subtract it from its own).
- `POST /{org}/events/{worker_id}`: heartbeats and capacity updates (answered `{}`).
- `PATCH /agent-execution/{id}/update`: answered with the body it got; a save whose status is not `executing`
  ends the task.
- `GET /agent-execution/{id}/status`: the task as last saved (the official worker reads it after each task).
- `POST /agents-metrics/{agent_id}/execution`: answered `{}`.

The benchmark drives it over `/_bench/*` on the same port (never used by the worker):

- `GET /_bench/state`: registrations so far, whether a stream is open, the requests of each kind so far and the
  controller's CPU seconds.
- `POST /_bench/run` with `{"tasks": N, "concurrency": C, "gap_ms": G, "records": bool, "timeout": s}`: dispatch N
  tasks keeping C outstanding (a new one as each final save arrives, G ms later when G > 0); answers when the
  last final save arrived (or at the timeout) with the wall time, every request received in that window by kind,
  the client connections seen in it, the controller's CPU, and with `records` each task's times: written,
  `executing` save received, handler started (the worker's clock, from the task's result), final save received.

It prints its port on the first line of stdout and stops when its stdin closes, on SIGTERM, or after
`--lifetime` seconds (as `bench.server`, so `devtools.child.child_server` runs it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import resource
import signal
import sys
import time
from collections import Counter
from typing import Any

from aiohttp import web

from bench.server import HOST, TASK_JSON

ORGANIZATION_ID = "org-bench"
AGENT_ID = "agent-bench"
DEFAULT_LIFETIME = 1800.0
ID_MARK, STAMP_MARK = "@@TASK-ID@@", "@@STAMP@@"
FINAL = frozenset({"completed", "error", "failed", "stopped"})
JSON_HEADERS = {"Content-Type": "application/json"}
EMPTY = b"{}"


def dispatch_template() -> tuple[bytes, bytes, bytes]:
    """The `agent-execution` frame cut around its two holes (the task id, the stamp): the full fixture task,
    `pending`, plain text output, without a result, serialised once."""
    task = json.loads(TASK_JSON.read_text())
    task.update(id=ID_MARK, agent_id=AGENT_ID, organization_id=ORGANIZATION_ID, status="pending")
    task.update(result=None, output_format="text", events_streaming=False, tokens=None, used_tools=[])
    task["input"]["text"] = STAMP_MARK
    frame = b"event: agent-execution\ndata: " + json.dumps(task, separators=(",", ":")).encode() + b"\n\n"
    head, rest = frame.split(ID_MARK.encode(), 1)
    middle, tail = rest.split(STAMP_MARK.encode(), 1)
    return head, middle, tail


def registration_frame(worker_id: str) -> bytes:
    """A `worker-registration` frame with the deployed asset the official worker parses (`DeployedAsset`)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    asset = {
        "id": worker_id,
        "name": f"bench-{worker_id}",
        "organization_id": ORGANIZATION_ID,
        "type": "worker",
        "created_at": now,
        "created_by": None,
        "last_heartbeat": now,
        "dedicated_agent_id": AGENT_ID,
        "parent_asset_id": None,
        "is_busy": False,
    }
    return b"event: worker-registration\ndata: " + json.dumps(asset).encode() + b"\n\n"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Run:
    """One measured batch of dispatches."""

    def __init__(self, tasks: int, concurrency: int, gap_ms: float) -> None:
        self.tasks, self.concurrency, self.gap = tasks, concurrency, gap_ms / 1000
        self.dispatched = self.finished = self.errors = 0
        self.times: dict[str, list[float]] = {}
        """Per task id: [written, executing save received, handler started, final save received]."""
        self.saved: dict[str, bytes] = {}
        self.done = asyncio.Event()


class Controller:
    def __init__(self) -> None:
        self.head, self.middle, self.tail = dispatch_template()
        self.queue: asyncio.Queue[str] | None = None
        self.registrations = 0
        self.worker_ids = itertools.count(1)
        self.task_ids = itertools.count(1)
        self.counts: Counter[str] = Counter()
        self.peers: set[Any] = set()
        self.run: Run | None = None

    def count(self, request: web.Request, kind: str) -> None:
        self.counts[kind] += 1
        transport = request.transport
        if transport is not None:
            self.peers.add(transport.get_extra_info("peername"))

    # -- the worker's side ----------------------------------------------------------------------------------------
    async def register(self, request: web.Request) -> web.StreamResponse:
        self.count(request, "register")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
        await response.prepare(request)
        await response.write(registration_frame(f"w-{next(self.worker_ids)}"))
        queue: asyncio.Queue[str] = asyncio.Queue()
        self.close_stream()  # a new registration replaces the worker's previous stream
        self.queue = queue
        self.registrations += 1
        try:
            while True:
                task_id = await queue.get()
                if not task_id:
                    break
                stamp = time.monotonic()
                await response.write(b"".join((self.head, task_id.encode(), self.middle, b"%.9f" % stamp, self.tail)))
                run = self.run
                if run is not None and task_id in run.times:
                    run.times[task_id][0] = stamp
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if self.queue is queue:
                self.queue = None
        return response

    def close_stream(self) -> None:
        """End the open registration stream's handler (its worker may be gone: aiohttp does not cancel it)."""
        if self.queue is not None:
            self.queue.put_nowait("")
            self.queue = None

    async def news(self, request: web.Request) -> web.Response:
        try:
            event = (await request.json()).get("event", "")
        except (ValueError, AttributeError):
            event = ""
        kind = {"worker-heartbeat": "heartbeat", "worker-capacity-update": "capacity"}.get(event, "news-other")
        self.count(request, kind)
        return web.Response(body=EMPTY, headers=JSON_HEADERS)

    async def update(self, request: web.Request) -> web.Response:
        received = time.monotonic()
        body = await request.read()
        task_id = request.match_info["task_id"]
        saved = json.loads(body)
        status = saved.get("status")
        final = status in FINAL
        self.count(request, "save-final" if final else f"save-{status}")
        run = self.run
        times = run.times.get(task_id) if run is not None else None
        if run is not None and times is not None:
            run.saved[task_id] = body
            if not final:
                times[1] = received
            elif times[3] == 0.0:
                times[3] = received
                times[2] = _handler_started(saved.get("result"))
                self._finished(run, status)
        return web.Response(body=body, headers=JSON_HEADERS)

    def _finished(self, run: Run, status: str) -> None:
        run.finished += 1
        run.errors += status != "completed"
        if run.finished >= run.tasks:
            run.done.set()
        elif run.dispatched < run.tasks:
            if run.gap > 0:
                asyncio.get_running_loop().call_later(run.gap, self.dispatch, run)
            else:
                self.dispatch(run)

    async def status(self, request: web.Request) -> web.Response:
        self.count(request, "status")
        task_id = request.match_info["task_id"]
        run = self.run
        body = run.saved.get(task_id) if run is not None else None
        if body is None:
            frame = b"".join((self.head, task_id.encode(), self.middle, b"0", self.tail))
            body = frame.split(b"data: ", 1)[1].strip()
        return web.Response(body=body, headers=JSON_HEADERS)

    async def metrics(self, request: web.Request) -> web.Response:
        self.count(request, "metrics")
        return web.Response(body=EMPTY, headers=JSON_HEADERS)

    async def other(self, request: web.Request) -> web.Response:
        self.count(request, f"other {request.method}")
        return web.Response(status=404, body=b'{"detail":"not found"}', headers=JSON_HEADERS)

    # -- the benchmark's side -------------------------------------------------------------------------------------
    def dispatch(self, run: Run) -> None:
        if self.run is not run or self.queue is None or run.dispatched >= run.tasks:
            return
        task_id = f"bench-{next(self.task_ids):07d}"
        run.times[task_id] = [0.0, 0.0, 0.0, 0.0]
        run.dispatched += 1
        self.queue.put_nowait(task_id)

    async def state(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "registrations": self.registrations,
                "stream_open": self.queue is not None,
                "requests": dict(self.counts),
                "cpu_s": cpu_seconds(),
            }
        )

    async def start_run(self, request: web.Request) -> web.Response:
        spec = await request.json()
        if self.queue is None:
            return web.json_response({"error": "no worker is registered"}, status=409)
        run = self.run = Run(int(spec["tasks"]), int(spec["concurrency"]), float(spec.get("gap_ms", 0)))
        self.counts.clear()
        self.peers.clear()
        cpu, started = cpu_seconds(), time.monotonic()
        for _ in range(min(run.concurrency, run.tasks)):
            self.dispatch(run)
        timed_out = False
        try:
            await asyncio.wait_for(run.done.wait(), float(spec.get("timeout", 600)))
        except TimeoutError:
            timed_out = True
        wall = time.monotonic() - started
        result: dict[str, Any] = {
            "tasks": run.tasks,
            "concurrency": run.concurrency,
            "dispatched": run.dispatched,
            "finished": run.finished,
            "errors": run.errors,
            "timed_out": timed_out,
            "wall_s": wall,
            "per_s": run.finished / wall if wall > 0 else 0.0,
            "requests": dict(self.counts),
            "connections": len(self.peers),
            "controller_cpu_s": cpu_seconds() - cpu,
        }
        if spec.get("records"):
            result["records"] = [times for times in run.times.values() if times[3]]
        self.run = None
        return web.json_response(result)


def _handler_started(result: object) -> float:
    """The handler's start on the worker's clock, from the result `bench/worker_agent.py` sets (0.0: none)."""
    try:
        return float(json.loads(result)["started"])  # type: ignore[arg-type]
    except (TypeError, ValueError, KeyError):
        return 0.0


def application(controller: Controller) -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_get("/_bench/state", controller.state)
    app.router.add_post("/_bench/run", controller.start_run)
    app.router.add_get(f"/{ORGANIZATION_ID}/events/{{agent_id}}/", controller.register)
    app.router.add_get(f"/{ORGANIZATION_ID}/events/{{agent_id}}", controller.register)
    app.router.add_post(f"/{ORGANIZATION_ID}/events/{{worker_id}}", controller.news)
    app.router.add_patch("/agent-execution/{task_id}/update", controller.update)
    app.router.add_get("/agent-execution/{task_id}/status", controller.status)
    app.router.add_post("/agents-metrics/{agent_id}/execution", controller.metrics)
    app.router.add_route("*", "/{tail:.*}", controller.other)
    return app


async def serve(lifetime: float) -> None:
    controller = Controller()
    runner = web.AppRunner(application(controller), access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0, backlog=1024)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    stdin = sys.stdin.fileno()

    def stdin_readable() -> None:
        if not os.read(stdin, 4096):
            loop.remove_reader(stdin)
            stop.set()

    with contextlib.suppress(OSError, ValueError, PermissionError, NotImplementedError):
        loop.add_reader(stdin, stdin_readable)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), lifetime)
    controller.close_stream()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME, help="stop after this many seconds")
    args = parser.parse_args()
    asyncio.run(serve(args.lifetime))


if __name__ == "__main__":
    main()
