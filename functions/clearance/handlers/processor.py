"""ProcessorFunction: S3 `ObjectCreated` events from the inbound queue to decisions and copies.

Each SQS message carries one S3 event; a message fails alone (partial batch response), and after
the queue's maxReceiveCount it rests in the dead-letter queue, visible.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.audit import Source
from clearance.aws import clients
from clearance.aws.store import Bucket
from clearance.engine import Decision, clear
from clearance.evaluate import Licensee
from clearance.findings import Outcome
from clearance.handlers.observability import NAMESPACE, logger, metrics, tracer
from clearance.policy import PolicySet
from clearance.processing import (
    INBOUND_PREFIX,
    BucketRole,
    Plan,
    killed,
    media_type_from_key,
    plan,
    provider_from_key,
    tombstone_key,
)
from clearance.settings import settings


class PoisonMessage(ValueError):
    """A queue message that is not an S3 event: it fails, and ends in the dead-letter queue."""


@dataclass
class Processor:
    """The processor's collaborators; tests build one with fakes or a moto client."""

    inbound: Bucket
    outputs: dict[BucketRole, Bucket]
    policies: PolicySet
    licensee: Licensee

    def process_message(self, record: SQSRecord) -> None:
        for source in s3_sources(record):
            self.process_object(source)

    @tracer.capture_method
    def process_object(self, source: Source) -> Decision:
        stored = self.inbound.get(source.key, source.version_id)
        if stored is None:
            raise LookupError(f"s3://{source.bucket}/{source.key} is gone; retrying")
        provider = provider_from_key(source.key)
        decision = clear(
            stored.data,
            policies=self.policies,
            now=source.arrived_at,
            licensee=self.licensee,
            provider=provider,
            media_type=media_type_from_key(source.key) or stored.content_type,
        )
        if decision.outcome is Outcome.CLEARED and self._withdrawn(decision):
            decision = killed(decision)
        self.execute(plan(decision, source, stored.data, self._names()))
        self._observe(decision, source)
        return decision

    def execute(self, work: Plan) -> None:
        if work.withdraw_prefix:
            cleared = self.outputs["cleared"]
            for key in list(cleared.keys(work.withdraw_prefix)):
                cleared.delete(key)
        for write in work.writes:
            self.outputs[write.bucket].put_once(write.key, write.data, write.content_type)

    def _withdrawn(self, decision: Decision) -> bool:
        article = decision.article
        if article is None or decision.provider is None:
            return False
        return self.outputs["cleared"].exists(tombstone_key(decision.provider, article["uri"]))

    def _names(self) -> dict[BucketRole, str]:
        return {role: bucket.name for role, bucket in self.outputs.items()}

    def _observe(self, decision: Decision, source: Source) -> None:
        article = decision.article or {}
        logger.info(
            "decided",
            extra={
                "provider": decision.provider,
                "article_uri": article.get("uri"),
                "outcome": decision.outcome.value,
                "key": source.key,
                "rules": [f.rule_id for f in decision.findings],
            },
        )
        with single_metric(
            name="Decisions",
            unit=MetricUnit.Count,
            value=1,
            namespace=NAMESPACE,
            default_dimensions=metrics.default_dimensions,
        ) as metric:
            metric.add_dimension(name="provider", value=decision.provider or "unknown")
            metric.add_dimension(name="outcome", value=decision.outcome.value)


def s3_sources(record: SQSRecord) -> Iterator[Source]:
    """The inbound objects an SQS message names; S3's test event names none."""
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
    if not key.startswith(INBOUND_PREFIX):
        raise PoisonMessage(f"message {message_id} names {key!r}, outside {INBOUND_PREFIX}")
    version_id = s3["object"].get("versionId")
    request_id = (item.get("responseElements") or {}).get("x-amz-request-id") or _event_id(
        bucket, key, version_id, item["eventTime"]
    )
    return Source(bucket, key, version_id, arrived_at, request_id)


def _event_id(bucket: str, key: str, version_id: str | None, event_time: str) -> str:
    """Where S3 names no request, one derived from the event, the same on every redelivery."""
    digest = hashlib.sha256(f"{bucket}/{key}/{version_id}/{event_time}".encode()).hexdigest()
    return f"event-{digest[:24]}"


@cache
def default_processor() -> Processor:
    config = settings()
    client = clients.s3()
    return Processor(
        inbound=Bucket(client, config.inbound_bucket),
        outputs={
            "cleared": Bucket(client, config.cleared_bucket),
            "quarantine": Bucket(client, config.quarantine_bucket),
            "audit": Bucket(client, config.audit_bucket),
        },
        policies=PolicySet.load(),
        licensee=config.licensee,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, processor: Processor | None = None
) -> dict[str, Any]:
    work = processor or default_processor()
    batch = BatchProcessor(event_type=EventType.SQS)
    metrics.add_metric(
        name="MessagesReceived", unit=MetricUnit.Count, value=len(event.get("Records", []))
    )
    response = process_partial_response(
        event=event, record_handler=work.process_message, processor=batch, context=context
    )
    return dict(response)
