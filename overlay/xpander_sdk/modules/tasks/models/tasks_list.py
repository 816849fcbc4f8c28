"""Compatibility path of the official SDK: `from xpander_sdk.modules.tasks.models.tasks_list import TasksListItem`."""

from ....task import TasksListItem

__all__ = ["TasksListItem"]
