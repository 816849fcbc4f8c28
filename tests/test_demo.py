"""`make demo` runs the whole path and exits 0: create (async and sync) on Prism, then events, the result and the
command line on the fake backend. Run as `make demo` runs it, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

from tests import spec_tools


def test_the_demo_shows_create_events_result_and_the_command_line() -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("XPANDER_")}
    done = subprocess.run(
        [sys.executable, "-m", "devtools.demo"],
        cwd=spec_tools.ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for shown in ("async  task", "sync   task", "task_created", "tool_call_request", "chunk", "task_finished"):
        assert shown in out, (shown, out)
    assert out.index("task_created") < out.index("chunk") < out.index("task_finished")
    assert "result (completed): Sales grew 12%" in out
    assert "$ xpander-tasks create" in out
    assert "(exit status 0)" in out
    assert "Traceback" not in done.stderr
