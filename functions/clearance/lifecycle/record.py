"""Audit records: one immutable, schema-checked JSON object per decision or later event.

Records are partitioned by the decision date, then provider and outcome (`contracts.keys`), so
a reviewer or Athena reads one period and listing alone narrows by provider and outcome. A
small pointer per record under the article's id finds every record about one article without
scanning the log. A record that removes copies is completed with what was removed, and when,
as the removals are carried out (`completed`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from clearance.contracts import keys
from clearance.contracts.encoding import json_line
from clearance.contracts.schemas import checker_for
from clearance.contracts.vocabulary import EventKind, ObjectRef
from clearance.decide.engine import Decision
from clearance.decide.findings import Outcome, Severity, schema_findings

RECORD_VERSION = 2


@dataclass(frozen=True, slots=True)
class Source:
    """Where a delivery was read from, and the request that put it there."""

    bucket: str
    key: str
    version_id: str | None
    arrived_at: datetime
    request_id: str
    item: int | None = None
    """The item's place in a delivery of several; None when the item is the delivery."""


LATE = timedelta(minutes=15)
"""Something taken up later than this after it was due is decided when it is taken up."""


def decision_moment(due: datetime, now: datetime) -> datetime:
    """When a delivery that arrived, or a timer that came due, at `due` is decided, at `now`.

    As at `due` when taken up on time, so a redelivered event or a retried timer decides
    identically. When taken up late (a dead-letter redrive, a sweep after an outage), `now`: the
    hour `due` falls in may already be sealed, where a record written now would read as one
    slipped in. `LATE` stays well inside the digest's sealing grace, so a record dated at `due`
    always lands before its hour is sealed.
    """
    return due if now - due <= LATE else now


def taken_up(source: Source, now: datetime) -> Source:
    """The delivery as it is decided: dated by `decision_moment`."""
    moment = decision_moment(source.arrived_at, now)
    return source if moment == source.arrived_at else replace(source, arrived_at=moment)


class InvalidAuditRecord(ValueError):
    """A bug, not an input problem: we never write a record that breaks its own schema."""


def decision_id(decision: Decision) -> str:
    policy = decision.policy.sha256[:12] if decision.policy else "none"
    return f"{decision.input_sha256}-{policy}"


def event_id(policy_sha256: str | None, *identity: str) -> str:
    """A later event's id: the same event (a retried kill, a redelivered timer) is one record."""
    digest = hashlib.sha256("\x1f".join(identity).encode()).hexdigest()
    return f"{digest}-{policy_sha256[:12] if policy_sha256 else 'none'}"


@dataclass(frozen=True, slots=True)
class Subject:
    """What a record is about: the article and version, the object it was decided from (or that
    the event wrote), the terms, and the licensee a decision was made for."""

    provider: str | None
    article: Mapping[str, str | None]
    source: Mapping[str, Any]
    request_id: str
    policy: Mapping[str, str] | None
    licensee: Mapping[str, str] | None = None


def subject_of(decision: Decision, source: Source, size: int) -> Subject:
    """A decision on a delivery of `size` bytes, as its record names it."""
    article = decision.article or {}
    uri = article.get("uri")
    return Subject(
        provider=decision.provider,
        article={
            "uri": uri,
            "version": article.get("version"),
            "id": keys.article_id(decision.provider or keys.UNKNOWN_PROVIDER, uri) if uri else None,
            "headline": article.get("headline"),
        },
        source={
            "bucket": source.bucket,
            "key": source.key,
            "version_id": source.version_id,
            "sha256": decision.input_sha256,
            "bytes": size,
            **({"item": source.item} if source.item is not None else {}),
        },
        request_id=source.request_id,
        policy=decision.policy.ref if decision.policy else None,
        licensee=decision.licensee.to_dict() if decision.licensee is not None else None,
    )


def audit_record(
    subject: Subject,
    *,
    record_id: str,
    decided_at: str,
    outcome: Outcome,
    findings: Sequence[Mapping[str, Any]],
    event: Mapping[str, str],
    copies: Sequence[ObjectRef] = (),
    withdrawn_prefix: str | None = None,
    deadline: str | None = None,
    review: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The one record of a decision or a later event (a kill, a timer, a verdict), checked
    against its schema."""
    record: dict[str, Any] = {
        "record_version": RECORD_VERSION,
        "decision_id": record_id,
        "decided_at": decided_at,
        "request_id": subject.request_id,
        "source": dict(subject.source),
        "provider": subject.provider,
        "article": dict(subject.article),
        "policy": dict(subject.policy) if subject.policy else None,
        "outcome": outcome.value,
        "findings": [dict(finding) for finding in findings],
        "copies": [copy.as_copy() for copy in copies],
        "withdrawn_prefix": withdrawn_prefix,
        "event": dict(event),
    }
    if subject.licensee is not None:
        record["licensee"] = dict(subject.licensee)
    if deadline is not None:
        record["deadline"] = deadline
    if review is not None:
        record["review"] = dict(review)
    return checked(record)


def delivery_record(
    decision: Decision, source: Source, size: int, copies: Sequence[ObjectRef]
) -> dict[str, Any]:
    """The record of a delivery decided as it arrived, naming what it wrote."""
    return audit_record(
        subject_of(decision, source, size),
        record_id=decision_id(decision),
        decided_at=source.arrived_at.isoformat(),
        outcome=decision.outcome,
        findings=[finding.to_dict() for finding in decision.findings],
        event={"kind": EventKind.DELIVERY},
        copies=copies,
    )


def checked(record: dict[str, Any]) -> dict[str, Any]:
    problems = schema_findings(
        checker_for("audit-record.schema.json").iter_errors(record),
        "audit.schema",
        Severity.CRITICAL,
        "invalid audit record",
    )
    if problems:
        raise InvalidAuditRecord("; ".join(f"{p.pointer}: {p.message}" for p in problems))
    return record


def completed(record: Mapping[str, Any], removed: Sequence[ObjectRef]) -> dict[str, Any]:
    """A record that removes copies, with every copy it removed."""
    return checked({**record, "removed": [item.as_removed() for item in removed]})


def pointer_key(record: Mapping[str, Any]) -> str | None:
    """Where the pointer from an article to this record lives; None for unreadable input."""
    article_id = record["article"]["id"]
    if not article_id:
        return None
    return keys.article_pointer_key(article_id, record["decision_id"], record["outcome"])


def pointer_bytes(record: Mapping[str, Any]) -> bytes:
    return json_line({"decision_key": keys.record_key(record), "decided_at": record["decided_at"]})
