"""Compatibility path of the official SDK: `from xpander_sdk.modules.backend.backend_module import Backend`."""

from ..._backend import Backend

__all__ = ["Backend"]
