"""`to_dict()` of Task, TasksListItem and TaskUpdateEvent: JSON-ready data that reads back as the same object."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import load_fixture
from xpander_sdk import Task, TasksListItem, TaskUpdateEvent


def full_task() -> dict[str, Any]:
    data: dict[str, Any] = load_fixture("task-response-full.json")
    return data


def test_a_task_dict_is_json_and_reads_back_as_the_same_task() -> None:
    task = Task.from_dict({**full_task(), "brand_new_field": {"x": 1}})
    data = task.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert list(data)[:5] == ["id", "agent_id", "organization_id", "input", "created_at"]
    assert data["brand_new_field"] == {"x": 1}  # a key this version does not know is kept
    assert data["status"] == task.status.value
    assert Task.from_dict(data) == task
    assert "_owner" not in data and "extra" not in data


def test_a_task_dict_holds_the_secrets_the_server_echoed() -> None:
    """to_dict is the data itself (as the official model_dump): its users redact, as the command line does."""
    task = Task.from_dict({**full_task(), "user_oidc_token": "oidc-secret"})
    assert task.to_dict()["user_oidc_token"] == "oidc-secret"
    assert "oidc-secret" in task.secret_values()


def test_a_list_item_dict_reads_back() -> None:
    item = TasksListItem.from_dict(
        {"id": "t1", "agent_id": "a", "organization_id": "o", "status": "queued_v2", "title": "T", "other": [1]}
    )
    data = item.to_dict()
    assert data["status"] == "queued_v2" and data["other"] == [1]
    assert TasksListItem.from_dict(json.loads(json.dumps(data))) == item


def test_an_event_dict_has_the_envelope_and_the_task() -> None:
    envelope = {
        "type": "task_finished",
        "task_id": "t1",
        "organization_id": "o",
        "time": "2026-05-01T12:00:09Z",
        "data": full_task(),
        "identity": {"name": "Agent", "icon": None},
    }
    event = TaskUpdateEvent.from_envelope(envelope, event_id="7")
    data = event.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["type"] == "task_finished" and data["event_id"] == "7"
    assert data["time"] == "2026-05-01T12:00:09Z"
    assert data["identity"] == {"name": "Agent", "icon": None}
    assert Task.from_dict(data["data"]) == Task.from_dict(full_task())
    chunk = TaskUpdateEvent.from_envelope({**envelope, "type": "chunk", "data": "Hel", "identity": None})
    assert chunk.to_dict()["data"] == "Hel" and chunk.to_dict()["identity"] is None
