"""The audit record's words, spelled once: the lifecycle writes them, the audit reads them back.

Event kinds, timers, reasons, copy kinds and verdicts are the enums of
`schemas/audit-record.schema.json` (a test holds the two equal); the rule ids are those of the
findings the lifecycle adds to a record and a reader looks for. `ObjectRef` is the one way a
record, an article's state and a plan name an S3 object.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """What happened to the article: a record's `event.kind`."""

    DELIVERY = "delivery"
    TIMER = "timer"
    KILL = "kill"
    REVIEW = "review"
    SUPERSEDE = "supersede"


class TimerKind(StrEnum):
    """A timer an article's state keeps, named in the record of its firing (`event.timer`)."""

    EMBARGO = "embargo"
    EXPIRY = "expiry"
    KILL_DEADLINE = "kill-deadline"


class Reason(StrEnum):
    """Why copies came down: a record's `event.reason` and a notification's `reason`."""

    KILL = "kill"
    EXPIRY = "expiry"
    SUPERSEDED = "superseded"


class CopyKind(StrEnum):
    """What an object a record names is: a rendition, the quarantined input, a tombstone."""

    JSON = "json"
    HTML = "html"
    TEXT = "text"
    INPUT = "input"
    FINDINGS = "findings"
    TOMBSTONE = "tombstone"


RENDITIONS = frozenset({CopyKind.JSON, CopyKind.HTML, CopyKind.TEXT})
"""The kinds of a cleared copy a reader is shown."""


class ReviewVerdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Rule(StrEnum):
    """Rule ids of findings the lifecycle writes on a record, or a reader looks for on one."""

    WITHDRAWN = "article.withdrawn"
    KILLED = "article.killed"
    SUPERSEDED = "article.superseded"
    EXPIRED = "constraint.expires"
    KILL_OVERDUE = "kill.overdue"
    KILL_COMPLETE = "kill.complete"
    REVIEW_REJECTED = "review.rejected"
    TRESPASS = "tenancy.provider"
    TOO_LARGE = "input.size"


TENANCY_RULES = "tenancy."
"""The prefix of every rule id that refuses a delivery touching another provider's article."""
SCHEDULE = "schedule"
"""Who orders a timer's event: a record's `event.by`."""
FEED = "feed"
"""Who orders a kill the provider's feed sent (a cancelled version)."""


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One S3 object: a copy written, one to take down, or one taken down (`removed_at`).

    `sha256` is None only for an object taken down whose hash neither S3 nor the state knew.
    """

    bucket: str
    key: str
    sha256: str | None
    kind: str | None = None
    version_id: str | None = None
    removed_at: str | None = None

    def as_copy(self) -> dict[str, Any]:
        """An item of a record's `copies`: what a decision wrote."""
        return {"bucket": self.bucket, "key": self.key, "sha256": self.sha256, "kind": self.kind}

    def as_removed(self) -> dict[str, Any]:
        """An item of a record's `removed`: which object version went, and when."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "version_id": self.version_id,
            "sha256": self.sha256,
            "removed_at": self.removed_at,
        }


ARTICLE_NOT_FOUND = "No article has this id."
"""What every route answers (`404 article.not-found`) for an article it cannot find."""
