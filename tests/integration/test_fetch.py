"""The feed poller's HTTP client against real servers on loopback: it takes what a feed answers,
conditional requests and gzip included, and refuses, with a stable code, every answer or
redirect that would make it an SSRF tool, hang, or fill memory.

Which addresses the client connects to is recorded through the interpreter's `socket.connect`
audit event, so "nothing connected there" is observed, not inferred.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
import ssl
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from clearance.feeds.outbound import Fetched, FetchRefused, FetchRequest, Limits
from clearance.net.http import USER_AGENT, Fetcher

MB = 1024 * 1024
BLOCK = 64 * 1024
LIMITS = Limits(
    max_bytes=10 * MB, connect_seconds=2.0, read_seconds=2.0, total_seconds=10.0, loopback_http=True
)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title></channel></rss>'
RSS_TYPE = "application/rss+xml"
ETAG = '"feed-v1"'
LAST_MODIFIED = "Mon, 23 Nov 2026 12:00:00 GMT"
METADATA_URL = "http://169.254.169.254/latest/meta-data/"

Address = tuple[Any, ...]

_RECORDERS: list[list[Address]] = []


def _record_connects(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and _RECORDERS:
        _RECORDERS[-1].append(tuple(args[1]))


sys.addaudithook(_record_connects)


@pytest.fixture
def connects() -> Iterator[list[Address]]:
    """Every (address, port, ...) this process connects to while the test runs."""
    seen: list[Address] = []
    _RECORDERS.append(seen)
    yield seen
    _RECORDERS.remove(seen)


class FeedServer(ThreadingHTTPServer):
    """A feed publisher on loopback, good or hostile by path, recording what it was asked."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client refusing mid-answer hangs up on purpose: nothing to report."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FeedServer

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers.items())))
        route = ROUTES.get(self.path, not_found)
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on what the server saw instead."""


def answer(
    handler: Handler, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None
) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if status != 304:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def stream(handler: Handler, chunks: Iterable[bytes], headers: Mapping[str, str]) -> None:
    """Writes as it goes, chunked unless a Content-Length is given: nothing is built whole."""
    chunked = "Content-Length" not in headers
    handler.send_response(200)
    for name, value in headers.items():
        handler.send_header(name, value)
    if chunked:
        handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for chunk in chunks:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
    if chunked:
        handler.wfile.write(b"0\r\n\r\n")


def zeros(size: int) -> Iterator[bytes]:
    block = bytes(BLOCK)
    for _ in range(size // BLOCK):
        yield block


def gzip_bomb(size: int = 1024 * MB) -> Iterator[bytes]:
    """1 GB of zeros, gzip-compressed as it is sent (about 1 MB in all)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MB)
    for _ in range(size // MB):
        if out := squeeze.compress(block):
            yield out
    yield squeeze.flush()


def redirect(location: str, status: int = 302) -> Callable[[Handler], None]:
    def route(handler: Handler) -> None:
        answer(handler, status, headers={"Location": location.format(port=handler.server.port)})

    return route


def feed(handler: Handler) -> None:
    """Answers 304 itself when the client already holds this version."""
    if handler.headers.get("If-None-Match") == ETAG or _unmodified_since(handler):
        answer(handler, 304, headers={"ETag": ETAG})
        return
    headers = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED, "Content-Type": RSS_TYPE}
    answer(handler, 200, FEED, headers)


def _unmodified_since(handler: Handler) -> bool:
    since = handler.headers.get("If-Modified-Since")
    return since is not None and parsedate_to_datetime(since) >= parsedate_to_datetime(
        LAST_MODIFIED
    )


def gzipped(handler: Handler) -> None:
    headers = {"Content-Encoding": "gzip", "Content-Type": RSS_TYPE}
    answer(handler, 200, gzip.compress(FEED * 100), headers)


def slow(handler: Handler) -> None:
    handler.server.release.wait(10)
    answer(handler, 200, FEED)


def trickle(handler: Handler) -> None:
    """One byte every 0.2 s: never silent for long, never done."""
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    while not handler.server.release.wait(0.2):
        handler.wfile.write(b" ")


def hang_up(handler: Handler) -> None:
    handler.close_connection = True


def not_found(handler: Handler) -> None:
    answer(handler, 404, b"no such feed")


ROUTES: dict[str, Callable[[Handler], None]] = {
    "/feed": feed,
    "/gzip": gzipped,
    "/error": lambda handler: answer(handler, 500, b"oops"),
    "/slow": slow,
    "/trickle": trickle,
    "/hang-up": hang_up,
    "/to-metadata": redirect(METADATA_URL),
    "/to-localhost": redirect("http://localhost:{port}/feed"),
    "/moved": redirect("/feed", 301),
    "/loop": redirect("/loop"),
    "/huge": lambda handler: stream(handler, zeros(60 * MB), {"Content-Length": str(60 * MB)}),
    "/huge-chunked": lambda handler: stream(handler, zeros(60 * MB), {}),
    "/bomb": lambda handler: stream(handler, gzip_bomb(), {"Content-Encoding": "gzip"}),
    "/broken-gzip": lambda handler: answer(
        handler, 200, gzip.compress(FEED)[:-12] + b"garbage", {"Content-Encoding": "gzip"}
    ),
    "/brotli": lambda handler: answer(handler, 200, b"\x8b\x03", {"Content-Encoding": "br"}),
}


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[FeedServer]:
    server = FeedServer()
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with serving() as running:
        yield running


def fetch(
    url: str,
    host: str = "127.0.0.1",
    limits: Limits = LIMITS,
    headers: Mapping[str, str] | None = None,
) -> Fetched:
    return Fetcher(limits).fetch(FetchRequest(url, host, headers or {}))


def refusal(call: Callable[[], object]) -> FetchRefused:
    with pytest.raises(FetchRefused) as caught:
        call()
    return caught.value


def only_to(server: FeedServer, connected: list[Address]) -> bool:
    return bool(connected) and all(
        address[:2] == ("127.0.0.1", server.port) for address in connected
    )


def test_a_feed_is_fetched_with_its_validators(server: FeedServer, connects: list[Address]) -> None:
    # Given a feed served with an ETag and a Last-Modified
    # When it is fetched
    fetched = fetch(server.url("/feed"))
    # Then the body and its validators are read
    assert fetched == Fetched(
        200, FEED, RSS_TYPE, ETAG, LAST_MODIFIED, f"http://127.0.0.1:{server.port}/feed"
    )
    # And the request named the host, the poller, and gzip, over one connection
    _, headers = server.seen[0]
    assert headers["Host"] == f"127.0.0.1:{server.port}"
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept-Encoding"] == "gzip"
    assert only_to(server, connects)
    assert len(connects) == 1


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("If-None-Match", ETAG),
        ("If-Modified-Since", LAST_MODIFIED),
        ("If-Modified-Since", "Tue, 24 Nov 2026 08:00:00 GMT"),
    ],
)
def test_a_conditional_request_is_answered_not_modified(
    server: FeedServer, header: str, value: str
) -> None:
    # Given the version of the feed the poller already holds
    # When it is fetched conditionally
    fetched = fetch(server.url("/feed"), headers={header: value})
    # Then the server saw the condition and answered 304, with no body
    assert server.seen[0][1][header] == value
    assert (fetched.status, fetched.body, fetched.etag) == (304, b"", ETAG)


def test_an_older_copy_is_answered_in_full(server: FeedServer) -> None:
    # Given a copy older than the feed's last change
    # When it is fetched conditionally
    fetched = fetch(
        server.url("/feed"), headers={"If-Modified-Since": "Sun, 01 Nov 2026 00:00:00 GMT"}
    )
    # Then the whole feed comes back
    assert (fetched.status, fetched.body) == (200, FEED)


def test_gzip_is_undone(server: FeedServer) -> None:
    # Given a feed served gzip-encoded
    # When it is fetched
    fetched = fetch(server.url("/gzip"))
    # Then the body is the feed itself
    assert fetched.body == FEED * 100
    assert fetched.content_type == RSS_TYPE


@pytest.mark.parametrize("path", ["/broken-gzip", "/brotli"])
def test_a_broken_or_unasked_encoding_is_refused(server: FeedServer, path: str) -> None:
    # Given a body whose gzip is cut, or an encoding that was not asked for
    # When it is fetched, then it is refused for its encoding
    assert refusal(lambda: fetch(server.url(path))).code == "response.encoding"


def test_a_server_error_is_refused_with_its_status(server: FeedServer) -> None:
    # Given a feed answering 500
    # When it is fetched
    refused = refusal(lambda: fetch(server.url("/error")))
    # Then the refusal carries the status and its reason
    assert refused.code == "response.status"
    assert "500 Internal Server Error" in refused.message


def test_a_server_that_hangs_up_is_refused_as_invalid(server: FeedServer) -> None:
    # Given a server that closes the connection without answering
    # When it is fetched, then the answer is refused as invalid
    assert refusal(lambda: fetch(server.url("/hang-up"))).code == "response.invalid"


def test_a_silent_server_times_out_after_the_read_timeout(server: FeedServer) -> None:
    # Given a server that says nothing for ten seconds, and a read timeout of half a second
    limits = Limits(read_seconds=0.5, loopback_http=True)
    # When it is fetched
    started = time.monotonic()
    refused = refusal(lambda: fetch(server.url("/slow"), limits=limits))
    # Then it is refused for the read timeout, after about that long
    assert refused.code == "read.timeout"
    assert 0.4 <= time.monotonic() - started < 2.0


def test_a_trickling_server_is_cut_off_at_the_total(server: FeedServer) -> None:
    # Given a server sending a byte every 0.2 s, inside a read timeout of 0.5 s
    limits = Limits(read_seconds=0.5, total_seconds=1.0, loopback_http=True)
    # When it is fetched
    started = time.monotonic()
    refused = refusal(lambda: fetch(server.url("/trickle"), limits=limits))
    # Then the total bound ends it, saying so
    assert refused.code == "read.timeout"
    assert "total of 1 s" in refused.message
    assert 0.9 <= time.monotonic() - started < 2.0


def test_a_redirect_to_instance_metadata_is_refused_before_connecting(
    server: FeedServer, connects: list[Address]
) -> None:
    # Given a feed that redirects to the instance metadata service
    # When it is fetched
    refused = refusal(lambda: fetch(server.url("/to-metadata")))
    # Then the redirect is refused as link-local, naming the metadata service
    assert refused.code == "address.link-local"
    assert "instance metadata" in refused.message
    # And nothing connected anywhere but the feed
    assert only_to(server, connects)


def test_a_redirect_to_another_host_is_refused(server: FeedServer, connects: list[Address]) -> None:
    # Given a feed subscribed as 127.0.0.1 that redirects to localhost
    # When it is fetched
    refused = refusal(lambda: fetch(server.url("/to-localhost")))
    # Then the redirect is refused, naming both hosts, and only the feed was asked
    assert refused.code == "redirect.other-host"
    assert "127.0.0.1" in refused.message
    assert "localhost" in refused.message
    assert server.paths() == ["/to-localhost"]
    assert len(connects) == 1


def test_a_redirect_on_the_same_host_is_followed_with_the_credentials(
    server: FeedServer,
) -> None:
    # Given a feed moved to another path on the same host, fetched with a credential
    # When it is fetched
    fetched = fetch(server.url("/moved"), headers={"Authorization": "Bearer feed-token"})
    # Then the new path is answered, and both hops carried the credential
    assert (fetched.status, fetched.body) == (200, FEED)
    assert fetched.url == server.url("/feed")
    assert server.paths() == ["/moved", "/feed"]
    assert [headers["Authorization"] for _, headers in server.seen] == ["Bearer feed-token"] * 2


def test_a_redirect_loop_is_refused_after_the_limit(server: FeedServer) -> None:
    # Given a feed that redirects to itself, and a limit of three redirects
    # When it is fetched
    refused = refusal(lambda: fetch(server.url("/loop")))
    # Then it is refused once three redirects were followed
    assert refused.code == "redirect.too-many"
    assert server.paths() == ["/loop"] * 4


def test_a_declared_length_over_the_cap_is_refused_before_reading(server: FeedServer) -> None:
    # Given an answer declaring 60 MB, and a cap of 10 MB
    # When it is fetched
    refused = refusal(lambda: fetch(server.url("/huge")))
    # Then it is refused from its declared length
    assert refused.code == "response.too-large"
    assert f"declares {60 * MB} bytes" in refused.message
    assert str(10 * MB) in refused.message


def test_an_undeclared_length_is_refused_as_soon_as_it_passes_the_cap(
    server: FeedServer,
) -> None:
    # Given a 60 MB chunked answer with no length, and a cap of 10 MB
    # When it is fetched
    tracemalloc.start()
    try:
        refused = refusal(lambda: fetch(server.url("/huge-chunked")))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Then it is refused while arriving, never holding much more than the cap
    assert refused.code == "response.too-large"
    assert "as it arrived" in refused.message
    assert peak < 30 * MB


def test_a_gzip_bomb_is_refused_without_being_inflated(server: FeedServer) -> None:
    # Given 1 GB of zeros gzip-compressed to about 1 MB, and a cap of 10 MB
    # When it is fetched
    tracemalloc.start()
    try:
        refused = refusal(lambda: fetch(server.url("/bomb")))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Then it is refused as too large once inflated past the cap, and never inflated whole
    assert refused.code == "response.too-large"
    assert "gzip" in refused.message
    assert peak < 50 * MB


@pytest.mark.parametrize(
    "answer", [["10.0.0.1"], ["93.184.215.14", "10.0.0.1"], ["2606:4700::1", "192.168.0.7"]]
)
def test_a_public_name_resolving_inward_is_refused_before_connecting(
    answer: list[str], connects: list[Address]
) -> None:
    # Given a public name whose DNS answer includes a private address
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return answer

    fetcher = Fetcher(LIMITS, resolve=resolve)
    # When it is fetched
    refused = refusal(
        lambda: fetcher.fetch(FetchRequest("https://feed.example.com/rss", "feed.example.com"))
    )
    # Then it is refused as private, the name was resolved once, and nothing was connected
    assert refused.code == "address.private"
    assert asked == [("feed.example.com", 443)]
    assert connects == []


def test_a_name_is_resolved_once_and_the_checked_address_is_the_one_connected(
    server: FeedServer, connects: list[Address]
) -> None:
    # Given a resolver that would answer differently a second time (DNS rebinding)
    answers = [["127.0.0.1"], ["169.254.169.254"]]
    fetcher = Fetcher(LIMITS, resolve=lambda host, port: answers.pop(0))
    # When the feed is fetched by name
    fetched = fetcher.fetch(FetchRequest(server.url("/feed", "localhost"), "localhost"))
    # Then the one answer checked is the address connected to
    assert fetched.body == FEED
    assert answers == [["169.254.169.254"]]
    assert only_to(server, connects)


@pytest.mark.parametrize("fails", [lambda host, port: [], lambda host, port: _no_such_name(host)])
def test_a_name_that_does_not_resolve_is_refused(
    fails: Callable[[str, int], list[str]], connects: list[Address]
) -> None:
    # Given a name with no address
    fetcher = Fetcher(LIMITS, resolve=fails)
    # When it is fetched, then it is refused as unresolved, and nothing was connected
    request = FetchRequest("https://feed.example.com/rss", "feed.example.com")
    assert refusal(lambda: fetcher.fetch(request)).code == "dns.unresolved"
    assert connects == []


def _no_such_name(host: str) -> list[str]:
    raise socket.gaierror(socket.EAI_NONAME, f"{host}: Name or service not known")


def test_plain_http_to_loopback_is_refused_off_the_local_stack(
    server: FeedServer, connects: list[Address]
) -> None:
    # Given limits for AWS, where loopback http is not allowed
    # When a loopback feed is fetched over plain http
    refused = refusal(lambda: fetch(server.url("/feed"), limits=Limits()))
    # Then it is refused for its scheme, before any connection
    assert refused.code == "url.scheme"
    assert connects == []
    assert server.seen == []


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[FeedServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with serving(context) as running:
        yield running


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_https_is_fetched_when_the_certificate_is_trusted(
    tls_server: FeedServer, certificate: tuple[Path, Path], host: str
) -> None:
    # Given an https feed on loopback whose certificate the client's context trusts
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    fetcher = Fetcher(LIMITS, ssl_context=trusting)
    # When it is fetched by the certificate's name or address
    fetched = fetcher.fetch(FetchRequest(tls_server.url("/feed", host, "https"), host))
    # Then the feed is read
    assert (fetched.status, fetched.body, fetched.etag) == (200, FEED, ETAG)


def test_https_with_an_untrusted_certificate_is_refused(tls_server: FeedServer) -> None:
    # Given an https feed on loopback with a self-signed certificate
    # When it is fetched with the default trust store
    refused = refusal(lambda: fetch(tls_server.url("/feed", "localhost", "https"), "localhost"))
    # Then the TLS handshake fails, and no request was read by the server
    assert refused.code == "tls.failed"
    assert "certificate verify failed" in refused.message
    assert tls_server.seen == []
