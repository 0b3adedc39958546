"""The normalised article: one shape for every inbound format, so policies are written once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, TypedDict

from clearance.contracts.pointers import brief, error_pointer

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

ArticleFormat = Literal["ninjs-2", "ninjs-3", "text"]
PubStatus = Literal["usable", "withheld", "canceled"]


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
