from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.reported_tokens import ReportedTokens


T = TypeVar("T", bound="ExecutionTokens")


@_attrs_define
class ExecutionTokens:
    """Tokens a task used, split between the agent itself (`worker`) and what ran inside it (`inner`).

    Attributes:
        inner (None | ReportedTokens | Unset):
        worker (None | ReportedTokens | Unset):
    """

    inner: None | ReportedTokens | Unset = UNSET
    worker: None | ReportedTokens | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.reported_tokens import ReportedTokens  # noqa: PLC0415

        inner: dict[str, Any] | None | Unset
        if isinstance(self.inner, Unset):
            inner = UNSET
        elif isinstance(self.inner, ReportedTokens):
            inner = self.inner.to_dict()
        else:
            inner = self.inner

        worker: dict[str, Any] | None | Unset
        if isinstance(self.worker, Unset):
            worker = UNSET
        elif isinstance(self.worker, ReportedTokens):
            worker = self.worker.to_dict()
        else:
            worker = self.worker

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if inner is not UNSET:
            field_dict["inner"] = inner
        if worker is not UNSET:
            field_dict["worker"] = worker

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.reported_tokens import ReportedTokens  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_inner(data: object) -> None | ReportedTokens | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                inner_type_0 = ReportedTokens.from_dict(data)

                return inner_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ReportedTokens | Unset, data)

        inner = _parse_inner(d.pop("inner", UNSET))

        def _parse_worker(data: object) -> None | ReportedTokens | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                worker_type_0 = ReportedTokens.from_dict(data)

                return worker_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ReportedTokens | Unset, data)

        worker = _parse_worker(d.pop("worker", UNSET))

        execution_tokens = cls(
            inner=inner,
            worker=worker,
        )

        return execution_tokens
