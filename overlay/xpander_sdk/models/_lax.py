"""Checks that accept a JSON value exactly when the official SDK's pydantic model (lax mode, validated from Python
objects, as `model(**response.json())` does) would, and give the value that model would hold.

They exist to choose the class of an activity-log entry the way the official pydantic union does (see
`models.activity`): a class is a candidate only when pydantic would accept the entry as that class, and among
the candidates pydantic keeps the one with the most fields set, nested models' fields included (pydantic-core's
smart-union `fields_set_count`), the first listed on a tie. So each check also counts the fields set inside the
value it read.

What pydantic accepts, by type (held to the official package by tests/test_activity_log.py): `str` only a
string; `bool` a bool, 0 or 1 (int or float), or one of `0 off f false n no 1 on t true y yes` in any case;
`float` a number, a bool, or an ASCII string Python's `float()` reads; `datetime` a datetime, an ISO-8601 string
or a number of seconds since the epoch (read by `parse_datetime`, which also takes a few forms pydantic refuses:
pydantic then fails the whole thread, which this SDK reads anyway); a `Literal` or an enum one of its string
values exactly; `list[X]` a JSON array of X; `dict` an object; `Any` anything, null included.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

from attrs import frozen

from ._json import parse_datetime

Checked = tuple[Any, int]
"""A value as the official model would hold it, and the number of fields set inside it."""
Check = Callable[[Any], Checked]
"""Reads a value as the official model would, or raises Invalid."""
E = TypeVar("E", bound=Enum)


class Invalid(Exception):
    """The official model would refuse the value (internal to the readers: never reaches a user)."""


def text(value: Any) -> Checked:
    if isinstance(value, str):
        return value, 0
    raise Invalid


_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def boolean(value: Any) -> Checked:
    if isinstance(value, bool):
        return value, 0
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value), 0
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE, 0
    raise Invalid


def number(value: Any) -> Checked:
    """A float field."""
    try:
        if isinstance(value, int | float):
            return float(value), 0
        if isinstance(value, str) and value.isascii():
            return float(value), 0
    except (ValueError, OverflowError):
        pass
    raise Invalid


def moment(value: Any) -> Checked:
    """A datetime field."""
    if isinstance(value, datetime.datetime):
        return value, 0
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed, 0
    raise Invalid


def anything(value: Any) -> Checked:
    return value, 0


def mapping(value: Any) -> Checked:
    """A `dict` field (a JSON object, kept as it came)."""
    if isinstance(value, Mapping):
        return value, 0
    raise Invalid


def literal(*allowed: str) -> Check:
    def check(value: Any) -> Checked:
        if isinstance(value, str) and value in allowed:
            return value, 0
        raise Invalid

    return check


def member(enum: type[E]) -> Check:
    """A field of a string enum: one of its values, as the member."""
    values = {item.value: item for item in enum}

    def check(value: Any) -> Checked:
        if isinstance(value, str) and value in values:
            return values[value], 0
        raise Invalid

    return check


def optional(check: Check) -> Check:
    def maybe(value: Any) -> Checked:
        return (None, 0) if value is None else check(value)

    return maybe


def array(check: Check) -> Check:
    """A `list[X]` field: a JSON array whose items all pass `check`; the fields set inside them add up."""

    def items(value: Any) -> Checked:
        if not isinstance(value, list | tuple):
            raise Invalid
        read, count = [], 0
        for item in value:
            item_value, item_count = check(item)
            read.append(item_value)
            count += item_count
        return read, count

    return items


def best(checks: tuple[Check, ...]) -> Check:
    """A union field: the member with the most fields set, the first listed on a tie (pydantic's smart mode,
    whose further tie-break, exactness, is the same for every member of the unions this SDK reads)."""

    def choose(value: Any) -> Checked:
        chosen: Checked | None = None
        for check in checks:
            try:
                result = check(value)
            except Invalid:
                continue
            if chosen is None or result[1] > chosen[1]:
                chosen = result
        if chosen is None:
            raise Invalid
        return chosen

    return choose


REQUIRED: Any = None
"""A field's default when it has none: the key must be there."""


@frozen
class Field:
    """One field of an official model: its name, its check, and what it holds when the key is absent (a
    factory, or REQUIRED)."""

    name: str
    check: Check
    default: Callable[[], Any] | None = REQUIRED


def read_fields(fields: tuple[Field, ...], data: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """The values of `fields` in the JSON object `data`, and the number of fields set (those present, null or
    not, plus the fields set inside them), as pydantic counts them; Invalid when pydantic would refuse `data`."""
    values: dict[str, Any] = {}
    count = 0
    for field in fields:
        if field.name in data:
            values[field.name], inside = field.check(data[field.name])
            count += 1 + inside
        elif field.default is None:
            raise Invalid
        else:
            values[field.name] = field.default()
    return values, count


def model(fields: tuple[Field, ...], build: Callable[..., Any]) -> Check:
    """A nested model field: a JSON object read by `fields`, built with `build(**values)`."""

    def check(value: Any) -> Checked:
        if not isinstance(value, Mapping):
            raise Invalid
        values, count = read_fields(fields, value)
        return build(**values), count

    return check
