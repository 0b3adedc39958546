"""What to write for one decision: the processor's plan, computed without touching S3.

Read inputs, call a pure function that returns what to do, then do it. Every key is derived from
content (provider, article, version, input hash), and the audit record comes last, so a
redelivered or retried event recomputes the same plan and the conditional writes make it a no-op.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from clearance.contracts import keys, media
from clearance.contracts.encoding import json_line
from clearance.decide.engine import Decision
from clearance.decide.findings import Outcome
from clearance.lifecycle.record import (
    Copy,
    Source,
    decision_record,
    pointer_bytes,
    pointer_key,
)

BucketRole = Literal["cleared", "quarantine", "audit"]


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
class Plan:
    """Writes in order (audit record last); `withdraw_prefix`: cleared copies to remove first."""

    writes: tuple[Write, ...]
    withdraw_prefix: str | None = None


def plan(decision: Decision, source: Source, data: bytes, buckets: dict[BucketRole, str]) -> Plan:
    article = decision.article
    writes: list[Write] = []
    withdraw_prefix = None
    if decision.outcome is Outcome.CLEARED and article and decision.provider:
        writes += [
            Write(
                "cleared",
                keys.cleared_key(
                    decision.provider,
                    article["uri"],
                    article["version"],
                    decision.input_sha256,
                    r.extension,
                ),
                r.data,
                r.media_type,
                r.name,
            )
            for r in decision.renditions
        ]
    elif decision.outcome is Outcome.WITHDRAWN and article and decision.provider:
        withdraw_prefix = keys.cleared_prefix(decision.provider, article["uri"])
        tombstone = {
            "provider": decision.provider,
            "uri": article["uri"],
            "version": article["version"],
            "withdrawn_at": source.arrived_at.isoformat(),
            "input_sha256": decision.input_sha256,
        }
        writes.append(
            Write(
                "cleared",
                keys.tombstone_key(decision.provider, article["uri"]),
                json_line(tombstone),
                media.JSON,
                "tombstone",
            )
        )
    else:
        input_key, findings_key = keys.quarantine_keys(
            decision.provider,
            source.arrived_at.date(),
            decision.input_sha256,
            keys.extension_of(source.key),
        )
        findings = {
            "source": {"bucket": source.bucket, "key": source.key, "version_id": source.version_id},
            **decision.to_dict(),
        }
        writes += [
            Write("quarantine", input_key, data, "application/octet-stream", "input"),
            Write("quarantine", findings_key, json_line(findings), media.JSON, "findings"),
        ]
    copies = [Copy(buckets[w.bucket], w.key, w.sha256, w.kind) for w in writes]
    record = decision_record(decision, source, len(data), copies, withdraw_prefix)
    index_key = pointer_key(record)
    if index_key:
        writes.append(Write("audit", index_key, pointer_bytes(record), media.JSON, "index"))
    writes.append(Write("audit", keys.record_key(record), json_line(record), media.JSON, "audit"))
    return Plan(tuple(writes), withdraw_prefix)
