"""The audit log in S3 as a reviewer reads it: pages of decisions, one article's history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from clearance.audit.query import (
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
from clearance.contracts import keys

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
        for day in days_to_read(self.bucket.folders(keys.DECISIONS), query):
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
        prefix = keys.article_pointers_prefix(article_id)
        decisions = []
        for key in self.bucket.keys(prefix):
            pointer = self.read(key)
            record = self.read(pointer["decision_key"]) if pointer else None
            if record is not None:
                decisions.append(record)
        return sorted(decisions, key=lambda r: (r["decided_at"], r["decision_id"]))
