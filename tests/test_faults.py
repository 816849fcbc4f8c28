"""Fault injection: every way a server (or the network) can misbehave, on real sockets, sync and async.

Each fault is played by `tests.faultserver.FaultServer` on 127.0.0.1; each test asserts the result or the
exception class, its status and description, how many requests the server saw (retries), and an upper bound on
the time (against hangs, not a performance claim). The table of outcomes is printed when the module ends.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from attrs import field, frozen

from tests.conftest import MODES
from tests.fault_table import Row, print_table
from tests.faultserver import (
    API_KEY,
    FASTAPI_422,
    FULL_TASK,
    MINIMAL_TASK,
    Action,
    Close,
    FaultServer,
    Hang,
    Raw,
    Repeat,
    Reply,
    Reset,
    Trickle,
    call,
    closed_port,
    json_bytes,
    ok,
    run_call,
    running,
    saturated_listener,
    tasks_for,
)
from xpander_sdk import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Task,
    Tasks,
    UnprocessableEntityError,
)

Result = Task | ModuleException


# -- the table printed at the end --------------------------------------------------------------------------------
ROWS: list[Row] = []


@pytest.fixture(scope="module", autouse=True)
def fault_table(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the outcome of every fault when the module is done."""
    yield
    print_table(request, ROWS, "fault runs")


def outcome(result: Result) -> str:
    if isinstance(result, ModuleException):
        return f"{type(result).__name__} [{result.status_code}]"
    return f"Task {result.id[:20]}"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


# -- the table of faults -----------------------------------------------------------------------------------------
def _task_is(expected: dict[str, Any]) -> Callable[[Result], None]:
    def check(result: Result) -> None:
        assert isinstance(result, Task)
        assert (result.id, result.agent_id, result.organization_id) == (
            expected["id"],
            expected["agent_id"],
            expected["organization_id"],
        )

    return check


def _full_task(result: Result) -> None:
    _task_is(FULL_TASK)(result)
    assert isinstance(result, Task)
    assert result.status.value == "pending"
    assert result.input.user is not None and result.input.user.email == "ada@example.com"
    assert result.mcp_servers[0].url == "https://mcp.example.com/mcp"
    assert result.extra == {}


UNKNOWN_KEYS = {**MINIMAL_TASK, "brand_new_field": {"nested": [1, 2]}, "another": None}
UNKNOWN_ENUMS = {
    **MINIMAL_TASK,
    "input": {
        "text": "x",
        "attachments": [{"url": "https://example.com/a", "kind": "hologram"}],
        "principal": {"kind": "robot", "id": "r1"},
    },
    "status": "thinking",
    "output_format": "pdf",
    "think_mode": "hardest",
    "llm_reasoning_effort": "max",
    "mcp_servers": [{"type": "hybrid", "transport": "websocket", "auth_type": "mtls", "sso_token": "refresh"}],
}
FIVE_MB = 5 * 1024 * 1024


def _unknown_keys(result: Result) -> None:
    _task_is(MINIMAL_TASK)(result)
    assert isinstance(result, Task)
    assert result.extra == {"brand_new_field": {"nested": [1, 2]}, "another": None}


def _unknown_enums(result: Result) -> None:
    assert isinstance(result, Task)
    server = result.mcp_servers[0]
    attachment = result.input.attachments[0]
    principal = result.input.principal
    assert principal is not None and attachment.kind is not None
    assert result.output_format is not None and result.llm_reasoning_effort is not None
    assert [
        result.status.value,
        result.output_format.value,
        result.think_mode.value,
        result.llm_reasoning_effort.value,
        server.type.value,
        server.transport.value if server.transport else None,
        server.auth_type.value,
        server.sso_token.value,
        attachment.kind.value,
        principal.kind.value,
    ] == ["thinking", "pdf", "hardest", "max", "hybrid", "websocket", "mtls", "refresh", "hologram", "robot"]
    assert not result.status.is_terminal


def _five_mb(result: Result) -> None:
    assert isinstance(result, Task)
    assert result.result is not None and len(result.result) == FIVE_MB
    assert result.result == "r" * FIVE_MB


def _field_errors(result: Result) -> None:
    assert isinstance(result, UnprocessableEntityError)
    assert [(error.field, error.type) for error in result.errors] == [
        ("tool_call_limit", "greater_than_equal"),
        ("input.user.email", "missing"),
    ]
    assert result.body == FASTAPI_422


def _retry_after(low: float, high: float) -> Callable[[Result], None]:
    def check(result: Result) -> None:
        assert isinstance(result, RateLimitError)
        assert result.retry_after is not None and low <= result.retry_after <= high

    return check


def _within(seconds: float) -> Callable[[Result], None]:
    def check(result: Result) -> None:
        assert isinstance(result, APITimeoutError)
        assert f"within {seconds} s (" in result.description

    return check


def _body_is(text: str) -> Callable[[Result], None]:
    def check(result: Result) -> None:
        assert isinstance(result, ModuleException)
        assert result.body == text

    return check


def _request_id(request_id: str) -> Callable[[Result], None]:
    def check(result: Result) -> None:
        assert isinstance(result, ModuleException)
        assert result.request_id == request_id

    return check


PAST = email.utils.formatdate(time.time() - 120, usegmt=True)
IN_AN_HOUR = email.utils.formatdate(time.time() + 3600, usegmt=True)
SLOW_DOWN = json_bytes({"detail": "slow down"})


@frozen
class Case:
    """One fault: what the server does, and what the call must end in."""

    fault: str
    actions: tuple[Action, ...] = ()
    expect: type[ModuleException] | None = None
    """None: a Task."""
    status: int = 0
    text: str = ""
    """Must be in the exception's description."""
    requests: int = 1
    options: dict[str, Any] = field(factory=dict)
    outcome_unknown: bool | None = None
    min_seconds: float = 0.0
    max_seconds: float = 5.0
    check: Callable[[Result], None] | None = None


CASES = [
    # successes
    Case("ok-200-full", check=_full_task),
    Case("ok-201-full", check=_full_task),
    Case("ok-201-minimal", check=_task_is(MINIMAL_TASK)),
    Case("ok-unknown-keys", (ok(201, UNKNOWN_KEYS),), check=_unknown_keys),
    Case("ok-unknown-enums", (ok(201, UNKNOWN_ENUMS),), check=_unknown_enums),
    Case("ok-5mb-result", (ok(201, {**MINIMAL_TASK, "result": "r" * FIVE_MB}),), check=_five_mb),
    Case(
        "ok-gzip",
        (Reply(201, gzip.compress(json_bytes(MINIMAL_TASK)), headers=(("content-encoding", "gzip"),)),),
        check=_task_is(MINIMAL_TASK),
    ),
    Case(
        "ok-after-100-continue",
        (Raw(b"HTTP/1.1 100 Continue\r\n\r\n" + ok().head() + ok().body, close=False),),
        check=_task_is(MINIMAL_TASK),
    ),
    # error statuses, never retried
    Case("status-400", expect=BadRequestError, status=400, text="Invalid output_schema"),
    Case("status-401", expect=AuthenticationError, status=401, text="Unauthorized"),
    Case("status-403", expect=PermissionDeniedError, status=403, text="Forbidden"),
    Case(
        "status-404-request-id",
        (Reply(404, json_bytes({"detail": "Agent not found"}), headers=(("x-request-id", "req-404"),)),),
        expect=NotFoundError,
        status=404,
        text="Agent not found",
        check=_request_id("req-404"),
    ),
    Case("status-409", expect=ConflictError, status=409, text="Task is already running"),
    Case(
        "status-422",
        expect=UnprocessableEntityError,
        status=422,
        text="tool_call_limit: Input should be >= 0; input.user.email: Field required",
        check=_field_errors,
    ),
    Case("status-418", expect=APIStatusError, status=418, text="I'm a teapot", outcome_unknown=False),
    # 429 and 503: retried (the server did not act), honouring Retry-After
    Case(
        "status-429-retry-after-0",
        (Reply(429, SLOW_DOWN, headers=(("retry-after", "0"),)),),
        expect=RateLimitError,
        status=429,
        text="slow down",
        requests=3,
        outcome_unknown=False,
        check=_retry_after(0, 0),
    ),
    Case(
        "status-429-retry-after-past-date",
        (Reply(429, SLOW_DOWN, headers=(("retry-after", PAST),)),),
        expect=RateLimitError,
        status=429,
        requests=3,
        check=_retry_after(0, 0),
    ),
    Case(
        "status-429-retry-after-1-then-201",
        (Reply(429, SLOW_DOWN, headers=(("retry-after", "1"),)), ok()),
        requests=2,
        min_seconds=0.95,
        check=_task_is(MINIMAL_TASK),
    ),
    Case(
        "status-429-retry-after-120",
        (Reply(429, SLOW_DOWN, headers=(("retry-after", "120"),)),),
        expect=RateLimitError,
        status=429,
        requests=1,
        max_seconds=2.0,
        check=_retry_after(120, 120),
    ),
    Case(
        "status-429-retry-after-date-in-1h",
        (Reply(429, SLOW_DOWN, headers=(("retry-after", IN_AN_HOUR),)),),
        expect=RateLimitError,
        status=429,
        requests=1,
        max_seconds=2.0,
        check=_retry_after(61, 3600),  # the date was made at import time
    ),
    Case(
        "status-503-retry-after-120",
        (Reply(503, json_bytes({"detail": "maintenance"}), headers=(("retry-after", "120"),)),),
        expect=InternalServerError,
        status=503,
        text="maintenance",
        requests=1,
        outcome_unknown=False,
        max_seconds=2.0,
    ),
    Case("status-503-then-200", (Reply(503, headers=(("retry-after", "0"),)), ok(200, FULL_TASK)), requests=2),
    Case("status-503", expect=InternalServerError, status=503, text="unavailable", requests=3, outcome_unknown=False),
    # other 5xx: the server may have created the task, so no retry unless retry_unsafe=True
    Case("status-500", expect=InternalServerError, status=500, text="boom", outcome_unknown=True),
    Case(
        "status-500-retry-unsafe",
        (Reply(500, json_bytes({"detail": "boom"})),),
        expect=InternalServerError,
        status=500,
        text="boom",
        requests=3,
        options={"retry_unsafe": True},
        outcome_unknown=True,
    ),
    Case(
        "status-502-html",
        expect=InternalServerError,
        status=502,
        text="<h1>502 Bad Gateway</h1>",
        outcome_unknown=True,
    ),
    Case("status-504", expect=InternalServerError, status=504, text="gateway timeout", outcome_unknown=True),
    Case(
        "status-520-text",
        expect=InternalServerError,
        status=520,
        text="origin error: web server returned an unknown error",
        outcome_unknown=True,
        check=_body_is("origin error: web server returned an unknown error"),
    ),
    # 2xx the SDK cannot read: InvalidResponseError with the real status, outcome unknown
    Case("empty-204", expect=InvalidResponseError, status=204, text="the body is empty", outcome_unknown=True),
    Case(
        "text-200",
        expect=InvalidResponseError,
        status=200,
        text="the body is not JSON",
        outcome_unknown=True,
        check=_body_is("OK"),
    ),
    Case("truncated-200", expect=InvalidResponseError, status=200, text="the body is not JSON", outcome_unknown=True),
    Case(
        "missing-key-200",
        expect=InvalidResponseError,
        status=200,
        text="the required key 'created_at' is missing",
        outcome_unknown=True,
    ),
    Case(
        "array-200",
        expect=InvalidResponseError,
        status=200,
        text="expected a JSON object, got a JSON list",
        outcome_unknown=True,
    ),
    # the connection breaks after the request was sent: outcome unknown, no retry unless retry_unsafe=True
    Case(
        "reset",
        expect=APIConnectionError,
        text="was closed or reset (",
        outcome_unknown=True,
    ),
    Case(
        "reset-retry-unsafe",
        (Reset(),),
        expect=APIConnectionError,
        text="was closed or reset (",
        requests=3,
        options={"retry_unsafe": True},
        outcome_unknown=True,
    ),
    Case(
        "close", expect=APIConnectionError, text="Server disconnected without sending a response", outcome_unknown=True
    ),
    Case("reset-mid-body", expect=APIConnectionError, text="was closed or reset (", outcome_unknown=True),
    Case(
        "eof-mid-body",
        expect=APIConnectionError,
        text="peer closed connection without sending complete message body",
        outcome_unknown=True,
    ),
    Case(
        "not-http",
        (Raw(b"SSH-2.0-OpenSSH_9.6\r\n"),),
        expect=APIConnectionError,
        text="was closed or the answer was not valid HTTP (RemoteProtocolError",
        outcome_unknown=True,
    ),
    Case(
        "hang",
        (Hang(),),
        expect=APITimeoutError,
        text="Timed out: no complete response from",
        options={"timeout": 0.3},
        outcome_unknown=True,
        min_seconds=0.25,
        max_seconds=2.0,
    ),
    # `timeout` bounds the whole attempt (its largest value is the deadline), and each read keeps its own read
    # timeout: pieces 40 ms apart with a 0.3 s read timeout and a 2 s deadline complete (after more than
    # 0.3 s in all); a 0.6 s gap is a read timeout; so is a server that keeps the call alive past the deadline.
    Case(
        "trickle-within-read-timeout",
        (Trickle(ok(), chunk=8, delay=0.04),),
        options={"timeout": httpx.Timeout(0.3, pool=2.0)},
        min_seconds=0.3,
        check=_task_is(MINIMAL_TASK),
    ),
    Case(
        "trickle-within-deadline",
        (Trickle(ok(), chunk=8, delay=0.04),),
        options={"timeout": 1.0},
        min_seconds=0.3,
        check=_task_is(MINIMAL_TASK),
    ),
    Case(
        "trickle-stalls-past-read-timeout",
        (Trickle(ok(), chunk=64, delay=0.6),),
        expect=APITimeoutError,
        text="Timed out waiting for the response from",
        options={"timeout": httpx.Timeout(0.3, pool=2.0)},
        outcome_unknown=True,
        min_seconds=0.25,
        max_seconds=2.0,
    ),
    Case(
        "100-continue-forever",
        (Repeat(b"HTTP/1.1 100 Continue\r\n\r\n", interval=0.3),),
        expect=APITimeoutError,
        text="Timed out: no complete response from",
        options={"timeout": 1.0},
        outcome_unknown=True,
        min_seconds=0.9,
        max_seconds=2.5,
        check=_within(1.0),
    ),
    Case(
        "head-trickled-byte-by-byte",
        (Trickle(ok(), chunk=1, delay=0.2, head=True),),
        expect=APITimeoutError,
        text="Timed out: no complete response from",
        options={"timeout": 1.0},
        outcome_unknown=True,
        min_seconds=0.9,
        max_seconds=2.5,
        check=_within(1.0),
    ),
    # a head larger than httpcore reads: the server did answer, so it is not a connection failure; not retried
    Case(
        "head-too-large",
        (Raw(b"HTTP/1.1 201 Created\r\nx-huge: " + b"h" * (200 * 1024) + b"\r\ncontent-length: 0\r\n\r\n"),),
        expect=InvalidResponseError,
        text="answered, but its response head is larger than the 100 KiB the HTTP client reads (RemoteProtocolError",
        outcome_unknown=True,
    ),
    # the same, from lines each under the limit (aiohttp bounds each line; the SDK the whole head, as httpx)
    Case(
        "head-too-large-in-lines",
        (
            Raw(
                b"HTTP/1.1 201 Created\r\n"
                + b"".join(b"x-part-%d: " % n + b"h" * (60 * 1024) + b"\r\n" for n in range(4))
                + b"content-length: 0\r\n\r\n"
            ),
        ),
        expect=InvalidResponseError,
        text="answered, but its response head is larger than the 100 KiB the HTTP client reads (RemoteProtocolError",
        outcome_unknown=True,
    ),
    # a body whose Content-Encoding does not decode: the status still decides
    Case(
        "corrupt-gzip-201",
        (Reply(201, b"\x1f\x8b not gzip at all", headers=(("content-encoding", "gzip"),)),),
        expect=InvalidResponseError,
        status=201,
        text="could not be decoded",
        outcome_unknown=True,
    ),
    Case(
        "corrupt-gzip-503-then-201",
        (Reply(503, b"\x1f\x8b not gzip", headers=(("content-encoding", "gzip"), ("retry-after", "0"))), ok()),
        requests=2,
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", [pytest.param(case, id=case.fault) for case in CASES])
def test_fault(server: FaultServer, case: Case, mode: str) -> None:
    row = Row(case.fault, mode)
    ROWS.append(row)
    if case.actions:
        server.script(f"/agent-execution/{case.fault}", *case.actions)
    result, row.seconds = call(tasks_for(server.url), mode, case.fault, **case.options)
    row.outcome, row.requests = outcome(result), server.count

    if case.expect is None:
        assert isinstance(result, Task), f"expected a Task, got {result!r}"
    else:
        assert type(result) is case.expect, f"expected {case.expect.__name__}, got {result!r}"
        assert isinstance(result, ModuleException)
        assert result.status_code == case.status
        assert case.text in result.description
        assert str(result) == f"[{case.status}] {result.description}"
        if case.outcome_unknown is not None:
            assert result.outcome_unknown is case.outcome_unknown
        if isinstance(result, APIConnectionError):
            assert result.request_sent, "the server read the whole request"
        if isinstance(result, APIConnectionError) or result.status_code == 0:
            assert server.url in result.description, "the origin tried is named"
            assert API_KEY not in str(result) and API_KEY not in repr(result)
    if case.check is not None:
        case.check(result)
    assert server.count == case.requests, f"the server saw {server.count} requests, expected {case.requests}"
    for seen in server.requests:
        assert (seen.method, seen.path) == ("POST", f"/agent-execution/{case.fault}")
        assert seen.header("x-api-key") == API_KEY
    assert case.min_seconds <= row.seconds < case.max_seconds
    row.as_designed = True


# -- faults that need more than one server -----------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [301, 307])
def test_redirect_to_another_host_is_not_followed(server: FaultServer, status: int, mode: str) -> None:
    row = Row(f"redirect-{status}-to-another-host", mode)
    ROWS.append(row)
    with running() as elsewhere:
        target = f"{elsewhere.url}/agent-execution/ok"
        server.script("/agent-execution/moved", Reply(status, headers=(("location", target),), content_type=None))
        result, row.seconds = call(tasks_for(server.url), mode, "moved")
        row.outcome, row.requests = outcome(result), server.count
        assert type(result) is APIStatusError
        assert result.status_code == status
        assert result.description == f"Redirect to {target} not followed (the API key is never sent to another URL)"
        assert server.count == 1
        assert elsewhere.count == 0, "the other host must never see the request (nor the API key)"
        assert elsewhere.stats()["connections"] == 0
    assert row.seconds < 5
    row.as_designed = True


@pytest.mark.parametrize("mode", MODES)
def test_connection_refused_is_retried_because_nothing_was_sent(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    row = Row("connection-refused", mode)
    ROWS.append(row)
    caplog.set_level(logging.INFO, logger="xpander_sdk")
    port = closed_port()
    result, row.seconds = call(tasks_for(f"http://127.0.0.1:{port}"), mode, "ok")
    retries = [record for record in caplog.records if "retry" in record.getMessage()]
    row.outcome, row.requests = outcome(result), f"{1 + len(retries)} tries"
    assert type(result) is APIConnectionError
    assert result.status_code == 0
    assert result.description.startswith(f"Could not connect to http://127.0.0.1:{port} (ConnectError: ")
    assert not result.request_sent
    assert not result.outcome_unknown
    assert [record.getMessage().split("; ")[-1].split(" in ")[0] for record in retries] == [
        "retry 1 of 2",
        "retry 2 of 2",
    ]
    assert row.seconds < 5
    row.as_designed = True


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "timeout", [httpx.Timeout(5.0, connect=0.2), 0.2], ids=["connect-timeout", "deadline-while-connecting"]
)
def test_connect_timeout_is_retried_because_nothing_was_sent(
    mode: str, timeout: float | httpx.Timeout, caplog: pytest.LogCaptureFixture
) -> None:
    """A connect that never completes, whether its own timeout or the attempt's deadline (`timeout=0.2`: both
    0.2 s) ends it: nothing was sent, so even a create is retried."""
    row = Row(f"connect-timeout (backlog full), timeout={timeout}", mode)
    ROWS.append(row)
    caplog.set_level(logging.INFO, logger="xpander_sdk")
    with saturated_listener() as port:
        tasks = tasks_for(f"http://127.0.0.1:{port}", timeout=timeout)
        result, row.seconds = call(tasks, mode, "ok")
    retries = [record for record in caplog.records if "retry" in record.getMessage()]
    row.outcome, row.requests = outcome(result), f"{1 + len(retries)} tries"
    assert type(result) is APITimeoutError
    if isinstance(timeout, httpx.Timeout):
        assert result.description.startswith(f"Timed out connecting to http://127.0.0.1:{port} (ConnectTimeout")
    else:
        assert result.description.startswith(f"Timed out: no complete response from http://127.0.0.1:{port} within")
        assert "(ConnectTimeout: the deadline of the attempt passed while connecting)" in result.description
    assert not result.request_sent
    assert not result.outcome_unknown
    assert len(retries) == 2
    assert 0.55 <= row.seconds < 5, "three connect attempts of 0.2 s each, no more"
    row.as_designed = True


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("loop", ["running", "blocked"])
def test_keep_alive_connection_closed_by_the_server_while_idle(server: FaultServer, mode: str, loop: str) -> None:
    """A server's keep-alive timeout shorter than the pool's: the next create opens a new connection. Also when
    the event loop has not yet read the end of file (`blocked`: the pause blocks it), as when a server answers
    and closes at once and the next create follows right away: the pool checks a connection before reusing it
    (aiohttp alone would write the create on the dead connection, and fail it with an unknown outcome)."""
    row = Row(f"keep-alive-closed-while-idle (loop {loop})", mode)
    ROWS.append(row)
    server.script("/agent-execution/idle", ok(idle_close=0.05))
    tasks = tasks_for(server.url)
    started = time.monotonic()
    results: list[Result] = []
    if mode == "sync":
        with tasks:
            for _ in range(3):
                results.append(tasks.create("idle", prompt="p"))
                time.sleep(0.2)
    else:

        async def go() -> None:
            async with tasks:
                for _ in range(3):
                    results.append(await tasks.acreate("idle", prompt="p"))
                    if loop == "blocked":
                        time.sleep(0.2)  # noqa: ASYNC251 - on purpose: the FIN arrives, the loop does not read it
                    else:
                        await asyncio.sleep(0.2)

        asyncio.run(go())
    row.seconds = time.monotonic() - started
    row.outcome, row.requests = f"{len(results)} Tasks", server.count
    assert all(isinstance(result, Task) for result in results)
    assert server.count == 3
    assert server.stats()["connections"] == 3, "one fresh connection per create, none failed on a dead one"
    assert row.seconds < 5
    row.as_designed = True


@pytest.mark.parametrize("mode", MODES)
def test_a_get_the_server_drops_on_a_kept_alive_connection_is_sent_once(server: FaultServer, mode: str) -> None:
    """With `max_retries=0` nothing is sent twice: no retry of the HTTP client's own either (aiohttp resends a
    GET or DELETE by itself once when a reused connection drops; the SDK turns that off)."""
    row = Row("get-dropped-on-kept-alive-connection", mode)
    ROWS.append(row)
    server.script("/agent-execution/t1/status", ok(200), Close(), ok(200))
    tasks = tasks_for(server.url, max_retries=0)

    def twice(tasks: Tasks) -> Task:
        tasks.get("t1")
        return tasks.get("t1")

    async def atwice(tasks: Tasks) -> Task:
        await tasks.aget("t1")
        task: Task = await tasks.aget("t1")
        return task

    result, row.seconds = run_call(tasks, mode, twice, atwice)
    row.outcome, row.requests = outcome(result), server.count
    assert isinstance(result, APIConnectionError), result
    assert server.count == 2, "the dropped get was sent once"
    row.as_designed = True


# -- the request on a real socket, from the SDK's own pooled clients -----------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_own_clients_send_each_header_once_and_follow_key_changes(server: FaultServer, mode: str) -> None:
    """The SDK's own clients build requests on headers made once per API key and agent version: each header
    goes out exactly once, the body is the official bytes, and a changed key or version is what is sent."""
    from tests.test_contract_wire import OFFICIAL_MINIMAL_BODY

    tasks = tasks_for(server.url)

    async def acreate_three() -> None:
        await tasks.acreate("agent-123", prompt="hi")
        tasks.configuration.api_key = "second-key"
        await tasks.acreate("agent-123", prompt="hi", agent_version="7")
        await tasks.acreate("agent-123", prompt="hi")
        await tasks.aclose()

    if mode == "sync":
        tasks.create("agent-123", prompt="hi")
        tasks.configuration.api_key = "second-key"
        tasks.create("agent-123", prompt="hi", agent_version="7")
        tasks.create("agent-123", prompt="hi")
        tasks.close()
    else:
        asyncio.run(acreate_three())

    first, versioned, last = server.requests
    names = sorted(name.lower() for name, _ in first.headers)
    assert names == sorted(
        ["host", "accept", "accept-encoding", "connection", "user-agent", "x-api-key", "content-length", "content-type"]
    ), first.headers
    assert first.body == OFFICIAL_MINIMAL_BODY
    assert first.header("content-length") == str(len(OFFICIAL_MINIMAL_BODY))
    assert first.header("content-type") == "application/json"
    assert first.header("accept") == "application/json"
    assert (first.header("user-agent") or "").startswith("xpander-tasks-python/")
    assert first.header("x-api-key") == API_KEY
    assert [first.header("x-agent-version"), versioned.header("x-agent-version"), last.header("x-agent-version")] == [
        None,
        "7",
        None,
    ]
    assert [versioned.header("x-api-key"), last.header("x-api-key")] == ["second-key", "second-key"]
    assert sorted(name.lower() for name, _ in versioned.headers) == sorted([*names, "x-agent-version"])
