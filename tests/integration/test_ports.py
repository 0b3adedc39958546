"""The services' ports (`clearance.services.ports`), against both their in-memory fakes and the
AWS adapters on moto: the same calls give the same answers, so what the unit layer proves on
the fakes holds of the adapters. And each adapter's requests have the shape AWS acts on: puts
only if none match, the state only over the revision read, events ten to a call."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from clearance.aws.bus import Bus, NotificationError, event_id
from clearance.aws.statestore import StateStore
from clearance.aws.store import Oversized
from clearance.lifecycle.plan import Notification
from clearance.lifecycle.state import ArticleState
from clearance.services.ports import ArticleStates, EventSink, ObjectStore
from tests.fakes import FakeBus, FakeCloud, FakeStateStore, NoSuchKey
from tests.integration.harness import Harness, article

NOON = "2026-11-23T12:00:00+00:00"


@dataclass
class Ports:
    """One backend's stores and sink, and what a test does to them from outside."""

    cleared: ObjectStore
    inbound: ObjectStore
    drop: Callable[[str, bytes], object]
    """A file put into the inbound bucket as a drop puts it: no checksum, no content type."""
    states: ArticleStates
    sink: EventSink
    received: Callable[[], list[dict[str, Any]]]
    """The events a subscriber to the sink got: source, detail-type and detail."""


def on_moto(harness: Harness) -> Ports:
    harness.stack()
    return Ports(
        cleared=harness.bucket("cleared"),
        inbound=harness.inbound,
        drop=harness.drop,
        states=StateStore(harness.dynamodb, harness.names.state_table),
        sink=Bus(harness.eventbridge, harness.names.event_bus),
        received=lambda: [
            {key: event[key] for key in ("source", "detail-type", "detail")}
            for event in harness.bus_events()
        ],
    )


def on_fakes() -> Ports:
    cloud = FakeCloud()
    return Ports(
        cleared=cloud.bucket("cleared"),
        inbound=cloud.inbound,
        drop=cloud.inbound.put,
        states=cloud.states,
        sink=cloud.bus,
        received=cloud.bus.events,
    )


@pytest.fixture(params=["fakes", "moto"])
def ports(request: pytest.FixtureRequest) -> Ports:
    if request.param == "moto":
        return on_moto(request.getfixturevalue("harness"))
    return on_fakes()


def state(article_id: str, revision: int = 1, **fields: Any) -> ArticleState:
    """An article's state as the table stores it, with any member replaced."""
    data: dict[str, Any] = {
        "state_version": 1,
        "provider": "dpa",
        "article_id": article_id,
        "uri": f"urn:newsml:dpa.com:{article_id}",
        "revision": revision,
        "versions": [],
        "kill": None,
        "timers": [],
        "outbox": None,
        **fields,
    }
    return ArticleState.from_dict(data)


def held(version: str, decided_at: str, hold: str = "review") -> dict[str, Any]:
    """A version held (for review, or under embargo), as the state stores it."""
    return {
        "version": version,
        "version_created": None,
        "status": "held",
        "decision_id": f"decision-{version}",
        "decided_at": decided_at,
        "source": {
            "bucket": "inbound",
            "key": f"inbound/dpa/{version}.json",
            "version_id": None,
            "sha256": "0" * 64,
            "bytes": 1,
            "request_id": "req",
        },
        "hold": hold,
    }


# ---- the object store


def test_an_object_is_written_once_and_read_back_with_its_version_and_hash(ports: Ports) -> None:
    # Given an object written through the conditional put
    data = b'{"headline": "Ports"}'
    written = ports.cleared.put_once("cleared/dpa/a.json", data, "application/json")
    assert written is not None
    # When it is written again, with other bytes
    again = ports.cleared.put_once("cleared/dpa/a.json", b"{}", "application/json")
    # Then the second write is refused, and the first is what is read back, by the version
    # the put answered with
    assert again is None
    stored = ports.cleared.get("cleared/dpa/a.json")
    assert stored is not None
    assert (stored.key, stored.data, stored.content_type) == (
        "cleared/dpa/a.json",
        data,
        "application/json",
    )
    digest = hashlib.sha256(data).hexdigest()
    assert ports.cleared.describe("cleared/dpa/a.json") == (stored.version_id, digest)
    assert stored.version_id == written
    assert ports.cleared.get_within("cleared/dpa/a.json", None, 0) == Oversized(len(data), digest)
    assert ports.cleared.get_within("cleared/dpa/a.json", stored.version_id, 0) == Oversized(
        len(data), digest
    )
    assert ports.cleared.sha256("cleared/dpa/a.json") == digest
    # And an object never written is absent to every reader
    assert ports.cleared.get("cleared/dpa/none.json") is None
    assert ports.cleared.describe("cleared/dpa/none.json") is None
    assert ports.cleared.get_within("cleared/dpa/none.json", None, 0) is None


def test_a_delete_takes_an_object_down_keeps_its_version_and_frees_its_key(ports: Ports) -> None:
    # Given an object written, and its version
    ports.cleared.put_once("cleared/dpa/a.json", b"first", "application/json")
    first = ports.cleared.describe("cleared/dpa/a.json")
    assert first is not None
    # When it is deleted
    ports.cleared.delete("cleared/dpa/a.json")
    # Then it is gone to every reader of the current object
    assert ports.cleared.get("cleared/dpa/a.json") is None
    assert ports.cleared.describe("cleared/dpa/a.json") is None
    assert ports.cleared.get_within("cleared/dpa/a.json", None, 0) is None
    assert list(ports.cleared.keys("cleared/")) == []
    # And its version is still read by its id
    kept = ports.cleared.get("cleared/dpa/a.json", first[0])
    assert kept is not None
    assert kept.data == b"first"
    # And the key may be written again, as a new version
    assert ports.cleared.put_once("cleared/dpa/a.json", b"second", "application/json") is not None
    second = ports.cleared.describe("cleared/dpa/a.json")
    assert second is not None
    assert second[0] != first[0]
    # And deleting what is not there is no error
    ports.cleared.delete("cleared/dpa/never.json")


def test_several_objects_come_down_in_one_delete_their_versions_kept(ports: Ports) -> None:
    # Given three copies written, with the versions their puts answered
    names = [f"cleared/dpa/many/v1-{kind}" for kind in ("a.json", "a.html", "a.txt")]
    versions = [ports.cleared.put_once(name, name.encode(), "text/plain") for name in names]
    # When they, and a key never written, are deleted together
    ports.cleared.delete_many([*names, "cleared/dpa/many/never.json"])
    # Then none is current, and each version is still read by its id
    assert list(ports.cleared.keys("cleared/dpa/many/")) == []
    for name, version in zip(names, versions, strict=True):
        kept = ports.cleared.get(name, version)
        assert kept is not None
        assert kept.data == name.encode()


def test_keys_lists_what_is_present_under_a_prefix_in_key_order(ports: Ports) -> None:
    # Given objects under two prefixes, one of them deleted
    for key in ("cleared/dpa/b.txt", "cleared/dpa/a.json", "cleared/ntb/c.txt", "cleared/dpa/d.x"):
        ports.cleared.put_once(key, b"x", "text/plain")
    ports.cleared.delete("cleared/dpa/d.x")
    # When the keys under one prefix are listed / Then they are those present, in key order
    assert list(ports.cleared.keys("cleared/dpa/")) == ["cleared/dpa/a.json", "cleared/dpa/b.txt"]
    assert list(ports.cleared.keys("")) == [
        "cleared/dpa/a.json",
        "cleared/dpa/b.txt",
        "cleared/ntb/c.txt",
    ]


def test_a_drop_without_a_checksum_is_measured_without_one_and_hashed_from_its_bytes(
    ports: Ports,
) -> None:
    # Given a file dropped as a provider drops it: no checksum, no content type
    data = b"Gulf ports report busier third quarter\n"
    ports.drop("inbound/menafn/drop.txt", data)
    # When the processor measures and reads it
    measured = ports.inbound.get_within("inbound/menafn/drop.txt", None, 0)
    stored = ports.inbound.get("inbound/menafn/drop.txt")
    # Then its size is known but not its hash, which is worked out from its bytes
    assert measured == Oversized(len(data), None)
    assert stored is not None
    assert stored.content_type == "binary/octet-stream"
    assert ports.inbound.sha256("inbound/menafn/drop.txt", stored.version_id) == (
        hashlib.sha256(data).hexdigest()
    )


def test_copy_once_copies_another_buckets_object_once_with_a_checksum(ports: Ports) -> None:
    # Given a file in the inbound bucket
    data = b"x" * 1000
    ports.drop("inbound/menafn/huge.txt", data)
    source = ports.inbound.get("inbound/menafn/huge.txt")
    assert source is not None
    # When it is copied across twice, the second time by its version
    target = "quarantine/inbound/huge.txt"
    first = ports.cleared.copy_once(ports.inbound.name, "inbound/menafn/huge.txt", None, target)
    second = ports.cleared.copy_once(
        ports.inbound.name, "inbound/menafn/huge.txt", source.version_id, target
    )
    # Then it is copied once, as bytes S3 keeps a checksum of
    assert first is not None
    assert second is None
    copied = ports.cleared.get(target)
    assert copied is not None
    assert (copied.data, copied.content_type) == (data, "application/octet-stream")
    assert ports.cleared.get_within(target, None, 0) == Oversized(
        len(data), hashlib.sha256(data).hexdigest()
    )
    # And a copy of what is not there fails
    with pytest.raises((ClientError, NoSuchKey)):
        ports.cleared.copy_once(ports.inbound.name, "inbound/menafn/none.txt", None, "q/none")


# ---- the article state store


def test_a_state_is_written_only_over_the_revision_it_was_read_at(ports: Ports) -> None:
    # Given a new article's state written where there was none
    first = state("article-1", revision=1)
    assert ports.states.put(first, 0) is True
    # When it is written again as new, or over a revision that is not the stored one
    as_new = ports.states.put(first, 0)
    stale = ports.states.put(replace(first, revision=2), 5)
    # Then both are refused, and the state read is the one written
    assert (as_new, stale) == (False, False)
    assert ports.states.get("article-1") == first
    # And over the stored revision it is written
    assert ports.states.put(replace(first, revision=2), 1) is True
    found = ports.states.get("article-1")
    assert found is not None
    assert found.revision == 2
    # And an article nobody wrote is absent, and cannot be written over a revision
    assert ports.states.get("article-2") is None
    assert ports.states.put(state("article-2", revision=2), 1) is False


def test_due_finds_the_timers_come_due_and_every_unfinished_outbox(ports: Ports) -> None:
    # Given articles with a timer due before noon, one due after, an unfinished outbox, nothing
    timer = {"kind": "embargo", "version": "1"}
    ports.states.put(state("early", timers=[{**timer, "due": "2026-11-23T10:00:00+00:00"}]), 0)
    ports.states.put(state("late", timers=[{**timer, "due": "2026-11-23T14:00:00+00:00"}]), 0)
    ports.states.put(state("owed", outbox={"records": []}), 0)
    ports.states.put(state("quiet"), 0)
    # When the sweep asks what is due at noon
    due = sorted(ports.states.due(NOON))
    # Then the early timer and the owed outbox are
    assert due == ["early", "owed"]


def test_held_pages_through_the_review_holds_oldest_first(ports: Ports) -> None:
    # Given three articles held for review, one held under embargo and one with nothing held
    for n, hour in enumerate(("11", "09", "10")):
        decided = f"2026-11-23T{hour}:00:00+00:00"
        ports.states.put(state(f"review-{n}", versions=[held("1", decided)]), 0)
    ports.states.put(state("embargo", versions=[held("1", NOON, "embargo")]), 0)
    ports.states.put(state("quiet"), 0)
    # When a reviewer pages through them two at a time
    page, token = ports.states.held(2)
    rest, end = ports.states.held(2, token)
    # Then every review hold comes once, oldest first, and the last page says it is the last
    assert [s.article_id for s in page] == ["review-1", "review-2"]
    assert token is not None
    assert ([s.article_id for s in rest], end) == (["review-0"], None)
    # And a token the store did not issue is refused as one
    for forged in ("not a token", json.dumps({"pk": {"S": "review-1"}})):
        with pytest.raises(ValueError, match=r"."):
            ports.states.held(2, forged)


# ---- the event sink


def test_every_notification_reaches_a_subscriber_with_its_event_id(ports: Ports) -> None:
    # Given twelve changes of what is published, more than one call's worth
    sent = [
        Notification("Article Cleared", {"provider": "dpa", "article_id": f"a-{n}", "copies": []})
        for n in range(12)
    ]
    # When they are published
    ports.sink.publish(sent)
    # Then a subscriber gets each, from clearance, with an id derived from its content
    received = {event["detail"]["article_id"]: event for event in ports.received()}
    assert len(received) == len(sent)
    for n in sent:
        assert received[n.detail["article_id"]] == {
            "source": "clearance",
            "detail-type": n.detail_type,
            "detail": {**n.detail, "event_id": event_id(n)},
        }


# ---- what each adapter asks of AWS, on moto


def test_the_adapters_and_the_fakes_are_the_ports(harness: Harness) -> None:
    # Given each adapter and each fake, typed as the port it stands for (mypy checks the shape)
    harness.stack()
    stores: list[ObjectStore] = [harness.bucket("cleared"), FakeCloud().bucket("cleared")]
    states: list[ArticleStates] = [
        StateStore(harness.dynamodb, harness.names.state_table),
        FakeStateStore(),
    ]
    sinks: list[EventSink] = [Bus(harness.eventbridge, harness.names.event_bus), FakeBus("bus")]
    # Then each has every operation of its port
    for port, implementations in (
        (ObjectStore, stores),
        (ArticleStates, states),
        (EventSink, sinks),
    ):
        operations = [name for name in vars(port) if not name.startswith("_")]
        assert operations
        for implementation in implementations:
            assert all(hasattr(implementation, name) for name in operations), implementation


def captured(harness: Harness, event: str) -> list[dict[str, Any]]:
    """The parameters of every request of a kind that `harness`'s clients make from now on."""
    requests: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        requests.append(dict(params))

    for client in (harness.s3, harness.dynamodb, harness.eventbridge):
        client.meta.events.register(f"provide-client-params.{event}", capture)
    return requests


def test_the_bucket_puts_only_if_none_match_and_copies_with_a_checksum(harness: Harness) -> None:
    # Given the buckets, and the requests the adapter sends
    harness.stack()
    puts = captured(harness, "s3.PutObject")
    copies = captured(harness, "s3.CopyObject")
    cleared = harness.bucket("cleared")
    version = harness.s3.put_object(Bucket=harness.inbound.name, Key="inbound/a.txt", Body=b"a")
    del puts[:]
    # When it writes an object twice, and copies a drop by its version
    assert cleared.put_once("cleared/a.json", b"{}", "application/json") is not None
    assert cleared.put_once("cleared/a.json", b"{}", "application/json") is None
    cleared.copy_once(harness.inbound.name, "inbound/a.txt", version["VersionId"], "q/a")
    # Then every put is conditional (S3 refused the second) and checksummed
    assert [(p["IfNoneMatch"], p["ChecksumAlgorithm"]) for p in puts] == [("*", "SHA256")] * 2
    # And the copy names the version, replaces the metadata and is checksummed
    [copy] = copies
    assert copy["CopySource"] == {
        "Bucket": harness.inbound.name,
        "Key": "inbound/a.txt",
        "VersionId": version["VersionId"],
    }
    assert (copy["MetadataDirective"], copy["ChecksumAlgorithm"]) == ("REPLACE", "SHA256")


def test_the_state_store_puts_on_the_revision_read_with_its_index_keys(harness: Harness) -> None:
    # Given the table, and the requests the adapter sends
    harness.stack()
    puts = captured(harness, "dynamodb.PutItem")
    gets = captured(harness, "dynamodb.GetItem")
    store = StateStore(harness.dynamodb, harness.names.state_table)
    timer = {"kind": "embargo", "version": "1", "due": "2026-11-23T10:00:00+00:00"}
    first = state("article-1", timers=[timer], versions=[held("1", NOON)])
    # When a new state is written, then another over its revision, and read
    store.put(first, 0)
    store.put(replace(first, revision=2, timers=()), 1)
    store.get("article-1")
    # Then the first is written only where no item is, the second only over revision 1
    new, over = puts
    assert new["ConditionExpression"] == "attribute_not_exists(pk)"
    assert "ExpressionAttributeValues" not in new
    assert over["ConditionExpression"] == "revision = :expected"
    assert over["ExpressionAttributeValues"] == {":expected": {"N": "1"}}
    # And each carries its revision, and the keys of the indexes it belongs in
    assert (new["Item"]["revision"], over["Item"]["revision"]) == ({"N": "1"}, {"N": "2"})
    assert new["Item"]["next_due"] == {"S": timer["due"]}
    assert new["Item"]["due_shard"]["S"].startswith("due#")
    assert "next_due" not in over["Item"]
    assert (new["Item"]["held_partition"], new["Item"]["held_since"]) == (
        {"S": "held"},
        {"S": NOON},
    )
    # And the state is read consistently
    assert [g["ConsistentRead"] for g in gets] == [True]


def test_a_deliverys_outbox_is_kept_compressed_beside_its_state_until_it_is_cleared(
    harness: Harness,
) -> None:
    # Given the stack, and the state writes a delivery's processing sends
    harness.stack().wire()
    store = harness.articles.states
    assert isinstance(store, StateStore)
    puts: list[dict[str, Any]] = []
    store.client.meta.events.register(
        "provide-client-params.dynamodb.PutItem", lambda params, **_: puts.append(dict(params))
    )
    key = harness.drop("inbound/menafn/outbox.txt", article(1))
    # When the processor decides it
    (decision,) = harness.process(key, datetime(2026, 11, 23, 12, tzinfo=UTC))
    # Then the commit carries the records and events it owes apart from the state, compressed
    commit, cleared = puts
    owed = json.loads(zlib.decompress(commit["Item"]["outbox"]["B"]))
    assert [item["record"]["outcome"] for item in owed["records"]] == [decision.outcome.value]
    assert [n["detail_type"] for n in owed["notifications"]] == ["Article Cleared"]
    assert "outbox" not in json.loads(commit["Item"]["state"]["S"])
    plain = json.dumps(owed, ensure_ascii=False, sort_keys=True).encode()
    assert len(commit["Item"]["outbox"]["B"]) < len(plain) / 2
    # And the write that clears it leaves no outbox: the state read back owes nothing
    assert "outbox" not in cleared["Item"]
    found = store.get(commit["Item"]["pk"]["S"])
    assert found is not None
    assert found.outbox is None


def test_an_outbox_written_inside_the_state_or_beside_it_reads_back_alike(
    harness: Harness,
) -> None:
    # Given an outbox a change still owes, one state written by this store (outbox beside the
    # state, compressed) and one as states were written before (outbox inside the JSON)
    harness.stack()
    store = StateStore(harness.dynamodb, harness.names.state_table)
    outbox = {"records": [], "notifications": [{"detail_type": "Article Cleared", "detail": {}}]}
    assert store.put(state("beside", outbox=outbox), 0)
    earlier = state("inside", outbox=outbox)
    harness.dynamodb.put_item(
        TableName=harness.names.state_table,
        Item={
            "pk": {"S": "inside"},
            "revision": {"N": "1"},
            "provider": {"S": "dpa"},
            "state": {"S": json.dumps(earlier.to_dict())},
        },
    )
    # When both are read
    beside, inside = store.get("beside"), store.get("inside")
    # Then each owes the same outbox
    assert beside is not None
    assert inside is not None
    assert beside.outbox == inside.outbox == outbox


def test_the_bus_sends_ten_events_a_call_and_fails_on_any_refused(harness: Harness) -> None:
    # Given the bus, and the requests the adapter sends
    harness.stack()
    calls = captured(harness, "events.PutEvents")
    bus = Bus(harness.eventbridge, harness.names.event_bus)
    sent = [Notification("Article Cleared", {"article_id": f"a-{n}"}) for n in range(25)]
    # When 25 notifications are published
    bus.publish(sent)
    # Then they go in calls of ten at most, on the stage's bus, from clearance
    assert [len(call["Entries"]) for call in calls] == [10, 10, 5]
    entries = [entry for call in calls for entry in call["Entries"]]
    assert {(e["EventBusName"], e["Source"]) for e in entries} == {
        (harness.names.event_bus, "clearance")
    }
    # And when EventBridge refuses an entry, the whole publish fails, to be tried again
    refusing = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(harness.eventbridge, "put_events", lambda **_: refusing)
        with pytest.raises(NotificationError, match="1 events were not accepted"):
            bus.publish(sent[:1])
