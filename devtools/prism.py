"""Start Stoplight Prism (pinned in package.json) as a mock of openapi.yaml on a free loopback port.

Used by `make demo`, the test fixtures and the benchmarks. Prism validates every request against the spec:
a request that breaks it gets a 422 with an `sl-violations` header that names each violation.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
PRISM = ROOT / "node_modules" / ".bin" / "prism"
INSTALL_HINT = (
    "Prism is not installed. Run `make install` (it runs `npm ci`, which needs Node.js 20 and npm: "
    "https://nodejs.org or `apt-get install nodejs npm`)."
)


class PrismNotAvailable(RuntimeError):
    """Node or Prism is missing: the message says how to install them."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_listening(process: subprocess.Popen[bytes], url: str, log: Path, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise RuntimeError(f"Prism exited with code {process.returncode}:\n{output}")
        with contextlib.suppress(httpx.TransportError):
            httpx.get(url, timeout=0.5)
            return
        time.sleep(0.05)
    raise RuntimeError(f"Prism did not answer on {url} within {deadline_s:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.contextmanager
def run_prism(*, dynamic: bool = False, spec: Path = SPEC, start_timeout_s: float = 60.0) -> Iterator[str]:
    """Run `prism mock` until the block ends (even when it raises) and yield its base URL.

    `dynamic=False` serves the spec's examples; `dynamic=True` (`-d`) generates responses from the schemas.
    """
    if not PRISM.exists():
        raise PrismNotAvailable(INSTALL_HINT)
    port = free_port()
    command = [str(PRISM), "mock", str(spec), "--host", "127.0.0.1", "--port", str(port), "--errors"]
    if dynamic:
        command.append("--dynamic")
    # Prism logs every request: to a file, since a pipe nobody reads would fill up and stall it.
    with tempfile.TemporaryDirectory(prefix="prism-") as folder:
        log = Path(folder) / "prism.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(  # noqa: S603 - a fixed command built from our own paths
                command,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, so that stopping it stops all of it
                env={**os.environ, "SCARF_ANALYTICS": "false", "NO_COLOR": "1"},
            )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_listening(process, base_url, log, start_timeout_s)
            yield base_url
        finally:
            _stop(process)
