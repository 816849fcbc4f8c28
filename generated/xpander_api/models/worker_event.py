from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.worker_event_event import WorkerEventEvent

if TYPE_CHECKING:
    from ..models.worker_capacity import WorkerCapacity


T = TypeVar("T", bound="WorkerEvent")


@_attrs_define
class WorkerEvent:
    """What a worker tells the controller (`send_worker_event`).

    Attributes:
        id (UUID): A new UUID for each event.
        event (WorkerEventEvent): The kind of event.
        data (str | WorkerCapacity): The worker's local time without an offset for a heartbeat
            (`2026-05-01T12:00:02.000001`), `{"is_busy": bool}` for a capacity update, `{}` for `worker-finished`.
    """

    id: UUID
    event: WorkerEventEvent
    data: str | WorkerCapacity

    def to_dict(self) -> dict[str, Any]:
        from ..models.worker_capacity import WorkerCapacity  # noqa: PLC0415

        id = str(self.id)

        event = self.event.value

        data: dict[str, Any] | str
        if isinstance(self.data, WorkerCapacity):
            data = self.data.to_dict()
        else:
            data = self.data

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "event": event,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.worker_capacity import WorkerCapacity  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        event = WorkerEventEvent(d.pop("event"))

        def _parse_data(data: object) -> str | WorkerCapacity:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                data_type_1 = WorkerCapacity.from_dict(data)

                return data_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(str | WorkerCapacity, data)

        data = _parse_data(d.pop("data"))

        worker_event = cls(
            id=id,
            event=event,
            data=data,
        )

        return worker_event
