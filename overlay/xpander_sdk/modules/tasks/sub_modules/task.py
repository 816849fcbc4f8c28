"""Compatibility path of the official SDK: `from xpander_sdk.modules.tasks.sub_modules.task import Task`
(and `TaskUpdateEvent`, which the official SDK also exports from here)."""

from ...._task_model import Task
from ....models.events import TaskUpdateEvent

__all__ = ["Task", "TaskUpdateEvent"]
