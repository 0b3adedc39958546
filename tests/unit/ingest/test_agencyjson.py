"""The agencies' own JSON: dpa digitalwires entries and AP Media API envelopes, read with their
rights and lifecycle signals, through the one reader chooser and directly."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from clearance.ingest.agencyjson import (
    is_ap_media,
    is_digitalwires,
    read_ap_media,
    read_digitalwires,
)
from clearance.ingest.article import Article, ArticleError
from clearance.ingest.parse import read_delivery
from tests.conftest import SAMPLES, needs_samples

FEEDS = SAMPLES / "feeds"

# An invented dpa entry in digitalwires' real shape (trimmed to the members clearance reads).
DIGITALWIRES: dict[str, Any] = {
    "format": "digitalwires@0.9.1",
    "type": "composite",
    "entry_id": "Xq0exampleEntry",
    "updated": "2026-03-02T09:15:00Z",
    "urn": "urn:newsml:dpa.com:20090101:260302-930-000001",
    "version_created": "2026-03-02T10:12:00+01:00",
    "version": 3,
    "pubstatus": "usable",
    "signal": "sig:update",
    "embargoed": "2026-03-02T18:00:00+01:00",
    "language": "de",
    "kicker": "Hafen",
    "headline": "Hafenbehörde eröffnet zweites Terminal",
    "teaser": "Die Kapazität des Hafens verdoppelt sich.",
    "byline": "Von Erika Beispiel, dpa",
    "dateline": "Kiel (dpa) - ",
    "article_html": '<section class="main"><p>Die Hafenbehörde hat eröffnet.</p></section>',
    "creditline": "dpa",
    "copyrightnotice": "Copyright 2026, dpa (www.dpa.de). Alle Rechte vorbehalten",
    "usageterms": "Nutzung nur nach schriftlicher Vereinbarung mit dpa",
    "autopublishnotice": None,
    "notepad": {
        "header_html": "<header><h3>Notizblock</h3></header>",
        "public_html": '<section class="np-public"><ul><li>Sperrfrist 18.00 Uhr</li></ul>'
        "</section>",
        "nonpublic_html": '<section class="np-nonpublic"><ul><li>Autor: +49</li></ul></section>',
    },
    "ednotes": [
        {"role": "dpaednoterole:embargo", "ednote": "Sperrfrist 18.00 Uhr", "is_publishable": True},
        {"role": "dpaednoterole:dpacontacts", "ednote": "Autor: +49", "is_publishable": False},
    ],
    "associations": [],
    "categories": [
        {"type": "dnltype:pubstatus", "name": "usable", "qcode": "stat:usable"},
        {"type": "dnltype:signal", "name": "update", "qcode": "sig:update"},
        {"type": "dnltype:provider", "name": "dpa", "qcode": "dnlprov:dpa"},
    ],
}

# An invented AP Media API envelope in the API's real shape.
AP_ENVELOPE: dict[str, Any] = {
    "api_version": "2.2",
    "method": "/content.GET",
    "data": {
        "meta": {"products": [{"id": 1, "name": "Example Wire"}]},
        "item": {
            "uri": "https://api.ap.org/media/v/content/0123456789abcdef?qt=q&et=e",
            "altids": {"itemid": "0123456789abcdef", "etag": "0123456789abcdef_0a"},
            "version": 2,
            "type": "text",
            "firstcreated": "2026-03-02T08:00:00Z",
            "pubstatus": "usable",
            "signals": ["newscontent", "derivedcontent"],
            "headline": "Harbour opens second terminal",
            "copyrightnotice": "Copyright 2026 The Associated Press. All rights reserved.",
            "usageterms": ["This content is intended for editorial use only.", "Not in Turkey."],
            "provider": "AP",
            "renditions": {"nitf": {"href": "https://api.ap.org/media/v/content/0123.0/download"}},
        },
    },
}


def dumped(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def only_article(data: bytes) -> Article:
    [item] = read_delivery(data, "application/json", ())
    assert item.article is not None, item.error
    return item.article


def one_error(items: list[Any]) -> ArticleError:
    [item] = items
    assert isinstance(item.result, ArticleError)
    return item.result


def test_a_digitalwires_entry_reads_with_its_rights_embargo_and_signals() -> None:
    # Given a dpa digitalwires entry under embargo, with an update signal
    data = dumped(DIGITALWIRES)
    # When it is read through the reader chooser
    article = only_article(data)
    # Then its identity, rights and lifecycle read as the entry states them
    assert article["format"] == "digitalwires"
    assert article["uri"] == "urn:newsml:dpa.com:20090101:260302-930-000001"
    assert article["version"] == "3"
    assert article["pub_status"] == "usable"
    assert article["embargoed_until"] == "2026-03-02T18:00:00+01:00"
    assert article["version_created"] == "2026-03-02T10:12:00+01:00"
    assert article["signals"] == ["update"]
    assert article["byline"] == "Von Erika Beispiel, dpa"
    assert article["credit_line"] == "dpa"
    assert article["origin"] == "dpa"
    assert article["dateline_credit"] == "(dpa)"
    assert article["copyright_notice"] == (
        "Copyright 2026, dpa (www.dpa.de). Alle Rechte vorbehalten"
    )
    assert article["usage_terms"] == "Nutzung nur nach schriftlicher Vereinbarung mit dpa"
    assert article["rights_notes"] == []


def test_every_digitalwires_ed_note_is_kept_with_its_role_the_unpublishable_too() -> None:
    # Given an entry with a publishable and a not-publishable editor's note
    # When it is read directly
    [item] = read_digitalwires(DIGITALWIRES)
    # Then both notes are in ed_note, each with its role
    assert not isinstance(item.result, ArticleError)
    assert item.result["ed_note"] == (
        "dpaednoterole:embargo: Sperrfrist 18.00 Uhr\ndpaednoterole:dpacontacts: Autor: +49"
    )
    assert item.data is None


def test_the_digitalwires_notepad_is_never_the_body() -> None:
    # Given an entry whose article is its html, with a non-public notepad
    # When it is read
    article = only_article(dumped(DIGITALWIRES))
    # Then the body is the article, and nothing of the notepad is in it
    assert article["body_html"] == DIGITALWIRES["article_html"]
    assert article["body_text"] is None
    assert "+49" not in (article["body_html"] or "")


def test_a_digitalwires_entry_without_notes_keeps_its_notepad_as_ed_note_not_body() -> None:
    # Given an entry with no ednotes and no article, only a teaser and a notepad
    document = {**DIGITALWIRES, "ednotes": [], "article_html": None}
    # When it is read
    article = only_article(dumped(document))
    # Then the teaser is the body and the notepad's lines, the non-public too, the ed note
    assert article["body_text"] == "Die Kapazität des Hafens verdoppelt sich."
    assert article["body_html"] is None
    assert article["ed_note"] == "Sperrfrist 18.00 Uhr\nAutor: +49"


@pytest.mark.parametrize(
    ("members", "status"),
    [
        ({"pubstatus": "canceled"}, "canceled"),
        ({"pubstatus": "withheld"}, "withheld"),
        (
            {
                "categories": [
                    {"type": "dnltype:pubstatus", "name": "canceled", "qcode": "stat:canceled"}
                ]
            },
            "canceled",
        ),
    ],
)
def test_a_canceled_or_withheld_digitalwires_entry_reads_so(
    members: dict[str, Any], status: str
) -> None:
    # Given an entry whose status (or its status category) is not usable
    document = {**DIGITALWIRES, **members}
    # When it is read
    article = only_article(dumped(document))
    # Then the strictest status stated is the article's
    assert article["pub_status"] == status


def test_a_digitalwires_embargo_not_written_as_a_time_withholds_the_entry_and_is_kept() -> None:
    # Given an entry whose embargo is a flag, not a time
    document = {**DIGITALWIRES, "embargoed": True}
    # When it is read
    article = only_article(dumped(document))
    # Then it is withheld, and the embargo is a rights note
    assert article["pub_status"] == "withheld"
    assert article["embargoed_until"] is None
    assert article["rights_notes"] == [{"source": "embargoed", "text": "true"}]


def test_a_digitalwires_embargo_string_that_is_no_moment_refuses_the_entry() -> None:
    # Given an entry embargoed "until further notice"
    document = {**DIGITALWIRES, "embargoed": "bis auf Weiteres"}
    # When it is read
    [item] = read_delivery(dumped(document), "application/json", ())
    # Then the entry is refused at its embargo
    assert item.article is None
    assert item.error is not None
    assert item.error.pointer == "/embargoed_until"


def test_digitalwires_signals_read_from_every_place_dpa_writes_them() -> None:
    # Given a correction signal as a list and in the categories, and an update
    document = {
        **DIGITALWIRES,
        "signal": ["sig:correction"],
        "categories": [{"type": "dnltype:signal", "name": "update", "qcode": "sig:update"}],
    }
    # When it is read
    article = only_article(dumped(document))
    # Then each signal is there once, scheme dropped
    assert article["signals"] == ["correction", "update"]


def test_digitalwires_picture_credits_and_autopublish_notice_are_rights_notes() -> None:
    # Given an entry with a third-party picture credit and an autopublish notice
    document = {
        **DIGITALWIRES,
        "autopublishnotice": "© dpa-infocom, dpa:260302-930-000001/3",
        "associations": [
            {
                "type": "image",
                "urn": "urn:newsml:dpa.com:20090101:260302-935-000002",
                "version": 1,
                "rank": 1,
                "headline": "Terminal",
                "creditline": "Jane Roe/AP",
            }
        ],
    }
    # When it is read
    article = only_article(dumped(document))
    # Then the picture is an association and its credit, with the notice, is kept in words
    assert article["associations"][0]["type"] == "picture"
    assert article["associations"][0]["uri"] == "urn:newsml:dpa.com:20090101:260302-935-000002"
    assert article["rights_notes"] == [
        {"source": "associations/0/creditline", "text": "Jane Roe/AP"},
        {"source": "autopublishnotice", "text": "© dpa-infocom, dpa:260302-930-000001/3"},
    ]


def test_a_digitalwires_entry_without_a_urn_is_that_items_error() -> None:
    # Given an entry with no urn
    document = {key: value for key, value in DIGITALWIRES.items() if key != "urn"}
    # When it is read directly
    error = one_error(read_digitalwires({**document, "urn": " "}))
    # Then the item says why, and where
    assert (error.reason, error.pointer) == ("missing-urn", "/urn")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"format": "digitalwires@0.9.1", "urn": "urn:x"}, True),
        ({"urn": "urn:x", "entry_id": "e1", "version": 1}, True),
        ({"uri": "urn:x", "urn": "urn:x", "version": 1}, False),
        ({"uri": "urn:x", "headlines": []}, False),
    ],
)
def test_digitalwires_is_recognised_by_its_format_or_its_identity(
    document: dict[str, Any], expected: bool
) -> None:
    # Given a JSON document
    # When it is tested for digitalwires
    # Then only a digitalwires entry is recognised
    assert is_digitalwires(document) is expected


def test_an_ap_media_envelope_reads_its_item_with_every_usage_term() -> None:
    # Given an AP Media API envelope whose item has two usage terms
    data = dumped(AP_ENVELOPE)
    # When it is read through the reader chooser
    article = only_article(data)
    # Then the first usage term is the article's, the other a rights note
    assert article["format"] == "ap-media"
    assert article["uri"] == AP_ENVELOPE["data"]["item"]["uri"]
    assert article["version"] == "2"
    assert article["usage_terms"] == "This content is intended for editorial use only."
    assert article["rights_notes"] == [{"source": "usageterms", "text": "Not in Turkey."}]
    assert article["copyright_notice"] == (
        "Copyright 2026 The Associated Press. All rights reserved."
    )
    assert article["signals"] == ["newscontent", "derivedcontent"]
    assert article["origin"] == "AP"
    assert article["first_created"] == "2026-03-02T08:00:00Z"


def test_an_ap_media_text_whose_words_are_only_linked_has_no_body() -> None:
    # Given an AP text item whose story is only behind its NITF rendition's link
    document = copy.deepcopy(AP_ENVELOPE)
    document["data"]["item"]["descriptions"] = [{"role": "summary", "value": "A summary."}]
    # When it is read directly
    [item] = read_ap_media(document)
    # Then it has no body at all, not even the summary
    assert not isinstance(item.result, ArticleError)
    assert item.result["body_text"] is None
    assert item.result["body_html"] is None
    assert item.data is None


def test_a_canceled_ap_media_item_reads_canceled() -> None:
    # Given an AP item withdrawn by the agency
    document = copy.deepcopy(AP_ENVELOPE)
    document["data"]["item"]["pubstatus"] = "canceled"
    # When it is read
    article = only_article(dumped(document))
    # Then it is canceled: a kill
    assert article["pub_status"] == "canceled"


def test_an_ap_media_envelope_without_an_item_is_that_items_error() -> None:
    # Given an envelope whose data holds no item object
    document = {"api_version": "2.2", "data": {"item": "gone"}}
    # When it is recognised and read
    assert is_ap_media(document)
    error = one_error(read_ap_media(document))
    # Then the item says where the item was missing
    assert (error.reason, error.pointer) == ("not-ap-media", "/data/item")


def test_each_item_of_an_ap_media_feed_page_is_its_own_article() -> None:
    # Given a feed page of two entries
    item = AP_ENVELOPE["data"]["item"]
    entries = [
        {"meta": {}, "item": item},
        {"meta": {}, "item": {**item, "uri": "https://api.ap.org/x"}},
    ]
    data = dumped({"api_version": "2.2", "data": {"items": entries}})
    # When it is read
    items = read_delivery(data, "application/json", ())
    # Then each entry is an item of its own, identified by its own bytes
    assert [i.index for i in items] == [0, 1]
    assert [i.article["uri"] for i in items if i.article] == [item["uri"], "https://api.ap.org/x"]
    # And those bytes are an envelope of that item alone, read as the same article
    assert json.loads(items[1].data) == {"api_version": "2.2", "data": {"item": entries[1]["item"]}}
    (alone,) = read_delivery(items[1].data, "application/json", ())
    assert (alone.index, alone.article) == (None, items[1].article)


@needs_samples
def test_the_dpa_embargoed_sample_reads_embargoed_with_dpas_rights() -> None:
    # Given dpa's embargoed digitalwires entry
    data = (FEEDS / "dpa-digitalwires" / "embargoed.json").read_bytes()
    # When it is read
    article = only_article(data)
    # Then the embargo, the rights texts and every ed note read, the unpublishable included
    assert article["uri"] == "urn:newsml:dpa.com:20090101:250123-930-353124"
    assert article["version"] == "1"
    assert article["pub_status"] == "usable"
    assert article["embargoed_until"] == "2025-01-23T19:00:00+01:00"
    assert article["signals"] == []
    assert article["copyright_holder"] is None
    assert article["copyright_notice"] == (
        "Copyright 2025, dpa (www.dpa.de). Alle Rechte vorbehalten"
    )
    assert article["usage_terms"] == (
        "Nutzung nur nach schriftlicher Vereinbarung mit dpa\n"
        "Use only with the written agreement with dpa"
    )
    assert article["credit_line"] == "dpa"
    assert article["origin"] == "dpa"
    assert article["rights_notes"] == []
    assert article["ed_note"] is not None
    assert "dpaednoterole:embargo: Bitte beachten Sie die Sperrfrist" in article["ed_note"]
    assert "Szameitat.Sabrina@dpa.com" in article["ed_note"]
    assert article["body_html"] is not None
    assert "np-nonpublic" not in article["body_html"]


@needs_samples
def test_the_dpa_correction_sample_reads_as_a_correction() -> None:
    # Given dpa's second version of a story, corrected
    data = (FEEDS / "dpa-digitalwires" / "dw-1_correction.json").read_bytes()
    # When it is read
    article = only_article(data)
    # Then it carries the correction signal and its correction notes
    assert article["version"] == "2"
    assert article["signals"] == ["correction"]
    assert article["embargoed_until"] is None
    assert article["byline"] == "Von Marco Krefting und Sunrita Sen, dpa"
    assert article["ed_note"] is not None
    assert "dpaednoterole:correctionshort: In einer früheren Version" in article["ed_note"]
    assert "dpaednoterole:contacts: VirginiaCare, info@virginia-care.com" in article["ed_note"]
    assert article["usage_terms"] is not None
    assert article["usage_terms"].startswith("Nutzung nur nach schriftlicher Vereinbarung")


@needs_samples
def test_the_ap_media_sample_reads_its_listed_usage_terms_and_no_body() -> None:
    # Given AP's Media API envelope for a text item
    path: Path = FEEDS / "ap-media-json" / "ap_media_text_item.json"
    # When it is read through the chooser and directly
    article = only_article(path.read_bytes())
    [direct] = read_ap_media(json.loads(path.read_bytes()))
    # Then its notice, its one usage term and its signal read, and no body
    assert direct.result == article
    assert article["format"] == "ap-media"
    assert article["version"] == "0"
    assert article["pub_status"] == "usable"
    assert article["copyright_notice"] == (
        "Copyright 2019 The Associated Press. All rights reserved. This material may not be "
        "published, broadcast, rewritten or redistributed."
    )
    assert article["usage_terms"] == (
        "This content is intended for editorial use only. For other uses, additional "
        "clearances may be required."
    )
    assert article["rights_notes"] == []
    assert article["signals"] == ["newscontent"]
    assert article["body_text"] is None
    assert article["body_html"] is None
    assert article["embargoed_until"] is None
