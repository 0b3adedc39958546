"""The audit record of a decision: one immutable, schema-checked JSON object, written last.

Records are partitioned by the decision date, then provider and outcome (`contracts.keys`), so
a reviewer or Athena reads one period and listing alone narrows by provider and outcome. A
small pointer per decision under the article's id finds every decision about one article
without scanning the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clearance.contracts import keys
from clearance.contracts.encoding import json_line
from clearance.contracts.schemas import validator_for
from clearance.decide.engine import Decision
from clearance.decide.findings import Severity, schema_findings


@dataclass(frozen=True, slots=True)
class Source:
    """Where a delivery was read from, and the request that put it there."""

    bucket: str
    key: str
    version_id: str | None
    arrived_at: datetime
    request_id: str


@dataclass(frozen=True, slots=True)
class Copy:
    bucket: str
    key: str
    sha256: str
    kind: str


class InvalidAuditRecord(ValueError):
    """A bug, not an input problem: we never write a record that breaks its own schema."""


def decision_id(decision: Decision) -> str:
    policy = decision.policy.sha256[:12] if decision.policy else "none"
    return f"{decision.input_sha256}-{policy}"


def decision_record(
    decision: Decision,
    source: Source,
    size: int,
    copies: Sequence[Copy],
    withdrawn_prefix: str | None = None,
) -> dict[str, Any]:
    article = decision.article or {}
    uri = article.get("uri")
    record: dict[str, Any] = {
        "record_version": 1,
        "decision_id": decision_id(decision),
        "decided_at": source.arrived_at.isoformat(),
        "request_id": source.request_id,
        "source": {
            "bucket": source.bucket,
            "key": source.key,
            "version_id": source.version_id,
            "sha256": decision.input_sha256,
            "bytes": size,
        },
        "provider": decision.provider,
        "article": {
            "uri": uri,
            "version": article.get("version"),
            "id": keys.article_slug(uri) if uri else None,
            "headline": article.get("headline"),
        },
        "policy": decision.policy.ref if decision.policy else None,
        "outcome": decision.outcome.value,
        "findings": [finding.to_dict() for finding in decision.findings],
        "copies": [
            {"bucket": c.bucket, "key": c.key, "sha256": c.sha256, "kind": c.kind} for c in copies
        ],
        "withdrawn_prefix": withdrawn_prefix,
    }
    problems = schema_findings(
        validator_for("audit-record.schema.json").iter_errors(record),
        "audit.schema",
        Severity.CRITICAL,
        "invalid audit record",
    )
    if problems:
        raise InvalidAuditRecord("; ".join(f"{p.pointer}: {p.message}" for p in problems))
    return record


def pointer_key(record: dict[str, Any]) -> str | None:
    """Where the pointer from an article to this decision lives; None for unreadable input."""
    article_id = record["article"]["id"]
    if not article_id:
        return None
    return keys.article_pointer_key(article_id, record["decision_id"], record["outcome"])


def pointer_bytes(record: dict[str, Any]) -> bytes:
    return json_line({"decision_key": keys.record_key(record), "decided_at": record["decided_at"]})
