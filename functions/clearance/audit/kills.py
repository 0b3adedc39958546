"""Kill duty read back from the audit log: for each killed article, when the kill came, by when
every copy had to be gone, when the last one went, and whether the deadline was kept.

A kill writes one record (event `kill`, outcome withdrawn, every copy it removed and when); at the
deadline the sweep writes another (timer `kill-deadline`) with `kill.complete`, or `kill.overdue`
and the copies it removed then. Which copies are still present now is read by the caller and
passed in, per article id, as is the moment to judge at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from clearance.contracts.vocabulary import EventKind, Rule, TimerKind


class KillVerdict(StrEnum):
    COMPLETE = "complete"
    OVERDUE = "overdue"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class KillStatus:
    """`completed` is when the last copy went (the kill itself when none had to), None while
    copies remain; `removed` and `remaining` are cleared keys."""

    provider: str
    article_id: str
    uri: str | None
    received: datetime | None
    deadline: datetime | None
    completed: datetime | None
    removed: tuple[str, ...]
    remaining: tuple[str, ...]
    verdict: KillVerdict

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "article": self.article_id,
            "uri": self.uri,
            "received": _iso(self.received),
            "deadline": _iso(self.deadline),
            "completed": _iso(self.completed),
            "removed": len(self.removed),
            "removed_keys": list(self.removed),
            "remaining": list(self.remaining),
            "verdict": self.verdict.value,
        }


def is_kill(record: Mapping[str, Any]) -> bool:
    return _event(record).get("kind") == EventKind.KILL


def is_kill_deadline(record: Mapping[str, Any]) -> bool:
    event = _event(record)
    return event.get("kind") == EventKind.TIMER and event.get("timer") == TimerKind.KILL_DEADLINE


def kill_statuses(
    records: Iterable[Mapping[str, Any]],
    now: datetime,
    remaining: Mapping[str, Sequence[str]] | None = None,
) -> list[KillStatus]:
    """One status per killed article, oldest kill first; other records are ignored."""
    kills: dict[str, Mapping[str, Any]] = {}
    deadlines: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        article_id = _article_id(record)
        if not article_id:
            continue
        if is_kill_deadline(record):
            deadlines.setdefault(article_id, []).append(record)
        elif is_kill(record) and (
            article_id not in kills or _order(record) < _order(kills[article_id])
        ):
            kills[article_id] = record
    present = remaining or {}
    statuses = [
        _status(kill, deadlines.get(article_id, []), tuple(present.get(article_id, ())), now)
        for article_id, kill in kills.items()
    ]
    return sorted(statuses, key=lambda s: (_iso(s.received) or "", s.provider, s.article_id))


def _status(
    kill: Mapping[str, Any],
    later: Sequence[Mapping[str, Any]],
    remaining: tuple[str, ...],
    now: datetime,
) -> KillStatus:
    received = _moment(kill.get("decided_at"))
    deadline = _moment(kill.get("deadline")) or next(
        (moment for r in later if (moment := _moment(r.get("deadline")))), None
    )
    removals = [item for record in (kill, *later) for item in record.get("removed") or []]
    times = [moment for item in removals if (moment := _moment(item.get("removed_at")))]
    last = max(times, default=received)
    flagged = any(
        f.get("rule_id") == Rule.KILL_OVERDUE for r in later for f in r.get("findings") or []
    )
    late = deadline is not None and (
        (last is not None and last > deadline) or (bool(remaining) and now > deadline)
    )
    if flagged or late:
        verdict = KillVerdict.OVERDUE
    else:
        verdict = KillVerdict.INCOMPLETE if remaining else KillVerdict.COMPLETE
    article = kill.get("article") or {}
    return KillStatus(
        provider=str(kill.get("provider") or "unknown"),
        article_id=_article_id(kill) or "",
        uri=article.get("uri"),
        received=received,
        deadline=deadline,
        completed=None if remaining else last,
        removed=tuple(dict.fromkeys(str(item.get("key")) for item in removals)),
        remaining=remaining,
        verdict=verdict,
    )


def _event(record: Mapping[str, Any]) -> Mapping[str, Any]:
    event = record.get("event")
    return event if isinstance(event, Mapping) else {}


def _article_id(record: Mapping[str, Any]) -> str | None:
    article = record.get("article")
    value = article.get("id") if isinstance(article, Mapping) else None
    return str(value) if value else None


def _order(record: Mapping[str, Any]) -> tuple[str, str]:
    return _iso(_moment(record.get("decided_at"))) or "", str(record.get("decision_id") or "")


def _moment(value: object) -> datetime | None:
    """An ISO 8601 time with a zone, in UTC; None when absent or unreadable."""
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment and moment.tzinfo else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
