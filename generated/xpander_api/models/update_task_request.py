from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.agent_execution_status import AgentExecutionStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.update_task_payload_extension import UpdateTaskPayloadExtension


T = TypeVar("T", bound="UpdateTaskRequest")


@_attrs_define
class UpdateTaskRequest:
    """The body `Tasks.aupdate` sends: only the fields given, in this order; a key whose value is None is left out (so no
    key is nullable), and `{}` changes nothing. An empty `result` is sent. `Task.asave` sends a whole `Task` to the same
    route instead.

        Attributes:
            tool_call_payload_extension (UpdateTaskPayloadExtension | Unset): Extra payload merged into the agent's tool
                calls. Named so here; create names it `payload_extension`.
            source (str | Unset): Where the task comes from.
            status (AgentExecutionStatus | Unset): The state of a task. Terminal states are `completed`, `failed`, `error`
                and `stopped`. The server may add states; responses accept any string.
            last_executed_node_id (str | Unset): The last node of the agent graph that ran.
            result (str | Unset): The task's result, in its output format (may be empty).
    """

    tool_call_payload_extension: UpdateTaskPayloadExtension | Unset = UNSET
    source: str | Unset = UNSET
    status: AgentExecutionStatus | Unset = UNSET
    last_executed_node_id: str | Unset = UNSET
    result: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        tool_call_payload_extension: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tool_call_payload_extension, Unset):
            tool_call_payload_extension = self.tool_call_payload_extension.to_dict()

        source = self.source

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        last_executed_node_id = self.last_executed_node_id

        result = self.result

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if tool_call_payload_extension is not UNSET:
            field_dict["tool_call_payload_extension"] = tool_call_payload_extension
        if source is not UNSET:
            field_dict["source"] = source
        if status is not UNSET:
            field_dict["status"] = status
        if last_executed_node_id is not UNSET:
            field_dict["last_executed_node_id"] = last_executed_node_id
        if result is not UNSET:
            field_dict["result"] = result

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.update_task_payload_extension import UpdateTaskPayloadExtension  # noqa: PLC0415

        d = dict(src_dict)
        _tool_call_payload_extension = d.pop("tool_call_payload_extension", UNSET)
        tool_call_payload_extension: UpdateTaskPayloadExtension | Unset
        if isinstance(_tool_call_payload_extension, Unset):
            tool_call_payload_extension = UNSET
        else:
            tool_call_payload_extension = UpdateTaskPayloadExtension.from_dict(_tool_call_payload_extension)

        source = d.pop("source", UNSET)

        _status = d.pop("status", UNSET)
        status: AgentExecutionStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = AgentExecutionStatus(_status)

        last_executed_node_id = d.pop("last_executed_node_id", UNSET)

        result = d.pop("result", UNSET)

        update_task_request = cls(
            tool_call_payload_extension=tool_call_payload_extension,
            source=source,
            status=status,
            last_executed_node_id=last_executed_node_id,
            result=result,
        )

        return update_task_request
