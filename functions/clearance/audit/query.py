"""Questions a compliance officer asks of the audit log, checked and turned into key prefixes.

The key layout (`audit/decisions/dt=<day>/<provider>/<outcome>/<decision>.json`) answers date,
provider and outcome filters from listings alone; only a rule filter or a time-of-day bound
needs the records themselves.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from clearance.contracts import keys
from clearance.decide.findings import Outcome

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
_RULE = re.compile(r"^[a-z0-9][a-z0-9.-]{0,80}$")
PARAMETERS = ("provider", "outcome", "rule", "from", "to", "limit", "next")


class QueryError(ValueError):
    """A bad parameter; `parameter` names it, for a 400 that says which."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the previous page stopped: newest first, by (modified, key)."""

    day: str
    modified: str
    key: str

    def token(self) -> str:
        raw = json.dumps([self.day, self.modified, self.key], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class AuditQuery:
    provider: str | None = None
    outcome: str | None = None
    rule: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None

    def filters(self) -> dict[str, str]:
        """The filters in force, for reports and exports."""
        values = {
            "provider": self.provider,
            "outcome": self.outcome,
            "rule": self.rule,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }
        return {name: value for name, value in values.items() if value}


def parse_query(
    params: Mapping[str, str | None], allowed: Sequence[str] = PARAMETERS
) -> AuditQuery:
    """The query the parameters ask; `allowed`: those a route takes (the others refused)."""
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise QueryError(unknown[0], f"unknown parameter '{unknown[0]}'; use {', '.join(allowed)}")
    provider = _optional(params, "provider")
    if provider is not None and not keys.is_provider_id(provider):
        raise QueryError("provider", "provider must be a provider id such as 'menafn'")
    outcome = _optional(params, "outcome")
    if outcome is not None and outcome not in {o.value for o in Outcome}:
        raise QueryError("outcome", f"outcome must be one of {', '.join(Outcome)}")
    rule = _optional(params, "rule")
    if rule is not None and not _RULE.match(rule):
        raise QueryError("rule", "rule must be a rule id such as 'notice.menafn-disclaimer'")
    start = _instant(params, "from", end_of_day=False)
    end = _instant(params, "to", end_of_day=True)
    if start and end and start >= end:
        raise QueryError("to", "'to' must be later than 'from'")
    return AuditQuery(provider, outcome, rule, start, end, _limit(params), _cursor(params))


def _optional(params: Mapping[str, str | None], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not value.strip():
        raise QueryError(name, f"{name} is empty")
    return value.strip()


def _instant(params: Mapping[str, str | None], name: str, *, end_of_day: bool) -> datetime | None:
    """A date means the whole day: `from` its start, `to` the end of it."""
    value = _optional(params, name)
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(), tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(
            name, f"{name} must be an ISO 8601 date or time, such as 2026-11-23"
        ) from None
    if instant.tzinfo is None:
        raise QueryError(name, f"{name} needs a time zone, such as 2026-11-23T09:00:00Z")
    return instant.astimezone(UTC)


def _limit(params: Mapping[str, str | None]) -> int:
    value = _optional(params, "limit")
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise QueryError("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def _cursor(params: Mapping[str, str | None]) -> Cursor | None:
    value = _optional(params, "next")
    if value is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        day, modified, key = json.loads(raw)
        datetime.fromisoformat(modified)
    except (ValueError, TypeError, binascii.Error):
        raise QueryError("next", "next is not a token this service issued") from None
    if not all(isinstance(part, str) for part in (day, modified, key)):
        raise QueryError("next", "next is not a token this service issued")
    return Cursor(day, modified, key)


def days_to_read(partitions: list[str], query: AuditQuery) -> list[str]:
    """Partition days (from `dt=YYYY-MM-DD/` folder names) in the range, newest first."""
    days = []
    for folder in partitions:
        day = keys.day_of_partition(folder)
        if day is None:
            continue
        if query.start and day < query.start.date().isoformat():
            continue
        if query.end and day > (query.end - timedelta(microseconds=1)).date().isoformat():
            continue
        if query.after and day > query.after.day:
            continue
        days.append(day)
    return sorted(days, reverse=True)


def day_prefix(day: str, query: AuditQuery) -> str:
    prefix = keys.decision_day_prefix(day)
    if query.provider:
        prefix += f"{query.provider}/"
        if query.outcome:
            prefix += f"{query.outcome}/"
    return prefix


def record_matches(record: Mapping[str, Any], query: AuditQuery) -> bool:
    decided = datetime.fromisoformat(str(record["decided_at"])).astimezone(UTC)
    if query.start and decided < query.start:
        return False
    if query.end and decided >= query.end:
        return False
    return query.rule is None or any(f["rule_id"] == query.rule for f in record["findings"])
