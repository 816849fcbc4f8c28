"""The task statuses the testing kit's modules share, below all of them (`_agent` and `_backend` both read it)."""

from __future__ import annotations

TERMINAL = frozenset({"completed", "failed", "error", "stopped"})
"""The statuses of a finished task: nothing changes it after them (but a create again with its id)."""
