"""Hypothesis strategies derived from openapi.yaml.

`SchemaStrategies` turns the spec's schemas into strategies: types (and lists of types), `enum`, `anyOf`, `$ref`,
`properties`, `required`, `additionalProperties`, `items`, `minimum`, `minLength`, `pattern` and the `date-time`
format. Any other keyword raises, so that a constraint added to the spec is not silently ignored here.

- In request mode an object has every key of its schema (the official SDK sends them all).
- In response mode optional keys may be missing, unknown keys are added where the schema allows them, and
  every open enum (`anyOf: [$ref Enum, string, null]`) gets unknown values too.

`create_calls()` draws the arguments of `Tasks.acreate` from the request schema, together with the body the
official SDK sends for them (None when the SDK must refuse them).
"""

from __future__ import annotations

import datetime
import enum
import functools
from collections.abc import Callable, Mapping
from typing import Any, Literal

from hypothesis import strategies as st

from tests import spec_tools
from xpander_sdk import (
    AttachmentRef,
    LLMReasoningEffort,
    MCPServerDetails,
    OutputFormat,
    Principal,
    ThinkMode,
    User,
)

Mode = Literal["request", "response"]
Strategy = st.SearchStrategy[Any]

IGNORED_KEYWORDS = frozenset({"description", "default", "example", "x-enum-varnames", "x-required"})
SERVER_REQUIRED = "x-server-required"
"""Keys the server requires that the spec's `required` cannot list (openapi.yaml's CreateTaskRequest): a request
the strategies build holds them, as the official SDK's always do."""
SUPPORTED_KEYWORDS = frozenset(
    {"type", "enum", "anyOf", "$ref", "properties", "required", "additionalProperties", "items"}
    | {"minimum", "minLength", "pattern", "format", SERVER_REQUIRED}
)

json_scalars: Strategy = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values: Strategy = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=6,
)
json_objects: st.SearchStrategy[dict[str, Any]] = st.dictionaries(st.text(max_size=10), json_values, max_size=4)

_offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
)


@st.composite
def date_times(draw: st.DrawFn) -> str:
    """ISO-8601 date-times as servers write them: `Z` or an offset or no zone (the spec allows both), and 0-9
    digits of fraction."""
    moment = draw(st.datetimes(min_value=datetime.datetime(1, 1, 1), max_value=datetime.datetime(9999, 12, 30)))
    digits = draw(st.integers(min_value=0, max_value=9))
    fraction = f".{moment.microsecond:06d}{'0' * 3}"[: digits + 1] if digits else ""
    text = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}{fraction}"
    zone = draw(st.sampled_from(["Z", "offset", "none"]))
    if zone == "Z":
        return text + "Z"
    if zone == "offset":
        offset = draw(_offsets).utcoffset(None)
        assert offset is not None
        minutes = int(offset.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        return f"{text}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text


class SchemaStrategies:
    """Strategies for the schemas of openapi.yaml. `overrides` replace the strategy of a place in the spec,
    named `Schema.property` (e.g. `User.email`)."""

    def __init__(self, mode: Mode, overrides: Mapping[str, Strategy] | None = None) -> None:
        self.mode = mode
        self.overrides = dict(overrides or {})
        self._named: dict[str, Strategy] = {}

    def named(self, name: str) -> Strategy:
        """The strategy of a component schema, built once."""
        if name not in self._named:
            self._named[name] = st.deferred(lambda: self.for_schema(spec_tools.schema(name), name))
        return self._named[name]

    def for_schema(self, node: Mapping[str, Any], where: str) -> Strategy:  # noqa: PLR0911 - one per keyword
        if where in self.overrides:
            return self.overrides[where]
        unknown = set(node) - SUPPORTED_KEYWORDS - IGNORED_KEYWORDS
        if unknown:
            raise NotImplementedError(f"{where}: keywords {sorted(unknown)} have no strategy yet")
        if "$ref" in node:
            if set(node) - {"$ref"} - IGNORED_KEYWORDS:
                raise NotImplementedError(f"{where}: keywords beside $ref")
            return self.named(node["$ref"].removeprefix("#/components/schemas/"))
        if "anyOf" in node:
            return st.one_of([self.for_schema(branch, where) for branch in node["anyOf"]])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        types = node.get("type")
        if types is None:
            return json_values
        if isinstance(types, list):
            return st.one_of([self._typed(node, kind, where) for kind in types])
        return self._typed(node, types, where)

    def _typed(self, node: Mapping[str, Any], kind: str, where: str) -> Strategy:
        builders: dict[str, Callable[[Mapping[str, Any], str], Strategy]] = {
            "null": lambda _node, _where: st.none(),
            "boolean": lambda _node, _where: st.booleans(),
            "integer": lambda node, _where: st.integers(min_value=node.get("minimum")),
            "number": lambda _node, _where: st.floats(allow_nan=False, allow_infinity=False) | st.integers(),
            "string": self._string,
            "array": lambda node, where: st.lists(self.for_schema(node.get("items", {}), f"{where}[]"), max_size=2),
            "object": self._object,
        }
        if kind not in builders:
            raise NotImplementedError(f"{where}: type {kind!r}")
        return builders[kind](node, where)

    def _string(self, node: Mapping[str, Any], where: str) -> Strategy:
        if "format" in node:
            if node["format"] != "date-time":
                raise NotImplementedError(f"{where}: format {node['format']!r}")
            return date_times()
        min_size = node.get("minLength", 0)
        if "pattern" in node:
            # fullmatch: as ECMA-262 reads `$` (Python's `$` also matches before a final newline).
            return st.from_regex(node["pattern"], fullmatch=True).filter(lambda text: len(text) >= min_size)
        return st.text(min_size=min_size, max_size=12)

    def _object(self, node: Mapping[str, Any], where: str) -> Strategy:
        properties: Mapping[str, Any] = node.get("properties", {})
        extra = node.get("additionalProperties", True)
        fields = {key: self.for_schema(value, f"{where}.{key}") for key, value in properties.items()}
        if not properties:
            if extra is True:
                return json_objects
            if extra is False:
                return st.just({})
            return st.dictionaries(st.text(max_size=10), self.for_schema(extra, f"{where}[*]"), max_size=3)
        if self.mode == "request":  # every key, in the spec's order (the official SDK's order)
            order = list(properties)
            return st.fixed_dictionaries(fields).map(lambda drawn: {key: drawn[key] for key in order})
        required = {*node.get("required", ()), *node.get(SERVER_REQUIRED, ())}
        known = st.fixed_dictionaries(
            {key: value for key, value in fields.items() if key in required},
            optional={key: value for key, value in fields.items() if key not in required},
        )
        if extra is False:
            return known
        unknown_keys = st.text(min_size=1, max_size=12).filter(lambda key: key not in properties)
        values = json_values if extra is True else self.for_schema(extra, f"{where}[*]")
        unknown = st.dictionaries(unknown_keys, values, max_size=3)
        return st.tuples(known, unknown).map(lambda parts: {**parts[1], **parts[0]})


# -- responses ---------------------------------------------------------------------------------------------------
def task_responses() -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects valid against the spec's `Task` schema, with unknown keys and unknown enum values."""
    strategy: st.SearchStrategy[dict[str, Any]] = SchemaStrategies("response").named("Task")
    return strategy


# -- requests ----------------------------------------------------------------------------------------------------
OMITTED = object()
"""The wire value of a key the SDK leaves out of the body."""
emails: st.SearchStrategy[str] = st.builds(
    "{}@{}".format,
    st.text("abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=12),
    st.sampled_from(["example.com", "mail.example.org", "xn--bcher-kva.example"]),
)
REQUEST_OVERRIDES: dict[str, Strategy] = {
    # The server requires an email address; the SDK refuses a blank one.
    "User.email": emails,
    # Sent as the official SDK normalises it (lower-cased, stripped): drawn in that form, passed in any case.
    "permission_mode": st.sampled_from(["full", "gated"])
    | st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12),
}
# The server accepts null for these, but the official SDK crashes on None: this SDK sends the default.
NONE_SENT_AS: dict[str, Any] = {"think_mode": "default", "mcp_servers": []}
VALUE_OBJECTS: dict[str, type[Any]] = {
    "user_details": User,
    "principal": Principal,
    "attachments": AttachmentRef,
    "mcp_servers": MCPServerDetails,
}
ENUM_PARAMETERS: dict[str, type[enum.Enum]] = {
    "output_format": OutputFormat,
    "think_mode": ThinkMode,
    "llm_reasoning_effort": LLMReasoningEffort,
}
# Taken case- and blank-insensitively, as the official SDK does.
NORMALISED_PARAMETERS = frozenset({"harness_cli", "permission_mode"})
# Keys the official SDK leaves out of the body when their parameter is unset (None or empty).
OMITTED_WHEN_UNSET = frozenset({"input.attachments", "input.principal"})


def default_wire_value(key: str, node: Mapping[str, Any]) -> Any:
    """What the official SDK sends for a parameter left at its default: the spec's default, else the value in
    the spec's `minimal` example, else nothing."""
    if "default" in node:
        return node["default"]
    minimal = spec_tools.request_example("minimal")
    try:
        return spec_tools.get_path(minimal, key)
    except KeyError:
        return OMITTED


def as_argument(parameter: str, wire: Any, choice: int) -> Any:  # noqa: PLR0911 - one per kind of parameter
    """One of the ways a caller may pass a parameter whose wire value is `wire`, picked by the bits of `choice`:
    a value object or a dict of its fields, a list or a tuple, an enum member or its string, any case."""
    if wire is None:
        return None
    cls = VALUE_OBJECTS.get(parameter)
    if cls is not None:
        if isinstance(wire, list):
            items = [cls(**item) if choice >> (index + 1) & 1 else item for index, item in enumerate(wire)]
            return tuple(items) if choice & 1 else items
        return cls(**wire) if choice & 1 else wire
    if parameter in ENUM_PARAMETERS:
        return ENUM_PARAMETERS[parameter](wire) if choice & 1 else wire
    if parameter in NORMALISED_PARAMETERS:
        return [wire, wire.upper(), f" {wire}\t"][choice % 3]
    if parameter == "file_urls":
        return tuple(wire) if choice & 1 else wire
    return wire


def _mcp_transport(server: dict[str, Any]) -> dict[str, Any]:
    """The official rule: a local server talks stdio; a remote one never does."""
    if server["type"] == "local":
        return {**server, "transport": "stdio"}
    if server["transport"] == "stdio":
        return {**server, "transport": "streamable-http"}
    return server


Call = tuple[dict[str, Any], dict[str, Any]]
_DEFAULT = object()


def _parameter_strategy(key: str, node: Mapping[str, Any], request: SchemaStrategies) -> Strategy:
    """(wire value, argument) for one parameter: its default, or a value of its schema passed any valid way."""
    parameter = spec_tools.parameter_for(key)
    signature = spec_tools.acreate_parameters()
    assert parameter in signature, f"openapi.yaml's {key} has no acreate parameter {parameter!r} (see the drift tests)"
    default = (default_wire_value(key, node), signature[parameter].default)
    drawn = st.tuples(request.for_schema(node, key), st.integers(min_value=0, max_value=255)).map(
        lambda pair: (pair[0], as_argument(parameter, pair[0], pair[1]))
    )
    return st.just(default) | drawn


def _assemble(drawn: Mapping[str, tuple[Any, Any]], order: list[str]) -> Call:
    arguments: dict[str, Any] = {**spec_tools.default_arguments(), "agent_id": "agent-123"}
    wire: dict[str, Any] = {}
    for key in order:  # the spec's order: hypothesis draws a dictionary's keys in any order
        wire[key], arguments[spec_tools.parameter_for(key)] = drawn[key]
    for key, sent in NONE_SENT_AS.items():
        if wire[key] is None:
            wire[key] = sent
    body: dict[str, Any] = {}
    for key, value in wire.items():
        if value is OMITTED or (key in OMITTED_WHEN_UNSET and not value):
            continue
        outer, _, inner = key.partition(".")
        if inner:
            body.setdefault(outer, {})[inner] = value
        elif key == "mcp_servers":
            body[key] = [_mcp_transport(server) for server in value]
        else:
            body[key] = value
    return arguments, {key: body[key] for key in spec_tools.properties("CreateTaskRequest")}


def create_calls() -> st.SearchStrategy[Call]:
    """(every argument of `acreate`, the official body for them).

    Each parameter is left at its default or set to a value drawn from its schema in openapi.yaml. Built when
    first drawn from, so that a spec the strategies cannot follow fails the tests that use them, not the
    collection of every test."""
    return st.deferred(_create_calls)


def _create_calls() -> st.SearchStrategy[Call]:
    request = SchemaStrategies("request", REQUEST_OVERRIDES)
    per_key = {
        key: _parameter_strategy(key, node, request)
        for key, node in spec_tools.request_wire_keys().items()
        if ":" not in key  # the path and the header are not in the body
    }
    return st.fixed_dictionaries(per_key).map(functools.partial(_assemble, order=list(per_key)))
