"""One parse for every way an article arrives: bytes and a media type to a valid Article.

The webhook and the processor both call `read_article`, so a body the webhook accepts is one
the processor can read, and the reasons they give for refusing one are the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from clearance.contracts import media
from clearance.contracts.schemas import validator_for
from clearance.ingest.article import Article, InvalidArticleError, UnreadableError
from clearance.ingest.ninjs import parse_ninjs
from clearance.ingest.plaintext import parse_plain_text
from clearance.ingest.strictjson import JsonBodyError, parse_json

_BOM = "\ufeff"


def read_article(
    data: bytes, media_type: str | None, disclaimer_headings: Iterable[str]
) -> Article:
    """The normalised, schema-valid article a delivery holds.

    Without a media type, a body that opens with `{` or `[` is read as JSON and any other as
    text. Raises UnreadableError for bytes that are no article format, ArticleError for a format
    that holds no article, and InvalidArticleError (every schema error) for an invalid one.
    """
    if not data.strip():
        raise UnreadableError("empty", "the delivery is empty")
    if b"\x00" in data:
        raise UnreadableError("binary", "the delivery holds NUL bytes: binary data, not an article")
    kind = media.essence(media_type)
    as_json = kind in media.JSON_TYPES or (not kind and data.lstrip()[:1] in (b"{", b"["))
    if not as_json and kind and kind not in media.TEXT_TYPES:
        raise UnreadableError("media-type", f"'{kind}' is not a supported article format")
    if as_json:
        try:
            document = parse_json(data)
        except JsonBodyError as error:
            raise UnreadableError(error.reason, str(error)) from None
        article = parse_ninjs(document)
    else:
        article = parse_plain_text(_text(data), disclaimer_headings)
    errors = list(validator_for("article.schema.json").iter_errors(cast("dict[str, Any]", article)))
    if errors:
        raise InvalidArticleError(article, errors)
    return article


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableError(
            "encoding", f"the text is not valid UTF-8 (byte offset {error.start})"
        ) from None
    text = text.removeprefix(_BOM)
    if not text.strip():
        raise UnreadableError("empty", "the delivery is empty")
    return text
