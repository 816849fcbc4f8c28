"""The worker-side reports of a Task: `task.areport_metrics()`, `Task.areport_external_task()` (and `Backend`'s) and
`task.aget_plan_following_status()`, each sync and async (on both async transports: `MODES`).

The bodies are held byte for byte to what the official xpander-sdk 2.0.537 sent for the same tasks and arguments
(recorded with the official package against a loopback FaultServer, re-checked live by `make compat`; see
tests/reports_official.py); this SDK's bodies are the ones the loopback FaultServer receives. Faults run on the
real FaultServer; the testing kit's report routes on FakeBackend.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.conftest import MODES
from tests.faultserver import (
    API_KEY,
    MINIMAL_TASK,
    Action,
    FaultServer,
    Reply,
    Reset,
    json_bytes,
    ok,
    running,
    tasks_for,
)
from tests.reports_official import (
    EXTERNAL_CASES,
    METRICS_CASES,
    QUESTIONS,
    RECORDING,
    SIGNATURES,
    cases_digest,
    metrics_path,
    report_path,
    slug,
)
from xpander_sdk import (
    APIConnectionError,
    AuthenticationError,
    Backend,
    Configuration,
    InternalServerError,
    InvalidArgumentError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    RateLimitError,
    Task,
    Tasks,
    Tokens,
)
from xpander_sdk._task_plan import ends_with_question
from xpander_sdk._task_reports import UNKNOWN_SOURCE
from xpander_sdk.models.deep_planning import DeepPlanningItem, PlanFollowingStatus
from xpander_sdk.testing import FakeBackend


def run(mode: str, target: object, name: str, *args: Any, **kwargs: Any) -> Any:
    """`target.<name>(...)`, or in an async mode `await target.a<name>(...)` in a new event loop."""
    if mode == "sync":
        return getattr(target, name)(*args, **kwargs)

    async def go() -> Any:
        return await getattr(target, f"a{name}")(*args, **kwargs)

    return asyncio.run(go())


def attempt(mode: str, target: object, name: str, *args: Any, **kwargs: Any) -> Any:
    """What `run` returned, or the ModuleException it raised."""
    try:
        return run(mode, target, name, *args, **kwargs)
    except ModuleException as exc:
        return exc


def sent_to(server: FaultServer, path: str) -> list[bytes]:
    return [request.body for request in server.requests if request.path == path]


def headers_to(server: FaultServer, path: str, name: str) -> list[str | None]:
    return [request.header(name) for request in server.requests if request.path == path]


def reporting_task(data: dict[str, Any], tokens: dict[str, Any] | None, tasks: Tasks | None = None) -> Task:
    task = Task.from_dict(data)
    task.tokens = None if tokens is None else Tokens(**tokens)
    return task if tasks is None else task.bind(tasks)


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with running() as started:
        yield started


@pytest.fixture
def tasks(server: FaultServer) -> Iterator[Tasks]:
    with tasks_for(server.url) as client:
        yield client


@pytest.fixture(scope="module")
def official_run() -> dict[str, Any]:
    """What the official SDK did with every case, recorded (see tests/reports_official.py), checked to be a run of
    today's cases (re-record it with `python -m tests.reports_official --record` when they change)."""
    recording: dict[str, Any] = json.loads(RECORDING.read_text())
    assert recording["cases_digest"] == cases_digest(), (
        "the cases changed since the official run was recorded: run `python -m tests.reports_official --record`"
    )
    reading: dict[str, Any] = recording["run"]
    return reading


# -- the bodies, against the official's ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", [name for name in METRICS_CASES if name != "source null"])
def test_metrics_body_is_the_officials(
    server: FaultServer, tasks: Tasks, official_run: dict[str, Any], case: str, mode: str
) -> None:
    assert official_run["metrics"][case]["outcome"] == "sent"
    (theirs,) = official_run["metrics"][case]["bodies"]
    data, tokens = METRICS_CASES[case]
    agent_id = f"ours-{slug(case)}-{mode}"
    assert run(mode, reporting_task({**data, "agent_id": agent_id}, tokens, tasks), "report_metrics") is None
    assert sent_to(server, metrics_path(agent_id)) == [theirs.encode()]


def test_metrics_body_key_by_key(server: FaultServer, tasks: Tasks) -> None:
    """The orchestration rule and the model's name, spelled out (the differential test holds the bytes)."""
    data, tokens = METRICS_CASES["full task"]
    reporting_task({**data, "agent_id": "spelled"}, tokens, tasks).report_metrics()
    body = json.loads(sent_to(server, metrics_path("spelled"))[0])
    assert list(body) == [
        *("execution_id", "source", "sub_executions", "memory_thread_id", "task", "triggered_by", "skills"),
        *("status", "internal_status", "duration", "ai_model", "worker", "ai_employee_id", "api_calls_made"),
        *("result", "llm_tokens"),
    ]
    assert body["ai_model"] == "gpt-5"
    assert body["api_calls_made"] == ["search", "crm"]
    worker = {"completion_tokens": 30, "prompt_tokens": 120, "cache_read_tokens": 10, "cache_write_tokens": 5}
    assert body["llm_tokens"]["worker"] == {**worker, "total_tokens": 150}  # the cache counts never folded in
    data, tokens = METRICS_CASES["orchestration returning metrics"]
    reporting_task({**data, "agent_id": "spelled-orchestration"}, tokens, tasks).report_metrics()
    body = json.loads(sent_to(server, metrics_path("spelled-orchestration"))[0])
    assert body["api_calls_made"] == []
    assert body["llm_tokens"]["worker"]["total_tokens"] == 0


@pytest.mark.parametrize("mode", MODES)
def test_a_task_without_source_is_reported_as_sdk(
    server: FaultServer, tasks: Tasks, official_run: dict[str, Any], mode: str
) -> None:
    """The official model requires a string: it fails without sending. This sends `sdk` (see UNKNOWN_SOURCE)."""
    assert "validation error" in official_run["metrics"]["source null"]["outcome"]
    assert official_run["metrics"]["source null"]["bodies"] == []
    data, tokens = METRICS_CASES["source null"]
    run(mode, reporting_task({**data, "agent_id": f"no-source-{mode}"}, tokens, tasks), "report_metrics")
    (body,) = sent_to(server, metrics_path(f"no-source-{mode}"))
    assert json.loads(body)["source"] == UNKNOWN_SOURCE == "sdk"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(EXTERNAL_CASES))
def test_external_report_body_is_the_officials(
    server: FaultServer, official_run: dict[str, Any], case: str, mode: str
) -> None:
    assert official_run["external"][case]["outcome"] == "sent"
    (theirs,) = official_run["external"][case]["bodies"]
    kwargs = dict(EXTERNAL_CASES[case])
    if "tokens" in kwargs:
        kwargs["tokens"] = Tokens(**kwargs["tokens"])
    agent_id = f"ours-ext-{slug(case)}-{mode}"
    configuration = Configuration(api_key=API_KEY, base_url=server.url)
    task = run(mode, Task, "report_external_task", configuration=configuration, agent_id=agent_id, **kwargs)
    assert isinstance(task, Task)
    assert task.id == MINIMAL_TASK["id"]
    assert sent_to(server, report_path(agent_id)) == [theirs.encode()]


def test_ends_with_question_is_the_officials(official_run: dict[str, Any]) -> None:
    assert [ends_with_question(text) for text in QUESTIONS] == official_run["questions"]
    assert True in official_run["questions"]
    assert False in official_run["questions"]


def test_signatures_are_the_officials(official_run: dict[str, Any]) -> None:
    """The official parameters, names and defaults in order; ours add the per-call options (`**options`)."""
    for name, where in SIGNATURES.items():
        module, _, qualified = where.partition(":")
        owner, _, method = qualified.partition(".")
        function = getattr(getattr(importlib.import_module(module), owner), method)
        ours = [[p.name, repr(p.default)] for p in inspect.signature(function).parameters.values()]
        assert ours[-1][0] == "options", name
        assert ours[:-1] == official_run["signatures"][name], name


# -- which configuration a report uses -------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_metrics_use_the_tasks_own_configuration_or_the_given_one(server: FaultServer, mode: str) -> None:
    with tasks_for(server.url, api_key="bound-key") as bound:
        task = reporting_task({**MINIMAL_TASK, "agent_id": f"conf-{mode}"}, {"prompt_tokens": 1}, bound)
        run(mode, task, "report_metrics")
        run(mode, task, "report_metrics", configuration=Configuration(api_key="given-key", base_url=server.url))
    assert headers_to(server, metrics_path(f"conf-{mode}"), "x-api-key") == ["bound-key", "given-key"]


@pytest.mark.parametrize("mode", MODES)
def test_an_unbound_task_reports_with_the_environment(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("XPANDER_API_KEY", "env-key")
    monkeypatch.setenv("XPANDER_BASE_URL", server.url)
    run(mode, reporting_task({**MINIMAL_TASK, "agent_id": f"env-{mode}"}, {}), "report_metrics")
    assert headers_to(server, metrics_path(f"env-{mode}"), "x-api-key") == ["env-key"]


@pytest.mark.parametrize("mode", MODES)
def test_the_reported_task_follows_the_configuration_it_was_sent_with(server: FaultServer, mode: str) -> None:
    configuration = Configuration(api_key="report-key", base_url=server.url)
    recorded = {**MINIMAL_TASK, "id": f"recorded-{mode}", "status": "completed"}
    server.script(report_path(f"follow-{mode}"), ok(200, recorded))
    server.script(f"/agent-execution/recorded-{mode}/status", ok(200, {**recorded, "result": "later"}))
    task = run(mode, Task, "report_external_task", configuration=configuration, agent_id=f"follow-{mode}")
    assert task.configuration is configuration
    assert run(mode, task, "reload").result == "later"
    assert headers_to(server, f"/agent-execution/recorded-{mode}/status", "x-api-key") == ["report-key"]


@pytest.mark.parametrize("mode", MODES)
def test_backend_reports_for_the_agent_given_or_configured(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    configuration = Configuration(api_key="backend-key", base_url=server.url, agent_id=f"configured-{mode}")
    backend = Backend(configuration)
    run(mode, backend, "report_external_task", agent=SimpleNamespace(id=f"object-{mode}"), agent_id="ignored")
    run(mode, backend, "report_external_task", agent_id=f"given-{mode}", result="r", used_tools=None)
    run(mode, backend, "report_external_task")
    monkeypatch.setenv("XPANDER_AGENT_ID", f"environment-{mode}")
    run(mode, Backend(Configuration(api_key="k", base_url=server.url)), "report_external_task")
    for agent_id in ("object", "given", "configured", "environment"):
        assert len(sent_to(server, report_path(f"{agent_id}-{mode}"))) == 1, agent_id
    assert sent_to(server, report_path("ignored")) == []
    assert json.loads(sent_to(server, report_path(f"given-{mode}"))[0])["used_tools"] == []  # the official's `or []`
    assert headers_to(server, report_path(f"configured-{mode}"), "x-api-key") == ["backend-key"]


def test_backend_is_at_the_official_paths() -> None:
    assert importlib.import_module("xpander_sdk.modules.backend.backend_module").Backend is Backend
    assert PlanFollowingStatus(can_finish=True).uncompleted_tasks == []
    assert Backend().configuration == Configuration()


# -- bad input: refused before sending -------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("tokens", "parameter"),
    [(None, "tokens"), ("many", "tokens"), (Tokens(prompt_tokens="3"), "tokens.prompt_tokens")],  # type: ignore[arg-type]
)
def test_metrics_without_usable_tokens_are_refused(
    server: FaultServer, tasks: Tasks, mode: str, tokens: object, parameter: str
) -> None:
    task = Task.from_dict({**MINIMAL_TASK, "agent_id": f"tokens-{mode}"}).bind(tasks)
    task.tokens = tokens  # type: ignore[assignment]
    error = attempt(mode, task, "report_metrics")
    assert isinstance(error, InvalidArgumentError)
    assert isinstance(error, ValueError)
    assert error.parameter == parameter
    assert sent_to(server, metrics_path(f"tokens-{mode}")) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("field", "value"),
    [("source", 3), ("result", ["r"]), ("internal_status", b"x"), ("used_tools", [object()])],
)
def test_metrics_of_a_task_with_a_field_of_the_wrong_type_are_refused(
    server: FaultServer, tasks: Tasks, mode: str, field: str, value: object
) -> None:
    task = reporting_task({**MINIMAL_TASK, "agent_id": f"wrong-{field}-{mode}"}, {}, tasks)
    setattr(task, field, value)
    error = attempt(mode, task, "report_metrics")
    assert isinstance(error, InvalidArgumentError)
    assert error.parameter == ("task" if field == "used_tools" else f"task.{field}")
    assert sent_to(server, metrics_path(f"wrong-{field}-{mode}")) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"duration": float("nan")}, "duration"),
        ({"duration": "1s"}, "duration"),
        ({"used_tools": "calc"}, "used_tools"),
        ({"used_tools": ["calc", 3]}, "used_tools[1]"),
        ({"tokens": 5}, "tokens"),
        ({"llm_response": object()}, "llm_response"),
        ({"is_success": "yes"}, "is_success"),
        ({"input": 3}, "input"),
        ({"agent_id": ""}, "agent_id"),
        ({"agent_id": None}, "agent_id"),
        ({"agent_id": "a/b/../c", "id": "\ud800"}, "id"),
    ],
)
def test_bad_external_reports_are_refused(
    server: FaultServer, mode: str, kwargs: dict[str, Any], parameter: str
) -> None:
    before = server.count
    arguments = {"agent_id": "refused", **kwargs}
    error = attempt(mode, Task, "report_external_task", Configuration(api_key="k", base_url=server.url), **arguments)
    assert isinstance(error, InvalidArgumentError)
    assert error.parameter == parameter
    assert server.count == before


@dataclasses.dataclass
class _Choice:
    text: str
    index: int


class _PydanticLike:
    """What an OpenAI completion is: an object with pydantic's `model_dump`."""

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        return {"id": "cmpl-1", "mode": mode}


@pytest.mark.parametrize("mode", MODES)
def test_llm_response_objects_are_written_as_pydantic_writes_them(server: FaultServer, mode: str) -> None:
    configuration = Configuration(api_key="k", base_url=server.url)
    for index, response in enumerate([_PydanticLike(), _Choice("4", 0), [Tokens(prompt_tokens=2)]]):
        run(mode, Task, "report_external_task", configuration, f"objects-{index}-{mode}", llm_response=response)
    written = [json.loads(sent_to(server, report_path(f"objects-{i}-{mode}"))[0])["llm_response"] for i in range(3)]
    assert written[0] == {"id": "cmpl-1", "mode": "json"}
    assert written[1] == {"text": "4", "index": 0}
    tokens = {"completion_tokens": 0, "prompt_tokens": 2, "cache_read_tokens": 0, "cache_write_tokens": 0}
    assert written[2] == [{**tokens, "total_tokens": 2}]
    run(mode, Task, "report_external_task", configuration, f"tokens-dict-{mode}", tokens={"prompt_tokens": 2})
    assert json.loads(sent_to(server, report_path(f"tokens-dict-{mode}"))[0])["tokens"] == {**tokens, "total_tokens": 2}


# -- faults: a report is not idempotent -------------------------------------------------------------------------------
RETRY_AFTER_0 = (("retry-after", "0"),)
FAULTS: dict[str, tuple[tuple[Action, ...], type[ModuleException] | None, int]] = {
    "401": ((Reply(401, json_bytes({"detail": "Unauthorized"})),), AuthenticationError, 1),
    "404": ((Reply(404, json_bytes({"detail": "Agent not found"})),), NotFoundError, 1),
    "429 then ok": ((Reply(429, json_bytes({"detail": "slow"}), headers=RETRY_AFTER_0), ok(200)), None, 2),
    "429 always": ((Reply(429, json_bytes({"detail": "slow"}), headers=RETRY_AFTER_0),), RateLimitError, 3),
    "503 then ok": ((Reply(503, b"", headers=RETRY_AFTER_0), ok(200)), None, 2),
    "500 not retried": ((Reply(500, json_bytes({"detail": "boom"})), ok(200)), InternalServerError, 1),
    "502 html not retried": (
        (Reply(502, b"<h1>bad gateway</h1>", content_type="text/html"), ok()),
        InternalServerError,
        1,
    ),
    "reset after sending": ((Reset(), ok(200)), APIConnectionError, 1),
}
MALFORMED: dict[str, Reply] = {
    "text": Reply(200, b"OK", content_type="text/plain"),
    "array": Reply(200, json_bytes([MINIMAL_TASK])),
    "missing key": Reply(200, json_bytes({key: value for key, value in MINIMAL_TASK.items() if key != "created_at"})),
    "truncated": Reply(200, json_bytes(MINIMAL_TASK)[:20]),
    "empty 204": Reply(204, content_type=None),
}


def _report(kind: str, mode: str, server: FaultServer, tasks: Tasks, agent_id: str) -> Any:
    if kind == "metrics":
        return attempt(mode, reporting_task({**MINIMAL_TASK, "agent_id": agent_id}, {}, tasks), "report_metrics")
    configuration = Configuration(api_key=API_KEY, base_url=server.url)
    return attempt(mode, Task, "report_external_task", configuration, agent_id, result="r")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["metrics", "external"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_faults(server: FaultServer, tasks: Tasks, fault: str, kind: str, mode: str) -> None:
    actions, raised, requests = FAULTS[fault]
    agent_id = f"fault-{kind}-{slug(fault)}-{mode}"
    path = metrics_path(agent_id) if kind == "metrics" else report_path(agent_id)
    server.script(path, *actions)
    result = _report(kind, mode, server, tasks, agent_id)
    if raised is None:
        assert not isinstance(result, ModuleException), result
    else:
        assert type(result) is raised, result
        assert result.request is not None
        assert result.request.idempotent is False
    if isinstance(result, APIConnectionError):
        assert result.outcome_unknown is True  # it may have been recorded: not sent again
    assert len(sent_to(server, path)) == requests


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("answer", list(MALFORMED))
def test_malformed_answers(server: FaultServer, tasks: Tasks, answer: str, mode: str) -> None:
    """The external report reads the task it answers (InvalidResponseError otherwise); the metrics report's answer
    is not read, as the official SDK does not read it."""
    for kind in ("metrics", "external"):
        agent_id = f"malformed-{kind}-{slug(answer)}-{mode}"
        server.script(metrics_path(agent_id) if kind == "metrics" else report_path(agent_id), MALFORMED[answer])
        result = _report(kind, mode, server, tasks, agent_id)
        if kind == "metrics":
            assert result is None
        else:
            assert isinstance(result, InvalidResponseError), result


# -- the deep plan ---------------------------------------------------------------------------------------------------
PLAN_STEPS = [{"id": "1", "title": "look", "completed": True}, {"id": "2", "title": "answer", "completed": False}]
ENFORCED = {"enabled": True, "enforce": True, "started": True, "question_raised": False}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("name", "plan", "result", "can_finish", "open_steps"),
    [
        ("open step", {**ENFORCED, "tasks": PLAN_STEPS}, "Done.", False, ["2"]),
        ("all done", {**ENFORCED, "tasks": [{**step, "completed": True} for step in PLAN_STEPS]}, "Done.", True, []),
        ("not enforced", {**ENFORCED, "enforce": False, "tasks": PLAN_STEPS}, "Done.", True, []),
        ("not started", {**ENFORCED, "started": False, "tasks": PLAN_STEPS}, "Done.", True, []),
        ("not enabled", {**ENFORCED, "enabled": False, "tasks": PLAN_STEPS}, "Done.", True, []),
        ("asks the user", {**ENFORCED, "tasks": PLAN_STEPS}, "Which region should I use?", True, []),
        ("no plan", None, "Done.", True, []),
    ],
)
def test_plan_following_status(
    server: FaultServer,
    tasks: Tasks,
    mode: str,
    name: str,
    plan: dict[str, Any] | None,
    result: str,
    can_finish: bool,
    open_steps: list[str],
) -> None:
    """The task is read again (the server's plan), keeping its local result, status and tokens."""
    task_id = f"plan-{slug(name)}-{mode}"
    on_server = {**MINIMAL_TASK, "id": task_id, "status": "pending", "result": "server", "deep_planning": plan}
    server.script(f"/agent-execution/{task_id}/status", ok(200, on_server))
    task = reporting_task({**MINIMAL_TASK, "id": task_id, "status": "executing"}, {"prompt_tokens": 5}, tasks)
    task.result = result
    status = run(mode, task, "get_plan_following_status")
    assert isinstance(status, PlanFollowingStatus)
    assert status.can_finish is can_finish
    assert [step.id for step in status.uncompleted_tasks] == open_steps
    assert all(isinstance(step, DeepPlanningItem) for step in status.uncompleted_tasks)
    assert (task.result, task.status.value, task.tokens) == (result, "executing", Tokens(prompt_tokens=5))
    assert len(sent_to(server, f"/agent-execution/{task_id}/status")) == 1


@pytest.mark.parametrize("mode", MODES)
def test_plan_following_status_raises_what_the_reload_met(server: FaultServer, tasks: Tasks, mode: str) -> None:
    """The official SDK answers `can_finish=True` on any error; this raises it (a retried 500 included)."""
    missing, failing = f"plan-missing-{mode}", f"plan-failing-{mode}"
    server.script(f"/agent-execution/{missing}/status", Reply(404, json_bytes({"detail": "Task not found"})))
    server.script(f"/agent-execution/{failing}/status", Reply(500, json_bytes({"detail": "boom"})))
    task = reporting_task({**MINIMAL_TASK, "id": missing}, None, tasks)
    assert isinstance(attempt(mode, task, "get_plan_following_status"), NotFoundError)
    task = reporting_task({**MINIMAL_TASK, "id": failing}, None, tasks)
    assert isinstance(attempt(mode, task, "get_plan_following_status"), InternalServerError)
    assert len(sent_to(server, f"/agent-execution/{failing}/status")) == 3  # a read is idempotent: retried


# -- the testing kit -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_kit_records_metrics(mode: str) -> None:
    with FakeBackend() as backend, backend.install():
        task = Tasks().create("kit-agent", prompt="Sum it up")
        task.tokens = Tokens(prompt_tokens=3, completion_tokens=4)
        task.used_tools = ["sum"]
        run(mode, task, "report_metrics")
        run(mode, task, "report_metrics")
        metrics = backend.metrics("kit-agent")
        assert backend.metrics("another agent") == []
    assert len(metrics) == 2
    assert metrics[0] == metrics[1]
    assert metrics[0]["execution_id"] == task.id
    assert metrics[0]["task"] == "Sum it up"
    assert metrics[0]["api_calls_made"] == ["sum"]
    assert metrics[0]["llm_tokens"]["worker"]["total_tokens"] == 7


@pytest.mark.parametrize("mode", MODES)
def test_kit_serves_the_externally_reported_task(mode: str) -> None:
    with FakeBackend() as backend, backend.install():
        tokens = Tokens(prompt_tokens=9, completion_tokens=1)
        reported = run(mode, Task, "report_external_task", agent_id="kit-agent", input="2+2", result="4", tokens=tokens)
        assert (reported.status.value, reported.result, reported.input.text) == ("completed", "4", "2+2")
        assert (reported.tokens, reported.agent_id) == (tokens, "kit-agent")
        assert run(mode, Tasks(), "get", reported.id).result == "4"
        failed = run(mode, Backend(), "report_external_task", agent_id="kit-agent", id=reported.id, is_success=False)
        assert (failed.id, failed.status.value, failed.result) == (reported.id, "failed", "4")
        assert backend.tasks[reported.id].status.value == "failed"
        assert [request.operation for request in backend.requests] == [
            "report_external_task",
            "get_task",
            "report_external_task",
        ]


def test_kit_reads_report_bodies_as_the_server_does() -> None:
    with FakeBackend() as backend, httpx.Client(transport=backend.transport, base_url=backend.base_url) as client:
        headers = {"x-api-key": backend.api_key}
        refused = client.post("/agents-metrics/kit-agent/execution", json={"source": "sdk"}, headers=headers)
        assert refused.status_code == 422
        missing = {tuple(error["loc"]) for error in refused.json()["detail"] if error["type"] == "missing"}
        assert ("body", "execution_id") in missing
        assert ("body", "result") in missing
        refused = client.post("/agent-execution/kit-agent/report_task", json={"duration": "soon"}, headers=headers)
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "duration"]
        assert client.post("/agent-execution/kit-agent/report_task", json={}).status_code == 401
        assert backend.metrics() == []
        assert backend.tasks == {}


@pytest.mark.parametrize("mode", MODES)
def test_kit_scripts_report_failures(mode: str) -> None:
    with FakeBackend() as backend, backend.install():
        backend.respond_next(500, operation="report_execution_metrics")
        task = reporting_task({**MINIMAL_TASK, "agent_id": "kit-agent"}, {})
        assert isinstance(attempt(mode, task, "report_metrics"), InternalServerError)
        assert backend.metrics() == []
        run(mode, task, "report_metrics")
        assert len(backend.metrics("kit-agent")) == 1


class _BrokenDump:
    """An object whose own `model_dump` cannot write it (as a model with a field of no JSON form)."""

    def model_dump(self) -> dict[str, Any]:  # no `mode` parameter: the call with mode="json" fails
        return {}


@dataclasses.dataclass
class _WithLock:
    lock: Any = dataclasses.field(default_factory=__import__("threading").Lock)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("response", [_BrokenDump(), _WithLock()], ids=["model_dump fails", "dataclass with a lock"])
def test_an_llm_response_that_cannot_be_written_is_refused_naming_it(
    server: FaultServer, mode: str, response: object
) -> None:
    before = server.count
    error = attempt(
        mode, Task, "report_external_task", Configuration(api_key="k", base_url=server.url), "a-1", None, None, response
    )
    assert isinstance(error, InvalidArgumentError) and error.parameter == "llm_response"
    assert server.count == before


@pytest.mark.parametrize("mode", MODES)
def test_backend_refuses_an_agent_without_a_string_id(server: FaultServer, mode: str) -> None:
    before = server.count
    backend = Backend(Configuration(api_key="k", base_url=server.url))
    error = attempt(mode, backend, "report_external_task", agent="agent-123", result="4")
    assert isinstance(error, InvalidArgumentError) and error.parameter == "agent"
    assert server.count == before


@pytest.mark.parametrize("mode", MODES)
def test_the_agent_id_of_the_environment_is_read_at_call_time(
    server: FaultServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One rule with `Agents().aget()`: a configuration made before `XPANDER_AGENT_ID` was set still finds it."""
    configuration = Configuration(api_key="k", base_url=server.url)
    monkeypatch.setenv("XPANDER_AGENT_ID", f"later-{mode}")
    run(mode, Task, "report_external_task", configuration, result="4")
    assert len(sent_to(server, report_path(f"later-{mode}"))) == 1
