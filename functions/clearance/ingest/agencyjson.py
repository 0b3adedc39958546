"""The agencies' own JSON read into normalised articles: dpa digitalwires, the AP Media API.

digitalwires is dpa's API shape (`urn`, `article_html`, role-typed `ednotes`); the AP Media API
wraps a ninjs 2.x-like item in an envelope, read as ninjs is. Both carry rights as free text and
signals as qcodes; what has no member of its own is kept as a rights note, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from clearance.ingest.article import (
    Article,
    ArticleError,
    Association,
    ReadItem,
    RightsNote,
    new_article,
    no_items,
)
from clearance.ingest.ninjs import ninjs_article, ninjs_format
from clearance.ingest.ninjsmembers import (
    Member,
    bound,
    code,
    compact,
    created_time,
    joined,
    note,
    note_lines,
    pub_status,
    rights_text,
    signals,
    text,
    version_of,
    words,
)

_DATELINE_CREDIT = re.compile(r"\([^()\n]{1,40}\)")
_DW_TYPES = {"image": "picture"}


def is_digitalwires(document: Mapping[str, Any]) -> bool:
    """`format: digitalwires@...`, or a dpa entry's identity (`urn` and an entry id or a
    version) where ninjs would have a `uri`."""
    fmt = document.get("format")
    if isinstance(fmt, str) and fmt.strip().lower().startswith("digitalwires"):
        return True
    return (
        "urn" in document
        and "uri" not in document
        and any(key in document for key in ("entry_id", "version"))
    )


def is_ap_media(document: Mapping[str, Any]) -> bool:
    """The AP Media API's envelope: `{api_version, data: {item: {...}}}`."""
    return "api_version" in document and isinstance(document.get("data"), Mapping)


def read_ap_media(document: Mapping[str, Any]) -> list[ReadItem]:
    """One item, or each item of a feed page (`data.items[]`) with its own bytes: an envelope
    of that item alone, a delivery any reader of ours reads as it would the page's item."""
    data: Mapping[str, Any] = document["data"]
    entries = data.get("items")
    if "item" in data or not isinstance(entries, list):
        return [ReadItem(_ap_article(data.get("item"), "/data/item"))]
    if not entries:
        raise no_items("AP Media API feed page")
    return [
        ReadItem(
            _ap_article(
                entry.get("item") if isinstance(entry, Mapping) else None, f"/data/items/{i}/item"
            ),
            compact(
                {"api_version": document["api_version"], "data": {"item": entry.get("item")}}
                if isinstance(entry, Mapping)
                else entry
            ).encode(),
        )
        for i, entry in enumerate(entries)
    ]


def _ap_article(item: object, pointer: str) -> Article | ArticleError:
    if not isinstance(item, Mapping):
        return ArticleError(
            "not-ap-media", "the AP Media API envelope holds no item object", pointer
        )
    try:
        # A text's words are only behind `renditions.nitf.href`: no body is read for it.
        article = ninjs_article(
            item,
            "ap-media",
            camel=ninjs_format(item) == "ninjs-3",
            body_from_descriptions=text(item.get("type")) not in (None, "text"),
        )
    except ArticleError as error:
        return ArticleError(error.reason, str(error), pointer + error.pointer)
    return article


def read_digitalwires(document: Mapping[str, Any]) -> list[ReadItem]:
    """A digitalwires entry is one item."""
    try:
        return [ReadItem(_digitalwires_article(document))]
    except ArticleError as error:
        return [ReadItem(error)]


def _digitalwires_article(document: Mapping[str, Any]) -> Article:
    urn = words(document.get("urn"))
    if urn is None:
        raise ArticleError(
            "missing-urn", "a digitalwires entry needs a non-empty string 'urn'", "/urn"
        )
    notes: list[RightsNote] = []
    categories = [c for c in _listed(document.get("categories")) if isinstance(c, Mapping)]
    status = pub_status(
        [
            ("pubstatus", document.get("pubstatus")),
            *_categorised(categories, "dnltype:pubstatus"),
        ]
    )
    embargo, undated = bound([("embargoed", document.get("embargoed"))], notes, latest=True)
    expires, _ = bound([("expires", document.get("expires"))], notes, latest=False)
    fields: dict[str, Any] = {
        "type": _item_type(document),
        "pub_status": "withheld" if undated and status == "usable" else status,
        "version_created": created_time(document.get("version_created")),
        "first_created": created_time(document.get("firstcreated", document.get("first_created"))),
        "embargoed_until": embargo,
        "expires": expires,
        "language": words(document.get("language")),
        "byline": words(document.get("byline")),
        "credit_line": words(document.get("creditline")),
        "dateline_credit": _dateline_credit(document.get("dateline")),
        **_body(document),
        "copyright_holder": rights_text(document.get("copyrightholder"), "copyrightholder", notes),
        "copyright_notice": rights_text(document.get("copyrightnotice"), "copyrightnotice", notes),
        "usage_terms": rights_text(document.get("usageterms"), "usageterms", notes),
        "ed_note": _ed_note(document),
        "signals": signals(
            [
                ("signal", document.get("signal")),
                ("signals", document.get("signals")),
                *_categorised(categories, "dnltype:signal"),
            ],
            notes,
        ),
        "associations": _associations(document.get("associations"), notes),
        "origin": _provider(categories) or words(document.get("creditline")),
    }
    note(notes, "autopublishnotice", document.get("autopublishnotice"))
    fields["rights_notes"] = notes
    headline = words(document.get("headline")) or ""
    return new_article("digitalwires", urn, version_of(document), headline, **fields)


def _listed(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _categorised(categories: list[Mapping[str, Any]], kind: str) -> list[Member]:
    """The categories of one type (dpa files status and signals there too), by qcode."""
    return [
        (f"categories/{index}", category.get("qcode") or category.get("name"))
        for index, category in enumerate(categories)
        if category.get("type") == kind
    ]


def _provider(categories: list[Mapping[str, Any]]) -> str | None:
    """The provider dpa names in its categories (`dnlprov:dpa`, named "dpa")."""
    names = (words(c.get("name")) for c in categories if c.get("type") == "dnltype:provider")
    return next((name for name in names if name), None)


def _item_type(document: Mapping[str, Any]) -> str:
    """A text when it has an article; a lone picture, audio or video entry is that."""
    media = [a for a in _listed(document.get("associations")) if isinstance(a, Mapping)]
    if document.get("article_html") is None and len(media) == 1:
        kind = words(media[0].get("type")) or "text"
        return _DW_TYPES.get(kind, kind)
    return "text"


def _body(document: Mapping[str, Any]) -> dict[str, str | None]:
    """`article_html` is the body; else the teaser or a caption. The notepad never is."""
    html = text(document.get("article_html"))
    if html is not None:
        return {"body_html": html, "body_text": None}
    captions = [
        d.get("description")
        for d in _listed(document.get("descriptions"))
        if isinstance(d, Mapping) and code(str(d.get("role") or "")) == "caption"
    ]
    candidates = (document.get("teaser"), document.get("text"), *captions)
    return {"body_html": None, "body_text": next((t for t in candidates if text(t)), None)}


def _ed_note(document: Mapping[str, Any]) -> str | None:
    """Every editor's note with its role, those not to be published too; the notepad's text
    when the entry has no notes of its own."""
    notes = document.get("ednotes")
    lines: list[str] = []
    for entry in notes if isinstance(notes, list) else [notes]:
        if isinstance(entry, Mapping) and "ednote" in entry:
            role = words(entry.get("role"))
            lines += [f"{role}: {said}" if role else said for said in note_lines(entry["ednote"])]
        else:
            lines += note_lines(entry)
    if not lines:
        notepad = document.get("notepad")
        if isinstance(notepad, Mapping):
            for key in ("public_html", "nonpublic_html"):
                lines += _html_lines(notepad.get(key))
        else:
            lines += note_lines(notepad)
    return joined(lines)


def _dateline_credit(dateline: object) -> str | None:
    """The parenthesised credit of dpa's dateline, `Berlin (dpa) - `."""
    found = _DATELINE_CREDIT.search(dateline) if isinstance(dateline, str) else None
    return found.group() if found else None


def _associations(value: object, notes: list[RightsNote]) -> list[Association]:
    """Pictures, audio and video with their own rights; a credit line has no member: noted."""
    if not isinstance(value, list):
        note(notes, "associations", value)
        return []
    found: list[Association] = []
    for index, item in enumerate(value):
        place = f"associations/{index}"
        if not isinstance(item, Mapping):
            note(notes, place, item)
            continue
        kind = words(item.get("type")) or "text"
        note(notes, f"{place}/creditline", item.get("creditline"))
        found.append(
            {
                "name": f"{_DW_TYPES.get(kind, kind)}{index + 1}",
                "type": _DW_TYPES.get(kind, kind),
                "uri": words(item.get("urn")),
                "headline": words(item.get("headline")),
                "byline": words(item.get("byline")),
                "copyright_holder": rights_text(
                    item.get("copyrightholder"), f"{place}/copyrightholder", notes
                ),
                "copyright_notice": rights_text(
                    item.get("copyrightnotice"), f"{place}/copyrightnotice", notes
                ),
                "usage_terms": rights_text(item.get("usageterms"), f"{place}/usageterms", notes),
                "encoded_rights": None,
                "linked_rights": None,
            }
        )
    return found


class _Lines(HTMLParser):
    """The text of each paragraph, list item and heading of a notepad section, one a line."""

    _BREAKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "section"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        self.handle_starttag(tag, [])

    def handle_data(self, data: str) -> None:
        self.lines[-1] += data


def _html_lines(markup: object) -> list[str]:
    if not isinstance(markup, str):
        return note_lines(markup)
    parser = _Lines()
    parser.feed(markup)
    parser.close()
    return [" ".join(line.split()) for line in parser.lines if line.strip()]
