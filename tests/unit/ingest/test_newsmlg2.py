"""NewsML-G2 as agencies send it: each item with its rights, lifecycle and body, none skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearance.ingest.article import Article, ArticleError
from clearance.ingest.newsmlg2 import read_newsml_g2
from clearance.ingest.parse import Item, read_delivery
from clearance.ingest.xmldoc import local, parse_xml
from tests.conftest import SAMPLES, needs_samples, sample_paths

G2 = "http://iptc.org/std/nar/2006-10-01/"
NEWS_ITEM = "application/vnd.iptc.g2.newsitem+xml"
NEWS_MESSAGE = "application/vnd.iptc.g2.newsmessage+xml"

ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"
    guid="urn:newsml:examplewire.test:20261123:ECB-RATES" version="3"
    standard="NewsML-G2" standardversion="2.35" conformance="power" xml:lang="en-GB">
  <catalogRef href="http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_38.xml"/>
  <hopHistory>
    <hop seq="1"><party qcode="comp:cbpress"><name>Central Bank Press</name></party></hop>
    <hop seq="2"><party qcode="comp:examplewire"/></hop>
  </hopHistory>
  <rightsInfo>
    <copyrightHolder uri="https://examplewire.test/">
      <name>Example Wire Ltd</name>
    </copyrightHolder>
    <copyrightNotice>
      Copyright 2026 Example Wire Ltd, all rights reserved
    </copyrightNotice>
    <usageTerms>Not for use in Canada</usageTerms>
  </rightsInfo>
  <itemMeta>
    <itemClass qcode="ninat:text"/>
    <provider qcode="nprov:EXAMPLEWIRE"><name>Example Wire</name></provider>
    <versionCreated>2026-11-23T10:15:00+01:00</versionCreated>
    <firstCreated>2026-11-23T09:00:00+01:00</firstCreated>
    <embargoed>2026-11-23T18:00:00+01:00</embargoed>
    <pubStatus qcode="stat:usable"/>
    <edNote>Embargoed until 18:00 CET.</edNote>
    <edNote role="exnote:private">Desk: <b>call</b> the economics desk</edNote>
    <signal qcode="sig:correction"/>
    <link rel="irel:seeAlso" href="https://examplewire.test/related"/>
  </itemMeta>
  <contentMeta>
    <infoSource literal="Central Bank Press Office" role="cRole:source"/>
    <headline role="hld:subHeadline">Markets shrug</headline>
    <headline>Rates held at 2 percent</headline>
    <by>By Ann Example</by>
    <creditline>Example Wire</creditline>
  </contentMeta>
  <contentSet>
    <inlineXML contenttype="application/nitf+xml">
      <nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><body>
        <body.head><hedline><hl1>Rates held at 2 percent</hl1></hedline></body.head>
        <body.content><p>FRANKFURT (Example) - Rates were held.</p></body.content>
      </body></nitf>
    </inlineXML>
  </contentSet>
</newsItem>
"""


def news_item(
    *,
    rights: str = "",
    meta: str = '<pubStatus qcode="stat:usable"/>',
    content: str = "",
    content_meta: str = "<headline>H</headline>",
    attributes: str = 'guid="urn:newsml:examplewire.test:1" version="1" xml:lang="en"',
) -> str:
    """A newsItem of our own, in real G2 markup, with the parts a test needs."""
    return (
        f'<newsItem xmlns="{G2}" {attributes} standard="NewsML-G2" standardversion="2.35">'
        f"{rights}<itemMeta><itemClass qcode='ninat:text'/><provider qcode='nprov:EXAMPLEWIRE'/>"
        f"<versionCreated>2026-11-23T10:00:00Z</versionCreated>{meta}</itemMeta>"
        f"<contentMeta>{content_meta}</contentMeta>{content}</newsItem>"
    )


def message(*items: str) -> str:
    return (
        f'<newsMessage xmlns="{G2}"><header><sent>2026-11-23T10:00:00Z</sent>'
        f"<sender>examplewire.test</sender></header><itemSet>{''.join(items)}</itemSet>"
        "</newsMessage>"
    )


def read(document: str | bytes, media_type: str = NEWS_ITEM) -> Article:
    """The one article a delivery holds, through the real path (chooser and schema check)."""
    data = document.encode() if isinstance(document, str) else document
    [item] = read_delivery(data, media_type, ())
    assert item.error is None, item.error
    assert item.article is not None
    return item.article


def items_of(path: Path) -> tuple[Item, ...]:
    return read_delivery(path.read_bytes(), "application/xml", ())


# --- one news item ------------------------------------------------------------------------------


def test_a_news_item_reads_its_rights_lifecycle_and_nitf_body() -> None:
    # Given an agency's embargoed correction with rights, notes and an NITF body
    # When it is read through the delivery path
    article = read(ITEM)
    # Then every rights and lifecycle member is the item's own
    assert (article["format"], article["uri"], article["version"], article["type"]) == (
        "newsml-g2",
        "urn:newsml:examplewire.test:20261123:ECB-RATES",
        "3",
        "text",
    )
    assert article["pub_status"] == "usable"
    assert article["embargoed_until"] == "2026-11-23T18:00:00+01:00"
    assert article["version_created"] == "2026-11-23T10:15:00+01:00"
    assert article["first_created"] == "2026-11-23T09:00:00+01:00"
    assert article["copyright_holder"] == "Example Wire Ltd"
    assert article["copyright_notice"] == "Copyright 2026 Example Wire Ltd, all rights reserved"
    assert article["usage_terms"] == "Not for use in Canada"
    assert article["ed_note"] == "Embargoed until 18:00 CET.\nDesk: call the economics desk"
    assert article["signals"] == ["correction"]
    assert article["origin"] == "nprov:EXAMPLEWIRE"
    assert article["language"] == "en-GB"
    # And the content is described as the provider wrote it
    assert article["headline"] == "Rates held at 2 percent"
    assert (article["byline"], article["credit_line"]) == ("By Ann Example", "Example Wire")
    assert article["info_sources"] == [
        "Central Bank Press Office",
        "Central Bank Press",
        "comp:examplewire",
    ]
    assert article["body_html"] == "<p>FRANKFURT (Example) - Rates were held.</p>"
    assert article["body_text"] is None
    assert article["rights_notes"] == []


def test_a_lone_news_item_is_the_whole_delivery() -> None:
    # Given a newsItem document
    root = parse_xml(ITEM.encode())
    # When the reader reads it
    [piece] = read_newsml_g2(root)
    # Then it is one article, identified by the delivery's own bytes
    assert not isinstance(piece.result, ArticleError)
    assert piece.data is None
    [item] = read_delivery(ITEM.encode(), NEWS_ITEM, ())
    assert (item.index, item.data) == (None, ITEM.encode())


def test_usage_terms_in_the_items_language_win_and_every_other_one_is_a_rights_note() -> None:
    # Given a French item with terms in two languages and a second rightsInfo block
    rights = (
        "<rightsInfo validto='2026-12-31T00:00:00Z'>"
        "<copyrightHolder><name xml:lang='en'>Example Wire Ltd</name>"
        "<name xml:lang='fr'>Example Wire SARL</name></copyrightHolder>"
        "<copyrightNotice xml:lang='en'>(c) 2026 Example Wire</copyrightNotice>"
        "<copyrightNotice xml:lang='fr'>© 2026 Example Wire</copyrightNotice>"
        "<usageTerms xml:lang='en'>Not for use in Canada</usageTerms>"
        "<usageTerms xml:lang='fr'>Pas d'utilisation au Canada</usageTerms>"
        "</rightsInfo>"
        "<rightsInfo validfrom='2026-11-24T06:00:00Z' validto='2026-12-01T00:00:00Z'>"
        "<copyrightHolder literal='Photo Partner AG'/>"
        "<usageTerms>Pictures: editorial use only</usageTerms></rightsInfo>"
    )
    document = news_item(
        rights=rights,
        attributes='guid="urn:x:fr" version="2" xml:lang="fr-FR"',
        meta='<pubStatus qcode="stat:usable"/><expires>2027-01-01T00:00:00Z</expires>',
    )
    # When it is read
    article = read(document)
    # Then the French notice and terms are the article's, and nothing else is lost
    assert article["copyright_holder"] == "Example Wire SARL"
    assert article["copyright_notice"] == "© 2026 Example Wire"
    assert article["usage_terms"] == "Pas d'utilisation au Canada"
    assert article["rights_notes"] == [
        {"source": "rightsInfo/copyrightNotice[en]", "text": "(c) 2026 Example Wire"},
        {"source": "rightsInfo/usageTerms[en]", "text": "Not for use in Canada"},
        {"source": "rightsInfo[2]/usageTerms", "text": "Pictures: editorial use only"},
    ]
    assert article["info_sources"] == ["Photo Partner AG"]
    # And the rights' validity bounds the item: the latest start, the earliest end
    assert article["embargoed_until"] == "2026-11-24T06:00:00Z"
    assert article["expires"] == "2026-12-01T00:00:00Z"


def test_an_embargo_element_wins_over_a_rights_start() -> None:
    # Given an item embargoed in itemMeta whose rights also start later
    rights = "<rightsInfo validfrom='2026-11-25T00:00:00Z'><usageTerms>T</usageTerms></rightsInfo>"
    document = news_item(rights=rights, meta="<embargoed>2026-11-24T12:00:00Z</embargoed>")
    # When it is read
    article = read(document)
    # Then the embargo is the item's own
    assert article["embargoed_until"] == "2026-11-24T12:00:00Z"


def test_empty_rights_and_embargo_elements_mean_not_given() -> None:
    # Given an item with the empty rights and embargo elements some agencies send
    rights = (
        "<rightsInfo><copyrightHolder literal=''><name></name></copyrightHolder>"
        "<copyrightNotice/><usageTerms>  </usageTerms></rightsInfo>"
    )
    document = news_item(rights=rights, meta="<embargoed></embargoed><edNote/>")
    # When it is read
    article = read(document)
    # Then nothing is invented from them
    assert article["copyright_holder"] is None
    assert article["copyright_notice"] is None
    assert article["usage_terms"] is None
    assert article["embargoed_until"] is None
    assert article["ed_note"] is None
    assert article["rights_notes"] == []
    assert article["pub_status"] == "usable"


# --- lifecycle ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ('<pubStatus qcode="stat:usable"/>', "usable"),
        ('<pubStatus qcode="stat:withheld"/>', "withheld"),
        ('<pubStatus qcode="stat:canceled"/>', "canceled"),
        ('<pubStatus uri="http://cv.iptc.org/newscodes/pubstatusg2/canceled"/>', "canceled"),
        ('<pubStatus qcode="stat:withdrawn"/>', "canceled"),
        ('<pubStatus qcode="stat:onhold"/>', "withheld"),
        ('<pubStatus qcode="exstat:usable"/>', "withheld"),
        ("<pubStatus/>", "withheld"),
        ("", "usable"),
    ],
    ids=lambda value: value or "absent",
)
def test_a_publishing_status_not_understood_withholds_the_item(status: str, expected: str) -> None:
    # Given an item with this pubStatus (none: the standard's default, usable)
    # When it is read
    article = read(news_item(meta=status))
    # Then a kill is a kill, and what is not understood is withheld
    assert article["pub_status"] == expected


def test_signals_keep_iptc_codes_bare_and_other_schemes_whole() -> None:
    # Given an update signalled with IPTC and provider codes
    meta = (
        '<signal qcode="sig:update"/><signal qcode="APSIG:ConsumerReady"/>'
        '<signal uri="http://cv.iptc.org/newscodes/signal/correction"/><signal qcode="sig:update"/>'
    )
    # When it is read
    article = read(news_item(meta=meta))
    # Then each signal is listed once, lowercased
    assert article["signals"] == ["update", "apsig:consumerready", "correction"]


# --- rights in other shapes ---------------------------------------------------------------------


def test_a_rights_expression_is_carried_as_encoded_rights_and_a_second_one_noted() -> None:
    # Given ODRL in XML, and a second expression as data
    rights = (
        "<rightsInfo><rightsExpressionXML langid='http://www.w3.org/ns/odrl/2/'>"
        "<o:Policy xmlns:o='http://www.w3.org/ns/odrl/2/' uid='urn:policy:1'>"
        "<o:prohibition><o:action name='distribute'/></o:prohibition></o:Policy>"
        "</rightsExpressionXML>"
        "<rightsExpressionData langid='http://www.w3.org/ns/odrl/2/'>"
        '{"uid": "urn:policy:2"}</rightsExpressionData></rightsInfo>'
    )
    # When it is read
    article = read(news_item(rights=rights))
    # Then the first is the encoded rights, as XML text, and the second is a rights note
    encoded = article["encoded_rights"]
    assert encoded is not None
    assert local(parse_xml(encoded.encode()).tag) == "Policy"
    assert "urn:policy:1" in encoded
    assert article["rights_notes"] == [
        {"source": "rightsInfo/rightsExpressionData", "text": '{"uid": "urn:policy:2"}'}
    ]


def test_rights_behind_a_link_or_in_an_unread_member_are_never_dropped() -> None:
    # Given terms only behind a link, a rights link, and a data-mining prohibition
    rights = (
        "<rightsInfo><usageTerms href='https://examplewire.test/terms'/>"
        "<link rel='exrel:licence' href='https://examplewire.test/licence'/>"
        "<dataMining qcode='dmi:prohibited'/></rightsInfo>"
    )
    # When it is read
    article = read(news_item(rights=rights))
    # Then the link is the linked rights, and the rest are rights notes
    assert article["linked_rights"] == "https://examplewire.test/terms"
    assert article["rights_notes"] == [
        {"source": "rightsInfo/link", "text": "https://examplewire.test/licence"},
        {"source": "rightsInfo/dataMining", "text": "dmi:prohibited"},
    ]


# --- content ------------------------------------------------------------------------------------


def test_an_xhtml_body_is_the_body_html() -> None:
    # Given XHTML content
    content = (
        '<contentSet><inlineXML contenttype="application/xhtml+xml">'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title></head>'
        "<body><p>One <a href='https://example.test/'>link</a>.</p></body></html>"
        "</inlineXML></contentSet>"
    )
    # When it is read
    article = read(news_item(content=content))
    # Then the body's inner HTML is the body
    assert article["body_html"] == '<p>One <a href="https://example.test/">link</a>.</p>'


def test_plain_inline_data_is_the_body_text() -> None:
    # Given plain-text content
    content = (
        '<contentSet><inlineData contenttype="text/plain">'
        "ROME (Example) -- Words.\n\nMore words.</inlineData></contentSet>"
    )
    # When it is read
    article = read(news_item(content=content))
    # Then the text is the body, its dateline credit found
    assert article["body_text"] == "ROME (Example) -- Words.\n\nMore words."
    assert article["body_html"] is None
    assert article["dateline_credit"] == "(Example)"


@pytest.mark.parametrize(
    "content",
    [
        '<contentSet><remoteContent contenttype="application/nitf+xml"'
        ' href="https://examplewire.test/story.xml"/></contentSet>',
        '<contentSet><inlineXML contenttype="application/nitf+xml"> </inlineXML></contentSet>',
        '<contentSet><inlineXML contenttype="application/nitf+xml">'
        "<nitf><body><body.content> </body.content></body></nitf></inlineXML></contentSet>",
    ],
    ids=["behind a link", "empty inlineXML", "empty body.content"],
)
def test_content_that_cannot_be_displayed_gives_no_body(content: str) -> None:
    # Given an item whose text is only behind a link, or empty, and a summary
    content_meta = '<headline>H</headline><description role="drol:summary">Gist.</description>'
    # When it is read
    article = read(news_item(content=content, content_meta=content_meta))
    # Then it has no body at all: the engine refuses to clear a text item without one
    assert (article["body_html"], article["body_text"]) == (None, None)


def test_a_summary_is_the_body_only_for_an_item_without_any_content() -> None:
    # Given an item with no contentSet but a summary and a caption
    content_meta = (
        '<headline>H</headline><description role="drol:caption">Caption.</description>'
        '<description role="drol:summary">The gist, in full.</description>'
    )
    # When it is read
    article = read(news_item(content_meta=content_meta))
    # Then the summary is its text
    assert article["body_text"] == "The gist, in full."


def test_the_first_displayable_content_is_the_body() -> None:
    # Given a picture link, then NITF without a namespace, then XHTML
    content = (
        '<contentSet><remoteContent contenttype="image/jpeg" href="https://example.test/a.jpg"/>'
        '<inlineXML contenttype="application/nitf+xml"><nitf><body><body.head><hedline>'
        "<hl1>From NITF</hl1></hedline></body.head><body.content><p>NITF words</p>"
        "</body.content></body></nitf></inlineXML>"
        '<inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml">'
        "<body><p>XHTML words</p></body></html></inlineXML></contentSet>"
    )
    # When it is read
    article = read(news_item(content=content, content_meta=""))
    # Then the NITF body is the body, and its headline stands in for the missing one
    assert article["body_html"] == "<p>NITF words</p>"
    assert article["headline"] == "From NITF"


# --- messages and items that are not news -------------------------------------------------------


def test_a_message_gives_each_item_its_own_article_and_its_own_bytes() -> None:
    # Given a message with two news items and a concept item
    first = news_item(attributes='guid="urn:x:1" version="1"')
    second = news_item(attributes='guid="urn:x:2" version="4"', meta='<signal qcode="sig:update"/>')
    concept = f'<conceptItem xmlns="{G2}" guid="urn:x:concept" version="1"/>'
    data = message(first, second, concept).encode()
    # When it is read
    items = read_delivery(data, NEWS_MESSAGE, ())
    # Then each item is decided on its own, the concept item refused by its class
    assert [item.index for item in items] == [0, 1, 2]
    assert [item.article["uri"] for item in items[:2] if item.article] == ["urn:x:1", "urn:x:2"]
    assert items[1].article is not None
    assert items[1].article["signals"] == ["update"]
    error = items[2].error
    assert error is not None
    assert error.reason == "item-class"
    assert "conceptItem" in str(error)
    assert "urn:x:concept" in str(error)
    # And each item's bytes are the message with that item only, its header kept
    for item, guid in zip(items, ("urn:x:1", "urn:x:2", "urn:x:concept"), strict=True):
        own = parse_xml(item.data)
        [item_set] = [child for child in own if local(child.tag) == "itemSet"]
        assert [child.get("guid") for child in item_set] == [guid]
        assert [local(child.tag) for child in own] == ["header", "itemSet"]


def test_a_message_with_an_empty_item_set_holds_no_items() -> None:
    # Given a message whose itemSet is empty
    data = message().encode()
    # When it is read, Then it is refused as holding nothing
    with pytest.raises(ArticleError) as raised:
        read_delivery(data, NEWS_MESSAGE, ())
    assert raised.value.reason == "no-items"
    assert "NewsML-G2 message" in str(raised.value)


@pytest.mark.parametrize(
    "item_class", ["packageItem", "conceptItem", "knowledgeItem", "planningItem"]
)
def test_an_item_that_is_not_news_is_refused_by_its_class(item_class: str) -> None:
    # Given a G2 item of another class on its own
    data = f'<{item_class} xmlns="{G2}" guid="urn:x:{item_class}" version="1"/>'.encode()
    # When it is read
    [item] = read_delivery(data, "application/xml", ())
    # Then it is refused by name, never skipped
    assert item.article is None
    assert item.error is not None
    assert item.error.reason == "item-class"
    assert item_class in str(item.error)
    assert f"urn:x:{item_class}" in str(item.error)


def test_an_item_without_a_guid_is_refused_and_the_others_still_read() -> None:
    # Given a message whose first item has no guid
    data = message(news_item(attributes='version="1"'), news_item()).encode()
    # When it is read
    first, second = read_delivery(data, NEWS_MESSAGE, ())
    # Then that item is refused for its missing uri, and the next is read
    assert first.error is not None
    assert (first.error.reason, first.error.pointer) == ("missing-uri", "/uri")
    assert second.article is not None
    assert second.article["uri"] == "urn:newsml:examplewire.test:1"


# --- the agencies' own files --------------------------------------------------------------------

FEEDS = SAMPLES / "feeds" / "newsml-g2"
COVERED = {
    "ansa_culture.xml",
    "ap_newsmlg2_automated_insights.xml",
    "dpa_digitalwires_converter_embargoed.xml",
    "dpa_newsmlg2_usageterms.xml",
    "iptc_LISTING_1_news_item_embargoed.xml",
    "iptc_LISTING_29_hop_history.xml",
    "iptc_LISTING_3_getty_photo_usageterms.xml",
    "reuters_KBN0FL0NN_v5_ednote.xml",
    "scoop_nz.xml",
    "stt_newsml_note_correction.xml",
}


def only_article(name: str) -> Article:
    [item] = items_of(FEEDS / name)
    assert item.article is not None, item.error
    return item.article


@needs_samples
@pytest.mark.samples
def test_every_newsml_g2_sample_has_a_test_of_its_rights() -> None:
    # Given the shared NewsML-G2 samples, When they are listed, Then each is covered below
    assert {path.name for path in sample_paths("feeds/newsml-g2/*.xml")} == COVERED


@needs_samples
@pytest.mark.samples
def test_iptc_listing_1_is_embargoed_with_territorial_usage_terms() -> None:
    article = only_article("iptc_LISTING_1_news_item_embargoed.xml")
    assert (article["uri"], article["version"]) == (
        "urn:newsml:acmenews.com:20161018:US-FINANCE-FED",
        "11",
    )
    assert article["pub_status"] == "usable"
    assert article["embargoed_until"] == "2018-10-23T12:00:00Z"
    assert article["copyright_holder"] == "Example Enews LLP"
    assert article["copyright_notice"] == "Copyright 2017-18 Example Enews LLP, all rights reserved"
    assert article["usage_terms"] == "Not for use outside the United States"
    assert article["ed_note"] is not None
    assert article["ed_note"].startswith("Note to editors: STRICTLY EMBARGOED.")
    assert article["signals"] == ["update"]
    assert article["origin"] == "nprov:REUTERS"
    assert article["rights_notes"] == []
    # Its inlineXML holds only a comment: no body
    assert (article["body_html"], article["body_text"]) == (None, None)


@needs_samples
@pytest.mark.samples
def test_iptc_listing_3_getty_photo_keeps_its_usage_terms_word_for_word() -> None:
    article = only_article("iptc_LISTING_3_getty_photo_usageterms.xml")
    assert (article["type"], article["pub_status"], article["version"]) == (
        "picture",
        "usable",
        "11",
    )
    assert article["copyright_holder"] == "Getty Images North America"
    assert article["copyright_notice"] == (
        "Copyright 2010 Getty Images. -- http://www.gettyimages.com/Corporate/LicenseInfo.aspx"
    )
    assert article["usage_terms"] == (
        "Contact your local office for all commercial or promotional uses. Full editorial "
        "rights UK, US, Ireland, Canada (not Quebec). Restricted editorial rights for daily "
        "newspapers elsewhere, please call."
    )
    # The notice's link is in its words already; the picture itself is only behind links
    assert (article["rights_notes"], article["linked_rights"]) == ([], None)
    assert (article["body_html"], article["body_text"]) == (None, None)
    assert (article["byline"], article["credit_line"]) == ("Spencer Platt", "Getty Images")


@needs_samples
@pytest.mark.samples
def test_iptc_listing_29_names_every_party_of_its_syndication_chain() -> None:
    article = only_article("iptc_LISTING_29_hop_history.xml")
    assert article["info_sources"] == [
        "Thomson Reuters",
        "comp:bwire",
        "comp:aquiremedia",
        "comp:AP",
    ]
    assert article["copyright_holder"] == "http://www.thomsonreuters.com"
    assert (article["pub_status"], article["embargoed_until"], article["signals"]) == (
        "usable",
        None,
        [],
    )
    assert article["version_created"] == "2018-10-19T20:15:00Z"
    assert (article["body_html"], article["body_text"]) == (None, None)


@needs_samples
@pytest.mark.samples
def test_reuters_message_reads_its_notice_note_and_signals() -> None:
    [item] = items_of(FEEDS / "reuters_KBN0FL0NN_v5_ednote.xml")
    assert item.index == 0
    article = item.article
    assert article is not None
    assert (article["uri"], article["version"], article["pub_status"]) == (
        "tag_reuters.com_2014_newsml_KBN0FL0NN",
        "5",
        "usable",
    )
    assert article["copyright_holder"] == "Thomson Reuters"
    assert article["copyright_notice"] == (
        "(c) Copyright Thomson Reuters 2014. Click For Restrictions - "
        "http://about.reuters.com/fulllegal.asp"
    )
    assert article["usage_terms"] is None
    assert article["ed_note"] == "This is editorial note."
    assert article["signals"] == ["edstat:u", "prodid:txt", "pmt:text", "var:itemmod"]
    assert article["byline"] == "By Marwan Makdisi"
    assert article["body_html"] is not None
    assert "DAMASCUS (Reuters) - Bashar al-Assad" in article["body_html"]


@needs_samples
@pytest.mark.samples
def test_ap_message_gives_three_machine_written_third_party_items() -> None:
    items = items_of(FEEDS / "ap_newsmlg2_automated_insights.xml")
    assert [item.index for item in items] == [0, 1, 2]
    articles = [item.article for item in items if item.article]
    assert [a["version"] for a in articles] == ["2", "2", "1"]
    for article in articles:
        assert article["copyright_holder"] == "Automated Insights"
        assert article["copyright_notice"] == "Automated Insights"
        assert article["info_sources"] == ["Automated Insights"]
        assert article["signals"] == ["apsig:consumerready"]
        assert (article["pub_status"], article["language"]) == ("usable", "en")
        assert article["body_html"] is not None
        assert "This story was generated by" in article["body_html"]
    assert [a["ed_note"] for a in articles] == [
        "Eds: Adds full-year results.",
        "Eds: Adds full-year results.",
        None,
    ]


@needs_samples
@pytest.mark.samples
def test_dpa_terms_in_german_win_and_the_english_ones_are_rights_notes() -> None:
    article = only_article("dpa_newsmlg2_usageterms.xml")
    assert (article["uri"], article["pub_status"], article["language"]) == (
        "urn:newsml:dpa.com:20090101:221011-930-4303",
        "usable",
        "de",
    )
    assert article["copyright_holder"] == "Deutsche Presse-Agentur GmbH"
    assert article["copyright_notice"] == (
        "Copyright 2022, dpa (www.dpa.de). Alle Rechte vorbehalten"
    )
    assert article["usage_terms"] == "Nutzung nur nach schriftlicher Vereinbarung mit dpa"
    assert article["rights_notes"] == [
        {
            "source": "rightsInfo/copyrightNotice[en]",
            "text": "(c) 2022 dpa Deutsche Presse Agentur GmbH",
        },
        {
            "source": "rightsInfo/usageTerms[en]",
            "text": "Use only with the written agreement with dpa",
        },
    ]
    # Every edNote, the non-public contacts among them
    assert article["ed_note"] is not None
    assert (
        "Redaktion: Sandra Degenhardt (Berlin), 030285232232, sport@dpa.com" in (article["ed_note"])
    )
    assert article["origin"] == "nprov:dpa"
    assert article["body_html"] is not None


@needs_samples
@pytest.mark.samples
def test_dpa_digitalwires_conversion_is_embargoed_with_its_sperrfrist_note() -> None:
    article = only_article("dpa_digitalwires_converter_embargoed.xml")
    assert (article["uri"], article["version"], article["pub_status"]) == (
        "urn:newsml:dpa.com:20090101:250123-930-353124",
        "1",
        "usable",
    )
    assert article["embargoed_until"] == "2025-01-23T19:00:00+01:00"
    assert article["copyright_holder"] is None
    assert (
        article["copyright_notice"] == "Copyright 2025, dpa (www.dpa.de). Alle Rechte vorbehalten"
    )
    assert article["usage_terms"] == (
        "Nutzung nur nach schriftlicher Vereinbarung mit dpa "
        "Use only with the written agreement with dpa"
    )
    assert article["ed_note"] is not None
    assert article["ed_note"].startswith("Bitte beachten Sie die Sperrfrist der Meldung")
    assert "Szameitat.Sabrina@dpa.com" in article["ed_note"]
    assert (article["signals"], article["rights_notes"]) == ([], [])
    assert article["body_html"] is not None


@needs_samples
@pytest.mark.samples
def test_ansa_empty_rights_elements_are_not_given_and_its_signals_kept() -> None:
    [item] = items_of(FEEDS / "ansa_culture.xml")
    article = item.article
    assert article is not None
    assert (article["version"], article["pub_status"], article["embargoed_until"]) == (
        "2",
        "usable",
        None,
    )
    assert (article["copyright_holder"], article["copyright_notice"]) == (None, None)
    assert (article["usage_terms"], article["rights_notes"]) == (None, [])
    assert article["signals"] == ["update", "redsel:sd03", "red-address:test"]
    assert article["origin"] == "ANSA"
    # Its XHTML sits in the G2 default namespace, and is still its body
    assert article["body_html"] is not None
    assert "(ANSA) - ROMA, 1 LUG - TEST FROM XAWES" in article["body_html"]


@needs_samples
@pytest.mark.samples
def test_scoop_message_refuses_its_package_and_reads_its_story() -> None:
    package, story = items_of(FEEDS / "scoop_nz.xml")
    assert package.error is not None
    assert package.error.reason == "item-class"
    assert "packageItem" in str(package.error)
    article = story.article
    assert article is not None
    assert (article["uri"], article["version"], article["pub_status"]) == (
        "BD-20160112123540",
        "3",
        "usable",
    )
    # Empty embargoed, ednote and copyright elements say nothing
    assert (article["embargoed_until"], article["ed_note"]) == (None, None)
    assert (article["copyright_holder"], article["copyright_notice"]) == (None, None)
    assert article["version_created"] == "2016-01-12T12:35:40+00:00"
    # Its NITF sits in the G2 default namespace: still the body, its title the headline
    assert article["headline"].startswith("Dick Smith receivers install Don Grover")
    assert article["body_html"] is not None
    assert "(BusinessDesk)" in article["body_html"]


@needs_samples
@pytest.mark.samples
def test_stt_private_and_public_notes_are_both_ed_notes() -> None:
    article = only_article("stt_newsml_note_correction.xml")
    assert (article["uri"], article["pub_status"], article["language"]) == (
        "urn:newsml:stt.fi:20170131:101160101",
        "usable",
        "fi-FI",
    )
    assert article["ed_note"] is not None
    private, public = article["ed_note"].split("\n")
    assert private.startswith("2. väliotsikon jälkeen")
    assert public.startswith("Korjattu aiempaa uutista")
    assert (article["copyright_holder"], article["usage_terms"], article["signals"]) == (
        None,
        None,
        [],
    )
    assert article["credit_line"] == "STT–"
    assert article["body_html"] is not None
    assert "Puolustusministeri Jussi Niinistö" in article["body_html"]
