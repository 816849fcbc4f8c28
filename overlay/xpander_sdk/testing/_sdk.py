"""The SDK names the testing kit uses, imported here only.

The kit fakes the server the SDK talks to, so it reaches into SDK modules (the routed connections of `_pool`, the
attempt deadline, the constants, `Task`, `Tasks`...). Every such import is in this module and the other modules of
the kit take the names from here: a change to the SDK's module layout is one file to fix. It imports nothing from
`testing`, so any kit module may import it.
"""

from __future__ import annotations

from .. import _pool
from .._agents import clear_agent_cache
from .._cli_args import port
from .._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_TIMEOUT, ORGANIZATION_ID_ENV, SDK_HEADERS, STAGING_ENV
from .._deadline import DEADLINE_REACHED, Deadline
from .._facade import Tasks
from .._task_model import Task
from .._worker import Worker
from ..configuration import Configuration
from ..exceptions import InvalidArgumentError
from ..models.events import TaskUpdateEventType

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEADLINE_REACHED",
    "DEFAULT_TIMEOUT",
    "ORGANIZATION_ID_ENV",
    "SDK_HEADERS",
    "STAGING_ENV",
    "Configuration",
    "Deadline",
    "InvalidArgumentError",
    "Task",
    "TaskUpdateEventType",
    "Tasks",
    "Worker",
    "_pool",
    "clear_agent_cache",
    "port",
]
