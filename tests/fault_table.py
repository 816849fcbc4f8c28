"""The table of fault outcomes that the fault-injection modules print when they end (also under output capture)."""

from __future__ import annotations

import contextlib

import pytest
from attrs import define


@define
class Row:
    fault: str
    mode: str
    outcome: str = "(not reached)"
    requests: int | str = "?"
    seconds: float = 0.0
    as_designed: bool = False


def print_table(request: pytest.FixtureRequest, rows: list[Row], what: str) -> None:
    """Write `rows` to the terminal, then `N of M <what> handled as designed`."""
    if not rows:
        return
    width = max(len(row.fault) for row in rows)
    lines = [
        "",
        f"{'fault':<{width}}  {'mode':<5}  {'outcome':<34}  {'requests':>8}  {'time':>7}  as designed",
        "-" * (width + 73),
    ]
    lines += [
        f"{row.fault:<{width}}  {row.mode:<5}  {row.outcome:<34}  {row.requests!s:>8}  {row.seconds:>6.3f}s  "
        f"{'yes' if row.as_designed else 'NO'}"
        for row in rows
    ]
    handled = sum(row.as_designed for row in rows)
    lines.append(f"{handled} of {len(rows)} {what} handled as designed ({len(rows) // 2} faults, each sync and async)")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    writer = request.config.get_terminal_writer()
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        for line in lines:
            writer.line(line)
