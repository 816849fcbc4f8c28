from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.agent_execution_status import AgentExecutionStatus
from ..models.conversation_kind import ConversationKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.tasks_list_item_process import TasksListItemProcess


T = TypeVar("T", bound="TasksListItem")


@_attrs_define
class TasksListItem:
    """A task as the list routes return it: a summary (load the task for everything). Lenient: unknown keys are allowed and
    kept, `status` and `conversation_kind` accept values not listed yet, and every field but the required ones may be
    missing or null.

        Example:
            {'id': '6f1c2a4e-8b7d-4c3e-9a21-0d5e7f8a9b10', 'agent_id': 'agent-123', 'organization_id': 'org-456', 'status':
                'completed', 'user_id': 'u1', 'parent_task_id': None, 'triggering_agent_id': None, 'created_at':
                '2026-05-01T12:00:00.000000Z', 'updated_at': '2026-05-01T12:00:42.000000Z', 'source_node_type': 'sdk', 'result':
                'Sales grew 12% over the quarter, led by the EMEA region.', 'title': 'Sales summary', 'execution_kind': 'turn',
                'process': None, 'conversation_kind': 'direct'}

        Attributes:
            id (str): The task's id.
            agent_id (str): The agent that runs the task.
            organization_id (str): The organization the task belongs to.
            status (AgentExecutionStatus | str): The task's state.
            user_id (None | str | Unset): The end user the task runs for.
            parent_task_id (None | str | Unset): The task that started this one.
            triggering_agent_id (None | str | Unset): The agent that started this task.
            created_at (datetime.datetime | None | Unset): When the task was created.
            updated_at (datetime.datetime | None | Unset): When the task last changed.
            source_node_type (None | str | Unset): The kind of node or source the task came from.
            result (None | str | Unset): The task's result, in its output format.
            title (None | str | Unset): The task's title.
            execution_kind (None | str | Unset): The kind of execution (`turn` or `resident`).
            process (None | TasksListItemProcess | Unset): The server's process details of the task.
            conversation_kind (ConversationKind | None | str | Unset): The kind of conversation.
    """

    id: str
    agent_id: str
    organization_id: str
    status: AgentExecutionStatus | str
    user_id: None | str | Unset = UNSET
    parent_task_id: None | str | Unset = UNSET
    triggering_agent_id: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    updated_at: datetime.datetime | None | Unset = UNSET
    source_node_type: None | str | Unset = UNSET
    result: None | str | Unset = UNSET
    title: None | str | Unset = UNSET
    execution_kind: None | str | Unset = UNSET
    process: None | TasksListItemProcess | Unset = UNSET
    conversation_kind: ConversationKind | None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.tasks_list_item_process import TasksListItemProcess  # noqa: PLC0415

        id = self.id

        agent_id = self.agent_id

        organization_id = self.organization_id

        status: str
        if isinstance(self.status, AgentExecutionStatus):
            status = self.status.value
        else:
            status = self.status

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        else:
            user_id = self.user_id

        parent_task_id: None | str | Unset
        if isinstance(self.parent_task_id, Unset):
            parent_task_id = UNSET
        else:
            parent_task_id = self.parent_task_id

        triggering_agent_id: None | str | Unset
        if isinstance(self.triggering_agent_id, Unset):
            triggering_agent_id = UNSET
        else:
            triggering_agent_id = self.triggering_agent_id

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        updated_at: None | str | Unset
        if isinstance(self.updated_at, Unset):
            updated_at = UNSET
        elif isinstance(self.updated_at, datetime.datetime):
            updated_at = self.updated_at.isoformat()
        else:
            updated_at = self.updated_at

        source_node_type: None | str | Unset
        if isinstance(self.source_node_type, Unset):
            source_node_type = UNSET
        else:
            source_node_type = self.source_node_type

        result: None | str | Unset
        if isinstance(self.result, Unset):
            result = UNSET
        else:
            result = self.result

        title: None | str | Unset
        if isinstance(self.title, Unset):
            title = UNSET
        else:
            title = self.title

        execution_kind: None | str | Unset
        if isinstance(self.execution_kind, Unset):
            execution_kind = UNSET
        else:
            execution_kind = self.execution_kind

        process: dict[str, Any] | None | Unset
        if isinstance(self.process, Unset):
            process = UNSET
        elif isinstance(self.process, TasksListItemProcess):
            process = self.process.to_dict()
        else:
            process = self.process

        conversation_kind: None | str | Unset
        if isinstance(self.conversation_kind, Unset):
            conversation_kind = UNSET
        elif isinstance(self.conversation_kind, ConversationKind):
            conversation_kind = self.conversation_kind.value
        else:
            conversation_kind = self.conversation_kind

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "agent_id": agent_id,
                "organization_id": organization_id,
                "status": status,
            }
        )
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if parent_task_id is not UNSET:
            field_dict["parent_task_id"] = parent_task_id
        if triggering_agent_id is not UNSET:
            field_dict["triggering_agent_id"] = triggering_agent_id
        if created_at is not UNSET:
            field_dict["created_at"] = created_at
        if updated_at is not UNSET:
            field_dict["updated_at"] = updated_at
        if source_node_type is not UNSET:
            field_dict["source_node_type"] = source_node_type
        if result is not UNSET:
            field_dict["result"] = result
        if title is not UNSET:
            field_dict["title"] = title
        if execution_kind is not UNSET:
            field_dict["execution_kind"] = execution_kind
        if process is not UNSET:
            field_dict["process"] = process
        if conversation_kind is not UNSET:
            field_dict["conversation_kind"] = conversation_kind

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tasks_list_item_process import TasksListItemProcess  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        agent_id = d.pop("agent_id")

        organization_id = d.pop("organization_id")

        def _parse_status(data: object) -> AgentExecutionStatus | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                status_type_0 = AgentExecutionStatus(data)

                return status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AgentExecutionStatus | str, data)

        status = _parse_status(d.pop("status"))

        def _parse_user_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_id = _parse_user_id(d.pop("user_id", UNSET))

        def _parse_parent_task_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        parent_task_id = _parse_parent_task_id(d.pop("parent_task_id", UNSET))

        def _parse_triggering_agent_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        triggering_agent_id = _parse_triggering_agent_id(d.pop("triggering_agent_id", UNSET))

        def _parse_created_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_at_type_0 = datetime.datetime.fromisoformat(data)

                return created_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        created_at = _parse_created_at(d.pop("created_at", UNSET))

        def _parse_updated_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                updated_at_type_0 = datetime.datetime.fromisoformat(data)

                return updated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        updated_at = _parse_updated_at(d.pop("updated_at", UNSET))

        def _parse_source_node_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source_node_type = _parse_source_node_type(d.pop("source_node_type", UNSET))

        def _parse_result(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        result = _parse_result(d.pop("result", UNSET))

        def _parse_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        title = _parse_title(d.pop("title", UNSET))

        def _parse_execution_kind(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        execution_kind = _parse_execution_kind(d.pop("execution_kind", UNSET))

        def _parse_process(data: object) -> None | TasksListItemProcess | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                process_type_0 = TasksListItemProcess.from_dict(data)

                return process_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TasksListItemProcess | Unset, data)

        process = _parse_process(d.pop("process", UNSET))

        def _parse_conversation_kind(data: object) -> ConversationKind | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                conversation_kind_type_0 = ConversationKind(data)

                return conversation_kind_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ConversationKind | None | str | Unset, data)

        conversation_kind = _parse_conversation_kind(d.pop("conversation_kind", UNSET))

        tasks_list_item = cls(
            id=id,
            agent_id=agent_id,
            organization_id=organization_id,
            status=status,
            user_id=user_id,
            parent_task_id=parent_task_id,
            triggering_agent_id=triggering_agent_id,
            created_at=created_at,
            updated_at=updated_at,
            source_node_type=source_node_type,
            result=result,
            title=title,
            execution_kind=execution_kind,
            process=process,
            conversation_kind=conversation_kind,
        )

        tasks_list_item.additional_properties = d
        return tasks_list_item

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
