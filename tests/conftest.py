"""Shared fixtures: Prism mock servers of openapi.yaml (static examples and dynamic), and a clean environment.

Prism is a hard requirement: when Node or Prism is missing the run fails with a message that says how to
install them (no contract test is ever skipped).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.prism import PrismNotAvailable, run_prism
from xpander_sdk import Tasks
from xpander_sdk._constants import HTTP_TRANSPORTS
from xpander_sdk.testing import FakeBackend

FIXTURES = Path(__file__).parent / "fixtures"
ENV_VARS = (
    "XPANDER_API_KEY",
    "XPANDER_BASE_URL",
    "XPANDER_ORGANIZATION_ID",
    "XPANDER_AGENT_ID",
    "IS_STG",
    "XPANDER_TIMEOUT",
    "XPANDER_MAX_RETRIES",
    "XPANDER_HTTP_TRANSPORT",
    "XPANDER_SAFE_FETCH",
    "XPANDER_EGRESS_ALLOWLIST",
    "XPANDER_INTERNAL_FETCH_ALLOWLIST",
    "XPANDER_MEDIA_PIPELINE",
    "XPANDER_MAX_INLINE_TEXT_CHARS",
    "XPANDER_MAX_INLINE_TOTAL_CHARS",
    "XPANDER_MAX_INLINE_DOC_BYTES",
)
MODES = ("sync", "async", "async-httpx")
"""How a test that depends on the transport calls the SDK: `create` (httpx's sync transport), `acreate` on the
default async transport (aiohttp), and `acreate` on httpx's async transport. Branch on `mode == "sync"`; the
`clean_env` fixture sets `XPANDER_HTTP_TRANSPORT` for the async ones."""


def load_fixture(name: str) -> Any:
    """A JSON file of tests/fixtures (copies of the reference request and response)."""
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(autouse=True)
def clean_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's XPANDER_* variables. A test parametrised with a `mode` of `MODES` runs its
    async calls on the transport the mode names (`async`: aiohttp, set explicitly; `async-httpx`: httpx)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    callspec = getattr(request.node, "callspec", None)
    mode = callspec.params.get("mode") if callspec is not None else None
    if mode in ("async", "async-httpx"):
        monkeypatch.setenv("XPANDER_HTTP_TRANSPORT", "httpx" if mode == "async-httpx" else "aiohttp")


@pytest.fixture(params=HTTP_TRANSPORTS)
def http_transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once on each transport of the SDK's own async clients (`XPANDER_HTTP_TRANSPORT`)."""
    transport: str = request.param
    monkeypatch.setenv("XPANDER_HTTP_TRANSPORT", transport)
    return transport


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _prism(dynamic: bool) -> Iterator[str]:
    try:
        with run_prism(dynamic=dynamic) as url:
            yield url
    except PrismNotAvailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def prism_url() -> Iterator[str]:
    """Base URL of Prism serving the spec's examples (request validation on)."""
    yield from _prism(dynamic=False)


@pytest.fixture(scope="session")
def prism_dynamic_url() -> Iterator[str]:
    """Base URL of Prism generating responses from the schemas (`-d`)."""
    yield from _prism(dynamic=True)


@pytest.fixture
def prism_env(prism_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The environment of the documented examples, pointed at the static Prism."""
    monkeypatch.setenv("XPANDER_BASE_URL", prism_url)
    monkeypatch.setenv("XPANDER_API_KEY", "test-api-key")
    return prism_url


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    """A `FakeBackend` for the test (the testing kit's tests; a module may define its own `backend`)."""
    with FakeBackend() as fake:
        yield fake


@pytest.fixture
def tasks(backend: FakeBackend) -> Iterator[Tasks]:
    """A `Tasks` on `backend`, without retries (a scripted failure is seen as it is)."""
    with backend.client(max_retries=0) as client:
        yield client
