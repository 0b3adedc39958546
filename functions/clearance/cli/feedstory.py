"""A feed the licensee pulls, shown on the local stack after the demo's deliveries: a real
Atom feed served over HTTP on loopback, subscribed, polled, changed by its provider and polled
again, then polled once more with nothing new."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clearance.aws.subscriptions import SubscriptionStore
from clearance.contracts.keys import DECISIONS
from clearance.feeds.subscription import new_subscription
from clearance.local.feedserver import FeedServer
from clearance.local.stack import LocalStack
from clearance.terms.policy import PolicySet

FEED_SAMPLE = Path("feeds/rss-atom/theconversation_uk_health_atom.xml")
SUBSCRIPTION = "conversation-health"
PROVIDER = "the-conversation"
PULLED = f"inbound/{PROVIDER}/pulled/"
WAIT_SECONDS = 30.0
_UPDATED = re.compile(rb"(<entry>.*?<updated>)([^<]+)(</updated>.*?<title[^>]*>)", re.DOTALL)


def pull(stack: LocalStack, samples: Path, fallback: Path, out: Path) -> list[str]:
    """Subscribe to a copy of the real feed (or the project's own when the samples are absent),
    poll it three times; one line for each thing a user would see."""
    source = samples / FEED_SAMPLE
    folder = out / "feeds"
    folder.mkdir(parents=True, exist_ok=True)
    feed = folder / "health.atom"
    shutil.copyfile(source if source.is_file() else fallback, feed)
    with FeedServer(folder) as server:
        url = server.url("health.atom")
        store = SubscriptionStore(stack.dynamodb, stack.names.subscriptions_table)
        now = datetime.now(UTC)
        subscription = new_subscription(
            SUBSCRIPTION,
            PROVIDER,
            url=url,
            feed_format="atom",
            interval_seconds=60,
            credentials=None,
            now=now,
            providers=PolicySet.load().providers,
        )
        store.save(subscription, 0)
        lines = [f"subscribed {SUBSCRIPTION}: {url} (The Conversation's health feed, Atom)"]
        seen = set(_decision_keys(stack))
        lines += _poll(stack, "poll 1", server, seen)
        feed.write_bytes(_changed(feed.read_bytes(), now))
        lines.append("the provider updated its first entry (a new <updated> and headline)")
        lines += _poll(stack, "poll 2", server, seen)
        lines += _poll(stack, "poll 3", server, seen)
    return lines


def _poll(stack: LocalStack, label: str, server: FeedServer, seen: set[str]) -> list[str]:
    """One poll, and a line for each decision about a pulled item it led to; `seen`: the
    decision records already accounted for (the poll's own are added)."""
    ran = stack.run_feeds(SUBSCRIPTION)
    status = server.requests[-1][1]
    (polled,) = ran["polls"]
    stored = polled["stored"]
    lines = [f"{label}  HTTP {status}: {polled['result']}, {stored} stored"]
    stack.wait_until_queue_empty(WAIT_SECONDS)
    for record in _new_pulled_decisions(stack, seen):
        article = record.get("article") or {}
        uri = str(article.get("uri", "?")).rsplit("/", 1)[-1]
        headline = str(article.get("headline") or "")[:60]
        lines.append(
            f"        {uri} v{article.get('version', '?')}: {record['outcome']}  {headline}"
        )
    return lines


def _decision_keys(stack: LocalStack) -> list[str]:
    pages = stack.s3.get_paginator("list_objects_v2").paginate(
        Bucket=stack.names.bucket("audit"), Prefix=DECISIONS
    )
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _new_pulled_decisions(stack: LocalStack, seen: set[str]) -> list[dict[str, Any]]:
    """The decision records written since `seen`, each read once, those about a pulled item
    in key order; their keys join `seen`."""
    bucket = stack.names.bucket("audit")
    found = []
    for key in sorted(set(_decision_keys(stack)) - seen):
        seen.add(key)
        record = json.loads(stack.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        if str((record.get("source") or {}).get("key", "")).startswith(PULLED):
            found.append(record)
    return found


def _changed(feed: bytes, now: datetime) -> bytes:
    """The feed with its first entry updated now, its headline marked as updated."""
    stamp = (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return _UPDATED.sub(lambda m: m.group(1) + stamp + m.group(3) + b"Updated: ", feed, count=1)
