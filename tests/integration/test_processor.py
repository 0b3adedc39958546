"""S3 inbound -> SQS -> ProcessorFunction, against moto: decisions, copies, audit, exactly once."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

import pytest
from botocore.exceptions import EndpointConnectionError
from jsonschema import Draft202012Validator

from clearance.aws.bus import Bus
from clearance.aws.statestore import state_of
from clearance.contracts.schemas import load_schema
from clearance.decide.engine import MAX_INPUT_BYTES
from clearance.decide.licensee import Licensee
from clearance.lifecycle.replay import replay
from clearance.local.dispatcher import sqs_event
from clearance.local.resources import MAX_RECEIVE_COUNT
from clearance.terms.policy import PolicySet
from tests.conftest import DEMO_ARTICLES, PROJECT
from tests.integration.harness import NAMES, OUTPUTS, Harness, article

EVENTS = PROJECT / "events"

MENAFN = (DEMO_ARTICLES / "menafn-ports.txt").read_bytes()


@pytest.fixture
def stack(harness: Harness) -> Harness:
    """The whole stack in moto, and a processor wired to it."""
    harness.stack().wire()
    harness.drain()  # S3 sends an s3:TestEvent when the notification is configured
    return harness


def state(stack: Harness) -> dict[str, dict[str, bytes]]:
    """Every object in every output bucket, by role."""
    return {role: stack.objects(role) for role in OUTPUTS}


def audit_records(stack: Harness) -> list[dict[str, Any]]:
    return stack.records()


def test_dropped_menafn_file_is_cleared_with_copies_and_one_audit_record(stack: Harness) -> None:
    # Given the MENAFN article dropped into the provider's inbound folder
    stack.drop("inbound/menafn/2026/11/23/menafn-ports.txt", MENAFN)
    # When the queue is processed
    stack.drain()
    # Then JSON, HTML and text copies are in the cleared bucket, carrying the disclaimer
    cleared = stack.objects("cleared")
    assert sorted(key.rsplit(".", 1)[1] for key in cleared) == ["html", "json", "txt"]
    assert all(key.startswith("cleared/menafn/") for key in cleared)
    text = next(data for key, data in cleared.items() if key.endswith(".txt")).decode()
    assert "Legal Disclaimer:\nMENAFN provides the information" in text
    # And one audit record, valid against its schema, names every copy with its hash
    [record] = audit_records(stack)
    validator = Draft202012Validator(load_schema("audit-record.schema.json"))
    assert list(validator.iter_errors(record)) == []
    assert record["outcome"] == "cleared"
    assert record["provider"] == "menafn"
    assert record["source"]["sha256"] == hashlib.sha256(MENAFN).hexdigest()
    assert record["policy"]["id"] == "menafn"
    assert {copy["key"]: copy["sha256"] for copy in record["copies"]} == {
        key: hashlib.sha256(data).hexdigest() for key, data in cleared.items()
    }
    audit = stack.objects("audit")
    terms_key = f"audit/policies/menafn/{record['policy']['sha256']}.json"
    assert sorted(audit) == [
        f"audit/articles/{record['article']['id']}/{record['decision_id']}-cleared.json",
        f"audit/decisions/dt={record['decided_at'][:10]}/menafn/cleared/{record['decision_id']}.json",
        terms_key,
    ]
    # The exact terms text the decision names is kept beside the log
    assert hashlib.sha256(audit[terms_key]).hexdigest() == record["policy"]["sha256"]
    assert stack.objects("quarantine") == {}


def test_file_straight_under_inbound_is_recognised_from_policy_data(stack: Harness) -> None:
    stack.drop("inbound/menafn-ports.txt", MENAFN)
    stack.drain()
    [record] = audit_records(stack)
    assert (record["provider"], record["outcome"]) == ("menafn", "cleared")


@pytest.mark.parametrize(
    "key",
    [
        "inbound/menafn/Gulf ports + trade.txt",
        "inbound/menafn/caf\u00e9 d\u00e9j\u00e0 vu.txt",
        "inbound/menafn/100%.txt",
    ],
)
def test_url_encoded_keys_are_decoded(stack: Harness, key: str) -> None:
    stack.drop(key, MENAFN)
    stack.drain()
    [record] = audit_records(stack)
    assert record["source"]["key"] == key
    assert record["outcome"] == "cleared"


def test_broken_file_is_quarantined_with_its_findings_and_audited(stack: Harness) -> None:
    broken = (DEMO_ARTICLES / "broken-truncated.json").read_bytes()
    stack.drop("inbound/dpa/broken.json", broken)
    stack.drain()
    quarantine = stack.objects("quarantine")
    inputs = [data for key, data in quarantine.items() if not key.endswith(".findings.json")]
    assert inputs == [broken]
    [findings] = [
        json.loads(data) for key, data in quarantine.items() if key.endswith(".findings.json")
    ]
    assert findings["outcome"] == "rejected"
    assert findings["findings"][0]["rule_id"] == "input.syntax"
    [record] = audit_records(stack)
    assert record["outcome"] == "rejected"
    assert {copy["kind"] for copy in record["copies"]} == {"input", "findings"}
    assert stack.objects("cleared") == {}


@pytest.mark.reliability
@pytest.mark.parametrize("checksum", [True, False], ids=["with-s3-checksum", "without"])
def test_drop_over_the_input_limit_is_quarantined_by_copy_unread_and_rejected_on_record(
    stack: Harness, checksum: bool
) -> None:
    # Given a drop one byte over the limit the engine reads, with or without an S3 checksum
    big = b"x" * (MAX_INPUT_BYTES + 1)
    extra: dict[str, Any] = {"ChecksumAlgorithm": "SHA256"} if checksum else {}
    stack.s3.put_object(
        Bucket=NAMES.bucket("inbound"), Key="inbound/menafn/huge.txt", Body=big, **extra
    )
    whole_reads: list[str] = []

    def count_reads(params: dict[str, Any], **_: Any) -> None:
        if params["Bucket"] == NAMES.bucket("inbound"):
            whole_reads.append(params["Key"])

    stack.s3.meta.events.register("provide-client-params.s3.GetObject", count_reads)
    # When the processor takes its event
    stack.drain()
    # Then the input is in quarantine with the same bytes, beside its findings
    quarantine = stack.objects("quarantine")
    digest = hashlib.sha256(big).hexdigest()
    [input_key] = [key for key in quarantine if not key.endswith(".findings.json")]
    assert input_key.endswith(f"/{digest}.txt")
    assert quarantine[input_key] == big
    [findings] = [json.loads(v) for k, v in quarantine.items() if k.endswith(".findings.json")]
    assert [f["rule_id"] for f in findings["findings"]] == ["input.size"]
    # And the audit record rejects it for its size, naming its bytes and hash
    [record] = audit_records(stack)
    assert record["outcome"] == "rejected"
    assert [f["rule_id"] for f in record["findings"]] == ["input.size"]
    assert (record["source"]["bytes"], record["source"]["sha256"]) == (len(big), digest)
    assert {copy["kind"] for copy in record["copies"]} == {"input", "findings"}
    # And it was never read whole: one GET whose body is left unread once its length is known,
    # and without S3's checksum a second, hashed in 1 MiB chunks (the flat-memory test below
    # and the bench `bench/largedrop.py` measure the memory)
    huge = "inbound/menafn/huge.txt"
    assert whole_reads == ([huge] if checksum else [huge, huge])
    assert stack.objects("cleared") == {}


LARGE_DROP_MB = 64


def measured(pattern: str, printed: str) -> str:
    found = re.search(pattern, printed)
    assert found, (pattern, printed)
    return found[1]


@pytest.mark.reliability
def test_a_large_drop_is_decided_in_flat_memory(figure: Callable[[str], None]) -> None:
    # Given a 64 MB drop uploaded in parts to a moto server in another process, so that only
    # the processor's own allocations are traced (`bench/largedrop.py`)
    bench = subprocess.run(
        [sys.executable, str(PROJECT / "bench" / "largedrop.py"), "--mb", str(LARGE_DROP_MB)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    # When the processor decides it / Then it is rejected for its size, quarantined whole by copy
    out = bench.stdout
    assert f"drop: {LARGE_DROP_MB} MB, decided rejected (input.size)" in out
    assert f"quarantined copy {LARGE_DROP_MB} MB" in out
    # And the processor's memory stays flat: a few MB, not the drop's size
    peak = float(measured(r"processor peak traced memory: ([\d.]+) MB", out))
    whole = float(measured(r"reading it whole instead: peak traced memory ([\d.]+) MB", out))
    assert peak < 8
    assert whole >= LARGE_DROP_MB
    seconds = measured(r"in ([\d.]+) s;", out)
    figure(
        f"a {LARGE_DROP_MB} MB drop: rejected for its size and quarantined by copy in {seconds} s;"
        f" processor peak traced memory {peak:.1f} MB (reading it whole: {whole:.0f} MB)"
    )


@pytest.mark.reliability
def test_same_event_delivered_fifty_times_gives_one_set_of_copies_and_one_decision(
    stack: Harness,
) -> None:
    # Given one S3 event, captured from the queue
    stack.drop("inbound/menafn/menafn-ports.txt", MENAFN)
    [message] = stack.sqs.receive_message(QueueUrl=stack.queues.url)["Messages"]
    stack.sqs.delete_message(QueueUrl=stack.queues.url, ReceiptHandle=message["ReceiptHandle"])
    # When it is delivered fifty times
    for _ in range(50):
        stack.sqs.send_message(QueueUrl=stack.queues.url, MessageBody=message["Body"])
    stack.drain(rounds=40)
    # Then there is one set of copies, each written once, and one decision
    assert len(stack.objects("cleared")) == 3
    assert stack.versions("cleared") == 3
    assert len(audit_records(stack)) == 1
    # the decision record, its article pointer and the terms text it names, each written once
    assert stack.versions("audit") == 3


@pytest.mark.reliability
def test_poison_message_fails_alone_and_ends_in_the_dead_letter_queue(stack: Harness) -> None:
    # Given a batch with one message that is not an S3 event, and one good delivery
    stack.sqs.send_message(QueueUrl=stack.queues.url, MessageBody="{not json")
    stack.drop("inbound/menafn/menafn-ports.txt", MENAFN)
    # When the queue is processed until empty
    stack.drain(rounds=MAX_RECEIVE_COUNT + 5)
    # Then the good article is decided, and the poison message rests in the dead-letter queue
    assert [r["outcome"] for r in audit_records(stack)] == ["cleared"]
    assert stack.dead_letters() == ["{not json"]


def test_withdrawal_removes_cleared_copies_leaves_a_tombstone_and_blocks_redelivery(
    stack: Harness,
) -> None:
    article = json.loads((DEMO_ARTICLES / "ntb-kill.json").read_bytes())
    usable = json.dumps({**article, "pubstatus": "usable", "version": "1"}).encode()
    stack.drop("inbound/ntb/v1.json", usable)
    stack.drain()
    assert len(stack.objects("cleared")) == 3
    # When the provider cancels the article
    stack.drop("inbound/ntb/kill.json", json.dumps(article).encode())
    stack.drain()
    # Then its cleared copies are gone and a tombstone remains
    cleared = stack.objects("cleared")
    assert [key for key in cleared if key.startswith("cleared/")] == []
    [tombstone] = [
        json.loads(data) for key, data in cleared.items() if key.startswith("tombstones/ntb/")
    ]
    assert tombstone["uri"] == article["uri"]
    outcomes = sorted(r["outcome"] for r in audit_records(stack))
    assert outcomes == ["cleared", "withdrawn"]
    # And a late redelivery of the usable version is not republished
    stack.drop("inbound/ntb/v1-again.json", usable + b"\n")
    stack.drain()
    assert [key for key in stack.objects("cleared") if key.startswith("cleared/")] == []
    late = [r for r in audit_records(stack) if r["outcome"] == "rejected"]
    assert [f["rule_id"] for f in late[0]["findings"]] == ["article.killed"]


def test_test_event_is_ignored(stack: Harness) -> None:
    event = json.loads((EVENTS / "processor_s3_test_event.json").read_text())
    assert stack.handle(event) == {"batchItemFailures": []}
    assert state(stack) == {"cleared": {}, "quarantine": {}, "audit": {}}


@pytest.mark.parametrize(
    ("event_file", "article", "outcome"),
    [
        ("processor_menafn_sqs.json", "menafn-ports.txt", "cleared"),
        ("processor_ninjs_sqs.json", "conversation-city-trees.json", "cleared"),
        ("processor_cancel_sqs.json", "ntb-kill.json", "withdrawn"),
    ],
)
def test_sample_events_are_decided(
    stack: Harness, event_file: str, article: str, outcome: str
) -> None:
    # Given a sample SQS event and the inbound object it names (its key arrives URL-encoded)
    event = json.loads((EVENTS / event_file).read_text())
    s3_record = json.loads(event["Records"][0]["body"])["Records"][0]["s3"]
    key = unquote_plus(s3_record["object"]["key"])
    stack.s3.put_object(
        Bucket=s3_record["bucket"]["name"], Key=key, Body=(DEMO_ARTICLES / article).read_bytes()
    )
    stack.sqs.purge_queue(QueueUrl=stack.queues.url)  # only the sample event will name it
    # When the sample event is handed to the processor
    response = stack.handle(event)
    # Then it succeeds and the decision for that key is recorded with the event's request id
    assert response == {"batchItemFailures": []}
    records = [r for r in audit_records(stack) if r["source"]["key"] == key]
    assert {r["outcome"] for r in records} == {outcome}
    assert json.loads(event["Records"][0]["body"])["Records"][0]["responseElements"][
        "x-amz-request-id"
    ] in {r["request_id"] for r in records}


DPA_MESSAGE = (DEMO_ARTICLES / "dpa-message.xml").read_bytes()
MESSAGE_KEY = "inbound/dpa/2026/12/01/dpa-message.xml"


def test_a_message_of_several_items_is_decided_item_by_item_exactly_once(
    stack: Harness, policies: PolicySet
) -> None:
    # Given dpa's NewsML-G2 message: a story, a story under embargo, and a package
    stack.drop(MESSAGE_KEY, DPA_MESSAGE)
    # When the queue is processed
    stack.drain()
    # Then each item has its own decision, recorded against its place in the delivery
    records = {r["source"]["item"]: r for r in audit_records(stack)}
    assert sorted(records) == [0, 1, 2]
    assert [records[n]["outcome"] for n in range(3)] == ["cleared", "held", "rejected"]
    assert [f["rule_id"] for f in records[2]["findings"]] == ["input.item-class"]
    assert {r["source"]["key"] for r in records.values()} == {MESSAGE_KEY}
    assert len({r["source"]["sha256"] for r in records.values()}) == 3
    # And only the cleared story is published, under its own article
    cleared = [key for key in stack.objects("cleared") if key.endswith(".json")]
    assert len(cleared) == 1
    assert "/261201-99-000101-" in cleared[0]
    # When the same object is delivered again
    before = state(stack)
    stack.drop(MESSAGE_KEY, DPA_MESSAGE)
    stack.drain()
    # Then nothing is decided or written twice
    assert state(stack) == before


def test_an_item_of_a_message_replays_from_the_stored_delivery(
    stack: Harness, policies: PolicySet
) -> None:
    # Given the message decided, and the record of its second item
    stack.drop(MESSAGE_KEY, DPA_MESSAGE)
    stack.drain()
    (record,) = [r for r in audit_records(stack) if r["source"]["item"] == 1]
    stored = stack.s3.get_object(Bucket=NAMES.bucket("inbound"), Key=MESSAGE_KEY)["Body"].read()
    policy = policies.by_sha256(record["policy"]["sha256"])
    assert policy is not None
    # When it is replayed from the stored bytes
    replayed = replay(record, stored, policy, Licensee())
    # Then the same item is decided again, identically
    assert replayed.identical, replayed.differences
    assert replayed.decision.input_sha256 == record["source"]["sha256"]


def batch_of(stack: Harness, count: int) -> dict[str, Any]:
    """The SQS event of one invocation carrying the next `count` messages of the queue."""
    messages: list[Any] = []
    while len(messages) < count:
        response = stack.sqs.receive_message(
            QueueUrl=stack.queues.url, MaxNumberOfMessages=count - len(messages)
        )
        messages += response.get("Messages", [])
    arn = stack.sqs.get_queue_attributes(QueueUrl=stack.queues.url, AttributeNames=["QueueArn"])
    return sqs_event(messages, arn["Attributes"]["QueueArn"], NAMES.region)


def put_events_of(stack: Harness, *, refuse: bool = False) -> list[int]:
    """The number of entries of each PutEvents the wired processor's bus sends; `refuse`:
    EventBridge answers each with a 500."""
    bus = stack.articles.bus
    assert isinstance(bus, Bus)
    sizes: list[int] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        sizes.append(len(params["Entries"]))

    def unavailable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://events.us-east-1.amazonaws.com")

    bus.client.meta.events.register("provide-client-params.events.PutEvents", count)
    if refuse:
        bus.client.meta.events.register("before-send.events.PutEvents", unavailable)
    return sizes


def test_a_batch_of_ten_deliveries_sends_their_ten_events_in_one_request(stack: Harness) -> None:
    # Given ten articles dropped, their S3 events on the queue
    for n in range(10):
        stack.drop(f"inbound/menafn/batch-{n}.txt", article(n))
    event = batch_of(stack, 10)
    sizes = put_events_of(stack)
    # When one invocation takes the ten messages
    response = stack.handle(event)
    # Then every one is decided, and the ten events leave in one request, each once
    assert response == {"batchItemFailures": []}
    assert sorted(r["outcome"] for r in audit_records(stack)) == ["cleared"] * 10
    assert sizes == [10]
    announced = [e["detail"]["article_id"] for e in stack.bus_events()]
    assert len(announced) == len(set(announced)) == 10
    # And no article owes anything more
    assert owed_outboxes(stack) == []


def test_events_that_cannot_be_sent_fail_their_messages_and_the_retry_sends_them(
    stack: Harness,
) -> None:
    # Given three articles dropped, and EventBridge unreachable for the first invocation
    for n in range(3):
        stack.drop(f"inbound/menafn/unsent-{n}.txt", article(n))
    event = batch_of(stack, 3)
    put_events_of(stack, refuse=True)
    # When one invocation takes the three messages
    response = stack.handle(event)
    # Then each is decided and committed, but every message fails, its outbox kept
    failed = sorted(item["itemIdentifier"] for item in response["batchItemFailures"])
    assert failed == sorted(record["messageId"] for record in event["Records"])
    assert len(audit_records(stack)) == 3
    assert len(owed_outboxes(stack)) == 3
    assert stack.bus_events() == []
    # When the messages come back, EventBridge answering again
    stack.wire()
    retried = stack.handle(event)
    # Then the three events are sent, nothing is decided twice, and nothing more is owed
    assert retried == {"batchItemFailures": []}
    assert sorted(e["detail-type"] for e in stack.bus_events()) == ["Article Cleared"] * 3
    assert len(audit_records(stack)) == 3
    assert owed_outboxes(stack) == []


def owed_outboxes(stack: Harness) -> list[str]:
    """The articles whose state still owes an outbox."""
    items = stack.dynamodb.scan(TableName=NAMES.state_table)["Items"]
    return [item["pk"]["S"] for item in items if state_of(item).outbox]
