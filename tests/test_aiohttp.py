"""The aiohttp transport (`xpander_sdk._aiohttp`): which transport the SDK's async clients get, each gap of
httpx-aiohttp 0.2.0 that the SDK's layer fills (shown on raw httpx-aiohttp first, then gone in the SDK), the same
request bytes on every transport, and TLS, proxies, cancellation and imports on both async transports.

The fault tables (test_faults*), the event loops, fork, load, stream-pool and secrets tests run on both async
transports too (`MODES`, the `http_transport` fixture); this module holds what is the aiohttp layer's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import httpx_aiohttp
import pytest
import trio

from tests.conftest import MODES
from tests.faultserver import (
    API_KEY,
    MINIMAL_TASK,
    Close,
    FaultServer,
    Hang,
    Raw,
    Recorded,
    Repeat,
    Reply,
    Stream,
    Trickle,
    call,
    ok,
    running,
    tasks_for,
)
from xpander_sdk import (
    APIConnectionError,
    APITimeoutError,
    Configuration,
    InvalidArgumentError,
    ModuleException,
    Task,
    Tasks,
    _aiohttp,
)
from xpander_sdk._constants import DEFAULT_LIMITS, STREAM_LIMITS
from xpander_sdk._pool import AsyncPool

NOT_HTTP = Raw(b"SSH-2.0-OpenSSH_9.6\r\n")
FIRST_EVENT = (
    b'data: {"type":"connected","task_id":"t1","organization_id":"org-1","time":"2026-05-01T12:00:00Z","data":null}\n\n'
)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


async def _append(seen: list[str], request: httpx.Request) -> None:
    seen.append(f"{request.method} {request.url.path}")


def raw_aiohttp_client() -> httpx.AsyncClient:
    """httpx over httpx-aiohttp 0.2.0 as it comes, without the SDK's layer."""
    return httpx.AsyncClient(transport=httpx_aiohttp.AiohttpTransport())


async def raw_post(url: str, timeout: float = 5.0) -> httpx.Response:
    async with raw_aiohttp_client() as client:
        return await client.post(url, content=b"{}", timeout=timeout)


def acreate(tasks: Tasks, agent_id: str, **options: Any) -> Task | ModuleException:
    """`acreate` in a fresh event loop: the Task, or the ModuleException it raised. The Tasks is closed."""
    return call(tasks, "async", agent_id, **options)[0]


async def pool_of(tasks: Tasks) -> AsyncPool:
    return await tasks.requestor.session.async_pool()


# -- 1. which transport -------------------------------------------------------------------------------------------
def transport_of(tasks: Tasks) -> httpx.AsyncBaseTransport:
    async def go() -> httpx.AsyncBaseTransport:
        transport: httpx.AsyncBaseTransport = (await pool_of(tasks)).client._transport
        await tasks.aclose()
        return transport

    return asyncio.run(go())


def local_tasks(**options: Any) -> Tasks:
    return Tasks(Configuration(api_key=API_KEY, base_url="http://127.0.0.1:9"), **options)


def test_the_sdks_async_client_on_asyncio_is_on_aiohttp_by_default() -> None:
    assert isinstance(transport_of(local_tasks()), _aiohttp.Transport)


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_httpx_is_picked_by_argument_or_environment(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if how == "environment":
        monkeypatch.setenv("XPANDER_HTTP_TRANSPORT", " HTTPX ")
        tasks = local_tasks()
    else:
        monkeypatch.setenv("XPANDER_HTTP_TRANSPORT", "aiohttp")  # the argument wins
        tasks = local_tasks(http_transport="httpx")
    assert isinstance(transport_of(tasks), httpx.AsyncHTTPTransport)
    assert tasks.requestor.session.streams._http_transport == tasks.requestor.session._http_transport, (
        "streams follow the calls"
    )


def test_a_bare_tasks_follows_the_environment_of_each_new_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPANDER_API_KEY", API_KEY)
    monkeypatch.setenv("XPANDER_HTTP_TRANSPORT", "httpx")
    assert isinstance(transport_of(Tasks()), httpx.AsyncHTTPTransport)
    monkeypatch.setenv("XPANDER_HTTP_TRANSPORT", "aiohttp")
    assert isinstance(transport_of(Tasks()), _aiohttp.Transport)


def test_under_trio_the_transport_is_httpxs(server: FaultServer) -> None:
    """aiohttp runs on asyncio only: under trio the default is httpx's transport, and the call works."""
    tasks = tasks_for(server.url)

    async def go() -> tuple[Task, httpx.AsyncBaseTransport]:
        async with tasks:
            task = await tasks.acreate("ok", prompt="p")
            return task, (await pool_of(tasks)).client._transport

    task, transport = trio.run(go)
    assert task.id == "t1"
    assert isinstance(transport, httpx.AsyncHTTPTransport)


def test_a_callers_async_client_is_used_as_given(server: FaultServer) -> None:
    """Calls and event streams both go through it, on its own transport (httpx's here)."""
    seen: list[str] = []

    async def go() -> None:
        async with httpx.AsyncClient(event_hooks={"request": [lambda request: _append(seen, request)]}) as client:
            tasks = tasks_for(server.url, async_http_client=client)
            assert (await pool_of(tasks)).client is client
            assert (await tasks.acreate("ok", prompt="p")).id == "t1"
            assert (await tasks.requestor.session.streams.async_pool()).client is client

    asyncio.run(go())
    assert seen == ["POST /agent-execution/ok"]


@pytest.mark.parametrize("value", ["curl", "", "aiohttp2", 3])
def test_an_unknown_transport_is_refused_naming_the_parameter(value: Any) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        local_tasks(http_transport=value)
    assert refused.value.parameter == "http_transport"
    assert "must be 'aiohttp' or 'httpx'" in refused.value.description


def test_an_unknown_transport_in_the_environment_is_refused_before_anything_is_sent(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XPANDER_HTTP_TRANSPORT", "requests")
    with pytest.raises(InvalidArgumentError) as refused:
        tasks_for(server.url)
    assert refused.value.parameter == "XPANDER_HTTP_TRANSPORT"
    assert "'requests'" in refused.value.description
    assert server.count == 0


def test_importing_the_sdk_and_sync_calls_never_load_aiohttp(server: FaultServer) -> None:
    """aiohttp is imported when the first async client is made on asyncio, not before."""
    code = (
        "import sys, asyncio\n"
        "from xpander_sdk import Tasks, Configuration\n"
        f"tasks = Tasks(Configuration(api_key={API_KEY!r}, base_url={server.url!r}))\n"
        "print('aiohttp' in sys.modules)\n"
        "tasks.create('ok', prompt='p')\n"
        "print('aiohttp' in sys.modules)\n"
        "asyncio.run(tasks.acreate('ok', prompt='p'))\n"
        "print('aiohttp' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["False", "False", "True"]


# -- 2. the gaps of httpx-aiohttp 0.2.0, filled ---------------------------------------------------------------------
def test_gap_a_connection_closed_after_sending_is_not_a_connect_timeout(server: FaultServer) -> None:
    """httpx-aiohttp maps aiohttp's ServerDisconnectedError to httpx.ConnectTimeout, which says nothing was
    sent: a create would be retried and could run twice. The SDK: sent, outcome unknown, not retried."""
    server.script("/raw", Close())
    with pytest.raises(httpx.ConnectTimeout):
        asyncio.run(raw_post(f"{server.url}/raw"))

    server.script("/agent-execution/closed", Close())
    result = acreate(tasks_for(server.url), "closed")
    assert isinstance(result, APIConnectionError) and not isinstance(result, APITimeoutError)
    assert result.request_sent and result.outcome_unknown
    assert "Server disconnected without sending a response" in result.description
    assert len([request for request in server.requests if request.path == "/agent-execution/closed"]) == 1


def test_gap_an_answer_that_is_not_http_is_an_httpx_error(server: FaultServer) -> None:
    """httpx-aiohttp lets aiohttp's ClientResponseError escape (not an httpx.HTTPError)."""
    server.script("/raw", NOT_HTTP)
    with pytest.raises(aiohttp.ClientResponseError):
        asyncio.run(raw_post(f"{server.url}/raw"))

    server.script("/agent-execution/ssh", NOT_HTTP)
    result = acreate(tasks_for(server.url), "ssh")
    assert isinstance(result, APIConnectionError)
    assert "was closed or the answer was not valid HTTP (RemoteProtocolError" in result.description
    assert result.outcome_unknown


def test_gap_a_100_continue_every_300_ms_ends_at_the_deadline(server: FaultServer) -> None:
    """httpx-aiohttp passes only per-operation timeouts: a server sending `100 Continue` every 300 ms keeps a
    call with a 1 s timeout alive as long as it likes. The SDK ends it at its 1 s deadline."""
    continues = Repeat(b"HTTP/1.1 100 Continue\r\n\r\n", interval=0.3, give_up_after=4.0)
    server.script("/raw", continues)

    async def raw_within(seconds: float) -> bool:
        try:
            await asyncio.wait_for(raw_post(f"{server.url}/raw", timeout=1.0), seconds)
        except TimeoutError:
            return False
        except httpx.HTTPError:
            return True
        return True

    assert not asyncio.run(raw_within(2.5)), "raw httpx-aiohttp was still waiting after 2.5 s"

    server.script("/agent-execution/continues", continues)
    started = time.monotonic()
    result = acreate(tasks_for(server.url), "continues", timeout=1.0)
    assert isinstance(result, APITimeoutError)
    assert "Timed out: no complete response from" in result.description and "within 1.0 s" in result.description
    assert time.monotonic() - started < 2.5


def test_gap_a_pool_without_a_cap_has_none() -> None:
    """httpx-aiohttp leaves aiohttp's cap of 100 connections when httpx's limits have none, so the 101st open
    event stream would wait; the SDK's streams pool (`STREAM_LIMITS`) has no cap on aiohttp either."""
    context = ssl.create_default_context()

    async def limits() -> tuple[int, int, int]:
        raw = httpx_aiohttp.AiohttpTransport(limits=STREAM_LIMITS).get_client()
        ours = _aiohttp.Transport(ssl_context=context, limits=STREAM_LIMITS).get_client()
        calls = _aiohttp.Transport(ssl_context=context, limits=DEFAULT_LIMITS).get_client()
        found = (raw.connector.limit, ours.connector.limit, calls.connector.limit)  # type: ignore[union-attr]
        for session in (raw, ours, calls):
            await session.close()
        return found

    assert asyncio.run(limits()) == (100, 0, DEFAULT_LIMITS.max_connections)


def test_more_than_100_event_streams_are_open_at_once(server: FaultServer) -> None:
    """110 silent streams of one Tasks all deliver their first event (on its own streams pool)."""
    count = 110
    silent = Stream(((0.0, FIRST_EVENT),), end="hang", give_up_after=20.0)
    for number in range(count):
        server.script(f"/org-1/agent-execution/s{number}/events", silent)
    tasks = tasks_for(server.url)
    tasks.configuration.organization_id = "org-1"

    async def go() -> int:
        data = {**MINIMAL_TASK, "organization_id": "org-1", "events_streaming": True}
        streams = [Task.from_dict({**data, "id": f"s{n}"}).bind(tasks).aevents() for n in range(count)]
        try:
            firsts = await asyncio.wait_for(asyncio.gather(*(anext(aiter(stream)) for stream in streams)), 10)
        finally:
            for stream in streams:
                await stream.aclose()
            await tasks.aclose()
        return len(firsts)

    assert asyncio.run(go()) == count


def test_gap_a_delete_sends_no_content_length(server: FaultServer) -> None:
    """aiohttp adds `Content-Length: 0` to a DELETE without a body; httpx (so the official SDK) sends none."""

    async def raw_delete() -> None:
        async with raw_aiohttp_client() as client:
            await client.delete(f"{server.url}/raw")

    asyncio.run(raw_delete())
    assert server.requests[-1].header("content-length") == "0"

    async def stop() -> None:
        async with tasks_for(server.url) as tasks:
            await tasks.astop("t1")

    asyncio.run(stop())
    assert server.requests[-1].method == "DELETE"
    assert server.requests[-1].header("content-length") is None


def test_gap_no_cookie_is_kept_or_sent(server: FaultServer) -> None:
    """aiohttp's session keeps cookies and sends them back; the SDK's clients send none (as its httpx ones)."""
    cookie = Reply(201, json.dumps(MINIMAL_TASK).encode(), headers=(("set-cookie", "AWSALB=sticky; Path=/"),))
    server.script("/raw", cookie, ok())

    async def raw_twice() -> None:
        async with raw_aiohttp_client() as client:
            await client.post(f"{server.url}/raw", content=b"{}")
            await client.post(f"{server.url}/raw", content=b"{}")

    asyncio.run(raw_twice())
    assert server.requests[-1].header("cookie") == "AWSALB=sticky"

    server.script("/agent-execution/cookie", cookie, ok())

    async def twice() -> None:
        async with tasks_for(server.url) as tasks:
            await tasks.acreate("cookie", prompt="p")
            await tasks.acreate("cookie", prompt="p")

    asyncio.run(twice())
    assert server.requests[-1].header("cookie") is None


def test_gap_a_response_header_of_20_kib_is_read(server: FaultServer) -> None:
    """aiohttp reads header lines up to 8 KiB by default (the error escapes httpx-aiohttp); httpx reads a head
    up to 100 KiB, and so does the SDK on aiohttp."""
    large = Reply(201, json.dumps(MINIMAL_TASK).encode(), headers=(("x-trace", "t" * 20_000),))
    server.script("/raw", large)
    with pytest.raises(aiohttp.ClientResponseError, match="Got more than 8190 bytes"):
        asyncio.run(raw_post(f"{server.url}/raw"))

    server.script("/agent-execution/large", large)
    result = acreate(tasks_for(server.url), "large")
    assert isinstance(result, Task) and result.id == "t1"


def test_gap_the_headers_keep_httpxs_case_and_the_url_its_encoding(server: FaultServer) -> None:
    """httpx-aiohttp hands aiohttp the URL as text (aiohttp re-quotes it: `%3A` goes out as `:`) and the headers
    as a mapping (lower-cased names); the SDK sends the path and the header names httpx built."""

    async def raw_get() -> None:
        async with raw_aiohttp_client() as client:
            await client.get(f"{server.url}/raw/a%3Ab%7Ec")

    asyncio.run(raw_get())
    raw = server.requests[-1]
    assert raw.path == "/raw/a:b~c"
    assert raw.headers[0][0] == "host"

    async def get() -> None:
        async with tasks_for(server.url) as tasks:
            with contextlib.suppress(ModuleException):
                await tasks.aget("a:b~c")

    asyncio.run(get())
    sent = server.requests[-1]
    assert sent.path == "/agent-execution/a%3Ab~c/status"
    assert sent.headers[0][0] == "Host"


# -- 3. the same request bytes on every transport -------------------------------------------------------------------
CALLS: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "create-minimal": ("create", ("agent-1",), {"prompt": "hi"}),
    "create-full": (
        "create",
        ("agent-1",),
        {
            "prompt": "ünïcode ✓",
            "file_urls": ["https://example.com/a.csv"],
            "title": "t",
            "output_format": "json",
            "output_schema": {"type": "object"},
            "events_streaming": True,
            "extra_headers": {"X-Custom": "1"},
            "extra_query": {"q": "a b"},
        },
    ),
    "get": ("get", ("t1",), {}),
    "get-odd-id": ("get", ("a:b~c d",), {}),
    "list": ("list", ("agent-1", {"status": "completed", "user_id": "u 1"}), {}),
    "update": ("update", ("t1",), {"status": "failed", "result": "boom"}),
    "stop": ("stop", ("t1",), {}),
}


def sent(server: FaultServer, mode: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Recorded:
    """What the server read of the one request `tasks.<method>(...)` sent in `mode` (its answer aside)."""
    tasks = tasks_for(server.url, max_retries=0, http_transport="httpx" if mode == "async-httpx" else "aiohttp")
    before = server.count
    with contextlib.suppress(ModuleException):
        if mode == "sync":
            with tasks:
                getattr(tasks, method)(*args, **kwargs)
        else:

            async def go() -> None:
                async with tasks:
                    await getattr(tasks, f"a{method}")(*args, **kwargs)

            asyncio.run(go())
    assert server.count == before + 1
    return server.requests[-1]


@pytest.mark.parametrize("name", list(CALLS))
def test_every_transport_sends_the_same_request(server: FaultServer, name: str) -> None:
    """Method, path and query, header names (their case and order) and values, and body: the same whether
    httpx's sync transport, httpx's async one or aiohttp carries the request."""
    method, args, kwargs = CALLS[name]
    requests = {mode: sent(server, mode, method, args, kwargs) for mode in MODES}
    assert requests["async"] == requests["sync"]
    assert requests["async-httpx"] == requests["sync"]
    assert requests["sync"].header("x-api-key") == API_KEY


# -- 4. TLS, proxies, cancellation, secrets: on both async transports ------------------------------------------------
@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no trust store knows, and its key (made with the openssl command)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
    command += ["-keyout", str(key), "-out", str(cert)]
    try:
        subprocess.run(command, capture_output=True, timeout=60, check=True)
    except FileNotFoundError:
        pytest.fail("The TLS tests need the openssl command: apt-get install openssl", pytrace=False)
    return cert, key


@contextlib.contextmanager
def tls_listener(cert: Path, key: Path) -> Iterator[tuple[str, list[str]]]:
    """A loopback TLS server with `cert`: its URL, and what each handshake ended in (bounded: 20 handshakes)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    outcomes: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set() and len(outcomes) < 20:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(2.0)
            try:
                with context.wrap_socket(connection, server_side=True):
                    outcomes.append("handshake completed")
            except (ssl.SSLError, OSError) as exc:
                outcomes.append(type(exc).__name__)
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}", outcomes
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@pytest.mark.parametrize("mode", MODES)
def test_a_certificate_nobody_trusts_is_a_connection_error_before_sending(
    self_signed: tuple[Path, Path], mode: str
) -> None:
    """Verification fails during the handshake: nothing was sent, so even a create is retried (2 retries)."""
    with tls_listener(*self_signed) as (url, handshakes):
        tasks = tasks_for(url)
        if mode == "sync":
            with tasks, pytest.raises(APIConnectionError) as raised:
                tasks.create("agent-1", prompt="p")
            error: ModuleException = raised.value
        else:
            result = acreate(tasks, "agent-1")
            assert isinstance(result, ModuleException)
            error = result
        deadline = time.monotonic() + 5
        while len(handshakes) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert type(error) is APIConnectionError
    assert not error.request_sent and not error.outcome_unknown
    assert error.description.startswith(f"Could not connect to {url} (ConnectError: ")
    assert "CERTIFICATE_VERIFY_FAILED" in error.description or "certificate verify failed" in error.description
    assert len(handshakes) == 3 and "handshake completed" not in handshakes


@pytest.mark.parametrize("mode", MODES)
def test_a_proxy_from_the_environment_carries_the_calls(
    server: FaultServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY: the request goes to the proxy, in absolute form, for a host that does not resolve."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url)
    target = "http://api.xpander.invalid"
    server.script(f"{target}/agent-execution/proxied", ok())
    tasks = tasks_for(target, max_retries=0)
    if mode == "sync":
        with tasks:
            result: Task | ModuleException = tasks.create("proxied", prompt="p")
    else:
        result = acreate(tasks, "proxied")
    assert isinstance(result, Task), result
    assert server.requests[-1].path == f"{target}/agent-execution/proxied"
    assert server.requests[-1].header("host") == "api.xpander.invalid"


def test_a_cancelled_call_leaves_no_connection_half_read(server: FaultServer, http_transport: str) -> None:
    """A create cancelled while its body trickles in closes that connection: the next call on the same Tasks
    gets its own answer, on a new connection."""
    slow = Trickle(ok(201, {**MINIMAL_TASK, "id": "slow", "result": "r" * 4000}), chunk=64, delay=0.02)
    server.script("/agent-execution/slow", slow)
    server.script("/agent-execution/next", ok(201, {**MINIMAL_TASK, "id": "next"}))

    async def go() -> Task:
        async with tasks_for(server.url, max_retries=0) as tasks:
            call = asyncio.create_task(tasks.acreate("slow", prompt="p"))
            await asyncio.sleep(0.3)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            return await asyncio.wait_for(tasks.acreate("next", prompt="p"), 5)

    assert asyncio.run(go()).id == "next"
    assert server.stats()["connections"] >= 2, "the half-read connection was not reused"


def test_an_error_chain_holds_no_secret(server: FaultServer, http_transport: str) -> None:
    """aiohttp's ClientResponseError keeps the request's headers (the API key) in its repr: the SDK's error, its
    causes and their reprs never show the key."""
    server.script("/agent-execution/ssh", NOT_HTTP)
    result = acreate(tasks_for(server.url, max_retries=0), "ssh")
    assert isinstance(result, APIConnectionError)
    chain: list[BaseException] = []
    link: BaseException | None = result
    while link is not None and len(chain) < 10:
        chain.append(link)
        link = link.__cause__ or link.__context__
    shown = " ".join(f"{link!s} {link!r} {vars(link)!r}" for link in chain)
    assert API_KEY not in shown


def test_the_pool_shape_fork_safety_relies_on(server: FaultServer) -> None:
    """`forget_connections` finds each connection of an aiohttp client (aiohttp's connector keeps idle ones in
    `_conns` and busy ones in `_acquired`): after a call, the one kept-alive connection."""

    async def go() -> list[int]:
        tasks = tasks_for(server.url)
        await tasks.acreate("ok", prompt="p")
        client = (await pool_of(tasks)).client
        found = [fd for session in _aiohttp._sessions(client) for fd in _aiohttp._descriptors(session)]
        await tasks.aclose()
        return found

    found = asyncio.run(go())
    assert len(found) == 1 and found[0] > 2


LEFT_OPEN = """
import asyncio, gc, sys
from xpander_sdk import Configuration, Tasks
tasks = Tasks(Configuration(api_key="k-123", base_url=sys.argv[1]))
loop = asyncio.new_event_loop()
loop.run_until_complete(tasks.acreate("ok", prompt="p"))
if sys.argv[2] == "closed":
    loop.close()
    asyncio.run(tasks.acreate("ok", prompt="p"))  # drops the client of the closed loop
    gc.collect()
print("done")
"""


@pytest.mark.parametrize("loop", ["closed", "left running at exit"])
def test_a_client_never_closed_goes_quietly(server: FaultServer, http_transport: str, loop: str) -> None:
    """A loop closed (or a script ending) without `aclose()`: aiohttp's session and pool, collected unclosed,
    would each log an ERROR ("Unclosed client session", "Unclosed connector"); httpx's client logs nothing. On
    both transports nothing is logged."""
    done = subprocess.run(
        [sys.executable, "-c", LEFT_OPEN, server.url, loop.split(maxsplit=1)[0]],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "done"
    assert "Unclosed" not in done.stderr and "Error" not in done.stderr, done.stderr


def test_a_large_body_goes_out_whole_without_a_warning(server: FaultServer, http_transport: str) -> None:
    """aiohttp warns (ResourceWarning) for every body over 1 MiB given as bytes; the SDK hands such a body over
    as a file: the same bytes arrive, and nothing is warned."""
    blob = "x" * (3 * 1024 * 1024)

    async def go() -> Task:
        async with tasks_for(server.url) as tasks:
            return await tasks.acreate("ok", prompt="p", extra_body={"blob": blob})

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        task = asyncio.run(go())
    assert task.id == "t1"
    assert [str(warning.message) for warning in caught] == []
    body = json.loads(server.requests[-1].body)
    assert body["blob"] == blob
    assert server.requests[-1].header("content-length") == str(len(server.requests[-1].body))


@pytest.mark.parametrize(("library", "transport"), [("asyncio", "aiohttp"), ("asyncio", "httpx"), ("trio", "httpx")])
def test_a_call_that_waits_past_the_pool_timeout_is_a_pool_timeout(
    server: FaultServer, library: str, transport: str
) -> None:
    """One connection, held by a create the server never answers: a second create waits at the SDK's gate (on
    asyncio its own semaphore and timeout, under trio anyio's) and ends at the pool timeout, nothing sent."""
    server.script("/agent-execution/held", Hang())
    tasks = tasks_for(
        server.url,
        max_retries=0,
        limits=httpx.Limits(max_connections=1),
        timeout=httpx.Timeout(3.0, pool=0.3),
        http_transport=transport,
    )

    async def second() -> ModuleException:
        try:
            await tasks.acreate("ok", prompt="p")
        except ModuleException as exc:
            return exc
        raise AssertionError("the second create went through")

    async def on_asyncio() -> ModuleException:
        async with tasks:
            held = asyncio.create_task(tasks.acreate("held", prompt="p"))
            await asyncio.sleep(0.1)
            error = await second()
            held.cancel()
            with contextlib.suppress(asyncio.CancelledError, ModuleException):
                await held
            return error

    async def on_trio() -> ModuleException:
        async with tasks, trio.open_nursery() as nursery:
            nursery.start_soon(functools.partial(tasks.acreate, "held", prompt="p"))
            await trio.sleep(0.1)
            error = await second()
            nursery.cancel_scope.cancel()
            return error

    started = time.monotonic()
    error = asyncio.run(on_asyncio()) if library == "asyncio" else trio.run(on_trio)
    assert type(error) is APITimeoutError
    assert error.description.startswith("Timed out waiting for a free connection in the pool for")
    assert not error.request_sent
    assert time.monotonic() - started < 2.5
    assert [request.path for request in server.requests] == ["/agent-execution/held"]


def test_a_deadline_of_5_s_or_more_is_kept_to_the_tenth(server: FaultServer, http_transport: str) -> None:
    """aiohttp rounds a timeout of 5 s or more up to the next whole second of its clock: a 5.2 s deadline would
    end after up to 6.2 s. The SDK keeps it as given, on both transports."""
    server.script("/agent-execution/hang", Hang())
    started = time.monotonic()
    result = acreate(tasks_for(server.url, max_retries=0), "hang", timeout=5.2)
    took = time.monotonic() - started
    assert isinstance(result, APITimeoutError) and "within 5.2 s" in result.description
    assert 5.15 < took < 5.45, took


@pytest.mark.parametrize("mode", MODES)
def test_a_socks_proxy_in_the_environment_is_refused_naming_the_proxy(
    server: FaultServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx needs httpx[socks] for it (a bare ImportError otherwise); aiohttp would speak HTTP to the SOCKS
    port. Both end in InvalidArgumentError before anything is sent."""
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", f"socks5://{server.url.removeprefix('http://')}")
    result, _ = call(tasks_for("http://api.xpander.invalid"), mode, "agent-1")
    assert isinstance(result, InvalidArgumentError), result
    assert result.parameter == "proxy"
    assert server.count == 0
