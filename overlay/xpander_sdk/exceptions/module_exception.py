"""`ModuleException`, the base of every error this SDK raises (importable from this path, as in the official SDK)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attrs import frozen

if TYPE_CHECKING:
    import httpx

NO_HTTP_STATUS = 0
"""The `status_code` of failures that have no HTTP status: refused arguments, connection failures, timeouts."""


@frozen
class RequestInfo:
    """The request a failure belongs to: its method and URL (no header, so never the API key, and no
    userinfo), and whether repeating it is safe (GET, DELETE) or may act twice (creating a task)."""

    method: str
    url: str
    idempotent: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


class ModuleException(Exception):  # the official SDK's name
    """An error of the xpander SDK: `str(e) == f"[{e.status_code}] {e.description}"`.

    Every failure a call can meet ends in a subclass of this class that names its kind (see
    `xpander_sdk.exceptions`). `status_code` is the HTTP status when the server answered, and
    `NO_HTTP_STATUS` (0) when it did not: a client-side failure never claims to be a server error.
    """

    def __init__(
        self,
        status_code: int,
        description: str,
        *,
        body: Any = None,
        response: httpx.Response | None = None,
        request_id: str | None = None,
        request: RequestInfo | None = None,
    ) -> None:
        super().__init__(status_code, description)
        self.status_code = status_code
        self.description = description
        self.body = body
        """The parsed JSON body of the response (or its text when it was not JSON); None without a response."""
        self.response = response
        self.request_id = request_id
        """The server's request id (`x-request-id`), to quote to xpander.ai support."""
        self.request = request
        """The request that failed (method and URL), set on every failure of a request; None for an argument
        refused before anything was built."""

    def __str__(self) -> str:
        return f"[{self.status_code}] {self.description}"

    @property
    def outcome_unknown(self) -> bool:
        """True when the request may have reached the server and acted (created a task, updated one) although
        the call failed. Never for an idempotent request (get, list, stop), which is safe to repeat."""
        return False

    @property
    def _repeatable(self) -> bool:
        return self.request is not None and self.request.idempotent

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, description={self.description!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable (multiprocessing, task queues): the httpx response is not carried across.
        state = {"body": self.body, "request_id": self.request_id, "request": self.request, **self._extra_state()}
        return (_rebuild, (type(self), self.status_code, self.description, state))

    def _extra_state(self) -> dict[str, Any]:
        return {}


def _rebuild(cls: type[ModuleException], status_code: int, description: str, state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    ModuleException.__init__(error, status_code, description)
    for name, value in state.items():
        setattr(error, name, value)
    return error
