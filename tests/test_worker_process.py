"""The worker as a user runs it, in a process of its own against the testing kit's controller over a loopback
socket: `python agent.py` (`@on_task` in the script starts it and blocks; SIGTERM stops it gracefully, hooks
run, exit 0; a refused key exits 78 with one line), `xpander-tasks worker module:function` (importing the module
starts nothing), on both async transports; and the decorators' rules in process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.worker_kit import wait_until
from xpander_sdk import Configuration, InvalidArgumentError, Task, Tasks, on_boot, on_shutdown, on_task
from xpander_sdk._on_task import registered_handler
from xpander_sdk._worker_run import STOPPED
from xpander_sdk._worker_session import BOOT_HOOKS, SHUTDOWN_HOOKS
from xpander_sdk.testing import API_KEY, ORGANIZATION_ID, FakeBackend

AGENT = "agent-1"
CLI = Path(sys.executable).parent / "xpander-tasks"
AGENT_SCRIPT = """\
import asyncio
import os

from xpander_sdk import Task, on_boot, on_shutdown, on_task


@on_boot
def boot() -> None:
    print("booted", flush=True)


@on_shutdown
async def down() -> None:
    print("shut down", flush=True)


@on_task(grace_period=float(os.environ.get("GRACE", "30")), heartbeat_interval=0.1)
async def handle(task: Task) -> Task:
    await asyncio.sleep(float(task.input.text.partition("sleep ")[2] or 0))
    task.result = "answer to " + task.input.text
    return task


print("after the worker", flush=True)
"""


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    with FakeBackend(heartbeat=0.05) as fake:
        yield fake


@pytest.fixture
def url(backend: FakeBackend) -> Iterator[str]:
    with backend.serve() as served:
        yield served


@pytest.fixture
def tasks(url: str) -> Iterator[Tasks]:
    with Tasks(Configuration(api_key=API_KEY, base_url=url, organization_id=ORGANIZATION_ID)) as client:
        yield client


def worker_env(url: str, transport: str = "aiohttp", api_key: str = API_KEY, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("XPANDER_")}
    env.update(
        XPANDER_API_KEY=api_key,
        XPANDER_BASE_URL=url,
        XPANDER_ORGANIZATION_ID=ORGANIZATION_ID,
        XPANDER_AGENT_ID=AGENT,
        XPANDER_HTTP_TRANSPORT=transport,
        **extra,
    )
    return env


def start(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stopped(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> tuple[int, str, str]:
    """Send `signum`, then the exit status and the output (killed after 30 s: the test then fails)."""
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"the worker did not stop: {err}") from None
    return process.returncode, out, err


def status(backend: FakeBackend, task_id: str) -> str:
    return backend.tasks[task_id].status.value


# -- python agent.py ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_python_agent_py_runs_the_worker_and_stops_gracefully_on_sigterm(
    backend: FakeBackend, url: str, tasks: Tasks, tmp_path: Path, transport: str
) -> None:
    (tmp_path / "agent.py").write_text(AGENT_SCRIPT)
    process = start([sys.executable, "agent.py"], worker_env(url, transport), tmp_path)
    try:
        wait_until(lambda: backend.workers, what="the registration")
        quick = tasks.create(agent_id=AGENT, prompt="hello")
        wait_until(lambda: status(backend, quick.id) == "completed", what="the quick task")
        slow = tasks.create(agent_id=AGENT, prompt="sleep 0.5")
        wait_until(lambda: status(backend, slow.id) == "executing", what="the slow task to start")
    finally:
        code, out, err = stopped(process)
    assert code == 0, err
    assert status(backend, slow.id) == "completed", "the running handler finished within the grace period"
    assert backend.tasks[quick.id].result == "answer to hello"
    assert out.splitlines() == ["booted", "shut down"], "the worker blocks at @on_task; the process ends after it"


def test_past_the_grace_period_the_running_task_ends_error_and_the_process_exits_0(
    backend: FakeBackend, url: str, tasks: Tasks, tmp_path: Path
) -> None:
    (tmp_path / "agent.py").write_text(AGENT_SCRIPT)
    process = start([sys.executable, "agent.py"], worker_env(url, GRACE="0.3"), tmp_path)
    try:
        wait_until(lambda: backend.workers, what="the registration")
        slow = tasks.create(agent_id=AGENT, prompt="sleep 60")
        wait_until(lambda: status(backend, slow.id) == "executing", what="the slow task to start")
    finally:
        code, out, err = stopped(process)
    assert code == 0, err
    assert (status(backend, slow.id), backend.tasks[slow.id].result) == ("error", STOPPED)
    assert "shut down" in out


def test_a_refused_key_exits_78_with_one_line(url: str, tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(AGENT_SCRIPT)
    env = worker_env(url, api_key="sk-wrong-0123456789")
    result = subprocess.run(
        [sys.executable, "agent.py"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 78
    (line,) = result.stderr.splitlines()
    assert line.startswith("xpander worker: The agent controller") and "XPANDER_API_KEY" in line
    assert "sk-wrong" not in result.stderr + result.stdout


def test_a_missing_agent_id_exits_78_naming_it(url: str, tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(AGENT_SCRIPT)
    env = worker_env(url)
    del env["XPANDER_AGENT_ID"]
    result = subprocess.run(
        [sys.executable, "agent.py"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 78
    assert "XPANDER_AGENT_ID" in result.stderr.splitlines()[-1]


# -- xpander-tasks worker ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_the_command_line_runs_an_imported_handler(
    backend: FakeBackend, url: str, tasks: Tasks, tmp_path: Path, transport: str
) -> None:
    (tmp_path / "agent.py").write_text(AGENT_SCRIPT)
    command = [str(CLI), "worker", "agent:handle", "--concurrency", "2", "--handler-timeout", "5"]
    process = start(command, worker_env(url, transport), tmp_path)
    try:
        wait_until(lambda: backend.workers, what="the registration")
        task = tasks.create(agent_id=AGENT, prompt="from the command line")
        wait_until(lambda: status(backend, task.id) == "completed", what="the task")
    finally:
        code, out, err = stopped(process, signal.SIGINT)
    assert code == 0, err
    assert len(backend.workers) == 1, "importing agent.py started no worker of its own"
    assert out.splitlines() == ["after the worker", "booted", "shut down"], "imported first, then run"
    assert "Registered with the controller as worker worker-1" in err


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("agent", "expected MODULE:FUNCTION"),
        ("nowhere:handle", "no module named 'nowhere'"),
        ("agent:nope", "no function"),
    ],
)
def test_the_command_line_refuses_a_bad_target(url: str, tmp_path: Path, target: str, message: str) -> None:
    (tmp_path / "agent.py").write_text(AGENT_SCRIPT)
    result = subprocess.run(
        [str(CLI), "worker", target],
        env=worker_env(url),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_the_command_line_exits_78_for_a_refused_key(url: str, tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(AGENT_SCRIPT)
    env = worker_env(url, api_key="sk-wrong-0123456789")
    result = subprocess.run(
        [str(CLI), "worker", "agent:handle"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 78
    assert "XPANDER_API_KEY" in result.stderr and "sk-wrong" not in result.stderr


# -- the decorators, in process ------------------------------------------------------------------------------------
@pytest.fixture
def clean_hooks() -> Iterator[None]:
    boot, shutdown = list(BOOT_HOOKS), list(SHUTDOWN_HOOKS)
    yield
    BOOT_HOOKS[:], SHUTDOWN_HOOKS[:] = boot, shutdown


def test_on_task_in_an_imported_module_only_registers_the_function() -> None:
    async def handle(task: Task) -> Task:
        return task

    assert on_task(handle) is handle
    assert on_task()(handle) is handle
    assert registered_handler(__name__, handle.__qualname__) == (handle, None, {})
    configuration = Configuration(api_key="k")
    assert on_task(configuration=configuration)(handle) is handle
    assert registered_handler(__name__, handle.__qualname__) == (handle, configuration, {})


def test_on_task_refuses_what_it_cannot_run() -> None:
    with pytest.raises(InvalidArgumentError, match="handler"):
        on_task(lambda: None)
    with pytest.raises(InvalidArgumentError, match="test_task"):
        on_task(test_task=object())


def test_the_hooks_register_in_order(clean_hooks: None) -> None:
    def first() -> None: ...
    async def second() -> None: ...

    assert on_boot(first) is first and on_boot()(second) is second
    assert on_shutdown(first) is first
    assert BOOT_HOOKS[-2:] == [first, second]
    assert SHUTDOWN_HOOKS[-1:] == [first]


def run_as_main(source: str) -> dict[str, Any]:
    """Run `source` as the script being run (its functions' module is `__main__`)."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(source, "agent.py", "exec"), namespace)  # noqa: S102 - the test's own source
    return namespace


SCRIPT = "from xpander_sdk import on_task\n@on_task\ndef handle(task):\n    return task\n"


def test_autostart_false_keeps_the_script_from_starting_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPANDER_WORKER_AUTOSTART", "false")
    assert callable(run_as_main(SCRIPT)["handle"])


def test_in_the_script_being_run_on_task_starts_the_worker(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No agent id: the worker it starts refuses at once, which shows it tried (exit 78, as from `python agent.py`)."""
    monkeypatch.setenv("XPANDER_API_KEY", "k")
    with pytest.raises(SystemExit) as exited:
        run_as_main(SCRIPT)
    assert exited.value.code == 78
    assert "XPANDER_AGENT_ID" in capsys.readouterr().err


def test_under_a_running_loop_the_worker_starts_as_a_task_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        with FakeBackend() as backend, backend.install():
            monkeypatch.setenv("XPANDER_AGENT_ID", AGENT)
            run_as_main(SCRIPT)
            started = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for _ in range(500):  # up to 10 s
                if backend.workers:
                    break
                await asyncio.sleep(0.02)
            assert backend.workers, "the worker registered while the notebook's loop runs"
            for task in started:
                task.cancel()
            await asyncio.gather(*started, return_exceptions=True)

    asyncio.run(main())
