"""Secrets never leak: not in logs, reprs, exception text, pickles, even when the server echoes the request.

The API key, `user_oidc_token`, the `user_tokens` values and the MCP servers' `api_key`, `client_secret` and
header values are sent to a real server (tests.faultserver) that echoes them back in its errors, the way
FastAPI's 422 (`input`) or a debugging proxy's 500 page does. Every surface a developer or a log pipeline
sees is then searched for every secret.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import MODES
from tests.faultserver import Dynamic, FaultServer, Recorded, Reply, json_bytes, ok, running
from xpander_sdk import (
    AuthenticationError,
    Configuration,
    ConflictError,
    InternalServerError,
    InvalidArgumentError,
    InvalidResponseError,
    MCPServerDetails,
    ModuleException,
    RateLimitError,
    Task,
    Tasks,
    UnprocessableEntityError,
)

API_KEY = "sk-live-APIKEY-SECRET-0123456789"
OIDC_TOKEN = "eyJhbGciOi.OIDC-SECRET.signature-abc"
USER_TOKENS = {"github": "ghp_USERTOKEN_SECRET_1", "slack": "xoxb-USERTOKEN-SECRET-2"}
MCP_API_KEY = "mcp-APIKEY-SECRET-3"
MCP_CLIENT_SECRET = "mcp-CLIENT-SECRET-4"
MCP_HEADERS = {"Authorization": "Bearer mcp-HEADER-SECRET-5", "X-Tenant-Key": "mcp-HEADER-SECRET-6"}
SECRETS = [API_KEY, OIDC_TOKEN, *USER_TOKENS.values(), MCP_API_KEY, MCP_CLIENT_SECRET, *MCP_HEADERS.values()]
assert all(len(secret) >= 8 for secret in SECRETS)


def mcp_server() -> MCPServerDetails:
    return MCPServerDetails(
        name="crm",
        url="https://mcp.example.com/mcp",
        auth_type="custom_headers",
        api_key=MCP_API_KEY,
        client_id="client-1",
        client_secret=MCP_CLIENT_SECRET,
        headers=dict(MCP_HEADERS),
    )


SECRET_ARGUMENTS: dict[str, Any] = {
    "user_oidc_token": OIDC_TOKEN,
    "user_tokens": USER_TOKENS,
}


# -- servers that echo the request -------------------------------------------------------------------------------
def _fastapi_422(seen: Recorded) -> Reply:
    """FastAPI's validation error, whose `input` (and here `msg`) carry the values it refused."""
    body = json.loads(seen.body)
    detail: list[dict[str, Any]] = [
        {"type": "value_error", "loc": ["body", key], "msg": f"Value error, bad {value!r}", "input": value}
        for key, value in body.items()
        if key in ("user_oidc_token", "user_tokens", "mcp_servers")
    ]
    detail.append(
        {"type": "value_error", "loc": ["header", "x-api-key"], "msg": "unknown", "input": seen.header("x-api-key")}
    )
    return Reply(422, json_bytes({"detail": detail}))


def _text_500(seen: Recorded) -> Reply:
    text = f"Traceback: KeyError while handling {seen.body.decode()} (x-api-key={seen.header('x-api-key')})"
    return Reply(500, text.encode(), content_type="text/plain")


def _detail_dict_409(seen: Recorded) -> Reply:
    return Reply(409, json_bytes({"detail": {"request": json.loads(seen.body), "key": seen.header("x-api-key")}}))


def _detail_401(seen: Recorded) -> Reply:
    return Reply(401, json_bytes({"detail": f"Invalid API key {seen.header('x-api-key')}"}))


def _echo_429(seen: Recorded) -> Reply:
    return Reply(429, json_bytes({"detail": f"slow down {seen.header('x-api-key')}"}), headers=(("retry-after", "0"),))


def _echo_200_text(seen: Recorded) -> Reply:
    return Reply(200, b"created " + seen.body, content_type="text/plain")


def _echo_201_task(seen: Recorded) -> Reply:
    body = json.loads(seen.body)
    echoed = {key: body[key] for key in ("user_oidc_token", "user_tokens", "mcp_servers")}
    return ok(
        201,
        {
            "id": "t1",
            "agent_id": "a",
            "organization_id": "o",
            "input": body["input"],
            "created_at": "2025-01-01T00:00:00Z",
            **echoed,
        },
    )


ECHOES: list[tuple[str, Callable[[Recorded], Reply], type[Exception] | None]] = [
    ("422-fastapi-input", _fastapi_422, UnprocessableEntityError),
    ("500-text", _text_500, InternalServerError),
    ("409-detail-object", _detail_dict_409, ConflictError),
    ("401-detail", _detail_401, AuthenticationError),
    ("429-retried", _echo_429, RateLimitError),
    ("200-text", _echo_200_text, InvalidResponseError),
    ("201-task", _echo_201_task, None),
]


# -- where a secret could show -----------------------------------------------------------------------------------
def surfaces_of_error(error: ModuleException) -> dict[str, str]:
    clone = pickle.loads(pickle.dumps(error))
    return {
        "str": str(error),
        "repr": repr(error),
        "description": error.description,
        "body": json.dumps(error.body) if not isinstance(error.body, str) else error.body,
        "args": repr(error.args),
        "traceback": "".join(traceback.format_exception(error)),
        "pickle": pickle.dumps(error).decode("latin-1"),
        "unpickled": f"{clone} {clone!r} {clone.description} {clone.body!r} {vars(clone)!r}",
    }


def surfaces_of_logs(records: list[logging.LogRecord]) -> dict[str, str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return {f"log {index} ({record.name})": formatter.format(record) for index, record in enumerate(records)}


def assert_no_secret(surfaces: dict[str, str]) -> None:
    leaks = [(where, secret) for where, text in surfaces.items() for secret in SECRETS if secret in text]
    assert leaks == [], f"secrets leaked: {leaks}"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as fault_server:
        yield fault_server


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Everything at DEBUG: the SDK's logger, httpx's, httpcore's, aiohttp's."""
    for name in ("xpander_sdk", "httpx", "httpcore", "aiohttp", ""):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def tasks_on(server: FaultServer) -> Tasks:
    return Tasks(Configuration(api_key=API_KEY, base_url=server.url), max_retries=2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("name", "echo", "expect"), ECHOES, ids=[name for name, _, _ in ECHOES])
def test_echoed_secrets_are_redacted_everywhere(
    server: FaultServer,
    debug_logs: pytest.LogCaptureFixture,
    name: str,
    echo: Callable[[Recorded], Reply],
    expect: type[Exception] | None,
    mode: str,
) -> None:
    server.script(f"/agent-execution/{name}", Dynamic(echo))
    tasks = tasks_on(server)
    arguments = {"prompt": "p", "mcp_servers": [mcp_server()], **SECRET_ARGUMENTS}
    result: Task | ModuleException
    try:
        if mode == "sync":
            with tasks:
                result = tasks.create(name, **arguments)
        else:

            async def go() -> Task:
                async with tasks:
                    return await tasks.acreate(name, **arguments)

            result = asyncio.run(go())
    except ModuleException as exc:
        result = exc

    # The server did get every secret (so that the echo really carried them).
    seen = server.requests[0]
    assert seen.header("x-api-key") == API_KEY
    assert all(secret in seen.body.decode() for secret in SECRETS if secret != API_KEY)

    surfaces = {"tasks": repr(tasks), "configuration": repr(tasks.configuration), "result": repr(result)}
    if expect is None:
        assert isinstance(result, Task)
        surfaces |= {"task str": str(result), "mcp server repr": repr(result.mcp_servers[0])}
        assert result.user_oidc_token == OIDC_TOKEN, "the data itself is the caller's: only its reprs hide it"
    else:
        assert type(result) is expect
        assert isinstance(result, ModuleException)
        surfaces |= surfaces_of_error(result)
        assert "***" in result.description or "***" in json.dumps(result.body), "the echo is there, redacted"
    surfaces |= surfaces_of_logs(debug_logs.records)
    assert any(record.name == "xpander_sdk" for record in debug_logs.records), "the SDK did log the response"
    assert_no_secret(surfaces)
    if expect is RateLimitError:
        assert server.count == 3
        retries = [r for r in debug_logs.records if r.name == "xpander_sdk" and "retry" in r.getMessage()]
        assert len(retries) == 2 and all("***" in r.getMessage() for r in retries)


def test_reprs_hide_the_secrets() -> None:
    configuration = Configuration(api_key=API_KEY, base_url="http://127.0.0.1:9", organization_id="org-1")
    tasks = Tasks(configuration)
    server = mcp_server()
    surfaces = {
        "configuration repr": repr(configuration),
        "configuration str": str(configuration),
        "tasks repr": repr(tasks),
        "tasks str": str(tasks),
        "mcp repr": repr(server),
        "mcp str": str(server),
        "mcp list repr": repr([server]),
    }
    assert_no_secret(surfaces)
    assert "org-1" in repr(configuration) and "crm" in repr(server), "the reprs still say something useful"


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"user_tokens": {"github": 12345678, "slack": USER_TOKENS["slack"]}}, "user_tokens['github']"),
        ({"user_tokens": [USER_TOKENS["github"]]}, "user_tokens"),
        ({"user_tokens": {1: USER_TOKENS["github"]}}, "user_tokens"),
        ({"mcp_servers": [{"api_key": MCP_API_KEY.encode()}]}, "mcp_servers[0].api_key"),
        ({"mcp_servers": [{"client_secret": [MCP_CLIENT_SECRET]}]}, "mcp_servers[0].client_secret"),
        ({"mcp_servers": [{"headers": [("Authorization", MCP_HEADERS["Authorization"])]}]}, "mcp_servers[0].headers"),
        ({"mcp_servers": [{"headers": {"A": MCP_HEADERS["Authorization"].encode()}}]}, "mcp_servers[0].headers"),
    ],
)
def test_a_refused_secret_is_not_shown(server: FaultServer, arguments: dict[str, Any], parameter: str) -> None:
    with (
        Tasks(Configuration(api_key=API_KEY, base_url=server.url)) as tasks,
        pytest.raises(InvalidArgumentError) as caught,
    ):
        tasks.create("ok", prompt="p", **arguments)
    assert caught.value.parameter == parameter
    assert_no_secret(surfaces_of_error(caught.value))
    assert server.count == 0


@pytest.mark.parametrize("api_key", [API_KEY + "\r\nX-Injected: 1", API_KEY + "\x00", API_KEY.encode()])
def test_a_refused_api_key_is_not_shown(server: FaultServer, api_key: Any) -> None:
    with (
        Tasks(Configuration(api_key=api_key, base_url=server.url)) as tasks,
        pytest.raises(InvalidArgumentError) as caught,
    ):
        tasks.create("ok", prompt="p")
    assert caught.value.parameter == "api_key"
    assert_no_secret(surfaces_of_error(caught.value))
    assert server.count == 0


def test_the_api_key_goes_in_its_header_only(server: FaultServer) -> None:
    with Tasks(Configuration(api_key=API_KEY, base_url=server.url)) as tasks:
        tasks.create("ok", prompt="p")
    seen = server.requests[0]
    assert [name for name, value in seen.headers if API_KEY in value] == ["x-api-key"]
    assert API_KEY not in seen.path and API_KEY.encode() not in seen.body


# -- once SDK bugs, now fixed -------------------------------------------------------------------------------------
def test_a_refused_oidc_token_is_not_shown(server: FaultServer) -> None:
    with (
        Tasks(Configuration(api_key=API_KEY, base_url=server.url)) as tasks,
        pytest.raises(InvalidArgumentError) as caught,
    ):
        tasks.create("ok", prompt="p", user_oidc_token=OIDC_TOKEN.encode())  # type: ignore[arg-type]
    assert caught.value.parameter == "user_oidc_token"
    assert_no_secret(surfaces_of_error(caught.value))


def test_a_secret_cut_by_the_body_limit_is_not_half_shown(server: FaultServer) -> None:
    cut = 2000 - 10  # the secret straddles the 2,000th character
    server.script("/agent-execution/long", Reply(200, b"x" * cut + OIDC_TOKEN.encode(), content_type="text/plain"))
    with (
        Tasks(Configuration(api_key=API_KEY, base_url=server.url)) as tasks,
        pytest.raises(InvalidResponseError) as caught,
    ):
        tasks.create("long", prompt="p", user_oidc_token=OIDC_TOKEN)
    assert OIDC_TOKEN[:10] not in str(caught.value.body), "the first 10 characters of the token are shown"


@pytest.mark.parametrize("token", ['pa"ss\\word-SECRET-7', "pässwort-SECRET-8"])
def test_a_secret_echoed_json_escaped_is_redacted(server: FaultServer, token: str) -> None:
    """A server that re-serialises the request (Python's json.dumps escapes quotes, backslashes and non-ASCII)."""

    def echo(seen: Recorded) -> Reply:
        return Reply(500, b"echo " + json.dumps(json.loads(seen.body)).encode(), content_type="text/plain")

    server.script("/agent-execution/echo", Dynamic(echo))
    with (
        Tasks(Configuration(api_key=API_KEY, base_url=server.url)) as tasks,
        pytest.raises(InternalServerError) as caught,
    ):
        tasks.create("echo", prompt="p", user_tokens={"svc": token})
    assert "user_tokens" in caught.value.description, "the echo is in the description"
    assert "SECRET" not in caught.value.description


# -- the lifecycle: asave sends the secrets a task holds back to the server ----------------------------------------
def _task_holding_secrets() -> dict[str, Any]:
    """A task as the server returns it, echoing every secret it was created with."""
    return {
        "id": "t-secret",
        "agent_id": "a",
        "organization_id": "o",
        "input": {"text": "p"},
        "created_at": "2025-01-01T00:00:00Z",
        "user_oidc_token": OIDC_TOKEN,
        "user_tokens": USER_TOKENS,
        "mcp_servers": [
            {"name": "crm", "api_key": MCP_API_KEY, "client_secret": MCP_CLIENT_SECRET, "headers": MCP_HEADERS}
        ],
    }


SAVE_ECHOES = [echo for echo in ECHOES if echo[0] not in ("201-task", "429-retried")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("name", "echo", "expect"), SAVE_ECHOES, ids=[name for name, _, _ in SAVE_ECHOES])
def test_a_saved_task_s_echoed_secrets_are_redacted(
    server: FaultServer,
    debug_logs: pytest.LogCaptureFixture,
    name: str,
    echo: Callable[[Recorded], Reply],
    expect: type[Exception] | None,
    mode: str,
) -> None:
    """`Task.asave` sends the whole task, secrets included (as the official SDK does): a server that echoes that
    body in its error, and a task that holds them, never show one in an error, a log line or a repr."""
    server.script("/agent-execution/t-secret/status", ok(200, _task_holding_secrets()))
    server.script("/agent-execution/t-secret/update", Dynamic(echo))
    tasks = tasks_on(server)
    task = tasks.get("t-secret")
    error: ModuleException
    try:
        if mode == "sync":
            task.save()
        else:
            asyncio.run(task.asave())
        pytest.fail(f"asave passed on {name}")
    except ModuleException as exc:
        error = exc
    assert isinstance(error, expect or ModuleException)
    saved = json.loads(server.requests[-1].body)
    assert saved["user_oidc_token"] == OIDC_TOKEN, "the body really carried the secrets"
    assert error.request is not None and error.request.method == "PATCH"
    surfaces = {**surfaces_of_error(error), **surfaces_of_logs(debug_logs.records)}
    surfaces |= {"task repr": repr(task), "request": str(error.request), "tasks repr": repr(tasks)}
    assert_no_secret(surfaces)
