"""`xpander_sdk.testing` as a server and a demo: what a newcomer meets first.

1. `FakeBackend.serve()` holds a burst: 1,000 creates in flight at once, and the README's many-at-once example
   (100 tasks, 50 at a time, each followed to its result), on both transports of the SDK, lose nothing.
2. `play_agent()`: a demo agent runs every task (start, a tool call, chunks, `Done: <prompt>`), spread out, and
   keeps the backend's rules (a stopped task stays stopped, a scripted outcome wins, shutdown cancels it).
3. `python -m xpander_sdk.testing`: the fake on a port, in another process, with the lines to paste; the SDK's
   command line runs a task to its result against it; Ctrl-C and SIGTERM end it with 0; a busy port is exit 2.
4. `unscripted_wait`: a wait on a task nothing will finish ends in seconds with a 409 that says what to script
   (every wait entry point, with and without events, sync and async, on both transports), not at its timeout.
5. `serve()` on malformed framing (raw sockets): an answer that says what is wrong, never a hang, a dropped
   connection or a traceback; a client gone away is not an error; a half-sent request does not hold a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import spec_tools
from tests.conftest import MODES
from tests.test_contract_wire import README, readme_blocks, run_example
from xpander_sdk import (
    AgentExecutionStatus,
    Configuration,
    ConflictError,
    InvalidArgumentError,
    ModuleException,
    Task,
    Tasks,
    WaitTimeoutError,
)
from xpander_sdk.testing import API_KEY, ORGANIZATION_ID, FakeBackend, _wire

pytest_plugins = ["pytester"]

AGENT = "agent-1"
BURST = 1000
QUICK = 0.3
"""The `unscripted_wait` of these tests: a wait on an unscripted task is refused after this much quiet."""
SUBPROCESS_TIMEOUT = 30


def tasks_on(backend: FakeBackend, url: str, **options: Any) -> Tasks:
    return Tasks(Configuration(backend.api_key, url, backend.organization_id), **options)


# -- 1. serve() holds a burst ---------------------------------------------------------------------------------------
POOLS = {"aiohttp": 1, "httpx": 20}
"""Over how many `Tasks` the burst's 1,000 connections are spread, per transport. One pool of 1,000 on aiohttp.
On httpx's transport one pool of 1,000 costs about 25 s of the client's own CPU (httpcore's pool scans every
connection for every queued request: 64 million `is_idle` calls for 1,000 creates), against any server; 20
pools of 50 hold the same 1,000 connections open at once in about 4 s."""


@pytest.mark.anyio
async def test_serve_holds_a_thousand_creates_in_flight(http_transport: str) -> None:
    """1,000 creates at once, none retried (a lost one would show), on pools that let all 1,000 be in flight."""
    size = BURST // POOLS[http_transport]
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    with FakeBackend() as backend, backend.serve() as url:
        pools = [tasks_on(backend, url, limits=limits, max_retries=0, timeout=120) for _ in range(BURST // size)]
        jobs = [pools[number % len(pools)].acreate(AGENT, prompt=f"job {number}") for number in range(BURST)]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        for tasks in pools:
            await tasks.aclose()
        assert [result for result in results if not isinstance(result, Task)] == []
        assert len(backend.tasks) == BURST
        assert sorted(task.input.text for task in backend.tasks.values()) == sorted(f"job {n}" for n in range(BURST))


@pytest.mark.anyio
async def test_serve_runs_the_readme_many_at_once_example(http_transport: str) -> None:
    """The README's "Many at once": 100 tasks, 50 at a time, each followed by its event stream to its result
    (each stream held open while the others create)."""
    with FakeBackend() as backend, backend.serve() as url:
        backend.complete_next("Report ready", after=0.2, times=None)
        async with tasks_on(backend, url, max_retries=0) as tasks:  # no retry to hide a lost request
            jobs = [{"agent_id": AGENT, "prompt": f"Report {n}", "events_streaming": True} for n in range(100)]
            results = await tasks.acreate_many(jobs, concurrency=50, wait=True, wait_timeout=120)
        assert [result for result in results if isinstance(result, ModuleException)] == []
        assert [result.result for result in results if isinstance(result, Task)] == ["Report ready"] * 100
        assert len(backend.tasks) == 100
        streams = [request for request in backend.requests if request.operation == "get_task_events"]
        assert len(streams) >= 100


# -- 2. play_agent() ---------------------------------------------------------------------------------------------------
def test_the_demo_agent_runs_a_task_with_events() -> None:
    delay = 0.2
    with FakeBackend() as backend, backend.client() as tasks:
        backend.play_agent(delay=delay)
        task = tasks.create(AGENT, prompt="Summarize the report", events_streaming=True)
        with task.events() as stream:
            events = list(stream)
        kinds = [event.type.value for event in events]
        assert kinds == [
            "connected", "task_created", "task_updated", "tool_call_request", "tool_call_result", "chunk", "chunk",
            "task_finished",
        ]  # fmt: skip
        assert events[2].data.status == AgentExecutionStatus.Executing
        assert "".join(event.data for event in events if event.type.value == "chunk") == "Done: Summarize the report"
        request, result = events[3].data, events[4].data
        assert (request["tool_name"], request["payload"]) == ("echo", {"text": "Summarize the report"})
        assert result["tool_call_id"] == request["tool_call_id"]
        assert (result["result"], result["is_error"]) == ({"text": "Summarize the report"}, False)
        assert all(event.identity is not None and event.identity.name == "Fake agent" for event in events[3:7])
        started, finished_at = (event.time for event in events if event.type.value in ("task_updated", "task_finished"))
        assert started is not None and finished_at is not None
        assert (finished_at - started).total_seconds() >= delay / 2, "the steps were published all at once"
        for raw in backend.events(task.id):
            assert spec_tools.violations(spec_tools.validator("TaskUpdateEvent"), raw) == []
        finished = task.wait(timeout=5)
        assert (finished.status, finished.result) == (AgentExecutionStatus.Completed, "Done: Summarize the report")
        assert finished.started_at is not None


@pytest.mark.anyio
async def test_the_demo_agent_over_serve(http_transport: str) -> None:
    with FakeBackend() as backend, backend.serve() as url:
        backend.play_agent(delay=0.05)
        async with tasks_on(backend, url) as tasks:
            quiet = await tasks.acreate_and_wait(AGENT, prompt="no events", wait_timeout=30)
            streamed = await tasks.acreate_and_wait(AGENT, prompt="with events", events_streaming=True, wait_timeout=30)
        assert (quiet.status, quiet.result) == (AgentExecutionStatus.Completed, "Done: no events")
        assert (streamed.status, streamed.result) == (AgentExecutionStatus.Completed, "Done: with events")
        assert "tool_call_result" in [event["type"] for event in backend.events(streamed.id)]


def _settle(backend: FakeBackend) -> None:
    """Wait until the demo agent has run (or, once shut down, dropped) every step it planned."""
    assert backend._agent is not None
    assert backend._agent.drained(timeout=10), "the demo agent's steps did not run"


def _until_started(backend: FakeBackend, task_id: str) -> None:
    for _ in range(500):  # 5 s at most
        if backend.tasks[task_id].status == AgentExecutionStatus.Executing:
            return
        time.sleep(0.01)
    pytest.fail(f"the demo agent did not start task {task_id}")


def test_the_demo_agent_leaves_a_stopped_task_stopped() -> None:
    delay = 0.5
    with FakeBackend() as backend, backend.client() as tasks:
        backend.play_agent(delay=delay)
        waiting = tasks.create(AGENT, prompt="stop me", events_streaming=True)
        tasks.stop(waiting.id)
        running = tasks.create(AGENT, prompt="stop me later", events_streaming=True)
        _until_started(backend, running.id)  # it completes `delay` seconds later
        tasks.stop(running.id)
        _settle(backend)
        assert backend.tasks[waiting.id].status == AgentExecutionStatus.Stopped
        assert backend.tasks[waiting.id].started_at is None
        assert [event["type"] for event in backend.events(waiting.id)] == ["connected", "task_created", "task_finished"]
        assert backend.tasks[running.id].status == AgentExecutionStatus.Stopped
        assert backend.tasks[running.id].result is None
        assert backend.events(running.id)[-1]["type"] == "task_finished"


def test_the_demo_agent_leaves_a_task_the_test_finished_and_a_scripted_outcome() -> None:
    delay = 0.1
    with FakeBackend() as backend, backend.client() as tasks:
        backend.play_agent(delay=delay)
        finished_by_test = tasks.create(AGENT, prompt="mine", events_streaming=True)
        backend.complete(finished_by_test.id, "finished by the test")
        backend.fail_next("scripted failure")
        scripted = tasks.create(AGENT, prompt="scripted")
        _settle(backend)
        assert backend.tasks[finished_by_test.id].result == "finished by the test"
        kinds = [event["type"] for event in backend.events(finished_by_test.id)]
        assert "tool_call_request" not in kinds
        assert kinds.count("task_finished") == 1
        assert (backend.tasks[scripted.id].status, backend.tasks[scripted.id].result) == (
            AgentExecutionStatus.Failed, "scripted failure"
        )  # fmt: skip


def test_shutdown_stops_the_demo_agent() -> None:
    delay = 0.1
    with FakeBackend() as backend, backend.client() as tasks:
        backend.play_agent(delay=delay)
        task = tasks.create(AGENT, prompt="never run", events_streaming=True)
        backend.shutdown()
        _settle(backend)
        assert backend.tasks[task.id].status == AgentExecutionStatus.Pending
        assert [event["type"] for event in backend.events(task.id)] == ["connected", "task_created"]


@pytest.mark.parametrize("delay", [-1, float("nan"), float("inf"), "1", True])
def test_play_agent_refuses_a_bad_delay(delay: Any) -> None:
    with FakeBackend() as backend, pytest.raises(InvalidArgumentError, match="delay"):
        backend.play_agent(delay=delay)


def test_every_readme_example_runs_against_the_demo_agent(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What the README promises of `python -m xpander_sdk.testing`: each of its python blocks runs as a script
    against the fake with the demo agent, every answer a 2xx (run as tests/test_contract_wire.py runs them)."""
    examples = readme_blocks(README.read_text())
    assert len(examples) >= 8
    with FakeBackend() as backend, backend.serve() as url:
        backend.play_agent(delay=0.05)
        monkeypatch.setenv("XPANDER_BASE_URL", url)
        monkeypatch.setenv("XPANDER_API_KEY", backend.api_key)
        monkeypatch.setenv("XPANDER_ORGANIZATION_ID", backend.organization_id)
        for line, source in examples:
            assert "Traceback" not in run_example(line, source, caplog)
        assert any(task.result and task.result.startswith("Done: ") for task in backend.tasks.values())


# -- 3. python -m xpander_sdk.testing -------------------------------------------------------------------------------
BANNER = re.compile(
    r"A fake xpander API is listening on (http://127\.0\.0\.1:(\d+)) \(Ctrl-C stops it\)\. In another shell:"
)


def _environment() -> dict[str, str]:
    """The test process's environment without XPANDER_* (the clean_env fixture has removed them already)."""
    return {name: value for name, value in os.environ.items() if not name.startswith("XPANDER_")}


@contextlib.contextmanager
def fake_server(*options: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """`python -m xpander_sdk.testing` running, and the four lines it printed first. Killed at the end if still
    running (a test that stops it checks its exit itself)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "xpander_sdk.testing", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    )
    try:
        yield server, _read_lines(server, 4)
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate(timeout=SUBPROCESS_TIMEOUT)


def _read_lines(server: subprocess.Popen[str], count: int) -> list[str]:
    """The first `count` lines of its stdout, within SUBPROCESS_TIMEOUT (a reader thread: a pipe read blocks)."""
    lines: queue.Queue[str] = queue.Queue()
    assert server.stdout is not None
    stdout = server.stdout

    def read() -> None:
        for _ in range(count):
            lines.put(stdout.readline())

    threading.Thread(target=read, daemon=True).start()
    return [lines.get(timeout=SUBPROCESS_TIMEOUT).rstrip("\n") for _ in range(count)]


def _exports(lines: list[str]) -> dict[str, str]:
    pairs = [re.fullmatch(r"  export (\w+)=(\S+)", line) for line in lines[1:]]
    assert all(pairs), lines
    return {match.group(1): match.group(2) for match in pairs if match}


def test_the_fake_server_runs_a_task_of_the_command_line_to_its_result() -> None:
    with fake_server("--port", "0", "--delay", "0.1") as (server, lines):
        banner = BANNER.fullmatch(lines[0])
        assert banner is not None, lines
        url, port = banner.groups()
        assert port != "0"
        exports = _exports(lines)
        assert exports == {
            "XPANDER_BASE_URL": url, "XPANDER_API_KEY": API_KEY, "XPANDER_ORGANIZATION_ID": ORGANIZATION_ID
        }  # fmt: skip
        command = [sys.executable, "-m", "xpander_sdk", "create", AGENT, "Summarize it", "--follow", "--wait"]
        done = subprocess.run(
            [*command, "--timeout", "20"], env={**_environment(), **exports}, capture_output=True, text=True,
            timeout=SUBPROCESS_TIMEOUT, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        output = done.stdout.splitlines()
        kinds = [line.split(" ")[1] for line in output[:-1]]
        assert kinds == [
            "connected", "task_created", "task_updated", "tool_call_request", "tool_call_result", "chunk", "chunk",
            "task_finished",
        ]  # fmt: skip
        assert output[-1] == "Done: Summarize it"
        wrong_key = {**_environment(), **exports, "XPANDER_API_KEY": "not-the-printed-key"}
        refused = subprocess.run(
            [sys.executable, "-m", "xpander_sdk", "list", AGENT], env=wrong_key, capture_output=True, text=True,
            timeout=SUBPROCESS_TIMEOUT, check=False,
        )  # fmt: skip
        assert (refused.returncode, "Invalid API key" in refused.stderr) == (3, True), refused.stderr
        server.send_signal(signal.SIGINT)
        _, log = server.communicate(timeout=SUBPROCESS_TIMEOUT)
    assert server.returncode == 0, log
    assert "Traceback" not in log
    log_lines = log.splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d POST /agent-execution/agent-1 200", log_lines[0]), log_lines
    stream_line = re.compile(r"\d\d:\d\d:\d\d GET /org-fake/agent-execution/[0-9a-f-]+/events 200")
    assert any(stream_line.fullmatch(line) for line in log_lines), log_lines
    assert any(line.endswith(f"GET /agent-execution/executions/history/{AGENT} 403") for line in log_lines), log_lines
    assert log_lines[-1] == "Stopped."


def test_the_fake_server_ends_cleanly_on_sigterm() -> None:
    with fake_server("--port", "0") as (server, lines):
        assert BANNER.fullmatch(lines[0])
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=SUBPROCESS_TIMEOUT)
    assert (server.returncode, stdout, stderr) == (0, "", "Stopped.\n")


def test_the_fake_server_on_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "xpander_sdk.testing", "--port", str(port)], env=_environment(),
            capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT, check=False,
        )  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"python -m xpander_sdk.testing: error: port {port} is in use (stop what listens there, or pick another "
        "port with --port; 0: a free one)\n"
    )


def test_the_fake_server_help_and_bad_options() -> None:
    def run(*options: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "xpander_sdk.testing", *options]
        return subprocess.run(command, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT, check=False)

    shown = run("--help")
    assert shown.returncode == 0
    assert "--port" in shown.stdout and "--delay" in shown.stdout and "default 8765" in shown.stdout
    for options in (("--port", "70000"), ("--port", "-1"), ("--delay", "-1"), ("--delay", "nan")):
        refused = run(*options)
        assert (refused.returncode, refused.stdout) == (2, ""), options
        assert "Traceback" not in refused.stderr


# -- 4. unscripted_wait ------------------------------------------------------------------------------------------------
def _assert_says_what_to_script(error: ConflictError, task_id: str | None) -> None:
    text = str(error)
    assert error.status_code == 409
    if task_id is not None:
        assert f"Task {task_id} is pending" in text
    advice = ("backend.complete_next(", "backend.fail_next(", "backend.complete(task_id)", "backend.fail(task_id)")
    assert all(what in text for what in advice), text
    assert "FakeBackend(unscripted_wait=None)" in text


def _created_id(backend: FakeBackend) -> str:
    [task_id] = backend.tasks
    return task_id


async def _wait_by(entry: str, mode: str, tasks: Tasks, arguments: dict[str, Any]) -> None:
    """Create a task and wait for it (60 s at most) by `entry`, sync or async as `mode` says."""
    if mode == "sync" and entry == "create_and_wait":
        tasks.create_and_wait(AGENT, wait_timeout=60, **arguments)
    elif mode == "sync":
        tasks.create(AGENT, **arguments).wait(timeout=60)
    elif entry == "create_and_wait":
        await tasks.acreate_and_wait(AGENT, wait_timeout=60, **arguments)
    else:
        await (await tasks.acreate(AGENT, **arguments)).await_result(timeout=60)


async def _follow(task: Task) -> None:
    async with task.aevents() as stream:
        async for _ in stream:
            pass


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("entry", ["create_and_wait", "wait"])
@pytest.mark.parametrize("events", [False, True], ids=["polling", "events"])
async def test_a_wait_on_an_unscripted_task_fails_in_seconds(mode: str, entry: str, events: bool) -> None:
    """Over serve(), on each transport: the 409 that says what to script, as a ConflictError, long before the
    wait's timeout (60 s here: a WaitTimeoutError would fail the test)."""
    with FakeBackend(unscripted_wait=QUICK) as backend, backend.serve() as url:
        tasks = tasks_on(backend, url)
        arguments: dict[str, Any] = {"prompt": "nobody runs this", "events_streaming": events}
        with pytest.raises(ConflictError) as refused:
            await _wait_by(entry, mode, tasks, arguments)
        await tasks.aclose()
        _assert_says_what_to_script(refused.value, _created_id(backend))
        assert backend.requests[-1].operation == ("get_task_events" if events else "get_task")


@pytest.mark.anyio
async def test_the_fixture_way_in_process_fails_in_seconds_too() -> None:
    """The way the pytest fixture plugs in (install(): every Tasks() on the in-process transport), sync and
    async, and a follower of the events that is not a wait."""
    with FakeBackend(unscripted_wait=QUICK) as backend, backend.install():
        with pytest.raises(ConflictError) as refused:
            Tasks().create_and_wait(AGENT, prompt="sync", events_streaming=True, wait_timeout=60)
        _assert_says_what_to_script(refused.value, None)
        with pytest.raises(ConflictError):
            await Tasks().acreate_and_wait(AGENT, prompt="async", wait_timeout=60)
        task = await Tasks().acreate(AGENT, prompt="followed", events_streaming=True)
        with pytest.raises(ConflictError, match=task.id):
            await _follow(task)


def test_a_first_read_of_a_quiet_task_is_served() -> None:
    """Only a read after another read is refused: a test may look at a quiet task once."""
    with FakeBackend(unscripted_wait=QUICK) as backend, backend.client() as tasks:
        task = tasks.create(AGENT, prompt="look at me")
        time.sleep(QUICK * 1.5)
        assert tasks.get(task.id).status == AgentExecutionStatus.Pending
        with pytest.raises(ConflictError):
            tasks.get(task.id)
        backend.start(task.id)  # a change: served again, and the wait goes on to the result
        assert tasks.get(task.id).status == AgentExecutionStatus.Executing
        backend.complete(task.id, "done")
        assert task.wait(timeout=5).result == "done"


DRIVEN_QUIET = 1.0
"""The `unscripted_wait` of the driven-task test: ten times the 0.1 s between two steps of `_drive` (a stall of
0.9 s on a loaded machine before a false 409), and less than the 1.6 s the steps last in all (a change that did not
reset the clock would be refused: the stream, its heartbeat shorter than a step, looks between two steps)."""


def test_a_task_the_test_drives_or_a_scripted_one_is_never_refused() -> None:
    """Polls and streams of quiet tasks, each quieter than `unscripted_wait` between two changes or driven."""
    with FakeBackend(unscripted_wait=DRIVEN_QUIET, heartbeat=0.05) as backend, backend.client() as tasks:
        backend.complete_next("late outcome", after=1.5)  # polls at 0, 0.5, 1.5 s: quiet for more than DRIVEN_QUIET
        assert tasks.create_and_wait(AGENT, prompt="scripted", wait_timeout=30).result == "late outcome"
        task = tasks.create(AGENT, prompt="driven", events_streaming=True)
        steps = [(backend.start, ())] + [(backend.emit, ("chunk", str(number))) for number in range(14)]
        threading.Thread(target=_drive, args=(backend, task.id, steps), daemon=True).start()
        assert task.wait(timeout=30).result == "ab"
        backend.play_agent(delay=0.3)
        assert tasks.create_and_wait(AGENT, prompt="agent", wait_timeout=30).result == "Done: agent"


def _drive(backend: FakeBackend, task_id: str, steps: list[tuple[Any, tuple[Any, ...]]]) -> None:
    """Each step 0.1 s after the last (a tenth of the quiet that is refused), then the completion."""
    for action, arguments in steps:
        time.sleep(0.1)
        action(task_id, *arguments)
    time.sleep(0.1)
    backend.complete(task_id, "ab")


def test_unscripted_wait_none_waits_until_the_timeout() -> None:
    with FakeBackend(unscripted_wait=None) as backend, backend.client() as tasks:
        with pytest.raises(WaitTimeoutError):
            tasks.create_and_wait(AGENT, prompt="hi", events_streaming=True, wait_timeout=1)
        assert len(backend.requests) >= 2


@pytest.mark.parametrize("value", [-1, float("nan"), "5", True])
def test_unscripted_wait_refuses_a_bad_value(value: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="unscripted_wait"):
        FakeBackend(unscripted_wait=value)


def test_the_409_body_is_the_servers_error_shape() -> None:
    """The refusal is a FastAPI-style `{"detail": "..."}` (what the SDK reads as the error's description)."""
    with FakeBackend(unscripted_wait=0) as backend, backend.client() as tasks:
        task = tasks.create(AGENT, prompt="hi")
        client = httpx.Client(transport=backend.transport, base_url=backend.base_url, headers={"x-api-key": API_KEY})
        assert client.get(f"/agent-execution/{task.id}/status").status_code == 200
        refused = client.get(f"/agent-execution/{task.id}/status")
        assert refused.status_code == 409
        assert list(json.loads(refused.content)) == ["detail"]
        assert task.id in refused.json()["detail"]


USER_TEST = """
from xpander_sdk import Tasks

def test_forgot_to_script_the_task(xpander_backend):
    Tasks().create_and_wait("agent-1", prompt="hi", events_streaming=True, wait_timeout=60)
"""


def test_the_fixture_fails_a_forgotten_script_in_seconds_by_default(pytester: pytest.Pytester) -> None:
    """The newcomer's case: the `xpander_backend` fixture with its defaults (`unscripted_wait=5.0`). The test
    fails at about 6 s with the advice, not at its 60 s wait timeout (nor the default 600 s)."""
    pytester.makepyfile(test_user_code=USER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ConflictError*nothing will finish it*backend.complete_next(*"])
    assert "WaitTimeoutError" not in result.stdout.str()


# -- 5. serve() on malformed framing -----------------------------------------------------------------------------------
RAW_TIMEOUT = 5.0
"""Seconds a raw-socket test waits for one read: a server that hangs fails the test with a TimeoutError."""
CREATE = "POST /agent-execution/agent-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: fake-api-key\r\n"


def _connect(url: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=RAW_TIMEOUT)


def _exchange(url: str, data: bytes) -> bytes:
    """What the server sends back to `data` on a new connection, until it closes the connection."""
    with _connect(url) as connection:
        connection.sendall(data)
        received = b""
        for _ in range(1000):  # far more reads than a few answers take
            chunk = connection.recv(65536)
            if not chunk:
                return received
            received += chunk
    pytest.fail(f"the server did not close the connection: {received!r}")


def _statuses(received: bytes) -> list[int]:
    return [int(status) for status in re.findall(rb"(?m)^HTTP/1\.1 (\d{3}) ", received)]


def _answer_json(received: bytes) -> Any:
    return json.loads(received.partition(b"\r\n\r\n")[2])


def _assert_still_serves(backend: FakeBackend, url: str) -> None:
    with tasks_on(backend, url, max_retries=0) as tasks:
        assert tasks.create(AGENT, prompt="after").input.text == "after"


def _assert_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err, err


MALFORMED = {
    "a Content-Length that is no number": (CREATE + "Content-Length: abc\r\n\r\n{}", 400),
    "a negative Content-Length": (CREATE + "Content-Length: -1\r\n\r\n{}", 400),
    "two Content-Lengths": (CREATE + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
    "a chunked body": (CREATE + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 411),
    "a target that is not a path": (CREATE.replace("/agent-execution", "http://x/agent-execution") + "\r\n", 400),
}


@pytest.mark.parametrize(("request_text", "status"), MALFORMED.values(), ids=list(MALFORMED))
def test_serve_answers_malformed_framing_and_closes(
    capfd: pytest.CaptureFixture[str], request_text: str, status: int
) -> None:
    """One JSON `{"detail": ...}` answer and the connection closed (where a next request would begin is not
    known): no hang on a negative length, no chunk read as the next request, no dropped connection."""
    with FakeBackend() as backend, backend.serve() as url:
        received = _exchange(url, request_text.encode())
        assert _statuses(received) == [status], received
        assert b"\r\nconnection: close\r\n" in received.lower()
        assert list(_answer_json(received)) == ["detail"]
        assert backend.tasks == {}
        _assert_still_serves(backend, url)
    _assert_no_traceback(capfd)


def test_serve_answers_whatever_the_host_header_says(capfd: pytest.CaptureFixture[str]) -> None:
    """The request's URL is the server's own address: a Host that is no URL's host is not an error."""
    with FakeBackend() as backend, backend.serve() as url, backend.client() as tasks:
        task = tasks.create(AGENT, prompt="hi")
        request = f"GET /agent-execution/{task.id}/status HTTP/1.1\r\nHost: a b@c:zz\r\nx-api-key: {API_KEY}\r\n"
        received = _exchange(url, f"{request}Connection: close\r\n\r\n".encode())
        assert _statuses(received) == [200], received
        assert _answer_json(received)["id"] == task.id
    _assert_no_traceback(capfd)


def _reset(connection: socket.socket) -> None:
    """Close with a reset (SO_LINGER 0), as a client that crashed or gave up does."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _watch_closes(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once the server has closed a connection (after its handler and any traceback it printed)."""
    closed = threading.Event()
    close = _wire._Server.shutdown_request

    def shutdown_request(server: Any, request: Any) -> None:
        close(server, request)
        closed.set()

    monkeypatch.setattr(_wire._Server, "shutdown_request", shutdown_request)
    return closed


def test_serve_is_quiet_when_the_client_resets_before_the_answer(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer is written to a reset connection (a broken pipe): no traceback, the server goes on."""
    closed, gone = _watch_closes(monkeypatch), threading.Event()
    with FakeBackend() as backend, backend.serve() as url:
        answer = backend.transport.handle_request

        def late(request: httpx.Request) -> httpx.Response:
            gone.wait(RAW_TIMEOUT)
            return answer(request)

        monkeypatch.setattr(backend.transport, "handle_request", late)
        connection = _connect(url)
        connection.sendall(f"{CREATE}Content-Length: 2\r\n\r\n{{}}".encode())
        _reset(connection)
        gone.set()
        assert closed.wait(RAW_TIMEOUT)
        _assert_no_traceback(capfd)
        monkeypatch.setattr(backend.transport, "handle_request", answer)
        _assert_still_serves(backend, url)


def test_serve_is_quiet_when_the_client_resets_between_requests(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keep-alive connection reset while the server waits for its next request: no traceback."""
    closed = _watch_closes(monkeypatch)
    with FakeBackend() as backend, backend.serve() as url:
        connection = _connect(url)
        connection.sendall(f"GET /agent-execution/none/status HTTP/1.1\r\nx-api-key: {API_KEY}\r\n\r\n".encode())
        received = b""
        for _ in range(100):  # the 404's head and body, in a few reads
            received += connection.recv(65536)
            if received.endswith(b"}"):
                break
        assert _statuses(received) == [404], received
        _reset(connection)
        assert closed.wait(RAW_TIMEOUT)
        _assert_no_traceback(capfd)
        _assert_still_serves(backend, url)


def test_serve_drops_a_half_sent_request_after_the_request_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request head never ended, or a body shorter than its Content-Length: the connection is closed after
    REQUEST_TIMEOUT of silence (the thread freed), not held until the client goes."""
    monkeypatch.setattr(_wire, "REQUEST_TIMEOUT", 0.3)
    with FakeBackend() as backend, backend.serve() as url:
        for half in (CREATE, f"{CREATE}Content-Length: 10\r\n\r\n{{}}"):
            assert _exchange(url, half.encode()) == b""
        assert backend.tasks == {}
        _assert_still_serves(backend, url)


def test_the_request_timeout_does_not_cut_an_open_event_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream that outlives REQUEST_TIMEOUT many times over goes on to its task_finished."""
    monkeypatch.setattr(_wire, "REQUEST_TIMEOUT", 0.1)
    with FakeBackend() as backend, backend.serve() as url, backend.client() as tasks:
        task = tasks.create(AGENT, prompt="slow", events_streaming=True)
        finisher = threading.Timer(1.0, backend.complete, (task.id, "late"))
        finisher.start()
        try:
            events = f"{url}/{ORGANIZATION_ID}/agent-execution/{task.id}/events"
            with httpx.stream("GET", events, headers={"x-api-key": API_KEY}, timeout=RAW_TIMEOUT) as response:
                text = "".join(response.iter_text())
        finally:
            finisher.cancel()
        assert '"type": "task_finished"' in text
        assert '"result": "late"' in text
