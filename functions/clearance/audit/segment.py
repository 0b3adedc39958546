"""Sealed segments: one gzip-compressed JSON-lines object per hour, the hour's records in key order.

A segment is the concatenation of the stored bytes of the hour's records (each one JSON line), so
each line hashes to the SHA-256 the digest lists and the segment's own SHA-256 pins them all:
queries and `verify` read one object per sealed hour instead of one per record, and Athena reads
the same objects. Only a record that is one JSON line, filed under the key its content names and
decided in the hour, is sealed into that hour: nothing can be sealed into another hour than its own.

Pure: bytes in, bytes out.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clearance.contracts import keys

MAX_SEGMENT_BYTES = 512 * 1024 * 1024
"""A segment larger than this once decompressed is refused rather than read into memory."""


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """A segment as its digest names it."""

    key: str
    sha256: str
    bytes: int


@dataclass(frozen=True, slots=True)
class Segment:
    """The stored bytes of one hour's segment and the (key, line) of each record, in key order."""

    key: str
    data: bytes
    records: tuple[tuple[str, bytes], ...]

    @property
    def ref(self) -> SegmentRef:
        return SegmentRef(self.key, hashlib.sha256(self.data).hexdigest(), len(self.data))


def build_segment(hour: datetime, records: Sequence[tuple[str, bytes]]) -> Segment:
    """The segment of `hour` from (key, stored bytes) pairs; deterministic for the same records."""
    ordered = sorted(records)
    for key, data in ordered:
        if decided_hour(key, data) != hour:
            raise ValueError(f"record {key} cannot be sealed into the hour of {hour.isoformat()}")
    compressed = gzip.compress(b"".join(data for _, data in ordered), compresslevel=6, mtime=0)
    return Segment(keys.segment_key(hour), compressed, tuple(ordered))


def open_segment(key: str, data: bytes) -> Segment | None:
    """A stored segment read back, each line filed under the key its record names."""
    lines = segment_lines(data)
    if lines is None:
        return None
    records = []
    for line in lines:
        record = parse_line(line)
        try:
            filed = keys.record_key(record) if record is not None else None
        except (KeyError, TypeError):
            filed = None
        if filed is None:
            return None
        records.append((filed, line))
    return Segment(key, data, tuple(records))


def segment_lines(data: bytes) -> tuple[bytes, ...] | None:
    """The record lines of a stored segment, each with its newline; None when it is not one."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
            raw = unzipped.read(MAX_SEGMENT_BYTES + 1)
    except (OSError, EOFError, zlib.error):
        return None
    if len(raw) > MAX_SEGMENT_BYTES or (raw and not raw.endswith(b"\n")):
        return None
    return tuple(raw.splitlines(keepends=True))


def parse_line(line: bytes) -> dict[str, Any] | None:
    """A record from one segment line, or None for a line that is not a JSON object."""
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def decided_hour(key: str, data: bytes) -> datetime | None:
    """The hour a record belongs to, when its key and content agree; None when they do not.

    A sealable record is one JSON line, filed at the key its own content names (its decision
    day, provider, outcome and id), with a `decided_at` that carries a time zone.
    """
    if not data.endswith(b"\n") or data.count(b"\n") != 1:
        return None
    record = parse_line(data)
    if record is None:
        return None
    try:
        decided = datetime.fromisoformat(str(record["decided_at"]))
        filed = keys.record_key(record)
        if decided.tzinfo is None or filed != key:
            return None
        decided = decided.astimezone(UTC)
    except (KeyError, ValueError, TypeError, AttributeError, OverflowError):
        return None
    if decided.date().isoformat() != keys.day_of_decision_key(key):
        return None
    return decided.replace(minute=0, second=0, microsecond=0)


def claimed_hour(key: str, data: bytes | None) -> datetime | None:
    """The hour a record claims by its `decided_at`, else the start of the day its key names."""
    record = parse_line(data) if data is not None else None
    if record is not None:
        try:
            decided = datetime.fromisoformat(str(record.get("decided_at")))
        except ValueError:
            decided = None
        if decided is not None and decided.tzinfo is not None:
            return decided.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    day = keys.day_of_decision_key(key)
    if day is None:
        return None
    try:
        return datetime.fromisoformat(day).replace(tzinfo=UTC)
    except ValueError:
        return None
