"""Feeds served over HTTP on loopback, as a provider's web server serves them: each file of a
directory at its name, with an ETag and a Last-Modified, answering a conditional GET that
matches with 304 and a client that accepts gzip with gzip. The demo, the end-to-end tests and
`bench/poll.py` poll it through the local stack's poller.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self

from clearance.contracts import media


class FeedServer:
    """`with FeedServer(directory) as server:` then `server.url("health.atom")`."""

    def __init__(self, directory: Path, port: int = 0) -> None:
        self.directory = directory.resolve()
        self.requests: list[tuple[str, int]] = []
        """(path, status) of every request answered, in order."""
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="clearance-feeds", daemon=True
        )

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/{name}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = server.directory / self.path.lstrip("/").split("?", 1)[0]
            if not path.is_file() or server.directory not in path.resolve().parents:
                self._answer(404, b"")
                return
            data = path.read_bytes()
            etag = f'"{hashlib.sha256(data).hexdigest()[:16]}"'
            modified = path.stat().st_mtime
            headers = {"ETag": etag, "Last-Modified": formatdate(modified, usegmt=True)}
            if self._unchanged(etag, modified):
                self._answer(304, b"", headers)
                return
            kind = media.of_extension(path.suffix) or "application/octet-stream"
            headers["Content-Type"] = kind
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                data, headers["Content-Encoding"] = gzip.compress(data), "gzip"
            self._answer(200, data, headers)

        def _unchanged(self, etag: str, modified: float) -> bool:
            asked = self.headers.get("If-None-Match")
            if asked is not None:
                return etag in (tag.strip() for tag in asked.split(","))
            since = self.headers.get("If-Modified-Since")
            try:
                return since is not None and parsedate_to_datetime(since).timestamp() >= int(
                    modified
                )
            except (TypeError, ValueError):
                return False

        def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            server.requests.append((self.path, status))
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the requests are kept in `server.requests`."""

    return Handler
