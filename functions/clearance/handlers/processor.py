"""ProcessorFunction: S3 `ObjectCreated` events from the inbound queue to decisions and copies.

Each SQS message carries one S3 event; a message fails alone (partial batch response), and after
the queue's maxReceiveCount it rests in the dead-letter queue, visible.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.handlers.events import s3_sources
from clearance.services import wiring
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

    def process_message(record: SQSRecord) -> None:
        source = None
        try:
            for source in s3_sources(record):
                work.process(source)
        except Exception:
            # Why a message failed, where an operator looks before a redrive (README runbook).
            logger.exception(
                "message failed: retried, then left on the dead-letter queue",
                extra={
                    "message_id": record.message_id,
                    "receive_count": record.attributes.approximate_receive_count,
                    "key": source.key if source else None,
                },
            )
            raise

    metrics.add_metric(
        name="MessagesReceived", unit=MetricUnit.Count, value=len(event.get("Records", []))
    )
    response = process_partial_response(
        event=event,
        record_handler=process_message,
        processor=BatchProcessor(event_type=EventType.SQS),
        context=context,
    )
    return dict(response)
