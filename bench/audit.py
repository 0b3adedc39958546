"""Audit review at volume: 10,000 decision records over 12 sealed hours on the local stack.

Prints, for each question a reviewer asks and for `verify`, the time per 1,000 records returned
and the S3 requests per record, read from sealed segments, beside the old per-record path (one
GET per record) as the baseline; and the requests `prove` makes for one article.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from clearance.audit.query import AuditQuery, parse_query, record_matches
from clearance.audit.signature import PublicKeyVerifier
from clearance.audit.verify import verify_log
from clearance.aws.auditlog import AuditLog
from clearance.aws.digeststore import DigestStore
from clearance.aws.kms import KmsSigner, public_key_der
from clearance.aws.store import Bucket
from clearance.contracts import keys
from clearance.contracts.encoding import json_line
from clearance.contracts.keys import article_pointer_key, record_key
from clearance.local.stack import LocalStack
from clearance.services.digester import Digester

RECORDS = 10_000
HOURS = 12
PROVIDERS = ("menafn", "dpa", "ntb", "tt", "ap")
OUTCOMES = ("cleared", "cleared", "cleared", "held", "rejected")


def synthetic_record(n: int, start: datetime) -> dict[str, Any]:
    """A decision record of the real shape, spread over HOURS hours and five providers."""
    provider, outcome = PROVIDERS[n % 5], OUTCOMES[(n // 5) % 5]
    digest = hashlib.sha256(f"article {n}".encode()).hexdigest()
    rule = "notice.menafn-disclaimer" if outcome == "held" else "constraint.territory"
    return {
        "record_version": 1,
        "decision_id": f"{digest}-{'0' * 12}",
        "decided_at": (start + timedelta(seconds=n * HOURS * 3600 // RECORDS)).isoformat(),
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

    def __init__(self, *clients: Any) -> None:
        self.counts: Counter[str] = Counter()
        for client in clients:
            client.meta.events.register("before-call.*.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[model.name] += 1

    def total(self) -> int:
        return sum(self.counts.values())


def measured(requests: Requests, work: Callable[[], int], rounds: int) -> tuple[float, int, float]:
    """Median seconds of `work`, the records it returned, and requests per round."""
    times, count, before = [], 0, requests.total()
    for _ in range(rounds):
        start = time.perf_counter()
        count = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), count, (requests.total() - before) / rounds


def per_record_page(bucket: Bucket, query: AuditQuery) -> int:
    """The old path: list the day's keys, GET each record (newest first) until `limit` match."""
    found = 0
    for folder in sorted(bucket.folders(keys.DECISIONS), reverse=True):
        day = keys.day_of_partition(folder) or ""
        if query.start and day < query.start.date().isoformat():
            continue
        prefix = keys.decision_day_prefix(day)
        if query.provider:
            prefix += f"{query.provider}/" + (f"{query.outcome}/" if query.outcome else "")
        listed = sorted(bucket.listing(prefix), key=lambda item: item[1], reverse=True)
        chosen = [k for k, _ in listed if query.outcome in (None, k.split("/")[4])]
        for start in range(0, len(chosen), 64):
            for stored in bucket.get_many(chosen[start : start + 64]):
                if stored is not None and record_matches(json.loads(stored.data), query):
                    found += 1
                    if found == query.limit:
                        return found
    return found


def line(name: str, seconds: float, count: int, requests: float) -> str:
    per_thousand = seconds / max(count, 1) * 1e6
    return f"{name:34} {count:>8,} {per_thousand:>10.1f} {requests / max(count, 1):>16.3f}"


def main() -> int:
    with LocalStack(dispatch=False) as stack:
        audit = stack.names.bucket("audit")
        now = datetime.now(UTC)
        start = (now - timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
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
        pointer = records[4321]
        stack.s3.put_object(
            Bucket=audit,
            Key=article_pointer_key(pointer["article"]["id"], pointer["decision_id"], "cleared"),
            Body=json_line(
                {"decision_key": record_key(pointer), "decided_at": pointer["decided_at"]}
            ),
            ChecksumAlgorithm="SHA256",
        )
        print(
            f"seeded {RECORDS:,} records over {HOURS} hours in {time.perf_counter() - began:.1f} s"
        )

        s3 = boto3.client("s3", endpoint_url=stack.endpoint_url)
        kms = boto3.client("kms", endpoint_url=stack.endpoint_url)
        requests = Requests(s3, kms)
        bucket = Bucket(s3, audit)
        log = AuditLog(bucket)
        store = DigestStore(bucket)
        key = stack.digest_key_id
        began = time.perf_counter()
        sealed = Digester(store, KmsSigner(kms, key), lambda: now).run()
        print(f"sealed {len(sealed)} hours in {time.perf_counter() - began:.1f} s")

        day = start.date().isoformat()
        questions: dict[str, dict[str, str]] = {
            "date (one day)": {"from": day, "to": day, "limit": "1000"},
            "provider": {"provider": "dpa", "limit": "1000"},
            "outcome": {"outcome": "held", "limit": "1000"},
            "provider + outcome": {"provider": "dpa", "outcome": "held", "limit": "1000"},
            "rule": {"rule": "notice.menafn-disclaimer", "limit": "1000"},
        }
        print(f"{'question':34} {'records':>8} {'ms/1000':>10} {'requests/record':>16}")
        for name, params in questions.items():
            query = parse_query(params)

            def segments(query: AuditQuery = query) -> int:
                return len(log.page(query).records)

            def baseline(query: AuditQuery = query) -> int:
                return per_record_page(bucket, query)

            print(line(f"{name}: segments", *measured(requests, segments, 3)))
            print(line(f"{name}: per record (baseline)", *measured(requests, baseline, 1)))

        window = (start - timedelta(hours=1), now)

        def verify() -> int:
            digests = store.digests(*window)
            verifier = PublicKeyVerifier.from_der(public_key_der(kms, key))
            result = verify_log(
                store.evidence(digests, *window), verifier, start=window[0], end=window[1]
            )
            if not result.ok:
                raise SystemExit(f"{len(result.problems)} problems, first: {result.problems[:3]}")
            return result.verified_records

        def verify_baseline() -> int:
            present = sorted(store.live_records([day]))
            return sum(1 for stored in bucket.get_many(present) if stored is not None)

        print(line("verify: segments", *measured(requests, verify, 1)))
        print(line("verify: per record (baseline)", *measured(requests, verify_baseline, 1)))

        def prove() -> int:
            found = log.article_records(pointer["article"]["id"])
            hour = datetime.fromisoformat(pointer["decided_at"]).replace(minute=0, second=0)
            log.digest(hour)
            log.following_digest(hour)
            public_key_der(kms, key)
            return len(found)

        _, _, prove_requests = measured(requests, prove, 1)
        print(f"prove one article: {prove_requests:.0f} requests (S3 and KMS), whatever the size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
