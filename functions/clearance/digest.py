"""Hourly audit digests, signed and chained, and the check that the audit log is untouched.

Object Lock keeps records from being overwritten, but a reviewer must be able to show it: each
hour gets one signed digest listing the SHA-256 of every decision record of that hour, a Merkle
root over them, and the SHA-256 of the previous hour's digest. A quiet hour still gets a digest,
so the chain has no holes by design and a deleted digest shows as a gap. `verify_log` recomputes
all of it from what is stored and names each inconsistency for a compliance officer.

Pure: no boto3, no clock. Signing is a `Signer` (AWS KMS `Sign` in production, a fake in tests).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from clearance.findings import brief
from clearance.merkle import merkle_root
from clearance.schemas import validator_for

DIGEST_PREFIX = "audit/digests/"
DIGEST_VERSION = 1
HOUR = timedelta(hours=1)
SCHEMA = "audit-digest.schema.json"
_DIGEST_KEY = re.compile(r"^audit/digests/(\d{4})/(\d{2})/(\d{2})/(\d{2})\.json$")
_RECORD_DAY = re.compile(r"^audit/decisions/dt=(\d{4}-\d{2}-\d{2})/")


class InvalidDigest(ValueError):
    """A bug, not tampering: we never write a digest that breaks its own schema."""


class Signer(Protocol):
    """Signs digests; production uses an AWS KMS ECC_NIST_P256 key (ECDSA_SHA_256).

    KMS `Sign` takes at most 4096 bytes with MessageType RAW, and a busy hour's digest is larger:
    a KMS signer sends the message's SHA-256 with MessageType DIGEST, which yields the same
    ECDSA_SHA_256 signature, verifiable over the raw message.
    """

    @property
    def key_id(self) -> str: ...

    @property
    def algorithm(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


class Verifier(Protocol):
    """Checks a digest signature; must accept only the key ids and algorithms it pins."""

    def verify(self, message: bytes, signature: bytes, key_id: str, algorithm: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Period:
    """One hour, [start, end), in UTC: the unit a digest covers."""

    start: datetime

    @property
    def end(self) -> datetime:
        return self.start + HOUR


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A decision record as a digest lists it."""

    key: str
    sha256: str
    version_id: str | None = None

    @classmethod
    def of(cls, key: str, data: bytes, version_id: str | None = None) -> RecordRef:
        return cls(key, hashlib.sha256(data).hexdigest(), version_id)


@dataclass(frozen=True, slots=True)
class DigestRef:
    """The previous digest as its successor names it."""

    key: str
    sha256: str

    @classmethod
    def of(cls, key: str, data: bytes) -> DigestRef:
        return cls(key, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True, slots=True)
class AuditObject:
    """An object read back from the audit bucket; `versions` counts its S3 object versions."""

    key: str
    data: bytes
    version_id: str | None = None
    versions: int = 1


StoredDigest = AuditObject
StoredRecord = AuditObject


class ProblemKind(StrEnum):
    """What a reviewer is told went wrong; each names the key of the object concerned."""

    RECORD_CHANGED = "record_changed"
    RECORD_DELETED = "record_deleted"
    RECORD_INSERTED = "record_inserted"
    DIGEST_CHANGED = "digest_changed"
    DIGEST_DELETED = "digest_deleted"
    DIGESTS_REORDERED = "digests_reordered"
    SIGNATURE_FORGED = "signature_forged"


_KIND_ORDER = {kind: i for i, kind in enumerate(ProblemKind)}


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    key: str
    message: str


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


def canonical(value: Any) -> bytes:
    """The bytes that are signed and stored: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest_key(period_start: datetime) -> str:
    return f"{DIGEST_PREFIX}{_hour(period_start):%Y/%m/%d/%H}.json"


def period_of_key(key: str) -> datetime | None:
    """The hour a digest key names, or None for a key that names none."""
    match = _DIGEST_KEY.match(key)
    if not match:
        return None
    year, month, day, hour = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, tzinfo=UTC)
    except ValueError:
        return None


def periods_between(last_end: datetime, now: datetime) -> list[Period]:
    """Every complete hour from the end of the last digest (or the log's start) until now."""
    start = _hour(last_end)
    current = _floor_hour(now)
    return [Period(start + i * HOUR) for i in range(max(0, (current - start) // HOUR))]


def build_digest(
    period_start: datetime,
    records: Sequence[RecordRef],
    previous: DigestRef | None,
    created_at: datetime,
    signer: Signer,
) -> tuple[str, bytes]:
    """The key and stored bytes of the signed digest of one complete hour."""
    period = Period(_hour(period_start))
    if _utc(created_at) < period.end:
        raise ValueError(f"a digest of {_when(period.start)} cannot be made before it ends")
    if previous is not None and previous.key != digest_key(period.start - HOUR):
        raise ValueError(
            f"the digest of {_when(period.start)} must follow "
            f"{digest_key(period.start - HOUR)}, not {previous.key}"
        )
    entries = sorted(records, key=lambda ref: ref.key)
    for before, after in itertools.pairwise(entries):
        if before.key == after.key:
            raise ValueError(f"record {before.key} is listed twice")
    body: dict[str, Any] = {
        "digest_version": DIGEST_VERSION,
        "period": {"start": _iso(period.start), "end": _iso(period.end)},
        "records": [
            {"key": ref.key, "sha256": ref.sha256, "version_id": ref.version_id} for ref in entries
        ],
        "record_count": len(entries),
        "merkle_root": _root(ref.sha256 for ref in entries),
        "previous": {"key": previous.key, "sha256": previous.sha256} if previous else None,
        "created_at": _iso(created_at),
        "signing": {"key_id": signer.key_id, "algorithm": signer.algorithm},
    }
    body["signature"] = base64.b64encode(signer.sign(canonical(body))).decode()
    errors = sorted(validator_for(SCHEMA).iter_errors(body), key=lambda error: error.json_path)
    if errors:
        raise InvalidDigest("; ".join(f"{e.json_path}: {brief(e.message)}" for e in errors))
    return digest_key(period.start), canonical(body)


@dataclass(slots=True)
class _Reading:
    """One stored digest as read: its content when structurally sound, and what is wrong."""

    stored: StoredDigest
    hour: datetime | None
    sha256: str
    content: dict[str, Any] | None = None
    faults: list[str] = field(default_factory=list)
    signed: bool = False

    @property
    def key(self) -> str:
        return self.stored.key

    @property
    def entries(self) -> list[dict[str, Any]]:
        return list(self.content["records"]) if self.content else []

    @property
    def previous(self) -> dict[str, str] | None:
        return self.content["previous"] if self.content else None


class _Findings:
    """Problems keyed by (kind, key), the first message kept, so one fault is reported once."""

    def __init__(self) -> None:
        self._found: dict[tuple[ProblemKind, str], Problem] = {}
        self._keys: set[str] = set()

    def add(self, kind: ProblemKind, key: str, message: str) -> None:
        self._found.setdefault((kind, key), Problem(kind, key, message))
        self._keys.add(key)

    def about(self, key: str) -> bool:
        return key in self._keys

    def sorted(self) -> tuple[Problem, ...]:
        return tuple(sorted(self._found.values(), key=lambda p: (_KIND_ORDER[p.kind], p.key)))


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
    window_start, window_end = _floor_hour(start), _ceil_hour(end)
    found = _Findings()
    readings = [_read(stored, verifier) for stored in sorted(digests, key=lambda d: d.key)]
    by_key = {reading.key: reading for reading in readings}
    by_hour = _chain(readings, found)
    hours = sorted(hour for hour in by_hour if window_start <= hour < window_end)
    in_window = [r for r in readings if r.hour is not None and window_start <= r.hour < window_end]
    broken = {r.hour for r in in_window if r.hour is not None and r.content is None}
    for hour in hours:
        _check_link(hour, by_hour, by_key, found)
    listed = _listed(by_hour[hour] for hour in hours)
    for reading in readings:
        _judge(reading, found)
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
            f"digest {digest_key(hour)} of {_when(hour)} is missing: it was deleted"
            + (", or the digest job has not run" if late else "")
            + " (a quiet hour still gets a digest)",
        )
    for hour in hours:
        _check_predecessor(hour, by_hour, by_key, window_start, found)

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
        decided = _floor_hour(moment)
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
                f"record {key} was decided at {_moment(moment)}, before the first digest "
                f"{digest_key(span.start)}: it was added to the log afterwards",
            )
        elif decided in trusted:
            found.add(
                ProblemKind.RECORD_INSERTED,
                key,
                f"record {key} was decided at {_moment(moment)} but is in no digest, and digest "
                f"{by_hour[decided].key} of that hour does not list it: it was added after the "
                "digest was made",
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


def _read(stored: StoredDigest, verifier: Verifier) -> _Reading:
    """Parse, check and recompute one digest; what is wrong goes into `faults`."""
    reading = _Reading(stored, period_of_key(stored.key), _sha256(stored.data))
    if stored.versions > 1:
        reading.faults.append(f"it has {stored.versions} versions: it was overwritten")
    try:
        content = json.loads(stored.data, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        reading.faults.append("it is not valid JSON")
        return reading
    reading.signed = _signed(content, verifier)
    if not (reading.signed and content.get("digest_version") == DIGEST_VERSION):
        errors = sorted(validator_for(SCHEMA).iter_errors(content), key=lambda e: e.json_path)
        if errors:
            first = errors[0]
            reading.faults.append(
                f"it is not a valid digest ({first.json_path}: {brief(first.message, 120)})"
            )
            return reading
    reading.content = content
    reading.hour = _utc(datetime.fromisoformat(content["period"]["start"]))
    if canonical(content) != stored.data:
        reading.faults.append("its bytes are not the canonical JSON it was written as")
    if _utc(datetime.fromisoformat(content["period"]["end"])) != reading.hour + HOUR:
        reading.faults.append("its period is not one hour")
    entries = content["records"]
    keys = [entry["key"] for entry in entries]
    if keys != sorted(set(keys)):
        reading.faults.append("its records are not sorted by key, or repeat one")
    if content["record_count"] != len(entries):
        reading.faults.append(
            f"its record_count {content['record_count']} is not its {len(entries)} entries"
        )
    root = _root(entry["sha256"] for entry in entries)
    if root != content["merkle_root"]:
        reading.faults.append(
            f"its merkle root {content['merkle_root']} does not match its {len(entries)} "
            f"entries, which give {root}"
        )
    return reading


def _signed(content: Any, verifier: Verifier) -> bool:
    """Whether our key signed this; if so the builder already schema-checked it (a fast path)."""
    if not isinstance(content, dict):
        return False
    signature, signing = content.get("signature"), content.get("signing")
    if not isinstance(signature, str) or not isinstance(signing, dict):
        return False
    key_id, algorithm = signing.get("key_id"), signing.get("algorithm")
    if not isinstance(key_id, str) or not isinstance(algorithm, str):
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
    except binascii.Error:
        return False
    body = {name: value for name, value in content.items() if name != "signature"}
    return verifier.verify(canonical(body), raw, key_id, algorithm)


def _chain(readings: Iterable[_Reading], found: _Findings) -> dict[datetime, _Reading]:
    """One readable digest per hour: the one stored at that hour's key, if any."""
    by_hour: dict[datetime, _Reading] = {}
    for reading in readings:
        if reading.content is None or reading.hour is None:
            continue
        home = digest_key(reading.hour)
        if reading.key != home:
            found.add(
                ProblemKind.DIGESTS_REORDERED,
                reading.key,
                f"digest {reading.key} holds the digest of {_when(reading.hour)}, which belongs "
                f"at {home}",
            )
        held = by_hour.get(reading.hour)
        if held is None or reading.key == home:
            by_hour[reading.hour] = reading
    return by_hour


def _check_link(
    hour: datetime,
    by_hour: Mapping[datetime, _Reading],
    by_key: Mapping[str, _Reading],
    found: _Findings,
) -> None:
    """Each digest names the digest of the hour before; only the first names none."""
    reading = by_hour[hour]
    previous = reading.previous
    expected = digest_key(hour - HOUR)
    if previous is None:
        earlier = sorted(r.key for r in by_key.values() if r.hour is not None and r.hour < hour)
        if earlier:
            found.add(
                ProblemKind.DIGESTS_REORDERED,
                reading.key,
                f"digest {reading.key} claims to be the first digest, but {earlier[-1]} comes "
                "before it: the chain is not linear",
            )
    elif previous["key"] != expected:
        found.add(
            ProblemKind.DIGESTS_REORDERED,
            reading.key,
            f"digest {reading.key} names {previous['key']} as the digest before it, not "
            f"{expected}: the chain is out of order",
        )
    else:
        predecessor = by_hour.get(hour - HOUR) or by_key.get(expected)
        if predecessor is not None and predecessor.sha256 != previous["sha256"]:
            predecessor.faults.append(
                f"its sha256 {predecessor.sha256} is not the {previous['sha256']} recorded by "
                f"the next digest, {reading.key}"
            )


def _check_predecessor(
    hour: datetime,
    by_hour: Mapping[datetime, _Reading],
    by_key: Mapping[str, _Reading],
    window_start: datetime,
    found: _Findings,
) -> None:
    """A digest whose successor names it, but which is not there, was deleted."""
    previous = by_hour[hour].previous
    expected = digest_key(hour - HOUR)
    if previous is None or previous["key"] != expected or hour - HOUR < window_start:
        return
    if hour - HOUR not in by_hour and expected not in by_key:
        found.add(
            ProblemKind.DIGEST_DELETED,
            expected,
            f"digest {expected} is missing: the next digest, {by_hour[hour].key}, names it",
        )


def _listed(chain: Iterable[_Reading]) -> dict[str, tuple[_Reading, dict[str, Any]]]:
    """Every record the chain lists, by key; a record listed twice marks the later digest."""
    listed: dict[str, tuple[_Reading, dict[str, Any]]] = {}
    for reading in chain:
        for entry in reading.entries:
            first = listed.get(entry["key"])
            if first is None:
                listed[entry["key"]] = (reading, entry)
            else:
                reading.faults.append(
                    f"it lists record {entry['key']}, already listed by digest {first[0].key}"
                )
    return listed


def _judge(reading: _Reading, found: _Findings) -> None:
    """A failing signature on an otherwise consistent digest: someone else signed it."""
    if reading.content is None or reading.faults:
        reasons = list(reading.faults)
        if reading.content is not None and not reading.signed:
            reasons.append("its signature does not verify")
        found.add(
            ProblemKind.DIGEST_CHANGED,
            reading.key,
            f"digest {reading.key} changed: " + "; ".join(reasons),
        )
    elif not reading.signed:
        signing = reading.content["signing"]
        found.add(
            ProblemKind.SIGNATURE_FORGED,
            reading.key,
            f"digest {reading.key} has a signature that does not verify under the key it "
            f"names, {signing['key_id']} ({signing['algorithm']}): it was signed with another "
            "key, or altered after signing",
        )


def _span(
    hours: Sequence[datetime],
    broken: set[datetime],
    by_hour: Mapping[datetime, _Reading],
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
        until = min(_floor_hour(expect_digests_until), window_end)
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
    found: _Findings,
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
    sha256 = _sha256(record.data)
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
        return _utc(decided)
    match = _RECORD_DAY.match(record.key)
    if match is None:
        return None
    try:
        return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
    except ValueError:
        return None


def _decided_at(data: bytes) -> datetime | None:
    try:
        record = json.loads(data)
        moment = datetime.fromisoformat(record["decided_at"])
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None
    return moment if moment.tzinfo is not None else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _root(sha256s: Iterable[str]) -> str:
    return merkle_root([bytes.fromhex(value) for value in sha256s]).hex()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


def _floor_hour(moment: datetime) -> datetime:
    return _utc(moment).replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    floor = _floor_hour(moment)
    return floor if floor == _utc(moment) else floor + HOUR


def _hour(moment: datetime) -> datetime:
    if _floor_hour(moment) != _utc(moment):
        raise ValueError(f"{moment.isoformat()} is not the start of an hour")
    return _utc(moment)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat()


def _moment(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _when(hour: datetime) -> str:
    return f"{hour:%Y-%m-%d %H:%M}–{hour + HOUR:%H:%M} UTC"
