"""Compatibility path of the official SDK: `from xpander_sdk.modules.agents.sub_modules.agent import Agent`."""

from ...._agents import Agent

__all__ = ["Agent"]
