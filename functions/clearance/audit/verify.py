"""Whether the audit log is untouched: the digest chain, each sealed segment, every record.

`verify_log` reads what is stored (digests, segments, which records exist with their S3 version
counts, and the bytes of records no digest seals) and names each inconsistency for a compliance
officer: a record changed, deleted or inserted; a segment changed or deleted; a digest changed,
deleted or out of order; a signature from a key that is not ours. A record is checked only
against the digest of the hour its own key and `decided_at` name, and each fault is reported on
its own object, so one bad record never leaves the rest of its hour unverified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from clearance.audit.chain import (
    Chain,
    Findings,
    ProblemKind,
    Reading,
    check_predecessor,
    listed_records,
    read_chain,
)
from clearance.audit.digest import (
    AuditObject,
    StoredDigest,
    StoredRecord,
    Verifier,
    ceil_hour,
    digest_key,
    floor_hour,
    hour_text,
    sha256_hex,
)
from clearance.audit.hours import SEALING_GRACE, Span, name_missing, span_of
from clearance.audit.segment import claimed_hour, decided_hour, segment_lines
from clearance.audit.verification import Verification
from clearance.contracts import keys


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the audit bucket holds for a window.

    `digests`: every digest of the window (the one before it, if given, anchors the chain).
    `segments`: the segments those digests name, by key, as stored.
    `present`: every live decision record of the window's day partitions, with its version count.
    `records`: the bytes of every present record no digest lists, and of the records of hours
    whose segment is missing or does not match its digest.
    `erased`: records of the window's days whose latest version is a delete marker.
    `pointers`: article pointer keys, when the whole log is verified (each names a record).
    `etags`: the ETag of each present record's latest version, when the listing gives it: for a
    single-part put under SSE-S3, the MD5 of its bytes, compared with its sealed copy's.
    """

    digests: Sequence[StoredDigest]
    segments: Mapping[str, AuditObject] = field(default_factory=dict)
    present: Mapping[str, int] = field(default_factory=dict)
    records: Mapping[str, StoredRecord] = field(default_factory=dict)
    erased: frozenset[str] = frozenset()
    pointers: Sequence[str] = ()
    etags: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Tally:
    verified: int = 0
    unverified: int = 0
    open: int = 0


def verify_log(
    evidence: Evidence,
    verifier: Verifier,
    *,
    start: datetime,
    end: datetime,
    expect_digests_until: datetime | None = None,
    as_at: datetime | None = None,
) -> Verification:
    """Check the digests of the hours in [start, end), their segments and their records.

    Records decided after the last digest are counted as not yet digested (the open hour). A
    deleted newest digest looks the same as one not yet made unless it is known by when every
    hour must have its digest: `as_at` (less `SEALING_GRACE`), or `expect_digests_until`.
    """
    window = floor_hour(start), ceil_hour(end)
    if expect_digests_until is None and as_at is not None:
        expect_digests_until = as_at - SEALING_GRACE
    found = Findings()
    chain = read_chain(evidence.digests, verifier, window, found)
    listed, again = listed_records(chain.by_hour[hour] for hour in sorted(chain.by_hour))
    loose = _loose(evidence, set(listed), window, found)
    span = span_of(
        set(chain.hours) | chain.broken,
        chain.by_hour,
        window=window,
        earliest_record=min(loose.values(), default=None),
        expect_digests_until=expect_digests_until,
        as_at=as_at,
    )
    name_missing(span, loose, found)
    for hour in chain.hours:
        check_predecessor(hour, chain.by_hour, chain.by_key, window[0], found)
    tally = _Tally()
    trusted = _check_sealed(chain, evidence, again, found, tally)
    _judge_loose(loose, chain, span, trusted, found=found, tally=tally)
    _unsealed_deletions(evidence, set(listed), found)
    return Verification(
        start=window[0],
        end=window[1],
        verified_records=tally.verified,
        verified_digests=sum(1 for reading in chain.in_window if not found.about(reading.key)),
        not_yet_digested=tally.open,
        unverified_records=tally.unverified,
        digested_until=span.end,
        problems=found.sorted(),
    )


def _check_sealed(
    chain: Chain,
    evidence: Evidence,
    again: Mapping[str, list[str]],
    found: Findings,
    tally: _Tally,
) -> set[datetime]:
    """Each trusted hour's segment and records; the hours trusted."""
    trusted = {hour for hour in chain.hours if not found.about(chain.by_hour[hour].key)}
    for key, digests in sorted(again.items()):
        found.add(
            ProblemKind.RECORD_CHANGED,
            key,
            f"record {key} is listed by digest {digests[0]} and again by "
            f"{', '.join(digests[1:])}: it was rewritten after its hour was sealed",
        )
    for hour in chain.hours:
        reading = chain.by_hour[hour]
        if hour in trusted:
            _check_hour(reading, evidence, found, tally)
            continue
        for entry in reading.entries:
            if evidence.present.get(entry["key"], 0) > 1:
                _overwritten(entry["key"], reading.key, found)
            else:
                tally.unverified += 1
    return trusted


def _judge_loose(
    loose: Mapping[str, datetime],
    chain: Chain,
    span: Span,
    trusted: set[datetime],
    *,
    found: Findings,
    tally: _Tally,
) -> None:
    """Records no digest lists: unverifiable, open, or inserted, by the hour they claim."""
    for key, claimed in sorted(loose.items()):
        untrusted = claimed in chain.by_hour and claimed not in trusted
        if claimed in span.missing or claimed in chain.broken or untrusted:
            tally.unverified += 1
        elif span.start is None or span.end is None or claimed >= span.end:
            tally.open += 1
        elif claimed < span.start:
            found.add(
                ProblemKind.RECORD_INSERTED,
                key,
                f"record {key} was decided in {hour_text(claimed)}, before the first digest "
                f"{digest_key(span.start)}: it was added to the log afterwards",
            )
        elif claimed in trusted:
            found.add(
                ProblemKind.RECORD_INSERTED,
                key,
                f"record {key} was decided in {hour_text(claimed)}, an hour already sealed, but "
                f"digest {chain.by_hour[claimed].key} of that hour does not list it: it was added "
                "after the hour was sealed, however late it was written",
            )
        else:
            tally.unverified += 1


def _loose(
    evidence: Evidence, listed: set[str], window: tuple[datetime, datetime], found: Findings
) -> dict[str, datetime]:
    """The hour of each present record in the window that no digest lists.

    A record that no digest could ever seal (not one JSON line filed at the key its content
    names) is named here, whether its content or its key places it in the window.
    """
    loose: dict[str, datetime] = {}
    for key in sorted(set(evidence.present) - listed):
        stored = evidence.records.get(key)
        data = stored.data if stored is not None else None
        claimed = claimed_hour(key, data)
        if data is not None and decided_hour(key, data) is None:
            day = claimed_hour(key, None)
            in_day = day is not None and window[0] < day + timedelta(days=1) and day < window[1]
            if in_day or (claimed is not None and window[0] <= claimed < window[1]):
                found.add(
                    ProblemKind.RECORD_INSERTED,
                    key,
                    f"record {key} is not a decision record filed at the key its content names "
                    "(one JSON line whose decided_at, provider, outcome and id give its key): no "
                    "digest can seal it, so it was not written by the service",
                )
        elif claimed is not None and window[0] <= claimed < window[1]:
            loose[key] = claimed
    return loose


def _unsealed_deletions(evidence: Evidence, listed: set[str], found: Findings) -> None:
    """Records deleted before their hour was sealed: no digest lists them, but a delete marker
    remains, or an article pointer still names them."""
    for key in sorted(evidence.erased - listed):
        found.add(
            ProblemKind.RECORD_DELETED,
            key,
            f"record {key} was deleted before its hour was sealed (a delete marker remains)",
        )
    recorded = {
        (parsed.decision_id, parsed.outcome)
        for key in (*evidence.present, *listed, *evidence.erased)
        if (parsed := keys.parse_decision_key(key))
    }
    for pointer in evidence.pointers:
        named = keys.parse_pointer_key(pointer)
        if named is not None and named not in recorded:
            found.add(
                ProblemKind.RECORD_DELETED,
                pointer,
                f"article pointer {pointer} names decision {named[0]} ({named[1]}), but no record "
                "of it is in the log or in any digest: it was deleted before its hour was sealed",
            )


def _check_hour(reading: Reading, evidence: Evidence, found: Findings, tally: _Tally) -> None:
    """A trusted digest's segment, then each record it lists, each fault on its own object."""
    lines = _check_segment(reading, evidence, found)
    segment = reading.segment["key"] if reading.segment else "-"
    for i, entry in enumerate(reading.entries):
        key = entry["key"]
        if found.about(key):
            continue
        versions = evidence.present.get(key)
        if lines is None:
            if _check_record(key, evidence.records.get(key), versions, (reading.key, entry), found):
                tally.verified += 1
            continue
        sealed = decided_hour(key, lines[i])
        if sealed != reading.hour:
            found.add(
                ProblemKind.RECORD_INSERTED,
                key,
                f"record {key} is sealed by digest {reading.key}, but it is not a record of that "
                "hour: it was written into the log late and sealed with the wrong hour",
            )
        elif versions is None:
            found.add(
                ProblemKind.RECORD_DELETED,
                key,
                f"record {key} was sealed by digest {reading.key} but no longer exists (its "
                f"sealed copy remains in segment {segment})",
            )
        elif versions > 1:
            _overwritten(key, reading.key, found)
        elif _etag_differs(evidence.etags.get(key), lines[i]):
            found.add(
                ProblemKind.RECORD_CHANGED,
                key,
                f"record {key} is not its sealed copy in segment {segment}: its ETag "
                f"{evidence.etags[key]} is not the MD5 of that copy (it was changed in place, and "
                "its earlier versions are gone)",
            )
        else:
            tally.verified += 1


def _check_segment(
    reading: Reading, evidence: Evidence, found: Findings
) -> tuple[bytes, ...] | None:
    """The hour's record lines when its segment holds exactly what its digest lists, else None."""
    ref = reading.segment
    if ref is None:
        return ()
    stored = evidence.segments.get(ref["key"])
    if stored is None:
        found.add(
            ProblemKind.SEGMENT_DELETED,
            ref["key"],
            f"segment {ref['key']} sealed by digest {reading.key} is missing: it was deleted "
            "(its records are checked one by one instead)",
        )
        return None
    problem, lines = _segment_problem(stored, ref, reading.entries)
    if problem:
        found.add(
            ProblemKind.SEGMENT_CHANGED,
            ref["key"],
            f"segment {ref['key']} does not match digest {reading.key}: {problem} (its records are "
            "checked one by one instead)",
        )
        return None
    return lines


def _segment_problem(
    stored: AuditObject, ref: Mapping[str, Any], entries: list[dict[str, Any]]
) -> tuple[str, tuple[bytes, ...]]:
    if stored.versions > 1:
        return f"it has {stored.versions} versions: it was overwritten", ()
    lines = segment_lines(stored.data)
    if lines is None:
        return "it is not gzip-compressed JSON lines", ()
    if len(lines) != len(entries):
        return f"it holds {len(lines)} records where the digest lists {len(entries)}", ()
    changed = [
        entry["key"]
        for line, entry in zip(lines, entries, strict=True)
        if sha256_hex(line) != entry["sha256"]
    ]
    if changed:
        more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
        return (
            f"the line of record {changed[0]}{more} differs from the sha256 the digest lists",
            (),
        )
    digest = sha256_hex(stored.data)
    if digest != ref["sha256"]:
        return f"its sha256 {digest} is not the {ref['sha256']} the digest lists", ()
    return "", lines


def _etag_differs(etag: str | None, line: bytes) -> bool:
    """Whether a single-part ETag (an MD5, no `-`) names other bytes than the sealed line."""
    if etag is None or "-" in etag or len(etag) != 32:
        return False
    return hashlib.md5(line, usedforsecurity=False).hexdigest() != etag.lower()


def _overwritten(key: str, digest: str, found: Findings) -> None:
    found.add(
        ProblemKind.RECORD_CHANGED,
        key,
        f"record {key} has more than one version: it was overwritten after digest {digest} "
        "sealed it",
    )


def _check_record(
    key: str,
    record: StoredRecord | None,
    versions: int | None,
    listing: tuple[str, Mapping[str, Any]],
    found: Findings,
) -> bool:
    """True when the record's own copy is exactly what the digest listed."""
    digest, entry = listing
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
    if (versions or record.versions) > 1:
        _overwritten(key, digest, found)
        return False
    return True
