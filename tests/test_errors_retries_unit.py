"""Unit tests of the error model, retries, timeouts, connections and logging (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import pickle
import time

import httpx
import pytest

from tests.faultserver import closed_port
from tests.mock_api import MINIMAL_TASK, FakeAPI
from xpander_sdk import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    Configuration,
    ConflictError,
    InternalServerError,
    InvalidArgumentError,
    InvalidResponseError,
    ModuleException,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Tasks,
    UnprocessableEntityError,
)
from xpander_sdk._failures import parse_retry_after, transport_error

OK = httpx.Response(201, json=MINIMAL_TASK)
FASTAPI_422 = {
    "detail": [
        {"loc": ["body", "tool_call_limit"], "msg": "Input should be >= 0", "type": "greater_than_equal"},
        {"loc": ["body", "input", "user", "email"], "msg": "Field required", "type": "missing"},
    ]
}


# -- one subclass per kind ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("response", "kind", "status", "description"),
    [
        (httpx.Response(400, json={"detail": "Invalid output_schema"}), BadRequestError, 400, "Invalid output_schema"),
        (httpx.Response(401, json={"detail": "Unauthorized"}), AuthenticationError, 401, "Unauthorized"),
        (httpx.Response(403, json={"detail": "Forbidden"}), PermissionDeniedError, 403, "Forbidden"),
        (httpx.Response(404, json={"detail": "Agent not found"}), NotFoundError, 404, "Agent not found"),
        (httpx.Response(409, json={"detail": {"reason": "busy"}}), ConflictError, 409, '{"reason": "busy"}'),
        (httpx.Response(422, json=FASTAPI_422), UnprocessableEntityError, 422, "tool_call_limit: Input should be >= 0"),
        (httpx.Response(500, json={"detail": "boom"}), InternalServerError, 500, "boom"),
        (httpx.Response(502, html="<html><h1>502 Bad Gateway</h1></html>"), InternalServerError, 502, "<h1>502 Bad"),
        (httpx.Response(520, text="origin error"), InternalServerError, 520, "origin error"),
        (httpx.Response(499, text="client closed"), APIStatusError, 499, "client closed"),
        (httpx.Response(418, text=""), APIStatusError, 418, "(empty body)"),
        (httpx.Response(301, headers={"location": "https://evil.test/"}), APIStatusError, 301, "not followed"),
    ],
)
def test_each_status_becomes_its_subclass(
    response: httpx.Response, kind: type[APIStatusError], status: int, description: str
) -> None:
    api = FakeAPI([response])
    with pytest.raises(kind) as caught:
        api.tasks().create("a", prompt="p")
    error = caught.value
    assert type(error) is kind
    assert isinstance(error, ModuleException)
    assert error.status_code == status
    assert description in error.description
    assert str(error) == f"[{status}] {error.description}"
    assert error.response is not None and error.response.status_code == status
    assert len(api.requests) == 1, "never retried by default"


def test_validation_errors_are_parsed() -> None:
    api = FakeAPI([httpx.Response(422, json=FASTAPI_422, headers={"x-request-id": "req-42"})])
    with pytest.raises(UnprocessableEntityError) as caught:
        api.tasks().create("a", prompt="p")
    error = caught.value
    assert isinstance(error, BadRequestError)
    assert [(e.field, e.type) for e in error.errors] == [
        ("tool_call_limit", "greater_than_equal"),
        ("input.user.email", "missing"),
    ]
    assert error.request_id == "req-42"
    assert error.body == FASTAPI_422


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(204), "empty"),
        (httpx.Response(200, text="OK"), "not JSON"),
        (httpx.Response(200, content=b'{"id": "t1", "agent'), "not JSON"),
        (httpx.Response(200, json=[MINIMAL_TASK]), "JSON list"),
        (httpx.Response(200, json={k: v for k, v in MINIMAL_TASK.items() if k != "created_at"}), "'created_at'"),
        (httpx.Response(200, json={**MINIMAL_TASK, "created_at": "yesterday"}), "wrong type or format"),
    ],
)
def test_an_unreadable_success_is_an_invalid_response(response: httpx.Response, reason: str) -> None:
    api = FakeAPI([response])
    with pytest.raises(InvalidResponseError, match=reason) as caught:
        api.tasks().create("a", prompt="p")
    assert caught.value.status_code == response.status_code
    assert caught.value.outcome_unknown
    assert len(api.requests) == 1


def test_client_side_failures_never_claim_a_server_status() -> None:
    api = FakeAPI([httpx.ConnectError("refused")])
    with pytest.raises(APIConnectionError) as caught:
        api.tasks(max_retries=0).create("a", prompt="p")
    assert caught.value.status_code == 0
    assert not caught.value.request_sent
    assert str(caught.value) == "[0] Could not connect to https://api.test:443 (ConnectError: refused)"
    with pytest.raises(InvalidArgumentError) as refused:
        api.tasks().create("", prompt="p")
    assert refused.value.status_code == 0
    assert isinstance(refused.value, ValueError)


def test_errors_are_picklable() -> None:
    api = FakeAPI([httpx.Response(429, json={"detail": "slow down"}, headers={"retry-after": "120"})])
    with pytest.raises(RateLimitError) as caught:
        api.tasks().create("a", prompt="p")
    clone = pickle.loads(pickle.dumps(caught.value))
    assert (type(clone), clone.status_code, clone.retry_after, clone.body) == (
        RateLimitError,
        429,
        120.0,
        {"detail": "slow down"},
    )


# -- retries --------------------------------------------------------------------------------------------------
def test_503_then_success_is_retried() -> None:
    api = FakeAPI([httpx.Response(503, headers={"retry-after": "0"}), OK])
    task = api.tasks().create("a", prompt="p")
    assert task.id == "t1"
    assert len(api.requests) == 2


def test_429_is_retried_up_to_max_retries() -> None:
    api = FakeAPI([httpx.Response(429, json={"detail": "slow"}, headers={"retry-after": "0"})])
    with pytest.raises(RateLimitError) as caught:
        api.tasks().create("a", prompt="p")
    assert caught.value.retry_after == 0.0
    assert len(api.requests) == 3


def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    api = FakeAPI([httpx.Response(429, headers={"retry-after": "3600"})])
    started = time.monotonic()
    with pytest.raises(RateLimitError) as caught:
        api.tasks().create("a", prompt="p")
    assert caught.value.retry_after == 3600.0
    assert len(api.requests) == 1
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"detail": "boom"}),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(504, text="gateway timeout"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("reset"),
    ],
)
def test_failures_after_sending_are_not_retried_unless_asked(answer: httpx.Response | Exception) -> None:
    api = FakeAPI([answer])
    with pytest.raises(ModuleException) as caught:
        api.tasks().create("a", prompt="p")
    assert caught.value.outcome_unknown
    assert len(api.requests) == 1, "a create the server may have processed is never replayed by default"

    api = FakeAPI([answer])
    with pytest.raises(ModuleException):
        api.tasks().create("a", prompt="p", retry_unsafe=True)
    assert len(api.requests) == 3, "retry_unsafe=True opts in for this call"


def test_read_timeout_is_a_timeout_error_with_unknown_outcome() -> None:
    api = FakeAPI([httpx.ReadTimeout("slow")])
    with pytest.raises(APITimeoutError) as caught:
        api.tasks().create("a", prompt="p")
    assert caught.value.request_sent
    assert (
        caught.value.description == "Timed out waiting for the response from https://api.test:443 (ReadTimeout: slow)"
    )


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("no route")])
def test_connect_failures_are_retried_because_nothing_was_sent(failure: Exception) -> None:
    api = FakeAPI([failure, failure, OK])
    assert api.tasks().create("a", prompt="p").id == "t1"
    assert len(api.requests) == 3
    api = FakeAPI([failure])
    with pytest.raises(APIConnectionError) as caught:
        api.tasks().create("a", prompt="p")
    assert not caught.value.outcome_unknown
    assert len(api.requests) == 3


def test_max_retries_per_call_and_per_tasks() -> None:
    api = FakeAPI([httpx.Response(503)])
    with pytest.raises(InternalServerError) as caught:
        api.tasks(max_retries=5).create("a", prompt="p")
    assert len(api.requests) == 6
    assert not caught.value.outcome_unknown, "a 503 means the server did not act"
    api = FakeAPI([httpx.Response(503)])
    with pytest.raises(InternalServerError):
        api.tasks(max_retries=5).create("a", prompt="p", max_retries=0)
    assert len(api.requests) == 1


def test_max_retries_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPANDER_MAX_RETRIES", "1")
    api = FakeAPI([httpx.Response(503)])
    with pytest.raises(InternalServerError):
        api.tasks().create("a", prompt="p")
    assert len(api.requests) == 2


def test_retry_after_parsing() -> None:
    now = 1_700_000_000.0
    in_30_s = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(httpx.Headers({"retry-after": "2"})) == 2.0
    assert parse_retry_after(httpx.Headers({"retry-after": in_30_s}), now=lambda: now) == 30.0
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "250"})) == 0.25
    assert parse_retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert parse_retry_after(httpx.Headers({})) is None


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    tasks = Tasks(Configuration(api_key="k"))
    policy = tasks.retry_policy
    waits = [policy.backoff(n) for n in (1, 2, 3, 10)]
    assert 0.25 <= waits[0] <= 0.5
    assert 0.5 <= waits[1] <= 1.0
    assert 1.0 <= waits[2] <= 2.0
    assert 4.0 <= waits[3] <= 8.0


# -- timeouts -------------------------------------------------------------------------------------------------
def test_timeouts_default_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeAPI()
    tasks = api.tasks()
    tasks.create("a", prompt="p")
    assert api.requests[-1].extensions["timeout"] == {"connect": 10.0, "read": 60.0, "write": 60.0, "pool": 60.0}
    tasks.create("a", prompt="p", timeout=2.5)
    assert api.requests[-1].extensions["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    tasks.create("a", prompt="p", timeout=httpx.Timeout(30.0, connect=1.0))
    assert api.requests[-1].extensions["timeout"]["connect"] == 1.0
    monkeypatch.setenv("XPANDER_TIMEOUT", "15")
    api.tasks().create("a", prompt="p")
    assert api.requests[-1].extensions["timeout"]["read"] == 15.0
    with pytest.raises(InvalidArgumentError, match="timeout"):
        tasks.create("a", prompt="p", timeout=0)


# -- what a connection or timeout error says ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("failure", "description"),
    [
        (httpx.ConnectError("refused"), "Could not connect to https://api.test:443 (ConnectError: refused)"),
        (httpx.ConnectTimeout("slow"), "Timed out connecting to https://api.test:443 (ConnectTimeout: slow)"),
        (httpx.WriteTimeout("slow"), "Timed out sending the request to https://api.test:443 (WriteTimeout: slow)"),
        (
            httpx.PoolTimeout("full"),
            "Timed out waiting for a free connection in the pool for https://api.test:443 (PoolTimeout: full)",
        ),
        (httpx.ReadError("reset"), "The connection to https://api.test:443 was closed or reset (ReadError: reset)"),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "The connection to https://api.test:443 was closed or the answer was not valid HTTP "
            "(RemoteProtocolError: Server disconnected without sending a response.)",
        ),
        (
            httpx.ProxyError("407"),
            "Could not connect through the proxy to https://api.test:443 (ProxyError: 407)",
        ),
        (httpx.UnsupportedProtocol("ftp"), "The request to https://api.test:443 failed (UnsupportedProtocol: ftp)"),
    ],
)
def test_connection_errors_say_what_failed_and_where(failure: Exception, description: str) -> None:
    api = FakeAPI([failure])
    with pytest.raises(APIConnectionError) as caught:
        api.tasks(max_retries=0).create("a", prompt="p")
    assert caught.value.description == description
    assert "test-key" not in repr(caught.value)


def test_the_origin_comes_from_the_request_httpx_tried() -> None:
    """The error's own request (an auth flow may have made another one) names the origin; the one the SDK
    sent, when the error carries none."""
    sent = httpx.Request("POST", "https://api.test/agent-execution/a")
    other = httpx.Request("POST", "http://[::1]:8080/x?token=query-secret")
    error = transport_error(httpx.ConnectError("refused", request=other), sent)
    assert error.description == "Could not connect to http://[::1]:8080 (ConnectError: refused)"
    error = transport_error(httpx.ConnectError("refused"), sent)
    assert error.description == "Could not connect to https://api.test:443 (ConnectError: refused)"


def test_a_base_url_without_a_scheme_shows_the_https_it_was_given() -> None:
    port = closed_port()
    tasks = Tasks(Configuration(api_key="key-never-shown", base_url=f"127.0.0.1:{port}"), max_retries=0)
    with tasks, pytest.raises(APIConnectionError) as caught:
        tasks.create("a", prompt="p")
    assert caught.value.description.startswith(f"Could not connect to https://127.0.0.1:{port} (ConnectError: ")
    assert "key-never-shown" not in repr(caught.value)


def test_userinfo_path_and_query_of_the_base_url_stay_out_of_the_message() -> None:
    port = closed_port()
    base_url = f"http://someone:pass-never-shown@127.0.0.1:{port}/base?sig=sig-never-shown"
    tasks = Tasks(Configuration(api_key="key-never-shown", base_url=base_url), max_retries=0)
    with tasks, pytest.raises(APIConnectionError) as caught:
        tasks.create("a", prompt="p")
    rendered = f"{caught.value} {caught.value!r}"
    assert f"http://127.0.0.1:{port} (" in rendered
    for secret in ("pass-never-shown", "sig-never-shown", "key-never-shown", "someone"):
        assert secret not in rendered


# -- connections ----------------------------------------------------------------------------------------------
def test_one_sync_client_is_reused_and_closed() -> None:
    transport = httpx.MockTransport(lambda request: OK)
    tasks = Tasks(Configuration(api_key="k"), limits=httpx.Limits(max_connections=5))
    client = tasks.requestor.session.sync_client()
    client._transport = transport  # the pooled client Tasks made, on a fake transport
    with tasks:
        tasks.create("a", prompt="p")
        tasks.create("a", prompt="p")
        assert tasks.requestor.session.sync_client() is client
    assert client.is_closed


def test_a_tasks_works_across_event_loops() -> None:
    api = FakeAPI()
    transport = httpx.MockTransport(api)
    tasks = Tasks(Configuration(api_key="k", base_url="https://api.test"), limits=httpx.Limits(max_connections=5))
    clients = []

    async def create() -> None:
        client = await tasks.requestor.session.async_client()
        client._transport = transport
        clients.append(client)
        await tasks.acreate("a", prompt="p")

    for _ in range(3):
        asyncio.run(create())
    assert len(api.requests) == 3
    assert len({id(client) for client in clients}) == 3, "one AsyncClient per event loop"
    assert len(tasks.requestor.session._async_pools) == 1, "clients of closed loops are dropped"
    assert all(client.is_closed for client in clients), "each loop's client was closed when its loop ended"


def test_bare_tasks_share_one_pool() -> None:
    assert Tasks().requestor.session is Tasks().requestor.session
    assert Tasks(Configuration(api_key="k")).requestor.session is not Tasks().requestor.session


def test_user_clients_are_used_and_not_closed() -> None:
    api = FakeAPI()
    tasks = api.tasks()
    client = tasks.requestor.session.sync_client()
    tasks.close()
    assert not client.is_closed
    assert tasks.create("a", prompt="p").id == "t1"


# -- logging --------------------------------------------------------------------------------------------------
def test_logs_say_what_happened_and_hold_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="xpander_sdk")
    api = FakeAPI([httpx.Response(503, headers={"retry-after": "0"}), OK])
    api.tasks().create("a", prompt="p", user_oidc_token="oidc-secret-value")
    messages = [record.getMessage() for record in caplog.records if record.name == "xpander_sdk"]
    assert any("-> 503" in message and "attempt 1" in message for message in messages)
    assert any("retry 1 of 2" in message for message in messages)
    assert any("-> 201" in message and "attempt 2" in message for message in messages)
    assert not any("test-key" in message or "oidc-secret-value" in message for message in messages)


def test_secrets_echoed_by_the_server_are_redacted_everywhere_in_the_error() -> None:
    echo = {"detail": [{"loc": ["body", "user_oidc_token"], "msg": "bad oidc-secret-1", "input": "oidc-secret-1"}]}
    api = FakeAPI([httpx.Response(422, json=echo)])
    with pytest.raises(UnprocessableEntityError) as caught:
        api.tasks().create("a", prompt="p", user_oidc_token="oidc-secret-1")
    error = caught.value
    for rendered in (str(error), repr(error), error.description, repr(error.body), repr(error.errors)):
        assert "oidc-secret-1" not in rendered
    assert error.body["detail"][0]["input"] == "***"
