"""The recording server of the differential suite: loopback only, it keeps every request under the name of
the call that sent it (set by `POST /__mark`) and answers each with the status and JSON chosen for that call and
route. A proxy `CONNECT` (a request meant for another host, e.g. the cloud, when the runners' HTTPS_PROXY points
here) is recorded too, and refused: nothing leaves the machine."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from attrs import define, field

MAX_BODY = 16 * 1024 * 1024
"""The largest request body the server reads (the suite's largest is a 1 MB prompt)."""
HANDLER_TIMEOUT = 30
"""Seconds a connection may stay silent before the server closes it."""


@define
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@define
class Recorder:
    """The requests seen, by call name, and how to answer them (`answer(call name, method, path including the
    query) -> (status, JSON bytes)`)."""

    answer: Callable[[str, str, str], tuple[int, bytes]]
    current: str = ""
    requests: dict[str, list[Recorded]] = field(factory=dict)
    lock: threading.Lock = field(factory=threading.Lock)


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = HANDLER_TIMEOUT

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY or "chunked" in self.headers.get("transfer-encoding", "").lower():
                self.send_error(413 if length > MAX_BODY else 411)
                return
            body = self.rfile.read(length)
            if self.path == "/__mark":
                with recorder.lock:
                    recorder.current = body.decode("utf-8")
                self._reply(b"{}")
                return
            with recorder.lock:
                name = recorder.current
                headers = {key.lower(): value for key, value in self.headers.items()}
                recorder.requests.setdefault(name, []).append(Recorded(self.command, self.path, headers, body))
            status, answer = recorder.answer(name, self.command, self.path)
            self._reply(answer, status)

        def _reply(self, body: bytes, status: int = 200) -> None:
            self.send_response(status)
            if status != 204:
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
            if self.command == "CONNECT":
                self.send_header("connection", "close")
                self.close_connection = True
            self.end_headers()
            if status != 204:
                self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = do_CONNECT = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def recording(answer: Callable[[str, str, str], tuple[int, bytes]]) -> Iterator[tuple[str, Recorder]]:
    """A running server on 127.0.0.1 (a free port): its URL and what it records."""
    recorder = Recorder(answer)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
