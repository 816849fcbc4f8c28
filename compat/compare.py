"""Comparing what the two SDKs did for one call: the requests they sent, what they returned or raised, and
the Task (or list items) they parsed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from attrs import define, field

from compat.server import Recorded

Path = tuple[str, ...]
HEADERS = ("x-api-key", "x-agent-version")
RETURNS_SELF = "a method changing the task in place returned None in the official SDK, the task itself in ours"
PRESENCE_HEADERS = ("content-type", "content-length")
"""Headers whose presence is compared (a GET or DELETE sends neither; a JSON body both)."""
UNORDERED: tuple[Path, ...] = ()
"""Objects whose key order is not compared: none (this SDK writes `input.user` in the official order too): a
body's key order is compared everywhere, and its numbers by type (`3` is not `3.0`)."""
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


def same_value(a: Any, b: Any, *, exact: bool = False) -> bool:
    """JSON equality that tells true from 1 and null from absent; int 0 and float 0.0 are the same number
    unless `exact` (a request body, where `3` and `3.0` are different bytes)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float) and not exact:
        return a == b
    return type(a) is type(b) and a == b


def json_differences(
    official: Any, ours: Any, path: Path = (), *, ordered: bool = True, extra: bool = False, exact: bool = False
) -> list[str]:
    """Where two JSON values differ, as 'path: official X, ours Y' lines; key order counts when `ordered`,
    keys only ours has count unless `extra`, an int is not a float when `exact`."""
    if isinstance(official, dict) and isinstance(ours, dict):
        return _dict_differences(official, ours, path, ordered=ordered, extra=extra, exact=exact)
    if isinstance(official, list) and isinstance(ours, list):
        if len(official) != len(ours):
            return [f"{_dotted(path)}: official {short(official)}, ours {short(ours)}"]
        found: list[str] = []
        for index, (a, b) in enumerate(zip(official, ours, strict=True)):
            found += json_differences(a, b, (*path, str(index)), ordered=ordered, extra=extra, exact=exact)
        return found
    if same_value(official, ours, exact=exact):
        return []
    return [f"{_dotted(path)}: official {short(official)}, ours {short(ours)}"]


def _dict_differences(
    official: dict[str, Any], ours: dict[str, Any], path: Path, *, ordered: bool, extra: bool, exact: bool
) -> list[str]:
    found = [f"{_dotted((*path, key))}: missing in ours" for key in official if key not in ours]
    if not extra:
        found += [f"{_dotted((*path, key))}: only in ours" for key in ours if key not in official]
    for key, value in official.items():
        if key in ours:
            found += json_differences(value, ours[key], (*path, key), ordered=ordered, extra=extra, exact=exact)
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
    found = json_differences(official_json, ours_json, exact=True)
    if found:
        return found, []
    sizes = f"{len(official)} bytes vs {len(ours)}"
    return [f"body: the same JSON, different bytes ({sizes}): {_first_byte(official, ours)}"], []


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
    for header in PRESENCE_HEADERS:
        a, b = official.headers.get(header), ours.headers.get(header)
        if (a is None) != (b is None):
            found.append(f"header {header}: official {'sends' if a is not None else 'does not send'} it "
                         f"({a!r}), ours {'sends' if b is not None else 'does not send'} it ({b!r})")  # fmt: skip
    if official.body != ours.body and not (official.body and ours.body):
        return [*found, f"body: official {official.body[:80]!r}, ours {ours.body[:80]!r}"], []
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
    step = f" in step {result['step'] + 1}" if "step" in result else ""
    return f"{result['error_class']} ({result['stage']}{step}): {result['message']}"


def returns_differences(official: dict[str, Any], ours: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What each lifecycle step returned. The official instance methods that change a task in place (reload,
    astop, asave, aset_status and their sync twins) return None, and ours the task itself: a note, not a
    difference (the task's fields are compared after the call either way)."""
    found: list[str] = []
    in_place = False
    for index, (a, b) in enumerate(zip(official.get("returns", []), ours.get("returns", []), strict=False)):
        if (a, b) == ("None", "self"):
            in_place = True
        elif a != b:
            found.append(f"step {index + 1} returned: official {a}, ours {b}")
    return found, [RETURNS_SELF] if in_place else []


def outcome_differences(official: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """How the calls ended: both returned (then the Tasks are compared), or both raised a ModuleException."""
    if official["outcome"] == "returned" and ours["outcome"] == "returned":
        return task_differences(official["task"], ours["task"])
    if official["outcome"] == "raised" and ours["outcome"] == "raised" and official.get("step") != ours.get("step"):
        return [f"official raised {error_text(official)}; ours raised {error_text(ours)}"]
    if official["outcome"] == "raised" and ours["outcome"] == "raised":
        if ours["module_exception"]:
            return []
        return [f"ours raised a non-ModuleException: {error_text(ours)}"]
    if official["outcome"] == "raised":
        return [f"official raised {error_text(official)}; ours {_ending(ours)}"]
    return [f"ours raised {error_text(ours)}; official {_ending(official)}"]


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
            f"official sent {len(official_requests)} request(s){_routes(official_requests)}, ours "
            f"{len(ours_requests)}{_routes(ours_requests)}; official: {_ending(official)}; ours: {_ending(ours)}"
        )
        return verdict
    for a, b in zip(official_requests, ours_requests, strict=True):
        found, notes = request_differences(a, b)
        verdict.differences += found
        verdict.notes += notes
    verdict.differences += outcome_differences(official, ours)
    found, notes = returns_differences(official, ours)
    verdict.differences += found
    verdict.notes += notes
    if not official_requests and official["outcome"] == ours["outcome"] == "raised":
        verdict.notes.append(f"both refused: official {error_text(official)}; ours {error_text(ours)}")
    return verdict


def _routes(requests: Sequence[Recorded]) -> str:
    return f" ({', '.join(f'{request.method} {request.path}' for request in requests)})" if requests else ""


def _ending(result: dict[str, Any]) -> str:
    if result["outcome"] == "returned":
        return f"returned {', then '.join(result['returns'])}" if "returns" in result else "returned a Task"
    return f"raised {error_text(result)}"
