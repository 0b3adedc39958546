"""Two JSON encodings, each used wherever its bytes are stored or hashed."""

from __future__ import annotations

import json
from typing import Any


def json_line(value: Any) -> bytes:
    """A stored record: sorted keys, readable UTF-8, one line ending in a newline."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True) + "\n").encode()


def canonical(value: Any) -> bytes:
    """The bytes that are signed and hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
