"""IPTC ninjs read into the normalised article: Superdesk's 1.x (`guid`, no `uri`), 2.x
(lowercase names) and 3.x (camelCase), one document or an API page of them.

A document may mix the spellings; the strictest statement of either wins, and every rights or
lifecycle member in a shape the article has no place for is kept as a rights note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from clearance.ingest.article import (
    Article,
    ArticleError,
    ArticleFormat,
    Association,
    ReadItem,
    new_article,
    no_items,
)
from clearance.ingest.ninjsmembers import (
    Members,
    absent,
    bound,
    code,
    compact,
    created_time,
    description,
    headline,
    info_sources,
    joined,
    listed,
    note,
    note_lines,
    pub_status,
    rights_info,
    signals,
    source_url,
    text,
    version_of,
    words,
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
    if text(document.get("uri")) is None and text(document.get("guid")) is not None:
        return "ninjs-1"
    if any(key in _NINJS3_MARKERS for key in document):
        return "ninjs-3"
    if any(
        isinstance(body, Mapping) and "contentType" in body for body in listed(document, "bodies")
    ):
        return "ninjs-3"
    return "ninjs-2"


def is_page(document: object) -> TypeGuard[Mapping[str, Any]]:
    """An API page of ninjs items (BBC LDRS): `{"total": n, "item": [...]}`, no item itself."""
    return (
        isinstance(document, Mapping)
        and "total" in document
        and isinstance(document.get("item"), list)
        and not any(key in document for key in ("uri", "guid"))
    )


def read_ninjs(document: object) -> list[ReadItem]:
    """A ninjs document is one item; each item of a page is its own, with its own bytes."""
    if not is_page(document):
        return [_read(document, None)]
    items: list[Any] = document["item"]
    if not items:
        raise no_items("ninjs page")
    return [_read(item, compact(item).encode()) for item in items]


def _read(document: object, data: bytes | None) -> ReadItem:
    try:
        return ReadItem(parse_ninjs(document), data)
    except ArticleError as error:
        return ReadItem(error, data)


def parse_ninjs(document: object) -> Article:
    """Normalise a ninjs document; raises ArticleError when it is not one."""
    if not isinstance(document, Mapping):
        raise ArticleError("not-ninjs", "a ninjs article is a JSON object", "")
    fmt = ninjs_format(document)
    return ninjs_article(document, fmt, camel=fmt == "ninjs-3")


def ninjs_article(
    document: Mapping[str, Any],
    fmt: ArticleFormat,
    *,
    camel: bool,
    body_from_descriptions: bool = True,
) -> Article:
    """The article a ninjs-like object states, recorded as `fmt`; `camel` says which spelling
    is the document's own. A text whose body is only linked reads with no body."""
    uri = _identity(document, fmt)
    version = version_of(document)
    members = Members(document, camel)
    key = "contentType" if camel else "contenttype"
    body_text = _body(document, key, _TEXT_TYPES, _TEXT_ROLES, "body_text")
    body_html = _body(document, key, _HTML_TYPES, _HTML_ROLES, "body_html")
    if body_text is None and body_html is None and body_from_descriptions:
        body_text = description(document, _DESCRIPTION_BODY_ROLES) or text(
            document.get("description_text")
        )
    fields: dict[str, Any] = {
        **_lifecycle(members),
        "type": text(document.get("type")) or "text",
        "language": document.get("language"),
        "byline": text(document.get("by")) or text(document.get("byline")),
        "credit_line": description(document, ("creditline",)),
        "body_text": body_text,
        "body_html": body_html,
        "copyright_holder": members.rights("copyrightHolder"),
        "copyright_notice": members.rights("copyrightNotice"),
        "usage_terms": members.rights("usageTerms"),
        "info_sources": info_sources(members.spellings("infoSources")),
        "source_url": source_url(uri),
        "associations": _associations(document.get("associations"), members),
        "origin": _origin(document),
    }
    fields["encoded_rights"], fields["linked_rights"] = rights_info(
        members.spellings("rightsInfo"), members.notes
    )
    note(members.notes, "contracts", document.get("contracts"))
    fields["rights_notes"] = members.notes
    return new_article(fmt, uri, version, headline(document), **fields)


def _identity(document: Mapping[str, Any], fmt: ArticleFormat) -> str:
    uri = words(document.get("uri"))
    if uri is None and fmt == "ninjs-1":
        uri = words(document.get("guid"))
    if uri is None:
        raise ArticleError("missing-uri", "a ninjs article needs a non-empty string 'uri'", "/uri")
    return uri


def _lifecycle(members: Members) -> dict[str, Any]:
    """Status, times, editors' notes and signals: the strictest of every spelling."""
    status = pub_status(members.spellings("pubStatus"))
    embargo, undated = bound(
        members.spellings("embargoedUntil", "embargoed"), members.notes, latest=True
    )
    expires, _ = bound(members.spellings("expires"), members.notes, latest=False)
    notes = (line for _, value in members.spellings("edNote") for line in note_lines(value))
    return {
        # An embargo with no date it can be read by holds the item until a person looks.
        "pub_status": "withheld" if undated and status == "usable" else status,
        "version_created": created_time(members.first("versionCreated")),
        "first_created": created_time(members.first("firstCreated")),
        "embargoed_until": embargo,
        "expires": expires,
        "ed_note": joined(notes),
        "signals": signals(members.spellings("signals"), members.notes),
    }


def _body(
    document: Mapping[str, Any],
    content_type_key: str,
    media_types: tuple[str, ...],
    roles: tuple[str, ...],
    legacy_key: str,
) -> str | None:
    bodies = [b for b in listed(document, "bodies") if isinstance(b, Mapping)]
    for body in bodies:
        media_type = str(body.get(content_type_key) or "").split(";")[0].strip().lower()
        if media_type in media_types or (not media_type and body.get("role") in roles):
            found = text(body.get("value"))
            if found is not None:
                return found
    return text(document.get(legacy_key))


def _origin(document: Mapping[str, Any]) -> str | None:
    """Who the document says provided it: AP's `provider`, Superdesk's `source`."""
    for key in ("provider", "source"):
        value = document.get(key)
        if isinstance(value, Mapping):
            value = value.get("name") or value.get("qcode")
        found = words(value)
        if found is not None:
            return found
    return None


def _associations(value: object, parent: Members) -> list[Association]:
    """Associated items with their own rights fields: a list in ninjs 3, a name map before."""
    if isinstance(value, Mapping):
        named = [(str(name), item) for name, item in value.items()]
    elif isinstance(value, list):
        named = [
            (str(item.get("name") or index) if isinstance(item, Mapping) else str(index), item)
            for index, item in enumerate(value)
        ]
    else:
        note(parent.notes, "associations", value)
        return []
    found: list[Association] = []
    for name, item in named:
        place = f"associations/{name}/"
        if not isinstance(item, Mapping):
            note(parent.notes, place.rstrip("/"), item)
            continue
        found.append(_association(name, Members(item, parent.camel, parent.notes, place)))
    return found


def _association(name: str, members: Members) -> Association:
    """One associated item; its own status, embargo and expiry have no member: noted."""
    item = members.document
    for source, status in members.spellings("pubStatus"):
        if not (isinstance(status, str) and code(status) == "usable"):
            note(members.notes, source, status)
    for source, when in [
        *members.spellings("embargoedUntil", "embargoed"),
        *members.spellings("expires"),
    ]:
        if not absent(when) and when is not False:
            note(members.notes, source, when)
    encoded, linked = rights_info(members.spellings("rightsInfo"), members.notes)
    return {
        "name": name,
        "type": text(item.get("type")) or "text",
        "uri": text(item.get("uri")) or text(item.get("guid")),
        "headline": headline(item) or None,
        "byline": text(item.get("by")) or text(item.get("byline")),
        "copyright_holder": members.rights("copyrightHolder"),
        "copyright_notice": members.rights("copyrightNotice"),
        "usage_terms": members.rights("usageTerms"),
        "encoded_rights": encoded,
        "linked_rights": linked,
    }
