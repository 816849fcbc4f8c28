"""This SDK's worker on the wire, held to the official worker's: the same handler (tests/worker_official.py's
`HANDLER_SOURCE`) run by this SDK's `Worker` in process, against the testing kit's controller over a loopback
socket, on both async transports, through the same cases and normalised the same way (`drive`), must send what the
official worker sent (tests/fixtures/worker-official-run.json, recorded by `python -m tests.worker_official
--record`; this test needs no official package) but for `KNOWN_DIFFERENCES`: each is applied to the recording,
so the test also holds this SDK to each difference exactly as stated."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.worker_official import (
    AGENT,
    CASES,
    HANDLER_SOURCE,
    RECORDING,
    cases_digest,
    drive,
)
from xpander_sdk import Configuration, Worker
from xpander_sdk.testing import FakeBackend

RECORDED: dict[str, Any] = json.loads(RECORDING.read_text())
CLIENT_HEADERS = frozenset({"host", "user-agent", "accept-encoding", "connection", "content-length"})
"""Headers each HTTP client (httpx, aiohttp) sets its own way: left out of the comparison."""
TOOLS = ["search", "crm"]
_RUNS: dict[str, dict[str, Any]] = {}


# -- the known differences, each applied to the official recording -----------------------------------------------
def _requests(run: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every recorded request of a run (its cases' too), to change in place."""
    yield run["registration"]
    yield run["heartbeat"]
    for case in run["cases"].values():
        yield from case.get("requests", [])
        for requests in case.get("tasks", {}).values():
            yield from requests


def _edit_bodies(run: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> None:
    for request in _requests(run):
        if request["body"] is not None:
            body = json.loads(request["body"])
            edit(body)
            request["body"] = json.dumps(body, ensure_ascii=False)


def _without_plan_check(run: dict[str, Any]) -> None:
    for case in run["cases"].values():
        for requests in [case.get("requests", []), *case.get("tasks", {}).values()]:
            requests[:] = [r for r in requests if not (r["method"] == "GET" and r["path"].endswith("/status"))]


def _used_tools_kept(run: dict[str, Any]) -> None:
    def edit(body: dict[str, Any]) -> None:
        if body.get("status") == "completed" and body.get("tokens") is not None:
            body["used_tools"] = TOOLS
        if "api_calls_made" in body:
            body["api_calls_made"] = TOOLS

    _edit_bodies(run, edit)


def _metrics_of_a_task_without_source(run: dict[str, Any]) -> None:
    """The metrics the official sends for the `source: "sdk"` task, for the same task without a source."""
    with_source = run["cases"]["tokens and used tools"]["requests"]
    metrics = copy.deepcopy(next(r for r in with_source if r["path"].startswith("/agents-metrics/")))
    body = json.loads(metrics["body"])
    body.update(task="tokens again", result="answer to tokens again")
    metrics["body"] = json.dumps(body, ensure_ascii=False)
    requests = run["cases"]["tokens, source null"]["requests"]
    requests.insert(len(requests) - 1, metrics)  # before the capacity update


def _accept_json(run: dict[str, Any]) -> None:
    for request in _requests(run):
        if request["headers"].get("accept") == "*/*":
            request["headers"]["accept"] = "application/json"


KNOWN_DIFFERENCES: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "plan check": (
        "the official reads `GET /agent-execution/{id}/status` after every handler run (its deep-plan check); this"
        " SDK only for a task with an enabled, enforced deep plan (none here)",
        _without_plan_check,
    ),
    "used_tools kept": (
        "the official loses the handler's used_tools (its plan check's reload overwrites them) in the final PATCH"
        " and the metrics' api_calls_made (reference §6); this SDK sends them",
        _used_tools_kept,
    ),
    "metrics of a task without source": (
        "the official cannot build the metrics report of a task whose source is null (nothing sent, 'Task"
        " exception was never retrieved'); this SDK sends it with source 'sdk' (README)",
        _metrics_of_a_task_without_source,
    ),
    "accept": (
        "this SDK sends `accept: application/json` with its JSON calls where httpx's default is `*/*` (README:"
        " extra request headers); the stream's `text/event-stream` is the same",
        _accept_json,
    ),
}


def expected() -> dict[str, Any]:
    run: dict[str, Any] = copy.deepcopy(RECORDED["run"])
    for _reason, apply in KNOWN_DIFFERENCES.values():
        apply(run)
    return run


# -- this SDK's run --------------------------------------------------------------------------------------------
def handler() -> Callable[..., Any]:
    """The recorded handler, defined in a module of its own (so `@on_task` only registers it)."""
    namespace: dict[str, Any] = {"__name__": "tests.worker_wire_handler"}
    exec(compile(HANDLER_SOURCE, "agent.py", "exec"), namespace)  # noqa: S102 - the test's own source
    function: Callable[..., Any] = namespace["handle"]
    return function


@pytest.fixture
def ours(http_transport: str) -> dict[str, Any]:
    """This SDK's worker driven through the cases on `http_transport` (once per transport per session)."""
    if http_transport not in _RUNS:
        with FakeBackend(heartbeat=0.05) as backend, backend.serve() as url:
            configuration = Configuration(
                api_key=backend.api_key, base_url=url, organization_id=backend.organization_id
            )
            worker = Worker(
                handler(),
                configuration=configuration,
                agent_id=AGENT,
                heartbeat_interval=0.5,
                on_boot=(),
                on_shutdown=(),
            )
            worker.start(timeout=15)
            try:
                _RUNS[http_transport] = drive(backend, url)
            finally:
                worker.stop(timeout=30)
    return copy.deepcopy(_RUNS[http_transport])


def comparable(request: dict[str, Any]) -> dict[str, Any]:
    headers = {name: value for name, value in request["headers"].items() if name not in CLIENT_HEADERS}
    return {**request, "headers": headers}


# -- the tests -----------------------------------------------------------------------------------------------------
def test_the_recording_is_of_these_cases() -> None:
    assert RECORDED["cases_digest"] == cases_digest(), "the cases changed: python -m tests.worker_official --record"


def test_registration(ours: dict[str, Any]) -> None:
    assert comparable(ours["registration"]) == comparable(expected()["registration"])


def test_heartbeat(ours: dict[str, Any]) -> None:
    assert comparable(ours["heartbeat"]) == comparable(expected()["heartbeat"])


@pytest.mark.parametrize("case", [name for name, specs in CASES.items() if len(specs) == 1])
def test_one_task(ours: dict[str, Any], case: str) -> None:
    mine = [comparable(r) for r in ours["cases"][case]["requests"]]
    official = [comparable(r) for r in expected()["cases"][case]["requests"]]
    assert mine == official


def test_saturated(ours: dict[str, Any]) -> None:
    mine, official = ours["cases"]["saturated"], expected()["cases"]["saturated"]
    for name, requests in official["tasks"].items():
        assert [comparable(r) for r in mine["tasks"][name]] == [comparable(r) for r in requests], name
    assert mine["capacity"] == official["capacity"], "busy at 6, again when a waiting task takes a slot, then free"


def test_each_known_difference_is_still_one() -> None:
    """A known difference that no longer changes the recording is stale: drop it."""
    for name, (_reason, apply) in KNOWN_DIFFERENCES.items():
        run = copy.deepcopy(RECORDED["run"])
        apply(run)
        assert run != RECORDED["run"], name


def test_the_first_heartbeat_goes_at_registration(ours: dict[str, Any]) -> None:
    assert ours["heartbeat_at_registration"] == expected()["heartbeat_at_registration"] is True
