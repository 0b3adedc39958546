"""What to write for one decision: the processor's plan, computed without touching S3.

Read inputs, call a pure function that returns what to do, then do it. Every key is derived from
content (provider, article, version, input hash), and the audit record comes last, so a
redelivered or retried event recomputes the same plan and the conditional writes make it a no-op.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Literal

from clearance.audit import (
    Copy,
    Source,
    article_index_entry,
    article_index_key,
    audit_key,
    decision_record,
    record_bytes,
)
from clearance.engine import Decision
from clearance.findings import Finding, Outcome, Severity
from clearance.keys import article_slug, safe_segment, version_segment

INBOUND_PREFIX = "inbound/"
TOMBSTONE_PREFIX = "tombstones/"
_PROVIDER = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_MEDIA_TYPES = {"json": "application/json", "txt": "text/plain", "text": "text/plain"}

BucketRole = Literal["cleared", "quarantine", "audit"]


@dataclass(frozen=True, slots=True)
class Write:
    bucket: BucketRole
    key: str
    data: bytes
    content_type: str
    kind: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class Plan:
    """Writes in order (audit record last); `withdraw_prefix`: cleared copies to remove first."""

    writes: tuple[Write, ...]
    withdraw_prefix: str | None = None


def provider_from_key(key: str) -> str | None:
    """`inbound/<provider>/...` names the provider; a file straight under `inbound/` does not."""
    parts = key.split("/")
    if len(parts) >= 3 and parts[0] == "inbound" and _PROVIDER.match(parts[1]):
        return parts[1]
    return None


def extension_of(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def media_type_from_key(key: str) -> str | None:
    return _MEDIA_TYPES.get(extension_of(key))


def article_prefix(provider: str, uri: str) -> str:
    return f"{safe_segment(provider)}/{article_slug(uri)}/"


def tombstone_key(provider: str, uri: str) -> str:
    return f"{TOMBSTONE_PREFIX}{article_prefix(provider, uri).rstrip('/')}.json"


def killed(decision: Decision) -> Decision:
    """A later delivery of an article its provider withdrew is never republished."""
    finding = Finding(
        "article.killed",
        "/uri",
        Severity.CRITICAL,
        "the provider withdrew this article; later deliveries of it are not republished",
    )
    return Decision(
        Outcome.REJECTED,
        decision.input_sha256,
        (*decision.findings, finding),
        provider=decision.provider,
        article=decision.article,
        policy=decision.policy,
        notices=decision.notices,
    )


def plan(decision: Decision, source: Source, data: bytes, buckets: dict[BucketRole, str]) -> Plan:
    article = decision.article
    writes: list[Write] = []
    withdraw_prefix = None
    if decision.outcome is Outcome.CLEARED and article and decision.provider:
        stem = f"{version_segment(article['version'])}-{decision.input_sha256[:16]}"
        folder = "cleared/" + article_prefix(decision.provider, article["uri"])
        writes += [
            Write("cleared", f"{folder}{stem}.{r.extension}", r.data, r.media_type, r.name)
            for r in decision.renditions
        ]
    elif decision.outcome is Outcome.WITHDRAWN and article and decision.provider:
        withdraw_prefix = "cleared/" + article_prefix(decision.provider, article["uri"])
        tombstone = {
            "provider": decision.provider,
            "uri": article["uri"],
            "version": article["version"],
            "withdrawn_at": source.arrived_at.isoformat(),
            "input_sha256": decision.input_sha256,
        }
        writes.append(
            Write(
                "cleared",
                tombstone_key(decision.provider, article["uri"]),
                _json(tombstone),
                "application/json",
                "tombstone",
            )
        )
    else:
        day = source.arrived_at.strftime("%Y-%m-%d")
        folder = f"quarantine/{safe_segment(decision.provider or 'unknown')}/{day}/"
        stem = decision.input_sha256
        extension = extension_of(source.key) or "bin"
        findings = {
            "source": {"bucket": source.bucket, "key": source.key, "version_id": source.version_id},
            **decision.to_dict(),
        }
        writes += [
            Write(
                "quarantine",
                f"{folder}{stem}.{safe_segment(extension, 8)}",
                data,
                "application/octet-stream",
                "input",
            ),
            Write(
                "quarantine",
                f"{folder}{stem}.findings.json",
                _json(findings),
                "application/json",
                "findings",
            ),
        ]
    copies = [Copy(buckets[w.bucket], w.key, w.sha256, w.kind) for w in writes]
    record = decision_record(decision, source, len(data), copies, withdraw_prefix)
    index_key = article_index_key(record)
    if index_key:
        writes.append(
            Write("audit", index_key, article_index_entry(record), "application/json", "index")
        )
    writes.append(
        Write("audit", audit_key(record), record_bytes(record), "application/json", "audit")
    )
    return Plan(tuple(writes), withdraw_prefix)


def _json(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True) + "\n").encode()
