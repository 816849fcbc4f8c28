from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.agent_activity_entry import AgentActivityEntry
    from ..models.user_record import UserRecord


T = TypeVar("T", bound="AgentActivityThread")


@_attrs_define
class AgentActivityThread:
    """A task's activity log. Each message is one kind of entry, told apart by its fields (the official SDK's union): a
    message (`role`, `content`), a tool call (`tool_name`, `payload`), a reasoning step (`type` `think` or `analyze`,
    `title`, `confidence`), a sub-agent trigger, an authentication event, or a gateway entry. Lenient: the server adds
    kinds and fields; a client keeps what it does not know.

        Attributes:
            id (str): The thread's id (the task's).
            created_at (datetime.datetime | None | Unset): When the thread began.
            messages (list[AgentActivityEntry] | None | Unset): The entries, oldest first.
            user (None | Unset | UserRecord): The end user the thread is with, when known.
    """

    id: str
    created_at: datetime.datetime | None | Unset = UNSET
    messages: list[AgentActivityEntry] | None | Unset = UNSET
    user: None | Unset | UserRecord = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.user_record import UserRecord  # noqa: PLC0415

        id = self.id

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        messages: list[dict[str, Any]] | None | Unset
        if isinstance(self.messages, Unset):
            messages = UNSET
        elif isinstance(self.messages, list):
            messages = []
            for messages_type_0_item_data in self.messages:
                messages_type_0_item = messages_type_0_item_data.to_dict()
                messages.append(messages_type_0_item)

        else:
            messages = self.messages

        user: dict[str, Any] | None | Unset
        if isinstance(self.user, Unset):
            user = UNSET
        elif isinstance(self.user, UserRecord):
            user = self.user.to_dict()
        else:
            user = self.user

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
            }
        )
        if created_at is not UNSET:
            field_dict["created_at"] = created_at
        if messages is not UNSET:
            field_dict["messages"] = messages
        if user is not UNSET:
            field_dict["user"] = user

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.agent_activity_entry import AgentActivityEntry  # noqa: PLC0415
        from ..models.user_record import UserRecord  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

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

        def _parse_messages(data: object) -> list[AgentActivityEntry] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                messages_type_0 = []
                _messages_type_0 = data
                for messages_type_0_item_data in _messages_type_0:
                    messages_type_0_item = AgentActivityEntry.from_dict(messages_type_0_item_data)

                    messages_type_0.append(messages_type_0_item)

                return messages_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[AgentActivityEntry] | None | Unset, data)

        messages = _parse_messages(d.pop("messages", UNSET))

        def _parse_user(data: object) -> None | Unset | UserRecord:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                user_type_0 = UserRecord.from_dict(data)

                return user_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UserRecord, data)

        user = _parse_user(d.pop("user", UNSET))

        agent_activity_thread = cls(
            id=id,
            created_at=created_at,
            messages=messages,
            user=user,
        )

        agent_activity_thread.additional_properties = d
        return agent_activity_thread

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
