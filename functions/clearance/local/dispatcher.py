"""Lambda's SQS event source mapping, played locally: receive, invoke, delete what succeeded.

Failed messages are left on the queue to become visible again; after the queue's
maxReceiveCount receives, SQS moves them to the dead-letter queue, as in AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

Handler = Callable[[dict[str, Any]], dict[str, Any]]

BATCH_SIZE = 10
"""Messages per invocation at most: the BatchSize of the processor's queue in the template."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    received: int
    failed: int


def sqs_event(messages: list[MessageTypeDef], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda builds for a batch of SQS messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def dispatch_once(
    sqs: SQSClient,
    queue_url: str,
    handler: Handler,
    *,
    wait_seconds: int = 0,
    batch_size: int = BATCH_SIZE,
    retry_delay_seconds: int = 0,
) -> BatchResult:
    """One receive-invoke-delete round; returns how many messages came and how many failed."""
    response = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=batch_size,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
    )
    messages = response.get("Messages", [])
    if not messages:
        return BatchResult(0, 0)
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    region = arn.split(":")[3]
    try:
        result = handler(sqs_event(messages, arn, region))
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
    except Exception:  # noqa: BLE001 - a crashed invocation fails its whole batch, as on Lambda
        failed = {message["MessageId"] for message in messages}
    for message in messages:
        if message["MessageId"] in failed:
            sqs.change_message_visibility(
                QueueUrl=queue_url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=retry_delay_seconds,
            )
        else:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return BatchResult(len(messages), len(failed))
