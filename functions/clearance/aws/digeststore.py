"""The digest chain in the audit bucket, and the records it covers, as the digest job and
`clearance audit verify` read them.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from clearance.audit.digest import AuditObject, RecordRef
from clearance.aws.store import Bucket
from clearance.contracts import keys, media

LOOKBACK_DAYS = 15


def _entries(data: bytes) -> list[Any]:
    """A digest's record list, or nothing for a digest too damaged to read (verify names it)."""
    try:
        entries = json.loads(data).get("records")
    except (ValueError, AttributeError):
        return []
    return entries if isinstance(entries, list) else []


class DigestStore:
    """The digest chain and the records it covers, read from the audit bucket."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    def last_digest(self) -> tuple[str, bytes] | None:
        digests = sorted(self.bucket.keys(keys.DIGESTS))
        if not digests:
            return None
        stored = self.bucket.get(digests[-1])
        return (digests[-1], stored.data) if stored else None

    def first_write(self) -> datetime | None:
        """When the oldest decision record was written: where a new chain starts."""
        folders = sorted(self.bucket.folders(keys.DECISIONS))
        if not folders:
            return None
        return min((modified for _, modified in self.bucket.listing(folders[0])), default=None)

    def written_between(self, start: datetime, end: datetime) -> list[RecordRef]:
        """Records written in [start, end) by S3 time: a late write joins a later digest.

        A decision is filed under the day its delivery arrived and may be written days later
        (retries, a dead-letter redrive), so the partitions of the look-back window are listed.
        """
        days = [(end - timedelta(days=back)).date() for back in range(LOOKBACK_DAYS + 1)]
        written = sorted(
            {
                key
                for day in days
                for key, modified in self.bucket.listing(keys.decision_day_prefix(day.isoformat()))
                if start <= modified < end
            }
        )
        return [
            RecordRef.of(key, stored.data, stored.version_id)
            for key, stored in zip(written, self.bucket.get_many(written), strict=True)
            if stored is not None
        ]

    def put_digest(self, key: str, data: bytes) -> bytes:
        """Write once; a retried run finds the digest already there and chains from it."""
        if self.bucket.put_once(key, data, media.JSON):
            return data
        stored = self.bucket.get(key)
        if stored is None:
            raise LookupError(f"digest {key} vanished after a conflicting put")
        return stored.data

    def digests(self) -> list[AuditObject]:
        versions = self.bucket.version_counts(keys.DIGESTS)
        return self._objects(sorted(versions), versions)

    def records_to_verify(
        self, digests: list[AuditObject], start: datetime, end: datetime
    ) -> dict[str, AuditObject]:
        """Records decided around [start, end), and every record those digests list."""
        records = self.records_decided(start, end)
        listed = {
            entry["key"]
            for digest in digests
            for entry in _entries(digest.data)
            if isinstance(entry, dict) and isinstance(entry.get("key"), str)
        }
        versions = self.bucket.version_counts(keys.DECISIONS) if listed - set(records) else {}
        for item in self._objects(sorted(listed - set(records)), versions):
            records[item.key] = item
        return records

    def records_decided(self, start: datetime, end: datetime) -> dict[str, AuditObject]:
        """Every decision record in the day partitions around [start, end)."""
        first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
        decided = []
        for folder in self.bucket.folders(keys.DECISIONS):
            day = keys.day_of_partition(folder)
            if day is not None and first.isoformat() <= day <= last.isoformat():
                decided += list(self.bucket.keys(folder))
        versions = self.bucket.version_counts(keys.DECISIONS)
        return {item.key: item for item in self._objects(decided, versions)}

    def _objects(self, names: list[str], versions: dict[str, int]) -> list[AuditObject]:
        return [
            AuditObject(key, stored.data, stored.version_id, versions.get(key, 1))
            for key, stored in zip(names, self.bucket.get_many(names), strict=True)
            if stored is not None
        ]
