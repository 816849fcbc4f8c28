"""How `FakeBackend` is plugged into the SDK: a `Tasks` on its transport (`client()`), and, for `install()`, the
process's environment and the SDK's own connections pointed at it (`_pool.ROUTED`), then put back.

The one module of the kit that changes process-wide state; apart from the backend's classes, which only serve.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from ._sdk import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_TIMEOUT,
    ORGANIZATION_ID_ENV,
    SDK_HEADERS,
    STAGING_ENV,
    Configuration,
    Tasks,
    _pool,
)
from ._wire import FakeTransport


def tasks_client(
    transport: FakeTransport, api_key: str, base_url: str, organization_id: str, options: dict[str, Any]
) -> Tasks:
    """A `Tasks` on `transport` (sync and async), with `options` (`timeout`, `max_retries`...)."""
    configuration = Configuration(api_key, base_url, organization_id)
    http_client, async_http_client = _http_clients(transport)
    return Tasks(configuration, http_client=http_client, async_http_client=async_http_client, **options)


def route_sdk(transport: FakeTransport, api_key: str, base_url: str, organization_id: str) -> dict[str, str | None]:
    """Point the environment (`XPANDER_API_KEY`, `XPANDER_BASE_URL`, `XPANDER_ORGANIZATION_ID`; no staging) and
    the SDK's own connections at `transport`; returns the environment's values before, for `unroute_sdk`.
    RuntimeError when a backend is installed already."""
    if _pool.ROUTED is not None:
        raise RuntimeError("another FakeBackend is installed already")
    environment = {
        API_KEY_ENV: api_key,
        BASE_URL_ENV: base_url,
        ORGANIZATION_ID_ENV: organization_id,
    }
    saved = {name: os.environ.get(name) for name in (*environment, STAGING_ENV)}
    os.environ.update(environment)
    os.environ.pop(STAGING_ENV, None)
    sync_client, async_client = _http_clients(transport)
    _pool.ROUTED = _pool.Routed(sync_client, _pool.AsyncPool(async_client), api_key, base_url)
    return saved


def unroute_sdk(saved: dict[str, str | None]) -> None:
    """Undo `route_sdk`: the SDK's own connections back, and the environment as `saved`."""
    _pool.ROUTED = None
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _http_clients(transport: FakeTransport) -> tuple[httpx.Client, httpx.AsyncClient]:
    sync_client = httpx.Client(transport=transport, headers=SDK_HEADERS, timeout=DEFAULT_TIMEOUT)
    async_client = httpx.AsyncClient(transport=transport, headers=SDK_HEADERS, timeout=DEFAULT_TIMEOUT)
    return sync_client, async_client
