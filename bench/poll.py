"""Feed polling cost: a subscribed Atom feed polled through the local stack's poller, against
the bare calls the work needs.

A feed of `--items` distinct entries is served over HTTP on loopback and subscribed; each round
writes a fresh copy of it (new entry ids, so every item is new), then times the poller's run
from the GET to the last item stored (the processor is not running: this measures the pull,
not the decision). Floor, in the same round against the same endpoint: one GET of the same feed
and one conditional PutObject (`IfNoneMatch: *`) per item, of the item's own bytes. Rounds
alternate poller and floor, so a noisy neighbour slows both sides of a ratio alike. Prints items
per second, requests per item on each side, and the median of the rounds' ratios; a poll of the
unchanged feed (304) and of a rebuilt feed without validators are counted too.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from clearance.aws.subscriptions import SubscriptionStore
from clearance.feeds.page import page_of
from clearance.feeds.subscription import new_subscription
from clearance.local.feedserver import FeedServer
from clearance.local.stack import LocalStack

PROVIDER = "the-conversation"


def feed(count: int, round_number: int, updated: str = "2026-12-06T08:00:00Z") -> bytes:
    """An Atom feed of `count` entries, unique to its round."""
    entries = "".join(
        f"<entry><id>tag:bench.example.org,2026:{round_number}-{n}</id>"
        f"<updated>2026-12-06T07:{n % 60:02d}:00Z</updated><title>Story {n}</title>"
        f'<link rel="alternate" href="https://bench.example.org/{round_number}/{n}"/>'
        f'<content type="html">&lt;p&gt;Story {n} of round {round_number}, in full: '
        f"{'words ' * 120}&lt;/p&gt;</content></entry>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Bench</title><id>tag:bench.example.org,2026:feed</id><updated>{updated}</updated>"
        f"<rights>Licensed as Creative Commons – attribution, no derivatives.</rights>{entries}"
        "</feed>"
    ).encode()


class Requests:
    """Every AWS request the functions' clients send, by operation."""

    def __init__(self) -> None:
        self.counted: Counter[str] = Counter()
        boto3.setup_default_session()
        session = boto3.DEFAULT_SESSION
        assert session is not None
        session.events.register("before-call", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counted[model.name] += 1

    def taken(self) -> Counter[str]:
        taken, self.counted = self.counted, Counter()
        return taken


def floor(stack: LocalStack, url: str, subscription: Any, bucket: str) -> float:
    """Seconds for the bare calls: one GET, the feed split into its items, one conditional put
    per item."""
    s3 = stack.s3
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - loopback, our server
        body = answer.read()
    page = page_of(subscription, body)  # the items must be split out either way
    for delivery in page.deliveries:
        s3.put_object(
            Bucket=bucket,
            Key="floor/" + delivery.key,
            Body=delivery.data,
            ContentType=delivery.content_type,
            IfNoneMatch="*",
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, LocalStack(dispatch=False) as stack:
        requests = Requests()
        with FeedServer(Path(folder)) as server:
            url = server.url("bench.atom")
            subscription = new_subscription(
                "bench",
                PROVIDER,
                url=url,
                feed_format="atom",
                interval_seconds=60,
                credentials=None,
                now=datetime.now(UTC),
                providers={PROVIDER},
            )
            SubscriptionStore(stack.dynamodb, stack.names.subscriptions_table).save(subscription, 0)
            scratch = stack.names.bucket("quarantine")
            polled, bare, ratios, per_item = [], [], [], []
            for round_number in range(args.rounds):
                (Path(folder) / "bench.atom").write_bytes(feed(args.items, round_number))
                requests.taken()
                started = time.perf_counter()
                ran = stack.run_feeds("bench")
                seconds = time.perf_counter() - started
                assert ran["stored"] == args.items, ran
                per_item.append(sum(requests.taken().values()))
                floor_seconds = floor(stack, url, subscription, scratch)
                polled.append(seconds)
                bare.append(floor_seconds)
                ratios.append(seconds / floor_seconds)
            requests.taken()
            unchanged = stack.run_feeds("bench")
            at_304 = requests.taken()
            (Path(folder) / "bench.atom").write_bytes(
                feed(args.items, args.rounds - 1, updated="2026-12-06T09:00:00Z")
            )
            rebuilt_ran = stack.run_feeds("bench")
            rebuilt = requests.taken()
    items = args.items
    poll_median, floor_median = statistics.median(polled), statistics.median(bare)
    print(f"feed of {items} new Atom entries, {args.rounds} rounds, local stack (moto server)")
    print(
        f"poller: {poll_median * 1000:.0f} ms a poll, {items / poll_median:.0f} items/s,"
        f" {(statistics.median(per_item) + 1) / items:.3f} requests per item"
        f" ({statistics.median(per_item):.0f} AWS + 1 GET)"
    )
    print(
        f"floor:  {floor_median * 1000:.0f} ms, {items / floor_median:.0f} items/s,"
        f" {(items + 1) / items:.3f} requests per item ({items} conditional puts + 1 GET)"
    )
    print(f"ratio:  {statistics.median(ratios):.2f}x the floor (median of the rounds' ratios)")
    print(
        f"unchanged feed: {unchanged['polls'][0]['result']},"
        f" {sum(at_304.values())} AWS requests ({dict(at_304)})"
    )
    print(
        f"rebuilt feed, same entries, new ETag: {rebuilt_ran['stored']} stored,"
        f" {sum(rebuilt.values())} AWS requests ({dict(rebuilt)})"
    )


if __name__ == "__main__":
    main()
