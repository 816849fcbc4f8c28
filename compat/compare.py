"""Comparing what the two SDKs did for one call: the requests they sent, what they returned or raised, and
the Task they parsed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from attrs import define, field

from compat.server import Recorded

Path = tuple[str, ...]
HEADERS = ("x-api-key", "x-agent-version")
UNORDERED: tuple[Path, ...] = ()
"""Objects whose key order is not compared: none (this SDK writes `input.user` in the official order too)."""
REPR_LIMIT = 120


@define
class Verdict:
    """What one call did in each SDK, and how they differ (empty `differences`: identical)."""

    name: str
    official: str
    ours: str
    differences: list[str] = field(factory=list)
    notes: list[str] = field(factory=list)


def short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= REPR_LIMIT else f"{text[:REPR_LIMIT]}... ({len(text)} characters)"


def _dotted(path: Path) -> str:
    return ".".join(path) or "(top level)"


def same_value(a: Any, b: Any) -> bool:
    """JSON equality that tells true from 1 and null from absent (int 0 and float 0.0 are the same number)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def json_differences(
    official: Any, ours: Any, path: Path = (), *, ordered: bool = True, extra: bool = False
) -> list[str]:
    """Where two JSON values differ, as 'path: official X, ours Y' lines; key order counts when `ordered`,
    keys only ours has count unless `extra`."""
    if isinstance(official, dict) and isinstance(ours, dict):
        return _dict_differences(official, ours, path, ordered=ordered, extra=extra)
    if isinstance(official, list) and isinstance(ours, list):
        if len(official) != len(ours):
            return [f"{_dotted(path)}: official {short(official)}, ours {short(ours)}"]
        found: list[str] = []
        for index, (a, b) in enumerate(zip(official, ours, strict=True)):
            found += json_differences(a, b, (*path, str(index)), ordered=ordered, extra=extra)
        return found
    if same_value(official, ours):
        return []
    return [f"{_dotted(path)}: official {short(official)}, ours {short(ours)}"]


def _dict_differences(
    official: dict[str, Any], ours: dict[str, Any], path: Path, *, ordered: bool, extra: bool
) -> list[str]:
    found = [f"{_dotted((*path, key))}: missing in ours" for key in official if key not in ours]
    if not extra:
        found += [f"{_dotted((*path, key))}: only in ours" for key in ours if key not in official]
    for key, value in official.items():
        if key in ours:
            found += json_differences(value, ours[key], (*path, key), ordered=ordered, extra=extra)
    shared_official = [key for key in official if key in ours]
    shared_ours = [key for key in ours if key in official]
    if ordered and path not in UNORDERED and shared_official != shared_ours:
        found.append(f"{_dotted(path)}: key order: official {shared_official}, ours {shared_ours}")
    return found


def body_differences(official: bytes, ours: bytes) -> tuple[list[str], list[str]]:
    """The differences between two request bodies, and notes (differences that do not count)."""
    if official == ours:
        return [], []
    try:
        official_json, ours_json = json.loads(official), json.loads(ours)
    except ValueError as exc:
        return [f"body: not both JSON ({exc})"], []
    found = json_differences(official_json, ours_json)
    if found:
        return found, []
    if _strictly_ordered(official_json, ours_json):
        sizes = f"{len(official)} bytes vs {len(ours)}"
        return [f"body: the same JSON, different bytes ({sizes}): {_first_byte(official, ours)}"], []
    orders = [list(_user_of(value)) for value in (official_json, ours_json)]
    return [], [f"body bytes differ only in the key order of input.user: official {orders[0]}, ours {orders[1]}"]


def _user_of(body: Any) -> dict[str, Any]:
    user = body.get("input", {}).get("user") if isinstance(body, dict) else None
    return user if isinstance(user, dict) else {}


def _strictly_ordered(official: Any, ours: Any) -> bool:
    return json.dumps(official, ensure_ascii=False) == json.dumps(ours, ensure_ascii=False)


def _first_byte(official: bytes, ours: bytes) -> str:
    index = next(
        (i for i, (a, b) in enumerate(zip(official, ours, strict=False)) if a != b), min(len(official), len(ours))
    )
    return f"at byte {index}: official {official[index : index + 40]!r}, ours {ours[index : index + 40]!r}"


def request_differences(official: Recorded, ours: Recorded) -> tuple[list[str], list[str]]:
    found = []
    if official.method != ours.method:
        found.append(f"method: official {official.method}, ours {ours.method}")
    if official.path != ours.path:
        found.append(f"path: official {official.path!r}, ours {ours.path!r}")
    for header in HEADERS:
        a, b = official.headers.get(header), ours.headers.get(header)
        if a != b:
            found.append(f"header {header}: official {a!r}, ours {b!r}")
    body, notes = body_differences(official.body, ours.body)
    return found + body, notes


def describe(result: dict[str, Any], requests: Sequence[Recorded]) -> str:
    """One cell of the table: what the SDK sent and how the call ended."""
    sent = "not sent" if not requests else "sent" if len(requests) == 1 else f"sent {len(requests)} requests"
    if result["outcome"] == "returned":
        return f"{sent}, returned"
    status = ""
    if result["module_exception"]:
        status = result["message"].split("]", 1)[0] + "]" if result["message"].startswith("[") else ""
    return f"{sent}, {result['error_class']}{(' ' + status) if status else ''}"


def error_text(result: dict[str, Any]) -> str:
    return f"{result['error_class']} ({result['stage']}): {result['message']}"


def outcome_differences(official: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """How the calls ended: both returned (then the Tasks are compared), or both raised a ModuleException."""
    if official["outcome"] == "returned" and ours["outcome"] == "returned":
        return task_differences(official["task"], ours["task"])
    if official["outcome"] == "raised" and ours["outcome"] == "raised":
        if ours["module_exception"]:
            return []
        return [f"ours raised a non-ModuleException: {error_text(ours)}"]
    if official["outcome"] == "raised":
        return [f"official raised {error_text(official)}; ours returned a Task"]
    return [f"ours raised {error_text(ours)}; official returned a Task"]


def task_differences(official: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """The parsed Tasks, field by field on the official field names (fields only ours has are ignored)."""
    return json_differences(official, ours, ("task",), ordered=False, extra=True)


def compare(
    name: str,
    official: dict[str, Any],
    official_requests: Sequence[Recorded],
    ours: dict[str, Any],
    ours_requests: Sequence[Recorded],
) -> Verdict:
    verdict = Verdict(name, describe(official, official_requests), describe(ours, ours_requests))
    if len(official_requests) != len(ours_requests):
        verdict.differences.append(
            f"official sent {len(official_requests)} request(s), ours {len(ours_requests)}; "
            f"official: {_ending(official)}; ours: {_ending(ours)}"
        )
        return verdict
    for a, b in zip(official_requests, ours_requests, strict=True):
        found, notes = request_differences(a, b)
        verdict.differences += found
        verdict.notes += notes
    verdict.differences += outcome_differences(official, ours)
    if not official_requests and official["outcome"] == ours["outcome"] == "raised":
        verdict.notes.append(f"both refused: official {error_text(official)}; ours {error_text(ours)}")
    return verdict


def _ending(result: dict[str, Any]) -> str:
    return "returned a Task" if result["outcome"] == "returned" else f"raised {error_text(result)}"
