"""The one deadline mechanism of the SDK: a `Deadline` (a point on the `time.monotonic()` clock, or none), and the
deadline of the attempt in progress, which every network layer keeps (`_httpcore_backend` for httpx's transport,
`_aiohttp` for aiohttp's) and the error layer reads (`_failures.transport_error`).

A call's attempt, a sync wait and an event stream's reconnects all ask the same questions of a `Deadline`: how
long is left, has it passed, how long may this pause or this read be. None of the modules that use it import
each other through it: this is the floor below them all.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import NamedTuple

ATTEMPT_DEADLINE: ContextVar[float | None] = ContextVar("xpander_sdk_attempt_deadline", default=None)
"""When the current attempt must be over (`time.monotonic()`): set for each attempt (and by a sync wait, for
all of its attempts), read by the network layer of the SDK's own clients (see `Deadline.of_attempt`)."""
DEADLINE_REACHED = "the deadline of the attempt passed"
"""How the message of a timeout raised because of the deadline (not a per-operation timeout) starts."""
HEAD_TOO_LARGE = "Receive buffer too long"
"""How the message of a failure to read a response head larger than the client buffers starts (h11's words;
the aiohttp layer says the same of its own limit)."""
MAX_HEAD_BYTES = 100 * 1024
"""The largest response head the SDK reads: h11's limit, which the aiohttp layer applies to each line too."""


class Deadline(NamedTuple):
    """When something must be over, as a `time.monotonic()` reading; `at=None` is no deadline at all."""

    at: float | None = None

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        """`seconds` from now (None: no deadline)."""
        return cls(None if seconds is None else time.monotonic() + seconds)

    @classmethod
    def of_attempt(cls) -> Deadline:
        """The deadline of the attempt in progress (`ATTEMPT_DEADLINE`)."""
        return cls(ATTEMPT_DEADLINE.get())

    def left(self) -> float | None:
        """Seconds until the deadline (negative once passed), or None without one."""
        return None if self.at is None else self.at - time.monotonic()

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def sooner(self, other: Deadline) -> Deadline:
        """The nearer of the two (a deadline is always nearer than none)."""
        if other.at is None or (self.at is not None and self.at < other.at):
            return self
        return other

    def cap(self, seconds: float) -> float:
        """`seconds`, cut to the time left (never below 0): how long a pause or a read may take."""
        left = self.left()
        return seconds if left is None else max(0.0, min(seconds, left))


def attempt_deadline(budget: float | None) -> float | None:
    """When an attempt that may take `budget` seconds must be over: `Deadline.after(budget)`, or the outer
    deadline of the attempt in progress when that is sooner (a sync wait's). Floats only: every call pays it."""
    outer = ATTEMPT_DEADLINE.get()
    own = None if budget is None else time.monotonic() + budget
    if outer is None or (own is not None and own < outer):
        return own
    return outer


def time_left() -> float | None:
    """Seconds until the current attempt's deadline (negative once passed), or None when it has none."""
    return Deadline.of_attempt().left()


NO_DEADLINE = Deadline()
"""A deadline that never passes."""
