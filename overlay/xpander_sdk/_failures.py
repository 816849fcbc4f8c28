"""Failures as ModuleExceptions: what a non-2xx response, an httpx failure, an undecodable body or a 2xx that is
not what the route returns becomes, with the secrets of the call redacted from every message and body.

Every error names what was tried (the origin, never a header or userinfo) and whether the request reached the
server (`request_sent`), which the retry rule (`_retry`) reads.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx

from ._constants import MAX_DESCRIPTION_CHARS
from ._deadline import DEADLINE_REACHED, HEAD_TOO_LARGE, MAX_HEAD_BYTES
from .exceptions import (
    NO_HTTP_STATUS,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InvalidResponseError,
    ModuleException,
    RequestInfo,
    field_errors,
    status_error_class,
)

REDACTED = "***"

# httpx failures that happen before a byte of the request reaches the server: always safe to retry.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


def parse_retry_after(headers: httpx.Headers, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or `retry-after-ms`; None when absent or bad."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    wait: float = when.timestamp() - now()
    return max(0.0, wait)


class Secrets:
    """The strings to keep out of a call's errors and logs: the API key and the call's own secrets (see
    `Call.secrets`), each also JSON-escaped (a server that re-serialises the request echoes `\\"` or `\\uXXXX`
    forms), longest first. Worked out on first use: a successful call never pays for them."""

    __slots__ = ("_api_key", "_collect", "_values")

    def __init__(self, api_key: str, collect: Callable[[], Iterable[object]] = tuple) -> None:
        self._api_key, self._collect = api_key, collect
        self._values: tuple[str, ...] | None = None

    def __iter__(self) -> Iterator[str]:
        if self._values is None:
            found = {value for value in (self._api_key, *self._collect()) if isinstance(value, str) and len(value) >= 3}
            escaped = {json.dumps(value, ensure_ascii=ascii)[1:-1] for value in found for ascii in (True, False)}
            self._values = tuple(sorted(found | escaped, key=len, reverse=True))
        return iter(self._values)


def redact(text: str, secrets: Iterable[str], marker: str = REDACTED) -> str:
    """`text` with every secret value of the call replaced by `marker` (***): servers may echo a request back."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, marker)
    return text


def redact_json(value: Any, secrets: tuple[str, ...], marker: str = REDACTED) -> Any:
    """A parsed JSON value with every secret replaced by `marker` (***), in every string it holds (keys too)."""
    if isinstance(value, str):
        return redact(value, secrets, marker)
    if isinstance(value, list):
        return [redact_json(item, secrets, marker) for item in value]
    if isinstance(value, dict):
        return {redact(key, secrets, marker): redact_json(item, secrets, marker) for key, item in value.items()}
    return value


def _describe_body(body: Any, text: str) -> str:
    detail = body.get("detail") if isinstance(body, dict) else None
    errors = field_errors(body)
    if errors:
        return "; ".join(str(error) for error in errors)
    if isinstance(detail, str):
        return detail
    if detail is not None:
        return json.dumps(detail, ensure_ascii=False)
    return text.strip() or "(empty body)"


def status_error(response: httpx.Response, secrets: Iterable[str]) -> APIStatusError:
    """The ModuleException subclass for a non-2xx response (the body must have been read)."""
    text = response.text
    try:
        body: Any = response.json()
    except ValueError:
        body = text
    secrets = tuple(secrets)
    if response.is_redirect:
        location = response.headers.get("location", "?")
        description = f"Redirect to {location} not followed (the API key is never sent to another URL)"
    else:
        description = _describe_body(body, text)
    description = redact(description, secrets)[:MAX_DESCRIPTION_CHARS]
    body = redact_json(body, secrets)
    cls = status_error_class(response.status_code)
    return cls(
        response.status_code,
        description,
        body=body,
        response=response,
        request_id=response.headers.get("x-request-id"),
        retry_after=parse_retry_after(response.headers),
    )


def _tried(error: httpx.HTTPError, request: httpx.Request) -> httpx.URL:
    """The URL httpx was sending to when `error` happened (the SDK's request when the error carries none)."""
    try:
        return error.request.url
    except RuntimeError:  # an error made without its request (the async gate's PoolTimeout)
        return request.url


def origin(url: httpx.URL) -> str:
    """`scheme://host:port` of `url`: never its userinfo, path or query (and no header is ever shown)."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return f"{url.scheme}://{host}" if port is None else f"{url.scheme}://{host}:{port}"


_TIMEOUT_PHASES: dict[type[httpx.TimeoutException], str] = {
    httpx.ConnectTimeout: "Timed out connecting to",
    httpx.WriteTimeout: "Timed out sending the request to",
    httpx.ReadTimeout: "Timed out waiting for the response from",
    httpx.PoolTimeout: "Timed out waiting for a free connection in the pool for",
}
_FAILURES: tuple[tuple[type[httpx.HTTPError], str], ...] = (
    (httpx.ProxyError, "Could not connect through the proxy to"),
    (httpx.ConnectError, "Could not connect to"),
    (httpx.RemoteProtocolError, "The connection to {} was closed or the answer was not valid HTTP"),
    (httpx.NetworkError, "The connection to {} was closed or reset"),
)


def transport_error(error: httpx.HTTPError, request: httpx.Request, budget: float | None = None) -> ModuleException:
    """The ModuleException for an httpx failure that produced no response it could read, naming the origin
    that was tried. `budget` is the attempt's deadline in seconds (see `attempt_budget`)."""
    sent = not isinstance(error, (*_NOT_SENT, httpx.PoolTimeout))
    tried = origin(_tried(error, request))
    what = type(error).__name__
    message = str(error)
    detail = f"{what}: {message or what}"
    failure: ModuleException
    if isinstance(error, httpx.TimeoutException) and message.startswith(DEADLINE_REACHED):
        failure = deadline_error(tried, budget, detail, request_sent=sent)
    elif isinstance(error, httpx.TimeoutException):
        phase = _TIMEOUT_PHASES.get(type(error), "Timed out talking to")
        failure = APITimeoutError(f"{phase} {tried} ({detail})", request_sent=sent)
    elif isinstance(error, httpx.RemoteProtocolError) and HEAD_TOO_LARGE in message:
        failure = _head_too_large(tried, detail)
    else:
        phrase = next((phrase for kind, phrase in _FAILURES if isinstance(error, kind)), "The request to {} failed")
        phrase = phrase.format(tried) if "{}" in phrase else f"{phrase} {tried}"
        failure = APIConnectionError(f"{phrase} ({detail})", request_sent=sent)
    failure.__cause__ = error
    return failure


def deadline_error(origin: str, budget: float | None, detail: str, *, request_sent: bool) -> APITimeoutError:
    """The error for an attempt that ran out of its deadline."""
    return APITimeoutError(
        f"Timed out: no complete response from {origin} within {budget} s ({detail})", request_sent=request_sent
    )


def _head_too_large(origin: str, detail: str) -> InvalidResponseError:
    """The server answered, with a head the HTTP client will not buffer: not a connection failure, and it may
    have created the task (InvalidResponseError: never retried, outcome unknown)."""
    limit = MAX_HEAD_BYTES // 1024
    return InvalidResponseError(
        NO_HTTP_STATUS,
        f"The server at {origin} answered, but its response head is larger than the {limit} KiB the HTTP "
        f"client reads ({detail})",
    )


def undecodable(response: httpx.Response, error: httpx.DecodingError) -> ModuleException:
    """The error for a response whose body does not decode (a corrupt Content-Encoding): the status counts."""
    reason = f"the body could not be decoded ({error})"
    if response.is_success:
        failure: ModuleException = InvalidResponseError(
            response.status_code,
            f"The server answered {response.status_code} but the SDK could not read the task: {reason}",
            response=response,
            request_id=response.headers.get("x-request-id"),
        )
    else:
        failure = status_error_class(response.status_code)(
            response.status_code,
            reason,
            response=response,
            request_id=response.headers.get("x-request-id"),
            retry_after=parse_retry_after(response.headers),
        )
    failure.__cause__ = error
    return failure


def invalid_response(
    response: httpx.Response, reason: str, secrets: Iterable[str] = (), what: str = "the task"
) -> InvalidResponseError:
    """The error for a 2xx whose body is not `what` (a task, a list of tasks): the server may have acted."""
    return InvalidResponseError(
        response.status_code,
        f"The server answered {response.status_code} but the SDK could not read {what}: {reason}",
        body=redact(response.text, secrets)[:MAX_DESCRIPTION_CHARS],
        response=response,
        request_id=response.headers.get("x-request-id"),
    )


def request_info(request: httpx.Request, idempotent: bool) -> RequestInfo:
    """What an error tells of its request: method and URL (without userinfo; headers never), and whether it
    was idempotent."""
    url = request.url.copy_with(userinfo=b"") if request.url.userinfo else request.url
    return RequestInfo(request.method, str(url), idempotent)
