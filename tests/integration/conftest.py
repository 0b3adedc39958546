"""Fixtures shared by the integration tests: an audit bucket holding real decisions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clearance.aws.auditlog import AuditLog
from clearance.aws.bus import Bus
from clearance.aws.statestore import StateStore
from clearance.aws.store import Bucket
from clearance.decide.engine import clear
from clearance.handlers import audit_review
from clearance.lifecycle.events import Delivered
from clearance.lifecycle.plan import BucketRole
from clearance.lifecycle.record import Source
from clearance.lifecycle.transition import transition
from clearance.local.resources import (
    Names,
    Queues,
    create_buckets,
    create_bus,
    create_queues,
    create_state_table,
)
from clearance.services.articles import Articles
from clearance.terms.policy import PolicySet
from tests.conftest import DEMO_ARTICLES, lambda_context

NAMES = Names()
OUTPUTS: tuple[BucketRole, ...] = ("cleared", "quarantine", "audit")
DAY_ONE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def article(n: int, *, disclaimer: bool = True) -> bytes:
    text = (DEMO_ARTICLES / "menafn-ports.txt").read_text()
    text = text.replace("Gulf ports report busier third quarter", f"Port report number {n}")
    if not disclaimer:
        text = text.replace("We do not accept", "We accept")
    return text.encode()


class AuditStack:
    """An audit bucket holding decisions made over several days, as the processor writes them."""

    def __init__(self, policies: PolicySet) -> None:
        self.s3 = boto3.client("s3", region_name=NAMES.region)
        create_buckets(self.s3, NAMES)
        self.bucket = Bucket(self.s3, NAMES.bucket("audit"))
        self.log = AuditLog(self.bucket)
        self.policies = policies
        self.gets = 0
        self.s3.meta.events.register("before-call.s3.GetObject", self._count_get)

    def _count_get(self, **_: Any) -> None:
        self.gets += 1

    def decide(self, data: bytes, at: datetime, key: str) -> dict[str, Any]:
        source = Source(NAMES.bucket("inbound"), key, None, at, f"req-{key}")
        decision = clear(data, policies=self.policies, now=at)
        names = {role: NAMES.bucket(role) for role in ("cleared", "quarantine", "audit")}
        policy = self.policies.policies.get(decision.provider or "")
        change = transition(None, Delivered(decision, source, data), at, policy, names)  # type: ignore[arg-type]
        record, _ = change.plan.records[0]
        for write in change.plan.record_writes(record):
            self.bucket.put_once(write.key, write.data, write.content_type)
        return record

    def get(self, path: str, **params: str) -> tuple[int, dict[str, Any]]:
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
                "identity": {"sourceIp": "127.0.0.1"},
            },
            "body": None,
            "isBase64Encoded": False,
        }
        response = audit_review.handler(event, lambda_context("AuditReviewFunction"), log=self.log)
        return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in this process, with fake credentials: never mixed with a moto server."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMES.region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    with mock_aws():
        yield


@pytest.fixture
def audit(policies: PolicySet, aws: None) -> AuditStack:
    return AuditStack(policies)


def provision_state_stack(names: Names = NAMES) -> Queues:
    """The template's buckets, queue, article-state table and event bus, in moto."""
    s3 = boto3.client("s3", region_name=names.region)
    sqs = boto3.client("sqs", region_name=names.region)
    create_buckets(s3, names)
    queues = create_queues(sqs, s3, names)
    create_state_table(boto3.client("dynamodb", region_name=names.region), names)
    create_bus(boto3.client("events", region_name=names.region), sqs, names)
    return queues


def moto_articles(
    policies: PolicySet,
    *,
    names: Names = NAMES,
    clock: Callable[[], datetime] | None = None,
) -> Articles:
    """Article collaborators with clients of their own, as one Lambda container has them."""
    s3 = boto3.client("s3", region_name=names.region)
    articles = Articles(
        states=StateStore(boto3.client("dynamodb", region_name=names.region), names.state_table),
        buckets={role: Bucket(s3, names.bucket(role)) for role in OUTPUTS},
        bus=Bus(boto3.client("events", region_name=names.region), names.event_bus),
        policies=policies,
    )
    if clock is not None:
        articles.clock = clock
    return articles


class Faults:
    """Counts AWS calls and fails the nth one, once, as a crashed invocation would: before the
    call is made, or (`after`) once it has succeeded, as when the answer is lost on the way back
    or the function dies before it can use it."""

    def __init__(self, fail_at: int | None, *, after: bool = False) -> None:
        self.fail_at = fail_at
        self.after = after
        self.calls = 0
        self.names: list[str] = []

    def wrap(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.names.append(method.__qualname__)
            if self.calls != self.fail_at:
                return method(*args, **kwargs)
            if self.after:
                method(*args, **kwargs)
                raise ConnectionError(f"injected fault after AWS call {self.calls} succeeded")
            raise ConnectionError(f"injected fault at AWS call {self.calls}")

        return wrapped

    def install(self, patch: pytest.MonkeyPatch) -> None:
        """Every AWS call the services make: S3, the state table and the bus."""
        for name in ("put_once", "get", "keys", "describe", "delete", "measure", "copy_once"):
            patch.setattr(Bucket, name, self.wrap(getattr(Bucket, name)))
        for name in ("get", "put", "due"):
            patch.setattr(StateStore, name, self.wrap(getattr(StateStore, name)))
        patch.setattr(Bus, "publish", self.wrap(Bus.publish))
