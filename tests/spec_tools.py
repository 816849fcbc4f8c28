"""Helpers of the contract tests: openapi.yaml loaded once, `$ref`s resolved, JSON Schema validators (OpenAPI 3.1
dialect) for its schemas, the one table that says which `acreate` parameter sends which wire key, the check that
a parsed `Task` holds what its response sent, and httpx transports that record what they send."""

from __future__ import annotations

import datetime
import functools
import inspect
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import yaml  # type: ignore[import-untyped, unused-ignore]  # no stubs in the pinned tool chain
from openapi_schema_validator import OAS31Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from xpander_sdk import Tasks

if TYPE_CHECKING:
    from xpander_sdk import Task

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi.yaml"
SPEC_URI = "urn:xpander-tasks:openapi.yaml"
OPERATION_PATH = "/agent-execution/{agent_id}"

Spec = Mapping[str, Any]


class Validator(Protocol):
    """What the tests use of a jsonschema validator."""

    def iter_errors(self, instance: Any) -> Iterator[Any]: ...

    def is_valid(self, instance: Any) -> bool: ...


# Wire keys whose `acreate` parameter has another name; every other wire key is sent by the parameter of the
# same name. Body keys are dotted paths, `header:`/`path:` name the other parts of the request.
RENAMED_PARAMETERS: dict[str, str] = {
    "id": "existing_task_id",
    "input.text": "prompt",
    "input.files": "file_urls",
    "input.attachments": "attachments",
    "input.user": "user_details",
    "input.principal": "principal",
    "payload_extension": "tool_call_payload_extension",
    "header:x-agent-version": "agent_version",
    "path:agent_id": "agent_id",
}
# CreateTaskRequest keys that are objects of their own, spelled out key by key (not one parameter).
NESTED_REQUEST_KEYS = {"input": "TaskInput"}


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(path.read_text())
    return spec


def load_spec() -> dict[str, Any]:
    """openapi.yaml, parsed once per test session. Treat it as read-only (copy it before changing it)."""
    return _load(SPEC_PATH)


def pointer_get(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer (`/components/schemas/Task`)."""
    node = document
    for part in pointer.lstrip("/").split("/") if pointer.strip("/") else ():
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def escape(key: str) -> str:
    """A key as one JSON pointer segment."""
    return key.replace("~", "~0").replace("/", "~1")


def resolve(node: Any, spec: Spec | None = None) -> Any:
    """`node` with its local `$ref` chain followed (`{"$ref": "#/components/..."}` -> the node it names)."""
    document = load_spec() if spec is None else spec
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            raise ValueError(f"unsupported or circular $ref {ref!r}")
        seen.add(ref)
        node = pointer_get(document, ref[1:])
    return node


def schemas(spec: Spec | None = None) -> dict[str, Any]:
    """components.schemas."""
    document = load_spec() if spec is None else spec
    found: dict[str, Any] = document["components"]["schemas"]
    return found


def schema(name: str, spec: Spec | None = None) -> dict[str, Any]:
    """One component schema, by name."""
    found: dict[str, Any] = schemas(spec)[name]
    return found


def properties(name: str, spec: Spec | None = None) -> dict[str, Any]:
    """The properties of a component schema, in the order the spec lists them."""
    found: dict[str, Any] = schema(name, spec).get("properties", {})
    return found


def operation(spec: Spec | None = None) -> dict[str, Any]:
    """The create-task operation (`POST /agent-execution/{agent_id}`)."""
    document = load_spec() if spec is None else spec
    found: dict[str, Any] = document["paths"][OPERATION_PATH]["post"]
    return found


def operation_pointer() -> str:
    return f"/paths/{escape(OPERATION_PATH)}/post"


def enum_schemas(spec: Spec | None = None) -> dict[str, tuple[list[str], list[str]]]:
    """Every named enum: name -> (values, x-enum-varnames)."""
    return {
        name: (list(node["enum"]), list(node.get("x-enum-varnames", [])))
        for name, node in schemas(spec).items()
        if "enum" in node
    }


def error_responses(spec: Spec | None = None) -> dict[int, dict[str, Any]]:
    """Every non-2xx response of the operation, by status, with its `$ref` resolved."""
    responses = operation(spec)["responses"]
    return {
        int(status): resolve(response, spec)
        for status, response in responses.items()
        if status.isdigit() and not 200 <= int(status) < 300
    }


def response_example(response: Mapping[str, Any]) -> Any:
    """The JSON example of a response (its `example`, or the first of its `examples`)."""
    media = response["content"]["application/json"]
    if "example" in media:
        return media["example"]
    return next(iter(media["examples"].values()))["value"]


def header_example(response: Mapping[str, Any], name: str, spec: Spec | None = None) -> Any:
    """The example of a response header (`Retry-After`), None when the response has no such header."""
    header = response.get("headers", {}).get(name)
    if header is None:
        return None
    header = resolve(header, spec)
    return header.get("example", header.get("schema", {}).get("example"))


def request_example(name: str, spec: Spec | None = None) -> dict[str, Any]:
    """A named example of the request body (`minimal`, `full`)."""
    found: dict[str, Any] = operation(spec)["requestBody"]["content"]["application/json"]["examples"][name]["value"]
    return found


def request_wire_keys(spec: Spec | None = None) -> dict[str, dict[str, Any]]:
    """Every part of the request a caller sets, by wire key (body keys dotted, `header:`, `path:`), with its
    schema: CreateTaskRequest's properties, TaskInput's in place of `input`, and the operation's parameters."""
    keys: dict[str, dict[str, Any]] = {}
    for key, node in properties("CreateTaskRequest", spec).items():
        nested = NESTED_REQUEST_KEYS.get(key)
        if nested is None:
            keys[key] = node
            continue
        ref = node.get("$ref", "")
        if ref != f"#/components/schemas/{nested}":
            raise AssertionError(f"CreateTaskRequest.{key} should be a $ref to {nested}, found {node!r}")
        for inner, inner_node in properties(nested, spec).items():
            keys[f"{key}.{inner}"] = inner_node
    for reference in operation(spec).get("parameters", []):
        parameter = resolve(reference, spec)
        keys[f"{parameter['in']}:{parameter['name']}"] = {**parameter["schema"], "x-required": parameter["required"]}
    return keys


def parameter_for(wire_key: str) -> str:
    """The `acreate` parameter that sends a wire key: the renamed one, else the key's own (last) name."""
    return RENAMED_PARAMETERS.get(wire_key, wire_key.rsplit(":", 1)[-1].rsplit(".", 1)[-1])


@functools.cache
def _acreate_signature() -> inspect.Signature:
    return inspect.signature(Tasks.acreate)


def acreate_parameters() -> dict[str, inspect.Parameter]:
    """The official parameters of `Tasks.acreate`: all but `self` and the keyword-only per-call options."""
    return {
        name: parameter
        for name, parameter in _acreate_signature().parameters.items()
        if name != "self" and parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    }


def default_arguments() -> dict[str, Any]:
    """Every parameter of `acreate` (official ones and options) at its default, `agent_id` excepted: the
    argument dict whose create parameters `_bodies.CreateArguments.of` reads."""
    return {
        name: parameter.default
        for name, parameter in _acreate_signature().parameters.items()
        if name != "self" and parameter.default is not inspect.Parameter.empty
    }


def get_path(body: Mapping[str, Any], dotted: str) -> Any:
    node: Any = body
    for part in dotted.split("."):
        node = node[part]
    return node


def set_path(body: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = body
    for part in parents:
        node = node[part]
    node[last] = value


# -- validation ----------------------------------------------------------------------------------------------
@functools.cache
def _registry(path: Path) -> Registry[Any]:
    spec = _load(path)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(spec))
    return registry


def validator_at(pointer: str, *, formats: bool = True) -> Validator:
    """An OpenAPI 3.1 JSON Schema validator for the schema at a JSON pointer of openapi.yaml, with its
    `$ref`s resolved inside the spec. `formats=True` also asserts `format` (date-time...)."""
    checker = OAS31Validator.FORMAT_CHECKER if formats else None
    validator: Validator = OAS31Validator(
        {"$ref": f"{SPEC_URI}#{pointer}"}, registry=_registry(SPEC_PATH), format_checker=checker
    )
    return validator


@functools.cache
def validator(name: str, *, formats: bool = True) -> Validator:
    """The validator of a component schema (`CreateTaskRequest`, `Task`, ...), built once."""
    if name not in schemas():
        raise KeyError(f"openapi.yaml has no schema {name!r}")
    return validator_at(f"/components/schemas/{escape(name)}", formats=formats)


def violations(check: Validator, instance: Any) -> list[str]:
    """Every reason `instance` breaks the schema, one line each ([] when valid)."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(check.iter_errors(instance), key=lambda error: list(map(str, error.absolute_path)))
    ]


def examples(spec: Spec | None = None) -> Iterator[tuple[str, str, Any]]:
    """Every example of the operation, as (label, JSON pointer of its schema, value): request body examples,
    parameter examples, every response example and every response header example."""
    document = load_spec() if spec is None else spec
    base = operation_pointer()
    op = operation(document)
    for index, parameter in enumerate(op.get("parameters", [])):
        if "example" in parameter:
            yield f"parameter {parameter['name']}", f"{base}/parameters/{index}/schema", parameter["example"]
    media_pointer = f"{base}/requestBody/content/{escape('application/json')}"
    for name, example in op["requestBody"]["content"]["application/json"].get("examples", {}).items():
        yield f"request example {name}", f"{media_pointer}/schema", example["value"]
    for status, reference in op["responses"].items():
        pointer = reference["$ref"][1:] if "$ref" in reference else f"{base}/responses/{status}"
        response = resolve(reference, document)
        media = response.get("content", {}).get("application/json")
        if media is not None:
            schema_pointer = f"{pointer}/content/{escape('application/json')}/schema"
            if "example" in media:
                yield f"response {status} example", schema_pointer, media["example"]
            for name, example in media.get("examples", {}).items():
                yield f"response {status} example {name}", schema_pointer, example["value"]
        for header_name, header_reference in response.get("headers", {}).items():
            header_pointer = (
                header_reference["$ref"][1:]
                if "$ref" in header_reference
                else f"{pointer}/headers/{escape(header_name)}"
            )
            header = resolve(header_reference, document)
            if "example" in header:
                yield f"response {status} header {header_name}", f"{header_pointer}/schema", header["example"]


# -- parsed tasks -------------------------------------------------------------------------------------------
# Enum fields of Task: the string the server sent comes back as `.value`, or this default when absent or null.
TASK_ENUM_DEFAULTS: dict[str, str | None] = {
    "status": "pending",
    "output_format": None,
    "think_mode": "default",
    "llm_reasoning_effort": None,
}
MCP_ENUM_DEFAULTS: dict[str, str] = {"type": "remote", "auth_type": "none", "sso_token": "access"}


def _value(member: Any) -> Any:
    return None if member is None else member.value


def _check_enum(actual: Any, sent: Any, default: str | None, where: str) -> None:
    """The enum member's value is the string sent (an empty one too), or the default when nothing (or null)
    was sent."""
    assert _value(actual) == (default if sent is None else sent), where


def assert_parsed_faithfully(data: Mapping[str, Any], task: Task) -> None:
    """The task holds what the response sent: ids, enum values (unknown ones too), unknown keys in `extra`."""
    assert (task.id, task.agent_id, task.organization_id) == (data["id"], data["agent_id"], data["organization_id"])
    assert isinstance(task.created_at, datetime.datetime)
    for name, default in TASK_ENUM_DEFAULTS.items():
        _check_enum(getattr(task, name), data.get(name), default, name)
    assert task.extra == {key: value for key, value in data.items() if key not in frozenset(properties("Task"))}

    task_input = data["input"]
    assert task.input.text == (task_input.get("text") or "")
    assert task.input.files == (task_input.get("files") or [])
    principal = task_input.get("principal")
    if principal is not None and principal.get("kind") is not None:
        assert task.input.principal is not None
        assert task.input.principal.kind.value == principal["kind"]
    attachments = task_input.get("attachments") or []
    assert [_value(item.kind) for item in task.input.attachments] == [item.get("kind") for item in attachments]
    servers = data.get("mcp_servers") or []
    assert len(task.mcp_servers) == len(servers)
    for server, sent in zip(task.mcp_servers, servers, strict=True):
        for name, default in MCP_ENUM_DEFAULTS.items():
            _check_enum(getattr(server, name), sent.get(name), default, f"mcp_servers[].{name}")
        # The official model's rule on what was stored: a local server talks stdio, a remote one never does.
        transport_sent = sent.get("transport")
        if server.type.value == "local":
            expected = "stdio"
        elif transport_sent in (None, "stdio"):
            expected = "streamable-http"
        else:
            expected = transport_sent
        assert server.transport is not None
        assert server.transport.value == expected, "transport"


# -- recording ----------------------------------------------------------------------------------------------
class RecordingTransport(httpx.BaseTransport):
    """httpx's own transport, keeping every request it sends."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """httpx's own async transport, keeping every request it sends."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
