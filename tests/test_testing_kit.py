"""`xpander_sdk.testing`: the fake backend (`FakeBackend`) and its pytest plugin, checked by behaviour.

- What it answers is openapi.yaml's, checked with the real `jsonschema` (tests/spec_tools.py), not with the
  fake's own validator: every JSON answer of a lifecycle, sync and async, read raw off the transport, and every
  event of its streams; the bodies it receives too.
- What the real server refuses, it refuses: 422 FastAPI bodies naming the field, 401/403, 404 (how it reads a
  body, as the server's pydantic models do, is tests/test_testing_validation.py's).
- Its small validator (`xpander_sdk.testing._schemas`) agrees with jsonschema on generated values and mutations.
- Scripting (`complete`, `fail`, `emit`, `complete_next`, `fail_next`, `respond_next`, `disconnect_next`) and
  reading (`requests`, `tasks`, `events`) do what they say; bad scripting arguments name the parameter.
- Event streams: Last-Event-ID resume, heartbeats, the end after task_finished, `close()`, wait timeouts.
- `install()`, `serve()` (a real loopback server) and the `xpander_backend` fixture, loaded by its entry point.

The tests named `test_fault_*` at the end pin faults of the fake these tests found (all fixed).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from attrs import define, field
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import spec_tools, strategies
from xpander_sdk import (
    AgentExecutionStatus,
    AuthenticationError,
    BadRequestError,
    Configuration,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    Task,
    TaskFailedError,
    Tasks,
    UnprocessableEntityError,
    User,
    WaitTimeoutError,
)
from xpander_sdk import _pool as sdk_pool
from xpander_sdk.exceptions import APIConnectionError
from xpander_sdk.models.events import TaskUpdateEventType
from xpander_sdk.testing import API_KEY, BASE_URL, ORGANIZATION_ID, FakeBackend, RecordedRequest
from xpander_sdk.testing import _schemas as mini

pytest_plugins = ["pytester"]

AGENT = "agent-1"
SECRET_KEY = "sk-the-secret-api-key"
USER = User(id="u1", first_name="Ada", last_name="Lovelace", email="ada@example.com")
TASK_ANSWERS = frozenset({"create_task", "get_task", "update_task", "stop_task"})
LISTS = frozenset({"list_agent_tasks", "list_user_tasks"})
TASK_EVENTS = frozenset({"task_created", "task_updated", "task_finished"})
TASK_LIST_POINTER = "/components/responses/TaskList/content/application~1json/schema"


# -- helpers --------------------------------------------------------------------------------------------------------
def assert_valid(schema: str, value: Any) -> None:
    """Valid against the component schema of openapi.yaml, by jsonschema (date-time formats asserted too)."""
    assert spec_tools.violations(spec_tools.validator(schema), value) == [], (schema, value)


def sse_events(text: str) -> list[tuple[str | None, dict[str, Any]]]:
    """The (id, JSON) of each event of a Server-Sent Events body (comments such as `: ping` left out)."""
    found: list[tuple[str | None, dict[str, Any]]] = []
    for frame in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in frame.splitlines() if line and not line.startswith(":"))
        if fields:
            found.append((fields.get("id"), json.loads(fields["data"])))
    return found


@contextlib.contextmanager
def raw_client(backend: FakeBackend, **headers: str) -> Iterator[httpx.Client]:
    """An httpx client on the backend's transport, with its API key unless `headers` say otherwise. Left open:
    closing it would close the backend (see test_fault_closing_a_client_on_the_transport_keeps_the_backend)."""
    yield httpx.Client(
        transport=backend.transport, base_url=backend.base_url, headers={"x-api-key": backend.api_key, **headers}
    )


def events_path(backend: FakeBackend, task_id: str) -> str:
    return f"/{backend.organization_id}/agent-execution/{task_id}/events"


@define
class Exchange:
    """One request as the backend got it and the body of its answer as the SDK read it (a stream's bytes as
    they were read)."""

    request: RecordedRequest
    status: int
    body: bytearray = field(factory=bytearray)


class _SyncTee(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, sink: bytearray) -> None:
        self._inner, self._sink = inner, sink

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._sink.extend(chunk)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _AsyncTee(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, sink: bytearray) -> None:
        self._inner, self._sink = inner, sink

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._sink.extend(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class Tap(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The backend's transport, keeping each exchange: what the SDK read is what the checks read."""

    def __init__(self, backend: FakeBackend) -> None:
        self.backend = backend
        self.exchanges: list[Exchange] = []

    def _kept(self, response: httpx.Response, stream: httpx.SyncByteStream | httpx.AsyncByteStream | None) -> Exchange:
        exchange = Exchange(self.backend.requests[-1], response.status_code)
        if stream is None:
            exchange.body.extend(response.content)
        self.exchanges.append(exchange)
        return exchange

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.backend.transport.handle_request(request)
        stream = response.stream if response.headers.get("content-type") == "text/event-stream" else None
        exchange = self._kept(response, stream)
        if not isinstance(stream, httpx.SyncByteStream):
            return response
        return httpx.Response(response.status_code, headers=response.headers, stream=_SyncTee(stream, exchange.body))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.backend.transport.handle_async_request(request)
        stream = response.stream if response.headers.get("content-type") == "text/event-stream" else None
        exchange = self._kept(response, stream)
        if not isinstance(stream, httpx.AsyncByteStream):
            return response
        return httpx.Response(response.status_code, headers=response.headers, stream=_AsyncTee(stream, exchange.body))

    def tasks(self) -> Tasks:
        """A `Tasks` on this transport (sync and async), for the backend's key and organization."""
        backend = self.backend
        configuration = Configuration(backend.api_key, backend.base_url, backend.organization_id)
        return Tasks(
            configuration,
            http_client=httpx.Client(transport=self),
            async_http_client=httpx.AsyncClient(transport=self),
            max_retries=0,
        )


def check_exchanges(exchanges: list[Exchange]) -> set[str]:
    """Every request body valid against its request schema, and every answer (each streamed event too) against
    its response schema, by jsonschema; returns the operations seen."""
    seen: set[str] = set()
    for exchange in exchanges:
        operation = exchange.request.operation
        assert operation is not None
        seen.add(operation)
        assert exchange.status == 200, (operation, bytes(exchange.body))
        sent = exchange.request.json
        if operation == "create_task":
            assert_valid("CreateTaskRequest", sent)
        elif operation == "update_task":
            assert_valid("Task" if "created_at" in sent else "UpdateTaskRequest", sent)
        else:
            assert sent is None
        if operation in TASK_ANSWERS:
            assert_valid("Task", json.loads(exchange.body))
        elif operation in LISTS:
            items = json.loads(exchange.body)
            assert spec_tools.violations(spec_tools.validator_at(TASK_LIST_POINTER), items) == []
            for item in items:
                assert_valid("TasksListItem", item)
        else:
            check_stream(exchange.body.decode())
    return seen


def check_stream(text: str) -> list[dict[str, Any]]:
    """Each event of a stream body valid (a task event's `data` a valid Task), with ids 1, 2, ... in order."""
    events = sse_events(text)
    assert events, "the stream sent no event"
    first = int(events[0][0] or 0)
    assert [number for number, _ in events] == [str(first + index) for index in range(len(events))]
    for _, event in events:
        assert_valid("TaskUpdateEvent", event)
        if event["type"] in TASK_EVENTS:
            assert_valid("Task", event["data"])
    return [event for _, event in events]


# -- 1. what it answers is the spec's -------------------------------------------------------------------------------
def _create_mixes(existing: str) -> list[dict[str, Any]]:
    """Argument mixes of `create`: minimal, with a user and events, with most options, continuing a task."""
    return [
        {"prompt": "hi"},
        {"prompt": "hi", "user_details": USER, "events_streaming": True, "title": "T", "agent_version": 3},
        {
            "prompt": "Summarize",
            "file_urls": ["https://example.com/a.pdf"],
            "source": "sdk",
            "output_format": "json",
            "output_schema": {"type": "object"},
            "think_mode": "harder",
            "mcp_servers": [{"type": "remote", "name": "m", "url": "https://mcp.example.com/mcp"}],
            "user_tokens": {"m": "token"},
            "tool_call_limit": 3,
            "llm_reasoning_effort": "high",
            "permission_mode": "gated",
            "tool_call_payload_extension": {"a": [1, None]},
        },
        {"prompt": "again", "existing_task_id": existing, "events_streaming": True},
    ]


def test_every_answer_of_a_sync_lifecycle_is_valid(backend: FakeBackend) -> None:
    tap = Tap(backend)
    with tap.tasks() as tasks:
        first = tasks.create(AGENT, prompt="first")
        created = [tasks.create(AGENT, **arguments) for arguments in _create_mixes(first.id)]
        task = created[1]
        assert (task.input.user, task.title, task.agent_version) == (USER, "T", "3")
        assert tasks.get(task.id) == task
        assert {item.id for item in tasks.list(AGENT)} == {first.id, *(item.id for item in created)}
        assert [item.id for item in tasks.list(AGENT, filters={"user_id": "u1"})] == [task.id]
        assert [item.id for item in tasks.list_user_tasks("u1")] == [task.id]
        updated = tasks.update(
            task.id,
            tool_call_payload_extension={"k": "v"},
            source="sdk",
            status=AgentExecutionStatus.Executing,
            last_executed_node_id="node-1",
            result="half",
        )
        assert (updated.status, updated.result, updated.payload_extension) == (
            AgentExecutionStatus.Executing,
            "half",
            {"k": "v"},
        )
        updated.status = AgentExecutionStatus.Paused
        assert updated.save().status == AgentExecutionStatus.Paused
        assert backend.tasks[task.id].status == AgentExecutionStatus.Paused
        assert tasks.stop(task.id).status == AgentExecutionStatus.Stopped
        with task.events() as stream:
            events = list(stream)
    assert [event.type.value for event in events][-1] == "task_finished"
    seen = check_exchanges(tap.exchanges)
    assert seen == TASK_ANSWERS | LISTS | {"get_task_events"}


@pytest.mark.anyio
async def test_every_answer_of_an_async_lifecycle_is_valid(backend: FakeBackend) -> None:
    tap = Tap(backend)
    async with tap.tasks() as tasks:
        first = await tasks.acreate(AGENT, prompt="first")
        created = [await tasks.acreate(AGENT, **arguments) for arguments in _create_mixes(first.id)]
        task = created[1]
        assert await tasks.aget(task.id) == task
        assert len(await tasks.alist(AGENT)) == 4  # the continued task is the first one, not a new one
        assert [item.id for item in await tasks.alist_user_tasks("u1")] == [task.id]
        updated = await tasks.aupdate(task.id, source="sdk", status="executing", result="half")
        assert (updated.status, updated.source) == (AgentExecutionStatus.Executing, "sdk")
        updated.title = "renamed"
        await updated.asave()
        assert backend.tasks[task.id].title == "renamed"
        backend.complete(task.id, "all done")
        async with task.aevents() as stream:
            events = [event async for event in stream]
        assert (await tasks.astop(task.id)).status == AgentExecutionStatus.Completed  # stopping a finished task
    finished = events[-1].data
    assert isinstance(finished, Task)
    assert (finished.status, finished.result) == (AgentExecutionStatus.Completed, "all done")
    assert check_exchanges(tap.exchanges) == TASK_ANSWERS | LISTS | {"get_task_events"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(call=strategies.create_calls())
def test_a_create_with_any_spec_valid_arguments_is_answered_validly(call: tuple[dict[str, Any], Any]) -> None:
    """Arguments drawn from the request schema: the fake accepts the body, answers a valid Task that holds it,
    and the task's answers to get and list are valid too."""
    arguments, body = call
    official = {name: arguments[name] for name in spec_tools.acreate_parameters()}
    official["existing_task_id"] = None  # continuing needs a task of the fake (covered above)
    with FakeBackend() as backend:
        tap = Tap(backend)
        with tap.tasks() as tasks:
            task = tasks.create(**official)
            tasks.get(task.id)
            tasks.list(task.agent_id)
        answer = json.loads(tap.exchanges[0].body)
        spec_tools.assert_parsed_faithfully(answer, task)
        assert answer["input"].get("text") == body["input"]["text"]
        check_exchanges(tap.exchanges)


def test_every_event_of_a_stream_is_valid_raw(backend: FakeBackend, tasks: Tasks) -> None:
    """The JSON itself, read with a plain httpx client: events, `data` of the task events, ids."""
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    backend.emit(task.id, "tool_call_request", {"tool": "search", "arguments": {"q": "x"}}, identity="Searcher")
    backend.emit(task.id, TaskUpdateEventType.Think, "hmm")
    backend.complete(task.id, "done")
    with raw_client(backend) as client:
        response = client.get(events_path(backend, task.id))
    assert response.headers["content-type"] == "text/event-stream"
    events = check_stream(response.text)
    assert [event["type"] for event in events] == [
        "connected", "task_created", "tool_call_request", "think", "task_updated", "chunk", "task_finished"
    ]  # fmt: skip
    assert events[2]["identity"] == {"name": "Searcher", "icon": None}
    assert events[4]["data"]["status"] == "executing"
    assert (events[-1]["data"]["status"], events[-1]["data"]["result"]) == ("completed", "done")
    assert all(event["task_id"] == task.id and event["organization_id"] == ORGANIZATION_ID for event in events)


# -- 2. what it refuses, the server refuses -------------------------------------------------------------------------
def _assert_refused_field(error: UnprocessableEntityError, field_name: str) -> None:
    assert error.status_code == 422
    assert_valid("HTTPValidationError", error.body)
    assert field_name in [item.field for item in error.errors], error.errors


@pytest.mark.parametrize(
    ("extra_body", "field_name"),
    [
        ({"think_mode": "hardest"}, "think_mode"),
        ({"tool_call_limit": "three"}, "tool_call_limit"),
        ({"input": {"text": "x", "user": {"id": "u1"}}}, "input.user.email"),
        ({"input": {"text": 5}}, "input.text"),
        ({"input": {"text": "x", "principal": {"kind": "slack", "id": "has space"}}}, "input.principal.id"),
    ],
)
def test_a_create_body_the_server_refuses_gets_its_422(
    backend: FakeBackend, tasks: Tasks, extra_body: dict[str, Any], field_name: str
) -> None:
    with pytest.raises(UnprocessableEntityError) as refused:
        tasks.create(AGENT, prompt="hi", extra_body=extra_body)
    _assert_refused_field(refused.value, field_name)
    assert backend.tasks == {}


@pytest.mark.anyio
async def test_an_async_create_body_the_server_refuses_gets_its_422(backend: FakeBackend, tasks: Tasks) -> None:
    with pytest.raises(UnprocessableEntityError) as refused:
        await tasks.acreate(AGENT, prompt="hi", extra_body={"think_mode": "hardest"})
    _assert_refused_field(refused.value, "think_mode")


def test_think_mode_harder_is_a_valid_value(backend: FakeBackend, tasks: Tasks) -> None:
    """`harder` is one of ThinkMode's values: not refused (the 422 needs a value outside the enum)."""
    task = tasks.create(AGENT, prompt="hi", extra_body={"think_mode": "harder"})
    assert backend.tasks[task.id].think_mode.value == "harder"


@pytest.mark.anyio
async def test_an_update_the_server_refuses_gets_a_422(backend: FakeBackend, tasks: Tasks) -> None:
    """An unknown key is ignored, as the server's pydantic model does (tests/test_testing_validation.py)."""
    task = tasks.create(AGENT, prompt="hi")
    with pytest.raises(UnprocessableEntityError) as refused:
        tasks.update(task.id, source="sdk", extra_body={"colour": "red", "result": 5})
    _assert_refused_field(refused.value, "result")
    with pytest.raises(UnprocessableEntityError) as arefused:
        await tasks.aupdate(task.id, extra_body={"status": "flying"})
    _assert_refused_field(arefused.value, "status")
    assert backend.tasks[task.id].source is None  # nothing changed


def test_a_body_on_a_get_is_ignored_and_recorded(backend: FakeBackend, tasks: Tasks) -> None:
    """FastAPI does not read a body its route does not declare: it is answered as without one. `requests`
    shows it, for a test that asserts the code sends none."""
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    backend.complete(task.id, "done")
    with raw_client(backend) as client:
        for method, path in [
            ("GET", f"/agent-execution/{task.id}/status"),
            ("GET", events_path(backend, task.id)),
            ("DELETE", f"/agent-execution/{task.id}"),
        ]:
            response = client.request(method, path, json={"please": True})
            assert response.status_code == 200, (method, path)
    assert [request.json for request in backend.requests[1:]] == [{"please": True}] * 3


class _WithoutKey(httpx.BaseTransport):
    def __init__(self, backend: FakeBackend) -> None:
        self.backend = backend

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        del request.headers["x-api-key"]
        return self.backend.transport.handle_request(request)


def test_a_wrong_or_missing_api_key_is_refused(backend: FakeBackend) -> None:
    configuration = Configuration("wrong-key", backend.base_url, backend.organization_id)
    wrong = Tasks(configuration, http_client=httpx.Client(transport=backend.transport), max_retries=0)
    with pytest.raises(PermissionDeniedError) as denied:
        wrong.create(AGENT, prompt="hi")
    assert denied.value.status_code == 403
    keyless = Tasks(configuration, http_client=httpx.Client(transport=_WithoutKey(backend)), max_retries=0)
    with pytest.raises(AuthenticationError) as unauthenticated:
        keyless.get("any")
    assert unauthenticated.value.status_code == 401
    with raw_client(backend, **{"x-api-key": "wrong"}) as client:
        assert client.get("/agent-execution/x/status").status_code == 403
    with raw_client(backend) as client:
        del client.headers["x-api-key"]
        response = client.post(f"/agent-execution/{AGENT}", json={"input": {"text": "x"}})
        assert response.status_code == 401
        assert_valid("ErrorResponse", response.json())
    assert backend.tasks == {}


@pytest.mark.anyio
async def test_an_async_wrong_api_key_is_refused(backend: FakeBackend) -> None:
    configuration = Configuration("wrong-key", backend.base_url, backend.organization_id)
    async with Tasks(
        configuration, async_http_client=httpx.AsyncClient(transport=backend.transport), max_retries=0
    ) as wrong:
        with pytest.raises(PermissionDeniedError):
            await wrong.aget("any")


def test_an_unknown_route_or_task_is_a_404(backend: FakeBackend, tasks: Tasks) -> None:
    """As FastAPI routes before it authenticates: 404 for no route, 405 for a route's path with another method
    (with or without a key)."""
    with raw_client(backend) as client:
        for method, path, status in [
            ("GET", "/agent-execution/x/unknown", 404),
            ("PUT", "/agent-execution/x", 405),
            ("GET", "/somewhere-else", 404),
        ]:
            response = client.request(method, path)
            assert response.status_code == status, (method, path)
            assert_valid("ErrorResponse", response.json())
            del client.headers["x-api-key"]
            assert client.request(method, path).status_code == status, (method, path)
            client.headers["x-api-key"] = backend.api_key
    assert [request.operation for request in backend.requests] == [None] * 6
    with pytest.raises(NotFoundError):
        tasks.get("no-such-task")
    with pytest.raises(NotFoundError):
        tasks.create(AGENT, prompt="hi", existing_task_id="no-such-task")


# -- 3. its small validator agrees with jsonschema ------------------------------------------------------------------
CHECKED_SCHEMAS = ["CreateTaskRequest", "UpdateTaskRequest", "Task", "TasksListItem", "TaskUpdateEvent"]
OTHER_TYPES: list[Any] = [None, True, 7, 2.5, "text", [], {}]
UNKNOWN_KEY = "zz_unknown"
Path = tuple[str | int, ...]


@functools.cache
def _sub_validator(pointer: str) -> spec_tools.Validator:
    return spec_tools.validator_at(pointer, formats=False)


@functools.cache
def _valid_values(name: str) -> st.SearchStrategy[Any]:
    """Values valid for the schema `name`, from tests/strategies.py (built once: hypothesis caches by object)."""
    if name == "CreateTaskRequest":
        return strategies.create_calls().map(lambda call: call[1])
    strategy: st.SearchStrategy[Any] = strategies.SchemaStrategies("response").named(name)
    return strategy


@define
class Mutation:
    """One change to a value: `what` (`wrong type`, `missing`, `unknown key`, `bad enum`, `empty`, `bad pattern`)
    at `path` (from `"root"`, the value itself), with `value` (the key to drop for `missing`)."""

    what: str
    path: Path
    value: Any

    def apply(self, document: Any) -> Any:
        """A changed copy of `document`. `missing` and `unknown key` change the object at `path`; the others
        replace the value there."""
        changed = {"root": copy.deepcopy(document)}
        *parents, last = self.path
        node: Any = changed
        for part in parents:
            node = node[part]
        if self.what == "missing":
            del node[last][self.value]
        elif self.what == "unknown key":
            node[last][UNKNOWN_KEY] = self.value
        else:
            node[last] = self.value
        return changed["root"]


def mutations(name: str, value: Any) -> list[Mutation]:
    """The changes of `value` (valid for the schema `name`) that the spec's constraints make likely invalid."""
    found: list[Mutation] = []
    _collect(f"/components/schemas/{name}", value, ("root",), found)
    return found


def _collect(pointer: str, value: Any, path: Path, found: list[Mutation]) -> None:
    node = spec_tools.pointer_get(spec_tools.load_spec(), pointer)
    if "$ref" in node:
        _collect(node["$ref"][1:], value, path, found)
        return
    if "anyOf" in node:
        branches = [f"{pointer}/anyOf/{index}" for index in range(len(node["anyOf"]))]
        taken = next(branch for branch in branches if _sub_validator(branch).is_valid(value))
        _collect(taken, value, path, found)
        found.append(Mutation("wrong type", path, _other_type(value)))
        return
    if "type" in node:
        found.append(Mutation("wrong type", path, _other_type(value)))
    if "enum" in node:
        found.append(Mutation("bad enum", path, "not-a-member"))
    if isinstance(value, str) and node.get("minLength", 0) > 0:
        found.append(Mutation("empty", path, ""))
    if isinstance(value, str) and "pattern" in node:
        found.append(Mutation("bad pattern", path, "has space:and colon"))
    if isinstance(value, dict):
        _collect_object(pointer, node, value, path, found)
    elif isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            _collect(f"{pointer}/items", item, (*path, index), found)


def _collect_object(
    pointer: str, node: dict[str, Any], value: dict[str, Any], path: Path, found: list[Mutation]
) -> None:
    properties: dict[str, Any] = node.get("properties", {})
    extra = node.get("additionalProperties", True)
    found.extend(Mutation("missing", path, key) for key in node.get("required", ()) if key in value)
    if extra is False:
        found.append(Mutation("unknown key", path, "anything"))
    for key, item in value.items():
        if key in properties:
            _collect(f"{pointer}/properties/{spec_tools.escape(key)}", item, (*path, key), found)
        elif isinstance(extra, dict):
            _collect(f"{pointer}/additionalProperties", item, (*path, key), found)


def _other_type(value: Any) -> Any:
    """A JSON value of another type than `value`'s."""
    return next(other for other in OTHER_TYPES if type(other) is not type(value))


@st.composite
def checked_values(draw: st.DrawFn, name: str) -> tuple[Any, str]:
    """A value valid for the schema `name` (one in five), or one mutation of it, each kind of mutation as likely
    as the others (a value has many places for a wrong type, few for a pattern); with what was done."""
    value = draw(_valid_values(name))
    by_kind: dict[str, list[Mutation]] = {}
    for mutation in mutations(name, value):
        by_kind.setdefault(mutation.what, []).append(mutation)
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        return value, "valid"
    mutation = draw(st.sampled_from(by_kind[draw(st.sampled_from(sorted(by_kind)))]))
    return mutation.apply(value), repr(mutation)


@pytest.mark.parametrize("name", CHECKED_SCHEMAS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_the_small_validator_agrees_with_jsonschema(name: str, data: st.DataObject) -> None:
    value, how = data.draw(checked_values(name), label="value")
    expected = spec_tools.violations(spec_tools.validator(name, formats=False), value)
    assert (mini.violations(name, value) == []) == (expected == []), (how, expected, mini.violations(name, value))


def test_each_kind_of_mutation_is_refused_by_both() -> None:
    """The mutations the property draws do make invalid values, and both validators say so."""
    request = copy.deepcopy(spec_tools.request_example("full"))
    request["input"]["principal"] = {"kind": "slack", "id": "U1"}
    cases = {
        "wrong type": Mutation("wrong type", ("root", "title"), 3),
        "missing": Mutation("missing", ("root", "input", "principal"), "kind"),
        "unknown key": Mutation("unknown key", ("root", "input"), 1),
        "bad enum": Mutation("bad enum", ("root", "think_mode"), "hardest"),
        "empty": Mutation("empty", ("root", "input", "principal", "id"), ""),
        "bad pattern": Mutation("bad pattern", ("root", "input", "principal", "id"), "a b"),
    }
    assert_valid("CreateTaskRequest", request)
    for what, mutation in cases.items():
        changed = mutation.apply(request)
        assert spec_tools.violations(spec_tools.validator("CreateTaskRequest"), changed) != [], what
        assert mini.violations("CreateTaskRequest", changed) != [], what
    kinds = {mutation.what for mutation in mutations("CreateTaskRequest", request)}
    assert kinds == set(cases)


# -- 4. scripting ---------------------------------------------------------------------------------------------------
def test_complete(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="Summarize", events_streaming=True)
    backend.complete(task.id, result="Sales grew 12%")
    stored = backend.tasks[task.id]
    assert (stored.status, stored.result) == (AgentExecutionStatus.Completed, "Sales grew 12%")
    assert stored.started_at is not None and stored.finished_at is not None
    events = backend.events(task.id)
    assert [event["type"] for event in events][2:] == ["task_updated", "chunk", "task_finished"]
    assert events[2]["data"]["status"] == "executing"
    assert events[3]["data"] == "Sales grew 12%"
    waited = task.wait(timeout=5)
    assert waited is task
    assert (task.status, task.result) == (AgentExecutionStatus.Completed, "Sales grew 12%")


@pytest.mark.anyio
async def test_complete_async(backend: FakeBackend, tasks: Tasks) -> None:
    task = await tasks.acreate(AGENT, prompt="Summarize")
    backend.complete(task.id, result="done")
    await task.await_result(timeout=5)
    assert (task.status, task.result) == (AgentExecutionStatus.Completed, "done")
    with pytest.raises(InvalidArgumentError):  # no event log without events_streaming
        backend.events(task.id)


def test_fail(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    backend.fail(task.id, error="no such report")
    assert (backend.tasks[task.id].status, backend.tasks[task.id].result) == (
        AgentExecutionStatus.Failed,
        "no such report",
    )
    assert backend.events(task.id)[-1]["data"]["status"] == "failed"
    with pytest.raises(TaskFailedError) as failed:
        task.wait(timeout=5, raise_on_failure=True)
    assert failed.value.task.result == "no such report"


@pytest.mark.anyio
async def test_fail_async(backend: FakeBackend, tasks: Tasks) -> None:
    task = await tasks.acreate(AGENT, prompt="hi", events_streaming=True)
    backend.fail(task.id)
    with pytest.raises(TaskFailedError):
        await task.await_result(timeout=5, raise_on_failure=True)
    assert task.status == AgentExecutionStatus.Failed


def test_emitted_events_arrive_in_order(backend: FakeBackend, tasks: Tasks) -> None:
    """Emitted events come in the order emitted; `complete` adds no chunk after chunks the test emitted."""
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    backend.start(task.id)
    backend.emit(task.id, "tool_call_request", {"tool": "search", "query": "q"}, identity="Researcher")
    backend.emit(task.id, "chunk", "Sales ")
    backend.emit(task.id, "a_kind_this_version_does_not_know", [1, 2])
    backend.complete(task.id, "Sales grew")
    with task.events() as stream:
        events = list(stream)
    assert [event.type.value for event in events] == [
        "connected", "task_created", "task_updated", "tool_call_request", "chunk",
        "a_kind_this_version_does_not_know", "task_finished",
    ]  # fmt: skip
    started = events[2].data
    assert isinstance(started, Task) and started.status == AgentExecutionStatus.Executing
    assert events[3].data == {"tool": "search", "query": "q"}
    assert events[3].identity is not None and events[3].identity.name == "Researcher"
    assert [event.data for event in events[4:6]] == ["Sales ", [1, 2]]
    assert [event.event_id for event in events] == [str(number) for number in range(1, 8)]
    assert task.wait(timeout=5).result == "Sales grew"


def test_start(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi")
    backend.start(task.id)
    assert task.reload().status == AgentExecutionStatus.Executing
    assert task.started_at is not None
    backend.start(task.id)  # started already: nothing changes
    backend.fail(task.id, "no")
    with pytest.raises(InvalidArgumentError) as refused:
        backend.start(task.id)
    assert refused.value.parameter == "task_id"


@pytest.mark.anyio
async def test_emitted_events_arrive_in_order_async(backend: FakeBackend, tasks: Tasks) -> None:
    task = await tasks.acreate(AGENT, prompt="hi", events_streaming=True)

    async def agent() -> None:
        await asyncio.sleep(0.05)
        backend.emit(task.id, TaskUpdateEventType.ToolCallRequest, {"tool": "search"}, identity="X")
        await asyncio.sleep(0.05)
        backend.complete(task.id, "done")

    async with asyncio.timeout(10):
        driver = asyncio.create_task(agent())
        events = [event async for event in task.aevents()]
        await driver
    assert [event.type.value for event in events] == [
        "connected", "task_created", "tool_call_request", "task_updated", "chunk", "task_finished"
    ]  # fmt: skip
    assert events[2].identity is not None and events[2].identity.name == "X"


def test_complete_next_after_a_delay(backend: FakeBackend, tasks: Tasks) -> None:
    backend.complete_next("Hello!", after=0.1)
    started = time.monotonic()
    task = tasks.create_and_wait(AGENT, prompt="hi", events_streaming=True, wait_timeout=10)
    assert time.monotonic() - started >= 0.1
    assert (task.status, task.result) == (AgentExecutionStatus.Completed, "Hello!")
    assert tasks.create(AGENT, prompt="next").status == AgentExecutionStatus.Pending  # times=1: used up
    time.sleep(0.05)
    assert [stored.status for stored in backend.tasks.values()] == [
        AgentExecutionStatus.Completed,
        AgentExecutionStatus.Pending,
    ]


@pytest.mark.anyio
async def test_fail_next_async(backend: FakeBackend, tasks: Tasks) -> None:
    backend.fail_next("no luck")
    with pytest.raises(TaskFailedError) as failed:
        await tasks.acreate_and_wait(AGENT, prompt="hi", events_streaming=True, wait_timeout=10, raise_on_failure=True)
    assert failed.value.task.result == "no luck"


def test_complete_next_times(backend: FakeBackend, tasks: Tasks) -> None:
    backend.complete_next("twice", times=2)
    ids = [tasks.create(AGENT, prompt=str(number), events_streaming=True).id for number in range(3)]
    for task_id in ids[:2]:
        assert tasks.get(task_id).wait(timeout=5).result == "twice"
    time.sleep(0.05)
    assert backend.tasks[ids[2]].status == AgentExecutionStatus.Pending


def test_complete_next_for_every_task(backend: FakeBackend, tasks: Tasks) -> None:
    backend.fail_next("first fails")
    backend.complete_next("ok", times=None)
    outcomes = [
        tasks.create_and_wait(AGENT, prompt=str(number), events_streaming=True, wait_timeout=10) for number in range(4)
    ]
    assert [(task.status.value, task.result) for task in outcomes] == [("failed", "first fails")] + [
        ("completed", "ok")
    ] * 3


def test_respond_next_429_is_retried(backend: FakeBackend) -> None:
    backend.respond_next(429, retry_after=0)
    with backend.client() as tasks:
        task = tasks.create(AGENT, prompt="hi")
    assert [request.operation for request in backend.requests] == ["create_task", "create_task"]
    assert list(backend.tasks) == [task.id]


@pytest.mark.anyio
async def test_respond_next_429_is_retried_async(backend: FakeBackend) -> None:
    backend.respond_next(429, retry_after=0)
    async with backend.client() as tasks:
        await tasks.acreate(AGENT, prompt="hi")
    assert len(backend.requests) == 2
    assert len(backend.tasks) == 1


def test_respond_next_503_until_the_retries_are_spent(backend: FakeBackend) -> None:
    backend.respond_next(503, times=5)
    with backend.client() as tasks:  # 2 retries by default
        with pytest.raises(InternalServerError) as failed:
            tasks.create(AGENT, prompt="hi")
        assert failed.value.status_code == 503
        assert len(backend.requests) == 3
        with pytest.raises(InternalServerError):  # the 2 scripted answers left are still queued
            tasks.create(AGENT, prompt="hi", max_retries=1)
        tasks.create(AGENT, prompt="hi", max_retries=0)
    assert len(backend.requests) == 6
    assert len(backend.tasks) == 1


def test_respond_next_for_one_operation(backend: FakeBackend, tasks: Tasks) -> None:
    backend.respond_next(404, operation="get_task")
    task = tasks.create(AGENT, prompt="hi")
    tasks.list(AGENT)
    with pytest.raises(NotFoundError):
        tasks.get(task.id)
    assert tasks.get(task.id).id == task.id
    assert [request.operation for request in backend.requests] == [
        "create_task", "list_agent_tasks", "get_task", "get_task"
    ]  # fmt: skip


@pytest.mark.anyio
async def test_respond_next_with_a_body(backend: FakeBackend, tasks: Tasks) -> None:
    backend.respond_next(400, body={"detail": "Invalid output_schema"})
    with pytest.raises(BadRequestError) as refused:
        await tasks.acreate(AGENT, prompt="hi")
    assert refused.value.body == {"detail": "Invalid output_schema"}
    assert "Invalid output_schema" in str(refused.value)
    assert backend.tasks == {}


def test_disconnect_next_retries_a_create(backend: FakeBackend) -> None:
    backend.disconnect_next()
    with backend.client() as tasks:
        task = tasks.create(AGENT, prompt="hi")
    assert [request.operation for request in backend.requests] == ["create_task", "create_task"]
    assert list(backend.tasks) == [task.id]


@pytest.mark.anyio
async def test_disconnect_next_retries_a_create_async(backend: FakeBackend) -> None:
    backend.disconnect_next(operation="create_task")
    async with backend.client() as tasks:
        task = await tasks.acreate(AGENT, prompt="hi")
    assert len(backend.requests) == 2
    assert list(backend.tasks) == [task.id]


def test_recorded_requests() -> None:
    fake = FakeBackend(api_key=SECRET_KEY)
    with fake, fake.client(max_retries=0) as tasks:
        task = tasks.create(AGENT, prompt="Summarize", user_tokens={"crm": "user-secret-token"}, agent_version=7)
        tasks.list(AGENT, filters={"status": "pending"})
        tasks.update(task.id, result="r")
        create, listing, update = fake.requests
        assert (create.method, create.path, create.query, create.operation) == (
            "POST",
            f"/agent-execution/{AGENT}",
            {},
            "create_task",
        )
        assert create.json["input"]["text"] == "Summarize"
        assert create.json["user_tokens"] == {"crm": "user-secret-token"}
        assert create.headers["x-api-key"] == SECRET_KEY
        assert create.headers["x-agent-version"] == "7"
        assert (listing.method, listing.path, listing.operation, listing.json) == (
            "GET",
            f"/agent-execution/executions/history/{AGENT}",
            "list_agent_tasks",
            None,
        )
        assert listing.query == {"status": "pending"}
        assert (update.method, update.json, update.operation) == ("PATCH", {"result": "r"}, "update_task")
        shown = repr(fake.requests)
        assert "user-secret-token" not in shown
        assert SECRET_KEY not in shown
        assert "create_task" in shown
        assert fake.tasks[task.id].input.text == "Summarize"
        assert fake.tasks[task.id].agent_version == "7"


def test_tasks_are_snapshots(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi")
    snapshot = backend.tasks[task.id]
    snapshot.result = "changed here"
    assert backend.tasks[task.id].result is None
    backend.complete(task.id, "done")
    assert snapshot.status == AgentExecutionStatus.Pending
    assert backend.tasks[task.id].status == AgentExecutionStatus.Completed


def _make_finished(backend: FakeBackend, tasks: Tasks) -> str:
    task_id = tasks.create(AGENT, prompt="hi").id
    backend.complete(task_id, "done")
    return task_id


BAD_SCRIPTS: dict[str, tuple[Callable[[FakeBackend, Tasks], Any], str]] = {
    "respond_next(200)": (lambda b, t: b.respond_next(200), "status"),
    "respond_next(700)": (lambda b, t: b.respond_next(700), "status"),
    "respond_next('429')": (lambda b, t: b.respond_next("429"), "status"),  # type: ignore[arg-type]
    "respond_next(times=0)": (lambda b, t: b.respond_next(500, times=0), "times"),
    "respond_next(retry_after=-1)": (lambda b, t: b.respond_next(429, retry_after=-1), "retry_after"),
    "respond_next(operation=...)": (lambda b, t: b.respond_next(500, operation="create"), "operation"),
    "disconnect_next(times=0)": (lambda b, t: b.disconnect_next(times=0), "times"),
    "disconnect_next(operation=...)": (lambda b, t: b.disconnect_next(operation="nope"), "operation"),
    "complete_next(times=0)": (lambda b, t: b.complete_next("x", times=0), "times"),
    "complete_next(after=-1)": (lambda b, t: b.complete_next("x", after=-1), "after"),
    "complete_next(result=1)": (lambda b, t: b.complete_next(1), "result"),  # type: ignore[arg-type]
    "fail_next(times=True)": (lambda b, t: b.fail_next(times=True), "times"),
    "complete(unknown task)": (lambda b, t: b.complete("no-such-task", "x"), "task_id"),
    "fail(unknown task)": (lambda b, t: b.fail("no-such-task"), "task_id"),
    "complete twice": (lambda b, t: b.complete(_make_finished(b, t), "again"), "task_id"),
    "fail after complete": (lambda b, t: b.fail(_make_finished(b, t)), "task_id"),
    "emit without events": (lambda b, t: b.emit(t.create(AGENT, prompt="hi").id, "chunk", "x"), "task_id"),
    "emit(unknown task)": (lambda b, t: b.emit("no-such-task", "chunk", "x"), "task_id"),
    "emit(non-JSON data)": (
        lambda b, t: b.emit(t.create(AGENT, prompt="hi", events_streaming=True).id, "chunk", object()),
        "data",
    ),
    "emit(a task event that is no Task)": (
        lambda b, t: b.emit(t.create(AGENT, prompt="hi", events_streaming=True).id, "task_updated", {"id": 1}),
        "data",
    ),
    "emit(type=5)": (
        lambda b, t: b.emit(t.create(AGENT, prompt="hi", events_streaming=True).id, 5, "x"),  # type: ignore[arg-type]
        "type",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SCRIPTS))
def test_bad_scripting_arguments_name_the_parameter(backend: FakeBackend, tasks: Tasks, case: str) -> None:
    script, parameter = BAD_SCRIPTS[case]
    with pytest.raises(InvalidArgumentError) as refused:
        script(backend, tasks)
    assert refused.value.parameter == parameter
    task = tasks.create(AGENT, prompt="after")  # nothing was scripted: the next create is served, and stays pending
    assert backend.tasks[task.id].status == AgentExecutionStatus.Pending
    assert backend.requests[-1].operation == "create_task"


# -- 5. event streams -----------------------------------------------------------------------------------------------
def test_a_stream_resumes_after_last_event_id(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    backend.complete(task.id, "done")
    with raw_client(backend) as client:
        with client.stream("GET", events_path(backend, task.id), headers={"last-event-id": "2"}) as response:
            text = "".join(response.iter_text())
        whole = client.get(events_path(backend, task.id)).text
    assert [number for number, _ in sse_events(text)] == ["3", "4", "5"]
    assert [event["type"] for _, event in sse_events(text)] == ["task_updated", "chunk", "task_finished"]
    assert [number for number, _ in sse_events(whole)] == ["1", "2", "3", "4", "5"]
    assert [request.headers.get("last-event-id") for request in backend.requests[1:]] == ["2", None]


@pytest.mark.anyio
async def test_a_stream_resumes_after_last_event_id_async(backend: FakeBackend, tasks: Tasks) -> None:
    task = await tasks.acreate(AGENT, prompt="hi", events_streaming=True)
    backend.complete(task.id, "done")
    headers = {"x-api-key": backend.api_key, "last-event-id": "4"}
    client = httpx.AsyncClient(transport=backend.transport, base_url=backend.base_url, headers=headers)
    async with client.stream("GET", events_path(backend, task.id)) as response:
        text = "".join([chunk async for chunk in response.aiter_text()])
    assert sse_events(text) == [("5", backend.events(task.id)[4])]


@contextlib.contextmanager
def _safety_close(backend: FakeBackend, seconds: float = 5.0) -> Iterator[None]:
    """Close the backend after `seconds` should the block still run: a broken stream fails, never hangs."""
    timer = threading.Timer(seconds, backend.shutdown)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def test_heartbeats_during_silence() -> None:
    with FakeBackend(heartbeat=0.05) as backend, backend.client() as tasks:
        task = tasks.create(AGENT, prompt="hi", events_streaming=True)
        chunks: list[str] = []
        with raw_client(backend) as client, _safety_close(backend):
            with client.stream("GET", events_path(backend, task.id)) as response:
                started = time.monotonic()
                for chunk in response.iter_text():
                    chunks.append(chunk)
                    if "".join(chunks).count(": ping") == 3:
                        break
            elapsed = time.monotonic() - started
        assert "".join(chunks).count(": ping") == 3, chunks
        assert 0.1 <= elapsed < 2
        assert [event["type"] for _, event in sse_events("".join(chunks))] == ["connected", "task_created"]


@pytest.mark.anyio
async def test_heartbeats_during_silence_async() -> None:
    with FakeBackend(heartbeat=0.05) as backend:
        async with backend.client() as tasks:
            task = await tasks.acreate(AGENT, prompt="hi", events_streaming=True)
        headers = {"x-api-key": backend.api_key}
        async with httpx.AsyncClient(transport=backend.transport, base_url=backend.base_url, headers=headers) as client:
            text = ""
            async with asyncio.timeout(5), client.stream("GET", events_path(backend, task.id)) as response:
                async for chunk in response.aiter_text():
                    text += chunk
                    if text.count(": ping") == 2:
                        break
        assert len(sse_events(text)) == 2


def test_the_stream_ends_after_task_finished(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    threading.Timer(0.1, backend.complete, (task.id, "done")).start()
    started = time.monotonic()
    with (
        raw_client(backend) as client,
        _safety_close(backend),
        client.stream("GET", events_path(backend, task.id)) as response,
    ):
        text = "".join(response.iter_text())
    assert time.monotonic() - started < 4, "the stream ended by the safety close, not by itself"
    assert [event["type"] for _, event in sse_events(text)][-1] == "task_finished"
    with task.events() as stream:
        assert len(list(stream)) == 5
        assert (stream.received, stream.reconnects) == (5, 0)


def test_shutdown_ends_an_open_stream(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    threading.Timer(0.1, backend.shutdown).start()
    started = time.monotonic()
    with raw_client(backend) as client, client.stream("GET", events_path(backend, task.id)) as response:
        text = "".join(response.iter_text())
    assert time.monotonic() - started < 2
    assert [event["type"] for _, event in sse_events(text)] == ["connected", "task_created"]
    assert backend.tasks[task.id].status == AgentExecutionStatus.Pending


def test_shutdown_cancels_the_pending_outcomes(backend: FakeBackend, tasks: Tasks) -> None:
    backend.complete_next("late", after=0.1)
    task = tasks.create(AGENT, prompt="hi")
    backend.shutdown()
    time.sleep(0.2)
    assert backend.tasks[task.id].status == AgentExecutionStatus.Pending


def test_a_sync_wait_times_out(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError):
        task.wait(timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 2
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError):
        tasks.create_and_wait(AGENT, prompt="hi", events_streaming=True, wait_timeout=0.3)
    assert time.monotonic() - started < 2


@pytest.mark.anyio
async def test_an_async_wait_times_out(backend: FakeBackend, tasks: Tasks) -> None:
    task = await tasks.acreate(AGENT, prompt="hi", events_streaming=True)
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError):
        await task.await_result(timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 2


def test_the_events_of_another_organization_or_a_task_without_events_are_404(
    backend: FakeBackend, tasks: Tasks
) -> None:
    streaming = tasks.create(AGENT, prompt="hi", events_streaming=True)
    quiet = tasks.create(AGENT, prompt="hi")
    with raw_client(backend) as client:
        assert client.get(f"/another-org/agent-execution/{streaming.id}/events").status_code == 404
        assert client.get(events_path(backend, quiet.id)).status_code == 404
        assert client.get(events_path(backend, "no-such-task")).status_code == 404


# -- 6. install() ---------------------------------------------------------------------------------------------------
def _closed_loopback_url() -> str:
    """A loopback URL nothing listens on (a port bound, then freed): a request there fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


SENTINELS = {"XPANDER_API_KEY": "sentinel-key", "XPANDER_ORGANIZATION_ID": "sentinel-org", "IS_STG": "true"}


def test_install_routes_tasks_made_inside_and_before(monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = _closed_loopback_url()
    for name, value in {**SENTINELS, "XPANDER_BASE_URL": nowhere, "XPANDER_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)
    before = Tasks()  # a module-level `Tasks()`: made with the environment of its time
    assert before.configuration.base_url == nowhere
    # (one made before with the fake's key works: test_install_routes_async_tasks; without a key, see the faults)
    with FakeBackend() as backend:
        with backend.install() as installed:
            assert installed is backend
            assert os.environ["XPANDER_BASE_URL"] == BASE_URL == backend.base_url
            assert os.environ["XPANDER_API_KEY"] == API_KEY
            assert os.environ["XPANDER_ORGANIZATION_ID"] == ORGANIZATION_ID
            assert "IS_STG" not in os.environ
            inside = Tasks().create(AGENT, prompt="inside", events_streaming=True)
            assert inside.organization_id == ORGANIZATION_ID
            by_before = before.create(AGENT, prompt="before")  # it reached the fake (not its URL), with its key
            assert backend.requests[-1].headers["x-api-key"] == "sentinel-key"
            made_before = Tasks.on_shared_pool(Configuration(api_key=API_KEY)).create(AGENT, prompt="before")
            backend.complete(inside.id, "done")
            assert Tasks().get(inside.id).wait(timeout=5).result == "done"
            with pytest.raises(RuntimeError, match="installed already"), FakeBackend().install():
                pass
            assert sdk_pool.ROUTED is not None
            assert os.environ["XPANDER_BASE_URL"] == BASE_URL
        assert sdk_pool.ROUTED is None
        assert {name: os.environ.get(name) for name in SENTINELS} == SENTINELS
        assert os.environ["XPANDER_BASE_URL"] == nowhere
        assert set(backend.tasks) == {inside.id, by_before.id, made_before.id}
        assert backend.tasks[made_before.id].input.text == "before"
        count = len(backend.requests)
        with pytest.raises(APIConnectionError):  # no longer routed: the environment's URL, where nothing listens
            Tasks().create(AGENT, prompt="after")
        with pytest.raises(APIConnectionError):
            before.create(AGENT, prompt="after")
        assert len(backend.requests) == count


def test_install_restores_the_environment_after_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPANDER_BASE_URL", "http://127.0.0.1:9")
    assert "XPANDER_API_KEY" not in os.environ
    with FakeBackend() as backend, pytest.raises(ZeroDivisionError), backend.install():
        _ = 1 / 0
    assert sdk_pool.ROUTED is None
    assert os.environ["XPANDER_BASE_URL"] == "http://127.0.0.1:9"
    assert "XPANDER_API_KEY" not in os.environ


@pytest.mark.anyio
async def test_install_routes_async_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPANDER_API_KEY", API_KEY)
    before = Tasks()
    with FakeBackend() as backend, backend.install():
        backend.complete_next("async done", times=None)
        task = await Tasks().acreate_and_wait(AGENT, prompt="hi", events_streaming=True, wait_timeout=10)
        other = await before.acreate(AGENT, prompt="before")
        assert task.result == "async done"
        assert set(backend.tasks) == {task.id, other.id}
    assert os.environ["XPANDER_API_KEY"] == API_KEY


# -- 7. serve() -----------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def served() -> Iterator[tuple[FakeBackend, Tasks]]:
    with FakeBackend() as backend, backend.serve() as url:
        assert url.startswith("http://127.0.0.1:")
        with Tasks(Configuration(backend.api_key, url, backend.organization_id)) as tasks:
            yield backend, tasks


def test_serve_over_loopback() -> None:
    with served() as (backend, tasks):
        task = tasks.create(AGENT, prompt="hi", user_details=USER, events_streaming=True)
        assert tasks.get(task.id) == task
        assert [item.id for item in tasks.list(AGENT)] == [task.id]
        assert [item.id for item in tasks.list_user_tasks("u1")] == [task.id]
        threading.Timer(0.1, backend.complete, (task.id, "served")).start()
        with task.events() as stream:
            events = list(stream)
        assert [event.type.value for event in events] == [
            "connected", "task_created", "task_updated", "chunk", "task_finished"
        ]  # fmt: skip
        assert task.wait(timeout=5).result == "served"
        with pytest.raises(UnprocessableEntityError) as refused:
            tasks.create(AGENT, prompt="hi", extra_body={"think_mode": "hardest"})
        assert [item.field for item in refused.value.errors] == ["think_mode"]
        assert backend.requests[0].headers["host"].startswith("127.0.0.1:")


@pytest.mark.anyio
async def test_serve_over_loopback_async(http_transport: str) -> None:
    with FakeBackend() as backend, backend.serve() as url:
        async with Tasks(Configuration(backend.api_key, url, backend.organization_id)) as tasks:
            backend.complete_next("served", after=0.05)
            task = await tasks.acreate_and_wait(AGENT, prompt="hi", events_streaming=True, wait_timeout=10)
            assert task.result == "served"
            assert (await tasks.aget(task.id)).status == AgentExecutionStatus.Completed


def test_serve_disconnect_next_closes_without_an_answer() -> None:
    """Over a socket the request was sent before the connection closed: a get (safe) is retried."""
    with served() as (backend, tasks):
        task = tasks.create(AGENT, prompt="hi")
        backend.disconnect_next()
        assert tasks.get(task.id).id == task.id
        assert [request.operation for request in backend.requests] == ["create_task", "get_task", "get_task"]


def test_serve_respond_next_429() -> None:
    with served() as (backend, tasks):
        backend.respond_next(429, retry_after=0)
        task = tasks.create(AGENT, prompt="hi")
        assert [request.operation for request in backend.requests] == ["create_task", "create_task"]
        assert list(backend.tasks) == [task.id]


# -- 8. the pytest plugin -------------------------------------------------------------------------------------------
USER_TESTS = """
import os

from xpander_sdk import Tasks


def summarize(text):
    return Tasks().create_and_wait("agent-1", prompt=text, events_streaming=True, wait_timeout=10).result


def test_summary(xpander_backend):
    xpander_backend.complete_next("Sales grew 12%")
    assert summarize("Summarize the report") == "Sales grew 12%"
    assert xpander_backend.requests[0].json["input"]["text"] == "Summarize the report"
    assert os.environ["XPANDER_BASE_URL"] == xpander_backend.base_url


def test_the_environment_is_restored():
    assert "XPANDER_BASE_URL" not in os.environ
    assert "XPANDER_API_KEY" not in os.environ


def test_the_plugin_came_by_its_entry_point(pytestconfig):
    plugin = pytestconfig.pluginmanager.get_plugin("xpander_sdk")
    assert plugin.__name__ == "xpander_sdk.testing.pytest_plugin"
    distributions = [dist.project_name for loaded, dist in pytestconfig.pluginmanager.list_plugin_distinfo()
                     if loaded is plugin]
    assert distributions == ["xpander-tasks"]
"""


def test_the_fixture_is_loaded_by_the_entry_point(pytester: pytest.Pytester) -> None:
    """A user's test file that imports nothing from the plugin: pytest loads it by its `pytest11` entry point."""
    pytester.makepyfile(test_user_code=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


# -- faults of the fake found by these tests, fixed ------------------------------------------------------------------
def test_fault_a_key_with_a_colon_is_named_whole(tasks: Tasks) -> None:
    with pytest.raises(UnprocessableEntityError) as refused:
        tasks.create(AGENT, prompt="hi", extra_body={"user_tokens": {"a:b": 1}})
    assert [item.loc for item in refused.value.errors] == [("body", "user_tokens", "a:b")]


def test_fault_the_422_message_does_not_repeat_the_field(tasks: Tasks) -> None:
    with pytest.raises(UnprocessableEntityError) as refused:
        tasks.create(AGENT, prompt="hi", extra_body={"title": 5})
    assert not refused.value.errors[0].msg.startswith("title")


def test_fault_the_loc_of_a_list_item_is_an_integer(tasks: Tasks) -> None:
    with pytest.raises(UnprocessableEntityError) as refused:
        tasks.create(AGENT, prompt="hi", extra_body={"mcp_servers": [{"name": 5}]})
    assert refused.value.errors[0].loc == ("body", "mcp_servers", 0, "name")


def test_fault_an_agent_id_with_a_percent_sign_is_kept(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create("a%2Fb", prompt="hi")
    assert backend.tasks[task.id].agent_id == "a%2Fb"


def test_fault_emit_refuses_nan(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    with pytest.raises(InvalidArgumentError):
        backend.emit(task.id, "chunk", float("nan"))


def test_fault_a_module_level_tasks_made_without_a_key_reaches_the_fake() -> None:
    """install()'s docstring: 'also one made before, such as a module-level Tasks()'. Made at import time, in a
    test run without XPANDER_API_KEY, it has no key: the SDK refuses every call before sending anything."""
    before = Tasks()
    with FakeBackend() as backend, backend.install():
        before.create(AGENT, prompt="hi")
    assert len(backend.tasks) == 1


def test_fault_closing_a_client_on_the_transport_keeps_the_backend(backend: FakeBackend, tasks: Tasks) -> None:
    """`with httpx.Client(transport=backend.transport)` closes the transport on exit: the backend keeps serving
    (its streams and its pending `complete_next` timers)."""
    with httpx.Client(transport=backend.transport) as client:
        client.get(f"{backend.base_url}/agent-execution/x/status")
    backend.complete_next("late", after=0.05)
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    assert task.wait(timeout=0.5).result == "late"


def test_fault_serve_disconnect_next_is_a_dropped_connection_for_a_create() -> None:
    """Over a socket the request has been sent when the connection closes: a create's outcome is unknown, so it
    is not retried (in process, the transport refuses it before anything is sent: retried, see above)."""
    with served() as (backend, tasks):
        backend.disconnect_next()
        with pytest.raises(APIConnectionError) as dropped:
            tasks.create(AGENT, prompt="hi")
    assert dropped.value.outcome_unknown is True
    assert [request.operation for request in backend.requests] == ["create_task"]


def test_fault_respond_next_refuses_a_body_that_is_not_json(backend: FakeBackend) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        backend.respond_next(500, body=object())
    assert refused.value.parameter == "body"


def test_fault_emit_names_identity_when_it_is_refused(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi", events_streaming=True)
    with pytest.raises(InvalidArgumentError) as refused:
        backend.emit(task.id, "chunk", "x", identity=5)  # type: ignore[arg-type]
    assert refused.value.parameter == "identity"


def test_installed_it_takes_the_key_a_tasks_made_before_holds() -> None:
    before = Tasks(Configuration(api_key="a-key-read-at-import"))
    with FakeBackend() as backend, backend.install():
        assert before.create(AGENT, prompt="hi").agent_id == AGENT
    assert backend.requests[0].headers["x-api-key"] == "a-key-read-at-import"


def test_a_continued_task_streams_its_new_run_after_its_old_ids(backend: FakeBackend, tasks: Tasks) -> None:
    first = tasks.create(AGENT, prompt="hi", events_streaming=True)
    backend.complete(first.id, "one")
    again = tasks.create(AGENT, prompt="more", existing_task_id=first.id, events_streaming=True)
    assert again.id == first.id
    backend.complete(first.id, "two")
    with first.events() as stream:
        events = list(stream)
    assert [event.type.value for event in events][:2] == ["connected", "task_created"]
    assert events[-1].data.result == "two"
    assert int(events[0].event_id or 0) > 5  # the ids go on after the first run's


def test_the_kit_needs_nothing_beyond_the_runtime_dependencies() -> None:
    """Importing `xpander_sdk.testing` and running a create on it loads only the standard library and the SDK's
    own dependencies (httpx and what it brings, attrs, dateutil, httpx-sse): no pytest, jsonschema or yaml."""
    code = (
        "import sys\n"
        "from xpander_sdk.testing import FakeBackend\n"
        "with FakeBackend() as backend:\n"
        "    backend.client().create('agent-1', prompt='hi')\n"
        "roots = {name.partition('.')[0] for name in sys.modules} - set(sys.stdlib_module_names)\n"
        "print(' '.join(sorted(roots)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(done.stdout.split())
    runtime = {"xpander_sdk", "xpander_api", "httpx", "httpcore", "h11", "anyio", "sniffio", "idna", "certifi"}
    runtime |= {"attr", "attrs", "dateutil", "six", "httpx_sse", "typing_extensions", "_distutils_hack", "__main__"}
    assert loaded <= runtime, loaded - runtime
    assert "xpander_sdk" in loaded
