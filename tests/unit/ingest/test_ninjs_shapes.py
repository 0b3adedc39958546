"""ninjs as providers really send it: Superdesk's 1.x, API pages of items, 2.x and 3.x spellings
mixed in one document, and rights members in shapes the standard does not have. The strictest
statement wins; nothing rights- or lifecycle-related is dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clearance.ingest.article import Article, ArticleError
from clearance.ingest.ninjs import parse_ninjs, read_ninjs
from clearance.ingest.parse import read_delivery
from tests.conftest import SAMPLES, needs_samples, sample_paths

FEEDS = SAMPLES / "feeds"

# An invented item as Superdesk's ninjs 1.x output writes one: a guid, no uri, +0000 offsets.
SUPERDESK: dict[str, Any] = {
    "guid": "3f2b7c1e-0d4a-4e8b-9c55-7a1d2e3f4b5c",
    "version": "4",
    "byline": "Ana Example, Harbour University",
    "versioncreated": "2026-03-01T23:54:25+0000",
    "firstcreated": "2026-03-01T20:00:00+0000",
    "embargoed": "2026-03-03T02:30:00+0000",
    "headline": "Harbour trees survive the storm",
    "pubstatus": "usable",
    "body_html": "<p>The trees along the harbour survived.</p>",
    "source": "Example Info",
    "copyrightholder": "",
    "copyrightnotice": "",
    "usageterms": "",
    "associations": {
        "featuremedia": {
            "guid": "9a8b7c6d-0000-4e8b-9c55-7a1d2e3f4b5c",
            "type": "picture",
            "byline": "Photograph by A. Lens",
            "usageterms": "Indefinite Usage",
            "copyrightnotice": "CC-BY 4.0",
            "headline": "Harbour trees",
        }
    },
}

# An invented ninjs 3 item.
NINJS3: dict[str, Any] = {
    "uri": "https://wire.example/stories/harbour",
    "version": "2",
    "versionCreated": "2026-03-02T08:00:00Z",
    "pubStatus": "usable",
    "copyrightHolder": "Example Wire",
    "copyrightNotice": "© 2026 Example Wire",
    "usageTerms": "Editorial use only.",
    "headlines": [{"role": "main", "value": "Harbour opens second terminal"}],
    "bodies": [{"role": "main", "contentType": "text/plain", "value": "The harbour opened."}],
}


def dumped(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def only_article(document: object) -> Article:
    [item] = read_delivery(dumped(document), "application/json", ())
    assert item.article is not None, item.error
    return item.article


def test_superdesk_ninjs_1_reads_its_guid_byline_and_offsets_without_a_colon() -> None:
    # Given a Superdesk ninjs 1.x item: a guid, no uri, times with +0000
    # When it is read through the reader chooser
    article = only_article(SUPERDESK)
    # Then the guid is its identity and every time is RFC 3339
    assert article["format"] == "ninjs-1"
    assert article["uri"] == "3f2b7c1e-0d4a-4e8b-9c55-7a1d2e3f4b5c"
    assert article["version"] == "4"
    assert article["byline"] == "Ana Example, Harbour University"
    assert article["version_created"] == "2026-03-01T23:54:25+00:00"
    assert article["first_created"] == "2026-03-01T20:00:00+00:00"
    assert article["embargoed_until"] == "2026-03-03T02:30:00+00:00"
    assert article["origin"] == "Example Info"
    # empty rights members mean "not given"
    assert (article["copyright_holder"], article["copyright_notice"]) == (None, None)
    assert article["usage_terms"] is None


def test_a_superdesk_picture_keeps_its_own_rights_and_credit() -> None:
    # Given a Superdesk item with a feature picture under its own terms
    # When it is read directly
    article = parse_ninjs(SUPERDESK)
    # Then the picture's guid, byline and rights are the association's
    [picture] = article["associations"]
    assert picture["name"] == "featuremedia"
    assert picture["uri"] == "9a8b7c6d-0000-4e8b-9c55-7a1d2e3f4b5c"
    assert picture["byline"] == "Photograph by A. Lens"
    assert picture["usage_terms"] == "Indefinite Usage"
    assert picture["copyright_notice"] == "CC-BY 4.0"


def test_lower_case_t_and_z_in_ninjs_3_times_read() -> None:
    # Given a ninjs 3 item whose times are written with a lower-case t and z
    document = {
        **NINJS3,
        "versionCreated": "2026-03-02t08:00:00z",
        "embargoedUntil": "2026-03-02t12:00:00z",
    }
    # When it is read
    article = only_article(document)
    # Then they are RFC 3339 the schema accepts
    assert article["version_created"] == "2026-03-02T08:00:00+00:00"
    assert article["embargoed_until"] == "2026-03-02T12:00:00+00:00"


def test_each_item_of_a_ninjs_page_is_its_own_article_with_its_own_bytes() -> None:
    # Given an API page of two ninjs items, as the BBC's LDRS API sends
    first = {"uri": "https://ldrs.example/1", "headline": "One", "body_text": "Body one."}
    second = {"uri": "https://ldrs.example/2", "headline": "Two", "pubstatus": "canceled"}
    page = {"total": 2, "limit": 20, "offset": 0, "item": [first, second]}
    # When it is read
    items = read_delivery(dumped(page), "application/json", ())
    # Then each is an item whose bytes are its compact JSON
    assert [item.index for item in items] == [0, 1]
    assert [item.article["uri"] for item in items if item.article] == [
        "https://ldrs.example/1",
        "https://ldrs.example/2",
    ]
    assert items[1].article is not None
    assert items[1].article["pub_status"] == "canceled"
    expected = json.dumps(second, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert items[1].data == expected.encode()


def test_a_ninjs_page_element_that_is_no_item_is_refused_alone() -> None:
    # Given a page whose second element is not a ninjs object
    page = {"total": 2, "item": [{"uri": "https://ldrs.example/1"}, "oops"]}
    # When it is read directly
    items = read_ninjs(page)
    # Then the first reads and the second is its own error
    assert not isinstance(items[0].result, ArticleError)
    assert isinstance(items[1].result, ArticleError)
    assert items[1].result.reason == "not-ninjs"
    assert items[1].data == b'"oops"'


def test_an_empty_ninjs_page_holds_no_items() -> None:
    # Given a page with no items
    page = {"total": 0, "item": []}
    # When it is read
    with pytest.raises(ArticleError) as raised:
        read_delivery(dumped(page), "application/json", ())
    # Then it is refused as holding nothing
    assert raised.value.reason == "no-items"


@pytest.mark.parametrize(
    ("members", "status"),
    [
        ({"pubstatus": "canceled"}, "canceled"),
        ({"pubStatus": "canceled", "pubstatus": "usable"}, "canceled"),
        ({"pubstatus": "withheld"}, "withheld"),
        ({"pubStatus": "withheld", "pubstatus": "canceled"}, "canceled"),
        ({"pubStatus": "stat:withdrawn"}, "canceled"),
    ],
)
def test_the_strictest_publication_status_of_either_spelling_wins(
    members: dict[str, Any], status: str
) -> None:
    # Given a ninjs 3 item that also carries the 2.x spelling of its status
    document = {**NINJS3, **members}
    # When it is read
    article = only_article(document)
    # Then the strictest status stated is the article's
    assert article["pub_status"] == status


def test_the_latest_embargo_and_the_earliest_expiry_of_the_spellings_win() -> None:
    # Given an item with an embargo and an expiry in both spellings
    document = {
        **NINJS3,
        "embargoedUntil": "2026-03-02T12:00:00Z",
        "embargoed": "2026-03-02T15:00:00+0100",
        "expires": "2026-04-01T00:00:00Z",
    }
    # When it is read
    article = only_article(document)
    # Then the later embargo holds it
    assert article["embargoed_until"] == "2026-03-02T15:00:00+01:00"
    assert article["expires"] == "2026-04-01T00:00:00Z"


def test_a_differing_rights_text_in_the_other_spelling_is_a_rights_note() -> None:
    # Given a ninjs 3 item whose 2.x usage terms and notice say something else
    document = {
        **NINJS3,
        "usageterms": "Not for use in Norway.",
        "copyrightnotice": "© 2026 Example Wire",
    }
    # When it is read
    article = only_article(document)
    # Then its own spelling's terms are the article's, the differing other a rights note
    assert article["usage_terms"] == "Editorial use only."
    assert article["copyright_notice"] == "© 2026 Example Wire"
    assert article["rights_notes"] == [{"source": "usageterms", "text": "Not for use in Norway."}]


def test_a_rights_text_only_in_the_other_spelling_is_the_articles() -> None:
    # Given a ninjs 3 item whose usage terms are only in the 2.x spelling
    document = {key: value for key, value in NINJS3.items() if key != "usageTerms"}
    document["usageterms"] = "  Editorial use only.  "
    # When it is read
    article = only_article(document)
    # Then they are the article's usage terms, outer white space stripped
    assert article["usage_terms"] == "Editorial use only."
    assert article["rights_notes"] == []


def test_a_list_of_rights_info_reads_the_first_and_keeps_the_rest() -> None:
    # Given ninjs 3 rightsInfo as a list of two rights objects
    first = {"langId": "http://www.w3.org/ns/odrl/2/", "encodedRights": '{"uid":"p1"}'}
    second = {"linkedRights": "https://wire.example/rights/2"}
    document = {**NINJS3, "rightsInfo": [first, second]}
    # When it is read
    article = only_article(document)
    # Then the first is the encoded rights and the second a rights note
    assert article["encoded_rights"] == '{"uid":"p1"}'
    assert article["rights_notes"] == [
        {"source": "rightsInfo", "text": '{"linkedRights":"https://wire.example/rights/2"}'}
    ]


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        (
            "rightsInfo",
            "All rights reserved by Example Wire",
            "All rights reserved by Example Wire",
        ),
        ("rightsinfo", ["not an object"], "not an object"),
        ("rightsInfo", {"usageTerms": "No archive."}, '{"usageTerms":"No archive."}'),
        ("usageTerms", {"en": "Editorial only", "de": "Nur redaktionell"}, None),
        ("copyrightHolder", {"name": "Example Wire"}, '{"name":"Example Wire"}'),
        ("contracts", [{"id": "628", "name": "Council"}], '[{"id":"628","name":"Council"}]'),
    ],
)
def test_a_rights_member_in_an_unexpected_shape_is_a_rights_note(
    key: str, value: object, text: str | None
) -> None:
    # Given a rights member in a shape the standard does not have
    document = {**NINJS3, key: value}
    # When it is read
    article = only_article(document)
    # Then it is kept as a rights note under its own name, in words or compact JSON
    expected = text or json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert {"source": key, "text": expected} in article["rights_notes"]


def test_usage_terms_as_a_list_read_the_first_and_keep_every_other() -> None:
    # Given ninjs 3 usage terms delivered as a list
    document = {**NINJS3, "usageTerms": ["Editorial use only.", "No use in Norway."]}
    # When it is read
    article = only_article(document)
    # Then the first is the usage terms, the other a rights note
    assert article["usage_terms"] == "Editorial use only."
    assert article["rights_notes"] == [{"source": "usageTerms", "text": "No use in Norway."}]


@pytest.mark.parametrize("embargo", [True, 1772452800, {"until": "tomorrow"}, ["2026-03-02"]])
def test_an_embargo_not_written_as_a_time_withholds_the_item_and_is_kept(embargo: object) -> None:
    # Given an item under an embargo written as no string at all
    document = {**NINJS3, "embargoedUntil": embargo}
    # When it is read
    article = only_article(document)
    # Then it is withheld and the embargo is a rights note
    assert article["pub_status"] == "withheld"
    assert article["embargoed_until"] is None
    assert [note["source"] for note in article["rights_notes"]] == ["embargoedUntil"]


@pytest.mark.parametrize("embargo", ["until further notice", "2026-03-02T12:00", "2026-13-01"])
def test_an_embargo_string_that_is_no_moment_refuses_the_item(embargo: str) -> None:
    # Given an item whose embargo, in either spelling, is a string naming no moment
    document = {**NINJS3, "embargoedUntil": "2026-03-02T12:00:00Z", "embargoed": embargo}
    # When it is read
    [item] = read_delivery(dumped(document), "application/json", ())
    # Then the item is refused at its embargo, never cleared on the readable one
    assert item.article is None
    assert item.error is not None
    assert item.error.pointer == "/embargoed_until"


def test_an_associations_rights_in_a_list_are_read_and_kept() -> None:
    # Given a picture whose rightsInfo and usage terms are lists, and which is canceled
    picture = {
        "name": "featureimage",
        "type": "picture",
        "uri": "https://wire.example/pictures/1",
        "pubStatus": "canceled",
        "usageTerms": ["Editorial use only.", "No sales."],
        "rightsInfo": [
            {"encodedRights": '{"uid":"pic"}'},
            {"encodedRights": '{"uid":"other"}'},
        ],
    }
    document = {**NINJS3, "associations": [picture]}
    # When it is read
    article = only_article(document)
    # Then the first of each is the picture's and the rest, with its status, rights notes
    [association] = article["associations"]
    assert association["usage_terms"] == "Editorial use only."
    assert association["encoded_rights"] == '{"uid":"pic"}'
    assert article["rights_notes"] == [
        {"source": "associations/featureimage/pubStatus", "text": "canceled"},
        {
            "source": "associations/featureimage/rightsInfo",
            "text": '{"encodedRights":"{\\"uid\\":\\"other\\"}"}',
        },
        {"source": "associations/featureimage/usageTerms", "text": "No sales."},
    ]


def test_ninjs_signals_read_lowercased_without_their_scheme() -> None:
    # Given ninjs items with signals as qcodes and as objects
    document = {**NINJS3, "signals": ["sig:Correction", {"qcode": "sig:update"}, {"x": 1}]}
    # When it is read
    article = only_article(document)
    # Then each signal is its code, and one naming none is kept as a rights note
    assert article["signals"] == ["correction", "update"]
    assert article["rights_notes"] == [{"source": "signals", "text": '{"x":1}'}]


def test_an_unknown_publication_status_is_refused_with_a_pointer() -> None:
    # Given an item that is usable in one spelling and "maybe" in the other
    document = {**NINJS3, "pubStatus": "usable", "pubstatus": "maybe"}
    # When it is read
    [item] = read_delivery(dumped(document), "application/json", ())
    # Then the item is refused at its status: no status is guessed
    assert item.article is None
    assert item.error is not None
    assert item.error.pointer == "/pub_status"


def test_every_editors_note_of_either_spelling_is_kept() -> None:
    # Given an item with an ed note in each spelling, one a list
    document = {**NINJS3, "edNote": "TURKEY OUT", "ednote": ["Eds: corrects date.", "TURKEY OUT"]}
    # When it is read
    article = only_article(document)
    # Then every distinct note is there, one a line
    assert article["ed_note"] == "TURKEY OUT\nEds: corrects date."


@needs_samples
def test_the_superdesk_360info_sample_reads_its_embargo_and_picture_rights() -> None:
    # Given Superdesk's ninjs 1.x output for a 360info article under embargo
    data = (FEEDS / "ninjs" / "superdesk_360info_ninjs1_embargoed.json").read_bytes()
    # When it is read
    [item] = read_delivery(data, "application/json", ())
    # Then the guid, the embargo, the 1.x byline and the picture's own rights read
    assert item.article is not None, item.error
    article = item.article
    assert article["format"] == "ninjs-1"
    assert article["uri"] == "fd8e441b-a698-4411-9246-7d5de21cced9"
    assert article["version"] == "11"
    assert article["pub_status"] == "usable"
    assert article["embargoed_until"] == "2022-06-29T02:30:00+00:00"
    assert article["version_created"] == "2022-06-26T23:54:25+00:00"
    assert article["byline"] == "Aaron J. Staples, Michigan State University"
    assert (article["copyright_holder"], article["copyright_notice"]) == (None, None)
    assert article["usage_terms"] is None
    assert "Originally published under" in (article["body_html"] or "")
    [picture] = article["associations"]
    assert (picture["copyright_notice"], picture["usage_terms"]) == (
        "CC-BY 4.0",
        "Indefinite Usage",
    )
    assert article["rights_notes"] == []
    assert article["signals"] == []


@needs_samples
def test_the_bbc_ldrs_page_reads_its_item_with_its_contract() -> None:
    # Given a BBC Local Democracy Reporting Service API page of one item
    path: Path = FEEDS / "ninjs" / "bbc_ldrs_ninjs_envelope.json"
    # When it is read
    [item] = read_delivery(path.read_bytes(), "application/json", ())
    # Then the item is read on its own, its council contract kept as a rights note
    assert item.index == 0
    assert item.article is not None, item.error
    article = item.article
    assert article["uri"] == "https://www.example.com//12345"
    assert article["type"] == "advisory"
    assert article["pub_status"] == "usable"
    assert article["byline"] == "John Doe"
    assert article["body_html"] == "<p><strong>body</strong></p>"
    assert article["rights_notes"] == [
        {
            "source": "contracts",
            "text": '[{"guid":"c446a0cf-2cf8-482b-90c1-e14f87a8d930","id":"628",'
            '"name":"Blaenau Gwent County Borough"}]',
        }
    ]
    assert json.loads(item.data)["id"] == 1234


@needs_samples
@pytest.mark.parametrize(
    "path", sample_paths("ninjs/[0-9]*/*.json"), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_the_standard_ninjs_samples_still_read_with_nothing_new_to_note(path: Path) -> None:
    # Given a real agency's ninjs 2.1 or 3.0 document, in the standard's shapes
    data = path.read_bytes()
    # When it is read through the chooser and directly
    [item] = read_delivery(data, "application/json", ())
    # Then it reads as before: one valid article, no rights notes, no signals
    assert item.article is not None, item.error
    assert item.article == parse_ninjs(json.loads(data))
    assert item.article["rights_notes"] == []
    assert item.article["signals"] == []
