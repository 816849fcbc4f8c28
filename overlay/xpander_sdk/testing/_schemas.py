"""The fake backend's check of requests and responses against openapi.yaml, without a JSON Schema library.

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
from typing import Any

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


def violations(name: str, value: Any) -> list[str]:
    """What makes `value` invalid for the component schema `name` (empty when it is valid), each as
    `"<where>: <what>"`."""
    errors: list[str] = []
    _check(schemas()[name], value, "", errors)
    return errors


def _check(schema: dict[str, Any], value: Any, where: str, errors: list[str]) -> None:
    if "$ref" in schema:
        _check(schemas()[schema["$ref"].removeprefix(_REF_PREFIX)], value, where, errors)
    if "anyOf" in schema and not any(_valid(option, value) for option in schema["anyOf"]):
        errors.append(f"{where or 'the body'}: {_show(value)} matches none of the allowed forms")
    if "type" in schema and not _has_type(value, schema["type"]):
        errors.append(f"{where or 'the body'}: expected {_names(schema['type'])}, got {_kind(value)}")
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where or 'the body'}: {_show(value)} is not one of {schema['enum']}")
    if isinstance(value, str):
        _check_string(schema, value, where, errors)
    elif isinstance(value, dict):
        _check_object(schema, value, where, errors)
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(schema["items"], item, f"{where}[{index}]", errors)


def _check_string(schema: dict[str, Any], value: str, where: str, errors: list[str]) -> None:
    if len(value) < schema.get("minLength", 0):
        errors.append(f"{where}: must have at least {schema['minLength']} character(s)")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{where}: {value!r} does not match {schema['pattern']}")


def _check_object(schema: dict[str, Any], value: dict[str, Any], where: str, errors: list[str]) -> None:
    prefix = f"{where}." if where else ""
    errors.extend(f"{prefix}{key}: required, missing" for key in schema.get("required", ()) if key not in value)
    properties: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            _check(properties[key], item, f"{prefix}{key}", errors)
        elif extra is False:
            errors.append(f"{prefix}{key}: not allowed here")
        elif isinstance(extra, dict):
            _check(extra, item, f"{prefix}{key}", errors)


def _valid(schema: dict[str, Any], value: Any) -> bool:
    found: list[str] = []
    _check(schema, value, "", found)
    return not found


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


def _names(expected: str | list[str]) -> str:
    return expected if isinstance(expected, str) else " or ".join(expected)


def _kind(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is(value, name):
            return name
    return type(value).__name__


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
