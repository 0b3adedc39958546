"""The audit log in S3 as a reviewer reads it: pages of decisions, one article's history, proofs.

A sealed hour is read from its segment (one object for the whole hour); only records that no
segment holds are read one by one: the open hour's, and any slipped into a sealed hour or before
the first digest, which are marked so a reviewer sees they are outside every digest. One
article's history is compared, record by record, with the sealed copies of its hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from clearance.audit.query import (
    AuditQuery,
    Cursor,
    day_prefix,
    days_to_read,
    record_matches,
)
from clearance.audit.seals import (
    SealCheck,
    SealedHour,
    SealState,
    Viewed,
    article_of,
    compare,
    read_hour,
)
from clearance.audit.segment import claimed_hour, open_segment, parse_line
from clearance.aws.store import Bucket
from clearance.contracts import keys

HOUR = timedelta(hours=1)


class Seal(StrEnum):
    """Whether a digest covers a record: sealed, in the open hour, or outside every digest."""

    SEALED = "sealed"
    OPEN = "open"
    UNSEALED = "unsealed"


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    decided: datetime
    record: dict[str, Any]
    seal: Seal


@dataclass(frozen=True, slots=True)
class Page:
    records: list[dict[str, Any]]
    next_token: str | None
    seals: dict[str, Seal] = field(default_factory=dict)
    """The decision ids of the page's records that no digest covers, and why."""


@dataclass(frozen=True, slots=True)
class SealedHours:
    """The hours that have a digest, from one listing of the digest prefix."""

    hours: frozenset[datetime]

    @property
    def first(self) -> datetime | None:
        return min(self.hours) if self.hours else None

    def seal_of(self, hour: datetime | None) -> Seal:
        """A record no segment holds: outside every digest if its hour is sealed or too old."""
        first = self.first
        if hour is not None and (hour in self.hours or (first is not None and hour < first)):
            return Seal.UNSEALED
        return Seal.OPEN


class AuditLog:
    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    def page(self, query: AuditQuery) -> Page:
        """Up to `limit` decisions, newest first, and a token for the rest."""
        entries: list[tuple[str, Entry]] = []
        for day, entry in self._matching(query):
            if len(entries) == query.limit:
                last_day, last = entries[-1]
                cursor = Cursor(last_day, last.decided.isoformat(), last.key)
                return self._page(entries, cursor.token())
            entries.append((day, entry))
        return self._page(entries, None)

    @staticmethod
    def _page(entries: list[tuple[str, Entry]], token: str | None) -> Page:
        seals: dict[str, Seal] = {
            str(entry.record.get("decision_id")): entry.seal
            for _, entry in entries
            if entry.seal is not Seal.SEALED
        }
        return Page([entry.record for _, entry in entries], token, seals)

    def records(self, query: AuditQuery) -> Iterator[dict[str, Any]]:
        """Every matching decision, newest first (exports, reports)."""
        for _, entry in self._matching(query):
            yield entry.record

    def entries(self, query: AuditQuery) -> Iterator[Entry]:
        for _, entry in self._matching(query):
            yield entry

    def sealed_hours(self) -> SealedHours:
        return SealedHours(
            frozenset(
                hour
                for key in self.bucket.keys(keys.DIGESTS)
                if (hour := keys.hour_of_digest_key(key))
            )
        )

    def _matching(self, query: AuditQuery) -> Iterator[tuple[str, Entry]]:
        sealed = self.sealed_hours()
        folders = self.bucket.folders(keys.DECISIONS) + [
            keys.DECISIONS + folder.removeprefix(keys.SEGMENTS)
            for folder in self.bucket.folders(keys.SEGMENTS)
        ]
        for day in sorted(set(days_to_read(folders, query)), reverse=True):
            chosen = [entry for entry in self._day(day, query, sealed) if _matches(entry, query)]
            chosen.sort(key=lambda entry: (entry.decided, entry.key), reverse=True)
            if query.after and query.after.day == day:
                stop = (datetime.fromisoformat(query.after.modified), query.after.key)
                chosen = [entry for entry in chosen if (entry.decided, entry.key) < stop]
            for entry in chosen:
                yield day, entry

    def _day(self, day: str, query: AuditQuery, sealed: SealedHours) -> list[Entry]:
        """One day's decisions: its segments, then the records no segment holds."""
        segment_keys = list(self.bucket.keys(keys.segment_day_prefix(day)))
        found: dict[str, Entry] = {}
        sealed_keys: set[str] = set()
        for key, stored in zip(segment_keys, self.bucket.get_many(segment_keys), strict=True):
            segment = open_segment(key, stored.data) if stored is not None else None
            for record_key, line in segment.records if segment else ():
                sealed_keys.add(record_key)
                if record_key in found or not _key_matches(record_key, query):
                    continue
                record = parse_line(line)
                decided = _decided(record)
                if record is not None and decided is not None:
                    found[record_key] = Entry(record_key, decided, record, Seal.SEALED)
        loose = [
            key
            for key in self.bucket.keys(day_prefix(day, query))
            if key not in sealed_keys and _key_matches(key, query)
        ]
        for key, stored in zip(loose, self.bucket.get_many(loose), strict=True):
            record = parse_line(stored.data) if stored is not None else None
            decided = _decided(record)
            if stored is None or record is None or decided is None:
                continue
            seal = sealed.seal_of(claimed_hour(key, stored.data))
            found[key] = Entry(key, decided, record, seal)
        return list(found.values())

    def read(self, key: str) -> dict[str, Any] | None:
        stored = self.bucket.get(key)
        return parse_line(stored.data) if stored is not None else None

    def article_records(self, article_id: str) -> list[tuple[str, bytes]]:
        """(key, stored bytes) of every decision about one article, oldest first.

        A record deleted after its hour was sealed is read from the hour's segment instead.
        """
        prefix = keys.article_pointers_prefix(article_id)
        found: list[tuple[str, str, bytes]] = []
        for pointer_key in self.bucket.keys(prefix):
            pointer = self.read(pointer_key)
            if pointer is None or not isinstance(pointer.get("decision_key"), str):
                continue
            key = pointer["decision_key"]
            stored = self.bucket.get(key)
            data = stored.data if stored is not None else self._sealed_copy(key, pointer)
            if data is not None:
                found.append((str(pointer.get("decided_at", "")), key, data))
        return [(key, data) for _, key, data in sorted(found)]

    def article_view(self, article_id: str) -> list[Viewed]:
        """Every decision about one article, oldest first, each compared with its sealed copy.

        Reads the article's pointers and records, then one digest and one segment per hour they
        fall in. A sealed record of the article that its pointer no longer names (both deleted)
        is found in the segments read, and shown from there.
        """
        named: dict[str, tuple[str, bytes | None, datetime | None]] = {}
        for pointer_key in self.bucket.keys(keys.article_pointers_prefix(article_id)):
            pointer = self.read(pointer_key)
            if pointer is None or not isinstance(pointer.get("decision_key"), str):
                continue
            key = pointer["decision_key"]
            stored = self.bucket.get(key)
            data = stored.data if stored is not None else None
            named[key] = (str(pointer.get("decided_at", "")), data, _hour_of(key, data, pointer))
        chain = self.sealed_hours()
        span = (min(chain.hours), max(chain.hours)) if chain.hours else None
        hours = {hour: self._seal_of(hour, span) for _, _, hour in named.values() if hour}
        viewed = []
        for key, (decided, data, hour) in named.items():
            sealed = hours.get(hour) if hour else None
            if sealed is None:
                reason = f"record {key}: its hour cannot be told from its key or its content"
                viewed.append(Viewed(decided, key, data, SealCheck(SealState.UNCHECKED, reason)))
                continue
            check = compare(key, data, sealed)
            viewed.append(Viewed(decided, key, data or sealed.lines.get(key), check))
        for sealed in hours.values():
            for key, line in sealed.lines.items():
                if key not in named and article_of(line) == article_id:
                    record = parse_line(line) or {}
                    decided = str(record.get("decided_at", ""))
                    viewed.append(Viewed(decided, key, line, compare(key, None, sealed)))
        return sorted(viewed, key=lambda item: (item.decided_at, item.key))

    def _seal_of(self, hour: datetime, chain: tuple[datetime, datetime] | None) -> SealedHour:
        digest = self.digest(hour)
        stored = self.bucket.get(keys.segment_key(hour))
        return read_hour(hour, digest, stored.data if stored else None, chain)

    def _sealed_copy(self, key: str, pointer: dict[str, Any]) -> bytes | None:
        hour = claimed_hour(key, None)
        try:
            decided = datetime.fromisoformat(str(pointer.get("decided_at")))
            hour = decided.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        except ValueError:
            pass
        if hour is None:
            return None
        stored = self.bucket.get(keys.segment_key(hour))
        segment = open_segment(keys.segment_key(hour), stored.data) if stored else None
        return dict(segment.records).get(key) if segment else None

    def digest(self, hour: datetime) -> bytes | None:
        stored = self.bucket.get(keys.digest_key(hour))
        return stored.data if stored else None

    def following_digest(self, hour: datetime) -> bytes | None:
        return self.digest(hour + HOUR)


def _hour_of(key: str, data: bytes | None, pointer: dict[str, Any]) -> datetime | None:
    """The hour a record is sealed in: its own `decided_at`, else its pointer's."""
    if data is None:
        try:
            decided = datetime.fromisoformat(str(pointer.get("decided_at")))
        except ValueError:
            return claimed_hour(key, None)
        if decided.tzinfo is None:
            return claimed_hour(key, None)
        return decided.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return claimed_hour(key, data)


def _decided(record: dict[str, Any] | None) -> datetime | None:
    if record is None:
        return None
    try:
        decided = datetime.fromisoformat(str(record.get("decided_at")))
    except ValueError:
        return None
    return decided.astimezone(UTC) if decided.tzinfo is not None else None


def _key_matches(key: str, query: AuditQuery) -> bool:
    parts = keys.parse_decision_key(key)
    if parts is None:
        return False
    return (query.provider in (None, parts.provider)) and (query.outcome in (None, parts.outcome))


def _matches(entry: Entry, query: AuditQuery) -> bool:
    try:
        return record_matches(entry.record, query)
    except (KeyError, TypeError, ValueError):
        return False
