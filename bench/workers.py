"""The measurements that run in fresh processes: `python -m bench.workers '<json spec>'` prints one JSON line.

This module imports only the standard library and httpx at the top, because it also runs under the official
SDK's own venv (`bench/.official/venv`), where `import xpander_sdk` is the official package. The SDK under test
is chosen by the spec's `sdk`:

- "ours": this repo's `xpander_sdk`, as `Tasks(Configuration(api_key=..., base_url=...), limits=...)`;
- "official": whatever `xpander_sdk` the interpreter has, configured only through the environment
  (`XPANDER_BASE_URL`, `XPANDER_API_KEY`, set by the parent) as `Tasks()`.

The spec's `call` picks what is measured per call: "create" (the default: `acreate`/`create` against a raw
post) or "get" (`aget`/`get` of the task id against a raw GET of `.../status`). The baseline is always a raw
pooled httpx client sending the same request (the same body bytes, if any, with the same headers, the API key
among them, to the same URL), and parsing the JSON with `response.json()`. The SDK and the baseline run
interleaved in one process, in alternating blocks, the order rotated every round, so that drift of the machine
hits both alike.

The async measurements take the clients they compare from the spec's `clients`: a role (the key of its
numbers: "sdk", "raw", "sdk_httpx", ...) for each client, given as [kind, transport]: ["sdk", None] is the
SDK on its default async transport (aiohttp for ours), ["sdk", "httpx"] ours with `http_transport="httpx"`,
["raw", "httpx"] a raw `httpx.AsyncClient`, ["raw", "aiohttp"] a raw `httpx.AsyncClient` on
`httpx_aiohttp.AiohttpTransport` (the same transport as the SDK's default, without the SDK). Without
`clients`: the SDK against raw httpx (what the official SDK's runs use: its venv has no httpx-aiohttp).
"""

from __future__ import annotations

import asyncio
import datetime
import gc
import json
import os
import resource
import sys
import time
import timeit
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
Spec = dict[str, Any]
AsyncCall = Callable[[], Awaitable[object]]
SyncCall = Callable[[], object]
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


# -- the clients under test -----------------------------------------------------------------------------------
def _limits(spec: Spec) -> httpx.Limits:
    connections = int(spec.get("connections", 100))
    return httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=30.0)


def _make_tasks(spec: Spec, transport: str | None = None) -> Any:
    """The SDK's `Tasks` for this spec (typed Any: the official SDK's signature is not ours); ours on the
    async transport `transport` ("aiohttp", "httpx"; None: the default, aiohttp under asyncio)."""
    if spec["sdk"] == "official":
        from xpander_sdk import Tasks as OfficialTasks

        return OfficialTasks()
    from xpander_sdk import Configuration, Tasks

    return Tasks(
        Configuration(api_key=spec["api_key"], base_url=f"http://127.0.0.1:{spec['port']}"),
        limits=_limits(spec),
        http_transport=transport,
    )


RAW_TRANSPORTS = ("httpx", "aiohttp")


def raw_async_client(transport: str, limits: httpx.Limits) -> httpx.AsyncClient:
    """A raw pooled `httpx.AsyncClient` on httpx's own transport ("httpx") or on httpx-aiohttp's ("aiohttp",
    imported here: the official SDK's venv has none), capped at `limits.max_connections`. Without a cap
    (`max_connections=None`) httpx-aiohttp would leave aiohttp's default of 100: its session is then made
    here, uncapped, as a caller streaming many events at once would."""
    if transport == "httpx":
        return httpx.AsyncClient(limits=limits, timeout=TIMEOUT)
    if transport != "aiohttp":
        raise ValueError(f"unknown raw transport {transport!r}: expected one of {RAW_TRANSPORTS}")
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    if limits.max_connections is not None:
        return httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=TIMEOUT)
    keepalive = limits.keepalive_expiry

    def session() -> aiohttp.ClientSession:  # made on the first request, inside the running loop
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=keepalive))

    return httpx.AsyncClient(transport=AiohttpTransport(limits=limits, client=session), timeout=TIMEOUT)


def _check_task(task: Any, expected_id: str) -> None:
    task_id = getattr(task, "id", None)
    if task_id != expected_id:
        raise RuntimeError(f"the SDK returned {task!r} (id {task_id!r}), expected a Task with id {expected_id!r}")


def _check_raw(data: object, expected_id: str) -> None:
    if not isinstance(data, dict) or data.get("id") != expected_id:
        raise RuntimeError(f"raw httpx got {data!r}, expected the task JSON with id {expected_id!r}")


CALLS = ("create", "get")
"""What a per-call measurement may time (the spec's `call`)."""


class _Pair:
    """What both pairs hold: the request raw httpx sends (the create's post, or the get's GET of the task's
    status, as the spec's `call` says) and the SDK's arguments."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.call: str = spec.get("call", "create")
        if self.call not in CALLS:
            raise ValueError(f"unknown call {self.call!r}: expected one of {CALLS}")
        self.agent_id: str = spec["agent_id"]
        self.prompt: str = spec["prompt"]
        self.task_id: str = spec["task_id"]
        if self.call == "get":
            self.url = f"http://127.0.0.1:{spec['port']}{spec['get_path']}"
            self.headers: dict[str, str] = spec["get_headers"]
        else:
            self.url = f"http://127.0.0.1:{spec['port']}{spec['path']}"
            self.headers = spec["headers"]
        self.body: bytes = spec["body"].encode()


DEFAULT_CLIENTS: dict[str, list[str | None]] = {"sdk": ["sdk", None], "raw": ["raw", "httpx"]}
"""The async clients of a spec without `clients`: the SDK on its default transport, and raw httpx."""
AsyncClose = Callable[[], Awaitable[object]]


class AsyncPair(_Pair):
    """One call each (create or get) of every client of the spec's `clients` (see the module's docstring),
    by role, on the running loop, each with its own pool: `calls[role]()`. Bound once here, so that the timed
    loops pay no dispatch on `call`. `sdk` and `raw` are the roles of those names, when there are."""

    def __init__(self, spec: Spec) -> None:
        super().__init__(spec)
        clients: dict[str, list[str | None]] = spec.get("clients") or DEFAULT_CLIENTS
        self.calls: dict[str, AsyncCall] = {}
        self.kinds: dict[str, str] = {}
        self._closers: list[AsyncClose] = []
        for role, (kind, transport) in clients.items():
            if kind == "sdk":
                tasks = _make_tasks(spec, transport)
                self.calls[role] = self._sdk_get(tasks) if self.call == "get" else self._sdk_create(tasks)
                aclose = getattr(tasks, "aclose", None)
                if aclose is not None:
                    self._closers.append(aclose)
            elif kind == "raw":
                client = raw_async_client(transport or "httpx", _limits(spec))
                self.calls[role] = self._raw_get(client) if self.call == "get" else self._raw_create(client)
                self._closers.append(client.aclose)
            else:
                raise ValueError(f"unknown client kind {kind!r} (role {role!r}): expected 'sdk' or 'raw'")
            self.kinds[role] = kind
        self.sdk: AsyncCall = self.calls.get("sdk", self._missing)
        self.raw: AsyncCall = self.calls.get("raw", self._missing)

    @staticmethod
    async def _missing() -> object:
        raise RuntimeError("this spec has no client of that role")

    def _sdk_create(self, tasks: Any) -> AsyncCall:
        agent_id, prompt = self.agent_id, self.prompt

        async def create() -> object:
            return await tasks.acreate(agent_id=agent_id, prompt=prompt)

        return create

    def _raw_create(self, client: httpx.AsyncClient) -> AsyncCall:
        url, body, headers = self.url, self.body, self.headers

        async def create() -> object:
            response = await client.post(url, content=body, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"raw httpx got HTTP {response.status_code}")
            return response.json()

        return create

    def _sdk_get(self, tasks: Any) -> AsyncCall:
        task_id = self.task_id

        async def get() -> object:
            return await tasks.aget(task_id)

        return get

    def _raw_get(self, client: httpx.AsyncClient) -> AsyncCall:
        url, headers = self.url, self.headers

        async def get() -> object:
            response = await client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"raw httpx got HTTP {response.status_code}")
            return response.json()

        return get

    async def check(self) -> None:
        """One call of each client, its answer checked (and its pool's first connection opened)."""
        for role, call in self.calls.items():
            if self.kinds[role] == "sdk":
                _check_task(await call(), self.spec["task_id"])
            else:
                _check_raw(await call(), self.spec["task_id"])

    async def aclose(self) -> None:
        for aclose in self._closers:
            await aclose()


class SyncPair(_Pair):
    """The sync twin of AsyncPair (`Tasks.create`/`get` and a raw `httpx.Client`)."""

    def __init__(self, spec: Spec) -> None:
        super().__init__(spec)
        self.tasks = _make_tasks(spec)
        self.client = httpx.Client(limits=_limits(spec), timeout=TIMEOUT)
        self.sdk: SyncCall = self._sdk_get if self.call == "get" else self._sdk_create
        self.raw: SyncCall = self._raw_get if self.call == "get" else self._raw_create

    def _sdk_create(self) -> object:
        return self.tasks.create(agent_id=self.agent_id, prompt=self.prompt)

    def _raw_create(self) -> object:
        response = self.client.post(self.url, content=self.body, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"raw httpx got HTTP {response.status_code}")
        return response.json()

    def _sdk_get(self) -> object:
        return self.tasks.get(self.task_id)

    def _raw_get(self) -> object:
        response = self.client.get(self.url, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"raw httpx got HTTP {response.status_code}")
        return response.json()

    def check(self) -> None:
        _check_task(self.sdk(), self.spec["task_id"])
        _check_raw(self.raw(), self.spec["task_id"])

    def close(self) -> None:
        self.client.close()
        close = getattr(self.tasks, "close", None)
        if close is not None:
            close()


# -- 2. per call, sequential ----------------------------------------------------------------------------------
# Each block records wall time and this process's CPU time per call: the CPU time is the client's own work,
# much less disturbed than wall time by whatever else the machine runs at the same moment.
Timing = tuple[float, float]


async def _async_block(call: AsyncCall, count: int) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        await call()
    return (time.perf_counter() - wall) / count * 1e6, (time.process_time() - cpu) / count * 1e6


def _sync_block(call: SyncCall, count: int) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        call()
    return (time.perf_counter() - wall) / count * 1e6, (time.process_time() - cpu) / count * 1e6


def _record(results: dict[str, list[float]], who: str, timing: Timing, unit: str) -> None:
    results.setdefault(f"{who}_{unit}", []).append(timing[0])
    results.setdefault(f"{who}_cpu_us", []).append(timing[1])


def _rotated(items: list[tuple[str, T]], round_number: int) -> list[tuple[str, T]]:
    """The blocks of a round: each round starts one further along (with two: the order flips every round)."""
    shift = round_number % len(items)
    return items[shift:] + items[:shift]


async def _per_call_async(spec: Spec) -> dict[str, list[float]]:
    pair = AsyncPair(spec)
    try:
        await pair.check()
        for call in pair.calls.values():
            await _async_block(call, spec["warmup"])
        results: dict[str, list[float]] = {}
        for round_number in range(spec["rounds"]):
            for who, call in _rotated(list(pair.calls.items()), round_number):
                _record(results, who, await _async_block(call, spec["block"]), "us")
        return results
    finally:
        await pair.aclose()


def _per_call_sync(spec: Spec) -> dict[str, list[float]]:
    pair = SyncPair(spec)
    try:
        pair.check()
        _sync_block(pair.sdk, spec["warmup"])
        _sync_block(pair.raw, spec["warmup"])
        results: dict[str, list[float]] = {}
        for round_number in range(spec["rounds"]):
            order = [("sdk", pair.sdk), ("raw", pair.raw)]
            for who, call in order if round_number % 2 == 0 else order[::-1]:
                _record(results, who, _sync_block(call, spec["block"]), "us")
        return results
    finally:
        pair.close()


def per_call(spec: Spec) -> dict[str, list[float]]:
    """Microseconds per call of each block (wall and CPU), for the SDK and raw httpx, sequential calls."""
    if spec["mode"] == "sync":
        return _per_call_sync(spec)
    return asyncio.run(_per_call_async(spec))


# -- 3. concurrency -------------------------------------------------------------------------------------------
async def _flood(call: AsyncCall, calls: int, in_flight: int) -> Timing:
    """Calls per second of `calls` calls with at most `in_flight` at once, and CPU microseconds per call."""
    semaphore = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with semaphore:
            await call()

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one() for _ in range(calls)))
    return calls / (time.perf_counter() - wall), (time.process_time() - cpu) / calls * 1e6


async def _concurrency(spec: Spec) -> dict[str, list[float]]:
    pair = AsyncPair(spec)
    try:
        await pair.check()
        in_flight = spec["in_flight"]
        for call in pair.calls.values():  # opens the connections of every pool
            await _flood(call, in_flight * 2, in_flight)
        results: dict[str, list[float]] = {}
        for round_number in range(spec["rounds"]):
            for who, call in _rotated(list(pair.calls.items()), round_number):
                _record(results, who, await _flood(call, spec["calls"], in_flight), "per_s")
        return results
    finally:
        await pair.aclose()


def concurrency(spec: Spec) -> dict[str, list[float]]:
    """Throughput (calls per second) of the SDK's `acreate` and of raw httpx, `in_flight` at once."""
    return asyncio.run(_concurrency(spec))


# -- 5. memory ------------------------------------------------------------------------------------------------
def current_rss() -> int:
    """The resident set size of this process now, in bytes (Linux /proc; elsewhere the peak)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


async def _memory(spec: Spec) -> dict[str, Any]:
    pair = AsyncPair(spec)
    call = pair.calls[spec["target"]]
    try:
        await pair.check()
        for _ in range(spec["warmup"]):
            await call()
        gc.collect()
        samples = [current_rss()]
        done = 0
        while done < spec["calls"]:
            step = min(spec["sample_every"], spec["calls"] - done)
            for _ in range(step):
                await call()
            done += step
            gc.collect()
            samples.append(current_rss())
        return {"rss_bytes": samples, "calls": done, "objects": len(gc.get_objects())}
    finally:
        await pair.aclose()


def memory(spec: Spec) -> dict[str, Any]:
    """RSS samples over `calls` sequential creates after `warmup` (of the SDK or of raw httpx)."""
    return asyncio.run(_memory(spec))


# -- 4. parsing -----------------------------------------------------------------------------------------------
def _time_per_call(function: Callable[[], object], number: int, repeat: int) -> list[float]:
    return [seconds / number * 1e6 for seconds in timeit.repeat(function, number=number, repeat=repeat)]


def parse(spec: Spec) -> dict[str, list[float]]:
    """Microseconds to turn the full Task JSON into a Task, and json.loads alone for scale."""
    from xpander_api.models import Task as GeneratedTask
    from xpander_sdk import Task

    raw: bytes = spec["task_json"].encode()
    data = json.loads(raw)
    _check_task(Task.from_dict(data), data["id"])
    number, repeat = spec["number"], spec["repeat"]
    return {
        "json_loads_us": _time_per_call(lambda: json.loads(raw), number, repeat),
        "task_from_dict_us": _time_per_call(lambda: Task.from_dict(data), number, repeat),
        "loads_and_from_dict_us": _time_per_call(lambda: Task.from_dict(json.loads(raw)), number, repeat),
        "generated_from_dict_us": _time_per_call(lambda: GeneratedTask.from_dict(data), number, repeat),
    }


def overhead(spec: Spec) -> dict[str, list[float]]:
    """Microseconds per create with no network at all (httpx.MockTransport answering the canned Task JSON):
    the SDK's whole CPU cost per call (checks, request, transport machinery, parsing) vs raw httpx's."""
    from xpander_sdk import Configuration, Tasks

    content: bytes = spec["task_json"].encode()
    answer_headers = {"content-type": "application/json"}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers=answer_headers)

    transport = httpx.MockTransport(answer)
    configuration = Configuration(api_key=spec["api_key"], base_url=f"http://127.0.0.1:{spec['port']}")
    tasks = Tasks(configuration, http_client=httpx.Client(transport=transport))
    client = httpx.Client(transport=transport, timeout=TIMEOUT)
    url = f"http://127.0.0.1:{spec['port']}{spec['path']}"
    body: bytes = spec["body"].encode()
    headers: dict[str, str] = spec["headers"]

    def sdk() -> object:
        return tasks.create(agent_id=spec["agent_id"], prompt=spec["prompt"])

    def raw() -> object:
        return client.post(url, content=body, headers=headers).json()

    _check_task(sdk(), spec["task_id"])
    _check_raw(raw(), spec["task_id"])
    number, repeat = spec["number"], spec["repeat"]
    results: dict[str, list[float]] = {"sdk_us": [], "raw_us": []}
    try:
        for _ in range(repeat):  # interleaved, one timing of each per repeat
            results["sdk_us"] += _time_per_call(sdk, number, 1)
            results["raw_us"] += _time_per_call(raw, number, 1)
        return results
    finally:
        client.close()


# -- 4. parsing a list of tasks ----------------------------------------------------------------------------------
LIST_STATUSES = ("completed", "failed", "executing", "pending", "stopped", "error", "paused")


def list_body(items: int) -> bytes:
    """A list response of `items` task summaries, shaped like the spec's example (TaskList): every official
    field, with the nulls the server sends, a status of every kind, distinct ids and timestamps, and on every
    tenth item a parent task and a process object."""
    rows: list[dict[str, Any]] = []
    for index in range(items):
        hours, rest = divmod(index, 3600)
        minutes, seconds = divmod(rest, 60)
        nested = index % 10 == 0
        rows.append(
            {
                "id": f"{index:08x}-8b7d-4c3e-9a21-0d5e7f8a9b10",
                "agent_id": "agent-123",
                "organization_id": "org-456",
                "status": LIST_STATUSES[index % len(LIST_STATUSES)],
                "user_id": "u1",
                "parent_task_id": "6f1c2a4e-8b7d-4c3e-9a21-0d5e7f8a9b10" if nested else None,
                "triggering_agent_id": None,
                "created_at": f"2026-05-01T{hours % 24:02d}:{minutes:02d}:{seconds:02d}.000000Z",
                "updated_at": f"2026-05-02T{hours % 24:02d}:{minutes:02d}:{seconds:02d}.123456Z",
                "source_node_type": "sdk",
                "result": "Sales grew 12% over the quarter, led by the EMEA region.",
                "title": f"Sales summary {index}",
                "execution_kind": "turn",
                "process": {"pid": index, "node": "worker-1"} if nested else None,
                "conversation_kind": "direct",
            }
        )
    return json.dumps(rows).encode()


def list_by_hand(body: bytes) -> list[dict[str, Any]]:
    """The baseline: json.loads, then a dict per item of the official fields, the timestamps parsed."""
    fromisoformat = datetime.datetime.fromisoformat
    items: list[dict[str, Any]] = []
    for item in json.loads(body):
        created_at, updated_at = item.get("created_at"), item.get("updated_at")
        items.append(
            {
                "id": item["id"],
                "agent_id": item["agent_id"],
                "organization_id": item["organization_id"],
                "status": item["status"],
                "user_id": item.get("user_id"),
                "parent_task_id": item.get("parent_task_id"),
                "triggering_agent_id": item.get("triggering_agent_id"),
                "created_at": None if created_at is None else fromisoformat(created_at),
                "updated_at": None if updated_at is None else fromisoformat(updated_at),
                "source_node_type": item.get("source_node_type"),
                "result": item.get("result"),
                "title": item.get("title"),
                "execution_kind": item.get("execution_kind"),
                "process": item.get("process"),
                "conversation_kind": item.get("conversation_kind"),
            }
        )
    return items


def _check_list(items: object, count: int, first_id: str) -> None:
    if not isinstance(items, list) or len(items) != count:
        raise RuntimeError(f"a list parser returned {items!r:.200}, expected a list of {count} items")
    found = items[0].get("id") if isinstance(items[0], dict) else getattr(items[0], "id", None)
    if found != first_id:
        raise RuntimeError(f"a list parser's first item has the id {found!r}, expected {first_id!r}")


def list_parse(spec: Spec) -> dict[str, list[float]]:
    """Milliseconds to turn a list response of `items` tasks into TasksListItems through the SDK's parser
    (`parse_task_list` of an httpx.Response, as a list call does after the body is read) against json.loads
    and a dict per item by hand; the generated model and json.loads alone for scale. Interleaved: one timing
    of each per repeat (timeit: the garbage collector is off while timing, as in the other parsing rows)."""
    from xpander_api.models import TasksListItem as GeneratedTasksListItem
    from xpander_sdk._routes import parse_task_list
    from xpander_sdk._task_model import TasksListItem

    count: int = spec["items"]
    body = list_body(count)
    headers = {"content-type": "application/json"}

    def sdk() -> object:
        return parse_task_list(httpx.Response(200, content=body, headers=headers), (), TasksListItem.from_dict)

    def raw() -> object:
        return list_by_hand(body)

    def generated() -> object:
        return [GeneratedTasksListItem.from_dict(item) for item in json.loads(body)]

    def loads() -> object:
        return json.loads(body)

    timed = {"sdk_ms": sdk, "raw_ms": raw, "generated_ms": generated, "json_loads_ms": loads}
    first_id = json.loads(body)[0]["id"]
    for function in timed.values():
        _check_list(function(), count, first_id)
    number, repeat = spec["number"], spec["repeat"]
    results: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(repeat):
        for name, function in timed.items():
            results[name] += [us / 1000 for us in _time_per_call(function, number, 1)]
    return results


# -- 6. events and waiting -------------------------------------------------------------------------------------
# The SDK's event stream (`Task.aevents()`/`events()`, `await_result`/`wait`, `acreate_many(wait=True)`) against
# httpx-sse on a raw pooled httpx client reading the very same bytes from the same server: `aconnect_sse`/
# `connect_sse` with the API key, then `json.loads` of each event's data, up to `task_finished`. The server's
# task id picks the stream (bench.server); the spec carries the ids, as this module imports none of the
# server's. httpx_sse is imported where used.
#
# The raw clients have the SDK's default pools: creates on at most 100 connections, streams on as many as there
# are streams, and 20 kept alive in each; and raw creates wait for one of the 100 on a semaphore of their own.
# httpcore's pool scans its connections for each idle connection, and for each queued request, whenever a
# request starts or ends: 1,000 creates waited for at once took 109 s on a pool keeping 1,000 connections alive,
# and 38 s with 900 creates queued in a pool of 100, instead of 6 to 8 s (on 2 CPUs).
RAW_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0)
RAW_STREAM_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=20, keepalive_expiry=30.0)
RAW_CREATES_AT_ONCE = 100


def _events_url(spec: Spec, task_id: str) -> str:
    return f"http://127.0.0.1:{spec['port']}/{spec['organization_id']}/agent-execution/{task_id}/events"


def _events_tasks(spec: Spec) -> Any:
    """Our `Tasks`, with its default pools, and an organization id (the events URL needs one):
    `/<org>/agent-execution/<id>/events`; on the spec's `http_transport` (None: the default)."""
    from xpander_sdk import Configuration, Tasks

    configuration = Configuration(
        api_key=spec["api_key"],
        base_url=f"http://127.0.0.1:{spec['port']}",
        organization_id=spec["organization_id"],
    )
    return Tasks(configuration, http_transport=spec.get("http_transport"))


def _events_task(tasks: Any, spec: Spec, task_id: str) -> Any:
    """A Task of that id that streams its events, built by hand (no create) and bound to `tasks`."""
    from xpander_sdk import Task

    data = {
        "id": task_id,
        "agent_id": spec["agent_id"],
        "organization_id": spec["organization_id"],
        "input": {"text": spec["prompt"]},
        "created_at": "2026-05-01T12:00:00Z",
        "events_streaming": True,
    }
    return Task.from_dict(data).bind(tasks)


def _finished_data(data: object, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("type") != "task_finished" or not isinstance(data.get("data"), dict):
        raise RuntimeError(f"{where}: the stream ended without a task_finished event (last: {data!r:.200})")
    finished: dict[str, Any] = data["data"]
    return finished


Tally = dict[str, int]


def _tally(tally: Tally, kind: str, data: object) -> None:
    """What the benchmarks' consumer does with each event: reads its kind and its data (the SDK reads fields
    when first asked for: a Task in `data` is parsed then), counted by kind and whether the data is null. (The
    SDK's kinds are StrEnum members: equal to, and hashed as, the strings raw httpx-sse reads.)"""
    key = kind if data is not None else f"{kind} (null)"
    tally[key] = tally.get(key, 0) + 1


class _EventPairBase:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.tasks = _events_tasks(spec)
        self.headers: dict[str, str] = {"x-api-key": spec["api_key"]}
        self.skipped = 0


class AsyncEventPair(_EventPairBase):
    """The SDK's `aevents()`/`await_result()` and httpx-sse's `aconnect_sse` on a raw `httpx.AsyncClient` (on
    the spec's `raw_transport`: "httpx", the default, or "aiohttp")."""

    def __init__(self, spec: Spec) -> None:
        super().__init__(spec)
        self.client = raw_async_client(spec.get("raw_transport", "httpx"), RAW_STREAM_LIMITS)

    async def sdk_tally(self, task_id: str) -> Tally:
        """Read a whole stream with the SDK; the tally of its events."""
        tally: Tally = {}
        async with _events_task(self.tasks, self.spec, task_id).aevents() as stream:
            async for event in stream:
                _tally(tally, event.type, event.data)
        self.skipped += stream.skipped
        return tally

    async def raw_last(self, task_id: str) -> tuple[Tally, object]:
        """Read a whole stream with httpx-sse up to `task_finished`; the tally of its events and the last one."""
        from httpx_sse import aconnect_sse

        tally: Tally = {}
        data = None
        async with aconnect_sse(self.client, "GET", _events_url(self.spec, task_id), headers=dict(self.headers)) as sse:
            async for event in sse.aiter_sse():
                data = json.loads(event.data)
                _tally(tally, data["type"], data["data"])
                if data["type"] == "task_finished":
                    break
        return tally, data

    async def raw_tally(self, task_id: str) -> Tally:
        return (await self.raw_last(task_id))[0]

    async def sdk_latency(self, task_id: str) -> float:
        """Milliseconds from the server's writing of `task_finished` to `await_result()` returning."""
        task = await _events_task(self.tasks, self.spec, task_id).await_result(timeout=30.0)
        now = time.time()
        if task.status.value != "completed" or task.result is None:
            raise RuntimeError(f"await_result returned {task!r}, expected the completed task with a time stamp")
        return (now - float(task.result)) * 1000

    async def raw_latency(self, task_id: str) -> float:
        """Milliseconds from the server's writing of `task_finished` to the end of the `aconnect_sse` block that
        parsed it (the stream closed, as a wait written by hand returns)."""
        _, data = await self.raw_last(task_id)
        now = time.time()
        return (now - float(_finished_data(data, "raw httpx-sse")["result"])) * 1000

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.tasks.aclose()


class SyncEventPair(_EventPairBase):
    """The sync twin of AsyncEventPair (`events()`/`wait()` and `connect_sse` on a raw `httpx.Client`)."""

    def __init__(self, spec: Spec) -> None:
        super().__init__(spec)
        self.client = httpx.Client(limits=RAW_STREAM_LIMITS, timeout=TIMEOUT)

    def sdk_tally(self, task_id: str) -> Tally:
        tally: Tally = {}
        with _events_task(self.tasks, self.spec, task_id).events() as stream:
            for event in stream:
                _tally(tally, event.type, event.data)
        self.skipped += stream.skipped
        return tally

    def raw_last(self, task_id: str) -> tuple[Tally, object]:
        from httpx_sse import connect_sse

        tally: Tally = {}
        data = None
        with connect_sse(self.client, "GET", _events_url(self.spec, task_id), headers=dict(self.headers)) as sse:
            for event in sse.iter_sse():
                data = json.loads(event.data)
                _tally(tally, data["type"], data["data"])
                if data["type"] == "task_finished":
                    break
        return tally, data

    def raw_tally(self, task_id: str) -> Tally:
        return self.raw_last(task_id)[0]

    def sdk_latency(self, task_id: str) -> float:
        task = _events_task(self.tasks, self.spec, task_id).wait(timeout=30.0)
        now = time.time()
        if task.status.value != "completed" or task.result is None:
            raise RuntimeError(f"wait returned {task!r}, expected the completed task with a time stamp")
        return (now - float(task.result)) * 1000

    def raw_latency(self, task_id: str) -> float:
        _, data = self.raw_last(task_id)
        now = time.time()
        return (now - float(_finished_data(data, "raw httpx-sse")["result"])) * 1000

    def close(self) -> None:
        self.client.close()
        self.tasks.close()


def _check_tallies(sdk: Tally, raw: Tally, expected: int) -> Tally:
    if sdk != raw or sum(sdk.values()) != expected:
        raise RuntimeError(f"the SDK yielded the events {sdk} and raw httpx-sse {raw}, expected {expected} events")
    return sdk


async def _events_rate_async(spec: Spec) -> dict[str, Any]:
    pair = AsyncEventPair(spec)
    task_id, expected = spec["task_id"], spec["events"]
    try:
        tally = _check_tallies(await pair.sdk_tally(task_id), await pair.raw_tally(task_id), expected)  # and warms up
        results: dict[str, Any] = {}
        for round_number in range(spec["rounds"]):
            order = [("sdk", pair.sdk_tally), ("raw", pair.raw_tally)]
            for who, read in order if round_number % 2 == 0 else order[::-1]:
                wall, cpu = time.perf_counter(), time.process_time()
                events = sum((await read(task_id)).values())
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                _record(results, who, (events / wall, cpu / events * 1e6), "per_s")
        return {**results, "events": expected, "kinds": tally, "skipped": pair.skipped}
    finally:
        await pair.aclose()


def _events_rate_sync(spec: Spec) -> dict[str, Any]:
    pair = SyncEventPair(spec)
    task_id, expected = spec["task_id"], spec["events"]
    try:
        tally = _check_tallies(pair.sdk_tally(task_id), pair.raw_tally(task_id), expected)
        results: dict[str, Any] = {}
        for round_number in range(spec["rounds"]):
            order = [("sdk", pair.sdk_tally), ("raw", pair.raw_tally)]
            for who, read in order if round_number % 2 == 0 else order[::-1]:
                wall, cpu = time.perf_counter(), time.process_time()
                events = sum((read(task_id)).values())
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                _record(results, who, (events / wall, cpu / events * 1e6), "per_s")
        return {**results, "events": expected, "kinds": tally, "skipped": pair.skipped}
    finally:
        pair.close()


def events_rate(spec: Spec) -> dict[str, Any]:
    """Events per second (and client CPU microseconds per event) of a whole stream of `events` events, each
    event's kind and data read: the SDK's `aevents()` (or `events()`, `mode` "sync") against httpx-sse and
    json.loads, alternating, the order flipped every round."""
    if spec["mode"] == "sync":
        return _events_rate_sync(spec)
    return asyncio.run(_events_rate_async(spec))


async def _events_latency_async(spec: Spec) -> dict[str, list[float]]:
    pair = AsyncEventPair(spec)
    try:
        results: dict[str, list[float]] = {"sdk_ms": [], "raw_ms": []}
        for run in range(spec["runs"] + 1):  # run 0 warms up (connections, imports), untimed
            order = [("sdk", pair.sdk_latency), ("raw", pair.raw_latency)]
            for who, latency in order if run % 2 == 0 else order[::-1]:
                value = await latency(f"{spec['task_prefix']}{who}{run}")
                if run:
                    results[f"{who}_ms"].append(value)
        return results
    finally:
        await pair.aclose()


def _events_latency_sync(spec: Spec) -> dict[str, list[float]]:
    pair = SyncEventPair(spec)
    try:
        results: dict[str, list[float]] = {"sdk_ms": [], "raw_ms": []}
        for run in range(spec["runs"] + 1):
            order = [("sdk", pair.sdk_latency), ("raw", pair.raw_latency)]
            for who, latency in order if run % 2 == 0 else order[::-1]:
                value = latency(f"{spec['task_prefix']}{who}{run}")
                if run:
                    results[f"{who}_ms"].append(value)
        return results
    finally:
        pair.close()


def events_latency(spec: Spec) -> dict[str, list[float]]:
    """Milliseconds from the server's writing of a held stream's `task_finished` (its time.time() is in the
    Task's result) to `await task.await_result()` returning (`wait()`, `mode` "sync"), against httpx-sse parsing
    that event (`raw_latency`); `runs` of each, alternating."""
    if spec["mode"] == "sync":
        return _events_latency_sync(spec)
    return asyncio.run(_events_latency_async(spec))


def _peak_rss() -> int:
    """This process's peak RSS (VmHWM) in bytes."""
    try:
        with open("/proc/self/status", "rb") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith(b"VmHWM:"))
    except (OSError, StopIteration):
        return current_rss()


async def _events_memory(spec: Spec) -> dict[str, Any]:
    pair = AsyncEventPair(spec)
    every: int = spec["sample_every"]
    try:
        gc.collect()
        before = current_rss()
        samples: list[int] = []
        count = 0
        tally: Tally = {}
        if spec["target"] == "sdk":
            async with _events_task(pair.tasks, spec, spec["task_id"]).aevents() as stream:
                async for event in stream:
                    _tally(tally, event.type, event.data)
                    count += 1
                    if count % every == 0:
                        gc.collect()
                        samples.append(current_rss())
        else:
            from httpx_sse import aconnect_sse

            url = _events_url(spec, spec["task_id"])
            async with aconnect_sse(pair.client, "GET", url, headers=dict(pair.headers)) as sse:
                async for event in sse.aiter_sse():
                    data = json.loads(event.data)
                    _tally(tally, data["type"], data["data"])
                    count += 1
                    if count % every == 0:
                        gc.collect()
                        samples.append(current_rss())
        if count != spec["events"]:
            raise RuntimeError(f"{spec['target']} read {count} events, expected {spec['events']}")
        return {"rss_bytes": samples, "before_bytes": before, "peak_bytes": _peak_rss(), "events": count}
    finally:
        await pair.aclose()


def events_memory(spec: Spec) -> dict[str, Any]:
    """RSS every `sample_every` events while reading a stream of `events` small events with `aevents()` (or
    httpx-sse, `target` "raw"), each event dropped once read."""
    return asyncio.run(_events_memory(spec))


def _open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


def _raise_fd_limit(needed: int) -> int:
    """Raise this process's soft limit of open files to `needed` (at most the hard limit); the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


async def _server_stats(spec: Spec, *, reset: bool) -> dict[str, int]:
    """The bench server's connection and request counts (on a connection of its own, closed at once)."""
    url = f"http://127.0.0.1:{spec['port']}{spec['stats_path']}{'?reset' if reset else ''}"
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        stats: dict[str, int] = (await client.get(url, headers={"connection": "close"})).json()
        return stats


async def _raw_create_and_wait(
    pair: AsyncEventPair, client: httpx.AsyncClient, spec: Spec, semaphore: asyncio.Semaphore
) -> object:
    """Raw httpx: post the create (on `client`, one of the pool's connections at a time), then follow the new
    task's events to `task_finished` (on the pair's stream client); the final Task dict."""
    async with semaphore:
        response = await client.post(spec["create_url"], content=spec["create_body"], headers=spec["headers"])
    if response.status_code != 200:
        raise RuntimeError(f"raw httpx got HTTP {response.status_code}")
    _, data = await pair.raw_last(response.json()["id"])
    return _finished_data(data, "raw httpx-sse")


async def _create_and_wait(spec: Spec) -> dict[str, Any]:
    count: int = spec["tasks"]
    fd_limit = _raise_fd_limit(count * 3 + 256)
    pair = AsyncEventPair(spec)
    client = raw_async_client(spec.get("raw_transport", "httpx"), RAW_LIMITS)
    peaks = {"fds": _open_fds(), "rss": current_rss()}

    async def sample() -> None:
        while True:
            peaks["fds"] = max(peaks["fds"], _open_fds())
            peaks["rss"] = max(peaks["rss"], current_rss())
            await asyncio.sleep(0.005)

    try:
        gc.collect()
        before = {"fds": peaks["fds"], "rss": peaks["rss"]}
        server_before = await _server_stats(spec, reset=True)
        sampler = asyncio.create_task(sample())
        wall, cpu = time.perf_counter(), time.process_time()
        if spec["target"] == "sdk":
            kwargs = {"agent_id": spec["agent_id"], "prompt": spec["prompt"], "events_streaming": True}
            results: list[Any] = await pair.tasks.acreate_many(
                [dict(kwargs) for _ in range(count)], concurrency=count, wait=True, wait_timeout=spec["wait_timeout"]
            )
        else:
            semaphore = asyncio.Semaphore(RAW_CREATES_AT_ONCE)
            results = await asyncio.gather(
                *(_raw_create_and_wait(pair, client, spec, semaphore) for _ in range(count)), return_exceptions=True
            )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sampler.cancel()
        server = await _server_stats(spec, reset=False)
        after = {"fds": _open_fds(), "rss": current_rss()}
    finally:
        await client.aclose()
        await pair.aclose()

    def completed(result: object) -> bool:
        if isinstance(result, dict):
            return result.get("status") == "completed"
        return getattr(getattr(result, "status", None), "value", None) == "completed"

    failures = [result for result in results if not completed(result)]
    return {
        "tasks": count,
        "succeeded": count - len(failures),
        "failures": [repr(failure)[:300] for failure in failures[:3]],
        "wall_s": wall,
        "cpu_s": cpu,
        "fd_limit": fd_limit,
        "fds_before": before["fds"],
        "fds_peak": peaks["fds"],
        "fds_after": after["fds"],
        "rss_before_bytes": before["rss"],
        "rss_peak_bytes": peaks["rss"],
        "rss_after_bytes": after["rss"],
        "server": server,
        "server_cpu_s": server["cpu_s"] - server_before["cpu_s"],
    }


def create_and_wait(spec: Spec) -> dict[str, Any]:
    """`tasks` creates at once, each waited for through its events (`acreate_many(..., concurrency=tasks,
    wait=True)`, on the spec's `http_transport`, or raw httpx and httpx-sse, `target` "raw", on its
    `raw_transport`): the wall and CPU time, the peak open file descriptors and RSS sampled every 5 ms, the
    server's peak of open connections and its CPU time."""
    return asyncio.run(_create_and_wait(spec))


# -- 8. many in flight ---------------------------------------------------------------------------------------------
# One client per process (the spec's `clients` has one role), measured at each level of in-flight calls in turn.
# The calls at a level are made by `in_flight` coroutines taking the next call number from one bounded
# iterator, so that exactly `in_flight` calls are outstanding until the last ones finish: with a pool of 100
# connections, the calls beyond 100 wait in the client (the SDK's gate, httpcore's queue or aiohttp's
# connector), as a caller's would.
async def _in_flight(call: AsyncCall, calls: int, in_flight: int) -> None:
    numbers = iter(range(calls))

    async def caller() -> None:
        for _ in numbers:
            await call()

    await asyncio.gather(*(caller() for _ in range(min(in_flight, calls))))


async def _many_rate(spec: Spec) -> dict[str, Any]:
    pair = AsyncPair(spec)
    if len(pair.calls) != 1:
        raise ValueError(f"many_rate measures one client per process, got {sorted(pair.calls)}")
    call = next(iter(pair.calls.values()))
    levels: list[dict[str, Any]] = []
    try:
        await pair.check()
        for in_flight, calls, warmup in spec["levels"]:
            await _in_flight(call, warmup, in_flight)  # opens the pool's connections, untimed
            gc.collect()
            server = await _server_stats(spec, reset=True)
            wall, cpu = time.perf_counter(), time.process_time()
            await _in_flight(call, calls, in_flight)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            after = await _server_stats(spec, reset=False)
            levels.append(
                {
                    "in_flight": in_flight,
                    "calls": calls,
                    "per_s": calls / wall,
                    "cpu_us": cpu / calls * 1e6,
                    "client_cpu_share": cpu / wall,
                    "server_cpu_share": (after["cpu_s"] - server["cpu_s"]) / wall,
                    "server_peak_connections": after["peak"],
                    "server_requests": after["post"] + after["status"],
                }
            )
        return {"levels": levels}
    finally:
        await pair.aclose()


def many_rate(spec: Spec) -> dict[str, Any]:
    """Calls per second of one client (the spec's single role) at each of the spec's `levels`
    ([in_flight, calls, warmup] each), the client's CPU per call, and the server's share of a core."""
    return asyncio.run(_many_rate(spec))


def _traced() -> int:
    import tracemalloc

    return tracemalloc.get_traced_memory()[0]


async def _many_memory(spec: Spec) -> dict[str, Any]:
    """Warm up twice; then sample RSS after every `sample_every` calls, `in_flight` at once. With the spec's
    `trace`, tracemalloc starts after the first warm-up (so that its own tables settle, and the call path is
    traced once before the first sample), and its traced memory is sampled too."""
    import tracemalloc

    pair = AsyncPair(spec)
    call, in_flight, every = pair.calls[spec["target"]], spec["in_flight"], spec["sample_every"]
    trace: bool = spec["trace"]
    try:
        await pair.check()
        await _in_flight(call, spec["warmup"], in_flight)
        if trace:
            tracemalloc.start()
        await _in_flight(call, spec["warmup"], in_flight)
        gc.collect()
        rss, traced = [current_rss()], [_traced() if trace else 0]
        done = 0
        wall = time.perf_counter()
        while done < spec["calls"]:
            step = min(every, spec["calls"] - done)
            await _in_flight(call, step, in_flight)
            done += step
            gc.collect()
            rss.append(current_rss())
            traced.append(_traced() if trace else 0)
        wall = time.perf_counter() - wall
        result: dict[str, Any] = {"rss_bytes": rss, "calls": done, "in_flight": in_flight, "wall_s": wall}
        if trace:
            top = tracemalloc.take_snapshot().statistics("lineno")[:5]
            result["traced_bytes"] = traced
            result["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
            result["top_traced"] = [f"{stat.traceback[0]}: {stat.size:,} B" for stat in top]
            tracemalloc.stop()
        return result
    finally:
        await pair.aclose()


def many_memory(spec: Spec) -> dict[str, Any]:
    """RSS (and with `trace`, tracemalloc's traced memory) over `calls` calls of the spec's `target` role,
    `in_flight` at a time, after `warmup` calls twice."""
    return asyncio.run(_many_memory(spec))


# -- a task's message with ten text files -------------------------------------------------------------------------
def task_files(spec: Spec) -> dict[str, list[float]]:
    """Milliseconds per `Task.to_message()` of a task whose `files` are text files on the bench server (each read
    through the guarded fetch: resolving, validating, a client of its own, all at once under one deadline)
    against a raw pooled `httpx.Client` reading the same files one after the other (its connection kept alive),
    interleaved, `number` of each per round. With `delay_ms`, the server answers each file that late (a remote
    host's latency)."""
    from xpander_sdk import Task

    os.environ["XPANDER_INTERNAL_FETCH_ALLOWLIST"] = "127.0.0.1"  # the bench server is on loopback
    delay = f"?delay_ms={spec['delay_ms']}" if spec.get("delay_ms") else ""
    urls = [f"http://127.0.0.1:{spec['port']}/_bench/files/{n}.txt{delay}" for n in range(spec["files"])]
    data = {"id": "t1", "agent_id": "a", "organization_id": "o", "created_at": "2026-01-01T00:00:00Z"}
    task = Task.from_dict({**data, "input": {"text": "Summarize these files", "files": urls}})
    client = httpx.Client(timeout=TIMEOUT)

    def raw() -> list[str]:
        return [client.get(url).raise_for_status().text for url in urls]

    contents = raw()
    message = task.to_message()
    if message.count('"content": ') != len(urls) or json.dumps(contents[0])[1:-1] not in message:
        raise RuntimeError(f"to_message did not read the files: {message[:300]!r}")
    number, rounds = spec["number"], spec["rounds"]
    results: dict[str, list[float]] = {"sdk_ms": [], "raw_ms": []}
    try:
        for _ in range(rounds):
            results["sdk_ms"] += [us / 1000 for us in _time_per_call(task.to_message, number, 1)]
            results["raw_ms"] += [us / 1000 for us in _time_per_call(raw, number, 1)]
        return results
    finally:
        client.close()


KINDS: dict[str, Callable[[Spec], Any]] = {
    "per_call": per_call,
    "concurrency": concurrency,
    "memory": memory,
    "parse": parse,
    "overhead": overhead,
    "list_parse": list_parse,
    "events_rate": events_rate,
    "events_latency": events_latency,
    "events_memory": events_memory,
    "create_and_wait": create_and_wait,
    "many_rate": many_rate,
    "many_memory": many_memory,
    "task_files": task_files,
}


def main() -> None:
    spec: Spec = json.loads(sys.argv[1])
    result = KINDS[spec["kind"]](spec)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
