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
from clearance.decide.engine import Decision
from clearance.lifecycle.record import Source, pointer_bytes, pointer_key

BucketRole = Literal["cleared", "quarantine", "audit"]
RECORD = tuple[dict[str, Any], tuple[str, ...]]
"""An audit record and the keys or prefixes whose removal completes it."""


@dataclass(frozen=True, slots=True)
class Write:
    bucket: BucketRole
    key: str
    data: bytes
    content_type: str
    kind: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class Removal:
    """A cleared copy to take down, as the state knew it."""

    bucket: str
    key: str
    sha256: str | None
    version_id: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """An event for the publishing system: `Article Cleared`, `Article Withdrawn`, ..."""

    detail_type: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Plan:
    writes: tuple[Write, ...] = ()
    removals: tuple[Removal, ...] = ()
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
            removals=tuple(Removal(**item) for item in outbox.get("removals", [])),
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


def quarantine_writes(decision: Decision, source: Source, data: bytes) -> tuple[Write, ...]:
    """A delivery not published: its input and its findings, kept aside side by side."""
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
    return (
        Write("quarantine", input_key, data, "application/octet-stream", "input"),
        Write("quarantine", findings_key, json_line(findings), media.JSON, "findings"),
    )
