"""In-memory fakes of the services' ports (`clearance.services.ports`), and faults injected by
wrapping them.

Each fake behaves as its AWS adapter does where the services rely on it: `put_once` refuses a
key that exists, every write makes an object version and a delete leaves a delete marker, the
article state is written only over the revision read, and the `due` and `held` index queries
answer as the table's indexes do. `tests/integration/test_ports.py` runs the same calls against
each fake and its adapter on moto. Every call gives other threads their turn, as a request to a
remote service does, so invocations side by side interleave.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clearance.aws.bus import SOURCE, event_id
from clearance.aws.store import Oversized, StoredObject
from clearance.decide.licensee import Licensee
from clearance.feeds.credentials import headers_of
from clearance.feeds.outbound import Fetched, FetchRefused, FetchRequest
from clearance.feeds.subscription import Subscription
from clearance.lifecycle.plan import BucketRole, Notification
from clearance.lifecycle.record import Source
from clearance.lifecycle.state import ArticleState, Hold, Status
from clearance.local.resources import Names
from clearance.services.articles import Articles
from clearance.services.lifecycle import Lifecycle
from clearance.services.processor import Processor
from clearance.terms.policy import PolicySet

DEFAULT_CONTENT_TYPE = "binary/octet-stream"
"""What S3 records for an object put without a Content-Type."""
COPY_CONTENT_TYPE = "application/octet-stream"
OUTPUTS: tuple[BucketRole, ...] = ("cleared", "quarantine", "audit")
HELD_PARTITION = "held"


class NoSuchKey(LookupError):
    """The object (or the version) asked for is not there."""


def _turn() -> None:
    """Let another thread run, as a request on the wire would (when there is another)."""
    if threading.active_count() > 1:
        time.sleep(0)


@dataclass(frozen=True, slots=True)
class _Version:
    version_id: str
    data: bytes | None
    """None for a delete marker."""
    content_type: str | None = None
    sha256: str | None = None
    """The checksum S3 keeps when the writer asked for one."""


class FakeS3:
    """Buckets by name behind one lock, as one S3 endpoint: a copy reads another bucket."""

    def __init__(self) -> None:
        self.buckets: dict[str, FakeBucket] = {}
        self.lock = threading.RLock()
        self._ids = itertools.count(1)

    def bucket(self, name: str) -> FakeBucket:
        """The bucket of that name, made on first use."""
        with self.lock:
            if name not in self.buckets:
                self.buckets[name] = FakeBucket(self, name)
            return self.buckets[name]

    def version_id(self) -> str:
        return f"v{next(self._ids):07d}"


class FakeBucket:
    """A versioned bucket: the object store the services use, and what a test looks at."""

    def __init__(self, s3: FakeS3, name: str) -> None:
        self.s3 = s3
        self.name = name
        self._history: dict[str, list[_Version]] = {}

    # ---- the port

    def put_once(self, key: str, data: bytes, content_type: str) -> str | None:
        _turn()
        with self.s3.lock:
            if self._current(key) is not None:
                return None
            return self._write(key, data, content_type, checksum=True)

    def get(self, key: str, version_id: str | None = None) -> StoredObject | None:
        _turn()
        with self.s3.lock:
            found = self._version(key, version_id)
        if found is None or found.data is None:
            return None
        return StoredObject(key, found.data, found.content_type, found.version_id)

    def keys(self, prefix: str) -> Iterator[str]:
        _turn()
        with self.s3.lock:
            present = sorted(k for k in self._history if k.startswith(prefix) and self._current(k))
        yield from present

    def describe(self, key: str) -> tuple[str | None, str | None] | None:
        _turn()
        with self.s3.lock:
            found = self._current(key)
        return None if found is None else (found.version_id, found.sha256)

    def get_within(
        self, key: str, version_id: str | None, limit: int
    ) -> StoredObject | Oversized | None:
        _turn()
        with self.s3.lock:
            found = self._version(key, version_id)
        if found is None or found.data is None:
            return None
        if len(found.data) > limit:
            return Oversized(len(found.data), found.sha256)
        return StoredObject(key, found.data, found.content_type, found.version_id)

    def sha256(self, key: str, version_id: str | None = None) -> str:
        _turn()
        with self.s3.lock:
            found = self._version(key, version_id)
        if found is None or found.data is None:
            raise NoSuchKey(f"s3://{self.name}/{key}")
        return hashlib.sha256(found.data).hexdigest()

    def copy_once(self, source: str, key: str, version_id: str | None, target: str) -> str | None:
        _turn()
        with self.s3.lock:
            if self._current(target) is not None:
                return None
            found = self.s3.bucket(source)._version(key, version_id)
            if found is None or found.data is None:
                raise NoSuchKey(f"s3://{source}/{key}")
            return self._write(target, found.data, COPY_CONTENT_TYPE, checksum=True)

    def delete(self, key: str) -> None:
        _turn()
        with self.s3.lock:
            self._history.setdefault(key, []).append(_Version(self.s3.version_id(), None))

    def delete_many(self, keys: Sequence[str]) -> None:
        _turn()
        with self.s3.lock:
            for key in keys:
                self._history.setdefault(key, []).append(_Version(self.s3.version_id(), None))

    # ---- what a test does and sees

    def put(
        self,
        key: str,
        data: bytes,
        content_type: str = DEFAULT_CONTENT_TYPE,
        *,
        checksum: bool = False,
    ) -> str:
        """An unconditional write, as a file drop or an overwrite makes; its version id."""
        with self.s3.lock:
            return self._write(key, data, content_type, checksum=checksum)

    def objects(self, prefix: str = "") -> dict[str, bytes]:
        """Every object present under `prefix`, its current bytes by key."""
        with self.s3.lock:
            return {
                key: found.data
                for key in sorted(self._history)
                if key.startswith(prefix)
                and (found := self._current(key)) is not None
                and found.data is not None
            }

    def versions(self, prefix: str = "") -> list[str]:
        """The key of every object version ever written under `prefix` (delete markers aside)."""
        with self.s3.lock:
            return [
                key
                for key in sorted(self._history)
                if key.startswith(prefix)
                for version in self._history[key]
                if version.data is not None
            ]

    # ---- inside

    def _write(self, key: str, data: bytes, content_type: str, *, checksum: bool) -> str:
        digest = hashlib.sha256(data).hexdigest() if checksum else None
        version = _Version(self.s3.version_id(), bytes(data), content_type, digest)
        self._history.setdefault(key, []).append(version)
        return version.version_id

    def _current(self, key: str) -> _Version | None:
        history = self._history.get(key)
        if not history or history[-1].data is None:
            return None
        return history[-1]

    def _version(self, key: str, version_id: str | None) -> _Version | None:
        if version_id is None:
            return self._current(key)
        return next((v for v in self._history.get(key, []) if v.version_id == version_id), None)


@dataclass(frozen=True, slots=True)
class _Item:
    revision: int
    state: str
    due: str | None
    held_since: str | None


class FakeStateStore:
    """The article-state table: an item per article, written only over the revision read, with
    the `due` and `held` indexes."""

    def __init__(self) -> None:
        self._items: dict[str, _Item] = {}
        self._lock = threading.Lock()

    def get(self, article_id: str) -> ArticleState | None:
        _turn()
        with self._lock:
            item = self._items.get(article_id)
        return None if item is None else ArticleState.from_dict(json.loads(item.state))

    def put(self, state: ArticleState, expected_revision: int) -> bool:
        _turn()
        item = _Item(
            revision=state.revision,
            state=json.dumps(state.to_dict(), ensure_ascii=False, sort_keys=True),
            due="" if state.outbox else state.next_due,
            held_since=_held_since(state),
        )
        with self._lock:
            stored = self._items.get(state.article_id)
            expected = None if expected_revision == 0 else expected_revision
            if (stored.revision if stored else None) != expected:
                return False
            self._items[state.article_id] = item
        return True

    def due(self, now: str) -> Iterator[str]:
        _turn()
        with self._lock:
            found = sorted(
                (item.due, article_id)
                for article_id, item in self._items.items()
                if item.due is not None and item.due <= now
            )
        yield from (article_id for _, article_id in found)

    def held(self, limit: int, after: str | None = None) -> tuple[list[ArticleState], str | None]:
        _turn()
        start = _start_of(after) if after else None
        with self._lock:
            queue = sorted(
                (item.held_since, article_id, item.state)
                for article_id, item in self._items.items()
                if item.held_since is not None
            )
        rest = [entry for entry in queue if start is None or entry[:2] > start]
        page = rest[:limit]
        states = [ArticleState.from_dict(json.loads(data)) for _, _, data in page]
        if len(rest) <= limit:
            return states, None
        since, article_id, _ = page[-1]
        last = {
            "held_partition": {"S": HELD_PARTITION},
            "held_since": {"S": since},
            "pk": {"S": article_id},
        }
        return states, json.dumps(last, sort_keys=True)


def _held_since(state: ArticleState) -> str | None:
    held = [
        v.decided_at for v in state.versions if v.status is Status.HELD and v.hold is Hold.REVIEW
    ]
    return min(held) if held else None


def _start_of(token: str) -> tuple[str, str]:
    start = json.loads(token)
    if not isinstance(start, dict) or set(start) != {"pk", "held_partition", "held_since"}:
        raise ValueError("not a continuation token of this table")
    return str(start["held_since"]["S"]), str(start["pk"]["S"])


class FakeBus:
    """The event bus: every entry as the adapter sends it, and the events a subscriber gets."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.entries: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def publish(self, notifications: Sequence[Notification]) -> None:
        _turn()
        entries = [
            {
                "Source": SOURCE,
                "DetailType": n.detail_type,
                "Detail": json.dumps({**n.detail, "event_id": event_id(n)}, sort_keys=True),
                "EventBusName": self.name,
            }
            for n in notifications
        ]
        with self._lock:
            self.entries += entries

    def events(self) -> list[dict[str, Any]]:
        """What a queue subscribed to the bus receives: source, detail-type and detail."""
        with self._lock:
            return [
                {
                    "source": entry["Source"],
                    "detail-type": entry["DetailType"],
                    "detail": json.loads(entry["Detail"]),
                }
                for entry in self.entries
            ]


class FakeCloud:
    """One account's buckets, article-state table and bus, named as the template names them."""

    def __init__(self, names: Names | None = None) -> None:
        self.names = names or Names()
        self.s3 = FakeS3()
        self.states = FakeStateStore()
        self.bus = FakeBus(self.names.event_bus)
        for role in ("inbound", *OUTPUTS):
            self.s3.bucket(self.names.bucket(role))

    def bucket(self, role: str) -> FakeBucket:
        return self.s3.bucket(self.names.bucket(role))

    @property
    def inbound(self) -> FakeBucket:
        return self.bucket("inbound")

    def drop(self, key: str, data: bytes, at: datetime, request_id: str | None = None) -> Source:
        """A file put into the inbound bucket, and the delivery its S3 event names (S3's events
        carry no version id here, as moto's do not)."""
        self.inbound.put(key, data)
        return Source(self.inbound.name, key, None, at, request_id or f"req-{key}")

    def articles(
        self, policies: PolicySet, clock: Callable[[], datetime] | None = None
    ) -> Articles:
        """The collaborators of every event on an article, as one Lambda container has them."""
        articles = Articles(
            states=self.states,
            buckets={role: self.bucket(role) for role in OUTPUTS},
            bus=self.bus,
            policies=policies,
        )
        if clock is not None:
            articles.clock = clock
        return articles

    def processor(
        self,
        articles: Articles,
        licensee: Licensee | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> Processor:
        processor = Processor(self.inbound, articles, licensee or Licensee())
        if clock is not None:
            processor.clock = clock
        return processor

    def lifecycle(
        self,
        articles: Articles,
        clock: Callable[[], datetime],
        licensee: Licensee | None = None,
    ) -> Lifecycle:
        return Lifecycle(articles, self.inbound, licensee or Licensee(), clock)


# The services still name the AWS adapters in their fields; a fake stands in for one through the
# port both satisfy, which mypy checks at each of these three calls.


class FakeSubscriptions:
    """The subscriptions' table: each written only over the revision read."""

    def __init__(self) -> None:
        self._items: dict[str, Subscription] = {}
        self._lock = threading.Lock()

    def all(self) -> list[Subscription]:
        _turn()
        with self._lock:
            return [self._items[key] for key in sorted(self._items)]

    def get(self, subscription_id: str) -> Subscription | None:
        _turn()
        with self._lock:
            return self._items.get(subscription_id)

    def save(self, subscription: Subscription, expected_revision: int) -> bool:
        _turn()
        with self._lock:
            stored = self._items.get(subscription.id)
            if (stored.revision if stored else 0) != expected_revision:
                return False
            self._items[subscription.id] = subscription
            return True


@dataclass
class Feed:
    """One URL's answer: its body, its ETag, or the refusal it gives."""

    body: bytes
    etag: str | None = None
    refusal: FetchRefused | None = None


class FakeFeeds:
    """Feeds on the internet: each URL answers its body, or 304 to its own ETag."""

    def __init__(self) -> None:
        self.feeds: dict[str, Feed] = {}
        self.requests: list[FetchRequest] = []
        self._lock = threading.Lock()

    def serve(self, url: str, body: bytes, etag: str | None = None) -> None:
        self.feeds[url] = Feed(body, etag)

    def refuse(self, url: str, code: str, message: str) -> None:
        self.feeds[url] = Feed(b"", refusal=FetchRefused(code, message))

    def fetch(self, request: FetchRequest) -> Fetched:
        _turn()
        with self._lock:
            self.requests.append(request)
            feed = self.feeds.get(request.url)
        if feed is None:
            raise FetchRefused("response.status", "the feed answered 404 Not Found")
        if feed.refusal is not None:
            raise feed.refusal
        if feed.etag is not None and request.headers.get("If-None-Match") == feed.etag:
            return Fetched(304, b"", None, feed.etag, None, request.url)
        return Fetched(200, feed.body, None, feed.etag, None, request.url)


class FakeCredentials:
    """Secrets by name, as `FeedCredentials` turns them into headers."""

    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        self.secrets = dict(secrets or {})

    def headers_for(self, secret_name: str) -> dict[str, str]:
        if secret_name not in self.secrets:
            raise FetchRefused("credentials.missing", f"no secret {secret_name} exists")
        return headers_of(self.secrets[secret_name])


COUNTED: dict[type, tuple[str, ...]] = {
    FakeBucket: (
        "put_once",
        "get",
        "get_within",
        "keys",
        "describe",
        "delete",
        "delete_many",
        "copy_once",
    ),
    FakeStateStore: ("get", "put", "due"),
    FakeBus: ("publish",),
    FakeSubscriptions: ("all", "get", "save"),
    FakeFeeds: ("fetch",),
}
"""Every call the services make to AWS that a fault may interrupt: S3, the table and the bus."""


class Faults:
    """Counts the services' calls to the fakes and fails the nth one, once, as a crashed
    invocation would: before the call is made, or (`after`) once it has succeeded, as when the
    answer is lost on the way back or the function dies before it can use it."""

    def __init__(self, fail_at: int | None, *, after: bool = False) -> None:
        self.fail_at = fail_at
        self.after = after
        self.calls = 0
        self.names: list[str] = []
        self._lock = threading.Lock()

    @contextmanager
    def installed(self, cloud: FakeCloud) -> Iterator[Faults]:
        """Every bucket, the state table and the bus of `cloud` wrapped, until the block ends."""
        fakes = (*cloud.s3.buckets.values(), cloud.states, cloud.bus)
        for fake in fakes:
            self.wrap(fake)
        try:
            yield self
        finally:
            for fake in fakes:
                for name in COUNTED[type(fake)]:
                    delattr(fake, name)

    def wrap(self, fake: object) -> None:
        """Count (and fail) the port's calls on this one fake."""
        label = type(fake).__name__.removeprefix("Fake")
        for name in COUNTED[type(fake)]:
            setattr(fake, name, self._counted(getattr(fake, name), f"{label}.{name}"))

    def _counted(self, method: Callable[..., Any], name: str) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls += 1
                self.names.append(name)
                failing = self.calls == self.fail_at
            if not failing:
                return method(*args, **kwargs)
            if self.after:
                method(*args, **kwargs)
                raise ConnectionError(f"injected fault after AWS call {self.fail_at} succeeded")
            raise ConnectionError(f"injected fault at AWS call {self.fail_at}")

        return counted
