"""Audit review API: filtered, paginated, newest-first decisions, and every decision per article."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws

from clearance.audit import Source
from clearance.aws.auditlog import AuditLog
from clearance.aws.store import Bucket
from clearance.engine import clear
from clearance.handlers import audit_review
from clearance.local.resources import Names, create_buckets
from clearance.policy import PolicySet
from clearance.processing import plan
from tests.conftest import DEMO_ARTICLES

NAMES = Names()
DAY_ONE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Context(LambdaContext):
    function_name = "AuditReviewFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AuditReviewFunction"
    aws_request_id = "review-request"


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
        work = plan(decision, source, data, names)  # type: ignore[arg-type]
        for write in work.writes:
            if write.bucket == "audit":
                self.bucket.put_once(write.key, write.data, write.content_type)
        record: dict[str, Any] = json.loads(work.writes[-1].data)
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
        response = audit_review.handler(event, Context(), log=self.log)
        return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def audit(policies: PolicySet, monkeypatch: pytest.MonkeyPatch) -> Iterator[AuditStack]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMES.region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    with mock_aws():
        yield AuditStack(policies)


def seeded(audit: AuditStack) -> list[dict[str, Any]]:
    """Six decisions over three days: cleared and held MENAFN articles, and one rejected file."""
    records = []
    for day in range(3):
        at = DAY_ONE + timedelta(days=day)
        records.append(audit.decide(article(day), at, f"inbound/menafn/{day}-ok.txt"))
        records.append(
            audit.decide(
                article(day, disclaimer=False),
                at + timedelta(hours=1),
                f"inbound/menafn/{day}-bad.txt",
            )
        )
    return records


def test_list_is_newest_first_across_days(audit: AuditStack) -> None:
    records = seeded(audit)
    status, body = audit.get("/v1/audit")
    assert status == 200
    assert [d["decision_id"] for d in body["decisions"]] == [
        r["decision_id"] for r in sorted(records, key=lambda r: r["decided_at"], reverse=True)
    ]
    assert body["next"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"outcome": "held"}, {("menafn", "held")}),
        ({"provider": "menafn", "outcome": "cleared"}, {("menafn", "cleared")}),
        ({"rule": "notice.menafn-disclaimer"}, {("menafn", "held")}),
        ({"provider": "dpa"}, set()),
    ],
)
def test_filters_combine(
    audit: AuditStack, params: dict[str, str], expected: set[tuple[str, str]]
) -> None:
    seeded(audit)
    status, body = audit.get("/v1/audit", **params)
    assert status == 200
    assert {(d["provider"], d["outcome"]) for d in body["decisions"]} == expected
    assert len(body["decisions"]) == (3 if expected else 0)
    assert body["filters"] == params


def test_date_filter_reads_only_records_in_range(audit: AuditStack) -> None:
    seeded(audit)
    audit.gets = 0
    status, body = audit.get("/v1/audit", **{"from": "2026-11-21", "to": "2026-11-21"})
    assert status == 200
    assert {d["decided_at"][:10] for d in body["decisions"]} == {"2026-11-21"}
    assert len(body["decisions"]) == 2
    assert audit.gets == 2


def test_time_bounds_inside_a_day_are_exact(audit: AuditStack) -> None:
    seeded(audit)
    status, body = audit.get(
        "/v1/audit", **{"from": "2026-11-21T09:30:00Z", "to": "2026-11-22T09:30:00Z"}
    )
    assert status == 200
    assert [d["decided_at"] for d in body["decisions"]] == [
        "2026-11-22T09:00:00+00:00",
        "2026-11-21T10:00:00+00:00",
    ]


def test_pagination_visits_every_decision_once(audit: AuditStack) -> None:
    records = seeded(audit)
    seen: list[str] = []
    params = {"limit": "4"}
    for _ in range(5):
        status, body = audit.get("/v1/audit", **params)
        assert status == 200
        assert len(body["decisions"]) <= 4
        seen += [d["decision_id"] for d in body["decisions"]]
        if body["next"] is None:
            break
        params = {"limit": "4", "next": body["next"]}
    assert sorted(seen) == sorted(r["decision_id"] for r in records)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"outcome": "approved"}, "outcome"),
        ({"provider": "../etc"}, "provider"),
        ({"rule": "x y"}, "rule"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-11-23T09:00:00"}, "to"),
        ({"from": "2026-11-23", "to": "2026-11-22"}, "to"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"next": "not-a-token"}, "next"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameter_is_a_400_naming_it(
    audit: AuditStack, params: dict[str, str], parameter: str
) -> None:
    status, body = audit.get("/v1/audit", **params)
    assert status == 400
    assert body["error"]["parameter"] == parameter
    assert parameter in body["error"]["message"]


def test_article_endpoint_returns_every_decision_with_copies(audit: AuditStack) -> None:
    first = audit.decide(article(7, disclaimer=False), DAY_ONE, "inbound/menafn/a.txt")
    second = audit.decide(article(7), DAY_ONE + timedelta(hours=2), "inbound/menafn/b.txt")
    article_id = first["article"]["id"]
    assert second["article"]["id"] == article_id
    status, body = audit.get(f"/v1/audit/articles/{article_id}")
    assert status == 200
    assert [d["outcome"] for d in body["decisions"]] == ["held", "cleared"]
    assert {c["kind"] for c in body["decisions"][1]["copies"]} == {"json", "html", "text"}


def test_unknown_article_is_404_and_hostile_id_is_400(audit: AuditStack) -> None:
    status, body = audit.get("/v1/audit/articles/nothing-here")
    assert (status, body["error"]["code"]) == (404, "article.not-found")
    status, body = audit.get("/v1/audit/articles/..%2F..%2Fetc")
    assert (status, body["error"]["code"]) == (400, "article.invalid")


def test_unknown_route_is_a_json_404(audit: AuditStack) -> None:
    status, body = audit.get("/v1/nothing")
    assert (status, body["error"]["code"]) == (404, "route.not-found")
