"""Compatibility path of the official SDK: `from xpander_sdk.models.shared import OutputFormat, ThinkMode`."""

from . import OutputFormat, ThinkMode

__all__ = ["OutputFormat", "ThinkMode"]
