"""Compatibility path of the official SDK: `from xpander_sdk.models.deep_planning import DeepPlanning`."""

from . import DeepPlanning, PlanFollowingStatus
from . import DeepPlanningTask as DeepPlanningItem

__all__ = ["DeepPlanning", "DeepPlanningItem", "PlanFollowingStatus"]
