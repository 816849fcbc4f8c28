"""Reading and writing the JSON of tasks: the server's objects read leniently into the SDK's field values, and
the SDK's objects written back as the official SDK writes them.

Read as openapi.yaml's `Task` schema says: only `id`, `agent_id`, `organization_id`, `input` and `created_at`
are required; any other field may be missing or null and gets the official default; an enum value this version
does not list yet becomes a pseudo-member (see `models.open_enum`) instead of an error; timestamps are read with
`datetime.fromisoformat`, falling back on dateutil's lenient `isoparse` for the forms it does not take. A reader
raises KeyError, TypeError or ValueError when the JSON is not a task; the routes (`_routes`) turn that into
InvalidResponseError. The generated `xpander_api.models.Task` reads the same JSON through the spec; a
differential test holds the two to the same answers. This reader exists because it is five times faster, and a
create pays for it on every call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from attrs import fields

from .models import (
    AgentExecutionStatus,
    AttachmentKind,
    AttachmentRef,
    ConversationKind,
    DeepPlanning,
    DeepPlanningTask,
    HITLRequest,
    LLMReasoningEffort,
    MCPServerAuthType,
    MCPServerDetails,
    MCPServerSSOTokenMode,
    MCPServerTransport,
    MCPServerType,
    OutputFormat,
    PendingECARequest,
    Principal,
    PrincipalKind,
    TaskInput,
    ThinkMode,
    TokenUsage,
    User,
    coerced_transport,
    open_enum,
)
from .models._json import jsonable, parse_datetime

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")
Json = Mapping[str, Any]


def _enum(enum: type[E], value: object) -> E | None:
    return None if value is None else open_enum(enum, str(value))


def _enum_or(enum: type[E], value: object, default: E) -> E:
    """The enum value, or `default` when absent or null (an empty string is a value: it is kept)."""
    member = _enum(enum, value)
    return default if member is None else member


def _int_or(value: object, default: int) -> Any:
    """`value`, or `default` when absent or null (0 is a value)."""
    return default if value is None else value


def _lowered(value: object) -> str | None:
    """The official Task's rule for `harness_cli` and `permission_mode`: stripped and lower-cased, blank is None."""
    return None if value is None else (str(value).strip().lower() or None)


def _object(value: object) -> Json:
    """A nested JSON object, or {} for null; TypeError for anything else (the response is not a task)."""
    if type(value) is dict:  # what json.loads makes: decided without the Mapping ABC's slower check
        return value
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _objects(value: object) -> list[Json]:
    return [_object(item) for item in value or ()]  # type: ignore[attr-defined]


# -- a task, and a list item -------------------------------------------------------------------------------------
def read_task(cls: Callable[..., T], data: Json, known: frozenset[str]) -> T:  # long: one flat keyword call
    """The Task (`cls`, handed down by the model) in its JSON object; keys outside `known` go to `extra`. KeyError
    when a required key is missing; TypeError or ValueError when a required value cannot be read. One keyword
    call, not a dict of fields: that would cost a parse (every create pays one) a fifth more."""
    get = data.get
    created_at = parse_datetime(data["created_at"])
    if created_at is None:
        raise ValueError(f"created_at is not an ISO-8601 date-time: {data['created_at']!r}")
    return cls(
        id=data["id"],
        agent_id=data["agent_id"],
        organization_id=data["organization_id"],
        input=_task_input(_object(data["input"])),
        created_at=created_at,
        status=_enum_or(AgentExecutionStatus, get("status"), AgentExecutionStatus.Pending),
        internal_status=get("internal_status"),
        last_executed_node_id=get("last_executed_node_id"),
        agent_version=get("agent_version"),
        started_at=parse_datetime(get("started_at")),
        paused_at=parse_datetime(get("paused_at")),
        finished_at=parse_datetime(get("finished_at")),
        result=get("result"),
        parent_execution=get("parent_execution"),
        conversation_id=get("conversation_id"),
        conversation_kind=get("conversation_kind"),
        sub_executions=list(get("sub_executions") or ()),
        should_update_parent=bool(get("should_update_parent")),
        is_manually_stopped=bool(get("is_manually_stopped")),
        payload_extension=get("payload_extension"),
        execution_kind=get("execution_kind"),
        hitl_request=_hitl_request(get("hitl_request")),
        pending_eca_request=_pending_eca_request(get("pending_eca_request")),
        source=get("source"),
        voice_id=get("voice_id"),
        output_format=_enum(OutputFormat, get("output_format")),
        output_schema=get("output_schema"),
        events_streaming=bool(get("events_streaming")),
        is_orchestration=bool(get("is_orchestration")),
        is_gateway=bool(get("is_gateway")),
        is_app=bool(get("is_app")),
        background_auth_eligible=bool(get("background_auth_eligible")),
        additional_context=get("additional_context"),
        tool_call_limit=get("tool_call_limit"),
        instructions_override=get("instructions_override"),
        test_run_node_id=get("test_run_node_id"),
        user_oidc_token=get("user_oidc_token"),
        expected_output=get("expected_output"),
        mcp_servers=[_mcp_server(server) for server in _objects(get("mcp_servers"))],
        triggering_agent_id=get("triggering_agent_id"),
        title=get("title"),
        think_mode=_enum_or(ThinkMode, get("think_mode"), ThinkMode.Default),
        disable_attachment_injection=bool(get("disable_attachment_injection")),
        user_tokens=get("user_tokens"),
        deep_planning=_deep_planning(data["deep_planning"]) if "deep_planning" in data else DeepPlanning(),
        must_deep_plan=bool(get("must_deep_plan")),
        execution_attempts=_int_or(get("execution_attempts"), 1),
        return_metrics=bool(get("return_metrics")),
        llm_model_provider=get("llm_model_provider"),
        llm_model_name=get("llm_model_name"),
        llm_reasoning_effort=_enum(LLMReasoningEffort, get("llm_reasoning_effort")),
        harness_cli=_lowered(get("harness_cli")),
        permission_mode=_lowered(get("permission_mode")),
        tokens=_tokens(get("tokens")),
        used_tools=list(get("used_tools") or ()),
        duration=float(get("duration") or 0.0),
        updated_at=parse_datetime(get("updated_at")),
        worker_id=get("worker_id"),
        finished_sub_executions=list(get("finished_sub_executions") or ()),
        used_mutating_tools=bool(get("used_mutating_tools")),
        is_continuous=bool(get("is_continuous")),
        extra=extra_keys(data, known),
    )


def read_list_item(cls: Callable[..., T], data: Json, known: frozenset[str]) -> T:
    """The TasksListItem (`cls`) in one item of a list; keys outside `known` go to `extra`. KeyError when a
    required key is missing."""
    get = data.get
    status = data["status"]
    if not isinstance(status, str):
        raise TypeError(f"status must be a string, got {type(status).__name__}")
    return cls(
        id=data["id"],
        agent_id=data["agent_id"],
        organization_id=data["organization_id"],
        status=open_enum(AgentExecutionStatus, status),
        user_id=get("user_id"),
        parent_task_id=get("parent_task_id"),
        triggering_agent_id=get("triggering_agent_id"),
        created_at=parse_datetime(get("created_at")),
        updated_at=parse_datetime(get("updated_at")),
        source_node_type=get("source_node_type"),
        result=get("result"),
        title=get("title"),
        execution_kind=get("execution_kind"),
        process=get("process"),
        conversation_kind=_enum(ConversationKind, get("conversation_kind")),
        extra=extra_keys(data, known),
    )


def extra_keys(data: Json, known: frozenset[str]) -> dict[str, Any]:
    """The keys this version does not know, in the server's order (the set difference runs in C; usually empty)."""
    unknown = data.keys() - known
    return {key: value for key, value in data.items() if key in unknown} if unknown else {}


def _task_input(data: Json) -> TaskInput:
    user, principal = data.get("user"), data.get("principal")
    files = list(data.get("files") or ())
    if files and not all(type(url) is str for url in files):
        raise TypeError("input.files holds a value that is not a string")
    return TaskInput(
        text=data.get("text") or "",
        files=files,
        attachments=[_attachment(item) for item in _objects(data.get("attachments"))],
        user=None if user is None else _user(_object(user)),
        principal=None if principal is None else _principal(_object(principal)),
    )


def _user(data: Json) -> User:
    return User(
        email=data.get("email") or "",
        id=data.get("id"),
        first_name=data.get("first_name"),
        last_name=data.get("last_name"),
        additional_attributes=data.get("additional_attributes"),
        timezone=data.get("timezone"),
    )


def _principal(data: Json) -> Principal:
    return Principal(
        kind=_enum_or(PrincipalKind, data.get("kind"), open_enum(PrincipalKind, "")),
        id=data.get("id") or "",
        email=data.get("email"),
        display_name=data.get("display_name"),
    )


def _attachment(data: Json) -> AttachmentRef:
    return AttachmentRef(
        url=data.get("url") or "",
        name=data.get("name"),
        mime=data.get("mime"),
        size=data.get("size"),
        kind=_enum(AttachmentKind, data.get("kind")),
        sha256=data.get("sha256"),
        expires_at=data.get("expires_at"),
        source=data.get("source"),
        transcript=data.get("transcript"),
    )


def _mcp_server(data: Json) -> MCPServerDetails:
    server = MCPServerDetails(
        id=data.get("id"),
        type=_enum_or(MCPServerType, data.get("type"), MCPServerType.Remote),
        name=data.get("name"),
        command=data.get("command"),
        url=data.get("url"),
        auth_type=_enum_or(MCPServerAuthType, data.get("auth_type"), MCPServerAuthType._None),
        api_key=data.get("api_key"),
        use_secrets_manager=bool(data.get("use_secrets_manager")),
        client_id=data.get("client_id"),
        client_secret=data.get("client_secret"),
        headers=dict(data.get("headers") or {}),
        env_vars=dict(data.get("env_vars") or {}),
        allowed_tools=list(data.get("allowed_tools") or ()),
        additional_scopes=list(data.get("additional_scopes") or ()),
        share_user_token_across_other_agents=data.get("share_user_token_across_other_agents") is not False,
        sso_token=_enum_or(MCPServerSSOTokenMode, data.get("sso_token"), MCPServerSSOTokenMode.Access),
        sso_audience=data.get("sso_audience"),
    )
    # The stored transport (possibly one this version does not list: set without the strict converter), then the
    # official model's rule on it, as the official SDK applies it on every read: a local server talks stdio, a
    # remote one never does.
    object.__setattr__(server, "transport", _enum(MCPServerTransport, data.get("transport")))
    object.__setattr__(server, "transport", coerced_transport(server))
    return server


def _hitl_request(value: object) -> HITLRequest | None:
    return None if value is None else HITLRequest(wait_node_id=_object(value).get("wait_node_id"))


def _pending_eca_request(value: object) -> PendingECARequest | None:
    if value is None:
        return None
    data = _object(value)
    return PendingECARequest(connector_name=data.get("connector_name"), auth_url=data.get("auth_url"))


def _deep_planning(value: object) -> DeepPlanning | None:
    if value is None:
        return None
    data = _object(value)
    return DeepPlanning(
        enabled=bool(data.get("enabled")),
        enforce=bool(data.get("enforce")),
        started=bool(data.get("started")),
        question_raised=bool(data.get("question_raised")),
        tasks=[
            DeepPlanningTask(id=step.get("id"), title=step.get("title"), completed=bool(step.get("completed")))
            for step in _objects(data.get("tasks"))
        ],
    )


def _tokens(value: object) -> TokenUsage | None:
    if value is None:
        return None
    data = _object(value)
    return TokenUsage(
        completion_tokens=data.get("completion_tokens") or 0,
        prompt_tokens=data.get("prompt_tokens") or 0,
        cache_read_tokens=data.get("cache_read_tokens") or 0,
        cache_write_tokens=data.get("cache_write_tokens") or 0,
    )


# -- writing -------------------------------------------------------------------------------------------------------
_SAVE_KEYS_TEXT = (
    "id agent_id organization_id input status internal_status last_executed_node_id agent_version created_at "
    "started_at paused_at finished_at result parent_execution conversation_id conversation_kind sub_executions "
    "should_update_parent is_manually_stopped payload_extension execution_kind hitl_request pending_eca_request "
    "source voice_id output_format output_schema events_streaming is_orchestration is_gateway is_app "
    "background_auth_eligible additional_context tool_call_limit instructions_override test_run_node_id "
    "user_oidc_token expected_output mcp_servers triggering_agent_id title think_mode disable_attachment_injection "
    "user_tokens must_deep_plan execution_attempts return_metrics llm_model_provider llm_model_name "
    "llm_reasoning_effort harness_cli permission_mode tokens used_tools duration"
)
SAVE_KEYS = tuple(_SAVE_KEYS_TEXT.split())
"""The 55 keys of the official `Task.asave` body, in its order."""


def dump(value: Any) -> dict[str, Any]:
    """`to_dict` of a Task or a TasksListItem: its fields, then its `extra` keys."""
    dumped = {a.name: jsonable(getattr(value, a.name)) for a in fields(type(value)) if a.name not in _NOT_DUMPED}
    dumped.update(value.extra)
    return dumped


_NOT_DUMPED = frozenset({"extra", "_requestor"})
