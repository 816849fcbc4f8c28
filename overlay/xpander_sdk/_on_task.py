"""`@on_task`, `@on_boot` and `@on_shutdown`: the official decorators of agent code.

    from xpander_sdk import Task, on_task

    @on_task
    async def handle(task: Task) -> Task:          # a plain `def` works too (run on a thread)
        task.result = "answer to " + task.input.text
        return task

`python agent.py` runs the worker, as with the official SDK: `@on_task` on a function of the script being run
(`__main__`) starts it at once and blocks there until SIGTERM/SIGINT, then exits the process (0, or 78 for a
configuration the controller refuses). Unlike the official SDK, `@on_task` on a function of a module that is
imported (by a test, by `xpander-tasks worker module:function`) only registers it: importing agent code never
starts a worker, never blocks, and never opens a socket. `XPANDER_WORKER_AUTOSTART=false` keeps even the script
from starting it. Under a running event loop (a notebook) the worker is started as a task of that loop.

`@on_boot` functions run before the worker starts (one that raises stops it from starting), `@on_shutdown`
functions after it stopped; both may be sync or async and are registered process-wide, in order, as in the
official SDK: define them above `@on_task` in a script, since the worker starts at `@on_task`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar, overload

from ._checks import refuse
from ._constants import WORKER_AUTOSTART_ENV
from ._worker import Worker, exit_for_configuration
from ._worker_session import BOOT_HOOKS, SHUTDOWN_HOOKS, Hook
from .configuration import Configuration
from .exceptions import InvalidArgumentError

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("xpander_sdk.worker")

_HANDLERS: dict[tuple[str, str], tuple[Callable[..., Any], Configuration | None, dict[str, Any]]] = {}
"""The handlers `@on_task` registered, by module and name, with the configuration and the Worker options each was
given."""
WORKER_OPTIONS = frozenset(inspect.signature(Worker).parameters) - {"handler", "configuration", "tasks"}
"""The options `@on_task` takes for the worker (the `Worker`'s keyword arguments)."""
_STARTED: set[asyncio.Task[None]] = set()
"""Workers started under a running loop (a notebook): kept until they end."""


@overload
def on_task(_func: F, *, configuration: Configuration | None = None, test_task: object = None, **options: Any) -> F: ...
@overload
def on_task(
    _func: None = None, *, configuration: Configuration | None = None, test_task: object = None, **options: Any
) -> Callable[[F], F]: ...
def on_task(
    _func: F | None = None, *, configuration: Configuration | None = None, test_task: object = None, **options: Any
) -> F | Callable[[F], F]:
    """Register `_func` as the handler of this process's tasks (see the module docstring); returns it unchanged,
    so a test can call it directly. `configuration`: the worker's (default: the environment's); `options`: the
    `Worker`'s (`concurrency`, `handler_timeout`, `grace_period`...), for the worker the script starts. `test_task`
    is the official parameter for a local test run; it is not supported here (see the README's migration notes)."""
    if test_task is not None:
        raise refuse("test_task", "None (run a test task with the testing kit: FakeBackend.run_worker)", test_task)
    if configuration is not None and not isinstance(configuration, Configuration):
        raise refuse("configuration", "a Configuration or None", configuration)
    for name in options:
        if name not in WORKER_OPTIONS:
            raise InvalidArgumentError(name, f"@on_task takes no option {name!r} (it takes {sorted(WORKER_OPTIONS)})")

    def register(func: F) -> F:
        _check_handler(func)
        key = (getattr(func, "__module__", ""), getattr(func, "__qualname__", repr(func)))
        _HANDLERS[key] = (func, configuration, dict(options))
        if getattr(func, "__module__", None) == "__main__" and _autostart():
            try:
                worker = Worker(func, configuration=configuration, **options)
            except InvalidArgumentError as error:  # no agent id, a bad option: as `python agent.py` reports it
                exit_for_configuration(error)
            _start(worker)
        return func

    return register(_func) if _func is not None else register


def _check_handler(func: object) -> None:
    """The handler takes the task as its one positional argument (the official worker calls `handler(task)`)."""
    if not callable(func):
        raise refuse("handler", "a function that takes the task", func)
    try:
        inspect.signature(func).bind(object())
    except TypeError:
        raise refuse("handler", "a function that takes one argument, the task", func) from None
    except ValueError:  # no signature to read (a builtin): let the call tell
        pass


def _autostart() -> bool:
    return os.environ.get(WORKER_AUTOSTART_ENV, "true").strip().lower() not in ("false", "0", "no")


def _start(worker: Worker) -> None:
    """Start the worker of the script being run: under a running loop as a task of it, else here, blocking until it
    stops, then end the process (as the official SDK, which returns only when its worker ends)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        worker.run()
        raise SystemExit(0) from None
    started = loop.create_task(worker.arun())
    _STARTED.add(started)
    started.add_done_callback(_ended)


def _ended(started: asyncio.Task[None]) -> None:
    """A worker started under a running loop has ended: what stopped it is logged (nobody awaits its task)."""
    _STARTED.discard(started)
    error = None if started.cancelled() else started.exception()
    if error is not None:
        logger.error("The worker stopped: %s", getattr(error, "description", error), exc_info=error)


def on_boot(_func: F | None = None, *, configuration: Configuration | None = None) -> Any:
    """Run this function (sync or async, no arguments) before the worker starts; returns it unchanged.
    `configuration` is accepted for the official signature and not used (the hooks are process-wide)."""
    return _hook(BOOT_HOOKS, "on_boot", _func)


def on_shutdown(_func: F | None = None, *, configuration: Configuration | None = None) -> Any:
    """Run this function (sync or async, no arguments) after the worker stopped; returns it unchanged. Its
    errors are logged and the other hooks still run."""
    return _hook(SHUTDOWN_HOOKS, "on_shutdown", _func)


def _hook(hooks: list[Hook], decorator: str, func: F | None) -> Any:
    """`@on_boot`/`@on_shutdown`, with or without parentheses: `func` added to `hooks`, returned unchanged."""

    def register(func: F) -> F:
        if not callable(func):
            raise refuse(decorator, "a function without arguments", func)
        hooks.append(func)
        return func

    return register(func) if func is not None else register


def registered_handler(
    module: str, name: str
) -> tuple[Callable[..., Any], Configuration | None, dict[str, Any]] | None:
    """The handler `@on_task` registered as `module`'s `name`, with its configuration and its Worker options (None:
    not registered)."""
    return _HANDLERS.get((module, name))
