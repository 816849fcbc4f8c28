"""The worker's opt-in `/invoke` server (`Worker(invoke_port=...)`): off by default, on 127.0.0.1, the key checked
locally, a task run as a dispatched one is, and every refusal with its status; on both async transports (the
worker's own calls), against the testing kit over a loopback socket."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.worker_kit import AGENT, served_configuration
from xpander_sdk import Configuration, InvalidArgumentError, Task, Tasks, Worker, _invoke_server
from xpander_sdk.testing import FakeBackend

OTHER_AGENT = "agent-elsewhere"
pytestmark = pytest.mark.usefixtures("http_transport")


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    with FakeBackend(heartbeat=0.05) as fake:
        yield fake


@pytest.fixture
def url(backend: FakeBackend) -> Iterator[str]:
    with backend.serve() as served:
        yield served


async def answer(task: Task) -> Task:
    await asyncio.sleep(0.2 if task.input.text == "slow" else 0)
    task.result = f"invoked: {task.input.text}"
    return task


@pytest.fixture
def worker(backend: FakeBackend, url: str) -> Iterator[Worker]:
    started = Worker(
        answer, configuration=served_configuration(backend, url), agent_id=AGENT, invoke_port=0, on_boot=()
    )
    started.start(timeout=15)
    yield started
    started.stop(timeout=30)


def a_task(backend: FakeBackend, url: str, prompt: str = "hello") -> dict[str, Any]:
    """A task for an agent without a worker (nothing dispatches it), as a caller of /invoke sends it."""
    with Tasks(served_configuration(backend, url)) as tasks:
        return tasks.create(agent_id=OTHER_AGENT, prompt=prompt).to_dict()


def invoke(worker: Worker, body: Any, key: str | None) -> httpx.Response:
    headers = {} if key is None else {"x-api-key": key}
    return httpx.post(f"{worker.invoke_url}/invoke", json=body, headers=headers, timeout=30)


def test_no_server_unless_asked(backend: FakeBackend, url: str) -> None:
    quiet = Worker(answer, configuration=served_configuration(backend, url), agent_id=AGENT, on_boot=())
    quiet.start(timeout=15)
    try:
        assert quiet.invoke_url is None
    finally:
        quiet.stop(timeout=30)


def test_it_listens_on_loopback_and_answers_health(worker: Worker) -> None:
    assert worker.invoke_url is not None and worker.invoke_url.startswith("http://127.0.0.1:")
    response = httpx.get(f"{worker.invoke_url}/health", timeout=10)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_an_invoked_task_is_run_and_answered(backend: FakeBackend, url: str, worker: Worker) -> None:
    task = a_task(backend, url)
    response = invoke(worker, task, backend.api_key)
    assert response.status_code == 200
    answered = response.json()
    assert (answered["id"], answered["status"], answered["result"]) == (task["id"], "completed", "invoked: hello")
    saves = [r.json["status"] for r in backend.requests if r.path == f"/agent-execution/{task['id']}/update"]
    assert saves == ["executing", "completed"]
    assert worker.stats.completed == 1


@pytest.mark.parametrize(("key", "status"), [(None, 401), ("another-key-42", 403)])
def test_the_key_is_checked_locally(
    backend: FakeBackend, url: str, worker: Worker, key: str | None, status: int
) -> None:
    before = len(backend.requests)
    response = invoke(worker, a_task(backend, url), key)
    assert response.status_code == status
    assert "another-key-42" not in response.text
    sent = [r.operation for r in backend.requests[before:] if r.operation != "send_worker_event"]
    assert sent == ["create_task"], "only the test's own create: nothing asked the controller, nothing ran"


def test_the_same_task_twice_at_once_runs_once(backend: FakeBackend, url: str, worker: Worker) -> None:
    task = a_task(backend, url, "slow")
    answers: list[int] = []
    posts = [threading.Thread(target=lambda: answers.append(invoke(worker, task, backend.api_key).status_code))]
    posts[0].start()
    for _ in range(100):  # until the first one runs (bounded: 2 s)
        if worker.stats.running:
            break
        threading.Event().wait(0.02)
    answers.append(invoke(worker, task, backend.api_key).status_code)
    posts[0].join(timeout=30)
    assert sorted(answers) == [200, 409]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [("POST", "/invoke", b"{not json", 400), ("GET", "/invoke", b"", 405), ("GET", "/other", b"", 404)],
)
def test_refusals(backend: FakeBackend, worker: Worker, method: str, path: str, body: bytes, status: int) -> None:
    headers = {"x-api-key": backend.api_key}
    response = httpx.request(method, f"{worker.invoke_url}{path}", content=body, headers=headers, timeout=10)
    assert response.status_code == status


def test_a_body_over_the_cap_is_refused_unread(
    backend: FakeBackend, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_invoke_server, "MAX_BODY", 1000)
    response = invoke(worker, {"padding": "x" * 5000}, backend.api_key)
    assert response.status_code == 413


def test_the_stop_closes_the_server(backend: FakeBackend, url: str) -> None:
    worker = Worker(answer, configuration=served_configuration(backend, url), agent_id=AGENT, invoke_port=0, on_boot=())
    worker.start(timeout=15)
    served = worker.invoke_url
    worker.stop(timeout=30)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{served}/health", timeout=5)


def test_a_port_in_use_is_refused_naming_invoke_port(backend: FakeBackend, url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        worker = Worker(answer, configuration=served_configuration(backend, url), agent_id=AGENT, invoke_port=port)
        with pytest.raises(InvalidArgumentError, match="invoke_port"):
            worker.start(timeout=15)
        worker.stop(timeout=15)


@pytest.mark.parametrize(
    ("options", "parameter"), [({"invoke_port": 70000}, "invoke_port"), ({"invoke_host": ""}, "invoke_host")]
)
def test_bad_options_are_refused_before_anything_starts(options: dict[str, Any], parameter: str) -> None:
    with pytest.raises(InvalidArgumentError, match=parameter):
        Worker(answer, configuration=Configuration(api_key="k"), agent_id=AGENT, **options)
