from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.deep_planning_task import DeepPlanningTask


T = TypeVar("T", bound="DeepPlanning")


@_attrs_define
class DeepPlanning:
    """The deep-planning state of a task.

    Attributes:
        enabled (bool | None | Unset): Whether deep planning is on.
        enforce (bool | None | Unset): Whether the plan is enforced.
        started (bool | None | Unset): Whether planning has started.
        question_raised (bool | None | Unset): Whether the agent asked the user a question.
        tasks (list[DeepPlanningTask] | None | Unset): The plan's steps.
    """

    enabled: bool | None | Unset = UNSET
    enforce: bool | None | Unset = UNSET
    started: bool | None | Unset = UNSET
    question_raised: bool | None | Unset = UNSET
    tasks: list[DeepPlanningTask] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        enabled: bool | None | Unset
        if isinstance(self.enabled, Unset):
            enabled = UNSET
        else:
            enabled = self.enabled

        enforce: bool | None | Unset
        if isinstance(self.enforce, Unset):
            enforce = UNSET
        else:
            enforce = self.enforce

        started: bool | None | Unset
        if isinstance(self.started, Unset):
            started = UNSET
        else:
            started = self.started

        question_raised: bool | None | Unset
        if isinstance(self.question_raised, Unset):
            question_raised = UNSET
        else:
            question_raised = self.question_raised

        tasks: list[dict[str, Any]] | None | Unset
        if isinstance(self.tasks, Unset):
            tasks = UNSET
        elif isinstance(self.tasks, list):
            tasks = []
            for tasks_type_0_item_data in self.tasks:
                tasks_type_0_item = tasks_type_0_item_data.to_dict()
                tasks.append(tasks_type_0_item)

        else:
            tasks = self.tasks

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if enforce is not UNSET:
            field_dict["enforce"] = enforce
        if started is not UNSET:
            field_dict["started"] = started
        if question_raised is not UNSET:
            field_dict["question_raised"] = question_raised
        if tasks is not UNSET:
            field_dict["tasks"] = tasks

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.deep_planning_task import DeepPlanningTask  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_enabled(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enabled = _parse_enabled(d.pop("enabled", UNSET))

        def _parse_enforce(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enforce = _parse_enforce(d.pop("enforce", UNSET))

        def _parse_started(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        started = _parse_started(d.pop("started", UNSET))

        def _parse_question_raised(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        question_raised = _parse_question_raised(d.pop("question_raised", UNSET))

        def _parse_tasks(data: object) -> list[DeepPlanningTask] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                tasks_type_0 = []
                _tasks_type_0 = data
                for tasks_type_0_item_data in _tasks_type_0:
                    tasks_type_0_item = DeepPlanningTask.from_dict(tasks_type_0_item_data)

                    tasks_type_0.append(tasks_type_0_item)

                return tasks_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[DeepPlanningTask] | None | Unset, data)

        tasks = _parse_tasks(d.pop("tasks", UNSET))

        deep_planning = cls(
            enabled=enabled,
            enforce=enforce,
            started=started,
            question_raised=question_raised,
            tasks=tasks,
        )

        deep_planning.additional_properties = d
        return deep_planning

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
