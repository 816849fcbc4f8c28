"""Following a task's events (`Task.aevents()` / `Task.events()`): Server-Sent Events read with httpx-sse on the
SDK's pooled stream clients (`HTTPSession.streams`), typed, resumed after a drop, and ended by the final event.

One `Follower` holds what an iteration has seen and takes every decision (what to yield, what to skip, when to
reconnect, when to give up); `follow` (sync) and `afollow` (async) are the two thin loops around it. Unlike the
official SDK, the status is checked before the first event, a silent stream (no event and no heartbeat comment
for `read_timeout`) counts as dropped, a drop is resumed with `Last-Event-ID`, an event a server replays (one of
the last `RECENT_EVENTS`) is not delivered twice, unknown kinds are yielded, and the sync loop yields each event
as it arrives.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import EventSource, ServerSentEvent

from . import _routes
from ._checks import positive_seconds, whole_number
from ._constants import MAX_RECONNECTS, STREAM_READ_TIMEOUT
from ._deadline import NO_DEADLINE, Deadline
from ._failures import invalid_response, request_info, transport_error
from ._pool import async_sleep
from ._request import Call, CallOptions
from ._retry import RetryPolicy, may_retry, retry_delay
from .exceptions import (
    APIStatusError,
    EventStreamError,
    ModuleException,
    WaitTimeoutError,
)
from .models.events import ReadTask, TaskUpdateEvent

if TYPE_CHECKING:
    from types import TracebackType

    from ._requestor import Requestor

logger = logging.getLogger("xpander_sdk")

RECENT_EVENTS = 4096
"""How many recent events a stream remembers, to drop the ones a server replays after a reconnect."""


# -- one event ----------------------------------------------------------------------------------------------------
def parse_event(sse: ServerSentEvent, read_task: ReadTask | None) -> TaskUpdateEvent | None:
    """The event in one SSE message, or None when its data is not a JSON object with a string `type`.

    Lenient where the official SDK drops events: a kind this version does not list is kept, a missing `data`
    is None, a missing or unreadable `time` is None. The fields are read from the JSON when first asked for
    (see `TaskUpdateEvent`)."""
    envelope = _envelope(sse.data)
    return None if envelope is None else TaskUpdateEvent.from_envelope(envelope, read_task, sse.id or None)


def _envelope(data: str) -> dict[str, Any] | None:
    """The decoded JSON of an event: an object with a string `type`; None for anything else."""
    try:
        envelope, end = _decode(data)
        if end != len(data) and data[end:].strip(_JSON_WHITESPACE):
            return None  # something after the JSON value
    except ValueError:
        try:  # JSON with leading white space (`data:  {...}`)
            envelope = _decode(data.lstrip(_JSON_WHITESPACE))[0]
        except ValueError:
            return None
    if type(envelope) is not dict or type(envelope.get("type")) is not str:
        return None
    return envelope


_decode = json.JSONDecoder().raw_decode
"""The JSON value at the start of a str, and where it ends: `json.loads` without its two white-space regular
expressions and its type checks (a third of its cost on a small event; an SSE data field is always a str)."""
_JSON_WHITESPACE = " \t\n\r"


# -- what a stream has seen, and what to do next --------------------------------------------------------------------
class Follower:
    """The state and the decisions of one iteration over a task's events, shared by `follow` and `afollow`.

    `deadline` is set by the waits: past it, the iteration raises WaitTimeoutError instead of connecting or
    sleeping again. `read_task` makes the Task of a task event's data."""

    def __init__(
        self,
        requestor: Requestor,
        task_id: str,
        read_task: ReadTask,
        *,
        read_timeout: float = STREAM_READ_TIMEOUT,
        max_reconnects: int = MAX_RECONNECTS,
        deadline: Deadline = NO_DEADLINE,
        organization_id: str | None = None,
    ) -> None:
        self.requestor, self.task_id, self.read_task = requestor, task_id, read_task
        # refused here, at the call, when neither the configuration nor the task gives an organization id
        self.root_url = requestor.configuration.events_root_url_for(organization_id)
        self.api_key = requestor.api_key()
        self.read_timeout, self.max_reconnects, self.deadline = read_timeout, max_reconnects, deadline
        self.received = 0
        """Events delivered."""
        self.skipped = 0
        """Messages skipped because their data is not an event (each logged as a warning)."""
        self.reconnects = 0
        self.finished = False
        self.last_event_id: str | None = None
        self._failures = 0  # drops (or failed opens) in a row since the last new event
        self._connected = False
        self._server_retry: float | None = None  # the stream's `retry:` field, in seconds
        self._connection_id = ""  # the last `id:` seen on the current connection
        self._recent: deque[int] = deque(maxlen=RECENT_EVENTS)  # the keys (id, else data hash) of the last events
        self._seen: set[int] | None = None  # the same as a set, from the first reconnect on

    def call_options(self) -> CallOptions:
        """One attempt at opening the stream (`Follower` decides on retries), whose reads may wait
        `read_timeout` (less when the deadline is nearer)."""
        timeout = self.requestor.timeout
        read = max(0.001, self.deadline.cap(self.read_timeout))
        return CallOptions(
            timeout=httpx.Timeout(connect=timeout.connect, read=read, write=timeout.write, pool=timeout.pool),
            retry=RetryPolicy(max_retries=0),
        )

    def opened(self, response: httpx.Response) -> None:
        """Check that a 2xx answer is an event stream (else InvalidResponseError, after closing it)."""
        if self._started(response):
            return
        try:
            response.read()
        except httpx.HTTPError:
            pass
        finally:
            response.close()
        raise self._not_a_stream(response)

    async def aopened(self, response: httpx.Response) -> None:
        """The async twin of `opened`."""
        if self._started(response):
            return
        try:
            await response.aread()
        except httpx.HTTPError:
            pass
        finally:
            await response.aclose()
        raise self._not_a_stream(response)

    def _started(self, response: httpx.Response) -> bool:
        """Whether a 2xx answer is an event stream; if so, a new connection's stream begins."""
        if "text/event-stream" not in response.headers.get("content-type", "").partition(";")[0].lower():
            return False
        self._connected, self._connection_id = True, ""
        return True

    def _not_a_stream(self, response: httpx.Response) -> ModuleException:
        content_type = response.headers.get("content-type", "")
        reason = f"expected an event stream (text/event-stream), got Content-Type {content_type!r}"
        try:
            error = invalid_response(response, reason, (self.api_key,), "the task's events")
        except httpx.ResponseNotRead:  # the body could not be read either
            error = invalid_response(httpx.Response(response.status_code), reason, (), "the task's events")
        error.request = request_info(response.request, _routes.EVENTS.idempotent)
        return error

    def accept(self, sse: ServerSentEvent) -> TaskUpdateEvent | None:
        """The event to yield for one SSE message, or None: a message without data (a named heartbeat), an
        event already delivered before a reconnect, or data that is not an event (skipped, counted, logged)."""
        if sse.retry is not None:
            self._server_retry = sse.retry / 1000
        data = sse.data
        if not data:
            return None
        event_id = sse.id
        if event_id and event_id != self._connection_id:  # an event with an `id:` of its own: the id says which
            key = hash((None, event_id))
            self.last_event_id = self._connection_id = event_id
        else:  # httpx-sse repeats the last id on events without one
            key = hash(data)  # no id of its own: a replayed event has the same data (its time, its payload)
        if self._seen is not None:
            if key in self._seen:
                return None
            self._seen.add(key)
            if len(self._seen) > 2 * RECENT_EVENTS:  # bounded: the recent ones are those a server replays
                self._seen = set(self._recent)
        self._recent.append(key)
        self._failures = 0
        envelope = _envelope(data)
        if envelope is None:
            self.skipped += 1
            logger.warning(
                "Skipped a message of task %s's event stream that is not a JSON event (%d bytes; %d skipped)",
                self.task_id,
                len(data),
                self.skipped,
            )
            return None
        self.received += 1
        if envelope["type"] == "task_finished":
            self.finished = True
        return TaskUpdateEvent.from_envelope(envelope, self.read_task, event_id or None)

    def open_failed(self, error: ModuleException) -> float:
        """The seconds to wait before opening the stream again, or raise: `error` itself when it cannot pass
        (401, 403, 404...) or when the first connection used up the retries of the requestor; EventStreamError
        when a reconnect did."""
        if not may_retry(error, True):
            raise error
        if not self._connected:
            self._failures += 1
            delay = retry_delay(error, self.requestor.retry_policy, self._failures - 1, True)
            if delay is None:
                raise error
            return self._until_deadline(delay)
        return self._reconnect_delay(error, error.retry_after if isinstance(error, APIStatusError) else None)

    def dropped(self, error: ModuleException | None) -> float:
        """The seconds to wait before reconnecting after the stream ended without its final event (`error` is
        None for a clean close), or raise EventStreamError (or WaitTimeoutError past the deadline)."""
        if error is not None and self.deadline.passed():
            raise self.deadline_passed()
        return self._reconnect_delay(error, None)

    def _reconnect_delay(self, error: ModuleException | None, retry_after: float | None) -> float:
        self._failures += 1
        if self._failures > self.max_reconnects:
            why = "closed" if error is None else f"failed: {error}"
            gave_up = EventStreamError(
                f"The event stream of task {self.task_id} {why}; gave up after {self._failures - 1} reconnects in "
                f"a row without a new event, having received {self.received} events",
                events_received=self.received,
                reconnects=self.reconnects,
            )
            raise gave_up from error
        self.reconnects += 1
        self._seen = set(self._recent)
        logger.info("The event stream of task %s dropped (%s); reconnect %d", self.task_id, error, self.reconnects)
        policy = self.requestor.retry_policy
        if retry_after is None and self._server_retry is not None:
            retry_after = min(self._server_retry, policy.max_delay)  # the stream's `retry:`, within the cap
        return self._until_deadline(policy.backoff(self._failures) if retry_after is None else retry_after)

    def _until_deadline(self, delay: float) -> float:
        if self.deadline.passed():
            raise self.deadline_passed()
        return self.deadline.cap(delay)

    def check_deadline(self) -> None:
        if self.deadline.passed():
            raise self.deadline_passed()

    def deadline_passed(self) -> WaitTimeoutError:
        return WaitTimeoutError(f"Timed out waiting for task {self.task_id} to finish")

    def next_call(self) -> Call[httpx.Response]:
        return _routes.events(self.task_id, self.last_event_id)


# -- the two loops ------------------------------------------------------------------------------------------------
def follow(follower: Follower) -> Generator[TaskUpdateEvent, None, None]:
    """The events, as they arrive, on the sync stream client; ends after the final event."""
    requestor = follower.requestor
    while True:
        follower.check_deadline()
        try:
            response = requestor.open_stream(follower.next_call(), follower.root_url, follower.call_options())
        except ModuleException as error:
            time.sleep(follower.open_failed(error))
            continue
        follower.opened(response)
        messages = EventSource(response).iter_sse()
        drop: ModuleException | None = None
        try:
            for sse in messages:
                event = follower.accept(sse)
                if event is not None:
                    yield event
                    if follower.finished:
                        return
        except httpx.HTTPError as exc:
            drop = transport_error(exc, response.request)
        finally:
            try:
                messages.close()  # type: ignore[attr-defined] # a generator (typed as an Iterator by httpx-sse)
            finally:
                response.close()
        time.sleep(follower.dropped(drop))


async def afollow(follower: Follower) -> AsyncGenerator[TaskUpdateEvent, None]:
    """The async twin of `follow`, on the running loop's stream client."""
    requestor = follower.requestor
    while True:
        follower.check_deadline()
        try:
            response = await requestor.aopen_stream(follower.next_call(), follower.root_url, follower.call_options())
        except ModuleException as error:
            await async_sleep(follower.open_failed(error))
            continue
        await follower.aopened(response)
        messages = EventSource(response).aiter_sse()
        drop: ModuleException | None = None
        try:
            async for sse in messages:
                event = follower.accept(sse)
                if event is not None:
                    yield event
                    if follower.finished:
                        return
        except httpx.HTTPError as exc:
            drop = transport_error(exc, response.request)
        finally:
            try:
                await messages.aclose()
            finally:  # also when a cancelled wait interrupts the line above: httpcore shields this close
                await response.aclose()
        await async_sleep(follower.dropped(drop))


# -- what users hold ----------------------------------------------------------------------------------------------
class _Counts:
    _follower: Follower

    @property
    def received(self) -> int:
        """Events delivered so far."""
        return self._follower.received

    @property
    def skipped(self) -> int:
        """Messages skipped because their data is not an event (each logged as a warning)."""
        return self._follower.skipped

    @property
    def reconnects(self) -> int:
        """Times the stream was reopened after a drop."""
        return self._follower.reconnects


class EventStream(_Counts):
    """The events of a task as they arrive (`Task.events()`): iterate it; it ends after the task's final event.
    `close()` (or leaving a `with` block) closes the connection early."""

    def __init__(self, follower: Follower) -> None:
        self._follower = follower
        self._events = follow(follower)

    def __iter__(self) -> Iterator[TaskUpdateEvent]:
        return self._events  # the generator itself: a `for` loop pays for no extra call per event

    def __next__(self) -> TaskUpdateEvent:
        return next(self._events)

    def close(self) -> None:
        self._events.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncEventStream(_Counts):
    """The async twin of `EventStream` (`Task.aevents()`): `async for`, `aclose()`, `async with`."""

    def __init__(self, follower: Follower) -> None:
        self._follower = follower
        self._events = afollow(follower)

    def __aiter__(self) -> AsyncIterator[TaskUpdateEvent]:
        return self._events  # the generator itself: an `async for` pays for no extra call per event

    async def __anext__(self) -> TaskUpdateEvent:
        return await anext(self._events)

    async def aclose(self) -> None:
        await self._events.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def check_stream_options(read_timeout: object, max_reconnects: object) -> tuple[float, int]:
    """The checked `read_timeout` and `max_reconnects` of `aevents`/`events` (None: the defaults)."""
    read = STREAM_READ_TIMEOUT if read_timeout is None else positive_seconds("read_timeout", read_timeout)
    if max_reconnects is None:
        return read, MAX_RECONNECTS
    return read, whole_number("max_reconnects", max_reconnects, expected="an int >= 0")
