"""Every default of the SDK in one place: where to call, how long to wait, how often to retry, and the
environment variables that change them. Read this module to audit what a bare `Tasks()` does."""

from __future__ import annotations

import httpx

from ._version import __version__

# -- where ------------------------------------------------------------------------------------------------------
CLOUD_URL = "https://inbound.xpander.ai"
STAGING_URL = "https://inbound.stg.xpander.ai"
AGENT_CONTROLLER_PORT = 9016
"""A base URL on this port is a self-hosted agent controller (the organization id joins the path)."""
CLOUD_EVENTS_HOSTS = {
    "inbound.xpander.ai": "https://agent-controller.xpander.ai",
    "inbound.stg.xpander.ai": "https://agent-controller.stg.xpander.ai",
}
"""The cloud serves task events from its agent controller, not from the REST host (compared lower-cased)."""
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
LOCAL_API_PORT = 8085
LOCAL_EVENTS_ROOT = "http://localhost:9016"
"""A local development stack: the API on a loopback port 8085, its agent controller (events) on 9016."""

# -- environment variables --------------------------------------------------------------------------------------
API_KEY_ENV = "XPANDER_API_KEY"
BASE_URL_ENV = "XPANDER_BASE_URL"
ORGANIZATION_ID_ENV = "XPANDER_ORGANIZATION_ID"
AGENT_ID_ENV = "XPANDER_AGENT_ID"
STAGING_ENV = "IS_STG"
TIMEOUT_ENV = "XPANDER_TIMEOUT"
MAX_RETRIES_ENV = "XPANDER_MAX_RETRIES"
HTTP_TRANSPORT_ENV = "XPANDER_HTTP_TRANSPORT"

# -- time ---------------------------------------------------------------------------------------------------------
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
"""10 s to connect, 60 s for each read, write and wait for a pooled connection, and 60 s for a whole attempt."""
MAX_CONNECT_TIMEOUT = 10.0
"""`timeout=5` means 5 s for everything; `timeout=30` keeps connecting to 10 s (a host that does not answer a
connect in 10 s is down)."""

STREAM_READ_TIMEOUT = 60.0
"""An event stream silent this long (no event, no heartbeat comment) is taken as dropped and reconnected."""
WAIT_TIMEOUT = 600.0
"""How long `await_result`/`wait` and `create_and_wait` wait for a task to finish, in all."""
POLL_INITIAL_INTERVAL = 0.5
POLL_MAX_INTERVAL = 5.0
"""Waiting without events polls the task's status: 0.5 s, then doubled each time up to 5 s."""

# -- connections --------------------------------------------------------------------------------------------------
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0)

STREAM_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=20, keepalive_expiry=30.0)
"""Event streams have a pool of their own, without a cap: each open stream holds a connection for as long as
it lasts, so they never take the places create and get calls wait for (bound them with `acreate_many`)."""
CREATE_MANY_CONCURRENCY = 16

AGENT_CACHE_SECONDS = 5.0
"""How long an agent read (`Agents().aget`) is reused, as the official SDK: an agent is mutable state (tools
attached or detached must reach the next task), so this only spares the repeated reads of one task's setup."""
AGENT_CACHE_SIZE = 256
"""The most agent reads kept (per base URL, organization, API key, agent id and version), oldest dropped first."""
HTTP_TRANSPORTS = ("aiohttp", "httpx")
DEFAULT_HTTP_TRANSPORT = "aiohttp"
"""The SDK's own async clients run on aiohttp's connection pool under asyncio (through httpx-aiohttp: the httpx
API on top), which keeps each call as fast at 1,000 in flight as at one; "httpx" is httpx's own transport
(always under trio). Set by `Tasks(http_transport=...)` or `XPANDER_HTTP_TRANSPORT`."""

# -- retries ------------------------------------------------------------------------------------------------------
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
"""Seconds before the first retry; doubled for each next one, times a random 0.5-1.0."""
MAX_RETRY_DELAY = 8.0
MAX_RECONNECTS = 5
"""Reconnects of an event stream in a row without a new event before it gives up (EventStreamError)."""
MAX_RETRY_AFTER = 60.0
"""A `Retry-After` longer than this is not waited for: the error is raised with its `retry_after`."""

# -- workers (`@on_task`) ------------------------------------------------------------------------------------------
WORKER_CONCURRENCY = 6
"""Tasks a worker runs at once (the official worker's thread pool of 6), unless `XPANDER_WORKER_CONCURRENCY` says."""
WORKER_CONCURRENCY_ENV = "XPANDER_WORKER_CONCURRENCY"
WORKER_GRACE_PERIOD = 15.0
"""Seconds a stopping worker lets its running handlers finish before it ends them (`error`, saying why): with the
report window after it, a stop takes under 30 s, the default time Kubernetes waits before it kills a pod."""
WORKER_REPORT_WINDOW = 10.0
"""Seconds a stopping worker, its grace period over, still tries to save the tasks it ended."""
WORKER_READ_TIMEOUT = 120.0
"""A registration stream silent this long (no task, no `: ping` comment) is taken as dropped and reconnected."""
WORKER_HEARTBEAT_INTERVAL = 2.0
"""Seconds between a worker's heartbeats (the official's)."""
WORKER_NEWS_TIMEOUT = 10.0
"""Seconds one heartbeat or capacity update may take (the official's timeout)."""
WORKER_RECONNECT_MAX_DELAY = 30.0
"""The longest pause between two attempts to reach the controller (exponential from 0.5 s, with jitter)."""
WORKER_CONFIG_EXIT_STATUS = 78
"""The exit status of a worker that cannot start or go on for its configuration (EX_CONFIG in sysexits.h)."""
WORKER_AUTOSTART_ENV = "XPANDER_WORKER_AUTOSTART"
"""`false` (or `0`): `@on_task` in the script being run does not start the worker (see `on_task`)."""
CLOUD_WORKER_ENV = "IS_XPANDER_CLOUD"
"""`true`: the worker registers in the `xpander` environment instead of `local` (the official's switch)."""

# -- what is sent and shown ---------------------------------------------------------------------------------------
USER_AGENT = f"xpander-tasks-python/{__version__} httpx/{httpx.__version__}"
SDK_HEADERS = {"accept": "application/json", "user-agent": USER_AGENT}
"""Sent with every request: default headers of the clients the SDK makes, added per request to a caller's."""
MAX_DESCRIPTION_CHARS = 2000
"""An error's description is cut here (a proxy's HTML page can be long)."""

# -- the files a task names (the worker side: `Task.to_message`, `get_human_readable_files`) ----------------------
SAFE_FETCH_ENV = "XPANDER_SAFE_FETCH"
"""How user-supplied URLs are fetched: unset or "enforce" (internal addresses refused), "warn" (logged, then
fetched), "legacy" (no checks). Read at each fetch, as the other two below."""
EGRESS_ALLOWLIST_ENV = "XPANDER_EGRESS_ALLOWLIST"
"""Comma-separated hosts or domains (a domain matches its subdomains): when set, only those are fetched, and
"warn" and "legacy" are ignored."""
INTERNAL_FETCH_ALLOWLIST_ENV = "XPANDER_INTERNAL_FETCH_ALLOWLIST"
"""Comma-separated hosts, domains or CIDRs allowed to resolve to private or loopback space (link-local and the
metadata address, multicast, unspecified and reserved addresses stay refused whatever is listed)."""
MEDIA_PIPELINE_ENV = "XPANDER_MEDIA_PIPELINE"
""""legacy" leaves the attachment plan out of `to_message` (no attachment notes, no transcripts)."""
MAX_INLINE_TEXT_CHARS_ENV = "XPANDER_MAX_INLINE_TEXT_CHARS"
MAX_INLINE_TOTAL_CHARS_ENV = "XPANDER_MAX_INLINE_TOTAL_CHARS"
MAX_INLINE_DOC_BYTES_ENV = "XPANDER_MAX_INLINE_DOC_BYTES"
MAX_INLINE_TEXT_CHARS = 8000
"""Characters of one file's text put into a message (the rest is cut, with a note naming the file's URL)."""
MAX_INLINE_TOTAL_CHARS = 24000
"""Characters of all the files' texts of one message together."""
MAX_FILE_BYTES = 15 * 1024 * 1024
"""The largest file read for a message (bigger: "Error: file could not be read")."""
FILE_FETCH_TIMEOUT = 10.0
"""Seconds for reading all the files of a message, together (one deadline: resolving, connecting, redirects)."""
FILE_FETCH_WORKERS = 10
"""Files of one message read at the same time."""
FILE_FETCH_MAX_REDIRECTS = 5
MAX_ATTACHED_IMAGES = 20
"""Images passed to a model with one message (`get_images`); the others get an attachment note."""
MAX_ATTACHMENT_BYTES = 30 * 1024 * 1024
"""An image or PDF whose attachment says it is larger is not attached (an attachment note names it)."""
FILE_FETCH_HEADERS = {"accept-encoding": "identity"}
"""The only header sent to a file host besides httpx's defaults (never the API key or the SDK's headers):
identity, so that the size cap counts the bytes that come (a host that compresses anyway: one gzip or deflate
layer is inflated, no further than the cap; any other encoding is refused)."""
