"""Compatibility path of the official SDK: `from xpander_sdk.models.shared import OutputFormat, ThinkMode, Tokens`."""

from ..task import Tokens
from . import OutputFormat, ThinkMode

__all__ = ["OutputFormat", "ThinkMode", "Tokens"]
