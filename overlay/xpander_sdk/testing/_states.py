"""What the testing kit's modules share about a task, below all of them (`_agent`, `_events`, `_store`,
`_routes` and `_backend` read it): the statuses of a finished task, and the time stamps the fake writes."""

from __future__ import annotations

from datetime import UTC, datetime

TERMINAL = frozenset({"completed", "failed", "error", "stopped"})
"""The statuses of a finished task: nothing changes it after them (but a create again with its id)."""


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
