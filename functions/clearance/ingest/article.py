"""The normalised article: one shape for every inbound format, so policies are written once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast

from clearance.contracts.pointers import brief, error_pointer

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

ArticleFormat = Literal[
    "ninjs-1",
    "ninjs-2",
    "ninjs-3",
    "text",
    "newsml-g2",
    "nitf",
    "newsml-1",
    "rss",
    "atom",
    "digitalwires",
    "ap-media",
]
PubStatus = Literal["usable", "withheld", "canceled"]


class RightsNote(TypedDict):
    """A rights statement written in words where the format puts one (NITF `doc.rights`
    limitations, NewsML 1.x `UsageRights`, a feed's licence): judged, never skipped."""

    source: str
    text: str


class Association(TypedDict):
    """An associated item (picture, video, graphic) with the rights fields it carries itself."""

    name: str
    type: str
    uri: str | None
    headline: str | None
    byline: str | None
    copyright_holder: str | None
    copyright_notice: str | None
    usage_terms: str | None
    encoded_rights: str | None
    linked_rights: str | None


class Article(TypedDict, total=False):
    """Mirrors `schemas/article.schema.json`: the schema is the contract, this the typing."""

    format: ArticleFormat
    provider: str | None
    uri: str
    version: str
    type: str
    pub_status: PubStatus
    version_created: str | None
    first_created: str | None
    embargoed_until: str | None
    expires: str | None
    language: str | None
    headline: str
    byline: str | None
    credit_line: str | None
    dateline_credit: str | None
    body_text: str | None
    body_html: str | None
    disclaimer: str | None
    copyright_holder: str | None
    copyright_notice: str | None
    usage_terms: str | None
    ed_note: str | None
    info_sources: list[str]
    source_url: str | None
    encoded_rights: str | None
    linked_rights: str | None
    associations: list[Association]
    signals: list[str]
    rights_notes: list[RightsNote]
    origin: str | None


class ArticleError(ValueError):
    """The delivery is readable but is not an article; `pointer` says where, when known."""

    def __init__(self, reason: str, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.pointer = pointer


class UnreadableError(ArticleError):
    """The bytes are no article format at all: empty, binary, not UTF-8, not JSON, not a type."""


class InvalidArticleError(ArticleError):
    """Read, but the normalised article breaks `schemas/article.schema.json`: every error."""

    def __init__(self, article: Article, errors: Sequence[ValidationError]) -> None:
        first = min(errors, key=lambda error: (error_pointer(error), error.message))
        super().__init__("invalid", brief(first.message), error_pointer(first))
        self.article = article
        self.errors = tuple(errors)


_DATELINE_CREDIT = re.compile(
    r"(\([^()\n]{1,80}\))|[^\n()]{1,100}?\s(\([^()\n]{1,40}\))\s*(?:--|\u2014|\u2013)"
)


def dateline_credit(body_text: str | None) -> str | None:
    """The parenthesised credit that opens a wire story: `(MENAFN) ...`, `ROME (AP) -- ...`."""
    if not body_text:
        return None
    match = _DATELINE_CREDIT.match(body_text.lstrip())
    return (match.group(1) or match.group(2)) if match else None


def new_article(
    fmt: ArticleFormat, uri: str, version: str, headline: str, **fields: Any
) -> Article:
    """An article of `fmt` with every member the schema requires, and nothing unset left out.

    Readers pass what their format carries; the rest is "not given" (None, or an empty list).
    """
    article: dict[str, Any] = {
        "format": fmt,
        "provider": None,
        "uri": uri,
        "version": version,
        "type": "text",
        "pub_status": "usable",
        "version_created": None,
        "first_created": None,
        "embargoed_until": None,
        "expires": None,
        "language": None,
        "headline": headline,
        "byline": None,
        "credit_line": None,
        "dateline_credit": None,
        "body_text": None,
        "body_html": None,
        "disclaimer": None,
        "copyright_holder": None,
        "copyright_notice": None,
        "usage_terms": None,
        "ed_note": None,
        "info_sources": [],
        "source_url": None,
        "encoded_rights": None,
        "linked_rights": None,
        "associations": [],
        "signals": [],
        "rights_notes": [],
        "origin": None,
    }
    unknown = set(fields) - set(article)
    if unknown:
        raise TypeError(f"not article members: {', '.join(sorted(unknown))}")
    article.update(fields)
    if article["dateline_credit"] is None:
        article["dateline_credit"] = dateline_credit(article["body_text"])
    return cast("Article", article)


@dataclass(frozen=True, slots=True)
class ReadItem:
    """What a reader made of one item: an article (not yet checked against the schema), or the
    error saying why the item is no article. `data` is the item on its own when the delivery
    holds several (a feed's rights kept with it), None when the item is the whole delivery."""

    result: Article | ArticleError
    data: bytes | None = None


def no_items(what: str) -> ArticleError:
    """A container that holds nothing to decide: an empty feed or message."""
    return ArticleError("no-items", f"the {what} holds no items", "")


def distinct(texts: Sequence[str | None]) -> list[str]:
    """Each text once, stripped, in first-seen order; blanks left out."""
    return list(dict.fromkeys(text.strip() for text in texts if text and text.strip()))


def rights_note(source: str, text: str) -> RightsNote:
    return {"source": source, "text": text}
