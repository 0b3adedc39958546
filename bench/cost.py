"""What an article costs: every AWS request of each path on the local stack, priced.

One `LocalStack` (moto's server on loopback, the deployed handlers) runs each path for real, five
times on distinct articles (`--repeats`; the digest and the query three times): a signed webhook
delivery and a file drop of a MENAFN article, a correction (dpa version 2 over a published
version 1), an embargo's release by the sweep, a signed kill and its deadline's check, a
reviewer's approval of a held disclaimer, an hour's digest, an audit query of 1,000 records, and
the two schedules that run every minute whatever arrives: a sweep with nothing due and a feed
poll with no subscription.

Requests are counted where they arrive: moto's WSGI application is wrapped, so every request of
every function is seen whichever client made it, by its service (the SigV4 credential scope) and
operation (`X-Amz-Target`, or S3's method, key and query). Clients that stand in for people or
for the platform tag their requests with a header: the stack's own clients (waiting, checking,
seeding) are not counted; a provider's drop into the inbound bucket is (the bucket's owner pays
for it); Lambda's SQS poller, played by this script's dispatcher, is counted apart in the
platform column: one ReceiveMessage and one DeleteMessage a batch, and the SendMessage by which
S3 notified the queue, all billed SQS requests. The dispatcher's receives that found nothing and
its GetQueueAttributes (a local detail: Lambda knows its queue) are left out, as is the idle
polling Lambda's poller does on AWS whatever the traffic.

Each path runs in isolation: the queue empty, the counter reset, the path done, the queue drained
by invoking the processor as Lambda would, the events it sent read back and checked. Figures are
per-operation medians over the occurrences. S3 requests are priced by tier (DELETE is free);
DynamoDB by request units from each item's size (1 KB a write unit, 4 KB a read unit, half for an
eventually consistent read), including the writes to each index an item enters, leaves or
changes in, as the template projects them; EventBridge by the entries of each PutEvents; KMS
Sign as an asymmetric request. Lambda bills a request per invocation and GB-seconds from the
measured duration of each handler (rounded up to the millisecond) times the template's
MemorySize (`local/limits.py`) at the template's architecture's price; API Gateway one request
per HTTP request. Durations are the handlers' on this machine against moto, not on Lambda.
Secrets are cached for 60 s in a container, so the median delivery and kill read none.

Sweep-carried work (an embargo's release, a kill's deadline) is measured as a sweep of its own,
with the sweep's clock set just past the timer, so each includes one invocation and the four
due-index queries the every-minute sweep makes anyway. The digest and the query run on a day
seeded with decision records at the rate the mix writes them (records per hour, computed from the
paths measured first), each record dated by S3 at the moment it was decided, so each hourly run
reads what it would read on AWS: its hour, and the 45 minutes of the next already written. The
day holds only its first 4 hours, so its listings are shorter than most: the digest lists every
record key of its day each hour, and a query reads every segment of the days it covers and lists
every record key of them (at this rate a full day is about 42 listing pages; each costs what
12.5 GETs do).

The floor of each path is what the work cannot do without: what it must read, read once; the
article's state read and committed once; each object it must leave written once; each event sent
once; one DynamoDB unit per request (a state within 1 KB), no GB-seconds and no queue. What the
service does beyond that (the webhook's receipt, the second state write that clears its
outbox, the audit pointer beside each record, the due index's four shards) is what the ratio
shows.

- webhook delivery: 1 API request, 2 invocations (webhook, processor); PutObject of the delivery,
  GetObject of it, GetItem and one conditional PutItem of the state, PutObject of 3 cleared
  copies and 1 audit record, 1 event.
- file drop: the provider's PutObject, 1 invocation, then as the webhook's processing.
- correction: as a webhook delivery, plus 1 DeleteObjects (free) of the replaced copies; one
  record and one event can name both the new version and what it replaced.
- embargo release: 1 invocation, 1 due-index query, GetItem, GetObject of the held delivery to
  decide it again, PutItem, PutObject of 3 copies and 1 record, 1 event.
- kill: 1 API request, 1 invocation, GetItem and PutItem of the state, 1 DeleteObjects, 1
  record, 1 event; and at its deadline 1 invocation, 1 due-index query, GetItem, 1 listing of
  the article's cleared prefix (the proof), PutItem, 1 record.
- review verdict: 1 API request, 1 invocation, GetItem, GetObject of the held delivery, PutItem,
  PutObject of 3 copies and 1 record, 1 event.
- an hour's digest (R records): 1 invocation, 1 listing per 1,000 records of the hour, a GET of
  each record and of the previous digest, PutObject of the segment and the digest, 1 KMS Sign.
- audit query of 1,000 records: 1 API request, 1 invocation, a GET of each segment holding them.
- sweep with nothing due: 1 invocation, 1 query of the due index.
- feed poll with no subscription: 1 invocation, 1 read of the subscriptions.

The mix, per million articles (a month at a million articles a month): one delivery each, half
by webhook and half dropped; 10% corrections, 1% kills, 5% embargo releases, 2% review
verdicts; an hourly digest (730.5 a month), 100 audit queries a day, a sweep and a feed poll
every minute (43,830 each). Not counted: storage, data transfer, CloudWatch Logs and metrics,
X-Ray traces, Cognito, free tiers.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import math
import os
import re
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

import boto3
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from clearance.contracts import keys
from clearance.contracts.encoding import json_line
from clearance.ingest.signature import signed_headers
from clearance.local import recorder
from clearance.local import stack as stack_module
from clearance.local.cognito import CorsPreflight
from clearance.local.dispatcher import dispatch_once
from clearance.local.gateway import Gateway, Route, function_scope
from clearance.local.limits import LIMITS, context
from clearance.local.schedules import PROCESSOR
from clearance.local.stack import LocalStack
from clearance.local.usage import API_KEY_HEADER, development_api_key

PROJECT = Path(__file__).resolve().parents[1]
PRICES = Path(__file__).with_name("prices.json")
TEMPLATE = PROJECT / "template.yaml"
ARTICLES = PROJECT / "events" / "articles"
MENAFN = PROJECT.parent / "shared" / "samples" / "menafn" / "000_3ffd96728f458706.txt"
FALLBACK = ARTICLES / "menafn-ports.txt"

TAG_HEADER = "x-clearance-bench"
STAND_IN, PLATFORM, PROVIDER = "stand-in", "platform", "provider"

LAMBDA = "lambda.requests"
API = "apigateway.rest_requests"
S3_PUT = "s3.put_copy_post_list"
S3_GET = "s3.get_head_other"
S3_DELETE = "s3.delete"
WRU = "dynamodb.write_request_unit"
RRU = "dynamodb.read_request_unit"
SQS = "sqs.standard_requests"
EVENTS = "eventbridge.custom_events"
KMS_SIGN = "kms.asymmetric_requests"
KMS = "kms.requests"
SECRETS = "secretsmanager.api_calls"

HOURS_A_MONTH = 24 * 365.25 / 12
DAYS_A_MONTH = 365.25 / 12
MINUTES_A_MONTH = HOURS_A_MONTH * 60
AUDIT_RUNS = 3
"""Digests and audit queries measured: each takes seconds of moto's time."""
QUERY_LIMIT = 1000
SEAL_AFTER = timedelta(minutes=45)
"""When the hourly digest runs: at 45 past, sealing the hour that ended 45 minutes before."""

LABELS = {
    "s3": "S3",
    "dynamodb": "DDB",
    "sqs": "SQS",
    "events": "EB",
    "kms": "KMS",
    "secretsmanager": "SM",
    "cognito-idp": "Cognito",
    "sts": "STS",
}
ORDER = ("API", "Lambda", "S3", "DDB", "SQS", "EB", "KMS", "SM")

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_ARCHITECTURE = re.compile(r"Architectures:\s*\n\s*-\s*(\S+)")

S3_PUT_TIER = frozenset(
    {
        "PutObject",
        "CopyObject",
        "ListObjects",
        "ListObjectsV2",
        "ListObjectVersions",
        "ListMultipartUploads",
        "CreateMultipartUpload",
        "CompleteMultipartUpload",
        "UploadPart",
        "PutObjectRetention",
        "PutObjectLegalHold",
        "PutObjectTagging",
        "DeleteObjects",
        "CreateBucket",
    }
)
S3_FREE = frozenset({"DeleteObject", "AbortMultipartUpload", "DeleteBucket"})
S3_BY_QUERY = {
    ("GET", "list-type"): "ListObjectsV2",
    ("GET", "versions"): "ListObjectVersions",
    ("GET", "uploads"): "ListMultipartUploads",
    ("POST", "delete"): "DeleteObjects",
    ("POST", "uploads"): "CreateMultipartUpload",
    ("POST", "uploadId"): "CompleteMultipartUpload",
    ("PUT", "uploadId"): "UploadPart",
    ("DELETE", "uploadId"): "AbortMultipartUpload",
    ("PUT", "retention"): "PutObjectRetention",
    ("GET", "retention"): "GetObjectRetention",
    ("PUT", "legal-hold"): "PutObjectLegalHold",
    ("GET", "legal-hold"): "GetObjectLegalHold",
    ("PUT", "tagging"): "PutObjectTagging",
    ("GET", "tagging"): "GetObjectTagging",
    ("GET", "attributes"): "GetObjectAttributes",
}
S3_PLAIN = {
    ("GET", True): "GetObject",
    ("HEAD", True): "HeadObject",
    ("PUT", True): "PutObject",
    ("DELETE", True): "DeleteObject",
    ("GET", False): "ListObjects",
    ("HEAD", False): "HeadBucket",
    ("PUT", False): "CreateBucket",
    ("DELETE", False): "DeleteBucket",
}
KINDS = (
    (keys.RECEIPTS, "receipt"),
    (keys.TOMBSTONES, "tombstone"),
    (keys.DECISIONS, "record"),
    (keys.ARTICLE_POINTERS, "pointer"),
    (keys.DIGESTS, "digest"),
    (keys.SEGMENTS, "segment"),
    (keys.POLICIES, "policy"),
)
"""What an object is, by its key: named beside its bucket in the detail."""
RECORD_PUT = "S3 PutObject audit record"
"""How a decision record's write is named: the digest seeds records at the mix's rate."""

Item = dict[str, Any]


# What the endpoint sees ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seen:
    """One request the endpoint answered: who sent it, what it was, what it bills."""

    tag: str
    operation: str
    units: tuple[tuple[str, float], ...]
    messages: int = 0


@dataclass(frozen=True, slots=True)
class Invoked:
    """One handler invocation: its function, its duration, and whether API Gateway called it."""

    function: str
    seconds: float
    via_api: bool


@dataclass(frozen=True, slots=True)
class Index:
    keys: tuple[str, ...]
    projection: str
    included: tuple[str, ...]


class Tables:
    """DynamoDB request units by item size, with each item's last write kept to know what a put
    replaces (the table and its indexes as `DescribeTable` gives them)."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[str, ...]] = {}
        self.indexes: dict[str, list[Index]] = {}
        self.items: dict[tuple[str, str], Item] = {}

    def learn(self, description: Mapping[str, Any]) -> None:
        table = str(description["TableName"])
        self.keys[table] = tuple(k["AttributeName"] for k in description["KeySchema"])
        self.indexes[table] = [
            Index(
                tuple(k["AttributeName"] for k in index["KeySchema"]),
                index["Projection"]["ProjectionType"],
                tuple(index["Projection"].get("NonKeyAttributes", [])),
            )
            for index in description.get("GlobalSecondaryIndexes", [])
        ]

    def units(self, operation: str, request: Item, ok: bool, response: Item) -> dict[str, float]:
        table = str(request.get("TableName", ""))
        consistent = bool(request.get("ConsistentRead", False))
        if operation == "GetItem":
            return {RRU: read_units(item_size(response.get("Item") or {}), consistent)}
        if operation in ("Query", "Scan"):
            size = sum(item_size(item) for item in response.get("Items", []))
            return {RRU: read_units(size, consistent)}
        if operation == "PutItem":
            return {WRU: self._put(table, request["Item"], ok)}
        if operation == "DeleteItem":
            return {WRU: self._delete(table, request["Key"], ok)}
        if operation == "UpdateItem":
            old = self.items.get((table, self._key(table, request["Key"])))
            return {WRU: write_units(item_size(old or {}))}
        return {}

    def _key(self, table: str, item: Item) -> str:
        names = self.keys.get(table) or tuple(sorted(item))
        return json.dumps({name: item.get(name) for name in names}, sort_keys=True)

    def _put(self, table: str, item: Item, ok: bool) -> float:
        key = (table, self._key(table, item))
        old = self.items.get(key)
        units = write_units(max(item_size(old or {}), item_size(item)))
        if ok:
            units += self._index_writes(table, old, item)
            self.items[key] = item
        return units

    def _delete(self, table: str, attributes: Item, ok: bool) -> float:
        key = (table, self._key(table, attributes))
        old = self.items.get(key)
        units = write_units(item_size(old or {}))
        if ok and old is not None:
            units += self._index_writes(table, old, None)
            del self.items[key]
        return units

    def _index_writes(self, table: str, old: Item | None, new: Item | None) -> int:
        """Each index an item enters or leaves costs a write of its entry; one whose key changes
        costs two (the old entry deleted, the new one put); one whose projected attributes
        change, one."""
        units = 0
        for index in self.indexes.get(table, []):
            before = self._entry(table, index, old)
            after = self._entry(table, index, new)
            if before is not None and after is not None:
                if any(before[k] != after[k] for k in index.keys):
                    units += write_units(entry_size(before)) + write_units(entry_size(after))
                elif before != after:
                    units += write_units(entry_size(after))
            elif before is not None:
                units += write_units(entry_size(before))
            elif after is not None:
                units += write_units(entry_size(after))
        return units

    def _entry(self, table: str, index: Index, item: Item | None) -> Item | None:
        """The item as its index holds it, or None if the item is not in the index."""
        if item is None or not all(k in item for k in index.keys):
            return None
        if index.projection == "ALL":
            return item
        names = {*self.keys.get(table, ()), *index.keys, *index.included}
        return {name: value for name, value in item.items() if name in names}


def attribute_size(value: Mapping[str, Any]) -> int:
    """The size DynamoDB bills for one attribute value (its name counted by the caller)."""
    ((kind, inner),) = value.items()
    sizes: dict[str, Callable[[Any], int]] = {
        "S": lambda v: len(v.encode()),
        "N": number_size,
        "B": lambda v: len(base64.b64decode(v)),
        "BOOL": lambda _: 1,
        "NULL": lambda _: 1,
        "SS": lambda v: sum(len(s.encode()) for s in v),
        "NS": lambda v: sum(number_size(n) for n in v),
        "BS": lambda v: sum(len(base64.b64decode(b)) for b in v),
        "L": lambda v: 3 + sum(1 + attribute_size(e) for e in v),
        "M": lambda v: 3 + sum(len(k.encode()) + 1 + attribute_size(e) for k, e in v.items()),
    }
    return sizes[kind](inner)


def number_size(number: str) -> int:
    digits = number.lstrip("-").replace(".", "").strip("0")
    return 1 + math.ceil(max(len(digits), 1) / 2)


def item_size(item: Mapping[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def entry_size(entry: Mapping[str, Any]) -> int:
    """An index entry: its attributes and the 100 bytes of overhead DynamoDB adds."""
    return item_size(entry) + 100


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


class Meter:
    """Every request the endpoint answers and every handler invocation, until `take`n."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.invoked: list[Invoked] = []
        self.tables = Tables()
        self.buckets: dict[str, str] = {}
        """Bucket names by role, for naming S3 requests."""

    def reset(self) -> None:
        with self.lock:
            self.seen.clear()
            self.invoked.clear()

    def take(self) -> tuple[list[Seen], list[Invoked]]:
        with self.lock:
            taken = (list(self.seen), list(self.invoked))
            self.seen.clear()
            self.invoked.clear()
        return taken

    def ran(self, function: str, seconds: float, *, via_api: bool = False) -> None:
        with self.lock:
            self.invoked.append(Invoked(function, seconds, via_api))

    def note(
        self, environ: Mapping[str, Any], service: str, body: bytes, status: int, answer: bytes
    ) -> None:
        tag = str(environ.get("HTTP_X_CLEARANCE_BENCH", ""))
        messages = 0
        if service == "s3":
            operation, units = self._s3(environ)
        else:
            target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
            operation = target.rpartition(".")[2] or _form_action(body)
            request, response = _json(body), _json(answer)
            with self.lock:
                units = _units(
                    service, operation, request, response, ok=status == 200, tables=self.tables
                )
            messages = len(response.get("Messages", [])) if operation == "ReceiveMessage" else 0
        label = f"{LABELS.get(service, service)} {operation}"
        with self.lock:
            self.seen.append(Seen(tag, label, tuple(units.items()), messages))

    def _s3(self, environ: Mapping[str, Any]) -> tuple[str, dict[str, float]]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        bucket, _, key = unquote(str(environ.get("PATH_INFO", ""))).lstrip("/").partition("/")
        query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
        operation = next(
            (
                name
                for (verb, word), name in S3_BY_QUERY.items()
                if verb == method and word in query
            ),
            S3_PLAIN.get((method, bool(key)), f"{method}Other"),
        )
        if operation == "PutObject" and environ.get("HTTP_X_AMZ_COPY_SOURCE"):
            operation = "CopyObject"
        tier = S3_PUT if operation in S3_PUT_TIER else S3_DELETE if operation in S3_FREE else S3_GET
        role = self.buckets.get(bucket, bucket)
        where = key or (query.get("prefix") or [""])[0]
        kind = next((name for prefix, name in KINDS if where.startswith(prefix)), "")
        return f"{operation} {role}{' ' + kind if kind else ''}", {tier: 1}


def _units(
    service: str, operation: str, request: Item, response: Item, *, ok: bool, tables: Tables
) -> dict[str, float]:
    if service == "dynamodb":
        return tables.units(operation, request, ok, response)
    if service == "sqs":
        return {SQS: 1}
    if service == "events":
        entries = request.get("Entries", []) if operation == "PutEvents" else []
        return {EVENTS: sum(max(1, math.ceil(len(json_line(e)) / 65536)) for e in entries)}
    if service == "kms":
        return {KMS_SIGN if operation in ("Sign", "Verify") else KMS: 1}
    if service == "secretsmanager":
        return {SECRETS: 1}
    return {}


def _json(data: bytes) -> Item:
    try:
        loaded = json.loads(data) if data else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _form_action(body: bytes) -> str:
    return (parse_qs(body.decode(errors="replace")).get("Action") or ["?"])[0]


METER = Meter()


class CountedApplication:
    """moto's WSGI application, each signed request noted by `METER` once it is answered."""

    def __init__(self, application: Callable[..., Any]) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        scope = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
        if scope is None:
            return list(self.application(environ, start_response))
        service = scope.group(1)
        body = b""
        if service != "s3":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        statuses: list[str] = []

        def answer(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            statuses.append(status)
            return start_response(status, headers, *rest)

        result = self.application(environ, answer)
        try:
            data = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
        status = int(statuses[-1].split()[0]) if statuses else 500
        METER.note(environ, service, body, status, data)
        return [data]


class CountedMotoServer(recorder.RecordedMotoServer):
    """The stack's recorded moto server, its application counted."""

    def _server_entry(self) -> None:
        application = CountedApplication(
            CorsPreflight(
                recorder.RecordedApplication(
                    DomainDispatcherApplication(create_backend_app), self.recorder
                )
            )
        )
        self._server = make_server(
            self._ip_address, self._port, application, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=0.1)


class TimedGateway(Gateway):
    """The local API Gateway, each invocation timed: one API request and one Lambda request."""

    def invoke(self, route: Route, event: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return super().invoke(route, event)
        finally:
            METER.ran(route.function_name, time.perf_counter() - started, via_api=True)


def tagged(client: Any, tag: str) -> Any:
    """`client`'s requests carry `tag`, so the meter knows who sent them."""

    def add(request: Any, **_: Any) -> None:
        request.headers[TAG_HEADER] = tag

    client.meta.events.register("before-sign", add)
    return client


# Prices and occurrences --------------------------------------------------------------------


@dataclass(frozen=True)
class Prices:
    as_of: str
    region: str
    architecture: str
    usd: dict[str, float]
    """Dollars per unit, by item."""

    @classmethod
    def load(cls, path: Path, template: Path) -> Prices:
        document = json.loads(path.read_text(encoding="utf-8"))
        found = set(_ARCHITECTURE.findall(template.read_text(encoding="utf-8")))
        architecture = found.pop() if len(found) == 1 else "x86_64"
        usd = {name: p["usd"] / p["per"] for name, p in document["prices"].items()}
        return cls(document["as_of"], document["region"], architecture, usd)

    @property
    def gb_seconds(self) -> str:
        return f"lambda.gb_seconds.{self.architecture}"

    def cost(self, units: Mapping[str, float]) -> float:
        return sum(self.usd[name] * count for name, count in units.items())


@dataclass
class Occurrence:
    """What one occurrence of a path cost: requests by operation, units by price item, the
    platform's SQS requests, and each function's invocations and milliseconds."""

    requests: Counter[str] = field(default_factory=Counter)
    units: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    platform: Counter[str] = field(default_factory=Counter)
    milliseconds: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, seen: Iterable[Seen], invoked: Iterable[Invoked], gb_item: str) -> Occurrence:
        occurrence = cls()
        for request in seen:
            if request.tag == STAND_IN:
                continue
            if request.tag == PLATFORM:
                occurrence._platform(request)
                continue
            occurrence.requests[request.operation] += 1
            for name, count in request.units:
                occurrence.units[name] += count
        for call in invoked:
            milliseconds = math.ceil(call.seconds * 1000)
            memory = LIMITS[call.function].memory_mb
            occurrence.requests[f"Lambda {call.function}"] += 1
            occurrence.milliseconds[call.function] += milliseconds
            occurrence.units[LAMBDA] += 1
            occurrence.units[gb_item] += memory / 1024 * milliseconds / 1000
            if call.via_api:
                occurrence.requests["API request"] += 1
                occurrence.units[API] += 1
        return occurrence

    def _platform(self, request: Seen) -> None:
        operation = request.operation.removeprefix("SQS ")
        if operation == "ReceiveMessage" and request.messages:
            self.platform["ReceiveMessage"] += 1
            self.platform["SendMessage (S3 event)"] += request.messages
        elif operation in ("DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility"):
            self.platform[operation] += 1


@dataclass(frozen=True)
class Floor:
    requests: dict[str, int]
    units: dict[str, float]


def floor(
    *,
    api: int = 0,
    invocations: int = 0,
    puts: int = 0,
    gets: int = 0,
    deletes: int = 0,
    reads: int = 0,
    queries: int = 0,
    writes: int = 0,
    events: int = 0,
    signs: int = 0,
) -> Floor:
    """The floor's requests by service and its units: `reads` strongly consistent GetItems,
    `queries` eventually consistent index reads, `writes` PutItems, each within one unit."""
    requests = {
        "API": api,
        "Lambda": invocations,
        "S3": puts + gets + deletes,
        "DDB": reads + queries + writes,
        "EB": events,
        "KMS": signs,
    }
    units = {
        API: api,
        LAMBDA: invocations,
        S3_PUT: puts,
        S3_GET: gets,
        S3_DELETE: deletes,
        RRU: reads + queries / 2,
        WRU: writes,
        EVENTS: events,
        KMS_SIGN: signs,
    }
    return Floor({k: v for k, v in requests.items() if v}, {k: v for k, v in units.items() if v})


MIX = {
    "webhook delivery": 500_000,
    "file drop": 500_000,
    "correction": 100_000,
    "embargo release": 50_000,
    "kill + deadline": 10_000,
    "review verdict": 20_000,
    "hour's digest": HOURS_A_MONTH,
    "audit query, 1,000": 100 * DAYS_A_MONTH,
    "sweep, nothing due": MINUTES_A_MONTH,
    "feed poll, none": MINUTES_A_MONTH,
}
"""Occurrences per million articles: a month at a million articles a month."""

FLOORS = {
    "webhook delivery": floor(api=1, invocations=2, puts=5, gets=1, reads=1, writes=1, events=1),
    "file drop": floor(invocations=1, puts=5, gets=1, reads=1, writes=1, events=1),
    "correction": floor(
        api=1, invocations=2, puts=5, gets=1, deletes=1, reads=1, writes=1, events=1
    ),
    "embargo release": floor(invocations=1, queries=1, reads=1, gets=1, puts=4, writes=1, events=1),
    "kill + deadline": floor(
        api=1, invocations=2, queries=1, reads=2, writes=2, deletes=1, puts=3, events=1
    ),
    "review verdict": floor(api=1, invocations=1, reads=1, gets=1, puts=4, writes=1, events=1),
    "sweep, nothing due": floor(invocations=1, queries=1),
    "feed poll, none": floor(invocations=1, queries=1),
}
"""What each path cannot do without (the module's docstring says why); the digest's and the
query's depend on the records an hour, known once the paths above are measured."""


@dataclass
class Measured:
    """A path measured: its occurrences, how often the mix has it, and its floor."""

    name: str
    per_million: float
    floor: Floor
    occurrences: list[Occurrence]

    def median(self, pick: Callable[[Occurrence], Mapping[str, float]]) -> dict[str, float]:
        names = sorted({name for o in self.occurrences for name in pick(o)})
        return {n: statistics.median([pick(o).get(n, 0) for o in self.occurrences]) for n in names}

    def cost(self, prices: Prices) -> float:
        units = defaultdict(float, self.median(lambda o: o.units))
        units[SQS] += sum(self.median(lambda o: o.platform).values())
        return prices.cost(units)

    def by_service(self) -> dict[str, float]:
        totals: defaultdict[str, float] = defaultdict(float)
        for operation, count in self.median(lambda o: o.requests).items():
            totals[operation.split(" ", 1)[0]] += count
        return dict(totals)


# The paths ---------------------------------------------------------------------------------


class Bench:
    """The paths, each done on the stack with everything it causes counted."""

    def __init__(self, stack: LocalStack, prices: Prices, repeats: int) -> None:
        self.stack = stack
        self.prices = prices
        self.repeats = repeats
        endpoint = stack.endpoint_url
        self.platform = tagged(boto3.client("sqs", endpoint_url=endpoint), PLATFORM)
        self.provider = tagged(boto3.client("s3", endpoint_url=endpoint), PROVIDER)
        self.processor = PROCESSOR.load()
        self.dpa_template: dict[str, Any] = json.loads(
            (ARTICLES / "dpa-embargoed.json").read_text(encoding="utf-8")
        )
        self.menafn = (MENAFN if MENAFN.is_file() else FALLBACK).read_bytes()
        self.altered = (ARTICLES / "menafn-ports-disclaimer-altered.txt").read_bytes()
        self.serial = 0

    # The machinery of a measurement

    def measure(self, name: str, act: Callable[[], object], expected: list[str]) -> Occurrence:
        """`act` done alone: the queue empty before, drained after, its events as `expected`."""
        self.drain()
        self.events()
        METER.reset()
        act()
        self.drain()
        seen, invoked = METER.take()
        emitted = self.events()
        if sorted(emitted) != sorted(expected):
            raise SystemExit(f"bench: {name} sent {emitted}, not {expected}")
        return Occurrence.of(seen, invoked, self.prices.gb_seconds)

    def drain(self) -> None:
        """Lambda's event source mapping, played here: until the queue is empty."""
        deadline = time.monotonic() + 60
        while self.stack.queue_depth() > 0:
            if time.monotonic() > deadline:
                raise SystemExit("bench: the queue did not drain within 60 s")
            batch = dispatch_once(
                self.platform, self.stack.queues.url, self._invoke, retry_delay_seconds=0
            )
            if batch.failed:
                raise SystemExit(f"bench: the processor failed {batch.failed} messages")

    def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            with function_scope(PROCESSOR.function_name):
                result: dict[str, Any] = self.processor(event, context(PROCESSOR.function_name))
            return result
        finally:
            METER.ran(PROCESSOR.function_name, time.perf_counter() - started)

    def events(self) -> list[str]:
        """The detail types of the events on the bus since last asked."""
        emitted: list[str] = []
        while batch := self.stack.collect_events():
            emitted += [event["detail-type"] for event in batch]
        return emitted

    def http(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> tuple[int, Item]:
        connection = http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return response.status, _json(data)

    def signed(
        self,
        provider: str,
        path: str,
        body: bytes,
        media: str,
        extra: Mapping[str, str] | None = None,
    ) -> Item:
        self.serial += 1
        secret = self.stack.secrets[provider]
        headers = signed_headers(secret, f"cost-{self.serial}", int(time.time()), body)
        status, answer = self.http(
            "POST", path, body, {**headers, "Content-Type": media, **(extra or {})}
        )
        if status not in (200, 202):
            raise SystemExit(f"bench: POST {path} answered {status}: {answer}")
        return answer

    def deliver(self, provider: str, body: bytes, media: str) -> Item:
        return self.signed(provider, f"/v1/providers/{provider}/articles", body, media)

    def dpa(self, name: str, version: str, embargo: datetime | None = None) -> bytes:
        document = {**self.dpa_template, "uri": f"urn:newsml:dpa.com:20261206:{name}"}
        document["version"] = version
        document["versionCreated"] = f"2026-12-06T0{version}:00:00+00:00"
        body = self.dpa_template["bodies"][0]
        text = f"<p>Die Bahn plant neue Nachtzüge ({name}, Fassung {version}).</p>"
        document["bodies"] = [{**body, "value": text}]
        document.pop("embargoedUntil", None)
        if embargo is not None:
            document["embargoedUntil"] = embargo.isoformat()
        return json.dumps(document, ensure_ascii=False).encode()

    def numbered(self, sample: bytes, label: str) -> bytes:
        headline, _, rest = sample.partition(b"\n")
        return headline + f" ({label})".encode() + b"\n" + rest

    def sweep(self, at: datetime | None = None) -> dict[str, int]:
        """LifecycleFunction's run, its clock at `at` (the timer's moment) or now."""
        from clearance.handlers import lifecycle  # noqa: PLC0415 - after the environment is set
        from clearance.services import wiring  # noqa: PLC0415 - after the environment is set
        from clearance.services.config import LifecycleConfig  # noqa: PLC0415

        work = wiring.build_lifecycle(LifecycleConfig.from_env(os.environ))
        if at is not None:
            work = replace(work, clock=lambda: at)
        started = time.perf_counter()
        with function_scope("LifecycleFunction"):
            swept: dict[str, int] = lifecycle.handler(
                {}, context("LifecycleFunction"), lifecycle=work
            )
        METER.ran("LifecycleFunction", time.perf_counter() - started)
        return swept

    def digest(self, at: datetime) -> list[str]:
        """AuditDigestFunction's hourly run, its clock at `at`."""
        from clearance.handlers import audit_digest  # noqa: PLC0415 - after the environment is set
        from clearance.services.config import DigestConfig  # noqa: PLC0415

        work = replace(
            audit_digest.build_digester(DigestConfig.from_env(os.environ)), clock=lambda: at
        )
        started = time.perf_counter()
        with function_scope("AuditDigestFunction"):
            written: list[str] = audit_digest.handler(
                {}, context("AuditDigestFunction"), digester=work
            )["digests"]
        METER.ran("AuditDigestFunction", time.perf_counter() - started)
        return written

    def copies(self, article: str, provider: str) -> int:
        listed = self.stack.s3.list_objects_v2(
            Bucket=self.stack.names.bucket("cleared"), Prefix=keys.cleared_prefix(provider, article)
        )
        return int(listed.get("KeyCount", 0))

    # The paths

    def webhook(self) -> list[Occurrence]:
        def one(n: int) -> Occurrence:
            body = self.numbered(self.menafn, f"cost webhook {n}")
            return self.measure(
                "webhook delivery",
                lambda: self.deliver("menafn", body, "text/plain; charset=utf-8"),
                ["Article Cleared"],
            )

        return [one(n) for n in range(self.repeats)]

    def drop(self) -> list[Occurrence]:
        inbound = self.stack.names.bucket("inbound")

        def one(n: int) -> Occurrence:
            body = self.numbered(self.menafn, f"cost drop {n}")
            key = f"inbound/menafn/cost/{n:03d}.txt"
            return self.measure(
                "file drop",
                lambda: self.provider.put_object(Bucket=inbound, Key=key, Body=body),
                ["Article Cleared"],
            )

        return [one(n) for n in range(self.repeats)]

    def correction(self) -> list[Occurrence]:
        def one(n: int) -> Occurrence:
            name = f"cost-correction-{n}"
            self.deliver("dpa", self.dpa(name, "1"), "application/json")
            self.drain()
            return self.measure(
                "correction",
                lambda: self.deliver("dpa", self.dpa(name, "2"), "application/json"),
                ["Article Cleared", "Article Superseded"],
            )

        return [one(n) for n in range(self.repeats)]

    def embargo(self) -> list[Occurrence]:
        """Embargoes a minute apart, an hour ahead; each released by a sweep just past it."""
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
        ends = [start + timedelta(minutes=n) for n in range(self.repeats)]
        for n, end in enumerate(ends):
            self.deliver("dpa", self.dpa(f"cost-embargo-{n}", "1", end), "application/json")
        self.drain()
        self.events()

        def one(end: datetime) -> Occurrence:
            def release() -> None:
                fired = self.sweep(end + timedelta(seconds=1))["timers"]
                if fired != 1:
                    raise SystemExit(f"bench: the release sweep fired {fired} timers, not 1")

            return self.measure("embargo release", release, ["Article Cleared"])

        return [one(end) for end in ends]

    def kill(self) -> list[Occurrence]:
        key = {API_KEY_HEADER: development_api_key("dpa")}

        def one(n: int) -> Occurrence:
            answer = self.deliver("dpa", self.dpa(f"cost-kill-{n}", "1"), "application/json")
            article = str(answer["article"])
            self.drain()

            def kill() -> None:
                path = f"/v1/providers/dpa/articles/{article}/kill"
                body = json.dumps({"reason": "legal"}).encode()
                killed = self.signed("dpa", path, body, "application/json", key)
                deadline = datetime.fromisoformat(str(killed["deadline"]))
                fired = self.sweep(deadline + timedelta(seconds=1))["timers"]
                if fired != 1:
                    raise SystemExit(f"bench: the deadline sweep fired {fired} timers, not 1")

            occurrence = self.measure("kill", kill, ["Article Withdrawn"])
            if self.copies(article, "dpa"):
                raise SystemExit(f"bench: copies of killed {article} remain")
            return occurrence

        return [one(n) for n in range(self.repeats)]

    def verdict(self) -> list[Occurrence]:
        def one(n: int) -> Occurrence:
            body = self.numbered(self.altered, f"cost review {n}")
            article = str(self.deliver("menafn", body, "text/plain; charset=utf-8")["article"])
            self.drain()
            verdict = {"version": "1", "verdict": "approve", "reason": "wording agreed"}

            def approve() -> None:
                status, answer = self.http(
                    "POST",
                    f"/v1/review/articles/{article}",
                    json.dumps(verdict).encode(),
                    {"Content-Type": "application/json"},
                )
                if status != 200:
                    raise SystemExit(f"bench: the verdict answered {status}: {answer}")

            return self.measure("review verdict", approve, ["Article Cleared"])

        return [one(n) for n in range(self.repeats)]

    def idle_sweep(self) -> list[Occurrence]:
        def nothing_due() -> None:
            fired = self.sweep()["timers"]
            if fired:
                raise SystemExit(f"bench: an idle sweep fired {fired} timers")

        return [self.measure("idle sweep", nothing_due, []) for _ in range(self.repeats)]

    def idle_poll(self) -> list[Occurrence]:
        def poll() -> None:
            started = time.perf_counter()
            self.stack.run_feeds()
            METER.ran("FeedPollerFunction", time.perf_counter() - started)

        return [self.measure("idle feed poll", poll, []) for _ in range(self.repeats)]

    def audit(self, per_hour: int) -> tuple[list[Occurrence], list[Occurrence]]:
        """Hours of decision records sealed one run at a time, then 1,000 of them queried."""
        day = (datetime.now(UTC) - timedelta(days=2)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        seeder = Seeder(self.stack, per_hour)
        seeder.seed(day, day + timedelta(hours=1) + SEAL_AFTER)
        digests = []
        for hour in range(AUDIT_RUNS):
            start = day + timedelta(hours=hour)
            if hour:
                seeder.seed(start + SEAL_AFTER, start + timedelta(hours=1) + SEAL_AFTER)
            at = start + timedelta(hours=1) + SEAL_AFTER
            digests.append(self.measure("digest", partial(self._seal_one, at), []))
        self._seal_one(day + timedelta(hours=AUDIT_RUNS + 1) + SEAL_AFTER)
        parameters = urlencode(
            {
                "from": day.date().isoformat(),
                "to": day.date().isoformat(),
                "limit": str(QUERY_LIMIT),
            }
        )

        def query() -> None:
            status, answer = self.http("GET", f"/v1/audit?{parameters}")
            found = len(answer.get("decisions", []))
            if status != 200 or found != QUERY_LIMIT:
                raise SystemExit(f"bench: the audit query answered {status} with {found} records")

        queries = [self.measure("audit query", query, []) for _ in range(AUDIT_RUNS)]
        return digests, queries

    def _seal_one(self, at: datetime) -> None:
        written = self.digest(at)
        if len(written) != 1:
            raise SystemExit(f"bench: the digest at {at:%H:%M} wrote {written}")


class Seeder:
    """Decision records at `per_hour` an hour, each dated by S3 at the moment it was decided."""

    def __init__(self, stack: LocalStack, per_hour: int) -> None:
        self.stack = stack
        self.per_hour = per_hour
        self.bucket = stack.names.bucket("audit")
        self.serial = 0

    def seed(self, start: datetime, end: datetime) -> None:
        """Records decided from `start` to `end`, put straight into moto's bucket (seeding is
        not measured), each dated by S3 at its decision, as it would have been written then."""
        from moto.s3.models import s3_backends  # noqa: PLC0415 - moto only where it runs

        backend = s3_backends[self.stack.names.account]["aws"]
        step = timedelta(seconds=3600 / self.per_hour)
        moment = start
        while moment < end:
            record = self.record(moment)
            stored = backend.put_object(
                self.bucket, keys.record_key(record), json_line(record), disable_notification=True
            )
            stored.last_modified = moment.astimezone(UTC).replace(tzinfo=None)
            moment += step

    def record(self, decided: datetime) -> Item:
        """A decision record of the real shape, over five providers and three outcomes."""
        self.serial += 1
        n = self.serial
        provider = ("menafn", "dpa", "ntb", "tt", "ap")[n % 5]
        outcome = ("cleared", "cleared", "cleared", "held", "rejected")[(n // 5) % 5]
        digest = f"{n:064x}"
        return {
            "record_version": 1,
            "decision_id": f"{digest}-{'0' * 12}",
            "decided_at": decided.isoformat(),
            "request_id": f"cost-{n}",
            "source": {
                "bucket": self.stack.names.bucket("inbound"),
                "key": f"inbound/{provider}/cost/{n}.txt",
                "version_id": None,
                "sha256": digest,
                "bytes": 4000,
            },
            "provider": provider,
            "article": {
                "uri": f"urn:cost:{n}",
                "version": "1",
                "id": f"cost-{n}",
                "headline": f"Article {n}",
            },
            "policy": {"id": provider, "version": "1", "sha256": "0" * 64},
            "outcome": outcome,
            "findings": []
            if outcome == "cleared"
            else [
                {
                    "rule_id": "notice.menafn-disclaimer",
                    "pointer": "/",
                    "severity": "major",
                    "message": "bench",
                }
            ],
            "copies": [],
            "withdrawn_prefix": None,
        }


# The table ---------------------------------------------------------------------------------


def services(counts: Mapping[str, float]) -> str:
    ordered = sorted(counts.items(), key=lambda i: ORDER.index(i[0]) if i[0] in ORDER else 99)
    return ", ".join(f"{name} {_number(count)}" for name, count in ordered if count)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def report(paths: list[Measured], prices: Prices, per_hour: int, secrets: int) -> None:
    total = sum(path.per_million * path.cost(prices) for path in paths)
    floor_total = sum(path.per_million * prices.cost(path.floor.units) for path in paths)
    print(
        f"prices: {PRICES.name} as of {prices.as_of}, {prices.region}, USD on demand;"
        f" Lambda {prices.architecture} as template.yaml sets it"
    )
    print(
        f"medians of {len(paths[0].occurrences)} occurrences a path ({AUDIT_RUNS} of the digest"
        f" and the query); the digest's hours hold {per_hour:,} records, as the mix writes them"
    )
    header = (
        f"{'path':20} {'requests per occurrence':36} {'platform':8} {'floor requests':30}"
        f" {'$ per M':>9} {'floor $/M':>9} {'ratio':>6} {'n per M art.':>12} {'$ per M art.':>12}"
        f" {'share':>6}"
    )
    print(header)
    print("-" * len(header))
    for path in paths:
        cost, floor_cost = path.cost(prices), prices.cost(path.floor.units)
        platform = sum(path.median(lambda o: o.platform).values())
        print(
            f"{path.name:20} {services(path.by_service()):36}"
            f" {('SQS ' + _number(platform)) if platform else '':8}"
            f" {services(path.floor.requests):30}"
            f" {cost * 1e6:9,.2f} {floor_cost * 1e6:9,.2f} {cost / floor_cost:5.1f}x"
            f" {path.per_million:12,.0f} {path.per_million * cost:12,.2f}"
            f" {path.per_million * cost / total:6.1%}"
        )
    print("-" * len(header))
    print(
        f"per million articles: ${total:,.2f}; the floor's ${floor_total:,.2f}"
        f" ({total / floor_total:.2f}x)"
    )
    fixed = prices.usd["kms.key_months"] + secrets * prices.usd["secretsmanager.secret_months"]
    print(f"fixed a month, whatever the volume: ${fixed:,.2f} (1 KMS key, {secrets} secrets)")
    print(
        "platform: the SQS requests of Lambda's poller (receive, delete) and of S3's notification,"
        " in $ per M, not in the floor;\nthe floor: one DynamoDB unit a request, no GB-seconds,"
        " no queue; $ per M: per million occurrences"
    )
    print()
    print("per occurrence (medians): requests, units billed, Lambda milliseconds")
    for path in paths:
        operations = path.median(lambda o: o.requests)
        units = path.median(lambda o: o.units)
        milliseconds = path.median(lambda o: o.milliseconds)
        polled = path.median(lambda o: o.platform)
        listed = ", ".join(f"{name} {_number(n)}" for name, n in operations.items() if n)
        billed = ", ".join(f"{name} {n:,.4g}" for name, n in units.items() if n)
        print(f"  {path.name}: {listed}")
        print(f"    units: {billed}")
        print(f"    platform: {services(polled) or 'none'}")
        print(f"    Lambda: {', '.join(f'{k} {v:,.0f} ms' for k, v in milliseconds.items())}")


def records_per_hour(paths: list[Measured]) -> int:
    """Decision records an hour at a million articles a month, as the measured paths write them."""
    written = sum(p.per_million * p.median(lambda o: o.requests).get(RECORD_PUT, 0) for p in paths)
    return max(1, round(written / HOURS_A_MONTH))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=5, help="occurrences of each path")
    args = parser.parse_args(argv)
    prices = Prices.load(PRICES, TEMPLATE)
    setattr(recorder, "RecordedMotoServer", CountedMotoServer)  # noqa: B010 - the stack's own
    setattr(stack_module, "Gateway", TimedGateway)  # noqa: B010 - the stack's own
    began = time.perf_counter()
    with open(os.devnull, "w") as quiet, LocalStack(dispatch=False, function_output=quiet) as stack:
        for client in stack._clients.values():
            tagged(client, STAND_IN)
        METER.buckets = {stack.names.bucket(role): role for role in stack_module.ROLES}
        for table in (stack.names.state_table, stack.names.subscriptions_table):
            METER.tables.learn(stack.dynamodb.describe_table(TableName=table)["Table"])
        bench = Bench(stack, prices, args.repeats)
        paths = [
            Measured(name, MIX[name], FLOORS[name], run())
            for name, run in (
                ("webhook delivery", bench.webhook),
                ("file drop", bench.drop),
                ("correction", bench.correction),
                ("embargo release", bench.embargo),
                ("kill + deadline", bench.kill),
                ("review verdict", bench.verdict),
                ("sweep, nothing due", bench.idle_sweep),
                ("feed poll, none", bench.idle_poll),
            )
        ]
        per_hour = records_per_hour(paths)
        digests, queries = bench.audit(per_hour)
        hourly = floor(
            invocations=1, puts=math.ceil(per_hour / 1000) + 2, gets=per_hour + 1, signs=1
        )
        query = floor(api=1, invocations=1, gets=math.ceil(QUERY_LIMIT / per_hour))
        paths[6:6] = [
            Measured("hour's digest", MIX["hour's digest"], hourly, digests),
            Measured("audit query, 1,000", MIX["audit query, 1,000"], query, queries),
        ]
        secrets = len(stack.secrets)
    report(paths, prices, per_hour, secrets)
    print(f"\nran in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
