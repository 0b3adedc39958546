"""The lifecycle and review functions answer their sample events, over the in-memory fakes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from clearance.handlers import lifecycle as lifecycle_handler
from clearance.handlers import review as review_handler
from clearance.services.lifecycle import Lifecycle
from clearance.services.review import Reviews
from clearance.terms.policy import PolicySet
from tests.conftest import PROJECT, lambda_context
from tests.fakes import FakeCloud

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def lifecycle(policies: PolicySet) -> Lifecycle:
    cloud = FakeCloud()
    return cloud.lifecycle(cloud.articles(policies), lambda: NOW)


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((PROJECT / "events" / name).read_text())
    return event


def test_the_scheduled_sweep_answers_with_what_it_fired(lifecycle: Lifecycle) -> None:
    # Given nothing due / When the minute's schedule fires
    response = lifecycle_handler.handler(
        sample("lifecycle_schedule.json"), lambda_context("LifecycleFunction"), lifecycle=lifecycle
    )
    # Then the function answers that it fired nothing
    assert response == {"articles": 0, "timers": 0}


def test_the_review_list_sample_is_answered_with_json(lifecycle: Lifecycle) -> None:
    # Given nothing held / When a reviewer lists the held versions
    response = review_handler.handler(
        sample("review_list.json"), lambda_context("ReviewFunction"), reviews=Reviews(lifecycle)
    )
    # Then the answer is an empty list, as JSON
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"held": [], "next": None}


def test_a_verdict_without_a_caller_identity_is_refused(lifecycle: Lifecycle) -> None:
    # Given a verdict whose request carries no IAM identity
    event = sample("review_list.json")
    event.update(
        httpMethod="POST", path="/v1/review/articles/abc", resource="/v1/review/articles/{id}"
    )
    event["requestContext"]["identity"] = {"sourceIp": "203.0.113.20"}
    event["body"] = json.dumps({"version": "1", "verdict": "approve", "reason": "x"})
    # When it reaches the function
    response = review_handler.handler(
        event, lambda_context("ReviewFunction"), reviews=Reviews(lifecycle)
    )
    # Then it is refused as unauthenticated: a verdict is always someone's
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "caller.unknown"


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ("[]", "body"),
        ('{"version": "1", "verdict": "maybe", "reason": "x"}', "verdict"),
        ('{"version": "1", "verdict": "approve", "reason": ""}', "reason"),
        ('{"version": "1", "verdict": "approve", "reason": "x", "reviewer": "me"}', "reviewer"),
    ],
)
def test_a_malformed_verdict_is_a_400_naming_the_field(
    lifecycle: Lifecycle, body: str, parameter: str
) -> None:
    # Given a verdict with a malformed body
    event = sample("review_list.json")
    event.update(
        httpMethod="POST", path="/v1/review/articles/abc", resource="/v1/review/articles/{id}"
    )
    event["body"] = body
    # When it reaches the function
    response = review_handler.handler(
        event, lambda_context("ReviewFunction"), reviews=Reviews(lifecycle)
    )
    # Then it is a 400 naming the field
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["parameter"] == parameter


def test_a_verdict_on_an_unknown_article_is_a_404(lifecycle: Lifecycle) -> None:
    # Given a verdict on an article nobody delivered
    event = sample("review_list.json")
    event.update(
        httpMethod="POST", path="/v1/review/articles/abc", resource="/v1/review/articles/{id}"
    )
    event["body"] = json.dumps({"version": "1", "verdict": "reject", "reason": "no"})
    # When it reaches the function
    response = review_handler.handler(
        event, lambda_context("ReviewFunction"), reviews=Reviews(lifecycle)
    )
    # Then it is a 404 saying so
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "article.not-found"
