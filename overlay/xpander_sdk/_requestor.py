"""The requestor: the one low-level client every call goes through. It holds a configuration, a connection pool
(an `HTTPSession`), the timeout and the retry policy, makes each call's options, checks the API key once, and
sends `Call`s on the one path (`_send`).

What a `Task` points back at (like stripe-python's `_requestor`), and what the `Tasks` facade wraps: a Task
never knows the facade, and the events and the waits send through the requestor of the task they follow.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any, Protocol, TypedDict, TypeVar

import httpx
from attrs import evolve

from . import _pool, _send
from ._checks import (
    check_header_value,
    check_timeout,
    extra_body,
    extra_headers,
    extra_query,
    flag,
    whole_number,
)
from ._constants import API_KEY_ENV, DEFAULT_TIMEOUT, MAX_RETRIES_ENV, TIMEOUT_ENV
from ._pool import HTTPSession
from ._request import Call, CallOptions
from ._retry import RetryPolicy
from .configuration import Configuration
from .exceptions import InvalidArgumentError

T = TypeVar("T")


class RequestOptions(TypedDict, total=False):
    """The keyword-only options every call takes, to change that call only (openai-python's names)."""

    timeout: float | httpx.Timeout | None
    """Seconds (or an httpx.Timeout) for each attempt, instead of the `Tasks` timeout."""
    max_retries: int | None
    """Retries for this call, instead of the `Tasks` setting."""
    extra_headers: Mapping[str, str] | None
    """Headers to add (not `x-api-key`: set the key in the Configuration)."""
    extra_query: Mapping[str, str] | None
    """Query parameters to add."""
    extra_body: Mapping[str, Any] | None
    """Keys to add to the JSON body (create and update), e.g. a field the server has and this version lacks."""


OPTION_NAMES = frozenset(RequestOptions.__annotations__)


def default_timeout() -> httpx.Timeout:
    """`XPANDER_TIMEOUT` as a timeout, else the SDK's default."""
    configured = os.environ.get(TIMEOUT_ENV)
    if not configured:
        return DEFAULT_TIMEOUT
    try:
        return check_timeout(float(configured), TIMEOUT_ENV)
    except ValueError:
        message = f"{TIMEOUT_ENV} must be a number of seconds, got {configured!r}"
        raise InvalidArgumentError(TIMEOUT_ENV, message) from None


def default_max_retries() -> int:
    """`XPANDER_MAX_RETRIES`, else the SDK's default."""
    configured = os.environ.get(MAX_RETRIES_ENV)
    if not configured:
        return RetryPolicy().max_retries
    if not configured.strip().isdigit():
        raise InvalidArgumentError(MAX_RETRIES_ENV, f"{MAX_RETRIES_ENV} must be a whole number, got {configured!r}")
    return int(configured)


def check_configuration(configuration: object) -> Configuration:
    if not isinstance(configuration, Configuration):
        raise InvalidArgumentError("configuration", f"configuration must be a Configuration, got {configuration!r}")
    return configuration


# -- the process-wide pool of `Tasks()` -----------------------------------------------------------------------------
_shared_session: HTTPSession | None = None
_shared_session_lock = threading.Lock()


def _new_shared_session_lock() -> None:
    """In a child made by `os.fork()`: a new lock, as another thread may have held the old one at the fork.
    (The shared session itself drops its parent's clients: see `HTTPSession`.)"""
    global _shared_session_lock  # noqa: PLW0603 - replaced in the child only
    _shared_session_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_new_shared_session_lock)


def shared_session() -> HTTPSession:
    """The connection pool of every `Tasks()` made without arguments, so that the documented one-liner
    `await Tasks().acreate(...)` reuses connections (the official SDK also shares its argument-less `Tasks()`)."""
    global _shared_session  # noqa: PLW0603 - one pool per process, made on first use
    with _shared_session_lock:
        if _shared_session is None:
            _shared_session = HTTPSession()
        return _shared_session


# -- the requestor ----------------------------------------------------------------------------------------------------
class Requestor:
    """A configuration, a connection pool and the default options of its calls; `call`/`acall` send one.

    `owns_session` says whether closing it closes the pool (not for the shared pool of `Tasks()`, nor for a
    copy made by `with_options`)."""

    def __init__(
        self,
        configuration: Configuration,
        session: HTTPSession,
        *,
        timeout: httpx.Timeout,
        retry_policy: RetryPolicy,
        owns_session: bool,
    ) -> None:
        self.configuration = configuration
        self.session = session
        self.timeout = timeout
        self.retry_policy = retry_policy
        self.owns_session = owns_session
        self._checked_api_key: str | None = None
        self._default_options: CallOptions | None = None

    @classmethod
    def shared(cls, configuration: Configuration | None = None) -> Requestor:
        """A requestor for `configuration` (default: the environment's) on the process-wide pool of `Tasks()`,
        with the environment's timeout and retries: nothing to close. What a Task made by hand sends through."""
        return cls(
            Configuration() if configuration is None else check_configuration(configuration),
            shared_session(),
            timeout=default_timeout(),
            retry_policy=RetryPolicy(max_retries=default_max_retries()),
            owns_session=False,
        )

    def with_options(self, *, timeout: object = None, max_retries: object = None) -> Requestor:
        """A copy with another timeout or retry count, on the same pool (closing the copy leaves it open)."""
        copy = Requestor(
            self.configuration,
            self.session,
            timeout=self.timeout if timeout is None else check_timeout(timeout),
            retry_policy=self.retry_policy if max_retries is None else self._retries(max_retries),
            owns_session=False,
        )
        copy._checked_api_key = self._checked_api_key
        return copy

    def _retries(self, max_retries: object) -> RetryPolicy:
        return evolve(self.retry_policy, max_retries=whole_number("max_retries", max_retries))

    # -- sending --------------------------------------------------------------------------------------------------
    def call(self, call: Call[T], options: CallOptions) -> T:
        return _send.call(self.session, call, self.configuration.root_url, self.api_key(), options)

    async def acall(self, call: Call[T], options: CallOptions, root_url: str | None = None) -> T:
        """Send `call` under the API's root, or under `root_url` (the events root, for a worker's news)."""
        root = self.configuration.root_url if root_url is None else root_url
        return await _send.acall(self.session, call, root, self.api_key(), options)

    def open_stream(self, call: Call[Any], root_url: str, options: CallOptions) -> httpx.Response:
        """One attempt at an event stream under `root_url` (the events root), on the pool of streams."""
        return _send.open_stream(self.session.streams, call, root_url, self.api_key(), options)

    async def aopen_stream(self, call: Call[Any], root_url: str, options: CallOptions) -> httpx.Response:
        return await _send.aopen_stream(self.session.streams, call, root_url, self.api_key(), options)

    def api_key(self) -> str:
        """The configured API key, checked (once per key); InvalidArgumentError without one."""
        api_key = self.configuration.api_key
        if api_key is not None and api_key is self._checked_api_key:
            return api_key  # checked on an earlier call (the usual case: the key does not change)
        routed = _pool.ROUTED
        if not api_key and routed is not None:
            return routed.api_key  # made before a fake backend was installed (xpander_sdk.testing)
        if not api_key:
            raise InvalidArgumentError(
                "api_key", f"No API key: set {API_KEY_ENV} or pass Tasks(configuration=Configuration(api_key=...))"
            )
        self._checked_api_key = check_header_value("api_key", api_key, secret=True)
        return api_key

    def options(self, given: RequestOptions, *, retry_unsafe: object = False) -> CallOptions:
        """The options of one call: this requestor's, changed by what the call was given (checked). A call given
        none gets this requestor's own, made once for its current timeout and retry policy."""
        unknown = given.keys() - OPTION_NAMES
        if unknown:
            raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
        unsafe = flag("retry_unsafe", retry_unsafe)
        if not unsafe and all(value is None for value in given.values()):
            return self._defaults()
        timeout, max_retries = given.get("timeout"), given.get("max_retries")
        return CallOptions(
            timeout=self.timeout if timeout is None else check_timeout(timeout),
            retry=self.retry_policy if max_retries is None else self._retries(max_retries),
            retry_unsafe=unsafe,
            extra_headers=extra_headers(given.get("extra_headers")),
            extra_query=extra_query(given.get("extra_query")),
            extra_body=extra_body(given.get("extra_body")),
        )

    def _defaults(self) -> CallOptions:
        defaults = self._default_options
        if defaults is None or defaults.timeout is not self.timeout or defaults.retry is not self.retry_policy:
            defaults = self._default_options = CallOptions(timeout=self.timeout, retry=self.retry_policy)
        return defaults

    # -- lifecycle ------------------------------------------------------------------------------------------------
    def close(self) -> None:
        if self.owns_session:
            self.session.close()

    async def aclose(self) -> None:
        if self.owns_session:
            await self.session.aclose()


class HasRequestor(Protocol):
    """What `Task.bind` takes besides a `Requestor`: an object that sends through one (a `Tasks`)."""

    @property
    def requestor(self) -> Requestor: ...
