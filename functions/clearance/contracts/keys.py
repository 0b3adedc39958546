"""Every S3 key the service writes or reads, built and parsed here and nowhere else.

Keys are derived from content (provider, article, version, input hash), so a redelivered event
computes the same key; the layout is also a contract with the publishing system (`cleared/`),
Athena (`audit/decisions/dt=...`) and reviewers.

Article ids and versions come from providers; only characters in `[A-Za-z0-9_-]` ever reach a
key, so no id (`../`, `%2e%2e`, NUL, CR/LF, bidi controls, a megabyte of text) can name another
prefix. A hash of the original keeps distinct ids distinct after cleaning.

    inbound/<provider>/<yyyy>/<mm>/<dd>/<article>-v<version>-<hash16>.<ext>   deliveries
    inbound/<provider>/<yyyy>/<mm>/<dd>/items-<hash32>.<ext>                   ... of several items
    inbound/<provider>/pulled/<article>-v<version>-<hash16>.<ext>              items of polled feeds
    receipts/<provider>/<sha256 of webhook-id>.json                           webhook receipts
    cleared/<provider>/<article>/v<version>-<hash16>.<ext>                     cleared copies
      (<article> is `article_id`: the uri's tail and a hash of the provider and the uri)
    tombstones/<provider>/<article>.json                                      withdrawn articles
    quarantine/<provider>/<yyyy-mm-dd>/<sha256>.<ext> and .findings.json      held and rejected
    audit/decisions/dt=<yyyy-mm-dd>/<provider>/<outcome>/<decision>.json      decision records
    audit/articles/<article>/<decision>-<outcome>.json                        per-article pointers
    audit/digests/<yyyy>/<mm>/<dd>/<hh>.json                                  hourly digests
    audit/segments/dt=<yyyy-mm-dd>/<hh>.jsonl.gz                               sealed hours
    audit/policies/<provider>/<sha256>.json                                   terms texts used
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from clearance.contracts.schemafiles import load_schema

# The top of each part of the layout. The functions' IAM policies in template.yaml grant these
# prefixes, and tests/integration/test_template.py derives its expectations from them.
INBOUND = "inbound/"
RECEIPTS = "receipts/"
CLEARED = "cleared/"
TOMBSTONES = "tombstones/"
QUARANTINE = "quarantine/"
AUDIT = "audit/"
DECISIONS = f"{AUDIT}decisions/"
ARTICLE_POINTERS = f"{AUDIT}articles/"
DIGESTS = f"{AUDIT}digests/"
SEGMENTS = f"{AUDIT}segments/"
POLICIES = f"{AUDIT}policies/"

PROVIDER_ID = re.compile(load_schema("common.schema.json")["$defs"]["provider_id"]["pattern"])
"""A provider id, as `schemas/common.schema.json` defines it for every schema."""

MAX_SEGMENT = 80
UNKNOWN_PROVIDER = "unknown"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_DECISION_DAY = re.compile(r"dt=(\d{4}-\d{2}-\d{2})/")
_DIGEST = re.compile(r"(\d{4})/(\d{2})/(\d{2})/(\d{2})\.json")


def safe_segment(value: str, max_length: int = MAX_SEGMENT) -> str:
    """A key segment made only of allowed characters; never empty, never `.` or `..`."""
    cleaned = _UNSAFE.sub("-", value).strip("-")[:max_length].strip("-")
    return cleaned or "x"


def article_slug(uri: str) -> str:
    """A uri as a key segment: its cleaned tail and a hash of the whole uri."""
    return f"{_tail(uri)}-{hashlib.sha256(uri.encode()).hexdigest()[:16]}"


def article_id(provider: str, uri: str) -> str:
    """An article's id: the cleaned tail of its uri and a hash of its provider and uri.

    An article belongs to its provider: another provider's item with the same uri is another
    article, so no provider's delivery, cancel or kill can reach one it does not own.
    """
    identity = f"{provider}\x1f{uri}".encode()
    return f"{_tail(uri)}-{hashlib.sha256(identity).hexdigest()[:16]}"


def _tail(uri: str) -> str:
    return safe_segment(uri.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1], 48)


def version_segment(version: str) -> str:
    return "v" + safe_segment(version, 32)


def is_provider_id(value: str) -> bool:
    return PROVIDER_ID.fullmatch(value) is not None


def extension_of(key: str) -> str:
    """The lowercased extension of a key's last segment, or "" when it has none."""
    name = key.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


# --- deliveries -------------------------------------------------------------------------------


def delivery_id(uri: str, version: str, body_sha256: str) -> str:
    """What the webhook answers as `id`: the article, its version and the body's hash."""
    return f"{article_slug(uri)}-{version_segment(version)}-{body_sha256[:16]}"


def container_id(body_sha256: str) -> str:
    """What the webhook answers as `id` for a delivery of several items (a message, a feed)."""
    return f"items-{body_sha256[:32]}"


def inbound_key(provider: str, day: date, delivery: str, extension: str) -> str:
    return f"{INBOUND}{provider}/{day:%Y/%m/%d}/{delivery}.{extension}"


def pulled_key(provider: str, delivery: str, extension: str) -> str:
    """A polled feed's item, keyed by what it is and not by when it was polled: polling again,
    an overlap between pages or a second poller computes the same key."""
    return f"{INBOUND}{provider}/pulled/{delivery}.{extension}"


def is_inbound(key: str) -> bool:
    return key.startswith(INBOUND)


def provider_of_inbound(key: str) -> str | None:
    """`inbound/<provider>/...` names the provider; a file straight under `inbound/` does not."""
    parts = key.split("/")
    if len(parts) >= 3 and parts[0] + "/" == INBOUND and is_provider_id(parts[1]):
        return parts[1]
    return None


def receipt_key(provider: str, delivery: str) -> str:
    """Hashed, because a `webhook-id` may hold any visible ASCII, slashes included."""
    return f"{RECEIPTS}{provider}/{hashlib.sha256(delivery.encode()).hexdigest()}.json"


# --- cleared copies, tombstones, quarantine -----------------------------------------------------


def cleared_prefix(provider: str, article: str) -> str:
    """Every cleared copy of one article (`article_id`), all versions, lies under this prefix."""
    return f"{CLEARED}{safe_segment(provider)}/{safe_segment(article, 200)}/"


def cleared_version_prefix(provider: str, article: str, version: str) -> str:
    """Every cleared copy of one version of an article, whatever delivery it came from."""
    return f"{cleared_prefix(provider, article)}{version_segment(version)}-"


def cleared_key(
    provider: str, article: str, version: str, input_sha256: str, extension: str
) -> str:
    prefix = cleared_version_prefix(provider, article, version)
    return f"{prefix}{input_sha256[:16]}.{extension}"


def tombstone_key(provider: str, article: str) -> str:
    return f"{TOMBSTONES}{safe_segment(provider)}/{safe_segment(article, 200)}.json"


def quarantine_keys(
    provider: str | None, day: date, input_sha256: str, extension: str
) -> tuple[str, str]:
    """The quarantined input and its findings, side by side."""
    folder = f"{QUARANTINE}{safe_segment(provider or UNKNOWN_PROVIDER)}/{day:%Y-%m-%d}/"
    return (
        f"{folder}{input_sha256}.{safe_segment(extension or 'bin', 8)}",
        f"{folder}{input_sha256}.findings.json",
    )


# --- the audit log ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionKey:
    """What a decision record's key says without reading it."""

    day: str
    provider: str
    outcome: str
    decision_id: str


def decision_key(day: str, provider: str | None, outcome: str, decision_id: str) -> str:
    segment = safe_segment(provider or UNKNOWN_PROVIDER)
    return f"{decision_day_prefix(day)}{segment}/{outcome}/{decision_id}.json"


def record_key(record: Mapping[str, Any]) -> str:
    """Where a decision record is filed: the day it was decided, its provider and outcome."""
    return decision_key(
        str(record["decided_at"])[:10], record["provider"], record["outcome"], record["decision_id"]
    )


def decision_day_prefix(day: str) -> str:
    return f"{DECISIONS}dt={day}/"


def parse_decision_key(key: str) -> DecisionKey | None:
    """The parts of `audit/decisions/dt=<day>/<provider>/<outcome>/<id>.json`, or None."""
    parts = key.removeprefix(DECISIONS).split("/") if key.startswith(DECISIONS) else []
    if len(parts) != 4 or not parts[3].endswith(".json") or not parts[3][:-5]:
        return None
    day = day_of_partition(parts[0] + "/")
    if day is None:
        return None
    return DecisionKey(day, parts[1], parts[2], parts[3].removesuffix(".json"))


def day_of_partition(folder: str) -> str | None:
    """`2026-11-30` from `dt=2026-11-30/` (or from the full prefix), else None."""
    match = _DECISION_DAY.fullmatch(folder.removeprefix(DECISIONS))
    return match.group(1) if match else None


def day_of_decision_key(key: str) -> str | None:
    """The day a record's key files it under, read from its partition alone."""
    match = _DECISION_DAY.match(key.removeprefix(DECISIONS)) if key.startswith(DECISIONS) else None
    return match.group(1) if match else None


def article_pointers_prefix(article_id: str) -> str:
    return f"{ARTICLE_POINTERS}{safe_segment(article_id, 200)}/"


def article_pointer_key(article_id: str, decision_id: str, outcome: str) -> str:
    return f"{article_pointers_prefix(article_id)}{decision_id}-{outcome}.json"


def parse_pointer_key(key: str) -> tuple[str, str] | None:
    """The decision id and outcome an article pointer names, or None for another key."""
    if not key.startswith(ARTICLE_POINTERS) or not key.endswith(".json"):
        return None
    name = key.rsplit("/", 1)[-1].removesuffix(".json")
    decision, _, outcome = name.rpartition("-")
    return (decision, outcome) if decision and outcome else None


def digest_key(hour: datetime) -> str:
    return f"{DIGESTS}{hour.astimezone(UTC):%Y/%m/%d/%H}.json"


def hour_of_digest_key(key: str) -> datetime | None:
    """The hour a digest key names, or None for a key that names none."""
    return _hour_named(_DIGEST, DIGESTS, key)


def segment_key(hour: datetime) -> str:
    """The sealed copy of one hour's records: under its day, as Athena partitions it."""
    return f"{SEGMENTS}dt={hour.astimezone(UTC):%Y-%m-%d}/{hour.astimezone(UTC):%H}.jsonl.gz"


def segment_day_prefix(day: str) -> str:
    return f"{SEGMENTS}dt={day}/"


def _hour_named(layout: re.Pattern[str], prefix: str, key: str) -> datetime | None:
    match = layout.fullmatch(key.removeprefix(prefix)) if key.startswith(prefix) else None
    if not match:
        return None
    year, month, day, hour = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, tzinfo=UTC)
    except ValueError:
        return None


def policy_text_key(provider: str, sha256: str) -> str:
    """The exact text of a provider's terms a decision named, kept so it can be replayed."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return f"{POLICIES}{safe_segment(provider)}/{sha256}.json"
