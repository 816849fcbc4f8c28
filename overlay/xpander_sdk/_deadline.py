"""What every transport needs to know of the attempt it is serving: when it must be over, and the words that
tell the error layer (`_http.transport_error`) what ended it. A floor below `_http` and the two network layers
(`_deadline` for httpcore, `_aiohttp` for aiohttp), which all read it and none of which import each other."""

from __future__ import annotations

import time
from contextvars import ContextVar

ATTEMPT_DEADLINE: ContextVar[float | None] = ContextVar("xpander_sdk_attempt_deadline", default=None)
"""When the current attempt must be over (`time.monotonic()`): set for each attempt (and by a sync wait, for
all of its attempts), read by the network layer of the SDK's own clients."""
DEADLINE_REACHED = "the deadline of the attempt passed"
"""How the message of a timeout raised because of the deadline (not a per-operation timeout) starts."""
HEAD_TOO_LARGE = "Receive buffer too long"
"""How the message of a failure to read a response head larger than the client buffers starts (h11's words;
the aiohttp layer says the same of its own limit)."""
MAX_HEAD_BYTES = 100 * 1024
"""The largest response head the SDK reads: h11's limit, which the aiohttp layer applies to each line too."""


def time_left() -> float | None:
    """Seconds until the current attempt's deadline (negative once passed), or None when it has none."""
    deadline = ATTEMPT_DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()
