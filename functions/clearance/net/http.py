"""The one outbound HTTP client: it fetches a feed the way `clearance.feeds.outbound` allows and
no other way, because any URL a subscriber or a feed's redirect names is an SSRF risk.

Each hop resolves its host once, checks every address, and connects to a checked address
itself, so a DNS answer that changes between check and connect (rebinding) is never used. Time
and size are bounded while the answer arrives, not after: a slow server meets a per-read timeout
and the total, a large body is refused by its declared length or as soon as the cap is passed,
and gzip is inflated in bounded steps, so a compressed bomb is refused without being expanded.
Whatever the remote side does surfaces as `FetchRefused`.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import ip_address
from typing import TYPE_CHECKING, cast
from urllib.parse import SplitResult, urlunsplit

from clearance.feeds.outbound import (
    Fetched,
    FetchRefused,
    FetchRequest,
    Limits,
    check_address,
    check_url,
    redirect_target,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Resolver = Callable[[str, int], list[str]]

DEFAULT_LIMITS = Limits()
USER_AGENT = "clearance-feed-poller/1"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
# Headers the fetcher owns: a request's own headers never replace them.
OWN_HEADERS = frozenset(
    {"host", "user-agent", "accept-encoding", "connection", "content-length", "transfer-encoding"}
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_GZIP_WBITS = 16 + zlib.MAX_WBITS


def resolve_all(host: str, port: int) -> list[str]:
    """Every address the name has, so that each can be checked, not just the first."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class Fetcher:
    """GETs a feed under `Limits`; one connection per hop, closed on every path."""

    def __init__(
        self,
        limits: Limits = DEFAULT_LIMITS,
        resolve: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._limits = limits
        self._resolve = resolve or resolve_all
        self._tls = ssl_context or ssl.create_default_context()

    def fetch(self, request: FetchRequest) -> Fetched:
        """The answer to one GET. The request's headers (credentials included) follow redirects
        only because `redirect_target` never lets a redirect leave the subscribed host."""
        clock = _Clock.start(self._limits)
        given = _given_headers(request.headers)
        url = urlunsplit(check_url(request.url, request.host, self._limits))
        followed = 0
        while True:
            answer = self._hop(url, request.host, given, clock)
            if answer.location is None:
                return answer.fetched(url)
            if followed == self._limits.max_redirects:
                raise FetchRefused(
                    "redirect.too-many",
                    f"{request.url} redirected more than {followed} times (the last from {url})",
                )
            followed += 1
            url = redirect_target(url, answer.location, request.host, self._limits)

    def _hop(self, url: str, host: str, given: Mapping[str, str], clock: _Clock) -> _Answer:
        split = check_url(url, host, self._limits)
        hostname = _bare(split.hostname or "")
        port = split.port or (443 if split.scheme == "https" else 80)
        addresses = self._addresses(hostname, port)
        sock = self._connect(addresses, port, clock)
        try:
            if split.scheme == "https":
                sock = self._secure(sock, hostname, clock)
            with _remote_failures(hostname, clock):
                sock.settimeout(clock.read_timeout())
                sock.sendall(_request_bytes(split, hostname, port, given))
                return _receive(sock, clock, self._limits.max_bytes)
        finally:
            sock.close()

    def _addresses(self, hostname: str, port: int) -> list[str]:
        try:
            addresses = list(dict.fromkeys(self._resolve(hostname, port)))
        except (OSError, UnicodeError) as exc:
            raise FetchRefused("dns.unresolved", f"{hostname} did not resolve: {exc}") from None
        if not addresses:
            raise FetchRefused("dns.unresolved", f"{hostname} resolved to no address")
        for address in addresses:
            check_address(address, self._limits)
        return addresses

    def _connect(self, addresses: list[str], port: int, clock: _Clock) -> socket.socket:
        failure = FetchRefused("connect.failed", "no address to connect to")
        for address in addresses:
            try:
                return _open(address, port, min(self._limits.connect_seconds, clock.remaining()))
            except FetchRefused as refused:
                failure = refused
        raise failure

    def _secure(self, sock: socket.socket, hostname: str, clock: _Clock) -> socket.socket:
        sock.settimeout(min(self._limits.connect_seconds, clock.remaining()))
        try:
            return self._tls.wrap_socket(sock, server_hostname=hostname)
        except ssl.SSLError as exc:
            raise FetchRefused("tls.failed", f"TLS with {hostname} failed: {exc}") from None
        except TimeoutError:
            raise FetchRefused(
                "connect.timeout", f"the TLS handshake with {hostname} timed out"
            ) from None
        except OSError as exc:
            raise FetchRefused("connect.failed", f"TLS with {hostname} failed: {exc}") from None


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes = b""
    location: str | None = None

    def fetched(self, url: str) -> Fetched:
        return Fetched(
            status=self.status,
            body=self.body,
            content_type=self.headers.get("Content-Type"),
            etag=self.headers.get("ETag"),
            last_modified=self.headers.get("Last-Modified"),
            url=url,
        )


@dataclass(slots=True)
class _Clock:
    """The fetch's deadline, consulted before every read so that a server trickling bytes
    cannot stretch a fetch past its total."""

    read_seconds: float
    total_seconds: float
    deadline: float

    @classmethod
    def start(cls, limits: Limits) -> _Clock:
        deadline = time.monotonic() + limits.total_seconds
        return cls(limits.read_seconds, limits.total_seconds, deadline)

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left

    def read_timeout(self) -> float:
        return min(self.read_seconds, self.remaining())

    def expired(self) -> FetchRefused:
        return FetchRefused(
            "read.timeout", f"the fetch took longer than its total of {self.total_seconds:g} s"
        )

    def timed_out(self) -> FetchRefused:
        if self.deadline - time.monotonic() <= 0:
            return self.expired()
        return FetchRefused("read.timeout", f"no bytes arrived for {self.read_seconds:g} s")


class _ClockedReader(io.RawIOBase):
    """The socket as http.client reads it, each read under the clock."""

    def __init__(self, sock: socket.socket, clock: _Clock) -> None:
        super().__init__()
        self._sock = sock
        self._clock = clock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        self._sock.settimeout(self._clock.read_timeout())
        return self._sock.recv_into(buffer)


class _ClockedSocket:
    """What `http.client.HTTPResponse` is given: it only ever calls `makefile("rb")`."""

    def __init__(self, sock: socket.socket, clock: _Clock) -> None:
        self._sock = sock
        self._clock = clock

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_ClockedReader(self._sock, self._clock), CHUNK)


class _Gunzip:
    """Inflates at most one byte past the cap, however small the compressed input."""

    def __init__(self, max_bytes: int) -> None:
        self._inflater = zlib.decompressobj(_GZIP_WBITS)
        self._max_bytes = max_bytes
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        try:
            while data:
                out = self._inflater.decompress(data, self._max_bytes - self._size + 1)
                self._size += len(out)
                if self._size > self._max_bytes:
                    raise _too_large(self._max_bytes, "once gzip is undone")
                self._parts.append(out)
                data = self._inflater.unconsumed_tail or self._next_member()
        except zlib.error as exc:
            raise FetchRefused("response.encoding", f"the gzip body is broken: {exc}") from None

    def _next_member(self) -> bytes:
        rest = self._inflater.unused_data if self._inflater.eof else b""
        if rest:
            self._inflater = zlib.decompressobj(_GZIP_WBITS)
        return rest

    def close(self) -> bytes:
        if not self._inflater.eof:
            raise FetchRefused("response.encoding", "the gzip body ended before its end")
        return b"".join(self._parts)


class _Plain:
    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._parts.append(data)

    def close(self) -> bytes:
        return b"".join(self._parts)


def _open(address: str, port: int, timeout: float) -> socket.socket:
    family = (
        socket.AF_INET6 if ip_address(address.split("%", 1)[0]).version == 6 else socket.AF_INET
    )
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
    except TimeoutError:
        sock.close()
        raise FetchRefused(
            "connect.timeout", f"{address}:{port} did not accept within {timeout:g} s"
        ) from None
    except OSError as exc:
        sock.close()
        raise FetchRefused("connect.failed", f"{address}:{port} refused: {exc}") from None
    return sock


@contextmanager
def _remote_failures(hostname: str, clock: _Clock) -> Iterator[None]:
    """What the remote side can make the standard library raise, as refusals."""
    try:
        yield
    except TimeoutError:
        raise clock.timed_out() from None
    except ssl.SSLError as exc:
        raise FetchRefused("tls.failed", f"TLS with {hostname} failed: {exc}") from None
    except http.client.HTTPException as exc:
        raise FetchRefused("response.invalid", f"{hostname} answered badly: {exc!r}") from None
    except OSError as exc:
        raise FetchRefused("connect.failed", f"the connection to {hostname} broke: {exc}") from None
    except ValueError as exc:
        raise FetchRefused("response.invalid", f"{hostname} answered badly: {exc}") from None


def _given_headers(headers: Mapping[str, str]) -> dict[str, str]:
    given = {name: value for name, value in headers.items() if name.lower() not in OWN_HEADERS}
    for name, value in given.items():
        if not _TOKEN.fullmatch(name) or not _FIELD_VALUE.fullmatch(value):
            raise FetchRefused("request.invalid", f"the request header {name!r} is malformed")
    return given


def _request_bytes(split: SplitResult, hostname: str, port: int, given: Mapping[str, str]) -> bytes:
    authority = f"[{hostname}]" if ":" in hostname else hostname
    if port != (443 if split.scheme == "https" else 80):
        authority = f"{authority}:{port}"
    target = (split.path or "/") + (f"?{split.query}" if split.query else "")
    headers = {
        "Host": authority,
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "gzip",
        "Connection": "close",
        **given,
    }
    lines = [f"GET {target} HTTP/1.1", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _receive(sock: socket.socket, clock: _Clock, max_bytes: int) -> _Answer:
    response = http.client.HTTPResponse(
        cast(socket.socket, _ClockedSocket(sock, clock)), method="GET"
    )
    try:
        response.begin()
        status, headers = response.status, response.msg
        location = headers.get("Location")
        if status in REDIRECTS and location:
            return _Answer(status, headers, location=location)
        if status == 304:
            return _Answer(status, headers)
        if status != 200:
            raise FetchRefused("response.status", f"the feed answered {status} {response.reason}")
        return _Answer(status, headers, _body(response, max_bytes))
    finally:
        response.close()


def _body(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    declared = response.getheader("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes, f"(it declares {int(declared)} bytes)")
    sink = _sink(response.getheader("Content-Encoding"), max_bytes)
    received = 0
    while chunk := response.read(CHUNK):
        received += len(chunk)
        if received > max_bytes:
            raise _too_large(max_bytes, "as it arrived")
        sink.write(chunk)
    return sink.close()


def _sink(encoding: str | None, max_bytes: int) -> _Gunzip | _Plain:
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        return _Plain()
    if name in {"gzip", "x-gzip"}:
        return _Gunzip(max_bytes)
    raise FetchRefused(
        "response.encoding", f"the feed answered in {encoding!r} encoding; only gzip is accepted"
    )


def _too_large(max_bytes: int, when: str) -> FetchRefused:
    return FetchRefused(
        "response.too-large", f"the body passed the cap of {max_bytes} bytes {when}"
    )


def _bare(hostname: str) -> str:
    return hostname.lower().removesuffix(".")
