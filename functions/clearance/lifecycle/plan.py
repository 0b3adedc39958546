"""What a transition owes the world, computed without touching it, in the order that survives a
crash.

Read inputs, call a pure function that returns what to do, then do it:

1. `writes` (cleared copies, quarantined input, tombstones): content-addressed and written once,
   before the state is committed, so a crash leaves at most objects nobody points to yet;
2. the new state, committed only if nobody changed the article since it was read, carrying the
   rest of the plan as its outbox;
3. `removals` and every copy under one of the `prefixes`, then the audit `records` (completed with
   what was removed, and when), then the `notifications`.

Whoever next touches the article finishes an outbox a crash left behind, so every step runs at
least once and, being idempotent, to the same end.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from clearance.contracts import keys, media
from clearance.contracts.encoding import json_line
from clearance.contracts.vocabulary import CopyKind, ObjectRef
from clearance.decide.engine import Decision
from clearance.lifecycle.record import Source, pointer_bytes, pointer_key

BucketRole = Literal["cleared", "quarantine", "audit"]
RECORD = tuple[dict[str, Any], tuple[str, ...]]
"""An audit record and the keys or prefixes whose removal completes it."""


@dataclass(frozen=True, slots=True)
class Write:
    """An object written once: `data`, or (with `copy_of`) another object copied inside S3,
    never read here."""

    bucket: BucketRole
    key: str
    data: bytes
    content_type: str
    kind: str
    copy_of: ObjectRef | None = None

    @property
    def sha256(self) -> str:
        if self.copy_of is not None and self.copy_of.sha256 is not None:
            return self.copy_of.sha256
        return hashlib.sha256(self.data).hexdigest()

    def stored(self, bucket: str) -> ObjectRef:
        """The object this writes, in the bucket of that name."""
        return ObjectRef(bucket, self.key, self.sha256, self.kind)


NOTIFICATIONS_PER_REQUEST = 10
"""The most entries EventBridge's PutEvents takes in one request."""


@dataclass(frozen=True, slots=True)
class Notification:
    """An event for the publishing system: `Article Cleared`, `Article Withdrawn`, ..."""

    detail_type: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Plan:
    writes: tuple[Write, ...] = ()
    removals: tuple[ObjectRef, ...] = ()
    """Cleared copies to take down, as the state knew them."""
    prefixes: tuple[str, ...] = ()
    """Cleared copies to remove whoever wrote them: a killed article's, a version not shown."""
    records: tuple[RECORD, ...] = ()
    notifications: tuple[Notification, ...] = ()

    @property
    def outbox(self) -> dict[str, Any] | None:
        """What remains after the commit, as plain data stored with the state."""
        if not (self.removals or self.prefixes or self.records or self.notifications):
            return None
        return {
            "removals": [
                {"bucket": r.bucket, "key": r.key, "sha256": r.sha256, "version_id": r.version_id}
                for r in self.removals
            ],
            "prefixes": list(self.prefixes),
            "records": [
                {"record": record, "removes": list(removes)} for record, removes in self.records
            ],
            "notifications": [
                {"detail_type": n.detail_type, "detail": n.detail} for n in self.notifications
            ],
        }

    @classmethod
    def from_outbox(cls, outbox: dict[str, Any]) -> Plan:
        return cls(
            removals=tuple(ObjectRef(**item) for item in outbox.get("removals", [])),
            prefixes=tuple(outbox.get("prefixes", ())),
            records=tuple(
                (item["record"], tuple(item["removes"])) for item in outbox.get("records", [])
            ),
            notifications=tuple(
                Notification(item["detail_type"], item["detail"])
                for item in outbox.get("notifications", [])
            ),
        )

    def record_writes(self, record: dict[str, Any]) -> tuple[Write, ...]:
        """A record and its article pointer, pointer first: the record is the last word."""
        writes = []
        pointer = pointer_key(record)
        if pointer:
            writes.append(Write("audit", pointer, pointer_bytes(record), media.JSON, "index"))
        writes.append(
            Write("audit", keys.record_key(record), json_line(record), media.JSON, "audit")
        )
        return tuple(writes)


def quarantine_writes(
    decision: Decision, source: Source, data: bytes, *, unread: bool = False
) -> tuple[Write, ...]:
    """A delivery not published: its input and its findings, kept aside side by side.

    An `unread` input (too large to read) is copied from where it arrived, inside S3.
    """
    input_key, findings_key = keys.quarantine_keys(
        decision.provider,
        source.arrived_at.date(),
        decision.input_sha256,
        keys.extension_of(source.key),
    )
    findings = {
        "source": {
            "bucket": source.bucket,
            "key": source.key,
            "version_id": source.version_id,
            **({"item": source.item} if source.item is not None else {}),
        },
        **decision.to_dict(),
    }
    arrived = ObjectRef(source.bucket, source.key, decision.input_sha256, None, source.version_id)
    return (
        Write(
            "quarantine",
            input_key,
            data,
            "application/octet-stream",
            CopyKind.INPUT,
            copy_of=arrived if unread else None,
        ),
        Write("quarantine", findings_key, json_line(findings), media.JSON, CopyKind.FINDINGS),
    )
