"""Turn the arguments of `Tasks.acreate/create` into the request the official SDK sends, refusing bad ones.

Every check runs before anything is sent and raises `InvalidArgumentError` naming the parameter. The body is
built with the generated models (`xpander_api.models.CreateTaskRequest` and friends) and the route with the
generated endpoint's request builder, so that openapi.yaml stays the one description of the wire. As in the
official SDK, every top-level key is sent (null where unset), while `input.attachments` and
`input.principal` are left out when unset.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx
from attrs import asdict

from .exceptions import InvalidArgumentError
from .models import (
    AttachmentRef,
    LLMReasoningEffort,
    MCPServerDetails,
    OutputFormat,
    Principal,
    ThinkMode,
    User,
    to_enum,
)

logger = logging.getLogger("xpander_sdk")

HARNESS_CLIS = frozenset({"claude-code", "codex", "opencode", "xpander"})
PERMISSION_MODES = frozenset({"full", "gated"})
MAX_AGENT_ID_LENGTH = 512
_PRINCIPAL_ID = re.compile(r"[^:\s]+")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]+")  # printable ASCII: no CR, LF or other control characters

OPTIONAL_STRINGS = (
    "existing_task_id",
    "source",
    "worker_id",
    "additional_context",
    "instructions_override",
    "test_run_node_id",
    "user_oidc_token",
    "expected_output",
    "triggering_agent_id",
    "title",
    "llm_model_provider",
    "llm_model_name",
)
FLAGS = ("run_locally", "events_streaming", "disable_attachment_injection", "return_metrics")

V = TypeVar("V")


def _refuse(parameter: str, expected: str, value: object) -> InvalidArgumentError:
    shown = repr(value) if len(repr(value)) <= 80 else f"{type(value).__name__} of length {len(repr(value))}"
    return InvalidArgumentError(parameter, f"{parameter} must be {expected}, got {shown}")


def _refuse_secret(parameter: str, expected: str) -> InvalidArgumentError:
    return InvalidArgumentError(parameter, f"{parameter} must be {expected} (its value is not shown: it is a secret)")


def check_agent_id(agent_id: object) -> str:
    """A non-empty agent id without white space or control characters; the route percent-encodes the rest."""
    if not isinstance(agent_id, str) or not agent_id:
        raise _refuse("agent_id", "a non-empty string", agent_id)
    if any(ch.isspace() or not ch.isprintable() for ch in agent_id):
        raise _refuse("agent_id", "an id without white space or control characters", agent_id)
    if agent_id in (".", ".."):
        raise _refuse("agent_id", "an id, not a relative path segment", agent_id)
    if len(agent_id) > MAX_AGENT_ID_LENGTH:
        raise _refuse("agent_id", f"at most {MAX_AGENT_ID_LENGTH} characters", agent_id)
    return agent_id


def check_header_value(parameter: str, value: object, *, secret: bool = False) -> str:
    """A value that can travel in an HTTP header: printable ASCII, no CR/LF."""
    if isinstance(value, str) and _HEADER_VALUE.fullmatch(value):
        return value
    expected = "a non-empty string of printable ASCII characters (no CR, LF or other control characters)"
    if secret:
        raise _refuse_secret(parameter, expected)
    raise _refuse(parameter, expected, value)


def _optional_str(parameter: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _refuse(parameter, "a string or None", value)


def _flag(parameter: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _refuse(parameter, "True or False", value)


def _string_list(parameter: str, value: object) -> list[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise _refuse(parameter, "a list of strings", value)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise _refuse(f"{parameter}[{index}]", "a string", item)
    return list(value)


def _json_object(parameter: str, value: object, *, secret: bool = False) -> dict[str, Any] | None:
    """A JSON object (a mapping with string keys that json can encode), or None."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        if secret:
            raise _refuse_secret(parameter, "a dict with string keys, or None")
        raise _refuse(parameter, "a JSON object (a dict with string keys), or None", value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(parameter, f"{parameter} must be JSON-encodable: {exc}") from None
    return dict(value)


def _string_map(parameter: str, value: object, *, secret: bool) -> dict[str, str]:
    mapping = _json_object(parameter, value, secret=secret) or {}
    for key, item in mapping.items():
        if not isinstance(item, str):
            if secret:
                raise _refuse_secret(f"{parameter}[{key!r}]", "a string")
            raise _refuse(f"{parameter}[{key!r}]", "a string", item)
    return mapping


def _value_object(parameter: str, value: object, cls: type[V]) -> V:
    """`value` as an instance of `cls`, also from a dict of its keyword arguments."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        try:
            return cls(**value)
        except TypeError as exc:
            raise InvalidArgumentError(parameter, f"{parameter}: {exc}") from None
    raise _refuse(parameter, f"a {cls.__name__} (or a dict of its fields)", value)


def _optional_enum(enum: Any, parameter: str, value: object) -> Any:
    return None if value is None else to_enum(enum, value, parameter).value


def normalise_harness_cli(value: object) -> str | None:
    """As the official SDK: lower-cased and stripped; anything but a known harness becomes None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _refuse("harness_cli", "a string or None", value)
    normalised = value.strip().lower()
    if normalised in HARNESS_CLIS:
        return normalised
    logger.warning(
        "harness_cli %r is not one of %s: sent as null, as the official SDK does", value, sorted(HARNESS_CLIS)
    )
    return None


def normalise_permission_mode(value: object) -> str | None:
    """As the official SDK: lower-cased and stripped, blank becomes None; other values are refused here."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _refuse("permission_mode", "'full', 'gated' or None", value)
    normalised = value.strip().lower()
    if not normalised:
        return None
    if normalised not in PERMISSION_MODES:
        raise _refuse("permission_mode", "'full', 'gated' or None", value)
    return normalised


def _tool_call_limit(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _refuse("tool_call_limit", "a non-negative integer or None", value)
    return value


def _user(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    user = _value_object("user_details", value, User)
    if not isinstance(user.email, str) or not user.email.strip():
        raise _refuse("user_details.email", "a non-empty string (the server requires it)", user.email)
    for name in ("id", "first_name", "last_name", "timezone"):
        _optional_str(f"user_details.{name}", getattr(user, name))
    body = asdict(user)
    body["additional_attributes"] = _json_object("user_details.additional_attributes", user.additional_attributes)
    return body


def _principal(value: object) -> dict[str, Any]:
    principal = _value_object("principal", value, Principal)
    if not isinstance(principal.id, str) or not _PRINCIPAL_ID.fullmatch(principal.id):
        raise _refuse("principal.id", "a non-empty string without ':' or white space", principal.id)
    _optional_str("principal.email", principal.email)
    _optional_str("principal.display_name", principal.display_name)
    return asdict(principal, value_serializer=_serialise)


def _attachments(value: object) -> list[dict[str, Any]]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise _refuse("attachments", "a list of AttachmentRef", value)
    items = []
    for index, item in enumerate(value):
        name = f"attachments[{index}]"
        attachment = _value_object(name, item, AttachmentRef)
        if not isinstance(attachment.url, str) or not attachment.url:
            raise _refuse(f"{name}.url", "a non-empty string", attachment.url)
        size = attachment.size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise _refuse(f"{name}.size", "a non-negative integer or None", size)
        items.append(asdict(attachment, value_serializer=_serialise))
    return items


def _serialise(_: object, __: object, value: Any) -> Any:
    """For attrs.asdict: enums as their values, datetimes as ISO-8601 strings."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return getattr(value, "value", value)


def _mcp_servers(value: object) -> list[dict[str, Any]]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise _refuse("mcp_servers", "a list of MCPServerDetails", value)
    servers = []
    for index, item in enumerate(value):
        name = f"mcp_servers[{index}]"
        server = _value_object(name, item, MCPServerDetails)
        for text in ("id", "name", "command", "url", "client_id", "sso_audience"):
            _optional_str(f"{name}.{text}", getattr(server, text))
        for secret in ("api_key", "client_secret"):
            if not (getattr(server, secret) is None or isinstance(getattr(server, secret), str)):
                raise _refuse_secret(f"{name}.{secret}", "a string or None")
        _string_map(f"{name}.headers", server.headers, secret=True)
        _string_map(f"{name}.env_vars", server.env_vars, secret=False)
        _string_list(f"{name}.allowed_tools", server.allowed_tools)
        _string_list(f"{name}.additional_scopes", server.additional_scopes)
        _flag(f"{name}.use_secrets_manager", server.use_secrets_manager)
        _flag(f"{name}.share_user_token_across_other_agents", server.share_user_token_across_other_agents)
        servers.append(asdict(server, value_serializer=_serialise))
    return servers


def build_body(args: Mapping[str, Any]) -> dict[str, Any]:
    """The checked JSON body for the arguments of `acreate`, in the official SDK's key order."""
    for name in OPTIONAL_STRINGS:
        _optional_str(name, args[name])
    for name in FLAGS:
        _flag(name, args[name])
    prompt = args["prompt"]
    if not isinstance(prompt, str):
        raise _refuse("prompt", "a string", prompt)
    files = args["file_urls"]
    if not prompt and not files and not args["attachments"]:
        raise InvalidArgumentError(
            "prompt", "prompt must not be empty when there are no file_urls: give a prompt, files, or both"
        )
    task_input: dict[str, Any] = {
        "text": prompt,
        "files": None if files is None else _string_list("file_urls", files),
    }
    if args["attachments"]:
        task_input["attachments"] = _attachments(args["attachments"])
    task_input["user"] = _user(args["user_details"])
    if args["principal"] is not None:
        task_input["principal"] = _principal(args["principal"])
    user_tokens = args["user_tokens"]
    return {
        "id": args["existing_task_id"],
        "input": task_input,
        "payload_extension": _json_object("tool_call_payload_extension", args["tool_call_payload_extension"]),
        "source": args["source"],
        "worker_id": args["worker_id"],
        "output_format": _optional_enum(OutputFormat, "output_format", args["output_format"]),
        "output_schema": _json_object("output_schema", args["output_schema"]),
        "run_locally": args["run_locally"],
        "events_streaming": args["events_streaming"],
        "additional_context": args["additional_context"],
        "instructions_override": args["instructions_override"],
        "test_run_node_id": args["test_run_node_id"],
        "user_oidc_token": args["user_oidc_token"],
        "expected_output": args["expected_output"],
        "mcp_servers": _mcp_servers(args["mcp_servers"]),
        "triggering_agent_id": args["triggering_agent_id"],
        "title": args["title"],
        "think_mode": to_enum(ThinkMode, args["think_mode"], "think_mode").value,
        "disable_attachment_injection": args["disable_attachment_injection"],
        "tool_call_limit": _tool_call_limit(args["tool_call_limit"]),
        "user_tokens": None if user_tokens is None else _string_map("user_tokens", user_tokens, secret=True),
        "return_metrics": args["return_metrics"],
        "llm_model_provider": args["llm_model_provider"],
        "llm_model_name": args["llm_model_name"],
        "llm_reasoning_effort": _optional_enum(
            LLMReasoningEffort, "llm_reasoning_effort", args["llm_reasoning_effort"]
        ),
        "harness_cli": normalise_harness_cli(args["harness_cli"]),
        "permission_mode": normalise_permission_mode(args["permission_mode"]),
    }


def secrets_of(args: Mapping[str, Any], api_key: str) -> tuple[str, ...]:
    """Every secret value of a call, to keep out of error messages (servers may echo the request)."""
    values = [api_key, args["user_oidc_token"]]
    values += list((args["user_tokens"] or {}).values())
    for server in args["mcp_servers"] or ():
        fields = (
            server
            if isinstance(server, Mapping)
            else {
                "api_key": server.api_key,
                "client_secret": server.client_secret,
                "headers": server.headers,
            }
        )
        values += [fields.get("api_key"), fields.get("client_secret"), *(fields.get("headers") or {}).values()]
    return tuple(value for value in values if isinstance(value, str) and len(value) >= 3)


def build_request(
    client: httpx.Client | httpx.AsyncClient,
    *,
    root_url: str,
    agent_id: str,
    body: dict[str, Any],
    api_key: str,
    agent_version: str | None,
    timeout: httpx.Timeout,
    user_agent: str,
) -> httpx.Request:
    """The httpx request, from the generated endpoint's request builder (route, headers, body)."""
    from xpander_api.api.tasks import create_task  # noqa: PLC0415 - the generated package loads on first use
    from xpander_api.models import CreateTaskRequest  # noqa: PLC0415

    parts = create_task._get_kwargs(  # the generated route, header and body builder
        agent_id,
        body=CreateTaskRequest.from_dict(body),
        **({} if agent_version is None else {"x_agent_version": agent_version}),
    )
    headers = {**parts["headers"], "x-api-key": api_key, "accept": "application/json", "user-agent": user_agent}
    return client.build_request(
        parts["method"], root_url + parts["url"], json=parts["json"], headers=headers, timeout=timeout
    )


def check_timeout(value: object, parameter: str = "timeout") -> httpx.Timeout:
    """A positive number of seconds, or an httpx.Timeout. None (wait forever) is refused on purpose."""
    if isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return httpx.Timeout(float(value), connect=min(10.0, float(value)))
    raise _refuse(parameter, "a positive number of seconds or an httpx.Timeout", value)
