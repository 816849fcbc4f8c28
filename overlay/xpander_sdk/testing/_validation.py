"""How the real server reads a request body: FastAPI, on pydantic v2 models with the default configuration.

The spec's request schemas are the SDK's contract and stricter than the server on purpose (`additionalProperties:
false`, so the SDK's contract tests catch a misspelt key); `_schemas.violations` checks that strict form. The
server instead ignores unknown keys, coerces in pydantic's lax mode (`"3"` is an int, `"yes"` a bool, `3.0` an
int) and answers what it cannot use with FastAPI's 422, whose items are pydantic's errors
(`ValidationError.errors(include_url=False)`: `type`, `loc`, `msg`, `input`, `ctx` when there is one). This
module does the same without pydantic (no runtime dependency): `read_body` is FastAPI's reading of the bytes,
`validate_request` pydantic's validation of the value against a component schema, the schema read as a model:

- an object with `properties` is a model: keys it does not list are ignored (dropped), `required` (and
  `x-server-required`) ones missing are `missing`, a value that is not an object is `model_attributes_type`
  (FastAPI validates with `from_attributes=True`); an object without `properties` is a `dict` (`dict_type`),
  its values checked against `additionalProperties` when that is a schema;
- `type: [X, "null"]` and an `anyOf` with a `null` member are `X | None` (no union tag in the errors); an
  `anyOf` of several other members is a smart-mode union: refused, it lists each member's errors with the
  member's tag in the `loc` (`str-enum[PermissionMode]`, `str`, `constrained-str`);
- an `enum` is a `str` Enum (`enum`), `minLength` and `pattern` are string constraints (Rust regex semantics:
  `\\s` is Unicode White_Space and `$` the very end).

The value returned is pydantic's `model_dump(mode="json", exclude_unset=True)`: the keys given (coerced), none
of the defaults, and NaN or infinity written as null. tests/test_testing_validation.py holds all of this to
pydantic itself, on generated bodies.
"""

from __future__ import annotations

import email.message
import json
import math
import re
from typing import Any

from ._schemas import schemas

_REF_PREFIX = "#/components/schemas/"
_WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_WHITE_SPACE += "\u2028\u2029\u202f\u205f\u3000"
"""Unicode's White_Space, which Rust's `str::trim` and regex `\\s` mean (Python's `isspace` adds \\x1c-\\x1f)."""
_JSON_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_RUST_FLOAT = re.compile(r"[+-]?(?:(?i:inf|infinity|nan)|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_MAX_INT_DIGITS = 4300
_I64_LIMIT = 2.0**63
_TRUE = frozenset({"1", "t", "y", "on", "yes", "true"})
_FALSE = frozenset({"0", "f", "n", "no", "off", "false"})
MAX_DEPTH = 100
"""How deeply the fake lets a body nest (the server's parser stops near 1,000 levels): deeper is a 400."""
_PARSE_ERROR = "There was an error parsing the body"
SERVER_REQUIRED = "x-server-required"
"""The spec's keyword for the keys the server requires that `required` cannot list (see openapi.yaml's
CreateTaskRequest: the generator would write them first, and the SDK's bytes would differ from the official)."""
_FAILED = object()


class BodyRefused(Exception):
    """FastAPI's answer to a body it cannot use: `status` 422 with the errors in `detail`, or 400."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def read_body(content: bytes, content_type: str | None) -> Any:
    """The body FastAPI validates: None when empty, the JSON value for a JSON content type, else the bytes
    (FastAPI reads no JSON without a JSON `Content-Type`, by default since 0.132). A body that is not JSON is
    422 `json_invalid` at its character position; one Python cannot decode at all (bad UTF-8) is a 400."""
    if not content:
        return None
    if not _is_json(content_type):
        return content
    try:
        value = json.loads(content)
    except json.JSONDecodeError as error:
        detail = {"type": "json_invalid", "loc": ["body", error.pos], "msg": "JSON decode error", "input": {}}
        raise BodyRefused(422, [{**detail, "ctx": {"error": error.msg}}]) from None
    except (ValueError, RecursionError):
        raise BodyRefused(400, _PARSE_ERROR) from None
    if _depth(value) > MAX_DEPTH:
        raise BodyRefused(400, _PARSE_ERROR)
    return value


def _is_json(content_type: str | None) -> bool:
    """Starlette's test: `application/json` or `application/<anything>+json`, parameters ignored."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def _depth(value: Any) -> int:
    """How deeply `value` nests (1 for a scalar), without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict | list):
            pending.extend((item, level + 1) for item in (node.values() if isinstance(node, dict) else node))
    return deepest


def check_body(name: str, body: Any) -> Any:
    """The body (from `read_body`) as the server's model of schema `name` reads it; BodyRefused (422, FastAPI's
    errors, each `loc` starting with "body") when it cannot. A missing body is `missing` at ["body"]."""
    if body is None:
        raise BodyRefused(422, [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}])
    if isinstance(body, bytes):
        body = body.decode(errors="replace")  # FastAPI writes the raw body back as text in the error
    value, errors = validate_request(name, body)
    if errors:
        raise BodyRefused(422, [{**error, "loc": ["body", *error["loc"]]} for error in errors])
    return value


def check_query(schema: dict[str, Any], query: dict[str, str]) -> Any:
    """The query parameters as FastAPI reads them, `schema` an object schema of them (`properties`, `required`):
    the values coerced (`"true"` is a bool), or BodyRefused (422, each `loc` starting with "query"; a missing one
    is `missing` with `input` null)."""
    errors: list[dict[str, Any]] = []
    value = _validate_object(schema, dict(query), (), errors)
    if errors:
        detail = [
            {**error, "loc": ["query", *error["loc"]], "input": None if error["type"] == "missing" else error["input"]}
            for error in errors
        ]
        raise BodyRefused(422, detail)
    return value


def validate_request(name: str, value: Any) -> tuple[Any, list[dict[str, Any]]]:
    """`value` (JSON data) validated as the server's pydantic model of the component schema `name` does: the
    coerced value (None when refused) and pydantic's errors (empty when accepted; `input` in JSON form)."""
    errors: list[dict[str, Any]] = []
    coerced = _validate(schemas()[name], value, (), errors)
    return (None, [{**error, "input": json_mode(error["input"])} for error in errors]) if errors else (coerced, [])


def json_mode(value: Any) -> Any:
    """`value` as pydantic writes it in JSON mode: NaN and infinity are null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_mode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_mode(item) for item in value]
    return value


# -- the schema as a pydantic model ------------------------------------------------------------------------------
Loc = tuple[str | int, ...]


def _error(kind: str, loc: Loc, msg: str, value: Any, ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    error = {"type": kind, "loc": list(loc), "msg": msg, "input": value}
    return error if ctx is None else {**error, "ctx": ctx}


def _validate(schema: dict[str, Any], value: Any, loc: Loc, errors: list[dict[str, Any]]) -> Any:
    """The coerced `value`, or _FAILED with its errors appended."""
    if "$ref" in schema:
        schema = schemas()[schema["$ref"].removeprefix(_REF_PREFIX)]
    members, nullable = _members(schema)
    if value is None and nullable:
        return None
    if len(members) > 1:
        return _validate_union(members, value, loc, errors)
    return _validate_one(members[0], value, loc, errors)


def _members(schema: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The schemas a value may match but null, and whether null is allowed."""
    if "anyOf" in schema:
        others = [member for member in schema["anyOf"] if member != {"type": "null"}]
        return others, len(others) < len(schema["anyOf"])
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        (single,) = (name for name in kind if name != "null")
        return [{**schema, "type": single}], True
    return [schema], False


def _validate_union(members: list[dict[str, Any]], value: Any, loc: Loc, errors: list[dict[str, Any]]) -> Any:
    """Smart mode: the first member that takes the value (the members of the spec's unions agree on it);
    refused, each member's errors, tagged."""
    found: list[dict[str, Any]] = []
    for member in members:
        attempt: list[dict[str, Any]] = []
        coerced = _validate(member, value, (*loc, _tag(member)), attempt)
        if not attempt:
            return coerced
        found.extend(attempt)
    errors.extend(found)
    return _FAILED


def _tag(schema: dict[str, Any]) -> str:
    """The tag pydantic gives a union member in an error's `loc`."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(_REF_PREFIX)
        return f"str-enum[{name}]" if "enum" in schemas()[name] else name
    if schema.get("type") == "string":
        return "constrained-str" if "minLength" in schema or "pattern" in schema else "str"
    return {"integer": "int", "boolean": "bool", "number": "float"}.get(schema.get("type", ""), "any")


def _validate_one(schema: dict[str, Any], value: Any, loc: Loc, errors: list[dict[str, Any]]) -> Any:
    if "$ref" in schema or "anyOf" in schema:
        return _validate(schema, value, loc, errors)
    if "enum" in schema:
        return _validate_enum(schema["enum"], value, loc, errors)
    kind = "object" if "properties" in schema else schema.get("type")
    structured = {"object": _validate_object, "array": _validate_list, "string": _validate_str}.get(kind or "")
    if structured is not None:
        return structured(schema, value, loc, errors)
    scalar = {"integer": _to_int, "boolean": _to_bool, "number": _to_float}.get(kind or "")
    if scalar is None:
        return json_mode(value)  # no type: Any
    coerced, error = scalar(value)
    if error is not None:
        errors.append(_error(*error, loc, _MESSAGES[error[0]], value))
        return _FAILED
    return coerced


def _validate_enum(allowed: list[str], value: Any, loc: Loc, errors: list[dict[str, Any]]) -> Any:
    if isinstance(value, str) and value in allowed:
        return value
    quoted = [repr(option) for option in allowed]
    expected = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    errors.append(_error("enum", loc, f"Input should be {expected}", value, {"expected": expected}))
    return _FAILED


def _validate_object(schema: dict[str, Any], value: Any, loc: Loc, errors: list[dict[str, Any]]) -> Any:
    if "properties" not in schema:
        return _validate_dict(schema.get("additionalProperties", True), value, loc, errors)
    if not isinstance(value, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        errors.append(_error("model_attributes_type", loc, msg, value))
        return _FAILED
    required = (*schema.get("required", ()), *schema.get(SERVER_REQUIRED, ()))
    coerced: dict[str, Any] = {}
    for key, field in schema["properties"].items():
        if key in value:
            coerced[key] = _validate(field, value[key], (*loc, key), errors)
        elif key in required:
            errors.append(_error("missing", (*loc, key), "Field required", value))
    return coerced


def _validate_dict(values: Any, value: Any, loc: Loc, errors: list[dict[str, Any]]) -> Any:
    if not isinstance(value, dict):
        errors.append(_error("dict_type", loc, "Input should be a valid dictionary", value))
        return _FAILED
    if not isinstance(values, dict):
        return json_mode(value)
    return {key: _validate(values, item, (*loc, key), errors) for key, item in value.items()}


def _validate_list(schema: dict[str, Any], value: Any, loc: Loc, errors: list[dict[str, Any]]) -> Any:
    if not isinstance(value, list):
        errors.append(_error("list_type", loc, "Input should be a valid list", value))
        return _FAILED
    items = schema.get("items", {})
    return [_validate(items, item, (*loc, index), errors) for index, item in enumerate(value)]


def _validate_str(schema: dict[str, Any], value: Any, loc: Loc, errors: list[dict[str, Any]]) -> Any:
    if not isinstance(value, str):
        errors.append(_error("string_type", loc, "Input should be a valid string", value))
        return _FAILED
    if "minLength" not in schema and "pattern" not in schema:
        return value
    problem = _constraint_error(schema, value, loc)
    if problem is not None:
        errors.append(problem)
        return _FAILED
    return value


def _constraint_error(schema: dict[str, Any], value: str, loc: Loc) -> dict[str, Any] | None:
    """The first constraint `value` breaks, in pydantic's order (a constrained string must be valid UTF-8)."""
    if any("\ud800" <= char <= "\udfff" for char in value):
        msg = "Input should be a valid string, unable to parse raw data as a unicode string"
        return _error("string_unicode", loc, msg, value)
    minimum = schema.get("minLength", 0)
    if len(value) < minimum:
        msg = f"String should have at least {minimum} character{'' if minimum == 1 else 's'}"
        return _error("string_too_short", loc, msg, value, {"min_length": minimum})
    pattern = schema.get("pattern")
    if pattern is not None and not _rust_regex(pattern).search(value):
        msg = f"String should match pattern '{pattern}'"
        return _error("string_pattern_mismatch", loc, msg, value, {"pattern": pattern})
    return None


def _rust_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` as Rust's regex crate (pydantic's engine) reads the spec's simple patterns: `\\s` is Unicode
    White_Space, and `$` at the end matches only at the very end (Python's also before a final newline)."""
    translated = pattern.replace(r"\s", re.escape(_WHITE_SPACE))
    if translated.endswith("$") and not translated.endswith(r"\$"):
        translated = translated[:-1] + r"\Z"
    return re.compile(translated)


# -- lax scalars (pydantic-core's python-mode rules, for the values json.loads makes) ----------------------------
_MESSAGES = {
    "int_type": "Input should be a valid integer",
    "int_parsing": "Input should be a valid integer, unable to parse string as an integer",
    "int_from_float": "Input should be a valid integer, got a number with a fractional part",
    "int_parsing_size": "Unable to parse input string as an integer, exceeded maximum size",
    "finite_number": "Input should be a finite number",
    "bool_type": "Input should be a valid boolean",
    "bool_parsing": "Input should be a valid boolean, unable to interpret input",
    "float_type": "Input should be a valid number",
    "float_parsing": "Input should be a valid number, unable to parse string as a number",
}
_Scalar = tuple[Any, tuple[str] | None]


def _to_int(value: Any) -> _Scalar:
    if isinstance(value, int):  # a bool too: True is 1
        return int(value), None
    if isinstance(value, float):
        return _float_to_int(value)
    if isinstance(value, str):
        return _str_to_int(value)
    return None, ("int_type",)


def _float_to_int(value: float) -> _Scalar:
    if not math.isfinite(value):
        return None, ("finite_number",)
    if not value.is_integer():
        return None, ("int_from_float",)
    if not -_I64_LIMIT < value < _I64_LIMIT:
        return None, ("int_parsing_size",)
    return int(value), None


def _str_to_int(text: str) -> _Scalar:
    """A JSON integer as it is, else once cleaned (spaces, a `+`, leading zeros, `.000`, `1_000`)."""
    if _JSON_INT.fullmatch(text):
        return (None, ("int_parsing_size",)) if len(text.lstrip("-")) > _MAX_INT_DIGITS else (int(text), None)
    cleaned = _clean_int_str(text)
    if cleaned is None or not _JSON_INT.fullmatch(cleaned) or len(cleaned.lstrip("-")) > _MAX_INT_DIGITS:
        return None, ("int_parsing",)
    return int(cleaned), None


def _clean_int_str(text: str) -> str | None:
    """pydantic-core's `clean_int_str`: None when cleaning changes nothing or cannot apply."""
    cleaned = text.strip(_WHITE_SPACE)
    if cleaned.startswith("+"):
        if cleaned[1:2] == "-":
            return None
        cleaned = cleaned[1:]
    negative = cleaned.startswith("-")
    if negative:
        if cleaned[1:2] in ("-", "+"):
            return None
        cleaned = cleaned[1:]
    digits = _strip_leading_zeros(cleaned)
    if digits is None:
        return None
    point = digits.find(".")
    if point >= 0 and digits[point + 1 :] and set(digits[point + 1 :]) == {"0"}:
        digits = digits[:point]
    sign = "-" if negative else ""
    if "_" in digits and not digits.startswith("_") and not digits.endswith("_") and "__" not in digits:
        return sign + digits.replace("_", "")
    return None if len(digits) == len(text) else sign + digits


def _strip_leading_zeros(text: str) -> str | None:
    if not text or (text[0] != "0" and not ("1" <= text[0] <= "9" or text[0] == "-")):
        return None
    if text[0] != "0":
        return text
    for index, char in enumerate(text[1:], start=1):
        if char in "0_":
            continue
        if "1" <= char <= "9" or char == "-":
            return text[index:]
        return text[index - 1 :] if char == "." else None
    return text[-1]


def _to_bool(value: Any) -> _Scalar:
    if isinstance(value, bool):
        return value, None
    if isinstance(value, str):
        word = value.lower() if value.isascii() else value
        return (True, None) if word in _TRUE else (False, None) if word in _FALSE else (None, ("bool_parsing",))
    if isinstance(value, int):  # an i64 is 0, 1 or bool_parsing; a bigger one is not a bool at all
        whole: Any = value if -_I64_LIMIT <= value < _I64_LIMIT else None
    elif isinstance(value, float):
        whole, _ = _float_to_int(value)
    else:
        whole = None
    if whole is None:
        return None, ("bool_type",)
    return (bool(whole), None) if whole in (0, 1) else (None, ("bool_parsing",))


def _to_float(value: Any) -> _Scalar:
    if isinstance(value, float):
        return json_mode(value), None
    if isinstance(value, int):  # a bool too
        try:
            return float(value), None
        except OverflowError:
            return None, ("float_type",)
    if not isinstance(value, str):
        return None, ("float_type",)
    for text in (value.strip(_WHITE_SPACE), _without_underscores(value)):
        if text is not None and _RUST_FLOAT.fullmatch(text):
            return json_mode(float(text)), None
    return None, ("float_parsing",)


def _without_underscores(text: str) -> str | None:
    if text.startswith("_") or text.endswith("_") or "_" not in text or "__" in text:
        return None
    return text.replace("_", "")
