"""Compatibility path of the official SDK: `from xpander_sdk.modules.agents.agents_module import Agents, Agent`."""

from ..._agents import Agent, Agents

__all__ = ["Agent", "Agents"]
