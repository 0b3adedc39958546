"""The events an article's state moves on: a delivered version, a kill, a timer, a verdict."""

from __future__ import annotations

from dataclasses import dataclass

from clearance.decide.engine import Decision
from clearance.lifecycle.plan import Plan
from clearance.lifecycle.record import Source
from clearance.lifecycle.state import ArticleState, Timer
from clearance.terms.policy import Policy


@dataclass(frozen=True, slots=True)
class Delivered:
    """A delivered item and its decision. `unread`: the size of a delivery too large to read,
    whose input is then quarantined by an S3 copy of where it arrived."""

    decision: Decision
    source: Source
    data: bytes
    unread: int | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.unread is None else self.unread

    @property
    def terms(self) -> Policy | None:
        """The terms the decision was made under, as at the delivery's arrival: None when the
        terms it names were not in force then."""
        policy = self.decision.policy
        return policy if policy is not None and policy.in_force_at(self.source.arrived_at) else None


@dataclass(frozen=True, slots=True)
class KillOrdered:
    """A provider's kill. `provider`, `article` and `uri` let a kill that arrives before any
    delivery of the article is decided be kept: the uri must be the one the article id names."""

    by: str
    request_id: str
    provider: str | None = None
    article: str | None = None
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class TimerFired:
    """`decision`: the held version decided again at its embargo's end; `remaining`: cleared
    copies still present at a kill's deadline."""

    timer: Timer
    decision: Decision | None = None
    remaining: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """`decision`: for an approval, the held version decided again with the approval."""

    version: str
    approve: bool
    reviewer: str
    reason: str
    request_id: str
    decision: Decision | None = None


Event = Delivered | KillOrdered | TimerFired | Verdict


class Refused(Exception):
    """The event is not allowed on this article; `status` and `code` are what a caller is told."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True, slots=True)
class Change:
    """What a transition decided: the article's new state (None: no article to keep) and the
    plan that carries it out."""

    state: ArticleState | None
    plan: Plan
