"""Whether the audit log is untouched: the digest chain and every record recomputed.

`verify_log` reads what is stored (digests and records, with their S3 version counts) and names
each inconsistency for a compliance officer: a record changed, deleted or inserted after its
hour; a digest changed, deleted or out of order; a signature from a key that is not ours.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clearance.audit.chain import (
    Findings,
    Problem,
    ProblemKind,
    Reading,
    chain_by_hour,
    check_link,
    check_predecessor,
    judge,
    listed_records,
    read_digest,
)
from clearance.audit.digest import (
    HOUR,
    StoredDigest,
    StoredRecord,
    Verifier,
    ceil_hour,
    digest_key,
    floor_hour,
    hour_text,
    moment_text,
    sha256_hex,
    utc,
)
from clearance.contracts import keys


@dataclass(frozen=True, slots=True)
class Verification:
    """What `verify_log` found over [start, end): counts, and every problem by kind and key."""

    start: datetime
    end: datetime
    verified_records: int
    verified_digests: int
    not_yet_digested: int
    unverified_records: int
    digested_until: datetime | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class _Span:
    """The hours the chain covers in the window, and the hours missing a digest."""

    start: datetime | None
    end: datetime | None
    missing: frozenset[datetime]


def verify_log(
    digests: Sequence[StoredDigest],
    records: Mapping[str, StoredRecord],
    verifier: Verifier,
    *,
    start: datetime,
    end: datetime,
    expect_digests_until: datetime | None = None,
) -> Verification:
    """Check the digests of the hours in [start, end) and the records they cover.

    `digests`: every digest of the window (the one before it, if given, anchors the chain).
    `records`: every record decided in the window, and every record a digest of the window
    lists (a record written late, after a retry, may be listed by a later hour's digest).
    Records decided after the last digest are counted as not yet digested. A deleted newest
    digest looks the same as one not yet made unless `expect_digests_until` says by when every
    hour must have its digest.
    """
    window_start, window_end = floor_hour(start), ceil_hour(end)
    found = Findings()
    readings = [read_digest(stored, verifier) for stored in sorted(digests, key=lambda d: d.key)]
    by_key = {reading.key: reading for reading in readings}
    by_hour = chain_by_hour(readings, found)
    hours = sorted(hour for hour in by_hour if window_start <= hour < window_end)
    in_window = [r for r in readings if r.hour is not None and window_start <= r.hour < window_end]
    broken = {r.hour for r in in_window if r.hour is not None and r.content is None}
    for hour in hours:
        check_link(hour, by_hour, by_key, found)
    listed = listed_records(by_hour[hour] for hour in hours)
    for reading in readings:
        judge(reading, found)
    span = _span(
        hours,
        broken,
        by_hour,
        window=(window_start, window_end),
        expect_digests_until=expect_digests_until,
    )
    for hour in sorted(span.missing):
        late = span.end is None or hour >= span.end
        found.add(
            ProblemKind.DIGEST_DELETED,
            digest_key(hour),
            f"digest {digest_key(hour)} of {hour_text(hour)} is missing: it was deleted"
            + (", or the digest job has not run" if late else "")
            + " (a quiet hour still gets a digest)",
        )
    for hour in hours:
        check_predecessor(hour, by_hour, by_key, window_start, found)

    verified = unverified = not_yet = 0
    for key, (reading, entry) in sorted(listed.items()):
        record = records.get(key)
        if not found.about(reading.key):
            if _check_record(key, record, reading.key, entry, found):
                verified += 1
        elif record is not None and record.versions > 1:
            found.add(
                ProblemKind.RECORD_CHANGED,
                key,
                f"record {key} has {record.versions} versions: it was overwritten",
            )
        else:
            unverified += 1
    trusted = {hour for hour in hours if not found.about(by_hour[hour].key)}
    for key, record in sorted(records.items()):
        moment = None if key in listed else _decided(record)
        if moment is None:
            continue
        decided = floor_hour(moment)
        if not window_start <= decided < window_end:
            continue
        if decided in span.missing or decided in broken:
            unverified += 1
        elif span.start is None or span.end is None or decided >= span.end:
            not_yet += 1
        elif decided < span.start:
            found.add(
                ProblemKind.RECORD_INSERTED,
                key,
                f"record {key} was decided at {moment_text(moment)}, before the first digest "
                f"{digest_key(span.start)}: it was added to the log afterwards",
            )
        elif decided in trusted:
            found.add(
                ProblemKind.RECORD_INSERTED,
                key,
                f"record {key} was decided at {moment_text(moment)} but is in no digest, and"
                f" digest {by_hour[decided].key} of that hour does not list it: it was added"
                " after the digest was made",
            )
        else:
            unverified += 1
    return Verification(
        start=window_start,
        end=window_end,
        verified_records=verified,
        verified_digests=sum(1 for reading in in_window if not found.about(reading.key)),
        not_yet_digested=not_yet,
        unverified_records=unverified,
        digested_until=span.end,
        problems=found.sorted(),
    )


def _span(
    hours: Sequence[datetime],
    broken: set[datetime],
    by_hour: Mapping[datetime, Reading],
    *,
    window: tuple[datetime, datetime],
    expect_digests_until: datetime | None,
) -> _Span:
    """From the genesis (or the window's start) to the last digest, every hour has a digest."""
    window_start, window_end = window
    present = set(hours) | broken
    start = end = None
    if present:
        first = min(present)
        genesis = first not in by_hour or by_hour[first].previous is None
        start = first if genesis else window_start
        end = max(present) + HOUR
    due = end
    if expect_digests_until is not None:
        until = min(floor_hour(expect_digests_until), window_end)
        start = start or window_start
        due = max(due, until) if due else until
    missing: set[datetime] = set()
    if start is not None and due is not None:
        hour = start
        while hour < due:
            if hour not in present:
                missing.add(hour)
            hour += HOUR
    return _Span(start, end, frozenset(missing))


def _check_record(
    key: str,
    record: StoredRecord | None,
    digest: str,
    entry: Mapping[str, Any],
    found: Findings,
) -> bool:
    """True when the record is exactly what the digest listed."""
    if record is None:
        found.add(
            ProblemKind.RECORD_DELETED,
            key,
            f"record {key} is listed in digest {digest} (sha256 {entry['sha256']}) but no "
            "longer exists",
        )
        return False
    sha256 = sha256_hex(record.data)
    if sha256 != entry["sha256"]:
        found.add(
            ProblemKind.RECORD_CHANGED,
            key,
            f"record {key} changed after digest {digest}: sha256 {sha256} != {entry['sha256']}",
        )
        return False
    if record.versions > 1:
        found.add(
            ProblemKind.RECORD_CHANGED,
            key,
            f"record {key} has {record.versions} versions: it was overwritten after digest "
            f"{digest} listed it",
        )
        return False
    listed_version = entry["version_id"]
    if listed_version and record.version_id and listed_version != record.version_id:
        found.add(
            ProblemKind.RECORD_CHANGED,
            key,
            f"record {key} is version {record.version_id}, but digest {digest} listed version "
            f"{listed_version}",
        )
        return False
    return True


def _decided(record: StoredRecord) -> datetime | None:
    """When a record was decided: its `decided_at`, or failing that the day its key names."""
    decided = _decided_at(record.data)
    if decided is not None:
        return utc(decided)
    day = keys.day_of_decision_key(record.key)
    if day is None:
        return None
    try:
        return datetime.fromisoformat(day).replace(tzinfo=UTC)
    except ValueError:
        return None


def _decided_at(data: bytes) -> datetime | None:
    try:
        record = json.loads(data)
        moment = datetime.fromisoformat(record["decided_at"])
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None
    return moment if moment.tzinfo is not None else None
