"""`Task.to_message()` and the file methods (`get_human_readable_files`, `get_images`, `get_files`, `get_audios`,
`get_videos`, `get_media_texts`) against the official ones, run by `make compat` after the calls (and by
tests/test_task_files.py): the same tasks, their files served by one loopback server (which also answers the
reload of a deep plan's retry and refuses the official media-extract call), through the official SDK 2.0.537 in
its own interpreter and through this SDK in another, compared value for value (the messages byte for byte).

The official SDK runs without agno's media types (`agno.media`) and without its document converters (anydoc,
python-docx, openpyxl, python-pptx), which it imports when it reads a task's files: this SDK has neither (it
gives URLs, not agno objects, and the official note for a document whose text it does not extract). Both runs
allow loopback file hosts (`XPANDER_INTERNAL_FETCH_ALLOWLIST=127.0.0.1`) and have no proxy.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 180.0
ALLOWLIST = {"XPANDER_INTERNAL_FETCH_ALLOWLIST": "127.0.0.1"}
DROPPED_ENV = ("XPANDER_", "IS_STG", "PYTHON", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
METHODS = ("message", "readable", "images", "files", "audios", "videos", "media_texts")
LISTED: dict[str, str] = {}
"""Known differences, by "case/method", with their reason (none)."""


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"%PDF-1.4 preview")
    return buffer.getvalue()


TEXT = "text/plain; charset=utf-8"
FILES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/files/notes.txt": (200, {"content-type": TEXT}, "Meeting notes\nsecond line, ünïcode ✓".encode()),
    "/files/data.csv": (
        200,
        {"content-type": "text/csv; charset=iso-8859-1"},
        "name,city\nJosé,Zürich".encode("latin-1"),
    ),
    "/files/config.json": (200, {"content-type": "application/json"}, b'{"a": 1, "b": [true, null]}'),
    "/files/wide.txt": (200, {"content-type": 'text/plain; charset="utf-16"'}, "wide text".encode("utf-16")),
    "/files/binary.log": (200, {"content-type": "application/octet-stream"}, b"\xff\xfe bad \x80 bytes\n"),
    "/files/unknown-charset.txt": (200, {"content-type": "text/plain; charset=x-no-such"}, b"abc"),
    "/files/long.md": (200, {"content-type": TEXT}, ("# Long\n" + "lorem ipsum " * 1800).encode()),
    "/files/page.html": (200, {"content-type": "text/html"}, b"<html><body>Hi</body></html>"),
    "/files/plain-by-mime": (200, {"content-type": TEXT}, b"an extension-less text file"),
    "/files/empty.txt": (200, {"content-type": TEXT}, b""),
    "/files/logo.svg": (200, {"content-type": "image/svg+xml"}, b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
    "/files/missing.txt": (404, {"content-type": TEXT}, b"not here"),
    "/files/broken.txt": (500, {"content-type": TEXT}, b"boom"),
    "/files/moved.txt": (302, {"location": "/files/notes.txt"}, b""),
    "/files/to-metadata.txt": (302, {"location": "http://169.254.169.254/latest/meta-data/"}, b""),
    "/files/report.docx": (200, {"content-type": "application/octet-stream"}, b"PK\x03\x04 not really a docx"),
    "/files/deck.key": (200, {"content-type": "application/octet-stream"}, b"-----BEGIN PRIVATE KEY-----"),
    "/files/doc.pages": (200, {}, _zip(["index.xml", "QuickLook/Preview.pdf"])),
    "/files/sheet.numbers": (200, {}, _zip(["index.xml"])),
}
FILES.update({f"/files/big{n}.txt": (200, {"content-type": TEXT}, (str(n) * 9000).encode()) for n in range(1, 5)})


def _task(name: str, text: str = "", **fields: Any) -> dict[str, Any]:
    files = fields.pop("files", [])
    attachments = fields.pop("attachments", [])
    return {
        "id": f"task-{name}",
        "agent_id": "agent-1",
        "organization_id": "org-1",
        "input": {"text": text, "files": files, "attachments": attachments},
        "created_at": fields.pop("created_at", "2026-03-04T05:06:07.123456Z"),
        "status": "executing",
        **fields,
    }


def _plan(*done: bool, started: bool = True) -> dict[str, Any]:
    items = [{"id": f"item-{n}", "title": f"Step {n}", "completed": flag} for n, flag in enumerate(done, 1)]
    return {"enabled": True, "enforce": True, "started": started, "question_raised": False, "tasks": items}


def cases(url: str) -> list[dict[str, Any]]:
    """The tasks compared: `task` is the task's JSON, `kwargs` those of `to_message`, `env` set around the calls,
    `server` the JSON the status route answers for the task (a deep plan's reload)."""
    f = f"{url}/files"
    texts = [f"{f}/notes.txt", f"{f}/data.csv?X-Amz-Signature=abc", f"{f}/config.json", f"{f}/wide.txt"]
    failing = [f"{f}/missing.txt", f"{f}/broken.txt", f"{f}/unknown-charset.txt", f"{f}/to-metadata.txt"]
    others = [f"{f}/moved.txt", f"{f}/binary.log", f"{f}/page.html", f"{f}/empty.txt", "http://169.254.169.254/a.txt"]
    media = ["https://cdn.example.invalid/photo.png", "https://cdn.example.invalid/paper.pdf"]
    media += ["https://cdn.example.invalid/talk.mp3", "https://cdn.example.invalid/clip.mov"]
    media += ["https://cdn.example.invalid/archive.zip", "https://cdn.example.invalid/no-extension"]
    documents = [f"{f}/report.docx", f"{f}/deck.key", f"{f}/doc.pages", f"{f}/sheet.numbers", f"{f}/missing.docx"]
    big = [f"{f}/big{n}.txt" for n in range(1, 5)]
    attachments = [
        {"url": f"{f}/plain-by-mime", "mime": "text/plain"},
        {"url": f"{f}/notes.txt", "kind": "archive"},
        {"url": "https://cdn.example.invalid/voice", "kind": "audio", "transcript": "Hello from the recording."},
        {"url": "https://cdn.example.invalid/blank.wav", "transcript": "   "},
        {"url": "https://cdn.example.invalid/video", "mime": "video/mp4"},
        {"url": "https://cdn.example.invalid/huge.png", "size": 40 * 1024 * 1024},
        {"url": "https://cdn.example.invalid/huge", "mime": "application/pdf", "size": 31 * 1024 * 1024},
        {"url": "https://cdn.example.invalid/small.pdf", "size": 1000, "kind": "pdf"},
        {"url": f"{f}/logo.svg", "mime": "image/svg+xml; charset=utf-8"},
        {"url": f"{f}/long.md", "mime": "text/markdown"},
    ]
    open_plan, server_plan = _plan(True, False, False), _plan(True, True, False)
    return [
        {"name": "text only", "task": _task("text", "Summarize the latest sales report")},
        {"name": "no text, no files", "task": _task("empty")},
        {"name": "JSON object prompt", "task": _task("json", '{"order": 17, "items": ["a", "b"]}', files=texts)},
        {"name": "JSON array prompt", "task": _task("json-array", '  [1, 2, {"x": null}]\n', files=media)},
        {"name": "text files", "task": _task("texts", "Read these", files=texts + failing + others)},
        {"name": "files without text", "task": _task("files-only", files=[*texts[:1], *media])},
        {"name": "media", "task": _task("media", "Look", files=media)},
        {"name": "documents", "task": _task("documents", "Docs", files=documents)},
        {"name": "budget", "task": _task("budget", "Big files", files=[f"{f}/long.md", *big])},
        {"name": "attachments", "task": _task("attachments", "With refs", files=texts, attachments=attachments)},
        {
            "name": "many images",
            "task": _task("images", "Pictures", files=[f"https://img.example.invalid/{n}.jpg" for n in range(23)]),
        },
        {
            "name": "injection disabled",
            "task": _task("disabled", "No injection", files=texts + media, disable_attachment_injection=True),
        },
        {"name": "no timestamp", "task": _task("no-stamp", "Plain"), "kwargs": {"with_timestamp": False}},
        {"name": "naive created_at", "task": _task("naive", "Naive", created_at="2026-01-02T23:59:59")},
        {"name": "offset created_at", "task": _task("offset", "Offset", created_at="2026-01-02T23:30:00-02:00")},
        {
            "name": "media pipeline legacy",
            "task": _task("legacy", "x", files=media),
            "env": {"XPANDER_MEDIA_PIPELINE": "legacy"},
        },
        {
            "name": "deep plan, open items",
            "task": _task("plan", "Do the plan", files=texts[:1], deep_planning=open_plan, result="partial"),
            "server": _task(
                "plan",
                "Do the plan",
                files=texts[:1],
                deep_planning=server_plan,
                result="server result",
                status="completed",
                additional_context="<compacted_context>facts</compacted_context>",
            ),
            "kwargs": {"retry_count": 2},
        },
        {
            "name": "deep plan from the server",
            "task": _task("plan-server", "", deep_planning=_plan()),
            "server": _task("plan-server", "", deep_planning=server_plan, additional_context="plain context"),
        },
        {
            "name": "deep plan, result is a question",
            "task": _task("plan-question", "Go", deep_planning=open_plan, result="Which region do you mean? (y/n)"),
            "server": _task("plan-question", "Go", deep_planning=open_plan),
        },
        {
            "name": "deep plan, all done",
            "task": _task("plan-done", "Go", deep_planning=_plan(True, True)),
            "server": _task("plan-done", "Go", deep_planning=_plan(True, True)),
        },
        {"name": "deep plan not started", "task": _task("plan-idle", "Go", deep_planning=_plan(False, started=False))},
    ]


def _handler(server_tasks: dict[str, dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            task_id = path.removeprefix("/agent-execution/").removesuffix("/status")
            if path.startswith("/agent-execution/") and task_id in server_tasks:
                self._answer(200, {"content-type": "application/json"}, json.dumps(server_tasks[task_id]).encode())
            else:
                self._answer(*FILES.get(path, (404, {}, b"no such file")))

        def do_POST(self) -> None:  # the official media-extract call: no transcript here
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._answer(404, {"content-type": "application/json"}, b'{"detail": "Not Found"}')

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a client may close a connection early (a capped read)."""


@contextmanager
def serving() -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
    """The file host and API on 127.0.0.1: its URL, and the task JSON its status route answers, by task id."""
    server_tasks: dict[str, dict[str, Any]] = {}
    server = _Server(("127.0.0.1", 0), _handler(server_tasks))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server_tasks
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# Run by both SDKs' interpreters: argv = cases.json, base URL; prints one JSON line, the results by case.
SCRIPT = """
import json, os, sys
from xpander_sdk.modules.tasks.sub_modules.task import Task
from xpander_sdk.models.configuration import Configuration
for name in ("agno.media", "anydoc", "docx", "openpyxl", "pptx"):
    sys.modules[name] = None
configuration = Configuration(api_key="compat-key", base_url=sys.argv[2], organization_id="org-1")
if hasattr(Task, "from_dict"):
    from xpander_sdk import Tasks
    tasks = Tasks(configuration=configuration)
    make = lambda data: Task.from_dict(data).bind(tasks)
else:
    make = lambda data: Task(**data, configuration=configuration)
results = {}
for case in json.load(open(sys.argv[1], encoding="utf-8")):
    saved = {name: os.environ.get(name) for name in case.get("env", {})}
    os.environ.update(case.get("env", {}))
    task, outcome = make(case["task"]), {}
    calls = [("message", lambda: task.to_message(**case.get("kwargs", {})))]
    calls += [(name, getattr(task, method)) for name, method in (("readable", "get_human_readable_files"),
              ("images", "get_images"), ("files", "get_files"), ("audios", "get_audios"), ("videos", "get_videos"),
              ("media_texts", "get_media_texts"))]
    for name, call in calls:
        try:
            outcome[name] = call()
        except Exception as exc:
            outcome[name] = "raised " + type(exc).__name__
    for name, value in saved.items():
        os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
    results[case["name"]] = outcome
import xpander_sdk
print(json.dumps({"sdk": xpander_sdk.__file__, "results": results}))
"""


def _env(ours: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.upper().startswith(DROPPED_ENV)}
    env.update(ALLOWLIST, PYTHONDONTWRITEBYTECODE="1", AGNO_TELEMETRY="false")
    if ours:
        env["PYTHONPATH"] = os.pathsep.join(str(ROOT / folder) for folder in ("overlay", "generated"))
    return env


def run(python: str | Path, url: str, all_cases: list[dict[str, Any]], *, ours: bool) -> dict[str, Any]:
    """The results of every case through the SDK `python` imports (ours: this repository's overlay)."""
    with tempfile.TemporaryDirectory(prefix="compat-messages-") as tmp:
        spec = Path(tmp, "cases.json")
        spec.write_text(json.dumps(all_cases), encoding="utf-8")
        done = subprocess.run(  # noqa: S603 - an SDK's own interpreter, with a fixed script
            [str(python), "-c", SCRIPT, str(spec), url],
            capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False, env=_env(ours), cwd=tmp,
        )  # fmt: skip
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"the {'ours' if ours else 'official'} to_message runner failed:\n{tail}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    home = ROOT / "overlay" if ours else Path(python).parent.parent  # the venv: python itself may be a symlink
    if not Path(report["sdk"]).resolve().is_relative_to(home.resolve()):
        raise RuntimeError(f"the {'ours' if ours else 'official'} runner imported {report['sdk']}, not from {home}")
    results: dict[str, Any] = report["results"]
    return results


def both(official_python: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(official results, ours), by case name."""
    with serving() as (url, server_tasks):
        all_cases = cases(url)
        for case in all_cases:
            if "server" in case:
                server_tasks[case["task"]["id"]] = case["server"]
        official = run(official_python, url, copy.deepcopy(all_cases), ours=False)
        ours = run(sys.executable, url, all_cases, ours=True)
    return official, ours


def differences(official: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """ "case/method: official ..., ours ..." for each value that differs."""
    found = []
    for case, theirs in official.items():
        for method in METHODS:
            a, b = theirs.get(method), ours.get(case, {}).get(method)
            if a != b:
                found.append(f"{case}/{method}: official {json.dumps(a)[:400]}, ours {json.dumps(b)[:400]}")
    return found


def compare(official_python: str | Path) -> tuple[str, bool]:
    """Print each difference; the summary line, and whether every difference is a listed one."""
    official, ours = both(official_python)
    found = differences(official, ours)
    unexpected = [line for line in found if line.split(":", 1)[0] not in LISTED]
    for line in found:
        print(f"  {line}" + ("" if line in unexpected else f" (listed: {LISTED[line.split(':', 1)[0]]})"))
    compared = len(official) * len(METHODS)
    line = f"to_message and the file methods: {compared - len(found)}/{compared} identical ({len(official)} tasks)"
    return line, not unexpected and len(found) == len(LISTED)
