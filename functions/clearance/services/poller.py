"""FeedPollerFunction's work: each subscription that is due polled once, its new items stored in
the inbound bucket (where the processor takes them as any delivery), its cursor advanced.

Exactly once from a crash at any step: items are written with `put_once` under keys derived
from what they are (`feeds.page`), and the cursor is saved only after every item of the page is
stored, and only over the revision that was read. A crash before the save leaves the old cursor,
so the retry fetches the same items and finds them stored; a second poller at once writes
nothing twice and loses the race to save. One feed failing never stops the others: its error
is kept on its subscription and its next poll backed off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from clearance.feeds.outbound import Fetched, FetchRefused, FetchRequest
from clearance.feeds.page import MAX_ITEMS, FeedUnreadable, Page, page_of
from clearance.feeds.subscription import (
    CURSOR_FORMATS,
    Cursor,
    Subscription,
    failed,
    polled,
)
from clearance.services.observability import logger

MAX_PAGES = 5
"""Pages of a cursor API taken in one poll; the rest wait for the next."""
SEEN_KEPT = 1000
"""Item keys remembered per subscription, so an unchanged item costs no write."""


class Subscriptions(Protocol):
    """Where subscriptions are kept, each written only over the revision it was read at."""

    def all(self) -> Iterable[Subscription]: ...

    def get(self, subscription_id: str) -> Subscription | None: ...

    def save(self, subscription: Subscription, expected_revision: int) -> bool:
        """Write if the stored revision is still `expected_revision` (0: none stored); False,
        writing nothing, when another writer got there first."""
        ...


class Fetcher(Protocol):
    def fetch(self, request: FetchRequest) -> Fetched:
        """The answer, or FetchRefused naming why there is none."""
        ...


class Inbound(Protocol):
    def put_once(self, key: str, data: bytes, content_type: str) -> str | None: ...


class Credentials(Protocol):
    def headers_for(self, secret_name: str) -> Mapping[str, str]:
        """The request headers the named secret stands for; FetchRefused when unusable."""
        ...


@dataclass(frozen=True, slots=True)
class Polled:
    """What one poll of one subscription did."""

    subscription: str
    result: str
    """`delivered`, `not-modified`, `failed`, or `overtaken` (another poller saved first)."""
    stored: int = 0
    """Items written by this poll (new or changed ones)."""
    items: int = 0
    """Items the feed's answers held."""
    left_out: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Run:
    polls: tuple[Polled, ...] = ()
    failing: int = 0
    """The most consecutive failures of any one subscription, after this run."""

    @property
    def stored(self) -> int:
        return sum(p.stored for p in self.polls)


@dataclass
class Poller:
    """The poller's collaborators (built in `services.wiring`); tests pass fakes."""

    subscriptions: Subscriptions
    inbound: Inbound
    fetcher: Fetcher
    credentials: Credentials
    clock: Callable[[], datetime]
    max_items: int = MAX_ITEMS

    def poll_due(self, only: str | None = None) -> Run:
        """Every subscription that is due (or just `only`, due or not, unless paused)."""
        now = self.clock()
        polls, failing = [], 0
        for subscription in self.subscriptions.all():
            wanted = subscription.id == only if only else subscription.due(now)
            after = subscription
            if wanted and not subscription.paused:
                outcome, after = self.poll(subscription)
                polls.append(outcome)
            failing = max(failing, after.health.consecutive_failures)
        return Run(tuple(polls), failing)

    def poll(self, subscription: Subscription) -> tuple[Polled, Subscription]:
        """One subscription polled; what it did, and the subscription as now saved."""
        logger.append_keys(subscription=subscription.id, provider=subscription.provider)
        try:
            return self._take(subscription)
        except (FetchRefused, FeedUnreadable) as error:
            return self._failed(subscription, error.code, error.message)
        except Exception as error:  # noqa: BLE001 - a fault of ours fails this feed, not the run
            logger.exception("poll failed")
            return self._failed(subscription, "poll.internal", f"{type(error).__name__}: {error}")

    def _take(self, subscription: Subscription) -> tuple[Polled, Subscription]:
        secret = subscription.credentials
        headers = dict(self.credentials.headers_for(secret)) if secret else {}
        outcome, current = Polled(subscription.id, "delivered"), subscription
        for _ in range(MAX_PAGES):
            fetched = self.fetcher.fetch(request_for(current, headers))
            if fetched.status == 304:
                saved = polled(current, self.clock(), "not-modified")
                return self._save(current, saved, Polled(current.id, "not-modified"))
            page = page_of(current, fetched.body, self.max_items)
            outcome = Polled(
                current.id,
                "delivered",
                outcome.stored + self._store(current, page),
                outcome.items + page.items,
                outcome.left_out + page.left_out,
            )
            result = f"{outcome.items} items, {outcome.stored} new" + (
                f", {outcome.left_out} left out" if outcome.left_out else ""
            )
            saved = polled(current, self.clock(), result, cursor_after(current, fetched, page))
            outcome, current = self._save(current, saved, outcome)
            if outcome.result != "delivered" or not more_pages(current, page):
                break
        return outcome, current

    def _store(self, subscription: Subscription, page: Page) -> int:
        seen = set(subscription.cursor.seen)
        return sum(
            self.inbound.put_once(d.key, d.data, d.content_type) is not None
            for d in page.deliveries
            if d.key not in seen
        )

    def _save(
        self, read: Subscription, saved: Subscription, outcome: Polled
    ) -> tuple[Polled, Subscription]:
        if not self.subscriptions.save(saved, read.revision):
            logger.info("overtaken: another poller saved this subscription first")
            latest = self.subscriptions.get(read.id) or read
            return replace(outcome, result="overtaken"), latest
        logger.info(outcome.result, extra={"stored": outcome.stored, "items": outcome.items})
        return outcome, saved

    def _failed(
        self, subscription: Subscription, code: str, message: str
    ) -> tuple[Polled, Subscription]:
        error = f"{code}: {message}"
        logger.warning("poll failed", extra={"code": code, "error": message})
        saved = failed(subscription, self.clock(), error)
        try:
            if not self.subscriptions.save(saved, subscription.revision):
                saved = self.subscriptions.get(subscription.id) or subscription
        except Exception:  # noqa: BLE001 - the failure is logged; the next poll tries again
            logger.exception("the failure could not be recorded on the subscription")
            saved = subscription
        return Polled(subscription.id, "failed", error=error), saved


def request_for(subscription: Subscription, headers: Mapping[str, str]) -> FetchRequest:
    """The next GET: the API's next page where it gave one, else the feed, made conditional
    on what the last answer said of itself."""
    cursor = subscription.cursor
    conditional = {
        **({"If-None-Match": cursor.etag} if cursor.etag else {}),
        **({"If-Modified-Since": cursor.last_modified} if cursor.last_modified else {}),
    }
    url = cursor.next_page or subscription.url
    return FetchRequest(url, subscription.host, {**headers, **conditional})


def cursor_after(subscription: Subscription, fetched: Fetched, page: Page) -> Cursor:
    """The cursor once a page's items are stored: its validators, the API's next page, the
    newest item seen, and the keys just stored remembered first."""
    cursor = subscription.cursor
    keys = [d.key for d in page.deliveries]
    seen = tuple(dict.fromkeys([*keys, *cursor.seen]))[:SEEN_KEPT]
    newest = max(filter(None, (cursor.newest, page.newest)), default=None)
    if subscription.format in CURSOR_FORMATS:
        # The next request is another URL: the validators of this one say nothing of it.
        return replace(cursor, next_page=page.next_page, newest=newest, seen=seen)
    return replace(
        cursor, etag=fetched.etag, last_modified=fetched.last_modified, newest=newest, seen=seen
    )


def more_pages(subscription: Subscription, page: Page) -> bool:
    """A cursor API with a next page after a page that held items: take it in this poll."""
    return subscription.format in CURSOR_FORMATS and bool(page.next_page) and page.items > 0
