"""The digest chain read back: each digest parsed, its signature and Merkle root checked, and
each linked to the one before it; what is wrong is gathered as problems, one per fault and key.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from clearance.audit.digest import (
    DIGEST_VERSION,
    HOUR,
    SCHEMA,
    StoredDigest,
    Verifier,
    digest_key,
    hour_text,
    merkle_root_hex,
    period_of_key,
    sha256_hex,
    utc,
)
from clearance.contracts.encoding import canonical
from clearance.contracts.keys import day_of_decision_key as keys_day
from clearance.contracts.keys import segment_key
from clearance.contracts.pointers import brief
from clearance.contracts.schemas import validator_for


class ProblemKind(StrEnum):
    """What a reviewer is told went wrong; each names the key of the object concerned."""

    RECORD_CHANGED = "record_changed"
    RECORD_DELETED = "record_deleted"
    RECORD_INSERTED = "record_inserted"
    DIGEST_CHANGED = "digest_changed"
    DIGEST_DELETED = "digest_deleted"
    DIGESTS_REORDERED = "digests_reordered"
    SIGNATURE_FORGED = "signature_forged"
    SEGMENT_CHANGED = "segment_changed"
    SEGMENT_DELETED = "segment_deleted"


_KIND_ORDER = {kind: i for i, kind in enumerate(ProblemKind)}


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault, on the object `key`; `records` names the records it leaves unproven."""

    kind: ProblemKind
    key: str
    message: str
    records: tuple[str, ...] = ()


@dataclass(slots=True)
class Reading:
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

    @property
    def segment(self) -> dict[str, Any] | None:
        return self.content["segment"] if self.content else None


class Findings:
    """Problems keyed by (kind, key), the first message kept, so one fault is reported once."""

    def __init__(self) -> None:
        self._found: dict[tuple[ProblemKind, str], Problem] = {}
        self._keys: set[str] = set()

    def add(self, kind: ProblemKind, key: str, message: str, records: tuple[str, ...] = ()) -> None:
        self._found.setdefault((kind, key), Problem(kind, key, message, records))
        self._keys.add(key)

    def about(self, key: str) -> bool:
        return key in self._keys

    def sorted(self) -> tuple[Problem, ...]:
        return tuple(sorted(self._found.values(), key=lambda p: (_KIND_ORDER[p.kind], p.key)))


def read_digest(stored: StoredDigest, verifier: Verifier) -> Reading:
    """Parse, check and recompute one digest; what is wrong goes into `faults`."""
    reading = Reading(stored, period_of_key(stored.key), sha256_hex(stored.data))
    if stored.versions > 1:
        reading.faults.append(f"it has {stored.versions} versions: it was overwritten")
    try:
        content = json.loads(stored.data, parse_constant=reject_constant)
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
    reading.hour = utc(datetime.fromisoformat(content["period"]["start"]))
    if canonical(content) != stored.data:
        reading.faults.append("its bytes are not the canonical JSON it was written as")
    if utc(datetime.fromisoformat(content["period"]["end"])) != reading.hour + HOUR:
        reading.faults.append("its period is not one hour")
    entries = content["records"]
    keys = [entry["key"] for entry in entries]
    if keys != sorted(set(keys)):
        reading.faults.append("its records are not sorted by key, or repeat one")
    if content["record_count"] != len(entries):
        reading.faults.append(
            f"its record_count {content['record_count']} is not its {len(entries)} entries"
        )
    day = reading.hour.date().isoformat()
    strangers = [key for key in keys if keys_day(key) != day]
    if strangers:
        reading.faults.append(f"it lists record {strangers[0]}, which is not of its day {day}")
    segment = content["segment"]
    if (segment is None) != (not entries):
        reading.faults.append("it names a segment without records, or records without a segment")
    elif segment is not None and segment["key"] != segment_key(reading.hour):
        reading.faults.append(f"its segment {segment['key']} is not {segment_key(reading.hour)}")
    root = merkle_root_hex(entry["sha256"] for entry in entries)
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


def chain_by_hour(readings: Iterable[Reading], found: Findings) -> dict[datetime, Reading]:
    """One readable digest per hour: the one stored at that hour's key, if any."""
    by_hour: dict[datetime, Reading] = {}
    for reading in readings:
        if reading.content is None or reading.hour is None:
            continue
        home = digest_key(reading.hour)
        if reading.key != home:
            found.add(
                ProblemKind.DIGESTS_REORDERED,
                reading.key,
                f"digest {reading.key} holds the digest of {hour_text(reading.hour)}, which"
                " belongs "
                f"at {home}",
            )
        held = by_hour.get(reading.hour)
        if held is None or reading.key == home:
            by_hour[reading.hour] = reading
    return by_hour


def check_link(
    hour: datetime,
    by_hour: Mapping[datetime, Reading],
    by_key: Mapping[str, Reading],
    found: Findings,
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


def check_predecessor(
    hour: datetime,
    by_hour: Mapping[datetime, Reading],
    by_key: Mapping[str, Reading],
    window_start: datetime,
    found: Findings,
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


def listed_records(
    chain: Iterable[Reading],
) -> tuple[dict[str, tuple[Reading, dict[str, Any]]], dict[str, list[str]]]:
    """Every record the chain lists, by key, and the keys listed by more than one digest.

    A key sealed twice was rewritten after its first seal and digested again: the record is
    reported, not the digests, so one bad record never hides the rest of an hour.
    """
    listed: dict[str, tuple[Reading, dict[str, Any]]] = {}
    again: dict[str, list[str]] = {}
    for reading in chain:
        for entry in reading.entries:
            first = listed.get(entry["key"])
            if first is None:
                listed[entry["key"]] = (reading, entry)
            else:
                again.setdefault(entry["key"], [first[0].key]).append(reading.key)
    return listed, again


def judge(reading: Reading, found: Findings) -> None:
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


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True, slots=True)
class Chain:
    """The digests as read: by key, one per hour, the hours of the window, the unreadable ones."""

    by_key: Mapping[str, Reading]
    by_hour: Mapping[datetime, Reading]
    hours: list[datetime]
    in_window: list[Reading]
    broken: set[datetime]


def read_chain(
    digests: Sequence[StoredDigest],
    verifier: Verifier,
    window: tuple[datetime, datetime],
    found: Findings,
) -> Chain:
    """Every digest read, checked and linked to the one before it."""
    readings = [read_digest(stored, verifier) for stored in sorted(digests, key=lambda d: d.key)]
    by_key = {reading.key: reading for reading in readings}
    by_hour = chain_by_hour(readings, found)
    hours = sorted(hour for hour in by_hour if window[0] <= hour < window[1])
    in_window = [r for r in readings if r.hour is not None and window[0] <= r.hour < window[1]]
    broken = {r.hour for r in in_window if r.hour is not None and r.content is None}
    for hour in hours:
        check_link(hour, by_hour, by_key, found)
    for reading in readings:
        judge(reading, found)
    return Chain(by_key, by_hour, hours, in_window, broken)
