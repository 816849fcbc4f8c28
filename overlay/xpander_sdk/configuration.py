"""`Configuration`: the API key, the base URL and the organization id, from arguments or the environment.

The official SDK's rules: the cloud root is `https://inbound.xpander.ai` (staging when `IS_STG=true`);
`XPANDER_BASE_URL` overrides it, with `https://` added when it has no scheme; on a self-hosted agent controller
(host name containing `agent-controller`, port 9016, or a first path segment `agent-controller`) the
organization id is added to the root as one path segment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from urllib.parse import quote, urlsplit

from attrs import define, field

from ._constants import (
    AGENT_CONTROLLER_PORT,
    API_KEY_ENV,
    BASE_URL_ENV,
    CLOUD_URL,
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
    object is made: `XPANDER_API_KEY`, `XPANDER_BASE_URL` (else the cloud, or staging with `IS_STG=true`)
    and `XPANDER_ORGANIZATION_ID`. The API key never appears in its repr."""

    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    organization_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.api_key is None:
            self.api_key = _env(API_KEY_ENV)
        if self.base_url is None:
            self.base_url = _default_base_url()
        if self.organization_id is None:
            self.organization_id = _env(ORGANIZATION_ID_ENV)

    @property
    def root_url(self) -> str:
        """The URL the API's paths are added to: the base URL, plus `/{organization_id}` on an agent controller.

        On an agent controller without an organization id this raises InvalidArgumentError: the official SDK
        sends `/None/...` there, and leaving the segment out would reach another route."""
        return _root_url(self.base_url or CLOUD_URL, self.organization_id)


@lru_cache(maxsize=64)
def _root_url(base_url: str, organization_id: str | None) -> str:
    """`Configuration.root_url`, worked out once per base URL and organization id (every call needs it)."""
    base = with_scheme(base_url)
    if not is_agent_controller(base):
        return base
    if not organization_id:
        raise InvalidArgumentError(
            "organization_id",
            f"organization_id is needed: {base} is an agent controller, whose routes start with the "
            f"organization id; set {ORGANIZATION_ID_ENV} or pass Configuration(organization_id=...)",
        )
    return f"{base}/{quote(organization_id, safe='')}"
