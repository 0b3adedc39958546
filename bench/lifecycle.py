"""Lifecycle sweep at volume: 10,000 due licence expiries released in one sweep.

Runs on the local stack (`LocalStack`, moto's server on loopback), as bench/audit.py and
bench/pipeline.py do, so every AWS call is a real HTTP request. Seeding writes, per article,
three cleared copies (json, html, text) into the cleared bucket and one article state with one
published version naming them and one expiry timer due before the sweep's clock. Then
`Lifecycle.sweep()` runs once, with its own boto3 clients, and withdraws every article: each
timer is carried through `Articles.apply` (conditional put of the state, then the outbox: three
removals, an audit record and its pointer, a notification on the bus).

The bus's events go to an EventBridge archive, not to the local stack's subscriber queue: nobody
drains that queue here, and moto's SendMessage reads the queue's attributes, which counts every
message already queued, so each PutEvents grew with the notifications before it (12 ms a call at
200 timers, 31 ms at 2,000), a cost of the stand-in, not of EventBridge. The archive keeps each
event at constant cost and counts them for the check.

Prints the seeding time, the sweep's wall time and time per timer, and the AWS calls per timer
by service and operation (counted with boto3's `before-call` hooks on the sweep's clients),
then checks the outcome: every article withdrawn, no cleared copy left, one audit record (and
pointer) per article, one notification per article, and a second sweep that finds nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from clearance.aws.bus import SOURCE, Bus
from clearance.aws.statestore import StateStore, state_of
from clearance.aws.store import Bucket
from clearance.contracts import keys
from clearance.contracts.encoding import json_line
from clearance.contracts.vocabulary import ObjectRef, TimerKind
from clearance.decide.licensee import Licensee
from clearance.lifecycle.plan import BucketRole
from clearance.lifecycle.state import (
    ArticleState,
    SourceRef,
    Status,
    Timer,
    Version,
)
from clearance.local.stack import LocalStack
from clearance.services.articles import Articles
from clearance.services.lifecycle import Lifecycle, Sweep
from clearance.services.observability import logger
from clearance.terms.policy import PolicySet

PROVIDER = "tt"
ARCHIVE = "bench-lifecycle"
SEEDERS = 8
ROLES: tuple[BucketRole, ...] = ("cleared", "quarantine", "audit")
PARAGRAPH = (
    "Regeringen presenterade på tisdagen ett förslag om nya regler för hamnarnas drift, "
    "som enligt infrastrukturministern ska korta väntetiderna för godstrafiken. "
)
COPIES = (
    ("json", "json", "application/json"),
    ("html", "html", "text/html; charset=utf-8"),
    ("text", "txt", "text/plain; charset=utf-8"),
)


class Calls:
    """AWS API calls made through the clients it is given, by service and operation, and the
    seconds each operation took as the client saw it (request, moto's work, response)."""

    def __init__(self, *clients: Any) -> None:
        self.counts: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.sent = 0
        for client in clients:
            client.meta.events.register("before-call.*.*", self._call)
            client.meta.events.register("after-call.*.*", self._done)
            client.meta.events.register("before-send.*.*", self._send)

    def _call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        self.counts[_name(model)] += 1
        context["bench_started"] = time.perf_counter()

    def _done(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        started = context.get("bench_started")
        if started is not None:
            self.seconds[_name(model)] += time.perf_counter() - started

    def _send(self, **_: Any) -> None:
        self.sent += 1

    def total(self) -> int:
        return sum(self.counts.values())


def _name(model: Any) -> str:
    return f"{model.service_model.service_name} {model.name}"


def copy_bodies(n: int) -> list[tuple[str, str, str, bytes]]:
    """Three renditions of article n, a few kilobytes each: (kind, extension, type, bytes)."""
    headline = f"Nya regler för hamnarna (nr {n})"
    text = headline + "\n\n" + PARAGRAPH * 12
    html = f"<h1>{headline}</h1>" + f"<p>{PARAGRAPH}</p>" * 12
    document = json_line({"uri": uri_of(n), "version": "1", "headline": headline, "body": html})
    data = {"json": document, "html": html.encode(), "text": text.encode()}
    return [(kind, ext, media, data[kind]) for kind, ext, media in COPIES]


def uri_of(n: int) -> str:
    return f"urn:bench:tt:lifecycle:{n:06d}"


def seeded_state(n: int, names: dict[str, str], due: datetime) -> tuple[ArticleState, list[Any]]:
    """Article n published with three cleared copies, its licence expiring at `due`."""
    uri = uri_of(n)
    delivered = due - timedelta(days=1)
    input_sha = hashlib.sha256(f"delivery {n}".encode()).hexdigest()
    copies, objects = [], []
    for kind, ext, media, data in copy_bodies(n):
        key = keys.cleared_key(PROVIDER, keys.article_id(PROVIDER, uri), "1", input_sha, ext)
        copies.append(ObjectRef(names["cleared"], key, hashlib.sha256(data).hexdigest(), kind))
        objects.append((key, data, media))
    delivery = keys.delivery_id(uri, "1", input_sha)
    source = SourceRef(
        bucket=names["inbound"],
        key=keys.inbound_key(PROVIDER, delivered.date(), delivery, "json"),
        version_id=None,
        sha256=input_sha,
        bytes=4096,
        request_id=f"bench-{n}",
    )
    version = Version(
        version="1",
        version_created=delivered.isoformat(),
        status=Status.PUBLISHED,
        decision_id=f"{input_sha}-{'0' * 12}",
        decided_at=delivered.isoformat(),
        source=source,
        headline=f"Nya regler för hamnarna (nr {n})",
        copies=tuple(copies),
    )
    state = ArticleState(
        provider=PROVIDER,
        article_id=keys.article_id(PROVIDER, uri),
        uri=uri,
        revision=1,
        versions=(version,),
        timers=(Timer(TimerKind.EXPIRY, due=due.isoformat(), version="1"),),
    )
    return state, objects


def count_keys(s3: Any, bucket: str, prefix: str) -> int:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sum(page.get("KeyCount", 0) for page in pages)


def check(stack: LocalStack, lifecycle: Lifecycle, dynamodb: Any, count: int) -> list[str]:
    """What is wrong after the sweep; prints what was checked."""
    problems = []
    s3, table = stack.s3, stack.names.state_table
    statuses: Counter[str] = Counter()
    leftovers = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page.get("Items", []):
            state = state_of(item)
            version = state.version("1")
            statuses[version.status.value if version else "missing"] += 1
            if state.timers or state.outbox or (version and version.copies):
                leftovers += 1
    withdrawn = statuses[Status.WITHDRAWN.value]
    print(f"check: {withdrawn:,} of {count:,} articles withdrawn ({dict(statuses)})")
    if withdrawn != count or leftovers:
        problems.append(f"states: {dict(statuses)}, {leftovers} with timers/outbox/copies")
    cleared = count_keys(s3, stack.names.bucket("cleared"), keys.CLEARED)
    records = count_keys(s3, stack.names.bucket("audit"), keys.DECISIONS)
    pointers = count_keys(s3, stack.names.bucket("audit"), keys.ARTICLE_POINTERS)
    print(f"check: {cleared:,} cleared copies left (of {3 * count:,} seeded)")
    print(f"check: {records:,} audit records under {keys.DECISIONS}, {pointers:,} pointers")
    if cleared:
        problems.append(f"{cleared} cleared copies left")
    if records != count or pointers != count:
        problems.append(f"{records} audit records and {pointers} pointers, not {count}")
    events = boto3.client("events", endpoint_url=stack.endpoint_url)
    notified = events.describe_archive(ArchiveName=ARCHIVE)["EventCount"]
    print(f"check: {notified:,} notifications on the bus (counted in its archive)")
    if notified != count:
        problems.append(f"{notified} notifications, not {count}")
    again = lifecycle.sweep()
    print(f"check: a second sweep fires {again.timers} timers")
    if again.timers:
        problems.append(f"a second sweep fired {again.timers} timers")
    return problems


def archive_events(stack: LocalStack) -> None:
    """Every event on the bus into an archive instead of the local subscriber queue."""
    events = boto3.client("events", endpoint_url=stack.endpoint_url)
    bus = stack.names.event_bus
    for rule in events.list_rules(EventBusName=bus)["Rules"]:
        targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
        if targets:
            ids = [target["Id"] for target in targets]
            events.remove_targets(Rule=rule["Name"], EventBusName=bus, Ids=ids)
    events.create_archive(
        ArchiveName=ARCHIVE,
        EventSourceArn=events.describe_event_bus(Name=bus)["Arn"],
        EventPattern=json.dumps({"source": [SOURCE]}),
    )


def seed(stack: LocalStack, names: dict[str, str], now: datetime, count: int) -> float:
    """Seconds to write `count` published articles, their copies and their due timers."""
    endpoint = stack.endpoint_url
    cleared = Bucket(boto3.client("s3", endpoint_url=endpoint), names["cleared"])
    states = StateStore(boto3.client("dynamodb", endpoint_url=endpoint), stack.names.state_table)

    def one(n: int) -> None:
        # Due over the hour before `now`, the latest a second before it.
        due = now - timedelta(seconds=1 + (n * 3600) // count)
        state, objects = seeded_state(n, names, due)
        for key, data, media in objects:
            if not cleared.put_once(key, data, media):
                raise SystemExit(f"bench: {key} already there")
        if not states.put(state, 0):
            raise SystemExit(f"bench: state of {state.article_id} already there")

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=SEEDERS) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - began


def build(
    stack: LocalStack, names: dict[str, str], now: datetime, policies: PolicySet
) -> tuple[Lifecycle, Calls, Any]:
    """The LifecycleFunction's service on clients of its own, counted; and its DynamoDB client."""
    endpoint = stack.endpoint_url
    s3 = boto3.client("s3", endpoint_url=endpoint)
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
    events = boto3.client("events", endpoint_url=endpoint)
    articles = Articles(
        states=StateStore(dynamodb, stack.names.state_table),
        buckets={role: Bucket(s3, names[role]) for role in ROLES},
        bus=Bus(events, stack.names.event_bus),
        policies=policies,
        clock=lambda: now,
    )
    lifecycle = Lifecycle(articles, Bucket(s3, names["inbound"]), Licensee(), clock=lambda: now)
    return lifecycle, Calls(s3, dynamodb, events), dynamodb


def report(swept: Sweep, wall: float, calls: Calls) -> None:
    timers = max(swept.timers, 1)
    made = calls.total()
    print(f"sweep: {swept.articles:,} articles, {swept.timers:,} timers fired")
    print(f"sweep, wall time:  {wall:8.1f} s")
    print(f"sweep, per timer:  {wall / timers * 1e3:8.2f} ms")
    print(
        f"AWS calls per timer: {made / timers:.2f} ({made:,} calls, {calls.sent:,} HTTP requests;"
        f" {wall / max(made, 1) * 1e3:.2f} ms of sweep per call)"
    )
    print(f"  {'operation':24} {'per timer':>9} {'calls':>7} {'ms/call':>8} {'ms/timer':>9}")
    for name, number in sorted(calls.counts.items(), key=lambda item: (-item[1], item[0])):
        spent = calls.seconds[name]
        print(
            f"  {name:24} {number / timers:9.2f} {number:7,} {spent / number * 1e3:8.2f}"
            f" {spent / timers * 1e3:9.2f}"
        )
    outside = wall - sum(calls.seconds.values())
    print(f"  {'outside AWS calls':24} {'':9} {'':7} {'':8} {outside / timers * 1e3:9.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args(argv)
    count: int = args.articles
    now = datetime.now(UTC).replace(microsecond=0)
    policies = PolicySet.load()
    if PROVIDER not in policies.policies:
        raise SystemExit(f"bench: no policy for {PROVIDER!r}")
    print(
        f"python {sys.version.split()[0]}; {count:,} articles of {PROVIDER!r}, one due timer each"
    )
    logger.setLevel("WARNING")  # the sweep's one-line summary is not a figure
    with LocalStack(dispatch=False) as stack:
        names = {role: stack.names.bucket(role) for role in ("inbound", *ROLES)}
        archive_events(stack)
        seeded = seed(stack, names, now, count)
        print(
            f"seeding: {seeded:.1f} s ({3 * count:,} cleared copies and {count:,} states,"
            f" {SEEDERS} threads; not part of the figures below)"
        )
        lifecycle, calls, dynamodb = build(stack, names, now, policies)
        began = time.perf_counter()
        swept = lifecycle.sweep()
        wall = time.perf_counter() - began
        report(swept, wall, calls)
        problems = check(stack, lifecycle, dynamodb, count)
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
