"""Standard Webhooks signatures for deliveries that reach us over the public internet.

Anyone can POST to a webhook URL, so a delivery is only trusted once its HMAC proves it came
from a holder of the shared secret and its timestamp proves it is not a replay. The scheme is
Standard Webhooks (standardwebhooks.com) so that providers can use that specification's
libraries unchanged.

The module is pure (no clock, no environment, no AWS) so the caller decides where secrets and
time come from, and so every edge can be tested deterministically. All request-derived input is
hostile: anything malformed becomes a `SignatureError` a handler can turn into a 401, while a
bad secret becomes a `SecretError`, because a server misconfiguration must not pass for a
client fault.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

__all__ = [
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TOLERANCE",
    "Delivery",
    "Reason",
    "SecretError",
    "SignatureError",
    "sign",
    "signed_headers",
    "verify",
]

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"

TOLERANCE = timedelta(minutes=5)
"""How far a delivery's timestamp may sit from `now`, either way, to bound replays and skew."""

MAX_ID_LENGTH = 256

Reason = Literal[
    "missing-header",
    "duplicate-header",
    "malformed-id",
    "malformed-timestamp",
    "stale-timestamp",
    "future-timestamp",
    "malformed-signature",
    "no-matching-signature",
]

_KEY_PREFIX = "whsec_"
_VERSION = "v1"
_DIGEST_SIZE = hashlib.sha256().digest_size
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TOLERANCE_TEXT = f"{int(TOLERANCE.total_seconds())} seconds"

# Visible ASCII without the comma: ids become idempotency keys and log fields, and a comma or
# space is what a proxy leaves behind when it folds a repeated header into one value.
_ID = re.compile(rf"[\x21-\x2b\x2d-\x7e]{{1,{MAX_ID_LENGTH}}}")
# Canonical decimal only, at most 11 digits (past year 5000): `int()` would also accept signs,
# whitespace, underscores and non-ASCII digits, and a non-canonical spelling would make the
# signed text differ from the value we check.
_TIMESTAMP = re.compile(r"0|[1-9][0-9]{0,10}")


class SignatureError(Exception):
    """A delivery that must be refused; safe to show the sender, never echoes their input."""

    reason: Reason

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class SecretError(Exception):
    """Our own configured secret is unusable: a server fault, not the sender's."""


@dataclass(frozen=True)
class Delivery:
    """What a verified delivery vouches for: `id` is the sender's idempotency key."""

    id: str
    timestamp: int


def verify(
    secrets: Sequence[str], headers: Mapping[str, str], body: bytes, now: datetime
) -> Delivery:
    """Accept a delivery only if some `v1` signature matches some secret within `TOLERANCE`.

    Several secrets are accepted so a provider can rotate keys without dropping deliveries.
    Secrets are decoded first so a misconfiguration surfaces even for junk requests.
    """
    keys = _decode_secrets(secrets)
    current = _seconds_since_epoch(now)

    msg_id = _header(headers, ID_HEADER)
    raw_timestamp = _header(headers, TIMESTAMP_HEADER)
    raw_signatures = _header(headers, SIGNATURE_HEADER)

    if _ID.fullmatch(msg_id) is None:
        raise SignatureError(
            "malformed-id",
            f"Header {ID_HEADER} must be 1 to {MAX_ID_LENGTH} visible ASCII characters"
            " other than commas.",
        )
    if _TIMESTAMP.fullmatch(raw_timestamp) is None:
        raise SignatureError(
            "malformed-timestamp",
            f"Header {TIMESTAMP_HEADER} must be a single integer number of Unix seconds.",
        )
    candidates = _parse_signatures(raw_signatures)

    timestamp = int(raw_timestamp)
    skew = current - timedelta(seconds=timestamp)
    if skew > TOLERANCE:
        raise SignatureError(
            "stale-timestamp",
            f"Header {TIMESTAMP_HEADER} is more than {_TOLERANCE_TEXT} in the past.",
        )
    if skew < -TOLERANCE:
        raise SignatureError(
            "future-timestamp",
            f"Header {TIMESTAMP_HEADER} is more than {_TOLERANCE_TEXT} in the future.",
        )

    content = _signed_content(msg_id, timestamp, body)
    matched = False
    for key in keys:
        expected = hmac.digest(key, content, hashlib.sha256)
        for candidate in candidates:
            # No early exit: the work done should not depend on which entry matched.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError(
            "no-matching-signature",
            f"Header {SIGNATURE_HEADER} has no valid {_VERSION} signature for this delivery.",
        )
    return Delivery(id=msg_id, timestamp=timestamp)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the `v1,<base64>` entry for one secret, for senders, tests and demos.

    Deliberately does not police `msg_id` or `timestamp`, so tests can sign deliveries that
    `verify` must reject for reasons other than the signature.
    """
    key = _decode_secret(secret, "the webhook secret")
    digest = hmac.digest(key, _signed_content(msg_id, timestamp, body), hashlib.sha256)
    return f"{_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Return the three headers a sender attaches to a delivery."""
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, msg_id, timestamp, body),
    }


def _signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp:d}.".encode() + body


def _decode_secrets(secrets: Sequence[str]) -> list[bytes]:
    if isinstance(secrets, str):
        # A bare string is a Sequence[str]; iterating it would try each character as a key.
        raise TypeError("secrets must be a sequence of secrets, not a single string")
    if not secrets:
        raise SecretError("no webhook secret is configured")
    return [_decode_secret(s, f"webhook secret #{i + 1}") for i, s in enumerate(secrets)]


def _decode_secret(secret: str, label: str) -> bytes:
    """Accept `whsec_<base64>` or bare base64, unpadded too, as the spec's libraries do."""
    encoded = secret.removeprefix(_KEY_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        # `from None`: the decoder's message and context must not carry the secret into logs.
        raise SecretError(f"{label} is not valid base64") from None
    if not key:
        raise SecretError(f"{label} is empty")
    return key


def _seconds_since_epoch(now: datetime) -> timedelta:
    if now.utcoffset() is None:
        # A naive datetime would be read as local time and shift the window by hours.
        raise ValueError("now must be timezone-aware")
    return now - _EPOCH


def _header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive lookup, since gateways may deliver header names in any case."""
    values = [value for key, value in headers.items() if key.lower() == name]
    if len(values) > 1:
        raise SignatureError("duplicate-header", f"Header {name} appears more than once.")
    if not values or not values[0]:
        raise SignatureError("missing-header", f"Header {name} is missing or empty.")
    return values[0]


def _parse_signatures(header: str) -> list[bytes]:
    """Decode every `v1` entry; other versions (e.g. asymmetric `v1a`) are skipped unread."""
    candidates: list[bytes] = []
    for entry in header.split(" "):
        version, sep, payload = entry.partition(",")
        if not sep or not version or not payload or "," in payload:
            raise SignatureError(
                "malformed-signature",
                f"Header {SIGNATURE_HEADER} must be space-separated <version>,<base64> entries.",
            )
        if version != _VERSION:
            continue
        try:
            digest = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError(
                "malformed-signature",
                f"Header {SIGNATURE_HEADER} has a {_VERSION} entry that is not valid base64.",
            ) from None
        if len(digest) != _DIGEST_SIZE:
            raise SignatureError(
                "malformed-signature",
                f"Header {SIGNATURE_HEADER} has a {_VERSION} entry that is not an HMAC-SHA256.",
            )
        candidates.append(digest)
    return candidates
