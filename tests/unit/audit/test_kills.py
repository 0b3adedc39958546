"""Kill duty read back from audit records: when each kill came, when its copies went, and the
verdict against its deadline."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from clearance.audit.kills import KillVerdict, is_kill, is_kill_deadline, kill_statuses
from clearance.contracts.schemas import validator_for

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DEADLINE = RECEIVED + timedelta(hours=1)
BEFORE = RECEIVED + timedelta(minutes=30)
AFTER = DEADLINE + timedelta(minutes=30)
COPIES = ("v1-aaaa.json", "v1-aaaa.html", "v1-aaaa.txt")


def prefix(article_id: str) -> str:
    return f"cleared/dpa/{article_id}/"


def removed(article_id: str, at: datetime, *names: str) -> list[dict[str, Any]]:
    return [
        {
            "bucket": "cleared-b",
            "key": prefix(article_id) + name,
            "version_id": None,
            "sha256": hashlib.sha256(name.encode()).hexdigest(),
            "removed_at": at.isoformat(),
        }
        for name in names
    ]


def audit_record(
    article_id: str, decided_at: datetime, outcome: str, event: dict[str, str], **extra: Any
) -> dict[str, Any]:
    """An audit record as the lifecycle writes it, checked against the audit-record schema."""
    digest = hashlib.sha256(f"{article_id}{decided_at}{event}".encode()).hexdigest()
    value: dict[str, Any] = {
        "record_version": 2,
        "decision_id": f"{digest}-{'b' * 12}",
        "decided_at": decided_at.isoformat(),
        "request_id": f"req-{article_id}",
        "source": {
            "bucket": "inbound-b",
            "key": f"inbound/dpa/{article_id}.json",
            "version_id": None,
            "sha256": digest,
            "bytes": 512,
        },
        "provider": "dpa",
        "article": {
            "uri": f"urn:newsml:dpa.com:{article_id}",
            "version": "1",
            "id": article_id,
            "headline": "Bahn kündigt Nachtzüge an",
        },
        "policy": None,
        "outcome": outcome,
        "findings": [],
        "copies": [],
        "withdrawn_prefix": None,
        "event": event,
        **extra,
    }
    assert list(validator_for("audit-record.schema.json").iter_errors(value)) == []
    return value


def kill(
    article_id: str,
    *,
    at: datetime = RECEIVED,
    deadline: datetime | None = DEADLINE,
    gone: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    extra: dict[str, Any] = {"deadline": deadline.isoformat()} if deadline else {}
    return audit_record(
        article_id,
        at,
        "withdrawn",
        {"kind": "kill", "by": "api:editor", "reason": "kill"},
        withdrawn_prefix=prefix(article_id),
        removed=removed(article_id, BEFORE, *COPIES) if gone is None else gone,
        findings=[
            {
                "rule_id": "article.withdrawn",
                "pointer": "/pub_status",
                "severity": "info",
                "message": "dpa withdrew this article: every cleared copy is removed",
            }
        ],
        **extra,
    )


def at_deadline(article_id: str, *, overdue: bool, gone: list[dict[str, Any]]) -> dict[str, Any]:
    rule, severity = ("kill.overdue", "critical") if overdue else ("kill.complete", "info")
    extra = {"removed": gone} if gone else {}
    return audit_record(
        article_id,
        DEADLINE,
        "withdrawn",
        {"kind": "timer", "timer": "kill-deadline", "by": "schedule", "reason": "kill"},
        deadline=DEADLINE.isoformat(),
        findings=[{"rule_id": rule, "pointer": "", "severity": severity, "message": rule}],
        **extra,
    )


def test_copies_removed_before_the_deadline_make_a_complete_kill() -> None:
    # Given a kill that removed three copies within the hour, and the sweep finding none left
    records = [kill("a1"), at_deadline("a1", overdue=False, gone=[])]
    # When the kill is judged after its deadline
    [status] = kill_statuses(records, AFTER)
    # Then it is complete, finished when the last copy went, with each copy named once
    assert status.verdict is KillVerdict.COMPLETE
    assert (status.provider, status.article_id) == ("dpa", "a1")
    assert status.uri == "urn:newsml:dpa.com:a1"
    assert (status.received, status.deadline, status.completed) == (RECEIVED, DEADLINE, BEFORE)
    assert status.removed == tuple(prefix("a1") + name for name in COPIES)
    assert status.remaining == ()


def test_a_kill_with_nothing_to_remove_is_complete_when_it_is_received() -> None:
    # Given a kill of an article that had no cleared copy
    [status] = kill_statuses([kill("a2", gone=[])], BEFORE)
    # Then it was complete the moment the kill arrived
    assert status.verdict is KillVerdict.COMPLETE
    assert status.completed == RECEIVED
    assert status.removed == ()


def test_a_kill_without_a_deadline_is_complete_once_no_copy_remains() -> None:
    # Given a provider whose policy sets no `within_hours`
    [status] = kill_statuses([kill("a3", deadline=None)], AFTER + timedelta(days=30))
    # Then the kill has no deadline and, its copies gone, is complete
    assert status.deadline is None
    assert status.verdict is KillVerdict.COMPLETE
    assert status.completed == BEFORE


def test_a_copy_removed_after_the_deadline_makes_the_kill_overdue() -> None:
    # Given a kill that removed two copies in time and a third only after the deadline
    late = DEADLINE + timedelta(minutes=1)
    gone = removed("a4", BEFORE, *COPIES[:2]) + removed("a4", late, COPIES[2])
    # When it is judged, with nothing left now
    [status] = kill_statuses([kill("a4", gone=gone)], AFTER)
    # Then it is overdue, completed when the late copy went
    assert status.verdict is KillVerdict.OVERDUE
    assert status.completed == late
    assert len(status.removed) == 3


def test_a_deadline_record_saying_overdue_makes_the_kill_overdue() -> None:
    # Given a kill that removed nothing and a sweep that found a copy at the deadline
    records = [
        kill("a5", gone=[]),
        at_deadline("a5", overdue=True, gone=removed("a5", DEADLINE, COPIES[0])),
    ]
    # When it is judged later, the copy long gone
    [status] = kill_statuses(records, AFTER)
    # Then the sweep's finding stands: overdue, and the copy it removed is counted
    assert status.verdict is KillVerdict.OVERDUE
    assert status.removed == (prefix("a5") + COPIES[0],)
    assert status.completed == DEADLINE


def test_a_copy_still_present_after_the_deadline_makes_the_kill_overdue() -> None:
    # Given a kill whose article still has a copy under its prefix
    left = (prefix("a6") + "v2-bbbb.json",)
    # When it is judged after the deadline
    [status] = kill_statuses([kill("a6")], AFTER, {"a6": left})
    # Then it is overdue, not completed, and the copy is named
    assert status.verdict is KillVerdict.OVERDUE
    assert status.completed is None
    assert status.remaining == left


def test_a_copy_still_present_before_the_deadline_leaves_the_kill_incomplete() -> None:
    # Given the same remaining copy, judged while the deadline has not yet come
    left = [prefix("a7") + "v2-bbbb.json"]
    [status] = kill_statuses([kill("a7")], BEFORE, {"a7": left})
    # Then the kill is incomplete, not yet overdue
    assert status.verdict is KillVerdict.INCOMPLETE
    assert status.completed is None


def test_a_copy_still_present_with_no_deadline_leaves_the_kill_incomplete() -> None:
    # Given no deadline and a copy that remains however late it is judged
    left = [prefix("a8") + "v2-bbbb.json"]
    [status] = kill_statuses([kill("a8", deadline=None)], AFTER + timedelta(days=30), {"a8": left})
    # Then the kill is incomplete, never overdue
    assert status.verdict is KillVerdict.INCOMPLETE


def test_one_status_per_killed_article_oldest_kill_first_other_records_ignored() -> None:
    # Given two kills, one recorded twice, an expiry and a delivery's record
    later = kill("b1", at=RECEIVED + timedelta(minutes=5))
    records = [
        later,
        at_deadline("b2", overdue=False, gone=[]),
        kill("b2"),
        kill("b2"),
        audit_record("b3", RECEIVED, "withdrawn", {"kind": "timer", "timer": "expiry"}),
        audit_record("b4", RECEIVED, "cleared", {"kind": "delivery"}),
    ]
    # When they are judged together
    statuses = kill_statuses(records, AFTER, {"b9": ["cleared/dpa/b9/v1.json"]})
    # Then there is one status per killed article, the oldest kill first
    assert [s.article_id for s in statuses] == ["b2", "b1"]
    assert [is_kill(r) for r in records] == [True, False, True, True, False, False]
    assert [is_kill_deadline(r) for r in records] == [False, True, False, False, False, False]


def test_a_status_reads_as_plain_json() -> None:
    # Given an overdue kill with a copy left
    [status] = kill_statuses([kill("c1")], AFTER, {"c1": [prefix("c1") + "v1.json"]})
    # Then its JSON form carries every field, times as ISO 8601
    assert json.loads(json.dumps(status.to_dict())) == {
        "provider": "dpa",
        "article": "c1",
        "uri": "urn:newsml:dpa.com:c1",
        "received": RECEIVED.isoformat(),
        "deadline": DEADLINE.isoformat(),
        "completed": None,
        "removed": 3,
        "removed_keys": [prefix("c1") + name for name in COPIES],
        "remaining": [prefix("c1") + "v1.json"],
        "verdict": "overdue",
    }
