"""The overlay's fast Task parser and the generated `xpander_api.models.Task` (the spec's own reader) agree.

The overlay parses the response JSON itself (five times faster than the generated model plus a conversion);
this differential test holds it to the generated model on generated responses: same values for every field
the spec defines, after mapping `Unset` to the official defaults.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import load_fixture
from xpander_api.models import Task as GeneratedTask
from xpander_api.types import Unset
from xpander_sdk import Task

# The official defaults of the fields the spec lets the server leave out (the overlay applies them).
DEFAULTS: dict[str, Any] = {
    "status": "pending",
    "think_mode": "default",
    "execution_attempts": 1,
    "duration": 0.0,
}
FLAGS = [
    "should_update_parent",
    "is_manually_stopped",
    "events_streaming",
    "is_orchestration",
    "is_gateway",
    "is_app",
    "background_auth_eligible",
    "disable_attachment_injection",
    "must_deep_plan",
    "return_metrics",
    "used_mutating_tools",
    "is_continuous",
]
LISTS = ["sub_executions", "used_tools", "finished_sub_executions"]
STRINGS = [
    "internal_status",
    "last_executed_node_id",
    "agent_version",
    "result",
    "parent_execution",
    "conversation_id",
    "conversation_kind",
    "execution_kind",
    "source",
    "voice_id",
    "additional_context",
    "instructions_override",
    "test_run_node_id",
    "user_oidc_token",
    "expected_output",
    "triggering_agent_id",
    "title",
    "llm_model_provider",
    "llm_model_name",
    "harness_cli",
    "permission_mode",
    "worker_id",
]
ENUMS = {
    "status": ["pending", "completed", "hibernating"],
    "output_format": ["json", "voice", "hologram"],
    "think_mode": ["harder", "deeper"],
    "llm_reasoning_effort": ["xhigh", "maximal"],
}
TIMES = ["started_at", "paused_at", "finished_at", "updated_at"]
text = st.text(max_size=12)
timestamps = st.sampled_from(
    ["2026-05-01T12:00:00.000000Z", "2026-05-01T12:00:00+02:00", "2026-05-01T12:00:00", "2026-05-01T12:00:00.5Z"]
)


def _optional(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values)


@st.composite
def task_json(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": draw(text),
        "agent_id": draw(text),
        "organization_id": draw(text),
        "input": {"text": draw(_optional(text)), "files": draw(_optional(st.lists(text, max_size=2)))},
        "created_at": draw(timestamps),
    }
    candidates: dict[str, st.SearchStrategy[Any]] = {
        **{name: _optional(st.booleans()) for name in FLAGS},
        **{name: _optional(st.lists(text, max_size=2)) for name in LISTS},
        **{name: _optional(text) for name in STRINGS},
        **{name: _optional(st.sampled_from(values)) for name, values in ENUMS.items()},
        **{name: _optional(timestamps) for name in TIMES},
        "tool_call_limit": _optional(st.integers(0, 100)),
        "execution_attempts": _optional(st.integers(1, 5)),
        "duration": _optional(st.floats(0, 1e6)),
        "payload_extension": _optional(st.dictionaries(text, text, max_size=2)),
        "unknown_key": st.integers(),
    }
    for name in draw(st.sets(st.sampled_from(sorted(candidates)))):
        data[name] = draw(candidates[name])
    return data


def _plain(value: Any) -> Any:
    """Values of both parsers in one vocabulary: enums as strings, generated models as dicts."""
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


LOWERED = ("harness_cli", "permission_mode")
"""Read as the official Task's validators read them: stripped and lower-cased, blank as None (the spec keeps any
string; what the server stored is the same value, normalised)."""


def _expected(generated: GeneratedTask, name: str) -> Any:
    value = getattr(generated, name)
    if isinstance(value, Unset) or value is None:
        if name in FLAGS:
            return False
        if name in LISTS:
            return []
        return DEFAULTS.get(name)
    if name in LOWERED:
        return value.strip().lower() or None
    return _plain(value)


def assert_same(data: dict[str, Any]) -> None:
    ours = Task.from_dict(data)
    reference = GeneratedTask.from_dict(data)
    names = ["id", "agent_id", "organization_id", "created_at", *FLAGS, *LISTS, *STRINGS, *ENUMS, *TIMES]
    names += ["tool_call_limit", "execution_attempts", "duration", "payload_extension"]
    for name in names:
        assert _plain(getattr(ours, name)) == _expected(reference, name), name
    assert ours.input.text == (_plain(reference.input_.text) or "")
    assert ours.input.files == (_plain(reference.input_.files) or [])
    assert ours.extra == reference.additional_properties


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task_json())
def test_overlay_parser_agrees_with_the_generated_model(data: dict[str, Any]) -> None:
    assert_same(data)


def test_they_agree_on_the_full_reference_task() -> None:
    data = load_fixture("task-response-full.json")
    assert_same(data)
    ours = Task.from_dict(data)
    assert ours.created_at == datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)
    assert ours.input.user is not None
    assert ours.input.user.additional_attributes == {"team": "x"}
