"""Compatibility path of the official SDK: `from xpander_sdk.modules.tools_repository.models.mcp import ...`."""

from ....models import MCPServerAuthType, MCPServerDetails, MCPServerSSOTokenMode, MCPServerTransport, MCPServerType
from ....models.activity import (
    MCPOAuthGetTokenGenericResponse,
    MCPOAuthGetTokenLoginRequiredResponse,
    MCPOAuthGetTokenResponse,
    MCPOAuthGetTokenTokenReadyResponse,
    MCPOAuthResponseType,
)

__all__ = [
    "MCPOAuthGetTokenGenericResponse",
    "MCPOAuthGetTokenLoginRequiredResponse",
    "MCPOAuthGetTokenResponse",
    "MCPOAuthGetTokenTokenReadyResponse",
    "MCPOAuthResponseType",
    "MCPServerAuthType",
    "MCPServerDetails",
    "MCPServerSSOTokenMode",
    "MCPServerTransport",
    "MCPServerType",
]
