"""Pipeline cost: file drops through the local stack, against the bare calls the work needs.

500 distinct MENAFN articles are dropped into the inbound bucket of a `LocalStack`, then the
dispatcher hands their S3 events to the processor. Cost per article: each invocation's time
divided by its batch size (median over invocations), and the drain's wall time per article.
Floor, measured in the same run against the same endpoint with plain boto3: GetObject of the
inbound object, GetItem of the article's state and a PutItem of its bytes, PutObject of the three
cleared copies and the audit record, with their real bytes, and one PutEvents of an event the
size of the one sent. Rounds alternate processing and floor, so a noisy neighbour slows both
sides of a ratio alike. Prints medians and the median of the rounds' ratios; target <= 1.3x.

The bus's rules lose their targets for the run: moto delivers a matching event to the local
subscriber queue inside PutEvents, at a cost that grows with the messages already queued (13.8
ms a PutEvents at 200 drops, against 5.1 ms for the floor's event, which no rule matched), where
EventBridge answers the publisher before delivering. Decisions are counted in the audit bucket.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from clearance.aws import clients
from clearance.contracts.keys import DECISIONS
from clearance.local.stack import LocalStack

PROJECT = Path(__file__).resolve().parents[1]
MENAFN = PROJECT.parent / "shared" / "samples" / "menafn" / "000_3ffd96728f458706.txt"
FALLBACK = PROJECT / "events" / "articles" / "menafn-ports.txt"
SCRATCH = "clearance-bench-floor"


def articles(count: int) -> list[bytes]:
    """`count` distinct MENAFN articles: the sample under numbered headlines."""
    sample = (MENAFN if MENAFN.is_file() else FALLBACK).read_bytes()
    headline, _, rest = sample.partition(b"\n")
    return [headline + f" (no. {index})".encode() + b"\n" + rest for index in range(count)]


def wait(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: not done within {timeout:.0f} s")
        time.sleep(0.2)


def audit_count(stack: LocalStack) -> int:
    pages = stack.s3.get_paginator("list_objects_v2").paginate(
        Bucket=stack.names.bucket("audit"), Prefix=DECISIONS
    )
    return sum(page.get("KeyCount", 0) for page in pages)


def floor_per_article(stack: LocalStack, keys: list[str]) -> list[float]:
    """Seconds per article for the bare calls: read the input and the state, write the state,
    the four outputs and the event."""
    s3 = stack.s3
    dynamodb = stack._clients["dynamodb"]
    events = stack._clients["events"]
    table = stack.names.state_table
    audit = stack.names.bucket("audit")
    records = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=audit, Prefix=DECISIONS):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=audit, Key=item["Key"])["Body"].read()
            record = json.loads(body)
            records[record["source"]["key"]] = (item["Key"], body, record)
    times = []
    for key in keys:
        audit_key, audit_body, record = records[key]
        copies = [
            (c["key"], s3.get_object(Bucket=c["bucket"], Key=c["key"])["Body"].read())
            for c in record["copies"]
        ]
        article = {"pk": {"S": record["article"]["id"]}}
        state = dynamodb.get_item(TableName=table, Key=article)["Item"]
        event = json.dumps({"article_id": record["article"]["id"], "copies": record["copies"]})
        start = time.perf_counter()
        s3.get_object(Bucket=stack.names.bucket("inbound"), Key=key)["Body"].read()
        dynamodb.get_item(TableName=table, Key=article, ConsistentRead=True)
        dynamodb.put_item(TableName=table, Item={**state, "pk": {"S": f"floor-{key}"}})
        events.put_events(
            Entries=[
                {
                    "Source": "clearance-floor",
                    "DetailType": "Floor",
                    "Detail": event,
                    "EventBusName": stack.names.event_bus,
                }
            ]
        )
        for copy_key, data in copies:
            s3.put_object(Bucket=SCRATCH, Key=f"{key}/{copy_key}", Body=data)
        s3.put_object(Bucket=SCRATCH, Key=f"{key}/{audit_key}", Body=audit_body)
        times.append(time.perf_counter() - start)
    return times


def undelivered(stack: LocalStack) -> None:
    """The bus's events delivered nowhere (see the module's docstring)."""
    events, bus = stack._clients["events"], stack.names.event_bus
    for rule in events.list_rules(EventBusName=bus)["Rules"]:
        targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
        if targets:
            ids = [target["Id"] for target in targets]
            events.remove_targets(Rule=rule["Name"], EventBusName=bus, Ids=ids)


def process(stack: LocalStack, keys: list[str], bodies: list[bytes]) -> tuple[list[float], float]:
    """Drop the files, let the dispatcher drain them: seconds per article per invocation."""
    for key, body in zip(keys, bodies, strict=True):
        stack.s3.put_object(Bucket=stack.names.bucket("inbound"), Key=key, Body=body)
    stack.invocations.clear()
    started = time.perf_counter()
    stack.start_dispatcher()
    wait(lambda: stack.queue_depth() == 0, 600)
    drained = time.perf_counter() - started
    stack.stop_dispatcher()
    return [call.seconds / call.received for call in stack.invocations if call.received], drained


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    bodies = articles(args.articles)
    keys = [f"inbound/menafn/bench/{index:04d}.txt" for index in range(len(bodies))]
    size = -(-len(bodies) // args.rounds)
    work: list[float] = []
    floor: list[float] = []
    ratios: list[float] = []
    drained = 0.0
    with open(os.devnull, "w") as quiet, LocalStack(function_output=quiet) as stack:
        wait(lambda: stack.queue_depth() == 0, 30)
        stack.stop_dispatcher()
        stack.s3.create_bucket(Bucket=SCRATCH)
        undelivered(stack)
        calls: Counter[str] = Counter()
        for client in (clients.s3(), clients.dynamodb(), clients.events()):
            client.meta.events.register(
                "before-call", lambda model, **_: calls.update([model.name])
            )
        for start in range(0, len(bodies), size):
            round_work, round_drained = process(
                stack, keys[start : start + size], bodies[start : start + size]
            )
            round_floor = floor_per_article(stack, keys[start : start + size])
            work += round_work
            floor += round_floor
            drained += round_drained
            ratios.append(statistics.median(round_work) / statistics.median(round_floor))
        decided = audit_count(stack)
    print(f"articles: {len(bodies)} MENAFN file drops ({len(bodies[0]):,} bytes each)")
    print(f"rounds: {len(ratios)} of {size}, each processed then floored, so noise hits both")
    print(f"decisions in the audit bucket: {decided}")
    print(f"processor AWS calls per article: {_per_article(calls, len(bodies))}")
    print(
        f"processing, median per article: {statistics.median(work) * 1e3:6.2f} ms (handler/batch)"
    )
    print(f"drain, wall time per article:   {drained / len(bodies) * 1e3:6.2f} ms (incl. SQS)")
    print(
        f"floor, median per article:      {statistics.median(floor) * 1e3:6.2f} ms"
        " (1 GetObject, 1 GetItem, 1 PutItem, 4 PutObject, 1 PutEvents; plain boto3)"
    )
    print(f"ratio (median of rounds): {statistics.median(ratios):.2f}x (target <= 1.3)")
    return 0 if decided == len(bodies) else 1


def _per_article(calls: Counter[str], articles: int) -> str:
    return ", ".join(f"{name} {count / articles:g}" for name, count in sorted(calls.items()))


if __name__ == "__main__":
    sys.exit(main())
