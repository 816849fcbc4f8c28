"""The enums and the value objects of the task API (a create-task request, and the parts of a task), with the
official SDK's names.

The generated client (`xpander_api`) has the same enums, but the generator upper-cases member names
(`PENDING`); these keep the official spelling (`AgentExecutionStatus.Pending`) from the spec's
`x-enum-varnames`, and a test holds both to openapi.yaml. Value objects are attrs classes built with
keywords, like the official pydantic models; they are checked when a task is created.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from attrs import Factory, define, field

from ..exceptions import InvalidArgumentError


class OpenEnum(StrEnum):
    """A StrEnum whose pseudo-members (values this version does not list, see `open_enum`) survive pickling
    and deep copies: they are rebuilt through `open_enum`, which also returns the listed members themselves."""

    def __reduce_ex__(self, protocol: object) -> tuple[Any, ...]:
        return (open_enum, (type(self), self._value_))


class AgentExecutionStatus(OpenEnum):
    """The state of a task. The server may send states this version does not list: see `open_enum`."""

    Pending = "pending"
    Executing = "executing"
    Paused = "paused"
    Error = "error"
    Failed = "failed"
    Completed = "completed"
    Stopped = "stopped"

    @property
    def is_terminal(self) -> bool:
        """True for completed, failed, error and stopped."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        AgentExecutionStatus.Completed,
        AgentExecutionStatus.Failed,
        AgentExecutionStatus.Error,
        AgentExecutionStatus.Stopped,
    }
)


class ConversationKind(OpenEnum):
    """How a task's conversation reaches the agent (a list item's `conversation_kind`)."""

    Direct = "direct"
    Gateway = "gateway"


class OutputFormat(OpenEnum):
    """The format of a task's result (`Voice` is an mp3)."""

    Text = "text"
    Markdown = "markdown"
    Json = "json"
    Voice = "voice"


class ThinkMode(OpenEnum):
    """How hard the agent thinks before it answers."""

    Default = "default"
    Harder = "harder"


class LLMReasoningEffort(OpenEnum):
    """The reasoning effort asked of the model."""

    Low = "low"
    Medium = "medium"
    High = "high"
    XHigh = "xhigh"


class MCPServerType(OpenEnum):
    """A local process or a remote server."""

    Local = "local"
    Remote = "remote"


class MCPServerTransport(OpenEnum):
    """How the agent talks to an MCP server."""

    STDIO = "stdio"
    SSE = "sse"
    HTTP_Transport = "streamable-http"


class MCPServerAuthType(OpenEnum):
    """How the agent authenticates to an MCP server."""

    APIKey = "api_key"
    OAuth2 = "oauth2"
    CustomHeaders = "custom_headers"
    SSOUser = "sso_user"
    _None = "none"


class MCPServerSSOTokenMode(OpenEnum):
    """Which of the user's SSO tokens is passed to an MCP server."""

    Access = "access"
    ID = "id"
    Exchange = "exchange"


class PrincipalKind(OpenEnum):
    """What kind of identity a principal is (lower-case member names, as in the official SDK)."""

    user = "user"
    slack = "slack"
    api_key = "api_key"
    system = "system"
    anonymous = "anonymous"


class AttachmentKind(OpenEnum):
    """The broad kind of an attachment's content (lower-case member names, like `PrincipalKind`)."""

    image = "image"
    pdf = "pdf"
    document = "document"
    text = "text"
    audio = "audio"
    video = "video"
    archive = "archive"
    unknown = "unknown"


E = TypeVar("E", bound=StrEnum)


def to_enum(enum: type[E], value: object, parameter: str) -> E:
    """`value` as a member of `enum` (the member itself or its string value); InvalidArgumentError otherwise."""
    if isinstance(value, enum):
        return value
    member = enum._value2member_map_.get(value) if isinstance(value, str) else None
    if member is None:
        allowed = ", ".join(repr(m.value) for m in enum)
        raise InvalidArgumentError(
            parameter, f"{parameter} must be a {enum.__name__} or one of {allowed}, got {value!r}"
        )
    return member  # type: ignore[return-value]  # _value2member_map_ is typed with the Enum base


@lru_cache(maxsize=256)
def open_enum(enum: type[E], value: str) -> E:
    """`value` as a member of `enum`, even when the enum does not list it (forward compatibility).

    The server adds enum values over time; a create the server accepted must not fail because of one. An
    unknown value becomes a pseudo-member: an instance of the enum whose `.value` and `.name` are the
    value itself, equal to the string, but not listed in the enum. The cache keeps one per value (bounded).
    """
    member = enum._value2member_map_.get(value)
    if member is not None:
        return member  # type: ignore[return-value]
    pseudo = str.__new__(enum, value)
    pseudo._name_ = value
    pseudo._value_ = value
    return pseudo


def _principal_kind(value: PrincipalKind | str) -> PrincipalKind:
    return to_enum(PrincipalKind, value, "Principal.kind")


def _attachment_kind(value: AttachmentKind | str | None) -> AttachmentKind | None:
    return None if value is None else to_enum(AttachmentKind, value, "AttachmentRef.kind")


def _mcp_type(value: MCPServerType | str) -> MCPServerType:
    return to_enum(MCPServerType, value, "MCPServerDetails.type")


def _mcp_transport_value(value: MCPServerTransport | str | None) -> MCPServerTransport | None:
    return None if value is None else to_enum(MCPServerTransport, value, "MCPServerDetails.transport")


def _mcp_auth_type(value: MCPServerAuthType | str) -> MCPServerAuthType:
    return to_enum(MCPServerAuthType, value, "MCPServerDetails.auth_type")


def _mcp_sso_token(value: MCPServerSSOTokenMode | str) -> MCPServerSSOTokenMode:
    return to_enum(MCPServerSSOTokenMode, value, "MCPServerDetails.sso_token")


@define(kw_only=True)
class User:
    """The end user a task is run for (`input.user`). `email` is required by the server."""

    email: str
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    additional_attributes: dict[str, Any] | None = None
    timezone: str | None = None
    """An IANA time-zone name, for example `Europe/London`."""


USER_KEY_ORDER = ("id", "first_name", "last_name", "email", "additional_attributes", "timezone")
"""The order of a user's keys in the official SDK's JSON (the generated model writes `email` first)."""


@define(kw_only=True)
class Principal:
    """The identity on whose behalf a task runs (`input.principal`). `id`: not empty, no `:`, no white space."""

    kind: PrincipalKind = field(converter=_principal_kind)
    id: str
    email: str | None = None
    display_name: str | None = None


@define(kw_only=True)
class AttachmentRef:
    """A file attached to a task by URL (`input.attachments`)."""

    url: str
    name: str | None = None
    mime: str | None = None
    size: int | None = None
    kind: AttachmentKind | None = field(default=None, converter=_attachment_kind)
    sha256: str | None = None
    expires_at: str | None = None
    """When the URL stops working, as an ISO-8601 string (a `datetime` is converted)."""
    source: str | None = None
    transcript: str | None = None


def coerced_transport(server: MCPServerDetails) -> MCPServerTransport:
    """The official rule: a local server talks stdio; a remote one never does (stdio or none -> streamable-http)."""
    if server.type is MCPServerType.Local:
        return MCPServerTransport.STDIO
    if server.transport in (None, MCPServerTransport.STDIO):
        return MCPServerTransport.HTTP_Transport
    return server.transport


@define(kw_only=True)
class MCPServerDetails:
    """An MCP server the agent may use for this task. `api_key`, `client_secret` and `headers` are secrets
    and never appear in its repr."""

    id: str | None = None
    type: MCPServerType = field(default=MCPServerType.Remote, converter=_mcp_type)
    name: str | None = None
    command: str | None = None
    url: str | None = None
    transport: MCPServerTransport | None = field(
        default=MCPServerTransport.HTTP_Transport, converter=_mcp_transport_value
    )
    """Set by the official rule after construction: stdio for a local server, never stdio for a remote one."""
    auth_type: MCPServerAuthType = field(default=MCPServerAuthType._None, converter=_mcp_auth_type)
    api_key: str | None = field(default=None, repr=False)
    use_secrets_manager: bool = False
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    headers: dict[str, str] = field(factory=dict, repr=False)
    env_vars: dict[str, str] = Factory(dict)
    allowed_tools: list[str] = Factory(list)
    additional_scopes: list[str] = Factory(list)
    share_user_token_across_other_agents: bool = True
    sso_token: MCPServerSSOTokenMode = field(default=MCPServerSSOTokenMode.Access, converter=_mcp_sso_token)
    sso_audience: str | None = None

    def __attrs_post_init__(self) -> None:
        # The rule's answer is already a member: set it without running the converter again.
        object.__setattr__(self, "transport", coerced_transport(self))


# -- what a task holds ------------------------------------------------------------------------------------------
@define(kw_only=True)
class TaskInput:
    """The input of a task as the server stored it."""

    text: str = ""
    files: list[str] = field(factory=list)
    attachments: list[AttachmentRef] = field(factory=list)
    user: User | None = None
    principal: Principal | None = None


@define(kw_only=True)
class HITLRequest:
    """A human-in-the-loop request the task waits on."""

    wait_node_id: str | None = None


@define(kw_only=True)
class PendingECARequest:
    """A request for the user to connect an external account before the task goes on."""

    connector_name: str | None = None
    auth_url: str | None = None


@define(kw_only=True)
class DeepPlanningTask:
    """One step of a deep plan."""

    id: str | None = None
    title: str | None = None
    completed: bool = False


@define(kw_only=True)
class DeepPlanning:
    """The deep-planning state of a task."""

    enabled: bool = False
    enforce: bool = False
    started: bool = False
    question_raised: bool = False
    tasks: list[DeepPlanningTask] = field(factory=list)


@define(kw_only=True)
class PlanFollowingStatus:
    """Whether a task may finish under its enforced deep plan (`task.aget_plan_following_status()`), and the
    steps of the plan still open when it may not."""

    can_finish: bool
    uncompleted_tasks: list[DeepPlanningTask] = field(factory=list)


@define(kw_only=True)
class TokenUsage:
    """Token usage of a task (with `return_metrics=True`)."""

    completion_tokens: int = 0
    prompt_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.completion_tokens + self.prompt_tokens


Tokens = TokenUsage
"""The official SDK's name for a task's token usage (`xpander_sdk.Tokens`, `xpander_sdk.models.shared.Tokens`)."""
