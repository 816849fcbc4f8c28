from enum import StrEnum


class TaskUpdateEventType(StrEnum):
    AGENT_GATEWAY_DECISION = "agent_gateway_decision"
    ANALYZE = "analyze"
    ASK_FOR_SECRET = "ask_for_secret"
    ASK_USER_QUESTIONS = "ask_user_questions"
    AUTH_EVENT = "auth_event"
    CHUNK = "chunk"
    CONNECTED = "connected"
    CONTEXT_STATUS = "context_status"
    GATEWAY_STEER_APPLIED = "gateway_steer_applied"
    INLINE_CARD = "inline_card"
    INVITE_MEMBER = "invite_member"
    LIVE_SURFACE_CREATED = "live_surface_created"
    MEMBER_INVITED = "member_invited"
    PLAN_UPDATED = "plan_updated"
    PROCESS_STATE_CHANGED = "process_state_changed"
    PROCESS_UPDATE = "process_update"
    SECRET_SAVED = "secret_saved"
    SUB_AGENT_TRIGGER = "sub_agent_trigger"
    SUB_TASK_CREATED = "sub_task_created"
    SUB_TASK_FINISHED = "sub_task_finished"
    SUB_TASK_UPDATED = "sub_task_updated"
    TASK_COMPACTIZATION = "task_compactization"
    TASK_CREATED = "task_created"
    TASK_FINISHED = "task_finished"
    TASK_UPDATED = "task_updated"
    THINK = "think"
    TOOL_CALL_REQUEST = "tool_call_request"
    TOOL_CALL_RESULT = "tool_call_result"

    def __str__(self) -> str:
        return str(self.value)
