"""Unit tests of a task's event stream (`Task.events()` / `Task.aevents()`, `xpander_sdk._events`).

Most run on tests.mock_api.FakeAPI (httpx.MockTransport: the exact URL and headers requested, no network): the
events URL for every row of the reference table (xpander-lifecycle.md §5.1), the request, the parsing of the
envelope (the reference stream of §5.7, fixtures/events-stream-sample.txt, and each odd case), the argument
checks (refused at the call, before any request), the import paths of the official SDK, the contract of the
operation with openapi.yaml, and the exceptions of events and waits. Every stream is tried sync and async.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import math
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent

from tests import spec_tools
from tests.faultserver import STREAMING_TASK
from tests.mock_api import FakeAPI
from tests.test_contract_drift import (
    OPERATION_METHODS,
    TASK_OPERATIONS,
    WORKER_OPERATIONS,
    operation_at,
    spec_operations,
)
from xpander_sdk import (
    APIConnectionError,
    APITimeoutError,
    Configuration,
    EventStreamError,
    InvalidArgumentError,
    ModuleException,
    Task,
    TaskFailedError,
    Tasks,
    WaitTimeoutError,
)
from xpander_sdk._events import AsyncEventStream, EventStream, parse_event
from xpander_sdk.models.events import MessageIdentity, TaskUpdateEvent, TaskUpdateEventType

MODES = ("sync", "async")
ORG = "org-1"
TASK_ID = "task-1"
API_KEY = "test-key"
BASE = "https://api.test"
FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_BYTES = (FIXTURES / "events-stream-sample.txt").read_bytes()
SAMPLE: list[dict[str, Any]] = [
    json.loads(line.removeprefix("data: ")) for line in SAMPLE_BYTES.decode().splitlines() if line.startswith("data: ")
]
"""The 11 events of the reference stream (§5.7), with full Task payloads."""
SAMPLE_TYPES = (
    "connected:NoneType, task_created:Task, task_updated:Task, think:dict, tool_call_request:dict, "
    "tool_call_result:dict, plan_updated:dict, context_status:dict, chunk:str, chunk:str, task_finished:Task"
)
"""The types and data types the official SDK yields for the reference stream (§5.7)."""
TASK = STREAMING_TASK  # TASK_ID, ORG: its id and organization
OFFICIAL_EVENT_TYPES = (
    ("Connected", "connected"),
    ("TaskCreated", "task_created"),
    ("TaskUpdated", "task_updated"),
    ("TaskFinished", "task_finished"),
    ("Chunk", "chunk"),
    ("AuthEvent", "auth_event"),
    ("ToolCallRequest", "tool_call_request"),
    ("ToolCallResult", "tool_call_result"),
    ("SubAgentTrigger", "sub_agent_trigger"),
    ("Think", "think"),
    ("Analyze", "analyze"),
    ("PlanUpdated", "plan_updated"),
    ("TaskCompactization", "task_compactization"),
    ("ContextStatus", "context_status"),
    ("AgentGatewayDecision", "agent_gateway_decision"),
    ("ProcessStateChanged", "process_state_changed"),
    ("ProcessUpdate", "process_update"),
    ("GatewaySteerApplied", "gateway_steer_applied"),
    ("AskUserQuestions", "ask_user_questions"),
    ("SubTaskCreated", "sub_task_created"),
    ("SubTaskUpdated", "sub_task_updated"),
    ("SubTaskFinished", "sub_task_finished"),
    ("InviteMember", "invite_member"),
    ("MemberInvited", "member_invited"),
    ("AskForSecret", "ask_for_secret"),
    ("SecretSaved", "secret_saved"),
    ("LiveSurfaceCreated", "live_surface_created"),
    ("InlineCard", "inline_card"),
)
"""The official SDK's 28 `TaskUpdateEventType` members (xpander-lifecycle.md §5.3), in its order."""
Respond = Callable[[httpx.Request], httpx.Response]


# -- helpers ------------------------------------------------------------------------------------------------------
def sse(body: bytes | str, status: int = 200, content_type: str = "text/event-stream") -> Respond:
    """A fresh event-stream response for each request."""
    data = body.encode() if isinstance(body, str) else body
    return lambda request: httpx.Response(status, headers={"content-type": content_type}, content=data)


def frame(event: dict[str, Any], event_id: str | None = None) -> str:
    head = "" if event_id is None else f"id: {event_id}\n"
    return f"{head}data: {json.dumps(event)}\n\n"


def envelope(kind: str, data: Any = None) -> dict[str, Any]:
    return {"type": kind, "task_id": TASK_ID, "organization_id": ORG, "time": "2026-05-01T12:00:01Z", "data": data}


FINISHED = envelope("task_finished", {**TASK, "status": "completed", "result": "Hello!"})


def fake(*answers: Respond, base_url: str = BASE, organization_id: str | None = ORG) -> tuple[FakeAPI, Tasks]:
    api = FakeAPI(answers)
    configuration = Configuration(api_key=API_KEY, base_url=base_url, organization_id=organization_id)
    return api, api.tasks(configuration=configuration)


def streaming_task(tasks: Tasks, **fields: Any) -> Task:
    return Task.from_dict({**TASK, **fields}).bind(tasks)


def collect(mode: str, task: Task, **options: Any) -> tuple[list[TaskUpdateEvent], EventStream | AsyncEventStream]:
    """Every event of the task's stream (sync `events()` or async `aevents()`), and the stream (its counters)."""
    if mode == "sync":
        with task.events(**options) as stream:
            return list(stream), stream

    async def go() -> tuple[list[TaskUpdateEvent], AsyncEventStream]:
        async with task.aevents(**options) as astream:
            return [event async for event in astream], astream

    return asyncio.run(asyncio.wait_for(go(), 10))


def described(events: list[TaskUpdateEvent]) -> str:
    return ", ".join(f"{event.type.value}:{type(event.data).__name__}" for event in events)


def message(data: str, event_id: str = "") -> ServerSentEvent:
    return ServerSentEvent(data=data, id=event_id)


# -- the URL: every row of the reference table (§5.1) ---------------------------------------------------------------
URL_ROWS = [
    # (base URL, REST root, events root), organization_id "org-1"
    ("https://inbound.xpander.ai", "https://inbound.xpander.ai", "https://agent-controller.xpander.ai/org-1"),
    (
        "https://inbound.stg.xpander.ai",
        "https://inbound.stg.xpander.ai",
        "https://agent-controller.stg.xpander.ai/org-1",
    ),
    ("https://INBOUND.XPANDER.AI", "https://INBOUND.XPANDER.AI", "https://agent-controller.xpander.ai/org-1"),
    ("https://api.example.com", "https://api.example.com", "https://api.example.com/org-1"),
    ("https://api.example.com/xp", "https://api.example.com/xp", "https://api.example.com/xp/org-1"),
    ("http://127.0.0.1:18471/", "http://127.0.0.1:18471", "http://127.0.0.1:18471/org-1"),
    ("api.example.com", "https://api.example.com", "https://api.example.com/org-1"),
    (
        "https://agent-controller.xpander.ai",
        "https://agent-controller.xpander.ai/org-1",
        "https://agent-controller.xpander.ai/org-1",
    ),
    ("http://127.0.0.1:9016", "http://127.0.0.1:9016/org-1", "http://127.0.0.1:9016/org-1"),
    (
        "http://127.0.0.1:18471/agent-controller",
        "http://127.0.0.1:18471/agent-controller/org-1",
        "http://127.0.0.1:18471/agent-controller/org-1",
    ),
    (
        "https://agent-controller-acme.example.com",
        "https://agent-controller-acme.example.com/org-1",
        "https://agent-controller-acme.example.com/org-1",
    ),
    ("http://127.0.0.1:8085", "http://127.0.0.1:8085", "http://localhost:9016/org-1"),
    ("http://localhost:8085", "http://localhost:8085", "http://localhost:9016/org-1"),
    ("http://[::1]:8085", "http://[::1]:8085", "http://localhost:9016/org-1"),
    ("http://127.0.0.1:18471", "http://127.0.0.1:18471", "http://127.0.0.1:18471/org-1"),
]
URL_IDS = [row[0] for row in URL_ROWS]


@pytest.mark.parametrize(("base_url", "rest_root", "events_root"), URL_ROWS, ids=URL_IDS)
def test_events_root_url_follows_the_reference_table(base_url: str, rest_root: str, events_root: str) -> None:
    configuration = Configuration(api_key=API_KEY, base_url=base_url, organization_id=ORG)
    assert configuration.events_root_url == events_root
    assert configuration.root_url == rest_root
    assert "//org-1" not in configuration.events_root_url.removeprefix("http://").removeprefix("https://")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("base_url", "rest_root", "events_root"), URL_ROWS, ids=URL_IDS)
def test_the_stream_is_requested_at_the_events_url(mode: str, base_url: str, rest_root: str, events_root: str) -> None:
    api, tasks = fake(sse(frame(FINISHED)), base_url=base_url)
    events, _ = collect(mode, streaming_task(tasks))
    assert [event.type for event in events] == [TaskUpdateEventType.TaskFinished]
    (request,) = api.requests
    assert str(request.url) == f"{events_root}/agent-execution/{TASK_ID}/events"


@pytest.mark.parametrize(
    ("env", "events_root"),
    [
        ({}, "https://agent-controller.xpander.ai/org-1"),
        ({"IS_STG": "true"}, "https://agent-controller.stg.xpander.ai/org-1"),
        ({"XPANDER_BASE_URL": "http://127.0.0.1:8085"}, "http://localhost:9016/org-1"),
        ({"XPANDER_ORGANIZATION_ID": "org-env"}, "https://agent-controller.xpander.ai/org-env"),
    ],
)
def test_events_root_url_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], events_root: str
) -> None:
    """The default base (the cloud, or staging with IS_STG=true) and the environment's base and organization."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    organization = None if "XPANDER_ORGANIZATION_ID" in env else ORG
    assert Configuration(api_key=API_KEY, organization_id=organization).events_root_url == events_root


def test_the_organization_id_is_one_escaped_path_segment() -> None:
    configuration = Configuration(api_key=API_KEY, base_url="https://api.example.com", organization_id="a/b c")
    assert configuration.events_root_url == "https://api.example.com/a%2Fb%20c"


@pytest.mark.parametrize("base_url", ["https://inbound.xpander.ai", "http://127.0.0.1:18471", "http://127.0.0.1:9016"])
@pytest.mark.parametrize("organization_id", [None, ""])
def test_no_organization_id_is_refused_naming_it(base_url: str, organization_id: str | None) -> None:
    """The official SDK requests `/None/agent-execution/...`: here InvalidArgumentError naming organization_id."""
    configuration = Configuration(api_key=API_KEY, base_url=base_url, organization_id=organization_id)
    with pytest.raises(InvalidArgumentError) as caught:
        _ = configuration.events_root_url
    assert caught.value.parameter == "organization_id"
    assert "organization_id" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("method", ["events", "aevents"])
def test_no_organization_id_anywhere_raises_at_the_call_with_no_request(method: str) -> None:
    """Neither the configuration nor the task (an empty `organization_id`) gives one."""
    api, tasks = fake(sse(frame(FINISHED)), base_url="http://127.0.0.1:18471", organization_id=None)
    task = streaming_task(tasks, organization_id="")
    with pytest.raises(InvalidArgumentError) as caught:
        getattr(task, method)()  # the call itself, before any iteration
    assert caught.value.parameter == "organization_id"
    assert api.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_without_a_configured_organization_id_the_tasks_own_is_used(mode: str) -> None:
    """The quick start sets only the API key: events follow the task's own organization id (every task has one),
    on the cloud's events host as on any other."""
    api, tasks = fake(sse(frame(FINISHED, "1")), organization_id=None)
    events, _ = collect(mode, streaming_task(tasks, organization_id="org-of-the-task"))
    assert [event.type.value for event in events] == ["task_finished"]
    (request,) = api.requests
    assert request.url.raw_path == f"/org-of-the-task/agent-execution/{TASK_ID}/events".encode()


def test_the_tasks_own_organization_id_comes_before_the_configured_one() -> None:
    """The task's is the server's record of where it lives: a stale configured id would reach another
    organization's 404. The configured one serves a task that gives none."""
    configuration = Configuration(api_key=API_KEY, base_url="https://inbound.xpander.ai", organization_id=ORG)
    assert configuration.events_root_url_for("other") == "https://agent-controller.xpander.ai/other"
    assert configuration.events_root_url_for("") == f"https://agent-controller.xpander.ai/{ORG}"
    assert configuration.events_root_url_for(None) == configuration.events_root_url
    unset = Configuration(api_key=API_KEY, base_url="https://inbound.xpander.ai", organization_id=None)
    assert unset.events_root_url_for("other") == "https://agent-controller.xpander.ai/other"


# -- the request --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_the_request_is_a_bare_get_with_the_stream_headers(mode: str) -> None:
    api, tasks = fake(sse(frame(FINISHED, "1")))
    collect(mode, streaming_task(tasks))
    (request,) = api.requests
    assert request.method == "GET"
    assert request.url.raw_path == f"/{ORG}/agent-execution/{TASK_ID}/events".encode()
    assert request.url.query == b""
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["cache-control"] == "no-store"
    assert request.headers["x-api-key"] == API_KEY
    assert "last-event-id" not in request.headers
    assert request.content == b""
    assert "content-length" not in request.headers and "content-type" not in request.headers


@pytest.mark.parametrize("mode", MODES)
def test_last_event_id_is_sent_only_on_a_resume(mode: str) -> None:
    """A clean close before task_finished is a drop: the reconnect carries the last `id:` seen."""
    first = frame(SAMPLE[0], "1") + frame(SAMPLE[1], "2") + frame(SAMPLE[2], "3")
    api, tasks = fake(sse(first), sse(frame(FINISHED, "4")))
    events, stream = collect(mode, streaming_task(tasks))
    assert [event.event_id for event in events] == ["1", "2", "3", "4"]
    assert [request.headers.get("last-event-id") for request in api.requests] == [None, "3"]
    assert stream.reconnects == 1
    assert [request.url.raw_path for request in api.requests] == [api.requests[0].url.raw_path] * 2


@pytest.mark.parametrize("mode", MODES)
def test_no_last_event_id_when_the_server_sends_no_ids(mode: str) -> None:
    api, tasks = fake(sse(frame(SAMPLE[0])), sse(frame(SAMPLE[0]) + frame(FINISHED)))
    events, _ = collect(mode, streaming_task(tasks))
    assert [event.type.value for event in events] == ["connected", "task_finished"]  # the replay is not repeated
    assert [event.event_id for event in events] == [None, None]
    assert all("last-event-id" not in request.headers for request in api.requests)
    assert len(api.requests) == 2


# -- the envelope -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_the_reference_stream_yields_the_official_types(mode: str) -> None:
    api, tasks = fake(sse(SAMPLE_BYTES))
    events, stream = collect(mode, streaming_task(tasks))
    assert described(events) == SAMPLE_TYPES
    assert (stream.received, stream.skipped, stream.reconnects) == (11, 0, 0)
    assert len(api.requests) == 1
    for event, sent in zip(events, SAMPLE, strict=True):
        assert event.task_id == TASK_ID and event.organization_id == ORG
        assert event.time == datetime.datetime.fromisoformat(sent["time"])
        assert event.identity is None and event.event_id is None
        if isinstance(event.data, Task):
            assert event.data.id == TASK_ID
            assert event.data.configuration is tasks.configuration  # follows the Tasks of the stream
            assert event.data._requestor is tasks.requestor
        elif event.data is not None:
            assert event.data == sent["data"]
    finished = events[-1].data
    assert isinstance(finished, Task)
    assert (finished.status.value, finished.result) == ("completed", "Hello!")
    assert [event.data for event in events if event.type is TaskUpdateEventType.Chunk] == ["Hel", "lo!"]


def test_sample_types_literal_matches_the_reference() -> None:
    """The expected list above is §5.7's `connected:None, ...` with Python's name for None's type."""
    official = (
        "connected:None, task_created:Task, task_updated:Task, think:dict, tool_call_request:dict, "
        "tool_call_result:dict, plan_updated:dict, context_status:dict, chunk:str, chunk:str, task_finished:Task"
    )
    assert official.replace("connected:None", "connected:NoneType") == SAMPLE_TYPES
    assert [event["type"] for event in SAMPLE] == [item.split(":")[0] for item in official.split(", ")]


def test_unknown_type_is_kept_with_its_raw_value() -> None:
    event = parse_event(message(json.dumps(envelope("brand_new_event", {"n": 1}))), Task.from_dict)
    assert event is not None
    assert event.type.value == "brand_new_event"
    assert isinstance(event.type, TaskUpdateEventType)
    assert event.type not in list(TaskUpdateEventType)
    assert "brand_new_event" not in TaskUpdateEventType.__members__
    assert event.type == "brand_new_event"
    assert event.data == {"n": 1}


def test_an_unknown_task_prefixed_type_keeps_raw_data() -> None:
    event = parse_event(message(json.dumps(envelope("task_paused_v2", dict(TASK)))), Task.from_dict)
    assert event is not None and event.type.value == "task_paused_v2"
    assert event.data == TASK


@pytest.mark.parametrize(
    "data",
    [
        {key: value for key, value in TASK.items() if key != "created_at"},  # a required key missing
        {key: value for key, value in TASK.items() if key != "id"},
        {**TASK, "created_at": "not a date"},
        {**TASK, "input": "text, not an object"},
    ],
    ids=["no-created_at", "no-id", "bad-created_at", "input-a-string"],
)
def test_task_finished_with_invalid_task_data_keeps_the_raw_dict(data: dict[str, Any]) -> None:
    event = parse_event(message(json.dumps(envelope("task_finished", data))), Task.from_dict)
    assert event is not None and event.type is TaskUpdateEventType.TaskFinished
    assert event.data == data
    assert isinstance(event.data, dict)


@pytest.mark.parametrize("data", ["done", None, 3, [TASK]])
def test_task_finished_whose_data_is_not_an_object_keeps_it(data: Any) -> None:
    event = parse_event(message(json.dumps(envelope("task_finished", data))), Task.from_dict)
    assert event is not None and event.type is TaskUpdateEventType.TaskFinished
    assert event.data == data


def test_task_compactization_data_is_raw() -> None:
    """As in the official SDK, only task_created/updated/finished carry a Task (a valid Task dict stays a dict)."""
    event = parse_event(message(json.dumps(envelope("task_compactization", dict(TASK)))), Task.from_dict)
    assert event is not None and event.type is TaskUpdateEventType.TaskCompactization
    assert event.data == TASK and isinstance(event.data, dict)


@pytest.mark.parametrize("kind", ["sub_task_created", "sub_task_updated", "sub_task_finished"])
def test_sub_task_events_keep_raw_data(kind: str) -> None:
    event = parse_event(message(json.dumps(envelope(kind, dict(TASK)))), Task.from_dict)
    assert event is not None and isinstance(event.data, dict)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (1777636801, datetime.datetime(2026, 5, 1, 12, 0, 1, tzinfo=datetime.UTC)),
        (1777636801.5, datetime.datetime(2026, 5, 1, 12, 0, 1, 500000, tzinfo=datetime.UTC)),
        (1777636801000, datetime.datetime(2026, 5, 1, 12, 0, 1, tzinfo=datetime.UTC)),  # milliseconds
        ("2026-05-01T12:00:01Z", datetime.datetime(2026, 5, 1, 12, 0, 1, tzinfo=datetime.UTC)),
        ("2026-05-01T12:00:01", datetime.datetime(2026, 5, 1, 12, 0, 1)),
        ("not a time", None),
        (None, None),
    ],
)
def test_time_iso_or_epoch(sent: Any, expected: datetime.datetime | None) -> None:
    event = parse_event(message(json.dumps({**envelope("chunk", "x"), "time": sent})), Task.from_dict)
    assert event is not None and event.time == expected


def test_missing_time_is_none() -> None:
    sent = envelope("chunk", "x")
    del sent["time"]
    event = parse_event(message(json.dumps(sent)), Task.from_dict)
    assert event is not None and event.time is None


def test_identity_is_parsed() -> None:
    event = parse_event(
        message(json.dumps({**envelope("chunk", "x"), "identity": {"name": "Agent", "icon": "🤖"}})), Task.from_dict
    )
    assert event is not None and event.identity == MessageIdentity("Agent", "🤖")
    event = parse_event(message(json.dumps({**envelope("chunk", "x"), "identity": {"name": "Agent"}})), Task.from_dict)
    assert event is not None and event.identity == MessageIdentity("Agent", None)
    event = parse_event(message(json.dumps({**envelope("chunk", "x"), "identity": {"icon": "x"}})), Task.from_dict)
    assert event is not None and event.identity is None


def test_missing_data_is_none_and_extra_keys_are_ignored() -> None:
    sent = envelope("chunk")
    del sent["data"]
    sent["brand_new_key"] = {"nested": True}
    event = parse_event(message(json.dumps(sent), "7"), Task.from_dict)
    assert event is not None
    assert event.data is None
    assert event.event_id == "7"
    assert not hasattr(event, "brand_new_key")
    assert event == TaskUpdateEvent(TaskUpdateEventType.Chunk, TASK_ID, ORG, event.time, None, None, "7")


@pytest.mark.parametrize("data", ["{not json", "[1, 2]", '"str"', "null", "3", '{"type": 3}', '{"no": "type"}'])
def test_data_that_is_not_an_event_is_none(data: str) -> None:
    assert parse_event(message(data), Task.from_dict) is None


@pytest.mark.parametrize("mode", MODES)
def test_two_data_lines_with_crlf_are_joined(mode: str) -> None:
    text = json.dumps({**FINISHED, "extra_envelope_key": 1})
    middle = text.index('"task_id"')
    body = f"id: 9\r\ndata: {text[:middle]}\r\ndata: {text[middle:]}\r\n\r\n"
    _, tasks = fake(sse(body))
    events, stream = collect(mode, streaming_task(tasks))
    assert [event.type for event in events] == [TaskUpdateEventType.TaskFinished]
    assert isinstance(events[0].data, Task) and events[0].data.result == "Hello!"
    assert events[0].event_id == "9"
    assert stream.skipped == 0


@pytest.mark.parametrize("mode", MODES)
def test_heartbeats_are_skipped_silently(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    body = ": ping\n\n:\n\nevent: heartbeat\n\nevent: heartbeat\ndata:\n\nretry: 5000\n\n" + frame(FINISHED)
    _, tasks = fake(sse(body))
    with caplog.at_level(logging.DEBUG, logger="xpander_sdk"):
        events, stream = collect(mode, streaming_task(tasks))
    assert [event.type for event in events] == [TaskUpdateEventType.TaskFinished]
    assert (stream.received, stream.skipped) == (1, 0)
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("mode", MODES)
def test_non_event_data_is_skipped_counted_and_warned(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    bad = ["{not json", "[1, 2]", '"str"', "ping", "null"]
    body = "".join(f"data: {data}\n\n" for data in bad) + frame(SAMPLE[8]) + frame(FINISHED)
    _, tasks = fake(sse(body))
    with caplog.at_level(logging.WARNING, logger="xpander_sdk"):
        events, stream = collect(mode, streaming_task(tasks))
    assert [event.type.value for event in events] == ["chunk", "task_finished"]
    assert (stream.received, stream.skipped, stream.reconnects) == (2, len(bad), 0)
    warnings = [
        record for record in caplog.records if record.name == "xpander_sdk" and record.levelno == logging.WARNING
    ]
    assert len(warnings) == len(bad)
    assert all(TASK_ID in record.getMessage() for record in warnings)


@pytest.mark.parametrize("mode", MODES)
def test_the_stream_ends_after_task_finished_even_if_the_server_goes_on(mode: str) -> None:
    body = frame(FINISHED) + frame(envelope("chunk", "after the end"))
    api, tasks = fake(sse(body))
    events, _ = collect(mode, streaming_task(tasks))
    assert [event.type.value for event in events] == ["task_finished"]
    assert len(api.requests) == 1


SECRET_TASK = {
    **TASK,
    "status": "completed",
    "user_oidc_token": "SECRET-OIDC-TOKEN",
    "user_tokens": {"github": "SECRET-USER-TOKEN"},
    "mcp_servers": [{"type": "remote", "url": "https://mcp.example.com", "api_key": "SECRET-MCP-KEY"}],
}
SECRETS = ("SECRET-OIDC-TOKEN", "SECRET-USER-TOKEN", "SECRET-MCP-KEY")


@pytest.mark.parametrize(
    "data",
    [
        SECRET_TASK,  # a Task
        {key: value for key, value in SECRET_TASK.items() if key != "created_at"},  # a raw dict (not a Task)
        [SECRET_TASK],  # a raw array
        "x" * 500,  # a long text, cut
    ],
    ids=["task", "raw-dict", "raw-array", "long-text"],
)
@pytest.mark.parametrize("kind", ["task_finished", "task_compactization", "brand_new_event"])
def test_repr_and_str_never_fail_and_never_show_secrets(kind: str, data: Any) -> None:
    event = parse_event(message(json.dumps(envelope(kind, data))), Task.from_dict)
    assert event is not None
    shown = [repr(event), str(event)]
    if isinstance(event.data, Task):
        shown += [repr(event.data), str(event.data)]
    for text in shown:
        assert not any(secret in text for secret in SECRETS), text
    assert repr(event) == str(event)
    assert repr(event).startswith(f"TaskUpdateEvent(type={kind!r}")
    assert len(repr(event)) < 400


def test_repr_of_a_task_event_shows_the_task_and_not_its_secrets() -> None:
    event = parse_event(message(json.dumps(envelope("task_finished", SECRET_TASK))), Task.from_dict)
    assert event is not None and isinstance(event.data, Task)
    assert event.data.user_oidc_token == "SECRET-OIDC-TOKEN"  # parsed, but kept out of every repr
    for text in (repr(event), str(event), repr(event.data), str(event.data)):
        assert not any(secret in text for secret in SECRETS), text
    assert "task_finished" in repr(event) and TASK_ID in repr(event)


def test_repr_of_odd_events_never_fails() -> None:
    odd = [
        TaskUpdateEvent(TaskUpdateEventType.Chunk, "", "", None, None),
        TaskUpdateEvent(TaskUpdateEventType.Chunk, TASK_ID, ORG, None, b"bytes"),
        TaskUpdateEvent(TaskUpdateEventType.Chunk, TASK_ID, ORG, None, object()),
        TaskUpdateEvent(TaskUpdateEventType.Chunk, TASK_ID, ORG, None, math.nan, MessageIdentity("n")),
    ]
    pseudo = parse_event(
        message(json.dumps({**envelope("x" * 1000, {}), "time": None, "task_id": None})), Task.from_dict
    )
    assert pseudo is not None
    for event in [*odd, pseudo]:
        assert repr(event) == str(event)


# -- the event types ------------------------------------------------------------------------------------------------
def test_event_type_has_the_28_official_members() -> None:
    assert [(member.name, member.value) for member in TaskUpdateEventType] == list(OFFICIAL_EVENT_TYPES)


def test_event_type_members_are_the_spec_enum() -> None:
    spec_enum = spec_tools.schema("TaskUpdateEventType")
    assert spec_enum["enum"] == [value for _, value in OFFICIAL_EVENT_TYPES]
    assert spec_enum["x-enum-varnames"] == [name for name, _ in OFFICIAL_EVENT_TYPES]


@pytest.mark.parametrize("value", ["brand_new_event", "task_finished", "Connected"])
def test_event_type_pickles_round_trip(value: str) -> None:
    event_type = parse_event(message(json.dumps(envelope(value))), Task.from_dict)
    assert event_type is not None
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        copied = pickle.loads(pickle.dumps(event_type.type, protocol))
        assert copied == event_type.type and copied.value == value
        assert type(copied) is TaskUpdateEventType
        if value in TaskUpdateEventType._value2member_map_:
            assert copied is event_type.type


def test_events_pickle_round_trip() -> None:
    events = [parse_event(message(json.dumps(sent), str(number)), Task.from_dict) for number, sent in enumerate(SAMPLE)]
    events.append(
        parse_event(
            message(json.dumps({**envelope("brand_new_event", [1]), "identity": {"name": "n"}})), Task.from_dict
        )
    )
    for event in events:
        assert event is not None
        copied = pickle.loads(pickle.dumps(event))
        assert copied == event


# -- the import paths of the official SDK ---------------------------------------------------------------------------
def test_official_import_paths() -> None:
    from xpander_sdk import TaskUpdateEvent as Top
    from xpander_sdk import TaskUpdateEventType as TopType
    from xpander_sdk.models.events import TaskUpdateEvent as Official
    from xpander_sdk.models.events import TaskUpdateEventType as OfficialType
    from xpander_sdk.modules.tasks.sub_modules.task import TaskUpdateEvent as FromTask

    assert Top is Official is FromTask is TaskUpdateEvent
    assert TopType is OfficialType is TaskUpdateEventType


# -- argument checks --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["events", "aevents"])
@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("read_timeout", 0),
        ("read_timeout", -1),
        ("read_timeout", math.nan),
        ("read_timeout", math.inf),
        ("read_timeout", "5"),
        ("read_timeout", True),
        ("max_reconnects", -1),
        ("max_reconnects", 1.5),
        ("max_reconnects", True),
        ("max_reconnects", "2"),
    ],
)
def test_bad_stream_options_are_refused_at_the_call(method: str, parameter: str, value: Any) -> None:
    api, tasks = fake(sse(frame(FINISHED)))
    with pytest.raises(InvalidArgumentError) as caught:
        getattr(streaming_task(tasks), method)(**{parameter: value})
    assert caught.value.parameter == parameter
    assert parameter in str(caught.value)
    assert api.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_good_stream_options_are_taken(mode: str) -> None:
    _, tasks = fake(sse(frame(FINISHED)))
    for options in ({"read_timeout": 0.5, "max_reconnects": 0}, {"read_timeout": 3, "max_reconnects": 10}, {}):
        events, _ = collect(mode, streaming_task(tasks), **options)
        assert len(events) == 1


@pytest.mark.parametrize("method", ["events", "aevents"])
@pytest.mark.parametrize("events_streaming", [False, None])
def test_a_task_without_events_streaming_is_refused_at_the_call(method: str, events_streaming: bool | None) -> None:
    api, tasks = fake(sse(frame(FINISHED)))
    task = streaming_task(tasks)
    task.events_streaming = events_streaming  # type: ignore[assignment]
    with pytest.raises(InvalidArgumentError) as caught:
        getattr(task, method)()
    assert isinstance(caught.value, ValueError)
    assert caught.value.parameter == "events_streaming"
    assert "events_streaming=True" in str(caught.value)
    assert api.requests == []


def test_a_task_created_without_events_streaming_parses_false() -> None:
    _, tasks = fake(sse(frame(FINISHED)))
    task = Task.from_dict({key: value for key, value in TASK.items() if key != "events_streaming"}).bind(tasks)
    with pytest.raises(InvalidArgumentError):
        task.events()


# -- the contract with openapi.yaml -----------------------------------------------------------------------------------
def sent_by_task_methods() -> dict[str, tuple[str, str]]:
    """What each Task method of TASK_OPERATIONS sends: method name -> (HTTP method, raw path minus the events
    root's path)."""
    api, tasks = fake(sse(frame(FINISHED)), base_url="https://api.example.com/xp")
    root_path = httpx.URL(tasks.configuration.events_root_url).raw_path.decode()
    sent: dict[str, tuple[str, str]] = {}
    for async_name, sync_name in TASK_OPERATIONS.values():
        for name in (sync_name, async_name):
            collect("sync" if name == sync_name else "async", streaming_task(tasks))
            request = api.requests[-1]
            raw_path = request.url.raw_path.decode().partition("?")[0]
            assert raw_path.startswith(f"{root_path}/")
            sent[name] = (request.method, raw_path.removeprefix(root_path))
    return sent


def test_task_operations_are_operations_of_the_spec_and_not_tasks_methods() -> None:
    operations = spec_operations(spec_tools.load_spec())
    assert set(TASK_OPERATIONS) <= set(operations)
    assert not set(TASK_OPERATIONS) & set(OPERATION_METHODS)
    assert set(operations) == set(TASK_OPERATIONS) | set(OPERATION_METHODS) | WORKER_OPERATIONS


def test_task_methods_send_their_operation() -> None:
    spec = spec_tools.load_spec()
    sent = sent_by_task_methods()
    for operation_id, names in TASK_OPERATIONS.items():
        for name in names:
            method, path = sent[name]
            assert operation_at(spec, method, path) == operation_id, f"Task.{name} sends {method} {path}"
    assert sent["events"] == sent["aevents"] == ("GET", f"/agent-execution/{TASK_ID}/events")


def test_events_drift_would_be_caught() -> None:
    """The check itself: the spec's route renamed, or its method changed, no longer matches what is sent."""
    sent = sent_by_task_methods()
    for change in ("path", "method"):
        spec = json.loads(json.dumps(spec_tools.load_spec()))
        item = spec["paths"].pop("/agent-execution/{task_id}/events")
        if change == "path":
            spec["paths"]["/agent-execution/{task_id}/event-stream"] = item
        else:
            spec["paths"]["/agent-execution/{task_id}/events"] = {"post": item["get"]}
        method, path = sent["events"]
        assert operation_at(spec, method, path) != "get_task_events"


def test_the_spec_describes_the_stream_the_sdk_reads() -> None:
    spec = spec_tools.load_spec()
    operation = spec["paths"]["/agent-execution/{task_id}/events"]["get"]
    parameters = [spec_tools.resolve(parameter, spec) for parameter in operation["parameters"]]
    assert {(parameter["name"].lower(), parameter["in"]) for parameter in parameters} == {
        ("task_id", "path"),
        ("last-event-id", "header"),
    }
    content = operation["responses"]["200"]["content"]
    assert list(content) == ["text/event-stream"]
    assert content["text/event-stream"]["schema"]["x-sse-data"] == {"$ref": "#/components/schemas/TaskUpdateEvent"}
    properties = spec_tools.properties("TaskUpdateEvent")
    assert set(properties) == {"type", "task_id", "organization_id", "time", "data", "identity"}
    cloud = operation["servers"][0]["url"].replace("{organization_id}", ORG)
    assert Configuration(api_key=API_KEY, organization_id=ORG).events_root_url == cloud


def test_the_reference_stream_is_valid_against_the_spec() -> None:
    check = spec_tools.validator("TaskUpdateEvent")
    for sent in SAMPLE:
        assert spec_tools.violations(check, sent) == []
        event = parse_event(message(json.dumps(sent)), Task.from_dict)
        assert event is not None and event.type.value == sent["type"]


# -- exceptions -----------------------------------------------------------------------------------------------------
def test_the_new_exceptions_follow_the_hierarchy() -> None:
    assert issubclass(WaitTimeoutError, APITimeoutError)
    assert issubclass(WaitTimeoutError, APIConnectionError)
    assert issubclass(EventStreamError, APIConnectionError)
    assert not issubclass(EventStreamError, APITimeoutError)
    assert issubclass(TaskFailedError, ModuleException)
    assert not issubclass(TaskFailedError, APIConnectionError)
    for cls in (WaitTimeoutError, EventStreamError, TaskFailedError):
        assert issubclass(cls, ModuleException) and issubclass(cls, Exception)
        assert not issubclass(cls, ValueError)


def _task(**fields: Any) -> Task:
    return Task.from_dict({**TASK, **fields})


@pytest.mark.parametrize(
    "error",
    [
        WaitTimeoutError("Task task-1 did not finish within 0.5 s", task=_task(status="pending")),
        WaitTimeoutError("The create did not answer within 0.5 s"),
        EventStreamError("gave up after 5 reconnects, having received 3 events", events_received=3, reconnects=5),
        TaskFailedError("Task task-1 finished with status failed: boom", _task(status="failed", result="boom")),
    ],
    ids=["wait-timeout-task", "wait-timeout-none", "event-stream", "task-failed"],
)
def test_the_new_exceptions_pickle_with_their_attributes(error: ModuleException) -> None:
    copied = pickle.loads(pickle.dumps(error))
    assert type(copied) is type(error)
    assert str(copied) == str(error) and repr(copied) == repr(error)
    assert copied.status_code == error.status_code == 0
    assert copied.description == error.description
    for name in ("task", "events_received", "reconnects", "request_sent"):
        if hasattr(error, name):
            assert getattr(copied, name) == getattr(error, name), name


def test_the_new_exceptions_attributes() -> None:
    task = _task(status="pending")
    wait_error = WaitTimeoutError("late", task=task)
    assert (wait_error.task, wait_error.request_sent, wait_error.status_code) == (task, True, 0)
    assert WaitTimeoutError("late").task is None
    stream_error = EventStreamError("dropped", events_received=2, reconnects=6)
    assert (stream_error.events_received, stream_error.reconnects, stream_error.request_sent) == (2, 6, True)
    failed = TaskFailedError("failed", _task(status="failed"))
    assert failed.task.status.value == "failed" and failed.status_code == 0


def test_a_bound_task_in_an_exception_pickles_without_its_pool() -> None:
    _, tasks = fake(sse(frame(FINISHED)))
    error = WaitTimeoutError("late", task=streaming_task(tasks))
    copied = pickle.loads(pickle.dumps(error))
    assert copied.task == error.task
    assert copied.task.configuration is None
