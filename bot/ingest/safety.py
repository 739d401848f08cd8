"""URL safety: refuse connections to non-public addresses, checked when each connection is made.

User-given feed and article URLs may point anywhere. A check of the URL alone is not enough (DNS
can answer differently a second later, a redirect can lead elsewhere), so the check lives in the
network backend of the HTTP client: it resolves the host itself, refuses the whole host when any
address is not public, and connects to the very address it checked. Redirect hops open their
connections through the same backend, so they are checked too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from bot.errors import UnsafeURLError
from bot.fit import FEED_URL_MAX

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Resolves (host, port) to IP address strings; injectable so tests never need DNS."""

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Cloud metadata endpoints: already non-global, named here so the reason says so.
_METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")
# Ranges that `is_global` lets through on some Python versions but are not reachable public hosts.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "192.0.0.0/24",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "64:ff9b:1::/48",
        "2001::/23",
        "2001:db8::/32",
        "ff00::/8",
    )
)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv4-mapped, 6to4, Teredo or NAT64 IPv6 address, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in ipaddress.ip_network("::/96") and int(ip) > 1:  # deprecated IPv4-compatible form
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(address: str | IPAddress) -> str | None:
    """Why this address must not be contacted ("a loopback address", ...), or None if public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # the socket really talks IPv4 to the mapped address
            return address_problem(ip.ipv4_mapped)
        inner = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(inner)
            if problem is not None:
                return problem
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip in _SHARED:
        return "a carrier-grade NAT address"
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
    )
    for failed, reason in checks:
        if failed:
            return reason
    if any(ip in net for net in _EXTRA_BLOCKED if net.version == ip.version):
        return "a reserved address"
    if not ip.is_global:
        return "a non-public address"
    return None


def check_public_url(url: str, *, allow_private: bool = True) -> None:
    """Refuse URLs that can never be fetched safely: other schemes, no host, credentials.

    This is a cheap synchronous pre-check; the real address check happens at connect time.
    With ``allow_private=False`` it also refuses literal non-public IP addresses and
    ``localhost`` right away, without any DNS lookup.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise UnsafeURLError(f"refused {url!r}: not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = scheme or "no scheme"
        raise UnsafeURLError(f"refused {url!r}: only http and https URLs are allowed, not {shown}")
    host = parts.hostname
    if not host:
        raise UnsafeURLError(f"refused {url!r}: the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError(f"refused {url!r}: URLs with credentials are not allowed")
    del port
    if allow_private:
        return
    if _is_localhost_name(host):
        raise UnsafeURLError(f"refused {url!r}: {host} is a loopback address")
    literal = _parse_ip_literal(host)
    if literal is not None:
        problem = address_problem(literal)
        if problem is not None:
            raise UnsafeURLError(f"refused {url!r}: {host} is {problem}")


_HOST = re.compile(r"^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])$")


def feed_url(url: str, *, allow_private: bool = True) -> str:
    """The one form of a feed URL a user gave: surrounding white space removed, scheme and
    host in lower case, an international host in its ASCII (IDNA) form, so
    ``bücher.example`` and ``xn--bcher-kva.example`` are one feed. Refuses (UnsafeURLError,
    one line) what cannot be a feed URL: too long for its column, white space or control
    characters inside, unparseable, or what ``check_public_url`` refuses."""
    url = url.strip()
    shown = url if len(url) <= 80 else url[:79] + "…"
    if not url:
        raise UnsafeURLError("refused: the URL is empty")
    if len(url) > FEED_URL_MAX:
        raise UnsafeURLError(
            f"refused {shown!r}: the URL is {len(url)} characters long (at most {FEED_URL_MAX})"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise UnsafeURLError(
            f"refused {shown!r}: a URL cannot hold spaces, line breaks or control characters"
        )
    check_public_url(url, allow_private=allow_private)
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise UnsafeURLError(f"refused {shown!r}: not a valid URL ({exc})") from None
    if not _HOST.match(host):
        raise UnsafeURLError(f"refused {shown!r}: {host!r} is not a host name")
    normal = str(parsed)
    if len(normal) > FEED_URL_MAX:  # the ASCII form of a long international host
        raise UnsafeURLError(f"refused {shown!r}: the URL is too long (at most {FEED_URL_MAX})")
    return normal


def _is_localhost_name(host: str) -> bool:
    """True for "localhost" and its subdomains: always loopback (RFC 6761), whatever DNS says."""
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def _parse_ip_literal(host: str) -> IPAddress | None:
    """Parse a host that is an IP address in any form inet_aton accepts ("0x7f.1", "2130706433")."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the operating system (getaddrinfo in a thread), IPv4 and IPv6."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


class SafeNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore backend that resolves hosts itself and connects only to checked addresses.

    ``exempt`` lists (ip, port) pairs allowed even when not public: an escape hatch for a known
    local service, and what tests use to prove that a redirect to another loopback port is refused.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        exempt: Iterable[tuple[str, int]] = (),
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._resolve = resolver or system_resolver
        self._exempt = {(str(ipaddress.ip_address(ip)), int(port)) for ip, port in exempt}
        self._inner = inner or httpcore.AnyIOBackend()

    async def resolve_checked(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` and return its addresses, or raise UnsafeURLError if any is refused."""
        literal = _parse_ip_literal(host)
        if not self.allow_private and _is_localhost_name(host):
            raise UnsafeURLError(f"refused: {host} is a loopback address")
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = await self._resolve(host, port)
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
        if self.allow_private:
            return addresses
        for address in addresses:
            normalised = str(ipaddress.ip_address(address.split("%", 1)[0]))
            if (normalised, port) in self._exempt:
                continue
            problem = address_problem(address)
            if problem is not None:
                log.warning("refused connection to %s (%s is %s)", host, address, problem)
                if literal is not None:
                    raise UnsafeURLError(f"refused: {host} is {problem}")
                raise UnsafeURLError(f"refused: {host} resolves to {address}, {problem}")
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.resolve_checked(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeURLError("refused: unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class SafeTransport(httpx.AsyncHTTPTransport):
    """httpx transport whose every connection goes through a SafeNetworkBackend; no proxies."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        exempt: Iterable[tuple[str, int]] = (),
        limits: httpx.Limits | None = None,
        verify: bool = True,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=50)
        self.backend = SafeNetworkBackend(
            allow_private=allow_private, resolver=resolver, exempt=exempt
        )
        # The parent's constructor only builds ``_pool`` and takes no network backend, so the
        # pool is built here instead (and the parent's request handling is reused as is).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=self.backend,
        )
