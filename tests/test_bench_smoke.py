"""Smoke runs of the benchmarks (`make bench`) with tiny counts, so that they cannot rot.

Only that they run and produce sane numbers (positive, finite, the JSON written) is asserted: never a speed.
The official SDK's code path runs too, with this SDK standing in for it (`--official-python`: it is a drop-in,
configured from the environment as the official one is), so that `make bench-official` does not rot either.
"""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench import footprint
from bench.run import LAZY_KEY, LAZY_MODULES, MANY_LEVELS
from bench.server import TASK_JSON, running_server, stream_task_id, wait_agent_id

ROOT = Path(__file__).resolve().parent.parent


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _all_positive(values: Any) -> bool:
    return isinstance(values, list) and bool(values) and all(_positive(value) for value in values)


def _check_task_files(entries: dict[str, Any], counts: dict[str, int], stdout: str) -> None:
    """`to_message` with ten text files: ours only, reported (no target)."""
    for key in ("immediate", "delayed"):
        entry = entries[key]
        assert "error" not in entry, entry
        assert len(entry["sdk_ms"]) == len(entry["raw_ms"]) == counts["files_rounds"], key
        assert _all_positive(entry["sdk_ms"]) and _all_positive(entry["raw_ms"]) and _positive(entry["ratio"]), key
    assert "to_message, 10 text files, ms/call" in stdout


def test_quick_run_writes_sane_numbers(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--official-python", sys.executable, "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "target" in completed.stdout
    assert "targets met" in completed.stdout
    report = json.loads(output.read_text())
    results = report["results"]

    imports = results["import"]
    for name in (
        "import httpx",
        "import xpander_sdk",
        "from xpander_sdk import Tasks",
        "httpx: import + first post",
        "import + first create",
        "official: import xpander_sdk",
        "official: import + first create",
    ):
        entry = imports[name]
        assert _all_positive(entry["wall_ms"]), name
        assert _all_positive(entry["peak_rss_bytes"]), name
        assert _positive(entry["wall_ratio"]) and _positive(entry["rss_ratio"]), name
    lazy = imports[LAZY_KEY]  # which of aiohttp & co. the import loaded: judged in the table, not here
    assert isinstance(lazy["loaded"], list) and set(lazy["loaded"]) <= set(LAZY_MODULES), lazy

    for sdk in ("ours", "official"):
        client = results[sdk]
        for mode in ("async", "sync"):
            entry = client[f"per_call_{mode}"]
            assert "error" not in entry, entry
            assert _all_positive(entry["sdk_us"]) and _all_positive(entry["raw_us"]), (sdk, mode)
            assert _positive(entry["ratio"]) and _positive(entry["cpu_ratio"]), (sdk, mode)
        entry = client["concurrency"]
        assert "error" not in entry, entry
        assert _all_positive(entry["sdk_per_s"]) and _all_positive(entry["raw_per_s"]), sdk
        assert _positive(entry["ratio"]) and _positive(entry["cpu_ratio"]), sdk

    _check_async_transports(results["ours"], report["counts"])

    for mode in ("async", "sync"):  # get: ours only (the official SDK's rows are create's)
        entry = results["ours"][f"per_call_get_{mode}"]
        assert "error" not in entry, entry
        assert len(entry["sdk_us"]) == len(entry["raw_us"]) == report["counts"]["per_call_rounds"], mode
        assert _all_positive(entry["sdk_us"]) and _all_positive(entry["raw_us"]), mode
        assert _all_positive(entry["sdk_cpu_us"]) and _all_positive(entry["raw_cpu_us"]), mode
        assert _positive(entry["ratio"]) and _positive(entry["cpu_ratio"]), mode
        assert _positive(entry["sdk_median_us"]) and _positive(entry["raw_median_us"]), mode
        assert f"per_call_get_{mode}" not in results["official"]
    assert report["request"]["get_path"] == f"/agent-execution/{json.loads(TASK_JSON.read_bytes())['id']}/status"
    assert report["request"]["get_headers"]["x-api-key"] == report["request"]["headers"]["x-api-key"]
    assert "content-type" not in report["request"]["get_headers"]  # a GET: no body

    _check_task_files(results["task_files"], report["counts"], completed.stdout)

    for target in ("sdk", "raw"):
        entry = results["ours"][f"memory_{target}"]
        assert "error" not in entry, entry
        assert _all_positive(entry["rss_bytes"]), target
        assert entry["calls"] == report["counts"]["memory_calls"]
        assert math.isfinite(entry["growth_bytes"]), target

    for name in ("json_loads_us", "task_from_dict_us", "loads_and_from_dict_us", "generated_from_dict_us"):
        assert _all_positive(results["parse"][name]["us"]), name
    assert _positive(results["overhead"]["ratio"])

    list_parse = results["list_parse"]
    assert "error" not in list_parse, list_parse
    assert report["counts"]["list_items"] == 1000
    for name in ("sdk_ms", "raw_ms", "generated_ms", "json_loads_ms"):
        assert len(list_parse[name]["ms"]) == report["counts"]["list_repeat"], name
        assert _all_positive(list_parse[name]["ms"]) and _positive(list_parse[name]["median_ms"]), name
    assert _positive(list_parse["ratio"]) and _positive(list_parse["generated_ratio"])

    events, counts = results["events"], report["counts"]
    for mode in ("async", "sync"):
        entry = events[f"rate_{mode}"]
        assert "error" not in entry, entry
        assert _all_positive(entry["sdk_per_s"]) and _all_positive(entry["raw_per_s"]), mode
        assert _positive(entry["ratio"]) and _positive(entry["cpu_ratio"]), mode
        assert (entry["events"], entry["skipped"]) == (counts["events_stream"], 0), mode
        assert sum(entry["kinds"].values()) == counts["events_stream"], mode
        latency = events[f"latency_{mode}"]
        assert "error" not in latency, latency
        assert len(latency["sdk_ms"]) == len(latency["raw_ms"]) == counts["events_latency_runs"], mode
        assert _all_positive(latency["sdk_ms"]) and _all_positive(latency["raw_ms"]), mode
    for target in ("sdk", "raw"):
        memory = events[f"memory_{target}"]
        assert "error" not in memory, memory
        assert memory["events"] == counts["events_memory"] and _all_positive(memory["rss_bytes"]), target
        assert math.isfinite(memory["growth_bytes"]), target
        many = events[f"many_{target}"]
        assert "error" not in many, many
        assert many["succeeded"] == many["tasks"] == counts["events_many"], many["failures"]
        assert (many["server"]["post"], many["server"]["events"]) == (many["tasks"], many["tasks"]), target
        assert _positive(many["wall_s"]) and many["fds_peak"] >= many["fds_before"], target

    _check_many(results["many"], counts)

    judged = {target["measure"]: target for target in report["targets"]}
    for call in ("acreate", "create", "aget", "get"):
        assert f"{call}, us/call" in completed.stdout, call
        assert _positive(judged[f"{call}, us/call"]["ratio"]), call
    assert judged["aget, us/call"]["target"] == judged["get, us/call"]["target"] == "<= 1.1x"
    assert judged["acreate, us/call"]["target"] == "<= 1.1x"  # against raw httpx-aiohttp
    assert judged["acreate, httpx transport, us/call"]["target"] == "<= 1.15x"
    assert judged["aget, httpx transport, us/call"]["target"] == "<= 1.1x"
    for in_flight, _, _ in MANY_LEVELS["quick"]:
        assert judged[f"acreate, {in_flight:,} in flight, calls/s"]["target"] == ">= 0.8x", in_flight
    assert judged["aiohttp loaded by `from xpander_sdk import Tasks`"]["target"] == "no"
    assert "list of 1,000: parse_task_list, ms/list" in completed.stdout
    assert not any("list of" in measure for measure in judged)  # reported, not judged: the issue set no target
    assert not any("to_message" in measure for measure in judged)
    for call in ("aevents", "events"):
        assert judged[f"{call}, events/s ({counts['events_stream']:,}-event mix)"]["target"] == ">= 0.9x", call
    assert judged[f"await_result after task_finished, median of {counts['events_latency_runs']}"]["target"] == "<= 5 ms"

    assert report["targets"], "the table judged no target"
    assert all(isinstance(target["met"], bool) for target in report["targets"])
    assert report["request"]["body"] == json.dumps(json.loads(report["request"]["body"]), separators=(",", ":"))
    assert report["request"]["headers"]["x-api-key"]


def _check_async_transports(ours: dict[str, Any], counts: dict[str, int]) -> None:
    """Ours' async calls ran on aiohttp (against raw httpx-aiohttp) and on httpx (against raw httpx)."""
    for call in ("create", "get"):
        entry = ours["per_call_async" if call == "create" else "per_call_get_async"]
        for role in ("sdk", "raw", "sdk_httpx", "raw_httpx"):
            assert len(entry[f"{role}_us"]) == counts["per_call_rounds"], (call, role)
            assert _all_positive(entry[f"{role}_us"]) and _all_positive(entry[f"{role}_cpu_us"]), (call, role)
        assert _positive(entry["httpx"]["ratio"]) and _positive(entry["httpx"]["cpu_ratio"]), call
        assert _positive(entry["ratio_vs_raw_httpx"]), call
    assert _positive(ours["concurrency"]["raw_httpx_median_per_s"])  # the official SDK's clean baseline


def _check_many(many: dict[str, Any], counts: dict[str, int]) -> None:
    """The `many` section's numbers are all there and sane (never how large they are)."""
    assert _positive(many["seconds"])
    rates = many["rates"]
    assert "error" not in rates, rates
    assert [level["in_flight"] for level in rates["levels"]] == [level[0] for level in MANY_LEVELS["quick"]]
    for level in rates["levels"]:
        for role in ("sdk", "sdk_httpx", "raw_httpx", "raw_aiohttp"):
            entry = level[role]
            assert len(entry["per_s"]) == counts["many_rounds"], (level["in_flight"], role)
            assert _all_positive(entry["per_s"]) and _all_positive(entry["cpu_us"]), (level["in_flight"], role)
            assert entry["server_peak_connections"] <= rates["connections"] + 2, (level["in_flight"], role)  # + stats
        assert all(_positive(ratio) for ratio in level["ratios"].values()), level["ratios"]
        assert math.isfinite(level["server_cpu_share_max"]) and level["server_cpu_share_max"] >= 0
    waits = many["waits"]
    assert "error" not in waits, waits
    for role in ("sdk", "sdk_httpx", "raw_aiohttp"):
        entry = waits[role]
        assert entry["succeeded"] == [counts["many_waits"]] * counts["many_rounds"], entry["runs"][0]["failures"]
        assert _all_positive(entry["per_s"]), role
        assert (entry["requests"]["post"], entry["requests"]["events"]) == (counts["many_waits"],) * 2, role
    assert all(_positive(ratio) for ratio in waits["ratios"].values()), waits["ratios"]
    for probe in ("rss", "traced"):
        memory = many[f"memory_{probe}"]
        assert "error" not in memory, memory
        assert memory["calls"] == counts["many_memory_calls"] and _all_positive(memory["rss_bytes"]), probe
        assert math.isfinite(memory[f"{probe}_growth_bytes"]), probe
    traced = many["memory_traced"]
    assert len(traced["traced_bytes"]) == len(traced["rss_bytes"]) and _all_positive(traced["traced_bytes"])
    imports = many["imports"]
    assert "error" not in imports, imports
    for probe in ("aiohttp", "httpx"):
        entry = imports[probe]
        assert _positive(entry["median_import_ms"]) and _positive(entry["median_first_acreate_ms"]), probe
        assert isinstance(entry["aiohttp_after_first"], bool), probe
    assert _positive(imports["lazy"]["median_lazy_import_ms"])


def test_footprint_lists_the_distributions_of_an_environment() -> None:
    """The footprint's inspection, on this venv (the installs themselves need PyPI: `--footprint` only)."""
    found = footprint.inspect(sys.executable)
    assert {"httpx", "attrs"} <= set(found) and not set(found) & footprint.BOOTSTRAP
    assert all(_positive(entry["bytes"]) for name, entry in found.items() if name in ("httpx", "attrs"))
    summary = footprint.summarise(found, 1.0)
    assert summary["packages"] == len(found) and _positive(summary["bytes"])


def test_server_answers_any_post_path_keeps_alive_and_reads_chunked_bodies() -> None:
    task = json.loads(TASK_JSON.read_bytes())
    with running_server(lifetime=60) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        assert client.post("/agent-execution/agent-123", json={"a": 1}).json() == task
        assert client.post("/any/other/path", content=iter([b'{"a":', b"1}"])).json() == task  # chunked
        assert client.get("/agent-execution/agent-123").status_code == 404
        status = client.get(f"/agent-execution/{task['id']}/status", headers={"x-api-key": "k"})
        assert (status.status_code, status.json()) == (200, task)
        assert client.get("/agent-execution/a%2Fb/status?x=1").json() == task
        for path in ("/agent-execution//status", "/agent-execution/a/b/status", "/other/a/status", "/status"):
            assert client.get(path).status_code == 404, path
        assert client.delete(f"/agent-execution/{task['id']}").status_code == 404
        response = client.post("/x", content=b"{}", headers={"connection": "close"})
        assert (response.status_code, response.headers["connection"]) == (200, "close")


def test_server_answers_pipelined_requests_in_order() -> None:
    request = b"POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}"
    with running_server(lifetime=60) as port, socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request * 2 + request.replace(b"host: x", b"host: x\r\nconnection: close"))
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 3


def test_server_streams_events_and_answers_the_wait_routes() -> None:
    with running_server(lifetime=60) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        response = client.get(f"/org-1/agent-execution/{stream_task_id('mix', 1000)}/events")
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
        assert len(events) == 1000 and (events[0]["type"], events[-1]["type"]) == ("connected", "task_finished")
        kinds = {"chunk", "task_updated", "tool_call_request", "tool_call_result", "think", "context_status"}
        assert kinds <= {event["type"] for event in events}
        assert len({event["time"] for event in events}) == 1000  # no two events alike

        created = client.post(f"/agent-execution/{wait_agent_id(10)}", json={}).json()
        assert created["events_streaming"] and created["id"].startswith("ev-fin-10-")
        assert client.get(f"/agent-execution/{created['id']}/status").json()["status"] == "executing"
        before = time.time()
        response = client.get(f"/org-1/agent-execution/{created['id']}/events")
        events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
        assert [event["type"] for event in events] == ["connected", "task_updated", "chunk", "task_finished"]
        final = events[-1]["data"]
        assert final["status"] == "completed" and before + 0.01 <= float(final["result"]) <= time.time()
        assert client.get(f"/agent-execution/{created['id']}/status").json() == final
        stats = client.get("/_bench/stats?reset").json()
        assert (stats["post"], stats["status"], stats["events"], stats["open"]) == (1, 2, 2, 1)
        assert _positive(stats["cpu_s"])
        assert client.get("/org-1/agent-execution/unknown/events").status_code == 404
        assert client.get("/_bench/stats").json()["events"] == 1
