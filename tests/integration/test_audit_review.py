"""Audit review API: filtered, paginated, newest-first decisions, and every decision per article."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from clearance.handlers import audit_review
from tests.conftest import PROJECT, lambda_context
from tests.integration.harness import DAY_ONE, Harness, article


def seeded(audit: Harness) -> list[dict[str, Any]]:
    """Six decisions over three days: a cleared and a held MENAFN article each day."""
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


def test_list_is_newest_first_across_days(audit: Harness) -> None:
    records = seeded(audit)
    status, body = audit.get_audit("/v1/audit")
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
    audit: Harness, params: dict[str, str], expected: set[tuple[str, str]]
) -> None:
    seeded(audit)
    status, body = audit.get_audit("/v1/audit", **params)
    assert status == 200
    assert {(d["provider"], d["outcome"]) for d in body["decisions"]} == expected
    assert len(body["decisions"]) == (3 if expected else 0)
    assert body["filters"] == params


def test_date_filter_reads_only_records_in_range(audit: Harness) -> None:
    seeded(audit)
    audit.calls.clear()
    status, body = audit.get_audit("/v1/audit", **{"from": "2026-11-21", "to": "2026-11-21"})
    assert status == 200
    assert {d["decided_at"][:10] for d in body["decisions"]} == {"2026-11-21"}
    assert len(body["decisions"]) == 2
    assert audit.calls["GetObject"] == 2


def test_time_bounds_inside_a_day_are_exact(audit: Harness) -> None:
    seeded(audit)
    status, body = audit.get_audit(
        "/v1/audit", **{"from": "2026-11-21T09:30:00Z", "to": "2026-11-22T09:30:00Z"}
    )
    assert status == 200
    assert [d["decided_at"] for d in body["decisions"]] == [
        "2026-11-22T09:00:00+00:00",
        "2026-11-21T10:00:00+00:00",
    ]


def test_pagination_visits_every_decision_once(audit: Harness) -> None:
    records = seeded(audit)
    seen: list[str] = []
    params = {"limit": "4"}
    for _ in range(5):
        status, body = audit.get_audit("/v1/audit", **params)
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
    audit: Harness, params: dict[str, str], parameter: str
) -> None:
    status, body = audit.get_audit("/v1/audit", **params)
    assert status == 400
    assert body["error"]["parameter"] == parameter
    assert parameter in body["error"]["message"]


@pytest.mark.parametrize("route", ["/v1/audit/kills", "/v1/audit/verification"])
def test_a_period_route_refuses_a_filter_it_does_not_take_and_says_what_it_does(
    audit: Harness, route: str
) -> None:
    status, body = audit.get_audit(route, provider="menafn")
    assert status == 400
    assert body["error"]["code"] == "query.invalid"
    assert body["error"]["parameter"] == "provider"
    assert body["error"]["message"] == "unknown parameter 'provider'; use from, to"


def test_article_endpoint_returns_every_decision_with_copies(audit: Harness) -> None:
    first = audit.decide(article(7, disclaimer=False), DAY_ONE, "inbound/menafn/a.txt")
    second = audit.decide(article(7), DAY_ONE + timedelta(hours=2), "inbound/menafn/b.txt")
    article_id = first["article"]["id"]
    assert second["article"]["id"] == article_id
    status, body = audit.get_audit(f"/v1/audit/articles/{article_id}")
    assert status == 200
    assert [d["outcome"] for d in body["decisions"]] == ["held", "cleared"]
    assert {c["kind"] for c in body["decisions"][1]["copies"]} == {"json", "html", "text"}


def test_unknown_article_is_404_and_hostile_id_is_400(audit: Harness) -> None:
    status, body = audit.get_audit("/v1/audit/articles/nothing-here")
    assert (status, body["error"]["code"]) == (404, "article.not-found")
    status, body = audit.get_audit("/v1/audit/articles/..%2F..%2Fetc")
    assert (status, body["error"]["code"]) == (400, "article.invalid")


def test_unknown_route_is_a_json_404(audit: Harness) -> None:
    status, body = audit.get_audit("/v1/nothing")
    assert (status, body["error"]["code"]) == (404, "route.not-found")


def test_sample_event_lists_held_menafn_decisions(audit: Harness) -> None:
    # Given the sample IAM-signed review request and a seeded log
    seeded(audit)
    event = json.loads((PROJECT / "events" / "audit_review_list.json").read_text())
    # When it reaches the function
    response = audit_review.handler(
        event, lambda_context("AuditReviewFunction"), reading=audit.reading
    )
    # Then it answers with the held MENAFN decisions and the filters it applied
    body = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert {(d["provider"], d["outcome"]) for d in body["decisions"]} == {("menafn", "held")}
    assert body["filters"] == {"provider": "menafn", "outcome": "held"}
