"""The desk's console served locally at `/console/`, as CloudFront serves it from its bucket.

The files are the ones deployed (`clearance/console/`), with the response headers the
template's `ConsoleResponseHeaders` policy adds (tests/integration/test_template.py holds the two
equal), and `config.json` written from the local pool and endpoint instead of the stack's outputs.
The API is on the same origin, as CloudFront routes `/desk/*` to it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from clearance.local.proxy import Reply

CONSOLE = Path(__file__).resolve().parent.parent / "console"
PREFIX = "/console"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


def content_security_policy(cognito_origin: str) -> str:
    """Scripts and styles from the console's own files only, nothing inline; calls to the API
    (same origin) and to Cognito; no framing of the console by anyone."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {cognito_origin}; frame-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )


def security_headers(cognito_origin: str) -> list[tuple[str, str]]:
    """The headers of every console answer, as the distribution's response headers policy."""
    return [
        ("Content-Security-Policy", content_security_policy(cognito_origin)),
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    ]


class ConsoleSite:
    """The console's files, and its configuration, at `/console/`."""

    def __init__(self, config: Mapping[str, str], cognito_origin: str) -> None:
        self.config = json.dumps(dict(config), indent=2).encode()
        self.headers = security_headers(cognito_origin)
        self.files = {path.name: path for path in CONSOLE.iterdir() if path.suffix in TYPES}

    @staticmethod
    def serves(path: str) -> bool:
        return path == PREFIX or path.startswith(PREFIX + "/")

    def answer(self, method: str, path: str) -> Reply:
        if method not in ("GET", "HEAD"):
            return self._reply(405, "text/plain; charset=utf-8", b"GET only\n", [("Allow", "GET")])
        if path == PREFIX:
            return self._reply(301, "text/plain; charset=utf-8", b"", [("Location", PREFIX + "/")])
        name = path.removeprefix(PREFIX + "/") or "index.html"
        if name == "config.json":
            return self._reply(200, TYPES[".json"], self.config, [("Cache-Control", "no-store")])
        found = self.files.get(name)
        if found is None:
            return self._reply(404, "text/plain; charset=utf-8", b"not found\n")
        body = found.read_bytes() if method == "GET" else b""
        return self._reply(200, TYPES[found.suffix], body)

    def _reply(
        self,
        status: int,
        content_type: str,
        body: bytes,
        extra: list[tuple[str, str]] | None = None,
    ) -> Reply:
        headers = [("Content-Type", content_type), *self.headers, *(extra or [])]
        return Reply(status, headers, body)
