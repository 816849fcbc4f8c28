"""The create body, built with the generated models (`xpander_api.models.CreateTaskRequest` and friends) from the
checked `CreateArguments`, so that openapi.yaml stays the one description of the wire. As in the official SDK,
every top-level key is sent (null where unset), while `input.attachments` and `input.principal` are left out
when unset.

Imported with the first create (`_routes.create`): the generated models cost about 110 ms to import.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

from xpander_api import models as api
from xpander_api.types import UNSET

from ._bodies import CreateArguments, in_official_order
from ._checks import (
    flag,
    json_object,
    optional_flag,
    optional_str,
    refuse,
    string_list,
    string_map,
    text,
    value_object,
)
from .models import (
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

V = TypeVar("V")
M = TypeVar("M", api.PayloadExtension, api.OutputSchema)


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
    return text("permission_mode", normalised)


def _tool_call_limit(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse("tool_call_limit", "an integer or None", value)
    return value


def _user(value: object) -> api.User | None:
    if value is None:
        return None
    user = value_object("user_details", value, User)
    if not isinstance(user.email, str) or not user.email.strip():
        raise refuse("user_details.email", "a non-empty string (the server requires it)", user.email)
    for name in ("id", "first_name", "last_name", "timezone"):
        optional_str(f"user_details.{name}", getattr(user, name))
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
    principal = value_object("principal", value, Principal)
    if not isinstance(principal.id, str) or not _PRINCIPAL_ID.fullmatch(principal.id):
        raise refuse("principal.id", "a non-empty string without ':' or white space", principal.id)
    return api.Principal(
        kind=api.PrincipalKind(principal.kind.value),
        id=principal.id,
        email=optional_str("principal.email", principal.email),
        display_name=optional_str("principal.display_name", principal.display_name),
    )


def _attachments(value: object) -> list[api.AttachmentRef]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise refuse("attachments", "a list of AttachmentRef", value)
    items = []
    for index, item in enumerate(value):
        name = f"attachments[{index}]"
        attachment = value_object(name, item, AttachmentRef)
        if not isinstance(attachment.url, str) or not attachment.url:
            raise refuse(f"{name}.url", "a non-empty string", attachment.url)
        size = attachment.size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            raise refuse(f"{name}.size", "an integer or None", size)
        expires_at: Any = attachment.expires_at
        items.append(
            api.AttachmentRef(
                url=attachment.url,
                name=optional_str(f"{name}.name", attachment.name),
                mime=optional_str(f"{name}.mime", attachment.mime),
                size=size,
                kind=None if attachment.kind is None else api.AttachmentKind(attachment.kind.value),
                sha256=optional_str(f"{name}.sha256", attachment.sha256),
                expires_at=expires_at.isoformat() if hasattr(expires_at, "isoformat") else expires_at,
                source=optional_str(f"{name}.source", attachment.source),
                transcript=optional_str(f"{name}.transcript", attachment.transcript),
            )
        )
    return items


def _mcp_servers(value: object) -> list[api.MCPServerDetails]:
    """The servers as the generated model; None means none (the official SDK crashes on it, the server accepts
    null as no servers: `[]` is sent, the SDK's default)."""
    if value is None:
        return []
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise refuse("mcp_servers", "a list of MCPServerDetails", value)
    servers = []
    for index, item in enumerate(value):
        name = f"mcp_servers[{index}]"
        server = value_object(name, item, MCPServerDetails)
        for secret in ("api_key", "client_secret"):
            optional_str(f"{name}.{secret}", getattr(server, secret), secret=True)
        servers.append(
            api.MCPServerDetails(
                id=optional_str(f"{name}.id", server.id),
                type_=api.MCPServerType(server.type.value),
                name=optional_str(f"{name}.name", server.name),
                command=optional_str(f"{name}.command", server.command),
                url=optional_str(f"{name}.url", server.url),
                transport=api.MCPServerTransport((server.transport or MCPServerTransport.HTTP_Transport).value),
                auth_type=api.MCPServerAuthType(server.auth_type.value),
                api_key=server.api_key,
                use_secrets_manager=flag(f"{name}.use_secrets_manager", server.use_secrets_manager),
                client_id=optional_str(f"{name}.client_id", server.client_id),
                client_secret=server.client_secret,
                headers=api.MCPHeaders.from_dict(string_map(f"{name}.headers", server.headers, secret=True)),
                env_vars=api.MCPEnvVars.from_dict(string_map(f"{name}.env_vars", server.env_vars, secret=False)),
                allowed_tools=string_list(f"{name}.allowed_tools", server.allowed_tools),
                additional_scopes=string_list(f"{name}.additional_scopes", server.additional_scopes),
                share_user_token_across_other_agents=flag(
                    f"{name}.share_user_token_across_other_agents", server.share_user_token_across_other_agents
                ),
                sso_token=api.MCPServerSSOTokenMode(server.sso_token.value),
                sso_audience=optional_str(f"{name}.sso_audience", server.sso_audience),
            )
        )
    return servers


def _task_input(args: CreateArguments) -> api.TaskInput:
    """`input`: an empty or None prompt is sent as it is (the server's schema allows both: with
    `existing_task_id` an empty prompt continues that task without new text)."""
    prompt, files, attachments, principal = args.prompt, args.file_urls, args.attachments, args.principal
    if prompt is not None and not isinstance(prompt, str):
        raise refuse("prompt", "a string or None", prompt)
    if prompt:
        text("prompt", prompt)
    return api.TaskInput(
        text=prompt,
        files=None if files is None else string_list("file_urls", files),
        attachments=_attachments(attachments) if attachments else UNSET,
        user=_user(args.user_details),
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


def _check_scalars(args: CreateArguments) -> None:
    """The optional strings and flags, sent as given once checked."""
    for name, value in (
        ("existing_task_id", args.existing_task_id),
        ("source", args.source),
        ("worker_id", args.worker_id),
        ("additional_context", args.additional_context),
        ("instructions_override", args.instructions_override),
        ("test_run_node_id", args.test_run_node_id),
        ("expected_output", args.expected_output),
        ("triggering_agent_id", args.triggering_agent_id),
        ("title", args.title),
        ("llm_model_provider", args.llm_model_provider),
        ("llm_model_name", args.llm_model_name),
    ):
        optional_str(name, value)
    optional_str("user_oidc_token", args.user_oidc_token, secret=True)
    for name, given in (
        ("run_locally", args.run_locally),
        ("events_streaming", args.events_streaming),
        ("disable_attachment_injection", args.disable_attachment_injection),
        ("return_metrics", args.return_metrics),
    ):
        optional_flag(name, given)


def build_model(args: CreateArguments) -> api.CreateTaskRequest:
    """The checked request body for the arguments of `acreate`, as the generated model (which writes the
    official SDK's keys, in its order: every top-level key, null where unset)."""
    _check_scalars(args)
    output_format = _optional_enum(OutputFormat, "output_format", args.output_format)
    effort = _optional_enum(LLMReasoningEffort, "llm_reasoning_effort", args.llm_reasoning_effort)
    harness_cli = normalise_harness_cli(args.harness_cli)
    user_tokens = args.user_tokens
    return api.CreateTaskRequest(
        id=args.existing_task_id,
        input_=_task_input(args),
        payload_extension=_free_form(
            api.PayloadExtension, "tool_call_payload_extension", args.tool_call_payload_extension
        ),
        source=args.source,
        worker_id=args.worker_id,
        output_format=None if output_format is None else api.OutputFormat(output_format),
        output_schema=_free_form(api.OutputSchema, "output_schema", args.output_schema),
        run_locally=args.run_locally,
        events_streaming=args.events_streaming,
        additional_context=args.additional_context,
        instructions_override=args.instructions_override,
        test_run_node_id=args.test_run_node_id,
        user_oidc_token=args.user_oidc_token,
        expected_output=args.expected_output,
        mcp_servers=_mcp_servers(args.mcp_servers),
        triggering_agent_id=args.triggering_agent_id,
        title=args.title,
        think_mode=_think_mode(args.think_mode),
        disable_attachment_injection=args.disable_attachment_injection,
        tool_call_limit=_tool_call_limit(args.tool_call_limit),
        user_tokens=None
        if user_tokens is None
        else api.UserTokens.from_dict(string_map("user_tokens", user_tokens, secret=True)),
        return_metrics=args.return_metrics,
        llm_model_provider=args.llm_model_provider,
        llm_model_name=args.llm_model_name,
        llm_reasoning_effort=None if effort is None else api.LLMReasoningEffort(effort),
        harness_cli=None if harness_cli is None else api.HarnessCLI(harness_cli),
        permission_mode=normalise_permission_mode(args.permission_mode),
    )


def build_body(args: CreateArguments) -> dict[str, Any]:
    """The checked JSON body for the arguments of `acreate`, as a dict."""
    return in_official_order(build_model(args).to_dict())
