"""IPTC NewsML-G2 newsItem and newsMessage, read with rights and signals.

A newsItem is one article; a newsMessage holds one item per child of its itemSet, each decided
on its own with the message around it (its header kept, the other items left out). Items that
are not news (packages, concepts, knowledge, planning) are refused by name, never skipped.
Lifecycle fails closed: a publishing status that is not understood withholds the item.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.etree.ElementTree import Element

from clearance.ingest.article import (
    Article,
    ArticleError,
    PubStatus,
    ReadItem,
    new_article,
    no_items,
)
from clearance.ingest.g2rights import G2, XML_LANG, Rights, read_rights
from clearance.ingest.times import canonical, created, parse
from clearance.ingest.xmldoc import children, inner_html, local, namespace, standalone, text_of

NITF_NAMESPACES = ("", "http://iptc.org/std/NITF/2006-10-18/", G2)
"""NITF inside a G2 item: no namespace, its own, or (as Scoop sends it) the G2 default."""
XHTML_NAMESPACES = ("", "http://www.w3.org/1999/xhtml", G2)
_STATUS_URI = "http://cv.iptc.org/newscodes/pubstatusg2/"
_SIGNAL_URI = "http://cv.iptc.org/newscodes/signal/"
_STRICTNESS: tuple[PubStatus, ...] = ("usable", "withheld", "canceled")
_KILLED = frozenset({"canceled", "cancelled", "withdrawn"})


def read_newsml_g2(root: Element) -> list[ReadItem]:
    """A newsItem is one item; a newsMessage one per child of its itemSet, each with its own
    bytes. Raises ArticleError (`no-items`) for a message whose itemSet is empty."""
    if local(root.tag) != "newsMessage":
        return [ReadItem(_result(root, None))]
    items = [
        child
        for item_set in children(root, "itemSet", (G2,))
        for child in item_set
        if local(child.tag)
    ]
    if not items:
        raise no_items("NewsML-G2 message")
    chosen = {id(item) for item in items}

    def is_item(element: Element) -> bool:
        return id(element) in chosen

    inherited = (root.get(XML_LANG) or "").strip() or None
    return [ReadItem(_result(item, inherited), standalone(root, item, is_item)) for item in items]


def _result(item: Element, inherited_language: str | None) -> Article | ArticleError:
    try:
        return _article(item, inherited_language)
    except ArticleError as error:
        return error


def _article(item: Element, inherited_language: str | None) -> Article:
    name, guid = local(item.tag), (item.get("guid") or "").strip()
    if name != "newsItem" or namespace(item.tag) != G2:
        raise ArticleError(
            "item-class",
            f"the NewsML-G2 {name} {repr(guid) if guid else '(no guid)'} is not a news item: "
            "clearance decides articles, and reads only newsItem",
        )
    if not guid:
        raise ArticleError("missing-uri", "a NewsML-G2 newsItem needs a non-empty guid", "/uri")
    meta = _child(item, "itemMeta")
    content_meta = _child(item, "contentMeta")
    language = (
        (item.get(XML_LANG) or "").strip()
        or _attribute(_children(content_meta, "language"), "tag")
        or inherited_language
    )
    rights = read_rights(item, language)
    body_html, body_text, has_content = _body(item)
    described = _described(content_meta)
    fields: dict[str, Any] = {
        **_lifecycle(meta, rights),
        **described,
        "language": language,
        "body_html": body_html,
        "body_text": body_text or (None if has_content else _summary(content_meta)),
        "copyright_holder": rights.holder,
        "copyright_notice": rights.notice,
        "usage_terms": rights.terms,
        "encoded_rights": rights.encoded,
        "linked_rights": rights.linked,
        "rights_notes": list(rights.notes),
        "info_sources": _distinct(
            [*described["info_sources"], *_parties(item), *rights.other_holders]
        ),
    }
    headline = (
        _headline(content_meta) or text_of(_child(meta, "title")) or _nitf_headline(item) or ""
    )
    version = (item.get("version") or "").strip() or "1"
    return new_article("newsml-g2", guid, version, headline, **fields)


def _lifecycle(meta: Element | None, rights: Rights) -> dict[str, Any]:
    """itemMeta: the item's type, status, times, notes, signals and provider."""
    embargo = canonical(text_of(_child(meta, "embargoed")))
    expiries = [canonical(text_of(e)) for e in _children(meta, "expires")]
    notes = [text for e in _children(meta, "edNote", "ednote") if (text := text_of(e))]
    return {
        "type": _item_type(_child(meta, "itemClass")),
        "pub_status": _pub_status(_children(meta, "pubStatus")),
        "version_created": created(text_of(_child(meta, "versionCreated"))),
        "first_created": created(text_of(_child(meta, "firstCreated"))),
        "embargoed_until": embargo or _latest(rights.valid_from),
        "expires": _earliest([*(e for e in expiries if e), *rights.valid_to]),
        "ed_note": "\n".join(notes) or None,
        "signals": _distinct(signal for e in _children(meta, "signal") if (signal := _signal(e))),
        "origin": _party_name(_child(meta, "provider"), ("qcode", "literal", "name", "uri")),
    }


def _described(content_meta: Element | None) -> dict[str, Any]:
    """contentMeta: who wrote it, whose it is, and who is credited."""
    bylines = [text for e in _children(content_meta, "by") if (text := text_of(e))]
    creators = [
        text
        for creator in _children(content_meta, "creator")
        if (text := text_of(_child(creator, "name")))
    ]
    sources = [
        name
        for source in _children(content_meta, "infoSource")
        if (name := _party_name(source, ("name", "literal", "qcode", "uri")))
    ]
    return {
        "byline": bylines[0] if bylines else ", ".join(creators) or None,
        "credit_line": next(
            (text for e in _children(content_meta, "creditline") if (text := text_of(e))), None
        ),
        "info_sources": sources,
    }


def _headline(content_meta: Element | None) -> str | None:
    """The main headline: one with no role or a main role, else the first one given."""
    headlines = [
        (text, (e.get("role") or "").strip())
        for e in _children(content_meta, "headline")
        if (text := text_of(e))
    ]
    main = [text for text, role in headlines if not role or _code(role).lower() == "main"]
    if main:
        return main[0]
    return headlines[0][0] if headlines else None


def _summary(content_meta: Element | None) -> str | None:
    """A summary description, the only text an item without any content carries."""
    for description in _children(content_meta, "description"):
        if _code(description.get("role") or "").lower() == "summary":
            text = text_of(description)
            if text:
                return text
    return None


def _parties(item: Element) -> list[str]:
    """The syndication chain: every party of every hop."""
    return [
        name
        for history in _children(item, "hopHistory")
        for hop in _children(history, "hop")
        for party in _children(hop, "party")
        if (name := _party_name(party, ("name", "qcode", "literal", "uri")))
    ]


def _body(item: Element) -> tuple[str | None, str | None, bool]:
    """(body_html, body_text, whether the item has any content at all): the first content
    that can be displayed; content only behind a link, or empty, is no body."""
    content_set = _child(item, "contentSet")
    contents = [c for c in content_set if local(c.tag)] if content_set is not None else []
    for content in contents:
        kind = local(content.tag)
        if kind == "inlineXML" and (html := _inline_xml(content)):
            return html, None, True
        if kind == "inlineData":
            html, text = _inline_data(content)
            if html or text:
                return html, text, True
    return None, None, bool(contents)


def _inline_xml(content: Element) -> str | None:
    """The HTML of an inline XHTML `body` or NITF `body.content`, when it holds any words; an
    XHTML fragment declared as such is its own body."""
    declared = (content.get("contenttype") or "").lower()
    recognised = False
    for root in content:
        name = local(root.tag)
        if name == "html":
            body = next(iter(children(root, "body", XHTML_NAMESPACES)), None)
        elif name == "body" and namespace(root.tag) in XHTML_NAMESPACES:
            body = root
        elif name == "nitf" or (name and "nitf" in declared):
            body = _descendant(root, "body.content", NITF_NAMESPACES)
        else:
            continue
        recognised = True
        if body is not None and text_of(body):
            return inner_html(body)
    if not recognised and "html" in declared and text_of(content):
        return inner_html(content)
    return None


def _inline_data(content: Element) -> tuple[str | None, str | None]:
    """Plain text as body_text, HTML as body_html; encoded or other data is no body."""
    declared = (content.get("contenttype") or "").split(";")[0].strip().lower()
    text = (content.text or "").strip()
    if not text or (content.get("encoding") or "").strip():
        return None, None
    if declared == "text/plain":
        return None, text
    if declared in ("text/html", "application/xhtml+xml"):
        return text, None
    return None, None


def _nitf_headline(item: Element) -> str | None:
    """A headline only an inline NITF document gives (its hl1, else its head title)."""
    for content_set in _children(item, "contentSet"):
        for inline in _children(content_set, "inlineXML"):
            for root in inline:
                if local(root.tag) != "nitf":
                    continue
                for name in ("hl1", "title"):
                    text = text_of(_descendant(root, name, NITF_NAMESPACES))
                    if text:
                        return text
    return None


def _item_type(item_class: Element | None) -> str:
    """`text` from `ninat:text` (or `icls:text`): the code names the type."""
    if item_class is None:
        return "text"
    qcode = (item_class.get("qcode") or "").strip()
    code = _code(qcode) if qcode else (item_class.get("uri") or "").rstrip("/").rsplit("/")[-1]
    return code.strip().lower() or "text"


def _pub_status(statuses: list[Element]) -> PubStatus:
    """No pubStatus is usable (the standard's default); several, the strictest."""
    read = [_status(element) for element in statuses]
    return max(read, key=_STRICTNESS.index) if read else "usable"


def _status(element: Element) -> PubStatus:
    qcode = (element.get("qcode") or "").strip()
    uri = (element.get("uri") or "").strip()
    scheme, _, code = qcode.rpartition(":")
    if not qcode and uri.startswith(_STATUS_URI):
        scheme, code = "stat", uri.removeprefix(_STATUS_URI).strip("/")
    code = code.lower()
    if code in _KILLED:
        return "canceled"
    if scheme == "stat" and code in ("usable", "withheld"):
        return "usable" if code == "usable" else "withheld"
    return "withheld"


def _signal(element: Element) -> str | None:
    """`sig:correction` as `correction`; another scheme's qcode kept whole, lowercased."""
    qcode = (element.get("qcode") or "").strip()
    uri = (element.get("uri") or "").strip()
    if qcode:
        scheme, _, code = qcode.partition(":")
        return (code if scheme.lower() == "sig" and code else qcode).lower()
    if uri.startswith(_SIGNAL_URI):
        return uri.removeprefix(_SIGNAL_URI).strip("/").lower() or None
    value = uri or (element.get("literal") or "").strip()
    return value.lower() or None


def _party_name(party: Element | None, order: Iterable[str]) -> str | None:
    """A party named by the first of `order` it gives: an attribute, or `name` for its name."""
    if party is None:
        return None
    for key in order:
        if key == "name":
            value = next(
                (text for name in _children(party, "name") if (text := text_of(name))), None
            )
        else:
            value = (party.get(key) or "").strip() or None
        if value:
            return value
    return None


def _earliest(times: Iterable[str]) -> str | None:
    return _extreme(times, latest=False)


def _latest(times: Iterable[str]) -> str | None:
    return _extreme(times, latest=True)


def _extreme(times: Iterable[str], *, latest: bool) -> str | None:
    """The earliest or latest of several times; one that is no time at all is returned as it
    is, for the article schema to refuse rather than for a limit to be lost."""
    moments = [(parse(time), time) for time in times if time]
    unreadable = [time for moment, time in moments if moment is None]
    if unreadable:
        return unreadable[0]
    readable = [(moment, time) for moment, time in moments if moment is not None]
    if not readable:
        return None
    pick = max if latest else min
    return pick(readable, key=lambda pair: pair[0])[1]


def _code(qcode: str) -> str:
    return qcode.rpartition(":")[2]


def _child(element: Element | None, name: str) -> Element | None:
    return next(iter(_children(element, name)), None)


def _children(element: Element | None, *names: str) -> list[Element]:
    if element is None:
        return []
    return [c for c in element if local(c.tag) in names and namespace(c.tag) == G2]


def _descendant(element: Element, name: str, namespaces: Iterable[str]) -> Element | None:
    wanted = set(namespaces)
    return next(
        (e for e in element.iter() if local(e.tag) == name and namespace(e.tag) in wanted), None
    )


def _attribute(elements: list[Element], key: str) -> str | None:
    return next((value for e in elements if (value := (e.get(key) or "").strip())), None)


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
