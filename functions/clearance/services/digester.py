"""The digest job: every complete hour since the last digest is sealed and signed, chained by hash.

An hour is sealed once it is `SEAL_GRACE` old, so a decision retried by the queue is written
before its hour closes: its records (those decided in it) are written as one segment, and a
digest carrying the segment's SHA-256 and the Merkle root of its records is signed. A quiet hour
gets an empty digest, so a deleted or altered digest, or a record changed, slipped in or deleted
after its hour, is visible to `clearance audit verify`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clearance.audit.digest import (
    HOUR,
    DigestRef,
    RecordRef,
    Signer,
    build_digest,
    period_of_key,
    periods_between,
)
from clearance.audit.segment import build_segment
from clearance.aws.digeststore import DigestStore
from clearance.services.observability import logger

SEAL_GRACE = timedelta(minutes=40)
"""How long after its end an hour stays open: SQS retries (5 x 6 minutes) land before it."""


@dataclass
class Digester:
    store: DigestStore
    signer: Signer
    clock: Callable[[], datetime]
    grace: timedelta = SEAL_GRACE

    def run(self) -> list[str]:
        """Seal every complete hour not yet sealed; the digest keys written, oldest first."""
        now = self.clock()
        previous, chain_end = self._chain_end(now)
        periods = periods_between(chain_end, now - self.grace)
        if not periods:
            return []
        sealable = self.store.sealable(periods[0].start, periods[-1].end)
        written = []
        for period in periods:
            records = sealable.get(period.start, [])
            segment = None
            if records:
                segment = self.store.put_segment(build_segment(period.start, records))
                records = list(segment.records)
            refs = [RecordRef.of(key, data) for key, data in records]
            key, data = build_digest(
                period.start,
                refs,
                previous,
                now,
                self.signer,
                segment=segment.ref if segment else None,
            )
            previous = DigestRef.of(key, self.store.put_digest(key, data))
            written.append(key)
            logger.info("sealed", extra={"key": key, "records": len(refs)})
        return written

    def _chain_end(self, now: datetime) -> tuple[DigestRef | None, datetime]:
        last = self.store.last_digest()
        if last is not None:
            key, data = last
            start = period_of_key(key)
            if start is None:
                raise ValueError(f"{key} is not a digest key")
            return DigestRef.of(key, data), start + HOUR
        first = self.store.first_day()
        genesis = first if first is not None else now - self.grace - HOUR
        return None, genesis.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
