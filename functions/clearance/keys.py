"""Names for stored copies, derived from content and passed through an allow-list.

Article ids and versions come from providers; only characters in `[A-Za-z0-9_-]` ever reach a
path or an S3 key, so no id (`../`, `%2e%2e`, NUL, CR/LF, bidi controls, a megabyte of text)
can name another prefix. A hash of the original keeps distinct ids distinct after cleaning.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MAX_SEGMENT = 80


def safe_segment(value: str, max_length: int = MAX_SEGMENT) -> str:
    """A path segment made only of allowed characters; never empty, never `.` or `..`."""
    cleaned = _UNSAFE.sub("-", value).strip("-")[:max_length].strip("-")
    return cleaned or "x"


def article_slug(uri: str) -> str:
    """Readable and unique: the cleaned tail of the uri and a hash of the whole uri."""
    tail = safe_segment(uri.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1], 48)
    return f"{tail}-{hashlib.sha256(uri.encode()).hexdigest()[:16]}"


def version_segment(version: str) -> str:
    return "v" + safe_segment(version, 32)
