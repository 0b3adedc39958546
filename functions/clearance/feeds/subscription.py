"""A subscription: the licensee's configuration of one feed to pull, not the provider's terms,
with the cursor that says what was already taken and the health that says how polling goes.

The credentials are never here: a subscription names a secret (an API key or basic auth in
Secrets Manager) by its name under the feeds' prefix. A subscription is written only over the
revision it was read at, so two pollers never both advance one cursor.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Self
from urllib.parse import urlsplit

from clearance.contracts import media
from clearance.feeds.outbound import FetchRefused, Limits, check_url

FORMATS: Mapping[str, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "ap-media-api": media.JSON,
}
"""Each feed format a subscription may name, and the media type its pages are read as."""
CURSOR_FORMATS = frozenset({"ap-media-api"})
"""Formats that page by a cursor the answer carries (`data.next_page`)."""
MIN_INTERVAL_SECONDS = 60
"""The poller runs every minute: no feed is polled more often."""
MAX_INTERVAL_SECONDS = 24 * 3600
MAX_BACKOFF_SECONDS = 6 * 3600
ALARM_AFTER_FAILURES = 5
"""Consecutive failures of one feed that raise the alarm (template.yaml's FeedFailuresAlarm)."""
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_SECRET = re.compile(r"[A-Za-z0-9/_+=.@-]{1,200}")


class SubscriptionError(ValueError):
    """A subscription that cannot be kept as asked; names the field and why."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class Cursor:
    """What was already taken: the validators for a conditional GET, the API's next page, the
    newest item time seen, and the keys of the items stored by the last polls (so an unchanged
    item costs no write at all)."""

    etag: str | None = None
    last_modified: str | None = None
    next_page: str | None = None
    newest: str | None = None
    seen: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Health:
    """How polling goes, for `clearance feeds show` and the alarm."""

    last_polled_at: str | None = None
    last_success_at: str | None = None
    last_result: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    next_poll_at: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    provider: str
    url: str
    format: str
    interval_seconds: int
    credentials: str | None = None
    paused: bool = False
    created_at: str = ""
    cursor: Cursor = field(default_factory=Cursor)
    health: Health = field(default_factory=Health)
    revision: int = 0

    @property
    def host(self) -> str:
        """The host the feed is subscribed on, as its URL names it (`check_url` compares hosts
        normalised); "" where the URL names none or cannot be read, which no URL is on."""
        try:
            return urlsplit(self.url).hostname or ""
        except ValueError:
            return ""

    @property
    def media_type(self) -> str:
        return FORMATS[self.format]

    def due(self, now: datetime) -> bool:
        """Not paused, and its next poll (after its interval, or its backoff) has come."""
        if self.paused:
            return False
        due_at = self.health.next_poll_at
        return due_at is None or datetime.fromisoformat(due_at) <= now

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cursor"]["seen"] = list(self.cursor.seen)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        cursor = dict(data.get("cursor") or {})
        cursor["seen"] = tuple(cursor.get("seen") or ())
        known = {name: data[name] for name in _SCALARS if name in data}
        return cls(**known, cursor=Cursor(**cursor), health=Health(**(data.get("health") or {})))


_SCALARS = (
    "id",
    "provider",
    "url",
    "format",
    "interval_seconds",
    "credentials",
    "paused",
    "created_at",
    "revision",
)


def new_subscription(
    subscription_id: str,
    provider: str,
    *,
    url: str,
    feed_format: str,
    interval_seconds: int,
    credentials: str | None,
    now: datetime,
    providers: Collection[str],
) -> Subscription:
    """A subscription as asked, or SubscriptionError naming the field that cannot be kept.

    The URL must be one the poller may fetch: https, or http to a loopback address (the local
    stack); the poller checks every address it resolves to again at each poll."""
    if not _ID.fullmatch(subscription_id):
        raise SubscriptionError("id", "use 1-63 lowercase letters, digits and hyphens")
    if provider not in providers:
        raise SubscriptionError("provider", f"no provider policy is named {provider!r}")
    if feed_format not in FORMATS:
        raise SubscriptionError("format", f"one of {', '.join(sorted(FORMATS))}")
    if not MIN_INTERVAL_SECONDS <= interval_seconds <= MAX_INTERVAL_SECONDS:
        raise SubscriptionError(
            "interval", f"between {MIN_INTERVAL_SECONDS} s and {MAX_INTERVAL_SECONDS} s"
        )
    if credentials is not None and not _SECRET.fullmatch(credentials):
        raise SubscriptionError("credentials", "a Secrets Manager secret name under the prefix")
    subscription = Subscription(
        subscription_id,
        provider,
        url,
        feed_format,
        interval_seconds,
        credentials,
        created_at=now.isoformat(),
        health=Health(next_poll_at=now.isoformat()),
        revision=1,
    )
    try:
        check_url(url, subscription.host, Limits(loopback_http=True))
    except FetchRefused as error:
        raise SubscriptionError("url", str(error)) from None
    return subscription


def polled(
    subscription: Subscription, now: datetime, result: str, cursor: Cursor | None = None
) -> Subscription:
    """The subscription after a poll that succeeded: its cursor advanced (when given), its next
    poll one interval away, its failures forgotten."""
    health = Health(
        last_polled_at=now.isoformat(),
        last_success_at=now.isoformat(),
        last_result=result,
        next_poll_at=(now + timedelta(seconds=subscription.interval_seconds)).isoformat(),
    )
    return replace(
        subscription,
        cursor=cursor or subscription.cursor,
        health=health,
        revision=subscription.revision + 1,
    )


def failed(subscription: Subscription, now: datetime, error: str) -> Subscription:
    """The subscription after a failed poll: its cursor unchanged (nothing is lost), the error
    kept, and the next poll backed off, doubling per failure up to `MAX_BACKOFF_SECONDS`."""
    failures = subscription.health.consecutive_failures + 1
    delay = min(subscription.interval_seconds * 2 ** min(failures, 16), MAX_BACKOFF_SECONDS)
    health = replace(
        subscription.health,
        last_polled_at=now.isoformat(),
        last_result="failed",
        last_error=error,
        consecutive_failures=failures,
        next_poll_at=(now + timedelta(seconds=delay)).isoformat(),
    )
    return replace(subscription, health=health, revision=subscription.revision + 1)
