"""What the syndication webhook answers to one delivery, decided without the network or S3.

The checks run cheapest and least trusting first: the provider before any secret is fetched,
the size before a byte is hashed, the signature before the body is parsed. An anonymous sender
can therefore make us do little work, and nothing unsigned is ever parsed. Every client error
is a `Refusal` with a stable code; only a fault of ours (a bad secret, a broken receipt) raises.

Replays are answered from a receipt stored per `webhook-id`: the same id with the same body gets
the first answer again, with a different body a 409. The receipt is written before the article,
with the article rewritten (a no-op) whenever a replay is answered, so a crash between the two
writes is repaired by the sender's retry and a refused body is never stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from clearance.contracts import keys, media
from clearance.ingest.admission import admitted_items, delivery_id, item_answer
from clearance.ingest.answers import Answer, Refusal
from clearance.ingest.signature import ID_HEADER, Delivery, SignatureError, verify

__all__ = [
    "Accepted",
    "Answer",
    "Receipt",
    "Refusal",
    "Request",
    "SecretSource",
    "Terms",
    "accept",
    "fold_headers",
    "replay",
]

_UTF8 = ("utf-8", "utf8")
_ACCEPTED_TYPES = ", ".join(media.ARTICLE_TYPES)


class Terms(Protocol):
    """What the door needs of the providers' terms (a `PolicySet` is one)."""

    @property
    def providers(self) -> Collection[str]: ...

    @property
    def disclaimer_headings(self) -> tuple[str, ...]: ...


class SecretSource(Protocol):
    """A provider's current webhook secrets; raises LookupError when it has none."""

    def for_provider(self, provider: str) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class Request:
    """One delivery as the gateway handed it over; every field is the sender's, so hostile.

    `headers` should come from `fold_headers`; `body` is text unless `base64_encoded`.
    """

    provider: str
    headers: Mapping[str, str]
    body: str | bytes | None
    base64_encoded: bool = False


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the first delivery of a `webhook-id` was and how it was answered."""

    provider: str
    delivery: str
    body_sha256: str
    key: str
    status: int
    response: Mapping[str, Any]
    received_at: str

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "provider": self.provider,
                "delivery": self.delivery,
                "body_sha256": self.body_sha256,
                "key": self.key,
                "status": self.status,
                "response": self.response,
                "received_at": self.received_at,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Receipt:
        """Raises ValueError for a receipt we did not write: that is our fault, not the sender's."""
        try:
            loaded = json.loads(data)
            receipt = cls(
                provider=str(loaded["provider"]),
                delivery=str(loaded["delivery"]),
                body_sha256=str(loaded["body_sha256"]),
                key=str(loaded["key"]),
                status=int(loaded["status"]),
                response=dict(loaded["response"]),
                received_at=str(loaded["received_at"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"stored receipt is malformed: {error!r}") from None
        if not keys.is_inbound(receipt.key):
            raise ValueError("stored receipt names a key outside inbound/")
        return receipt


@dataclass(frozen=True, slots=True)
class Accepted:
    """A verified, readable article and where it goes; `receipt` records the answer."""

    provider: str
    delivery: str
    article_id: str
    key: str
    body: bytes
    content_type: str
    receipt: Receipt

    @property
    def receipt_key(self) -> str:
        return keys.receipt_key(self.provider, self.delivery)

    @property
    def answer(self) -> Answer:
        return Answer(self.receipt.status, self.receipt.response)


def fold_headers(
    single: Mapping[str, Any] | None, multi: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Lowercase names, one value each, repeats joined by commas as API Gateway joins them.

    REST events carry the last of repeated values in `headers` and all of them in
    `multiValueHeaders`; the latter wins, so a repeat can never slip through as one value.
    """
    folded: dict[str, list[str]] = {}
    for name, values in (multi or {}).items():
        listed = values if isinstance(values, list) else [values]
        folded.setdefault(str(name).lower(), []).extend(v for v in listed if isinstance(v, str))
    from_multi = set(folded)
    for name, value in (single or {}).items():
        lowered = str(name).lower()
        if lowered not in from_multi and isinstance(value, str):
            folded.setdefault(lowered, []).append(value)
    return {name: ",".join(values) for name, values in folded.items() if values}


def accept(
    request: Request,
    *,
    policies: Terms,
    secrets: SecretSource,
    now: datetime,
    max_body_bytes: int,
) -> Accepted | Refusal:
    """Decide one delivery.

    Raises SecretError when our own secret is unusable, and passes on whatever `secrets`
    raises other than LookupError: both are our faults, never the sender's.
    """
    checked = verified(
        request, policies=policies, secrets=secrets, now=now, max_body_bytes=max_body_bytes
    )
    if isinstance(checked, Refusal):
        return checked
    provider = request.provider
    body, delivery = checked

    media_type = _media_type(_header(request.headers, "content-type"))
    if isinstance(media_type, Refusal):
        return replace(media_type, provider=provider)

    items = admitted_items(body, media_type, policies.disclaimer_headings)
    if isinstance(items, Refusal):
        return replace(items, provider=provider)

    digest = hashlib.sha256(body).hexdigest()
    article_id = delivery_id(items, digest)
    day = datetime.fromtimestamp(delivery.timestamp, UTC)
    extension = media.extension_for(media_type)
    key = keys.inbound_key(provider, day, article_id, extension)
    response: dict[str, Any] = {
        "id": article_id,
        "provider": provider,
        "key": key,
        "delivery": delivery.id,
    }
    only = items[0].article
    if items[0].index is None and only is not None:
        response["article"] = keys.article_id(provider, only["uri"])
    else:
        response["items"] = [item_answer(item, provider) for item in items]
    receipt = Receipt(
        provider, delivery.id, digest, key, 202, response, now.astimezone(UTC).isoformat()
    )
    content_type = f"{media_type}; charset=utf-8" if extension == "txt" else media_type
    return Accepted(provider, delivery.id, article_id, key, body, content_type, receipt)


def verified(
    request: Request,
    *,
    policies: Terms,
    secrets: SecretSource,
    now: datetime,
    max_body_bytes: int,
) -> tuple[bytes, Delivery] | Refusal:
    """A request's body and signed delivery, checked cheapest and least trusting first.

    Raises SecretError when our own secret is unusable, and passes on whatever `secrets`
    raises other than LookupError: both are our faults, never the sender's.
    """
    provider = request.provider
    # Providers with a policy file; a broken one still takes deliveries, which it rejects.
    if not keys.is_provider_id(provider) or provider not in policies.providers:
        return Refusal(
            404,
            "provider.unknown",
            "No provider with this id is registered; provider ids are lowercase letters,"
            " digits and hyphens, and each needs a policy.",
        )
    body = _body_bytes(request, max_body_bytes)
    if isinstance(body, Refusal):
        return replace(body, provider=provider)
    try:
        provider_secrets = secrets.for_provider(provider)
    except LookupError:
        # Answered like a wrong signature, so senders cannot probe which secrets exist.
        return Refusal(
            401,
            "signature.no-matching-signature",
            "Header webhook-signature has no valid v1 signature for this delivery.",
            provider=provider,
            note="no webhook secret is configured for this provider",
        )
    try:
        delivery = verify(provider_secrets, request.headers, body, now)
    except SignatureError as error:
        return Refusal(401, f"signature.{error.reason}", str(error), provider=provider)
    return body, delivery


def replay(accepted: Accepted, earlier: Receipt) -> Answer | Refusal:
    """The answer to a delivery whose `webhook-id` already has a receipt."""
    if earlier.body_sha256 == hashlib.sha256(accepted.body).hexdigest():
        return Answer(earlier.status, earlier.response)
    return Refusal(
        409,
        "delivery.conflict",
        f"Header {ID_HEADER} was already used for a delivery with a different body; a new"
        " or corrected article needs a new delivery id.",
        {"delivery": accepted.delivery},
        accepted.provider,
    )


def _body_bytes(request: Request, limit: int) -> bytes | Refusal:
    """The body's bytes, measured before anything costly is done with them."""
    raw = request.body
    if raw is None:
        return b""
    too_large = Refusal(
        413,
        "body.too-large",
        f"The body is larger than the {limit} bytes accepted.",
        {"limit": limit},
    )
    if request.base64_encoded:
        encoded = raw.encode("ascii", "replace") if isinstance(raw, str) else raw
        if 3 * (len(encoded) // 4) - 2 > limit:
            return too_large
        try:
            body = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return Refusal(400, "body.base64", "The body is marked base64-encoded but is not.")
    elif isinstance(raw, str):
        if len(raw) > limit:
            return too_large
        # A lone surrogate becomes bytes that are not UTF-8, and so a 400 once it is read.
        body = raw.encode("utf-8", "surrogatepass")
    else:
        body = raw
    return too_large if len(body) > limit else body


def _header(headers: Mapping[str, str], name: str) -> str:
    return ",".join(value for key, value in headers.items() if key.lower() == name)


def _media_type(value: str) -> str | Refusal:
    """The article format named by Content-Type; a charset other than UTF-8 is refused."""
    kind, _, parameters = value.partition(";")
    kind = kind.strip().lower()
    if kind not in media.ARTICLE_TYPES:
        return Refusal(
            415,
            "media-type.unsupported",
            f"Content-Type must be one of {_ACCEPTED_TYPES}.",
            {"accepted": list(media.ARTICLE_TYPES)},
        )
    for parameter in parameters.split(";"):
        name, _, charset = parameter.partition("=")
        if name.strip().lower() == "charset" and charset.strip().strip('"').lower() not in _UTF8:
            return Refusal(
                415,
                "media-type.charset",
                "Content-Type names a charset other than UTF-8; bodies must be UTF-8.",
                {"accepted": ["utf-8"]},
            )
    return kind
