"""The official `xpander-sdk`, for comparison (`make bench-official`): a venv of its own under bench/.official/venv
(ignored by git), with `xpander-sdk[agno]==2.0.537` installed from PyPI on first use (that takes minutes).

The install is pinned by bench/official-constraints.txt: unhelped, pip's resolver backtracks through dozens of
versions of strands-agents, openai-agents and litellm (the official SDK's dependencies) for tens of minutes."""

from __future__ import annotations

import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

from bench.server import ROOT

REQUIREMENT = "xpander-sdk[agno]==2.0.537"
VERSION = "2.0.537"
VENV = ROOT / "bench" / ".official" / "venv"
CONSTRAINTS = ROOT / "bench" / "official-constraints.txt"
INSTALL_TIMEOUT = 45 * 60.0


class OfficialUnavailable(RuntimeError):
    """The official SDK could not be installed; the message says why."""


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def installed_version(python: Path) -> str | None:
    """The xpander-sdk version installed for `python`, or None."""
    if not python.exists():
        return None
    completed = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('xpander-sdk'))"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return completed.stdout.strip() or None if completed.returncode == 0 else None


def ensure_official(log: Callable[[str], None] = print) -> str:
    """The python of a venv with the official SDK, creating and installing it when needed."""
    python = _python()
    if installed_version(python) == VERSION:
        return str(python)
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    log(f"installing {REQUIREMENT} into {VENV.relative_to(ROOT)} (this takes minutes)")
    try:
        completed = subprocess.run(
            [
                str(python),
                *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                *("--constraint", str(CONSTRAINTS), REQUIREMENT),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=INSTALL_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise OfficialUnavailable(f"pip install {REQUIREMENT} took over {INSTALL_TIMEOUT / 60:.0f} minutes") from None
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-10:])
        raise OfficialUnavailable(f"pip install {REQUIREMENT} failed (exit {completed.returncode}):\n{tail}")
    found = installed_version(python)
    if found != VERSION:
        raise OfficialUnavailable(f"after pip install, xpander-sdk is {found!r}, not {VERSION}")
    return str(python)
