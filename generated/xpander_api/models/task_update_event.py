from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_update_event_type import TaskUpdateEventType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.message_identity import MessageIdentity


T = TypeVar("T", bound="TaskUpdateEvent")


@_attrs_define
class TaskUpdateEvent:
    """One event of a task's stream (the JSON in an SSE `data:` field). For `task_created`, `task_updated` and
    `task_finished`, `data` is the Task; for other kinds it is what the kind carries (a text chunk, a tool call, a
    plan...). Lenient: unknown keys are allowed.

        Example:
            {'type': 'chunk', 'task_id': '6f1c2a4e-8b7d-4c3e-9a21-0d5e7f8a9b10', 'organization_id': 'org-456', 'time':
                '2026-05-01T12:00:07Z', 'data': 'Hello!', 'identity': None}

        Attributes:
            type_ (str | TaskUpdateEventType): The kind of event.
            task_id (str): The task the event belongs to.
            organization_id (str): The organization of the task.
            time (datetime.datetime | float): When the event happened (ISO 8601, or seconds since the epoch).
            data (Any): The event's payload (any JSON value, null included).
            identity (MessageIdentity | None | Unset):
    """

    type_: str | TaskUpdateEventType
    task_id: str
    organization_id: str
    time: datetime.datetime | float
    data: Any
    identity: MessageIdentity | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.message_identity import MessageIdentity  # noqa: PLC0415

        type_: str
        if isinstance(self.type_, TaskUpdateEventType):
            type_ = self.type_.value
        else:
            type_ = self.type_

        task_id = self.task_id

        organization_id = self.organization_id

        time: float | str
        if isinstance(self.time, datetime.datetime):
            time = self.time.isoformat()
        else:
            time = self.time

        data = self.data

        identity: dict[str, Any] | None | Unset
        if isinstance(self.identity, Unset):
            identity = UNSET
        elif isinstance(self.identity, MessageIdentity):
            identity = self.identity.to_dict()
        else:
            identity = self.identity

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "task_id": task_id,
                "organization_id": organization_id,
                "time": time,
                "data": data,
            }
        )
        if identity is not UNSET:
            field_dict["identity"] = identity

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.message_identity import MessageIdentity  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_type_(data: object) -> str | TaskUpdateEventType:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                type_type_0 = TaskUpdateEventType(data)

                return type_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(str | TaskUpdateEventType, data)

        type_ = _parse_type_(d.pop("type"))

        task_id = d.pop("task_id")

        organization_id = d.pop("organization_id")

        def _parse_time(data: object) -> datetime.datetime | float:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                time_type_0 = datetime.datetime.fromisoformat(data)

                return time_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | float, data)

        time = _parse_time(d.pop("time"))

        data = d.pop("data")

        def _parse_identity(data: object) -> MessageIdentity | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                identity_type_0 = MessageIdentity.from_dict(data)

                return identity_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MessageIdentity | None | Unset, data)

        identity = _parse_identity(d.pop("identity", UNSET))

        task_update_event = cls(
            type_=type_,
            task_id=task_id,
            organization_id=organization_id,
            time=time,
            data=data,
            identity=identity,
        )

        task_update_event.additional_properties = d
        return task_update_event

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
