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

# -- environment variables --------------------------------------------------------------------------------------
API_KEY_ENV = "XPANDER_API_KEY"
BASE_URL_ENV = "XPANDER_BASE_URL"
ORGANIZATION_ID_ENV = "XPANDER_ORGANIZATION_ID"
STAGING_ENV = "IS_STG"
TIMEOUT_ENV = "XPANDER_TIMEOUT"
MAX_RETRIES_ENV = "XPANDER_MAX_RETRIES"

# -- time ---------------------------------------------------------------------------------------------------------
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
"""10 s to connect, 60 s for each read, write and wait for a pooled connection, and 60 s for a whole attempt."""
MAX_CONNECT_TIMEOUT = 10.0
"""`timeout=5` means 5 s for everything; `timeout=30` keeps connecting to 10 s (a host that does not answer a
connect in 10 s is down)."""

# -- connections --------------------------------------------------------------------------------------------------
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0)

# -- retries ------------------------------------------------------------------------------------------------------
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
"""Seconds before the first retry; doubled for each next one, times a random 0.5-1.0."""
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
"""A `Retry-After` longer than this is not waited for: the error is raised with its `retry_after`."""

# -- what is sent and shown ---------------------------------------------------------------------------------------
USER_AGENT = f"xpander-tasks-python/{__version__} httpx/{httpx.__version__}"
SDK_HEADERS = {"accept": "application/json", "user-agent": USER_AGENT}
"""Sent with every request: default headers of the clients the SDK makes, added per request to a caller's."""
MAX_DESCRIPTION_CHARS = 2000
"""An error's description is cut here (a proxy's HTML page can be long)."""
