"""`xpander-tasks`: create, follow and stop xpander.ai tasks from a shell (also `python -m xpander_sdk`).

    xpander-tasks create AGENT_ID "prompt" --wait       # prints the result
    xpander-tasks create AGENT_ID "prompt" --follow     # prints the events as they arrive
    xpander-tasks get TASK_ID | stop TASK_ID | list AGENT_ID | events TASK_ID
    xpander-tasks worker agent:handle --concurrency 16   # runs a handler as the agent's worker

Each command runs the async API once (`asyncio.run`) inside `async with Tasks(...)`. The API key is read from
XPANDER_API_KEY only: a command line is visible to other users. Every failure ends in one line on stderr and
an exit code of `ExitCode`, chosen in one place (`exit_code`); `--json` prints the SDK's `to_dict()` data
with the task's secrets redacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import importlib
import itertools
import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO

import attrs

from ._cli_args import PROG, ExitCode, build_parser, parse
from ._constants import API_KEY_ENV, WAIT_TIMEOUT
from ._facade import Tasks
from ._failures import redact_json
from ._on_task import registered_handler
from ._task_model import Task
from ._wait import FAILED_STATUSES, timed_out
from ._worker import Worker
from .configuration import Configuration
from .exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InternalServerError,
    InvalidArgumentError,
    ModuleException,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    TaskFailedError,
    WorkerError,
)
from .models.events import TASK_EVENTS, TaskUpdateEvent

REDACTED = "<redacted>"
SUMMARY_CHARS = 100
GET_KEYS = ("id", "agent_id", "status", "title", "created_at", "finished_at", "result")


# Most specific first: WaitTimeoutError is an APITimeoutError, which is an APIConnectionError.
EXIT_CODES: tuple[tuple[type[Exception], ExitCode], ...] = (
    (APITimeoutError, ExitCode.TIMEOUT),
    (APIConnectionError, ExitCode.CONNECTION),
    (AuthenticationError, ExitCode.AUTH),
    (PermissionDeniedError, ExitCode.AUTH),
    (NotFoundError, ExitCode.NOT_FOUND),
    (RateLimitError, ExitCode.RATE_LIMITED),
    (InternalServerError, ExitCode.SERVER_ERROR),
    (TaskFailedError, ExitCode.TASK_FAILED),
)


def exit_code(error: BaseException) -> ExitCode:
    """The exit code of a failure (the one home of this mapping)."""
    if isinstance(error, WorkerError):
        return ExitCode.CONFIG
    if isinstance(error, InvalidArgumentError):
        return ExitCode.AUTH if error.parameter == "api_key" else ExitCode.USAGE
    return next((code for kind, code in EXIT_CODES if isinstance(error, kind)), ExitCode.ERROR)


def error_message(error: BaseException, task_id: str | None = None) -> str:
    """One line that says what went wrong (naming the task, when one was created), without the API key."""
    if isinstance(error, InvalidArgumentError) and error.parameter == "api_key" and not os.environ.get(API_KEY_ENV):
        text = f"no API key: set {API_KEY_ENV} (it is never read from the command line)"
    elif isinstance(error, APIStatusError):
        where = f" from {error.request}" if error.request is not None else ""
        text = f"HTTP {error.status_code}{where}: {error.description}"
        if isinstance(error, AuthenticationError | PermissionDeniedError):
            text += f" (check {API_KEY_ENV})"
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            text += f" (retry after {error.retry_after:g} s)"
    elif isinstance(error, ModuleException):
        text = error.description
    else:
        text = f"{type(error).__name__}: {error}"
    if task_id is not None and task_id not in text:
        text += f" (task {task_id})"
    return " ".join(redact(text, [os.environ.get(API_KEY_ENV, "")]).split())


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """`value` (JSON data) with each secret replaced by `<redacted>` wherever it occurs, keys included (the longest
    first, so that a secret holding another is replaced whole)."""
    ordered = tuple(sorted((secret for secret in secrets if secret), key=len, reverse=True))
    return redact_json(value, ordered, REDACTED) if ordered else value


class StatusLine:
    """`[-] task <id>: <status> (<n> s)` on stderr, redrawn every 0.2 s while waiting; only on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.task: Task | None = None
        self.drawn = False

    @contextlib.asynccontextmanager
    async def showing(self, task: Task) -> AsyncIterator[None]:
        """Show the status of `task` (or of the Task later put in `self.task`) for as long as the block runs."""
        self.task = task
        ticker = asyncio.create_task(self._tick()) if self.enabled else None
        try:
            yield
        finally:
            if ticker is not None:
                ticker.cancel()
            self.erase()

    async def _tick(self) -> None:
        started = time.monotonic()
        for frame in itertools.cycle("-\\|/"):
            if self.task is not None:
                text = f"[{frame}] task {self.task.id}: {self.task.status.value} ({time.monotonic() - started:.0f} s)"
                self.stream.write(f"\r\x1b[K{text[: self._width()]}")
                self.stream.flush()
                self.drawn = True
            await asyncio.sleep(0.2)

    def _width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        return columns - 1 if columns > 10 else 79  # a terminal of unknown size says 0

    def erase(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


class Output:
    """What a command prints (stdout, status line), the secrets to redact, and the task it follows."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.status_line = StatusLine(sys.stderr)
        self.secrets: set[str] = set()
        self.task_id: str | None = None
        """The task created or loaded: named when the command is interrupted."""

    def seen(self, task: Task) -> Task:
        self.secrets.update(value for value in task.secret_values() if isinstance(value, str) and value)
        return task

    def line(self, text: str) -> None:
        self.status_line.erase()
        print(redact(text, self.secrets), flush=True)

    def note(self, text: str) -> None:
        """One line of progress on stderr (`xpander-tasks: ...`), kept apart from the output on stdout."""
        self.status_line.erase()
        print(f"{PROG}: {redact(text, self.secrets)}", file=sys.stderr, flush=True)

    def json(self, value: Any, *, compact: bool = False) -> None:
        self.line(json.dumps(redact(value, self.secrets), indent=None if compact else 2, ensure_ascii=False))

    def task(self, task: Task) -> None:
        """A task as `<id> <status>`, or its JSON."""
        if self.as_json:
            self.json(task.to_dict())
        else:
            self.line(f"{task.id} {task.status.value}")

    def result(self, task: Task, *, after_events: bool) -> None:
        """The result text, or the task's JSON (one line after NDJSON events)."""
        if self.as_json:
            self.json(task.to_dict(), compact=after_events)
        else:
            self.line(task.result or "")

    def event(self, event: TaskUpdateEvent) -> None:
        """One event: `HH:MM:SS <type> <summary>`, or one line of NDJSON."""
        data = redact(event.to_dict(), self.secrets)
        if self.as_json:
            self.json(data, compact=True)
            return
        when = (event.time or datetime.datetime.now(datetime.UTC)).astimezone().strftime("%H:%M:%S")
        self.line(f"{when} {data['type']} {summarize(data)}".rstrip())


def summarize(event: dict[str, Any]) -> str:
    """A task event's status, a chunk's text, or other data as short JSON; one line, about 100 characters."""
    data = event["data"]
    if event["type"] in TASK_EVENTS and isinstance(data, dict):
        text = str(data.get("status"))
    elif isinstance(data, str):
        text = data
    else:
        text = "" if data is None else json.dumps(data, ensure_ascii=False)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 3] + "..."


# -- the commands ---------------------------------------------------------------------------------------------------
async def follow(task: Task, out: Output, deadline: float, seconds: float) -> Task:
    """Print the task's events until its stream ends; the latest state of the task they carried."""
    latest = task
    try:
        async with asyncio.timeout_at(deadline), out.status_line.showing(task), task.aevents() as stream:
            async for event in stream:
                if isinstance(event.data, Task) and event.data.id == task.id:
                    latest = out.status_line.task = out.seen(event.data)
                out.event(event)
    except TimeoutError:
        raise timed_out(latest, seconds) from None  # the SDK's own message
    return latest


async def create(tasks: Tasks, args: argparse.Namespace, out: Output) -> None:
    task = await tasks.acreate(
        args.agent_id,
        prompt=args.prompt,
        file_urls=args.file or (),
        title=args.title,
        output_format=args.output_format,
        events_streaming=args.follow or args.wait,  # a wait that follows events sees the end at once, not polling
    )
    out.task_id = out.seen(task).id
    if not (args.wait or args.follow):
        out.task(task)
        return
    out.note(f"created task {task.id}")  # at once, on stderr: a CI log has the id even if the wait is cut short
    seconds = WAIT_TIMEOUT if args.timeout is None else args.timeout
    deadline = asyncio.get_running_loop().time() + seconds
    if args.follow:
        task = await follow(task, out, deadline, seconds)
    if args.wait:
        if not task.is_terminal:
            left = max(deadline - asyncio.get_running_loop().time(), 0.001) if args.follow else seconds
            async with out.status_line.showing(task):
                task = out.seen(await task.await_result(timeout=left))
        out.result(task, after_events=args.follow)
    if task.status in FAILED_STATUSES:
        said = f": {redact(task.result, out.secrets)}" if task.result and not args.wait else ""  # --wait printed it
        raise TaskFailedError(f"task {task.id} finished {task.status.value}{said}", task)


async def get(tasks: Tasks, args: argparse.Namespace, out: Output) -> None:
    task = out.seen(await tasks.aget(args.task_id))
    if out.as_json:
        out.json(task.to_dict())
        return
    data = task.to_dict()
    for key in GET_KEYS:
        out.line(f"{key}: {'-' if data[key] is None else data[key]}")


async def stop(tasks: Tasks, args: argparse.Namespace, out: Output) -> None:
    out.task(out.seen(await tasks.astop(args.task_id)))


async def list_tasks(tasks: Tasks, args: argparse.Namespace, out: Output) -> None:
    items = await tasks.alist(args.agent_id, filters={"status": args.status} if args.status else None)
    if out.as_json:
        out.json([item.to_dict() for item in items])
        return
    for item in items:
        data = item.to_dict()
        out.line(f"{data['id']}  {data['status']}  {data['created_at'] or '-'}  {data['title'] or ''}".rstrip())


async def events(tasks: Tasks, args: argparse.Namespace, out: Output) -> None:
    task = out.seen(await tasks.aget(args.task_id))
    out.task_id = task.id
    if task.events_streaming is not True:
        raise InvalidArgumentError(
            "task_id",
            f"task {task.id} was created without events streaming, so it has no events to print. Create tasks with "
            f"`{PROG} create AGENT_ID PROMPT --follow` to print their events, or `--wait` to print the result; "
            f"`{PROG} get {task.id}` prints this one",
        )
    seconds = WAIT_TIMEOUT if args.timeout is None else args.timeout
    await follow(task, out, asyncio.get_running_loop().time() + seconds, seconds)


Command = Callable[[Tasks, argparse.Namespace, Output], Awaitable[None]]
COMMANDS: dict[str, Command] = {"create": create, "get": get, "stop": stop, "list": list_tasks, "events": events}


async def run(args: argparse.Namespace, out: Output) -> None:
    configuration = Configuration(base_url=args.base_url, organization_id=args.organization_id)
    with notes_of_the_sdk(out):
        async with Tasks(configuration, timeout=args.request_timeout, max_retries=args.max_retries) as tasks:
            await COMMANDS[args.command](tasks, args, out)


class NoteHandler(logging.Handler):
    """The SDK's WARNINGs (a wait that polls instead of following events, a stream message skipped) as
    `xpander-tasks: ...` lines on stderr, where Python would print them bare (its last-resort handler)."""

    def __init__(self, out: Output) -> None:
        super().__init__(logging.WARNING)
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        self.out.note(record.getMessage())


@contextlib.contextmanager
def notes_of_the_sdk(out: Output) -> Iterator[None]:
    logger = logging.getLogger("xpander_sdk")
    handler = NoteHandler(out)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: run one command; the exit code (see `ExitCode`)."""
    out: Output | None = None
    try:
        args = parse(build_parser(), sys.argv[1:] if argv is None else argv)
        out = Output(args.json)
        if args.command == "worker":
            return run_worker(args)
        asyncio.run(run(args, out))
    except (KeyboardInterrupt, asyncio.CancelledError):
        return interrupted(out)
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.ERROR
    except Exception as error:  # every failure: one line, never a traceback
        task_id = None if out is None else out.task_id
        print(f"{PROG}: error: {error_message(error, task_id)}", file=sys.stderr, flush=True)
        return exit_code(error)
    return ExitCode.OK


# -- the worker ----------------------------------------------------------------------------------------------------
def run_worker(args: argparse.Namespace) -> int:
    """`xpander-tasks worker MODULE:FUNCTION`: the handler imported (which starts nothing, see `on_task`), run by
    a `Worker` with the options given, its log on stderr, until a signal stops it."""
    worker = make_worker(args)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker.run()  # a refused configuration: one line on stderr, SystemExit(ExitCode.CONFIG)
    return ExitCode.OK


def make_worker(args: argparse.Namespace) -> Worker:
    """The `Worker` of `xpander-tasks worker`: the options `@on_task` gave the handler, the flags given winning."""
    handler, configuration, options = load_handler(args.target, args.command_parser)
    given = {"base_url": args.base_url, "organization_id": args.organization_id}
    if configuration is None:
        configuration = Configuration(**given)
    else:
        configuration = attrs.evolve(configuration, **{key: value for key, value in given.items() if value})
    tasks = Tasks(configuration, timeout=args.request_timeout, max_retries=args.max_retries)
    flags = ("agent_id", "concurrency", "handler_timeout", "grace_period", "read_timeout", "invoke_port", "invoke_host")
    options.update({name: getattr(args, name) for name in flags if getattr(args, name) is not None})
    return Worker(handler, tasks=tasks, **options)


def load_handler(
    target: str, parser: argparse.ArgumentParser
) -> tuple[Callable[..., Any], Configuration | None, dict[str, Any]]:
    """The function `MODULE:FUNCTION` names (the current directory importable first, as for `python -m`), and
    the configuration and Worker options `@on_task` gave it (None and none when it is not decorated)."""
    module_name, _, name = target.partition(":")
    if not module_name or not name:
        parser.error(f"expected MODULE:FUNCTION, such as agent:handle, got {target!r}")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name and not module_name.startswith(f"{error.name}."):
            raise
        parser.error(f"no module named {module_name!r} (run from the directory that holds it)")
    handler: Any = module
    for part in name.split("."):
        handler = getattr(handler, part, None)
    if not callable(handler):
        parser.error(f"{module_name!r} has no function {name!r}")
    registered = registered_handler(module.__name__, getattr(handler, "__qualname__", name))
    return (handler, None, {}) if registered is None else (handler, registered[1], dict(registered[2]))


def interrupted(out: Output | None) -> int:
    if out is not None:
        out.status_line.erase()
    message = f"{PROG}: interrupted"
    if out is not None and out.task_id is not None:
        message += f"; task {out.task_id} keeps running on the server. Stop it with: {PROG} stop {out.task_id}"
    print(message, file=sys.stderr, flush=True)
    return ExitCode.INTERRUPTED
