from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.reported_tokens import ReportedTokens


T = TypeVar("T", bound="TaskReportRequest")


@_attrs_define
class TaskReportRequest:
    """A task run outside xpander.ai (`Task.areport_external_task()`). The official SDK sends every key, in this order.

    Attributes:
        id (None | str | Unset): The task's id, when it has one.
        input_ (None | str | Unset): The prompt it ran with.
        llm_response (Any | Unset): The model's raw answer (any JSON value).
        tokens (None | ReportedTokens | Unset):
        is_success (bool | None | Unset): Whether it succeeded (default true).
        result (None | str | Unset): Its result.
        duration (float | None | Unset): How long it ran, in seconds.
        used_tools (list[str] | None | Unset): The tools it called.
    """

    id: None | str | Unset = UNSET
    input_: None | str | Unset = UNSET
    llm_response: Any | Unset = UNSET
    tokens: None | ReportedTokens | Unset = UNSET
    is_success: bool | None | Unset = UNSET
    result: None | str | Unset = UNSET
    duration: float | None | Unset = UNSET
    used_tools: list[str] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.reported_tokens import ReportedTokens  # noqa: PLC0415

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        input_: None | str | Unset
        if isinstance(self.input_, Unset):
            input_ = UNSET
        else:
            input_ = self.input_

        llm_response = self.llm_response

        tokens: dict[str, Any] | None | Unset
        if isinstance(self.tokens, Unset):
            tokens = UNSET
        elif isinstance(self.tokens, ReportedTokens):
            tokens = self.tokens.to_dict()
        else:
            tokens = self.tokens

        is_success: bool | None | Unset
        if isinstance(self.is_success, Unset):
            is_success = UNSET
        else:
            is_success = self.is_success

        result: None | str | Unset
        if isinstance(self.result, Unset):
            result = UNSET
        else:
            result = self.result

        duration: float | None | Unset
        if isinstance(self.duration, Unset):
            duration = UNSET
        else:
            duration = self.duration

        used_tools: list[str] | None | Unset
        if isinstance(self.used_tools, Unset):
            used_tools = UNSET
        elif isinstance(self.used_tools, list):
            used_tools = self.used_tools

        else:
            used_tools = self.used_tools

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if input_ is not UNSET:
            field_dict["input"] = input_
        if llm_response is not UNSET:
            field_dict["llm_response"] = llm_response
        if tokens is not UNSET:
            field_dict["tokens"] = tokens
        if is_success is not UNSET:
            field_dict["is_success"] = is_success
        if result is not UNSET:
            field_dict["result"] = result
        if duration is not UNSET:
            field_dict["duration"] = duration
        if used_tools is not UNSET:
            field_dict["used_tools"] = used_tools

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.reported_tokens import ReportedTokens  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        def _parse_input_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        input_ = _parse_input_(d.pop("input", UNSET))

        llm_response = d.pop("llm_response", UNSET)

        def _parse_tokens(data: object) -> None | ReportedTokens | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                tokens_type_0 = ReportedTokens.from_dict(data)

                return tokens_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ReportedTokens | Unset, data)

        tokens = _parse_tokens(d.pop("tokens", UNSET))

        def _parse_is_success(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        is_success = _parse_is_success(d.pop("is_success", UNSET))

        def _parse_result(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        result = _parse_result(d.pop("result", UNSET))

        def _parse_duration(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        duration = _parse_duration(d.pop("duration", UNSET))

        def _parse_used_tools(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                used_tools_type_0 = cast(list[str], data)

                return used_tools_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        used_tools = _parse_used_tools(d.pop("used_tools", UNSET))

        task_report_request = cls(
            id=id,
            input_=input_,
            llm_response=llm_response,
            tokens=tokens,
            is_success=is_success,
            result=result,
            duration=duration,
            used_tools=used_tools,
        )

        return task_report_request
