"""Compatibility path of the official SDK: `from xpander_sdk.models.frameworks import Framework`."""

from .agents import Framework

__all__ = ["Framework"]
