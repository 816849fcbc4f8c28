"""The errors of the SDK: one subclass of `ModuleException` per kind of failure.

    ModuleException
    ├── InvalidArgumentError      refused before anything was sent (also a ValueError); status 0
    ├── APIConnectionError        no response: DNS, refused, reset, TLS...; status 0
    │   ├── APITimeoutError       no response in time; status 0
    │   │   └── WaitTimeoutError  a wait for a task's result ran out of time; `task` is the last state seen
    │   └── EventStreamError      an event stream kept dropping; `events_received` says how many arrived
    ├── TaskFailedError           the task finished failed, error or stopped (only with raise_on_failure=True)
    ├── InvalidResponseError      a 2xx the SDK cannot read (not JSON, wrong shape, missing keys), or a
    │                             response head too large to read (status 0)
    ├── FileFetchError            a file a task names (a user-supplied URL) was refused or could not be read;
    │                             status 0, or the file host's status when it answered
    ├── WorkerError               a worker (`@on_task`) cannot go on: the controller refused its API key or its
    │                             agent, or runs the agent elsewhere; the controller's status, or 0
    └── APIStatusError            any other non-2xx answer (3xx are not followed)
        ├── BadRequestError            400
        │   └── UnprocessableEntityError   422, with the server's field errors
        ├── AuthenticationError        401
        ├── PermissionDeniedError      403 (what the backend answers for a bad API key)
        ├── NotFoundError              404
        ├── ConflictError              409
        ├── RateLimitError             429, with `retry_after`
        └── InternalServerError        500-599, and non-standard 5xx such as 520

Every error of a request carries `request` (its method and URL, no secret). `outcome_unknown` is True when a
request that is not idempotent (create, update) may have reached the server and acted even though the call
failed (a 5xx other than 503, a timeout or a dropped connection after the request was sent): look the task up
before creating it again. It is never True for get, list and stop, which are safe to repeat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attrs import frozen

from .module_exception import NO_HTTP_STATUS, ModuleException, RequestInfo

if TYPE_CHECKING:
    import httpx

__all__ = [
    "NO_HTTP_STATUS",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "EventStreamError",
    "FieldError",
    "FileFetchError",
    "InternalServerError",
    "InvalidArgumentError",
    "InvalidResponseError",
    "ModuleException",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestInfo",
    "TaskFailedError",
    "UnprocessableEntityError",
    "WaitTimeoutError",
    "WorkerError",
]


class InvalidArgumentError(ModuleException, ValueError):
    """An argument was refused before anything was sent. `parameter` names it."""

    def __init__(self, parameter: str, description: str) -> None:
        super().__init__(NO_HTTP_STATUS, description)
        self.parameter = parameter

    def _extra_state(self) -> dict[str, Any]:
        return {"parameter": self.parameter}


class APIConnectionError(ModuleException):
    """No response came back. `request_sent` says whether the request may have reached the server."""

    def __init__(self, description: str, *, request_sent: bool) -> None:
        super().__init__(NO_HTTP_STATUS, description)
        self.request_sent = request_sent

    @property
    def outcome_unknown(self) -> bool:
        return self.request_sent and not self._repeatable

    def _extra_state(self) -> dict[str, Any]:
        return {"request_sent": self.request_sent}


class APITimeoutError(APIConnectionError):
    """No response came back in time (connect, write, read or pool timeout)."""


class WaitTimeoutError(APITimeoutError):
    """`await_result`/`wait` (or `create_and_wait`) ran out of time before the task finished. `task` is the last
    state of the task the SDK saw (None when it saw none); the task keeps running on the server."""

    def __init__(self, description: str, task: Any = None) -> None:
        super().__init__(description, request_sent=True)
        self.task = task

    def _extra_state(self) -> dict[str, Any]:
        return {**super()._extra_state(), "task": self.task}


class EventStreamError(APIConnectionError):
    """A task's event stream dropped and could not be resumed after the reconnects allowed (see
    `Task.aevents`). `events_received` counts the events delivered before it gave up; `reconnects` the tries."""

    def __init__(self, description: str, *, events_received: int, reconnects: int) -> None:
        super().__init__(description, request_sent=True)
        self.events_received = events_received
        self.reconnects = reconnects

    def _extra_state(self) -> dict[str, Any]:
        return {**super()._extra_state(), "events_received": self.events_received, "reconnects": self.reconnects}


class TaskFailedError(ModuleException):
    """The task finished without success (failed, error or stopped), raised by the waits only when asked with
    `raise_on_failure=True`. `task` is the finished task; `status_code` is 0 (no HTTP call failed)."""

    def __init__(self, description: str, task: Any) -> None:
        super().__init__(NO_HTTP_STATUS, description)
        self.task = task

    def _extra_state(self) -> dict[str, Any]:
        return {"task": self.task}


class InvalidResponseError(ModuleException):
    """The server answered 2xx, but with a body the SDK cannot read; or (with status 0) with a response head
    larger than the HTTP client reads. Either way the task may well have been created."""

    @property
    def outcome_unknown(self) -> bool:
        return not self._repeatable


class FileFetchError(ModuleException):
    """A file a task names (a URL its user supplied) was refused by the fetch policy or could not be read.
    `url` is the URL without its query string (which may hold a presigned signature) or userinfo; `reason` says
    why; `refused` is True when the policy refused it (an internal address, a host off the allowlist), False when
    the fetch failed (unreachable, a 4xx/5xx, too large, too slow). `status_code` is the file host's status when
    it answered with an error, else 0. `Task.to_message` and `get_human_readable_files` show such a file as
    "Error: file could not be read", as the official SDK does, and log this error."""

    def __init__(self, url: str, reason: str, *, refused: bool, status_code: int = NO_HTTP_STATUS) -> None:
        super().__init__(status_code, f"{'refused to fetch' if refused else 'could not fetch'} {url}: {reason}")
        self.url = url
        self.reason = reason
        self.refused = refused

    def _extra_state(self) -> dict[str, Any]:
        return {"url": self.url, "reason": self.reason, "refused": self.refused}


class WorkerError(ModuleException):
    """A worker cannot go on, and waiting will not help: the agent controller refused its API key (401, 403) or
    its agent (404, 400, 422), or said the agent runs in another environment (`worker-environment-conflict`).
    `status_code` is the controller's status (0 for a conflict). Outages are never this error: a worker
    reconnects through them. `Worker.run()` (and `python agent.py`) print its one line and exit with status 78
    (EX_CONFIG), which a supervisor can tell from a crash."""


class APIStatusError(ModuleException):
    """The server (or a proxy in front of it) answered with a non-2xx status."""

    def __init__(
        self,
        status_code: int,
        description: str,
        *,
        body: Any = None,
        response: httpx.Response | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status_code, description, body=body, response=response, request_id=request_id)
        self.retry_after = retry_after
        """Seconds the server asked to wait before trying again (`Retry-After`), when it said."""

    @property
    def outcome_unknown(self) -> bool:
        return self.status_code >= 500 and self.status_code != 503 and not self._repeatable

    def _extra_state(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}


@frozen
class FieldError:
    """One entry of a FastAPI validation error: where (`loc`), what (`msg`) and its machine-readable `type`."""

    loc: tuple[str | int, ...]
    msg: str
    type: str

    @property
    def field(self) -> str:
        """The dotted path of the field in the body, e.g. `input.user.email`."""
        parts = self.loc[1:] if self.loc[:1] == ("body",) else self.loc
        return ".".join(str(part) for part in parts) or "body"

    def __str__(self) -> str:
        return f"{self.field}: {self.msg}"


class BadRequestError(APIStatusError):
    """400 or 422: the server refused the request. `errors` lists the field errors it named."""

    @property
    def errors(self) -> list[FieldError]:
        return field_errors(self.body)


class UnprocessableEntityError(BadRequestError):
    """422: the body failed the server's validation."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or unknown."""


class PermissionDeniedError(APIStatusError):
    """403: the API key is invalid or may not use this agent."""


class NotFoundError(APIStatusError):
    """404: no such agent, or no such task (to get, stop, update or continue)."""


class ConflictError(APIStatusError):
    """409: the task cannot be created in the current state."""


class RateLimitError(APIStatusError):
    """429: too many requests; `retry_after` says how long the server asked to wait."""


class InternalServerError(APIStatusError):
    """5xx: the server or a proxy failed. Unless it was a 503, the task may have been created."""


_ERRORS_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The subclass for an HTTP status, including non-standard ones (499 -> APIStatusError, 520 -> 5xx)."""
    if status_code >= 500:
        return InternalServerError
    return _ERRORS_BY_STATUS.get(status_code, APIStatusError)


def field_errors(body: Any) -> list[FieldError]:
    """The field errors of a FastAPI error body `{"detail": [{"loc", "msg", "type"}, ...]}`; [] for any other."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list):
        return []
    return [
        FieldError(
            loc=tuple(part for part in item.get("loc", ()) if isinstance(part, str | int)),
            msg=str(item.get("msg", "")),
            type=str(item.get("type", "")),
        )
        for item in detail
        if isinstance(item, dict)
    ]
