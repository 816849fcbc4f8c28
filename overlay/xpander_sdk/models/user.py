"""Compatibility path of the official SDK: `from xpander_sdk.models.user import User`."""

from . import User

__all__ = ["User"]
