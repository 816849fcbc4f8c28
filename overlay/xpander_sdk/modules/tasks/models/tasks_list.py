"""Compatibility path of the official SDK: `from xpander_sdk.modules.tasks.models.tasks_list import TasksListItem`."""

from ...._task_model import TasksListItem

__all__ = ["TasksListItem"]
