"""The digest job: a signed digest for every complete hour since the last one, chained by hash.

A quiet hour gets an empty digest, so a deleted or altered digest, or a record changed after its
hour, is visible to `clearance audit verify`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from clearance.audit.digest import (
    HOUR,
    DigestRef,
    Signer,
    build_digest,
    period_of_key,
    periods_between,
)
from clearance.aws import clients
from clearance.aws.digeststore import DigestStore
from clearance.aws.kms import KmsSigner
from clearance.aws.store import Bucket
from clearance.services.config import DigestConfig
from clearance.services.observability import logger


@dataclass
class Digester:
    store: DigestStore
    signer: Signer
    clock: Callable[[], datetime]

    def run(self) -> list[str]:
        """Digest every complete hour not yet digested; the keys written, oldest first."""
        now = self.clock()
        previous, chain_end = self._chain_end(now)
        written = []
        for period in periods_between(chain_end, now):
            records = self.store.written_between(period.start, period.end)
            key, data = build_digest(period.start, records, previous, now, self.signer)
            previous = DigestRef.of(key, self.store.put_digest(key, data))
            written.append(key)
            logger.info("digested", extra={"key": key, "records": len(records)})
        return written

    def _chain_end(self, now: datetime) -> tuple[DigestRef | None, datetime]:
        last = self.store.last_digest()
        if last is not None:
            key, data = last
            start = period_of_key(key)
            if start is None:
                raise ValueError(f"{key} is not a digest key")
            return DigestRef.of(key, data), start + HOUR
        first = self.store.first_write()
        genesis = first if first is not None else now - HOUR
        return None, genesis.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@cache
def default_digester(config: DigestConfig) -> Digester:
    return Digester(
        store=DigestStore(Bucket(clients.s3(), config.audit_bucket)),
        signer=KmsSigner(clients.kms(), config.digest_key_id),
        clock=lambda: datetime.now(UTC),
    )
