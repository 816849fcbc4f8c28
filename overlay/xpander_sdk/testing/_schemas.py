"""The strict check of values against openapi.yaml's schemas, without a JSON Schema library: the fake backend
holds its own answers and events to the response schemas with it. Requests are read as the real server reads
them instead (`_validation`: unknown keys ignored, values coerced), not with `violations`, which keeps the
spec's strict request form (`additionalProperties: false`, the SDK's contract).

`_schemas.json` holds the spec's component schemas (written by `make generate`, checked by `make
check-generated`). The spec uses a small part of JSON Schema, and `violations` implements exactly that part:
`$ref`, `anyOf`, `type` (one or a list), `enum`, `properties`, `required`, `additionalProperties`, `items`,
`minLength` and `pattern`. `format` is not asserted (as by default in JSON Schema 2020-12).
tests/test_testing_kit.py checks its verdicts against the `jsonschema` library's on generated values.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
}
_REF_PREFIX = "#/components/schemas/"


@functools.cache
def schemas() -> dict[str, Any]:
    """The component schemas of openapi.yaml, by name."""
    document = json.loads(Path(__file__).with_name("_schemas.json").read_text(encoding="utf-8"))
    return document["schemas"]  # type: ignore[no-any-return]


class Violation(NamedTuple):
    """One reason a value is invalid, as FastAPI reports it in a 422: where (keys and list indexes), what (for
    people) and its kind (for programs)."""

    loc: tuple[str | int, ...]
    msg: str
    type: str

    def __str__(self) -> str:
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in self.loc).lstrip(".")
        return f"{where or 'the value'}: {self.msg}"


def violations(name: str, value: Any) -> list[Violation]:
    """What makes `value` invalid for the component schema `name` (empty when it is valid)."""
    errors: list[Violation] = []
    _check(schemas()[name], value, (), errors)
    return errors


def _check(schema: dict[str, Any], value: Any, loc: tuple[str | int, ...], errors: list[Violation]) -> None:
    if "$ref" in schema:
        _check(schemas()[schema["$ref"].removeprefix(_REF_PREFIX)], value, loc, errors)
    if "anyOf" in schema and not any(_valid(option, value) for option in schema["anyOf"]):
        errors.append(Violation(loc, "Input should match one of the allowed forms", "union"))
    if "type" in schema and not _has_type(value, schema["type"]):
        errors.append(_type_error(schema["type"], loc))
        return
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(repr(option) for option in schema["enum"])
        errors.append(Violation(loc, f"Input should be one of {allowed}", "enum"))
    if isinstance(value, str):
        _check_string(schema, value, loc, errors)
    elif isinstance(value, dict):
        _check_object(schema, value, loc, errors)
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(schema["items"], item, (*loc, index), errors)


def _check_string(schema: dict[str, Any], value: str, loc: tuple[str | int, ...], errors: list[Violation]) -> None:
    if len(value) < schema.get("minLength", 0):
        minimum = schema["minLength"]
        errors.append(Violation(loc, f"String should have at least {minimum} character(s)", "string_too_short"))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(Violation(loc, f"String should match pattern '{schema['pattern']}'", "string_pattern_mismatch"))


def _check_object(
    schema: dict[str, Any], value: dict[str, Any], loc: tuple[str | int, ...], errors: list[Violation]
) -> None:
    errors.extend(
        Violation((*loc, key), "Field required", "missing") for key in schema.get("required", ()) if key not in value
    )
    properties: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            _check(properties[key], item, (*loc, key), errors)
        elif extra is False:
            errors.append(Violation((*loc, key), "Extra inputs are not permitted", "extra_forbidden"))
        elif isinstance(extra, dict):
            _check(extra, item, (*loc, key), errors)


def _valid(schema: dict[str, Any], value: Any) -> bool:
    found: list[Violation] = []
    _check(schema, value, (), found)
    return not found


def _type_error(expected: str | list[str], loc: tuple[str | int, ...]) -> Violation:
    """Pydantic's error for the first type allowed that is not null (`string_type`, `int_type`...)."""
    names = [expected] if isinstance(expected, str) else expected
    name = next((item for item in names if item != "null"), "null")
    kind, noun = _TYPE_ERRORS[name]
    return Violation(loc, f"Input should be {noun}", kind)


_TYPE_ERRORS = {
    "object": ("dict_type", "a valid dictionary"),
    "array": ("list_type", "a valid list"),
    "string": ("string_type", "a valid string"),
    "boolean": ("bool_type", "a valid boolean"),
    "integer": ("int_type", "a valid integer"),
    "number": ("float_type", "a valid number"),
    "null": ("none_required", "None"),
}


def _has_type(value: Any, expected: str | list[str]) -> bool:
    return any(_is(value, name) for name in ([expected] if isinstance(expected, str) else expected))


def _is(value: Any, name: str) -> bool:
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])
