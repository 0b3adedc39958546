"""`clearance feeds add|list|show|pause|resume|remove|test`: the licensee's subscriptions.

Runs against the local stack or a real account as `clearance review` does (AWS_ENDPOINT_URL and
the usual AWS variables; the table from SUBSCRIPTIONS_TABLE or the local stack's name).
`feeds test URL` fetches once, under the same rules as the poller, and prints what it would
deliver, delivering nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TextIO

from clearance.aws import clients
from clearance.aws.feedcredentials import FeedCredentials
from clearance.aws.subscriptions import SubscriptionStore
from clearance.feeds.outbound import FetchRefused, FetchRequest, Limits
from clearance.feeds.page import FeedUnreadable, page_of
from clearance.feeds.subscription import (
    FORMATS,
    MIN_INTERVAL_SECONDS,
    Subscription,
    SubscriptionError,
    new_subscription,
)
from clearance.local.resources import Names
from clearance.net.http import Fetcher
from clearance.terms.policy import PolicySet

_INTERVAL = re.compile(r"(\d+)([smh]?)")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600}
OPERATOR = Limits(loopback_http=True)
"""The operator's own machine may test a feed served on its loopback, as the local stack polls."""


def add_feeds_commands(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    feeds = commands.add_parser("feeds", help="feeds the licensee pulls, polled on a schedule")
    actions = feeds.add_subparsers(dest="feeds_command", required=True, parser_class=parser_class)
    add = actions.add_parser("add", help="subscribe to a feed")
    add.add_argument("id", help="a name for the subscription: lowercase letters, digits, -")
    add.add_argument("--provider", required=True, help="the provider whose terms apply")
    add.add_argument("--url", required=True, help="https URL of the feed")
    add.add_argument("--format", required=True, choices=sorted(FORMATS))
    add.add_argument("--every", default="5m", type=_interval, help="e.g. 90s, 5m, 1h (5m)")
    add.add_argument("--credentials", help="the secret under FEED_SECRET_PREFIX, if any")
    listing = actions.add_parser("list", help="every subscription and how its polling goes")
    listing.add_argument("--json", action="store_true", help="one subscription per line")
    for name, text in (
        ("show", "one subscription, its cursor and its health"),
        ("pause", "stop polling it (its cursor is kept)"),
        ("resume", "poll it again"),
        ("remove", "forget it (what it delivered stays)"),
    ):
        actions.add_parser(name, help=text).add_argument("id")
    test = actions.add_parser("test", help="fetch a feed once and print what it would deliver")
    test.add_argument("url")
    test.add_argument("--format", default="rss", choices=sorted(FORMATS))
    test.add_argument("--provider", default="test", help="the provider its keys would name")
    test.add_argument("--credentials", help="the secret under FEED_SECRET_PREFIX, if any")


def run_feeds(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Exit 0; 1 when the subscription named is unknown, a change lost a race, or a test
    fetch was refused; 2 for a subscription that cannot be kept as asked."""
    out = out or sys.stdout
    environment = {**Names().environment(), **os.environ}
    if args.feeds_command == "test":
        return _test(args, environment, out)
    store = SubscriptionStore(clients.dynamodb(), environment["SUBSCRIPTIONS_TABLE"])
    if args.feeds_command == "add":
        return _add(args, store, out)
    if args.feeds_command == "list":
        for subscription in sorted(store.all(), key=lambda s: s.id):
            line = json.dumps(subscription.to_dict()) if args.json else _line(subscription)
            out.write(line + "\n")
        return 0
    found = store.get(args.id)
    if found is None:
        out.write(f"clearance feeds: no subscription {args.id!r}\n")
        return 1
    return _change(args.feeds_command, found, store, out)


def _change(command: str, subscription: Subscription, store: SubscriptionStore, out: TextIO) -> int:
    if command == "show":
        out.write(json.dumps(subscription.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return 0
    if command == "remove":
        store.remove(subscription.id)
        out.write(f"{subscription.id}: removed; what it delivered stays\n")
        return 0
    paused = command == "pause"
    changed = replace(subscription, paused=paused, revision=subscription.revision + 1)
    if not store.save(changed, subscription.revision):
        out.write(f"clearance feeds: {subscription.id} changed meanwhile; try again\n")
        return 1
    out.write(f"{subscription.id}: {'paused' if paused else 'resumed'}\n")
    return 0


def _add(args: argparse.Namespace, store: SubscriptionStore, out: TextIO) -> int:
    try:
        subscription = new_subscription(
            args.id,
            args.provider,
            url=args.url,
            feed_format=args.format,
            interval_seconds=args.every,
            credentials=args.credentials,
            now=datetime.now(UTC),
            providers=PolicySet.load().providers,
        )
    except SubscriptionError as error:
        out.write(f"clearance feeds: --{error.field}: {error.message}\n")
        return 2
    if not store.save(subscription, 0):
        out.write(f"clearance feeds: {args.id!r} exists; remove it first\n")
        return 1
    out.write(f"{subscription.id}: {subscription.url} every {subscription.interval_seconds} s\n")
    return 0


def _test(args: argparse.Namespace, environment: dict[str, str], out: TextIO) -> int:
    probe = Subscription("test", args.provider, args.url, args.format, MIN_INTERVAL_SECONDS)
    try:
        headers = {}
        if args.credentials:
            secrets = FeedCredentials(clients.secretsmanager(), environment["FEED_SECRET_PREFIX"])
            headers = secrets.headers_for(args.credentials)
        fetched = Fetcher(OPERATOR).fetch(FetchRequest(args.url, probe.host, headers))
        page = page_of(probe, fetched.body)
    except (FetchRefused, FeedUnreadable) as error:
        out.write(f"clearance feeds: refused: {error}\n")
        return 1
    for delivery in page.deliveries:
        out.write(f"{delivery.key}  {delivery.headline or '(no article)'}\n")
    left = f", {page.left_out} left out" if page.left_out else ""
    out.write(f"{len(page.deliveries)} items would be delivered{left}; nothing was\n")
    return 0


def _interval(value: str) -> int:
    match = _INTERVAL.fullmatch(value.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"not an interval such as 90s, 5m or 1h: {value!r}")
    return int(match.group(1)) * _UNIT[match.group(2)]


def _line(subscription: Subscription) -> str:
    health = subscription.health
    state = "paused" if subscription.paused else (health.last_result or "not polled yet")
    failures = f"  {health.consecutive_failures} failures" if health.consecutive_failures else ""
    return (
        f"{subscription.id:<24} {subscription.provider:<16} {subscription.format:<12}"
        f" every {subscription.interval_seconds} s  {state}{failures}  {subscription.url}"
    )
