"""The request bodies: the arguments of each call, checked (`_checks`) and turned into what the official SDK
sends. The create parameters are declared once, in `CreateArguments`, from which the body is built attribute
by attribute (`_create_body`: mypy checks every name and type from here to the generated model). The routes
(`_routes`) put the bodies into the generated endpoints' request builders.

Nothing here imports the generated client: the facade and the routes import this module when they load.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from attrs import define, fields

from ._checks import check_header_value, json_object, optional_str, refuse, text
from .models import (
    USER_KEY_ORDER,
    AgentExecutionStatus,
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


@define
class CreateArguments:
    """The parameters of `Tasks.acreate`/`create` (the official SDK's, in its order, with its defaults), as
    given: declared here once. The two public signatures list them again for users and IDEs; a test holds the
    three to the same names, order, types and defaults. Never changed once made (not `frozen`: a frozen attrs
    class sets each of its 33 fields through `object.__setattr__`, four times the cost, on every create)."""

    agent_id: str
    existing_task_id: str | None = None
    prompt: str | None = ""
    file_urls: Sequence[str] | None = ()
    user_details: User | None = None
    principal: Principal | None = None
    agent_version: str | int | None = None
    tool_call_payload_extension: Mapping[str, Any] | None = None
    source: str | None = None
    worker_id: str | None = None
    run_locally: bool | None = False
    output_format: OutputFormat | str | None = None
    output_schema: Mapping[str, Any] | None = None
    events_streaming: bool | None = False
    additional_context: str | None = None
    instructions_override: str | None = None
    test_run_node_id: str | None = None
    user_oidc_token: str | None = None
    expected_output: str | None = None
    mcp_servers: Sequence[MCPServerDetails] | None = ()
    triggering_agent_id: str | None = None
    title: str | None = None
    think_mode: ThinkMode | str | None = ThinkMode.Default
    disable_attachment_injection: bool | None = False
    return_metrics: bool | None = False
    user_tokens: Mapping[str, str] | None = None
    llm_model_provider: str | None = None
    llm_model_name: str | None = None
    llm_reasoning_effort: LLMReasoningEffort | str | None = None
    harness_cli: str | None = None
    tool_call_limit: int | None = None
    attachments: Sequence[AttachmentRef] | None = None
    permission_mode: str | None = None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> CreateArguments:
        """The arguments among `values` (a signature's `locals()`: it holds each parameter, and more)."""
        return cls(*_in_order(values))


CREATE_PARAMETERS: tuple[str, ...] = tuple(attribute.name for attribute in fields(CreateArguments))
"""The names of the create parameters, in the official order."""
_in_order = itemgetter(*CREATE_PARAMETERS)
"""The create parameters' values in a mapping, in the order of `CreateArguments`' fields."""


def agent_version_header(value: object) -> str | None:
    """The `x-agent-version` header value: as the official SDK, `str(agent_version)` when it is truthy (so an
    int 3 is sent as `3`, and None, "" or 0 send no header)."""
    if isinstance(value, bool) or not isinstance(value, str | int | None):
        raise refuse("agent_version", "a string, an int or None", value)
    if not value:
        return None
    return check_header_value("agent_version", str(value))


def agent_create_order(body: dict[str, Any]) -> dict[str, Any]:
    """A create body in the key order of the official `Agent.acreate_task`, which writes `tool_call_limit` last
    (the official `Tasks.acreate` writes it after `disable_attachment_injection`): the same bytes as each."""
    if "tool_call_limit" in body:
        body["tool_call_limit"] = body.pop("tool_call_limit")
    return body


def in_official_order(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with `input.user`'s keys in the official SDK's order, so that the bytes are the official ones."""
    user = body["input"].get("user")
    if user:
        body["input"]["user"] = {key: user[key] for key in USER_KEY_ORDER if key in user}
    return body


def create_secrets(args: CreateArguments) -> list[object]:
    """The secret values among the arguments of `acreate` (strings are picked out by `_failures.Secrets`)."""
    return [args.user_oidc_token, *(args.user_tokens or {}).values(), *mcp_secrets(args.mcp_servers or ())]


_MCP_SECRETS = ("api_key", "client_secret", "headers")


def mcp_secrets(servers: Iterable[object]) -> list[object]:
    """The API keys, client secrets and header values of MCP servers (objects or dicts)."""
    values: list[object] = []
    for server in servers:
        found = server if isinstance(server, Mapping) else {name: getattr(server, name, None) for name in _MCP_SECRETS}
        values += [found.get("api_key"), found.get("client_secret"), *(found.get("headers") or {}).values()]
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
        raise refuse("filters", "a dict of filters, or None", filters)
    checked: dict[str, str] = {}
    for key, value in filters.items():
        if key not in LIST_FILTERS:
            raise refuse("filters", f"a dict with keys among {', '.join(LIST_FILTERS)}", key)
        checked[key] = _filter_value(key, value)
    return checked


def _filter_value(key: str, value: object) -> str:
    if key == "status" and isinstance(value, AgentExecutionStatus):
        return value.value
    if value is None:
        return ""
    if not isinstance(value, str):
        expected = "a string, an AgentExecutionStatus or None" if key == "status" else "a string or None"
        raise refuse(f"filters[{key!r}]", expected, value)
    return text(f"filters[{key!r}]", value)


def update_body(
    tool_call_payload_extension: object, source: object, status: object, last_executed_node_id: object, result: object
) -> dict[str, Any]:
    """The body of `Tasks.aupdate`: the given keys only (None leaves a field as it is), in the official order,
    which is also the spec's (`_routes.update` writes it through the generated `UpdateTaskRequest`). `status`
    may be an AgentExecutionStatus or its string value (the official SDK crashes on a string)."""
    payload = json_object("tool_call_payload_extension", tool_call_payload_extension)
    status_value = None if status is None else to_enum(AgentExecutionStatus, status, "status").value
    body = {
        "tool_call_payload_extension": payload,
        "source": optional_str("source", source),
        "status": status_value,
        "last_executed_node_id": optional_str("last_executed_node_id", last_executed_node_id),
        "result": optional_str("result", result),
    }
    return {key: value for key, value in body.items() if value is not None}
