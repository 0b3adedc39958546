"""What the service may fetch, decided before a byte is sent: the first outbound HTTP client is
an SSRF risk, so every URL and every address it resolves to is checked here, and each refusal
names why.

Only `https`; plain `http` only to a loopback address, and only where the caller allows it (the
local stack). The host must be the one subscribed, and a redirect may only stay on it. An
address that is not globally routable (private, shared, loopback, link-local such as the
instance metadata service at 169.254.169.254, multicast, reserved) is refused after DNS
resolution, so a name that resolves inward is refused as the address itself would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit


class FetchRefused(Exception):
    """A fetch refused or failed, with a stable code and a sentence for the subscription's
    record (`response.status`, `address.link-local`, `response.too-large`, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds of one fetch."""

    max_bytes: int = 10 * 1024 * 1024
    """The largest body accepted, after any gzip is undone."""
    connect_seconds: float = 5.0
    read_seconds: float = 10.0
    """The longest wait for the next bytes of an answer."""
    total_seconds: float = 30.0
    """The longest a whole fetch (redirects included) may take."""
    max_redirects: int = 3
    loopback_http: bool = False
    """Plain http to a loopback address: the local stack's feeds; never on AWS."""


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One GET: the URL, the host it must stay on, and the headers (conditional, credentials)."""

    url: str
    host: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fetched:
    """An answer taken: 200 with its body (gzip undone), or 304 with none."""

    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    url: str
    """The URL finally answered, after redirects."""


IPAddress = IPv4Address | IPv6Address

_METADATA = frozenset({ip_address("169.254.169.254"), ip_address("fd00:ec2::254")})
_SHARED = ip_network("100.64.0.0/10")
_NAT64 = ip_network("64:ff9b::/96")
# RFC 1918, IPv6 unique local and the deprecated site-local: the networks of an organisation.
_PRIVATE = tuple(
    ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fec0::/10")
)


def check_url(url: str, host: str, limits: Limits) -> SplitResult:
    """The URL as it will be requested (fragment dropped), or why it may not be: a feed is
    fetched over https from the subscribed host only, whatever port it names."""
    split = _split(url)
    _check_scheme(split, limits)
    hostname = _hostname(split)
    if not _same_host(hostname, host):
        raise FetchRefused(
            "url.host", f"{url} is on {hostname}, not on the subscribed host {_normal(host)}"
        )
    return split._replace(fragment="")


def check_address(address: str, limits: Limits) -> None:
    """Refuse an address the service must never reach: judged after DNS, so a public name that
    resolves inward is refused as the address itself would be. An IPv6 form that carries an
    IPv4 address (mapped, 6to4, NAT64) is judged by the IPv4 address it leads to."""
    try:
        given = ip_address(address.split("%", 1)[0])
    except ValueError:
        raise FetchRefused("address.invalid", f"{address!r} is not an IP address") from None
    judged = _carried(given)
    if limits.loopback_http and judged.is_loopback:
        return
    refusal = _category(judged)
    if refusal is None:
        return
    category, description = refusal
    shown = address if judged == given else f"{address} carries {judged}, which"
    raise FetchRefused(
        f"address.{category}", f"{shown} is {description}: only public addresses are fetched"
    )


def redirect_target(current: str, location: str, host: str, limits: Limits) -> str:
    """Where a redirect leads, if it may be followed: an inward address is named as such (it is
    the shape of an SSRF attempt), and a redirect never leaves the subscribed host, which is
    what lets the request's credentials follow it."""
    target = urljoin(current, location.strip())
    split = _split(target)
    if split.scheme not in {"http", "https"}:
        _check_scheme(split, limits)
    hostname = _hostname(split)
    literal = _literal(hostname)
    if literal is not None:
        check_address(str(literal), limits)
    if not _same_host(hostname, host):
        raise FetchRefused(
            "redirect.other-host",
            f"{_normal(host)} redirected to another host, {hostname} ({target})",
        )
    return urlunsplit(check_url(target, host, limits))


def _split(url: str) -> SplitResult:
    if not url.isascii() or any(char <= " " or char == "\x7f" for char in url):
        raise FetchRefused("url.invalid", f"{url!r} holds spaces, controls or non-ASCII")
    try:
        split = urlsplit(url)
        _ = split.port
    except ValueError as exc:
        raise FetchRefused("url.invalid", f"{url!r} is not a URL: {exc}") from None
    return split


def _hostname(split: SplitResult) -> str:
    if "@" in split.netloc:
        raise FetchRefused("url.invalid", f"{split.geturl()} carries credentials in the URL")
    hostname = _normal(split.hostname or "")
    if not hostname:
        raise FetchRefused("url.invalid", f"{split.geturl()} names no host")
    return hostname


def _check_scheme(split: SplitResult, limits: Limits) -> None:
    scheme, hostname = split.scheme, _normal(split.hostname or "")
    if scheme == "https":
        return
    if scheme == "http" and limits.loopback_http and _is_loopback_name(hostname):
        return
    if scheme == "http":
        raise FetchRefused(
            "url.scheme", f"plain http to {hostname} is refused: only https, or http to loopback"
        )
    raise FetchRefused("url.scheme", f"{scheme or 'no'} scheme is refused: only https")


def _normal(host: str) -> str:
    return host.lower().removeprefix("[").removesuffix("]").removesuffix(".")


def _same_host(hostname: str, host: str) -> bool:
    subscribed = _normal(host)
    mine, theirs = _literal(hostname), _literal(subscribed)
    if mine is not None and theirs is not None:
        return mine == theirs
    return hostname == subscribed


def _literal(hostname: str) -> IPAddress | None:
    try:
        return ip_address(hostname)
    except ValueError:
        return None


def _is_loopback_name(hostname: str) -> bool:
    literal = _literal(hostname)
    if literal is None:
        return hostname == "localhost"
    return _carried(literal).is_loopback


def _carried(address: IPAddress) -> IPAddress:
    if isinstance(address, IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _category(address: IPAddress) -> tuple[str, str] | None:
    """The kind of a refused address, for the message; `is_global` has the final word."""
    if address in _METADATA:
        return "link-local", "the instance metadata service (link-local)"
    if address.is_unspecified:
        return "unspecified", "an unspecified address"
    if address.is_loopback:
        return "loopback", "a loopback address"
    if address.is_link_local:
        return "link-local", "a link-local address"
    if address in _SHARED:
        return "shared", "shared address space (carrier-grade NAT, 100.64.0.0/10)"
    if address.is_multicast:
        return "multicast", "a multicast address"
    if any(address in network for network in _PRIVATE):
        return "private", "a private address"
    if address.is_reserved or not address.is_global:
        return "reserved", "a reserved or special-purpose address"
    return None
