"""Compatibility path of the official SDK: `from xpander_sdk.modules.tasks.tasks_module import Tasks`."""

from ..._facade import Tasks

__all__ = ["Tasks"]
