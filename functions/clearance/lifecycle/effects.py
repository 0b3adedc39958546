"""What the rules share: the version entries, removals, notifications and records they make
about an article's known versions, given the moment, the terms and the bucket names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clearance.contracts.vocabulary import ObjectRef
from clearance.decide.engine import Decision
from clearance.decide.findings import Finding, Outcome
from clearance.lifecycle.plan import BucketRole, Notification, Write
from clearance.lifecycle.record import Subject, audit_record, decision_id, event_id
from clearance.lifecycle.state import ArticleState, Hold, Kill, SourceRef, Status, Version
from clearance.terms.policy import Policy


@dataclass(frozen=True, slots=True)
class Context:
    """What every rule is given besides the state and the event: the moment, the terms in force
    and the bucket names."""

    now: datetime
    policy: Policy | None
    buckets: dict[BucketRole, str]

    @property
    def policy_sha(self) -> str | None:
        return self.policy.sha256 if self.policy else None

    def record_id(self, *identity: str) -> str:
        """The id of the record of a later event, under these terms."""
        return event_id(self.policy_sha, *identity)

    def stored(self, write: Write) -> ObjectRef:
        """The object `write` makes, as a record's `copies` or the state names it."""
        return write.stored(self.buckets[write.bucket])

    def source_of(self, write: Write) -> dict[str, Any]:
        """The `source` of a record about an object the event wrote (a tombstone)."""
        return {
            "bucket": self.buckets[write.bucket],
            "key": write.key,
            "version_id": None,
            "sha256": write.sha256,
            "bytes": len(write.data),
        }


def record_about(
    context: Context,
    state: ArticleState,
    entry: Version | None,
    outcome: Outcome,
    *,
    event: dict[str, str],
    findings: list[Finding],
    identity: tuple[str, ...],
    request_id: str | None = None,
    copies: Sequence[ObjectRef] = (),
    withdrawn_prefix: str | None = None,
    deadline: str | None = None,
    review: dict[str, str] | None = None,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The record of an event on a version already known, or (with `source`, the object the
    event wrote) on an article none of whose versions is known yet."""
    if entry is None and (source is None or request_id is None):
        raise ValueError("a record about no known version names its own source and request")
    subject = Subject(
        provider=state.provider,
        article={
            "uri": state.uri,
            "version": entry.version if entry else None,
            "id": state.article_id,
            "headline": entry.headline if entry else None,
        },
        source=entry.source.to_record() if entry else dict(source or {}),
        request_id=request_id or (entry.source.request_id if entry else ""),
        policy=context.policy.ref if context.policy else None,
    )
    return audit_record(
        subject,
        record_id=context.record_id(*identity),
        decided_at=iso(context.now),
        outcome=outcome,
        findings=[f.to_dict() for f in findings],
        event=event,
        copies=copies,
        withdrawn_prefix=withdrawn_prefix,
        deadline=deadline,
        review=review,
    )


STATUS = {
    Outcome.CLEARED: Status.PUBLISHED,
    Outcome.HELD: Status.HELD,
    Outcome.REJECTED: Status.REJECTED,
    Outcome.SUPERSEDED: Status.SUPERSEDED,
    Outcome.WITHDRAWN: Status.WITHDRAWN,
}


def hold_of(decision: Decision) -> Hold:
    """Time alone (an embargo, a time-limited exclusion) holds until it passes; anything else a
    person must look at."""
    return Hold.EMBARGO if decision.release_at is not None else Hold.REVIEW


def entry_of(
    decision: Decision,
    ref: SourceRef,
    status: Status,
    *,
    hold: Hold | None = None,
    at: str,
    copies: tuple[ObjectRef, ...] = (),
) -> Version:
    article = decision.article or {}
    return Version(
        version=article.get("version", ""),
        version_created=article.get("version_created"),
        status=status,
        decision_id=decision_id(decision),
        decided_at=at,
        source=ref,
        headline=article.get("headline"),
        hold=hold,
        copies=copies,
        findings=tuple(f.to_dict() for f in decision.findings),
    )


def removals_of(versions: Iterable[Version]) -> tuple[ObjectRef, ...]:
    """The copies of `versions` that are up, to take down."""
    return tuple(
        ObjectRef(copy.bucket, copy.key, copy.sha256, version_id=copy.version_id)
        for version in versions
        for copy in version.copies
    )


def notice(
    detail_type: str, state: ArticleState, entry: Version, reason: str | None, by: str = ""
) -> Notification:
    """An event for the publishing system about one version and its copies."""
    detail: dict[str, Any] = {
        "provider": state.provider,
        "article_id": state.article_id,
        "uri": state.uri,
        "version": entry.version,
        "copies": [{"key": c.key, "sha256": c.sha256, "kind": c.kind} for c in entry.copies],
    }
    if reason:
        detail["reason"] = reason
    if by:
        detail["superseded_by"] = by
    return Notification(detail_type, detail)


def plain_kill(kill: Kill) -> dict[str, Any]:
    return {"withdrawn_at": kill.received_at, "by": kill.by, "deadline": kill.deadline}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
