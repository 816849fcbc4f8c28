"""The worker's opt-in `/invoke` server: `POST /invoke` runs the handler on the Task JSON it is sent and answers the
task as it ended; `GET /health` answers `{"status": "ok"}`.

The official worker always starts this server (FastAPI and uvicorn) on 0.0.0.0:59321 and checks each caller's key
with a request to the controller. Here it starts only when asked (`Worker(invoke_port=...)`), binds 127.0.0.1
unless told otherwise, and checks the key locally: a caller must send the worker's own API key as `x-api-key`
(compared in constant time). It is HTTP/1.1 read with h11 (httpx's own parser, already installed), one request per
connection, with a cap on the body and a timeout on each read: no new dependency.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import h11

from ._task_model import Task
from .exceptions import InvalidArgumentError

logger = logging.getLogger("xpander_sdk.worker")

MAX_BODY = 16 * 1024 * 1024
"""The largest request body read (larger: 413)."""
READ_TIMEOUT = 30.0
"""Seconds a connection may take to send each part of its request."""

RunOne = Callable[[Task], Awaitable[Task | None]]
"""What runs one invoked task to its end (the worker's run: executing, the handler, the saves) and returns it; None
when it is running already (409)."""


class InvokeServer:
    """The `/invoke` server of one worker run: `start()` binds it, `close()` stops it; `url` is where it listens."""

    def __init__(self, host: str, port: int, api_key: str, read_task: Callable[[Any], Task], run: RunOne) -> None:
        self.host, self.port = host, port
        self._api_key = api_key.encode()
        self._read_task, self._run = read_task, run
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"InvokeServer(url={self.url!r})"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._accept, self.host, self.port)
        except OSError as error:
            reason = error.strerror or str(error)
            raise InvalidArgumentError("invoke_port", f"invoke_port: cannot listen on {self.url}: {reason}") from None
        self.port = self._server.sockets[0].getsockname()[1]
        logger.info("The /invoke server listens on %s", self.url)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for connection in list(self._connections):
                connection.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        current = asyncio.current_task()
        if current is not None:
            self._connections.add(current)
        connection = h11.Connection(h11.SERVER)
        try:
            status, body = await self._answer(connection, reader)
            await _write(writer, connection, status, body)
        except (ConnectionError, TimeoutError, h11.ProtocolError, asyncio.IncompleteReadError):
            pass  # the client went away, was too slow, or did not speak HTTP: nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            if current is not None:
                self._connections.discard(current)

    async def _answer(self, connection: h11.Connection, reader: asyncio.StreamReader) -> tuple[int, Any]:
        request, body = await _read_request(connection, reader)
        target = request.target.decode("ascii", "replace").partition("?")[0]
        method = request.method.decode("ascii", "replace")
        if target == "/health":
            return (200, {"status": "ok"}) if method == "GET" else (405, {"detail": "Method Not Allowed"})
        if target != "/invoke":
            return 404, {"detail": "Not Found"}
        if method != "POST":
            return 405, {"detail": "Method Not Allowed"}
        refused = self._refused(dict(request.headers))
        if refused is not None:
            return refused
        if body is None:
            return 413, {"detail": f"The body is over {MAX_BODY} bytes"}
        return await self._invoke(body)

    def _refused(self, headers: dict[bytes, bytes]) -> tuple[int, Any] | None:
        given = headers.get(b"x-api-key")
        if not given:
            return 401, {"detail": "Missing x-api-key header"}
        if not hmac.compare_digest(given, self._api_key):
            return 403, {"detail": "API key not allowed for this agent"}
        return None

    async def _invoke(self, body: bytes) -> tuple[int, Any]:
        try:
            task = self._read_task(json.loads(body))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
            return 400, {"detail": f"Invalid Task payload: {type(error).__name__}"}
        logger.info("Handling task %s via /invoke", task.id)
        ended = await self._run(task)
        if ended is None:
            return 409, {"detail": f"Task {task.id} is running on this worker already"}
        return 200, ended.to_dict()


async def _read_request(connection: h11.Connection, reader: asyncio.StreamReader) -> tuple[h11.Request, bytes | None]:
    """The request and its body, each part read within READ_TIMEOUT; the body is None as soon as it is over
    MAX_BODY (the answer, 413, goes without reading the rest)."""
    request: h11.Request | None = None
    chunks: list[bytes] = []
    size = 0
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await asyncio.wait_for(reader.read(65536), READ_TIMEOUT))
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data) and request is not None:
            size += len(event.data)
            if size > MAX_BODY:
                return request, None
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage) and request is not None:
            return request, b"".join(chunks)
        elif isinstance(event, h11.ConnectionClosed):
            raise ConnectionError("the client closed the connection")


async def _write(writer: asyncio.StreamWriter, connection: h11.Connection, status: int, body: Any) -> None:
    """The JSON answer, then the connection closes (one request per connection)."""
    content = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        (b"connection", b"close"),
    ]
    for event in (h11.Response(status_code=status, headers=headers), h11.Data(data=content), h11.EndOfMessage()):
        writer.write(connection.send(event) or b"")
    await writer.drain()
