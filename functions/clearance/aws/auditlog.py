"""The audit log in S3: pages of decisions, one article's history, and the digest chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from clearance.audit import ARTICLE_INDEX_PREFIX, AUDIT_PREFIX
from clearance.auditquery import (
    AuditQuery,
    Cursor,
    Listed,
    day_prefix,
    days_to_read,
    needs_record,
    newest_first,
    record_matches,
)
from clearance.aws.store import Bucket
from clearance.digest import DIGEST_PREFIX, AuditObject, RecordRef
from clearance.keys import safe_segment

READ_BATCH = 64


@dataclass(frozen=True, slots=True)
class Page:
    records: list[dict[str, Any]]
    next_token: str | None


class AuditLog:
    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    def page(self, query: AuditQuery) -> Page:
        """Up to `limit` decisions, newest first, and a token for the rest."""
        records: list[dict[str, Any]] = []
        last: tuple[str, Listed] | None = None
        for day, item, record in self._matching(query):
            if last is not None and len(records) == query.limit:
                last_day, last_item = last
                cursor = Cursor(last_day, last_item.modified.isoformat(), last_item.key)
                return Page(records, cursor.token())
            records.append(record)
            last = (day, item)
        return Page(records, None)

    def records(self, query: AuditQuery) -> Iterator[dict[str, Any]]:
        """Every matching decision, newest first (exports, reports)."""
        for _, _, record in self._matching(query):
            yield record

    def _matching(self, query: AuditQuery) -> Iterator[tuple[str, Listed, dict[str, Any]]]:
        reads_record = needs_record(query)
        for day in days_to_read(self.bucket.folders(AUDIT_PREFIX), query):
            listed = [
                Listed(key, modified.astimezone(UTC))
                for key, modified in self.bucket.listing(day_prefix(day, query))
            ]
            chosen = newest_first(listed, day, query)
            for start in range(0, len(chosen), READ_BATCH):
                batch = chosen[start : start + READ_BATCH]
                stored = self.bucket.get_many([item.key for item in batch])
                for item, found in zip(batch, stored, strict=True):
                    if found is None:
                        continue
                    record: dict[str, Any] = json.loads(found.data)
                    if reads_record and not record_matches(record, query):
                        continue
                    yield day, item, record

    def read(self, key: str) -> dict[str, Any] | None:
        stored = self.bucket.get(key)
        if stored is None:
            return None
        record: dict[str, Any] = json.loads(stored.data)
        return record

    def article(self, article_id: str) -> list[dict[str, Any]]:
        """Every decision about one article, all versions, oldest first."""
        prefix = f"{ARTICLE_INDEX_PREFIX}{safe_segment(article_id, 200)}/"
        decisions = []
        for key in self.bucket.keys(prefix):
            pointer = self.read(key)
            record = self.read(pointer["decision_key"]) if pointer else None
            if record is not None:
                decisions.append(record)
        return sorted(decisions, key=lambda r: (r["decided_at"], r["decision_id"]))


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
        keys = sorted(self.bucket.keys(DIGEST_PREFIX))
        if not keys:
            return None
        stored = self.bucket.get(keys[-1])
        return (keys[-1], stored.data) if stored else None

    def first_write(self) -> datetime | None:
        """When the oldest decision record was written: where a new chain starts."""
        folders = sorted(self.bucket.folders(AUDIT_PREFIX))
        if not folders:
            return None
        return min((modified for _, modified in self.bucket.listing(folders[0])), default=None)

    def written_between(self, start: datetime, end: datetime) -> list[RecordRef]:
        """Records written in [start, end) by S3 time: a late write joins a later digest.

        A decision is filed under the day its delivery arrived and may be written days later
        (retries, a dead-letter redrive), so the partitions of the look-back window are listed.
        """
        days = [(end - timedelta(days=back)).date() for back in range(LOOKBACK_DAYS + 1)]
        keys = sorted(
            {
                key
                for day in days
                for key, modified in self.bucket.listing(f"{AUDIT_PREFIX}dt={day.isoformat()}/")
                if start <= modified < end
            }
        )
        return [
            RecordRef.of(key, stored.data, stored.version_id)
            for key, stored in zip(keys, self.bucket.get_many(keys), strict=True)
            if stored is not None
        ]

    def put_digest(self, key: str, data: bytes) -> bytes:
        """Write once; a retried run finds the digest already there and chains from it."""
        if self.bucket.put_once(key, data, "application/json"):
            return data
        stored = self.bucket.get(key)
        if stored is None:
            raise LookupError(f"digest {key} vanished after a conflicting put")
        return stored.data

    def digests(self) -> list[AuditObject]:
        versions = self.bucket.version_counts(DIGEST_PREFIX)
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
        versions = self.bucket.version_counts(AUDIT_PREFIX) if listed - set(records) else {}
        for item in self._objects(sorted(listed - set(records)), versions):
            records[item.key] = item
        return records

    def records_decided(self, start: datetime, end: datetime) -> dict[str, AuditObject]:
        """Every decision record in the day partitions around [start, end)."""
        first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
        keys = []
        for folder in self.bucket.folders(AUDIT_PREFIX):
            day = folder.removeprefix(AUDIT_PREFIX).removeprefix("dt=").rstrip("/")
            if first.isoformat() <= day <= last.isoformat():
                keys += list(self.bucket.keys(folder))
        versions = self.bucket.version_counts(AUDIT_PREFIX)
        return {item.key: item for item in self._objects(keys, versions)}

    def _objects(self, keys: list[str], versions: dict[str, int]) -> list[AuditObject]:
        return [
            AuditObject(key, stored.data, stored.version_id, versions.get(key, 1))
            for key, stored in zip(keys, self.bucket.get_many(keys), strict=True)
            if stored is not None
        ]
