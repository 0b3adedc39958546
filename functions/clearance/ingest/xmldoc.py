"""XML read safely: no entity expansion, no internal DTD, nothing fetched, bounded depth and size.

The standard library's expat parser, armed by defusedxml: a document that declares entities or
carries an internal DTD subset is refused before any is expanded (billion laughs, external
entities), and a `<!DOCTYPE nitf SYSTEM "nitf-3-2.dtd">` line, as real NITF files carry, is
accepted and never fetched. Depth and element count are checked as the document streams in,
so 100,000 nested elements are refused after the 257th. The caller caps the size in bytes.

A document that has no DOCTYPE can declare no DTD and no entity, so it is read by the C parser
(expat feeding ElementTree's C tree builder, as `fromstring` does), with the same depth and
element counts as it streams in; one that has a DOCTYPE anywhere is read by the defused parser,
whose Python handlers refuse an internal subset or an entity before it is expanded. Both build
the same tree and refuse a malformed document with the same expat message.

Encodings: a body that is valid UTF-8 is read as UTF-8 whatever its declaration says (an NTB
file declares ISO-8859-1 over UTF-8 bytes; a conforming parser would write mojibake into the
copy); other bytes are decoded as declared, and refused when the declaration names nothing
Python knows.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from html import escape
from typing import cast
from xml.etree.ElementTree import (
    Element,
    ParseError,
    TreeBuilder,
    XMLParser,
    XMLPullParser,
    tostring,
)

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import DefusedXMLParser

from clearance.ingest.article import UnreadableError

MAX_DEPTH = 256
MAX_ELEMENTS = 100_000
_DECLARATION = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_UTF8 = frozenset({"utf-8", "utf8"})
_DECLARATION_LINE = "<?xml version='1.0' encoding='utf-8'?>\n"
_DOCTYPE = b"<!DOCTYPE"
"""Where a DTD, and so any entity, must be declared (expat refuses `<!doctype`: XML is case
sensitive)."""
_CHUNK = 16 * 1024


class _Parser(DefusedXMLParser):
    """defusedxml's parser, but a DOCTYPE line that only names an external DTD is let through."""

    def defused_start_doctype_decl(
        self, name: str, sysid: str | None, pubid: str | None, has_internal_subset: int
    ) -> None:
        if has_internal_subset:
            raise DTDForbidden(name, sysid, pubid)


def parse_xml(data: bytes) -> Element:
    """The document's root element.

    Raises UnreadableError: `xml` (not well-formed), `xml-dtd` (an internal DTD or entities),
    `xml-depth`, `xml-elements`, or `encoding`.
    """
    text = _utf8(data)
    return _root(text, defused_parser() if _DOCTYPE in text else expat_parser())


def defused_parser() -> XMLParser:
    """expat with Python handlers refusing an internal subset or an entity declaration."""
    return _Parser(
        target=TreeBuilder(),
        encoding="utf-8",
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )


def expat_parser() -> XMLParser:
    """expat building the tree in C: for a document with no DOCTYPE, so no DTD and no entity."""
    return XMLParser(target=TreeBuilder(), encoding="utf-8")  # noqa: S314 - never given a DOCTYPE


def _root(text: bytes, parser: XMLParser) -> Element:
    """The root element `parser` builds from UTF-8 `text`, counted as it streams in."""
    depth = elements = 0
    root: Element | None = None
    try:
        for event, element in _events(text, parser):
            if event == "end":
                depth -= 1
                continue
            root = element if root is None else root
            depth += 1
            elements += 1
            if depth > MAX_DEPTH:
                raise UnreadableError(
                    "xml-depth", f"the XML nests deeper than {MAX_DEPTH} elements"
                )
            if elements > MAX_ELEMENTS:
                raise UnreadableError(
                    "xml-elements", f"the XML holds more than {MAX_ELEMENTS} elements"
                )
    except DefusedXmlException as error:
        raise UnreadableError(
            "xml-dtd",
            f"the XML declares a DTD or entities ({type(error).__name__}); they are never read",
        ) from None
    except ParseError as error:
        raise UnreadableError("xml", f"the XML is not well-formed: {error}") from None
    if root is None:
        raise UnreadableError("xml", "the XML holds no element")
    return root


def _events(text: bytes, parser: XMLParser) -> Iterator[tuple[str, Element]]:
    """Start and end events as the document streams in, 16 KiB at a time: what `iterparse`
    does with a given parser, without its iterator wrapper (0.09 ms of a 16 KB message's parse,
    a tenth of it)."""
    pull = XMLPullParser(("start", "end"), _parser=parser)
    for offset in range(0, len(text), _CHUNK):
        pull.feed(text[offset : offset + _CHUNK])
        yield from cast("Iterator[tuple[str, Element]]", pull.read_events())
    pull.close()
    yield from cast("Iterator[tuple[str, Element]]", pull.read_events())


def _utf8(data: bytes) -> bytes:
    """The document as UTF-8 bytes, decoded as its bytes say rather than as it may claim."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _declared_utf8(data.decode("utf-16"))
        except UnicodeDecodeError as error:
            raise UnreadableError("encoding", f"the UTF-16 XML is malformed: {error}") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return data
    declared = _DECLARATION.match(data)
    name = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if name in _UTF8:
        raise UnreadableError("encoding", "the XML is not valid UTF-8, as it declares")
    try:
        return _declared_utf8(data.decode(name))
    except LookupError:
        raise UnreadableError(
            "encoding", f"the XML declares the encoding '{name}', which clearance cannot read"
        ) from None
    except UnicodeDecodeError as error:
        raise UnreadableError(
            "encoding", f"the XML is not valid {name}, as it declares: {error.reason}"
        ) from None


def _declared_utf8(text: str) -> bytes:
    """Text re-encoded as UTF-8 (the parser is told so, whatever the declaration says)."""
    return text.encode("utf-8")


@lru_cache(maxsize=4096)
def local(tag: object) -> str:
    """`newsItem` from `{http://iptc.org/std/nar/2006-10-01/}newsItem`; comments have none.

    Readers ask it of every child they look at, and a document has few distinct tags."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


@lru_cache(maxsize=4096)
def namespace(tag: object) -> str:
    """The namespace URI of a tag, "" for none: namespaces are matched by URI, never prefix."""
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def text_of(element: Element | None) -> str | None:
    """All the text inside an element, white space folded; None when there is none."""
    if element is None:
        return None
    folded = " ".join("".join(element.itertext()).split())
    return folded or None


def serialise(element: Element) -> bytes:
    """An element on its own, as UTF-8 XML with its namespaces declared (serialised as text and
    encoded once: ElementTree's byte output encodes each fragment apart, at twice the cost)."""
    return (_DECLARATION_LINE + tostring(element, encoding="unicode")).encode("utf-8")


def standalone(root: Element, item: Element, is_item: Callable[[Element], bool]) -> bytes:
    """The document with `item` as its only item: the container's own metadata kept (a feed's
    rights, a message's header), every other item left out."""
    return serialise(_with_only(root, item, is_item))


def _with_only(parent: Element, item: Element, is_item: Callable[[Element], bool]) -> Element:
    copy = Element(parent.tag, parent.attrib)
    copy.text, copy.tail = parent.text, parent.tail
    for child in parent:
        if child is item:
            copy.append(child)
        elif _holds(child, item):
            copy.append(_with_only(child, item, is_item))
        elif not is_item(child):
            copy.append(child)
    return copy


def _holds(element: Element, item: Element) -> bool:
    return any(descendant is item for descendant in element.iter())


def children(element: Element, name: str, ns: Iterable[str] = ("",)) -> list[Element]:
    """The children called `name` in any of the namespaces `ns` ("" for none)."""
    wanted = set(ns)
    return [c for c in element if local(c.tag) == name and namespace(c.tag) in wanted]


def inner_html(element: Element) -> str:
    """The content of an element as HTML: tags by their local names, text escaped.

    For XHTML and NITF bodies carried inside an XML envelope; the result is sanitised like any
    other HTML before it reaches a copy. Comments and processing instructions are left out.
    """
    parts = [escape(element.text or "", quote=False)]
    for child in element:
        parts.append(_outer_html(child))
        parts.append(escape(child.tail or "", quote=False))
    return "".join(parts)


def _outer_html(element: Element) -> str:
    name = local(element.tag)
    if not name:
        return ""
    attributes = "".join(
        f' {local(key)}="{escape(value)}"' for key, value in element.attrib.items() if local(key)
    )
    if name in _VOID and not len(element) and not (element.text or "").strip():
        return f"<{name}{attributes}>"
    return f"<{name}{attributes}>{inner_html(element)}</{name}>"


_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area"})


def attribute(element: Element, name: str) -> str:
    return (element.get(name) or "").strip()


def raw_text(element: Element) -> str | None:
    """An element's text with only its outer white space stripped: the words kept exactly."""
    return "".join(element.itertext()).strip() or None
