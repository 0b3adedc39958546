"""The feed poller over in-memory fakes: each new or changed item stored once, whatever fails,
retries, overlaps or runs twice at once; one failing feed never stops the others."""

from __future__ import annotations

import contextlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from clearance.feeds.subscription import ALARM_AFTER_FAILURES, Subscription, new_subscription
from clearance.services.poller import Poller, Run
from tests.fakes import FakeBucket, FakeCredentials, FakeFeeds, FakeS3, FakeSubscriptions, Faults

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
FEED = "https://feeds.example.org/health.atom"
OTHER = "https://news.example.net/world.atom"


def atom(entries: list[tuple[str, str, str]], updated: str = "2026-12-06T08:00:00Z") -> bytes:
    """An Atom feed of (id, updated, title) entries, with the feed's own rights and time."""
    items = "".join(
        f"<entry><id>tag:example.org,2026:{n}</id><updated>{u}</updated><title>{t}</title>"
        f'<link rel="alternate" href="https://example.org/{n}"/>'
        f'<content type="html">&lt;p&gt;{t} in full.&lt;/p&gt;</content></entry>'
        for n, u, t in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Health</title><id>tag:example.org,2026:feed</id><updated>{updated}</updated>"
        "<rights>Licensed as Creative Commons – attribution, no derivatives.</rights>"
        f"{items}</feed>"
    ).encode()


THREE = [
    ("a", "2026-12-06T07:00:00Z", "Clinics extend hours"),
    ("b", "2026-12-06T07:30:00Z", "A vaccine trial ends"),
    ("c", "2026-12-06T07:45:00Z", "Nurses vote on pay"),
]


class World:
    """A poller's fakes: the feeds on the internet, the table, the inbound bucket, a clock."""

    def __init__(self) -> None:
        self.feeds = FakeFeeds()
        self.table = FakeSubscriptions()
        self.s3 = FakeS3()
        self.inbound: FakeBucket = self.s3.bucket("inbound")
        self.credentials = FakeCredentials()
        self.now = NOW

    def subscribe(self, name: str, url: str, **fields: object) -> Subscription:
        subscription = new_subscription(
            name,
            "the-conversation",
            url=url,
            feed_format=str(fields.pop("feed_format", "atom")),
            interval_seconds=int(str(fields.pop("interval_seconds", 300))),
            credentials=fields.pop("credentials", None),  # type: ignore[arg-type]  # str | None
            now=self.now,
            providers={"the-conversation"},
        )
        assert self.table.save(subscription, 0)
        return subscription

    def poller(self, max_items: int = 500) -> Poller:
        return Poller(
            self.table, self.inbound, self.feeds, self.credentials, lambda: self.now, max_items
        )

    def poll(self, only: str | None = None) -> Run:
        return self.poller().poll_due(only)

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def stored(self) -> dict[str, bytes]:
        return self.inbound.objects("inbound/")


def test_a_feed_polled_again_stores_only_its_new_and_changed_entries() -> None:
    # Given a subscribed Atom feed of three entries, polled once
    world = World()
    world.subscribe("health", FEED)
    world.feeds.serve(FEED, atom(THREE), etag='"v1"')
    first = world.poll()
    # Then each entry is stored once, under the provider's pulled prefix
    assert [(p.result, p.stored, p.items) for p in first.polls] == [("delivered", 3, 3)]
    keys = sorted(world.stored())
    assert len(keys) == 3
    assert all(k.startswith("inbound/the-conversation/pulled/") for k in keys)
    # When nothing changes and the interval passes, the conditional GET answers 304
    world.later(300)
    second = world.poll()
    assert [(p.result, p.stored) for p in second.polls] == [("not-modified", 0)]
    assert world.feeds.requests[-1].headers["If-None-Match"] == '"v1"'
    # When one entry changes (its updated moves) and the feed is rebuilt with a new time
    changed = [THREE[0], ("b", "2026-12-06T08:10:00Z", "A vaccine trial ends early"), THREE[2]]
    world.feeds.serve(FEED, atom(changed, updated="2026-12-06T08:10:00Z"), etag='"v2"')
    world.later(300)
    third = world.poll()
    # Then only the changed entry is stored, as a new version beside the first
    assert [(p.result, p.stored, p.items) for p in third.polls] == [("delivered", 1, 3)]
    new = sorted(set(world.stored()) - set(keys))
    assert len(new) == 1
    assert b"A vaccine trial ends early" in world.stored()[new[0]]
    # And no key was ever written twice
    assert len(world.inbound.versions("inbound/")) == 4


def test_a_feed_without_validators_rebuilt_each_poll_stores_nothing_again() -> None:
    # Given a feed that sends no ETag and rebuilds its own <updated> at every request
    world = World()
    world.subscribe("health", FEED)
    world.feeds.serve(FEED, atom(THREE, updated="2026-12-06T08:00:00Z"))
    world.poll()
    # When it is polled again with the same entries and a new feed time
    world.feeds.serve(FEED, atom(THREE, updated="2026-12-06T08:05:00Z"))
    world.later(300)
    again = world.poll()
    # Then the poll delivers nothing and writes nothing: the entries are the same articles
    assert [(p.result, p.stored, p.items) for p in again.polls] == [("delivered", 0, 3)]
    assert len(world.inbound.versions("inbound/")) == 3


FAULTS = range(1, 10)


@pytest.mark.parametrize("after", [False, True], ids=["before-the-call", "after-it-succeeds"])
def test_a_fault_at_any_step_of_a_poll_then_a_retry_stores_every_item_exactly_once(
    after: bool,
) -> None:
    # Given the fault-free run: one poll of a three-entry feed (the table read, the fetch,
    # three conditional puts and the cursor's save)
    clean = World()
    clean.subscribe("health", FEED)
    clean.feeds.serve(FEED, atom(THREE), etag='"v1"')
    counting = Faults(None)
    for fake in (clean.table, clean.feeds, clean.inbound):
        counting.wrap(fake)
    clean.poll()
    expected = clean.stored()
    assert counting.names == [
        "Subscriptions.all",
        "Feeds.fetch",
        *["Bucket.put_once"] * 3,
        "Subscriptions.save",
    ]
    runs = 0
    for fail_at in range(1, counting.calls + 1):
        # When that call fails (before it is made, or after it succeeded), then the next poll
        # runs at the schedule's next minute
        world = World()
        world.subscribe("health", FEED)
        world.feeds.serve(FEED, atom(THREE), etag='"v1"')
        faults = Faults(fail_at, after=after)
        for fake in (world.table, world.feeds, world.inbound):
            faults.wrap(fake)
        with contextlib.suppress(ConnectionError):  # the table unread: the invocation failed
            world.poll()
        for _ in range(8):
            world.later(60 * 60 * 6)
            world.poll()
        # Then every item is stored once, as the fault-free run stores it
        assert world.stored() == expected, f"fault at call {fail_at}"
        assert len(world.inbound.versions("inbound/")) == len(expected)
        runs += 1
    assert runs == counting.calls == 6


def test_two_pollers_at_once_store_every_item_once_and_one_cursor_is_saved() -> None:
    # Given a feed of forty entries, and two poller invocations started together
    world = World()
    world.subscribe("health", FEED)
    entries = [(f"e{n}", f"2026-12-06T07:{n:02d}:00Z", f"Story {n}") for n in range(40)]
    world.feeds.serve(FEED, atom(entries), etag='"v1"')
    runs: list[Run] = []
    start = threading.Barrier(2)

    def poll() -> None:
        start.wait()
        runs.append(world.poll())

    # When both poll at once
    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then each item is stored exactly once between them
    assert len(world.stored()) == 40
    assert len(world.inbound.versions("inbound/")) == 40
    assert sum(p.stored for run in runs for p in run.polls) == 40
    # And at most one saved the cursor; the other was overtaken or found nothing due
    results = sorted(p.result for run in runs for p in run.polls)
    assert results in (["delivered"], ["delivered", "overtaken"])
    saved = world.table.get("health")
    assert saved is not None
    assert saved.cursor.etag == '"v1"'
    assert saved.revision == 2


def test_one_failing_feed_is_recorded_and_backed_off_while_the_others_are_polled() -> None:
    # Given two subscriptions, one of whose feeds answers 500
    world = World()
    world.subscribe("broken", OTHER)
    world.subscribe("health", FEED)
    world.feeds.refuse(OTHER, "response.status", "the feed answered 500 Internal Server Error")
    world.feeds.serve(FEED, atom(THREE))
    # When the poller runs
    run = world.poll()
    # Then the healthy feed is delivered and the broken one recorded, not raised
    assert sorted((p.subscription, p.result, p.stored) for p in run.polls) == [
        ("broken", "failed", 0),
        ("health", "delivered", 3),
    ]
    broken = world.table.get("broken")
    assert broken is not None
    assert broken.health.last_error == (
        "response.status: the feed answered 500 Internal Server Error"
    )
    assert broken.health.consecutive_failures == 1
    # And its next poll backs off: two intervals, then four
    assert broken.health.next_poll_at == (NOW + timedelta(seconds=600)).isoformat()
    world.later(300)
    assert [p.subscription for p in world.poll().polls] == ["health"]
    # And after enough failures in a row the run reports them for the alarm
    for _ in range(ALARM_AFTER_FAILURES - 1):
        world.later(6 * 3600)
        last = world.poll()
    assert last.failing == ALARM_AFTER_FAILURES
    # And once it answers again its failures are forgotten
    world.feeds.serve(OTHER, atom(THREE[:1]))
    world.later(6 * 3600)
    healed = world.poll()
    assert healed.failing == 0
    recovered = world.table.get("broken")
    assert recovered is not None
    assert (recovered.health.consecutive_failures, recovered.health.last_error) == (0, None)


def test_a_feed_of_thousands_of_items_is_capped_and_the_poll_says_how_many_were_left_out() -> None:
    # Given a feed of 2,000 entries and a cap of 500 items a poll
    world = World()
    world.subscribe("health", FEED)
    entries = [(f"e{n}", "2026-12-06T07:00:00Z", f"Story {n}") for n in range(2000)]
    world.feeds.serve(FEED, atom(entries))
    # When it is polled
    (polled,) = world.poll().polls
    # Then the first 500 (a feed lists its newest first) are stored, and the rest named
    assert (polled.result, polled.stored, polled.items, polled.left_out) == (
        "delivered",
        500,
        2000,
        1500,
    )
    saved = world.table.get("health")
    assert saved is not None
    assert saved.health.last_result == "2000 items, 500 new, 1500 left out"


def test_an_answer_that_is_no_feed_fails_the_poll_with_the_readers_reason() -> None:
    # Given a feed URL that answers an HTML page, and one that answers 100,001 elements
    world = World()
    world.subscribe("html", FEED)
    world.subscribe("huge", OTHER)
    world.feeds.serve(FEED, b"<!DOCTYPE html><html><body>Sign in</body></html>")
    huge = b"<feed xmlns='http://www.w3.org/2005/Atom'>" + b"<entry/>" * 100_001 + b"</feed>"
    world.feeds.serve(OTHER, huge)
    # When they are polled
    run = world.poll()
    # Then nothing is stored and each failure names why
    errors = {p.subscription: p.error for p in run.polls}
    assert errors == {
        "html": "feed.markup: the delivery is an HTML page, not an article format",
        "huge": "feed.xml-elements: the XML holds more than 100000 elements",
    }
    assert world.stored() == {}


def test_credentials_are_sent_from_their_secret_and_a_missing_secret_fails_the_feed() -> None:
    # Given a subscription whose credentials are an API key in a secret
    world = World()
    world.subscribe("keyed", FEED, credentials="health-key")
    world.feeds.serve(FEED, atom(THREE))
    world.credentials.secrets["health-key"] = json.dumps({"api_key": "k-123"})
    # When it is polled
    world.poll()
    # Then the request carried the key in the header the secret names (x-api-key by default)
    assert world.feeds.requests[-1].headers["x-api-key"] == "k-123"
    # And when the secret is gone, the feed fails with a reason naming the secret, not the key
    del world.credentials.secrets["health-key"]
    world.later(300)
    (failed,) = world.poll().polls
    assert failed.error == "credentials.missing: no secret health-key exists"


def test_a_paused_subscription_is_not_polled_even_when_named() -> None:
    # Given a paused subscription
    world = World()
    subscription = world.subscribe("health", FEED)
    world.feeds.serve(FEED, atom(THREE))
    paused = Subscription.from_dict({**subscription.to_dict(), "paused": True, "revision": 2})
    assert world.table.save(paused, 1)
    # When the poller runs, on schedule or for it alone
    # Then it is not polled
    assert world.poll().polls == ()
    assert world.poll("health").polls == ()
    assert world.feeds.requests == []


def ap_page(uris: list[str], next_page: str | None) -> bytes:
    """An AP Media API feed page of minimal items, and the cursor to what follows."""
    items = [
        {
            "meta": {},
            "item": {
                "uri": uri,
                "version": "0",
                "type": "text",
                "headline": f"Headline {uri}",
                "versioncreated": "2026-12-06T07:00:00Z",
            },
        }
        for uri in uris
    ]
    data: dict[str, object] = {"items": items}
    if next_page:
        data["next_page"] = next_page
    return json.dumps({"api_version": "2.2", "data": data}).encode()


def test_a_cursor_api_is_paged_to_its_end_and_its_next_page_kept_for_the_next_poll() -> None:
    # Given an AP-style feed of two pages, the second pointing to an empty third
    world = World()
    first = "https://api.example.org/media/v/content/feed"
    second, third = f"{first}?page=2", f"{first}?page=3"
    world.subscribe("wire", first, feed_format="ap-media-api")
    world.feeds.serve(
        first, ap_page(["https://api.example.org/1", "https://api.example.org/2"], second)
    )
    world.feeds.serve(second, ap_page(["https://api.example.org/3"], third))
    world.feeds.serve(third, ap_page([], third))
    # When it is polled
    (polled,) = world.poll().polls
    # Then every item of both pages is stored, each an envelope the processor reads
    assert (polled.result, polled.stored) == ("delivered", 3)
    for data in world.stored().values():
        assert json.loads(data)["data"]["item"]["uri"].startswith("https://api.example.org/")
    # And the next poll asks for the page after the last one taken
    saved = world.table.get("wire")
    assert saved is not None
    assert saved.cursor.next_page == third
    world.later(300)
    world.poll()
    assert world.feeds.requests[-1].url == third
