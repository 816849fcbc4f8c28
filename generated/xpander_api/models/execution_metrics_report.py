from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.execution_tokens import ExecutionTokens


T = TypeVar("T", bound="ExecutionMetricsReport")


@_attrs_define
class ExecutionMetricsReport:
    """The metrics of one task (`task.areport_metrics()`). The official SDK sends every key, in this order. `x-server-
    required` lists the keys the official model requires (not `required`, which would make the generator write them
    first and change the bytes).

        Attributes:
            execution_id (str | Unset): The task's id.
            source (str | Unset): Where the task came from (the task's `source`).
            sub_executions (list[str] | None | Unset): The ids of the task's sub-tasks.
            memory_thread_id (str | Unset): The task's memory thread (its id).
            task (str | Unset): The task's prompt.
            triggered_by (None | str | Unset): Who triggered it (the official SDK sends `N/A`).
            skills (list[str] | None | Unset): Skills used.
            status (str | Unset): The task's status.
            internal_status (None | str | Unset): The task's internal status.
            duration (float | Unset): How long the task ran, in seconds (the official SDK sends 0.0).
            ai_model (str | Unset): The model that served the task (`xpander` when unknown).
            worker (None | str | Unset): The worker that ran it.
            ai_employee_id (None | str | Unset): Not used by the SDK.
            api_calls_made (list[Any] | None | Unset): The tools the task called (`used_tools`).
            result (None | str | Unset): The task's result.
            llm_tokens (ExecutionTokens | None | Unset):
    """

    execution_id: str | Unset = UNSET
    source: str | Unset = UNSET
    sub_executions: list[str] | None | Unset = UNSET
    memory_thread_id: str | Unset = UNSET
    task: str | Unset = UNSET
    triggered_by: None | str | Unset = UNSET
    skills: list[str] | None | Unset = UNSET
    status: str | Unset = UNSET
    internal_status: None | str | Unset = UNSET
    duration: float | Unset = UNSET
    ai_model: str | Unset = UNSET
    worker: None | str | Unset = UNSET
    ai_employee_id: None | str | Unset = UNSET
    api_calls_made: list[Any] | None | Unset = UNSET
    result: None | str | Unset = UNSET
    llm_tokens: ExecutionTokens | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.execution_tokens import ExecutionTokens  # noqa: PLC0415

        execution_id = self.execution_id

        source = self.source

        sub_executions: list[str] | None | Unset
        if isinstance(self.sub_executions, Unset):
            sub_executions = UNSET
        elif isinstance(self.sub_executions, list):
            sub_executions = self.sub_executions

        else:
            sub_executions = self.sub_executions

        memory_thread_id = self.memory_thread_id

        task = self.task

        triggered_by: None | str | Unset
        if isinstance(self.triggered_by, Unset):
            triggered_by = UNSET
        else:
            triggered_by = self.triggered_by

        skills: list[str] | None | Unset
        if isinstance(self.skills, Unset):
            skills = UNSET
        elif isinstance(self.skills, list):
            skills = self.skills

        else:
            skills = self.skills

        status = self.status

        internal_status: None | str | Unset
        if isinstance(self.internal_status, Unset):
            internal_status = UNSET
        else:
            internal_status = self.internal_status

        duration = self.duration

        ai_model = self.ai_model

        worker: None | str | Unset
        if isinstance(self.worker, Unset):
            worker = UNSET
        else:
            worker = self.worker

        ai_employee_id: None | str | Unset
        if isinstance(self.ai_employee_id, Unset):
            ai_employee_id = UNSET
        else:
            ai_employee_id = self.ai_employee_id

        api_calls_made: list[Any] | None | Unset
        if isinstance(self.api_calls_made, Unset):
            api_calls_made = UNSET
        elif isinstance(self.api_calls_made, list):
            api_calls_made = self.api_calls_made

        else:
            api_calls_made = self.api_calls_made

        result: None | str | Unset
        if isinstance(self.result, Unset):
            result = UNSET
        else:
            result = self.result

        llm_tokens: dict[str, Any] | None | Unset
        if isinstance(self.llm_tokens, Unset):
            llm_tokens = UNSET
        elif isinstance(self.llm_tokens, ExecutionTokens):
            llm_tokens = self.llm_tokens.to_dict()
        else:
            llm_tokens = self.llm_tokens

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if execution_id is not UNSET:
            field_dict["execution_id"] = execution_id
        if source is not UNSET:
            field_dict["source"] = source
        if sub_executions is not UNSET:
            field_dict["sub_executions"] = sub_executions
        if memory_thread_id is not UNSET:
            field_dict["memory_thread_id"] = memory_thread_id
        if task is not UNSET:
            field_dict["task"] = task
        if triggered_by is not UNSET:
            field_dict["triggered_by"] = triggered_by
        if skills is not UNSET:
            field_dict["skills"] = skills
        if status is not UNSET:
            field_dict["status"] = status
        if internal_status is not UNSET:
            field_dict["internal_status"] = internal_status
        if duration is not UNSET:
            field_dict["duration"] = duration
        if ai_model is not UNSET:
            field_dict["ai_model"] = ai_model
        if worker is not UNSET:
            field_dict["worker"] = worker
        if ai_employee_id is not UNSET:
            field_dict["ai_employee_id"] = ai_employee_id
        if api_calls_made is not UNSET:
            field_dict["api_calls_made"] = api_calls_made
        if result is not UNSET:
            field_dict["result"] = result
        if llm_tokens is not UNSET:
            field_dict["llm_tokens"] = llm_tokens

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.execution_tokens import ExecutionTokens  # noqa: PLC0415

        d = dict(src_dict)
        execution_id = d.pop("execution_id", UNSET)

        source = d.pop("source", UNSET)

        def _parse_sub_executions(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                sub_executions_type_0 = cast(list[str], data)

                return sub_executions_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        sub_executions = _parse_sub_executions(d.pop("sub_executions", UNSET))

        memory_thread_id = d.pop("memory_thread_id", UNSET)

        task = d.pop("task", UNSET)

        def _parse_triggered_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        triggered_by = _parse_triggered_by(d.pop("triggered_by", UNSET))

        def _parse_skills(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                skills_type_0 = cast(list[str], data)

                return skills_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        skills = _parse_skills(d.pop("skills", UNSET))

        status = d.pop("status", UNSET)

        def _parse_internal_status(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        internal_status = _parse_internal_status(d.pop("internal_status", UNSET))

        duration = d.pop("duration", UNSET)

        ai_model = d.pop("ai_model", UNSET)

        def _parse_worker(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        worker = _parse_worker(d.pop("worker", UNSET))

        def _parse_ai_employee_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ai_employee_id = _parse_ai_employee_id(d.pop("ai_employee_id", UNSET))

        def _parse_api_calls_made(data: object) -> list[Any] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                api_calls_made_type_0 = cast(list[Any], data)

                return api_calls_made_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[Any] | None | Unset, data)

        api_calls_made = _parse_api_calls_made(d.pop("api_calls_made", UNSET))

        def _parse_result(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        result = _parse_result(d.pop("result", UNSET))

        def _parse_llm_tokens(data: object) -> ExecutionTokens | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                llm_tokens_type_0 = ExecutionTokens.from_dict(data)

                return llm_tokens_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ExecutionTokens | None | Unset, data)

        llm_tokens = _parse_llm_tokens(d.pop("llm_tokens", UNSET))

        execution_metrics_report = cls(
            execution_id=execution_id,
            source=source,
            sub_executions=sub_executions,
            memory_thread_id=memory_thread_id,
            task=task,
            triggered_by=triggered_by,
            skills=skills,
            status=status,
            internal_status=internal_status,
            duration=duration,
            ai_model=ai_model,
            worker=worker,
            ai_employee_id=ai_employee_id,
            api_calls_made=api_calls_made,
            result=result,
            llm_tokens=llm_tokens,
        )

        return execution_metrics_report
