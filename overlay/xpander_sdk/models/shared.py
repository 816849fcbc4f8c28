"""Compatibility path of the official SDK: `from xpander_sdk.models.shared import OutputFormat, ThinkMode, Tokens`."""

from . import OutputFormat, ThinkMode, Tokens

__all__ = ["OutputFormat", "ThinkMode", "Tokens"]
