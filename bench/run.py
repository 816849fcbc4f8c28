"""`make bench`: the SDK against raw httpx on import cost, per-call overhead (create and get), concurrency,
parsing (a Task, a list of 1,000 tasks), memory, the event stream (events per second, the latency of
waiting, memory over a long stream, 1,000 creates waited for at once) against httpx-sse, and many calls in
flight on both async transports (`many`).

    .venv/bin/python -m bench.run              # the full run (about 14 minutes on 2 cores; the worker: 4 of them)
    .venv/bin/python -m bench.run --quick      # tiny counts: checks that every benchmark still runs
    .venv/bin/python -m bench.run --official   # also the official xpander-sdk, in its own venv
    .venv/bin/python -m bench.run --only many  # only some sections (import, calls, parse, events, many, worker)
    .venv/bin/python -m bench.run --footprint  # also the install footprint (fresh venvs from PyPI)

Prints a table with each target and whether it is met, and writes every number to bench/results/latest.json
(or `--output`; with `--only`, to latest-<sections>.json). Every measurement runs in a fresh process: the
server in one (`bench.server`, so that it does not share the GIL with the client), each client benchmark in
another (`bench.workers`), the SDK and its raw-httpx baseline interleaved in alternating blocks. The SDK's
async calls run on its default transport, aiohttp (through httpx-aiohttp), and are judged against raw httpx
over the same transport (an `httpx.AsyncClient` on `httpx_aiohttp.AiohttpTransport`); with
`http_transport="httpx"` against raw httpx. Only 127.0.0.1 is ever contacted (and PyPI, by pip, with
`--footprint`).

`many`: every client capped at 100 connections, each in a fresh process, in rounds of (a) the SDK's default,
(b) the SDK on httpx's transport, (c) raw httpx, (d) raw httpx over httpx-aiohttp, all posting the same bytes;
medians of 3 rounds. Creates per second at 1, 100 and 1,000 in flight (target: (a) at least 0.8x (d) at every
level); 1,000 creates waited for at once through their events (the SDK on both transports, and raw
httpx-aiohttp with httpx-sse); RSS and tracemalloc over 20,000 creates at 100 in flight (flat: 1 MiB); the
import (aiohttp must not be loaded by it) and the first `acreate` with aiohttp's import.

`worker`: our `@on_task` worker against a loopback fake controller (`bench.controller`), side by side with the
official one with `--official`: dispatch to handler (median, p99), no-op tasks per second at 1 and 16 outstanding
with the requests per task, the idle worker's CPU and memory, and the stop on SIGTERM (see `bench.worker_bench`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from bench import footprint, official, worker_bench
from bench.server import (
    ROOT,
    STATS_PATH,
    TASK_JSON,
    finishing_task_id,
    running_server,
    stream_task_id,
    wait_agent_id,
)

RESULTS = ROOT / "bench" / "results"
API_KEY = "bench-api-key"
AGENT_ID = "agent-123"
PROMPT = "hi"
MIB = 1024 * 1024
WORKER_TIMEOUT = 600.0

# Targets: ratios against raw httpx on the same machine in the same run.
IMPORT_MAX = 1.5
PER_CALL_MAX = 1.15
"""Sync `create` (and async `acreate` on httpx's transport) against raw httpx."""
PER_CALL_GET_MAX = 1.10
"""`get` has no request body or model to build: its target is tighter than create's."""
PER_CALL_ASYNC_MAX = 1.10
"""`acreate`/`aget` on the SDK's default async transport (aiohttp) against raw httpx over the same transport
(httpx-aiohttp's `AiohttpTransport`)."""
LIST_ITEMS = 1000
"""Tasks in the list response whose parsing is measured (no target: reported for scale)."""
CONCURRENCY_MIN = 0.9
MEMORY_NOISE_BYTES = 1 * MIB
LOAD_WARNING = 0.5
SERVER_LIFETIME = 900.0
"""Seconds after which the benchmark server stops by itself (tripled with the official SDK)."""
"""RSS growth over the measured creates that still counts as noise (allocator arenas, page granularity)."""
ORGANIZATION_ID = "org-bench"
"""The events URL has the organization: the server streams `/org-bench/agent-execution/<task id>/events`."""
EVENTS_RATE_MIN = 0.9
EVENTS_LATENCY_MAX_MS = 5.0
"""From the server's writing of `task_finished` to `await task.await_result()` returning, median, loopback."""
EVENTS_MEMORY_MAX_BYTES = 5 * MIB
"""RSS growth while reading the long stream (after its first sample) that still counts as flat."""
WAIT_TIMEOUT = 60.0
MANY_CONNECTIONS = 100
"""Every client of the `many` section is capped at this many connections (the SDK's default)."""
MANY_RATE_MIN = 0.8
"""The SDK's default (aiohttp) against raw httpx over httpx-aiohttp, calls per second, at every level."""
MANY_MEMORY_MAX_BYTES = 1 * MIB
"""RSS and tracemalloc growth over the `many` section's creates after warm-up that still count as flat."""
SECTIONS = ("import", "calls", "parse", "events", "many", "worker")

COUNTS: dict[str, dict[str, int]] = {
    "full": {
        "import_runs": 15,
        "per_call_rounds": 14,
        "per_call_block": 300,
        "per_call_warmup": 300,
        "concurrency_calls": 2000,
        "concurrency_in_flight": 100,
        "concurrency_rounds": 5,
        "memory_warmup": 2000,
        "memory_calls": 20000,
        "memory_sample_every": 2000,
        "parse_number": 2000,
        "parse_repeat": 9,
        "overhead_number": 1000,
        "overhead_repeat": 9,
        "list_items": LIST_ITEMS,
        "list_number": 20,
        "list_repeat": 11,
        "events_stream": 20000,
        "events_rounds": 7,
        "events_latency_runs": 20,
        "events_latency_delay_ms": 50,
        "events_memory": 100000,
        "events_memory_sample_every": 10000,
        "events_many": 1000,
        "events_many_delay_ms": 300,
        "many_rounds": 3,
        "many_waits": 1000,
        "many_wait_delay_ms": 300,
        "many_memory_warmup": 2000,
        "many_memory_calls": 20000,
        "many_memory_sample_every": 2000,
        "many_memory_in_flight": 100,
        "many_import_runs": 7,
        "files_number": 20,
        "files_delayed_number": 4,
        "files_rounds": 7,
        **worker_bench.COUNTS["full"],
    },
    "quick": {
        "import_runs": 3,
        "per_call_rounds": 2,
        "per_call_block": 10,
        "per_call_warmup": 5,
        "concurrency_calls": 60,
        "concurrency_in_flight": 10,
        "concurrency_rounds": 1,
        "memory_warmup": 20,
        "memory_calls": 60,
        "memory_sample_every": 30,
        "parse_number": 20,
        "parse_repeat": 2,
        "overhead_number": 10,
        "overhead_repeat": 2,
        "list_items": LIST_ITEMS,
        "list_number": 2,
        "list_repeat": 2,
        "events_stream": 2000,
        "events_rounds": 1,
        "events_latency_runs": 2,
        "events_latency_delay_ms": 20,
        "events_memory": 5000,
        "events_memory_sample_every": 1000,
        "events_many": 20,
        "events_many_delay_ms": 50,
        "many_rounds": 1,
        "many_waits": 20,
        "many_wait_delay_ms": 50,
        "many_memory_warmup": 20,
        "many_memory_calls": 60,
        "many_memory_sample_every": 30,
        "many_memory_in_flight": 10,
        "many_import_runs": 1,
        "files_number": 2,
        "files_delayed_number": 1,
        "files_rounds": 1,
        **worker_bench.COUNTS["quick"],
    },
}
MANY_LEVELS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "full": ((1, 500, 50), (100, 3000, 200), (1000, 3000, 1000)),
    "quick": ((1, 5, 2), (10, 20, 10), (50, 50, 50)),
}
"""The `many` section's levels: (calls in flight, calls timed, calls before them untimed)."""
OFFICIAL_COUNTS = {
    # The official SDK makes a new httpx.AsyncClient (with a new TLS context: tens of milliseconds of CPU) and a
    # new connection for every call, so fewer calls keep its part of the run (and the sockets left in
    # TIME_WAIT) in bounds; the concurrency run keeps its 2,000 calls, once.
    "full": {"per_call_rounds": 6, "per_call_block": 50, "per_call_warmup": 20, "concurrency_rounds": 1},
    "quick": {},
}


class WorkerError(RuntimeError):
    """A benchmark process failed; the message has the end of its stderr."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median of the per-round ratios (each round's blocks ran back to back, so drift cancels out)."""
    return median([a / b for a, b in zip(numerators, denominators, strict=True)])


# -- the wire: what the SDK sends ------------------------------------------------------------------------------
def reference_request(port: int) -> dict[str, Any]:
    """The body bytes and headers our SDK sends for `create(agent_id="agent-123", prompt="hi")`, and the path and
    headers of its `get(task_id)`, captured on a MockTransport, for the raw-httpx baseline to send the very same
    requests."""
    from xpander_sdk import Configuration, Tasks

    captured: list[httpx.Request] = []
    task_json = TASK_JSON.read_bytes()

    def answer(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, content=task_json, headers={"content-type": "application/json"})

    configuration = Configuration(api_key=API_KEY, base_url=f"http://127.0.0.1:{port}")
    task_id = json.loads(task_json)["id"]
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        tasks = Tasks(configuration, http_client=client)
        tasks.create(agent_id=AGENT_ID, prompt=PROMPT)
        tasks.get(task_id)
    request, get = captured

    def sent_headers(sent: httpx.Request) -> dict[str, str]:
        return {name: value for name, value in sent.headers.items() if name not in ("host", "content-length")}

    return {
        "port": port,
        "path": request.url.raw_path.decode("ascii"),
        "body": request.content.decode(),
        "headers": sent_headers(request),
        "get_path": get.url.raw_path.decode("ascii"),
        "get_headers": sent_headers(get),
        "api_key": API_KEY,
        "agent_id": AGENT_ID,
        "prompt": PROMPT,
        "task_id": task_id,
    }


# -- running processes ----------------------------------------------------------------------------------------
def worker_env(sdk: str, port: int | None = None) -> dict[str, str]:
    """The environment of a benchmark process: no XPANDER_* of the developer's; the official SDK gets its
    base URL and key from the environment."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("XPANDER_", "IS_STG"))}
    if sdk == "official" and port is not None:
        env["XPANDER_BASE_URL"] = f"http://127.0.0.1:{port}"
        env["XPANDER_API_KEY"] = API_KEY
    return env


def run_worker(python: str, spec: dict[str, Any], env: dict[str, str]) -> Any:
    """Run one measurement of bench.workers in a fresh `python` process; its JSON result."""
    try:
        completed = subprocess.run(
            [python, "-m", "bench.workers", json.dumps(spec)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT,
            check=False,
        )
    except OSError as exc:
        raise WorkerError(f"{python} could not be run: {exc}") from None
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        raise WorkerError(
            f"{spec['kind']} ({spec.get('sdk', 'ours')}) failed with exit {completed.returncode}:\n{tail}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


# Appended to the measured code: the child prints its own peak RSS. VmHWM is the high-water mark of the
# memory image made by exec, so it is the child's alone; ru_maxrss (getrusage/wait4) is not: Linux carries the
# spawning parent's peak over an exec made from a vfork (as subprocess and posix_spawn do), so every child
# would report at least the orchestrator's size.
_REPORT_PEAK = """
try:
    print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
except OSError:
    import resource, sys
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1))
"""


def spawn_measure(python: str, code: str, env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one fresh `python -c code` process."""
    start = time.perf_counter()
    try:
        completed = subprocess.run(
            [python, "-c", code + "\n" + _REPORT_PEAK], env=env, cwd=ROOT, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise WorkerError(f"{python} could not be run: {exc}") from None
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        raise WorkerError(f"{python} -c {code!r} failed (exit {completed.returncode}): {completed.stderr[-500:]}")
    return wall, int(completed.stdout.split()[-1]) * 1024


# -- 1. import ------------------------------------------------------------------------------------------------
FIRST_POST = """
import httpx
with httpx.Client() as client:
    client.post({url!r}, content={body!r}, headers={headers!r}).json()
"""
FIRST_CREATE = """
from xpander_sdk import Configuration, Tasks
Tasks(Configuration(api_key={api_key!r}, base_url={base_url!r})).create(agent_id={agent_id!r}, prompt={prompt!r})
"""
OFFICIAL_FIRST_CREATE = """
from xpander_sdk import Tasks
Tasks().create(agent_id={agent_id!r}, prompt={prompt!r})
"""
FIRST_POST_NAME = "httpx: import + first post"
OFFICIAL_IMPORT_RUNS = 9
"""The official SDK takes seconds to import: at most this many of its processes (the minimum asked for)."""
LAZY_MODULES = (
    "aiohttp",
    "httpx_aiohttp",
    "yarl",
    "multidict",
    "aiohappyeyeballs",
    "aiosignal",
    "frozenlist",
    "propcache",
)
"""What the aiohttp transport brings in: none of it may be loaded by `from xpander_sdk import Tasks` (the SDK
imports it when it makes its first async client on asyncio)."""
LAZY_CHECK = f"""
import json, sys
from xpander_sdk import Tasks
print(json.dumps(sorted(name for name in {LAZY_MODULES!r} if name in sys.modules)))
"""


def import_env() -> dict[str, str]:
    """The environment of a timed import: bytecode cached in a private prefix (see `bench_import`)."""
    env = worker_env("ours")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "xpander-tasks-bench-pycache")
    return env


def bench_import(runs: int, official_python: str | None, request: dict[str, Any]) -> dict[str, Any]:
    """Fresh processes, interleaved (the order rotates each round), median of `runs` each: the imports, and for
    scale the time to a first task (import, client, connection, create, parse) against raw httpx's first post.

    Bytecode is cached (in a private PYTHONPYCACHEPREFIX, filled by an untimed first run of each command) for
    every package alike, as after a pip install: the Makefile's PYTHONDONTWRITEBYTECODE would otherwise make
    every run compile this repo's editable sources from scratch, which no installed user pays."""
    ours = sys.executable
    base_url = f"http://127.0.0.1:{request['port']}"
    env = import_env()
    first_post = FIRST_POST.format(
        url=base_url + request["path"], body=request["body"].encode(), headers=request["headers"]
    )
    first_create = FIRST_CREATE.format(base_url=base_url, **request)
    commands: dict[str, tuple[str, str, dict[str, str]]] = {
        "python -c pass": (ours, "pass", env),
        "import httpx": (ours, "import httpx", env),
        "import xpander_sdk": (ours, "import xpander_sdk", env),
        "from xpander_sdk import Tasks": (ours, "from xpander_sdk import Tasks", env),
        FIRST_POST_NAME: (ours, first_post, env),
        "import + first create": (ours, first_create, env),
    }
    if official_python is not None:
        official_env = {**env, **worker_env("official", request["port"])}
        official_env.pop("PYTHONDONTWRITEBYTECODE", None)
        commands["official: import xpander_sdk"] = (official_python, "import xpander_sdk", official_env)
        commands["official: import + first create"] = (
            official_python,
            OFFICIAL_FIRST_CREATE.format(**request),
            official_env,
        )
    errors: dict[str, str] = {}
    for name, (python, code, command_env) in list(commands.items()):  # untimed: fills the bytecode cache
        try:
            spawn_measure(python, code, command_env)
        except WorkerError as exc:
            if not name.startswith("official"):
                raise
            log(f"FAILED: {exc}")
            errors[name] = str(exc)
            del commands[name]
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    names = list(commands)
    for round_number in range(runs):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            if name.startswith("official") and round_number >= OFFICIAL_IMPORT_RUNS:
                continue
            samples[name].append(spawn_measure(*commands[name]))
    result: dict[str, Any] = {}
    for name, values in samples.items():
        result[name] = {
            "wall_ms": [wall * 1000 for wall, _ in values],
            "peak_rss_bytes": [peak for _, peak in values],
            "median_wall_ms": median([wall * 1000 for wall, _ in values]),
            "median_peak_rss_bytes": median([peak for _, peak in values]),
        }
    bare = result["python -c pass"]
    for name, entry in result.items():
        baseline_name = FIRST_POST_NAME if "first" in name else "import httpx"
        baseline = result[baseline_name]
        entry["baseline"] = baseline_name
        entry["wall_ratio"] = entry["median_wall_ms"] / baseline["median_wall_ms"]
        entry["rss_ratio"] = entry["median_peak_rss_bytes"] / baseline["median_peak_rss_bytes"]
        # Without the interpreter's own start-up, for scale (not judged).
        entry["net_wall_ms"] = entry["median_wall_ms"] - bare["median_wall_ms"]
    result.update({name: {"error": error} for name, error in errors.items()})
    result[LAZY_KEY] = lazy_modules_after_import(env)
    return result


LAZY_KEY = "lazy_after_import"
"""The key, among the import results, of what `LAZY_CHECK` found loaded (not a timed command)."""


def lazy_modules_after_import(env: dict[str, str]) -> dict[str, Any]:
    """Which of `LAZY_MODULES` a fresh `from xpander_sdk import Tasks` loads (it should be none)."""
    try:
        completed = subprocess.run(
            [sys.executable, "-c", LAZY_CHECK], env=env, cwd=ROOT, capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            return {"error": completed.stderr[-500:]}
        loaded: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as exc:
        return {"error": str(exc)}
    return {"loaded": loaded}


# -- 2, 3, 5: against the local server ------------------------------------------------------------------------
def summarise_per_call(times: dict[str, list[float]]) -> dict[str, Any]:
    """The SDK against its baseline (`sdk`/`raw`: for ours' async calls, both on aiohttp); with the httpx pair
    too (`sdk_httpx`/`raw_httpx`), its own summary under "httpx", and the SDK against raw httpx."""
    summary: dict[str, Any] = {**times, **_pair_summary(times, "sdk", "raw", "us")}
    if "sdk_httpx_us" in times:
        summary["httpx"] = _pair_summary(times, "sdk_httpx", "raw_httpx", "us")
        summary["ratio_vs_raw_httpx"] = paired_ratio(times["sdk_us"], times["raw_httpx_us"])
    return summary


def _pair_summary(times: dict[str, list[float]], sdk: str, raw: str, unit: str) -> dict[str, Any]:
    """Medians and the paired ratio of the `sdk` role against the `raw` one, and of their CPU per call."""
    summary: dict[str, Any] = {
        f"sdk_median_{unit}": median(times[f"{sdk}_{unit}"]),
        f"raw_median_{unit}": median(times[f"{raw}_{unit}"]),
        "ratio": paired_ratio(times[f"{sdk}_{unit}"], times[f"{raw}_{unit}"]),
    }
    if f"{sdk}_cpu_us" in times:
        summary.update(_cpu_summary(times, sdk, raw))
    return summary


def _cpu_summary(times: dict[str, list[float]], sdk: str = "sdk", raw: str = "raw") -> dict[str, float]:
    """The client's CPU time per call (a diagnostic: much less disturbed by other load than wall time)."""
    return {
        "sdk_median_cpu_us": median(times[f"{sdk}_cpu_us"]),
        "raw_median_cpu_us": median(times[f"{raw}_cpu_us"]),
        "cpu_ratio": paired_ratio(times[f"{sdk}_cpu_us"], times[f"{raw}_cpu_us"]),
    }


def summarise_concurrency(rates: dict[str, list[float]]) -> dict[str, Any]:
    summary: dict[str, Any] = {**rates, **_pair_summary(rates, "sdk", "raw", "per_s")}
    if "raw_httpx_per_s" in rates:  # with the official SDK: its clean baseline
        summary["raw_httpx_median_per_s"] = median(rates["raw_httpx_per_s"])
    return summary


def summarise_memory(samples: dict[str, Any]) -> dict[str, Any]:
    rss: list[int] = samples["rss_bytes"]
    growth = rss[-1] - rss[0]
    return {**samples, "growth_bytes": growth, "growth_bytes_per_call": growth / samples["calls"]}


def per_call_key(call: str, mode: str) -> str:
    """The key of a per-call result: `per_call_async` for create (as before get came in), `per_call_get_sync`."""
    return f"per_call_{mode}" if call == "create" else f"per_call_{call}_{mode}"


OURS_ASYNC_CLIENTS: dict[str, list[str | None]] = {"sdk": ["sdk", None], "raw": ["raw", "aiohttp"]}
"""Ours' async measurements: the SDK on its default transport (aiohttp) against raw httpx over the same
transport (httpx-aiohttp), as `bench.workers` builds them."""
HTTPX_CLIENTS: dict[str, list[str | None]] = {"sdk_httpx": ["sdk", "httpx"], "raw_httpx": ["raw", "httpx"]}
"""And on httpx's own transport: the SDK with `http_transport="httpx"` against raw httpx."""


def bench_client(
    python: str,
    sdk: str,
    request: dict[str, Any],
    counts: dict[str, int],
    *,
    with_memory: bool,
    calls: Sequence[str] = ("create",),
    raw_httpx_concurrency: bool = False,
) -> dict[str, Any]:
    """Per call (async and sync, of each of `calls`), concurrency and, for ours, memory, each in fresh processes
    of `python`. Ours' async calls are measured on both transports, each against raw httpx over the same one,
    interleaved in one process; its concurrency against raw httpx-aiohttp (and raw httpx too with
    `raw_httpx_concurrency`: the official SDK's baseline). The official SDK's against raw httpx."""
    env = worker_env(sdk, request["port"])
    base = {**request, "sdk": sdk}
    ours = sdk == "ours"
    result: dict[str, Any] = {}
    for call in calls:
        for mode in ("async", "sync"):
            log(f"{sdk}: per call, sequential, {call}, {mode}")
            spec = {
                **base,
                "kind": "per_call",
                "call": call,
                "mode": mode,
                "rounds": counts["per_call_rounds"],
                "block": counts["per_call_block"],
                "warmup": counts["per_call_warmup"],
            }
            if ours and mode == "async":
                spec["clients"] = {**OURS_ASYNC_CLIENTS, **HTTPX_CLIENTS}
            result[per_call_key(call, mode)] = measure(summarise_per_call, python, spec, env)
    log(f"{sdk}: concurrency")
    spec = {
        **base,
        "kind": "concurrency",
        "calls": counts["concurrency_calls"],
        "in_flight": counts["concurrency_in_flight"],
        "connections": counts["concurrency_in_flight"],
        "rounds": counts["concurrency_rounds"],
    }
    if ours:
        spec["clients"] = {**OURS_ASYNC_CLIENTS, **({"raw_httpx": ["raw", "httpx"]} if raw_httpx_concurrency else {})}
    result["concurrency"] = measure(summarise_concurrency, python, spec, env)
    if with_memory:
        for target in ("sdk", "raw"):
            log(f"{sdk}: memory ({target})")
            spec = {
                **base,
                "kind": "memory",
                "clients": OURS_ASYNC_CLIENTS if ours else None,
                "target": target,
                "warmup": counts["memory_warmup"],
                "calls": counts["memory_calls"],
                "sample_every": counts["memory_sample_every"],
            }
            result[f"memory_{target}"] = measure(summarise_memory, python, spec, env)
    return result


def measure(
    summarise: Callable[[Any], dict[str, Any]], python: str, spec: dict[str, Any], env: dict[str, str]
) -> dict[str, Any]:
    """Run a worker and summarise its numbers; {"error": ...} when its process failed (reported, and the run
    goes on)."""
    try:
        return summarise(run_worker(python, spec, env))
    except (WorkerError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
        log(f"FAILED: {exc}")
        return {"error": str(exc)}


# -- 2. per call: a task's message with ten text files ------------------------------------------------------------
TASK_FILES = 10
FILE_DELAY_MS = 20
"""The files of the second measure are answered this late, as a remote host would (ours reads them at once)."""


def summarise_task_files(timings: dict[str, list[float]]) -> dict[str, Any]:
    return {
        **timings,
        "sdk_median_ms": median(timings["sdk_ms"]),
        "raw_median_ms": median(timings["raw_ms"]),
        "ratio": paired_ratio(timings["sdk_ms"], timings["raw_ms"]),
    }


def bench_task_files(request: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """`Task.to_message()` of a task with ten text files on the bench server (guarded fetch, all at once) against
    raw httpx reading them one by one on a pooled connection: answered at once, and `FILE_DELAY_MS` late."""
    env = worker_env("ours")
    result: dict[str, Any] = {}
    for key, delay, number in (("immediate", 0, "files_number"), ("delayed", FILE_DELAY_MS, "files_delayed_number")):
        log(f"ours: to_message with {TASK_FILES} text files ({key})")
        spec = {"kind": "task_files", "port": request["port"], "files": TASK_FILES, "delay_ms": delay}
        spec.update(number=counts[number], rounds=counts["files_rounds"])
        result[key] = measure(summarise_task_files, sys.executable, spec, env)
    return result


def _task_files_rows(table: Table, entries: dict[str, Any]) -> None:
    """No target: a fresh guarded connection per file costs about a millisecond on loopback, which a remote
    host's round trip dwarfs (the second row)."""
    for key, measure_name in (
        ("immediate", f"to_message, {TASK_FILES} text files, ms/call"),
        ("delayed", f"to_message, {TASK_FILES} files answered in {FILE_DELAY_MS} ms, ms/call"),
    ):
        entry = entries[key]
        if "error" in entry:
            table.add_error("2. per call, sequential", measure_name, entry["error"], judged=False)
            continue
        baseline = _ms(entry["raw_median_ms"]) + " (httpx, pooled, one by one)"
        table.add("2. per call, sequential", measure_name, _ms(entry["sdk_median_ms"]), baseline, entry["ratio"])


# -- 4. parsing, and the overhead without I/O -----------------------------------------------------------------
def summarise_parse(timings: dict[str, list[float]]) -> dict[str, Any]:
    return {key: {"us": values, "median_us": median(values)} for key, values in timings.items()}


def summarise_list_parse(timings: dict[str, list[float]]) -> dict[str, Any]:
    summary: dict[str, Any] = {key: {"ms": values, "median_ms": median(values)} for key, values in timings.items()}
    summary["ratio"] = paired_ratio(timings["sdk_ms"], timings["raw_ms"])
    summary["generated_ratio"] = paired_ratio(timings["generated_ms"], timings["raw_ms"])
    return summary


def bench_parse(request: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    env = worker_env("ours")
    task_json = TASK_JSON.read_text()
    log("ours: parsing")
    spec = {"kind": "parse", "task_json": task_json, "number": counts["parse_number"], "repeat": counts["parse_repeat"]}
    parse = measure(summarise_parse, sys.executable, spec, env)
    log("ours: overhead without I/O")
    spec = {
        **request,
        "kind": "overhead",
        "task_json": task_json,
        "number": counts["overhead_number"],
        "repeat": counts["overhead_repeat"],
    }
    overhead = measure(summarise_per_call, sys.executable, spec, env)
    log(f"ours: parsing a list of {counts['list_items']:,} tasks")
    spec = {
        "kind": "list_parse",
        "items": counts["list_items"],
        "number": counts["list_number"],
        "repeat": counts["list_repeat"],
    }
    list_parse = measure(summarise_list_parse, sys.executable, spec, env)
    return {"parse": parse, "overhead": overhead, "list_parse": list_parse}


# -- 6, 7: events and waiting ----------------------------------------------------------------------------------
def summarise_latency(times: dict[str, list[float]]) -> dict[str, Any]:
    return {
        **times,
        "sdk_median_ms": median(times["sdk_ms"]),
        "raw_median_ms": median(times["raw_ms"]),
        "sdk_max_ms": max(times["sdk_ms"]),
        "raw_max_ms": max(times["raw_ms"]),
    }


def summarise_events_memory(samples: dict[str, Any]) -> dict[str, Any]:
    rss: list[int] = samples["rss_bytes"]
    return {**samples, "growth_bytes": rss[-1] - rss[0], "growth_from_start_bytes": rss[-1] - samples["before_bytes"]}


def summarise_many(result: dict[str, Any]) -> dict[str, Any]:
    return {
        **result,
        "fds_growth": result["fds_peak"] - result["fds_before"],
        "rss_growth_bytes": result["rss_peak_bytes"] - result["rss_before_bytes"],
    }


def bench_events(request: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """The SDK's event stream against httpx-sse over the same bytes, each measurement in a fresh process:
    events per second (async and sync), the latency from the final event to the wait's return, RSS over a long
    stream, and `counts["events_many"]` creates waited for at once."""
    env = worker_env("ours")
    base = {**request, "sdk": "ours", "organization_id": ORGANIZATION_ID}
    result: dict[str, Any] = {}
    events = counts["events_stream"]
    for mode in ("async", "sync"):
        log(f"ours: events per second, {events:,} events, {mode}")
        spec = {
            **base,
            "kind": "events_rate",
            "mode": mode,
            "task_id": stream_task_id("mix", events),
            "events": events,
            "rounds": counts["events_rounds"],
        }
        result[f"rate_{mode}"] = measure(summarise_concurrency, sys.executable, spec, env)
    delay = counts["events_latency_delay_ms"]
    for mode in ("async", "sync"):
        log(f"ours: latency of the wait after the final event, {mode}")
        spec = {
            **base,
            "kind": "events_latency",
            "mode": mode,
            "runs": counts["events_latency_runs"],
            "task_prefix": finishing_task_id(delay, f"{mode}-"),
        }
        result[f"latency_{mode}"] = measure(summarise_latency, sys.executable, spec, env)
    events = counts["events_memory"]
    for target in ("sdk", "raw"):
        log(f"ours: memory over {events:,} events ({target})")
        spec = {
            **base,
            "kind": "events_memory",
            "target": target,
            "task_id": stream_task_id("small", events),
            "events": events,
            "sample_every": counts["events_memory_sample_every"],
        }
        result[f"memory_{target}"] = measure(summarise_events_memory, sys.executable, spec, env)
    many, agent_id = counts["events_many"], wait_agent_id(counts["events_many_delay_ms"])
    body = json.loads(request["body"])
    body["events_streaming"] = True
    for target in ("sdk", "raw"):
        log(f"ours: {many:,} creates waited for at once ({target})")
        spec = {
            **base,
            "kind": "create_and_wait",
            "target": target,
            "tasks": many,
            "agent_id": agent_id,
            "create_url": f"http://127.0.0.1:{request['port']}/agent-execution/{agent_id}",
            "create_body": json.dumps(body, separators=(",", ":")),
            "wait_timeout": WAIT_TIMEOUT,
            "stats_path": STATS_PATH.decode(),
        }
        result[f"many_{target}"] = measure(summarise_many, sys.executable, spec, env)
    return result


# -- 8. many in flight ------------------------------------------------------------------------------------------
# The server is the same `bench.server` as everywhere: an asyncio server in a process of its own (so it shares no
# GIL with the client), listening with a backlog of 4,096. It holds up: at 1,000 calls in flight every client
# here has at most 100 connections, and the server answers each request with canned bytes. The rows report its
# CPU (its largest share of a core in any round, from `/_bench/stats`): on the 2-core VM, 5-12% of a core for
# the creates and up to about 20% for the 1,000 create-and-waits, while the client uses all of the other core.
# More server processes would only take CPU from the client on 2 cores.
MANY_CLIENTS: dict[str, list[str | None]] = {
    "sdk": ["sdk", None],
    "sdk_httpx": ["sdk", "httpx"],
    "raw_httpx": ["raw", "httpx"],
    "raw_aiohttp": ["raw", "aiohttp"],
}
"""The clients of the `many` rates, in the order of each round: (a) the SDK's default (aiohttp), (b) the SDK with
`http_transport="httpx"`, (c) raw httpx, (d) raw httpx over httpx-aiohttp; each capped at MANY_CONNECTIONS."""
MANY_RATIOS = {
    "sdk_vs_raw_aiohttp": ("sdk", "raw_aiohttp"),
    "sdk_vs_raw_httpx": ("sdk", "raw_httpx"),
    "sdk_httpx_vs_raw_httpx": ("sdk_httpx", "raw_httpx"),
    "sdk_vs_sdk_httpx": ("sdk", "sdk_httpx"),
}
MANY_WAIT_CLIENTS: dict[str, dict[str, str | None]] = {
    "sdk": {"target": "sdk", "http_transport": None},
    "sdk_httpx": {"target": "sdk", "http_transport": "httpx"},
    "raw_aiohttp": {"target": "raw", "raw_transport": "aiohttp"},
}
"""The clients of the `many` create-and-waits: the SDK (`acreate_many(..., wait=True)`, which is
`acreate_and_wait(..., events_streaming=True)` for each) on each transport, and raw httpx-aiohttp posting the
creates (on 100 connections) and following each task's events with httpx-sse (on an uncapped pool, as the SDK's
streams are: each open stream holds a connection)."""
MANY_PROBE = """
import asyncio, json, sys, time
started = time.perf_counter()
from xpander_sdk import Configuration, Tasks
imported = time.perf_counter()
result = {{"import_ms": (imported - started) * 1000,
          "loaded_after_import": sorted(name for name in {lazy!r} if name in sys.modules)}}
if {transport!r} == "lazy":
    began = time.perf_counter()
    import xpander_sdk._aiohttp
    result["lazy_import_ms"] = (time.perf_counter() - began) * 1000
else:
    async def first_two():
        began = time.perf_counter()
        tasks = Tasks(Configuration(api_key={api_key!r}, base_url={base_url!r}), http_transport={transport!r})
        await tasks.acreate(agent_id={agent_id!r}, prompt={prompt!r})
        first = time.perf_counter()
        await tasks.acreate(agent_id={agent_id!r}, prompt={prompt!r})
        second = time.perf_counter()
        await tasks.aclose()
        return (first - began) * 1000, (second - first) * 1000
    result["first_acreate_ms"], result["second_acreate_ms"] = asyncio.run(first_two())
    result["aiohttp_after_first"] = "aiohttp" in sys.modules
print(json.dumps(result))
"""
"""One fresh process: the import of `Tasks` (and which of LAZY_MODULES it loaded), then either the first
`acreate` on a transport (the client made, aiohttp imported for "aiohttp", the connection opened, the call) and
a second one for scale, or ("lazy") the import of the SDK's aiohttp layer alone (aiohttp, httpx-aiohttp)."""
MANY_PROBES = ("aiohttp", "httpx", "lazy")


def bench_many(
    request: dict[str, Any], counts: dict[str, int], levels: Sequence[tuple[int, int, int]]
) -> dict[str, Any]:
    """Many calls in flight, each client in fresh processes: creates per second at each of `levels` (rounds of
    the four MANY_CLIENTS in turn, medians of the rounds), `many_waits` create-and-waits following events at
    once, memory over `many_memory_calls` creates at `many_memory_in_flight` at once (RSS and tracemalloc), and
    the import and first call with aiohttp loaded lazily."""
    started = time.perf_counter()
    result: dict[str, Any] = {
        "rates": bench_many_rates(request, counts["many_rounds"], levels),
        "waits": bench_many_waits(request, counts),
    }
    for probe in ("rss", "traced"):
        calls, in_flight = counts["many_memory_calls"], counts["many_memory_in_flight"]
        log(f"many: memory over {calls:,} acreate, {in_flight} in flight ({probe})")
        spec = {
            **request,
            "sdk": "ours",
            "kind": "many_memory",
            "clients": {"sdk": ["sdk", None]},
            "target": "sdk",
            "trace": probe == "traced",
            "connections": MANY_CONNECTIONS,
            "in_flight": counts["many_memory_in_flight"],
            "warmup": counts["many_memory_warmup"],
            "calls": counts["many_memory_calls"],
            "sample_every": counts["many_memory_sample_every"],
        }
        result[f"memory_{probe}"] = measure(summarise_many_memory, sys.executable, spec, worker_env("ours"))
    result["imports"] = bench_many_imports(request, counts["many_import_runs"])
    result["seconds"] = time.perf_counter() - started
    return result


def bench_many_rates(request: dict[str, Any], rounds: int, levels: Sequence[tuple[int, int, int]]) -> dict[str, Any]:
    env = worker_env("ours")
    runs: dict[str, list[list[dict[str, Any]]]] = {role: [] for role in MANY_CLIENTS}
    for round_number in range(rounds):
        for role, client in MANY_CLIENTS.items():
            log(f"many: round {round_number + 1} of {rounds}, {role}, {len(levels)} levels of calls in flight")
            spec = {
                **request,
                "sdk": "ours",
                "kind": "many_rate",
                "clients": {role: client},
                "connections": MANY_CONNECTIONS,
                "levels": [list(level) for level in levels],
                "stats_path": STATS_PATH.decode(),
            }
            try:
                runs[role].append(run_worker(sys.executable, spec, env)["levels"])
            except (WorkerError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
                log(f"FAILED: {exc}")
                return {"error": str(exc)}
    return summarise_many_rates(runs, levels)


def summarise_many_rates(
    runs: dict[str, list[list[dict[str, Any]]]], levels: Sequence[tuple[int, int, int]]
) -> dict[str, Any]:
    """Per level: each client's calls per second and CPU per call in every round, their medians, the paired
    ratios of MANY_RATIOS (the median of the rounds' ratios), and the server's largest share of a core."""
    summary: list[dict[str, Any]] = []
    for index, (in_flight, calls, warmup) in enumerate(levels):
        entry: dict[str, Any] = {"in_flight": in_flight, "calls": calls, "warmup": warmup}
        for role, rounds in runs.items():
            measured = [levels_of_round[index] for levels_of_round in rounds]
            per_s, cpu_us = [m["per_s"] for m in measured], [m["cpu_us"] for m in measured]
            entry[role] = {
                "per_s": per_s,
                "cpu_us": cpu_us,
                "median_per_s": median(per_s),
                "median_cpu_us": median(cpu_us),
                "client_cpu_share": median([m["client_cpu_share"] for m in measured]),
                "server_cpu_share_max": max(m["server_cpu_share"] for m in measured),
                "server_peak_connections": max(m["server_peak_connections"] for m in measured),
            }
        entry["ratios"] = {
            name: paired_ratio(entry[a]["per_s"], entry[b]["per_s"]) for name, (a, b) in MANY_RATIOS.items()
        }
        entry["cpu_ratio"] = paired_ratio(entry["sdk"]["cpu_us"], entry["raw_aiohttp"]["cpu_us"])
        entry["server_cpu_share_max"] = max(entry[role]["server_cpu_share_max"] for role in runs)
        summary.append(entry)
    return {"levels": summary, "connections": MANY_CONNECTIONS}


def bench_many_waits(request: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    tasks, delay = counts["many_waits"], counts["many_wait_delay_ms"]
    agent_id = wait_agent_id(delay)
    body = json.loads(request["body"])
    body["events_streaming"] = True
    env = worker_env("ours")
    runs: dict[str, list[dict[str, Any]]] = {role: [] for role in MANY_WAIT_CLIENTS}
    rounds = counts["many_rounds"]
    for round_number in range(rounds):
        for role, client in MANY_WAIT_CLIENTS.items():
            log(f"many: round {round_number + 1} of {rounds}, {tasks:,} create-and-waits at once, {role}")
            spec = {
                **request,
                **client,
                "sdk": "ours",
                "organization_id": ORGANIZATION_ID,
                "kind": "create_and_wait",
                "tasks": tasks,
                "agent_id": agent_id,
                "create_url": f"http://127.0.0.1:{request['port']}/agent-execution/{agent_id}",
                "create_body": json.dumps(body, separators=(",", ":")),
                "wait_timeout": WAIT_TIMEOUT,
                "stats_path": STATS_PATH.decode(),
            }
            try:
                runs[role].append(summarise_many(run_worker(sys.executable, spec, env)))
            except (WorkerError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
                log(f"FAILED: {exc}")
                return {"error": str(exc)}
    return summarise_many_waits(runs, tasks, delay)


def summarise_many_waits(runs: dict[str, list[dict[str, Any]]], tasks: int, delay_ms: int) -> dict[str, Any]:
    summary: dict[str, Any] = {"tasks": tasks, "delay_ms": delay_ms}
    for role, rounds in runs.items():
        per_s = [run["tasks"] / run["wall_s"] for run in rounds]
        summary[role] = {
            "runs": rounds,
            "per_s": per_s,
            "median_per_s": median(per_s),
            "succeeded": [run["succeeded"] for run in rounds],
            "server_peak_connections": max(run["server"]["peak"] for run in rounds),
            "server_cpu_share_max": max(run["server_cpu_s"] / run["wall_s"] for run in rounds),
            "client_cpu_us_per_task": median([run["cpu_s"] / run["tasks"] * 1e6 for run in rounds]),
            "requests": {kind: max(run["server"][kind] for run in rounds) for kind in ("post", "events", "status")},
        }
    summary["ratios"] = {
        "sdk_vs_sdk_httpx": paired_ratio(summary["sdk"]["per_s"], summary["sdk_httpx"]["per_s"]),
        "sdk_vs_raw_aiohttp": paired_ratio(summary["sdk"]["per_s"], summary["raw_aiohttp"]["per_s"]),
    }
    return summary


def summarise_many_memory(samples: dict[str, Any]) -> dict[str, Any]:
    """The growth from the first sample (after the warm-ups) to the last, and to the largest."""
    summary = dict(samples)
    for name in ("rss", "traced"):
        values: list[int] | None = samples.get(f"{name}_bytes")
        if values:
            summary[f"{name}_growth_bytes"] = values[-1] - values[0]
            summary[f"{name}_growth_max_bytes"] = max(values) - values[0]
    return summary


def run_probe(code: str, env: dict[str, str]) -> dict[str, Any]:
    """Run `code` in a fresh process of this interpreter; the JSON object it printed last."""
    try:
        completed = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
        )
    except OSError as exc:
        raise WorkerError(f"{sys.executable} could not be run: {exc}") from None
    if completed.returncode != 0:
        raise WorkerError(f"a probe failed (exit {completed.returncode}): {completed.stderr[-500:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def bench_many_imports(request: dict[str, Any], runs: int) -> dict[str, Any]:
    """MANY_PROBES in fresh processes (bytecode cached, as in `bench_import`), interleaved, `runs` of each
    after one untimed run of each."""
    env = import_env()
    base_url = f"http://127.0.0.1:{request['port']}"
    codes = {
        probe: MANY_PROBE.format(lazy=LAZY_MODULES, transport=probe, base_url=base_url, **request)
        for probe in MANY_PROBES
    }
    log(f"many: import and first acreate, {runs} fresh processes of each of {', '.join(MANY_PROBES)}")
    samples: dict[str, list[dict[str, Any]]] = {probe: [] for probe in MANY_PROBES}
    try:
        for code in codes.values():
            run_probe(code, env)
        for _ in range(runs):
            for probe, code in codes.items():
                samples[probe].append(run_probe(code, env))
    except (WorkerError, subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        log(f"FAILED: {exc}")
        return {"error": str(exc)}
    result: dict[str, Any] = {}
    for probe, values in samples.items():
        entry: dict[str, Any] = {"runs": values}
        for key in ("import_ms", "first_acreate_ms", "second_acreate_ms", "lazy_import_ms"):
            if key in values[0]:
                entry[f"median_{key}"] = median([value[key] for value in values])
        entry["loaded_after_import"] = sorted({name for value in values for name in value["loaded_after_import"]})
        if "aiohttp_after_first" in values[0]:
            entry["aiohttp_after_first"] = any(value["aiohttp_after_first"] for value in values)
        result[probe] = entry
    return result


# -- the table ------------------------------------------------------------------------------------------------
class Table:
    """Rows of (benchmark, measure, SDK, baseline, ratio, target, met), printed with aligned columns."""

    HEADER = ("benchmark", "measure", "SDK", "baseline (raw httpx, on the transport named)", "ratio", "target", "met")

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.targets: list[dict[str, Any]] = []

    def add(
        self,
        benchmark: str,
        measure: str,
        value: str,
        baseline: str = "",
        ratio: float | None = None,
        target: tuple[str, float] | None = None,
    ) -> None:
        """A row; with `target` ("<=" or ">=", bound) the ratio is judged against it and recorded."""
        ratio_text = "" if ratio is None else f"{ratio:.2f}x"
        target_text, met_text = "", ""
        if target is not None:
            relation, bound = target
            met = (
                ratio is not None and math.isfinite(ratio) and (ratio <= bound if relation == "<=" else ratio >= bound)
            )
            target_text, met_text = f"{relation} {bound:g}x", "yes" if met else "NO"
            self.targets.append(
                {"benchmark": benchmark, "measure": measure, "ratio": ratio, "target": target_text, "met": met}
            )
        self.rows.append((benchmark, measure, value, baseline, ratio_text, target_text, met_text))

    def add_check(self, benchmark: str, measure: str, value: str, baseline: str, target: str, met: bool) -> None:
        """A row judged by something other than a ratio (memory growth)."""
        self.targets.append({"benchmark": benchmark, "measure": measure, "value": value, "target": target, "met": met})
        self.rows.append((benchmark, measure, value, baseline, "", target, "yes" if met else "NO"))

    def add_error(self, benchmark: str, measure: str, error: str, *, judged: bool) -> None:
        first_line = error.splitlines()[0] if error else "failed"
        if judged:
            self.targets.append({"benchmark": benchmark, "measure": measure, "error": error, "met": False})
        self.rows.append((benchmark, measure, f"FAILED: {first_line[:40]}", "", "", "", "NO" if judged else ""))

    def render(self) -> str:
        widths = [max(len(row[i]) for row in [self.HEADER, *self.rows]) for i in range(len(self.HEADER))]
        lines = []
        for index, row in enumerate([self.HEADER, *self.rows]):
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
        return "\n".join(lines)


def _us(value: float) -> str:
    return f"{value:,.1f} us"


def _mib(value: float) -> str:
    return f"{value / MIB:,.1f} MiB"


def fill_table(table: Table, results: dict[str, Any]) -> None:
    """The rows of the sections that ran."""
    if "import" in results:
        _import_rows(table, results["import"])
    if "ours" in results:
        _client_rows(table, results["ours"], results.get("task_files"))
    if "official" in results:
        _official_rows(table, results["official"], results["ours"])
    if "parse" in results:
        _parse_rows(table, results["parse"], results["overhead"])
        _list_rows(table, results["list_parse"])
    if "ours" in results:
        _memory_rows(table, results["ours"])
    if "events" in results:
        _events_rows(table, results["events"])
        _waiting_rows(table, results["events"])
    if "many" in results:
        _many_rows(table, results["many"])
    if "worker" in results:
        worker_bench.worker_rows(table, results["worker"])
    if "footprint" in results:
        _footprint_rows(table, results["footprint"])


def _import_rows(table: Table, imports: dict[str, Any]) -> None:
    for name, entry in imports.items():
        if name in ("import httpx", FIRST_POST_NAME, LAZY_KEY):
            continue
        if "error" in entry:
            table.add_error("1. import", name, entry["error"], judged=False)
            continue
        judged = name in ("import xpander_sdk", "from xpander_sdk import Tasks")
        target = ("<=", IMPORT_MAX) if judged else None
        bare = name == "python -c pass"
        baseline = imports[entry["baseline"]]
        baseline_label = "" if entry["baseline"] == "import httpx" else " (first post)"
        table.add(
            "1. import",
            f"{name}: wall",
            f"{entry['median_wall_ms']:.1f} ms",
            f"{baseline['median_wall_ms']:.1f} ms{baseline_label}",
            None if bare else entry["wall_ratio"],
            target,
        )
        table.add(
            "1. import",
            f"{name}: peak RSS",
            _mib(entry["median_peak_rss_bytes"]),
            _mib(baseline["median_peak_rss_bytes"]),
            None if bare else entry["rss_ratio"],
            target,
        )
    if LAZY_KEY in imports:
        _lazy_row(table, "1. import", imports[LAZY_KEY])


def _lazy_row(table: Table, benchmark: str, lazy: dict[str, Any]) -> None:
    """Whether `from xpander_sdk import Tasks` left aiohttp (and what it brings) out of sys.modules."""
    measure_name = "aiohttp loaded by `from xpander_sdk import Tasks`"
    if "error" in lazy:
        table.add_error(benchmark, measure_name, lazy["error"], judged=True)
        return
    loaded: list[str] = lazy["loaded"]
    table.add_check(benchmark, measure_name, ", ".join(loaded) if loaded else "no", "", "no", not loaded)


PER_CALL_ROWS = (
    ("create", "async", "acreate", PER_CALL_ASYNC_MAX, PER_CALL_MAX),
    ("create", "sync", "create", PER_CALL_MAX, None),
    ("get", "async", "aget", PER_CALL_ASYNC_MAX, PER_CALL_GET_MAX),
    ("get", "sync", "get", PER_CALL_GET_MAX, None),
)
"""The per-call rows: (call, mode, the method's name, the ratio's target, and the target of the same call on
httpx's async transport against raw httpx, when it is measured)."""
AIOHTTP_LABEL, HTTPX_LABEL = " (httpx-aiohttp)", " (httpx)"


def _client_rows(table: Table, client: dict[str, Any], task_files: dict[str, Any] | None = None) -> None:
    for key_call, mode, call, bound, httpx_bound in PER_CALL_ROWS:
        entry = client.get(per_call_key(key_call, mode))
        if entry is None:
            continue
        if "error" in entry:
            table.add_error("2. per call, sequential", f"{call}, us/call", entry["error"], judged=True)
            continue
        label = AIOHTTP_LABEL if "httpx" in entry else ""
        table.add(
            "2. per call, sequential",
            f"{call}, us/call",
            _us(entry["sdk_median_us"]),
            _us(entry["raw_median_us"]) + label,
            entry["ratio"],
            ("<=", bound),
        )
        _cpu_row(table, "2. per call, sequential", call, entry)
        on_httpx = entry.get("httpx")
        if on_httpx is None or httpx_bound is None:
            continue
        table.add(
            "2. per call, sequential",
            f"{call}, httpx transport, us/call",
            _us(on_httpx["sdk_median_us"]),
            _us(on_httpx["raw_median_us"]) + HTTPX_LABEL,
            on_httpx["ratio"],
            ("<=", httpx_bound),
        )
        _cpu_row(table, "2. per call, sequential", f"{call}, httpx transport", on_httpx)
    if task_files is not None:
        _task_files_rows(table, task_files)
    entry = client["concurrency"]
    if "error" in entry:
        table.add_error("3. concurrency", "acreate, calls/s", entry["error"], judged=True)
        return
    table.add(
        "3. concurrency",
        "acreate, calls/s",
        f"{entry['sdk_median_per_s']:,.0f}/s",
        f"{entry['raw_median_per_s']:,.0f}/s" + AIOHTTP_LABEL,
        entry["ratio"],
        (">=", CONCURRENCY_MIN),
    )
    _cpu_row(table, "3. concurrency", "acreate", entry)


def _official_rows(table: Table, official: dict[str, Any], ours: dict[str, Any]) -> None:
    """The official SDK against raw httpx in our clean process. Raw httpx measured in the official SDK's own
    process (interleaved with it) runs slower than in a clean one, measurably so under concurrency (its import
    leaves some 230,000 objects for the garbage collector to walk, ten times ours); that is shown as a row of its
    own, not used as the baseline."""
    for mode, call in (("async", "acreate"), ("sync", "create")):
        entry, clean = official[f"per_call_{mode}"], ours[f"per_call_{mode}"]
        measure = f"official: {call}, us/call"
        if "error" in entry or "error" in clean:
            table.add_error(
                "2. per call, sequential", measure, entry.get("error", clean.get("error", "")), judged=False
            )
            continue
        clean_raw = clean.get("httpx", clean)["raw_median_us"]  # ours' raw httpx (async: beside httpx-aiohttp)
        entry["ratio_vs_clean_raw"] = entry["sdk_median_us"] / clean_raw
        table.add(
            "2. per call, sequential",
            measure,
            _us(entry["sdk_median_us"]),
            _us(clean_raw) + HTTPX_LABEL,
            entry["ratio_vs_clean_raw"],
        )
    entry, clean = official["concurrency"], ours["concurrency"]
    if "error" in entry or "error" in clean:
        table.add_error("3. concurrency", "official: acreate", entry.get("error", clean.get("error", "")), judged=False)
        return
    clean_raw = clean.get("raw_httpx_median_per_s", clean["raw_median_per_s"])
    entry["ratio_vs_clean_raw"] = entry["sdk_median_per_s"] / clean_raw
    table.add(
        "3. concurrency",
        "official: acreate, calls/s",
        f"{entry['sdk_median_per_s']:,.0f}/s",
        f"{clean_raw:,.0f}/s" + HTTPX_LABEL,
        entry["ratio_vs_clean_raw"],
    )
    table.add(
        "3. concurrency",
        "  raw httpx in the official's process",
        f"{entry['raw_median_per_s']:,.0f}/s",
        f"{clean_raw:,.0f}/s" + HTTPX_LABEL,
        entry["raw_median_per_s"] / clean_raw,
    )


def _cpu_row(table: Table, benchmark: str, call: str, entry: dict[str, Any]) -> None:
    """The client's CPU time per call, for diagnosis (not judged)."""
    table.add(
        benchmark,
        f"  {call}, client CPU us/call",
        _us(entry["sdk_median_cpu_us"]),
        _us(entry["raw_median_cpu_us"]),
        entry["cpu_ratio"],
    )


def _parse_rows(table: Table, parse: dict[str, Any], overhead: dict[str, Any]) -> None:
    if "error" in parse:
        table.add_error("4. parsing", "Task.from_dict", parse["error"], judged=False)
    else:
        loads = parse["json_loads_us"]["median_us"]
        table.add("4. parsing", "Task.from_dict(dict), full Task", _us(parse["task_from_dict_us"]["median_us"]))
        table.add("4. parsing", "json.loads alone, for scale", _us(loads))
        table.add("4. parsing", "json.loads + Task.from_dict", _us(parse["loads_and_from_dict_us"]["median_us"]))
        table.add(
            "4. parsing", "generated Task.from_dict, for scale", _us(parse["generated_from_dict_us"]["median_us"])
        )
    if "error" in overhead:
        table.add_error("4. parsing", "create without I/O", overhead["error"], judged=False)
    else:
        table.add(
            "4. parsing",
            "create without I/O (MockTransport)",
            _us(overhead["sdk_median_us"]),
            _us(overhead["raw_median_us"]),
            overhead["ratio"],
        )


def _ms(value: float) -> str:
    return f"{value:,.2f} ms"


def _list_rows(table: Table, list_parse: dict[str, Any]) -> None:
    """Parsing a list response: the SDK's parser against json.loads and a dict per item by hand (no target)."""
    if "error" in list_parse:
        table.add_error("4. parsing", "list of 1,000: parse_task_list", list_parse["error"], judged=False)
        return
    raw = _ms(list_parse["raw_ms"]["median_ms"])
    table.add(
        "4. parsing",
        f"list of {LIST_ITEMS:,}: parse_task_list, ms/list",
        _ms(list_parse["sdk_ms"]["median_ms"]),
        f"{raw} (json.loads + dicts)",
        list_parse["ratio"],
    )
    table.add(
        "4. parsing",
        "  generated TasksListItem.from_dict, for scale",
        _ms(list_parse["generated_ms"]["median_ms"]),
        f"{raw} (json.loads + dicts)",
        list_parse["generated_ratio"],
    )
    table.add("4. parsing", "  json.loads alone, for scale", _ms(list_parse["json_loads_ms"]["median_ms"]))


def _memory_rows(table: Table, ours: dict[str, Any]) -> None:
    sdk_memory, raw_memory = ours["memory_sdk"], ours["memory_raw"]
    if "error" in sdk_memory:
        table.add_error("5. memory", "RSS growth", sdk_memory["error"], judged=True)
    else:
        growth = sdk_memory["growth_bytes"]
        baseline = "" if "error" in raw_memory else f"{raw_memory['growth_bytes'] / 1024:+,.0f} KiB" + AIOHTTP_LABEL
        table.add_check(
            "5. memory",
            f"RSS growth over {sdk_memory['calls']:,} acreate",
            f"{growth / 1024:+,.0f} KiB ({sdk_memory['growth_bytes_per_call']:+.1f} B/call)",
            baseline,
            f"<= {MEMORY_NOISE_BYTES // 1024:,} KiB",
            growth <= MEMORY_NOISE_BYTES,
        )


EVENTS, WAITING = "6. events", "7. waiting"


def _events_rows(table: Table, events: dict[str, Any]) -> None:
    for mode, call in (("async", "aevents"), ("sync", "events")):
        entry = events[f"rate_{mode}"]
        if "error" in entry:
            table.add_error(EVENTS, f"{call}, events/s", entry["error"], judged=True)
            continue
        table.add(
            EVENTS,
            f"{call}, events/s ({entry['events']:,}-event mix)",
            f"{entry['sdk_median_per_s']:,.0f}/s",
            f"{entry['raw_median_per_s']:,.0f}/s (httpx-sse)",
            entry["ratio"],
            (">=", EVENTS_RATE_MIN),
        )
        table.add(
            EVENTS,
            f"  {call}, client CPU us/event",
            _us(entry["sdk_median_cpu_us"]),
            _us(entry["raw_median_cpu_us"]),
            entry["cpu_ratio"],
        )
    sdk_memory, raw_memory = events["memory_sdk"], events["memory_raw"]
    if "error" in sdk_memory:
        table.add_error(EVENTS, "RSS growth over the stream", sdk_memory["error"], judged=True)
        return
    baseline = "" if "error" in raw_memory else _mib(raw_memory["growth_bytes"])
    table.add_check(
        EVENTS,
        f"RSS growth over {sdk_memory['events']:,} events (aevents)",
        _mib(sdk_memory["growth_bytes"]),
        baseline,
        f"<= {EVENTS_MEMORY_MAX_BYTES / MIB:g} MiB",
        sdk_memory["growth_bytes"] <= EVENTS_MEMORY_MAX_BYTES,
    )
    baseline = "" if "error" in raw_memory else _mib(raw_memory["growth_from_start_bytes"])
    table.add(EVENTS, "  from before the stream, for scale", _mib(sdk_memory["growth_from_start_bytes"]), baseline)


def _waiting_rows(table: Table, events: dict[str, Any]) -> None:
    for mode, call in (("async", "await_result"), ("sync", "wait")):
        entry = events[f"latency_{mode}"]
        measure_name = f"{call} after task_finished, median"
        if "error" in entry:
            table.add_error(WAITING, measure_name, entry["error"], judged=mode == "async")
            continue
        measure_name += f" of {len(entry['sdk_ms'])}"
        value, baseline = _ms(entry["sdk_median_ms"]), f"{_ms(entry['raw_median_ms'])} (httpx-sse)"
        if mode == "async":  # the target is absolute: the wait adds at most a few ms on loopback
            met = entry["sdk_median_ms"] <= EVENTS_LATENCY_MAX_MS
            table.add_check(WAITING, measure_name, value, baseline, f"<= {EVENTS_LATENCY_MAX_MS:g} ms", met)
        else:
            table.add(WAITING, measure_name, value, baseline)
    sdk, raw = events["many_sdk"], events["many_raw"]
    if "error" in sdk:
        table.add_error(WAITING, "acreate_many(wait=True)", sdk["error"], judged=True)
        return
    raw_ok = "error" not in raw
    tasks = sdk["tasks"]
    table.add(
        WAITING,
        f"{tasks:,} at once: acreate_many(wait=True), wall",
        f"{sdk['wall_s']:,.2f} s",
        f"{raw['wall_s']:,.2f} s" if raw_ok else "",
        sdk["wall_s"] / raw["wall_s"] if raw_ok else None,
    )
    table.add_check(
        WAITING,
        "  tasks completed",
        f"{sdk['succeeded']:,} of {tasks:,}",
        f"{raw['succeeded']:,} of {raw['tasks']:,}" if raw_ok else "",
        "all",
        sdk["succeeded"] == tasks,
    )
    for measure_name, sdk_value, raw_value in zip(MANY_ROWS, _many_values(sdk), _many_values(raw), strict=True):
        table.add(WAITING, measure_name, sdk_value, raw_value if raw_ok else "")


MANY_ROWS = (
    "  peak open connections (server)",
    "  peak client fds (growth)",
    "  peak RSS growth",
    "  requests: create, events, status",
)


def _many_values(entry: dict[str, Any]) -> tuple[str, ...]:
    """The cells of MANY_ROWS for one create-and-wait run (empty when it failed)."""
    if "error" in entry:
        return ("",) * len(MANY_ROWS)
    server = entry["server"]
    return (
        f"{server['peak']:,}",
        f"{entry['fds_peak']:,} (+{entry['fds_growth']:,})",
        _mib(entry["rss_growth_bytes"]),
        f"{server['post']:,}, {server['events']:,}, {server['status']:,}",
    )


MANY_RATES, MANY_WAITS, MANY_MEMORY, MANY_IMPORT = (
    "8. many in flight",
    "8. many: create and wait",
    "8. many: memory",
    "8. many: import",
)


def _per_s(value: float) -> str:
    return f"{value:,.0f}/s"


def _many_rows(table: Table, many: dict[str, Any]) -> None:
    _many_rate_rows(table, many["rates"])
    _many_wait_rows(table, many["waits"])
    _many_memory_rows(table, many)
    _many_import_rows(table, many["imports"])


def _many_rate_rows(table: Table, rates: dict[str, Any]) -> None:
    if "error" in rates:
        table.add_error(MANY_RATES, "acreate, calls/s", rates["error"], judged=True)
        return
    shares = []
    for level in rates["levels"]:
        sdk, raw_aiohttp, raw_httpx, sdk_httpx = (
            level[role] for role in ("sdk", "raw_aiohttp", "raw_httpx", "sdk_httpx")
        )
        ratios = level["ratios"]
        table.add(
            MANY_RATES,
            f"acreate, {level['in_flight']:,} in flight, calls/s",
            _per_s(sdk["median_per_s"]),
            _per_s(raw_aiohttp["median_per_s"]) + AIOHTTP_LABEL,
            ratios["sdk_vs_raw_aiohttp"],
            (">=", MANY_RATE_MIN),
        )
        table.add(
            MANY_RATES,
            "  the same against raw httpx",
            "",
            _per_s(raw_httpx["median_per_s"]) + HTTPX_LABEL,
            ratios["sdk_vs_raw_httpx"],
        )
        table.add(
            MANY_RATES,
            "  SDK on httpx transport",
            _per_s(sdk_httpx["median_per_s"]),
            _per_s(raw_httpx["median_per_s"]) + HTTPX_LABEL,
            ratios["sdk_httpx_vs_raw_httpx"],
        )
        table.add(
            MANY_RATES,
            "  client CPU us/call",
            _us(sdk["median_cpu_us"]),
            _us(raw_aiohttp["median_cpu_us"]) + AIOHTTP_LABEL,
            level["cpu_ratio"],
        )
        shares.append(f"{level['server_cpu_share_max']:.0%}")
    table.add(MANY_RATES, "  server CPU, most of a core (per level)", ", ".join(shares))


def _many_wait_rows(table: Table, waits: dict[str, Any]) -> None:
    if "error" in waits:
        table.add_error(MANY_WAITS, "acreate_and_wait, tasks/s", waits["error"], judged=True)
        return
    tasks = waits["tasks"]
    sdk, sdk_httpx, raw = waits["sdk"], waits["sdk_httpx"], waits["raw_aiohttp"]
    table.add(
        MANY_WAITS,
        f"{tasks:,} at once, events followed, tasks/s",
        _per_s(sdk["median_per_s"]),
        _per_s(raw["median_per_s"]) + " (httpx-aiohttp + httpx-sse)",
        waits["ratios"]["sdk_vs_raw_aiohttp"],
    )
    table.add(
        MANY_WAITS,
        "  against the SDK on httpx transport",
        "",
        _per_s(sdk_httpx["median_per_s"]) + ' (SDK, http_transport="httpx")',
        waits["ratios"]["sdk_vs_sdk_httpx"],
    )
    complete = all(done == tasks for role in (sdk, sdk_httpx) for done in role["succeeded"])
    table.add_check(
        MANY_WAITS,
        "  tasks completed (SDK, each round; httpx transport)",
        f"{min(sdk['succeeded']):,} of {tasks:,}; {min(sdk_httpx['succeeded']):,}",
        f"{min(raw['succeeded']):,} of {tasks:,}",
        "all",
        complete,
    )
    table.add(
        MANY_WAITS,
        "  server: peak connections, CPU",
        f"{sdk['server_peak_connections']:,}, {sdk['server_cpu_share_max']:.0%}",
        f"{raw['server_peak_connections']:,}, {raw['server_cpu_share_max']:.0%}",
    )
    requests, raw_requests = sdk["requests"], raw["requests"]
    table.add(
        MANY_WAITS,
        "  requests: create, events, status",
        f"{requests['post']:,}, {requests['events']:,}, {requests['status']:,}",
        f"{raw_requests['post']:,}, {raw_requests['events']:,}, {raw_requests['status']:,}",
    )


def _many_memory_rows(table: Table, many: dict[str, Any]) -> None:
    """RSS from a process without tracemalloc (whose own tables, untraced, would add to it), and the traced
    memory from another one."""
    for probe, label, key in (("rss", "RSS", "rss_growth_bytes"), ("traced", "tracemalloc", "traced_growth_bytes")):
        memory = many[f"memory_{probe}"]
        if "error" in memory:
            table.add_error(MANY_MEMORY, f"{label} growth", memory["error"], judged=True)
            continue
        growth, largest = memory[key], memory[key.replace("growth", "growth_max")]
        table.add_check(
            MANY_MEMORY,
            f"{label} growth over {memory['calls']:,} acreate, {memory['in_flight']} in flight",
            f"{growth / 1024:+,.0f} KiB (max {largest / 1024:+,.0f})",
            "",
            f"<= {MANY_MEMORY_MAX_BYTES // 1024:,} KiB",
            growth <= MANY_MEMORY_MAX_BYTES,
        )


def _many_import_rows(table: Table, imports: dict[str, Any]) -> None:
    if "error" in imports:
        table.add_error(MANY_IMPORT, "import and first acreate", imports["error"], judged=True)
        return
    on_aiohttp, on_httpx, lazy = imports["aiohttp"], imports["httpx"], imports["lazy"]
    loaded = sorted(
        {*on_aiohttp["loaded_after_import"], *on_httpx["loaded_after_import"], *lazy["loaded_after_import"]}
    )
    table.add_check(
        MANY_IMPORT,
        "aiohttp loaded by `from xpander_sdk import Tasks`",
        ", ".join(loaded) if loaded else f"no ({_ms(on_aiohttp['median_import_ms'])} in-process)",
        "",
        "no",
        not loaded,
    )
    table.add(
        MANY_IMPORT,
        "first acreate: client, aiohttp import, connection, call",
        _ms(on_aiohttp["median_first_acreate_ms"]),
        f"{_ms(on_httpx['median_first_acreate_ms'])} (SDK, httpx transport)",
        on_aiohttp["median_first_acreate_ms"] / on_httpx["median_first_acreate_ms"],
    )
    table.add(
        MANY_IMPORT,
        "  of which the import of xpander_sdk._aiohttp",
        _ms(lazy["median_lazy_import_ms"]),
        "aiohttp loaded by the httpx transport: " + ("yes" if on_httpx["aiohttp_after_first"] else "no"),
    )
    table.add(
        MANY_IMPORT,
        "  the second acreate, for scale",
        _ms(on_aiohttp["median_second_acreate_ms"]),
        f"{_ms(on_httpx['median_second_acreate_ms'])} (SDK, httpx transport)",
    )


FOOTPRINT = "9. install footprint"


def _footprint_rows(table: Table, measured: dict[str, Any]) -> None:
    if "error" in measured:
        table.add_error(FOOTPRINT, "pip install .", measured["error"], judged=False)
        return
    after, before = measured["after"], measured["before"]
    baseline = f" (before: {', '.join(footprint.BEFORE_NAMES)})"
    table.add(
        FOOTPRINT,
        "pip install . (with its dependencies): packages",
        f"{after['packages']:,}",
        f"{before['packages']:,}" + baseline,
        after["packages"] / before["packages"],
    )
    table.add(
        FOOTPRINT,
        "  size installed",
        f"{after['bytes'] / 1e6:,.1f} MB",
        f"{before['bytes'] / 1e6:,.1f} MB",
        after["bytes"] / before["bytes"],
    )
    table.add(FOOTPRINT, "  added", ", ".join(measured["added"]))


# -- main -----------------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    import xpander_sdk

    return {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "httpx": httpx.__version__,
        "xpander_sdk": xpander_sdk.__version__,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts (a smoke run, numbers meaningless)")
    parser.add_argument("--official", action="store_true", help=f"also measure {official.REQUIREMENT}")
    parser.add_argument(
        "--official-python",
        metavar="PYTHON",
        help="use this interpreter's xpander_sdk as the official SDK instead of bench/.official/venv",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        metavar="SECTION",
        help=f"run only this section (repeatable; one of {', '.join(SECTIONS)}; default: all)",
    )
    parser.add_argument(
        "--footprint",
        action="store_true",
        help="also install this package with its dependencies into fresh venvs (from PyPI: minutes) and report "
        "their packages and size, against the dependencies before aiohttp",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the JSON (default: bench/results/latest.json, or latest-<sections>.json with --only)",
    )
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = RESULTS / ("latest.json" if not args.only else f"latest-{'-'.join(sorted(set(args.only)))}.json")
    return args


def official_python(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The interpreter with the official SDK, or (None, why not)."""
    if args.official_python:
        return args.official_python, None
    if not args.official:
        return None, None
    try:
        return official.ensure_official(log), None
    except (official.OfficialUnavailable, OSError, subprocess.SubprocessError) as exc:
        log(f"the official SDK is left out: {exc}")
        return None, str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    mode = "quick" if args.quick else "full"
    counts = COUNTS[mode]
    sections = set(args.only or SECTIONS)
    other_python, official_error = official_python(args) if sections & {"import", "calls", "worker"} else (None, None)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    results: dict[str, Any] = {}
    with running_server(lifetime=SERVER_LIFETIME * (3 if other_python else 1)) as port:
        request = reference_request(port)
        if "import" in sections:
            log(f"import: {counts['import_runs']} fresh processes of each command, interleaved")
            results["import"] = bench_import(counts["import_runs"], other_python, request)
        if "calls" in sections:
            results["ours"] = bench_client(
                sys.executable,
                "ours",
                request,
                counts,
                with_memory=True,
                calls=("create", "get"),
                raw_httpx_concurrency=other_python is not None,
            )
            if other_python is not None:
                official_counts = {**counts, **OFFICIAL_COUNTS[mode]}
                results["official"] = bench_client(
                    other_python, "official", request, official_counts, with_memory=False
                )
            results["task_files"] = bench_task_files(request, counts)
        if "parse" in sections:
            results.update(bench_parse(request, counts))
        if "events" in sections:
            results["events"] = bench_events(request, counts)
        if "many" in sections:
            results["many"] = bench_many(request, counts, MANY_LEVELS[mode])
    if "worker" in sections:
        results["worker"] = worker_bench.bench_worker(counts, other_python, log)
    if args.footprint:
        results["footprint"] = footprint.measure_footprint(log)
    table = Table()
    fill_table(table, results)
    elapsed = time.perf_counter() - started
    report = {
        "machine": machine(),
        "mode": mode,
        "sections": [section for section in SECTIONS if section in sections],
        "counts": counts,
        "official": {"python": other_python, "requirement": official.REQUIREMENT, "error": official_error},
        "request": {key: request[key] for key in ("path", "body", "headers", "get_path", "get_headers")},
        "results": results,
        "targets": table.targets,
        "all_targets_met": all(target["met"] for target in table.targets),
        "seconds": elapsed,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(table.render())
    met = sum(target["met"] for target in table.targets)
    print(f"\n{met} of {len(table.targets)} targets met; {elapsed:.0f} s; results in {_shown(args.output)}")
    if load > LOAD_WARNING:
        print(
            f"Note: the load average was {load:.2f} at the start: other processes competed for the "
            f"{os.cpu_count()} CPUs, so wall-clock ratios are noisier (the client CPU rows much less so)."
        )
    if official_error:
        print(f"The official SDK was left out: {official_error}")
    failed = [name for name, entry in _entries(results) if "error" in entry]
    return 1 if failed and any(not name.startswith("official") for name in failed) else 0


def _entries(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    entries = [
        (f"{group}.{key}", value)
        for group in ("ours", "official", "events", "many", "task_files")
        for key, value in results.get(group, {}).items()
        if isinstance(value, dict)
    ]
    for sdk, measured in results.get("worker", {}).items():
        if sdk in ("ours", "official"):
            name = f"{'official.' if sdk == 'official' else ''}worker"
            entries.append((name, measured))
            entries += [(f"{name}.{level}", entry) for level, entry in measured.get("throughput", {}).items()]
    return [*entries, *((name, results[name]) for name in ("parse", "overhead", "list_parse") if name in results)]


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
