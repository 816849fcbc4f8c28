"""Argument checks: the one home of every check a call makes before anything is sent.

Each raises `InvalidArgumentError` (also a ValueError) naming the parameter and what was expected; a secret's
value is never shown. The request bodies (`_bodies`), the per-call options (`_requestor`), the waits and the
event streams all check their arguments here.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx

from ._constants import HTTP_TRANSPORTS, MAX_CONNECT_TIMEOUT
from .exceptions import InvalidArgumentError

V = TypeVar("V")

_PLAIN_ID = re.compile(r"[\x21-\x7e]+")  # printable ASCII without the space
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]+")  # printable ASCII: no CR, LF or other control characters
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token


def refuse(parameter: str, expected: str, value: object) -> InvalidArgumentError:
    shown = repr(value) if len(repr(value)) <= 80 else f"{type(value).__name__} of length {len(repr(value))}"
    return InvalidArgumentError(parameter, f"{parameter} must be {expected}, got {shown}")


def refuse_secret(parameter: str, expected: str) -> InvalidArgumentError:
    return InvalidArgumentError(parameter, f"{parameter} must be {expected} (its value is not shown: it is a secret)")


def check_path_id(parameter: str, value: object) -> str:
    """An id that the route percent-encodes as one path segment (`agent_id`, `task_id`, `user_id`), so that a
    `/`, `?` or `#` in it can never reach another route. Refused: an empty id, `.` and `..` (the official SDK
    sends these to another route) and control characters (on which the official SDK's httpx fails)."""
    if not isinstance(value, str) or not value:
        raise refuse(parameter, "a non-empty string", value)
    if _PLAIN_ID.fullmatch(value) and value not in (".", ".."):
        return value  # the usual case, decided without looking at each character in Python
    if _CONTROL.search(value):
        raise refuse(parameter, "an id without control characters (CR, LF, tab, NUL...)", value)
    if value in (".", ".."):
        raise refuse(parameter, "an id, not a relative path segment", value)
    return text(parameter, value)


def check_header_value(parameter: str, value: object, *, secret: bool = False) -> str:
    """A value that can travel in an HTTP header: printable ASCII, no CR/LF."""
    if isinstance(value, str) and _HEADER_VALUE.fullmatch(value):
        return value
    expected = "a non-empty string of printable ASCII characters (no CR, LF or other control characters)"
    if secret:
        raise refuse_secret(parameter, expected)
    raise refuse(parameter, expected, value)


def text(parameter: str, value: str, *, secret: bool = False) -> str:
    """`value`, which must encode as UTF-8 (a lone surrogate does not, and would fail in the JSON encoder)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        if secret:
            raise refuse_secret(parameter, "valid Unicode text") from None
        raise refuse(parameter, "valid Unicode text (no lone surrogate)", value) from None
    return value


def optional_str(parameter: str, value: object, *, secret: bool = False) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return text(parameter, value, secret=secret)
    if secret:
        raise refuse_secret(parameter, "a string or None")
    raise refuse(parameter, "a string or None", value)


def string_list(parameter: str, value: object) -> list[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise refuse(parameter, "a list of strings", value)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise refuse(f"{parameter}[{index}]", "a string", item)
        text(f"{parameter}[{index}]", item)
    return list(value)


def json_object(parameter: str, value: object, *, secret: bool = False) -> dict[str, Any] | None:
    """A JSON object (a mapping with string keys that json can encode), or None."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        if secret:
            raise refuse_secret(parameter, "a dict with string keys, or None")
        raise refuse(parameter, "a JSON object (a dict with string keys), or None", value)
    value = dict(value)
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(parameter, f"{parameter} must be JSON-encodable: {exc}") from None
    return value


def string_map(parameter: str, value: object, *, secret: bool) -> dict[str, str]:
    mapping = json_object(parameter, value, secret=secret) or {}
    for key, item in mapping.items():
        if not isinstance(item, str):
            if secret:
                raise refuse_secret(f"{parameter}[{key!r}]", "a string")
            raise refuse(f"{parameter}[{key!r}]", "a string", item)
    return mapping


def value_object(parameter: str, value: object, cls: type[V]) -> V:
    """`value` as an instance of `cls`, also from a dict of its keyword arguments."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        try:
            return cls(**value)
        except TypeError as exc:
            raise InvalidArgumentError(parameter, f"{parameter}: {exc}") from None
        except InvalidArgumentError as exc:  # from a field's converter, named `Class.field`
            field_name = exc.parameter.rpartition(".")[2]
            raise InvalidArgumentError(
                f"{parameter}.{field_name}", exc.description.replace(exc.parameter, f"{parameter}.{field_name}")
            ) from None
    raise refuse(parameter, f"a {cls.__name__} (or a dict of its fields)", value)


# -- numbers and flags ----------------------------------------------------------------------------------------------
def positive_seconds(parameter: str, value: object) -> float:
    """A positive, finite number of seconds (None, which would wait forever, is refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise refuse(parameter, "a positive number of seconds", value)
    return float(value)


def seconds_or_zero(parameter: str, value: object) -> float:
    """`positive_seconds`, or 0 (a worker's grace period: 0 ends the running handlers at once)."""
    if value == 0 and not isinstance(value, bool):
        return 0.0
    return positive_seconds(parameter, value)


MAX_PORT = 65535


def port(parameter: str, value: object) -> int:
    """A TCP port number, 0 (any free one) to 65535."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PORT:
        return value
    raise refuse(parameter, f"a port number from 0 to {MAX_PORT}", value)


def check_timeout(value: object, parameter: str = "timeout") -> httpx.Timeout:
    """A positive number of seconds, or an httpx.Timeout. None (wait forever) is refused on purpose."""
    if isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return httpx.Timeout(float(value), connect=min(MAX_CONNECT_TIMEOUT, float(value)))
    raise refuse(parameter, "a positive number of seconds or an httpx.Timeout", value)


def whole_number(parameter: str, value: object, minimum: int = 0, expected: str = "a non-negative integer") -> int:
    """An int (not a bool) of at least `minimum`."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    raise refuse(parameter, expected, value)


def environment_whole_number(name: str, default: int, minimum: int = 0) -> int:
    """The whole number (at least `minimum`) the environment variable `name` holds now, or `default` when it is
    unset or blank; InvalidArgumentError naming `name` otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        shown = repr(raw) if len(raw) <= 80 else f"a value of {len(raw)} characters"
        raise InvalidArgumentError(name, f"{name} must be a whole number of at least {minimum}, got {shown}")
    return value


def flag(parameter: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise refuse(parameter, "True or False", value)


def optional_flag(parameter: str, value: object) -> bool | None:
    """True, False or None: the official SDK sends None as null, which the server reads as its default."""
    if value is None or isinstance(value, bool):
        return value
    raise refuse(parameter, "True, False or None", value)


def check_http_transport(value: object, parameter: str = "http_transport") -> str:
    """One of `HTTP_TRANSPORTS` ("aiohttp", "httpx"), as given (case and spaces aside)."""
    name = value.strip().lower() if isinstance(value, str) else None
    if name not in HTTP_TRANSPORTS:
        choices = " or ".join(repr(choice) for choice in HTTP_TRANSPORTS)
        raise InvalidArgumentError(parameter, f"{parameter} must be {choices}, got {value!r}")
    return name


# -- what a call adds to its request ---------------------------------------------------------------------------------
def extra_headers(value: object) -> tuple[tuple[str, str], ...]:
    """Headers a call adds (after the SDK's). `x-api-key` cannot be one: set the key in the Configuration, so
    that it is never replaced silently (nor shown in an error)."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise refuse("extra_headers", "a dict of header names to values", value)
    headers = []
    for name, item in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise refuse("extra_headers", "a dict whose keys are HTTP header names", name)
        if name.lower() == "x-api-key":
            raise InvalidArgumentError(
                "extra_headers", "extra_headers cannot set x-api-key: pass Configuration(api_key=...) instead"
            )
        headers.append((name, check_header_value(f"extra_headers[{name!r}]", item)))
    return tuple(headers)


def extra_query(value: object) -> tuple[tuple[str, str], ...]:
    """Query parameters a call adds (they win over the call's own of the same name)."""
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise refuse("extra_query", "a dict of parameter names to strings", value)
    for key, item in value.items():
        if not isinstance(item, str):
            raise refuse(f"extra_query[{key!r}]", "a string", item)
        text(f"extra_query[{key!r}]", item)
    return tuple(value.items())


def extra_body(value: object) -> dict[str, Any] | None:
    """Keys a call adds to its JSON body (they win over the SDK's keys of the same name)."""
    return json_object("extra_body", value)
