"""The one integration harness: moto's AWS in this process with the template's resources, the
services wired to them as one Lambda container wires them, and what a user can look at.

Every integration file builds its world from `Harness`: provision what it needs (`buckets`,
`stack`, `secrets`, `signing_key`), wire the services (`wire`, or the builders), act
(`drop`, `process`, `drain`, `decide`, `digest`) and look (`objects`, `records`, `verify`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
import pytest

from clearance.audit.signature import PublicKeyVerifier
from clearance.aws.auditlog import AuditLog
from clearance.aws.bus import Bus
from clearance.aws.digeststore import DigestStore
from clearance.aws.kms import KmsSigner, public_key_der
from clearance.aws.secrets import WebhookSecrets
from clearance.aws.statestore import StateStore
from clearance.aws.store import Bucket
from clearance.cli.main import main
from clearance.contracts import keys
from clearance.decide.engine import Decision, clear
from clearance.decide.licensee import Licensee
from clearance.handlers import audit_review
from clearance.handlers import processor as processor_handler
from clearance.handlers.audit_review import AuditReading
from clearance.lifecycle.events import Delivered
from clearance.lifecycle.plan import BucketRole
from clearance.lifecycle.record import Source
from clearance.lifecycle.transition import transition
from clearance.local.dispatcher import dispatch_once
from clearance.local.resources import (
    Names,
    Queues,
    create_buckets,
    create_bus,
    create_queues,
    create_secrets,
    create_state_table,
)
from clearance.local.signing import make_kms_sign_digests
from clearance.services.articles import Articles
from clearance.services.digester import Digester
from clearance.services.lifecycle import Lifecycle
from clearance.services.processor import Processor
from clearance.services.webhook import Webhook
from clearance.terms.policy import PolicySet
from tests.conftest import DEMO_ARTICLES, lambda_context

COMPLIANCE_ROLE = "arn:aws:iam::123456789012:role/clearance-ComplianceRole"

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

NAMES = Names()
SESSION = boto3.session.Session()
"""The session every harness client comes from: it keeps the service models it has parsed,
where moto gives each test a fresh default session that parses them again (0.1-0.2 s a client).
"""
Client = TypeVar("Client", bound=Any)
OUTPUTS: tuple[BucketRole, ...] = ("cleared", "quarantine", "audit")
DAY_ONE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def article(n: int, *, disclaimer: bool = True) -> bytes:
    """The MENAFN demo article under its own headline; without `disclaimer`, one it alters."""
    text = (DEMO_ARTICLES / "menafn-ports.txt").read_text()
    text = text.replace("Gulf ports report busier third quarter", f"Port report number {n}")
    if not disclaimer:
        text = text.replace("We do not accept", "We accept")
    return text.encode()


class Harness:
    """moto's S3, SQS, DynamoDB, EventBridge, Secrets Manager and KMS, the template's resources
    in them, and the services over them. Clients are made on first use."""

    def __init__(self, policies: PolicySet, names: Names = NAMES) -> None:
        self.policies = policies
        self.names = names
        self._queues: Queues | None = None
        self.key = ""
        """The digest signing key, once `signing_key` has made it."""
        self.calls: Counter[str] = Counter()
        """The calls made through the harness's own clients, by operation (`GetObject`)."""
        self.seconds = 1000.0
        """A monotonic clock, for the caches that read one (the webhook's secrets)."""
        self.sent: list[str] = []
        """The signatures of every signed request sent."""
        self.now = datetime.now(UTC)
        """A clock a test moves: what services given `lambda: harness.now` read."""
        self.hour = self.now.replace(minute=0, second=0, microsecond=0) - 2 * HOUR
        """The hour `decide_hour` made its decisions in."""
        self.later = self.now + 3 * HOUR
        """When `digest` runs the digest job, unless told."""
        self.seeded: list[dict[str, Any]] = []
        """The records `decide_hour` wrote."""
        self._articles: Articles | None = None
        self._processor: Processor | None = None
        self._webhook: Webhook | None = None

    # ---- clients

    @cached_property
    def s3(self) -> S3Client:
        return self._counted(SESSION.client("s3", region_name=self.names.region))

    @cached_property
    def sqs(self) -> SQSClient:
        return self._counted(SESSION.client("sqs", region_name=self.names.region))

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return self._counted(SESSION.client("dynamodb", region_name=self.names.region))

    @cached_property
    def eventbridge(self) -> EventBridgeClient:
        return self._counted(SESSION.client("events", region_name=self.names.region))

    @cached_property
    def secretsmanager(self) -> SecretsManagerClient:
        return self._counted(SESSION.client("secretsmanager", region_name=self.names.region))

    @cached_property
    def kms(self) -> KMSClient:
        return self._counted(SESSION.client("kms", region_name=self.names.region))

    def _counted(self, client: Client) -> Client:
        def count(model: Any, **_: Any) -> None:
            self.calls[model.name] += 1

        client.meta.events.register("before-call", count)
        return client

    # ---- provisioning

    def buckets(self) -> Harness:
        """The template's four buckets: versioned, the audit bucket under Object Lock."""
        create_buckets(self.s3, self.names)
        return self

    def stack(self) -> Harness:
        """The buckets, the inbound queue and its dead-letter queue (S3 notifying it), the
        article-state table and the event bus with a queue subscribed to it."""
        self.buckets()
        self._queues = create_queues(self.sqs, self.s3, self.names)
        create_state_table(self.dynamodb, self.names)
        create_bus(self.eventbridge, self.sqs, self.names)
        return self

    def secrets(self, values: Mapping[str, str]) -> Harness:
        """Each provider's webhook secret, where the template's functions read it."""
        create_secrets(self.secretsmanager, self.names, values)
        return self

    def signing_key(self, spec: str = "ECC_NIST_P256") -> str:
        """A KMS signing key; the first one made is the digest key (`key`)."""
        make_kms_sign_digests()
        made = self.kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")  # type: ignore[arg-type]
        key_id = made["KeyMetadata"]["KeyId"]
        self.key = self.key or key_id
        return key_id

    # ---- adapters and services

    def bucket(self, role: str) -> Bucket:
        return Bucket(self.s3, self.names.bucket(role))

    @property
    def inbound(self) -> Bucket:
        return self.bucket("inbound")

    @property
    def audit_bucket(self) -> Bucket:
        return self.bucket("audit")

    @cached_property
    def audit_log(self) -> AuditLog:
        return AuditLog(self.audit_bucket)

    @cached_property
    def digest_store(self) -> DigestStore:
        return DigestStore(self.audit_bucket)

    @cached_property
    def reading(self) -> AuditReading:
        """What the audit review function reads, with the digest key (`key`) to verify."""

        def verifier() -> PublicKeyVerifier:
            der = public_key_der(self.kms, self.key)
            return PublicKeyVerifier.from_der(der, frozenset({self.key}))

        return AuditReading(self.audit_log, self.bucket("cleared"), verifier)

    def new_articles(self, clock: Callable[[], datetime] | None = None) -> Articles:
        """Article collaborators with clients of their own, as one Lambda container has them."""
        region = self.names.region
        s3 = SESSION.client("s3", region_name=region)
        articles = Articles(
            states=StateStore(
                SESSION.client("dynamodb", region_name=region), self.names.state_table
            ),
            buckets={role: Bucket(s3, self.names.bucket(role)) for role in OUTPUTS},
            bus=Bus(SESSION.client("events", region_name=region), self.names.event_bus),
            policies=self.policies,
        )
        if clock is not None:
            articles.clock = clock
        return articles

    def wire(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        articles_clock: Callable[[], datetime] | None = None,
        licensee: Licensee | None = None,
    ) -> Harness:
        """The processor over the inbound bucket, and the article collaborators it shares with
        the sweep and the kills (`articles`)."""
        self._articles = self.new_articles(articles_clock)
        self._processor = Processor(self.inbound, self._articles, licensee or Licensee())
        if clock is not None:
            self._processor.clock = clock
        return self

    @property
    def queues(self) -> Queues:
        assert self._queues is not None, "provision the stack() first"
        return self._queues

    @property
    def articles(self) -> Articles:
        assert self._articles is not None, "wire() the services first"
        return self._articles

    @property
    def processor(self) -> Processor:
        assert self._processor is not None, "wire() the services first"
        return self._processor

    def lifecycle(self, at: datetime) -> Lifecycle:
        """The sweep, its clock at `at`, over the wired article collaborators."""
        return Lifecycle(self.articles, self.inbound, Licensee(), clock=lambda: at)

    def wire_webhook(
        self, clock: Callable[[], datetime], max_body_bytes: int, *, cached: bool = False
    ) -> Harness:
        """The webhook over the inbound bucket and the providers' secrets; with `cached`, its
        secrets cache reads `seconds`."""
        secrets = WebhookSecrets(self.secretsmanager, self.names.secret_prefix)
        if cached:
            secrets.clock = lambda: self.seconds
        self._webhook = Webhook(
            store=self.inbound,
            secrets=secrets,
            policies=self.policies,
            clock=clock,
            max_body_bytes=max_body_bytes,
        )
        return self

    @property
    def webhook(self) -> Webhook:
        assert self._webhook is not None, "wire_webhook() first"
        return self._webhook

    # ---- acting

    def drop(self, key: str, data: bytes, **extra: Any) -> str:
        """A file put into the inbound bucket (S3 notifies the queue, where there is one)."""
        self.s3.put_object(Bucket=self.names.bucket("inbound"), Key=key, Body=data, **extra)
        return key

    def process(
        self, key: str, at: datetime, request_id: str | None = None
    ) -> tuple[Decision, ...]:
        """The wired processor's decisions on an inbound object, as its S3 event names it."""
        source = Source(self.inbound.name, key, None, at, request_id or key)
        return self.processor.process(source)

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        """The processor function invoked with an SQS event, over the wired processor."""
        response: dict[str, Any] = processor_handler.handler(
            event, lambda_context("ProcessorFunction", 1024), processor=self.processor
        )
        return response

    def drain(self, rounds: int = 20) -> None:
        """Invoke the processor until the queue is empty, failures visible again at once."""
        for _ in range(rounds):
            if dispatch_once(self.sqs, self.queues.url, self.handle).received == 0:
                return
        raise AssertionError("queue did not drain")

    def decide(self, data: bytes, at: datetime, key: str) -> dict[str, Any]:
        """A delivery decided at `at` and its record written straight into the audit bucket,
        as the processor writes it; the record."""
        source = Source(self.names.bucket("inbound"), key, None, at, f"req-{key}")
        decision = clear(data, policies=self.policies, now=at)
        names: dict[BucketRole, str] = {role: self.names.bucket(role) for role in OUTPUTS}
        policy = self.policies.policies.get(decision.provider or "")
        change = transition(None, Delivered(decision, source, data), at, policy, names)
        record, _ = change.plan.records[0]
        for write in change.plan.record_writes(record):
            self.audit_bucket.put_once(write.key, write.data, write.content_type)
        return record

    def decide_hour(self, hour: datetime, count: int = 3) -> list[dict[str, Any]]:
        """`count` MENAFN decisions made in `hour`, a minute apart (`hour`, `seeded`)."""
        self.hour = hour
        self.seeded = [
            self.decide(article(n), hour + timedelta(minutes=n), f"inbound/menafn/{n}.txt")
            for n in range(count)
        ]
        return self.seeded

    def digest(self, key: str | None = None, at: datetime | None = None) -> list[str]:
        """The digest job run at `at` (default `later`), signing with `key` (default `key`)."""
        when = at or self.later
        signer = KmsSigner(self.kms, key or self.key)
        return Digester(self.digest_store, signer, lambda: when).run()

    def get_audit(self, path: str, **params: str) -> tuple[int, dict[str, Any]]:
        """`GET path` of the audit review API, through its handler."""
        event = {
            "resource": path,
            "path": path,
            "httpMethod": "GET",
            "headers": {"Accept": "application/json"},
            "multiValueHeaders": {},
            "queryStringParameters": params or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in params.items()} or None,
            "pathParameters": None,
            "requestContext": {
                "requestId": "r1",
                "stage": "v1",
                "identity": {"sourceIp": "127.0.0.1", "userArn": COMPLIANCE_ROLE},
            },
            "body": None,
            "isBase64Encoded": False,
        }
        context = lambda_context("AuditReviewFunction")
        response = audit_review.handler(event, context, reading=self.reading)
        return response["statusCode"], json.loads(response["body"])

    def audit_cli(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        """`clearance audit ARGS --bucket <audit>`: its exit code, stdout and stderr."""
        code = main(["audit", *args, "--bucket", self.names.bucket("audit")])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    def verify(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
        """`clearance audit verify` with the digest key: its exit code and stdout."""
        code, out, _ = self.audit_cli(capsys, "verify", "--key", self.key, *args)
        return code, out

    def rewrite(self, key: str, change: Callable[[Any], object]) -> None:
        """A new version of an audit object: what an overwrite looks like under versioning."""
        data = self.content(key)
        change(data)
        self.s3.put_object(
            Bucket=self.names.bucket("audit"),
            Key=key,
            Body=json.dumps(data).encode(),
            ChecksumAlgorithm="SHA256",
        )

    def delete(self, key: str, role: str = "audit") -> None:
        """An object deleted (a delete marker)."""
        self.s3.delete_object(Bucket=self.names.bucket(role), Key=key)

    # ---- looking

    def objects(self, role: str, prefix: str = "") -> dict[str, bytes]:
        """Every object present under `prefix` in a bucket, its bytes by key."""
        bucket = self.names.bucket(role)
        listing = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return {
            item["Key"]: self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in listing.get("Contents", [])
        }

    def versions(self, role: str, prefix: str = "") -> int:
        """How many object versions a bucket holds under `prefix`."""
        listing = self.s3.list_object_versions(Bucket=self.names.bucket(role), Prefix=prefix)
        return len(listing.get("Versions", []))

    def records(self) -> list[dict[str, Any]]:
        """Every decision record in the audit bucket."""
        return [json.loads(data) for data in self.objects("audit", keys.DECISIONS).values()]

    def content(self, key: str) -> Any:
        """An audit object's JSON."""
        stored = self.s3.get_object(Bucket=self.names.bucket("audit"), Key=key)
        return json.loads(stored["Body"].read())

    def decision_keys(self) -> list[str]:
        return sorted(self.audit_bucket.keys(keys.DECISIONS))

    def digest_keys(self) -> list[str]:
        return sorted(self.audit_bucket.keys("audit/digests/"))

    def sealing(self) -> dict[str, Any]:
        """The digest of the hour `decide_hour` made its decisions in."""
        sealed: dict[str, Any] = self.content(f"audit/digests/{self.hour:%Y/%m/%d/%H}.json")
        return sealed

    def copies(self, provider: str, article_id: str) -> list[str]:
        """The cleared copies present under an article's prefix."""
        return sorted(self.bucket("cleared").keys(keys.cleared_prefix(provider, article_id)))

    def waiting(self, url: str) -> int:
        """Messages on a queue, visible or held by a reader."""
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        counts = attributes["Attributes"]
        return int(counts["ApproximateNumberOfMessages"]) + int(
            counts["ApproximateNumberOfMessagesNotVisible"]
        )

    def dead_letters(self) -> list[str]:
        response = self.sqs.receive_message(
            QueueUrl=self.queues.dead_letter_url, MaxNumberOfMessages=10
        )
        return [message["Body"] for message in response.get("Messages", [])]

    def bus_events(self) -> list[dict[str, Any]]:
        """Every event the bus sent the queue subscribed to it, taken off the queue."""
        url = self.sqs.get_queue_url(QueueName=self.names.events_queue)["QueueUrl"]
        received: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in batch:
                received.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return received
