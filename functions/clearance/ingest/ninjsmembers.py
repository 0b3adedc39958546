"""ninjs members read in whatever spelling and shape a provider sends, rights never dropped.

Providers mix ninjs 2.x (lowercase) and 3.x (camelCase) names in one document, send a list where
the standard has a string and a string where it has an object. The strictest of two spellings
wins (canceled over withheld over usable, the latest embargo, the earliest expiry); a rights
member in a shape the article model has no place for becomes a rights note in words or compact
JSON, so the engine holds the article for a person instead of clearing it on what was not read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit

from clearance.ingest.article import ArticleError, PubStatus, RightsNote
from clearance.ingest.times import canonical, created, parse

Member = tuple[str, Any]
"""A member as delivered: its name (or path, for a rights note's source) and its value."""

_STATUSES: dict[str, PubStatus] = {
    "usable": "usable",
    "withheld": "withheld",
    "embargoed": "withheld",
    "held": "withheld",
    "onhold": "withheld",
    "on hold": "withheld",
    "canceled": "canceled",
    "cancelled": "canceled",
    "withdrawn": "canceled",
}
_STRICTNESS: dict[PubStatus, int] = {"usable": 0, "withheld": 1, "canceled": 2}
_RIGHTS_INFO_KEYS = frozenset(
    {"langid", "langId", "encodedrights", "encodedRights", "linkedrights", "linkedRights"}
)


def compact(value: object) -> str:
    """One JSON text for a value wherever it is kept: keys sorted, no spaces, no escapes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def text(value: object) -> str | None:
    """Empty strings mean 'not given' in real feeds (NTB sends `copyrightnotice: ""`)."""
    if isinstance(value, str) and value.strip():
        return value
    return None


def words(value: object) -> str | None:
    """Free text with its outer white space stripped, or None when there is none."""
    found = text(value)
    return None if found is None else found.strip()


def absent(value: object) -> bool:
    """Nothing was said: a member that is null, blank or an empty list or object."""
    return value is None or value in ("", [], {}) or (isinstance(value, str) and not value.strip())


def note(notes: list[RightsNote], source: str, value: object) -> None:
    """Keep a statement the model has no member for, in its words or as compact JSON."""
    if absent(value):
        return
    kept = value.strip() if isinstance(value, str) else compact(value)
    if all(existing != {"source": source, "text": kept} for existing in notes):
        notes.append({"source": source, "text": kept})


def code(value: str) -> str:
    """A qcode or URI's last part, lowercased: `sig:correction` and `.../correction` alike."""
    return value.strip().rsplit("/", 1)[-1].rsplit(":", 1)[-1].strip().lower()


def version_of(document: Mapping[str, Any]) -> str:
    """The item's version as text; "1" when the format gives none."""
    version = document.get("version", "1")
    if isinstance(version, bool) or not isinstance(version, str | int) or not str(version).strip():
        raise ArticleError("bad-version", "'version' must be a string or an integer", "/version")
    return str(version).strip()


def rights_text(value: object, source: str, notes: list[RightsNote]) -> str | None:
    """A rights text member: a string as it is; of a list, the first string, the rest noted;
    any other shape noted whole."""
    if isinstance(value, str) or absent(value):
        return words(value)
    if not isinstance(value, list):
        note(notes, source, value)
        return None
    first: str | None = None
    for item in value:
        if first is None and isinstance(item, str) and item.strip():
            first = item.strip()
        else:
            note(notes, source, item)
    return first


def pub_status(members: Iterable[Member]) -> PubStatus:
    """The strictest status any member states; one that is no status is kept as delivered,
    for the article schema to refuse, never guessed."""
    strictest: PubStatus = "usable"
    for _, value in members:
        if absent(value):
            continue
        status = _STATUSES.get(code(value)) if isinstance(value, str) else None
        if status is None:
            return cast("PubStatus", value)
        if _STRICTNESS[status] > _STRICTNESS[strictest]:
            strictest = status
    return strictest


def created_time(value: object) -> str | None:
    """A creation or modification time: one without a zone is read as UTC, as it only orders
    versions; what is no time is kept for the schema to refuse."""
    if absent(value):
        return None
    return created(value) if isinstance(value, str) else compact(value)


def bound(
    members: Iterable[Member], notes: list[RightsNote], *, latest: bool
) -> tuple[str | None, bool]:
    """The latest (embargo) or earliest (expiry) time the members give, and whether one of
    them is not written as a time at all (`true`, a number, an object): that one is kept as a
    rights note. A string that is no moment is the answer, for the schema to refuse."""
    chosen: tuple[datetime, str] | None = None
    refused: str | None = None
    unwritten = False
    for source, value in members:
        if absent(value) or value is False:
            continue
        if not isinstance(value, str):
            note(notes, source, value)
            unwritten = True
            continue
        when = canonical(value) or ""
        moment = parse(when)
        if moment is None:
            refused = refused or when
        elif chosen is None or (moment > chosen[0] if latest else moment < chosen[0]):
            chosen = (moment, when)
    return refused or (None if chosen is None else chosen[1]), unwritten


def signals(members: Iterable[Member], notes: list[RightsNote]) -> list[str]:
    """Lifecycle signals lowercased, qcode scheme dropped; an entry that names none is noted."""
    found: list[str] = []
    for source, value in members:
        for entry in value if isinstance(value, list) else [value]:
            if absent(entry):
                continue
            named = entry
            if isinstance(entry, Mapping):
                named = next(
                    (entry[k] for k in ("qcode", "code", "name", "value") if text(entry.get(k))),
                    None,
                )
            if isinstance(named, str) and code(named):
                found.append(code(named))
            else:
                note(notes, source, entry)
    return list(dict.fromkeys(found))


def note_lines(value: object) -> list[str]:
    """An editor's note in any shape as lines of text; an object without text as its JSON."""
    if absent(value):
        return []
    if isinstance(value, str):
        return [value.strip()]
    if isinstance(value, list):
        return [line for item in value for line in note_lines(item)]
    if isinstance(value, Mapping) and text(value.get("value")):
        return [str(value["value"]).strip()]
    return [compact(value)]


def joined(lines: Iterable[str]) -> str | None:
    """Notes joined one to a line, each once."""
    return "\n".join(dict.fromkeys(line for line in lines if line)) or None


def rights_info(
    members: Iterable[Member], notes: list[RightsNote]
) -> tuple[str | None, str | None]:
    """`rightsInfo` in any shape: the first object's encoded and linked rights; every other
    entry, and anything no rights object holds, a rights note under the member's name."""
    encoded = linked = None
    read = False
    for source, value in members:
        for entry in value if isinstance(value, list) else [value]:
            if absent(entry):
                continue
            if read or not isinstance(entry, Mapping):
                note(notes, source, entry)
                continue
            read = True
            expression = entry.get("encodedRights", entry.get("encodedrights"))
            encoded = words(expression) if isinstance(expression, str) else None
            if not isinstance(expression, str) and not absent(expression):
                encoded = compact(expression)
            link = entry.get("linkedRights", entry.get("linkedrights"))
            linked = words(link)
            if set(entry) - _RIGHTS_INFO_KEYS or not (isinstance(link, str) or absent(link)):
                note(notes, source, entry)
    return encoded, linked


@dataclass
class Members:
    """One ninjs object's members in both spellings, the format's own first, with the rights
    notes read from it; `place` prefixes a nested object's note sources."""

    document: Mapping[str, Any]
    camel: bool
    notes: list[RightsNote] = field(default_factory=list)
    place: str = ""

    def spellings(self, camel: str, lower: str | None = None) -> list[Member]:
        """Every spelling of a member that is present, the document's own spelling first."""
        names = (camel, lower or camel.lower())
        ordered = dict.fromkeys(names if self.camel else reversed(names))
        return [
            (self.place + name, self.document[name]) for name in ordered if name in self.document
        ]

    def first(self, camel: str, lower: str | None = None) -> Any:
        """The first spelling that says something."""
        return next((v for _, v in self.spellings(camel, lower) if not absent(v)), None)

    def rights(self, camel: str, lower: str | None = None) -> str | None:
        """A rights text: its own spelling's, else the other's; a differing other one noted."""
        chosen: str | None = None
        for source, value in self.spellings(camel, lower):
            found = rights_text(value, source, self.notes)
            if chosen is None:
                chosen = found
            elif found is not None and found != chosen:
                note(self.notes, source, found)
        return chosen


def headline(document: Mapping[str, Any]) -> str:
    """The main headline, else the first; a 1.x `headline` or a `title` where there is none."""
    headlines = [h for h in listed(document, "headlines") if isinstance(h, Mapping)]
    main = [h for h in headlines if h.get("role") == "main"] or headlines
    for candidate in (
        *(h.get("value") for h in main),
        document.get("headline"),
        document.get("title"),
    ):
        found = text(candidate)
        if found is not None:
            return found.strip()
    return ""


def listed(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    return value if isinstance(value, list) else []


def description(document: Mapping[str, Any], roles: tuple[str, ...]) -> str | None:
    for entry in listed(document, "descriptions"):
        if isinstance(entry, Mapping) and entry.get("role") in roles:
            found = text(entry.get("value"))
            if found is not None:
                return found
    return None


def info_sources(members: Iterable[Member]) -> list[str]:
    """Whose content it is, from every spelling: a source's name, or the source as a string."""
    names = [
        str(source["name"]) if isinstance(source, Mapping) else source
        for _, value in members
        for source in (value if isinstance(value, list) else [value])
        if (isinstance(source, Mapping) and source.get("name")) or text(source)
    ]
    return list(dict.fromkeys(names))


def source_url(uri: str) -> str | None:
    """A uri is a link to the source only when it is a plain web address, not an API call."""
    try:
        parts = urlsplit(uri)
    except ValueError:  # an unclosed IPv6 bracket ("http://[x"): no address at all
        return None
    if parts.scheme in ("http", "https") and parts.netloc and not parts.query:
        return uri
    return None
