"""A task's files and its message, on the worker side: what `Task.to_message()`, `get_human_readable_files()`,
`get_files()`, `get_images()` and the rest return, as the official SDK 2.0.537 builds them when agno is not
installed (media as URL strings: no image or PDF is downloaded).

The file URLs are `input.attachments[].url` when the task has attachments, else `input.files`. Each is sorted,
by its attachment's kind or mime type, else by its extension, into images, PDFs, office documents, text files,
audio and video (`categorize`). The text files are read, concurrently, under one deadline, through the guarded
fetch of `_safe_fetch` (internal addresses refused; a file that cannot be read shows as
"Error: file could not be read"), and cut to the official sizes; the others are named in attachment notes where
the official SDK names them. Office documents have no converter here: they get the official note saying their
text is not included (iWork files, which the official SDK opens, get its own notes). Audio and video are not
sent to the controller for a transcript (the official SDK asks `POST /media/extract`): an attachment's own
`transcript` is used, else the note that it could not be converted.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from attrs import frozen

from ._checks import environment_whole_number, refuse
from ._constants import (
    FILE_FETCH_TIMEOUT,
    FILE_FETCH_WORKERS,
    MAX_ATTACHED_IMAGES,
    MAX_ATTACHMENT_BYTES,
    MAX_FILE_BYTES,
    MAX_INLINE_DOC_BYTES_ENV,
    MAX_INLINE_TEXT_CHARS,
    MAX_INLINE_TEXT_CHARS_ENV,
    MAX_INLINE_TOTAL_CHARS,
    MAX_INLINE_TOTAL_CHARS_ENV,
    MEDIA_PIPELINE_ENV,
)
from ._deadline import Deadline
from ._task_plan import ends_with_question, kept_local_run
from .exceptions import FileFetchError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ._safe_fetch import Fetched
    from ._task_model import Task
    from .models import AttachmentRef, DeepPlanningTask, TaskInput

logger = logging.getLogger("xpander_sdk")

FILE_UNREADABLE = "Error: file could not be read"
DOC_UNREADABLE_NOTE = (
    "No text could be extracted from this attachment, so its contents are NOT included here; "
    "fetch it via your tools/workspace if you need them"
)
NO_INJECTION_NOTE = "content is NOT included in this message; fetch it via your tools/workspace using the URL"
TOO_LARGE_NOTE = "too large to attach inline; fetch it via your tools/workspace using the URL"
NOT_CONVERTED_NOTE = "could not be converted to text; fetch it via your tools/workspace using the URL"
UNREADABLE_NOTE = (
    "these attachments cannot be read directly and their content is NOT included; do not guess their contents - "
    "fetch them via your tools/workspace if you need them: "
)
_IWORK_NOTES = {
    "unsupported": "Error: attachment could not be read (unsupported file format)",
    "too_large": "Error: attachment could not be read (the iWork file's embedded preview exceeds the size limit; "
    "export the document as PDF instead)",
    "missing": "Error: attachment could not be read (iWork file with no embedded preview; re-save it with preview "
    "enabled, or export as PDF)",
    "ok": "Error: attachment could not be read (the iWork file's embedded preview could not be converted; export "
    "the document as PDF instead)",
}

# The official `categorize_files`: extensions, and the buckets of an attachment's kind and mime type.
_IWORK_EXTS = {".pages", ".key", ".numbers"}
_EXTENSIONS = {
    "videos": ".mp4 .mov .mkv .webm .avi .mpeg .mpg .flv .wmv .3gp",
    "audios": ".mp3 .wav .m4a .ogg .flac .aac .opus",
    "files": ".svg .txt .csv .json .xml .html .htm .md .rst .yaml .yml .py .js .ts .java .c .cpp .h .cs .go .rb "
    ".php .sh .tsv .log .ini .toml .tex .ipynb .eml",
    "documents": ".docx .doc .docm .xlsx .xls .xlsm .xlsb .pptx .ppt .pptm .pot .pps .ppsx .odt .ods .odp .rtf "
    ".epub .pages .key .numbers",
    "pdfs": ".pdf",
    "images": ".jpg .jpeg .png .gif .bmp .tiff .webp",
}
_BUCKET_OF_EXTENSION = {ext: bucket for bucket, exts in _EXTENSIONS.items() for ext in exts.split()}
_BUCKET_OF_KIND = {"image": "images", "pdf": "pdfs", "document": "documents", "text": "files"}
_BUCKET_OF_KIND.update(audio="audios", video="videos")
_DOCUMENT_MIMES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.ms-powerpoint",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/rtf",
        "application/epub+zip",
        "application/vnd.apple.pages",
        "application/vnd.apple.keynote",
        "application/vnd.apple.numbers",
    }
)
_BUCKET_OF_MIME = dict.fromkeys(_DOCUMENT_MIMES, "documents")
_BUCKET_OF_MIME.update({"application/pdf": "pdfs", "application/json": "files", "application/xml": "files"})
_BUCKET_OF_MIME["image/svg+xml"] = "files"  # SVG is XML: read as text
_BUCKET_OF_MIME_PREFIX = (("image/", "images"), ("audio/", "audios"), ("video/", "videos"), ("text/", "files"))
_UNCATEGORIZED = "uncategorized"


@frozen
class Categories:
    """A task's file URLs by kind (a URL of no kind is in none of them)."""

    images: list[str]
    pdfs: list[str]
    files: list[str]
    """The text files, read into the message."""
    documents: list[str]
    audios: list[str]
    videos: list[str]

    def known(self) -> set[str]:
        return {*self.images, *self.pdfs, *self.files, *self.documents, *self.audios, *self.videos}


def file_urls(task_input: TaskInput) -> list[str]:
    """The URLs of a task's files: its attachments' when it has any, else `input.files`; InvalidArgumentError
    naming `task.input.files` when one is not a string (a task made or changed by hand: a read one is checked)."""
    if task_input.attachments:
        urls = [attachment.url for attachment in task_input.attachments]
    else:
        urls = list(task_input.files or [])
    for url in urls:
        if not isinstance(url, str):
            raise refuse("task.input.files", "file URLs as strings", url)
    return urls


def attachment_refs(task_input: TaskInput) -> dict[str, AttachmentRef]:
    return {attachment.url: attachment for attachment in task_input.attachments if attachment.url}


def _extension(url: str) -> str:
    try:
        return os.path.splitext(urlparse(url).path.lower())[1]
    except ValueError:
        return ""


def _bucket_of_ref(ref: AttachmentRef | None) -> str | None:
    """The bucket an attachment's kind or mime type names; `_UNCATEGORIZED` for an archive; None to go by the
    URL's extension."""
    kind = None if ref is None or ref.kind is None else ref.kind.value
    if kind in _BUCKET_OF_KIND or kind == "archive":
        return _BUCKET_OF_KIND.get(kind, _UNCATEGORIZED)
    mime = ((ref.mime if ref is not None else None) or "").lower().split(";", 1)[0].strip()
    if mime in _BUCKET_OF_MIME:
        return _BUCKET_OF_MIME[mime]
    return next((bucket for prefix, bucket in _BUCKET_OF_MIME_PREFIX if mime.startswith(prefix)), None)


def categorize(urls: Iterable[str], refs: Mapping[str, AttachmentRef]) -> Categories:
    """The official `categorize_files`: by the attachment's kind or mime type, else by the URL's extension."""
    buckets: dict[str, list[str]] = {name: [] for name in ("images", "pdfs", "files", "documents", "audios", "videos")}
    for url in urls:
        bucket = _bucket_of_ref(refs.get(url)) if refs else None
        if bucket is None:
            bucket = _BUCKET_OF_EXTENSION.get(_extension(url))
        if bucket is not None and bucket != _UNCATEGORIZED:
            buckets[bucket].append(url)
    return Categories(**buckets)


def media_pipeline_disabled() -> bool:
    """`XPANDER_MEDIA_PIPELINE=legacy`: no attachment plan (notes, transcripts) in the message."""
    return os.environ.get(MEDIA_PIPELINE_ENV, "").strip().lower() == "legacy"


# -- the attachment plan (the official `plan_attachments` with the default model capabilities) ----------------------
@frozen
class Plan:
    images: list[str]
    """The image URLs a model is given (`get_images`)."""
    pdfs: list[str]
    """The PDF URLs a model is given (`get_files`)."""
    notes: list[str]
    media_texts: list[dict[str, str]]
    """The transcripts of audio and video attachments that have one."""


def plan(task: Task) -> Plan:
    """What the official SDK without agno does with each attachment, and the notes it adds to the message."""
    refs = attachment_refs(task.input)
    urls = file_urls(task.input)
    found = categorize(urls, refs)
    huge = {url for url, ref in refs.items() if ref.size is not None and ref.size > MAX_ATTACHMENT_BYTES}
    notes = [f"{url}: {TOO_LARGE_NOTE}" for url in [*found.images, *found.pdfs] if url in huge]
    images = [url for url in found.images if url not in huge]
    overflow = len(images) - MAX_ATTACHED_IMAGES
    known = found.known()
    unreadable = [url for url in urls if url not in known]
    if unreadable:
        notes.append(UNREADABLE_NOTE + ", ".join(unreadable))
    if overflow > 0:
        plural = "s" if overflow != 1 else ""
        notes.append(
            f"{overflow} additional image{plural} beyond the per-message limit ({MAX_ATTACHED_IMAGES}) listed above "
            "but not attached; fetch via your tools/workspace using the URLs"
        )
    media_texts: list[dict[str, str]] = []
    for url in [*found.audios, *found.videos]:
        transcript = (ref.transcript if (ref := refs.get(url)) is not None else None) or ""
        if task.disable_attachment_injection:
            notes.append(f"{url}: {NO_INJECTION_NOTE}")
        elif transcript.strip():
            media_texts.append({"url": url, "content": transcript})
        else:
            notes.append(f"{url}: {NOT_CONVERTED_NOTE}")
    if task.disable_attachment_injection:
        return Plan([], [], notes, media_texts)
    return Plan(images[:MAX_ATTACHED_IMAGES], [url for url in found.pdfs if url not in huge], notes, media_texts)


def image_urls(task: Task) -> list[str]:
    """`get_images()`: the image URLs a model is given."""
    urls = file_urls(task.input)
    if not urls:
        return []
    return categorize(urls, attachment_refs(task.input)).images if media_pipeline_disabled() else plan(task).images


def pdf_urls(task: Task) -> list[str]:
    """`get_files()`: the PDF URLs a model is given."""
    urls = file_urls(task.input)
    if not urls:
        return []
    return categorize(urls, attachment_refs(task.input)).pdfs if media_pipeline_disabled() else plan(task).pdfs


def media_texts(task: Task) -> list[dict[str, str]]:
    """`get_media_texts()`: the transcripts of audio and video attachments that have one."""
    if not file_urls(task.input) or media_pipeline_disabled():
        return []
    return plan(task).media_texts


# -- reading the text files ----------------------------------------------------------------------------------------
def truncate(content: str, url: str, remaining: int) -> str:
    """`content` cut to `remaining` characters and to the cap of one file, saying where the whole file is."""
    cap = min(environment_whole_number(MAX_INLINE_TEXT_CHARS_ENV, MAX_INLINE_TEXT_CHARS), max(0, remaining))
    if len(content) <= cap:
        return content
    return content[:cap] + f"\n... [truncated: {len(content):,} chars total - full file at {url}]"


def _total_chars() -> int:
    return environment_whole_number(MAX_INLINE_TOTAL_CHARS_ENV, MAX_INLINE_TOTAL_CHARS)


def _max_bytes() -> int:
    return environment_whole_number(MAX_INLINE_DOC_BYTES_ENV, MAX_FILE_BYTES, minimum=1)  # 0: no file could be read


def human_readable_files(task: Task) -> list[dict[str, str]]:
    """The text files with their content (`[{"url", "content"}]`), each cut to its share of the caps; only
    `{"url"}` for each when the task has `disable_attachment_injection` (nothing is read)."""
    urls = file_urls(task.input)
    if not urls:
        return []
    found = categorize(urls, attachment_refs(task.input))
    if task.disable_attachment_injection:
        return [{"url": url} for url in found.files]
    iwork = [url for url in found.documents if _extension(url) in _IWORK_EXTS]
    read = _read_all([*found.files, *iwork])
    texts = [{"url": url, "content": _text(task, url, read[url])} for url in found.files]
    texts += [{"url": url, "content": _document_text(url, read.get(url))} for url in found.documents]
    remaining = _total_chars()
    for item in texts:
        item["content"] = truncate(item["content"], url=item["url"], remaining=remaining)
        remaining -= len(item["content"])
    return texts


def _read_all(urls: list[str]) -> dict[str, Fetched | FileFetchError]:
    """Each URL (once), read concurrently through the guarded fetch, all under one deadline."""
    unique = list(dict.fromkeys(urls))
    if not unique:
        return {}
    from . import _safe_fetch  # noqa: PLC0415 - lazy: loads ipaddress, urllib.request and concurrent.futures, paid by the first file read

    deadline = Deadline.after(FILE_FETCH_TIMEOUT)
    results = _safe_fetch.fetch_many(unique, max_bytes=_max_bytes(), deadline=deadline, workers=FILE_FETCH_WORKERS)
    return dict(zip(unique, results, strict=True))


def _charset(content_type: str | None) -> str:
    """The charset of a Content-Type header, utf-8 by default (the official `_charset_of`)."""
    if content_type and "charset=" in content_type.lower():
        name = content_type.lower().split("charset=", 1)[1].split(";", 1)[0].strip().strip('"')
        if name:
            return name
    return "utf-8"


def _text(task: Task, url: str, read: Fetched | FileFetchError) -> str:
    if isinstance(read, FileFetchError):
        logger.warning("A file of task %s could not be read: %s", task.id, read.description)
        return FILE_UNREADABLE
    try:
        return read.content.decode(_charset(read.content_type), errors="replace")
    except (LookupError, ValueError):  # a charset Python does not know
        logger.warning("A file of task %s has an unknown charset: %r", task.id, read.content_type)
        return FILE_UNREADABLE


def _document_text(url: str, read: Fetched | FileFetchError | None) -> str:
    """An office document has no converter here: the official note; an iWork file, the official notes on its
    embedded preview (the official SDK opens the zip)."""
    if read is None or isinstance(read, FileFetchError):
        return DOC_UNREADABLE_NOTE
    if not read.content.startswith(b"PK"):
        return _IWORK_NOTES["unsupported"]
    return _IWORK_NOTES[_iwork_preview(read.content, _max_bytes())]


def _iwork_preview(data: bytes, cap: int) -> str:
    """Whether an iWork zip has a preview PDF: "ok", "too_large" (over `cap` once unpacked) or "missing"."""
    import io  # noqa: PLC0415 - an iWork file is rare: zipfile loads bz2 and lzma
    import zipfile  # noqa: PLC0415

    oversized = False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {name.lower(): name for name in archive.namelist()}
            candidates = [names[name] for name in ("quicklook/preview.pdf", "preview.pdf") if name in names]
            candidates += [
                real
                for lower, real in names.items()
                if lower.endswith(".pdf") and "quicklook" in lower and real not in candidates
            ]
            for name in candidates:
                if archive.getinfo(name).file_size <= cap:
                    return "ok"
                oversized = True
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, NotImplementedError):
        pass
    return "too_large" if oversized else "missing"


# -- the message ---------------------------------------------------------------------------------------------------
def is_json_payload(message: str) -> bool:
    """A JSON object or array: machine input, kept byte for byte (the official `_is_json_payload`)."""
    text = (message or "").lstrip()
    if not text or text[0] not in "{[":
        return False
    try:
        return isinstance(json.loads(message), dict | list)
    except ValueError:
        return False


def message(task: Task, retry_count: int, with_timestamp: bool) -> str:
    """`Task.to_message()`: the prompt, the file URLs, the text files' contents, the attachment notes, the retry
    prompt of an unfinished deep plan and the message's timestamp, as the official SDK writes them."""
    text = task.input.text or ""
    is_json = is_json_payload(text)
    urls = file_urls(task.input)
    message = text
    if not is_json and urls:
        message += ("\n" if message else "") + "Files: " + ", ".join(urls)
    blocks: list[dict[str, str]] = [] if is_json else human_readable_files(task)
    notes: list[str] = []
    if urls and not is_json and not media_pipeline_disabled():
        attachments = plan(task)
        remaining = max(0, _total_chars() - sum(len(block.get("content", "")) for block in blocks))
        for item in attachments.media_texts:
            if remaining <= 0:
                break
            content = truncate(item["content"], item["url"], remaining)
            remaining -= len(content)
            blocks.append({"url": item["url"], "content": content})
        notes = attachments.notes
    if blocks:
        message += "\nFiles contents:" + "".join(f"\n{json.dumps(block)}" for block in blocks)
    if notes:
        message += "\nAttachment notes:" + "".join(f"\n- {note}" for note in notes)
    if not is_json and task.deep_planning is not None and task.deep_planning.enabled and task.deep_planning.started:
        message = _with_retry_prompt(task, message, retry_count)
    if with_timestamp and not is_json_payload(message):
        sent_at = task.created_at or datetime.datetime.now(datetime.UTC)
        if sent_at.tzinfo is not None:
            sent_at = sent_at.astimezone(datetime.UTC)
        message += f"\n\nMessage timestamp (UTC): {sent_at.strftime('%Y-%m-%d %H:%M')}"
    return message


def _with_retry_prompt(task: Task, message: str, retry_count: int) -> str:
    """The official plan-following retry: reload the task (through its requestor), keep its local result, status,
    tokens and plan, and when the plan has open items and the result is not a question, the continuation prompt."""
    kept_plan = task.deep_planning
    with kept_local_run(task):
        task.reload()
    if kept_plan is not None and kept_plan.tasks:
        task.deep_planning = kept_plan
    if task.deep_planning is None or ends_with_question(task.result):
        return message
    open_items = [item for item in task.deep_planning.tasks if not item.completed]
    return retry_message(task, message, open_items, retry_count) if open_items else message


def retry_message(task: Task, message: str, open_items: list[DeepPlanningTask], retry_count: int) -> str:
    """The official `_build_retry_message`, word for word."""
    items = task.deep_planning.tasks if task.deep_planning is not None else []
    done = [item for item in items if item.completed]
    status = "\n".join(f"  {'[✓]' if item.completed else '[ ]'} {item.title} (ID: {item.id})" for item in items)
    following = open_items[0]
    hint = ""
    if task.additional_context and "<compacted_context>" in task.additional_context:
        hint = (
            "\nCRITICAL: Your previous work context (including ALL research data, findings, "
            "pricing details, and key facts) has been preserved in the system prompt under "
            "<compacted_context>. This summary contains EVERYTHING you need to continue. "
            "Do NOT re-search or re-fetch data that is already in the summary. "
            "Use the data directly from the summary to complete remaining tasks.\n"
        )
    prompt = (
        f"You stopped before completing all tasks. This is attempt {retry_count + 1}. "
        f"You MUST finish ALL remaining tasks.\n\n"
        f"Current plan status:\n{status}\n\n"
        f"Completed: {len(done)}/{len(items)} tasks\n\n"
        f"Your next task: {following.title} (ID: {following.id})\n"
        f"{hint}\n"
        f"IMPORTANT: Do NOT stop early. Do NOT re-research completed tasks. "
        f"Complete each remaining task and mark it done using "
        f"xpcomplete_agent_plan_items with the FULL UUID immediately after finishing it."
    )
    return f"<task_input>\n{message}\n</task_input>\n\n{prompt}" if message else prompt
