"""Which hours of the audit log must have a digest, and how a missing one is named.

The digest job seals every hour, quiet ones too, from the start of the log's first day, once the
hour has been over for a while. So, as at a given time, every hour from the start of the day of
the first record (or digest) to that time less the sealing grace must have a digest: a hole names
its hour, how many records it leaves unproven and which, or by when it should have been sealed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from clearance.audit.chain import Findings, ProblemKind, Reading
from clearance.audit.digest import HOUR, digest_key, floor_hour

SEALING_GRACE = timedelta(hours=2)
"""How long after its end an hour may go without a digest: the job seals an hour once it has
been over for 40 minutes and runs at 45 past, so a digest is due by then; the rest is slack for
a failed run to be retried."""


@dataclass(frozen=True, slots=True)
class Span:
    """The hours the chain covers in the window, and the hours that should have a digest and
    have none; `deadline` is when each of those was due, when the as-at time is known."""

    start: datetime | None
    end: datetime | None
    missing: frozenset[datetime]
    as_at: datetime | None = None
    due: datetime | None = None

    def deadline(self, hour: datetime) -> datetime | None:
        if self.as_at is not None:
            return hour + HOUR + SEALING_GRACE
        return self.due


def hour_label(hour: datetime) -> str:
    """An hour as an auditor writes it: 2026-11-23T14 (UTC)."""
    return f"{hour:%Y-%m-%dT%H}"


def span_of(
    present: Collection[datetime],
    by_hour: Mapping[datetime, Reading],
    *,
    window: tuple[datetime, datetime],
    earliest_record: datetime | None,
    expect_digests_until: datetime | None,
    as_at: datetime | None = None,
) -> Span:
    """From the genesis, every hour up to the last digest, and up to `expect_digests_until` when
    given, has a digest. Without a genesis in the window, the chain is taken to start where the
    digest job starts one: at the start of the day of the first digest or record it holds."""
    window_start, window_end = window
    firsts = [hour for hour in (min(present, default=None), earliest_record) if hour is not None]
    first_seen = window_start
    if firsts:
        first_seen = max(window_start, min(firsts).replace(hour=0))
    start = end = None
    if present:
        first = min(present)
        genesis = first not in by_hour or by_hour[first].previous is None
        start = first if genesis else first_seen
        end = max(present) + HOUR
    due = end
    until = None
    if expect_digests_until is not None:
        until = min(floor_hour(expect_digests_until), window_end)
        start = start or first_seen
        due = max(due, until) if due else until
    missing: set[datetime] = set()
    if start is not None and due is not None:
        hour = start
        while hour < due:
            if hour not in present:
                missing.add(hour)
            hour += HOUR
    return Span(start, end, frozenset(missing), as_at, until)


def name_missing(span: Span, loose: Mapping[str, datetime], found: Findings) -> None:
    """One problem per hour without a digest, naming the records it leaves unproven."""
    for hour in sorted(span.missing):
        key = digest_key(hour)
        late = span.end is None or hour >= span.end
        cause = f"{key} was deleted" + (", or the digest job has not run" if late else "")
        records = tuple(sorted(name for name, held in loose.items() if held == hour))
        deadline = span.deadline(hour)
        if records:
            count = f"{len(records)} record{'' if len(records) == 1 else 's'}"
            message = f"hour {hour_label(hour)} has {count} and no digest: {cause}"
        elif late and deadline is not None:
            message = (
                f"hour {hour_label(hour)} should be sealed by {deadline:%Y-%m-%dT%H:%MZ} and has "
                f"no digest: {cause} (a quiet hour still gets a digest)"
            )
        else:
            message = (
                f"hour {hour_label(hour)} has no digest: {cause} (a quiet hour still gets a digest)"
            )
        found.add(ProblemKind.DIGEST_DELETED, key, message, records)
