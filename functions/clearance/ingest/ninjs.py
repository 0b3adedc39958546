"""IPTC ninjs 1.x/2.x (lowercase names) and 3.x (camelCase) read into the normalised article."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from clearance.ingest.article import (
    Article,
    ArticleError,
    ArticleFormat,
    Association,
    ReadItem,
    dateline_credit,
)

# Members whose camelCase spelling only ninjs 3.x uses.
_NINJS3_MARKERS = frozenset(
    {
        "versionCreated",
        "firstCreated",
        "pubStatus",
        "copyrightHolder",
        "copyrightNotice",
        "usageTerms",
        "embargoedUntil",
        "edNote",
        "infoSources",
        "altIds",
        "rightsInfo",
        "representationType",
        "contentCreated",
    }
)
_TEXT_TYPES = ("text/plain",)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_ROLES = ("text", "plain")
_HTML_ROLES = ("html", "xhtml")
_DESCRIPTION_BODY_ROLES = ("text", "caption", "summary", "description")


def ninjs_format(document: Mapping[str, Any]) -> ArticleFormat:
    if any(key in _NINJS3_MARKERS for key in document):
        return "ninjs-3"
    if any(
        isinstance(body, Mapping) and "contentType" in body for body in _list(document, "bodies")
    ):
        return "ninjs-3"
    return "ninjs-2"


def read_ninjs(document: object) -> list[ReadItem]:
    """A ninjs document is one item."""
    try:
        return [ReadItem(parse_ninjs(document))]
    except ArticleError as error:
        return [ReadItem(error)]


def parse_ninjs(document: object) -> Article:
    """Normalise a ninjs document; raises ArticleError when it is not one."""
    if not isinstance(document, Mapping):
        raise ArticleError("not-ninjs", "a ninjs article is a JSON object", "")
    fmt = ninjs_format(document)

    def member(camel: str, lower: str | None = None) -> Any:
        return document.get(camel if fmt == "ninjs-3" else (lower or camel.lower()))

    uri = document.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise ArticleError("missing-uri", "a ninjs article needs a non-empty string 'uri'", "/uri")
    version = document.get("version", "1")
    if isinstance(version, bool) or not isinstance(version, str | int):
        raise ArticleError("bad-version", "'version' must be a string or an integer", "/version")
    content_type_key = "contentType" if fmt == "ninjs-3" else "contenttype"
    body_text = _body(document, content_type_key, _TEXT_TYPES, _TEXT_ROLES, "body_text")
    body_html = _body(document, content_type_key, _HTML_TYPES, _HTML_ROLES, "body_html")
    if body_text is None and body_html is None:
        body_text = _description(document, _DESCRIPTION_BODY_ROLES)
    article: Article = {
        "format": fmt,
        "provider": None,
        "uri": uri.strip(),
        "version": str(version),
        "type": _text(document.get("type")) or "text",
        "pub_status": member("pubStatus") or "usable",
        "version_created": member("versionCreated"),
        "first_created": member("firstCreated"),
        "embargoed_until": document.get("embargoedUntil")
        if fmt == "ninjs-3"
        else document.get("embargoed"),
        "expires": document.get("expires"),
        "language": document.get("language"),
        "headline": _headline(document),
        "byline": _text(document.get("by")),
        "credit_line": _description(document, ("creditline",)),
        "dateline_credit": dateline_credit(body_text),
        "body_text": body_text,
        "body_html": body_html,
        "disclaimer": None,
        "copyright_holder": _text(member("copyrightHolder")),
        "copyright_notice": _text(member("copyrightNotice")),
        "usage_terms": _text(member("usageTerms")),
        "ed_note": _text(member("edNote")),
        "info_sources": _info_sources(member("infoSources")),
        "source_url": _source_url(uri.strip()),
        "encoded_rights": None,
        "linked_rights": None,
        "associations": _associations(document.get("associations"), fmt),
    }
    article["encoded_rights"], article["linked_rights"] = _rights(member("rightsInfo"), fmt)
    return article


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    return value if isinstance(value, list) else []


def _text(value: object) -> str | None:
    """Empty strings mean 'not given' in real feeds (NTB sends `copyrightnotice: ""`)."""
    if isinstance(value, str) and value.strip():
        return value
    return None


def _headline(document: Mapping[str, Any]) -> str:
    headlines = [h for h in _list(document, "headlines") if isinstance(h, Mapping)]
    main = [h for h in headlines if h.get("role") == "main"] or headlines
    for candidate in (
        *(h.get("value") for h in main),
        document.get("headline"),
        document.get("title"),
    ):
        text = _text(candidate)
        if text is not None:
            return text.strip()
    return ""


def _body(
    document: Mapping[str, Any],
    content_type_key: str,
    media_types: tuple[str, ...],
    roles: tuple[str, ...],
    legacy_key: str,
) -> str | None:
    bodies = [b for b in _list(document, "bodies") if isinstance(b, Mapping)]
    for body in bodies:
        media_type = str(body.get(content_type_key) or "").split(";")[0].strip().lower()
        if media_type in media_types or (not media_type and body.get("role") in roles):
            text = _text(body.get("value"))
            if text is not None:
                return text
    return _text(document.get(legacy_key))


def _description(document: Mapping[str, Any], roles: tuple[str, ...]) -> str | None:
    for description in _list(document, "descriptions"):
        if isinstance(description, Mapping) and description.get("role") in roles:
            text = _text(description.get("value"))
            if text is not None:
                return text
    return None


def _info_sources(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [
        str(source["name"])
        for source in value
        if isinstance(source, Mapping) and source.get("name")
    ]


def _rights(value: object, fmt: ArticleFormat) -> tuple[str | None, str | None]:
    """`rightsInfo`: a rights expression carried in the item (encoded), and one linked from it."""
    info = value if isinstance(value, Mapping) else {}
    camel = fmt == "ninjs-3"
    return (
        _text(info.get("encodedRights" if camel else "encodedrights")),
        _text(info.get("linkedRights" if camel else "linkedrights")),
    )


def _associations(value: object, fmt: ArticleFormat) -> list[Association]:
    """Associated items with their own rights fields: a list in ninjs 3, a name map in 2."""
    if isinstance(value, Mapping):
        named = [(str(name), item) for name, item in value.items()]
    elif isinstance(value, list):
        named = [
            (str(item.get("name") or index), item)
            for index, item in enumerate(value)
            if isinstance(item, Mapping)
        ]
    else:
        return []
    camel = fmt == "ninjs-3"
    associations: list[Association] = []
    for name, item in named:
        if not isinstance(item, Mapping):
            continue
        encoded, linked = _rights(item.get("rightsInfo" if camel else "rightsinfo"), fmt)
        associations.append(
            {
                "name": name,
                "type": _text(item.get("type")) or "text",
                "uri": _text(item.get("uri")),
                "headline": _headline(item) or None,
                "byline": _text(item.get("by")),
                "copyright_holder": _text(
                    item.get("copyrightHolder" if camel else "copyrightholder")
                ),
                "copyright_notice": _text(
                    item.get("copyrightNotice" if camel else "copyrightnotice")
                ),
                "usage_terms": _text(item.get("usageTerms" if camel else "usageterms")),
                "encoded_rights": encoded,
                "linked_rights": linked,
            }
        )
    return associations


def _source_url(uri: str) -> str | None:
    """A uri is a link to the source only when it is a plain web address, not an API call."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and parts.netloc and not parts.query:
        return uri
    return None
