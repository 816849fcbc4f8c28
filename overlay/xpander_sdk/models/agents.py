"""The enums of an agent's configuration, with the official SDK's names: `Framework` (official path
`xpander_sdk.models.frameworks`) and `AgentStatus` (`xpander_sdk.modules.agents.models.agent`).

Both are open (see `open_enum`): an agent whose framework or status this version does not list is read, not
refused (the official SDK fails such an agent with a 500). They are not in openapi.yaml, which declares both
fields as plain strings open to new values.
"""

from __future__ import annotations

from . import OpenEnum


class Framework(OpenEnum):
    """The framework that runs an agent."""

    Agno = "agno"
    GoogleADK = "google-adk"
    LangChain = "langchain"
    OpenAIAgents = "open-ai-agents"
    Strands = "strands-agents"
    OpenClaw = "open-claw"
    ExternalHarness = "external-harness"
    ClaudeCode = "claude-code"
    Codex = "codex"


class AgentStatus(OpenEnum):
    """Whether an agent is a draft, active or inactive."""

    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


__all__ = ["AgentStatus", "Framework"]
