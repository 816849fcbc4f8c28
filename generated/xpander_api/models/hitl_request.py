from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="HITLRequest")


@_attrs_define
class HITLRequest:
    """A human-in-the-loop request the task waits on.

    Attributes:
        wait_node_id (None | str | Unset): The node that waits for the human.
    """

    wait_node_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        wait_node_id: None | str | Unset
        if isinstance(self.wait_node_id, Unset):
            wait_node_id = UNSET
        else:
            wait_node_id = self.wait_node_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if wait_node_id is not UNSET:
            field_dict["wait_node_id"] = wait_node_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_wait_node_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        wait_node_id = _parse_wait_node_id(d.pop("wait_node_id", UNSET))

        hitl_request = cls(
            wait_node_id=wait_node_id,
        )

        hitl_request.additional_properties = d
        return hitl_request

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
