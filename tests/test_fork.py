"""Fork safety: after `os.fork()` (gunicorn --preload, multiprocessing's fork, Celery prefork) the child never
uses a pooled connection it inherited, so parent and child each get the answer to their own request.

A loopback keep-alive server answers each create with a task whose id is the request's prompt. A `Tasks` makes
one create (so its pool holds a connection), then forks; parent and child create at once, each with its own
prompt, and each must get its own task back. Without the fork handling both processes share the one pooled
socket, and in most rounds a process reads the other's response (or both responses, and the other times out).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import selectors
import signal
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.faultserver import API_KEY, HOST, MINIMAL_TASK
from xpander_sdk import Configuration, ModuleException, Tasks, _pool
from xpander_sdk import _requestor as tasks_module
from xpander_sdk._constants import DEFAULT_LIMITS
from xpander_sdk._requestor import shared_session

ROUNDS = 30
CALL_TIMEOUT = 3.0
"""Seconds for each create: a process that lost its response to the other ends in a timeout, not a hang."""
REAP_TIMEOUT = 10.0
OWN_TASK, OTHERS_TASK, FAILED, KILLED = 0, 1, 2, -signal.SIGKILL

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers every POST with 201 and a task whose id is the prompt (`input.text`) of the request."""

    protocol_version = "HTTP/1.1"  # keep-alive: the connection stays in the client's pool

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
        payload = json.dumps({**MINIMAL_TASK, "id": body["input"]["text"]}).encode()
        self.send_response(201)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer((HOST, 0), _EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _make_tasks(url: str, pool: str, monkeypatch: pytest.MonkeyPatch) -> Tasks:
    """A Tasks with its own pool, or a bare `Tasks()` on the process-wide shared pool."""
    if pool == "shared":
        monkeypatch.setenv("XPANDER_API_KEY", API_KEY)
        monkeypatch.setenv("XPANDER_BASE_URL", url)
        tasks = Tasks()
        assert tasks.requestor.session is shared_session()
        return tasks
    return Tasks(Configuration(api_key=API_KEY, base_url=url))


def _verdict(create: Callable[[str], str], prompt: str) -> int:
    try:
        return OWN_TASK if create(prompt) == prompt else OTHERS_TASK
    except ModuleException:
        return FAILED


def _in_child(create: Callable[[str], str], prompt: str) -> None:
    """The child's side: create, and exit at once with the verdict as the exit code (never returns)."""
    code = FAILED
    try:
        code = _verdict(create, prompt)
    finally:
        os._exit(code)


def _reap(pid: int) -> int:
    """The child's exit code, waiting at most REAP_TIMEOUT seconds; a child still running then is killed."""
    deadline = time.monotonic() + REAP_TIMEOUT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.005)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return KILLED


def _rounds(create: Callable[[str], str]) -> list[str]:
    """Fork ROUNDS times; in each round parent and child create at once. The rounds that went wrong."""
    assert create("warm-up") == "warm-up"  # the pool now holds a kept-alive connection
    wrong = []
    for number in range(ROUNDS):
        pid = os.fork()
        if pid == 0:
            _in_child(create, f"child-{number}")
        parent = _verdict(create, f"parent-{number}")
        child = _reap(pid)
        if (parent, child) != (OWN_TASK, OWN_TASK):
            wrong.append(f"round {number}: parent {parent}, child {child}")
    return wrong


@pytest.mark.parametrize("pool", ["own", "shared"])
def test_sync_creates_after_fork_each_get_their_own_task(
    echo_url: str, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = _make_tasks(echo_url, pool, monkeypatch)

    def create(prompt: str) -> str:
        return tasks.create("agent", prompt=prompt, timeout=CALL_TIMEOUT, max_retries=0).id

    try:
        wrong = _rounds(create)
    finally:
        tasks.requestor.session.close()
    assert wrong == [], f"{len(wrong)} of {ROUNDS} rounds mixed up (0 own task, 1 the other's, 2 error): {wrong}"


@pytest.mark.parametrize("pool", ["own", "shared"])
def test_async_creates_after_fork_each_get_their_own_task(
    echo_url: str, pool: str, monkeypatch: pytest.MonkeyPatch, http_transport: str
) -> None:
    """Parent and child run the same event loop object (made before the fork, as a worker that keeps one loop
    does), so the child would find the parent's AsyncClient for that loop. A poll() loop: unlike epoll, it
    keeps no state in the kernel that parent and child would share."""
    tasks = _make_tasks(echo_url, pool, monkeypatch)
    loop = asyncio.SelectorEventLoop(selectors.PollSelector())

    def create(prompt: str) -> str:
        call = tasks.acreate("agent", prompt=prompt, timeout=CALL_TIMEOUT, max_retries=0)
        return loop.run_until_complete(call).id

    try:
        wrong = _rounds(create)
    finally:
        loop.run_until_complete(tasks.requestor.session.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    assert wrong == [], f"{len(wrong)} of {ROUNDS} rounds mixed up (0 own task, 1 the other's, 2 error): {wrong}"


def test_the_fork_hook_drops_the_sdks_own_clients_but_keeps_the_callers() -> None:
    """What the child runs right after a fork (called here directly): new lock, no own client, callers' kept."""
    own = Tasks(Configuration(api_key=API_KEY, base_url="http://127.0.0.1:9"))
    theirs = httpx.Client()
    callers = Tasks(Configuration(api_key=API_KEY, base_url="http://127.0.0.1:9"), http_client=theirs)
    own_client, lock, shared_lock = (
        own.requestor.session.sync_client(),
        own.requestor.session._lock,
        tasks_module._shared_session_lock,
    )
    try:
        _pool._abandon_after_fork()
        tasks_module._new_shared_session_lock()
        assert own.requestor.session._lock is not lock
        assert tasks_module._shared_session_lock is not shared_lock
        assert own.requestor.session.sync_client() is not own_client, "a new client on the first use"
        assert not own_client.is_closed, "dropped, never closed: its sockets are the parent's"
        assert callers.requestor.session.sync_client() is theirs
    finally:
        own_client.close()
        own.close()
        theirs.close()


def test_a_forked_child_never_closes_its_parents_async_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """The closer that ends an async client with its event loop does nothing in another process."""

    async def go() -> httpx.AsyncClient:
        pool = await _pool.AsyncPool.open(DEFAULT_LIMITS)
        monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a forked child
        assert pool._closer is not None
        await pool._closer.aclose()
        return pool.client

    client = asyncio.run(go())
    assert not client.is_closed
    monkeypatch.undo()
    asyncio.run(client.aclose())
