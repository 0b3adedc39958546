"""The work a stopped local stack still owes: queued messages and journalled deliveries.

moto's queues live in memory. A clean stop saves every message still waiting, on the inbound
queue and on the dead-letter queue, into `queues.json`; the next start sends them again. A
hard kill leaves no such file, only the journal: its deliveries are put back, without
notifying the queue, and queued as S3 would have queued them, with their original arrival time,
so each is decided as it would have been. Processing is idempotent (content-derived keys,
conditional writes), so work queued twice costs a no-op.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from clearance.local.journal import Journal
from clearance.local.resources import Names, Queues

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

QUEUES_FILE = "queues.json"
QUEUES_FORMAT = "clearance-local-queues/1"


class BacklogError(OSError):
    """Saved queues that cannot be read back."""


@dataclass(frozen=True, slots=True)
class Backlog:
    """Message bodies waiting on the inbound queue and resting on the dead-letter queue."""

    queue: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)


def drain(sqs: SQSClient, url: str, settle_seconds: float) -> list[str]:
    """Every message body on a queue, in flight ones included once they are visible again.

    Received messages stay hidden (and are forgotten with the server); a message a failed batch
    released becomes visible within `settle_seconds`.
    """
    bodies: dict[str, str] = {}
    deadline = time.monotonic() + settle_seconds
    while True:
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=3600, WaitTimeSeconds=0
        ).get("Messages", [])
        for message in received:
            bodies.setdefault(message["MessageId"], message["Body"])
        if received:
            continue
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        visible = int(attributes["ApproximateNumberOfMessages"])
        hidden = int(attributes["ApproximateNumberOfMessagesNotVisible"])
        if (visible == 0 and hidden <= len(bodies)) or time.monotonic() > deadline:
            return list(bodies.values())
        time.sleep(0.1)


def save(directory: Path, backlog: Backlog) -> None:
    written = directory / f".{QUEUES_FILE}.tmp"
    state = {"format": QUEUES_FORMAT, "queue": backlog.queue, "dead": backlog.dead}
    written.write_text(json.dumps(state, indent=1), encoding="utf-8")
    written.replace(directory / QUEUES_FILE)


def load(directory: Path) -> Backlog:
    """The saved backlog; none is an empty one."""
    path = directory / QUEUES_FILE
    if not path.exists():
        return Backlog()
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("format") != QUEUES_FORMAT:
            raise BacklogError(f"{path} is not a clearance local queues file")
        return Backlog([str(body) for body in state["queue"]], [str(b) for b in state["dead"]])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise BacklogError(f"cannot read the saved queues in {path}: {error}") from None


def send(sqs: SQSClient, url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        batch = bodies[start : start + 10]
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(index), "MessageBody": body} for index, body in enumerate(batch)
        ]
        failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
        if failed:
            raise BacklogError(f"could not queue {len(failed)} saved messages: {failed[0]}")


def restore(sqs: SQSClient, queues: Queues, backlog: Backlog) -> None:
    send(sqs, queues.url, backlog.queue)
    send(sqs, queues.dead_letter_url, backlog.dead)


def put_back(s3: S3Client, names: Names, journal: Journal) -> list[str]:
    """The journal's objects into their buckets (those not there already); the S3 events that
    queue its articles, as S3 would have sent them."""
    events = []
    for entry in journal.entries():
        bucket = names.bucket(entry.role)
        if not _exists(s3, bucket, entry.key):
            s3.put_object(
                Bucket=bucket,
                Key=entry.key,
                Body=journal.read(entry),
                ContentType=entry.content_type,
                ChecksumAlgorithm="SHA256",
            )
        if entry.process:
            events.append(s3_event(names, bucket, entry.key, entry.arrived_at))
    return events


def s3_event(names: Names, bucket: str, key: str, arrived_at: str) -> str:
    """The body S3 sends the queue for one new object (keys URL-encoded, as S3 does)."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": names.region,
        "eventTime": arrived_at,
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": quote_plus(key, safe="/")},
        },
    }
    return json.dumps({"Records": [record]})


def _exists(s3: S3Client, bucket: str, key: str) -> bool:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents", [])
    return bool(listed) and listed[0]["Key"] == key
