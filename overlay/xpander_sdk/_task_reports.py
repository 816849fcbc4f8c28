"""The worker-side reports of a `Task`: its metrics (`areport_metrics`), a task run outside xpander.ai
(`Task.areport_external_task`), and whether its enforced deep plan lets it finish (`aget_plan_following_status`).

`TaskReports` is a slotted mixin that `Task` inherits, one floor below `_task_model`: its methods send through the
task's requestor as the task's own methods do (they know `Task` only as a type). The bodies are built by plain
functions, key for key and in the order the official SDK's pydantic models write them, after every argument is
checked.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, cast

from . import _routes
from ._checks import json_object, optional_flag, optional_str, refuse, string_list, value_object
from ._requestor import Requestor
from ._task_plan import kept_local_run, plan_following_status
from .exceptions import InvalidArgumentError
from .models import PlanFollowingStatus, TokenUsage
from .models._json import jsonable

if TYPE_CHECKING:
    from typing import Unpack

    from ._request import Call
    from ._requestor import RequestOptions
    from ._task_model import Task
    from .configuration import Configuration

UNKNOWN_SOURCE = "sdk"
"""The `source` a metrics report sends for a task whose `source` is null. The official model requires a string
(it fails without sending); a task without a source was created through the API without one, which is what the
official SDK's own creates label `sdk` (`Agent.acreate_task`, `Backend.ainvoke_agent`)."""
_TOKEN_COUNTS = ("completion_tokens", "prompt_tokens", "cache_read_tokens", "cache_write_tokens")


class TaskReports:
    """The report methods of `Task` (see the module docstring)."""

    __slots__ = ()

    # -- metrics ---------------------------------------------------------------------------------------------------
    async def areport_metrics(
        self, configuration: Configuration | None = None, **options: Unpack[RequestOptions]
    ) -> None:
        """Report the task's metrics (its tokens, the tools it called, its result) to xpander.ai, as
        `POST /agents-metrics/{agent_id}/execution`. Sent through the `Tasks` this task follows, or through
        `configuration` when given (given none, the official SDK uses the environment's). `task.tokens` must be set:
        InvalidArgumentError (naming `tokens`) before anything is sent. Not retried once the server may have
        recorded it (a report is not idempotent)."""
        task = _task(self)
        call = _routes.report_metrics(task.agent_id, metrics_body(task))
        requestor = task._sender(configuration)
        await requestor.acall(call, requestor.options(options))

    def report_metrics(self, configuration: Configuration | None = None, **options: Unpack[RequestOptions]) -> None:
        """The sync twin of `areport_metrics`."""
        task = _task(self)
        call = _routes.report_metrics(task.agent_id, metrics_body(task))
        requestor = task._sender(configuration)
        requestor.call(call, requestor.options(options))

    # -- a task run elsewhere --------------------------------------------------------------------------------------
    @classmethod
    async def areport_external_task(
        cls,
        configuration: Configuration | None = None,
        agent_id: str | None = None,
        id: str | None = None,
        input: str | None = None,
        llm_response: Any | None = None,
        tokens: TokenUsage | None = None,
        is_success: bool | None = True,
        result: str | None = None,
        duration: float | None = 0,
        used_tools: list[str] | None = [],  # noqa: B006 - the official default, never changed
        **options: Unpack[RequestOptions],
    ) -> Task:
        """Record a task that ran outside xpander.ai (`POST /agent-execution/{agent_id}/report_task`) and return
        it as the server recorded it, following `configuration` (default: the environment's). `agent_id`
        defaults to the configuration's (`XPANDER_AGENT_ID`); the official SDK sends `None` in the path."""
        body = external_task_body(id, input, llm_response, tokens, is_success, result, duration, used_tools)
        requestor = Requestor.shared(configuration)
        call = external_task_call(requestor, agent_id, body, cast("type[Task]", cls))
        return (await requestor.acall(call, requestor.options(options))).bind(requestor)

    @classmethod
    def report_external_task(
        cls,
        configuration: Configuration | None = None,
        agent_id: str | None = None,
        id: str | None = None,
        input: str | None = None,
        llm_response: Any | None = None,
        tokens: TokenUsage | None = None,
        is_success: bool | None = True,
        result: str | None = None,
        duration: float | None = 0,
        used_tools: list[str] | None = [],  # noqa: B006 - the official default, never changed
        **options: Unpack[RequestOptions],
    ) -> Task:
        """The sync twin of `areport_external_task`."""
        body = external_task_body(id, input, llm_response, tokens, is_success, result, duration, used_tools)
        requestor = Requestor.shared(configuration)
        call = external_task_call(requestor, agent_id, body, cast("type[Task]", cls))
        return requestor.call(call, requestor.options(options)).bind(requestor)

    # -- the deep plan ---------------------------------------------------------------------------------------------
    async def aget_plan_following_status(self, **options: Unpack[RequestOptions]) -> PlanFollowingStatus:
        """Whether the task may finish: it reloads the task (keeping its local result, status and tokens) and,
        under an enabled, started and enforced deep plan, lists the steps still open, unless the result ends on
        a question to the user. A failed reload raises (the official SDK answers `can_finish=True` instead)."""
        task = _task(self)
        with kept_local_run(task):
            await task.areload(**options)
        return plan_following_status(task.deep_planning, task.result)

    def get_plan_following_status(self, **options: Unpack[RequestOptions]) -> PlanFollowingStatus:
        """The sync twin of `aget_plan_following_status`."""
        task = _task(self)
        with kept_local_run(task):
            task.reload(**options)
        return plan_following_status(task.deep_planning, task.result)


def _task(mixin: TaskReports) -> Task:
    """The mixin as the `Task` it is part of."""
    return cast("Task", mixin)


def external_task_call(requestor: Requestor, agent_id: object, body: dict[str, Any], cls: type[Task]) -> Call[Task]:
    """The report of a task run elsewhere, on the agent `agent_id` (default: the requestor's configuration's), read
    as a `cls`: `Task.areport_external_task` and `Backend.areport_external_task` send it."""
    return _routes.report_external_task(requestor.configuration.agent_id_or_default(agent_id), body, cls.from_dict)


# -- the bodies ----------------------------------------------------------------------------------------------------
def metrics_body(task: Task) -> dict[str, Any]:
    """The official `ExecutionMetricsReport` of `task`, key for key: its tools and worker tokens (none for an
    orchestration task that returns its metrics itself), `served_model` or `xpander` as the model, a null
    `source` sent as `UNKNOWN_SOURCE`."""
    if task.tokens is None:
        raise InvalidArgumentError(
            "tokens", "task.tokens must be set to report metrics: task.tokens = Tokens(prompt_tokens=..., ...)"
        )
    tokens = _tokens("tokens", task.tokens)
    source = optional_str("task.source", task.source)
    orchestrated = task.return_metrics is True and source == "orchestration"
    body = {
        "execution_id": task.id,
        "source": UNKNOWN_SOURCE if source is None else source,
        "sub_executions": [],
        "memory_thread_id": task.id,
        "task": task.input.text or "",
        "triggered_by": "N/A",
        "skills": [],
        "status": jsonable(task.status),
        "internal_status": optional_str("task.internal_status", task.internal_status),
        "duration": 0.0,
        "ai_model": served_model(task) or "xpander",
        "worker": None,
        "ai_employee_id": None,
        "api_calls_made": [] if orchestrated else jsonable(task.used_tools),
        "result": optional_str("task.result", task.result) or None,
        "llm_tokens": {"inner": _ZERO_TOKENS, "worker": _ZERO_TOKENS if orchestrated else tokens},
    }
    json_object("task", body)  # a field set to a value JSON cannot hold is refused, naming the task
    return body


def served_model(task: Task) -> str | None:
    """The model that served the task as the official `served_model` reads it without a framework's mark: its
    `llm_model_name`, stripped and lower-cased, or None."""
    name = task.llm_model_name
    return (name if isinstance(name, str) else "").strip().lower() or None


def external_task_body(
    id: object,
    input: object,
    llm_response: object,
    tokens: object,
    is_success: object,
    result: object,
    duration: object,
    used_tools: object,
) -> dict[str, Any]:
    """The official `TaskReportRequest`, key for key, its arguments checked (InvalidArgumentError naming one)."""
    return {
        "id": optional_str("id", id),
        "input": optional_str("input", input),
        "llm_response": llm_response_json(llm_response),
        "tokens": None if tokens is None else _tokens("tokens", value_object("tokens", tokens, TokenUsage)),
        "is_success": optional_flag("is_success", is_success),
        "result": optional_str("result", result),
        "duration": _duration(duration),
        "used_tools": None if used_tools is None else string_list("used_tools", used_tools),
    }


def tokens_json(tokens: TokenUsage) -> dict[str, Any]:
    """The official `Tokens` as its dump writes it: the four counts, then `total_tokens` (prompt plus completion,
    the cache counts never folded in)."""
    dumped: dict[str, Any] = {name: getattr(tokens, name) for name in _TOKEN_COUNTS}
    dumped["total_tokens"] = (tokens.completion_tokens or 0) + (tokens.prompt_tokens or 0)
    return dumped


_ZERO_TOKENS = tokens_json(TokenUsage())


def _tokens(parameter: str, tokens: object) -> dict[str, Any]:
    if not isinstance(tokens, TokenUsage):
        raise refuse(parameter, "a Tokens", tokens)
    for name in _TOKEN_COUNTS:
        count = getattr(tokens, name)
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            raise refuse(f"{parameter}.{name}", "an integer or None", count)
    return tokens_json(tokens)


def _duration(duration: object) -> float | None:
    """Seconds as a float (the official float field writes 3 as 3.0), or None."""
    if duration is None:
        return None
    if isinstance(duration, bool) or not isinstance(duration, int | float) or not math.isfinite(duration):
        raise refuse("duration", "a finite number of seconds, or None", duration)
    return float(duration)


def llm_response_json(value: object) -> Any:
    """`llm_response` as the official pydantic dump writes an `Any` field: JSON values as they are, pydantic
    models (such as an OpenAI completion) through their `model_dump`, dataclasses and attrs objects as objects,
    enums as values, date-times in ISO-8601. Anything else is refused, naming `llm_response`."""
    dump = getattr(value, "model_dump", None)
    try:
        if callable(dump) and not isinstance(value, type):
            value = dump(mode="json")
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
    except Exception as exc:  # the object's own dump failed: whatever it raised, the argument cannot be sent
        expected = f"a value that can be written as JSON ({type(exc).__name__}: {exc})"
        raise refuse("llm_response", expected, value) from None
    wrapped = json_object("llm_response", {"value": jsonable(value)})
    return None if wrapped is None else wrapped["value"]
