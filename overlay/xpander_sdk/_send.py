"""Sending: the one call path of every endpoint. `call` (sync) and `acall` (async) build the request of a `Call`,
send it with retries (the rule is `_retry`'s) within each attempt's deadline (`_deadline`), log it, and return
what the call reads from the 2xx response, or raise the ModuleException of the last failure, carrying the
request. `open_stream`/`aopen_stream` make one attempt at a streamed answer (an event stream, whose reader
decides on reconnects).

`timeout` bounds each attempt as a whole: its largest value is the attempt's deadline (see `attempt_budget`),
while each socket operation keeps its own httpx timeout. The SDK's own async clients run on aiohttp under
asyncio (`_aiohttp`, through httpx-aiohttp) and on httpx's transport under trio or when asked; both raise
httpx's exceptions, read here alike.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any, TypeVar

import httpx

from ._deadline import ATTEMPT_DEADLINE, DEADLINE_REACHED, Deadline, attempt_deadline
from ._failures import Secrets, deadline_error, origin, request_info, status_error, transport_error, undecodable
from ._pool import AsyncPool, HTTPSession, async_sleep, reached_root
from ._request import Call, CallOptions, attempt_budget, build_request
from ._retry import retry_delay
from .exceptions import ModuleException

T = TypeVar("T")
logger = logging.getLogger("xpander_sdk")
Outcome = httpx.Response | ModuleException
"""What one attempt ends in: the response (its body read), or the error."""


# -- the one call path ----------------------------------------------------------------------------------------------
def call(session: HTTPSession, call: Call[T], root_url: str, api_key: str, options: CallOptions) -> T:
    """Send `call` on the session's sync client with retries and return what it reads from the response; raise
    the ModuleException of the last failure, carrying the request."""
    client = session.sync_client()
    request = _request_on(session, client, call, root_url, api_key, options)
    secrets = Secrets(api_key, call.secrets)
    return _result(call, request, _send(client, request, call, options, secrets), secrets)


async def acall(session: HTTPSession, call: Call[T], root_url: str, api_key: str, options: CallOptions) -> T:
    """The async twin of `call`, on the running loop's client."""
    pool = await session.async_pool()
    request = _request_on(session, pool.client, call, root_url, api_key, options)
    secrets = Secrets(api_key, call.secrets)
    return _result(call, request, await _asend(pool, request, call, options, secrets), secrets)


def open_stream(
    session: HTTPSession, call: Call[Any], root_url: str, api_key: str, options: CallOptions
) -> httpx.Response:
    """One attempt at a streamed answer (an event stream; its caller decides on retries): the 2xx response
    with its body unread (the caller reads and closes it), or raise the attempt's ModuleException, carrying the
    request."""
    client = session.sync_client()
    request = _request_on(session, client, call, root_url, api_key, options)
    started = time.perf_counter()
    return _streamed(request, call, _open(client, request), started, options, Secrets(api_key, call.secrets))


async def aopen_stream(
    session: HTTPSession, call: Call[Any], root_url: str, api_key: str, options: CallOptions
) -> httpx.Response:
    """The async twin of `open_stream`, on the running loop's client, outside the gate of the calls (a stream
    holds its connection for as long as it lasts)."""
    client = (await session.async_pool()).client
    request = _request_on(session, client, call, root_url, api_key, options)
    started = time.perf_counter()
    outcome = await _aopen(client, request)
    return _streamed(request, call, outcome, started, options, Secrets(api_key, call.secrets))


def _request_on(
    session: HTTPSession,
    client: httpx.Client | httpx.AsyncClient,
    call: Call[Any],
    root_url: str,
    api_key: str,
    options: CallOptions,
) -> httpx.Request:
    root_url = reached_root(client, root_url)
    return build_request(client, call, root_url, api_key, options, session.header_cache_for(client))


# -- attempts, with retries -------------------------------------------------------------------------------------------
def _send(
    client: httpx.Client, request: httpx.Request, call: Call[Any], options: CallOptions, secrets: Iterable[str]
) -> httpx.Response:
    """Send with retries: the 2xx response (body read), or raise the ModuleException of the last failure.

    Each attempt has a deadline (see `attempt_budget`), kept by the network backend of the SDK's own client.
    A caller's sync client has a transport of its own, which knows no deadline: there only httpx's timeout
    of each socket operation applies."""
    budget = attempt_budget(options.timeout)
    retries = 0
    while True:
        started = time.perf_counter()
        token = ATTEMPT_DEADLINE.set(attempt_deadline(budget))
        try:
            outcome = _attempt(client, request, budget)
        finally:
            ATTEMPT_DEADLINE.reset(token)
        step = _judge(request, call, outcome, started, retries, options, secrets)
        if isinstance(step, httpx.Response):
            return step
        retries += 1
        time.sleep(Deadline.of_attempt().cap(step))


async def _asend(
    pool: AsyncPool, request: httpx.Request, call: Call[Any], options: CallOptions, secrets: Iterable[str]
) -> httpx.Response:
    """The async twin of `_send`, on `pool`: at most `max_connections` requests of one client are in flight at
    once. On a caller's async client, the deadline is a cancel scope around the attempt (`anyio.fail_after`)."""
    budget = attempt_budget(options.timeout)
    retries = 0
    while True:
        started = time.perf_counter()
        token = ATTEMPT_DEADLINE.set(attempt_deadline(budget))
        try:
            if pool.own or budget is None:
                outcome = await _aattempt(pool, request, options.timeout, budget)
            else:
                outcome = await _aattempt_within(pool, request, options.timeout, budget)
        finally:
            ATTEMPT_DEADLINE.reset(token)
        step = _judge(request, call, outcome, started, retries, options, secrets)
        if isinstance(step, httpx.Response):
            return step
        retries += 1
        await async_sleep(Deadline.of_attempt().cap(step))


def _attempt(client: httpx.Client, request: httpx.Request, budget: float | None) -> Outcome:
    """One attempt: the response with its body read, or the error it ended in."""
    try:
        return _read_body(client.send(request, stream=True), request, budget)
    except httpx.HTTPError as exc:
        return transport_error(exc, request, budget)


async def _aattempt(pool: AsyncPool, request: httpx.Request, timeout: httpx.Timeout, budget: float | None) -> Outcome:
    """The async twin of `_attempt`, through the pool's gate."""
    try:
        await pool.enter(timeout)
        try:
            return await _aread_body(await pool.client.send(request, stream=True), request, budget)
        finally:
            pool.leave()
    except httpx.HTTPError as exc:
        return transport_error(exc, request, budget)


async def _aattempt_within(pool: AsyncPool, request: httpx.Request, timeout: httpx.Timeout, budget: float) -> Outcome:
    """`_aattempt` on a caller's async client, cancelled when `budget` seconds have passed."""
    from anyio import fail_after  # noqa: PLC0415 - httpx's own dependency, imported when first needed

    try:
        with fail_after(budget):
            return await _aattempt(pool, request, timeout, budget)
    except TimeoutError:
        detail = f"{DEADLINE_REACHED}, the attempt was cancelled"
        return deadline_error(origin(request.url), budget, detail, request_sent=True)


def _streamed(
    request: httpx.Request,
    call: Call[Any],
    outcome: Outcome,
    started: float,
    options: CallOptions,
    secrets: Iterable[str],
) -> httpx.Response:
    """The response of a 2xx attempt, or raise its error (`options` allow no retry: the stream's `Follower`
    decides on them)."""
    step = _judge(request, call, outcome, started, 0, options, secrets)
    if not isinstance(step, httpx.Response):
        raise TypeError("open_stream takes options without retries (max_retries=0)")
    return step


def _open(client: httpx.Client, request: httpx.Request) -> Outcome:
    """One attempt at a streamed answer: a 2xx response with its body unread; any other with it read."""
    try:
        response = client.send(request, stream=True)
    except httpx.HTTPError as exc:
        return transport_error(exc, request)
    return response if response.is_success else _read_body(response, request, None)


async def _aopen(client: httpx.AsyncClient, request: httpx.Request) -> Outcome:
    """The async twin of `_open`."""
    try:
        response = await client.send(request, stream=True)
    except httpx.HTTPError as exc:
        return transport_error(exc, request)
    return response if response.is_success else await _aread_body(response, request, None)


def _read_body(response: httpx.Response, request: httpx.Request, budget: float | None) -> Outcome:
    """The response with its body read, or the error when the body cannot be read or decoded."""
    try:
        response.read()
    except httpx.DecodingError as exc:
        return undecodable(response, exc)
    except httpx.HTTPError as exc:
        return transport_error(exc, request, budget)
    finally:
        response.close()
    return response


async def _aread_body(response: httpx.Response, request: httpx.Request, budget: float | None) -> Outcome:
    """The async twin of `_read_body`."""
    try:
        await response.aread()
    except httpx.DecodingError as exc:
        return undecodable(response, exc)
    except httpx.HTTPError as exc:
        return transport_error(exc, request, budget)
    finally:
        await response.aclose()
    return response


def _judge(
    request: httpx.Request,
    call: Call[Any],
    outcome: Outcome,
    started: float,
    retries: int,
    options: CallOptions,
    secrets: Iterable[str],
) -> httpx.Response | float:
    """Judge one attempt: the response when it succeeded, the seconds to wait before the next attempt, or
    raise the ModuleException that ends the call."""
    if isinstance(outcome, httpx.Response):
        _log_response(request, outcome, started, retries)
        if outcome.is_success:
            return outcome
        error: ModuleException = status_error(outcome, secrets)
    else:
        error = outcome
    repeatable = call.endpoint.idempotent or options.retry_unsafe
    delay = retry_delay(error, options.retry, retries, repeatable)
    if delay is None:
        error.request = request_info(request, call.endpoint.idempotent)
        raise error
    _log_retry(request, error, delay, retries + 1, options.retry.max_retries)
    return delay


def _result(call: Call[T], request: httpx.Request, response: httpx.Response, secrets: Iterable[str]) -> T:
    """What the call reads from a 2xx response; a body it cannot read raises with the request attached."""
    try:
        return call.parse(response, secrets)
    except ModuleException as error:
        error.request = request_info(request, call.endpoint.idempotent)
        raise


def _log_response(request: httpx.Request, response: httpx.Response, started: float, retries: int) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug(
            "%s %s -> %d in %.1f ms (attempt %d)",
            request.method,
            request.url,
            response.status_code,
            elapsed_ms,
            retries + 1,
        )


def _log_retry(request: httpx.Request, error: ModuleException, delay: float, retry: int, max_retries: int) -> None:
    logger.info(
        "%s %s failed (%s: %s); retry %d of %d in %.2f s",
        request.method,
        request.url,
        type(error).__name__,
        error,
        retry,
        max_retries,
        delay,
    )
