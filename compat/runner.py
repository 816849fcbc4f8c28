"""Run a list of create calls through whichever `xpander_sdk` this interpreter imports, and write what happened.

Used by `python -m compat` for both SDKs: this repository's (in .venv) and the official 2.0.537 (in its own
venv). Only the standard library and `xpander_sdk` are imported, through the official module paths (which
this SDK keeps). Usage: `python -I compat/runner.py SPEC.json RESULTS.json`; SPEC is
`{"url": ..., "calls": [{"name", "mark", "mode": "async"|"sync", "args": [...], "kwargs": {...}}]}`.
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
}
SKIPPED_FIELDS = frozenset({"configuration", "extra"})
"""Task attributes that are not response fields (the official SDK's configuration, this SDK's unknown keys)."""
CALL_TIMEOUT = 60.0
MESSAGE_LIMIT = 600


def decode(value: Any) -> Any:
    """A call's JSON argument as the Python value: `{"$": "ThinkMode.Harder"}` is an enum member,
    `{"$": "User", "kwargs": {...}}` an object; lists and dicts are decoded item by item."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "$" not in value:
        return {key: decode(item) for key, item in value.items()}
    class_name, _, member = value["$"].partition(".")
    cls = getattr(importlib.import_module(HOMES[class_name]), class_name)
    if member:
        return getattr(cls, member)
    return cls(**decode(value.get("kwargs", {})))


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
    if hasattr(type(value), "model_fields"):
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


async def run(calls: list[dict[str, Any]], url: str) -> list[dict[str, Any]]:
    tasks = Tasks(configuration=Configuration(api_key="compat-key", base_url=url, organization_id="org-1"))
    results = []
    for call in calls:
        await asyncio.to_thread(mark, url, call["mark"])
        results.append({"name": call["name"], **await run_one(tasks, call)})
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
