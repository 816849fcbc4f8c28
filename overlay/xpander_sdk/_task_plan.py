"""A task's deep plan on the worker side: the official rules both `aget_plan_following_status` (`_task_reports`) and
the retry prompt of `to_message` (`_task_files`) follow, in one home.

- `kept_local_run(task)`: around a reload, the task keeps what the run set locally (`result`, `status`, `tokens`),
  as the official SDK restores them after its reload.
- `ends_with_question(text)`: the official rule for a result that asks the user something (a run that ends on a
  question must not be re-driven).
- `plan_following_status(plan, result)`: whether an enforced plan lets the task finish.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .models import DeepPlanning, PlanFollowingStatus

if TYPE_CHECKING:
    from ._task_model import Task

# After a final '?', only closers, quotes, spaces and one short parenthetical hint ("(y/n)") may follow.
_QUESTION_TAIL = re.compile(r"[\)\]\}\"'\u201d\u2019\s]*(\([^()]{0,14}\))?[\)\]\}\"'\u201d\u2019\s]*")


@contextmanager
def kept_local_run(task: Task) -> Iterator[None]:
    """Keep the task's local `result`, `status` and `tokens` across the reload in the block."""
    kept = task.result, task.status, task.tokens
    try:
        yield
    finally:
        task.result, task.status, task.tokens = kept


def ends_with_question(text: object) -> bool:
    """The official `ends_with_question`: the last non-empty line ends on a `?`, followed by nothing but
    closing brackets or quotes and at most one short parenthetical hint (`(y/n)`)."""
    if not isinstance(text, str) or not text.strip():
        return False
    line = text.strip().splitlines()[-1].strip()
    index = line.rfind("?")
    if index == -1:
        return False
    tail = line[index + 1 :].strip()
    return not tail or (len(tail) <= 16 and _QUESTION_TAIL.fullmatch(tail) is not None)


def plan_following_status(plan: DeepPlanning | None, result: str | None) -> PlanFollowingStatus:
    """The official rule: under an enabled, started and enforced plan, a result that does not end on a question
    to the user may finish only when every step is completed."""
    if plan is None or not (plan.enabled and plan.started and plan.enforce) or ends_with_question(result):
        return PlanFollowingStatus(can_finish=True)
    open_steps = [step for step in plan.tasks or () if not step.completed]
    return PlanFollowingStatus(can_finish=not open_steps, uncompleted_tasks=open_steps)
