"""The digest chain, the sealed segments and the records they cover, as the digest job and
`clearance audit verify` read them from the audit bucket.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from clearance.audit.digest import HOUR, AuditObject, period_of_key
from clearance.audit.segment import Segment, decided_hour, open_segment
from clearance.audit.verify import Evidence
from clearance.aws.store import Bucket
from clearance.contracts import keys, media

SEGMENT_TYPE = "application/gzip"
"""A segment is gzip-compressed JSON lines (`.jsonl.gz`), stored as such for Athena."""

WRITE_SKEW = timedelta(minutes=5)
"""How much earlier than its `decided_at` S3 may date a record's write (clocks differ)."""


def _content(data: bytes) -> dict[str, Any]:
    """A digest's content, or nothing for a digest too damaged to read (verify names it)."""
    try:
        content = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return {}
    return content if isinstance(content, dict) else {}


def _entry_keys(content: dict[str, Any]) -> list[str]:
    entries = content.get("records")
    if not isinstance(entries, list):
        return []
    return [e["key"] for e in entries if isinstance(e, dict) and isinstance(e.get("key"), str)]


def _segment_ref(content: dict[str, Any]) -> dict[str, Any] | None:
    segment = content.get("segment")
    if isinstance(segment, dict) and isinstance(segment.get("key"), str):
        return segment
    return None


def _days(start: datetime, end: datetime) -> list[str]:
    """The decision days (UTC) from the day before `start` to the day after `end`."""
    first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


class DigestStore:
    """The digest chain, its segments and the records they cover, read from the audit bucket."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    def last_digest(self) -> tuple[str, bytes] | None:
        digests = sorted(self.bucket.keys(keys.DIGESTS))
        if not digests:
            return None
        stored = self.bucket.get(digests[-1])
        return (digests[-1], stored.data) if stored else None

    def first_day(self) -> datetime | None:
        """The start of the oldest decision day: where a new chain starts."""
        days = sorted(
            day
            for folder in self.bucket.folders(keys.DECISIONS)
            if (day := keys.day_of_partition(folder))
        )
        return datetime.fromisoformat(days[0]).replace(tzinfo=UTC) if days else None

    def sealable(self, start: datetime, end: datetime) -> dict[datetime, list[tuple[str, bytes]]]:
        """The records decided in each hour of [start, end), read once for the whole run.

        A record is read only if S3 dates its write no earlier than `start`: a decision cannot
        be written before it is made. Records that cannot be sealed (not one JSON line, filed
        at a key their content does not name) are left for `verify` to report.
        """
        candidates = [
            key
            for day in sorted(
                {(start + n * HOUR).date().isoformat() for n in range((end - start) // HOUR)}
            )
            for key, modified in self.bucket.listing(keys.decision_day_prefix(day))
            if modified >= start - WRITE_SKEW
        ]
        hours: dict[datetime, list[tuple[str, bytes]]] = {}
        for key, stored in zip(candidates, self.bucket.get_many(candidates), strict=True):
            hour = decided_hour(key, stored.data) if stored is not None else None
            if stored is not None and hour is not None and start <= hour < end:
                hours.setdefault(hour, []).append((key, stored.data))
        return hours

    def put_segment(self, segment: Segment) -> Segment:
        """Write once; a retried run seals what the first run wrote, never a second version."""
        if self.bucket.put_once(segment.key, segment.data, SEGMENT_TYPE):
            return segment
        stored = self.bucket.get(segment.key)
        opened = open_segment(segment.key, stored.data) if stored else None
        if opened is None:
            raise LookupError(f"segment {segment.key} exists but cannot be read back")
        return opened

    def put_digest(self, key: str, data: bytes) -> bytes:
        """Write once; a retried run finds the digest already there and chains from it."""
        if self.bucket.put_once(key, data, media.JSON):
            return data
        stored = self.bucket.get(key)
        if stored is None:
            raise LookupError(f"digest {key} vanished after a conflicting put")
        return stored.data

    def digests(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[AuditObject]:
        """The digests of [start, end) and of the hour before it, with their version counts."""
        versions = self.bucket.version_counts(keys.DIGESTS)
        wanted = []
        for key in sorted(versions):
            hour = period_of_key(key)
            if hour is None or start is None or end is None or start - HOUR <= hour < end:
                wanted.append(key)
        return self._objects(wanted, versions)

    def evidence(
        self,
        digests: list[AuditObject],
        start: datetime,
        end: datetime,
        *,
        whole_log: bool = False,
    ) -> Evidence:
        """Everything `verify_log` needs for [start, end): one read per sealed hour, not per record.

        Records are read one by one only where no sealed segment covers them: records no digest
        lists (the open hour, or insertions), and the hours whose segment is gone or altered.
        """
        contents = [_content(digest.data) for digest in digests]
        refs = [ref for content in contents if (ref := _segment_ref(content))]
        segment_versions = self.bucket.version_counts(keys.SEGMENTS) if refs else {}
        segments = {
            item.key: item
            for item in self._objects(sorted({ref["key"] for ref in refs}), segment_versions)
        }
        present, erased, etags = self.record_listing(_days(start, end))
        listed = {key for content in contents for key in _entry_keys(content)}
        unsealed = {
            key
            for content in contents
            if (ref := _segment_ref(content)) and not _intact(segments.get(ref["key"]), ref)
            for key in _entry_keys(content)
        }
        wanted = sorted((set(present) - listed) | (unsealed & set(present)))
        records = {item.key: item for item in self._objects(wanted, present)}
        # Pointers name records of any day: only a check of the whole log can judge them all.
        pointers = list(self.bucket.keys(keys.ARTICLE_POINTERS)) if whole_log else []
        return Evidence(digests, segments, present, records, erased, pointers, etags)

    def live_records(self, days: Iterable[str]) -> dict[str, int]:
        """Each decision record that exists now, with how many versions it has had."""
        return self.record_versions(days)[0]

    def record_versions(self, days: Iterable[str]) -> tuple[dict[str, int], frozenset[str]]:
        """Each live decision record with its version count, and those deleted (a delete marker
        is their latest version), in one listing."""
        live, deleted, _ = self.record_listing(days)
        return live, deleted

    def record_listing(
        self, days: Iterable[str]
    ) -> tuple[dict[str, int], frozenset[str], dict[str, str]]:
        """`record_versions`, and the ETag of each live record's latest version: under SSE-S3 the
        MD5 of its bytes, which `verify` compares with its sealed copy without reading it."""
        counts: dict[str, int] = {}
        deleted: set[str] = set()
        etags: dict[str, str] = {}
        paginator = self.bucket.client.get_paginator("list_object_versions")
        for day in days:
            prefix = keys.decision_day_prefix(day)
            for page in paginator.paginate(Bucket=self.bucket.name, Prefix=prefix):
                for item in page.get("Versions", []):
                    counts[item["Key"]] = counts.get(item["Key"], 0) + 1
                    if item.get("IsLatest") and item.get("ETag"):
                        etags[item["Key"]] = item["ETag"].strip('"')
                for marker in page.get("DeleteMarkers", []):
                    if marker.get("IsLatest"):
                        deleted.add(marker["Key"])
        live = {key: count for key, count in counts.items() if key not in deleted}
        return live, frozenset(deleted), {k: v for k, v in etags.items() if k in live}

    def _objects(self, names: list[str], versions: dict[str, int]) -> list[AuditObject]:
        return [
            AuditObject(key, stored.data, stored.version_id, versions.get(key, 1))
            for key, stored in zip(names, self.bucket.get_many(names), strict=True)
            if stored is not None
        ]


def _intact(stored: AuditObject | None, ref: dict[str, Any]) -> bool:
    return stored is not None and hashlib.sha256(stored.data).hexdigest() == ref.get("sha256")
