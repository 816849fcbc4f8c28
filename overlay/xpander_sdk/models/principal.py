"""Compatibility path of the official SDK: `from xpander_sdk.models.principal import Principal, PrincipalKind`."""

from . import Principal, PrincipalKind

__all__ = ["Principal", "PrincipalKind"]
