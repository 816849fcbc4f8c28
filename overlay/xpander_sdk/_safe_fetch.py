"""The one guarded fetch of a URL a user supplied (the files a task names): a security boundary.

A worker runs next to what such a URL must never reach (the cloud metadata address 169.254.169.254, services of
the private network, the machine's own ports), and what it fetches goes into a model's prompt. So, as the
official SDK's `utils/safe_fetch.py` does, each hop of a fetch:

- resolves the host (one trailing dot dropped) and refuses it when any of its addresses is internal: private,
  loopback, CGNAT, site-local (IPv6 fec0::/10), link-local (the metadata address among them), multicast,
  unspecified, reserved (an IPv6 address that carries an IPv4 one, mapped or 6to4, is judged by the IPv4 one);
- connects to the very address it validated: the request goes to the IP, with the Host header and TLS's server
  name (and certificate check) on the host name, so that no second lookup can rebind the name;
- follows no redirect by itself: a Location is a new hop, validated again, at most `FILE_FETCH_MAX_REDIRECTS`;
- counts the bytes as they come, and stops past the cap: the bytes on the wire, and, for a body a host sends
  compressed anyway (one gzip or deflate layer), the bytes it inflates to, inflated here no further than the cap
  (any other Content-Encoding is refused, never decoded: a compressed body is how a few bytes become gigabytes);
- keeps to one deadline (`_deadline.Deadline`) for all of it: the lookup, the connects, every read of every hop
  (the network backend of `_httpcore_backend` applies it to each socket operation); in the "warn" and "legacy"
  modes too, which resolve and pin the same way and only skip the refusal (warn logs it) or the checks (legacy);
- sends nothing of the SDK's: a client of its own for each hop (no pooled connection, no API key, no SDK header,
  no netrc or environment credentials), with httpx's default headers and `accept-encoding: identity`.

The settings are read from the environment at each fetch (`_constants`): XPANDER_SAFE_FETCH,
XPANDER_EGRESS_ALLOWLIST, XPANDER_INTERNAL_FETCH_ALLOWLIST. A hop the environment sends through a proxy
(HTTP_PROXY/HTTPS_PROXY, NO_PROXY honoured) goes through it by name, as in the official SDK (the proxy resolves
it: no pinning there); the allowlist still applies, a literal internal address is refused, `localhost` and
`*.localhost` are refused even when they do not resolve here, and a name that resolves here must resolve to
allowed addresses. In the allowlists, a host name matches names and domains only, and an IP address CIDRs and
addresses only (an entry that looks like an address but is none is ignored, with a warning). A refused or failed
fetch raises `FileFetchError`.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import threading
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

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
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")  # RFC 3879 deprecated it: neither private nor reserved for Python
_METADATA = ipaddress.ip_address("169.254.169.254")
_LOOKS_NUMERIC = re.compile(r"[0-9./]+|.*:.*")  # an allowlist entry meant as an address or a CIDR
_INFLATED = frozenset({"gzip", "x-gzip", "deflate"})
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS  # zlib's wbits: a gzip or a zlib header, detected
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_SHOWN_URL = 200
UNPARSEABLE = "(a URL that cannot be parsed)"
_warned_entries: set[tuple[str, str]] = set()


class Fetched(NamedTuple):
    """What a fetch read: the URL that answered (after redirects), its status, content type and bytes."""

    url: str
    status: int
    content_type: str | None
    content: bytes


class Allowlist(NamedTuple):
    """The entries of an allowlist: host names and domains (a domain matches its subdomains), and networks."""

    names: tuple[str, ...]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, variable: str) -> Allowlist | None:
        """The list the environment variable `variable` holds, or None when it lists nothing. An entry that looks
        like an address or a CIDR (digits and dots, or a colon) but is none is ignored, with one warning."""
        names: list[str] = []
        networks: list[IPNetwork] = []
        listed = False
        for item in _entries(os.environ.get(variable)):
            listed, entry = True, item.strip(".")
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if _LOOKS_NUMERIC.fullmatch(entry):
                if (variable, entry) not in _warned_entries:
                    _warned_entries.add((variable, entry))
                    logger.warning("%s: %r is neither an IP address nor a network: ignored", variable, entry)
            elif entry:
                names.append(entry)
        return cls(tuple(names), tuple(networks)) if listed else None

    def lists(self, hop: _Hop) -> bool:
        """Whether the hop's host is listed: an IP address by an address or a network, a name by a name."""
        ip = _address(hop.host) if hop.literal else None
        return _listed(ip, self.networks) if ip is not None else _matches(hop.host, self.names)


class Policy(NamedTuple):
    """The fetch settings of the environment, read at each fetch."""

    mode: str
    """"enforce", "warn" or "legacy" ("enforce" whenever the egress allowlist is set)."""
    egress: Allowlist | None
    internal: Allowlist
    proxies: dict[str, str]
    """The environment's proxies by scheme, and `no` (NO_PROXY), as urllib reads them."""

    @classmethod
    def from_environment(cls) -> Policy:
        egress = Allowlist.parse(EGRESS_ALLOWLIST_ENV)  # set, even to nothing valid: only what it lists is fetched
        mode = (os.environ.get(SAFE_FETCH_ENV) or "").strip().lower()
        if egress is not None or mode not in ("warn", "legacy"):
            mode = "enforce"
        internal = Allowlist.parse(INTERNAL_FETCH_ALLOWLIST_ENV) or Allowlist((), ())
        return cls(mode, egress, internal, urllib.request.getproxies_environment())


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
        host = host[:-1] if host.endswith(".") else host  # `127.0.0.1.` and `localhost.` are what they spell
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
        ("a site-local address", isinstance(ip, ipaddress.IPv6Address) and ip in _SITE_LOCAL, True),
    )
    for kind, found, listable in kinds:
        if found:
            return kind, listable
    carried = ip.sixtofour if isinstance(ip, ipaddress.IPv6Address) else None  # 2002::/16 carries an IPv4
    return None if carried is None else _verdict(carried)


def _listed(ip: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    """Whether `ip` (or the IPv4 address an IPv4-mapped one carries) is in one of `networks`."""
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    candidates = (ip,) if mapped is None else (ip, mapped)
    return any(c.version == n.version and c in n for c in candidates for n in networks)


def _refusal(hop: _Hop, addresses: Sequence[str], policy: Policy) -> _Stop | None:
    """Why the hop is refused, when one of the host's addresses may not be reached; None when all may."""
    host_listed = not hop.literal and _matches(hop.host, policy.internal.names)
    for text in addresses:
        ip = _address(text.partition("%")[0])
        verdict = ("an unreadable address", False) if ip is None else _verdict(ip)
        if verdict is None:
            continue
        kind, listable = verdict
        if ip is not None and listable and (host_listed or _listed(ip, policy.internal.networks)):
            continue
        where = f"{hop.host} is {kind}" if hop.literal else f"{hop.host} resolves to {text}, {kind}"
        advice = f" (not listed in {INTERNAL_FETCH_ALLOWLIST_ENV})" if listable else " (never fetched)"
        return _Stop(where + advice, refused=True)
    return None


def _loopback_name_refusal(hop: _Hop, policy: Policy) -> _Stop | None:
    """`localhost` and `*.localhost` name the machine's own loopback wherever they are resolved (RFC 6761): a
    proxy would reach its own, so they are refused on the proxy path even when they do not resolve here."""
    if not _matches(hop.host, ("localhost",)) or _matches(hop.host, policy.internal.names):
        return None
    return _Stop(f"{hop.host} is a loopback name (not listed in {INTERNAL_FETCH_ALLOWLIST_ENV})", refused=True)


def _enforce(refusal: _Stop | None, hop: _Hop, policy: Policy) -> None:
    """Raise the refusal; in the "warn" mode, log it instead."""
    if refusal is None:
        return
    if policy.mode != "warn":
        raise refusal
    logger.warning("%s=warn: %s would be refused (%s); fetched anyway", SAFE_FETCH_ENV, hop.host, refusal.reason)


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
    """The addresses to connect to, resolved under the deadline and validated (in the "legacy" mode, not
    validated; in the "warn" mode, a refusal is logged); [] through a proxy, which resolves the name itself."""
    if policy.mode == "legacy":
        return [] if proxied else _lookup(hop, deadline)
    if policy.egress is not None and not policy.egress.lists(hop):
        raise _Stop(f"{hop.host} is not in {EGRESS_ALLOWLIST_ENV}", refused=True)
    try:
        addresses = _lookup(hop, deadline)
    except _Stop:
        if not proxied:
            raise
        _enforce(_loopback_name_refusal(hop, policy), hop, policy)
        return []  # a name only the proxy can resolve is the proxy's to reach
    _enforce(_refusal(hop, addresses, policy), hop, policy)
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
    too_large = _Stop(f"the file is larger than {max_bytes:,} bytes")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    inflater = _inflater(response.headers.get("content-encoding", ""))
    content, received = bytearray(), 0
    for chunk in response.iter_raw():  # the bytes as they come: httpx decodes nothing here
        received += len(chunk)
        if received > max_bytes:
            raise too_large
        if inflater is None:
            content += chunk
        else:
            _inflate(inflater, chunk, content, max_bytes, hop)
        if len(content) > max_bytes:
            raise too_large
    return Fetched(str(hop.url), response.status_code, response.headers.get("content-type"), bytes(content))


def _inflate(inflater: zlib._Decompress, data: bytes, content: bytearray, max_bytes: int, hop: _Hop) -> None:
    """`data` inflated onto `content`, but never more than one byte past `max_bytes` (so a few compressed bytes
    cannot become gigabytes in memory): what is left of `data` then stays unread."""
    while data and len(content) <= max_bytes:
        try:
            content += inflater.decompress(data, max_bytes + 1 - len(content))
        except zlib.error:
            raise _Stop(f"the compressed content from {hop.host} cannot be decoded") from None
        data = inflater.unconsumed_tail


def _inflater(encoding: str) -> zlib._Decompress | None:
    """How a body sent with this Content-Encoding is decoded: as it is (none, or identity), inflated (one gzip or
    deflate layer); any other (several layers, br, zstd...) is refused."""
    layers = [layer.strip().lower() for layer in encoding.split(",")]
    layers = [layer for layer in layers if layer and layer != "identity"]
    if not layers:
        return None
    if len(layers) == 1 and layers[0] in _INFLATED:
        return zlib.decompressobj(wbits=_GZIP_OR_ZLIB)
    shown_encoding = encoding if len(encoding) <= 40 else encoding[:40] + "..."
    raise _Stop(f"the file is sent with Content-Encoding {shown_encoding!r}, which is not read")


def _fetch_hop(hop: _Hop, policy: Policy, max_bytes: int, deadline: Deadline) -> Fetched | httpx.URL:
    if deadline.passed():
        raise _Stop("the deadline passed before the file was read")
    proxy = _proxy_for(hop, policy.proxies)
    addresses = _allowed_addresses(hop, policy, deadline, proxied=proxy is not None)
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
    """`url` as errors and logs show it: scheme, host, port and path as httpx reads them, so never the userinfo
    (whatever characters it holds), the query string or the fragment (a presigned URL's signature is in its
    query); a path is cut before an `@` (a password with a `/` in it ends up in the path); at most
    `MAX_SHOWN_URL` characters."""
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
        path = parsed.raw_path.decode("ascii").partition("?")[0]
    except (httpx.InvalidURL, ValueError, TypeError):
        return UNPARSEABLE
    if "@" in path:
        path = path[: path.index("@")].rpartition("/")[0] + "/..."
    host = f"[{host}]" if ":" in host else host
    port = "" if parsed.port is None else f":{parsed.port}"
    text = f"{parsed.scheme}://{host}{port}{path}" if parsed.scheme or host else path
    return text if len(text) <= MAX_SHOWN_URL else text[:MAX_SHOWN_URL] + "..."
