"""RSS 2.0, RSS 1.0 (RDF) and Atom read into normalised articles: one per item or entry.

A feed states its rights once for all its items, and an item that says nothing itself inherits
them (RFC 4287, RFC 4946, the Creative Commons and Media RSS modules): each item is read against
its levels, nearest first (item, Atom source, feed), and stored with the feed's own metadata.
Rights that no known module carries are kept in words, never skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from html import unescape
from typing import Any
from urllib.parse import quote, urlsplit
from xml.etree.ElementTree import Element

from clearance.ingest.article import (
    Article,
    ArticleError,
    ReadItem,
    RightsNote,
    distinct,
    new_article,
    no_items,
    rights_note,
)
from clearance.ingest.mediarss import MEDIA, media_objects
from clearance.ingest.times import canonical
from clearance.ingest.xmldoc import (
    attribute,
    children,
    inner_html,
    local,
    namespace,
    raw_text,
    standalone,
    text_of,
)

ATOM = "http://www.w3.org/2005/Atom"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1 = "http://purl.org/rss/1.0/"
RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
CC = ("http://backend.userland.com/creativeCommonsRssModule", "http://web.resource.org/cc/")
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"
XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RDF_ABOUT, RDF_RESOURCE = f"{{{RDF}}}about", f"{{{RDF}}}resource"

LICENCE_SOURCE = "creativeCommons:license"
"""The source every licence link is noted under, whichever module carried it."""
_PREFIXES = {"": "", ATOM: "atom:", DC: "dc:", DCTERMS: "dcterms:", MEDIA: "media:", CC[1]: "cc:"}
_STATEMENTS = (("rights", (ATOM,)), ("copyright", ("",)), ("rights", (DC, DCTERMS)))
"""Rights in words, in the order a level's own are preferred: the first is the notice."""
_LICENCE_RELS = frozenset({"license", "http://www.iana.org/assignments/relation/license"})
_ALTERNATE_RELS = frozenset({"", "alternate", "http://www.iana.org/assignments/relation/alternate"})
_KNOWN_RIGHTS = frozenset(
    {(ATOM, "rights"), (DC, "rights"), (DCTERMS, "rights"), ("", "copyright"), (CC[0], "license")}
    | {(CC[1], "license"), *((MEDIA, n) for n in ("license", "restriction", "copyright", "status"))}
)
_RIGHTS_NAME = re.compile(
    r"(usage|access)?(rights?|terms|licen[cs]e)|copyright\w*|rightsholder|restrictions?"
    r"|permissions?|embargo\w*",
    re.IGNORECASE,
)
"""Local names that bear rights in any namespace: kept as rights notes when no module is known."""
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~"
_BREAK = re.compile(r"<(?:br|p|div|li|tr|h[1-6])\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def read_rss(root: Element) -> list[ReadItem]:
    """Each item of an RSS 2.0 `rss` or RSS 1.0 `rdf:RDF` feed; raises `no_items` for none."""
    spaces = (RSS1, RSS090) if local(root.tag) == "RDF" else ("",)
    channel = _first(root, "channel", spaces)
    holder = channel if spaces == ("",) else root
    items = [] if holder is None else children(holder, "item", spaces)
    if not items:
        raise no_items("RSS feed")
    above = [] if channel is None else [channel]

    def is_item(element: Element) -> bool:
        return local(element.tag) == "item" and namespace(element.tag) in spaces

    read = partial(_rss_article, above=above, spaces=spaces)
    return [ReadItem(_attempt(read, item), standalone(root, item, is_item)) for item in items]


def read_atom(root: Element) -> list[ReadItem]:
    """Each entry (and tombstone) of an Atom feed, or a lone entry; raises `no_items` for none."""
    if local(root.tag) == "entry":
        source = _first(root, "source", (ATOM,))
        origin = None if source is None else _title(source)
        return [ReadItem(_attempt(partial(_atom_article, above=[], origin=origin), root))]
    entries = [child for child in root if _is_entry(child)]
    if not entries:
        raise no_items("Atom feed")
    title = _title(root)

    def read(entry: Element) -> Article:
        if local(entry.tag) == "deleted-entry":
            return _tombstone(entry, title)
        return _atom_article(entry, [root], title)

    return [ReadItem(_attempt(read, item), standalone(root, item, _is_entry)) for item in entries]


def _attempt(read: Callable[[Element], Article], item: Element) -> Article | ArticleError:
    """One item's article or its error: one bad item never hides the others."""
    try:
        return read(item)
    except ArticleError as error:
        return error


def _is_entry(element: Element) -> bool:
    name, ns = local(element.tag), namespace(element.tag)
    return (ns == ATOM and name == "entry") or (ns == TOMBSTONES and name == "deleted-entry")


def _rss_article(item: Element, above: list[Element], spaces: tuple[str, ...]) -> Article:
    guid = _first(item, "guid", ("",))
    written = text_of(_first(item, "link", spaces))
    uri, link = text_of(guid) or attribute(item, RDF_ABOUT) or written, _web(written)
    if not uri:
        raise ArticleError("missing-uri", "an RSS item needs a guid or a link to name it")
    if link is None and guid is not None and guid.get("isPermaLink", "true") != "false":
        link = _web(text_of(guid))
    published = text_of(_first(item, "pubDate", ("",)))
    body = _markup(_first(item, "encoded", (CONTENT,)))
    sources = [text_of(found) or found.get("url") for found in children(item, "source")]
    creators = children(item, "creator", (DC,)) or children(item, "author")
    return new_article(
        "rss",
        uri,
        "1",
        text_of(_first(item, "title", spaces)) or "",
        version_created=canonical(published or text_of(_first(item, "date", (DC,)))),
        first_created=canonical(published),
        byline=", ".join(distinct([text_of(e) for e in creators])) or None,
        body_html=body or _markup(_first(item, "description", spaces)),
        info_sources=distinct([*sources, *map(text_of, children(item, "source", (DC,)))]),
        source_url=link,
        origin=text_of(_first(above[0], "title", spaces)) if above else None,
        **_shared(item, [item, *above]),
    )


def _atom_article(entry: Element, above: list[Element], origin: str | None) -> Article:
    """Versioned by `updated`, which RFC 4287 moves for a significant change: a changed entry
    supersedes the first."""
    uri = text_of(_first(entry, "id", (ATOM,)))
    if not uri:
        raise ArticleError("missing-uri", "an Atom entry needs an <id> to name it")
    source = _first(entry, "source", (ATOM,))
    levels = [entry, *([] if source is None else [source]), *above]
    body_html, body_text = _atom_body(entry)
    authors = next((found for level in levels if (found := _authors(level))), [])
    links = children(entry, "link", (ATOM,))
    alternates = [link.get("href") for link in links if attribute(link, "rel") in _ALTERNATE_RELS]
    updated = canonical(text_of(_first(entry, "updated", (ATOM,))))
    return new_article(
        "atom",
        uri,
        updated or "1",
        _fold(_atom_text(_first(entry, "title", (ATOM,)))) or "",
        version_created=updated,
        first_created=canonical(text_of(_first(entry, "published", (ATOM,)))),
        byline=", ".join(authors) or None,
        body_html=body_html,
        body_text=body_text,
        info_sources=distinct([None if source is None else _title(source)]),
        source_url=next(filter(None, map(_web, alternates)), None),
        origin=origin,
        **_shared(entry, levels),
    )


def _tombstone(element: Element, origin: str | None) -> Article:
    """An Atom deleted-entry (RFC 6721): the provider withdrew the entry it names."""
    ref = attribute(element, "ref")
    if not ref:
        raise ArticleError("missing-uri", "an Atom deleted-entry needs a ref naming the entry")
    return new_article(
        "atom",
        ref,
        "1",
        "",
        pub_status="canceled",
        version_created=canonical(element.get("when")),
        ed_note=text_of(_first(element, "comment", (TOMBSTONES,))),
        origin=origin,
    )


def _shared(item: Element, levels: list[Element]) -> dict[str, Any]:
    """What RSS and Atom items read alike: language, rights and Media RSS objects."""
    associations, media_notes = media_objects(item, levels[1:])
    notice, notes = _rights(levels)
    return {
        "language": _language(levels),
        "copyright_notice": notice,
        "rights_notes": list({(n["source"], n["text"]): n for n in notes + media_notes}.values()),
        "associations": associations,
    }


def _atom_body(entry: Element) -> tuple[str | None, str | None]:
    """(body_html, body_text) from content, else summary; escaped HTML is kept as delivered."""
    for name in ("content", "summary"):
        element = _first(entry, name, (ATOM,))
        if element is None or element.get("src"):
            continue
        kind = (element.get("type") or "text").strip().lower()
        if kind in ("html", "text/html") and _markup(element):
            return _markup(element), None
        if kind in ("xhtml", "application/xhtml+xml"):
            div = _first(element, "div", (XHTML,))
            html = inner_html(element if div is None else div).strip()
            if html:
                return html, None
        if (
            (kind == "text" or kind.startswith("text/"))
            and kind != "text/html"
            and raw_text(element)
        ):
            return None, raw_text(element)
    return None, None


def _rights(levels: Sequence[Element]) -> tuple[str | None, list[RightsNote]]:
    """The nearest level's rights in words (the notice), its licences, and every restriction."""
    notice: str | None = None
    notes: list[RightsNote] = []
    for level in levels:
        said = [
            rights_note(_name(element.tag), text)
            for name, spaces in _STATEMENTS
            for element in children(level, name, spaces)
            if (text := _atom_text(element))
        ]
        if said:
            notice = said[0]["text"]
            notes += [note for note in said[1:] if note["text"] != notice]
            break
    for level in levels:
        licences = _licences(level)
        if licences:
            notes += [rights_note(LICENCE_SOURCE, url) for url in licences]
            break
    for level in levels:
        notes += _restrictions(level) + _unexpected_rights(level)
    return notice, notes


def _licences(level: Element) -> list[str]:
    """Licence links: Creative Commons, Media RSS, and link rel="license" (RFC 4946)."""
    urls = []
    for element in _scope(level):
        if local(element.tag) == "license" and namespace(element.tag) in (*CC, MEDIA):
            urls.append(
                attribute(element, RDF_RESOURCE) or attribute(element, "href") or raw_text(element)
            )
        elif element.tag == f"{{{ATOM}}}link" and attribute(element, "rel") in _LICENCE_RELS:
            urls.append(attribute(element, "href"))
    return [url for url in urls if url]


def _restrictions(level: Element) -> list[RightsNote]:
    """Media RSS restrictions (territory, platform) and media that is blocked or deleted."""
    notes = []
    for element in _scope(level):
        if element.tag == f"{{{MEDIA}}}restriction":
            words = (
                attribute(element, "relationship"),
                attribute(element, "type"),
                raw_text(element),
            )
            notes.append(rights_note("media:restriction", " ".join(filter(None, words))))
        elif (
            element.tag == f"{{{MEDIA}}}status" and attribute(element, "state").lower() != "active"
        ):
            state = (attribute(element, "state"), attribute(element, "reason"))
            notes.append(rights_note("media:status", " ".join(filter(None, state))))
    return [note for note in notes if note["text"]]


def _unexpected_rights(level: Element) -> list[RightsNote]:
    """Rights-bearing elements of a module this reader does not know, kept in their words."""
    notes = []
    for child in level:
        ns, name = namespace(child.tag), local(child.tag)
        if (ns, name) in _KNOWN_RIGHTS or not _RIGHTS_NAME.fullmatch(name):
            continue
        text = text_of(child) or " ".join(v.strip() for v in child.attrib.values() if v.strip())
        if text:
            notes.append(rights_note(_name(child.tag), text))
    return notes


def _scope(level: Element) -> Iterator[Element]:
    """A level's own elements, with those inside its Media RSS groups and objects."""
    for child in level:
        yield child
        if namespace(child.tag) == MEDIA:
            yield from (inner for inner in child.iter() if inner is not child)


def _authors(at: Element) -> list[str]:
    return distinct([text_of(_first(a, "name", (ATOM,))) for a in children(at, "author", (ATOM,))])


def _language(levels: Sequence[Element]) -> str | None:
    """The nearest language: a level's language element (RSS or dc), then its xml:lang."""
    said = (text_of(_first(at, "language", ("", DC))) or attribute(at, XML_LANG) for at in levels)
    return next(filter(None, said), None)


def _title(level: Element) -> str | None:
    return _fold(_atom_text(_first(level, "title", (ATOM,))))


def _atom_text(element: Element | None) -> str | None:
    """An Atom text construct in words: html and xhtml without their tags (RFC 4287 3.1)."""
    if element is None:
        return None
    if (element.get("type") or "text").strip().lower() in ("html", "text/html"):
        html = _markup(element) or ""
        return _fold(unescape(_TAG.sub("", _BREAK.sub(" ", html))))
    return raw_text(element)


def _markup(element: Element | None) -> str | None:
    """An element's HTML as delivered: escaped text, or markup written inline in the feed."""
    if element is None:
        return None
    html = inner_html(element) if len(element) else element.text or ""
    return html.strip() or None


def _fold(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text else None


def _first(element: Element, name: str, spaces: tuple[str, ...]) -> Element | None:
    return next(iter(children(element, name, spaces)), None)


def _web(url: str | None) -> str | None:
    """An http(s) link as a URI: characters a URI cannot hold are percent-encoded (RFC 3987)."""
    candidate = (url or "").strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:  # an unclosed IPv6 bracket: no address at all
        return None
    web = parts.scheme.lower() in ("http", "https") and parts.netloc
    return quote(candidate, safe=_URI_SAFE) if web else None


def _name(tag: str) -> str:
    """`dc:rights`, `copyright`; Clark notation for a namespace without a usual prefix."""
    return f"{_PREFIXES[namespace(tag)]}{local(tag)}" if namespace(tag) in _PREFIXES else tag
