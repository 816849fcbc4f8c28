"""Compatibility path of the official SDK: `from xpander_sdk.modules.agents.models.agent import LLMReasoningEffort,
AgentStatus`."""

from ....models import LLMReasoningEffort
from ....models.agents import AgentStatus

__all__ = ["AgentStatus", "LLMReasoningEffort"]
