"""The one retry rule of the SDK: which failures may pass with a new attempt, and how long to wait first.

Every retrying loop asks it: a call's attempts (`_send`), the opening of an event stream (`_events.Follower`)
and a wait's polls (`_wait.Waiter`). Whether a failed request may be repeated depends on the request: get,
list, stop and the events are idempotent, and like openai-python, they are retried after a dropped connection,
a timeout, a 408, a 429 or a 5xx. Creating (and updating) a task is not: such a request is retried only when
the server cannot have acted on it (the connection was never established, or it answered 429 or 503), unless
the caller opted in with `retry_unsafe=True` for that call.
"""

from __future__ import annotations

import random

from attrs import frozen

from ._constants import DEFAULT_MAX_RETRIES, INITIAL_RETRY_DELAY, MAX_RETRY_AFTER, MAX_RETRY_DELAY
from .exceptions import APIConnectionError, APIStatusError, ModuleException


@frozen
class RetryPolicy:
    """How many times, and how long to wait: exponential backoff with jitter, honouring `Retry-After`."""

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    max_retry_after: float = MAX_RETRY_AFTER
    """A `Retry-After` longer than this is not waited for: the error is raised with its `retry_after`."""

    def backoff(self, retry_number: int) -> float:
        """The wait before retry `retry_number` (1, 2, ...): initial * 2^(n-1), capped, times 0.5-1.0."""
        delay: float = min(self.max_delay, self.initial_delay * 2.0 ** (retry_number - 1))
        return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not cryptography


def may_retry(error: ModuleException, repeatable: bool) -> bool:
    """Whether `error` may pass with a new attempt without acting twice: always when nothing reached the server
    (or it said 429 or 503); for a `repeatable` request (idempotent, or sent with `retry_unsafe`), also after a
    timeout, a dropped connection, a 408 or a 5xx."""
    if isinstance(error, APIConnectionError):
        return repeatable or not error.request_sent
    if isinstance(error, APIStatusError):
        if error.status_code in (429, 503):
            return True
        return repeatable and (error.status_code >= 500 or error.status_code == 408)
    return False


def retry_delay(
    error: ModuleException, policy: RetryPolicy, retries: int, repeatable: bool, backoff: float | None = None
) -> float | None:
    """Seconds to wait before the next attempt after `retries` retries, or None to give up with `error`: the
    server's `Retry-After` when it sent one (up to `policy.max_retry_after`), else `backoff` when the caller
    paces itself (a wait's poll interval), else the policy's exponential backoff."""
    if retries >= policy.max_retries or not may_retry(error, repeatable):
        return None
    retry_after = error.retry_after if isinstance(error, APIStatusError) else None
    if retry_after is None:
        return policy.backoff(retries + 1) if backoff is None else backoff
    if retry_after > policy.max_retry_after:
        return None
    return retry_after
