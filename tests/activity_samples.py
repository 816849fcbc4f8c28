"""Sample activity-log JSON for tests/test_activity_log.py, and the official SDK's reading of it.

`official_reading(python, payload)` runs the official `xpander-sdk` (its own venv, see tests/official_recording.py)
once in a subprocess on everything a test module needs: threads read as the official `aget_activity_log` reads them
(`AgentActivityThread(**data)`), the names and fields of the official classes, and values read by pydantic's
lax validators.

`generated_entries(seed, count)` makes entries that mix the fields of every kind, valid and not: the entries
where the classes' field sets overlap are where the official pydantic union's choice matters.

The reading is recorded in tests/fixtures/activity-official-readings.json, so `make test` needs no official venv:
`python -m tests.activity_samples --record` records it again (after a change of the samples), `--check` (run by
`make compat`, which installs the official package) fails when the official package reads them otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from typing import Any

from tests.official_recording import record_or_check

_OFFICIAL_SCRIPT = r"""
import datetime, inspect, json, sys
from typing import List
from pydantic import TypeAdapter
from xpander_sdk.models import activity
from xpander_sdk.models.activity import AgentActivityThread

payload = json.load(sys.stdin)
threads = []
for data in payload["threads"]:
    try:
        thread = AgentActivityThread(**data)
    except Exception:
        threads.append(None)
        continue
    threads.append({
        "thread": thread.model_dump(mode="json", exclude={"messages"}),
        "messages": [[type(m).__name__, m.model_dump(mode="json")] for m in thread.messages],
    })
classes = {
    name: list(value.model_fields)
    for name, value in vars(activity).items()
    if inspect.isclass(value) and hasattr(value, "model_fields") and value.__module__ == activity.__name__
}
types = {"bool": bool, "float": float, "str": str, "datetime": datetime.datetime, "list[str]": List[str]}
values = {}
for name, samples in payload["values"].items():
    adapter = TypeAdapter(types[name])
    read = []
    for sample in samples:
        try:
            value = adapter.validate_python(sample)
            read.append([True, value.isoformat() if isinstance(value, datetime.datetime) else value])
        except Exception:
            read.append([False, None])
    values[name] = read
print(json.dumps({"threads": threads, "classes": classes, "values": values}))
"""


def official_reading(python: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the official SDK makes of `payload` (`threads`, `values`): see the module docstring."""
    completed = subprocess.run(
        [python, "-c", _OFFICIAL_SCRIPT],
        input=json.dumps(payload),
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},  # its own xpander_sdk, not ours
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


# -- generated entries ---------------------------------------------------------------------------------------------
_POOLS: dict[str, list[Any]] = {  # the first value of each pool is a valid one
    "id": ["e1", 7, None],
    "created_at": [
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00",
        1714557600,
        "1714557600",
        "2024-05-01T10:00:00.250+02:00",
        "nope",
        None,
    ],
    "role": ["agent", "user", "system", None],
    "content": [
        {"text": "hi"},
        {"text": "hi", "files": ["a"]},
        {},
        {"files": None},
        {"text": 3},
        None,
        "hi",
        {"files": [2]},
    ],
    "sub_execution_result": [True, "yes", "maybe", 1, 2, None, "F"],
    "user": [
        {"email": "a@b.c"},
        {"email": "a@b.c", "id": "u", "additional_attributes": {"k": 1}},
        {"id": "u"},
        None,
        "u",
        {"email": "e", "additional_attributes": []},
    ],
    "tool_name": ["search", 5, None],
    "payload": [{"q": 1}, None, [1], "x"],
    "is_error": [False, "false", "off", 0, 0.0, 3, None, "TRUE"],
    "reasoning": [{"title": "t"}, {"title": "t", "description": "d"}, {}, None, "because", {"title": 1}],
    "result": ["ok", {"a": 1}, None, 3],
    "plan_task_id": ["p1", None, 9],
    "type": [
        "think",
        "analyze",
        "Think",
        "token_ready",
        "login_required",
        "not_supported",
        "token_issue",
        None,
        "other",
    ],
    "title": ["T", "", None, 1],
    "confidence": [0.5, 1, "0.7", "high", True, None, " 2 ", "1_0"],
    "thought": ["th", None, 1],
    "analysis": ["an", None],
    "action": [
        "create_execution",
        "ask_execution",
        "stop_execution",
        "continue_execution",
        "get_executions_result",
        "approval_card",
        5,
        None,
        "compare",
    ],
    "agent_id": ["a1", None, 3],
    "query": ["q", None, 1],
    "files": [["f"], [], None, [1], "f"],
    "data": [
        {"message": "m"},
        {"access_token": "tok"},
        {"url": "u", "server_url": "s", "server_name": "n"},
        {"message": "m", "access_token": "t"},
        {"access_token": "t", "server_url": "s"},
        {},
        None,
        {"url": "u", "server_url": "s", "server_name": "n", "message": "m", "access_token": "t"},
    ],
    "created_execution_id": ["x1", None, 2],
    "new_input": ["more", None],
    "rejected": ["no", None, 1],
    "is_async": [True, "true", None, "x"],
    "executions": [
        [{"created_execution_id": "x1", "status": "completed"}],
        [],
        None,
        [{"status": "s"}],
        "x",
        [{"created_execution_id": "x2", "result": None, "more": 1}],
    ],
    "description": ["d", None, ""],
    "kind": ["card"],
    "foo": [1, {"a": [1]}],
}
_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # the required fields of a kind, its optional ones
    "message": (("id", "created_at", "role", "content"), ("sub_execution_result", "user")),
    "tool": (("id", "created_at", "tool_name", "payload"), ("is_error", "reasoning", "result", "plan_task_id")),
    "reasoning": (("id", "created_at", "type", "title", "confidence"), ("thought", "action", "result", "analysis")),
    "sub": (("id", "created_at", "agent_id", "reasoning"), ("query", "files", "plan_task_id")),
    "auth": (("id", "created_at", "type", "data"), ()),
    "gateway": (
        ("id", "created_at", "reasoning", "created_execution_id"),
        ("agent_id", "title", "description", "action", "query", "is_async", "new_input", "rejected", "executions"),
    ),
    "other": (("id", "created_at"), ("agent_id", "kind", "foo")),
}
_AUTH_TYPES = ("token_ready", "login_required", "not_supported", "token_issue")


def _value(rnd: random.Random, key: str, valid_share: float) -> Any:
    pool = _POOLS[key]
    return pool[0] if rnd.random() < valid_share else rnd.choice(pool)


def generated_entries(seed: int, count: int) -> list[dict[str, Any]]:
    """`count` entries, the same for the same seed: a kind's required fields (mostly valid, now and then missing
    or wrong), some of its optional ones, and now and then a field of another kind."""
    rnd = random.Random(seed)
    entries = []
    for _ in range(count):
        required, optional = _KINDS[rnd.choice(sorted(_KINDS))]
        entry = {key: _value(rnd, key, 0.7) for key in required if rnd.random() < 0.92}
        if "reasoning" in entry and "created_execution_id" in required and rnd.random() < 0.8:
            entry["reasoning"] = "why"  # a gateway decision's reasoning is text
        if "data" in entry and rnd.random() < 0.7:
            entry["type"] = rnd.choice(_AUTH_TYPES)
        entry.update({key: _value(rnd, key, 0.6) for key in optional if rnd.random() < 0.4})
        entry.update({key: _value(rnd, key, 0.6) for key in sorted(_POOLS) if key not in entry and rnd.random() < 0.06})
        entries.append(entry)
    return entries


LAX_VALUES: dict[str, list[Any]] = {
    "bool": [
        True,
        False,
        0,
        1,
        2,
        0.0,
        1.0,
        1.5,
        "true",
        "TRUE",
        "Yes",
        " true",
        "on",
        "off",
        "t",
        "f",
        "y",
        "n",
        "1",
        "0",
        "",
        "2",
        None,
        [],
        {},
    ],
    "float": [
        1,
        1.5,
        True,
        "1.5",
        " 1.5 ",
        "1e3",
        "inf",
        "-Infinity",
        "1_000",
        "1__0",
        "0x10",
        "",
        "abc",
        "\u0661",
        None,
        [],
        10**400,
    ],
    "str": ["a", "", 1, 1.5, True, None, [], {}],
    "datetime": [
        "2024-05-01T10:00:00Z",
        "2024-05-01",
        "2024-05-01 10:00:00",
        "1714557600",
        1714557600,
        1714557600123,
        1714557600.5,
        "2024-05-01T10:00:00+0000",
        "2024-13-01",
        "Jan 1 2024",
        True,
        None,
        "  2024-05-01T10:00:00Z",
    ],
    "list[str]": [[], ["a"], [1], "ab", {"a": 1}, None, [None]],
}
"""Values pydantic's lax validators accept or refuse, for the `_lax` checks of the same types."""


def payload_digest(payload: dict[str, Any]) -> str:
    """A digest of what the official SDK is asked to read, kept with its recorded reading."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    """`--record` the official SDK's reading, or `--check` the recorded one against it."""
    from tests.test_activity_log import RECORDING, official_payload  # here: that test module imports this one

    def recording(python: str) -> dict[str, Any]:
        payload = official_payload()
        return {"payload_digest": payload_digest(payload), "reading": official_reading(python, payload)}

    return record_or_check(argv, "python -m tests.activity_samples", "activity log", RECORDING, recording)


if __name__ == "__main__":
    sys.exit(main())
