"""Tracing with OpenTelemetry (issue 20): the lines a user adds,

    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    HTTPXClientInstrumentor().instrument()

record one CLIENT span for every request the SDK sends, on each of its transports (sync: httpx's; async: aiohttp,
the default, and httpx's own): a create, each attempt of a retried create, a get, a request the server reset
(an error span) and each connection of an event stream that the server dropped and the SDK reconnected. Each
span is checked against the request the server (tests.faultserver, on 127.0.0.1) read: its method, URL and
status, and the `traceparent` header the instrumentation sent, which names that span. No span holds the API key,
and when the user asks for request headers to be recorded, the API key is redacted once they name `x-api-key`
among the fields to sanitize. On aiohttp, the SDK's transport runs the wrappers put on httpx's own async
transport (`_aiohttp.traced`): the tests of the "async" mode fail without it.

The instrumentation patches httpx's transport classes for the whole process: each test instruments with its own
in-memory exporter and uninstruments when it ends (`instrumented`), so no other test sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
import wrapt  # the instrumentation's dependency (pinned in requirements/dev.txt)
from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from tests.conftest import FIXTURES, MODES
from tests.faultserver import (
    API_KEY,
    STREAMING_EVENTS_PATH,
    STREAMING_ORG,
    STREAMING_TASK,
    STREAMING_TASK_ID,
    FaultServer,
    Recorded,
    Reply,
    Reset,
    Stream,
    ok,
    running,
    tasks_for,
)
from xpander_sdk import Task, Tasks, _aiohttp

EVENT_LINES = [line for line in (FIXTURES / "events-stream-sample.txt").read_text().splitlines() if line]
"""The reference stream's events (`data: {...}` lines), from `connected` to `task_finished`."""


def events(first: int, last: int) -> tuple[tuple[float, bytes], ...]:
    """Events `first`..`last` (1-based) of the reference stream, each with its `id:`, as `Stream` pieces."""
    return tuple((0.0, f"id: {n}\n{EVENT_LINES[n - 1]}\n\n".encode()) for n in range(first, last + 1))


@contextlib.contextmanager
def instrumented() -> Iterator[InMemorySpanExporter]:
    """The user's `HTTPXClientInstrumentor().instrument()`, its spans kept in memory; undone on exit (the
    instrumentation patches httpx's transport classes for the whole process)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        if instrumentor.is_instrumented_by_opentelemetry:  # a test may have undone it
            instrumentor.uninstrument()
        provider.shutdown()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The spans of the test (see `instrumented`)."""
    with instrumented() as exporter:
        yield exporter


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


def run(mode: str, tasks: Tasks, sync: Callable[[Tasks], object], asynchronous: Callable[[Tasks], Any]) -> None:
    """`sync(tasks)` (mode "sync") or `asynchronous(tasks)` in a fresh event loop, bounded; then close `tasks`."""
    if mode == "sync":
        try:
            sync(tasks)
        finally:
            tasks.close()
        return

    async def go() -> None:
        try:
            await asyncio.wait_for(asynchronous(tasks), 10)
        finally:
            await tasks.aclose()

    asyncio.run(go())


def traceparent(span: ReadableSpan) -> str:
    """The `traceparent` header (W3C trace context) that names `span` as the caller's."""
    context = span.get_span_context()
    assert context is not None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def check_spans(
    exporter: InMemorySpanExporter, server: FaultServer, statuses: Sequence[int | None]
) -> list[ReadableSpan]:
    """One CLIENT span per request the server read, in order, each with the request's method, URL and status
    (`statuses`; None: no response, the span an error) and sent with its own `traceparent`; no API key anywhere
    in a span."""
    finished = sorted(exporter.get_finished_spans(), key=lambda span: span.start_time or 0)
    requests: list[Recorded] = server.requests
    assert len(finished) == len(requests) == len(statuses), [span.name for span in finished]
    for span, request, status in zip(finished, requests, statuses, strict=True):
        attributes = dict(span.attributes or {})
        assert span.kind is SpanKind.CLIENT
        assert span.name == request.method
        assert attributes["http.method"] == request.method
        assert attributes["http.url"] == server.url + request.path
        assert attributes.get("http.status_code") == status
        failed = status is None or status >= 400
        assert span.status.status_code is (StatusCode.ERROR if failed else StatusCode.UNSET)
        assert request.header("traceparent") == traceparent(span), "the request carries its span's context"
        assert API_KEY not in span.to_json()
    return finished


@pytest.mark.parametrize("mode", MODES)
def test_a_create_records_one_client_span(spans: InMemorySpanExporter, server: FaultServer, mode: str) -> None:
    run(mode, tasks_for(server.url), lambda t: t.create("ok", prompt="p"), lambda t: t.acreate("ok", prompt="p"))

    check_spans(spans, server, [201])
    assert server.requests[0].path == "/agent-execution/ok"


@pytest.mark.parametrize("mode", MODES)
def test_a_retried_create_records_a_span_per_attempt(
    spans: InMemorySpanExporter, server: FaultServer, mode: str
) -> None:
    server.script("/agent-execution/flaky", Reply(503, headers=(("retry-after", "0"),)), ok())

    run(mode, tasks_for(server.url), lambda t: t.create("flaky", prompt="p"), lambda t: t.acreate("flaky", prompt="p"))

    first, second = check_spans(spans, server, [503, 201])
    assert first.context is not None and second.context is not None
    assert first.context.span_id != second.context.span_id


@pytest.mark.parametrize("mode", MODES)
def test_a_get_records_one_client_span(spans: InMemorySpanExporter, server: FaultServer, mode: str) -> None:
    server.script(f"/agent-execution/{STREAMING_TASK_ID}/status", ok(200))

    run(mode, tasks_for(server.url), lambda t: t.get(STREAMING_TASK_ID), lambda t: t.aget(STREAMING_TASK_ID))

    (span,) = check_spans(spans, server, [200])
    assert span.name == "GET"


@pytest.mark.parametrize("mode", MODES)
def test_a_request_without_an_answer_records_a_span_with_the_error(
    spans: InMemorySpanExporter, server: FaultServer, mode: str
) -> None:
    """The server resets the connection of the first get (no answer); the SDK sends it again: two spans, the
    first an error with the httpx exception it ended with (the aiohttp transport's failures are httpx's)."""
    server.script(f"/agent-execution/{STREAMING_TASK_ID}/status", Reset(), ok(200))

    run(mode, tasks_for(server.url), lambda t: t.get(STREAMING_TASK_ID), lambda t: t.aget(STREAMING_TASK_ID))

    failed, _ = check_spans(spans, server, [None, 200])
    (event,) = failed.events
    assert event.name == "exception"
    error_type = str((event.attributes or {})["exception.type"])
    assert issubclass(getattr(httpx, error_type.rpartition(".")[2]), httpx.TransportError), error_type


@pytest.mark.parametrize("mode", MODES)
def test_a_reconnected_event_stream_records_a_span_per_connection(
    spans: InMemorySpanExporter, server: FaultServer, mode: str
) -> None:
    """The server closes the first stream after 3 events (a truncated chunked body); the SDK reconnects with
    `last-event-id: 3` and reads the rest: two connections, two spans (each ends with its response's head)."""
    server.script(STREAMING_EVENTS_PATH, Stream(events(1, 3), end="close"), Stream(events(4, len(EVENT_LINES))))
    tasks = tasks_for(server.url)
    tasks.configuration.organization_id = STREAMING_ORG
    task = Task.from_dict(STREAMING_TASK).bind(tasks)
    received: list[str] = []

    def follow(_: Tasks) -> None:
        with task.events(read_timeout=5, max_reconnects=2) as stream:
            received.extend(event.type.value for event in stream)

    async def afollow(_: Tasks) -> None:
        async with task.aevents(read_timeout=5, max_reconnects=2) as stream:
            received.extend([event.type.value async for event in stream])

    run(mode, tasks, follow, afollow)

    assert len(received) == len(EVENT_LINES) and received[-1] == "task_finished"
    check_spans(spans, server, [200, 200])
    assert [request.header("last-event-id") for request in server.requests] == [None, "3"]


@pytest.mark.parametrize("mode", MODES)
def test_recorded_request_headers_redact_the_api_key(
    server: FaultServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The instrumentation records no request header unless asked (`OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_
    CLIENT_REQUEST`); asked for all of them, it records the API key unless `x-api-key` is among the fields to
    sanitize, as the README says: then the header is there, redacted."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST", ".*")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS", "x-api-key")
    with instrumented() as exporter:  # instrumented after the variables are set: it reads them then
        run(mode, tasks_for(server.url), lambda t: t.create("ok", prompt="p"), lambda t: t.acreate("ok", prompt="p"))
        (span,) = check_spans(exporter, server, [201])

    attributes = dict(span.attributes or {})
    assert attributes["http.request.header.x_api_key"] == ("[REDACTED]",)
    assert attributes["http.request.header.accept"] == ("application/json",)


@pytest.mark.parametrize("mode", ["async", "async-httpx"])
def test_another_tools_wrapper_is_left_to_httpxs_own_transport(
    spans: InMemorySpanExporter, server: FaultServer, mode: str
) -> None:
    """Another tool's wrapper on httpx's async transport, put over the instrumentation's: on httpx's transport
    both run, the later one outside (no span open yet when it runs); on aiohttp only OpenTelemetry's runs, since
    another tool's wrapper was written for httpx's transport (this one reads its connection pool, which the
    aiohttp transport does not have), and the span is recorded all the same."""
    spans_open: list[bool] = []

    async def outer(wrapped: Any, instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        assert instance._pool is not None  # type: ignore[attr-defined]  # httpx's own transport only
        spans_open.append(trace.get_current_span().get_span_context().is_valid)
        return await wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(httpx.AsyncHTTPTransport, "handle_async_request", outer)
    try:
        run(mode, tasks_for(server.url), lambda t: t.create("ok", prompt="p"), lambda t: t.acreate("ok", prompt="p"))
    finally:
        unwrap(httpx.AsyncHTTPTransport, "handle_async_request")  # this wrapper only: the fixture's is under it

    check_spans(spans, server, [201])
    assert spans_open == ([False] if mode == "async-httpx" else [])


@pytest.mark.parametrize("mode", MODES)
def test_no_span_once_uninstrumented(spans: InMemorySpanExporter, server: FaultServer, mode: str) -> None:
    """`uninstrument()` stops the spans on every transport, also for a client that sent requests before."""

    def create_twice(tasks: Tasks) -> None:
        tasks.create("ok", prompt="p")
        HTTPXClientInstrumentor().uninstrument()
        tasks.create("ok", prompt="p")

    async def acreate_twice(tasks: Tasks) -> None:
        await tasks.acreate("ok", prompt="p")
        HTTPXClientInstrumentor().uninstrument()
        await tasks.acreate("ok", prompt="p")

    run(mode, tasks_for(server.url), create_twice, acreate_twice)

    assert len(spans.get_finished_spans()) == 1
    assert [request.header("traceparent") is None for request in server.requests] == [False, True]


class _Looped:
    """A wrapt-like wrapper of OpenTelemetry's module whose `__wrapped__` leads back to itself."""

    __module__ = "opentelemetry.fake"

    def __init__(self, enabled: bool) -> None:
        self._self_wrapper = self
        self._self_enabled = enabled
        self.__wrapped__ = self

    def __call__(self, wrapped: Any, instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return wrapped(*args, **kwargs)


@pytest.mark.parametrize("enabled", [True, False])
def test_traced_ends_on_a_cycle_of_wrappers_and_skips_disabled_ones(
    monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    """The walk over `__wrapped__` is bounded (`MAX_WRAPPERS`), and a disabled wrapper is not applied."""
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", _Looped(enabled))
    calls: list[httpx.Request] = []

    async def send(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(204)

    wrapped = _aiohttp.traced(send, httpx.AsyncHTTPTransport())
    assert (wrapped is send) is not enabled

    async def go() -> httpx.Response:
        return await wrapped(httpx.Request("GET", "http://127.0.0.1/"))

    response = asyncio.run(go())
    assert response.status_code == 204 and len(calls) == 1
