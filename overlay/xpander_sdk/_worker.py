"""`Worker`: runs a handler for each task the agent controller dispatches to this process, as the official
`@on_task` worker does, and survives what ends the official one.

    from xpander_sdk import Worker
    worker = Worker(handle, concurrency=16, handler_timeout=600)
    worker.run()                 # until SIGTERM/SIGINT; or `await worker.arun()`, or worker.start() ... worker.stop()

One asyncio loop holds the worker's parts: the listener (reads the registration stream, reconnecting through
any outage with capped, jittered backoff, for as long as it takes), the heartbeats (about every 2 s, whatever
the handlers do), and `concurrency` slots that take the dispatched tasks in order from one queue (a burst waits
there while the stream is still read). A task dispatched again while it is queued or running, or delivered
again with the same data, is run once. A stop ends the stream first, ends the queued tasks `error`, lets the
running handlers finish within the grace period, ends the others `error` (saying why), saves them, then runs
the `@on_shutdown` hooks. A second signal ends the grace period at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import signal
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import httpx
from attrs import define

from ._checks import environment_whole_number, positive_seconds, refuse, whole_number
from ._constants import (
    CLOUD_WORKER_ENV,
    WORKER_CONCURRENCY,
    WORKER_CONCURRENCY_ENV,
    WORKER_CONFIG_EXIT_STATUS,
    WORKER_GRACE_PERIOD,
    WORKER_HEARTBEAT_INTERVAL,
    WORKER_NEWS_TIMEOUT,
    WORKER_READ_TIMEOUT,
    WORKER_RECONNECT_MAX_DELAY,
    WORKER_REPORT_WINDOW,
)
from ._facade import Tasks
from ._request import CallOptions
from ._retry import RetryPolicy
from ._worker_link import CAPACITY, HEARTBEAT, ControllerLink, Dispatch, Registration, heartbeat_data
from ._worker_run import Handler, RunContext, end_unstarted, run_task
from .configuration import Configuration
from .exceptions import InvalidArgumentError, ModuleException, WorkerError

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


class Worker:
    """Runs `handler` for each task the controller dispatches to this worker (see the module docstring).

    `configuration` (default: the environment's) or `tasks` (a `Tasks` whose configuration, connections and
    retries to use); `agent_id` (default: the configuration's, else `XPANDER_AGENT_ID`); `concurrency` tasks at
    once (default: `XPANDER_WORKER_CONCURRENCY`, else 6); `handler_timeout` seconds for one task's handler (None:
    no deadline); `grace_period` seconds a stop lets running handlers finish; `read_timeout` seconds of silence
    after which the stream is reconnected; `on_boot`/`on_shutdown` hooks (None: those registered with
    `@on_boot`/`@on_shutdown`)."""

    def __init__(
        self,
        handler: Handler,
        *,
        configuration: Configuration | None = None,
        tasks: Tasks | None = None,
        agent_id: str | None = None,
        concurrency: int | None = None,
        handler_timeout: float | None = None,
        grace_period: float = WORKER_GRACE_PERIOD,
        read_timeout: float = WORKER_READ_TIMEOUT,
        heartbeat_interval: float = WORKER_HEARTBEAT_INTERVAL,
        on_boot: Sequence[Hook] | None = None,
        on_shutdown: Sequence[Hook] | None = None,
    ) -> None:
        if not callable(handler):
            raise refuse("handler", "a function that takes the task", handler)
        if tasks is not None and not isinstance(tasks, Tasks):
            raise refuse("tasks", "a Tasks or None", tasks)
        if tasks is not None and configuration is not None:
            raise InvalidArgumentError("tasks", "pass a configuration or tasks, not both (tasks has its own)")
        self.handler = handler
        self._tasks = tasks if tasks is not None else Tasks.on_shared_pool(configuration)
        self.agent_id: str = self._tasks.configuration.agent_id_or_default(agent_id)  # type: ignore[assignment]
        self.concurrency = (
            environment_whole_number(WORKER_CONCURRENCY_ENV, WORKER_CONCURRENCY, 1)
            if concurrency is None
            else whole_number("concurrency", concurrency, 1, "an int >= 1")
        )
        self.handler_timeout = None if handler_timeout is None else positive_seconds("handler_timeout", handler_timeout)
        self.grace_period = _seconds_or_zero("grace_period", grace_period)
        self.read_timeout = positive_seconds("read_timeout", read_timeout)
        self.heartbeat_interval = positive_seconds("heartbeat_interval", heartbeat_interval)
        self._hooks = (None if on_boot is None else list(on_boot), None if on_shutdown is None else list(on_shutdown))
        self.stats = WorkerStats()
        self._run: _Run | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        name = getattr(self.handler, "__qualname__", type(self.handler).__name__)
        return f"Worker(handler={name}, agent_id={self.agent_id!r}, concurrency={self.concurrency})"

    @property
    def configuration(self) -> Configuration:
        return self._tasks.configuration

    @property
    def worker_id(self) -> str | None:
        """The id the controller gave this worker at its latest registration (None before the first)."""
        return None if self._run is None else self._run.link.worker_id

    # -- running ----------------------------------------------------------------------------------------------
    async def arun(self) -> None:
        """Run until stopped (`astop`, `stop`, or a signal under `run()`): the `@on_boot` hooks, then the worker.
        Raises WorkerError when the controller refuses it for good (its API key, its agent), and
        InvalidArgumentError for a configuration it cannot start with (no API key, no organization id)."""
        run = self._run = _Run(self)
        await run.main()

    def run(self) -> None:
        """Run in this thread until SIGTERM or SIGINT (a second one ends the grace period at once), then return.
        A configuration the controller refuses (or none at all) prints one line on stderr and exits with status
        78 (EX_CONFIG): a supervisor can tell it from a crash and not restart in a loop."""
        try:
            asyncio.run(self._run_with_signals())
        except (WorkerError, InvalidArgumentError) as error:
            print(f"xpander worker: {error.description}", file=sys.stderr)
            raise SystemExit(WORKER_CONFIG_EXIT_STATUS) from None

    async def _run_with_signals(self) -> None:
        loop = asyncio.get_running_loop()
        installed = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread; Windows
                loop.add_signal_handler(signum, self._signalled, signum)
                installed.append(signum)
        try:
            await self.arun()
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)

    def _signalled(self, signum: int) -> None:
        run = self._run
        if run is None:
            return
        name = signal.Signals(signum).name
        if run.stopping is None:
            logger.info("%s: stopping (running handlers have %g s to finish)", name, self.grace_period)
            run.request_stop(self.grace_period, reason=name)
        else:
            logger.info("%s again: ending the running handlers now", name)
            run.context.abort.set()

    async def astop(self, grace_period: float | None = None) -> None:
        """Stop taking tasks, end the queued ones, let running handlers finish within `grace_period` (default:
        the worker's), end the others; returns once the worker has stopped."""
        run = self._run
        if run is None:
            return
        grace = self.grace_period if grace_period is None else _seconds_or_zero("grace_period", grace_period)
        run.request_stop(grace, reason="stop()")
        await run.finished.wait()

    async def adrain(self) -> None:
        """Stop taking new tasks, run every task already taken (queued ones too) to its end, then stop."""
        run = self._run
        if run is None:
            return
        run.request_stop(None, reason="drain()")
        await run.finished.wait()

    # -- in a thread of its own -------------------------------------------------------------------------------
    def start(self, *, timeout: float = 10.0) -> None:
        """Run the worker on a thread of its own (its own event loop); returns once it has registered with the
        controller, or raises what stopped it from starting (WorkerError, InvalidArgumentError, a boot hook's
        error), or TimeoutError when `timeout` seconds pass first (it keeps trying to reach the controller:
        `stop()` it)."""
        if self._thread is not None:
            raise InvalidArgumentError("start", "this worker has been started already")
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            try:
                asyncio.run(self._run_until_stopped(ready))
            except BaseException as error:  # handed to the thread that started it
                failure.append(error)
            finally:
                ready.set()

        self._thread = threading.Thread(target=main, name="xpander-worker", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError(f"the worker did not register within {timeout:g} s")
        fatal = failure[0] if failure else None if self._run is None else self._run.fatal
        if fatal is not None:
            raise fatal

    async def _run_until_stopped(self, ready: threading.Event) -> None:
        run = self._run = _Run(self)
        run.on_registered = ready.set
        await run.main()

    def stop(self, grace_period: float | None = None, *, timeout: float | None = None) -> None:
        """Stop a worker started with `start()` (see `astop`) and wait for its thread (at most `timeout` s)."""
        run, thread = self._run, self._thread
        if run is None or thread is None:
            return
        grace = self.grace_period if grace_period is None else _seconds_or_zero("grace_period", grace_period)
        with contextlib.suppress(RuntimeError):  # its loop has closed: it has stopped already
            run.loop.call_soon_threadsafe(run.request_stop, grace, "stop()")
        thread.join(timeout)

    def drain(self, *, timeout: float | None = None) -> None:
        """The sync twin of `adrain`, for a worker started with `start()`."""
        run, thread = self._run, self._thread
        if run is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):
            run.loop.call_soon_threadsafe(run.request_stop, None, "drain()")
        thread.join(timeout)


def _seconds_or_zero(parameter: str, value: object) -> float:
    if value == 0 and not isinstance(value, bool):
        return 0.0
    return positive_seconds(parameter, value)


def environment() -> str:
    """Where the worker says it runs: `xpander` when `IS_XPANDER_CLOUD=true` (the official's switch), else `local`."""
    return "xpander" if os.environ.get(CLOUD_WORKER_ENV, "false") == "true" else "local"


# -- one run of a worker (its loop's objects) ----------------------------------------------------------------------
class _Run:
    """The state of one `arun`: the link, the queue, the slots, the stop; made on the worker's loop."""

    def __init__(self, worker: Worker) -> None:
        self.worker, self.stats = worker, worker.stats
        self.loop = asyncio.get_running_loop()
        requestor = worker._tasks.requestor
        self.link = ControllerLink(
            requestor, worker.agent_id, environment=environment(), read_timeout=worker.read_timeout
        )
        requestor.api_key()  # InvalidArgumentError now, naming api_key, rather than at the first request
        self.context = RunContext(
            worker.handler,
            worker.handler_timeout,
            requestor.options({}, retry_unsafe=True),
            RetryPolicy(max_retries=0, max_delay=WORKER_RECONNECT_MAX_DELAY),
        )
        news_timeout = httpx.Timeout(WORKER_NEWS_TIMEOUT)
        self.news_options = CallOptions(timeout=news_timeout, retry=RetryPolicy(max_retries=0))
        self.queue: asyncio.Queue[Dispatch | None] = asyncio.Queue()
        self.active: set[str] = set()
        self.recent: OrderedDict[str, int] = OrderedDict()
        self.stopping: asyncio.Event | None = None
        self.finished = asyncio.Event()
        self.fatal: BaseException | None = None
        self.on_registered: Callable[[], None] = lambda: None
        self.background: set[asyncio.Task[Any]] = set()
        self._stop_request: tuple[float | None, str] | None = None
        self._stop_requested = asyncio.Event()

    async def main(self) -> None:
        try:
            await _run_hooks(self.worker._hooks[0], "boot")
            parts = [self._spawn(self.listen()), self._spawn(self.heartbeats())]
            slots = [self._spawn(self.slot()) for _ in range(self.worker.concurrency)]
            await self._stop_requested.wait()
            await self.shutdown(parts, slots)
        finally:
            self.finished.set()
        if self.fatal is not None:
            raise self.fatal

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        return asyncio.ensure_future(work)

    def request_stop(self, grace: float | None, reason: str) -> None:
        """Start stopping (once): `grace` seconds for the running handlers (None: drain, without limit)."""
        if self.stopping is not None:
            return
        self.stopping = asyncio.Event()
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
                failures, why = 0, "the controller closed the stream"
            except WorkerError as error:
                self._fail(error)
                return
            except ModuleException as error:
                failures += 1
                why = str(error)
            delay = self.context.report_retry.backoff(max(failures, 1))
            log = logger.warning if failures in (1, 5) or failures % 50 == 0 else logger.info
            log("Controller unreachable or stream ended (%s); reconnecting in %.1f s (try %d)", why, delay, failures)
            await asyncio.sleep(delay)

    def _on_message(self, message: Any, failures: int) -> int:
        item = self.link.read(message)
        if isinstance(item, Registration):
            self.stats.registrations += 1
            logger.info("Registered with the controller as worker %s (agent %s)", item.worker_id, self.worker.agent_id)
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
        logger.error("%s", error)
        self.fatal = error
        self.on_registered()  # a thread waiting in start() learns of it
        self.request_stop(0.0, reason="a fatal error")

    # -- news -----------------------------------------------------------------------------------------------------
    async def heartbeats(self) -> None:
        """A heartbeat every `heartbeat_interval` once registered; a failure is logged (once per streak)."""
        failing = False
        while True:
            await asyncio.sleep(self.worker.heartbeat_interval)
            try:
                await self.link.asend(HEARTBEAT, heartbeat_data(), self.news_options)
            except ModuleException as error:
                if not failing:
                    logger.warning("Heartbeats are failing (%s); still trying", error)
                failing = True
                continue
            if failing:
                logger.info("Heartbeats go through again")
            failing = False

    def tell_capacity(self, busy: bool) -> None:
        """A capacity update, sent in the background (a failure is logged, the task goes on)."""

        async def send() -> None:
            try:
                await self.link.asend(CAPACITY, {"is_busy": busy}, self.news_options)
            except ModuleException as error:
                logger.warning("A capacity update (is_busy=%s) failed: %s", busy, error)

        news = asyncio.ensure_future(send())
        self.background.add(news)
        news.add_done_callback(self.background.discard)

    # -- the slots --------------------------------------------------------------------------------------------------
    async def slot(self) -> None:
        """Take the next dispatched task and run it, until a None (the stop) comes out of the queue."""
        while True:
            dispatch = await self.queue.get()
            if dispatch is None:
                return
            self.stats.queued -= 1
            self.stats.running += 1
            if self.stats.running == self.worker.concurrency:
                self.tell_capacity(True)
            try:
                status = await run_task(dispatch.task, self.context)
            finally:
                self.stats.running -= 1
                self.active.discard(dispatch.task.id)
            self._count(status)
            if self.stats.running < self.worker.concurrency and self.stopping is None:
                self.tell_capacity(False)

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
        for part in parts:
            part.cancel()
        await asyncio.gather(*parts, return_exceptions=True)
        if grace is not None:
            await self._end_queued()
        for _ in slots:
            self.queue.put_nowait(None)
        await asyncio.wait(slots, timeout=grace)
        if any(not slot.done() for slot in slots):
            self.context.abort.set()
            await asyncio.wait(slots, timeout=WORKER_REPORT_WINDOW)
        self.context.final.set()
        await asyncio.wait(slots, timeout=2.0)
        for slot in slots:
            slot.cancel()
        if self.background:
            await asyncio.wait(self.background, timeout=2.0)
        await _run_hooks(self.worker._hooks[1], "shutdown")
        logger.info("Worker stopped")

    async def _end_queued(self) -> None:
        """End the tasks taken but not started (`error`, saying the worker stopped), within the report window."""
        ended = []
        while not self.queue.empty():
            dispatch = self.queue.get_nowait()
            if dispatch is not None:
                self.stats.queued -= 1
                self.stats.failed += 1
                ended.append(end_unstarted(dispatch.task, self.context))
        if ended:
            logger.info("Ending %d queued task(s) that did not start", len(ended))
            done = asyncio.gather(*ended, return_exceptions=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done, WORKER_REPORT_WINDOW)


async def _run_hooks(hooks: list[Hook] | None, kind: str) -> None:
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
