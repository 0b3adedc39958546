"""Which reader a delivery gets, chosen in one place for the webhook, the processor and
`clearance check`: from its declared media type (a Content-Type, or a file's extension) and
its leading bytes.

Fail closed. The bytes decide the family (JSON, XML or text) and a declaration may only agree
with them or say nothing (`application/octet-stream`); within a family the document itself
names its format (the XML root element, by namespace URI; the shape of the JSON). A body is
read as provider plain text only when it is text: valid UTF-8, no markup envelope, no control
characters but tab, CR and LF. What no reader claims is refused with a reason that names what
it is where that can be told (ANPA 1312, IPTC 7901, an HTML page, an unknown XML root): it is
never read as plain text, so its headline is never `<?xml version="1.0"?>`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from xml.etree.ElementTree import Element

from clearance.contracts import media
from clearance.ingest import agencyjson, newsml1, newsmlg2, nitf, syndication
from clearance.ingest.article import ReadItem, UnreadableError
from clearance.ingest.ninjs import read_ninjs
from clearance.ingest.plaintext import parse_plain_text
from clearance.ingest.strictjson import JsonBodyError, parse_json
from clearance.ingest.xmldoc import local, namespace, parse_xml

G2 = "http://iptc.org/std/nar/2006-10-01/"
ATOM = "http://www.w3.org/2005/Atom"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NITF_NAMESPACES = ("", "http://iptc.org/std/NITF/2006-10-18/")
G2_ITEMS = frozenset(
    {"newsItem", "newsMessage", "packageItem", "conceptItem", "knowledgeItem", "planningItem"}
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WIRE_FORMATS = (
    (b"\x16\x16\x01", "ANPA 1312 wire text"),
    (b"\x01", "IPTC 7901 wire text"),
)
_JSON_OPENERS = (b"{", b"[")


def read_items(
    data: bytes, media_type: str | None, disclaimer_headings: Iterable[str]
) -> list[ReadItem]:
    """What each item of a delivery reads as, by the one reader its type and bytes choose.

    Raises UnreadableError when no reader claims the bytes, ArticleError when a reader claims
    them but they hold no item at all.
    """
    if not data.strip():
        raise UnreadableError("empty", "the delivery is empty")
    if b"\x00" in data:
        raise UnreadableError("binary", "the delivery holds NUL bytes: binary data, not an article")
    declared = _declared(media_type)
    sniffed = _sniffed(data)
    family = declared or sniffed
    if declared == "text" and sniffed != "text":
        _refuse_text_envelope(data, sniffed)
    if declared in ("json", "xml") and sniffed in ("json", "xml") and sniffed != declared:
        raise UnreadableError(
            "media-type",
            f"the delivery is declared as {declared.upper()} but its body is {sniffed.upper()}",
        )
    if family == "json":
        return _json_items(data)
    if family == "xml":
        return _xml_items(parse_xml(data))
    return [ReadItem(parse_plain_text(plain_text(data), disclaimer_headings))]


def _declared(media_type: str | None) -> media.Family | None:
    if media.is_generic(media_type):
        return None
    family = media.family_of(media_type)
    if family is None:
        kind = media.essence(media_type)
        raise UnreadableError("media-type", f"'{kind}' is not a supported article format")
    return family


def _sniffed(data: bytes) -> media.Family:
    """The family the leading bytes show; "text" for anything else, judged as text later."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        wide = data[:64].decode("utf-16", "replace").lstrip("\ufeff \t\r\n")
        return "xml" if wide.startswith("<") else "text"
    head = data.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    if head.startswith(_JSON_OPENERS):
        return "json"
    return "text"


def _refuse_text_envelope(data: bytes, sniffed: media.Family) -> None:
    """A body declared as plain text that is really a document of another family."""
    if sniffed == "xml":
        raise UnreadableError("markup", f"the text opens with markup ({_opening(data)}): {_WHICH}")
    try:
        document = parse_json(data)
    except JsonBodyError:
        return
    if isinstance(document, dict | list):
        raise UnreadableError("markup", "the text is a JSON document, not provider plain text")


_WHICH = "a markup document is read by the reader of its format, never as plain text"


def _opening(data: bytes) -> str:
    # Decoded before stripping: wide white space (U+3000, U+00A0) can come before the markup.
    head = data.removeprefix(codecs.BOM_UTF8).decode("utf-8", "replace").lstrip()[:24]
    words = head.split(">")[0].split()
    return (words[0] if words else "<") + ("…" if head else "")


def plain_text(data: bytes) -> str:
    """The body as provider plain text, or the reason it is not text at all."""
    for signature, name in _WIRE_FORMATS:
        if data.startswith(signature):
            raise UnreadableError(
                "format-unsupported",
                f"the delivery is {name}, which clearance does not read; ask the provider for "
                "NewsML-G2, NITF or ninjs",
            )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableError(
            "encoding", f"the text is not valid UTF-8 (byte offset {error.start})"
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise UnreadableError("empty", "the delivery is empty")
    control = _CONTROL.search(text)
    if control:
        raise UnreadableError(
            "control-characters",
            f"the text holds the control character U+{ord(control.group()):04X} at offset "
            f"{control.start()}: wire framing or binary data, not provider plain text",
        )
    if text.lstrip().startswith("<"):
        raise UnreadableError("markup", f"the text opens with markup ({_opening(data)}): {_WHICH}")
    return text


def _json_items(data: bytes) -> list[ReadItem]:
    try:
        document = parse_json(data)
    except JsonBodyError as error:
        raise UnreadableError(error.reason, str(error)) from None
    if isinstance(document, Mapping):
        if agencyjson.is_ap_media(document):
            return agencyjson.read_ap_media(document)
        if agencyjson.is_digitalwires(document):
            return agencyjson.read_digitalwires(document)
    return read_ninjs(document)


def _xml_items(root: Element) -> list[ReadItem]:
    name, ns = local(root.tag), namespace(root.tag)
    if ns == G2 and name in G2_ITEMS:
        return newsmlg2.read_newsml_g2(root)
    if name == "nitf" and ns in NITF_NAMESPACES:
        return nitf.read_nitf(root)
    if name == "NewsML" and not ns:
        return newsml1.read_newsml1(root)
    if (name == "rss" and not ns) or (name == "RDF" and ns == RDF):
        return syndication.read_rss(root)
    if name in ("feed", "entry") and ns == ATOM:
        return syndication.read_atom(root)
    if name.lower() == "html":
        raise UnreadableError("markup", "the delivery is an HTML page, not an article format")
    where = f" in the namespace {ns}" if ns else ""
    raise UnreadableError(
        "format-unsupported",
        f"XML whose root is <{name}>{where} is no format clearance reads (NewsML-G2, NITF, "
        "NewsML 1.x, RSS or Atom)",
    )
