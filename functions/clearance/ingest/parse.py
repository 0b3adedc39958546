"""One parse for every way an article arrives: bytes and a media type to valid articles.

The webhook and the processor both call `read_delivery`, so a body the webhook accepts is one
the processor can read, and the reasons they give for refusing one are the same. A delivery may
hold several items (a NewsML-G2 message, a feed); each is its own article and its own decision,
identified by its own bytes, so one bad item never hides the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from clearance.contracts.schemas import checker_for
from clearance.ingest.article import Article, ArticleError, InvalidArticleError
from clearance.ingest.formats import read_items


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a delivery: the article it is, or why it is none, and its own bytes.

    `index` is its place in a delivery of several, None when the item is the whole delivery;
    `data` is then the delivery itself, so a single article is identified as it always was.
    """

    index: int | None
    data: bytes
    article: Article | None = None
    error: ArticleError | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_delivery(
    data: bytes, media_type: str | None, disclaimer_headings: Iterable[str]
) -> tuple[Item, ...]:
    """Every item a delivery holds, each read and checked against the article schema.

    Raises UnreadableError for bytes that are no article format, ArticleError for a format
    that holds no item. An item that is no article, or an invalid one, carries its error.
    """
    pieces = read_items(data, media_type, disclaimer_headings)
    if not pieces:
        raise ArticleError("no-items", "the delivery holds no items", "")
    several = len(pieces) > 1 or pieces[0].data is not None
    items = []
    for index, piece in enumerate(pieces):
        place = index if several else None
        own = piece.data if piece.data is not None else data
        if isinstance(piece.result, ArticleError):
            items.append(Item(place, own, error=piece.result))
            continue
        article = piece.result
        errors = list(
            checker_for("article.schema.json").iter_errors(cast("dict[str, Any]", article))
        )
        error = InvalidArticleError(article, errors) if errors else None
        items.append(Item(place, own, None if error else article, error))
    return tuple(items)


def read_article(
    data: bytes, media_type: str | None, disclaimer_headings: Iterable[str]
) -> Article:
    """The one normalised, schema-valid article a delivery holds.

    Raises as `read_delivery` does, the item's own error, or ArticleError (`several-items`)
    for a delivery that holds more than one.
    """
    items = read_delivery(data, media_type, disclaimer_headings)
    if len(items) > 1:
        raise ArticleError(
            "several-items", f"the delivery holds {len(items)} items, each decided on its own"
        )
    item = items[0]
    if item.article is None:
        raise item.error or ArticleError("no-items", "the delivery holds no article", "")
    return item.article
