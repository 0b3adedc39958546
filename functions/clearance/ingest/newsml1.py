"""IPTC NewsML 1.x (AFP, ANA-MPE) read into normalised articles: one per NewsItem.

A NewsItem states its rights in the RightsMetadata of any of its NewsComponents, in NewsLines
(CopyrightLine, RightsLine) and in NewsManagement (Status, StatusWillChange). A photo component
is an association with its own rights, never the body. The item's identity leaves its revision
out (a PublicIdentifier ends in it), so a later revision, or a cancellation, reaches the same
article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from clearance.ingest.article import (
    Article,
    ArticleError,
    Association,
    ReadItem,
    dateline_credit,
    new_article,
    no_items,
)
from clearance.ingest.nitf import NITF_NAMESPACES, XML_LANG, gather, nitf_html
from clearance.ingest.statements import Statements, pub_status
from clearance.ingest.times import created
from clearance.ingest.xmldoc import inner_html, local, namespace, standalone, text_of

_TEXT_MEDIA = frozenset({"", "text"})
_CREDIT = re.compile(r"\([^()\n]{1,40}\)")
_MEDIA_KINDS = {"photo": "picture", "graphic": "graphic", "video": "video", "audio": "audio"}


def _is_item(element: Element) -> bool:
    return local(element.tag) == "NewsItem" and not namespace(element.tag)


def read_newsml1(root: Element) -> list[ReadItem]:
    """Each NewsItem of the document, kept on its own with the document's envelope.

    Raises ArticleError (`no-items`) for a document that holds no NewsItem.
    """
    items = [element for element in root.iter() if _is_item(element)]
    if not items:
        raise no_items("NewsML 1.x document")
    return [ReadItem(_read(item), standalone(root, item, _is_item)) for item in items]


def _read(item: Element) -> Article | ArticleError:
    try:
        return _article(item)
    except ArticleError as error:
        return error


@dataclass(frozen=True, slots=True)
class _Parts:
    """An item's NewsComponents: those of the article itself, and media components."""

    own: list[Element]
    media: list[Element]

    @classmethod
    def of(cls, item: Element) -> _Parts:
        """Components in document order; an item with no text of its own (a photo item) is
        all its own, with no associations."""
        found: list[Element] = []
        pending = list(reversed(_all(item, "NewsComponent")))
        while pending:
            component = pending.pop()
            found.append(component)
            pending += reversed(_all(component, "NewsComponent"))
        media = [component for component in found if _is_media(component)]
        own = [component for component in found if component not in media]
        return cls(own, media) if cls(own, []).texts() or not media else cls(found, [])

    def texts(self) -> list[Element]:
        return [
            c for o in self.own for c in _all(o, "ContentItem") if _media_type(c) in _TEXT_MEDIA
        ]

    def lines(self, name: str) -> list[Element]:
        return [
            line for c in self.own for lines in _all(c, "NewsLines") for line in _all(lines, name)
        ]


def _article(item: Element) -> Article:
    identifier = _child(_child(item, "Identification"), "NewsIdentifier")
    management = _child(item, "NewsManagement")
    version = text_of(_child(identifier, "RevisionId")) or "1"
    uri = _uri(identifier, version)
    parts = _Parts.of(item)
    _refuse_non_article(item, parts)
    statements = Statements()
    holder = _rights(parts, statements)
    issued = created(text_of(_child(management, "ThisRevisionCreated")))
    status = _status(management, statements)
    body = _body(parts, statements)
    if holder is None:
        holder = body.holder
    statements.party(body.holder, unless=holder)
    notice = statements.notice()
    usage = [_words(line) for line in parts.lines("RightsLine")]
    for extra in usage[1:]:
        statements.note("NewsLines/RightsLine", extra)
    dateline = text_of(next(iter(parts.lines("DateLine")), None))
    return new_article(
        "newsml-1",
        uri,
        version,
        text_of(next(iter(parts.lines("HeadLine")), None)) or "",
        type=_item_type(parts),
        pub_status=pub_status(_stricter(status, body.status), statements.embargo, issued),
        version_created=issued,
        first_created=created(text_of(_child(management, "FirstCreated"))),
        embargoed_until=statements.embargo,
        expires=statements.expires,
        language=_language(item, parts),
        byline=text_of(next(iter(parts.lines("ByLine")), None)),
        credit_line=text_of(next(iter(parts.lines("CreditLine")), None)),
        dateline_credit=_credit(dateline) or dateline_credit(body.text),
        body_text=body.text,
        body_html=body.html,
        copyright_holder=holder,
        copyright_notice=notice,
        usage_terms=usage[0] if usage else None,
        ed_note="\n".join(statements.ed_notes) or None,
        info_sources=statements.sources,
        associations=_associations(parts.media),
        signals=statements.signals,
        rights_notes=statements.notes,
        origin=text_of(_child(identifier, "ProviderId")) or _provider(parts),
    )


def _credit(dateline: str | None) -> str | None:
    """The parenthesised credit of a DateLine (`STOCKHOLM, Aug 29, 2014 (AFP) -`)."""
    found = _CREDIT.search(dateline or "")
    return dateline_credit(dateline) or (found.group() if found else None)


def _uri(identifier: Element | None, version: str) -> str:
    """PublicIdentifier without its revision, else `urn:newsml:` ProviderId, DateId, NewsItemId."""
    public = text_of(_child(identifier, "PublicIdentifier"))
    if public:
        return re.sub(rf":{re.escape(version)}[NAU]?$", "", public) or public
    names = [text_of(_child(identifier, name)) for name in ("ProviderId", "DateId", "NewsItemId")]
    if all(names):
        return "urn:newsml:" + ":".join(name or "" for name in names)
    raise ArticleError(
        "missing-uri",
        "the NewsItem names no PublicIdentifier and no ProviderId, DateId and NewsItemId",
    )


def _refuse_non_article(item: Element, parts: _Parts) -> None:
    """Partial updates, vocabularies and packages of other items are not articles."""
    if _all(item, "Update"):
        raise ArticleError(
            "partial-update",
            "the NewsItem changes parts of an earlier revision (Update); clearance needs the "
            "whole item",
        )
    components = parts.own + parts.media
    if not components and _all(item, "TopicSet"):
        raise ArticleError("item-class", "the NewsItem carries a TopicSet, not an article")
    has_content = any(_all(c, "ContentItem") for c in components)
    if not has_content and any(_all(c, "NewsItem") or _all(c, "NewsItemRef") for c in components):
        raise ArticleError(
            "item-class",
            "the NewsItem is a package of other NewsItems, not an article; each is read on its own",
        )


def _rights(parts: _Parts, into: Statements) -> str | None:
    """The article's copyright holder (its own components first), lines, and every UsageRights
    and rights Property of any component in words; returns the holder."""
    holders = [h for c in parts.own for h in _holders(c)]
    holder = holders[0] if holders else None
    for other in holders[1:]:
        into.party(other, unless=holder)
    for line in parts.lines("CopyrightLine"):
        if _words(line):
            into.notices.append(("NewsLines/CopyrightLine", _words(line) or ""))
    for component in parts.own + parts.media:
        for metadata in _all(component, "RightsMetadata"):
            for usage in _all(metadata, "UsageRights"):
                _usage(usage, holder, into)
            for prop in _all(metadata, "Property"):
                name, value = prop.get("FormalName", "").strip(), prop.get("Value", "").strip()
                into.note("RightsMetadata/Property", f"{name}: {value}" if name else value)
        for administrative in _all(component, "AdministrativeMetadata"):
            for source in _all(administrative, "Source"):
                into.party(_party(source), unless=holder)
    return holder


def _usage(usage: Element, holder: str | None, into: Statements) -> None:
    for part in usage:
        name, words = local(part.tag), _words(part)
        if name == "RightsHolder":
            into.party(words, unless=holder)
        elif name == "StartDate":
            into.starts("UsageRights/StartDate", words)
        elif name == "EndDate":
            into.ends("UsageRights/EndDate", words)
        elif name:
            into.note(f"UsageRights/{name}", words)


def _status(management: Element | None, into: Statements) -> str | None:
    """The Status word; a StatusWillChange to Usable is an embargo, one away from Usable an end,
    any other kept in words. Instructions are signals."""
    status = _formal(_child(management, "Status"))
    will = _child(management, "StatusWillChange")
    if will is not None:
        future = (_formal(_child(will, "FutureStatus")) or "").lower()
        at = text_of(_child(will, "DateAndTime"))
        present = (status or "").lower()
        source = "StatusWillChange/DateAndTime"
        if not at:
            into.note("StatusWillChange", future or "no FutureStatus")
        elif future == "usable" and present != "usable":
            into.starts(source, at)
        elif present == "usable" and future != "usable":
            into.ends(source, at)
        elif future != present:
            into.note("StatusWillChange", " at ".join(filter(None, (future, at))))
    for instruction in _all(management, "Instruction"):
        into.signal(_formal(instruction))
    return status


@dataclass(frozen=True, slots=True)
class _Body:
    html: str | None = None
    text: str | None = None
    holder: str | None = None
    status: str | None = None


def _body(parts: _Parts, into: Statements) -> _Body:
    """The first text ContentItem that holds any: NITF (its own rights and status gathered too),
    XHTML, HTML written as text, or plain text."""
    for component in parts.own:
        for content in _all(component, "ContentItem"):
            data = _child(content, "DataContent")
            if data is None or _media_type(content) not in _TEXT_MEDIA or _all(content, "Encoding"):
                continue
            nitf = next((c for c in data if _is_nitf(c)), None)
            if nitf is not None:
                return _nitf_body(nitf, into)
            if len(data):
                xhtml = next((c for c in data if local(c.tag) == "html"), None)
                page = None if xhtml is None else _first_of(xhtml, "body", any_space=True)
                shown = page if page is not None else xhtml if xhtml is not None else data
                html = inner_html(shown).strip()
                if html:
                    return _Body(html=html)
                continue
            text = (data.text or "").strip()
            if text:
                return _Body(html=text) if _is_html(content) else _Body(text=text)
    return _Body()


def _nitf_body(nitf: Element, into: Statements) -> _Body:
    holder = gather(nitf, into)
    body = _first_of(nitf, "body")
    docdata = _first_of(_first_of(nitf, "head"), "docdata")
    status = None if docdata is None else docdata.get("management-status")
    html = nitf_html(_first_of(body, "body.content"), _first_of(body, "body.end"))
    return _Body(html=html, holder=holder, status=status)


def _stricter(status: str | None, embedded: str | None) -> str | None:
    """The item's status, unless the NITF it carries states one that is not usable."""
    word = (embedded or "").strip().lower()
    return status if word in ("", "usable") else embedded


def _associations(media: list[Element]) -> list[Association]:
    """Each media component with the rights it states itself."""
    found: list[Association] = []
    for number, component in enumerate(media, 1):
        content = _all(component, "ContentItem")[0]
        lines = _child(component, "NewsLines")
        holders = _holders(component)
        kind = _media_kind(component)
        role = _formal(_child(component, "Role"))
        found.append(
            {
                "name": f"{role or kind}-{number}",
                "type": kind,
                "uri": (content.get("Href") or "").strip()
                or (component.get("Duid") or component.get("Euid") or "").strip()
                or None,
                "headline": text_of(_child(lines, "HeadLine")),
                "byline": text_of(_child(lines, "ByLine")),
                "copyright_holder": holders[0] if holders else None,
                "copyright_notice": _words(_child(lines, "CopyrightLine")),
                "usage_terms": _words(_child(lines, "RightsLine")),
                "encoded_rights": None,
                "linked_rights": None,
            }
        )
    return found


def _holders(component: Element) -> list[str]:
    return [
        holder
        for metadata in _all(component, "RightsMetadata")
        for copyright in _all(metadata, "Copyright")
        if (holder := _words(_child(copyright, "CopyrightHolder")))
    ]


def _item_type(parts: _Parts) -> str:
    """The kind of the media an item carries when it carries no text; else "text"."""
    media = [component for component in parts.own if _is_media(component)]
    return _media_kind(media[0]) if media and not parts.texts() else "text"


def _is_media(component: Element) -> bool:
    contents = _all(component, "ContentItem")
    return bool(contents) and all(_media_type(c) not in _TEXT_MEDIA for c in contents)


def _media_type(content: Element) -> str:
    return (_formal(_child(content, "MediaType")) or "").lower()


def _media_kind(component: Element) -> str:
    kind = _media_type(_all(component, "ContentItem")[0])
    return _MEDIA_KINDS.get(kind, kind or "media")


def _is_html(content: Element) -> bool:
    declared = " ".join(
        _formal(_child(content, name)) or "" for name in ("Format", "MimeType")
    ).lower()
    return "html" in declared


def _is_nitf(element: Element) -> bool:
    return local(element.tag) == "nitf" and namespace(element.tag) in NITF_NAMESPACES


def _language(item: Element, parts: _Parts) -> str | None:
    lang = (item.get(XML_LANG) or "").strip()
    if lang:
        return lang
    for component in parts.own:
        for descriptive in _all(component, "DescriptiveMetadata"):
            for language in _all(descriptive, "Language"):
                if _formal(language):
                    return _formal(language)
    return None


def _provider(parts: _Parts) -> str | None:
    for component in parts.own:
        for administrative in _all(component, "AdministrativeMetadata"):
            name = _party(_child(administrative, "Provider"))
            if name:
                return name
    return None


def _party(holder: Element | None) -> str | None:
    """The name of the first Party in an element: its FormalName, else its words."""
    party = _child(holder, "Party")
    return None if party is None else _formal(party) or text_of(party)


def _formal(element: Element | None) -> str | None:
    return None if element is None else (element.get("FormalName") or "").strip() or None


def _child(parent: Element | None, name: str) -> Element | None:
    found = _all(parent, name)
    return found[0] if found else None


def _all(parent: Element | None, name: str) -> list[Element]:
    if parent is None:
        return []
    return [child for child in parent if local(child.tag) == name and not namespace(child.tag)]


def _first_of(parent: Element | None, name: str, *, any_space: bool = False) -> Element | None:
    """A child in a NITF namespace (or, with `any_space`, in any namespace, as XHTML's body)."""
    if parent is None:
        return None
    return next(
        (
            child
            for child in parent
            if local(child.tag) == name and (any_space or namespace(child.tag) in NITF_NAMESPACES)
        ),
        None,
    )


def _words(element: Element | None) -> str | None:
    """An element's text with only its outer white space stripped: the words kept exactly."""
    return None if element is None else "".join(element.itertext()).strip() or None
