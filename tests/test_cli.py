"""The `xpander-tasks` command line (issue 13, part 1), run as users run it: the installed console script in a
subprocess, against a local server on 127.0.0.1 (`xpander_sdk.testing.FakeBackend.serve()` for the lifecycle
and events, `FaultServer` for the failures), and once in a real terminal (a pty) for the status line and Ctrl-C.

Each test asserts the exit code, what stdout holds, and that stderr is empty or exactly one
`xpander-tasks: error: ...` line (no traceback, no API key, no ANSI escape when it is not a terminal).
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.faultserver import FaultServer, Hang, Reply, closed_port, json_bytes
from xpander_sdk import Configuration, Tasks
from xpander_sdk.testing import API_KEY, ORGANIZATION_ID, FakeBackend

CLI = Path(sys.executable).parent / "xpander-tasks"
ERROR_PREFIX = "xpander-tasks: error: "
TASK_LINE = re.compile(r"^([0-9a-f-]{36}) (\w+)$")
EVENT_LINE = re.compile(r"^\d\d:\d\d:\d\d (\w+)(?: (.*))?$")
EVENT_TYPES = ["connected", "task_created", "task_updated", "chunk", "task_finished"]
CREATED_LINE = re.compile(r"xpander-tasks: created task ([0-9a-f-]{36})\n")

Result = subprocess.CompletedProcess[str]
PYCACHE: dict[str, str] = {}
"""Where the runs keep their bytecode (set by `bytecode_cache`)."""


@pytest.fixture(scope="module", autouse=True)
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`make test` sets PYTHONDONTWRITEBYTECODE, so that every run would compile the SDK again (~0.1 s each): the
    runs of this module keep their bytecode in a temporary folder instead (never in the repository)."""
    PYCACHE["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))


def cli_env(url: str, *, api_key: str | None = API_KEY, **extra: str) -> dict[str, str]:
    """The environment of a run: the test process's, without its XPANDER_* variables, pointed at `url`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("XPANDER_") and name != "IS_STG"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(PYCACHE, XPANDER_BASE_URL=url, XPANDER_ORGANIZATION_ID=ORGANIZATION_ID, **extra)
    if api_key is not None:
        env["XPANDER_API_KEY"] = api_key
    return env


def run_cli(*args: str, env: dict[str, str], program: tuple[str, ...] = (str(CLI),)) -> Result:
    return subprocess.run([*program, *args], env=env, capture_output=True, text=True, timeout=30, check=False)


def run_many(*runs: tuple[list[str], dict[str, str]]) -> list[Result]:
    """Independent runs (arguments, environment) at the same time: each is mostly an interpreter starting."""
    with ThreadPoolExecutor(len(runs)) as pool:
        return list(pool.map(lambda run: run_cli(*run[0], env=run[1]), runs))


def after_created_line(stderr: str, created: bool) -> str:
    """stderr after the `created task <id>` line that `create --wait`/`--follow` print first (checked there)."""
    if not created:
        return stderr
    match = CREATED_LINE.match(stderr)
    assert match, stderr
    return stderr[match.end() :]


def assert_one_error_line(
    result: Result, code: int, *fragments: str, api_key: str = API_KEY, created: bool = False
) -> None:
    """Exit `code`, and stderr exactly one error line holding `fragments` (after the `created task` line when
    `created`): no traceback, no key, no ANSI."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = after_created_line(result.stderr, created).splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(ERROR_PREFIX), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.stderr
    assert "\x1b" not in result.stderr
    assert api_key not in result.stderr + result.stdout


def assert_ok(result: Result, *, created: bool = False) -> None:
    """Exit 0, and nothing on stderr but the `created task <id>` line when `created` (not a terminal: no status
    line, no escape code)."""
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert after_created_line(result.stderr, created) == ""


class LocalBackend(FakeBackend):
    """A FakeBackend served on a loopback port (`url`); FaultServer accepts any API key, this one API_KEY."""

    url = ""


@pytest.fixture
def idle_backend() -> Iterator[LocalBackend]:
    """A served FakeBackend whose tasks never finish unless the test completes them."""
    with LocalBackend() as local, local.serve() as url:
        local.url = url
        yield local


@pytest.fixture
def backend(idle_backend: LocalBackend) -> LocalBackend:
    """A served FakeBackend whose tasks complete ("Hello!") by themselves 0.3 s after their create."""
    idle_backend.complete_next("Hello!", after=0.3, times=None)
    return idle_backend


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def created_task(backend: LocalBackend, *, title: str | None = None, result: str | None = None) -> str:
    """The id of a task created with events streaming (by the SDK, in this process), finished with `result`."""
    with Tasks(Configuration(api_key=API_KEY, base_url=backend.url)) as tasks:
        task = tasks.create("agent-1", prompt="hi", title=title, events_streaming=True)
    if result is not None:
        backend.complete(task.id, result)
    return task.id


# -- help --------------------------------------------------------------------------------------------------------------
def test_top_level_help_lists_the_environment_and_the_exit_codes() -> None:
    result = run_cli("--help", env=cli_env("http://127.0.0.1:9"))
    assert_ok(result)
    assert "XPANDER_API_KEY" in result.stdout
    assert "never from" in result.stdout
    assert "the command line" in result.stdout
    assert "exit codes:" in result.stdout
    for code, name in [(0, "OK"), (2, "USAGE"), (3, "AUTH"), (4, "NOT_FOUND"), (8, "TIMEOUT"), (130, "INTERRUPTED")]:
        assert re.search(rf"^  {code} +{name} ", result.stdout, re.MULTILINE), name


def test_each_command_has_its_help() -> None:
    commands = ["create", "get", "stop", "list", "events"]
    results = run_many(*(([name, "--help"], cli_env("http://127.0.0.1:9")) for name in commands))
    for name, result in zip(commands, results, strict=True):
        assert_ok(result)
        assert result.stdout.startswith(f"usage: xpander-tasks {name}"), result.stdout
        assert "XPANDER_API_KEY" in result.stdout
        assert "--api-key" not in result.stdout
        assert "example:" in result.stdout


def test_python_dash_m_runs_the_same_command_line() -> None:
    result = run_cli("--help", env=cli_env("http://127.0.0.1:9"), program=(sys.executable, "-m", "xpander_sdk"))
    assert_ok(result)
    assert result.stdout.startswith("usage: xpander-tasks ")


# -- the happy paths ---------------------------------------------------------------------------------------------------
def test_create_prints_the_id_and_status_or_the_task(idle_backend: LocalBackend) -> None:
    options = ["--title", "Report", "--file", "https://example.com/a.pdf", "--output-format", "markdown", "--json"]
    env = cli_env(idle_backend.url)
    plain, as_json = run_many((["create", "agent-1", "hello"], env), (["create", "agent-1", "hello", *options], env))
    assert_ok(plain)
    match = TASK_LINE.match(plain.stdout.strip())
    assert match, plain.stdout
    assert match.group(2) == "pending"
    assert idle_backend.tasks[match.group(1)].input.text == "hello"
    assert_ok(as_json)
    task = json.loads(as_json.stdout)
    assert (task["status"], task["title"]) == ("pending", "Report")
    assert task["input"]["files"] == ["https://example.com/a.pdf"]
    assert any(r.json and r.json.get("output_format") == "markdown" for r in idle_backend.requests)


def test_create_wait_prints_the_result_or_the_finished_task(backend: LocalBackend) -> None:
    env = cli_env(backend.url)
    plain, as_json = run_many(
        (["create", "agent-1", "hello", "--wait"], env), (["create", "a", "p", "--wait", "--json"], env)
    )
    assert_ok(plain, created=True)
    assert plain.stdout == "Hello!\n"
    assert_ok(as_json, created=True)
    task = json.loads(as_json.stdout)
    assert (task["status"], task["result"]) == ("completed", "Hello!")
    assert CREATED_LINE.match(as_json.stderr)[1] == task["id"]  # type: ignore[index]


def test_create_wait_follows_the_tasks_events_without_polling(backend: LocalBackend) -> None:
    """`--wait` creates the task with events streaming and follows them: the end is seen at once (it polled
    before, up to 5 s late), with only the API key and base URL set (the task's own organization id)."""
    env = cli_env(backend.url)
    del env["XPANDER_ORGANIZATION_ID"]
    result = run_cli("create", "agent-1", "hello", "--wait", env=env)
    assert_ok(result, created=True)
    assert result.stdout == "Hello!\n"
    assert [request.operation for request in backend.requests] == ["create_task", "get_task_events"]
    assert backend.requests[0].json["events_streaming"] is True


def test_follow_prints_each_event_in_order_and_ends(backend: LocalBackend) -> None:
    env = cli_env(backend.url)
    plain, ndjson = run_many(
        (["create", "agent-1", "hello", "--follow"], env), (["create", "a", "p", "--follow", "--wait", "--json"], env)
    )
    assert_ok(plain, created=True)
    matches = [EVENT_LINE.match(line) for line in plain.stdout.splitlines()]
    assert all(matches), plain.stdout
    assert [match.group(1) for match in matches if match] == EVENT_TYPES
    assert [match.group(2) for match in matches if match] == [None, "pending", "executing", "Hello!", "completed"]
    assert_ok(ndjson, created=True)  # with --wait --json: one JSON object per line, the events then the finished task
    *events, task = [json.loads(line) for line in ndjson.stdout.splitlines()]
    assert [(event["type"], event["event_id"]) for event in events] == [
        (t, str(n)) for n, t in enumerate(EVENT_TYPES, 1)
    ]
    assert (task["status"], task["result"]) == ("completed", "Hello!")


def test_get_prints_key_value_lines_and_json(idle_backend: LocalBackend) -> None:
    task_id = created_task(idle_backend, result="Done.")
    env = cli_env(idle_backend.url)
    plain, as_json = run_many((["get", task_id], env), (["get", task_id, "--json"], env))
    assert_ok(plain)
    lines = dict(line.split(": ", 1) for line in plain.stdout.splitlines())
    assert list(lines) == ["id", "agent_id", "status", "title", "created_at", "finished_at", "result"]
    assert (lines["id"], lines["status"], lines["title"], lines["result"]) == (task_id, "completed", "-", "Done.")
    assert_ok(as_json)
    assert json.loads(as_json.stdout)["id"] == task_id


def test_stop_prints_the_stopped_task(idle_backend: LocalBackend) -> None:
    first, second = created_task(idle_backend), created_task(idle_backend)
    env = cli_env(idle_backend.url)
    plain, as_json = run_many((["stop", first], env), (["stop", second, "--json"], env))
    assert_ok(plain)
    assert plain.stdout == f"{first} stopped\n"
    assert_ok(as_json)
    task = json.loads(as_json.stdout)
    assert (task["id"], task["status"], task["is_manually_stopped"]) == (second, "stopped", True)


def test_list_prints_one_line_per_task_and_filters_by_status(idle_backend: LocalBackend) -> None:
    finished = created_task(idle_backend, result="Done.")
    pending = created_task(idle_backend, title="Second")
    env = cli_env(idle_backend.url)
    plain, filtered = run_many((["list", "agent-1"], env), (["list", "agent-1", "--status", "pending", "--json"], env))
    assert_ok(plain)
    rows = [line.split("  ") for line in plain.stdout.splitlines()]
    assert [(row[0], row[1]) for row in rows] == [(finished, "completed"), (pending, "pending")]
    assert rows[1][3] == "Second"
    assert_ok(filtered)
    assert [item["id"] for item in json.loads(filtered.stdout)] == [pending]


def test_events_prints_a_finished_tasks_events(idle_backend: LocalBackend) -> None:
    task_id = created_task(idle_backend, result="Done.")
    env = cli_env(idle_backend.url)
    del env["XPANDER_ORGANIZATION_ID"]  # the task's own organization id is used
    result = run_cli("events", task_id, env=env)
    assert_ok(result)
    assert [line.split()[1] for line in result.stdout.splitlines()] == EVENT_TYPES
    assert result.stdout.splitlines()[3].endswith(" chunk Done.")


def test_json_output_redacts_the_tasks_secrets(faults: FaultServer) -> None:
    secret_task = {
        "id": "t-secret",
        "agent_id": "a",
        "organization_id": "o",
        "input": {"text": "x"},
        "created_at": "2025-01-01T00:00:00Z",
        "status": "completed",
        "result": "the token is gh-token-123456",
        "user_oidc_token": "oidc-secret-abcdef",
        "user_tokens": {"github": "gh-token-123456"},
    }
    faults.script("/agent-execution/t-secret/status", Reply(200, json_bytes(secret_task)))
    env = cli_env(faults.url)
    as_json, plain = run_many((["get", "t-secret", "--json"], env), (["get", "t-secret"], env))
    for result in (as_json, plain):
        assert_ok(result)
        assert "gh-token-123456" not in result.stdout
        assert "oidc-secret-abcdef" not in result.stdout
        assert "the token is <redacted>" in result.stdout
    task = json.loads(as_json.stdout)
    assert (task["user_tokens"], task["user_oidc_token"]) == ({"github": "<redacted>"}, "<redacted>")


# -- failures: one line, and the exit code of the table ------------------------------------------------------------
def test_a_task_that_finishes_failed_exits_9_after_printing_its_result(idle_backend: LocalBackend) -> None:
    idle_backend.fail_next("it broke", after=0.2)
    result = run_cli("create", "agent-1", "hello", "--wait", "--timeout", "20", env=cli_env(idle_backend.url))
    (task_id,) = idle_backend.tasks
    assert result.stdout == "it broke\n"
    assert_one_error_line(result, 9, f"task {task_id} finished failed", created=True)


def test_a_followed_task_that_fails_prints_its_error_text_then_exits_9(idle_backend: LocalBackend) -> None:
    """`--follow` alone: the events, then the task's error text in the error line (before, only `--wait` said
    why the task failed)."""
    idle_backend.fail_next("the agent could not read the report", after=0.2)
    result = run_cli("create", "agent-1", "hello", "--follow", "--timeout", "20", env=cli_env(idle_backend.url))
    (task_id,) = idle_backend.tasks
    assert result.stdout.splitlines()[-1].endswith(" task_finished failed"), result.stdout
    assert_one_error_line(
        result, 9, f"task {task_id} finished failed: the agent could not read the report", created=True
    )


def test_a_wait_that_has_to_poll_says_so_in_one_prefixed_line(idle_backend: LocalBackend) -> None:
    """The SDK's WARNING (the events route did not know the task, so the wait polls) is an `xpander-tasks:`
    line on stderr, not Python's bare last-resort output."""
    idle_backend.complete_next("Hello!", after=0.3)
    idle_backend.respond_next(404, operation="get_task_events")
    result = run_cli("create", "agent-1", "hello", "--wait", "--timeout", "20", env=cli_env(idle_backend.url))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello!\n"
    created, warning = after_created_line(result.stderr, False).splitlines()
    assert CREATED_LINE.match(created + "\n"), created
    assert warning.startswith("xpander-tasks: Following task "), warning
    assert "by polling its status instead of its events" in warning and "[404]" in warning


def test_events_of_a_task_without_streaming_explains_the_command_line_way(idle_backend: LocalBackend) -> None:
    with Tasks(Configuration(api_key=API_KEY, base_url=idle_backend.url)) as tasks:
        task_id = tasks.create("agent-1", prompt="hi").id
    result = run_cli("events", task_id, env=cli_env(idle_backend.url))
    assert_one_error_line(result, 2, "without events streaming", "create AGENT_ID PROMPT --follow", "--wait")
    assert "events_streaming=True" not in result.stderr and "await_result" not in result.stderr
    assert result.stdout == ""


def test_waiting_or_following_past_the_timeout_exits_8(idle_backend: LocalBackend) -> None:
    started = time.monotonic()
    env = cli_env(idle_backend.url)
    waited, followed = run_many(
        (["create", "agent-1", "hello", "--wait", "--timeout", "0.5"], env),
        (["create", "agent-1", "hello", "--follow", "--timeout", "0.5"], env),
    )
    assert time.monotonic() - started < 10
    for result in (waited, followed):
        assert_one_error_line(result, 8, "did not finish within 0.5 s", "keeps running on the server", created=True)
    assert waited.stdout == ""
    assert [line.split()[1] for line in followed.stdout.splitlines()] == ["connected", "task_created"]


def test_each_failure_exits_with_its_code_and_one_line(faults: FaultServer, idle_backend: LocalBackend) -> None:
    faults.script(
        "/agent-execution/rate-limited", Reply(429, json_bytes({"detail": "slow down"}), (("retry-after", "0"),))
    )
    faults.script("/agent-execution/hanging", Hang())
    no_retry = ("--max-retries", "0")
    cases: list[tuple[str, list[str], dict[str, str], int, str]] = [
        ("400", ["create", "status-400", "p"], cli_env(faults.url), 1, "HTTP 400"),
        ("unreadable", ["create", "text-200", "p"], cli_env(faults.url), 1, ""),
        ("bad env", ["create", "a", "p"], cli_env(faults.url, XPANDER_TIMEOUT="soon"), 2, "XPANDER_TIMEOUT"),
        ("no key", ["create", "a", "p"], cli_env(faults.url, api_key=None), 3, "set XPANDER_API_KEY"),
        ("401", ["create", "status-401", "p"], cli_env(faults.url), 3, "HTTP 401"),
        ("403", ["get", "x"], cli_env(idle_backend.url, api_key="wrong-key"), 3, "HTTP 403"),
        ("404", ["get", "no-such-task"], cli_env(idle_backend.url), 4, "HTTP 404"),
        ("429", ["create", "rate-limited", "p", *no_retry], cli_env(faults.url), 5, "HTTP 429"),
        ("500", ["create", "status-500", "p", *no_retry], cli_env(faults.url), 6, "HTTP 500"),
        ("refused", ["get", "x", *no_retry], cli_env(f"http://127.0.0.1:{closed_port()}"), 7, "127.0.0.1"),
        ("timeout", ["create", "hanging", "p", "--request-timeout", "0.5", *no_retry], cli_env(faults.url), 8, ""),
    ]
    results = run_many(*((args, env) for _, args, env, _, _ in cases))
    for (name, _, env, code, fragment), result in zip(cases, results, strict=True):
        try:
            assert_one_error_line(result, code, fragment, api_key=env.get("XPANDER_API_KEY", API_KEY))
        except AssertionError as error:
            raise AssertionError(f"case {name!r}: {error}") from error


def test_api_key_is_not_an_option(idle_backend: LocalBackend) -> None:
    result = run_cli("create", "agent-1", "hello", "--api-key", "local-backend-key", env=cli_env(idle_backend.url))
    assert result.returncode == 2
    assert "--api-key is not accepted" in result.stderr
    assert "Traceback" not in result.stderr
    assert idle_backend.requests == []


def test_bad_arguments_exit_2() -> None:
    bad = [["create", "a"], ["get", "x", "--request-timeout", "-1"], ["create", "a", "p", "--timeout", "5"]]
    for args, result in zip(bad, run_many(*((args, cli_env("http://127.0.0.1:9")) for args in bad)), strict=True):
        assert result.returncode == 2, args
        assert re.match(r"xpander-tasks( \w+)?: error: ", result.stderr.splitlines()[-1]), result.stderr
        assert "Traceback" not in result.stderr


# -- a real terminal ---------------------------------------------------------------------------------------------------
def read_until(fd: int, pattern: re.Pattern[bytes], seen: bytearray, seconds: float) -> re.Match[bytes] | None:
    """Read the pty's master into `seen` until `pattern` matches (or the child's end, or `seconds`)."""
    deadline = time.monotonic() + seconds
    while (match := pattern.search(seen)) is None and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return match


def wait_for_exit(pid: int, seconds: float) -> int | None:
    """The child's exit code, or None when it is still running after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    return None


def test_in_a_terminal_the_status_line_shows_and_ctrl_c_exits_130(idle_backend: LocalBackend) -> None:
    env = cli_env(idle_backend.url)
    pid, fd = pty.fork()  # the child: a session of its own, the pty as its controlling terminal (all three fds)
    if pid == 0:
        try:
            os.execve(CLI, [str(CLI), "create", "agent-1", "hello", "--wait"], env)  # noqa: S606 - the script itself
        finally:
            os._exit(127)
    seen, exit_status = bytearray(), None
    try:
        status_line = read_until(fd, re.compile(rb"\r\x1b\[K\[.\] task ([0-9a-f-]{36}): pending \(\d+ s\)"), seen, 10)
        assert status_line, bytes(seen)
        os.write(fd, b"\x03")  # Ctrl-C, as a terminal sends it: SIGINT to the foreground process group
        read_until(fd, re.compile(rb"stop [0-9a-f-]{36}\r?\n"), seen, 10)
        exit_status = wait_for_exit(pid, 10)
    finally:
        if exit_status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    output = bytes(seen).decode(errors="replace")
    task_id = status_line.group(1).decode()
    assert exit_status == 130, output
    assert f"task {task_id} keeps running on the server. Stop it with: xpander-tasks stop {task_id}" in output
    assert "Traceback" not in output
    after_line = output.rsplit("task " + task_id + ": pending", 1)[1]
    assert "\r\x1b[K" in after_line  # the status line erased before the message
    assert idle_backend.tasks[task_id].status.value == "pending"  # not stopped: it keeps running
