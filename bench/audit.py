"""Audit review at volume: 10,000 decision records on the local stack, listed and verified.

Prints, for each question a reviewer asks, the time per 1,000 records and the S3 requests per
record; listings must narrow by key layout (a date filter reads only that period's records).
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from clearance.audit.query import AuditQuery, parse_query
from clearance.audit.verify import verify_log
from clearance.aws.auditlog import AuditLog
from clearance.aws.digeststore import DigestStore
from clearance.aws.kms import KmsSigner, KmsVerifier
from clearance.aws.store import Bucket
from clearance.contracts.encoding import json_line
from clearance.contracts.keys import record_key
from clearance.local.stack import LocalStack
from clearance.services.digester import Digester

RECORDS = 10_000
DAYS = 10
PROVIDERS = ("menafn", "dpa", "ntb", "tt", "ap")
OUTCOMES = ("cleared", "cleared", "cleared", "held", "rejected")


def synthetic_record(n: int, start: datetime) -> dict[str, Any]:
    """A decision record of the real shape, spread over DAYS days and five providers."""
    provider, outcome = PROVIDERS[n % 5], OUTCOMES[(n // 5) % 5]
    digest = hashlib.sha256(f"article {n}".encode()).hexdigest()
    rule = "notice.menafn-disclaimer" if outcome == "held" else "constraint.territory"
    return {
        "record_version": 1,
        "decision_id": f"{digest}-{'0' * 12}",
        "decided_at": (start + timedelta(seconds=n * DAYS * 86400 // RECORDS)).isoformat(),
        "request_id": f"bench-{n}",
        "source": {
            "bucket": "clearance-inbound-123456789012-us-east-1",
            "key": f"inbound/{provider}/{n}.txt",
            "version_id": None,
            "sha256": digest,
            "bytes": 4000,
        },
        "provider": provider,
        "article": {
            "uri": f"urn:bench:{n}",
            "version": "1",
            "id": f"bench-{n}",
            "headline": f"Article {n}",
        },
        "policy": {"id": provider, "version": "1", "sha256": "0" * 64},
        "outcome": outcome,
        "findings": []
        if outcome == "cleared"
        else [{"rule_id": rule, "pointer": "/", "severity": "major", "message": "bench"}],
        "copies": [],
        "withdrawn_prefix": None,
    }


class Requests:
    """Counts S3 and KMS API calls made by one client."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        client.meta.events.register("before-call.*.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[model.name] += 1

    def total(self) -> int:
        return sum(self.counts.values())


def timed(work: Callable[[], int], rounds: int = 3) -> tuple[float, int]:
    """Median seconds of `work` over rounds, and the records it returned."""
    times, count = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        count = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), count


def main() -> int:
    with LocalStack(dispatch=False) as stack:
        audit = stack.names.bucket("audit")
        # Decided over the last DAYS days and written now: within the digest job's look-back.
        start = (datetime.now(UTC) - timedelta(days=DAYS)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        records = [synthetic_record(n, start) for n in range(RECORDS)]

        def put(record: dict[str, Any]) -> None:
            stack.s3.put_object(
                Bucket=audit,
                Key=record_key(record),
                Body=json_line(record),
                ChecksumAlgorithm="SHA256",
            )

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(put, records))
        print(f"seeded {RECORDS:,} records in {time.perf_counter() - began:.1f} s")

        s3 = boto3.client("s3", endpoint_url=stack.endpoint_url)
        kms = boto3.client("kms", endpoint_url=stack.endpoint_url)
        requests = Requests(s3)
        bucket = Bucket(s3, audit)
        log = AuditLog(bucket)
        key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
            "KeyId"
        ]
        later = datetime.now(UTC) + timedelta(hours=2)
        Digester(DigestStore(bucket), KmsSigner(kms, key), lambda: later).run()

        questions: dict[str, dict[str, str]] = {
            "3 days (date filter)": {
                "from": (start + timedelta(days=5)).date().isoformat(),
                "to": (start + timedelta(days=7)).date().isoformat(),
                "limit": "1000",
            },
            "provider + outcome": {"provider": "dpa", "outcome": "held", "limit": "1000"},
            "rule (reads records)": {"rule": "notice.menafn-disclaimer", "limit": "1000"},
        }
        print(f"{'question':24} {'records':>8} {'ms/1000':>9} {'requests/record':>16}")
        for name, params in questions.items():
            query = parse_query(params)
            before = requests.total()

            def listing(query: AuditQuery = query) -> int:
                return len(log.page(query).records)

            seconds, count = timed(listing)
            per_record = (requests.total() - before) / 3 / max(count, 1)
            print(
                f"{name:24} {count:>8,} {seconds / max(count, 1) * 1e6:>9.1f} {per_record:>16.2f}"
            )

        store = DigestStore(bucket)

        def verify() -> int:
            digests = store.digests()
            found = store.records_to_verify(digests, start, later)
            result = verify_log(
                digests, found, KmsVerifier(kms, [key]), start=start - timedelta(days=1), end=later
            )
            if not result.ok:
                raise SystemExit(f"{len(result.problems)} problems, first: {result.problems[:3]}")
            return result.verified_records

        before = requests.total()
        seconds, count = timed(verify, rounds=1)
        per_record = (requests.total() - before) / max(count, 1)
        print(
            f"{'verify':24} {count:>8,} {seconds / max(count, 1) * 1e6:>9.1f} {per_record:>16.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
