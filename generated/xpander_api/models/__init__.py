"""Contains all the data models used in inputs/outputs"""

from .agent import Agent
from .agent_activity_entry import AgentActivityEntry
from .agent_activity_thread import AgentActivityThread
from .agent_execution_status import AgentExecutionStatus
from .attachment_kind import AttachmentKind
from .attachment_record import AttachmentRecord
from .attachment_ref import AttachmentRef
from .conversation_kind import ConversationKind
from .create_task_request import CreateTaskRequest
from .deep_planning import DeepPlanning
from .deep_planning_task import DeepPlanningTask
from .deployed_asset import DeployedAsset
from .deployed_asset_configuration_type_0 import DeployedAssetConfigurationType0
from .deployed_asset_metadata_type_0 import DeployedAssetMetadataType0
from .error_response import ErrorResponse
from .execution_metrics_report import ExecutionMetricsReport
from .execution_tokens import ExecutionTokens
from .harness_cli import HarnessCLI
from .hitl_request import HITLRequest
from .http_validation_error import HTTPValidationError
from .llm_reasoning_effort import LLMReasoningEffort
from .mcp_env_vars import MCPEnvVars
from .mcp_headers import MCPHeaders
from .mcp_server_auth_type import MCPServerAuthType
from .mcp_server_details import MCPServerDetails
from .mcp_server_record import MCPServerRecord
from .mcp_server_record_env_vars import MCPServerRecordEnvVars
from .mcp_server_record_headers import MCPServerRecordHeaders
from .mcp_server_sso_token_mode import MCPServerSSOTokenMode
from .mcp_server_transport import MCPServerTransport
from .mcp_server_type import MCPServerType
from .message_identity import MessageIdentity
from .output_format import OutputFormat
from .output_schema import OutputSchema
from .payload_extension import PayloadExtension
from .pending_eca_request import PendingECARequest
from .permission_mode import PermissionMode
from .principal import Principal
from .principal_kind import PrincipalKind
from .principal_record import PrincipalRecord
from .register_worker_environment import RegisterWorkerEnvironment
from .reported_tokens import ReportedTokens
from .send_worker_event_type import SendWorkerEventType
from .task import Task
from .task_input import TaskInput
from .task_input_record import TaskInputRecord
from .task_output_schema import TaskOutputSchema
from .task_payload_extension import TaskPayloadExtension
from .task_report_request import TaskReportRequest
from .task_update_event import TaskUpdateEvent
from .task_update_event_type import TaskUpdateEventType
from .task_user_tokens import TaskUserTokens
from .tasks_list_item import TasksListItem
from .tasks_list_item_process import TasksListItemProcess
from .think_mode import ThinkMode
from .token_usage import TokenUsage
from .update_task_payload_extension import UpdateTaskPayloadExtension
from .update_task_request import UpdateTaskRequest
from .user import User
from .user_attributes import UserAttributes
from .user_record import UserRecord
from .user_record_attributes import UserRecordAttributes
from .user_tokens import UserTokens
from .validation_error import ValidationError
from .worker_capacity import WorkerCapacity
from .worker_environment_conflict import WorkerEnvironmentConflict
from .worker_event import WorkerEvent
from .worker_event_event import WorkerEventEvent

__all__ = (
    "Agent",
    "AgentActivityEntry",
    "AgentActivityThread",
    "AgentExecutionStatus",
    "AttachmentKind",
    "AttachmentRecord",
    "AttachmentRef",
    "ConversationKind",
    "CreateTaskRequest",
    "DeepPlanning",
    "DeepPlanningTask",
    "DeployedAsset",
    "DeployedAssetConfigurationType0",
    "DeployedAssetMetadataType0",
    "ErrorResponse",
    "ExecutionMetricsReport",
    "ExecutionTokens",
    "HarnessCLI",
    "HITLRequest",
    "HTTPValidationError",
    "LLMReasoningEffort",
    "MCPEnvVars",
    "MCPHeaders",
    "MCPServerAuthType",
    "MCPServerDetails",
    "MCPServerRecord",
    "MCPServerRecordEnvVars",
    "MCPServerRecordHeaders",
    "MCPServerSSOTokenMode",
    "MCPServerTransport",
    "MCPServerType",
    "MessageIdentity",
    "OutputFormat",
    "OutputSchema",
    "PayloadExtension",
    "PendingECARequest",
    "PermissionMode",
    "Principal",
    "PrincipalKind",
    "PrincipalRecord",
    "RegisterWorkerEnvironment",
    "ReportedTokens",
    "SendWorkerEventType",
    "Task",
    "TaskInput",
    "TaskInputRecord",
    "TaskOutputSchema",
    "TaskPayloadExtension",
    "TaskReportRequest",
    "TasksListItem",
    "TasksListItemProcess",
    "TaskUpdateEvent",
    "TaskUpdateEventType",
    "TaskUserTokens",
    "ThinkMode",
    "TokenUsage",
    "UpdateTaskPayloadExtension",
    "UpdateTaskRequest",
    "User",
    "UserAttributes",
    "UserRecord",
    "UserRecordAttributes",
    "UserTokens",
    "ValidationError",
    "WorkerCapacity",
    "WorkerEnvironmentConflict",
    "WorkerEvent",
    "WorkerEventEvent",
)
