"""What one answer of a feed delivers: each item on its own, under a key derived from the
provider, the item's identity and its content, so that polling again, an overlap between pages
or two pollers at once compute the same key and a conditional write stores it once.

An item's content is its article as read, not its bytes: a feed rebuilt with a new
`lastBuildDate` or `<updated>` leaves its unchanged items' articles, and so their keys, alone.
A changed item reads as another article (an Atom entry's `updated` is its version) and gets a
key of its own: a new version, decided and superseding like any delivery. Items no reader can
make an article of are delivered too, so the processor quarantines and records them: a feed
loses nothing by being pulled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from clearance.contracts import keys, media
from clearance.feeds.subscription import CURSOR_FORMATS, Subscription
from clearance.ingest.article import ArticleError, InvalidArticleError
from clearance.ingest.ninjsmembers import compact
from clearance.ingest.parse import Item, read_delivery
from clearance.ingest.strictjson import JsonBodyError, parse_json
from clearance.ingest.xmldoc import local, parse_xml, serialise

MAX_ITEMS = 500
"""The most items one answer delivers; the rest are left out and the poll says how many."""
_ITEM_NAMES = frozenset({"item", "entry", "deleted-entry"})


class FeedUnreadable(Exception):
    """An answer that is no feed of the subscribed format; nothing of it is delivered."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Delivery:
    """One item to store in the inbound bucket, as a webhook delivery of it would be."""

    key: str
    data: bytes
    content_type: str
    version_created: str | None = None
    headline: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    deliveries: tuple[Delivery, ...]
    items: int
    """How many items the answer held, those left out included."""
    next_page: str | None = None
    """The API's cursor for what comes after this page (cursor formats only)."""

    @property
    def left_out(self) -> int:
        return self.items - len(self.deliveries)

    @property
    def newest(self) -> str | None:
        times = [d.version_created for d in self.deliveries if d.version_created]
        return max(times, default=None)


def page_of(subscription: Subscription, body: bytes, max_items: int = MAX_ITEMS) -> Page:
    """Each item of a feed's answer as a delivery, the first `max_items` of them.

    Raises FeedUnreadable when the answer is no feed of the subscription's format."""
    kept, total, next_page, own = _first_items(subscription, body, max_items)
    try:
        items = read_delivery(kept, subscription.media_type, ())
    except ArticleError as error:
        if error.reason == "no-items":
            return Page((), total, next_page)
        raise FeedUnreadable(f"feed.{error.reason}", str(error)) from None
    extension = media.extension_for(subscription.media_type)
    deliveries = tuple(
        _delivery(
            subscription,
            item,
            kept if item.index is None else item.data,
            own[item.index or 0] if len(own) == len(items) else item.data,
            extension,
        )
        for item in items
    )
    return Page(deliveries, total, next_page)


def _delivery(
    subscription: Subscription, item: Item, data: bytes, own: bytes, extension: str
) -> Delivery:
    """`own` is the item alone, without the feed around it: what identifies an item that is
    no article."""
    article = item.article
    if article is None and isinstance(item.error, InvalidArticleError):
        article = item.error.article
    if article is None:
        name = f"unread-{hashlib.sha256(own).hexdigest()[:32]}"
        key = keys.pulled_key(subscription.provider, name, extension)
        return Delivery(key, data, subscription.media_type)
    content = json.dumps(article, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    identity = hashlib.sha256(content.encode()).hexdigest()
    name = keys.delivery_id(article["uri"], article["version"], identity)
    return Delivery(
        keys.pulled_key(subscription.provider, name, extension),
        data,
        subscription.media_type,
        article.get("version_created"),
        article.get("headline"),
    )


def _first_items(
    subscription: Subscription, body: bytes, max_items: int
) -> tuple[bytes, int, str | None, list[bytes]]:
    """The answer with at most `max_items` items, how many it held, its next page, and each
    item kept on its own."""
    if subscription.format in CURSOR_FORMATS:
        return _first_json_items(body, max_items)
    try:
        root = parse_xml(body)
    except ArticleError as error:
        raise FeedUnreadable(f"feed.{error.reason}", str(error)) from None
    found = list(_xml_items(root))
    for parent, element in found[max_items:]:
        parent.remove(element)
    own = [serialise(element) for _, element in found[:max_items]]
    return (serialise(root) if len(found) > max_items else body), len(found), None, own


def _xml_items(root: Element) -> Iterator[tuple[Element, Element]]:
    """RSS 1.0 items and Atom entries under the root; RSS 2.0 items under its channel."""
    for parent in (root, *root):
        for child in parent:
            if local(child.tag) in _ITEM_NAMES:
                yield parent, child


def _first_json_items(body: bytes, max_items: int) -> tuple[bytes, int, str | None, list[bytes]]:
    try:
        document = parse_json(body)
    except JsonBodyError as error:
        raise FeedUnreadable("feed.json", str(error)) from None
    data = document.get("data") if isinstance(document, Mapping) else None
    if not isinstance(data, Mapping) or not isinstance(data.get("items", []), list):
        raise FeedUnreadable("feed.not-ap-media", "the answer is no AP Media API feed page")
    entries: list[Any] = data.get("items", [])
    next_page = data.get("next_page") if isinstance(data.get("next_page"), str) else None
    own = [compact(entry).encode() for entry in entries[:max_items]]
    if len(entries) <= max_items:
        return body, len(entries), next_page, own
    kept = {**document, "data": {**data, "items": entries[:max_items]}}
    return compact(kept).encode(), len(entries), next_page, own
