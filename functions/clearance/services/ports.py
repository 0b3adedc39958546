"""What the services need of the world outside the core: the article state store, the object
store and the event sink.

Each is a `Protocol`, so the AWS adapters (`clearance.aws`) satisfy it by shape alone and tests
hand the services in-memory fakes of it. Only the operations the services call are named, with
the guarantees they rely on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from clearance.aws.store import Oversized, StoredObject
from clearance.lifecycle.plan import Notification
from clearance.lifecycle.state import ArticleState


class ArticleStates(Protocol):
    """One state per article, written only over the revision it was read at."""

    def get(self, article_id: str) -> ArticleState | None:
        """The article's state as last committed (a consistent read), or None."""
        ...

    def put(self, state: ArticleState, expected_revision: int) -> bool:
        """Write `state` if the stored revision is still `expected_revision` (0: none stored);
        False, writing nothing, when another writer got there first."""
        ...

    def due(self, now: str) -> Iterable[str]:
        """The id of every article with a timer due at or before `now`, or an unfinished
        outbox."""
        ...

    def held(self, limit: int, after: str | None = None) -> tuple[list[ArticleState], str | None]:
        """Up to `limit` articles with a version held for review, oldest hold first, and a token
        for the rest; ValueError for a token this store did not issue."""
        ...


class ObjectStore(Protocol):
    """One bucket: every write conditional, every object versioned."""

    @property
    def name(self) -> str: ...

    def put_once(self, key: str, data: bytes, content_type: str) -> str | None:
        """Write unless the key exists: the version this call wrote, None when it wrote none."""
        ...

    def get(self, key: str, version_id: str | None = None) -> StoredObject | None:
        """The current (or the given) version of an object, or None."""
        ...

    def get_within(
        self, key: str, version_id: str | None, limit: int
    ) -> StoredObject | Oversized | None:
        """The object if at most `limit` bytes, else its size and hash unread; or None."""
        ...

    def keys(self, prefix: str) -> Iterable[str]:
        """The keys present under `prefix`, in key order."""
        ...

    def describe(self, key: str) -> tuple[str | None, str | None] | None:
        """The current version id and SHA-256 (hex, when known) of an object, or None."""
        ...

    def sha256(self, key: str, version_id: str | None = None) -> str:
        """An object's SHA-256, computed from its bytes."""
        ...

    def copy_once(self, source: str, key: str, version_id: str | None, target: str) -> str | None:
        """Copy another bucket's object to `target` here unless `target` exists: the version
        this call wrote, None when it wrote none."""
        ...

    def delete(self, key: str) -> None:
        """Take the object down (its versions stay)."""
        ...

    def delete_many(self, keys: Sequence[str]) -> None:
        """Take several objects down in one request (their versions stay)."""
        ...


class EventSink(Protocol):
    """Where the publishing system hears of every change of what is published."""

    def publish(self, notifications: Sequence[Notification]) -> None:
        """Send every notification, or raise so the whole outbox is tried again."""
        ...
