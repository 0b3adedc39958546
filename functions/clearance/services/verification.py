"""Does the digest chain hold over a period: `clearance audit verify` and the audit routes ask
it the same way. Each digest is checked against its schema, so the audit review function loads
this module only when first asked."""

from __future__ import annotations

from datetime import datetime

from clearance.audit.digest import floor_hour, period_of_key
from clearance.audit.query import AuditQuery
from clearance.audit.signature import PublicKeyVerifier
from clearance.audit.verification import Verification
from clearance.audit.verify import verify_log
from clearance.aws.digeststore import DigestStore
from clearance.contracts import keys


def verify_period(
    store: DigestStore, verifier: PublicKeyVerifier, query: AuditQuery, as_at: datetime
) -> Verification:
    """The digest chain over the query's period (default: the whole log, from its first record
    or digest, whichever is older, to the as-at time)."""
    start, end = query.start, query.end or as_at
    if start is None:
        hours = [hour for key in store.bucket.keys(keys.DIGESTS) if (hour := period_of_key(key))]
        first_day = store.first_day()
        start = min([*hours, *([first_day] if first_day else [])], default=floor_hour(as_at))
    digests = store.digests(floor_hour(start), end)
    return verify_log(
        store.evidence(digests, start, end, whole_log=query.start is None and query.end is None),
        verifier,
        start=start,
        end=end,
        as_at=as_at,
    )
