"""Compatibility path of the official SDK: `from xpander_sdk.modules.tasks.sub_modules.task import Task`."""

from ....task import Task

__all__ = ["Task"]
