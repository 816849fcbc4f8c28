"""The one guarded fetch of a URL a user supplied (the files a task names): a security boundary.

A worker runs next to what such a URL must never reach (the cloud metadata address 169.254.169.254, services of
the private network, the machine's own ports), and what it fetches goes into a model's prompt. So, as the
official SDK's `utils/safe_fetch.py` does, each hop of a fetch:

- resolves the host and refuses it when any of its addresses is internal: private, loopback, CGNAT, link-local
  (the metadata address among them), multicast, unspecified, reserved (an IPv6 address that carries an IPv4 one,
  mapped or 6to4, is judged by the IPv4 one);
- connects to the very address it validated: the request goes to the IP, with the Host header and TLS's server
  name (and certificate check) on the host name, so that no second lookup can rebind the name;
- follows no redirect by itself: a Location is a new hop, validated again, at most `FILE_FETCH_MAX_REDIRECTS`;
- counts the bytes as they come, and stops past the cap;
- keeps to one deadline (`_deadline.Deadline`) for all of it: the lookup, the connects, every read of every hop
  (the network backend of `_httpcore_backend` applies it to each socket operation);
- sends nothing of the SDK's: a client of its own for each hop (no pooled connection, no API key, no SDK header,
  no netrc or environment credentials), with httpx's default headers and `accept-encoding: identity`.

The settings are read from the environment at each fetch (`_constants`): XPANDER_SAFE_FETCH,
XPANDER_EGRESS_ALLOWLIST, XPANDER_INTERNAL_FETCH_ALLOWLIST. A hop the environment sends through a proxy
(HTTP_PROXY/HTTPS_PROXY, NO_PROXY honoured) goes through it by name, as in the official SDK (the proxy resolves
it: no pinning there); the allowlist still applies, a literal internal address is refused, and a name that
resolves here must resolve to allowed addresses. A refused or failed fetch raises `FileFetchError`.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import httpx

from . import _httpcore_backend
from ._constants import (
    EGRESS_ALLOWLIST_ENV,
    FILE_FETCH_HEADERS,
    FILE_FETCH_MAX_REDIRECTS,
    FILE_FETCH_TIMEOUT,
    INTERNAL_FETCH_ALLOWLIST_ENV,
    SAFE_FETCH_ENV,
)
from ._deadline import ATTEMPT_DEADLINE, Deadline
from .exceptions import NO_HTTP_STATUS, FileFetchError

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable, Sequence

logger = logging.getLogger("xpander_sdk")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598: not `is_private` for Python
_METADATA = ipaddress.ip_address("169.254.169.254")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_SHOWN_URL = 200


class Fetched(NamedTuple):
    """What a fetch read: the URL that answered (after redirects), its status, content type and bytes."""

    url: str
    status: int
    content_type: str | None
    content: bytes


class Policy(NamedTuple):
    """The fetch settings of the environment, read at each fetch."""

    mode: str
    """"enforce", "warn" or "legacy" ("enforce" whenever the egress allowlist is set)."""
    egress: tuple[str, ...] | None
    internal_names: tuple[str, ...]
    internal_networks: tuple[IPNetwork, ...]
    proxies: dict[str, str]
    """The environment's proxies by scheme, and `no` (NO_PROXY), as urllib reads them."""

    @classmethod
    def from_environment(cls) -> Policy:
        listed = tuple(entry.strip(".") for entry in _entries(os.environ.get(EGRESS_ALLOWLIST_ENV)))
        egress = tuple(entry for entry in listed if entry) or None
        mode = (os.environ.get(SAFE_FETCH_ENV) or "").strip().lower()
        if egress is not None or mode not in ("warn", "legacy"):
            mode = "enforce"
        names: list[str] = []
        networks: list[IPNetwork] = []
        for entry in _entries(os.environ.get(INTERNAL_FETCH_ALLOWLIST_ENV)):
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                if entry.strip("."):
                    names.append(entry.strip("."))
        return cls(mode, egress, tuple(names), tuple(networks), urllib.request.getproxies_environment())


def _entries(raw: str | None) -> Iterable[str]:
    """The entries of a comma-separated list, lower-cased, without a leading `*.`."""
    for item in (raw or "").split(","):
        entry = item.strip().lower()
        entry = entry[2:] if entry.startswith("*.") else entry
        if entry:
            yield entry


def _matches(host: str, names: Sequence[str]) -> bool:
    """Whether `host` is one of `names` or a subdomain of one."""
    bare = host.strip().strip("[]").lower().rstrip(".")
    return any(bare == name or bare.endswith("." + name) for name in names)


class _Stop(Exception):
    """Why a fetch ends without content: `refused` by the policy, or failed."""

    def __init__(self, reason: str, *, refused: bool = False, status: int = NO_HTTP_STATUS) -> None:
        super().__init__(reason)
        self.reason, self.refused, self.status = reason, refused, status


class _Unreachable(_Stop):
    """A connection to one address failed: the next validated address is tried."""


class _Hop(NamedTuple):
    url: httpx.URL
    host: str
    """ASCII (IDNA) host name or IP address, without brackets."""
    port: int
    literal: bool
    """The host is an IP address."""

    @classmethod
    def of(cls, url: str | httpx.URL) -> _Hop:
        try:
            parsed = httpx.URL(url)
            host = parsed.raw_host.decode("ascii")
        except (httpx.InvalidURL, ValueError, TypeError):
            raise _Stop("it is not a valid URL") from None
        if parsed.scheme not in ("http", "https"):
            raise _Stop("only http and https URLs are fetched", refused=True)
        if not host:
            raise _Stop("the URL has no host")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        return cls(parsed, host, port, _address(host) is not None)

    @property
    def authority(self) -> str:
        """The Host header: the host (bracketed when IPv6) and a port that is not the scheme's default."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.url.port is None else f"{shown}:{self.url.port}"


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _verdict(ip: IPAddress) -> tuple[str, bool] | None:
    """What kind of internal address `ip` is, and whether listing it may allow it; None for a public one."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _verdict(ip.ipv4_mapped)
    kinds = (  # in this order: ::1 is also "reserved" for Python (::/8), but listing it may allow it
        ("the cloud metadata address", ip == _METADATA, False),
        ("a link-local address", ip.is_link_local, False),
        ("a multicast address", ip.is_multicast, False),
        ("an unspecified address", ip.is_unspecified, False),
        ("a loopback address", ip.is_loopback, True),
        ("a reserved address", ip.is_reserved, False),
        ("a shared (CGNAT) address", isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, True),
        ("a private address", ip.is_private, True),
    )
    for kind, found, listable in kinds:
        if found:
            return kind, listable
    carried = ip.sixtofour if isinstance(ip, ipaddress.IPv6Address) else None  # 2002::/16 carries an IPv4
    return None if carried is None else _verdict(carried)


def _listed(ip: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    candidates = (ip,) if mapped is None else (ip, mapped)
    return any(c.version == n.version and c in n for c in candidates for n in networks)


def _check(hop: _Hop, addresses: Sequence[str], policy: Policy) -> None:
    """Refuse the hop when one of the host's addresses may not be reached."""
    host_listed = _matches(hop.host, policy.internal_names)
    for text in addresses:
        ip = _address(text.partition("%")[0])
        verdict = ("an unreadable address", False) if ip is None else _verdict(ip)
        if verdict is None:
            continue
        kind, listable = verdict
        if ip is not None and listable and (host_listed or _listed(ip, policy.internal_networks)):
            continue
        where = f"{hop.host} is {kind}" if hop.literal else f"{hop.host} resolves to {text}, {kind}"
        advice = f" (not listed in {INTERNAL_FETCH_ALLOWLIST_ENV})" if listable else " (never fetched)"
        raise _Stop(where + advice, refused=True)


def _lookup(hop: _Hop, deadline: Deadline) -> list[str]:
    """The host's addresses, in order; the lookup runs on a thread of its own so that the deadline holds."""
    if hop.literal:
        return [hop.host]
    found: list[str] = []
    done = threading.Event()

    def run() -> None:
        try:
            infos = socket.getaddrinfo(hop.host, hop.port, proto=socket.IPPROTO_TCP)
            found.extend(dict.fromkeys(str(info[4][0]) for info in infos))
        except (OSError, UnicodeError):
            pass
        done.set()

    threading.Thread(target=run, name="xpander-sdk-resolve", daemon=True).start()
    left = deadline.left()
    if not done.wait(None if left is None else max(0.0, left)):
        raise _Stop(f"resolving {hop.host} did not end before the deadline")
    if not found:
        raise _Stop(f"cannot resolve {hop.host}")
    return found


def _allowed_addresses(hop: _Hop, policy: Policy, deadline: Deadline, *, proxied: bool) -> list[str]:
    """The validated addresses to connect to ([] through a proxy, which resolves the name itself)."""
    if policy.egress is not None and not _matches(hop.host, policy.egress):
        raise _Stop(f"{hop.host} is not in {EGRESS_ALLOWLIST_ENV}", refused=True)
    try:
        addresses = _lookup(hop, deadline)
    except _Stop:
        if proxied:  # a name only the proxy can resolve is the proxy's to reach
            return []
        raise
    _check(hop, addresses, policy)
    return [] if proxied else addresses


def _proxy_for(hop: _Hop, proxies: dict[str, str]) -> str | None:
    """The proxy the environment routes this hop through, or None (NO_PROXY honoured)."""
    try:
        proxy = proxies.get(hop.url.scheme)
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # not in typeshed
        if not proxy or bypass(hop.host, proxies):
            return None
        return proxy
    except (ValueError, OSError):
        return None


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for the file hosts (httpx would build one, about 30 ms, for every client)."""
    return httpx.create_ssl_context()


def _client(proxy: str | None) -> httpx.Client:
    try:
        client = httpx.Client(verify=_ssl_context(), trust_env=False, timeout=FILE_FETCH_TIMEOUT, proxy=proxy)
    except (ImportError, ValueError, httpx.InvalidURL) as exc:  # a socks:// proxy without httpx[socks]
        raise _Stop(f"the proxy {shown(proxy or '')} cannot be used ({type(exc).__name__})") from None
    _httpcore_backend.install(client)
    return client


def _get(hop: _Hop, ip: str | None, proxy: str | None, max_bytes: int, deadline: Deadline) -> Fetched | httpx.URL:
    """One GET of the hop (to `ip` when given, by name otherwise): the content, or where it redirects."""
    headers = dict(FILE_FETCH_HEADERS)
    extensions: dict[str, str] = {}
    url = hop.url
    if ip is not None:
        url, headers["host"] = url.copy_with(host=ip), hop.authority
        if hop.url.scheme == "https" and not hop.literal:
            extensions["sni_hostname"] = hop.host
    token = ATTEMPT_DEADLINE.set(deadline.at)
    try:
        with _client(proxy) as client:
            request = client.build_request("GET", url, headers=headers, extensions=extensions)
            response = client.send(request, stream=True)
            try:
                return _read(response, hop, max_bytes)
            finally:
                response.close()
    except httpx.ConnectError:
        where = f" at {ip}" if ip is not None else " through the proxy" if proxy is not None else ""
        raise _Unreachable(f"cannot connect to {hop.host}{where}") from None
    except httpx.TimeoutException:
        raise _Stop("the deadline passed before the file was read") from None
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
        raise _Stop(f"{type(exc).__name__} from {hop.host}") from None
    finally:
        ATTEMPT_DEADLINE.reset(token)


def _read(response: httpx.Response, hop: _Hop, max_bytes: int) -> Fetched | httpx.URL:
    location = response.headers.get("location")
    if response.status_code in _REDIRECTS and location:
        return hop.url.join(location)
    if response.status_code >= 400:
        raise _Stop(f"{hop.host} answered {response.status_code}", status=response.status_code)
    too_large = f"the file is larger than {max_bytes:,} bytes"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _Stop(too_large)
    content = bytearray()
    for chunk in response.iter_bytes():
        content += chunk
        if len(content) > max_bytes:
            raise _Stop(too_large)
    return Fetched(str(hop.url), response.status_code, response.headers.get("content-type"), bytes(content))


def _fetch_hop(hop: _Hop, policy: Policy, max_bytes: int, deadline: Deadline) -> Fetched | httpx.URL:
    if deadline.passed():
        raise _Stop("the deadline passed before the file was read")
    proxy = _proxy_for(hop, policy.proxies)
    addresses: list[str] = []
    if policy.mode != "legacy":
        try:
            addresses = _allowed_addresses(hop, policy, deadline, proxied=proxy is not None)
        except _Stop as stop:
            if policy.mode != "warn" or not stop.refused:
                raise
            logger.warning("%s=warn: %s would be refused (%s); fetched anyway", SAFE_FETCH_ENV, hop.host, stop.reason)
    if not addresses:
        return _get(hop, None, proxy, max_bytes, deadline)
    unreachable = _Unreachable(f"cannot connect to {hop.host}")
    for ip in addresses:  # several validated addresses (a CDN): the next one when a connect fails
        try:
            return _get(hop, ip, None, max_bytes, deadline)
        except _Unreachable as error:
            unreachable = error
    raise unreachable


def fetch(url: str, *, max_bytes: int, deadline: Deadline, policy: Policy | None = None) -> Fetched:
    """GET a user-supplied URL under `policy` (default: the environment's now, see the module's docstring), reading
    at most `max_bytes`, all before `deadline`. FileFetchError (naming the URL without its query) when refused or
    failed."""
    policy = Policy.from_environment() if policy is None else policy
    current: str | httpx.URL = url
    try:
        for _ in range(FILE_FETCH_MAX_REDIRECTS + 1):
            answer = _fetch_hop(_Hop.of(current), policy, max_bytes, deadline)
            if isinstance(answer, Fetched):
                return answer
            current = answer
        raise _Stop(f"more than {FILE_FETCH_MAX_REDIRECTS} redirects", refused=True)
    except _Stop as stop:
        reason = stop.reason if current is url else f"at its redirect to {shown(str(current))}: {stop.reason}"
        raise FileFetchError(shown(url), reason, refused=stop.refused, status_code=stop.status) from None


def fetch_many(
    urls: Sequence[str], *, max_bytes: int, deadline: Deadline, workers: int
) -> list[Fetched | FileFetchError]:
    """`fetch` of each URL, `workers` at a time, all under the one deadline and the environment's policy of now:
    the content or the error of each."""
    policy = Policy.from_environment()

    def one(url: str) -> Fetched | FileFetchError:
        try:
            return fetch(url, max_bytes=max_bytes, deadline=deadline, policy=policy)
        except FileFetchError as error:
            return error

    if len(urls) <= 1:
        return [one(url) for url in urls]
    with ThreadPoolExecutor(max_workers=min(workers, len(urls)), thread_name_prefix="xpander-sdk-fetch") as pool:
        return list(pool.map(one, urls))


def shown(url: str) -> str:
    """`url` as errors and logs show it: no userinfo, query string or fragment (a presigned URL's signature is in
    its query), and at most `MAX_SHOWN_URL` characters."""
    try:
        parts = urlsplit(url)
        text = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
    except ValueError:
        return "(a URL that cannot be parsed)"
    return text if len(text) <= MAX_SHOWN_URL else text[:MAX_SHOWN_URL] + "..."
