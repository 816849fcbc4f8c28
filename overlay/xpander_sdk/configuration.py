"""`Configuration`: the API key, the base URL and the organization id, from arguments or the environment.

The official SDK's rules: the cloud root is `https://inbound.xpander.ai` (staging when `IS_STG=true`);
`XPANDER_BASE_URL` overrides it, with `https://` added when it has no scheme; on a self-hosted agent controller
(host name containing `agent-controller`, port 9016, or a first path segment `agent-controller`) the
organization id is added to the root as one path segment.

Events (`Task.aevents()`) are served by the agent controller, whose root `events_root_url` computes (the
official `get_events_root`, with its two faults fixed): the cloud's `inbound` hosts map to its
`agent-controller` hosts; a loopback base on port 8085 (a local development stack) maps to
`http://localhost:9016`; any other base keeps its URL; and the organization id is always the next path segment.
The official SDK turns a trailing slash into `//org` and a missing organization id into `/None/`: here the
slash is dropped, a task's events go under the task's own organization id (`events_root_url_for`; the configured
one when the task has none), and an id that neither gives is refused, naming `organization_id`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from urllib.parse import quote, urlsplit

from attrs import define, field

from ._constants import (
    AGENT_CONTROLLER_PORT,
    AGENT_ID_ENV,
    API_KEY_ENV,
    BASE_URL_ENV,
    CLOUD_EVENTS_HOSTS,
    CLOUD_URL,
    LOCAL_API_PORT,
    LOCAL_EVENTS_ROOT,
    LOOPBACK_HOSTS,
    ORGANIZATION_ID_ENV,
    STAGING_ENV,
    STAGING_URL,
)
from .exceptions import InvalidArgumentError


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _default_base_url() -> str:
    configured = _env(BASE_URL_ENV)
    if configured:
        return configured
    return STAGING_URL if (_env(STAGING_ENV) or "").strip().lower() == "true" else CLOUD_URL


def with_scheme(url: str) -> str:
    """`url` with `https://` in front when it has no scheme, and no trailing slash."""
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    return url.rstrip("/")


def is_agent_controller(base_url: str) -> bool:
    """True for a self-hosted agent controller, where the organization id belongs in the path."""
    try:
        parts = urlsplit(with_scheme(base_url))
    except ValueError:  # not a URL at all: refused, naming base_url, when the request is built
        return False
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = None
    first_segment = parts.path.strip("/").split("/", 1)[0]
    return "agent-controller" in host or port == AGENT_CONTROLLER_PORT or first_segment == "agent-controller"


@define(kw_only=False)
class Configuration:
    """Where and as whom to call the API. Arguments left as None are read from the environment when the
    object is made: `XPANDER_API_KEY`, `XPANDER_BASE_URL` (else the cloud, or staging with `IS_STG=true`),
    `XPANDER_ORGANIZATION_ID` and `XPANDER_AGENT_ID`. The API key never appears in its repr."""

    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    organization_id: str | None = None
    agent_id: str | None = None
    """The agent that agent code works for (`Agents().aget()`, `Backend().ainvoke_agent()` and the worker use it
    when given no agent id); from `XPANDER_AGENT_ID` when not given."""

    def __attrs_post_init__(self) -> None:
        if self.api_key is None:
            self.api_key = _env(API_KEY_ENV)
        if self.base_url is None:
            self.base_url = _default_base_url()
        if self.organization_id is None:
            self.organization_id = _env(ORGANIZATION_ID_ENV)
        if self.agent_id is None:
            self.agent_id = _env(AGENT_ID_ENV)

    def agent_id_or_default(self, agent_id: object) -> object:
        """The agent a call works for: `agent_id` when given (not None or empty, as the official `or` chains), else
        this configuration's, else `XPANDER_AGENT_ID` as it is now. InvalidArgumentError naming `agent_id` when
        there is none (the official SDK sends `None` in the path). The one rule `Agents`, `Backend` and the
        reports follow; a given value is checked by the route."""
        chosen = agent_id or self.agent_id or _env(AGENT_ID_ENV)
        if chosen is None:
            raise InvalidArgumentError(
                "agent_id", f"No agent id: pass agent_id, or set {AGENT_ID_ENV} or Configuration(agent_id=...)"
            )
        return chosen

    @property
    def root_url(self) -> str:
        """The URL the API's paths are added to: the base URL, plus `/{organization_id}` on an agent controller.

        On an agent controller without an organization id this raises InvalidArgumentError: the official SDK
        sends `/None/...` there, and leaving the segment out would reach another route."""
        return _root_url(self.base_url or CLOUD_URL, self.organization_id)

    @property
    def events_root_url(self) -> str:
        """The URL the events path is added to (see the module docstring); InvalidArgumentError without an
        organization id, which every events URL holds."""
        return self.events_root_url_for(None)

    def events_root_url_for(self, task_organization_id: str | None) -> str:
        """The events root of a task of `task_organization_id`: under the task's own organization id, the
        server's record of where the task lives, or this configuration's when the task gives none. So events and
        waits work with only an API key, and a stale `XPANDER_ORGANIZATION_ID` (on the cloud it serves only
        events) does not send them to another organization's 404. The one place the SDK and the command line
        decide this."""
        organization_id = task_organization_id or self.organization_id
        return _events_root_url(self.base_url or CLOUD_URL, organization_id)


@lru_cache(maxsize=64)
def _root_url(base_url: str, organization_id: str | None) -> str:
    """`Configuration.root_url`, worked out once per base URL and organization id (every call needs it)."""
    base = with_scheme(base_url)
    if not is_agent_controller(base):
        return base
    return f"{base}/{_organization_segment(organization_id, f'{base} is an agent controller, whose routes')}"


@lru_cache(maxsize=64)
def _events_root_url(base_url: str, organization_id: str | None) -> str:
    """`Configuration.events_root_url`, worked out once per base URL and organization id."""
    base = with_scheme(base_url)
    if is_agent_controller(base):
        return _root_url(base_url, organization_id)
    try:
        parts = urlsplit(base)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:  # not a URL: refused, naming base_url, when the request is built
        host, port = "", None
    if host in CLOUD_EVENTS_HOSTS:
        base = CLOUD_EVENTS_HOSTS[host]
    elif host in LOOPBACK_HOSTS and port == LOCAL_API_PORT:
        base = LOCAL_EVENTS_ROOT
    return f"{base}/{_organization_segment(organization_id, 'task events, whose URLs')}"


def _organization_segment(organization_id: str | None, needed_by: str) -> str:
    if not organization_id:
        raise InvalidArgumentError(
            "organization_id",
            f"organization_id is needed: {needed_by} start with the organization id; set "
            f"{ORGANIZATION_ID_ENV} or pass Configuration(organization_id=...)",
        )
    return quote(organization_id, safe="")
