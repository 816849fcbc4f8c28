"""One run of a worker (`Worker.arun`): the objects of its event loop and the parts that run there.

The listener reads the registration stream for as long as the worker runs, reconnecting through any outage with
capped, jittered backoff (the one retry rule's `RetryPolicy.backoff`); the heartbeats go every
`heartbeat_interval`, whatever the handlers do; `concurrency` slots take the dispatched tasks in order from one
queue (a burst waits there while the stream is still read). A task dispatched again while it is queued or
running, delivered again with the same data, or already finished, is run once. The stop ends the stream first,
ends the queued tasks `error`, lets the running handlers finish within the grace period, ends the others
`error` (saying why), saves them, then runs the shutdown hooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import httpx
from attrs import define, frozen

from ._constants import (
    CLOUD_WORKER_ENV,
    WORKER_NEWS_TIMEOUT,
    WORKER_RECONNECT_MAX_DELAY,
    WORKER_REPORT_WINDOW,
)
from ._invoke_server import InvokeServer
from ._request import CallOptions
from ._requestor import Requestor
from ._retry import RetryPolicy
from ._task_model import Task
from ._worker_link import CAPACITY, HEARTBEAT, ControllerLink, Dispatch, Registration, heartbeat_data
from ._worker_run import Handler, RunContext, end_unstarted, run_task
from .exceptions import InvalidArgumentError, ModuleException, WorkerError
from .models import AgentExecutionStatus

logger = logging.getLogger("xpander_sdk.worker")

Hook = Callable[[], Any]
"""An `@on_boot` or `@on_shutdown` function: sync or async, without arguments."""
RECENT_DISPATCHES = 4096
"""How many finished dispatches a worker remembers, to run a repeated delivery once."""
BOOT_HOOKS: list[Hook] = []
"""The `@on_boot` functions, in the order registered: what a Worker made without `on_boot` runs."""
SHUTDOWN_HOOKS: list[Hook] = []
"""The `@on_shutdown` functions, in the order registered."""


@define
class WorkerStats:
    """What a worker has done since it started."""

    registrations: int = 0
    dispatched: int = 0
    duplicates: int = 0
    """Dispatches of a task already queued or running, or delivered again with the same data: not run again."""
    skipped: int = 0
    """Dispatches whose data is not a task (each logged as a warning)."""
    completed: int = 0
    failed: int = 0
    """Tasks that ended `error` (the handler raised, passed its deadline, or the worker stopped)."""
    not_run: int = 0
    """Tasks the API would not mark `executing` (gone, or not this worker's)."""
    running: int = 0
    queued: int = 0


@frozen
class WorkerSettings:
    """What one run of a worker is made of (a `Worker`'s checked arguments, as they are when it starts)."""

    handler: Handler
    requestor: Requestor
    agent_id: str
    concurrency: int
    handler_timeout: float | None
    read_timeout: float
    heartbeat_interval: float
    on_boot: Sequence[Hook] | None
    on_shutdown: Sequence[Hook] | None
    invoke_host: str
    invoke_port: int | None


def environment() -> str:
    """Where the worker says it runs: `xpander` when `IS_XPANDER_CLOUD=true` (the official's switch), else `local`."""
    return "xpander" if os.environ.get(CLOUD_WORKER_ENV, "false") == "true" else "local"


class WorkerSession:
    """The state of one `arun`: the link, the queue, the slots, the stop; made on the worker's loop."""

    def __init__(self, settings: WorkerSettings, stats: WorkerStats) -> None:
        self.settings, self.stats = settings, stats
        self.loop = asyncio.get_running_loop()
        requestor = settings.requestor
        self.link = ControllerLink(
            requestor, settings.agent_id, environment=environment(), read_timeout=settings.read_timeout
        )
        requestor.api_key()  # InvalidArgumentError now, naming api_key, rather than at the first request
        self.context = RunContext(
            settings.handler,
            settings.handler_timeout,
            requestor.options({}, retry_unsafe=True),
            RetryPolicy(max_retries=0, max_delay=WORKER_RECONNECT_MAX_DELAY),
        )
        news_timeout = httpx.Timeout(WORKER_NEWS_TIMEOUT)
        self.news_options = CallOptions(timeout=news_timeout, retry=RetryPolicy(max_retries=0))
        self.queue: asyncio.Queue[Dispatch | None] = asyncio.Queue()
        self.active: set[str] = set()
        self.recent: OrderedDict[str, int] = OrderedDict()
        self.stopping = False
        self.finished = asyncio.Event()
        self.fatal: BaseException | None = None
        self.on_registered: Callable[[], None] = lambda: None
        self.registered = asyncio.Event()
        self.fresh_registration = asyncio.Event()
        self.capacity_updates: asyncio.Queue[bool] = asyncio.Queue()
        self.invoke_server: InvokeServer | None = None
        self._stop_request: tuple[float | None, str] | None = None
        self._stop_requested = asyncio.Event()

    async def main(self) -> None:
        """The boot hooks, the parts, and the stop once asked for. Cancelled (Ctrl-C under `asyncio.run`, an app
        cancelling the worker's task), it stops without a grace period: see `_stop_cancelled`."""
        spawned: list[asyncio.Task[None]] = []
        try:
            await _run_hooks(self.settings.on_boot, "boot")
            await self._start_invoke_server()
            parts = [self._spawn(work, spawned) for work in (self.listen(), self.heartbeats(), self.capacity_news())]
            slots = [self._spawn(self.slot(), spawned) for _ in range(self.settings.concurrency)]
            await self._stop_requested.wait()
            await self.shutdown(parts, slots)
        except asyncio.CancelledError:
            await self._stop_cancelled(spawned, len(spawned) - self.settings.concurrency)
            raise
        finally:
            self.finished.set()
        if self.fatal is not None:
            raise self.fatal

    async def _stop_cancelled(self, spawned: list[asyncio.Task[None]], parts: int) -> None:
        """The stop of a cancelled run: no grace period, but the running and queued tasks are still ended and
        saved within the report window (never left `executing`), and the shutdown hooks run; cancelled again, it
        cancels everything at once."""
        try:
            if spawned and not self.context.final.is_set():  # started, and its stop has not saved the tasks yet
                self.request_stop(0.0, reason="cancelled")
                self._stop_request = (0.0, "cancelled")  # a stop under way loses what is left of its grace period
                await self.shutdown(spawned[:parts], spawned[parts:])  # the listener, heartbeats, news; the slots
        finally:
            for part in spawned:
                part.cancel()
            await asyncio.gather(*spawned, return_exceptions=True)

    @staticmethod
    def _spawn(work: Coroutine[Any, Any, None], spawned: list[asyncio.Task[None]]) -> asyncio.Task[None]:
        part = asyncio.ensure_future(work)
        spawned.append(part)
        return part

    def request_stop(self, grace: float | None, reason: str) -> None:
        """Start stopping: `grace` seconds for the running handlers (None: drain, without limit). Asked again while
        stopping (a stop after a drain), the running handlers are ended `grace` seconds from now at the latest."""
        if self.stopping:
            if grace is not None:
                self.loop.call_later(grace, self.context.abort.set)
            return
        self.stopping = True
        self._stop_request = (grace, reason)
        self._stop_requested.set()

    # -- the listener -------------------------------------------------------------------------------------------
    async def listen(self) -> None:
        """Read the registration stream for as long as the worker runs, reconnecting through any outage."""
        failures = 0
        while True:
            try:
                async for message in self.link.amessages():
                    failures = self._on_message(message, failures)
                failures, why = failures + 1, "the controller closed the stream"  # a registration resets it
            except (WorkerError, InvalidArgumentError) as error:  # refused for good, by the controller or here
                self._fail(error)
                return
            except ModuleException as error:
                failures += 1
                why = str(error)
            except Exception as error:  # a fault of this SDK: logged, and the stream opened again (never a silent end)
                logger.exception("The worker's stream failed unexpectedly (%s)", type(error).__name__)
                failures += 1
                why = type(error).__name__
            delay = self.context.backoff.backoff(failures)
            log = logger.warning if failures in (1, 5) or failures % 50 == 0 else logger.info
            log("Controller unreachable or stream ended (%s); reconnecting in %.1f s (try %d)", why, delay, failures)
            await asyncio.sleep(delay)

    def _on_message(self, message: Any, failures: int) -> int:
        item = self.link.read(message)
        if isinstance(item, Registration):
            self.stats.registrations += 1
            self.registered.set()
            self.fresh_registration.set()
            agent_id = self.settings.agent_id
            logger.info("Registered with the controller as worker %s (agent %s)", item.worker_id, agent_id)
            self.on_registered()
            return 0
        if isinstance(item, Dispatch):
            self._accept(item)
        self.stats.skipped = self.link.skipped
        return failures

    def _accept(self, dispatch: Dispatch) -> None:
        """Queue a dispatched task, unless it is queued or running already, was delivered before with the same
        data, or has finished (a controller's redelivery): each counted as a duplicate, run once."""
        task = dispatch.task
        task_id = task.id
        if task_id in self.active or self.recent.get(task_id) == dispatch.key or task.is_terminal:
            self.stats.duplicates += 1
            logger.info("Task %s dispatched again (%s): it is run once", task_id, task.status.value)
            return
        self.stats.dispatched += 1
        self.active.add(task_id)
        self.recent[task_id] = dispatch.key
        self.recent.move_to_end(task_id)
        if len(self.recent) > RECENT_DISPATCHES:
            self.recent.popitem(last=False)
        self.stats.queued += 1
        self.queue.put_nowait(dispatch)

    def _fail(self, error: BaseException) -> None:
        """Stop for an error waiting cannot fix; `arun` raises it (and `run` prints it as its one line)."""
        logger.debug("Stopping: %s", error)
        self.fatal = error
        self.on_registered()  # a thread waiting in start() learns of it
        self.request_stop(0.0, reason="a fatal error")

    # -- the /invoke server -------------------------------------------------------------------------------------------
    async def _start_invoke_server(self) -> None:
        settings = self.settings
        if settings.invoke_port is None:
            return
        requestor = settings.requestor
        server = InvokeServer(
            settings.invoke_host,
            settings.invoke_port,
            requestor.api_key(),
            lambda data: Task.from_dict(data).bind(requestor),
            self.invoke,
        )
        await server.start()
        self.invoke_server = server

    async def invoke(self, task: Task) -> Task | None:
        """Run a task sent to `/invoke` as a dispatched one is run (None: it runs here already)."""
        if task.id in self.active:
            return None
        self.active.add(task.id)
        self.stats.running += 1
        try:
            self._count(await run_task(task, self.context))
        finally:
            self.stats.running -= 1
            self.active.discard(task.id)
        return task

    # -- news -----------------------------------------------------------------------------------------------------
    async def heartbeats(self) -> None:
        """A heartbeat at each registration, as the official, then every `heartbeat_interval`; a failure is logged
        (once per streak) and the next one goes on time."""
        failing = False
        await self.registered.wait()
        while True:
            failing = await self._beat(failing)
            self.fresh_registration.clear()
            with contextlib.suppress(TimeoutError):  # a new registration: its first heartbeat at once
                await asyncio.wait_for(self.fresh_registration.wait(), self.settings.heartbeat_interval)

    async def _beat(self, failing: bool) -> bool:
        """One heartbeat; whether heartbeats are failing now."""
        try:
            await self.link.asend(HEARTBEAT, heartbeat_data(), self.news_options)
        except Exception as error:  # a ModuleException, or a fault of this SDK: the heartbeats go on
            if not failing:
                logger.warning("Heartbeats are failing (%s); still trying", error, exc_info=_unexpected(error))
            return True
        if failing:
            logger.info("Heartbeats go through again")
        return False

    def tell_capacity(self, busy: bool) -> None:
        """A capacity update, sent by `capacity_news` in the order told (a failure is logged, the task goes on)."""
        self.capacity_updates.put_nowait(busy)

    async def capacity_news(self) -> None:
        while True:
            busy = await self.capacity_updates.get()
            try:
                await self.link.asend(CAPACITY, {"is_busy": busy}, self.news_options)
            except Exception as error:  # a ModuleException, or a fault of this SDK
                logger.warning("A capacity update (is_busy=%s) failed: %s", busy, error, exc_info=_unexpected(error))

    # -- the slots --------------------------------------------------------------------------------------------------
    async def slot(self) -> None:
        """Take the next dispatched task and run it, until a None (the stop) comes out of the queue."""
        while True:
            dispatch = await self.queue.get()
            if dispatch is None:
                return
            self.stats.queued -= 1
            self.stats.running += 1
            busy = self._busy if self.stats.running == self.settings.concurrency else _nothing
            try:  # busy once the task is saved `executing`: its save goes first, the handler starts sooner
                status = await run_task(dispatch.task, self.context, busy)
            except Exception:  # a fault of this SDK must not cost a slot (run_task ends every task it can)
                logger.exception("Task %s: the worker failed running it", dispatch.task.id)
                status = AgentExecutionStatus.Error
            finally:
                self.stats.running -= 1
                self.active.discard(dispatch.task.id)
            self._count(status)
            if self.stats.running < self.settings.concurrency and not self.stats.queued and not self.stopping:
                self.tell_capacity(False)  # free again (not when a waiting task takes the slot at once: official)

    def _busy(self) -> None:
        self.tell_capacity(True)

    def _count(self, status: Any) -> None:
        if status is None:
            self.stats.not_run += 1
        elif status.value == "completed":
            self.stats.completed += 1
        else:
            self.stats.failed += 1

    # -- the stop ---------------------------------------------------------------------------------------------------
    async def shutdown(self, parts: list[asyncio.Task[None]], slots: list[asyncio.Task[None]]) -> None:
        grace, reason = self._stop_request or (0.0, "stop")
        logger.info("Worker stopping (%s)", reason)
        if self.invoke_server is not None:
            await self.invoke_server.close()
        for part in parts:
            part.cancel()
        await asyncio.gather(*parts, return_exceptions=True)
        unstarted = self._take_queued() if grace is not None else []
        ending = asyncio.ensure_future(self._end_unstarted(unstarted))  # alongside the grace period
        for _ in slots:
            self.queue.put_nowait(None)
        await asyncio.wait(slots, timeout=grace)
        if any(not slot.done() for slot in slots):
            self.context.abort.set()
            await asyncio.wait(slots, timeout=WORKER_REPORT_WINDOW)
        await ending
        self.context.final.set()
        await asyncio.wait(slots, timeout=2.0)
        for slot in slots:
            slot.cancel()
        await _run_hooks(self.settings.on_shutdown, "shutdown")
        logger.info("Worker stopped")

    def _take_queued(self) -> list[Task]:
        """The tasks taken but not started, out of the queue (before a slot can take one)."""
        unstarted = []
        while not self.queue.empty():
            dispatch = self.queue.get_nowait()
            if dispatch is not None:
                self.stats.queued -= 1
                self.stats.failed += 1
                unstarted.append(dispatch.task)
        return unstarted

    async def _end_unstarted(self, unstarted: list[Task]) -> None:
        """End them `error`, saying the worker stopped, within the report window."""
        if unstarted:
            logger.info("Ending %d queued task(s) that did not start", len(unstarted))
            done = asyncio.gather(*(end_unstarted(task, self.context) for task in unstarted), return_exceptions=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done, WORKER_REPORT_WINDOW)


def _nothing() -> None:
    pass


async def _run_hooks(hooks: Sequence[Hook] | None, kind: str) -> None:
    """Run the hooks in order: boot hooks raise (the worker does not start), shutdown hooks' errors are logged."""
    for hook in list(BOOT_HOOKS if kind == "boot" else SHUTDOWN_HOOKS) if hooks is None else hooks:
        try:
            result = hook()
            if inspect.isawaitable(result):
                await result
        except Exception:
            if kind == "boot":
                raise
            logger.exception("An @on_shutdown hook failed")


def _unexpected(error: Exception) -> Exception | None:
    """`error` when it is no ModuleException (a fault of this SDK, logged with its traceback), else None."""
    return None if isinstance(error, ModuleException) else error
