"""The JSON forms of values, shared by the task and the event models: timestamps read as pydantic reads them, and
values written as the official SDK's pydantic dump writes them."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from enum import Enum
from typing import Any

import attrs
from attrs import fields

from . import USER_KEY_ORDER, TokenUsage, User


def parse_datetime(value: object) -> datetime.datetime | None:
    """An ISO-8601 timestamp (with or without a zone) or, as pydantic reads it, a number of seconds since the
    epoch (milliseconds above 2e10), as a datetime; None when absent or unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        pass
    from dateutil.parser import isoparse  # noqa: PLC0415 - only for the forms fromisoformat does not take

    try:
        return isoparse(value)
    except (ValueError, OverflowError):
        pass
    try:
        return _from_epoch(float(value))
    except ValueError:
        return None


def _from_epoch(seconds: float) -> datetime.datetime | None:
    if abs(seconds) > 2e10:
        seconds /= 1000
    try:
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def jsonable(value: Any) -> Any:
    """`value` as the official SDK's pydantic dump writes it: enums as values, date-times as ISO-8601 with `Z`
    for UTC, nested objects as dicts in their fields' order (`input.user` in the official order)."""
    if isinstance(value, float | int | str | bool) or value is None:
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if attrs.has(type(value)):
        return _object_dump(value)
    if isinstance(value, Mapping):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value  # anything else is left for the JSON check of the save call to refuse, naming the task


def _object_dump(value: Any) -> dict[str, Any]:
    if isinstance(value, User):
        return {key: jsonable(getattr(value, key)) for key in USER_KEY_ORDER}
    dumped = {a.name: jsonable(getattr(value, a.name)) for a in fields(type(value))}
    if isinstance(value, TokenUsage):
        dumped["total_tokens"] = value.total_tokens
    return dumped
