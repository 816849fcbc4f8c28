"""`Task`: what a create returns, with the official SDK's field names and Python types.

Built from the generated `xpander_api.models.Task` (which parses the JSON, timestamps with dateutil's lenient
`isoparse`): `Unset` becomes None, enum fields become the official enums, and a value the enum does not list
yet becomes a pseudo-member (see `models.open_enum`) instead of an error. Keys this version does not know are
kept in `extra`.
"""

from __future__ import annotations

import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define, field

from xpander_api.types import Unset

from .models import (
    AgentExecutionStatus,
    AttachmentKind,
    AttachmentRef,
    LLMReasoningEffort,
    MCPServerAuthType,
    MCPServerDetails,
    MCPServerSSOTokenMode,
    MCPServerTransport,
    MCPServerType,
    OutputFormat,
    Principal,
    PrincipalKind,
    ThinkMode,
    User,
    open_enum,
)

if TYPE_CHECKING:
    from xpander_api.models import (
        AttachmentRecord,
        MCPServerRecord,
        PrincipalRecord,
        TaskInputRecord,
        UserRecord,
    )
    from xpander_api.models import DeepPlanningTask as DeepPlanningTaskRecord
    from xpander_api.models import Task as TaskModel

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


def _value(value: T | Unset | None) -> T | None:
    """None for the generator's `Unset`, the value otherwise."""
    return None if isinstance(value, Unset) else value


def _enum(enum: type[E], value: object) -> E | None:
    value = _value(value)
    return None if value is None else open_enum(enum, str(value))


def _time(value: object) -> datetime.datetime | None:
    """A datetime, or None: the generated parser hands back a timestamp it cannot read as the raw string."""
    value = _value(value)
    return value if isinstance(value, datetime.datetime) else None


def _mapping(value: object) -> dict[str, Any] | None:
    value = _value(value)
    return None if value is None else dict(value.additional_properties)  # type: ignore[attr-defined]


def _list(value: list[T] | Unset | None) -> list[T]:
    value = _value(value)
    return list(value) if value else []


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
class TokenUsage:
    """Token usage of a task (with `return_metrics=True`)."""

    completion_tokens: int = 0
    prompt_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@define(kw_only=True, repr=False)
class Task:
    """A task (agent execution) as the server returned it. `task.status.value` is always a string, even for a
    state this version does not know. Secrets the server echoes (`user_oidc_token`, `user_tokens`, MCP keys)
    never appear in its repr."""

    id: str
    agent_id: str
    organization_id: str
    input: TaskInput
    created_at: datetime.datetime
    status: AgentExecutionStatus = AgentExecutionStatus.Pending
    internal_status: str | None = None
    last_executed_node_id: str | None = None
    agent_version: str | None = None
    started_at: datetime.datetime | None = None
    paused_at: datetime.datetime | None = None
    finished_at: datetime.datetime | None = None
    result: str | None = None
    parent_execution: str | None = None
    conversation_id: str | None = None
    conversation_kind: str | None = None
    sub_executions: list[str] = field(factory=list)
    should_update_parent: bool = False
    is_manually_stopped: bool = False
    payload_extension: dict[str, Any] | None = None
    execution_kind: str | None = None
    hitl_request: HITLRequest | None = None
    pending_eca_request: PendingECARequest | None = None
    source: str | None = None
    voice_id: str | None = None
    output_format: OutputFormat | None = None
    output_schema: dict[str, Any] | None = None
    events_streaming: bool = False
    is_orchestration: bool = False
    is_gateway: bool = False
    is_app: bool = False
    background_auth_eligible: bool = False
    additional_context: str | None = None
    tool_call_limit: int | None = None
    instructions_override: str | None = None
    test_run_node_id: str | None = None
    user_oidc_token: str | None = None
    expected_output: str | None = None
    mcp_servers: list[MCPServerDetails] = field(factory=list)
    triggering_agent_id: str | None = None
    title: str | None = None
    think_mode: ThinkMode = ThinkMode.Default
    disable_attachment_injection: bool = False
    user_tokens: dict[str, Any] | None = None
    deep_planning: DeepPlanning | None = None
    must_deep_plan: bool = False
    execution_attempts: int = 1
    return_metrics: bool = False
    llm_model_provider: str | None = None
    llm_model_name: str | None = None
    llm_reasoning_effort: LLMReasoningEffort | None = None
    harness_cli: str | None = None
    permission_mode: str | None = None
    tokens: TokenUsage | None = None
    used_tools: list[str] = field(factory=list)
    duration: float = 0.0
    updated_at: datetime.datetime | None = None
    worker_id: str | None = None
    finished_sub_executions: list[str] = field(factory=list)
    used_mutating_tools: bool = False
    is_continuous: bool = False
    extra: dict[str, Any] = field(factory=dict)
    """Keys the server sent that this version does not know, as they came."""

    def __repr__(self) -> str:
        created = self.created_at.isoformat()
        return (
            f"Task(id={self.id!r}, agent_id={self.agent_id!r}, status={self.status.value!r}, "
            f"created_at={created!r}, title={self.title!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Task:
        """Parse the JSON object of a task (raises KeyError, TypeError or ValueError when it is not one)."""
        from xpander_api.models import Task as TaskModel  # noqa: PLC0415 - imported on first use, for import time

        return cls.from_model(TaskModel.from_dict(data))

    @classmethod
    def from_model(cls, model: TaskModel) -> Task:
        """Convert the generated model into a Task."""
        v = _value
        return cls(
            id=model.id,
            agent_id=model.agent_id,
            organization_id=model.organization_id,
            input=_task_input(model.input_),
            created_at=model.created_at,
            status=_enum(AgentExecutionStatus, model.status) or AgentExecutionStatus.Pending,
            internal_status=v(model.internal_status),
            last_executed_node_id=v(model.last_executed_node_id),
            agent_version=v(model.agent_version),
            started_at=_time(model.started_at),
            paused_at=_time(model.paused_at),
            finished_at=_time(model.finished_at),
            result=v(model.result),
            parent_execution=v(model.parent_execution),
            conversation_id=v(model.conversation_id),
            conversation_kind=v(model.conversation_kind),
            sub_executions=_list(model.sub_executions),
            should_update_parent=bool(v(model.should_update_parent)),
            is_manually_stopped=bool(v(model.is_manually_stopped)),
            payload_extension=_mapping(model.payload_extension),
            execution_kind=v(model.execution_kind),
            hitl_request=_hitl_request(model),
            pending_eca_request=_pending_eca_request(model),
            source=v(model.source),
            voice_id=v(model.voice_id),
            output_format=_enum(OutputFormat, model.output_format),
            output_schema=_mapping(model.output_schema),
            events_streaming=bool(v(model.events_streaming)),
            is_orchestration=bool(v(model.is_orchestration)),
            is_gateway=bool(v(model.is_gateway)),
            is_app=bool(v(model.is_app)),
            background_auth_eligible=bool(v(model.background_auth_eligible)),
            additional_context=v(model.additional_context),
            tool_call_limit=v(model.tool_call_limit),
            instructions_override=v(model.instructions_override),
            test_run_node_id=v(model.test_run_node_id),
            user_oidc_token=v(model.user_oidc_token),
            expected_output=v(model.expected_output),
            mcp_servers=[_mcp_server(server) for server in _list(model.mcp_servers)],
            triggering_agent_id=v(model.triggering_agent_id),
            title=v(model.title),
            think_mode=_enum(ThinkMode, model.think_mode) or ThinkMode.Default,
            disable_attachment_injection=bool(v(model.disable_attachment_injection)),
            user_tokens=_mapping(model.user_tokens),
            deep_planning=_deep_planning(model),
            must_deep_plan=bool(v(model.must_deep_plan)),
            execution_attempts=v(model.execution_attempts) or 1,
            return_metrics=bool(v(model.return_metrics)),
            llm_model_provider=v(model.llm_model_provider),
            llm_model_name=v(model.llm_model_name),
            llm_reasoning_effort=_enum(LLMReasoningEffort, model.llm_reasoning_effort),
            harness_cli=v(model.harness_cli),
            permission_mode=v(model.permission_mode),
            tokens=_tokens(model),
            used_tools=_list(model.used_tools),
            duration=v(model.duration) or 0.0,
            updated_at=_time(model.updated_at),
            worker_id=v(model.worker_id),
            finished_sub_executions=_list(model.finished_sub_executions),
            used_mutating_tools=bool(v(model.used_mutating_tools)),
            is_continuous=bool(v(model.is_continuous)),
            extra=dict(model.additional_properties),
        )


def _task_input(record: TaskInputRecord) -> TaskInput:
    user, principal = _value(record.user), _value(record.principal)
    return TaskInput(
        text=_value(record.text) or "",
        files=_list(record.files),
        attachments=[_attachment(item) for item in _list(record.attachments)],
        user=None if user is None else _user(user),
        principal=None if principal is None else _principal(principal),
    )


def _user(record: UserRecord) -> User:
    return User(
        email=_value(record.email) or "",
        id=_value(record.id),
        first_name=_value(record.first_name),
        last_name=_value(record.last_name),
        additional_attributes=_mapping(record.additional_attributes),
        timezone=_value(record.timezone),
    )


def _principal(record: PrincipalRecord) -> Principal:
    return Principal(
        kind=_enum(PrincipalKind, record.kind) or open_enum(PrincipalKind, ""),
        id=_value(record.id) or "",
        email=_value(record.email),
        display_name=_value(record.display_name),
    )


def _attachment(record: AttachmentRecord) -> AttachmentRef:
    return AttachmentRef(
        url=_value(record.url) or "",
        name=_value(record.name),
        mime=_value(record.mime),
        size=_value(record.size),
        kind=_enum(AttachmentKind, record.kind),
        sha256=_value(record.sha256),
        expires_at=_value(record.expires_at),
        source=_value(record.source),
        transcript=_value(record.transcript),
    )


def _mcp_server(record: MCPServerRecord) -> MCPServerDetails:
    server = MCPServerDetails(
        id=_value(record.id),
        type=_enum(MCPServerType, record.type_) or MCPServerType.Remote,
        name=_value(record.name),
        command=_value(record.command),
        url=_value(record.url),
        auth_type=_enum(MCPServerAuthType, record.auth_type) or MCPServerAuthType._None,
        api_key=_value(record.api_key),
        use_secrets_manager=bool(_value(record.use_secrets_manager)),
        client_id=_value(record.client_id),
        client_secret=_value(record.client_secret),
        headers=_mapping(record.headers) or {},
        env_vars=_mapping(record.env_vars) or {},
        allowed_tools=_list(record.allowed_tools),
        additional_scopes=_list(record.additional_scopes),
        share_user_token_across_other_agents=_value(record.share_user_token_across_other_agents) is not False,
        sso_token=_enum(MCPServerSSOTokenMode, record.sso_token) or MCPServerSSOTokenMode.Access,
        sso_audience=_value(record.sso_audience),
    )
    # What the server stored, not what the request-side rule would make of it.
    server.transport = _enum(MCPServerTransport, record.transport) or server.transport
    return server


def _hitl_request(model: TaskModel) -> HITLRequest | None:
    record = _value(model.hitl_request)
    return None if record is None else HITLRequest(wait_node_id=_value(record.wait_node_id))


def _pending_eca_request(model: TaskModel) -> PendingECARequest | None:
    record = _value(model.pending_eca_request)
    if record is None:
        return None
    return PendingECARequest(connector_name=_value(record.connector_name), auth_url=_value(record.auth_url))


def _deep_planning(model: TaskModel) -> DeepPlanning | None:
    record = _value(model.deep_planning)
    if record is None:
        return None
    return DeepPlanning(
        enabled=bool(_value(record.enabled)),
        enforce=bool(_value(record.enforce)),
        started=bool(_value(record.started)),
        question_raised=bool(_value(record.question_raised)),
        tasks=[_deep_planning_task(step) for step in _list(record.tasks)],
    )


def _deep_planning_task(record: DeepPlanningTaskRecord) -> DeepPlanningTask:
    return DeepPlanningTask(id=_value(record.id), title=_value(record.title), completed=bool(_value(record.completed)))


def _tokens(model: TaskModel) -> TokenUsage | None:
    record = _value(model.tokens)
    if record is None:
        return None
    return TokenUsage(
        completion_tokens=_value(record.completion_tokens) or 0,
        prompt_tokens=_value(record.prompt_tokens) or 0,
        cache_read_tokens=_value(record.cache_read_tokens) or 0,
        cache_write_tokens=_value(record.cache_write_tokens) or 0,
    )
