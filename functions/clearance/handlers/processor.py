"""ProcessorFunction: S3 `ObjectCreated` events from the inbound queue to decisions and copies.

Each SQS message carries one S3 event; a message fails alone (partial batch response), and after
the queue's maxReceiveCount it rests in the dead-letter queue, visible. The response is the plain
`batchItemFailures` list Lambda reads: Powertools' batch utility would add 100 ms or more to every
cold start for a loop this function does not need.

The batch's events are sent together, ten to a PutEvents, once every message is decided; each
change's outbox is kept until they are out. If they cannot be sent, the messages whose changes
owe them fail too: their retry, or the next sweep, finishes the outboxes.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.handlers.events import QueueMessage, s3_sources
from clearance.services import wiring
from clearance.services.articles import HeldEvents
from clearance.services.config import ProcessorConfig
from clearance.services.observability import logger, metrics, tracer
from clearance.services.processor import Processor


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, processor: Processor | None = None
) -> dict[str, Any]:
    work = processor or wiring.build_processor(ProcessorConfig.from_env(os.environ))

    records = event.get("Records", [])
    metrics.add_metric(name="MessagesReceived", unit=MetricUnit.Count, value=len(records))
    held, failed, owing = HeldEvents(), [], []
    for raw in records:
        record, source = QueueMessage.of(raw), None
        holding = len(held.states)
        try:
            for source in s3_sources(record):
                work.process(source, held)
            if len(held.states) > holding:
                owing.append(record.message_id)
        except Exception:  # noqa: BLE001 - the message alone is retried, then dead-lettered
            # Why a message failed, where an operator looks before a redrive (README runbook).
            logger.exception(
                "message failed: retried, then left on the dead-letter queue",
                extra={
                    "message_id": record.message_id,
                    "receive_count": record.receive_count,
                    "key": source.key if source else None,
                },
            )
            failed.append(record.message_id)
    try:
        work.articles.release(held)
    except Exception:  # noqa: BLE001 - the messages owing events are retried
        logger.exception("events not sent: their messages are retried", extra={"owing": owing})
        failed += owing
    return {"batchItemFailures": [{"itemIdentifier": message} for message in failed]}
