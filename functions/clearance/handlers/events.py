"""AWS event shapes translated to the core's inputs: an SQS message to the S3 objects it names."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from clearance.contracts import keys
from clearance.lifecycle.record import Source


class PoisonMessage(ValueError):
    """A queue message that is not an S3 event: it fails, and ends in the dead-letter queue."""


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """What the processor reads of an SQS record. Powertools' `SQSRecord` would do, but its
    package loads every event class it knows, 20 ms of each cold start, for these three."""

    message_id: str
    body: Any
    receive_count: str | None = None

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> QueueMessage:
        attributes = record.get("attributes") or {}
        return cls(
            str(record.get("messageId")),
            record.get("body"),
            attributes.get("ApproximateReceiveCount") if isinstance(attributes, dict) else None,
        )


def s3_sources(record: QueueMessage) -> Iterator[Source]:
    """The inbound objects an SQS message names; S3's test event names none.

    Every record's key is URL-decoded (`+` for space): Powertools' `S3Event.object_key`
    decodes only the first record's.
    """
    try:
        body = json.loads(record.body)
    except (TypeError, ValueError) as error:
        raise PoisonMessage(f"message {record.message_id} is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise PoisonMessage(f"message {record.message_id} is not an S3 event")
    if body.get("Event") == "s3:TestEvent":
        return
    records = body.get("Records")
    if not isinstance(records, list):
        raise PoisonMessage(f"message {record.message_id} is not an S3 event")
    for item in records:
        yield _source(item, record.message_id)


def _source(item: Any, message_id: str) -> Source:
    try:
        s3 = item["s3"]
        key = unquote_plus(s3["object"]["key"])
        arrived_at = datetime.fromisoformat(item["eventTime"])
        bucket = s3["bucket"]["name"]
    except (KeyError, TypeError, ValueError) as error:
        raise PoisonMessage(f"message {message_id} has a malformed S3 record: {error!r}") from None
    if not keys.is_inbound(key):
        raise PoisonMessage(f"message {message_id} names {key!r}, outside {keys.INBOUND}")
    version_id = s3["object"].get("versionId")
    request_id = (item.get("responseElements") or {}).get("x-amz-request-id") or _event_id(
        bucket, key, version_id, item["eventTime"]
    )
    return Source(bucket, key, version_id, arrived_at, request_id)


def _event_id(bucket: str, key: str, version_id: str | None, event_time: str) -> str:
    """Where S3 names no request, one derived from the event, the same on every redelivery."""
    digest = hashlib.sha256(f"{bucket}/{key}/{version_id}/{event_time}".encode()).hexdigest()
    return f"event-{digest[:24]}"
