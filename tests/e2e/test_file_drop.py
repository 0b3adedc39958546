"""Files dropped into the inbound bucket: decided like webhook deliveries; failures stay visible."""

from __future__ import annotations

import json

import pytest

from clearance.local.resources import MAX_RECEIVE_COUNT
from clearance.local.stack import LocalStack
from tests.conftest import DEMO_ARTICLES
from tests.e2e.conftest import (
    MENAFN,
    decision_count,
    decisions,
    drop,
    objects,
    settled,
    wait_until,
)

BROKEN = (DEMO_ARTICLES / "broken-truncated.json").read_bytes()


def test_dropped_file_is_cleared_with_copies_and_decided_once(fresh: LocalStack) -> None:
    # Given MENAFN's article dropped into MENAFN's inbound folder
    drop(fresh, "inbound/menafn/2026/11/23/ports.txt", MENAFN)
    # When the dispatcher has handed its S3 event to the processor
    settled(fresh, 1)
    # Then the three cleared copies carry the disclaimer, and there is exactly one decision
    cleared = objects(fresh, "cleared")
    assert sorted(key.rsplit(".", 1)[1] for key in cleared) == ["html", "json", "txt"]
    text = next(data for key, data in cleared.items() if key.endswith(".txt")).decode()
    assert "Legal Disclaimer:\nMENAFN provides the information" in text
    [record] = decisions(fresh)
    assert (record["provider"], record["outcome"]) == ("menafn", "cleared")
    assert record["source"]["key"] == "inbound/menafn/2026/11/23/ports.txt"


@pytest.mark.reliability
def test_same_file_dropped_twice_is_decided_once(fresh: LocalStack) -> None:
    # Given the same file dropped twice, under two names
    drop(fresh, "inbound/menafn/ports.txt", MENAFN)
    drop(fresh, "inbound/menafn/ports-again.txt", MENAFN)
    # When both S3 events have been processed
    settled(fresh, 1)
    wait_until(lambda: fresh.queue_depth() == 0, 10, "both events handled")
    # Then one decision and one set of copies
    assert decision_count(fresh) == 1
    assert len(objects(fresh, "cleared")) == 3


def test_broken_file_is_quarantined_with_its_findings_and_decided(fresh: LocalStack) -> None:
    # Given a truncated JSON file dropped straight into inbound/
    drop(fresh, "inbound/broken-truncated.json", BROKEN)
    # When it has been processed
    settled(fresh, 1)
    # Then the input and its findings are in quarantine, nothing is cleared, and it is audited
    quarantine = objects(fresh, "quarantine")
    inputs = [data for key, data in quarantine.items() if not key.endswith(".findings.json")]
    assert inputs == [BROKEN]
    [findings] = [json.loads(v) for k, v in quarantine.items() if k.endswith(".findings.json")]
    assert findings["outcome"] == "rejected"
    assert findings["findings"][0]["rule_id"] == "input.syntax"
    [record] = decisions(fresh)
    assert record["outcome"] == "rejected"
    assert {copy["kind"] for copy in record["copies"]} == {"input", "findings"}
    assert objects(fresh, "cleared") == {}


def test_message_that_always_fails_ends_in_the_dead_letter_queue(fresh: LocalStack) -> None:
    # Given a message on the queue that is not an S3 event
    fresh.sqs.send_message(QueueUrl=fresh.queues.url, MessageBody="{not an S3 event")
    # When the dispatcher has retried it maxReceiveCount times (one second apart)
    wait_until(
        lambda: fresh.queue_depth(fresh.queues.dead_letter_url) == 1,
        MAX_RECEIVE_COUNT * 3,
        "the message in the dead-letter queue",
    )
    # Then it rests in the dead-letter queue, visible, and the queue itself is empty
    assert fresh.queue_depth() == 0
    [message] = fresh.sqs.receive_message(QueueUrl=fresh.queues.dead_letter_url)["Messages"]
    assert message["Body"] == "{not an S3 event"
    failed = [call for call in fresh.invocations if call.failed]
    assert len(failed) == MAX_RECEIVE_COUNT
