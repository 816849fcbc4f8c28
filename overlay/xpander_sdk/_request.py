"""Building requests: what one call is (`Call`, of an `Endpoint`, with its `CallOptions`), and the httpx request
made of it, with the API key, the SDK's headers and the call's extras, on headers normalised once.

A `Call` comes from a route (`_routes`) with the route, headers and body of the generated request builder and
the function that reads its 2xx response (handed down, as openai-python's `cast_to`: this floor knows no
model); `_send` sends it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, Generic, TypeVar

import httpx
from attrs import field, frozen

from ._constants import SDK_HEADERS
from ._pool import HeaderCache
from ._retry import RetryPolicy
from .exceptions import InvalidArgumentError

T = TypeVar("T")


@frozen
class CallOptions:
    """What one call may change: its timeout, its retry policy, whether unsafe failures are retried, and what it
    adds to the request (headers, query parameters, body keys: for what this version does not know yet)."""

    timeout: httpx.Timeout
    retry: RetryPolicy
    retry_unsafe: bool = False
    extra_headers: tuple[tuple[str, str], ...] = ()
    extra_query: tuple[tuple[str, str], ...] = ()
    extra_body: Mapping[str, Any] | None = None


@frozen
class Endpoint:
    """One route of the API, described once: what it does (in the words of an error message: "create the task")
    and whether repeating it is safe (get, list, stop: see `_retry.may_retry`)."""

    action: str
    idempotent: bool


Parse = Callable[[httpx.Response, Iterable[str]], T]
"""What a call reads from its 2xx response (given the call's secrets, for the error when it cannot)."""


@frozen
class Call(Generic[T]):
    """One call of an endpoint, ready to send: the route, headers and body from the generated request builder
    (`xpander_api.api.tasks.<operation>._get_kwargs`), how its 2xx response is read, and the secrets to keep
    out of any error message."""

    endpoint: Endpoint
    method: str
    path: str
    parse: Parse[T] = field(eq=False)
    body: Any = None
    """The JSON body; None sends no body at all (GET, DELETE)."""
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    secrets: Callable[[], Iterable[object]] = field(default=tuple, eq=False)
    """The secret values among the call's arguments (tokens, MCP keys), gathered only when an error needs them."""

    @classmethod
    def of(
        cls,
        endpoint: Endpoint,
        generated: Mapping[str, Any],
        parse: Parse[T],
        secrets: Callable[[], Iterable[object]] = tuple,
    ) -> Call[T]:
        """The call a generated `_get_kwargs` describes: keys `method`, `url`, and optionally `json`, `params`
        and `headers` (a test pins this shape: the builder is the generator's private helper)."""
        params = generated.get("params") or {}
        return cls(
            endpoint,
            generated["method"].upper(),
            generated["url"],
            parse,
            generated.get("json"),
            tuple((name, value) for name, value in params.items()),
            tuple(generated.get("headers", {}).items()),
            secrets,
        )


def attempt_budget(timeout: httpx.Timeout) -> float | None:
    """The seconds one attempt may take in all: the largest finite value of `timeout` (`timeout=1.0` is 1 s
    for everything; the default, 60 s). None when every value is None (no bound)."""
    values = [value for value in (timeout.connect, timeout.read, timeout.write, timeout.pool) if value is not None]
    return max(values) if values else None


@lru_cache(maxsize=1024)
def endpoint_url(root_url: str, path: str) -> httpx.URL:
    """The URL of a request, parsed once per root URL and path: httpx.URL is immutable, and parsing it costs
    more than the rest of building the request."""
    try:
        url = httpx.URL(root_url + path)
    except httpx.InvalidURL as exc:
        raise InvalidArgumentError("base_url", f"base_url does not make a valid URL ({exc}): {root_url!r}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidArgumentError(
            "base_url", f"base_url must be an http:// or https:// URL with a host, got {root_url!r}"
        )
    return url


_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON: the bytes httpx 0.28 writes for `json=` (and so the official SDK sends), whatever
    the installed httpx version (0.27 writes spaces), from one encoder made once instead of one per call."""
    return _JSON_ENCODER.encode(value).encode("utf-8")


def _cached_headers(
    cache: HeaderCache, client: httpx.Client | httpx.AsyncClient, extra: tuple[tuple[str, str], ...]
) -> httpx.Headers:
    """`client`'s default headers and `extra`, normalised once per `extra` (httpx.Request copies them, so the
    cached object is never changed). A bounded cache: a new API key or agent version adds an entry."""
    headers = cache.get(extra)
    if headers is None:
        if len(cache) >= 64:
            cache.clear()
        headers = httpx.Headers(client.headers)
        headers.update(extra)  # a header the request sets replaces the client's default (accept, for a stream)
        cache[extra] = headers
    return headers


def _body(call: Call[Any], extra_body: Mapping[str, Any] | None) -> bytes | None:
    """The encoded body of `call` with `extra_body`'s keys merged in (they win); None for a call without one."""
    if not extra_body:
        return None if call.body is None else encode_json(call.body)
    if call.body is None:
        raise InvalidArgumentError("extra_body", f"extra_body cannot be used here: {call.method} sends no body")
    return encode_json({**call.body, **extra_body})


def build_request(
    client: httpx.Client | httpx.AsyncClient,
    call: Call[Any],
    root_url: str,
    api_key: str,
    options: CallOptions,
    header_cache: HeaderCache | None,
) -> httpx.Request:
    """The httpx request of `call` with the API key, this SDK's headers and the call's extras.

    `header_cache` is None for a caller's client: its `build_request` applies its headers, cookies and query
    parameters. The SDK's own clients have nothing of the kind but their default headers (and send no cookies:
    the API key is the only credential), so their requests are built directly, on headers normalised once (see
    `HTTPSession.header_cache`)."""
    url = endpoint_url(root_url, call.path)
    if call.params or options.extra_query:  # extra_query's keys replace the call's own
        url = url.copy_merge_params({**dict(call.params), **dict(options.extra_query)})
    content = _body(call, options.extra_body)
    extra = (*call.headers, ("x-api-key", api_key), *options.extra_headers)
    if header_cache is None:
        headers = httpx.Headers(SDK_HEADERS)
        headers.update(extra)
        return client.build_request(call.method, url, content=content, headers=headers, timeout=options.timeout)
    return httpx.Request(
        call.method,
        url,
        content=content,
        headers=_cached_headers(header_cache, client, extra),
        extensions={"timeout": options.timeout.as_dict()},
    )
