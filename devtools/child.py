"""A loopback server in a child process of its own, so that it shares neither the GIL nor its threads,
sockets and memory with the client being tested or measured.

The child prints its port on the first line of stdout and stops when its stdin closes (so it also stops when
its parent dies)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def child_server(module: str, args: Sequence[str] = ()) -> Iterator[int]:
    """Run `python -m module *args` from the repository root; yield the port it prints; stop it on exit."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
        [sys.executable, "-m", module, *args], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    stdin, stdout = process.stdin, process.stdout
    if stdin is None or stdout is None:  # never: both are PIPE (this narrows the types)
        raise RuntimeError("the child's pipes were not opened")
    try:
        line = stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"{module} did not start (it printed {line!r})")
        yield int(line)
    finally:
        stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        stdout.close()
