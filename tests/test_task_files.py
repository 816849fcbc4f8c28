"""A task's files and message on the worker side (`Task.to_message`, `get_human_readable_files`, `get_files`,
`get_images`...) and the guarded fetch under them (`_safe_fetch`): categories, notes and the message as the
official SDK writes them; the fetch policy against loopback file hosts (internal addresses, redirects, the
metadata address, DNS rebinding, deadlines, size caps, the modes and allowlists, proxies, no API key). The
differential run against the official SDK on 21 tasks is `compat.messages`, part of `make compat` (which installs
the official package; `make test` does not need it).

Only loopback is contacted: a "public" host name is one the test's resolver maps to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import pickle
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faultserver import FaultServer, Hang, Reply, Stream, Trickle, running, tasks_for
from tests.mock_api import FakeAPI
from xpander_sdk import (
    FileFetchError,
    InvalidArgumentError,
    InvalidResponseError,
    Task,
    _safe_fetch,
    _task_files,
    _task_plan,
)
from xpander_sdk._deadline import Deadline
from xpander_sdk._routes import parse_task
from xpander_sdk.models import AttachmentRef

ALLOW_ENV = "XPANDER_INTERNAL_FETCH_ALLOWLIST"
PUBLIC = "files.example.test"
"""A name the tests' resolver maps to 127.0.0.1 (see `resolver`), standing for a public file host."""
CREATED = "2026-03-04T05:06:07Z"
STAMP = "\n\nMessage timestamp (UTC): 2026-03-04 05:06"
MAX = 1_000_000


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy of the developer's environment (a test that wants one sets it)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as started:
        yield started


@pytest.fixture
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")


Lookups = dict[str, int]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, list[str]]], Lookups]:
    """`resolver({name: [addresses, ...]})` makes those names resolve (each lookup takes the next address list,
    the last repeats); every other name goes to the real resolver. Returns the count of lookups by name."""
    real = socket.getaddrinfo

    def install(names: dict[str, list[str]]) -> Lookups:
        counts: Lookups = dict.fromkeys(names, 0)

        def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host not in names:
                return real(host, port, *args, **kwargs)
            answers = names[host][min(counts[host], len(names[host]) - 1)].split()
            counts[host] += 1
            family = socket.AF_INET6
            return [(family if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers]

        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return counts

    return install


def text(body: str, content_type: str = "text/plain; charset=utf-8") -> Reply:
    return Reply(200, body.encode(), content_type=content_type)


def make_task(text_: str = "", files: list[str] | None = None, **fields: Any) -> Task:
    data = {
        "id": "task-1",
        "agent_id": "agent-1",
        "organization_id": "org-1",
        "input": {"text": text_, "files": files or [], "attachments": fields.pop("attachments", [])},
        "created_at": fields.pop("created_at", CREATED),
        **fields,
    }
    return Task.from_dict(data)


def fetch(url: str, seconds: float = 5.0, max_bytes: int = MAX) -> _safe_fetch.Fetched:
    return _safe_fetch.fetch(url, max_bytes=max_bytes, deadline=Deadline.after(seconds))


def refused(url: str, seconds: float = 5.0, max_bytes: int = MAX) -> FileFetchError:
    with pytest.raises(FileFetchError) as caught:
        fetch(url, seconds, max_bytes)
    return caught.value


# -- categories, the plan and the message (no network) -------------------------------------------------------------
def test_categories_by_extension_kind_and_mime() -> None:
    urls = ["https://h/a.PNG", "https://h/b.pdf?sig=1", "https://h/c.docx", "https://h/d.csv", "https://h/e.mp3"]
    urls += ["https://h/f.mov", "https://h/g.zip", "https://h/h", "https://h/i.svg", "https://h/j.key"]
    refs = {
        "https://h/h": AttachmentRef(url="https://h/h", mime="Text/Plain; charset=utf-8"),
        "https://h/a.PNG": AttachmentRef(url="https://h/a.PNG", kind="archive"),
        "https://h/g.zip": AttachmentRef(url="https://h/g.zip", kind="video"),
    }
    found = _task_files.categorize(urls, refs)
    assert found.images == []  # the archive kind wins over the .png extension: no category
    assert found.pdfs == ["https://h/b.pdf?sig=1"]
    assert found.documents == ["https://h/c.docx", "https://h/j.key"]
    assert found.files == ["https://h/d.csv", "https://h/h", "https://h/i.svg"]
    assert (found.audios, found.videos) == (["https://h/e.mp3"], ["https://h/f.mov", "https://h/g.zip"])


def test_file_urls_come_from_attachments_when_there_are_any() -> None:
    task = make_task(files=["https://h/a.txt"], attachments=[{"url": "https://h/b.txt"}])
    assert _task_files.file_urls(task.input) == ["https://h/b.txt"]
    assert _task_files.file_urls(make_task(files=["https://h/a.txt"]).input) == ["https://h/a.txt"]


def test_text_only_message_and_its_timestamp() -> None:
    task = make_task("Summarize")
    assert task.to_message() == "Summarize" + STAMP
    assert task.to_message(with_timestamp=False) == "Summarize"
    assert make_task().to_message() == STAMP
    assert make_task("x", created_at="2026-01-02T23:30:00-02:00").to_message().endswith("(UTC): 2026-01-03 01:30")
    assert make_task("x", created_at="2026-01-02T23:30:00").to_message().endswith("(UTC): 2026-01-02 23:30")


def test_a_json_prompt_stays_byte_exact() -> None:
    prompt = ' {"order": 17, "files": ["x"]}\n'
    task = make_task(prompt, files=["http://127.0.0.1:9/a.txt", "https://h/b.png"])
    assert task.to_message() == prompt
    assert task.get_images() == ["https://h/b.png"]  # the media still go to the model


def test_media_and_notes_without_fetching() -> None:
    files = [f"https://h/{n}.jpg" for n in range(22)] + ["https://h/doc.pdf", "https://h/blob", "https://h/a.mp3"]
    attachments: list[dict[str, Any]] = [{"url": url} for url in files]
    attachments[0] = {"url": files[0], "size": 40 * 1024 * 1024}
    attachments[-1] = {"url": files[-1], "transcript": "hello there"}
    task = make_task("Look", attachments=attachments)
    assert task.get_images() == files[1:21]
    assert task.get_files() == ["https://h/doc.pdf"]
    assert task.get_audios() == [] and task.get_videos() == []
    assert task.get_media_texts() == [{"url": "https://h/a.mp3", "content": "hello there"}]
    message = task.to_message(with_timestamp=False)
    assert '\nFiles contents:\n{"url": "https://h/a.mp3", "content": "hello there"}\nAttachment notes:\n' in message
    assert f"- {files[0]}: too large to attach inline" in message
    assert "fetch them via your tools/workspace if you need them: https://h/blob" in message
    assert "- 1 additional image beyond the per-message limit (20) listed above but not attached" in message


def test_injection_disabled_reads_nothing_and_attaches_nothing() -> None:
    files = ["http://127.0.0.1:9/a.txt", "https://h/b.png", "https://h/c.wav"]
    task = make_task("x", files=files, disable_attachment_injection=True)
    assert task.get_human_readable_files() == [{"url": files[0]}]
    assert task.get_images() == [] and task.get_files() == []
    message = task.to_message(with_timestamp=False)
    note = f"- {files[2]}: content is NOT included in this message; fetch it via your tools/workspace using the URL"
    assert message.endswith(f'{{"url": "{files[0]}"}}\nAttachment notes:\n{note}')


def test_media_pipeline_legacy_drops_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPANDER_MEDIA_PIPELINE", "legacy")
    task = make_task("x", files=["https://h/a.mp3", "https://h/z"] + [f"https://h/{n}.png" for n in range(25)])
    assert "Attachment notes" not in task.to_message()
    assert len(task.get_images()) == 25 and task.get_media_texts() == []


def test_truncation_and_questions() -> None:
    assert _task_files.truncate("abcdef", "u", 4) == "abcd\n... [truncated: 6 chars total - full file at u]"
    assert _task_files.truncate("abc", "u", 3) == "abc"
    assert _task_plan.ends_with_question("Done.\nWhich one? (y/n)")
    assert _task_plan.ends_with_question("Which one?'")
    assert not _task_plan.ends_with_question("Is it? I checked, it is.")
    assert not _task_plan.ends_with_question(None)


@pytest.mark.parametrize(("name", "value"), [("retry_count", -1), ("retry_count", "1"), ("with_timestamp", 1)])
def test_bad_arguments_are_refused(name: str, value: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        make_task("x").to_message(**{name: value})  # type: ignore[arg-type]
    assert caught.value.parameter == name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("XPANDER_MAX_INLINE_TEXT_CHARS", "lots"),
        ("XPANDER_MAX_INLINE_TEXT_CHARS", "-3"),
        ("XPANDER_MAX_INLINE_TOTAL_CHARS", "-1"),
        ("XPANDER_MAX_INLINE_DOC_BYTES", "-5"),
        ("XPANDER_MAX_INLINE_DOC_BYTES", "0"),  # no file could be read at all
    ],
)
def test_a_bad_cap_in_the_environment_is_refused(name: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidArgumentError) as caught:
        make_task("x", files=["http://127.0.0.1:9/a.txt"]).to_message()
    assert caught.value.parameter == name and f"got {value!r}" in str(caught.value)


def test_zero_inline_characters_leaves_only_the_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPANDER_MAX_INLINE_TEXT_CHARS", "0")
    assert _task_files.truncate("abc", "u", 10) == "\n... [truncated: 3 chars total - full file at u]"


def test_the_deep_plan_retry_reloads_through_the_tasks_requestor() -> None:
    items = [{"id": "i1", "title": "One", "completed": True}, {"id": "i2", "title": "Two", "completed": False}]
    plan = {"enabled": True, "started": True, "tasks": items}
    server_copy = make_task("Go").to_dict() | {"result": "server", "additional_context": "<compacted_context>"}
    api = FakeAPI([httpx.Response(200, json=server_copy)])
    task = make_task("Go", deep_planning=plan, result="partial").bind(api.tasks())
    message = task.to_message(retry_count=1)
    assert [(r.method, r.url.path, r.headers["x-api-key"]) for r in api.requests] == [
        ("GET", "/agent-execution/task-1/status", "test-key")
    ]
    assert message.startswith("<task_input>\nGo\n</task_input>\n\nYou stopped before completing all tasks. This is "
                              "attempt 2.")  # fmt: skip
    assert "  [✓] One (ID: i1)\n  [ ] Two (ID: i2)\n\nCompleted: 1/2 tasks\n\nYour next task: Two (ID: i2)\n" in message
    assert "CRITICAL: Your previous work context" in message and message.endswith(STAMP)
    assert (task.result, task.additional_context) == ("partial", "<compacted_context>")  # result kept, rest reloaded


# -- the guarded fetch -----------------------------------------------------------------------------------------------
def test_loopback_is_refused_unless_listed(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server.script("/a.txt", text("hello"))
    error = refused(f"{server.url}/a.txt?X-Amz-Signature=SECRET")
    assert error.refused and error.status_code == 0 and server.count == 0
    assert str(error) == (f"[0] refused to fetch {server.url}/a.txt: 127.0.0.1 is a loopback address (not listed in "
                          f"{ALLOW_ENV})")  # fmt: skip
    monkeypatch.setenv(ALLOW_ENV, "10.0.0.0/8, 127.0.0.0/8")
    assert fetch(f"{server.url}/a.txt").content == b"hello"


@pytest.mark.parametrize(
    "host", ["localhost", "2130706433", "0x7f000001", "127.1", "[::ffff:127.0.0.1]", "[::1]", "[::ffff:10.0.0.1]"]
)
def test_spellings_of_internal_addresses_are_refused(host: str) -> None:
    """Numeric and mapped spellings resolve (without any DNS query) to an internal address: refused."""
    error = refused(f"http://{host}:1/a.txt")
    assert error.refused and ("loopback" in error.reason or "private" in error.reason), error.reason


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "::ffff:169.254.169.254", "fe80::1", "224.0.0.1", "0.0.0.0", "240.0.0.1"]
)
def test_link_local_metadata_multicast_unspecified_reserved_stay_refused_when_listed(
    address: str, monkeypatch: pytest.MonkeyPatch, resolver: Callable[[dict[str, list[str]]], Lookups]
) -> None:
    monkeypatch.setenv(ALLOW_ENV, f"{PUBLIC},{address},0.0.0.0/0,::/0")
    resolver({PUBLIC: [address]})
    error = refused(f"http://{PUBLIC}/latest/meta-data/")
    assert error.refused and "(never fetched)" in error.reason
    literal = f"[{address}]" if ":" in address else address
    assert refused(f"http://{literal}/latest").refused


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.1.2.3", "private"),
        ("100.64.0.1", "CGNAT"),
        ("::1", "loopback"),
        ("2002:7f00:1::", "loopback"),
        ("fec0::1", "site-local"),  # deprecated (RFC 3879), still routed inside some networks
    ],
)
def test_internal_addresses_behind_a_name(
    address: str, kind: str, resolver: Callable[[dict[str, list[str]]], Lookups]
) -> None:
    resolver({PUBLIC: [f"93.184.216.34 {address}"]})  # one internal address among public ones is enough
    error = refused(f"https://{PUBLIC}/a.txt")
    assert error.refused and kind in error.reason and f"resolves to {address}" in error.reason
    literal = f"[{address}]" if ":" in address else address
    assert kind in refused(f"http://{literal}:1/a.txt").reason


def test_a_redirect_to_an_unlisted_internal_host_is_refused(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, resolver: Callable[[dict[str, list[str]]], Lookups]
) -> None:
    monkeypatch.setenv(ALLOW_ENV, PUBLIC)  # the public host's name only, not 127.0.0.1
    resolver({PUBLIC: ["127.0.0.1"]})
    with running() as internal:
        internal.script("/secret", text("internal data"))
        server.script("/a.txt", Reply(302, headers=(("location", f"{internal.url}/secret"),)))
        error = refused(f"http://{PUBLIC}:{server.port}/a.txt")
        assert error.refused and internal.count == 0 and server.count == 1
    assert error.reason.startswith(f"at its redirect to {internal.url}/secret: 127.0.0.1 is a loopback address")


def test_redirects_are_followed_and_bounded(server: FaultServer, allow_loopback: None) -> None:
    server.script("/moved", Reply(301, headers=(("location", "/a.txt"),)))
    server.script("/a.txt", text("hello"))
    answer = fetch(f"{server.url}/moved")
    assert (answer.content, answer.url) == (b"hello", f"{server.url}/a.txt")
    server.script("/loop", Reply(302, headers=(("location", "/loop"),)))
    assert "more than 5 redirects" in refused(f"{server.url}/loop").reason
    assert server.count == 2 + 6


def test_dns_rebinding_connects_to_the_validated_address(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, resolver: Callable[[dict[str, list[str]]], Lookups]
) -> None:
    """The name resolves once, to loopback (listed); a second lookup would give the metadata address. The
    connection goes to the address validated, with the host name in the Host header."""
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
    lookups = resolver({PUBLIC: ["127.0.0.1", "169.254.169.254"]})
    server.script("/a.txt", text("the real file"))
    assert fetch(f"http://{PUBLIC}:{server.port}/a.txt").content == b"the real file"
    assert lookups[PUBLIC] == 1
    assert server.requests[-1].header("host") == f"{PUBLIC}:{server.port}"


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a certificate of it for PUBLIC (openssl): (CA, certificate, key)."""
    ca, ca_key, cert, key, csr = (folder / name for name in ("ca.pem", "ca.key", "cert.pem", "cert.key", "c.csr"))
    (folder / "ext.cnf").write_text(f"subjectAltName=DNS:{PUBLIC}\nbasicConstraints=CA:FALSE\n")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    commands = [
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=xpander test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
        ["req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={PUBLIC}"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2",
         "-extfile", folder / "ext.cnf"],
    ]  # fmt: skip
    for command in commands:
        subprocess.run(["openssl", *map(str, command)], check=True, capture_output=True, timeout=30)
    return ca, cert, key


def test_https_keeps_the_host_name_for_sni_and_the_certificate_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resolver: Callable[[dict[str, list[str]]], Lookups]
) -> None:
    """The connection goes to the validated IP, while TLS sends the host name (SNI) and checks the certificate
    against it: the right name passes, another name on the same address fails."""
    if shutil.which("openssl") is None:
        pytest.fail("this test makes its certificates with the openssl command: install openssl", pytrace=False)
    ca, cert, key = _certificates(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    server_context.sni_callback = lambda _socket, name, _context: server_names.append(name)
    client_context = ssl.create_default_context(cafile=str(ca))
    monkeypatch.setattr(_safe_fetch, "_ssl_context", lambda: client_context)
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
    resolver({PUBLIC: ["127.0.0.1"], "other.example.test": ["127.0.0.1"]})
    with running() as plain:
        plain.script("/a.txt", text("over TLS"))
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def relay() -> None:  # TLS in front of the fault server, one connection at a time
            for _ in range(2):
                raw, _address = listener.accept()
                with raw:
                    try:
                        tls = server_context.wrap_socket(raw, server_side=True)
                    except (ssl.SSLError, OSError):
                        continue
                    with tls, socket.create_connection(("127.0.0.1", plain.port)) as upstream:
                        upstream.sendall(tls.recv(65536))
                        tls.sendall(upstream.recv(65536))

        thread = threading.Thread(target=relay, daemon=True)
        thread.start()
        assert fetch(f"https://{PUBLIC}:{port}/a.txt").content == b"over TLS"
        error = refused(f"https://other.example.test:{port}/a.txt")
        thread.join(timeout=5)
        listener.close()
    assert server_names == [PUBLIC, "other.example.test"]
    assert plain.requests[0].header("host") == f"{PUBLIC}:{port}" and plain.count == 1
    assert not error.refused and error.reason == "cannot connect to other.example.test at 127.0.0.1"


def test_the_next_validated_address_is_tried_when_one_refuses(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, resolver: Callable[[dict[str, list[str]]], Lookups]
) -> None:
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.0/8")
    resolver({PUBLIC: ["127.0.0.2 127.0.0.1"]})  # nothing listens on 127.0.0.2
    server.script("/a.txt", text("from the second address"))
    assert fetch(f"http://{PUBLIC}:{server.port}/a.txt").content == b"from the second address"


def test_one_deadline_for_a_slow_file(server: FaultServer, allow_loopback: None) -> None:
    server.script("/slow.txt", Trickle(text("x" * 200), chunk=1, delay=0.05))
    server.script("/silent.txt", Hang())
    for path in ("/slow.txt", "/silent.txt"):
        started = time.monotonic()
        error = refused(f"{server.url}{path}", seconds=0.6)
        assert 0.5 < time.monotonic() - started < 1.5
        assert not error.refused and "deadline" in error.reason


def test_an_oversized_file_is_cut_off(server: FaultServer, allow_loopback: None) -> None:
    server.script("/declared.txt", text("x" * 5000))
    server.script("/chunked.txt", Stream(pieces=[(0.0, b"y" * 4096)] * 50, content_type="text/plain"))
    assert "larger than 4,096 bytes" in refused(f"{server.url}/declared.txt", max_bytes=4096).reason
    assert "larger than 4,096 bytes" in refused(f"{server.url}/chunked.txt", max_bytes=4096).reason
    assert len(fetch(f"{server.url}/declared.txt", max_bytes=5000).content) == 5000


def test_error_statuses_and_schemes(server: FaultServer, allow_loopback: None) -> None:
    server.script("/gone.txt", Reply(404, b"no"))
    error = refused(f"{server.url}/gone.txt")
    assert (error.status_code, error.refused, error.reason) == (404, False, "127.0.0.1 answered 404")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.url, copy.refused) == (FileFetchError, str(error), error.url, False)
    assert refused("file:///etc/passwd").refused
    assert refused("ftp://127.0.0.1/x").refused
    assert not refused("http://").refused
    assert refused("http://user:pw@127.0.0.2:1/x?token=SECRET", seconds=1.0).url == "http://127.0.0.2:1/x"


def test_the_file_host_never_sees_the_api_key(server: FaultServer, allow_loopback: None) -> None:
    """Even a file on the API's own host gets none of the SDK's headers; the reload of the deep plan does."""
    plan = {"enabled": True, "started": True, "tasks": [{"id": "i1", "title": "One"}]}
    server.script("/agent-execution/task-1/status", Reply(200, json.dumps(make_task("Go").to_dict()).encode()))
    server.script("/a.txt", text("hello"))
    task = make_task("Go", files=[f"{server.url}/a.txt"], deep_planning=plan).bind(tasks_for(server.url))
    assert '"content": "hello"' in task.to_message()
    api_call, file_call = sorted(server.requests, key=lambda request: request.path != "/a.txt")[::-1]
    assert api_call.header("x-api-key") is not None
    names = {name.lower() for name, _ in file_call.headers}
    assert names == {"host", "accept", "accept-encoding", "connection", "user-agent"}
    assert file_call.header("accept-encoding") == "identity"
    assert "xpander" not in (file_call.header("user-agent") or "")


def test_warn_mode_logs_then_fetches(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="xpander_sdk")
    monkeypatch.setenv("XPANDER_SAFE_FETCH", "warn")
    server.script("/a.txt", text("hello"))
    assert fetch(f"{server.url}/a.txt").content == b"hello"
    assert any("XPANDER_SAFE_FETCH=warn: 127.0.0.1 would be refused" in r.getMessage() for r in caplog.records)


def test_legacy_mode_checks_nothing(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPANDER_SAFE_FETCH", "legacy")
    server.script("/moved", Reply(302, headers=(("location", "/a.txt"),)))
    server.script("/a.txt", text("hello"))
    assert fetch(f"{server.url}/moved").content == b"hello"


@pytest.mark.parametrize("mode", ["warn", "legacy", "enforce"])
def test_the_egress_allowlist_overrides_the_mode(
    mode: str,
    server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    resolver: Callable[[dict[str, list[str]]], Lookups],
) -> None:
    monkeypatch.setenv("XPANDER_SAFE_FETCH", mode)
    monkeypatch.setenv("XPANDER_EGRESS_ALLOWLIST", "*.Example.Test.")
    resolver({f"cdn.{PUBLIC}": ["127.0.0.1"]})
    server.script("/a.txt", text("hello"))
    error = refused(f"{server.url}/a.txt")  # 127.0.0.1 is not on the egress allowlist
    assert error.refused and error.reason == "127.0.0.1 is not in XPANDER_EGRESS_ALLOWLIST"
    assert "loopback" in refused(f"http://cdn.{PUBLIC}:{server.port}/a.txt").reason  # listed, still internal
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
    assert fetch(f"http://cdn.{PUBLIC}:{server.port}/a.txt").content == b"hello"  # a subdomain passes
    assert server.count == 1


def test_a_proxied_hop_goes_through_the_proxy(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, resolver: Callable[[dict[str, list[str]]], Lookups]
) -> None:
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "direct.example.test")
    resolver({PUBLIC: ["93.184.216.34"], "direct.example.test": ["127.0.0.1"]})
    server.script(f"http://{PUBLIC}/a.txt", text("via the proxy"))
    assert fetch(f"http://{PUBLIC}/a.txt").content == b"via the proxy"
    assert server.requests[-1].path == f"http://{PUBLIC}/a.txt"
    assert "private" in refused("http://10.0.0.5/a.txt").reason  # a literal internal address: not even proxied
    assert "loopback" in refused(f"http://direct.example.test:{server.port}/a.txt").reason  # NO_PROXY: direct
    assert server.count == 1


def zeros_gzipped(size: int, layers: int) -> bytes:
    """`size` zero bytes gzipped `layers` times (a megabyte at a time: the zeros are never all in memory)."""
    compressor = zlib.compressobj(9, wbits=31)
    block = bytes(1 << 20)
    data = b"".join(compressor.compress(block) for _ in range(size >> 20)) + compressor.flush()
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


def peak_memory(action: Callable[[], object]) -> int:
    """The most memory Python held at once (above what it held before) while `action` ran."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        action()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def compressed(body: bytes, encoding: str) -> Reply:
    return Reply(200, body, headers=(("content-encoding", encoding),), content_type="text/plain")


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(b"hello", mtime=0)),
        ("x-gzip", gzip.compress(b"hello", mtime=0)),
        ("Deflate", zlib.compress(b"hello")),
        ("identity", b"hello"),
        ("identity, gzip", gzip.compress(b"hello", mtime=0)),
    ],
)
def test_a_compressed_file_is_inflated_once(
    encoding: str, body: bytes, server: FaultServer, allow_loopback: None
) -> None:
    """A host that compresses despite `accept-encoding: identity`: one gzip or deflate layer is read."""
    server.script("/a.txt", compressed(body, encoding))
    assert fetch(f"{server.url}/a.txt").content == b"hello"


@pytest.mark.parametrize("encoding", ["gzip, gzip", "deflate,gzip", "br", "zstd", "compress", "made-up"])
def test_other_content_encodings_are_not_read(encoding: str, server: FaultServer, allow_loopback: None) -> None:
    server.script("/a.txt", compressed(gzip.compress(gzip.compress(b"hello", mtime=0)), encoding))
    error = refused(f"{server.url}/a.txt")
    assert (
        not error.refused and error.reason == f"the file is sent with Content-Encoding {encoding!r}, which is not read"
    )


def test_a_broken_compressed_body_fails(server: FaultServer, allow_loopback: None) -> None:
    server.script("/a.txt", compressed(b"not gzip at all", "gzip"))
    assert refused(f"{server.url}/a.txt").reason == "the compressed content from 127.0.0.1 cannot be decoded"


@pytest.mark.parametrize("layers", [1, 2])
def test_a_compression_bomb_is_cut_off_with_little_memory(
    layers: int, server: FaultServer, allow_loopback: None
) -> None:
    """64 MB of zeros gzipped once (65 KB) or twice (a few hundred bytes), read with a 1 MB cap: the inflated
    bytes are counted (one layer) or never made (two), and no more than the cap is ever held."""
    body = zeros_gzipped(64 << 20, layers)
    encoding = ", ".join(["gzip"] * layers)
    server.script("/bomb.txt", compressed(body, encoding))
    errors: list[FileFetchError] = []
    peak = peak_memory(lambda: errors.append(refused(f"{server.url}/bomb.txt", max_bytes=MAX)))
    assert peak < 8 * MAX, f"{peak:,} bytes held to read {len(body):,}"
    expected = "the file is larger than 1,000,000 bytes" if layers == 1 else f"Content-Encoding {encoding!r}"
    assert expected in errors[0].reason


def test_a_compressed_body_is_capped_on_the_wire_and_inflated(server: FaultServer, allow_loopback: None) -> None:
    body = zeros_gzipped(8 << 20, 1)
    server.script("/a.txt", compressed(body, "gzip"))
    assert "larger than" in refused(f"{server.url}/a.txt", max_bytes=len(body) - 1).reason  # the wire bytes
    assert "larger than" in refused(f"{server.url}/a.txt", max_bytes=(8 << 20) - 1).reason  # the inflated bytes
    assert fetch(f"{server.url}/a.txt", max_bytes=8 << 20).content == bytes(8 << 20)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://alice:s3cr?et@files.example.com/a.txt", _safe_fetch.UNPARSEABLE),  # a port "s3cr" for httpx
        ("http://alice:s3cr#et@files.example.com/a.txt", _safe_fetch.UNPARSEABLE),
        ("http://alice:s3cr/et@files.example.com/a.txt", _safe_fetch.UNPARSEABLE),
        ("http://alice:1234?et@files.example.com/a.txt", "http://alice:1234/"),  # the host httpx would reach
        ("http://alice:/s3cret@files.example.com/a.txt", "http://alice/..."),
        ("http://alice:12/34@files.example.com/d/a.txt", "http://alice:12/..."),
        ("http://alice:s3@cr@files.example.com/d/a.txt?sig=1#frag", "http://files.example.com/d/a.txt"),
        ("https://alice:s3cr%40et@[::1]:8443/d/a b.txt?x=1", "https://[::1]:8443/d/a%20b.txt"),
        ("https://bücher.example/ä.txt", "https://xn--bcher-kva.example/%C3%A4.txt"),
        ("http://files.example.com/a\nb.txt", _safe_fetch.UNPARSEABLE),
        ("file:///etc/passwd", "file:///etc/passwd"),
        ("a.txt", "a.txt"),
    ],
)
def test_the_url_shown_never_holds_userinfo_or_query(url: str, expected: str) -> None:
    assert _safe_fetch.shown(url) == expected


def test_an_unparseable_url_with_a_password_is_not_shown() -> None:
    error = refused("http://alice:s3cr?et@files.example.com/a.txt?sig=SECRET")
    assert error.url == _safe_fetch.UNPARSEABLE and "s3cr" not in str(error) and "SECRET" not in str(error)


@pytest.mark.parametrize(
    ("variable", "also"), [(ALLOW_ENV, {}), ("XPANDER_EGRESS_ALLOWLIST", {ALLOW_ENV: "127.0.0.1"})]
)
def test_a_name_entry_never_matches_an_ip_address(
    variable: str,
    also: dict[str, str],
    server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`0.0.1` is no name (a name entry matches its subdomains: 127.0.0.1 would be one) nor an address: it is
    ignored, with one warning; a real address or network still lists an address."""
    caplog.set_level(logging.WARNING, logger="xpander_sdk")
    monkeypatch.setattr(_safe_fetch, "_warned_entries", set())
    for name, value in also.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(variable, "0.0.1, 0.1, 1, ::1::, example.test")
    server.script("/a.txt", text("hello"))
    for _ in range(2):
        assert refused(f"{server.url}/a.txt").refused and server.count == 0
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    for entry in ("0.0.1", "0.1", "1", "::1::"):
        assert sum(f"{variable}: {entry!r} is neither" in warning for warning in warnings) == 1, warnings
    monkeypatch.setenv(variable, "0.0.1, 127.0.0.0/8")
    assert fetch(f"{server.url}/a.txt").content == b"hello"


@pytest.mark.parametrize("host", ["127.0.0.1.", "localhost.", "localhost", "files.localhost", "[::1]"])
def test_loopback_never_reaches_the_proxy(
    host: str, server: FaultServer, monkeypatch: pytest.MonkeyPatch, resolver: Callable[[dict[str, list[str]]], Lookups]
) -> None:
    """Through a proxy, a name that does not resolve here goes to the proxy by name; a loopback address or name
    (a trailing dot changes nothing, `*.localhost` is loopback too) never does, unless listed."""
    monkeypatch.setenv("HTTP_PROXY", server.url)
    resolver({name: [""] for name in ("127.0.0.1.", "localhost.", "localhost", "files.localhost")})  # nowhere
    error = refused(f"http://{host}/a.txt")
    assert error.refused and "loopback" in error.reason and server.count == 0
    monkeypatch.setenv(ALLOW_ENV, "localhost")
    server.script("http://files.localhost/a.txt", text("the proxy's own"))
    assert fetch("http://files.localhost/a.txt").content == b"the proxy's own"


def test_a_trailing_dot_is_the_same_host(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "127.0.0.1 is a loopback address" in refused(f"http://127.0.0.1.:{server.port}/a.txt").reason
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
    server.script("/a.txt", text("hello"))
    assert fetch(f"http://127.0.0.1.:{server.port}/a.txt").content == b"hello"
    assert server.requests[-1].header("host") == f"127.0.0.1:{server.port}"


@pytest.mark.parametrize("mode", ["warn", "legacy"])
def test_warn_and_legacy_resolve_once_under_the_deadline(
    mode: str,
    server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    resolver: Callable[[dict[str, list[str]]], Lookups],
) -> None:
    """They skip the refusal (warn logs it) or the checks (legacy), not the pinning: the name is resolved once,
    under the deadline, and the connection goes to that address. A second lookup here would take 2 s."""
    monkeypatch.setenv("XPANDER_SAFE_FETCH", mode)
    lookups = resolver({PUBLIC: ["127.0.0.1"]})
    quick = socket.getaddrinfo

    def slow_after_the_first(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == PUBLIC and lookups[PUBLIC] >= 1:
            time.sleep(2.0)
        return quick(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow_after_the_first)
    server.script("/a.txt", text("hello"))
    started = time.monotonic()
    assert fetch(f"http://{PUBLIC}:{server.port}/a.txt", seconds=1.0).content == b"hello"
    assert time.monotonic() - started < 1.0 and lookups[PUBLIC] == 1
    assert server.requests[-1].header("host") == f"{PUBLIC}:{server.port}"
    started = time.monotonic()
    error = refused(f"http://{PUBLIC}:{server.port}/a.txt", seconds=0.5)  # now every lookup is slow
    assert time.monotonic() - started < 1.5 and "did not end before the deadline" in error.reason


# -- through the Task ------------------------------------------------------------------------------------------------
def test_human_readable_files_in_order_with_errors(server: FaultServer, allow_loopback: None) -> None:
    server.script("/a.txt", text("alpha"))
    server.script("/b.csv", Reply(200, "x,é".encode("latin-1"), content_type="text/csv; charset=latin-1"))
    server.script("/c.json", Reply(500, b"boom"))
    files = [f"{server.url}/{name}" for name in ("a.txt", "b.csv", "c.json", "d.png")] + ["http://169.254.169.254/e.md"]
    task = make_task("Read", files=files)
    assert task.get_human_readable_files() == [
        {"url": files[0], "content": "alpha"},
        {"url": files[1], "content": "x,é"},
        {"url": files[2], "content": _task_files.FILE_UNREADABLE},
        {"url": files[4], "content": _task_files.FILE_UNREADABLE},
    ]
    expected = f"Read\nFiles: {', '.join(files)}\nFiles contents:\n" + "\n".join(
        json.dumps(item) for item in task.get_human_readable_files()
    )
    assert task.to_message() == expected + STAMP


def test_caps_per_file_and_in_all(server: FaultServer, monkeypatch: pytest.MonkeyPatch, allow_loopback: None) -> None:
    monkeypatch.setenv("XPANDER_MAX_INLINE_TEXT_CHARS", "10")
    monkeypatch.setenv("XPANDER_MAX_INLINE_TOTAL_CHARS", "100")
    monkeypatch.setenv("XPANDER_MAX_INLINE_DOC_BYTES", "100")
    for name in ("a", "b", "c"):
        server.script(f"/{name}.txt", text(name * 50))
    server.script("/big.txt", text("z" * 101))
    files = [f"{server.url}/{name}.txt" for name in ("a", "b", "c", "big")]
    contents = [item["content"] for item in make_task(files=files).get_human_readable_files()]
    assert contents[0] == "a" * 10 + f"\n... [truncated: 50 chars total - full file at {files[0]}]"
    assert contents[1] == "b" * 10 + f"\n... [truncated: 50 chars total - full file at {files[1]}]"  # 10 < 100 - 80
    assert contents[2] == f"\n... [truncated: 50 chars total - full file at {files[2]}]"  # the budget is spent
    assert contents[3].startswith("\n... [truncated: 29 chars total")  # "Error: file could not be read", cut


def test_ten_slow_files_are_read_at_once(server: FaultServer, allow_loopback: None) -> None:
    for n in range(10):
        server.script(f"/{n}.txt", Trickle(text(f"file {n}"), chunk=3, delay=0.15))
    files = [f"{server.url}/{n}.txt" for n in range(10)]
    started = time.monotonic()
    contents = [item["content"] for item in make_task(files=files).get_human_readable_files()]
    assert contents == [f"file {n}" for n in range(10)]
    assert time.monotonic() - started < 2.0  # one at a time: about 5 s


def test_inside_a_running_event_loop(server: FaultServer, allow_loopback: None) -> None:
    """An async handler calling the sync `to_message` (as with the official SDK): no loop is needed or touched."""
    server.script("/a.txt", text("hello"))
    task = make_task("x", files=[f"{server.url}/a.txt"])

    async def handler() -> str:
        return task.to_message(with_timestamp=False)

    assert asyncio.run(handler()).endswith('"content": "hello"}')


def test_a_slow_file_ends_at_the_messages_deadline(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, allow_loopback: None
) -> None:
    monkeypatch.setattr(_task_files, "FILE_FETCH_TIMEOUT", 0.5)
    server.script("/fast.txt", text("fast"))
    server.script("/slow.txt", Hang())
    task = make_task(files=[f"{server.url}/fast.txt", f"{server.url}/slow.txt"])
    started = time.monotonic()
    contents = [item["content"] for item in task.get_human_readable_files()]
    assert contents == ["fast", _task_files.FILE_UNREADABLE] and time.monotonic() - started < 1.5


def test_iwork_and_office_documents(server: FaultServer, allow_loopback: None) -> None:
    server.script("/deck.key", Reply(200, b"-----BEGIN KEY-----", content_type=None))
    files = [f"{server.url}/deck.key", f"{server.url}/report.docx"]
    contents = [item["content"] for item in make_task(files=files).get_human_readable_files()]
    assert contents == [_task_files._IWORK_NOTES["unsupported"], _task_files.DOC_UNREADABLE_NOTE]
    assert [request.path for request in server.requests] == ["/deck.key"]  # a .docx has no converter: not read


def test_file_urls_that_are_not_strings_are_refused_naming_them() -> None:
    """A read task is checked (InvalidResponseError); one changed by hand is refused at the call, named."""
    data = {"id": "t", "agent_id": "a", "organization_id": "o", "created_at": CREATED, "input": {"files": [5]}}
    with pytest.raises(InvalidResponseError):
        parse_task(httpx.Response(200, json=data), (), Task.from_dict)
    task = make_task("x")
    task.input.files = [None]  # type: ignore[list-item]
    with pytest.raises(InvalidArgumentError) as caught:
        task.to_message()
    assert caught.value.parameter == "task.input.files"


def test_a_compression_bomb_in_a_message_is_an_unreadable_file(server: FaultServer, allow_loopback: None) -> None:
    """The reported bomb: 400 MB of zeros gzipped twice (824 bytes), 15 MB cap: to_message reads nothing of it."""
    server.script("/bomb.txt", compressed(zeros_gzipped(400 << 20, 2), "gzip, gzip"))
    server.script("/a.txt", text("hello"))
    task = make_task("x", files=[f"{server.url}/bomb.txt", f"{server.url}/a.txt"])
    messages: list[str] = []
    assert peak_memory(lambda: messages.append(task.to_message(with_timestamp=False))) < 4 * MAX
    bomb, hello = (json.dumps({"url": f"{server.url}/{name}", "content": content}) for name, content in
                   (("bomb.txt", _task_files.FILE_UNREADABLE), ("a.txt", "hello")))  # fmt: skip
    assert messages[0].endswith(f"Files contents:\n{bomb}\n{hello}")
