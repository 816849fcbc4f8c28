"""Compatibility path of the official SDK: `from xpander_sdk.modules.tools_repository.models.mcp import ...`."""

from ....models import MCPServerAuthType, MCPServerDetails, MCPServerSSOTokenMode, MCPServerTransport, MCPServerType

__all__ = ["MCPServerAuthType", "MCPServerDetails", "MCPServerSSOTokenMode", "MCPServerTransport", "MCPServerType"]
