"""`make compat`: the same calls (creates, and the lifecycle: get, stop, update, list, Task.aload, reload, stop,
save, set_status) through the official xpander-sdk 2.0.537 and through this SDK, against one loopback recording
server, compared call by call (method, path with its query, `x-api-key` and `x-agent-version` headers, whether
content-type and content-length are sent, the JSON body with its key order and bytes; what each call returned
or raised; the parsed Task or list items).

Each SDK runs all the calls in one subprocess of its own interpreter (`compat/runner.py`): this SDK in the
interpreter running this module, the official one in bench/.official/venv (installed on first use by
`bench.official.ensure_official`). The runners' environment points XPANDER_BASE_URL (with a key of its own) and
HTTPS_PROXY at the recording server: a call that falls back on the environment's configuration (the official
`TasksListItem.aload()`) is recorded, and anything meant for the cloud ends at the server's refused CONNECT.
Known differences are listed, with their reason, in compat/differences.toml: the run fails on a difference not
listed there, and on a listed one that no longer occurs. Then the events roots (`compat.events_root`) and
`Task.to_message()` with the file methods (`compat.messages`: tasks whose files a loopback server serves) are
compared, each with its own list of known differences.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from attrs import define

from bench import official
from compat import events_root, messages
from compat.calls import ALL_CALLS, Answers
from compat.compare import Verdict, compare
from compat.server import Recorded, Recorder, recording

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "compat" / "runner.py"
DIFFERENCES = ROOT / "compat" / "differences.toml"
RUN_TIMEOUT = 300.0
"""Seconds one SDK may take for all the calls (the official one needs about 5 s just to import)."""
MAX_DETAILS = 40
DROPPED_ENV = ("XPANDER_", "IS_STG", "PYTHON", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
ENV_API_KEY = "compat-env-key"
"""The API key of the runners' environment: not the one of their `Tasks` ("compat-key"), so that a call using
the environment's configuration instead of the one it was given shows in the x-api-key header."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def child_env(url: str) -> dict[str, str]:
    """The environment of a runner: none of the developer's XPANDER_* settings or proxies, no telemetry; the
    environment's configuration is the recording server with its own key, and HTTPS goes through the recording
    server as a proxy, which refuses every tunnel (loopback is direct)."""
    env = {key: value for key, value in os.environ.items() if not key.upper().startswith(DROPPED_ENV)}
    return {
        **env,
        "NO_PROXY": "127.0.0.1",
        "HTTPS_PROXY": url,
        "XPANDER_BASE_URL": url,
        "XPANDER_API_KEY": ENV_API_KEY,
        "XPANDER_ORGANIZATION_ID": "org-env",
        "AGNO_TELEMETRY": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@define
class SDKRun:
    """What one SDK did: the runner's report (`sdk`, `version`, `results`) and the requests of each call."""

    label: str
    report: dict[str, Any]
    requests: dict[str, list[Recorded]]


def run_sdk(label: str, python: str, url: str, recorder: Recorder) -> SDKRun:
    """Run every call through one SDK, in one subprocess of `python`."""
    calls = [{**item, "mark": f"{label}/{item['name']}"} for item in ALL_CALLS]
    with tempfile.TemporaryDirectory(prefix="compat-") as tmp:
        spec, output = Path(tmp, "calls.json"), Path(tmp, "results.json")
        spec.write_text(json.dumps({"url": url, "calls": calls}), encoding="utf-8")
        try:
            completed = subprocess.run(  # noqa: S603 - our own runner, in a venv we made
                [python, "-I", "-B", str(RUNNER), str(spec), str(output)],
                capture_output=True, text=True, check=False, timeout=RUN_TIMEOUT, env=child_env(url), cwd=tmp,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise SystemExit(f"compat: the {label} runner took over {RUN_TIMEOUT:.0f} s") from None
        if completed.returncode != 0:
            tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
            raise SystemExit(f"compat: the {label} runner failed (exit {completed.returncode}):\n{tail}")
        report: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    with recorder.lock:
        requests = {item["name"]: recorder.requests.pop(item["mark"], []) for item in calls}
        unmarked = recorder.requests.pop("", [])
    if unmarked:
        raise SystemExit(f"compat: the {label} runner sent {len(unmarked)} request(s) outside any call")
    return SDKRun(label, report, requests)


def check_sdk(run: SDKRun, expected_home: Path) -> None:
    """Fail unless the runner imported the SDK it was meant to (not the other one)."""
    home = run.report["sdk"]
    if not Path(home).resolve().is_relative_to(expected_home.resolve()):
        raise SystemExit(f"compat: the {run.label} runner imported xpander_sdk from {home}, not {expected_home}")
    log(f"compat: {run.label}: xpander_sdk {run.report['version']} from {home}")


def load_listed() -> dict[str, str]:
    data = tomllib.loads(DIFFERENCES.read_text(encoding="utf-8"))
    listed = data.get("differences", {})
    if not isinstance(listed, dict) or not all(isinstance(reason, str) for reason in listed.values()):
        raise SystemExit(f"compat: {DIFFERENCES.name} must have a [differences] table of call name = reason")
    return listed


def verdicts(theirs: SDKRun, ours: SDKRun) -> list[Verdict]:
    pairs = zip(theirs.report["results"], ours.report["results"], strict=True)
    return [compare(a["name"], a, theirs.requests[a["name"]], b, ours.requests[b["name"]]) for a, b in pairs]


def status(verdict: Verdict, listed: dict[str, str]) -> str:
    if verdict.differences:
        return "listed" if verdict.name in listed else "DIFFERENT"
    return "STALE LISTING" if verdict.name in listed else "identical"


def print_table(all_verdicts: list[Verdict], listed: dict[str, str]) -> None:
    width = max(len(verdict.name) for verdict in all_verdicts)
    print(f"{'call':<{width}}  {'official':<38}  {'ours':<38}  verdict")
    for verdict in all_verdicts:
        print(
            f"{verdict.name:<{width}}  {verdict.official[:38]:<38}  {verdict.ours[:38]:<38}  {status(verdict, listed)}"
        )


def indented(text: str) -> str:
    """A multi-line message (pydantic's) under its bullet."""
    return text.replace("\n", "\n      ")


def print_details(all_verdicts: list[Verdict], listed: dict[str, str]) -> None:
    differing = [verdict for verdict in all_verdicts if verdict.differences or verdict.name in listed]
    if differing:
        print("\nDifferences:")
    for verdict in differing:
        print(f"\n* {verdict.name} [{status(verdict, listed)}]")
        if verdict.name in listed:
            print(f"  listed: {listed[verdict.name]}")
        for line in verdict.differences[:MAX_DETAILS]:
            print(f"  - {indented(line)}")
        if len(verdict.differences) > MAX_DETAILS:
            print(f"  - ... and {len(verdict.differences) - MAX_DETAILS} more")
    noted = [verdict for verdict in all_verdicts if verdict.notes and not verdict.differences]
    if noted:
        print("\nNotes on identical calls:")
    shared: dict[str, list[str]] = {}
    for verdict in noted:
        for note in verdict.notes:
            shared.setdefault(note, []).append(verdict.name)
    for note, names in shared.items():
        if len(names) == 1:
            print(f"* {names[0]}: {indented(note)}")
        else:
            print(f"* {len(names)} calls ({names[0]}, ...): {indented(note)}")


def summary(all_verdicts: list[Verdict], listed: dict[str, str]) -> tuple[str, bool]:
    """The last line, and whether the run passes."""
    statuses = [status(verdict, listed) for verdict in all_verdicts]
    unknown = sorted(set(listed) - {verdict.name for verdict in all_verdicts})
    for name in unknown:
        print(f"compat: {DIFFERENCES.name} lists {name!r}, which is not a call of the suite")
    line = f"{statuses.count('identical')}/{len(statuses)} identical, {statuses.count('listed')} listed differences"
    failures = statuses.count("DIFFERENT") + statuses.count("STALE LISTING") + len(unknown)
    if statuses.count("DIFFERENT"):
        line += f", {statuses.count('DIFFERENT')} not listed"
    if statuses.count("STALE LISTING"):
        line += f", {statuses.count('STALE LISTING')} listed but no longer different"
    return line, failures == 0


def main() -> int:
    listed = load_listed()
    try:
        official_python = official.ensure_official(log=log)
    except official.OfficialUnavailable as exc:
        log(f"compat: the official SDK is not available: {exc}")
        return 2
    with recording(Answers()) as (url, recorder):
        ours_run = run_sdk("ours", sys.executable, url, recorder)
        official_run = run_sdk("official", official_python, url, recorder)
    check_sdk(ours_run, ROOT / "overlay")
    check_sdk(official_run, official.VENV)
    all_verdicts = verdicts(official_run, ours_run)
    print_table(all_verdicts, listed)
    print_details(all_verdicts, listed)
    line, passed = summary(all_verdicts, listed)
    roots_line, roots_passed = events_root.compare(official_python)
    messages_line, messages_passed = messages.compare(official_python)
    print(f"\n{roots_line}\n{messages_line}\n{line}")
    return 0 if passed and roots_passed and messages_passed else 1


if __name__ == "__main__":
    sys.exit(main())
