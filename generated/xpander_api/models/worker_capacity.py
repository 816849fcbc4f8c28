from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="WorkerCapacity")


@_attrs_define
class WorkerCapacity:
    """The `data` of a `worker-capacity-update` (and `{}`, of `worker-finished`).

    Attributes:
        is_busy (bool | Unset): Every slot of the worker is taken.
    """

    is_busy: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        is_busy = self.is_busy

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if is_busy is not UNSET:
            field_dict["is_busy"] = is_busy

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        is_busy = d.pop("is_busy", UNSET)

        worker_capacity = cls(
            is_busy=is_busy,
        )

        return worker_capacity
