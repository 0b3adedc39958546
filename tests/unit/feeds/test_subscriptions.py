"""Subscriptions as the licensee sets them, each refusal naming its field; what a page of a feed
delivers, keyed by what each item is; credentials turned into headers and never shown."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from clearance.feeds.credentials import headers_of
from clearance.feeds.outbound import FetchRefused, Limits, check_url
from clearance.feeds.page import FeedUnreadable, page_of
from clearance.feeds.subscription import (
    MAX_BACKOFF_SECONDS,
    Subscription,
    SubscriptionError,
    failed,
    new_subscription,
    polled,
)

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
PROVIDERS = {"the-conversation", "ap"}


def subscribe(**fields: object) -> Subscription:
    asked: dict[str, object] = {
        "url": "https://theconversation.com/uk/health/articles.atom",
        "feed_format": "atom",
        "interval_seconds": 300,
        "credentials": None,
        **fields,
    }
    return new_subscription(
        str(asked.pop("id", "health")),
        str(asked.pop("provider", "the-conversation")),
        now=NOW,
        providers=PROVIDERS,
        **asked,  # type: ignore[arg-type]  # the keyword fields of new_subscription
    )


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"id": "Health Desk"}, "id", "lowercase"),
        ({"provider": "nobody"}, "provider", "no provider policy is named 'nobody'"),
        ({"feed_format": "json"}, "format", "ap-media-api, atom, rss"),
        ({"interval_seconds": 10}, "interval", "between 60 s"),
        ({"credentials": "a b"}, "credentials", "secret name"),
        ({"url": "http://theconversation.com/feed"}, "url", "url.scheme"),
        ({"url": "ftp://theconversation.com/feed"}, "url", "url.scheme"),
        ({"url": "https://user:pw@theconversation.com/feed"}, "url", "url.invalid"),
        ({"url": "not a url"}, "url", "url."),
        ({"url": "https://[::1/feed"}, "url", "url.invalid"),
        ({"url": "https://[zz]/feed"}, "url", "url.invalid"),
    ],
)
def test_a_subscription_that_cannot_be_kept_is_refused_naming_its_field(
    fields: dict[str, object], field: str, says: str
) -> None:
    # Given a subscription asked with one field wrong, When it is made
    with pytest.raises(SubscriptionError) as refused:
        subscribe(**fields)
    # Then the refusal names the field and why
    assert refused.value.field == field
    assert says in refused.value.message


def test_a_new_subscription_is_due_at_once_and_survives_its_record() -> None:
    # Given a new subscription (plain http is allowed to loopback only, for the local stack)
    local = subscribe(url="http://127.0.0.1:8081/health.atom")
    assert local.host == "127.0.0.1"
    subscription = subscribe()
    # Then it is due now, and what is kept reads back the same
    assert subscription.due(NOW)
    assert Subscription.from_dict(json.loads(json.dumps(subscription.to_dict()))) == subscription


@pytest.mark.parametrize(
    "url", ["https://TheConversation.com./uk/feed.atom", "https://theconversation.com../feed"]
)
def test_a_url_a_subscription_accepts_is_one_its_polls_may_fetch(url: str) -> None:
    # Given a subscription on a host written with capitals or trailing dots
    subscription = subscribe(url=url)
    # Then each poll's check of its own URL against its host passes, as the subscribing did
    assert check_url(subscription.url, subscription.host, Limits()).geturl() == url


def test_failures_back_off_doubling_to_a_cap_and_a_success_forgets_them() -> None:
    # Given a subscription polled every five minutes that fails again and again
    subscription = subscribe()
    delays = []
    for _ in range(10):
        subscription = failed(subscription, NOW, "response.status: 500")
        due = datetime.fromisoformat(subscription.health.next_poll_at or "")
        delays.append(int((due - NOW).total_seconds()))
    # Then each failure doubles the wait, up to the cap, and the cursor never moves
    assert delays[:4] == [600, 1200, 2400, 4800]
    assert delays[-1] == MAX_BACKOFF_SECONDS
    assert subscription.health.consecutive_failures == 10
    assert not subscription.due(NOW + timedelta(seconds=300))
    # When it succeeds
    healed = polled(subscription, NOW, "3 items, 3 new")
    # Then its failures are forgotten and it is due again after one interval
    assert (healed.health.consecutive_failures, healed.health.last_error) == (0, None)
    assert healed.due(NOW + timedelta(seconds=300))
    assert healed.revision == subscription.revision + 1


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Health</title><id>tag:x,2026:f</id>
<updated>{feed_updated}</updated><rights>CC BY-ND</rights>
<entry><id>tag:x,2026:1</id><updated>2026-12-06T07:00:00Z</updated><title>One</title>
<content type="html">&lt;p&gt;One.&lt;/p&gt;</content></entry>
<entry><updated>2026-12-06T07:10:00Z</updated><title>No id</title></entry>
</feed>"""


def test_each_item_is_keyed_by_what_it_is_not_by_the_feed_around_it() -> None:
    # Given the same feed rebuilt at two times
    subscription = subscribe()
    first = page_of(subscription, ATOM.format(feed_updated="2026-12-06T08:00:00Z").encode())
    again = page_of(subscription, ATOM.format(feed_updated="2026-12-06T08:05:00Z").encode())
    # Then its items have the same keys both times, under the provider's pulled prefix
    assert [d.key for d in first.deliveries] == [d.key for d in again.deliveries]
    article, unread = first.deliveries
    assert article.key.startswith("inbound/the-conversation/pulled/1-")
    assert "-v2026-12-06T07-00-00Z-" in article.key
    assert article.key.endswith(".xml")
    assert (article.headline, article.content_type) == ("One", "application/atom+xml")
    # And the entry that is no article is delivered too, to be quarantined and recorded
    assert unread.key.startswith("inbound/the-conversation/pulled/unread-")
    assert unread.headline is None
    assert b"No id" in unread.data
    assert (first.items, first.left_out, first.newest) == (2, 0, "2026-12-06T07:00:00Z")


def test_an_answer_that_is_no_feed_is_unreadable_and_an_empty_feed_is_a_page_of_none() -> None:
    subscription = subscribe()
    with pytest.raises(FeedUnreadable) as refused:
        page_of(subscription, b"\x00\x01 binary")
    assert refused.value.code == "feed.xml"
    empty = page_of(subscription, b'<feed xmlns="http://www.w3.org/2005/Atom"><title/></feed>')
    assert (empty.deliveries, empty.items) == ((), 0)


@pytest.mark.parametrize(
    ("secret", "headers"),
    [
        ('{"api_key": "k-1"}', {"x-api-key": "k-1"}),
        ('{"api_key": "k-1", "header": "apikey"}', {"apikey": "k-1"}),
        (
            '{"username": "desk", "password": "s3cret"}',
            {"Authorization": "Basic " + base64.b64encode(b"desk:s3cret").decode()},
        ),
        ('{"token": "t-9"}', {"Authorization": "Bearer t-9"}),
    ],
)
def test_a_feeds_secret_becomes_the_headers_it_stands_for(
    secret: str, headers: dict[str, str]
) -> None:
    assert headers_of(secret) == headers


@pytest.mark.parametrize(
    ("secret", "hidden"),
    [
        ("k-1", "k-1"),
        ('{"api_key": ["k-777"]}', "k-777"),
        ('{"username": "a:b", "password": "s3cret-pw"}', "s3cret-pw"),
        ('{"x": "hunter2"}', "hunter2"),
    ],
)
def test_an_unusable_secret_is_refused_without_showing_its_value(secret: str, hidden: str) -> None:
    with pytest.raises(FetchRefused) as refused:
        headers_of(secret)
    assert refused.value.code == "credentials.invalid"
    assert hidden not in str(refused.value)
