"""The events an article's state moves on: a delivered version, a kill, a timer, a verdict."""

from __future__ import annotations

from dataclasses import dataclass

from clearance.decide.engine import Decision
from clearance.lifecycle.plan import Plan
from clearance.lifecycle.record import Source
from clearance.lifecycle.state import ArticleState, Timer


@dataclass(frozen=True, slots=True)
class Delivered:
    decision: Decision
    source: Source
    data: bytes


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
    state: ArticleState | None
    plan: Plan
