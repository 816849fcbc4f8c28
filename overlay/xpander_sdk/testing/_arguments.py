"""Checks of the arguments a test passes to `FakeBackend`'s scripting methods: a wrong one is an
`InvalidArgumentError` naming the parameter, raised in the test, not a failure later in the fake."""

from __future__ import annotations

import json

from ._requests import OPERATIONS
from ._sdk import InvalidArgumentError


def json_text(value: object, parameter: str) -> str:
    """`value` as JSON text; InvalidArgumentError naming `parameter` when it is not JSON (NaN is not)."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(parameter, f"{parameter} must be JSON data: {error}") from None


def text(value: object, parameter: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(parameter, f"{parameter} must be a string, got {type(value).__name__}")
    return value


def seconds(value: object, parameter: str = "after") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
        raise InvalidArgumentError(parameter, f"{parameter} must be a number of seconds >= 0, got {value!r}")
    return float(value)


def count(times: object) -> int:
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise InvalidArgumentError("times", f"times must be a positive integer, got {times!r}")
    return times


def known_operation(operation: str | None) -> str | None:
    if operation is not None and operation not in OPERATIONS:
        raise InvalidArgumentError("operation", f"operation must be one of {sorted(OPERATIONS)}, got {operation!r}")
    return operation
