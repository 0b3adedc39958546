"""What the door makes of a verified body: the items it holds and the answer about each.

A body that cannot be read is a 400; one that holds no article, or an invalid one, a 422 naming
every problem with its JSON pointer (`/items/<n>/...` in a delivery of several items). An item
that is readable but no article (a NewsML-G2 package) is taken and rejected on the record when it
is decided, so a message that carries one beside its stories is not refused whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from clearance.contracts import keys
from clearance.contracts.pointers import brief, error_pointer
from clearance.ingest.answers import Refusal
from clearance.ingest.article import ArticleError, InvalidArticleError, UnreadableError
from clearance.ingest.parse import Item, read_delivery

_UNREADABLE_MESSAGES = {
    "empty": "The body is empty; it must carry one article.",
    "binary": "The body holds NUL bytes; it is not text.",
}


def delivery_id(items: Sequence[Item], body_sha256: str) -> str:
    """A single article's id; a delivery of several items is named by its body alone."""
    only = items[0].article
    if items[0].index is None and only is not None:
        return keys.delivery_id(only["uri"], only["version"], body_sha256)
    return keys.container_id(body_sha256)


def item_answer(item: Item, provider: str) -> dict[str, Any]:
    """What the sender is told of one item of several: its delivery and article ids (the one a
    kill names), or why it will not be cleared."""
    if item.article is None:
        error = item.error or ArticleError("no-items", "the item holds no article")
        return {"item": item.index, "refused": f"input.{error.reason}", "message": str(error)}
    article = item.article
    return {
        "item": item.index,
        "id": keys.delivery_id(article["uri"], article["version"], item.sha256),
        "article": keys.article_id(provider, article["uri"]),
        "uri": article["uri"],
        "version": article["version"],
    }


def admitted_items(
    body: bytes, media_type: str, headings: Iterable[str]
) -> tuple[Item, ...] | Refusal:
    """The delivery's items, or the refusal of the whole delivery."""
    try:
        items = read_delivery(body, media_type, headings)
    except UnreadableError as error:
        if error.reason in _UNREADABLE_MESSAGES:
            message = _UNREADABLE_MESSAGES[error.reason]
        elif error.reason in _JSON_REASONS:
            message = f"The body is not acceptable JSON: {error}."
        else:
            message = f"The body cannot be read: {error}."
        return Refusal(400, f"body.{error.reason}", message)
    except ArticleError as error:
        return _not_an_article(_problems(error, ""))
    return _acceptable(items)


def _acceptable(items: tuple[Item, ...]) -> tuple[Item, ...] | Refusal:
    several = items[0].index is not None
    problems = [
        problem
        for item in items
        if item.error is not None and item.error.reason not in _DECIDED_LATER
        for problem in _problems(item.error, f"/items/{item.index}" if several else "")
    ]
    if problems:
        return _not_an_article(problems)
    if all(item.article is None for item in items):
        error = items[0].error or ArticleError("no-items", "the delivery holds no article")
        return _not_an_article(_problems(error, "/items/0" if several else ""))
    return items


_JSON_REASONS = frozenset({"syntax", "depth", "number", "duplicate-key", "surrogate"})
_DECIDED_LATER = frozenset({"item-class"})
"""Item errors that are no fault of the sender's: the item is taken and rejected on record."""


def _problems(error: ArticleError, prefix: str) -> list[dict[str, str]]:
    if isinstance(error, InvalidArticleError):
        problems = [
            {
                "pointer": prefix + error_pointer(each),
                "reason": str(each.validator),
                "message": brief(each.message),
            }
            for each in error.errors
        ]
        return sorted(problems, key=lambda p: (p["pointer"], p["message"]))
    return [{"pointer": prefix + error.pointer, "reason": error.reason, "message": str(error)}]


def _not_an_article(problems: list[dict[str, str]]) -> Refusal:
    first = problems[0]
    where = f" at {first['pointer']}" if first["pointer"] else ""
    count = f"{len(problems)} problems, the first" if len(problems) > 1 else "1 problem"
    return Refusal(
        422,
        "article.invalid",
        f"The body is not a valid article: {count}{where}: {first['message']}",
        {"errors": problems},
    )
