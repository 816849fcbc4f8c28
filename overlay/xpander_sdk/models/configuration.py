"""Compatibility path of the official SDK: `from xpander_sdk.models.configuration import Configuration`."""

from ..configuration import Configuration

__all__ = ["Configuration"]
