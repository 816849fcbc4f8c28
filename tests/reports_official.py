"""The cases of tests/test_task_reports.py, and what the official SDK did with them.

`official_run(python)` runs the official `xpander-sdk` 2.0.537 (its own venv: tests/official_recording.py) once in a
subprocess against a loopback FaultServer of its own, on every case: the metrics it reports for each task of
`METRICS_CASES` and the external reports of `EXTERNAL_CASES` (each: "sent" or the failure it raised, and the exact
bodies the server received for it), its `ends_with_question` on `QUESTIONS`, and the parameters of `SIGNATURES`.

The run is recorded in tests/fixtures/reports-official-run.json with a digest of the cases, so `make test` needs no
official venv: `python -m tests.reports_official --record` records it again (after a change of the cases), `--check`
(run by `make compat`, which installs the official package) fails when the official package does otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.faultserver import FULL_TASK, MINIMAL_TASK, FaultServer, running
from tests.official_recording import record_or_check

RECORDING = Path(__file__).parent / "fixtures" / "reports-official-run.json"

# -- what both SDKs are given ----------------------------------------------------------------------------------------
METRICS_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "full task": (
        {
            **FULL_TASK,
            "status": "completed",
            "result": "Done",
            "used_tools": ["search", "crm"],
            "llm_model_name": " GPT-5 ",
        },
        {"prompt_tokens": 120, "completion_tokens": 30, "cache_read_tokens": 10, "cache_write_tokens": 5},
    ),
    "orchestration returning metrics": (
        {**MINIMAL_TASK, "source": "orchestration", "return_metrics": True, "used_tools": ["x"], "result": "r"},
        {"prompt_tokens": 4, "completion_tokens": 2},
    ),
    "orchestration not returning metrics": (
        {**MINIMAL_TASK, "source": "orchestration", "return_metrics": False, "used_tools": ["x"]},
        {"prompt_tokens": 4},
    ),
    "bare": (
        {**MINIMAL_TASK, "input": {}, "source": "web", "result": "", "status": "executing", "internal_status": "th"},
        {},
    ),
    "null counts, unicode": (
        {**MINIMAL_TASK, "input": {"text": "ünï ✓"}, "source": "slack", "llm_model_name": "   "},
        {"prompt_tokens": None, "completion_tokens": 7},
    ),
    "source null": ({**MINIMAL_TASK, "source": None}, {"prompt_tokens": 1}),
}
EXTERNAL_CASES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "full": {
        "id": "ext-1",
        "input": "What is 2+2?",
        "llm_response": {"choices": [{"message": {"content": "4"}}], "usage": {"total": 10}},
        "tokens": {"prompt_tokens": 9, "completion_tokens": 1},
        "is_success": True,
        "result": "4",
        "duration": 1.5,
        "used_tools": ["calc"],
    },
    "failure, int duration, no tools": {"is_success": False, "result": "boom", "duration": 3, "used_tools": None},
    "string response, null duration": {
        "llm_response": "plain text ✓",
        "duration": None,
        "tokens": {"cache_read_tokens": 2},
    },
}
QUESTIONS = [
    None,
    "",
    "Done.",
    "Which region?",
    "Which region? (y/n)",
    'Shall I go on?)"',
    "Is it? Then I did it.",
    "First?\nDone.",
    "Proceed?  \n\n",
    "Okay? (a very long parenthetical hint)",
    "Ready? ”",
]
SIGNATURES = {
    "Task.areport_metrics": "xpander_sdk.modules.tasks.sub_modules.task:Task.areport_metrics",
    "Task.report_metrics": "xpander_sdk.modules.tasks.sub_modules.task:Task.report_metrics",
    "Task.areport_external_task": "xpander_sdk.modules.tasks.sub_modules.task:Task.areport_external_task",
    "Task.report_external_task": "xpander_sdk.modules.tasks.sub_modules.task:Task.report_external_task",
    "Task.aget_plan_following_status": "xpander_sdk.modules.tasks.sub_modules.task:Task.aget_plan_following_status",
    "Task.get_plan_following_status": "xpander_sdk.modules.tasks.sub_modules.task:Task.get_plan_following_status",
    "Backend.areport_external_task": "xpander_sdk.modules.backend.backend_module:Backend.areport_external_task",
    "Backend.report_external_task": "xpander_sdk.modules.backend.backend_module:Backend.report_external_task",
}
_OFFICIAL_SCRIPT = r"""
import asyncio, importlib, inspect, json, sys
from xpander_sdk import Configuration
from xpander_sdk.models.shared import Tokens
from xpander_sdk.modules.tasks.sub_modules.task import Task
from xpander_sdk.utils.answer_guards import ends_with_question

spec = json.load(sys.stdin)
configuration = Configuration(api_key="official-key", base_url=spec["url"], organization_id="org-1")
out = {"metrics": {}, "external": {}, "questions": [], "signatures": {}}

def attempt(coroutine):
    try:
        asyncio.run(coroutine)
        return "sent"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"

for name, (task, tokens, agent_id) in spec["metrics"].items():
    task = Task.model_validate({**task, "agent_id": agent_id, "configuration": configuration})
    task.tokens = Tokens(**tokens)
    out["metrics"][name] = attempt(task.areport_metrics(configuration=configuration))
for name, (kwargs, agent_id) in spec["external"].items():
    if "tokens" in kwargs:
        kwargs["tokens"] = Tokens(**kwargs["tokens"])
    report = Task.areport_external_task(configuration=configuration, agent_id=agent_id, **kwargs)
    out["external"][name] = attempt(report)
out["questions"] = [ends_with_question(text) for text in spec["questions"]]
for name, where in spec["signatures"].items():
    module, _, qualified = where.partition(":")
    owner, _, method = qualified.partition(".")
    function = getattr(getattr(importlib.import_module(module), owner), method)
    out["signatures"][name] = [[p.name, repr(p.default)] for p in inspect.signature(function).parameters.values()]
print(json.dumps(out))
"""


def slug(name: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in name)


def metrics_path(agent_id: str) -> str:
    return f"/agents-metrics/{agent_id}/execution"


def report_path(agent_id: str) -> str:
    return f"/agent-execution/{agent_id}/report_task"


def cases_digest() -> str:
    """A digest of the cases and of the script that runs them, kept with the recorded run."""
    cases = {
        "metrics": METRICS_CASES,
        "external": EXTERNAL_CASES,
        "questions": QUESTIONS,
        "signatures": SIGNATURES,
        "script": _OFFICIAL_SCRIPT,
    }
    return hashlib.sha256(json.dumps(cases, sort_keys=True).encode()).hexdigest()


def _bodies(server: FaultServer, path: str) -> list[str]:
    """The bodies received at `path`, as text (UTF-8, which `str.encode()` gives back byte for byte)."""
    return [request.body.decode("utf-8") for request in server.requests if request.path == path]


def official_run(python: str) -> dict[str, Any]:
    """What the official SDK did with every case: see the module docstring."""
    with running() as server:
        spec = {
            "url": server.url,
            "metrics": {name: [*case, f"official-{slug(name)}"] for name, case in METRICS_CASES.items()},
            "external": {name: [kwargs, f"official-ext-{slug(name)}"] for name, kwargs in EXTERNAL_CASES.items()},
            "questions": QUESTIONS,
            "signatures": SIGNATURES,
        }
        completed = subprocess.run(
            [python, "-I", "-c", _OFFICIAL_SCRIPT],
            input=json.dumps(spec),
            env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},  # its own xpander_sdk
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            cwd="/",
        )
        if completed.returncode != 0:
            raise RuntimeError(f"the official SDK failed:\n{completed.stderr[-3000:]}")
        out: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
        metrics = {
            name: {"outcome": outcome, "bodies": _bodies(server, metrics_path(f"official-{slug(name)}"))}
            for name, outcome in out["metrics"].items()
        }
        external = {
            name: {"outcome": outcome, "bodies": _bodies(server, report_path(f"official-ext-{slug(name)}"))}
            for name, outcome in out["external"].items()
        }
    return {**out, "metrics": metrics, "external": external}


def main(argv: list[str] | None = None) -> int:
    """`--record` the official SDK's run, or `--check` the recorded one against it."""

    def recording(python: str) -> dict[str, Any]:
        return {"cases_digest": cases_digest(), "run": official_run(python)}

    return record_or_check(argv, "python -m tests.reports_official", "task reports", RECORDING, recording)


if __name__ == "__main__":
    sys.exit(main())
