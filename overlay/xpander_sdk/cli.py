"""`xpander-tasks`: create, follow and stop xpander.ai tasks from a shell (also `python -m xpander_sdk`).

    xpander-tasks create AGENT_ID "prompt" --wait       # prints the result
    xpander-tasks create AGENT_ID "prompt" --follow     # prints the events as they arrive
    xpander-tasks get TASK_ID | stop TASK_ID | list AGENT_ID | events TASK_ID

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
import itertools
import json
import logging
import math
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from enum import IntEnum
from typing import Any, TextIO

from ._constants import API_KEY_ENV, CLOUD_URL, WAIT_TIMEOUT
from ._failures import redact_json
from ._version import __version__
from ._wait import FAILED_STATUSES, timed_out
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
)
from .models import AgentExecutionStatus, OutputFormat
from .models.events import TASK_EVENTS, TaskUpdateEvent
from ._facade import Tasks
from ._task_model import Task

PROG = "xpander-tasks"
REDACTED = "<redacted>"
SUMMARY_CHARS = 100
GET_KEYS = ("id", "agent_id", "status", "title", "created_at", "finished_at", "result")


class ExitCode(IntEnum):
    """What the command line exits with (the table of `--help`)."""

    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    RATE_LIMITED = 5
    SERVER_ERROR = 6
    CONNECTION = 7
    TIMEOUT = 8
    TASK_FAILED = 9
    INTERRUPTED = 130


EXIT_CODE_MEANINGS = {
    ExitCode.OK: "success",
    ExitCode.ERROR: "any other failure: another HTTP status (400, 409, 422...), an unreadable response",
    ExitCode.USAGE: "bad arguments or options",
    ExitCode.AUTH: f"no API key (set {API_KEY_ENV}), or the server refused it (401, 403)",
    ExitCode.NOT_FOUND: "no such agent or task (404)",
    ExitCode.RATE_LIMITED: "too many requests (429)",
    ExitCode.SERVER_ERROR: "the server failed (5xx)",
    ExitCode.CONNECTION: "no response: DNS, refused or dropped connection, lost event stream",
    ExitCode.TIMEOUT: "no response within --request-timeout, or the task did not finish within --timeout",
    ExitCode.TASK_FAILED: "the task finished failed, error or stopped (with --wait or --follow)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); the task keeps running on the server",
}
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


# -- the arguments ----------------------------------------------------------------------------------------------------
def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def retry_count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


ENVIRONMENT_HELP = f"""environment:
  {API_KEY_ENV}          the API key (required). It is read from the environment only, never from
                           the command line, where other users can see it (ps).
  XPANDER_BASE_URL         the API's base URL (default {CLOUD_URL}; staging with IS_STG=true)
  XPANDER_ORGANIZATION_ID  the organization id (events need it; default: the task's own)
  XPANDER_TIMEOUT          seconds for each HTTP attempt (default 60, 10 to connect)
  XPANDER_MAX_RETRIES      retries of a request that failed before the server acted (default 2)
"""
EXIT_CODES_HELP = "exit codes:\n" + "".join(
    f"  {code.value:<4} {code.name:<13} {EXIT_CODE_MEANINGS[code]}\n" for code in ExitCode
)
STATUSES = [status.value for status in AgentExecutionStatus]
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "create": (
        "create a task on an agent",
        "Create a task on an agent and print `<id> <status>`.\n"
        "--follow prints its events as they arrive (`HH:MM:SS <type> <summary>`); --wait waits for it to finish\n"
        "and prints its result, with a live status line on stderr when stderr is a terminal. With either, the task\n"
        "is created with events streaming (its end is seen at once) and `created task <id>` goes to stderr first.",
        f'example: {PROG} create AGENT_ID "Summarize the report" --wait --timeout 300\n\n'
        "With --wait or --follow, a task that finishes failed, error or stopped exits 9 after its error text.\n"
        "With --follow --json every line is one JSON object: the events, then (with --wait) the task.",
    ),
    "get": (
        "print a task",
        "Print a task: its id, agent, status, title, times and result (`key: value` lines).",
        f"example: {PROG} get TASK_ID --json",
    ),
    "stop": (
        "stop a task",
        "Stop a task and print `<id> <status>` (stopping a finished task is safe).",
        f"example: {PROG} stop TASK_ID",
    ),
    "list": (
        "list an agent's tasks",
        "List an agent's tasks, one line each: `id  status  created_at  title`.",
        f"example: {PROG} list AGENT_ID --status executing",
    ),
    "events": (
        "print a task's events",
        "Print a task's events, from the first, until its stream ends (after the task finishes).\n"
        "The task must have been created with events streaming (create --follow or --wait).",
        f"example: {PROG} events TASK_ID --json   (one JSON object per line)",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    options = common.add_argument_group("connection and output options")
    options.add_argument(
        "--base-url", metavar="URL", help=f"the API's base URL (default: $XPANDER_BASE_URL, else {CLOUD_URL})"
    )
    options.add_argument("--organization-id", metavar="ID", help="default: $XPANDER_ORGANIZATION_ID")
    options.add_argument(
        "--request-timeout", metavar="S", type=positive_seconds, help="seconds per HTTP attempt ($XPANDER_TIMEOUT)"
    )
    options.add_argument(
        "--max-retries", metavar="N", type=retry_count, help="retries per request ($XPANDER_MAX_RETRIES)"
    )
    options.add_argument("--json", action="store_true", help="print JSON (secrets redacted) instead of text")

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Create, follow and stop tasks on xpander.ai agents.",
        epilog=f"{ENVIRONMENT_HELP}\n{EXIT_CODES_HELP}\nThere is no --api-key option: set {API_KEY_ENV}.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub = {
        name: commands.add_parser(
            name,
            parents=[common],
            help=summary,
            description=description,
            epilog=f"{epilog}\n\nThe API key is read from {API_KEY_ENV} only. Exit codes: {PROG} --help.",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for name, (summary, description, epilog) in SUBCOMMANDS.items()
    }
    sub["create"].add_argument("agent_id", metavar="AGENT_ID")
    sub["create"].add_argument("prompt", metavar="PROMPT")
    sub["create"].add_argument("--file", metavar="URL", action="append", help="a file URL for the agent (repeatable)")
    sub["create"].add_argument("--title", help="the task's title")
    sub["create"].add_argument("--output-format", choices=[fmt.value for fmt in OutputFormat])
    sub["create"].add_argument("--wait", action="store_true", help="wait for the task and print its result")
    sub["create"].add_argument("--follow", action="store_true", help="print the task's events as they arrive")
    for name in ("create", "events"):
        sub[name].add_argument(
            "--timeout", metavar="S", type=positive_seconds, help=f"seconds to wait in all (default {WAIT_TIMEOUT:g})"
        )
    for command in sub.values():
        command.set_defaults(command_parser=command)  # to report an error with this command's usage
    for name in ("get", "stop", "events"):
        sub[name].add_argument("task_id", metavar="TASK_ID")
    sub["list"].add_argument("agent_id", metavar="AGENT_ID")
    sub["list"].add_argument(
        "--status", metavar="STATUS", help=f"only the tasks in this state ({', '.join(STATUSES)}, or one to come)"
    )
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    options = list(itertools.takewhile(lambda arg: arg != "--", argv))
    if any(arg == "--api-key" or arg.startswith("--api-key=") for arg in options):
        parser.error(f"--api-key is not accepted (other users can see a command line): set {API_KEY_ENV}")
    args = parser.parse_args(argv)
    if args.command == "create" and args.timeout is not None and not (args.wait or args.follow):
        args.command_parser.error("--timeout needs --wait or --follow")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: run one command; the exit code (see `ExitCode`)."""
    out: Output | None = None
    try:
        args = parse(build_parser(), sys.argv[1:] if argv is None else argv)
        out = Output(args.json)
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


def interrupted(out: Output | None) -> int:
    if out is not None:
        out.status_line.erase()
    message = f"{PROG}: interrupted"
    if out is not None and out.task_id is not None:
        message += f"; task {out.task_id} keeps running on the server. Stop it with: {PROG} stop {out.task_id}"
    print(message, file=sys.stderr, flush=True)
    return ExitCode.INTERRUPTED
