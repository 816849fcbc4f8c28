"""The command line's interface: its commands, options, help texts and exit codes (`cli` runs the commands)."""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from enum import IntEnum

from . import _checks as checks
from ._constants import (
    API_KEY_ENV,
    CLOUD_URL,
    WAIT_TIMEOUT,
    WORKER_CONCURRENCY,
    WORKER_CONFIG_EXIT_STATUS,
    WORKER_GRACE_PERIOD,
    WORKER_READ_TIMEOUT,
)
from ._version import __version__
from .models import AgentExecutionStatus, OutputFormat

PROG = "xpander-tasks"


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
    CONFIG = WORKER_CONFIG_EXIT_STATUS
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
    ExitCode.CONFIG: "worker: the controller refused the API key or the agent, or runs the agent elsewhere",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); the task keeps running on the server",
}


# -- the arguments ----------------------------------------------------------------------------------------------------
def positive_seconds(text: str) -> float:
    """A positive number of seconds (the SDK's own rule, `_checks.positive_seconds`), in argparse's words."""
    try:
        return checks.positive_seconds("seconds", float(text))
    except ValueError:  # not a number, or refused (InvalidArgumentError is a ValueError)
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}") from None


def seconds_or_zero(text: str) -> float:
    """A number of seconds, 0 or more (`_checks.seconds_or_zero`), in argparse's words."""
    try:
        return checks.seconds_or_zero("seconds", float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, 0 or more, got {text!r}") from None


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
    "worker": (
        "run a handler as the agent's worker",
        "Run the handler MODULE:FUNCTION (imported from the current directory, as `python -c 'import MODULE'`\n"
        "would) as a worker of the agent: it takes the tasks the agent controller dispatches, until SIGTERM or\n"
        "SIGINT (running handlers then have --grace-period seconds to finish; a second signal ends them). The\n"
        "function may be decorated with @on_task (importing it starts nothing) or not; @on_boot and\n"
        "@on_shutdown functions of the module run before and after.",
        f"example: XPANDER_AGENT_ID=agent-123 {PROG} worker agent:handle --concurrency 16 --handler-timeout 600\n\n"
        f"Exits 0 after a signal, {WORKER_CONFIG_EXIT_STATUS} when the controller refuses the API key or the agent.",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Create, follow and stop tasks on xpander.ai agents.",
        epilog=f"{ENVIRONMENT_HELP}\n{EXIT_CODES_HELP}\nThere is no --api-key option: set {API_KEY_ENV}.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common_options()
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
    _add_command_arguments(sub)
    return parser


def _common_options() -> argparse.ArgumentParser:
    """The options every command takes."""
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
    return common


def _add_command_arguments(sub: dict[str, argparse.ArgumentParser]) -> None:
    """The arguments of each command."""
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
    _add_worker_arguments(sub["worker"])
    sub["list"].add_argument(
        "--status", metavar="STATUS", help=f"only the tasks in this state ({', '.join(STATUSES)}, or one to come)"
    )


def _add_worker_arguments(worker: argparse.ArgumentParser) -> None:
    worker.add_argument("target", metavar="MODULE:FUNCTION", help="the handler, such as agent:handle")
    worker.add_argument("--agent-id", metavar="ID", help="the agent (default: $XPANDER_AGENT_ID)")
    worker.add_argument(
        "--concurrency",
        metavar="N",
        type=_at_least_one,
        help=f"tasks at once (default: @on_task's, else $XPANDER_WORKER_CONCURRENCY, else {WORKER_CONCURRENCY})",
    )
    worker.add_argument(
        "--handler-timeout",
        metavar="S",
        type=positive_seconds,
        help="seconds a task's handler may run (default: @on_task's, else no limit)",
    )
    worker.add_argument(
        "--grace-period",
        metavar="S",
        type=seconds_or_zero,
        help=f"seconds handlers may finish after SIGTERM (default: @on_task's, else {WORKER_GRACE_PERIOD:g})",
    )
    worker.add_argument(
        "--read-timeout",
        metavar="S",
        type=positive_seconds,
        help=f"seconds of silence before the stream is reconnected (default: @on_task's, else {WORKER_READ_TIMEOUT:g})",
    )
    worker.add_argument(
        "--invoke-port", metavar="PORT", type=port, help="serve POST /invoke and GET /health there (0: a free port)"
    )
    worker.add_argument("--invoke-host", metavar="HOST", help="the /invoke server's address (default 127.0.0.1)")


def port(text: str) -> int:
    """A port number (`_checks.port`), in argparse's words."""
    try:
        return checks.port("port", int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to {checks.MAX_PORT}, got {text!r}") from None


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    options = list(itertools.takewhile(lambda arg: arg != "--", argv))
    if any(arg == "--api-key" or arg.startswith("--api-key=") for arg in options):
        parser.error(f"--api-key is not accepted (other users can see a command line): set {API_KEY_ENV}")
    args = parser.parse_args(argv)
    if args.command == "create" and args.timeout is not None and not (args.wait or args.follow):
        args.command_parser.error("--timeout needs --wait or --follow")
    return args
