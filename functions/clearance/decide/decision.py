"""What a decision is: its outcome, findings and copies, and what was known before it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clearance.decide.attribution import AttachedNotice
from clearance.decide.findings import Finding, Outcome, main_finding
from clearance.decide.licensee import Licensee
from clearance.decide.render import Rendition
from clearance.ingest.article import Article
from clearance.terms.policy import Policy


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    input_sha256: str
    findings: tuple[Finding, ...]
    provider: str | None = None
    article: Article | None = None
    policy: Policy | None = None
    notices: tuple[AttachedNotice, ...] = ()
    cleared: dict[str, Any] | None = None
    renditions: tuple[Rendition, ...] = field(default=())
    licensee: Licensee | None = None
    release_at: datetime | None = None
    expires_at: datetime | None = None
    """When a cleared copy must come down (the licence's end or the article's own expiry)."""
    item: int | None = None
    """Its place in a delivery of several items; None when the item is the delivery."""

    @property
    def main_finding(self) -> Finding | None:
        return main_finding(self.findings)

    def to_dict(self) -> dict[str, Any]:
        article = self.article or {}
        return {
            "outcome": self.outcome.value,
            "provider": self.provider,
            "uri": article.get("uri"),
            "version": article.get("version"),
            "input_sha256": self.input_sha256,
            "policy": self.policy.ref if self.policy else None,
            "licensee": self.licensee.to_dict() if self.licensee else None,
            "findings": [finding.to_dict() for finding in self.findings],
            "notices": [notice.to_dict() for notice in self.notices],
            "renditions": {r.name: r.sha256 for r in self.renditions},
            **({"item": self.item} if self.item is not None else {}),
        }


@dataclass(frozen=True)
class Approval:
    """A reviewer's approval of a held version: its major findings are accepted, on record."""

    reviewer: str
    reason: str


@dataclass(frozen=True)
class Prior:
    """What was known about the article before this decision: read first, then decided on.

    `approval` is set when a reviewer approves the held version being decided again.
    """

    withdrawn: bool = False
    approval: Approval | None = None


@dataclass(frozen=True)
class Identified:
    """A readable, valid article whose provider and terms are known, not yet decided."""

    input_sha256: str
    article: Article
    provider: str
    history: tuple[Policy, ...]
    recognition: tuple[Finding, ...]
    item: int | None = None
