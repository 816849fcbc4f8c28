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

FIXTURES = Path(__file__).parent / "fixtures"
ENV_VARS = (
    "XPANDER_API_KEY",
    "XPANDER_BASE_URL",
    "XPANDER_ORGANIZATION_ID",
    "IS_STG",
    "XPANDER_TIMEOUT",
    "XPANDER_MAX_RETRIES",
)


def load_fixture(name: str) -> Any:
    """A JSON file of tests/fixtures (copies of the reference request and response)."""
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's XPANDER_* variables."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


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
