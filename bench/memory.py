"""Memory: each function's peak resident memory on one cold invocation, on the MENAFN sample and
on a 1 MB article made from it, beside the MemorySize the template gives it.

Every cell (a function and an input) is measured in fresh Python processes. Each sets the
environment the template gives that function (its variables, the Globals' and the parameters'
defaults, and AWS_LAMBDA_FUNCTION_NAME, so Powertools behaves as on Lambda with TraceAwsCalls
"false"), imports boto3 and the handler, starts moto in-process (`moto.mock_aws`), provisions
what the function reads, puts back what it finds when it starts, builds the event Lambda would
pass, invokes the handler once with `clearance.local.limits.context`, checks that it did its
work, and reports its peak resident set size (`ru_maxrss`): Lambda's "Max Memory Used" is the
process's peak RSS. Nothing is subtracted from "peak": it is the whole process, moto and its
copy of every object included, an upper bound of what Lambda would report.

What each function finds: the webhook, a signed delivery of the article (its secret stored);
the processor, the article in the inbound bucket and the SQS message of its S3 event; the
lifecycle sweep, a held delivery whose embargo has come due (the article's text in a dpa ninjs
item: plain text carries no embargo); the kill, the published article and a signed order; the
review, the article held for its altered disclaimer and a reviewer's approval; the digest, an
hour of 500 decision records of the article to seal, the hour before it sealed; the audit
review, the same records sealed and a query returning all 500; the feed poller, an Atom feed of
one entry carrying the article, served over HTTP on loopback, and its due subscription. A
preparing process makes these worlds once, running the services themselves on moto; a measured
process puts them back object by object and item by item, so it loads nothing of the engine
unless its handler does.

moto runs in the measured process. Its share is measured by a baseline process per run that does
everything except import and invoke the handler; "own" is the median peak less the median
baseline peak: the handler's imports that moto does not share, the clients and service models
it loads (provisioning uses a boto3 session of its own, so the handler's clients load their
models as on Lambda) and the invocation's working set, moto's copies of what it writes included.
"Lambda est." is closer to what Lambda would report: the process with boto3 and the handler
imported, before moto is (Lambda's runtime starts with neither), plus the invocation's own rise
above the resident memory it started from (the peak counter is reset just before invoking, by
`/proc/self/clear_refs`). "own" and the estimate undercount what moto already holds that the
handler would otherwise load (modules both import, freed heap the handler reuses), a few MB;
Lambda's own runtime (its bootstrap and runtime interface client) is in no figure. Durations
are the invocation's alone, against moto, on this machine; Lambda gives a function CPU in
proportion to its MemorySize (one full vCPU at 1,769 MB), so a function whose latency matters
may keep more memory than it needs.

One event of each kind is measured: a batch of ten SQS messages, a sweep of many timers, a poll
of many feeds or of a feed of many entries, an audit query of 1,000 records and the
verification route are not. The whole run takes about five minutes on a 2-core machine.

A child's `ru_maxrss` starts from the high-water mark of the process that spawned it (Linux keeps
the figure from before `exec`), so this launcher imports nothing but the standard library, the
worlds are prepared in a process of their own, and each child's figure is checked against its
own `VmHWM`.

Suggested MemorySize: the smallest of Lambda's 128, 256, 512, 1024, 1536 and 2048 MB that keeps
the larger of the two peaks under 70% of it; "(from est.)" does the same with the estimate.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
EVENTS = PROJECT / "events"
ARTICLES = EVENTS / "articles"
MENAFN = PROJECT.parent / "shared" / "samples" / "menafn" / "000_3ffd96728f458706.txt"
TEMPLATE = PROJECT / "template.yaml"

HANDLERS = {
    "WebhookFunction": "webhook",
    "ProcessorFunction": "processor",
    "LifecycleFunction": "lifecycle",
    "KillFunction": "kill",
    "ReviewFunction": "review",
    "AuditReviewFunction": "audit_review",
    "AuditDigestFunction": "audit_digest",
    "FeedPollerFunction": "feed_poller",
}
"""Each function of the template, by its logical id, and its module under `clearance.handlers`."""
FUNCTIONS = tuple(HANDLERS)
PROVISIONS: dict[str, tuple[str, ...]] = {
    "WebhookFunction": ("secrets",),
    "ProcessorFunction": ("state", "bus"),
    "LifecycleFunction": ("state", "bus"),
    "KillFunction": ("state", "bus", "secrets"),
    "ReviewFunction": ("state", "bus"),
    "AuditReviewFunction": ("key",),
    "AuditDigestFunction": ("key",),
    "FeedPollerFunction": ("subscriptions",),
}
"""What each function reads or writes beside the buckets, made in moto before it starts."""
SIZES = ("sample", "1 MB")
RUNS = 3
RECORDS = 500
"""Decision records in the digest's hour and in the audit query's answer."""
LAMBDA_SIZES = (128, 256, 512, 1024, 1536, 2048)
TARGET = 0.7
"""The share of a MemorySize the peak may use."""
MARK = "MEMORY-BENCH "
"""Where a child's figures start on its stdout, among its function's logs."""

PROVIDER = "menafn"
FEED_PROVIDER = "the-conversation"
FEED = "memory-bench.atom"
FEED_URL = f"http://127.0.0.1:9/{FEED}"
"""The subscription's URL as prepared; a measured process puts its own server's in its place."""
DESK_CLIENT = "memory-bench-desk-client"
DIGEST_KEY = "memory-bench-digest-key"
"""DIGEST_KEY_ID as prepared; a measured process puts the key it made in its place."""
REVIEWER = "arn:aws:iam::123456789012:role/clearance-ReviewerRole"
COMPLIANCE = "arn:aws:iam::123456789012:role/clearance-ComplianceRole"
SEAL_GRACE = timedelta(minutes=40)
"""`services.digester.SEAL_GRACE`: an hour is sealed once it is this old."""
HOUR = timedelta(hours=1)

World = dict[str, Any]


# The articles -------------------------------------------------------------------------------------


def one_megabyte(sample: str) -> str:
    """The sample with its first paragraph repeated to 1 MB, as `bench/engine.py` makes it."""
    head, _, tail = sample.partition("\n\nLegal Disclaimer:")
    paragraph = head.split("\n\n")[1]
    copies = 1_000_000 // (len(paragraph.encode()) + 2) + 1
    return head + ("\n\n" + paragraph) * copies + "\n\nLegal Disclaimer:" + tail


def article(size: str) -> str:
    path = MENAFN if MENAFN.is_file() else ARTICLES / "menafn-ports.txt"
    sample = path.read_text(encoding="utf-8")
    return sample if size == "sample" else one_megabyte(sample)


def altered(text: str) -> str:
    """The article with its disclaimer altered: MENAFN's terms hold it for review."""
    changed = text.replace("We do not accept", "We accept")
    if changed == text:
        raise SystemExit("bench: the article's disclaimer has no sentence to alter")
    return changed


def paragraphs(text: str) -> tuple[str, str]:
    """The headline, and the body's paragraphs as HTML, the disclaimer left out."""
    head = text.partition("\n\nLegal Disclaimer:")[0]
    headline, *body = head.split("\n\n")
    return headline, "".join(f"<p>{part}</p>" for part in body if part.strip())


def embargoed_ninjs(text: str, embargo: datetime) -> bytes:
    """The article as a dpa ninjs item under an embargo (plain text carries none)."""
    document: dict[str, Any] = json.loads((ARTICLES / "dpa-embargoed.json").read_text("utf-8"))
    headline, html = paragraphs(text)
    document["uri"] = "urn:newsml:dpa.com:20261206:memory-bench"
    document["embargoedUntil"] = embargo.isoformat()
    document["headlines"] = [{"role": "main", "value": headline}]
    document["bodies"][0]["value"] = html
    return json.dumps(document, ensure_ascii=False).encode()


def atom_feed(text: str, updated: datetime) -> bytes:
    """An Atom feed of one entry carrying the article, as The Conversation publishes."""
    from xml.sax.saxutils import escape  # noqa: PLC0415 - the preparing process's alone

    headline, html = paragraphs(text)
    stamp = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Memory bench</title><id>tag:bench.example.org,2026:memory</id>"
        f"<updated>{stamp}</updated><entry><id>tag:bench.example.org,2026:memory-1</id>"
        f"<updated>{stamp}</updated><title>{escape(headline)}</title>"
        '<link rel="alternate" href="https://bench.example.org/memory-1"/>'
        f'<content type="html">{escape(html)}</content><author><name>Bench</name></author>'
        "<rights>Licensed as Creative Commons – attribution, no derivatives.</rights>"
        "</entry></feed>"
    ).encode()


# Preparing the worlds (a process of its own) -----------------------------------------------------


def template_environment() -> dict[str, dict[str, str]]:
    """Each function's environment variables as the template sets them, its parameters at their
    defaults; a resource's id (the digest key, the desk's app client) stands in until known."""
    import re  # noqa: PLC0415 - preparing alone

    from samtranslator.yaml_helper import yaml_parse  # noqa: PLC0415 - preparing alone

    from clearance.local.resources import Names  # noqa: PLC0415 - preparing alone

    names = Names()
    template: dict[str, Any] = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    defaults = {k: str(v.get("Default", "")) for k, v in template["Parameters"].items()}
    standing = {"DigestSigningKey": DIGEST_KEY, "DeskConsoleClient": DESK_CLIENT}
    pseudo = {"AWS::StackName": names.stack, "AWS::AccountId": names.account}
    pseudo |= {"AWS::Region": names.region, **defaults}
    conditions = {"TracesAwsCalls": defaults["TraceAwsCalls"] == "true"}

    def resolved(value: Any) -> str:
        if isinstance(value, str | int):
            return str(value)
        if "Ref" in value:
            return defaults.get(value["Ref"]) or standing[value["Ref"]]
        if "Fn::Sub" in value:
            return re.sub(r"\$\{([^}]+)\}", lambda m: pseudo[m.group(1)], value["Fn::Sub"])
        if "Fn::If" in value:
            condition, when_true, when_false = value["Fn::If"]
            return resolved(when_true if conditions[condition] else when_false)
        raise SystemExit(f"bench: cannot resolve {value!r} in template.yaml")

    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    found = {}
    for name in FUNCTIONS:
        own = template["Resources"][name]["Properties"]["Environment"]["Variables"]
        env = {key: resolved(value) for key, value in {**shared, **own}.items()}
        differ = {k: v for k, v in names.environment().items() if env.get(k, v) != v}
        if differ:
            raise SystemExit(f"bench: {name}'s template values differ from Names: {differ}")
        found[name] = env
    return found


def cell_folder(directory: Path, function: str, size: str) -> Path:
    return directory / f"{function}-{size.replace(' ', '')}"


def prepare(directory: Path) -> None:
    """Each cell's world in a folder of `directory`: `world.json` and the bytes it names."""
    environments = template_environment()
    now = datetime.now(UTC).replace(microsecond=0)
    for size in SIZES:
        text = article(size)
        folders = {name: cell_folder(directory, name, size) for name in FUNCTIONS}
        for folder in folders.values():
            folder.mkdir()
        worlds = {
            "WebhookFunction": webhook_world(text, folders["WebhookFunction"]),
            "ProcessorFunction": processor_world(text, now, folders["ProcessorFunction"]),
            "LifecycleFunction": lifecycle_world(text, now, folders["LifecycleFunction"]),
            "KillFunction": kill_world(text, now, folders["KillFunction"]),
            "ReviewFunction": review_world(text, now, folders["ReviewFunction"]),
            "FeedPollerFunction": poller_world(text, now, folders["FeedPollerFunction"]),
        }
        worlds["AuditDigestFunction"], worlds["AuditReviewFunction"] = audit_worlds(
            text, now, folders["AuditDigestFunction"], folders["AuditReviewFunction"]
        )
        for name, world in worlds.items():
            world["environment"] = environments[name]
            (folders[name] / "world.json").write_text(json.dumps(world), encoding="utf-8")


def kept(folder: Path, data: bytes) -> str:
    """`data` in a file of the world's folder; its name."""
    name = f"{len(list(folder.iterdir())):04d}.bin"
    (folder / name).write_bytes(data)
    return name


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def webhook_world(text: str, folder: Path) -> World:
    body = kept(folder, text.encode())
    return {
        "secrets": {PROVIDER: new_secret()},
        "request": {"body": body, "media": "text/plain; charset=utf-8"},
    }


def processor_world(text: str, now: datetime, folder: Path) -> World:
    key = f"inbound/{PROVIDER}/{now:%Y/%m/%d}/memory-bench.txt"
    stored = {"bucket": "inbound", "key": key, "content_type": "text/plain"}
    return {"objects": [{**stored, "file": kept(folder, text.encode())}], "request": {"key": key}}


@dataclass(frozen=True)
class Moto:
    """The clients of moto's AWS in the preparing process, the template's resources made."""

    s3: Any
    dynamodb: Any
    events: Any
    kms: Any


@contextmanager
def fresh_moto() -> Iterator[Moto]:
    import boto3  # noqa: PLC0415 - preparing alone
    from moto import mock_aws  # noqa: PLC0415 - preparing alone

    from clearance.local.resources import (  # noqa: PLC0415 - preparing alone
        Names,
        create_buckets,
        create_bus,
        create_state_table,
        create_subscriptions_table,
    )

    names = Names()
    with mock_aws():
        session = boto3.session.Session(region_name=names.region)
        moto = Moto(
            s3=session.client("s3"),
            dynamodb=session.client("dynamodb"),
            events=session.client("events"),
            kms=session.client("kms"),
        )
        create_buckets(moto.s3, names)
        create_state_table(moto.dynamodb, names)
        create_subscriptions_table(moto.dynamodb, names)
        create_bus(moto.events, session.client("sqs"), names)
        yield moto


def dumped(
    moto: Moto, folder: Path, world: World, known: Mapping[str, bytes] | None = None
) -> World:
    """`world` with every object and item moto holds, each object's bytes kept in `folder`;
    the JSON objects `known` (by key) are not read back."""
    from clearance.local.resources import Names  # noqa: PLC0415 - preparing alone

    names = Names()
    objects = []
    for role in ("inbound", "cleared", "quarantine", "audit"):
        bucket = names.bucket(role)
        for page in moto.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                key = item["Key"]
                if known and key in known:
                    data, media = known[key], "application/json"
                else:
                    stored = moto.s3.get_object(Bucket=bucket, Key=key)
                    data = stored["Body"].read()
                    media = stored.get("ContentType", "binary/octet-stream")
                file = kept(folder, data)
                objects.append({"bucket": role, "key": key, "file": file, "content_type": media})
    items = [
        {"table": table, "item": item}
        for table in (names.state_table, names.subscriptions_table)
        for item in moto.dynamodb.scan(TableName=table)["Items"]
    ]
    return {**world, "objects": objects, "items": items}


def processed(moto: Moto, key: str, data: bytes, at: datetime) -> tuple[Any, dict[str, Any]]:
    """A delivery put into the inbound bucket and decided by the processor at `at`: the
    decision, and the article's state after it."""
    from clearance.aws.bus import Bus  # noqa: PLC0415 - preparing alone
    from clearance.aws.statestore import StateStore  # noqa: PLC0415 - preparing alone
    from clearance.aws.store import Bucket  # noqa: PLC0415 - preparing alone
    from clearance.decide.licensee import Licensee  # noqa: PLC0415 - preparing alone
    from clearance.lifecycle.record import Source  # noqa: PLC0415 - preparing alone
    from clearance.local.resources import Names  # noqa: PLC0415 - preparing alone
    from clearance.services.articles import Articles  # noqa: PLC0415 - preparing alone
    from clearance.services.processor import Processor  # noqa: PLC0415 - preparing alone
    from clearance.terms.policy import PolicySet  # noqa: PLC0415 - preparing alone

    names = Names()
    articles = Articles(
        states=StateStore(moto.dynamodb, names.state_table),
        buckets={r: Bucket(moto.s3, names.bucket(r)) for r in ("cleared", "quarantine", "audit")},
        bus=Bus(moto.events, names.event_bus),
        policies=PolicySet.load(),
        clock=lambda: at,
    )
    inbound = Bucket(moto.s3, names.bucket("inbound"))
    processor = Processor(inbound, articles, Licensee())
    processor.clock = lambda: at
    moto.s3.put_object(Bucket=inbound.name, Key=key, Body=data)
    # No version id, as the harness decides: the measured process's copy has a new one.
    (decision,) = processor.process(Source(inbound.name, key, None, at, "memory-bench"))
    (item,) = moto.dynamodb.scan(TableName=names.state_table)["Items"]
    return decision, json.loads(item["state"]["S"])


def lifecycle_world(text: str, now: datetime, folder: Path) -> World:
    """A dpa item held under an embargo that ended an hour ago, delivered an hour before."""
    with fresh_moto() as moto:
        key = f"inbound/dpa/{now:%Y/%m/%d}/memory-bench.json"
        decision, state = processed(moto, key, embargoed_ninjs(text, now - HOUR), now - 2 * HOUR)
        timers = [timer["kind"] for timer in state["timers"]]
        if decision.outcome.value != "held" or timers != ["embargo"]:
            raise SystemExit(f"bench: the embargoed item was {decision.outcome}, timers {timers}")
        return dumped(moto, folder, {"request": {}})


def kill_world(text: str, now: datetime, folder: Path) -> World:
    """The article published, and its provider's secret for the signed kill order."""
    with fresh_moto() as moto:
        key = f"inbound/{PROVIDER}/{now:%Y/%m/%d}/memory-bench.txt"
        decision, state = processed(moto, key, text.encode(), now - HOUR)
        if decision.outcome.value != "cleared":
            raise SystemExit(f"bench: the article was {decision.outcome}, not cleared")
        world = {"secrets": {PROVIDER: new_secret()}, "request": {"article": state["article_id"]}}
        return dumped(moto, folder, world)


def review_world(text: str, now: datetime, folder: Path) -> World:
    """The article with its disclaimer altered, held for review."""
    with fresh_moto() as moto:
        key = f"inbound/{PROVIDER}/{now:%Y/%m/%d}/memory-bench.txt"
        decision, state = processed(moto, key, altered(text).encode(), now - HOUR)
        (version,) = state["versions"]
        if decision.outcome.value != "held" or version.get("hold") != "review":
            raise SystemExit(f"bench: the altered article was {decision.outcome}, {version}")
        request = {"article": state["article_id"], "version": version["version"]}
        return dumped(moto, folder, {"request": request})


def audit_worlds(text: str, now: datetime, digest: Path, review: Path) -> tuple[World, World]:
    """RECORDS decision records of the article, decided in the latest hour the digest may seal;
    for the digest, the hour before it sealed; for the audit review, that hour too."""
    from clearance.aws.digeststore import DigestStore  # noqa: PLC0415 - preparing alone
    from clearance.aws.kms import KmsSigner  # noqa: PLC0415 - preparing alone
    from clearance.aws.store import Bucket  # noqa: PLC0415 - preparing alone
    from clearance.local.resources import Names, create_signing_key  # noqa: PLC0415
    from clearance.services.digester import Digester  # noqa: PLC0415 - preparing alone

    hour = (now - SEAL_GRACE).replace(minute=0, second=0) - HOUR
    request = {"hour": hour.isoformat()}
    with fresh_moto() as moto:
        audit = Bucket(moto.s3, Names().bucket("audit"))
        signer = KmsSigner(moto.kms, create_signing_key(moto.kms))
        before = Digester(DigestStore(audit), signer, lambda: hour + SEAL_GRACE).run()
        records = dict(decision_records(text, hour))
        for key, data in records.items():
            if not audit.put_once(key, data, "application/json"):
                raise SystemExit(f"bench: {key} written twice")
        unsealed = dumped(moto, digest, {"request": request}, records)
        sealed = Digester(DigestStore(audit), signer, lambda: hour + HOUR + SEAL_GRACE).run()
        if len(before) != 1 or len(sealed) != 1:
            raise SystemExit(f"bench: the digests before and of the hour are {before}, {sealed}")
        return unsealed, dumped(moto, review, {"request": request}, records)


def decision_records(text: str, hour: datetime) -> list[tuple[str, bytes]]:
    """The record of the processor's decision on the article, RECORDS times over the hour: each
    its own decision, request and moment, the article and its findings the same."""
    import hashlib  # noqa: PLC0415 - preparing alone

    from clearance.contracts.encoding import json_line  # noqa: PLC0415 - preparing alone
    from clearance.contracts.keys import record_key  # noqa: PLC0415 - preparing alone
    from clearance.decide.engine import clear  # noqa: PLC0415 - preparing alone
    from clearance.lifecycle.events import Delivered  # noqa: PLC0415 - preparing alone
    from clearance.lifecycle.record import Source  # noqa: PLC0415 - preparing alone
    from clearance.lifecycle.transition import transition  # noqa: PLC0415 - preparing alone
    from clearance.local.resources import Names  # noqa: PLC0415 - preparing alone
    from clearance.terms.policy import PolicySet  # noqa: PLC0415 - preparing alone

    names = Names()
    policies = PolicySet.load()
    data = text.encode()
    key = f"inbound/{PROVIDER}/{hour:%Y/%m/%d}/memory-bench.txt"
    source = Source(names.bucket("inbound"), key, None, hour, "memory-bench")
    decision = clear(data, policies=policies, now=hour)
    buckets: Any = {role: names.bucket(role) for role in ("cleared", "quarantine", "audit")}
    policy = policies.policies.get(PROVIDER)
    change = transition(None, Delivered(decision, source, data), hour, policy, buckets)
    record, _ = change.plan.records[0]
    made = []
    for n in range(RECORDS):
        digest = hashlib.sha256(f"memory bench {n}".encode()).hexdigest()
        copy = {**record, "decision_id": f"{digest}-{'0' * 12}", "request_id": f"memory-{n}"}
        copy["decided_at"] = (hour + n * HOUR / RECORDS).isoformat()
        made.append((record_key(copy), json_line(copy)))
    return made


def poller_world(text: str, now: datetime, folder: Path) -> World:
    """A subscription to an Atom feed of one entry carrying the article, due now."""
    from clearance.aws.subscriptions import SubscriptionStore  # noqa: PLC0415 - preparing alone
    from clearance.feeds.subscription import new_subscription  # noqa: PLC0415 - preparing alone
    from clearance.local.resources import Names  # noqa: PLC0415 - preparing alone

    (folder / FEED).write_bytes(atom_feed(text, now - HOUR))
    with fresh_moto() as moto:
        subscription = new_subscription(
            "memory-bench",
            FEED_PROVIDER,
            url=FEED_URL,
            feed_format="atom",
            interval_seconds=60,
            credentials=None,
            now=now - HOUR,
            providers={FEED_PROVIDER},
        )
        SubscriptionStore(moto.dynamodb, Names().subscriptions_table).save(subscription, 0)
        return dumped(moto, folder, {"request": {}})


# One measured process -----------------------------------------------------------------------------


def peak_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def status_mb(field: str) -> float:
    """A memory figure of /proc/self/status: `VmHWM` (this program's own peak), `VmRSS`."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"bench: /proc/self/status has no {field}")


def reset_peak() -> bool:
    """The peak counter set back to the resident memory now (Linux 4.0 and later)."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def measure(function: str, folder: Path, *, invoke: bool) -> dict[str, Any]:
    """One cold start of `function` on the world in `folder`; without `invoke`, everything but
    the handler's import and invocation (the baseline). Figures in MB."""
    figures: dict[str, Any] = {"python": peak_mb()}
    world: World = json.loads((folder / "world.json").read_text(encoding="utf-8"))
    for name in [n for n in os.environ if n.startswith(("AWS_", "POWERTOOLS_"))]:
        del os.environ[name]
    os.environ.update(world["environment"])
    region = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    os.environ.update({"AWS_LAMBDA_FUNCTION_NAME": function, **region})
    import boto3  # noqa: PLC0415, F401 - measured: a child's own, the launcher stays small

    figures["boto3"] = peak_mb()
    if invoke:
        import importlib  # noqa: PLC0415 - measured: a child's own

        module = importlib.import_module(f"clearance.handlers.{HANDLERS[function]}")
        figures["imported"] = peak_mb()
    from moto import mock_aws  # noqa: PLC0415 - measured: a child's own

    from clearance.local.limits import context  # noqa: PLC0415 - measured: a child's own

    with mock_aws(), ExitStack() as serving:
        event = seeded(function, world, folder, serving)
        figures["seeded"] = peak_mb()
        if invoke:
            lambda_context = context(function)
            figures["resident"] = status_mb("VmRSS")
            figures["reset"] = reset_peak()
            started = time.perf_counter()
            answer = module.handler(event, lambda_context, **collaborators(function))
            figures["seconds"] = time.perf_counter() - started
            figures["invocation"] = peak_mb()
            figures["hwm"] = status_mb("VmHWM")
            figures["memory_mb"] = lambda_context.memory_limit_in_mb
            figures["answer"] = checked(function, answer, world["request"])
        else:
            figures["hwm"] = status_mb("VmHWM")
    figures["peak"] = max(figures["seeded"], figures.get("invocation", 0.0))
    return figures


def collaborators(function: str) -> dict[str, Any]:
    """What the handler is given beside its event: the poller may fetch from loopback (the local
    stack's limits), the one thing its deployed wiring refuses; it is built as the handler builds
    it, within the measured invocation."""
    if function != "FeedPollerFunction":
        return {}
    from clearance.feeds.outbound import Limits  # noqa: PLC0415 - measured: the handler's own
    from clearance.services import wiring  # noqa: PLC0415 - measured: the handler's own
    from clearance.services.config import PollerConfig  # noqa: PLC0415 - the handler's own

    config = PollerConfig.from_env(os.environ)
    return {"poller": wiring.build_poller(config, Limits(loopback_http=True))}


def seeded(function: str, world: World, folder: Path, serving: ExitStack) -> dict[str, Any]:
    """The function's resources made and its world put back; the event Lambda passes it. The
    feed's server, if any, stays up until `serving` closes."""
    import boto3  # noqa: PLC0415 - measured: a child's own

    from clearance.local.resources import (  # noqa: PLC0415 - measured: a child's own
        Names,
        create_buckets,
        create_bus,
        create_secrets,
        create_signing_key,
        create_state_table,
        create_subscriptions_table,
    )

    names = Names()
    # A session of our own: the handler's clients load their service models, as on Lambda.
    session = boto3.session.Session(region_name=names.region)
    s3 = session.client("s3")
    needs = PROVISIONS[function]
    create_buckets(s3, names)
    if "state" in needs:
        create_state_table(session.client("dynamodb"), names)
    if "subscriptions" in needs:
        create_subscriptions_table(session.client("dynamodb"), names)
    if "bus" in needs:
        create_bus(session.client("events"), session.client("sqs"), names)
    if "secrets" in needs:
        create_secrets(session.client("secretsmanager"), names, world["secrets"])
    if "key" in needs:
        os.environ["DIGEST_KEY_ID"] = create_signing_key(session.client("kms"))
    versions = {}
    for stored in world.get("objects", []):
        written = s3.put_object(
            Bucket=names.bucket(stored["bucket"]),
            Key=stored["key"],
            Body=(folder / stored["file"]).read_bytes(),
            ContentType=stored["content_type"],
            ChecksumAlgorithm="SHA256",
        )
        versions[stored["key"]] = written.get("VersionId")
    feed_url = FEED_URL
    if (folder / FEED).is_file():
        from clearance.local.feedserver import FeedServer  # noqa: PLC0415 - measured

        feed_url = serving.enter_context(FeedServer(folder)).url(FEED)
    for entry in world.get("items", []):
        item = json.loads(json.dumps(entry["item"]).replace(FEED_URL, feed_url))
        session.client("dynamodb").put_item(TableName=entry["table"], Item=item)
    return EVENT_OF[function](world, folder, versions)


# The events Lambda passes -------------------------------------------------------------------------


def rest(
    method: str,
    path: str,
    resource_path: str,
    parameters: Mapping[str, str],
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    caller: str | None = None,
) -> dict[str, Any]:
    """API Gateway's REST proxy event for the request, as the local gateway builds it."""
    import uuid  # noqa: PLC0415 - measured: a child's own

    from clearance.local.proxy import Caller, rest_event  # noqa: PLC0415 - measured

    return rest_event(
        method=method,
        target=path,
        headers=[("Host", "abc123.execute-api.us-east-1.amazonaws.com"), *(headers or {}).items()],
        body=body,
        resource=resource_path,
        parameters=parameters,
        source_ip="203.0.113.10",
        stage="dev",
        request_id=str(uuid.uuid4()),
        now=datetime.now(UTC),
        caller=Caller(iam=caller) if caller else None,
    )


def signed(world: World, body: bytes, media: str) -> dict[str, str]:
    """The headers of a request the provider signed just now."""
    from clearance.ingest.signature import signed_headers  # noqa: PLC0415 - measured

    secret = world["secrets"][PROVIDER]
    message = f"msg_memory-bench-{time.time_ns()}"
    return {"Content-Type": media, **signed_headers(secret, message, int(time.time()), body)}


Versions = Mapping[str, str | None]


def webhook_event(world: World, folder: Path, _: Versions) -> dict[str, Any]:
    body = (folder / world["request"]["body"]).read_bytes()
    headers = signed(world, body, world["request"]["media"])
    path, resource_path = f"/v1/providers/{PROVIDER}/articles", "/v1/providers/{provider}/articles"
    return rest("POST", path, resource_path, {"provider": PROVIDER}, body=body, headers=headers)


def processor_event(world: World, folder: Path, versions: Versions) -> dict[str, Any]:
    """The SQS message of the object's S3 event, shaped as `events/processor_menafn_sqs.json`."""
    from urllib.parse import quote_plus  # noqa: PLC0415 - measured: a child's own

    from clearance.local.resources import Names  # noqa: PLC0415 - measured: a child's own

    key = world["request"]["key"]
    (stored,) = world["objects"]
    event: dict[str, Any] = json.loads((EVENTS / "processor_menafn_sqs.json").read_text("utf-8"))
    (message,) = event["Records"]
    body = json.loads(message["body"])
    (record,) = body["Records"]
    record["eventTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    record["s3"]["bucket"]["name"] = Names().bucket("inbound")
    record["s3"]["object"] |= {
        "key": quote_plus(key, safe="/"),
        "size": (folder / stored["file"]).stat().st_size,
        "versionId": versions[key],
    }
    message["body"] = json.dumps(body)
    return event


def scheduled(name: str) -> Callable[[World, Path, Versions], dict[str, Any]]:
    """The EventBridge schedule's event, from `events/`."""

    def event(_: World, __: Path, ___: Versions) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
        return loaded

    return event


def kill_event(world: World, _: Path, __: Versions) -> dict[str, Any]:
    article_id = world["request"]["article"]
    body = json.dumps({"reason": "legal"}).encode()
    return rest(
        "POST",
        f"/v1/providers/{PROVIDER}/articles/{article_id}/kill",
        "/v1/providers/{provider}/articles/{id}/kill",
        {"provider": PROVIDER, "id": article_id},
        body=body,
        headers=signed(world, body, "application/json"),
    )


def review_event(world: World, _: Path, __: Versions) -> dict[str, Any]:
    article_id, version = world["request"]["article"], world["request"]["version"]
    verdict = {"version": version, "verdict": "approve", "reason": "wording agreed"}
    return rest(
        "POST",
        f"/v1/review/articles/{article_id}",
        "/v1/review/articles/{id}",
        {"id": article_id},
        body=json.dumps(verdict).encode(),
        headers={"Content-Type": "application/json"},
        caller=REVIEWER,
    )


def audit_event(world: World, _: Path, __: Versions) -> dict[str, Any]:
    day = world["request"]["hour"][:10]
    query = f"from={day}&to={day}&limit={RECORDS}"
    return rest("GET", f"/v1/audit?{query}", "/v1/audit", {}, caller=COMPLIANCE)


EVENT_OF: dict[str, Callable[[World, Path, Versions], dict[str, Any]]] = {
    "WebhookFunction": webhook_event,
    "ProcessorFunction": processor_event,
    "LifecycleFunction": scheduled("lifecycle_schedule.json"),
    "KillFunction": kill_event,
    "ReviewFunction": review_event,
    "AuditReviewFunction": audit_event,
    "AuditDigestFunction": scheduled("audit_digest_schedule.json"),
    "FeedPollerFunction": lambda _, __, ___: {},
}


def checked(function: str, answer: dict[str, Any], request: Mapping[str, Any]) -> str:
    """What the invocation did, in a few words; SystemExit unless it did its work."""
    inbound, copies = stored_objects()
    status, body = int(answer.get("statusCode", 0)), json.loads(answer.get("body") or "{}")
    if status >= 300:
        raise SystemExit(f"bench: {function} answered {status}: {body}")
    sealed = f"{datetime.fromisoformat(request.get('hour', '2000-01-01')):%Y/%m/%d/%H}"
    done: dict[str, tuple[bool, str]] = {
        "WebhookFunction": (inbound >= 1, f"{status}, {inbound} inbound objects"),
        "ProcessorFunction": (
            not answer.get("batchItemFailures") and copies >= 1,
            f"no failures, {copies} cleared copies",
        ),
        "LifecycleFunction": (
            answer.get("timers") == 1 and copies >= 1,
            f"{answer.get('timers')} timer fired, {copies} cleared copies",
        ),
        "KillFunction": (copies == 0, f"{status}, {copies} cleared copies left"),
        "ReviewFunction": (
            body.get("status") == "published" and copies >= 1,
            f"{status} {body.get('status')}, {copies} cleared copies",
        ),
        "AuditReviewFunction": (
            len(body.get("decisions", [])) == RECORDS,
            f"{status}, {len(body.get('decisions', []))} records",
        ),
        "AuditDigestFunction": (
            any(key.endswith(f"{sealed}.json") for key in answer.get("digests", [])),
            f"sealed {', '.join(answer.get('digests', []))}",
        ),
        "FeedPollerFunction": (
            answer.get("stored") == 1 and not answer.get("failed") and inbound == 1,
            f"{answer.get('stored')} item stored, {answer.get('failed')} failed",
        ),
    }
    worked, summary = done[function]
    if not worked:
        raise SystemExit(f"bench: {function}: {summary}; answered {answer}")
    return summary


def stored_objects() -> tuple[int, int]:
    """The objects in the inbound bucket, and the cleared copies."""
    import boto3  # noqa: PLC0415 - measured: a child's own

    from clearance.contracts import keys  # noqa: PLC0415 - measured: a child's own
    from clearance.local.resources import Names  # noqa: PLC0415 - measured: a child's own

    names = Names()
    s3 = boto3.session.Session(region_name=names.region).client("s3")
    inbound = s3.list_objects_v2(Bucket=names.bucket("inbound"))
    copies = s3.list_objects_v2(Bucket=names.bucket("cleared"), Prefix=keys.CLEARED)
    return int(inbound.get("KeyCount", 0)), int(copies.get("KeyCount", 0))


# The launcher -------------------------------------------------------------------------------------


@dataclass
class Cell:
    """A function on an input: its measured processes and its baselines."""

    function: str
    size: str
    runs: list[dict[str, Any]]
    baselines: list[dict[str, Any]]

    def median(self, name: str, *, baseline: bool = False) -> float:
        return statistics.median(
            float(run[name]) for run in (self.baselines if baseline else self.runs)
        )

    @property
    def peak(self) -> float:
        return self.median("peak")

    @property
    def own(self) -> float:
        """The handler's own: the median peak less the median baseline's."""
        return self.peak - self.median("peak", baseline=True)

    @property
    def rise(self) -> float:
        """The invocation's peak above the resident memory it started from."""
        return statistics.median(
            float(run["invocation"]) - float(run["resident"]) for run in self.runs
        )

    @property
    def estimate(self) -> float:
        """On Lambda: boto3 and the handler imported, and the invocation's rise."""
        return self.median("imported") + self.rise

    @property
    def milliseconds(self) -> float:
        return self.median("seconds") * 1e3


def child(*arguments: str) -> dict[str, Any]:
    """This script run in a fresh interpreter; the figures it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    done = subprocess.run(  # noqa: S603 - this interpreter running this script
        [sys.executable, __file__, *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode or not lines:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"bench: {' '.join(arguments)} failed (exit {done.returncode})")
    figures: dict[str, Any] = json.loads(lines[-1].removeprefix(MARK))
    return figures


def suggested(peak: float) -> str:
    fitting = [size for size in LAMBDA_SIZES if peak < TARGET * size]
    return str(fitting[0]) if fitting else f"> {LAMBDA_SIZES[-1]}"


def pair(first: float, second: float) -> str:
    return f"{first:.0f} / {second:.0f}"


def report(cells: Mapping[tuple[str, str], Cell]) -> None:
    functions = [f for f in FUNCTIONS if (f, SIZES[0]) in cells]
    header = (
        f"{'function':20} {'MemorySize':>10} {'peak sample':>11} {'peak 1 MB':>9}"
        f" {'own (s / 1MB)':>13} {'Lambda est.':>11} {'headroom':>8} {'suggested':>9}"
        f" {'(from est.)':>11} {'ms (s / 1MB)':>13}"
    )
    print(header)
    print("-" * len(header))
    for function in functions:
        small, large = cells[function, SIZES[0]], cells[function, SIZES[1]]
        memory = int(small.runs[0]["memory_mb"])
        peak, estimate = max(small.peak, large.peak), max(small.estimate, large.estimate)
        print(
            f"{function:20} {memory:>10} {small.peak:>11.0f} {large.peak:>9.0f}"
            f" {pair(small.own, large.own):>13} {pair(small.estimate, large.estimate):>11}"
            f" {memory / peak:>7.1f}x {suggested(peak):>9} {suggested(estimate):>11}"
            f" {pair(small.milliseconds, large.milliseconds):>13}"
        )
    print(
        "\nMB: MiB of RSS. peak: the whole process, moto included. own: peak less the baseline's"
        " (moto provisioned and seeded, no handler).\nLambda est.: python, boto3 and the handler"
        " imported without moto, plus the invocation's rise above the RSS it started from."
        "\nheadroom: MemorySize over the larger peak. ms: the invocation alone, against moto."
    )
    print("\neach cell, medians in MB")
    print(
        f"  {'function':20} {'input':6} {'python':>6} {'+boto3':>6} {'+handler':>8}"
        f" {'baseline':>8} {'seeded':>6} {'peak':>5} {'rise':>5} {'own':>4}  answer"
    )
    for function in functions:
        for size in SIZES:
            cell = cells[function, size]
            print(
                f"  {function:20} {size:6} {cell.median('python'):>6.0f}"
                f" {cell.median('boto3'):>6.0f} {cell.median('imported'):>8.0f}"
                f" {cell.median('peak', baseline=True):>8.0f} {cell.median('seeded'):>6.0f}"
                f" {cell.peak:>5.0f} {cell.rise:>5.0f} {cell.own:>4.0f}"
                f"  {cell.runs[-1]['answer']}"
            )
    print(
        "  python: the interpreter; +boto3: boto3 imported; +handler: the handler's module"
        " imported too, before moto;\n  baseline: the baseline's peak; seeded: the measured"
        " process's before its invocation (moto started, seeded);\n  rise: the invocation's"
        " peak above the resident memory just before it"
    )


def launch(runs: int, functions: list[str]) -> None:
    began = time.perf_counter()
    cells = {(f, s): Cell(f, s, [], []) for f in functions for s in SIZES}
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as folder:
        directory = Path(folder)
        child("--prepare", folder)
        prepared = time.perf_counter() - began
        for _ in range(runs):
            for (function, size), cell in cells.items():
                world = str(cell_folder(directory, function, size))
                cell.runs.append(child("--measure", function, world))
                cell.baselines.append(child("--measure", function, world, "--baseline"))
    path = MENAFN if MENAFN.is_file() else ARTICLES / "menafn-ports.txt"
    sizes = " and ".join(f"{len(article(size).encode()):,} bytes" for size in SIZES)
    print(
        f"python {sys.version.split()[0]}; {path.name} and 1 MB made from it ({sizes});"
        f" {runs} measured processes per cell and as many baselines, interleaved; medians"
    )
    report(cells)
    for cell in cells.values():
        for run in cell.runs + cell.baselines:
            counted = run.get("invocation", run["seeded"])
            if abs(counted - run["hwm"]) > 1 or not run.get("reset", True):
                print(
                    f"note: {cell.function} {cell.size}: ru_maxrss {counted:.0f} MB,"
                    f" VmHWM {run['hwm']:.0f} MB, peak reset {run.get('reset')}"
                )
    print(
        f"\nthe launcher's own peak RSS: {peak_mb():.0f} MB, under every child's, so each child's"
        f" ru_maxrss is its own; worlds prepared in {prepared:.0f} s,"
        f" ran in {time.perf_counter() - began:.0f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="processes per cell (default 3)")
    parser.add_argument("--function", action="append", choices=FUNCTIONS, help="only these")
    parser.add_argument("--prepare", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=2, metavar=("FUNCTION", "WORLD"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        prepare(Path(args.prepare))
        print(MARK + "{}")
    elif args.measure:
        function, folder = args.measure
        figures = measure(function, Path(folder), invoke=not args.baseline)
        print(MARK + json.dumps(figures))
    else:
        launch(args.runs, args.function or list(FUNCTIONS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
