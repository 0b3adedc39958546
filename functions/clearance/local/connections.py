"""Connections read whole, within deadlines, before a worker sees them.

API Gateway receives a request before it invokes a function, and a client that stalls costs the
function nothing. Here one thread reads every connection (a selector), a request reaches one of a
few worker threads only once it has arrived whole, and a connection is cut off when it is quiet
for `IDLE_SECONDS` or its request is not whole `REQUEST_SECONDS` after its first byte: with a 408
if a request had begun, silently if it sat idle between requests. A stalled client costs a socket
and its buffer, never a thread; a request too large or malformed is handed over as soon as that
shows, and the handler refuses it unread.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import queue
import re
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clearance.local.proxy import MAX_PAYLOAD_BYTES, REFUSED, http_bytes, refusal

IDLE_SECONDS = 10.0
"""A connection that sends nothing for this long is closed (mid-request, with a 408)."""
REQUEST_SECONDS = 29.0
"""A request must arrive whole within this long of its first byte: API Gateway's bound on a
whole request (its 29 s integration timeout); a 10 MB body needs 3 Mbit/s."""
LINGER_SECONDS = 2.0
"""After a closing answer, what the client still sends is read and dropped this long, so the
answer is not lost to a reset."""
WORKERS = 32
"""Requests served at once; the rest wait whole, in arrival order."""
MAX_CONNECTIONS = 8192
"""Open connections held at once; a connection beyond them is closed as it is accepted."""
HEADER_BLOCK_BYTES = 66 * 1024
"""Header bytes read before handing over a block that never ends (it is refused as too large)."""

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_POLL_SECONDS = 0.1


@dataclass(eq=False)
class Connection:
    """One client connection and what it has sent of its next request."""

    sock: socket.socket
    address: Any
    ready_at: float
    buffer: bytearray = field(default_factory=bytearray)
    first_byte_at: float | None = None
    last_byte_at: float = 0.0
    continued: bool = False
    searched: int = 0
    closing_at: float | None = None


@dataclass(frozen=True, slots=True)
class Exchange:
    """One whole request for a worker: the connection's socket, its peer and the bytes."""

    sock: socket.socket
    address: Any
    data: bytes


@dataclass(frozen=True, slots=True)
class Frame:
    """Where the first request of a buffer ends (None: not yet whole), whether its client waits
    for `100 Continue` before sending the body, and how much of the buffer holds no end of the
    headers (to search from there when more arrives)."""

    end: int | None
    expects_continue: bool = False
    searched: int = 0


def frame(data: bytes | bytearray, searched: int = 0) -> Frame:
    """Where the first request in `data` ends once whole, or where to stop reading one that the
    handler refuses unread (a body over the limit, a malformed length or chunk, huge headers).

    `searched`: how much of `data` is known to hold no end of the headers yet.
    """
    head = _HEAD_END.search(data, max(0, searched - 3))
    if head is None:
        end = len(data) if len(data) > HEADER_BLOCK_BYTES else None
        return Frame(end, searched=len(data))
    start = head.end()
    line_end = data.find(b"\n")
    try:
        headers = http.client.parse_headers(io.BytesIO(bytes(data[line_end + 1 : start])))
    except http.client.HTTPException:
        return Frame(start)
    waits = (headers.get("Expect") or "").lower() == "100-continue" and data[
        :line_end
    ].rstrip().endswith(b"HTTP/1.1")
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        return Frame(_chunked_end(data, start), waits)
    try:
        length = int(headers.get("Content-Length") or 0)
    except ValueError:
        return Frame(start)
    if length < 0 or length > MAX_PAYLOAD_BYTES:
        return Frame(start)
    end = start + length
    return Frame(end if len(data) >= end else None, waits)


def _chunked_end(data: bytes | bytearray, at: int) -> int | None:
    """The end of a chunked body read as the handler reads it, or where it will refuse it."""
    total = 0
    while True:
        line_end = data.find(b"\n", at, at + 1024)
        if line_end < 0:
            return at + 1024 if len(data) >= at + 1024 else None
        try:
            size = int(bytes(data[at:line_end]).split(b";", 1)[0].strip(), 16)
        except ValueError:
            return line_end + 1
        total += size
        if size < 0 or total > MAX_PAYLOAD_BYTES:
            return line_end + 1
        at = line_end + 1
        if size == 0:
            return _trailers_end(data, at)
        at += size
        if len(data) < at:
            return None
        crlf = data.find(b"\n", at, at + 8)
        if crlf < 0 and len(data) < at + 8:
            return None
        at = crlf + 1 if crlf >= 0 else at + 8


def _trailers_end(data: bytes | bytearray, at: int) -> int | None:
    while True:
        line_end = data.find(b"\n", at)
        if line_end < 0:
            return None
        if not data[at:line_end].strip():
            return line_end + 1
        at = line_end + 1


class AnswerWriter(io.BufferedIOBase):
    """The answer's bytes, sent to the socket in one piece when flushed: a status line and
    headers sent apart from the body would wait out the client's delayed ACK (Nagle), some 40 ms
    an answer. Closing it leaves the socket open."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        self._pending = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self._pending += view
        return view.nbytes

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = bytes(self._pending), bytearray()
            self._sock.sendall(pending)


class Connections:
    """Reads every connection on one thread and hands whole requests to `serve` on workers.

    `serve(exchange)` answers on the socket and says whether the connection stays open.
    """

    def __init__(
        self,
        serve: Callable[[Exchange], bool],
        *,
        idle_seconds: float = IDLE_SECONDS,
        request_seconds: float = REQUEST_SECONDS,
        workers: int = WORKERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.serve = serve
        self.idle_seconds = idle_seconds
        self.request_seconds = request_seconds
        self.clock = clock
        self.held: set[Connection] = set()
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._inbox: queue.SimpleQueue[tuple[str, Connection]] = queue.SimpleQueue()
        self._work: queue.SimpleQueue[tuple[Connection, bytes] | None] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._threads = [threading.Thread(target=self._read_loop, name="gateway-reader")]
        self._threads += [
            threading.Thread(target=self._work_loop, name=f"gateway-worker-{n}")
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    def add(self, sock: socket.socket, address: Any) -> None:
        """A connection just accepted (from the accepting thread)."""
        self._post("add", Connection(sock, address, self.clock()))

    def close(self) -> None:
        """Stops reading and serving; every connection still held is closed."""
        self._stopped.set()
        self._wake()
        for _ in self._threads[1:]:
            self._work.put(None)
        self._threads[0].join(timeout=5)
        for connection in list(self.held):
            _close(connection.sock)
        self.held.clear()
        self._selector.close()
        self._wake_read.close()
        self._wake_write.close()

    def _post(self, what: str, connection: Connection) -> None:
        self._inbox.put((what, connection))
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")

    def _read_loop(self) -> None:
        while not self._stopped.is_set():
            for key, _ in self._selector.select(_POLL_SECONDS):
                if key.data is None:
                    _drain(self._wake_read)
                else:
                    self._read(key.data)
            self._take_inbox()
            self._expire()

    def _take_inbox(self) -> None:
        while True:
            try:
                what, connection = self._inbox.get_nowait()
            except queue.Empty:
                return
            if what == "add" and len(self.held) >= MAX_CONNECTIONS:
                _close(connection.sock)
            elif what in ("add", "resume"):
                self._listen(connection)
            else:
                self._linger(connection)

    def _listen(self, connection: Connection) -> None:
        """Waits for (the rest of) a request, which may already be in the buffer."""
        connection.sock.setblocking(False)
        now = connection.ready_at = connection.last_byte_at = self.clock()
        connection.first_byte_at = now if connection.buffer else None
        connection.continued = False
        connection.searched = 0
        self.held.add(connection)
        try:
            self._selector.register(connection.sock, selectors.EVENT_READ, connection)
        except (OSError, ValueError):
            self._drop(connection)
            return
        if connection.buffer:
            self._advance(connection)

    def _read(self, connection: Connection) -> None:
        try:
            chunk = connection.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk or connection.closing_at is not None:
            if not chunk:
                self._drop(connection)
            return
        now = self.clock()
        connection.first_byte_at = connection.first_byte_at or now
        connection.last_byte_at = now
        connection.buffer += chunk
        self._advance(connection)

    def _advance(self, connection: Connection) -> None:
        found = frame(connection.buffer, connection.searched)
        connection.searched = found.searched
        if found.expects_continue and not connection.continued and found.end is None:
            connection.continued = True
            _send(connection.sock, b"HTTP/1.1 100 Continue\r\n\r\n")
        if found.end is None:
            return
        data = bytes(connection.buffer[: found.end])
        del connection.buffer[: found.end]
        connection.searched = 0
        self._selector.unregister(connection.sock)
        self._work.put((connection, data))

    def _expire(self) -> None:
        now = self.clock()
        for connection in list(self.held):
            if connection.closing_at is not None:
                if now - connection.closing_at > LINGER_SECONDS:
                    self._drop(connection)
            elif connection.sock.fileno() < 0 or not self._registered(connection):
                continue
            elif connection.first_byte_at is None:
                if now - connection.ready_at > self.idle_seconds:
                    self._drop(connection)
            elif (
                now - connection.last_byte_at > self.idle_seconds
                or now - connection.first_byte_at > self.request_seconds
            ):
                self._time_out(connection)

    def _registered(self, connection: Connection) -> bool:
        try:
            return self._selector.get_key(connection.sock).data is connection
        except (KeyError, ValueError):
            return False

    def _time_out(self, connection: Connection) -> None:
        """A request begun and stalled: a 408 in the functions' error body, then the close."""
        _send(connection.sock, http_bytes(refusal(408, *REFUSED[408]), close=True))
        self._selector.unregister(connection.sock)
        self._linger(connection)

    def _linger(self, connection: Connection) -> None:
        """Half-closes, then reads and drops what the client still sends, then closes."""
        try:
            connection.sock.shutdown(socket.SHUT_WR)
            connection.sock.setblocking(False)
            self._selector.register(connection.sock, selectors.EVENT_READ, connection)
        except (OSError, ValueError):
            self._drop(connection)
            return
        connection.closing_at = self.clock()
        connection.buffer.clear()
        self.held.add(connection)

    def _drop(self, connection: Connection) -> None:
        if self._registered(connection):
            self._selector.unregister(connection.sock)
        self.held.discard(connection)
        _close(connection.sock)

    def _work_loop(self) -> None:
        while (item := self._work.get()) is not None:
            connection, data = item
            try:
                connection.sock.settimeout(self.request_seconds)
                keep = self.serve(Exchange(connection.sock, connection.address, data))
            except Exception:  # noqa: BLE001 - a failed answer closes its connection, not a worker
                keep = False
            if self._stopped.is_set():
                _close(connection.sock)
            else:
                self._post("resume" if keep else "linger", connection)


def _send(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        sock.send(data)


def _drain(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while sock.recv(4096):
            pass


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
