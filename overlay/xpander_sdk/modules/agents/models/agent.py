"""Compatibility path of the official SDK: `from xpander_sdk.modules.agents.models.agent import LLMReasoningEffort`."""

from ....models import LLMReasoningEffort

__all__ = ["LLMReasoningEffort"]
