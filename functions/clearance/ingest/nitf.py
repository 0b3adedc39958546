"""IPTC NITF 3.x read into the normalised article, with its rights and lifecycle signals.

NITF states rights in `docdata` (management-status, date.release, date.expire, doc.copyright,
doc.rights, ed-msg), in `body.head/rights`, in notes and in `copyrite`: each lands in its article
member or, where none fits, in `rights_notes`, so nothing that binds is dropped. NewsML 1.x
carries NITF bodies, so it reads them, and gathers its own statements, with what is here.
"""

from __future__ import annotations

import hashlib
import re
from xml.etree.ElementTree import Element, SubElement

from clearance.contracts.keys import safe_segment
from clearance.ingest.article import (
    Article,
    ArticleError,
    ReadItem,
    dateline_credit,
    new_article,
)
from clearance.ingest.statements import Statements, pub_status
from clearance.ingest.times import created
from clearance.ingest.xmldoc import children, inner_html, local, namespace, text_of

NITF_NAMESPACES = ("", "http://iptc.org/std/NITF/2006-10-18/")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ID_METAS = frozenset({"ntbid", "guid", "uri", "doc-id", "docid"})
_RIGHTS_META = re.compile(r"copyright|rights|usage|licen[cs]e|embargo|restrict", re.IGNORECASE)
_DOC_RIGHTS_WORDS = ("agent", "geography", "type", "limitations")
_DOC_RIGHTS_READ = frozenset(
    {*_DOC_RIGHTS_WORDS, "owner", "startdate", "enddate", "location-code", "code-source", "id"}
)
_RENAMED = {
    "hl1": "h1",
    "hl2": "h2",
    "block": "div",
    "bq": "blockquote",
    "credit": "cite",
    "fn": "aside",
    "note": "aside",
    "media": "figure",
    "media-caption": "figcaption",
    "media-producer": "p",
    "nitf-table": "div",
    "nitf-table-summary": "p",
    "tagline": "p",
    "bibliography": "p",
}
_HTML_NAMES = """p ul ol li dl dt dd em strong b i u a br hr table caption thead tbody tfoot tr th
td col colgroup pre blockquote q sub sup span div h1 h2 h3 h4 h5 h6 figure figcaption aside cite
code small abbr img"""
_HTML = frozenset(_HTML_NAMES.split())
_DROPPED = frozenset(
    {"media-reference", "media-metadata", "media-object", "nitf-col", "nitf-colgroup"}
)
"""NITF elements with no HTML meaning and no words: references, metadata, encoded media data."""


def read_nitf(root: Element) -> list[ReadItem]:
    """A NITF document is one item."""
    try:
        return [ReadItem(_article(root))]
    except ArticleError as error:
        return [ReadItem(error)]


def _article(root: Element) -> Article:
    head = _child(root, "head")
    docdata = _child(head, "docdata")
    body = _child(root, "body")
    body_head = _child(body, "body.head")
    content = _child(body, "body.content")
    statements = Statements()
    holder = gather(root, statements)
    issued = created(_attr(_child(docdata, "date.issue"), "norm"))
    status = pub_status(_attr(docdata, "management-status"), statements.embargo, issued)
    notice = statements.notice()
    headline = _headline(head, body_head)
    html = nitf_html(content, _child(body, "body.end"))
    return new_article(
        "nitf",
        _uri(head, docdata, f"{headline}\n{text_of(content) or ''}"),
        _attr(_child(docdata, "du-key"), "version") or "1",
        headline,
        pub_status=status,
        version_created=issued,
        first_created=issued,
        embargoed_until=statements.embargo,
        expires=statements.expires,
        language=_attr(root, "baselang") or _attr(root, XML_LANG),
        byline="; ".join(filter(None, map(_spaced, _all(body_head, "byline")))) or None,
        dateline_credit=dateline_credit(text_of(content)),
        body_html=html,
        copyright_holder=holder,
        copyright_notice=notice,
        ed_note="\n".join(statements.ed_notes) or None,
        info_sources=statements.sources,
        origin=text_of(_child(body_head, "distributor")),
        signals=statements.signals,
        rights_notes=statements.notes,
    )


def _uri(head: Element | None, docdata: Element | None, words: str) -> str:
    """The document's id; AP's NITF names only its registrar (`<doc-id regsrc="AP"/>`), so such a
    document is known, as provider plain text is, by its registrar and its words."""
    doc_id = _child(docdata, "doc-id")
    given = _attr(doc_id, "id-string")
    if given:
        return given
    for meta in _all(head, "meta"):
        content = _attr(meta, "content")
        if (_attr(meta, "name") or "").lower() in _ID_METAS and content:
            return content
    registrar = _attr(doc_id, "regsrc")
    if not registrar or not words.strip():
        raise ArticleError(
            "missing-uri",
            "the NITF document names no id: no doc-id @id-string or @regsrc, no id meta (NTBID)",
        )
    digest = hashlib.sha256(words.encode()).hexdigest()[:32]
    return f"urn:clearance:nitf:{safe_segment(registrar, 40)}:{digest}"


def _headline(head: Element | None, body_head: Element | None) -> str:
    hedline = _child(body_head, "hedline")
    return text_of(_child(hedline, "hl1")) or text_of(_child(head, "title")) or ""


def gather(root: Element, statements: Statements) -> str | None:
    """Every rights and lifecycle statement of a NITF document into `statements`; returns the
    copyright holder (a second holder is another party whose content it is)."""
    head = _child(root, "head")
    docdata = _child(head, "docdata")
    body = _child(root, "body")
    copyrights = _all(docdata, "doc.copyright")
    holders = [holder for c in copyrights if (holder := _attr(c, "holder"))]
    holder = holders[0] if holders else None
    for other in holders[1:]:
        statements.party(other, unless=holder)
    for copyright in copyrights:
        if _words(copyright):
            statements.notices.append(("doc.copyright", _words(copyright) or ""))
    issued = created(_attr(_child(docdata, "date.issue"), "norm"))
    statements.starts("date.release@norm", _attr(_child(docdata, "date.release"), "norm"))
    statements.ends("date.expire@norm", _attr(_child(docdata, "date.expire"), "norm"))
    for rights in _all(docdata, "doc.rights"):
        _doc_rights(rights, holder, issued, statements)
    for rights in _all(_child(body, "body.head"), "rights"):
        _head_rights(rights, holder, issued, statements)
    for source in _descendants(_child(docdata, "del-list"), "from-src"):
        statements.party(_attr(source, "src-name"), unless=holder)
    _lifecycle(docdata, statements)
    _head_statements(head, statements)
    _body_statements(body, statements)
    return holder


def _doc_rights(rights: Element, holder: str | None, issued: str | None, into: Statements) -> None:
    """doc.rights: owner, dates, and every restriction in words (geography, type, limitations,
    agent, location-code with its code-source, and any attribute this reader does not know)."""
    into.party(_attr(rights, "owner"), unless=holder)
    into.starts("doc.rights@startdate", _attr(rights, "startdate"), after=issued)
    into.ends("doc.rights@enddate", _attr(rights, "enddate"))
    for name in _DOC_RIGHTS_WORDS:
        into.note(f"doc.rights@{name}", _attr(rights, name))
    code, scheme = _attr(rights, "location-code"), _attr(rights, "code-source")
    if code:
        into.note("doc.rights@location-code", f"{code} ({scheme})" if scheme else code)
    else:
        into.note("doc.rights@code-source", scheme)
    for name, value in rights.attrib.items():
        if local(name) not in _DOC_RIGHTS_READ:
            into.note(f"doc.rights@{local(name)}", value)


def _head_rights(rights: Element, holder: str | None, issued: str | None, into: Statements) -> None:
    """body.head `rights`: rights.owner, its dates, and every other part in words."""
    for part in rights:
        name, words = local(part.tag), _words(part)
        if name == "rights.owner":
            into.party(words, unless=holder)
        elif name == "rights.startdate":
            into.starts("rights.startdate", part.get("norm") or words, after=issued)
        elif name == "rights.enddate":
            into.ends("rights.enddate", part.get("norm") or words)
        elif name:
            into.note(f"rights/{name}", words)
    loose = (rights.text or "") + "".join(part.tail or "" for part in rights)
    if loose.strip():
        into.note("rights", _spaced(rights))


def _lifecycle(docdata: Element | None, into: Statements) -> None:
    """ed-msg and correction notes; a reference to the previous version and its status."""
    if docdata is None:
        return
    for message in _all(docdata, "ed-msg"):
        words = " ".join(filter(None, (_attr(message, "info"), _words(message))))
        kind = _attr(message, "msg-type")
        if words:
            into.ed_note(f"{kind}: {words}" if kind else words)
    for correction in _all(docdata, "correction"):
        into.signal("correction")
        into.ed_note(_attr(correction, "info"))
    if _attr(docdata, "management-doc-idref"):
        into.signal("update")
    previous = _attr(docdata, "management-idref-status")
    if previous:
        into.signal(f"previous-{previous}")


def _head_statements(head: Element | None, into: Statements) -> None:
    """Rights-bearing metas, and the IIM record's copyright notice and special instructions."""
    for meta in _all(head, "meta"):
        name = _attr(meta, "name") or ""
        if _RIGHTS_META.search(name):
            into.note(f"meta[{name}]", _attr(meta, "content"))
    for record in _descendants(_child(head, "iim"), "ds"):
        number, value = _attr(record, "num"), _attr(record, "value")
        if number == "2:116" and value:
            into.notices.append(("iim 2:116", value))
        elif number == "2:40":
            into.ed_note(value)


def _body_statements(body: Element | None, into: Statements) -> None:
    """Notes: copyright (a notice in words), trademark (a rights note), and notes to editors;
    inline `copyrite` statements are notices too."""
    for note in _descendants(body, "note"):
        kind, words = (note.get("noteclass") or "").strip().lower(), _words(note)
        if kind == "cpyrt" and words:
            into.notices.append(("note[cpyrt]", words))
        elif kind == "trademk":
            into.note("note[trademk]", words)
        elif _for_editors(note):
            into.ed_note(text_of(note))
    for statement in _descendants(body, "copyrite"):
        words = _words(statement)
        if words:
            into.notices.append(("copyrite", words))


def _for_editors(note: Element) -> bool:
    kind = (note.get("noteclass") or "").strip().lower()
    return kind == "editorsnote" or (note.get("type") or "").strip().lower() == "npa"


def nitf_html(content: Element | None, end: Element | None = None) -> str | None:
    """A NITF body.content, then its body.end (tagline), as HTML: NITF-only tags made HTML or
    unwrapped to their words, media data and table column metadata left out, notes to editors
    left out (they are the article's ed_note)."""
    parts = []
    for element in (content, end):
        if element is not None:
            copy = Element("div")
            _fill(copy, element)
            parts.append(inner_html(copy))
    return "".join(parts).strip() or None


def _fill(target: Element, source: Element) -> None:
    _add_text(target, source.text)
    for child in source:
        name = local(child.tag)
        if name in _DROPPED or (name == "note" and _for_editors(child)):
            pass
        elif name in _RENAMED or name in _HTML:
            _fill(SubElement(target, _RENAMED.get(name, name), dict(child.attrib)), child)
        elif name:
            _fill(target, child)
        _add_text(target, child.tail)


def _add_text(target: Element, text: str | None) -> None:
    if not text:
        return
    if len(target):
        last = target[-1]
        last.tail = (last.tail or "") + text
    else:
        target.text = (target.text or "") + text


def _child(parent: Element | None, name: str) -> Element | None:
    found = _all(parent, name)
    return found[0] if found else None


def _all(parent: Element | None, name: str) -> list[Element]:
    return [] if parent is None else children(parent, name, NITF_NAMESPACES)


def _descendants(parent: Element | None, name: str) -> list[Element]:
    if parent is None:
        return []
    return [
        element
        for element in parent.iter()
        if local(element.tag) == name and namespace(element.tag) in NITF_NAMESPACES
    ]


def _attr(element: Element | None, name: str) -> str | None:
    value = None if element is None else element.get(name)
    return (value or "").strip() or None


def _words(element: Element) -> str | None:
    """An element's text with only its outer white space stripped: the words kept exactly."""
    return "".join(element.itertext()).strip() or None


def _spaced(element: Element) -> str | None:
    """Text whose parts are separate words (`By NAME<byttl>TITLE</byttl>`), white space folded."""
    return " ".join(" ".join(element.itertext()).split()) or None
