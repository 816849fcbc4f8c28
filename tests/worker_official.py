"""What the official worker (`@on_task` of xpander-sdk 2.0.537) sends its agent controller and the API, recorded.

`official_run(python)` runs the official worker (its own venv: tests/official_recording.py) as a process, the
script `HANDLER_SOURCE`, against a loopback `FakeBackend` served from this process, and drives it through
`CASES` (`drive`): one case at a time, the tasks of a case created at once, the case over when its tasks are
finished and the requests have stopped. What reached the fake is kept normalised (`normalise`): the method, the
path and query, the header names with the values that matter (`SHOWN_HEADERS`), and the JSON body as text (its
keys in order), with the volatile values replaced: the server-made task ids by `<task N>` (N: the order of
creation within the case), other UUIDs (the news' event ids) by `<uuid>`, and timestamps by their shape (each
digit a 9: `9999-99-99T99:99:99.999999` is a naive local time with microseconds).

The run is recorded in tests/fixtures/worker-official-run.json with a digest of the cases, so `make test` needs no
official venv: tests/test_worker_wire.py drives this SDK's `Worker` through the same `drive` and holds it to the
recording. `python -m tests.worker_official --record` records it again (after a change of the cases), `--check`
(run by `make compat`) fails when the official package does otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.official_recording import record_or_check
from tests.worker_kit import wait_until
from xpander_sdk import Configuration, Tasks
from xpander_sdk.testing import API_KEY, ORGANIZATION_ID, FakeBackend
from xpander_sdk.testing._requests import RecordedRequest

RECORDING = Path(__file__).parent / "fixtures" / "worker-official-run.json"
AGENT = "agent-1"

# -- what both workers are given ---------------------------------------------------------------------------------
HANDLER_SOURCE = '''\
import asyncio

from xpander_sdk import Task, on_task
from xpander_sdk.models.shared import Tokens


@on_task
async def handle(task: Task) -> Task:
    """What the handler does is in the prompt's first word."""
    words = task.input.text.split()
    if words[0] == "raise":
        raise RuntimeError("the handler failed")
    if words[0] == "sleep":
        await asyncio.sleep(float(words[1]))
    task.result = "answer to " + task.input.text
    if words[0] == "tokens":
        task.tokens = Tokens(prompt_tokens=12, completion_tokens=3)
        task.used_tools = ["search", "crm"]
    return task
'''
CASES: dict[str, list[dict[str, Any]]] = {
    "result only": [{"prompt": "hello"}],
    "tokens and used tools": [{"prompt": "tokens please", "source": "sdk"}],
    "tokens, source null": [{"prompt": "tokens again"}],
    "handler raises": [{"prompt": "raise now"}],
    # 7 tasks for the 6 slots, ending 100 ms apart (the 7th starts when the 1st ends, and ends last)
    "saturated": [{"prompt": f"sleep {0.5 + 0.1 * n:.1f}"} for n in range(7)],
}
SHOWN_HEADERS = ("accept", "cache-control", "content-type", "x-api-key")
"""The headers whose values are recorded (of the others, only the names)."""
OFFICIAL_ENVIRONMENT = {"XPANDER_AGENT_ID": AGENT, "XPANDER_STREAMING_PORT": "0"}
"""The official worker's environment, with the fake's URL, key and organization (its /invoke server on a free
port, not 0.0.0.0:59321)."""
HEARTBEAT_AT_ONCE = 0.25
"""Seconds after the registration within which a heartbeat counts as sent at once."""

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_HEARTBEAT = "worker-heartbeat"
_CAPACITY = "worker-capacity-update"


def cases_digest() -> str:
    """A digest of the cases, the handler and what is recorded of each request, kept with the recorded run."""
    cases = {
        "handler": HANDLER_SOURCE,
        "cases": CASES,
        "shown": SHOWN_HEADERS,
        "environment": OFFICIAL_ENVIRONMENT,
        "at once": HEARTBEAT_AT_ONCE,
    }
    return hashlib.sha256(json.dumps(cases, sort_keys=True).encode()).hexdigest()


# -- normalising -------------------------------------------------------------------------------------------------
def scrub(value: Any, ids: Mapping[str, str]) -> Any:
    """`value` with its volatile strings replaced (see the module), its keys in their order."""
    if isinstance(value, dict):
        return {key: scrub(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, ids) for item in value]
    if isinstance(value, str):
        if value in ids:
            return ids[value]
        if _UUID.match(value):
            return "<uuid>"
        if _TIMESTAMP.match(value):
            return re.sub(r"\d", "9", value)
    return value


def normalise(request: RecordedRequest, ids: Mapping[str, str]) -> dict[str, Any]:
    """One request as recorded: the body is its JSON text (so its keys keep their order), None without one."""
    path = request.path
    for task_id, name in ids.items():
        path = path.replace(task_id, name)
    return {
        "method": request.method,
        "path": path,
        "query": dict(request.query),
        "headers": {name: request.headers[name] if name in SHOWN_HEADERS else "" for name in sorted(request.headers)},
        "body": None if request.json is None else json.dumps(scrub(request.json, ids), ensure_ascii=False),
    }


def news(request: RecordedRequest) -> str | None:
    """The kind of a worker's news (`worker-heartbeat`...), None for another request."""
    if request.operation == "send_worker_event" and isinstance(request.json, dict):
        return str(request.json.get("event"))
    return None


def task_of(request: dict[str, Any]) -> str | None:
    """The `<task N>` a normalised request is about (its path, or the metrics' `execution_id`), None for none."""
    found = re.search(r"<task \d+>", request["path"] + (request["body"] or "")[:200])
    return found.group(0) if found else None


# -- driving a worker ----------------------------------------------------------------------------------------------
def _quiet(backend: FakeBackend, settle: float, timeout: float) -> None:
    """Wait until no request but a heartbeat has come for `settle` seconds."""
    deadline = time.monotonic() + timeout
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = sum(1 for request in list(backend.requests) if news(request) != _HEARTBEAT)
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= settle:
            return
        time.sleep(0.02)
    raise AssertionError("the requests did not stop")


def run_case(backend: FakeBackend, tasks: Tasks, specs: list[dict[str, Any]], settle: float) -> dict[str, Any]:
    """Create the case's tasks at once, wait for their end and the quiet after it: what the worker sent (the
    creates and the heartbeats left out). A one-task case: `{"requests": [every request, in order]}`; a case of
    several tasks, whose requests interleave: `{"tasks": {"<task N>": [its requests, in order]}, "capacity": [the
    capacity updates' is_busy, in order]}`."""
    start = len(backend.requests)
    created = [tasks.create(agent_id=AGENT, **spec).id for spec in specs]
    ids = {task_id: f"<task {number}>" for number, task_id in enumerate(created, 1)}
    finished = ("completed", "error", "failed")
    wait_until(lambda: all(backend.tasks[i].status.value in finished for i in created), 30, "the tasks' end")
    _quiet(backend, settle, 30)
    sent = [r for r in list(backend.requests)[start:] if r.operation != "create_task" and news(r) != _HEARTBEAT]
    requests = [normalise(request, ids) for request in sent]
    if len(created) == 1:
        return {"requests": requests}
    return {
        "tasks": {name: [r for r in requests if task_of(r) == name] for name in ids.values()},
        "capacity": [request.json["data"]["is_busy"] for request in sent if news(request) == _CAPACITY],
    }


def drive(backend: FakeBackend, url: str, settle: float = 0.3) -> dict[str, Any]:
    """Drive the worker registering with `backend` (served at `url`) through `CASES`: the run as recorded."""
    wait_until(lambda: backend.workers, 60, "the worker's registration")
    try:
        at_once = bool(wait_until(backend.heartbeats, HEARTBEAT_AT_ONCE, "a heartbeat"))
    except AssertionError:
        at_once = False
    configuration = Configuration(api_key=API_KEY, base_url=url, organization_id=ORGANIZATION_ID)
    with Tasks(configuration, max_retries=0) as tasks:
        cases = {name: run_case(backend, tasks, specs, settle) for name, specs in CASES.items()}
    wait_until(backend.heartbeats, 10, "a heartbeat")
    heartbeat = next(request for request in list(backend.requests) if news(request) == _HEARTBEAT)
    return {
        "registration": normalise(backend.requests[0], {}),
        "heartbeat": normalise(heartbeat, {}),
        "heartbeat_at_registration": at_once,
        "cases": cases,
    }


# -- the official worker ------------------------------------------------------------------------------------------
def official_run(python: str) -> dict[str, Any]:
    """The official worker driven through the cases (see the module docstring)."""
    with (
        FakeBackend(heartbeat=0.05) as backend,
        backend.serve() as url,
        tempfile.TemporaryDirectory() as folder,
    ):
        (Path(folder) / "agent.py").write_text(HANDLER_SOURCE)
        env = {name: value for name, value in os.environ.items() if not name.startswith(("XPANDER_", "PYTHON"))}
        env.update(OFFICIAL_ENVIRONMENT, XPANDER_BASE_URL=url, XPANDER_API_KEY=API_KEY)
        env["XPANDER_ORGANIZATION_ID"] = ORGANIZATION_ID
        log = Path(folder) / "official.log"
        with log.open("w") as output:
            command = [python, "-I", "agent.py"]
            process = subprocess.Popen(command, env=env, cwd=folder, stdout=output, stderr=subprocess.STDOUT)
            try:
                return drive(backend, url)
            except AssertionError as error:
                raise RuntimeError(f"the official worker: {error}\n{log.read_text()[-3000:]}") from None
            finally:
                process.terminate()  # the official worker exits at once on SIGTERM
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def main(argv: list[str] | None = None) -> int:
    """`--record` the official worker's run, or `--check` the recorded one against it."""

    def recording(python: str) -> dict[str, Any]:
        return {"cases_digest": cases_digest(), "run": official_run(python)}

    return record_or_check(argv, "python -m tests.worker_official", "the worker's wire", RECORDING, recording)


if __name__ == "__main__":
    sys.exit(main())
