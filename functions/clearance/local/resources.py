"""The buckets, queues and secrets of `template.yaml`, made on a local endpoint or in tests.

Names follow the template (`<stack>-inbound-<account>-<region>` ...), so handlers configured
from the same environment variables run unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clearance.contracts import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

MAX_RECEIVE_COUNT = 5
VISIBILITY_TIMEOUT = 360


@dataclass(frozen=True, slots=True)
class Names:
    stack: str = "clearance"
    account: str = "123456789012"
    region: str = "us-east-1"
    stage: str = "dev"

    def bucket(self, role: str) -> str:
        return f"{self.stack}-{role}-{self.account}-{self.region}"

    @property
    def queue(self) -> str:
        return f"{self.stack}-inbound"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.stack}-inbound-dlq"

    @property
    def secret_prefix(self) -> str:
        return f"clearance/{self.stage}/webhook/"

    @property
    def state_table(self) -> str:
        return f"{self.stack}-articles"

    @property
    def subscriptions_table(self) -> str:
        return f"{self.stack}-subscriptions"

    @property
    def feed_secret_prefix(self) -> str:
        return f"clearance/{self.stage}/feeds/"

    @property
    def event_bus(self) -> str:
        return f"clearance-{self.stage}"

    @property
    def events_queue(self) -> str:
        """Where the local stack routes the bus, to show each event as it is emitted."""
        return f"{self.stack}-published-events"

    def environment(self) -> dict[str, str]:
        """The handlers' environment variables, as the template sets them."""
        return {
            "INBOUND_BUCKET": self.bucket("inbound"),
            "CLEARED_BUCKET": self.bucket("cleared"),
            "QUARANTINE_BUCKET": self.bucket("quarantine"),
            "AUDIT_BUCKET": self.bucket("audit"),
            "WEBHOOK_SECRET_PREFIX": self.secret_prefix,
            "STATE_TABLE": self.state_table,
            "EVENT_BUS": self.event_bus,
            "SUBSCRIPTIONS_TABLE": self.subscriptions_table,
            "FEED_SECRET_PREFIX": self.feed_secret_prefix,
        }


@dataclass(frozen=True, slots=True)
class Queues:
    url: str
    dead_letter_url: str


def create_buckets(s3: S3Client, names: Names, audit_retention_days: int = 1) -> None:
    for role in ("inbound", "cleared", "quarantine"):
        s3.create_bucket(Bucket=names.bucket(role))
        s3.put_bucket_versioning(
            Bucket=names.bucket(role), VersioningConfiguration={"Status": "Enabled"}
        )
    audit = names.bucket("audit")
    s3.create_bucket(Bucket=audit, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket=audit,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": audit_retention_days}},
        },
    )


def create_queues(sqs: SQSClient, s3: S3Client, names: Names) -> Queues:
    """Queue and dead-letter queue, and the inbound bucket's notification to the queue."""
    dead = sqs.create_queue(QueueName=names.dead_letter_queue)["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
    url = sqs.create_queue(
        QueueName=names.queue,
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(
        Bucket=names.bucket("inbound"),
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": keys.INBOUND}]}},
                }
            ]
        },
    )
    return Queues(url, dead)


def create_signing_key(kms: KMSClient) -> str:
    """The digest signing key the template declares: ECC_NIST_P256 for SIGN_VERIFY."""
    key = kms.create_key(
        KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Description="clearance audit digests"
    )
    return key["KeyMetadata"]["KeyId"]


def create_secrets(secrets: SecretsManagerClient, names: Names, values: Mapping[str, str]) -> None:
    for provider, value in values.items():
        secrets.create_secret(Name=names.secret_prefix + provider, SecretString=value)


def create_state_table(dynamodb: DynamoDBClient, names: Names) -> None:
    """The article-state table the template declares, with its `due` and `held` indexes."""
    dynamodb.create_table(
        TableName=names.state_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("pk", "due_shard", "next_due", "held_partition", "held_since")
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "due",
                "KeySchema": [
                    {"AttributeName": "due_shard", "KeyType": "HASH"},
                    {"AttributeName": "next_due", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": "held",
                "KeySchema": [
                    {"AttributeName": "held_partition", "KeyType": "HASH"},
                    {"AttributeName": "held_since", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    )


def create_subscriptions_table(dynamodb: DynamoDBClient, names: Names) -> None:
    """The feed subscriptions' table the template declares."""
    dynamodb.create_table(
        TableName=names.subscriptions_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )


def create_bus(events: EventBridgeClient, sqs: SQSClient, names: Names) -> str:
    """The bus, and a rule sending every clearance event to a queue; the queue's URL."""
    events.create_event_bus(Name=names.event_bus)
    url = sqs.create_queue(QueueName=names.events_queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name=f"{names.stack}-published",
        EventBusName=names.event_bus,
        EventPattern=json.dumps({"source": ["clearance"]}),
    )
    events.put_targets(
        Rule=f"{names.stack}-published",
        EventBusName=names.event_bus,
        Targets=[{"Id": "published-events", "Arn": arn}],
    )
    return url
