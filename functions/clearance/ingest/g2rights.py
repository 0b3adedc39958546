"""NewsML-G2 `rightsInfo` read so that no rights statement is lost.

An item may carry several rightsInfo blocks and, in each, notices and terms in several
languages. One of each becomes the article's notice and terms (the item's own language wins);
every other distinct statement becomes a rights note naming where it came from, so that a
licence can still be judged against it. Rights expressed by machine (ODRL in
`rightsExpressionXML` / `rightsExpressionData`) are carried as text, and rights only behind a
link are carried as that link: clearance fetches neither, a person reads what it cannot.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, tostring

from clearance.ingest.article import RightsNote
from clearance.ingest.times import canonical
from clearance.ingest.xmldoc import children, local, namespace, text_of

G2 = "http://iptc.org/std/nar/2006-10-01/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_READ = frozenset(
    {
        "accountable",
        "copyrightHolder",
        "copyrightNotice",
        "usageTerms",
        "link",
        "rightsExpressionXML",
        "rightsExpressionData",
    }
)
"""Members of rightsInfo read for what they are; any other child is kept as a rights note."""


@dataclass(frozen=True, slots=True)
class Rights:
    """What an item's rightsInfo blocks say, member by article member."""

    holder: str | None = None
    notice: str | None = None
    terms: str | None = None
    notes: tuple[RightsNote, ...] = ()
    other_holders: tuple[str, ...] = ()
    encoded: str | None = None
    linked: str | None = None
    valid_from: tuple[str, ...] = ()
    valid_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Statement:
    source: str
    text: str
    block: int
    language: str | None


def read_rights(item: Element, language: str | None) -> Rights:
    """The rights an item states, its `language` choosing among notices and terms."""
    blocks = children(item, "rightsInfo", (G2,))
    notes: list[RightsNote] = []
    notice = _chosen(_statements(blocks, "copyrightNotice"), language, notes)
    terms = _chosen(_statements(blocks, "usageTerms"), language, notes)
    holders = _distinct(holder for block in blocks if (holder := _holder(block, language)))
    encoded = _first_of(_expressions(blocks), notes)
    linked = _first_of(_links(blocks), notes)
    notes += _unread(blocks)
    return Rights(
        holder=holders[0] if holders else None,
        notice=notice,
        terms=terms,
        notes=tuple(notes),
        other_holders=tuple(holders[1:]),
        encoded=encoded,
        linked=linked,
        valid_from=_times(blocks, "validfrom"),
        valid_to=_times(blocks, "validto"),
    )


def language_of(element: Element) -> str | None:
    """An element's own xml:lang, None when it names none."""
    value = (element.get(XML_LANG) or "").strip()
    return value or None


def same_language(one: str | None, other: str | None) -> bool:
    """`de` and `de-DE` are one language; an unknown language matches nothing."""
    if not one or not other:
        return False
    return one.split("-")[0].lower() == other.split("-")[0].lower()


def _place(index: int) -> str:
    return "rightsInfo" if index == 0 else f"rightsInfo[{index + 1}]"


def _statements(blocks: list[Element], name: str) -> list[_Statement]:
    found = []
    for index, block in enumerate(blocks):
        for element in children(block, name, (G2,)):
            text = text_of(element)
            if text is None:
                continue
            own = language_of(element)
            source = f"{_place(index)}/{name}" + (f"[{own}]" if own else "")
            found.append(_Statement(source, text, index, own or language_of(block)))
    return found


def _chosen(
    statements: list[_Statement], language: str | None, notes: list[RightsNote]
) -> str | None:
    """The statement in the item's language from the first block that has any, else the first
    of that block; every other distinct text is noted."""
    if not statements:
        return None
    first_block = [s for s in statements if s.block == statements[0].block]
    chosen = next(
        (s for s in first_block if s.language is None or same_language(s.language, language)),
        first_block[0],
    )
    seen = {chosen.text}
    for statement in statements:
        if statement.text not in seen:
            seen.add(statement.text)
            notes.append({"source": statement.source, "text": statement.text})
    return chosen.text


def _holder(block: Element, language: str | None) -> str | None:
    """The holder's name (in the item's language where several are given), else its literal,
    qcode or uri: whichever names it."""
    for holder in children(block, "copyrightHolder", (G2,)):
        names = [
            (text, language_of(name))
            for name in children(holder, "name", (G2,))
            if (text := text_of(name))
        ]
        named = next((text for text, lang in names if same_language(lang, language)), None)
        if named or names:
            return named or names[0][0]
        for key in ("literal", "qcode", "uri"):
            value = (holder.get(key) or "").strip()
            if value:
                return value
    return None


def _expressions(blocks: list[Element]) -> Iterator[RightsNote]:
    """Machine rights expressions as text, each with where it came from."""
    for index, block in enumerate(blocks):
        for element in block:
            kind = local(element.tag)
            if namespace(element.tag) != G2 or kind not in (
                "rightsExpressionXML",
                "rightsExpressionData",
            ):
                continue
            if kind == "rightsExpressionXML" and len(element):
                text = "".join(tostring(child, encoding="unicode") for child in element).strip()
            else:
                text = (element.text or "").strip()
            if text:
                yield {"source": f"{_place(index)}/{kind}", "text": text}


def _links(blocks: list[Element]) -> Iterator[RightsNote]:
    """Rights behind a link: a notice's or terms' own `href` that its words do not already
    give, and rightsInfo `link`s."""
    for index, block in enumerate(blocks):
        for element in block:
            kind = local(element.tag)
            if namespace(element.tag) != G2:
                continue
            href = (element.get("href") or "").strip()
            if not href:
                continue
            if kind in ("copyrightNotice", "usageTerms") and href not in (text_of(element) or ""):
                yield {"source": f"{_place(index)}/{kind}@href", "text": href}
            elif kind == "link":
                yield {"source": f"{_place(index)}/link", "text": href}


def _first_of(found: Iterable[RightsNote], notes: list[RightsNote]) -> str | None:
    """The first one found is the member's value; any further one is noted, never dropped."""
    first: str | None = None
    for note in found:
        if first is None:
            first = note["text"]
        elif note["text"] != first:
            notes.append(note)
    return first


def _unread(blocks: list[Element]) -> list[RightsNote]:
    """rightsInfo members not read above (dataMining, extension properties, a provider's own
    element): their words are kept as rights notes."""
    notes: list[RightsNote] = []
    for index, block in enumerate(blocks):
        for element in block:
            kind = local(element.tag)
            if not kind or (namespace(element.tag) == G2 and kind in _READ):
                continue
            text = _compact(element)
            if text:
                notes.append({"source": f"{_place(index)}/{kind}", "text": text})
    return notes


def _compact(element: Element) -> str | None:
    """An element's attribute values and words on one line."""
    values = [value.strip() for key, value in element.attrib.items() if local(key) and value]
    words = text_of(element)
    parts = [value for value in values if value] + ([words] if words else [])
    return " ".join(parts) or None


def _times(blocks: list[Element], attribute: str) -> tuple[str, ...]:
    return tuple(
        time
        for block in blocks
        if (time := canonical((block.get(attribute) or "").strip() or None))
    )


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
