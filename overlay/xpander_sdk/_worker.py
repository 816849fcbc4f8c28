"""`Worker`: runs a handler for each task the agent controller dispatches to this process, as the official
`@on_task` worker does, and survives what ends the official one.

    from xpander_sdk import Worker
    worker = Worker(handle, concurrency=16, handler_timeout=600)
    worker.run()                 # until SIGTERM/SIGINT; or `await worker.arun()`, or worker.start() ... worker.stop()

The worker's parts run on one asyncio loop (see `_worker_session`): the registration stream, read and
reconnected through any outage; the heartbeats; and `concurrency` slots fed in order from one queue. This module
is what users hold: the options, checked; the ways to run it (`run` with signals, `arun`, `start`/`stop` on a
thread of its own) and to stop it (a stop with a grace period, a drain). A second signal ends the grace period
at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, NoReturn

from ._checks import (
    check_path_id,
    environment_whole_number,
    port,
    positive_seconds,
    refuse,
    seconds_or_zero,
    whole_number,
)
from ._constants import (
    WORKER_CONCURRENCY,
    WORKER_CONCURRENCY_ENV,
    WORKER_CONFIG_EXIT_STATUS,
    WORKER_GRACE_PERIOD,
    WORKER_HEARTBEAT_INTERVAL,
    WORKER_READ_TIMEOUT,
)
from ._facade import Tasks
from ._worker_run import Handler
from ._worker_session import Hook, WorkerSession, WorkerSettings, WorkerStats
from .configuration import Configuration
from .exceptions import InvalidArgumentError, WorkerError

logger = logging.getLogger("xpander_sdk.worker")
ABANDON_WAIT = 2.0
"""Seconds the tasks left when a worker's loop ends get to end once cancelled (see `run_loop`)."""


class Worker:
    """Runs `handler` for each task the controller dispatches to this worker (see the module docstring).

    `configuration` (default: the environment's) or `tasks` (a `Tasks` whose configuration, connections and
    retries to use); `agent_id` (default: the configuration's, else `XPANDER_AGENT_ID`); `concurrency` tasks at
    once (default: `XPANDER_WORKER_CONCURRENCY`, else 6); `handler_timeout` seconds for one task's handler (None:
    no deadline); `grace_period` seconds a stop lets running handlers finish; `read_timeout` seconds of silence
    after which the stream is reconnected; `on_boot`/`on_shutdown` hooks (None: those registered with
    `@on_boot`/`@on_shutdown`); `invoke_port` starts the `/invoke` server there (0: a free port; None, the default:
    no server), on `invoke_host` (127.0.0.1 by default)."""

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
        invoke_port: int | None = None,
        invoke_host: str = "127.0.0.1",
    ) -> None:
        if not callable(handler):
            raise refuse("handler", "a function that takes the task", handler)
        if tasks is not None and not isinstance(tasks, Tasks):
            raise refuse("tasks", "a Tasks or None", tasks)
        if tasks is not None and configuration is not None:
            raise InvalidArgumentError("tasks", "pass a configuration or tasks, not both (tasks has its own)")
        self.handler = handler
        self._tasks = tasks if tasks is not None else Tasks.on_shared_pool(configuration)
        self.agent_id = check_path_id("agent_id", self._tasks.configuration.agent_id_or_default(agent_id))
        self.concurrency = (
            environment_whole_number(WORKER_CONCURRENCY_ENV, WORKER_CONCURRENCY, 1)
            if concurrency is None
            else whole_number("concurrency", concurrency, 1, "an int >= 1")
        )
        self.handler_timeout = None if handler_timeout is None else positive_seconds("handler_timeout", handler_timeout)
        self.grace_period = seconds_or_zero("grace_period", grace_period)
        self.read_timeout = positive_seconds("read_timeout", read_timeout)
        self.heartbeat_interval = positive_seconds("heartbeat_interval", heartbeat_interval)
        self._hooks = (None if on_boot is None else tuple(on_boot), None if on_shutdown is None else tuple(on_shutdown))
        self.invoke_port = None if invoke_port is None else port("invoke_port", invoke_port)
        if not isinstance(invoke_host, str) or not invoke_host:
            raise refuse("invoke_host", "a host name or address to listen on", invoke_host)
        self.invoke_host = invoke_host
        self.stats = WorkerStats()
        self._run: WorkerSession | None = None
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

    @property
    def error(self) -> BaseException | None:
        """What stopped the worker when it was not asked to stop (a WorkerError: its API key or its agent refused,
        the agent runs elsewhere; an InvalidArgumentError: a connection setting refused here, such as a SOCKS proxy
        on the aiohttp transport); None otherwise. `arun()` and `start()` raise it too."""
        return None if self._run is None else self._run.fatal

    @property
    def invoke_url(self) -> str | None:
        """Where the `/invoke` server listens (`http://127.0.0.1:<port>`), or None without one."""
        server = None if self._run is None else self._run.invoke_server
        return None if server is None else server.url

    @property
    def running(self) -> bool:
        """Whether the worker runs (started, and not yet stopped)."""
        return self._run is not None and not self._run.finished.is_set()

    # -- running ----------------------------------------------------------------------------------------------
    async def arun(self) -> None:
        """Run until stopped (`astop`, `stop`, or a signal under `run()`): the `@on_boot` hooks, then the worker.
        Raises WorkerError when the controller refuses it for good (its API key, its agent), and
        InvalidArgumentError for a configuration it cannot start with (no API key, no organization id)."""
        run = self._run = WorkerSession(self._settings(), self.stats)
        await run.main()

    def _settings(self) -> WorkerSettings:
        return WorkerSettings(
            self.handler,
            self._tasks.requestor,
            self.agent_id,
            self.concurrency,
            self.handler_timeout,
            self.read_timeout,
            self.heartbeat_interval,
            *self._hooks,
            self.invoke_host,
            self.invoke_port,
        )

    def run(self) -> None:
        """Run in this thread until SIGTERM or SIGINT (a second one ends the grace period at once), then return.
        A configuration the controller refuses (or none at all) prints one line on stderr and exits with status
        78 (EX_CONFIG): a supervisor can tell it from a crash and not restart in a loop."""
        try:
            run_loop(self._run_with_signals())
        except (WorkerError, InvalidArgumentError) as error:
            exit_for_configuration(error)

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
        if not run.stopping:
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
        grace = self.grace_period if grace_period is None else seconds_or_zero("grace_period", grace_period)
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
                run_loop(self._run_until_stopped(ready))
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
        run = self._run = WorkerSession(self._settings(), self.stats)
        run.on_registered = ready.set
        await run.main()

    def stop(self, grace_period: float | None = None, *, timeout: float | None = None) -> None:
        """Stop a worker started with `start()` (see `astop`) and wait for its thread (at most `timeout` s)."""
        run, thread = self._run, self._thread
        if run is None or thread is None:
            return
        grace = self.grace_period if grace_period is None else seconds_or_zero("grace_period", grace_period)
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


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """`asyncio.run(main)`, but the tasks still pending at its end (an async handler that ignores its
    cancellation, abandoned at its deadline or at the stop) get ABANDON_WAIT seconds once cancelled, where
    `asyncio.run` would wait for them forever and the process would never exit."""
    if asyncio._get_running_loop() is not None:  # as asyncio.run refuses
        main.close()
        raise RuntimeError("Worker.run() cannot be called from a running event loop: await worker.arun()")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main)
    finally:
        try:
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            if left:
                _, pending = loop.run_until_complete(asyncio.wait(left, timeout=ABANDON_WAIT))
                if pending:
                    logger.warning("%d handler(s) ignored their cancellation: abandoned", len(pending))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def exit_for_configuration(error: WorkerError | InvalidArgumentError) -> NoReturn:
    """End the process for a configuration a worker cannot run with: one line on stderr, status 78."""
    print(f"xpander worker: {error.description}", file=sys.stderr)
    raise SystemExit(WORKER_CONFIG_EXIT_STATUS) from None
