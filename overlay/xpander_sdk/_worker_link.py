"""A worker's link to the agent controller: the registration stream it reads (its registrations and its tasks)
and the news it sends (heartbeats, capacity), on the SDK's pooled clients and its one call path.

The wire is the official SDK's (see openapi.yaml, `register_worker` and `send_worker_event`): `GET
{events root}/events/{agent_id}/?environment=local&supports_llm_gateway=true`, a stream whose SSE `event:` name
says what its JSON `data:` is, and `POST {events root}/events/{worker_id}?type=worker&agent_id=...` with `{id,
event, data}`. Unlike the official SDK, the stream has a read timeout (a silent connection is noticed; any byte,
a `: ping` comment too, resets it), a dispatch that is not a task is skipped with a warning instead of ending the
process, and a refusal that waiting cannot fix (401, 403, 404...) is told apart from an outage.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
from attrs import frozen
from httpx_sse import EventSource, ServerSentEvent

from . import _routes
from ._failures import transport_error
from ._request import CallOptions
from ._retry import RetryPolicy, may_retry
from ._task_model import Task
from .exceptions import APIStatusError, InvalidResponseError, WorkerError

if TYPE_CHECKING:
    from ._requestor import Requestor

logger = logging.getLogger("xpander_sdk.worker")

REGISTRATION = "worker-registration"
DISPATCH = "agent-execution"
CONFLICT = "worker-environment-conflict"
HEARTBEAT = "worker-heartbeat"
CAPACITY = "worker-capacity-update"


@frozen
class Registration:
    """The controller took the worker: `worker_id` names it in its news (a new one after each reconnect)."""

    worker_id: str


@frozen
class Dispatch:
    """A task to run, and `key`: what tells a repeated delivery of the same dispatch from a new run of the same
    task (a continued task comes again with its id, and other data)."""

    task: Task
    key: int


class ControllerLink:
    """The controller's side of one worker: `amessages()` reads one registration stream, `read()` makes sense of
    each message, `asend()` sends one piece of news. Holds the worker id of the latest registration."""

    def __init__(self, requestor: Requestor, agent_id: str, *, environment: str, read_timeout: float) -> None:
        self.requestor, self.agent_id = requestor, agent_id
        self.events_root = requestor.configuration.events_root_url  # InvalidArgumentError: no organization id
        self.environment, self.read_timeout = environment, read_timeout
        self.worker_id: str | None = None
        self.skipped = 0
        """Dispatches skipped because their data is not a task."""

    # -- the registration stream ------------------------------------------------------------------------------
    async def amessages(self) -> AsyncIterator[ServerSentEvent]:
        """The messages of one registration stream until it ends (returns) or fails (a ModuleException: a
        WorkerError for a refusal waiting cannot fix, else an outage to reconnect through)."""
        call = _routes.register_worker(self.agent_id, self.environment)
        try:
            response = await self.requestor.aopen_stream(call, self.events_root, self._stream_options())
        except APIStatusError as error:
            if error.status_code == 404:  # an unknown agent, or an ingress in the middle of a deploy: waited out
                error.description += f" (check XPANDER_AGENT_ID {self.agent_id!r} and XPANDER_ORGANIZATION_ID)"
                raise
            raise (self._refused(error) if not may_retry(error, True) else error) from None
        try:
            if "text/event-stream" not in response.headers.get("content-type", "").partition(";")[0].lower():
                raise InvalidResponseError(response.status_code, "the controller's answer is not an event stream")
            async for message in EventSource(response).aiter_sse():
                yield message
        except httpx.HTTPError as error:
            raise transport_error(error, response.request) from error
        finally:
            await response.aclose()

    def _stream_options(self) -> CallOptions:
        base = self.requestor.timeout
        timeout = httpx.Timeout(connect=base.connect, read=self.read_timeout, write=base.write, pool=base.pool)
        return CallOptions(timeout=timeout, retry=RetryPolicy(max_retries=0))

    def _refused(self, error: APIStatusError) -> WorkerError:
        status = error.status_code
        if status in (401, 403):
            what = f"refused the API key ({status}): check XPANDER_API_KEY (or Configuration(api_key=...))"
        else:
            what = f"refused to register the worker ({status}: {error.description})"
        root = httpx.URL(self.events_root)
        shown = root.copy_with(userinfo=b"") if root.userinfo else root  # a base URL's password never shown
        message = f"The agent controller at {shown} {what}"
        worker_error = WorkerError(status, message, request=error.request, request_id=error.request_id)
        worker_error.__cause__ = error
        return worker_error

    def read(self, message: ServerSentEvent) -> Registration | Dispatch | None:
        """What one message says: a registration, a task to run, or None (a kind this version does not know, or
        a dispatch that is not a task: skipped with a warning). A conflict raises WorkerError."""
        kind = message.event
        if kind == DISPATCH:
            return self._dispatch(message.data)
        if kind == REGISTRATION:
            return self._registration(message.data)
        if kind == CONFLICT:
            why = _conflict(message.data)
            raise WorkerError(0, f"The agent controller will not send agent {self.agent_id!r}'s tasks here: {why}")
        logger.debug("Ignored a controller message of kind %r", kind)
        return None

    def _dispatch(self, data: str) -> Dispatch | None:
        try:
            task = Task.from_dict(json.loads(data)).bind(self.requestor)
            if not isinstance(task.id, str) or not task.id:
                raise ValueError("the task has no id")
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
            self.skipped += 1
            reason = f"{type(error).__name__}: {error}" if not isinstance(error, KeyError) else f"no key {error}"
            logger.warning(
                "Skipped a dispatch that is not a task (%s; %d bytes; %d skipped)", reason, len(data), self.skipped
            )
            return None
        return Dispatch(task, hash(data))

    def _registration(self, data: str) -> Registration | None:
        try:
            record = json.loads(data)
            worker_id = record["id"]
            if not isinstance(worker_id, str) or not worker_id:
                raise TypeError("the id is not a string")
        except (ValueError, TypeError, KeyError, RecursionError) as error:
            logger.warning("Ignored a registration without a worker id (%s: %s)", type(error).__name__, error)
            return None
        self.worker_id = worker_id
        return Registration(worker_id)

    # -- news ---------------------------------------------------------------------------------------------------
    async def asend(self, event: str, data: Any, options: CallOptions) -> None:
        """Send one piece of news as the latest registered worker (nothing before the first registration)."""
        worker_id = self.worker_id
        if worker_id is None:
            return
        body = {"id": str(uuid.uuid4()), "event": event, "data": data}
        call = _routes.send_worker_event(worker_id, self.agent_id, body)
        await self.requestor.acall(call, options, self.events_root)


def heartbeat_data() -> str:
    """What a heartbeat carries: the worker's local time without an offset, as the official SDK sends it."""
    return datetime.datetime.now().isoformat()  # the official wire: a naive local time


def _conflict(data: str) -> str:
    try:
        error = json.loads(data).get("error")
    except (ValueError, AttributeError, RecursionError):
        error = None
    return error if isinstance(error, str) and error else "worker-environment-conflict"
