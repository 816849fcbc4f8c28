"""Recordings of what the official xpander-sdk 2.0.537 does, kept under tests/fixtures/ so that `make test` holds
this SDK to the official package without installing it (tests/activity_samples.py, tests/reports_official.py).

`record_or_check(...)` is the command line of each: `--record` runs the official package again and writes the
recording, `--check` (run by `make compat`, which installs the package) fails when the recording is stale.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL_PYTHON_VARIABLE = "XPANDER_OFFICIAL_PYTHON"


def official_python() -> str | None:
    """The python of the official SDK's venv: $XPANDER_OFFICIAL_PYTHON, else bench/.official/venv (made by `make
    compat`), else None."""
    given = os.environ.get(OFFICIAL_PYTHON_VARIABLE)
    if given:
        return given
    venv = ROOT / "bench" / ".official" / "venv" / "bin" / "python"
    return str(venv) if venv.exists() else None


def record_or_check(
    argv: list[str] | None, prog: str, what: str, recording_path: Path, recording: Callable[[str], dict[str, Any]]
) -> int:
    """`--record` (write `recording(official python)` to `recording_path`) or `--check` (compare it with the file):
    the exit status, 2 when the official package is not installed."""
    parser = argparse.ArgumentParser(prog=prog)
    modes = parser.add_mutually_exclusive_group(required=True)
    modes.add_argument("--record", action="store_const", const="record", dest="mode")
    modes.add_argument("--check", action="store_const", const="check", dest="mode")
    mode = parser.parse_args(argv).mode
    python = official_python()
    if python is None:
        print("the official xpander-sdk is not installed: run `make compat` (or set XPANDER_OFFICIAL_PYTHON)")
        return 2
    made = recording(python)
    if mode == "record":
        recording_path.write_text(json.dumps(made, separators=(",", ":"), sort_keys=True) + "\n")
        print(f"recorded {recording_path}")
        return 0
    same = json.loads(recording_path.read_text()) == made
    print(f"{what}: the recorded official run is current" if same else f"{recording_path} is stale: --record")
    return 0 if same else 1
