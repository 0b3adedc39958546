"""Times as feeds write them, made the one form the rest of the service reads.

Agencies write RFC 3339 (sometimes with a lower-case `t`/`z` or a `+0000` offset), ISO 8601's
basic form (NITF `20150723T150000-0400`, NewsML 1.x), RFC 822 (RSS `pubDate`) or a bare date.
Every reader passes its times through `canonical`, so `datetime.fromisoformat` never meets a
form it cannot read: a value that is no time at all is returned as it was, for the article
schema to refuse (`format: date-time`), never to crash a decision later.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

_EXTENDED = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*([Zz]|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?"
)
_STRICT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]\d(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})")
"""RFC 3339 as `datetime.fromisoformat` reads it: kept exactly as the provider wrote it."""
_BASIC = re.compile(
    r"(\d{4})(\d{2})(\d{2})(?:[Tt](\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?"
    r"([Zz]|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?"
)


def canonical(value: str | None) -> str | None:
    """The time as RFC 3339 that `datetime.fromisoformat` reads; already so, it is kept as is.

    A bare date is its first moment in UTC; a leap second the last moment of its minute. A time
    of day without a zone is no moment at all (it could be any of 26 hours): it is returned
    unchanged, stripped, like anything else that is no time, for the schema to refuse.
    """
    if value is None:
        return None
    text = value.strip()
    if _STRICT.fullmatch(text):
        return text
    moment = parse(text)
    return text if moment is None else moment.isoformat()


def created(value: str | None) -> str | None:
    """A creation or modification time as `canonical` gives it, but a time of day without a zone
    read as UTC: such a time only orders versions and counts an article's age, where a few hours
    either way decide nothing. Never for an embargo or an expiry."""
    if value is None:
        return None
    text = value.strip()
    zoned = canonical(text)
    if zoned != text or _STRICT.fullmatch(text):
        return zoned
    return canonical(f"{text}Z") if _EXTENDED.fullmatch(text) or _BASIC.fullmatch(text) else text


def parse(text: str) -> datetime | None:
    """The moment `text` names, in any of the forms `canonical` reads, or None."""
    for layout in (_EXTENDED, _BASIC):
        match = layout.fullmatch(text)
        if match:
            return _moment(match)
    if not text[:1].isalpha() and not text[:1].isdigit():
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):  # a year past C's int: no time
        return None
    return moment if moment.tzinfo else None


def _moment(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if hour is not None and zone is None:
        return None
    try:
        seconds = int(second or 0)
        leap = seconds == 60
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            59 if leap else seconds,
            999999 if leap else int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=_zone(zone),
        )
    except ValueError:
        return None
    return moment


def _zone(zone: str | None) -> timezone:
    if zone is None or zone in ("Z", "z"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"no such offset: {zone}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
