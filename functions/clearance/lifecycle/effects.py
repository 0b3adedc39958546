"""What transitions share: the version entries, removals, notifications and records they make
about an article's known versions, given the moment, the terms and the bucket names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clearance.decide.engine import Decision
from clearance.decide.findings import Finding, Outcome
from clearance.lifecycle.plan import BucketRole, Notification, Removal, Write
from clearance.lifecycle.record import Copy, decision_id, event_id, version_record
from clearance.lifecycle.state import (
    ArticleState,
    Hold,
    Kill,
    SourceRef,
    Status,
    StoredCopy,
    Version,
)
from clearance.terms.policy import Policy


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime
    policy: Policy | None
    buckets: dict[BucketRole, str]

    @property
    def policy_sha(self) -> str | None:
        return self.policy.sha256 if self.policy else None

    def stored(self, write: Write) -> dict[str, Any]:
        """The `source` of a record about an object this transition writes (a tombstone)."""
        return {
            "bucket": self.buckets[write.bucket],
            "key": write.key,
            "version_id": None,
            "sha256": write.sha256,
            "bytes": len(write.data),
        }

    def about(
        self,
        state: ArticleState,
        entry: Version | None,
        outcome: Outcome,
        event: dict[str, str],
        findings: list[Finding],
        *,
        identity: tuple[str, ...],
        request_id: str | None = None,
        copies: list[Copy] | None = None,
        withdrawn_prefix: str | None = None,
        deadline: str | None = None,
        review: dict[str, str] | None = None,
        source: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The record of an event on a version already known, or (with `source`, the object the
        event wrote) on an article none of whose versions is known yet."""
        if entry is None and (source is None or request_id is None):
            raise ValueError("a record about no known version names its own source and request")
        return version_record(
            record_id=event_id(self.policy_sha, *identity),
            decided_at=iso(self.now),
            request_id=request_id or (entry.source.request_id if entry else ""),
            source=entry.source.to_record() if entry else dict(source or {}),
            provider=state.provider,
            article={
                "uri": state.uri,
                "version": entry.version if entry else None,
                "id": state.article_id,
                "headline": entry.headline if entry else None,
            },
            policy=self.policy.ref if self.policy else None,
            outcome=outcome,
            findings=[f.to_dict() for f in findings],
            event=event,
            copies=copies or [],
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
    copies: tuple[StoredCopy, ...] = (),
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


def removals_of(versions: Iterable[Version]) -> tuple[Removal, ...]:
    return tuple(
        Removal(copy.bucket, copy.key, copy.sha256, copy.version_id)
        for version in versions
        for copy in version.copies
    )


def notice(
    detail_type: str, state: ArticleState, entry: Version, reason: str | None, by: str = ""
) -> Notification:
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
