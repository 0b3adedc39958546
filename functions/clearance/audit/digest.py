"""Hourly audit digests, signed and chained: one per hour, quiet hours included.

Object Lock keeps records from being overwritten, but a reviewer must be able to show it: each
hour gets one signed digest listing the SHA-256 of every decision record decided in that hour, a
Merkle root over them, the SHA-256 of the hour's sealed segment (the records themselves, one
object), and the SHA-256 of the previous hour's digest. A quiet hour still gets a digest, so the
chain has no holes by design and a deleted digest shows as a gap (`verify`).

Pure: no boto3, no clock. Signing is a `Signer` (AWS KMS `Sign` in production, a fake in tests).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from clearance.audit.merkle import merkle_root
from clearance.audit.segment import SegmentRef
from clearance.contracts import keys
from clearance.contracts.encoding import canonical
from clearance.contracts.pointers import brief
from clearance.contracts.schemas import validator_for

DIGEST_VERSION = 2
HOUR = timedelta(hours=1)
SCHEMA = "audit-digest.schema.json"


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


def digest_key(period_start: datetime) -> str:
    return keys.digest_key(start_of_hour(period_start))


def period_of_key(key: str) -> datetime | None:
    """The hour a digest key names, or None for a key that names none."""
    return keys.hour_of_digest_key(key)


def periods_between(last_end: datetime, now: datetime) -> list[Period]:
    """Every complete hour from the end of the last digest (or the log's start) until now."""
    start = start_of_hour(last_end)
    current = floor_hour(now)
    return [Period(start + i * HOUR) for i in range(max(0, (current - start) // HOUR))]


def build_digest(
    period_start: datetime,
    records: Sequence[RecordRef],
    previous: DigestRef | None,
    created_at: datetime,
    signer: Signer,
    *,
    segment: SegmentRef | None = None,
) -> tuple[str, bytes]:
    """The key and stored bytes of the signed digest of one complete hour.

    `segment` is the sealed copy of `records`; an hour with records must have one.
    """
    period = Period(start_of_hour(period_start))
    if utc(created_at) < period.end:
        raise ValueError(f"a digest of {hour_text(period.start)} cannot be made before it ends")
    if previous is not None and previous.key != digest_key(period.start - HOUR):
        raise ValueError(
            f"the digest of {hour_text(period.start)} must follow "
            f"{digest_key(period.start - HOUR)}, not {previous.key}"
        )
    entries = sorted(records, key=lambda ref: ref.key)
    for before, after in itertools.pairwise(entries):
        if before.key == after.key:
            raise ValueError(f"record {before.key} is listed twice")
    if (segment is None) != (not entries):
        raise ValueError(f"the digest of {hour_text(period.start)} needs a segment iff records")
    body: dict[str, Any] = {
        "digest_version": DIGEST_VERSION,
        "period": {"start": iso(period.start), "end": iso(period.end)},
        "records": [{"key": ref.key, "sha256": ref.sha256} for ref in entries],
        "record_count": len(entries),
        "merkle_root": merkle_root_hex(ref.sha256 for ref in entries),
        "segment": (
            {"key": segment.key, "sha256": segment.sha256, "bytes": segment.bytes}
            if segment
            else None
        ),
        "previous": {"key": previous.key, "sha256": previous.sha256} if previous else None,
        "created_at": iso(created_at),
        "signing": {"key_id": signer.key_id, "algorithm": signer.algorithm},
    }
    body["signature"] = base64.b64encode(signer.sign(canonical(body))).decode()
    errors = sorted(validator_for(SCHEMA).iter_errors(body), key=lambda error: error.json_path)
    if errors:
        raise InvalidDigest("; ".join(f"{e.json_path}: {brief(e.message)}" for e in errors))
    return digest_key(period.start), canonical(body)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def merkle_root_hex(sha256s: Iterable[str]) -> str:
    return merkle_root([bytes.fromhex(value) for value in sha256s]).hex()


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


def floor_hour(moment: datetime) -> datetime:
    return utc(moment).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == utc(moment) else floor + HOUR


def start_of_hour(moment: datetime) -> datetime:
    if floor_hour(moment) != utc(moment):
        raise ValueError(f"{moment.isoformat()} is not the start of an hour")
    return utc(moment)


def iso(moment: datetime) -> str:
    return utc(moment).isoformat()


def hour_text(hour: datetime) -> str:
    return f"{hour:%Y-%m-%d %H:%M}–{hour + HOUR:%H:%M} UTC"
