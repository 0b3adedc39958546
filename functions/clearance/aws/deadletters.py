"""The inbound dead-letter queue: what rests there, and moving it back to the queue it came from.

moto has no StartMessageMoveTask, so a redrive receives, sends and deletes in batches of ten,
always sending before deleting: a crash between the two leaves a message on both queues (the
processor decides a repeat once), never on neither. Messages being listed or moved are hidden
from other readers for `hold_seconds`, then made visible again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType
    from mypy_boto3_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        DeleteMessageBatchRequestEntryTypeDef,
        MessageTypeDef,
    )

BATCH = 10
HOLD_SECONDS = 120
_SENDABLE = {"DataType", "StringValue", "BinaryValue"}


class RedriveError(Exception):
    """The queues given cannot be redriven one into the other, in one line."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message on the dead-letter queue, as SQS reports it."""

    message_id: str
    body: str
    receives: int
    """ApproximateReceiveCount: the failed receives on the queue, plus every listing's own."""
    sent_at: datetime | None
    attributes: dict[str, Any] = field(default_factory=dict)
    receipt: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Redrive:
    moved: list[DeadLetter]
    failed: list[tuple[DeadLetter, str]]
    """Messages SQS did not accept on the queue, with its reason; they stay on the DLQ."""
    repeated: list[DeadLetter]
    """Moved, but not deleted from the DLQ: a later redrive sends them again (decided once)."""


class DeadLetterQueue:
    def __init__(
        self,
        sqs: SQSClient,
        url: str,
        source_url: str,
        *,
        hold_seconds: int = HOLD_SECONDS,
        wait_seconds: int = 1,
    ) -> None:
        self.sqs = sqs
        self.url = url
        self.source_url = source_url
        self.hold_seconds = hold_seconds
        self.wait_seconds = wait_seconds

    def check(self) -> None:
        """Refuse to move messages into a queue whose redrive policy names another DLQ."""
        dead_arn = self._attribute(self.url, "QueueArn")
        policy = self._attribute(self.source_url, "RedrivePolicy")
        if not policy:
            raise RedriveError(f"{self.source_url} has no dead-letter queue")
        target = json.loads(policy).get("deadLetterTargetArn")
        if target != dead_arn:
            raise RedriveError(
                f"{self.url} is not the dead-letter queue of {self.source_url} (that is {target})"
            )

    def peek(self) -> list[DeadLetter]:
        """Every message on the DLQ; each is received once, then made visible again."""
        seen: list[DeadLetter] = []
        try:
            seen.extend(letter for batch in self._batches() for letter in batch)
        finally:
            self._release(seen)
        return seen

    def redrive(self) -> Redrive:
        """Move every message back to the source queue: send, then delete what was sent."""
        moved: list[DeadLetter] = []
        failed: list[tuple[DeadLetter, str]] = []
        repeated: list[DeadLetter] = []
        try:
            for batch in self._batches():
                sent, refused = self._send(batch)
                failed.extend(refused)
                if sent:
                    moved.extend(sent)
                    repeated.extend(self._delete(sent))
        finally:
            self._release([letter for letter, _ in failed])
        return Redrive(moved, failed, repeated)

    def _batches(self) -> Iterator[list[DeadLetter]]:
        """Batches received until the queue has nothing visible left; each stays hidden."""
        while True:
            response = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=BATCH,
                VisibilityTimeout=self.hold_seconds,
                WaitTimeSeconds=self.wait_seconds,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = response.get("Messages", [])
            if not messages:
                return
            yield [_letter(message) for message in messages]

    def _send(
        self, batch: list[DeadLetter]
    ) -> tuple[list[DeadLetter], list[tuple[DeadLetter, str]]]:
        entries: list[Any] = [
            {
                "Id": str(index),
                "MessageBody": letter.body,
                **({"MessageAttributes": letter.attributes} if letter.attributes else {}),
            }
            for index, letter in enumerate(batch)
        ]
        response = self.sqs.send_message_batch(QueueUrl=self.source_url, Entries=entries)
        sent = [batch[int(entry["Id"])] for entry in response.get("Successful", [])]
        refused = [
            (batch[int(entry["Id"])], f"{entry.get('Code', 'error')}: {entry.get('Message', '')}")
            for entry in response.get("Failed", [])
        ]
        return sent, refused

    def _delete(self, letters: list[DeadLetter]) -> list[DeadLetter]:
        """Delete sent messages from the DLQ; those SQS did not delete."""
        entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
            {"Id": str(i), "ReceiptHandle": letter.receipt} for i, letter in enumerate(letters)
        ]
        response = self.sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)
        return [letters[int(entry["Id"])] for entry in response.get("Failed", [])]

    def _release(self, letters: list[DeadLetter]) -> None:
        """Make held messages visible again at once, rather than after the hold."""
        for start in range(0, len(letters), BATCH):
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": letter.receipt, "VisibilityTimeout": 0}
                for i, letter in enumerate(letters[start : start + BATCH])
            ]
            self.sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)

    def _attribute(self, url: str, name: QueueAttributeNameType) -> str:
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])
        return attributes.get("Attributes", {}).get(name) or ""


def queue_url(sqs: SQSClient, name: str) -> str:
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]


def _letter(message: MessageTypeDef) -> DeadLetter:
    attributes = message.get("Attributes", {})
    sent = attributes.get("SentTimestamp")
    return DeadLetter(
        message_id=message["MessageId"],
        body=message["Body"],
        receives=int(attributes.get("ApproximateReceiveCount", "0")),
        sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        attributes={
            name: {k: v for k, v in value.items() if k in _SENDABLE}
            for name, value in message.get("MessageAttributes", {}).items()
        },
        receipt=message["ReceiptHandle"],
    )
