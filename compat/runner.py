"""Run a list of calls through whichever `xpander_sdk` this interpreter imports, and write what happened.

Used by `python -m compat` for both SDKs: this repository's (in .venv) and the official 2.0.537 (in its own
venv). Only the standard library and `xpander_sdk` are imported, through the official module paths (which
this SDK keeps). Usage: `python -I compat/runner.py SPEC.json RESULTS.json`; SPEC is
`{"url": ..., "calls": [...]}` where a call is either a create,
`{"name", "mark", "mode": "async"|"sync", "args": [...], "kwargs": {...}}`, or a chain of lifecycle steps,
`{"name", "mark", "steps": [{"on", "method", "mode", "args", "kwargs"}, ...]}` (see `compat.calls.step`).
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import importlib
import json
import sys
import urllib.request
from typing import Any

import xpander_sdk
from xpander_sdk import Configuration, ModuleException, Tasks

# Where each class a call can name lives: the official SDK's module paths.
HOMES = {
    "User": "xpander_sdk.models.user",
    "Principal": "xpander_sdk.models.principal",
    "PrincipalKind": "xpander_sdk.models.principal",
    "MCPServerDetails": "xpander_sdk.modules.tools_repository.models.mcp",
    "MCPServerType": "xpander_sdk.modules.tools_repository.models.mcp",
    "MCPServerTransport": "xpander_sdk.modules.tools_repository.models.mcp",
    "MCPServerAuthType": "xpander_sdk.modules.tools_repository.models.mcp",
    "AttachmentRef": "xpander_sdk.modules.tasks.models.task",
    "AttachmentKind": "xpander_sdk.modules.tasks.models.task",
    "ThinkMode": "xpander_sdk.models.shared",
    "OutputFormat": "xpander_sdk.models.shared",
    "LLMReasoningEffort": "xpander_sdk.modules.agents.models.agent",
    "AgentExecutionStatus": "xpander_sdk.modules.tasks.models.task",
    "Task": "xpander_sdk.modules.tasks.sub_modules.task",
    "Tokens": "xpander_sdk.models.shared",
    "DeepPlanning": "xpander_sdk.models.deep_planning",
    "DeepPlanningItem": "xpander_sdk.models.deep_planning",
    "Agent": "xpander_sdk.modules.agents.sub_modules.agent",
}
AGENT_FIELDS = [
    "id",
    "organization_id",
    "name",
    "unique_name",
    "framework",
    "model_provider",
    "model_name",
    "description",
    "version",
    "status",
    "created_at",
]
"""The Agent fields compared: the official SDK's required ones and those this SDK types (the official model has
some sixty more, with defaults; this SDK keeps the server's other keys in `extra`)."""
SKIPPED_FIELDS = frozenset({"configuration", "extra", "_requestor"})
"""Task attributes that are not response fields (the official SDK's configuration, this SDK's unknown keys and
the `Tasks` a task follows)."""
CONFIGURATION: list[Configuration] = []
"""The configuration of the runner's `Tasks`, once made: what a `{"$config": true}` argument stands for."""
CALL_TIMEOUT = 60.0
MESSAGE_LIMIT = 600


def decode(value: Any) -> Any:
    """A call's JSON argument as the Python value: `{"$": "ThinkMode.Harder"}` is an enum member,
    `{"$": "User", "kwargs": {...}}` an object; lists and dicts are decoded item by item."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("$config") is True:
        return CONFIGURATION[0]
    if "$" not in value:
        return {key: decode(item) for key, item in value.items()}
    class_name, _, member = value["$"].partition(".")
    cls = getattr(importlib.import_module(HOMES[class_name]), class_name)
    if member:
        return getattr(cls, member)
    return cls(**decode(value.get("kwargs", {})))


def decode_like(subject: Any, name: str, value: Any) -> Any:
    """A value to set on `subject.name`: `{"$like": {...}}` is an object of the class the attribute holds now
    (the official `Tokens` or this SDK's `TokenUsage`) made with those keyword arguments; else as `decode`."""
    if isinstance(value, dict) and "$like" in value:
        return type(getattr(subject, name))(**decode(value["$like"]))
    return decode(value)


def plain(value: Any) -> Any:  # noqa: PLR0911 - one case per kind of value
    """A parsed Task (or a part of it) as JSON-able data, the same way for pydantic and attrs objects."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if type(value).__name__ == "Agent":
        names = AGENT_FIELDS
    elif hasattr(type(value), "model_fields"):
        names = list(type(value).model_fields)
    elif hasattr(value, "__attrs_attrs__"):
        names = [attribute.name for attribute in value.__attrs_attrs__]
    else:
        return repr(value)
    return {name: plain(getattr(value, name)) for name in names if name not in SKIPPED_FIELDS}


def mark(url: str, name: str) -> None:
    """Tell the recording server which call the next requests belong to."""
    with urllib.request.urlopen(f"{url}/__mark", data=name.encode("utf-8"), timeout=10) as answer:  # noqa: S310
        answer.read()


def error(exc: BaseException, stage: str) -> dict[str, Any]:
    message = str(exc)
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT] + f"... ({len(message)} characters)"
    return {
        "outcome": "raised",
        "stage": stage,
        "error_class": type(exc).__name__,
        "module_exception": isinstance(exc, ModuleException),
        "message": message,
    }


async def run_one(tasks: Any, call: dict[str, Any]) -> dict[str, Any]:
    """One call: "returned" with the Task as data, or "raised" with the exception (stage "arguments" when
    the arguments themselves could not be made, e.g. a model refusing a value)."""
    try:
        args = [decode(value) for value in call.get("args", [])]
        kwargs = {key: decode(value) for key, value in call["kwargs"].items()}
    except Exception as exc:  # every outcome is recorded, and compared
        return error(exc, "arguments")
    try:
        if call.get("mode") == "sync":
            task = await asyncio.wait_for(asyncio.to_thread(tasks.create, *args, **kwargs), CALL_TIMEOUT)
        else:
            task = await asyncio.wait_for(tasks.acreate(*args, **kwargs), CALL_TIMEOUT)
    except Exception as exc:
        return error(exc, "call")
    return {"outcome": "returned", "task": plain(task)}


def kind(value: Any) -> str:
    """What a step returned, by class name: "Task", "list[TasksListItem]", "None"."""
    if isinstance(value, list):
        return f"list[{', '.join(sorted({type(item).__name__ for item in value}))}]"
    return type(value).__name__


def target(tasks: Any, on: str, subject: Any) -> Any:
    """What a step calls a method of: the Tasks, an `Agents` or a `Backend` (on the runner's configuration), a
    class, the subject or the first item of it."""
    if on == "tasks":
        return tasks
    if on in ("agents", "backend"):
        cls = getattr(xpander_sdk, on.capitalize())
        return cls(configuration=CONFIGURATION[0])
    if on == "subject":
        return subject
    if on == "subject[0]":
        return subject[0]
    return getattr(importlib.import_module(HOMES[on]), on)


async def run_steps(tasks: Any, call: dict[str, Any]) -> dict[str, Any]:
    """A chain of lifecycle steps. The subject is what the last step returned, except that a step returning
    None or the object it was called on (`task.asave()`) leaves it as it is. "returned" gives the subject as data
    (after the last step, so a Task changed in place shows its fields then) and what each step returned ("self"
    for the object it was called on); "raised" gives the step that raised and what the steps before returned."""
    subject: Any = None
    returns: list[str] = []
    for index, item in enumerate(call["steps"]):
        if "set" in item:
            try:
                for name, value in item["set"].items():
                    setattr(subject, name, decode_like(subject, name, value))
            except Exception as exc:
                return {**error(exc, "arguments"), "step": index, "returns": returns}
            returns.append("set")
            continue
        try:
            args = [decode(value) for value in item["args"]]
            kwargs = {key: decode(value) for key, value in item["kwargs"].items()}
            method = getattr(target(tasks, item["on"], subject), item["method"])
        except Exception as exc:
            return {**error(exc, "arguments"), "step": index, "returns": returns}
        try:
            if item["mode"] == "sync":
                value = await asyncio.wait_for(asyncio.to_thread(method, *args, **kwargs), CALL_TIMEOUT)
            else:
                value = await asyncio.wait_for(method(*args, **kwargs), CALL_TIMEOUT)
        except Exception as exc:
            return {**error(exc, "call"), "step": index, "returns": returns}
        if value is None or value is getattr(method, "__self__", None):
            returns.append("None" if value is None else "self")
        else:
            returns.append(kind(value))
            subject = value
    return {"outcome": "returned", "task": plain(subject), "returns": returns}


async def run(calls: list[dict[str, Any]], url: str) -> list[dict[str, Any]]:
    CONFIGURATION.append(Configuration(api_key="compat-key", base_url=url, organization_id="org-1"))
    tasks = Tasks(configuration=CONFIGURATION[0])
    results = []
    for call in calls:
        await asyncio.to_thread(mark, url, call["mark"])
        outcome = await (run_steps(tasks, call) if "steps" in call else run_one(tasks, call))
        results.append({"name": call["name"], **outcome})
    if hasattr(tasks, "aclose"):
        await tasks.aclose()
    return results


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as file:
        spec = json.load(file)
    results = asyncio.run(run(spec["calls"], spec["url"]))
    report = {"sdk": xpander_sdk.__file__, "version": xpander_sdk.__version__, "results": results}
    with open(target, "w", encoding="utf-8") as file:
        json.dump(report, file)


if __name__ == "__main__":
    main()
