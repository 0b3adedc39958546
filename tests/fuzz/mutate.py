"""Structure-aware mutations, so the fuzzer reaches the readers' values and not only the parsers.

Byte flips rarely survive a JSON or XML parser, and rarely turn a date into another date. Half of
the mutations here parse the input in its own family and change one thing as a provider could:
a JSON member's value to another type or a hostile string, an XML element's text or attribute,
a member or element added, dropped or repeated, a hostile line in a text. The rest are
libFuzzer's own byte mutations. Coverage still decides which mutated inputs are kept.
"""

from __future__ import annotations

import json
import random
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

_WIDE_SPACE = "\u3000"
HOSTILE_STRINGS = (
    "",
    " ",
    "\t\n",
    "x",
    "0",
    "-1",
    "NaN",
    "null",
    "http://[fuzz.test/x",
    "http://fuzz.test]/x",
    "https://www.propublica.org/article/x?y=1",
    "urn:newsml:dpa.com:20090101:x",
    "tag:ap.org,2026:x",
    "https://theconversation.com/x",
    "2026-11-23T10:00:00Z",
    "2026-11-23t10:00:00z",
    "2026-11-23T10:00:00+0000",
    "2026-11-23T10:00:00+25:00",
    "2026-11-23T10:00:60Z",
    "2026-02-30",
    "0000-00-00T00:00:00Z",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+14:00",
    "20261123T250000Z",
    "20261123T101500+0100",
    "2026-11-23T10:00",
    "Mon, 23 Nov 2026 10:00:00 +0000",
    "Mon, 23 Nov 99999999999 10:00:00 +0000",
    "Mon, 23 Nov 2026 10:00:00 +9999",
    "23 Nov 2026 99:99 GMT",
    "stat:usable",
    "stat:canceled",
    "stat:withheld",
    "canceled",
    "withdrawn",
    "embargoed",
    "sig:correction",
    "ninat:text",
    "ninat:picture",
    "dnltype:provider",
    "(MENAFN)",
    "(AP)",
    "dpa",
    "NTB",
    "The Associated Press",
    "Legal Disclaimer:",
    "Eds: TURKEY OUT",
    "NO ACCESS TURKEY",
    "Not for use outside the United States",
    "For editorial use only",
    "NOT FOR COMMERCIAL USE",
    "Embargoed until 18:00",
    "http://creativecommons.org/licenses/by-nd/4.0/",
    "<p>x</p>",
    "<script>alert(1)</script><p>y</p>",
    "<img src=x onerror=y>",
    '{"prohibition": [{"action": "distribute"}]}',
    "\x00",
    "\x0c",
    "\ud7ff\ue000\uffff",
    "\u00a0",
    "\u2028",
    _WIDE_SPACE * 9 + "<x>",
    "a" * 5000,
    "9" * 400,
    "[[[[[[",
    "}]>",
    "<!--",
    "<![CDATA[x",
    "&#xd800;&#1114112;&nosuch;",
    "javascript:alert(1)",
    "http://fuzz.test:99999/",
    "//fuzz.test/x",
    "GBR",
    "XX",
    "en-GB",
    "zz-ZZ-",
)
HOSTILE_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1.5,
    10**30,
    1e308,
    [],
    {},
    ["x"],
    [{}],
    {"value": "x"},
    {"name": "x", "role": "main"},
    {"qcode": "x"},
)
EXTRA_NAMES = (
    "uri",
    "guid",
    "urn",
    "version",
    "headline",
    "body_text",
    "body_html",
    "bodies",
    "pubStatus",
    "pubstatus",
    "embargoed",
    "embargoedUntil",
    "expires",
    "rightsInfo",
    "usageTerms",
    "usageterms",
    "copyrightHolder",
    "copyrightNotice",
    "associations",
    "signals",
    "edNote",
    "ednotes",
    "notepad",
    "data",
    "item",
    "items",
    "total",
    "format",
    "api_version",
    "entry_id",
)
_ATTRIBUTES = ("qcode", "uri", "literal", "role", "norm", "href", "guid", "version", "FormalName")
_MAX_SLOTS = 400


def structured(data: bytes, rng: random.Random) -> bytes | None:
    """One provider-like change to the input in its own family, or None when it has none."""
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return _json(data, rng)
    if head == b"<":
        return _xml(data, rng)
    return _text(data, rng)


def _json(data: bytes, rng: random.Random) -> bytes | None:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return None
    slots: list[tuple[Any, Any]] = []
    _slots(document, slots)
    if not slots:
        return None
    container, key = rng.choice(slots)
    operation = rng.randrange(5)
    if operation == 0 and isinstance(container, dict):
        del container[key]
    elif operation == 1 and isinstance(container, dict):
        container[rng.choice(EXTRA_NAMES)] = _value(rng, container[key])
    elif operation == 2 and isinstance(container, list):
        container.insert(key, container[key])
    else:
        container[key] = _value(rng, container[key])
    try:
        return json.dumps(document, ensure_ascii=rng.random() < 0.5).encode()
    except ValueError:
        return None


def _slots(value: Any, into: list[tuple[Any, Any]], depth: int = 0) -> None:
    """Every (container, key) pair a value could be changed at, breadth first and bounded."""
    if depth > 40 or len(into) >= _MAX_SLOTS:
        return
    if isinstance(value, dict):
        for key, member in value.items():
            into.append((value, key))
            _slots(member, into, depth + 1)
    elif isinstance(value, list):
        for index, member in enumerate(value):
            into.append((value, index))
            _slots(member, into, depth + 1)


def _value(rng: random.Random, current: Any) -> Any:
    """A hostile replacement for `current`: another type, a wrapper of it, or a hostile string."""
    choice = rng.randrange(4)
    if choice == 0:
        return rng.choice(HOSTILE_VALUES)
    if choice == 1:
        return [current] if rng.random() < 0.5 else {"value": current}
    return rng.choice(HOSTILE_STRINGS)


def _xml(data: bytes, rng: random.Random) -> bytes | None:
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError, RecursionError):
        return None
    elements = list(root.iter())[:_MAX_SLOTS]
    element = rng.choice(elements)
    operation = rng.randrange(5)
    if operation == 0:
        element.text = rng.choice(HOSTILE_STRINGS)
    elif operation == 1:
        names = [*element.attrib, *_ATTRIBUTES]
        element.set(rng.choice(names), rng.choice(HOSTILE_STRINGS))
    elif operation == 2 and len(element):
        element.remove(rng.choice(list(element)))
    elif operation == 3 and len(element):
        element.append(_copy(rng.choice(list(element))))
    else:
        tag = rng.choice(elements).tag
        if isinstance(tag, str):
            SubElement(element, tag).text = rng.choice(HOSTILE_STRINGS)
    text = _printable(tostring(root, encoding="unicode"))
    return text.encode("utf-8", "surrogatepass")


def _copy(element: Element) -> Element:
    copy = Element(element.tag, element.attrib)
    copy.text, copy.tail = element.text, element.tail
    copy.extend(_copy(child) for child in element)
    return copy


def _printable(text: str) -> str:
    """XML cannot carry most control characters; a mutation that wrote one is kept as text."""
    return "".join(c if c >= " " or c in "\t\n\r" else f"&#x{ord(c):x};" for c in text)


def _text(data: bytes, rng: random.Random) -> bytes | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    at = rng.randrange(len(lines) + 1)
    lines.insert(at, rng.choice(HOSTILE_STRINGS))
    return "\n".join(lines).encode("utf-8", "surrogatepass")
