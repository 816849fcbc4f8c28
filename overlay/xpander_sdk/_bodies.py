"""Check the arguments of every call and turn them into what the official SDK sends, refusing bad ones.

Every check runs before anything is sent and raises `InvalidArgumentError` naming the parameter. The create
body is built with the generated models (`xpander_api.models.CreateTaskRequest` and friends), so that
openapi.yaml stays the one description of the wire. As in the official SDK, every top-level key is sent (null
where unset), while `input.attachments` and `input.principal` are left out when unset. The routes are built
in `_endpoints`, from the generated endpoints' request builders.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

from xpander_api import models as api
from xpander_api.types import UNSET

from .exceptions import InvalidArgumentError
from .models import (
    AgentExecutionStatus,
    AttachmentRef,
    LLMReasoningEffort,
    MCPServerDetails,
    MCPServerTransport,
    OutputFormat,
    Principal,
    ThinkMode,
    User,
    to_enum,
)

logger = logging.getLogger("xpander_sdk")

HARNESS_CLIS = frozenset({"claude-code", "codex", "opencode", "xpander"})
PERMISSION_MODES = frozenset({"full", "gated"})
_PRINCIPAL_ID = re.compile(r"[^:\s]+")
_PLAIN_ID = re.compile(r"[\x21-\x7e]+")  # printable ASCII without the space
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]+")  # printable ASCII: no CR, LF or other control characters
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token

OPTIONAL_STRINGS = (
    "existing_task_id",
    "source",
    "worker_id",
    "additional_context",
    "instructions_override",
    "test_run_node_id",
    "expected_output",
    "triggering_agent_id",
    "title",
    "llm_model_provider",
    "llm_model_name",
)
FLAGS = ("run_locally", "events_streaming", "disable_attachment_injection", "return_metrics")

V = TypeVar("V")
M = TypeVar("M", api.PayloadExtension, api.OutputSchema)


def _refuse(parameter: str, expected: str, value: object) -> InvalidArgumentError:
    shown = repr(value) if len(repr(value)) <= 80 else f"{type(value).__name__} of length {len(repr(value))}"
    return InvalidArgumentError(parameter, f"{parameter} must be {expected}, got {shown}")


def _refuse_secret(parameter: str, expected: str) -> InvalidArgumentError:
    return InvalidArgumentError(parameter, f"{parameter} must be {expected} (its value is not shown: it is a secret)")


def check_path_id(parameter: str, value: object) -> str:
    """An id that the route percent-encodes as one path segment (`agent_id`, `task_id`, `user_id`), so that a
    `/`, `?` or `#` in it can never reach another route. Refused: an empty id, `.` and `..` (the official SDK
    sends these to another route) and control characters (on which the official SDK's httpx fails)."""
    if not isinstance(value, str) or not value:
        raise _refuse(parameter, "a non-empty string", value)
    if _PLAIN_ID.fullmatch(value) and value not in (".", ".."):
        return value  # the usual case, decided without looking at each character in Python
    if _CONTROL.search(value):
        raise _refuse(parameter, "an id without control characters (CR, LF, tab, NUL...)", value)
    if value in (".", ".."):
        raise _refuse(parameter, "an id, not a relative path segment", value)
    return _text(parameter, value)


def check_header_value(parameter: str, value: object, *, secret: bool = False) -> str:
    """A value that can travel in an HTTP header: printable ASCII, no CR/LF."""
    if isinstance(value, str) and _HEADER_VALUE.fullmatch(value):
        return value
    expected = "a non-empty string of printable ASCII characters (no CR, LF or other control characters)"
    if secret:
        raise _refuse_secret(parameter, expected)
    raise _refuse(parameter, expected, value)


def _text(parameter: str, value: str, *, secret: bool = False) -> str:
    """`value`, which must encode as UTF-8 (a lone surrogate does not, and would fail in the JSON encoder)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        if secret:
            raise _refuse_secret(parameter, "valid Unicode text") from None
        raise _refuse(parameter, "valid Unicode text (no lone surrogate)", value) from None
    return value


def _optional_str(parameter: str, value: object, *, secret: bool = False) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _text(parameter, value, secret=secret)
    if secret:
        raise _refuse_secret(parameter, "a string or None")
    raise _refuse(parameter, "a string or None", value)


def _flag(parameter: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _refuse(parameter, "True or False", value)


def _optional_flag(parameter: str, value: object) -> bool | None:
    """True, False or None: the official SDK sends None as null, which the server reads as its default."""
    if value is None or isinstance(value, bool):
        return value
    raise _refuse(parameter, "True, False or None", value)


def _string_list(parameter: str, value: object) -> list[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise _refuse(parameter, "a list of strings", value)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise _refuse(f"{parameter}[{index}]", "a string", item)
        _text(f"{parameter}[{index}]", item)
    return list(value)


def json_object(parameter: str, value: object, *, secret: bool = False) -> dict[str, Any] | None:
    """A JSON object (a mapping with string keys that json can encode), or None."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        if secret:
            raise _refuse_secret(parameter, "a dict with string keys, or None")
        raise _refuse(parameter, "a JSON object (a dict with string keys), or None", value)
    value = dict(value)
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(parameter, f"{parameter} must be JSON-encodable: {exc}") from None
    return value


def _string_map(parameter: str, value: object, *, secret: bool) -> dict[str, str]:
    mapping = json_object(parameter, value, secret=secret) or {}
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
        except InvalidArgumentError as exc:  # from a field's converter, named `Class.field`
            field_name = exc.parameter.rpartition(".")[2]
            raise InvalidArgumentError(
                f"{parameter}.{field_name}", exc.description.replace(exc.parameter, f"{parameter}.{field_name}")
            ) from None
    raise _refuse(parameter, f"a {cls.__name__} (or a dict of its fields)", value)


def _optional_enum(enum: Any, parameter: str, value: object) -> str | None:
    return None if value is None else str(to_enum(enum, value, parameter).value)


def _wire_string(value: object) -> str:
    """An enum member's value or `str(value)`, stripped and lower-cased: the official SDK's normalisation."""
    raw = value.value if isinstance(value, Enum) else value
    return str(raw).strip().lower()


def normalise_harness_cli(value: object) -> str | None:
    """As the official SDK: lower-cased and stripped; anything but a known harness becomes None."""
    if value is None:
        return None
    normalised = _wire_string(value)
    if normalised in HARNESS_CLIS:
        return normalised
    logger.warning(
        "harness_cli %r is not one of %s: sent as null, as the official SDK does", value, sorted(HARNESS_CLIS)
    )
    return None


def normalise_permission_mode(value: object) -> str | None:
    """As the official SDK: lower-cased and stripped, blank becomes None, and a value other than `full` and
    `gated` is sent as it is, for the server to judge (the official SDK's own rule)."""
    normalised = None if value is None else _wire_string(value)
    if not normalised:
        return None
    if normalised not in PERMISSION_MODES:
        logger.info("permission_mode %r is neither 'full' nor 'gated': sent for the server to judge", value)
    return _text("permission_mode", normalised)


def agent_version_header(value: object) -> str | None:
    """The `x-agent-version` header value: as the official SDK, `str(agent_version)` when it is truthy (so an
    int 3 is sent as `3`, and None, "" or 0 send no header)."""
    if isinstance(value, bool) or not isinstance(value, str | int | None):
        raise _refuse("agent_version", "a string, an int or None", value)
    if not value:
        return None
    return check_header_value("agent_version", str(value))


def _tool_call_limit(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse("tool_call_limit", "an integer or None", value)
    return value


def _user(value: object) -> api.User | None:
    if value is None:
        return None
    user = _value_object("user_details", value, User)
    if not isinstance(user.email, str) or not user.email.strip():
        raise _refuse("user_details.email", "a non-empty string (the server requires it)", user.email)
    for name in ("id", "first_name", "last_name", "timezone"):
        _optional_str(f"user_details.{name}", getattr(user, name))
    attributes = json_object("user_details.additional_attributes", user.additional_attributes)
    return api.User(
        email=user.email,
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        additional_attributes=None if attributes is None else api.UserAttributes.from_dict(attributes),
        timezone=user.timezone,
    )


def _principal(value: object) -> api.Principal:
    principal = _value_object("principal", value, Principal)
    if not isinstance(principal.id, str) or not _PRINCIPAL_ID.fullmatch(principal.id):
        raise _refuse("principal.id", "a non-empty string without ':' or white space", principal.id)
    return api.Principal(
        kind=api.PrincipalKind(principal.kind.value),
        id=principal.id,
        email=_optional_str("principal.email", principal.email),
        display_name=_optional_str("principal.display_name", principal.display_name),
    )


def _attachments(value: object) -> list[api.AttachmentRef]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise _refuse("attachments", "a list of AttachmentRef", value)
    items = []
    for index, item in enumerate(value):
        name = f"attachments[{index}]"
        attachment = _value_object(name, item, AttachmentRef)
        if not isinstance(attachment.url, str) or not attachment.url:
            raise _refuse(f"{name}.url", "a non-empty string", attachment.url)
        size = attachment.size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            raise _refuse(f"{name}.size", "an integer or None", size)
        expires_at: Any = attachment.expires_at
        items.append(
            api.AttachmentRef(
                url=attachment.url,
                name=_optional_str(f"{name}.name", attachment.name),
                mime=_optional_str(f"{name}.mime", attachment.mime),
                size=size,
                kind=None if attachment.kind is None else api.AttachmentKind(attachment.kind.value),
                sha256=_optional_str(f"{name}.sha256", attachment.sha256),
                expires_at=expires_at.isoformat() if hasattr(expires_at, "isoformat") else expires_at,
                source=_optional_str(f"{name}.source", attachment.source),
                transcript=_optional_str(f"{name}.transcript", attachment.transcript),
            )
        )
    return items


def _mcp_servers(value: object) -> list[api.MCPServerDetails]:
    """The servers as the generated model; None means none (the official SDK crashes on it, the server accepts
    null as no servers: `[]` is sent, the SDK's default)."""
    if value is None:
        return []
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise _refuse("mcp_servers", "a list of MCPServerDetails", value)
    servers = []
    for index, item in enumerate(value):
        name = f"mcp_servers[{index}]"
        server = _value_object(name, item, MCPServerDetails)
        for secret in ("api_key", "client_secret"):
            _optional_str(f"{name}.{secret}", getattr(server, secret), secret=True)
        servers.append(
            api.MCPServerDetails(
                id=_optional_str(f"{name}.id", server.id),
                type_=api.MCPServerType(server.type.value),
                name=_optional_str(f"{name}.name", server.name),
                command=_optional_str(f"{name}.command", server.command),
                url=_optional_str(f"{name}.url", server.url),
                transport=api.MCPServerTransport((server.transport or MCPServerTransport.HTTP_Transport).value),
                auth_type=api.MCPServerAuthType(server.auth_type.value),
                api_key=server.api_key,
                use_secrets_manager=_flag(f"{name}.use_secrets_manager", server.use_secrets_manager),
                client_id=_optional_str(f"{name}.client_id", server.client_id),
                client_secret=server.client_secret,
                headers=api.MCPHeaders.from_dict(_string_map(f"{name}.headers", server.headers, secret=True)),
                env_vars=api.MCPEnvVars.from_dict(_string_map(f"{name}.env_vars", server.env_vars, secret=False)),
                allowed_tools=_string_list(f"{name}.allowed_tools", server.allowed_tools),
                additional_scopes=_string_list(f"{name}.additional_scopes", server.additional_scopes),
                share_user_token_across_other_agents=_flag(
                    f"{name}.share_user_token_across_other_agents", server.share_user_token_across_other_agents
                ),
                sso_token=api.MCPServerSSOTokenMode(server.sso_token.value),
                sso_audience=_optional_str(f"{name}.sso_audience", server.sso_audience),
            )
        )
    return servers


def _task_input(args: Mapping[str, Any]) -> api.TaskInput:
    """`input`: an empty or None prompt is sent as it is (the server's schema allows both: with
    `existing_task_id` an empty prompt continues that task without new text)."""
    prompt, files, attachments = args["prompt"], args["file_urls"], args["attachments"]
    if prompt is not None and not isinstance(prompt, str):
        raise _refuse("prompt", "a string or None", prompt)
    if prompt:
        _text("prompt", prompt)
    principal = args["principal"]
    return api.TaskInput(
        text=prompt,
        files=None if files is None else _string_list("file_urls", files),
        attachments=_attachments(attachments) if attachments else UNSET,
        user=_user(args["user_details"]),
        principal=UNSET if principal is None else _principal(principal),
    )


def _think_mode(value: object) -> api.ThinkMode:
    """None is sent as `default`, the SDK's and the server's default (the official SDK crashes on None)."""
    if value is None:
        return api.ThinkMode.DEFAULT
    return api.ThinkMode(to_enum(ThinkMode, value, "think_mode").value)


def _free_form(model: type[M], parameter: str, value: object, *, secret: bool = False) -> M | None:
    checked = json_object(parameter, value, secret=secret)
    return None if checked is None else model.from_dict(checked)


def build_model(args: Mapping[str, Any]) -> api.CreateTaskRequest:
    """The checked request body for the arguments of `acreate`, as the generated model (which writes the
    official SDK's keys, in its order: every top-level key, null where unset)."""
    for name in OPTIONAL_STRINGS:
        _optional_str(name, args[name])
    _optional_str("user_oidc_token", args["user_oidc_token"], secret=True)
    for name in FLAGS:
        _optional_flag(name, args[name])
    output_format = _optional_enum(OutputFormat, "output_format", args["output_format"])
    effort = _optional_enum(LLMReasoningEffort, "llm_reasoning_effort", args["llm_reasoning_effort"])
    harness_cli = normalise_harness_cli(args["harness_cli"])
    permission_mode = normalise_permission_mode(args["permission_mode"])
    user_tokens = args["user_tokens"]
    return api.CreateTaskRequest(
        id=args["existing_task_id"],
        input_=_task_input(args),
        payload_extension=_free_form(
            api.PayloadExtension, "tool_call_payload_extension", args["tool_call_payload_extension"]
        ),
        source=args["source"],
        worker_id=args["worker_id"],
        output_format=None if output_format is None else api.OutputFormat(output_format),
        output_schema=_free_form(api.OutputSchema, "output_schema", args["output_schema"]),
        run_locally=args["run_locally"],
        events_streaming=args["events_streaming"],
        additional_context=args["additional_context"],
        instructions_override=args["instructions_override"],
        test_run_node_id=args["test_run_node_id"],
        user_oidc_token=args["user_oidc_token"],
        expected_output=args["expected_output"],
        mcp_servers=_mcp_servers(args["mcp_servers"]),
        triggering_agent_id=args["triggering_agent_id"],
        title=args["title"],
        think_mode=_think_mode(args["think_mode"]),
        disable_attachment_injection=args["disable_attachment_injection"],
        tool_call_limit=_tool_call_limit(args["tool_call_limit"]),
        user_tokens=None
        if user_tokens is None
        else api.UserTokens.from_dict(_string_map("user_tokens", user_tokens, secret=True)),
        return_metrics=args["return_metrics"],
        llm_model_provider=args["llm_model_provider"],
        llm_model_name=args["llm_model_name"],
        llm_reasoning_effort=None if effort is None else api.LLMReasoningEffort(effort),
        harness_cli=None if harness_cli is None else api.HarnessCLI(harness_cli),
        permission_mode=permission_mode,
    )


USER_KEY_ORDER = ("id", "first_name", "last_name", "email", "additional_attributes", "timezone")
"""The order of `input.user`'s keys in the official SDK's body (the generated model writes `email` first)."""


def in_official_order(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with `input.user`'s keys in the official SDK's order, so that the bytes are the official ones."""
    user = body["input"].get("user")
    if user:
        body["input"]["user"] = {key: user[key] for key in USER_KEY_ORDER if key in user}
    return body


def build_body(args: Mapping[str, Any]) -> dict[str, Any]:
    """The checked JSON body for the arguments of `acreate`, as a dict."""
    return in_official_order(build_model(args).to_dict())


def create_secrets(args: Mapping[str, Any]) -> list[object]:
    """The secret values among the arguments of `acreate` (strings are picked out by `_http.Secrets`)."""
    return [args["user_oidc_token"], *(args["user_tokens"] or {}).values(), *mcp_secrets(args["mcp_servers"] or ())]


_MCP_SECRETS = ("api_key", "client_secret", "headers")


def mcp_secrets(servers: Iterable[object]) -> list[object]:
    """The API keys, client secrets and header values of MCP servers (objects or dicts)."""
    values: list[object] = []
    for server in servers:
        fields = server if isinstance(server, Mapping) else {name: getattr(server, name, None) for name in _MCP_SECRETS}
        values += [fields.get("api_key"), fields.get("client_secret"), *(fields.get("headers") or {}).values()]
    return values


# -- the other calls --------------------------------------------------------------------------------------------
LIST_FILTERS = ("user_id", "parent_task_id", "triggering_agent_id", "status", "internal_status")
"""The filters the list routes take (the official docs' five)."""


def list_filters(filters: object) -> dict[str, str]:
    """The filters of a list call, checked: known keys, string values (a status also as AgentExecutionStatus,
    sent as its value: the official SDK sends `AgentExecutionStatus.Failed` on the wire). None is sent as an
    empty value, as the official SDK sends it (`parent_task_id=`)."""
    if filters is None:
        return {}
    if not isinstance(filters, Mapping):
        raise _refuse("filters", "a dict of filters, or None", filters)
    checked: dict[str, str] = {}
    for key, value in filters.items():
        if key not in LIST_FILTERS:
            raise _refuse("filters", f"a dict with keys among {', '.join(LIST_FILTERS)}", key)
        checked[key] = _filter_value(key, value)
    return checked


def _filter_value(key: str, value: object) -> str:
    if key == "status" and isinstance(value, AgentExecutionStatus):
        return value.value
    if value is None:
        return ""
    if not isinstance(value, str):
        expected = "a string, an AgentExecutionStatus or None" if key == "status" else "a string or None"
        raise _refuse(f"filters[{key!r}]", expected, value)
    return _text(f"filters[{key!r}]", value)


def update_body(
    tool_call_payload_extension: object, source: object, status: object, last_executed_node_id: object, result: object
) -> dict[str, Any]:
    """The body of `Tasks.aupdate`: the given keys only (None leaves a field as it is), in the official order,
    which is also the spec's (`_endpoints.update` writes it through the generated `UpdateTaskRequest`). `status`
    may be an AgentExecutionStatus or its string value (the official SDK crashes on a string)."""
    payload = json_object("tool_call_payload_extension", tool_call_payload_extension)
    status_value = None if status is None else to_enum(AgentExecutionStatus, status, "status").value
    body = {
        "tool_call_payload_extension": payload,
        "source": _optional_str("source", source),
        "status": status_value,
        "last_executed_node_id": _optional_str("last_executed_node_id", last_executed_node_id),
        "result": _optional_str("result", result),
    }
    return {key: value for key, value in body.items() if value is not None}


def extra_headers(value: object) -> tuple[tuple[str, str], ...]:
    """Headers a call adds (after the SDK's). `x-api-key` cannot be one: set the key in the Configuration, so
    that it is never replaced silently (nor shown in an error)."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise _refuse("extra_headers", "a dict of header names to values", value)
    headers = []
    for name, item in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise _refuse("extra_headers", "a dict whose keys are HTTP header names", name)
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
        raise _refuse("extra_query", "a dict of parameter names to strings", value)
    for key, item in value.items():
        if not isinstance(item, str):
            raise _refuse(f"extra_query[{key!r}]", "a string", item)
        _text(f"extra_query[{key!r}]", item)
    return tuple(value.items())


def extra_body(value: object) -> dict[str, Any] | None:
    """Keys a call adds to its JSON body (they win over the SDK's keys of the same name)."""
    return json_object("extra_body", value)
