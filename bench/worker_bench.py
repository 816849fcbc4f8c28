"""The `worker` section of `make bench`: our `@on_task` worker, side by side with the official xpander-sdk 2.0.537
worker (`--official`), against a loopback fake controller (`bench.controller`, a process of its own).

    .venv/bin/python -m bench.run --only worker [--quick] [--official]
    .venv/bin/python -m bench.worker_bench --profile /tmp/worker.prof [--quick]   # ours at 16, under cProfile

Both workers run the same script, `bench/worker_agent.py`, as separate processes (`python bench/worker_agent.py`,
configured from the environment), each with a fresh controller. A third, `bench/raw_worker.py` (raw aiohttp, two
saves per task and nothing else), gives the floor of this machine for the latency and for one task at a time.
CPU time is the scheduler's exact count of the worker's threads (/proc/PID/task/*/schedstat).

1. Idle: after the registration and a short settle, the worker process's CPU time and RSS (/proc/PID/status)
   over `worker_idle_s` seconds (60; quick: 1), with the requests it sent meanwhile (heartbeats). Target: under
   1% of a core.
2. Dispatch to handler: `worker_latency_tasks` tasks one at a time, from the controller's `time.monotonic()` just
   before it writes the `agent-execution` frame to the handler's own `time.monotonic()` at its first line
   (CLOCK_MONOTONIC is system-wide on Linux); three runs (LATENCY_GAPS): each task dispatched as the previous
   one's final save arrives (judged: median under 2 ms), and 10 ms and 100 ms after it. Split into: the frame
   written -> the `executing` save received by the controller (the stream read, the task parsed, the save sent),
   that save received -> the handler started (the save answered and read back, the handler called), and the
   handler -> the final save received.
3. Tasks per second with the no-op handler at 1 and 16 tasks outstanding (the controller dispatches a new task as
   each final save arrives): ours with XPANDER_WORKER_CONCURRENCY equal to it, the official with its fixed 6
   slots; a fresh worker for each level, a warm-up batch, then the measured batch. With it: every request the
   controller received in the measured window, by kind, per task; the client connections it saw; the worker's
   CPU per task and share of a core, and the controller's. Target: ours at least 5x the official at 16.
4. Each worker is stopped with SIGTERM (killed after `STOP_TIMEOUT` s); its exit status, how long it took, and
   whether any process of its session was left behind (then killed) are recorded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx

from bench.controller import AGENT_ID, ORGANIZATION_ID
from bench.server import ROOT
from devtools.child import child_server

if TYPE_CHECKING:
    from bench.run import Table

AGENT = ROOT / "bench" / "worker_agent.py"
RAW_WORKER = ROOT / "bench" / "raw_worker.py"
"""The floor: a minimal raw-aiohttp worker (see its docstring), run as sdk "raw" with this interpreter."""
API_KEY = "bench-worker-key"
LEVELS = (1, 16)
"""Tasks kept outstanding by the controller in the throughput runs."""
OFFICIAL_SLOTS = 6
LATENCY_GAPS = {"back_to_back": 0, "after_10ms": 10, "after_100ms": 100}
"""The dispatch-to-handler runs: each task dispatched this many ms after the previous one's final save arrived.
Judged: back to back (the worker's news after a task, a capacity update, may still be on its way). On this VM the
same work costs more CPU time after the worker idled (cold caches, a halted vCPU): the raw floor shows how much."""
DISPATCH_MEDIAN_MAX_MS = 2.0
THROUGHPUT_RATIO_MIN = 5.0
"""Ours against the official, tasks per second at 16 outstanding."""
IDLE_CPU_MAX_PERCENT = 1.0
REGISTER_TIMEOUT = 120.0
STOP_TIMEOUT = 40.0
CONTROLLER_LIFETIME = 1800.0
SECONDS_PER_TASK_LIMIT = 0.5
"""A batch's deadline: 60 s plus this per task (the official runs a task in tens of ms)."""
CLOCK_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
MIB = 1024 * 1024

COUNTS: dict[str, dict[str, int]] = {
    "full": {
        "worker_idle_s": 60,
        "worker_settle_s": 5,
        "worker_latency_tasks": 200,
        "worker_tasks_1": 500,
        "worker_warmup_1": 50,
        "worker_tasks_16": 2000,
        "worker_warmup_16": 200,
    },
    "quick": {
        "worker_idle_s": 1,
        "worker_settle_s": 1,
        "worker_latency_tasks": 10,
        "worker_tasks_1": 50,
        "worker_warmup_1": 5,
        "worker_tasks_16": 50,
        "worker_warmup_16": 16,
    },
}
"""The section's counts (bench.run's COUNTS holds the same keys)."""


class BenchError(RuntimeError):
    """A worker or the controller failed; the message says how (with the end of the worker's log)."""


# -- the worker's process -------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def worker_env(sdk: str, port: int, concurrency: int | None) -> dict[str, str]:
    """No XPANDER_* of the developer's and no PYTHONPATH; ours from this checkout's overlay/ and generated/ (with
    `concurrency` slots; None: its default), the official from its venv (its /invoke server on a free port)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("XPANDER_", "IS_STG", "IS_XPANDER")) and name != "PYTHONPATH"
    }
    env.update(
        XPANDER_API_KEY=API_KEY,
        XPANDER_BASE_URL=f"http://127.0.0.1:{port}",
        XPANDER_ORGANIZATION_ID=ORGANIZATION_ID,
        XPANDER_AGENT_ID=AGENT_ID,
    )
    if sdk == "ours":
        env["PYTHONPATH"] = os.pathsep.join((str(ROOT / "overlay"), str(ROOT / "generated")))
        if concurrency is not None:
            env["XPANDER_WORKER_CONCURRENCY"] = str(concurrency)
    else:
        env["XPANDER_STREAMING_PORT"] = str(free_port())
    return env


def proc_cpu_seconds(pid: int) -> float:
    """The CPU time of the process's threads: the scheduler's exact count (/proc/PID/task/*/schedstat, in ns) when
    the kernel has it, else utime + stime from /proc/PID/stat (charged in whole clock ticks of 10 ms, too coarse for
    an idle process). Threads that ended are not in the first (neither worker's measured part ends any)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        total = 0
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):  # a thread that just ended
                total += int((task / "schedstat").read_text().split()[0])
        return total / 1e9
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def proc_status(pid: int) -> dict[str, int]:
    """RSS (bytes) and threads, from /proc/PID/status."""
    status: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == "VmRSS":
            status["rss_bytes"] = int(value.split()[0]) * 1024
        elif name == "Threads":
            status["threads"] = int(value)
    return status


class Session:
    """One worker process and its controller: the controller's client, the worker's pid, its log."""

    def __init__(self, sdk: str, port: int, process: subprocess.Popen[bytes], log_file: IO[bytes]) -> None:
        self.sdk, self.port, self.process, self.log_file = sdk, port, process, log_file
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30.0)
        self.startup_s = 0.0
        self.stop: dict[str, Any] = {}

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 15) -> str:
        self.log_file.flush()
        self.log_file.seek(0)
        return "\n".join(self.log_file.read().decode(errors="replace").strip().splitlines()[-lines:])

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.client.get("/_bench/state").json()
        return state

    def wait_registered(self, started: float) -> None:
        deadline = started + REGISTER_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"the {self.sdk} worker exited ({self.process.returncode}):\n{self.log_tail()}")
            state = self.state()
            if state["registrations"] and state["stream_open"]:
                self.startup_s = time.monotonic() - started
                return
            time.sleep(0.02)
        raise BenchError(f"the {self.sdk} worker did not register in {REGISTER_TIMEOUT:g} s:\n{self.log_tail()}")

    def run(self, tasks: int, concurrency: int, *, gap_ms: float = 0.0, records: bool = False) -> dict[str, Any]:
        """One batch of dispatches (see bench.controller); raises BenchError when it did not finish."""
        limit = 60.0 + tasks * SECONDS_PER_TASK_LIMIT + tasks * gap_ms / 1000
        spec = {"tasks": tasks, "concurrency": concurrency, "gap_ms": gap_ms, "records": records, "timeout": limit}
        response = self.client.post("/_bench/run", json=spec, timeout=limit + 30)
        result: dict[str, Any] = response.json()
        if response.status_code != 200 or result["timed_out"] or result["finished"] < tasks:
            alive = "running" if self.process.poll() is None else f"exited {self.process.returncode}"
            raise BenchError(
                f"the {self.sdk} worker finished {result.get('finished', 0)} of {tasks} tasks ({alive}; "
                f"{result.get('error', '')}):\n{self.log_tail()}"
            )
        return result


@contextlib.contextmanager
def session(
    sdk: str, python: str, concurrency: int | None, log: Callable[[str], None], *, profile: Path | None = None
) -> Iterator[Session]:
    """A fresh controller and a worker registered with it; on exit the worker is stopped (SIGTERM) and the
    controller closed. With `profile`, ours runs under cProfile (its stats written there at its exit)."""
    with child_server("bench.controller", ["--lifetime", str(CONTROLLER_LIFETIME)]) as port:
        script = RAW_WORKER if sdk == "raw" else AGENT
        command = [python, *(("-m", "cProfile", "-o", str(profile)) if profile else ()), str(script)]
        with tempfile.TemporaryFile() as log_file:
            started = time.monotonic()
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=worker_env(sdk, port, concurrency),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                start_new_session=True,
            )
            current = Session(sdk, port, process, log_file)
            try:
                current.wait_registered(started)
                slots = OFFICIAL_SLOTS if sdk == "official" else concurrency or "default"
                log(f"{sdk} worker (pid {process.pid}, slots: {slots}) registered in {current.startup_s:.2f} s")
                yield current
            finally:
                current.stop = stop_worker(process)
                current.client.close()
                if current.stop["exit"] not in (0, None) and sdk == "ours":
                    log(f"ours exited {current.stop['exit']} after SIGTERM:\n{current.log_tail()}")


def stop_worker(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT s; then any process left in its session is killed."""
    started = time.monotonic()
    killed = False
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
            killed = True
    stop_s = time.monotonic() - started
    left_behind = _session_alive(process.pid)
    if left_behind:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return {"exit": process.returncode, "stop_s": stop_s, "killed": killed, "left_behind": left_behind}


def _session_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- the measures ---------------------------------------------------------------------------------------------------
def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {
        "median": float(statistics.median(values)),
        "p99": percentile(values, 0.99),
        "min": min(values),
        "max": max(values),
    }


def measure_idle(current: Session, seconds: float, settle: float) -> dict[str, Any]:
    time.sleep(settle)
    requests_before = current.state()["requests"]
    interval = min(1.0, seconds / 10)
    started, cpu_start = time.monotonic(), proc_cpu_seconds(current.pid)
    rss = [proc_status(current.pid)["rss_bytes"]]
    while time.monotonic() - started < seconds:
        time.sleep(interval)
        rss.append(proc_status(current.pid)["rss_bytes"])
    wall, cpu = time.monotonic() - started, proc_cpu_seconds(current.pid) - cpu_start
    requests = current.state()["requests"]
    return {
        "seconds": wall,
        "cpu_s": cpu,
        "cpu_percent": cpu / wall * 100,
        "rss_start_bytes": rss[0],
        "rss_end_bytes": rss[-1],
        "rss_max_bytes": max(rss),
        "threads": proc_status(current.pid)["threads"],
        "requests": {kind: count - requests_before.get(kind, 0) for kind, count in requests.items()},
    }


def measure_latency(current: Session, tasks: int, gap_ms: float) -> dict[str, Any]:
    cpu_start = proc_cpu_seconds(current.pid)
    result = current.run(tasks, 1, gap_ms=gap_ms, records=True)
    result["worker_cpu_us_per_task"] = (proc_cpu_seconds(current.pid) - cpu_start) / tasks * 1e6
    records = [times for times in result.pop("records") if all(times)]
    if not records:
        raise BenchError(f"the {current.sdk} worker's results carried no handler start time")
    ms = 1000.0
    return {
        **result,
        "tasks_timed": len(records),
        "dispatch_to_handler_ms": _spread([(started - written) * ms for written, _, started, _ in records]),
        "dispatch_to_executing_ms": _spread([(executing - written) * ms for written, executing, _, _ in records]),
        "executing_to_handler_ms": _spread([(started - executing) * ms for _, executing, started, _ in records]),
        "handler_to_final_ms": _spread([(final - started) * ms for _, _, started, final in records]),
        "samples_ms": [round((started - written) * ms, 4) for written, _, started, _ in records],
    }


def measure_throughput(current: Session, level: int, tasks: int, warmup: int) -> dict[str, Any]:
    if warmup:
        current.run(warmup, level)
    cpu_start = proc_cpu_seconds(current.pid)
    result = current.run(tasks, level)
    cpu = proc_cpu_seconds(current.pid) - cpu_start
    finished = result["finished"]
    requests: dict[str, int] = result["requests"]
    return {
        **result,
        "warmup": warmup,
        "worker_cpu_s": cpu,
        "worker_cpu_share": cpu / result["wall_s"],
        "worker_cpu_us_per_task": cpu / finished * 1e6,
        "controller_cpu_share": result["controller_cpu_s"] / result["wall_s"],
        "requests_per_task": sum(requests.values()) / finished,
        "requests_per_task_by_kind": {kind: count / finished for kind, count in sorted(requests.items())},
        "connections_per_task": result["connections"] / finished,
        **{f"after_{name}": value for name, value in proc_status(current.pid).items()},
    }


def measure_sdk(
    sdk: str,
    python: str,
    counts: dict[str, int],
    log: Callable[[str], None],
    *,
    levels: Sequence[int] = LEVELS,
    idle: bool = True,
) -> dict[str, Any]:
    """Idle and dispatch latency on a worker with its default slots, then a fresh worker for each level."""
    result: dict[str, Any] = {"python": python}
    try:
        with session(sdk, python, None, log) as current:
            result["startup_s"] = current.startup_s
            if idle:
                log(f"{sdk} worker: idle for {counts['worker_idle_s']} s")
                result["idle"] = measure_idle(current, counts["worker_idle_s"], counts["worker_settle_s"])
            tasks = counts["worker_latency_tasks"]
            result["latency"] = {}
            for name, gap in LATENCY_GAPS.items():
                log(f"{sdk} worker: dispatch to handler, {tasks} tasks one at a time, {gap} ms apart")
                result["latency"][name] = measure_latency(current, tasks, gap)
        result["stop"] = current.stop
    except (BenchError, httpx.HTTPError, OSError, RuntimeError, ValueError, KeyError) as exc:
        log(f"FAILED: {sdk} worker: {exc}")
        result["error"] = str(exc)
    result["throughput"] = {}
    for level in levels:
        tasks, warmup = counts[f"worker_tasks_{level}"], counts[f"worker_warmup_{level}"]
        log(f"{sdk} worker: {tasks:,} tasks at {level} outstanding (after {warmup:,})")
        try:
            with session(sdk, python, level, log) as current:
                entry = measure_throughput(current, level, tasks, warmup)
            entry["stop"] = current.stop
        except (BenchError, httpx.HTTPError, OSError, RuntimeError, ValueError, KeyError) as exc:
            log(f"FAILED: {sdk} worker at {level}: {exc}")
            entry = {"error": str(exc)}
        result["throughput"][str(level)] = entry
    return result


def bench_worker(counts: dict[str, int], official_python: str | None, log: Callable[[str], None]) -> dict[str, Any]:
    """The section: ours, then the official when its interpreter is given; the ratios of tasks per second."""
    started = time.perf_counter()
    result: dict[str, Any] = {
        "floor": measure_sdk("raw", sys.executable, counts, log, levels=LEVELS[:1], idle=False),
        "ours": measure_sdk("ours", sys.executable, counts, log),
    }
    if official_python is not None:
        result["official"] = measure_sdk("official", official_python, counts, log)
        ratios = {}
        for level in LEVELS:
            ours, official = (result[sdk]["throughput"][str(level)] for sdk in ("ours", "official"))
            if "error" not in ours and "error" not in official:
                ratios[str(level)] = ours["per_s"] / official["per_s"]
        result["ratios"] = ratios
    result["seconds"] = time.perf_counter() - started
    return result


# -- the table ------------------------------------------------------------------------------------------------------
WORKER = "10. worker"
OFFICIAL_LABEL = " (official)"


def _ms(value: float) -> str:
    return f"{value:,.2f} ms"


def worker_rows(table: Table, worker: dict[str, Any]) -> None:
    ours, official = worker["ours"], worker.get("official")
    _latency_rows(table, worker)
    _throughput_rows(table, worker)
    _idle_rows(table, ours, official)
    _stop_rows(table, ours, official)


def _other(official: dict[str, Any] | None, *keys: str) -> dict[str, Any] | None:
    """The official's entry at `keys` (None: not measured, or failed)."""
    entry = official
    for key in keys:
        if entry is None or "error" in entry:
            return None
        entry = entry.get(key)
    return None if entry is None or "error" in entry else entry


def _latency_rows(table: Table, worker: dict[str, Any]) -> None:
    ours, official = worker["ours"], worker.get("official")
    latency = ours.get("latency")
    if latency is None:
        table.add_error(WORKER, "dispatch -> handler, median", ours.get("error", "not measured"), judged=True)
        return
    other, floor = _other(official, "latency"), _other(worker.get("floor"), "latency")
    first = latency["back_to_back"]
    spread = first["dispatch_to_handler_ms"]
    other_spread = None if other is None else other["back_to_back"]["dispatch_to_handler_ms"]
    table.add_check(
        WORKER,
        f"dispatch -> handler, back to back, median of {first['tasks_timed']}",
        _ms(spread["median"]),
        "" if other_spread is None else _ms(other_spread["median"]) + OFFICIAL_LABEL,
        f"< {DISPATCH_MEDIAN_MAX_MS:g} ms",
        spread["median"] < DISPATCH_MEDIAN_MAX_MS,
    )
    table.add(WORKER, "  p99 (max)", _p99(spread), "" if other_spread is None else _p99(other_spread))
    for key, name in (
        ("dispatch_to_executing_ms", "  of which: frame written -> `executing` save in"),
        ("executing_to_handler_ms", "  of which: `executing` save in -> handler"),
        ("handler_to_final_ms", "  then: handler -> final save in"),
    ):
        table.add(
            WORKER,
            name,
            _ms(first[key]["median"]),
            "" if other is None else _ms(other["back_to_back"][key]["median"]),
        )
    for gap_name, label in (("after_10ms", "10 ms"), ("after_100ms", "100 ms")):
        entry = latency[gap_name]["dispatch_to_handler_ms"]
        other_entry = None if other is None else other[gap_name]["dispatch_to_handler_ms"]
        table.add(
            WORKER,
            f"  each {label} after the last: median (p99)",
            f"{_ms(entry['median'])} ({_ms(entry['p99'])})",
            "" if other_entry is None else f"{_ms(other_entry['median'])} ({_ms(other_entry['p99'])})",
        )
    if floor is not None:
        medians = " / ".join(_ms(floor[name]["dispatch_to_handler_ms"]["median"]) for name in LATENCY_GAPS)
        cpu = " / ".join(f"{floor[name]['worker_cpu_us_per_task']:,.0f}" for name in LATENCY_GAPS)
        ours_cpu = " / ".join(f"{latency[name]['worker_cpu_us_per_task']:,.0f}" for name in LATENCY_GAPS)
        table.add(WORKER, "  floor (raw aiohttp worker): back to back / 10 / 100 ms", medians)
        table.add(WORKER, "  worker CPU us/task there: ours; floor", f"{ours_cpu}; {cpu}")


def _p99(spread: dict[str, float]) -> str:
    return f"{_ms(spread['p99'])} ({_ms(spread['max'])})"


def _throughput_rows(table: Table, worker: dict[str, Any]) -> None:
    ours, official, ratios = worker["ours"], worker.get("official"), worker.get("ratios", {})
    floor = _other(worker.get("floor"), "throughput", str(LEVELS[0]))
    for level in LEVELS:
        entry, other = ours["throughput"][str(level)], _other(official, "throughput", str(level))
        measure = f"no-op tasks/s, {level} outstanding"
        if "error" in entry:
            table.add_error(WORKER, measure, entry["error"], judged=level == LEVELS[-1])
            continue
        measure += f" ({entry['tasks']:,} tasks)"
        baseline = "" if other is None else f"{other['per_s']:,.0f}/s{OFFICIAL_LABEL}"
        target = (">=", THROUGHPUT_RATIO_MIN) if level == LEVELS[-1] and other is not None else None
        table.add(WORKER, measure, f"{entry['per_s']:,.0f}/s", baseline, ratios.get(str(level)), target)
        table.add(
            WORKER,
            "  requests per task (connections per task)",
            f"{entry['requests_per_task']:.2f} ({entry['connections_per_task']:.2f})",
            "" if other is None else f"{other['requests_per_task']:.2f} ({other['connections_per_task']:.2f})",
        )
        table.add(WORKER, "    by kind", _kinds(entry), "" if other is None else _kinds(other))
        if level == LEVELS[0] and floor is not None:
            table.add(
                WORKER,
                "  floor (raw aiohttp worker, 2 requests per task)",
                f"{floor['per_s']:,.0f}/s, {floor['worker_cpu_us_per_task']:,.0f} us/task",
            )
        table.add(
            WORKER,
            "  worker CPU us/task (share of a core); controller's share",
            _cpu_cell(entry),
            "" if other is None else _cpu_cell(other),
        )
    if official is not None and "16" not in ratios and "error" not in ours["throughput"][str(LEVELS[-1])]:
        table.add_error(WORKER, "  against the official at 16", "the official's run failed", judged=True)


def _cpu_cell(entry: dict[str, Any]) -> str:
    worker = f"{entry['worker_cpu_us_per_task']:,.0f} ({entry['worker_cpu_share']:.0%})"
    return f"{worker}; {entry['controller_cpu_share']:.0%}"


def _kinds(entry: dict[str, Any]) -> str:
    return ", ".join(f"{kind} {value:.2f}" for kind, value in entry["requests_per_task_by_kind"].items())


def _idle_rows(table: Table, ours: dict[str, Any], official: dict[str, Any] | None) -> None:
    idle = ours.get("idle")
    if idle is None:
        table.add_error(WORKER, "idle CPU", ours.get("error", "not measured"), judged=True)
        return
    other = _other(official, "idle")
    table.add_check(
        WORKER,
        f"idle CPU over {idle['seconds']:.0f} s",
        f"{idle['cpu_percent']:.2f}%",
        "" if other is None else f"{other['cpu_percent']:.2f}%{OFFICIAL_LABEL}",
        f"< {IDLE_CPU_MAX_PERCENT:g}%",
        idle["cpu_percent"] < IDLE_CPU_MAX_PERCENT,
    )
    table.add(WORKER, "  idle RSS start / end / max", _rss(idle), "" if other is None else _rss(other))
    table.add(
        WORKER,
        "  threads; requests sent while idle",
        f"{idle['threads']}; {_counts(idle['requests'])}",
        "" if other is None else f"{other['threads']}; {_counts(other['requests'])}",
    )
    table.add(
        WORKER,
        "  start -> registered",
        f"{ours['startup_s']:.2f} s",
        "" if official is None or "startup_s" not in official else f"{official['startup_s']:.2f} s",
    )


def _rss(idle: dict[str, Any]) -> str:
    return (
        " / ".join(f"{idle[key] / MIB:.1f}" for key in ("rss_start_bytes", "rss_end_bytes", "rss_max_bytes")) + " MiB"
    )


def _counts(requests: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in sorted(requests.items()) if count) or "none"


def _stop_rows(table: Table, ours: dict[str, Any], official: dict[str, Any] | None) -> None:
    def stops(entry: dict[str, Any] | None) -> str:
        if entry is None:
            return ""
        found = [entry.get("stop")] + [level.get("stop") for level in entry.get("throughput", {}).values()]
        done = [stop for stop in found if stop]
        if not done:
            return "not stopped"
        exits = sorted({str(stop["exit"]) for stop in done})
        slowest = max(stop["stop_s"] for stop in done)
        killed = sum(stop["killed"] for stop in done)
        left = sum(stop["left_behind"] for stop in done)
        return f"exit {'/'.join(exits)} in <= {slowest:.2f} s; killed {killed}, left behind {left}"

    table.add(WORKER, "SIGTERM: exit, time; killed, left behind", stops(ours), stops(official))


# -- by hand: a profile of ours --------------------------------------------------------------------------------------
def profile_ours(counts: dict[str, int], path: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Ours at 16 outstanding under cProfile; the stats are written to `path` when it stops."""
    level = LEVELS[-1]
    with session("ours", sys.executable, level, log, profile=path) as current:
        result = measure_throughput(current, level, counts[f"worker_tasks_{level}"], counts[f"worker_warmup_{level}"])
    result["stop"] = current.stop
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", type=Path, required=True, help="write ours' cProfile stats here")
    args = parser.parse_args(argv)
    counts = COUNTS["quick" if args.quick else "full"]
    result = profile_ours(counts, args.profile, lambda message: print(f"[bench] {message}", file=sys.stderr))
    print(json.dumps({key: value for key, value in result.items() if key != "records"}, indent=2))
    import pstats

    pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
