"""The attempt deadline: what it is worked out from, how the network backend keeps to it, the httpx and
httpcore shapes it relies on, and what a caller's own clients get (the slow-server cases are in test_faults)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx
import pytest

from tests.faultserver import FaultServer, Repeat, running, tasks_for
from xpander_sdk import APIConnectionError, APITimeoutError, Configuration, ModuleException, Tasks
from xpander_sdk import _httpcore_backend as _deadline
from xpander_sdk._constants import DEFAULT_LIMITS
from xpander_sdk._deadline import ATTEMPT_DEADLINE, DEADLINE_REACHED
from xpander_sdk._failures import transport_error
from xpander_sdk._pool import _own_client
from xpander_sdk._request import attempt_budget

ENDLESS_CONTINUE = Repeat(b"HTTP/1.1 100 Continue\r\n\r\n", interval=0.2, give_up_after=2.0)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


@pytest.fixture
def deadline_in() -> Iterator[Any]:
    """Set ATTEMPT_DEADLINE that many seconds from now (negative: passed) for the test."""
    tokens = []

    def set_in(seconds: float) -> None:
        tokens.append(ATTEMPT_DEADLINE.set(time.monotonic() + seconds))

    yield set_in
    for token in reversed(tokens):
        ATTEMPT_DEADLINE.reset(token)


def test_the_budget_is_the_largest_finite_value() -> None:
    assert attempt_budget(httpx.Timeout(1.0)) == 1.0
    assert attempt_budget(httpx.Timeout(60.0, connect=10.0)) == 60.0
    assert attempt_budget(httpx.Timeout(0.3, pool=2.0)) == 2.0
    assert attempt_budget(httpx.Timeout(None, read=5.0)) == 5.0
    assert attempt_budget(httpx.Timeout(None)) is None


def test_an_operation_gets_the_smaller_of_its_timeout_and_the_time_left(deadline_in: Any) -> None:
    assert _deadline._bounded(7.0, _deadline._WAITING) == (7.0, False), "no deadline: its own timeout"
    deadline_in(0.5)
    assert _deadline._bounded(0.1, _deadline._WAITING) == (0.1, False)
    left, capped = _deadline._bounded(7.0, _deadline._WAITING)
    assert capped and left is not None and 0 < left <= 0.5
    left, capped = _deadline._bounded(None, _deadline._WAITING)
    assert capped and left is not None and 0 < left <= 0.5
    deadline_in(-0.01)
    with pytest.raises(httpcore.ReadTimeout, match=f"^{DEADLINE_REACHED} while waiting for the response$"):
        _deadline._bounded(7.0, _deadline._WAITING)


class _SlowStream(httpcore.NetworkStream):
    """Times out every read and write, recording the timeouts it was given."""

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.timeouts.append(timeout)
        raise httpcore.ReadTimeout("timed out")

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.timeouts.append(timeout)
        raise httpcore.WriteTimeout("timed out")

    def close(self) -> None:
        pass


class _SlowBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self.stream = _SlowStream()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        return self.stream


def _client_on(backend: httpcore.NetworkBackend) -> httpx.Client:
    """An httpx client whose pool connects through `backend`, wrapped as the SDK wraps its own."""
    client = httpx.Client()
    client._transport._pool._network_backend = backend  # type: ignore[attr-defined]
    _deadline.install(client)
    return client


def test_a_write_cut_short_by_the_deadline_is_an_httpx_write_timeout_that_says_so(deadline_in: Any) -> None:
    """Pins httpx's mapping: httpcore's WriteTimeout raised under it becomes httpx.WriteTimeout, message kept."""
    backend = _SlowBackend()
    request = httpx.Request("POST", "http://127.0.0.1:9/agent-execution/a", content=b"{}")
    deadline_in(0.5)
    with _client_on(backend) as client, pytest.raises(httpx.WriteTimeout) as caught:
        client.send(request)
    assert str(caught.value) == f"{DEADLINE_REACHED} while sending the request"
    assert backend.stream.timeouts[0] is not None and backend.stream.timeouts[0] <= 0.5
    error = transport_error(caught.value, request, 0.5)
    assert type(error) is APITimeoutError
    assert error.description == (
        "Timed out: no complete response from http://127.0.0.1:9 within 0.5 s "
        f"(WriteTimeout: {DEADLINE_REACHED} while sending the request)"
    )
    assert error.request_sent, "a write may have reached the server"


def test_an_operation_timing_out_on_its_own_timeout_is_not_called_the_deadline(deadline_in: Any) -> None:
    stream = _SlowStream()
    deadline_in(30.0)
    with pytest.raises(httpcore.ReadTimeout, match=r"^timed out$"):
        _deadline.Stream(stream).read(10, 0.1)
    assert stream.timeouts == [0.1]


def test_a_connect_after_the_deadline_is_a_connect_timeout_and_nothing_was_sent(deadline_in: Any) -> None:
    request = httpx.Request("POST", "http://127.0.0.1:9/agent-execution/a", content=b"{}")
    deadline_in(-0.01)
    with _client_on(_SlowBackend()) as client, pytest.raises(httpx.ConnectTimeout) as caught:
        client.send(request)
    error = transport_error(caught.value, request, 1.0)
    assert type(error) is APITimeoutError
    assert "within 1.0 s (ConnectTimeout: the deadline of the attempt passed while connecting)" in error.description
    assert not error.request_sent, "retried: the server never saw it"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_httpx_and_httpcore_shapes_the_deadline_relies_on(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`install` sets `client._transport._pool._network_backend` and the same in every transport httpx
    mounted for proxies from the environment: pinned here, so an httpx or httpcore upgrade that moves them
    fails this test, not silently the deadline."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    sync = mode == "sync"
    client: Any = _own_client(httpx.Client, DEFAULT_LIMITS) if sync else _own_client(httpx.AsyncClient, DEFAULT_LIMITS)
    wrapper = _deadline.Backend if sync else _deadline.AsyncBackend
    pool_class = httpcore.ConnectionPool if sync else httpcore.AsyncConnectionPool
    proxy_class = httpcore.HTTPProxy if sync else httpcore.AsyncHTTPProxy
    assert isinstance(client._transport._pool, pool_class)
    assert isinstance(client._transport._pool._network_backend, wrapper)
    proxies = [transport for transport in client._mounts.values() if transport is not None]
    assert proxies, "httpx mounts a transport for HTTPS_PROXY"
    for transport in proxies:
        assert isinstance(transport._pool, proxy_class)
        assert isinstance(transport._pool._network_backend, wrapper)
    assert httpcore.HTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE == 100 * 1024, "the limit the head-size error names"


def test_a_callers_async_client_gets_the_deadline_too(server: FaultServer) -> None:
    server.script("/agent-execution/slow", ENDLESS_CONTINUE)

    async def go() -> ModuleException:
        async with httpx.AsyncClient() as client:
            tasks = Tasks(Configuration(api_key="k", base_url=server.url), async_http_client=client)
            with pytest.raises(APITimeoutError) as caught:
                await tasks.acreate("slow", prompt="p", timeout=0.5)
            return caught.value

    started = time.monotonic()
    error = asyncio.run(go())
    assert time.monotonic() - started < 1.9, "ended by the deadline, not by the server giving up"
    assert error.description.startswith(f"Timed out: no complete response from {server.url} within 0.5 s (")
    assert error.outcome_unknown
    assert server.count == 1


def test_a_callers_sync_client_keeps_only_the_per_read_timeout(server: FaultServer) -> None:
    """The documented limit: the SDK cannot put a deadline into a caller's sync transport, so a server that
    keeps sending `100 Continue` holds the call until it gives up (here after 2 s)."""
    server.script("/agent-execution/slow", ENDLESS_CONTINUE)
    with httpx.Client() as client:
        tasks = tasks_for(server.url, http_client=client)
        started = time.monotonic()
        with pytest.raises(APIConnectionError) as caught:
            tasks.create("slow", prompt="p", timeout=0.5)
    assert type(caught.value) is APIConnectionError
    assert 1.5 <= time.monotonic() - started < 5
