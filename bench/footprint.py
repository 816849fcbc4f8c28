"""`python -m bench.run --footprint`: what installing this package costs, with its dependencies, against the
dependencies it had before the aiohttp transport (httpx, httpx-sse, attrs, python-dateutil).

Two fresh venvs in a temporary directory (removed afterwards), each made with `venv` and its bundled pip:
- after: `pip install <this repository>` (with its dependencies, from PyPI);
- before: `pip install --no-deps <this repository>`, then the four dependencies of before with the same bounds
  (`BEFORE`): the same package code, on the old dependency set.

Each venv's interpreter then lists its distributions (`importlib.metadata`) with the bytes of the files in each
one's RECORD (the bytecode pip compiled included); the venv's own pip and setuptools are left out of both
counts. Building this package needs its build backend (hatchling) from PyPI too: the whole takes a minute or
two with a warm pip cache, more without. Only PyPI (through pip) is contacted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.server import ROOT

BEFORE = ("httpx>=0.27,<0.29", "httpx-sse>=0.4,<0.5", "attrs>=23.1", "python-dateutil>=2.8")
"""The runtime dependencies before aiohttp and httpx-aiohttp came in (pyproject.toml's bounds)."""
BEFORE_NAMES = ("httpx", "httpx-sse", "attrs", "python-dateutil")
BOOTSTRAP = frozenset({"pip", "setuptools", "wheel"})
"""What `venv` puts in every venv: not counted."""
STEP_TIMEOUT = 20 * 60.0
PIP = ("-m", "pip", "--disable-pip-version-check", "--no-input", "install", "--quiet")

INSPECT = """
import importlib.metadata as metadata, json, os
found = {}
for dist in metadata.distributions():
    size = 0
    for file in dist.files or ():
        try:
            size += os.path.getsize(dist.locate_file(file))
        except OSError:
            pass
    found[dist.metadata["Name"]] = {"version": dist.version, "bytes": size}
print(json.dumps(found))
"""
"""Run by a venv's interpreter: its distributions, each with its version and the bytes of its files."""


class FootprintError(RuntimeError):
    """A venv could not be made or installed into; the message has the end of pip's output."""


def _python(environment: Path) -> str:
    return str(environment / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python"))


def _run(arguments: Sequence[str]) -> str:
    try:
        completed = subprocess.run(
            list(arguments), cwd=ROOT, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FootprintError(f"{' '.join(arguments)}: {exc}") from None
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-10:])
        raise FootprintError(f"{' '.join(arguments)} failed (exit {completed.returncode}):\n{tail}")
    return completed.stdout


def inspect(python: str) -> dict[str, dict[str, Any]]:
    """The distributions of `python`'s environment (name: version and bytes), the bootstrap ones left out."""
    found: dict[str, dict[str, Any]] = json.loads(_run([python, "-c", INSPECT]).strip().splitlines()[-1])
    return {name: entry for name, entry in sorted(found.items()) if name.lower() not in BOOTSTRAP}


def summarise(distributions: dict[str, dict[str, Any]], seconds: float) -> dict[str, Any]:
    return {
        "packages": len(distributions),
        "bytes": sum(entry["bytes"] for entry in distributions.values()),
        "distributions": distributions,
        "install_s": seconds,
    }


def _install(environment: Path, *steps: Sequence[str]) -> dict[str, Any]:
    """A fresh venv at `environment`, each of `steps` (pip install's arguments) run in it; its summary."""
    venv.create(environment, with_pip=True, clear=True)
    python = _python(environment)
    started = time.perf_counter()
    for step in steps:
        _run([python, *PIP, *step])
    return summarise(inspect(python), time.perf_counter() - started)


def measure_footprint(log: Callable[[str], None]) -> dict[str, Any]:
    """The packages and bytes of this package installed with its dependencies ("after") and on the dependencies
    of before ("before"), and the names the new ones add; {"error": ...} if an install failed."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="xpander-tasks-footprint-") as directory:
        try:
            log("footprint: pip install . (with its dependencies) into a fresh venv")
            after = _install(Path(directory) / "after", [str(ROOT)])
            log(f"footprint: pip install --no-deps . and {', '.join(BEFORE_NAMES)} into a fresh venv")
            before = _install(Path(directory) / "before", ["--no-deps", str(ROOT)], list(BEFORE))
        except (FootprintError, OSError, ValueError, IndexError) as exc:
            log(f"FAILED: {exc}")
            return {"error": str(exc)}
    added = sorted(set(after["distributions"]) - set(before["distributions"]), key=str.lower)
    return {
        "after": after,
        "before": before,
        "added": added,
        "python": sys.version.split()[0],
        "seconds": time.perf_counter() - started,
    }
