"""RSS and Atom as publishers syndicate them: every item with its feed's rights, none skipped."""

from __future__ import annotations

import pytest

from clearance.ingest.article import Article, ArticleError
from clearance.ingest.parse import Item, read_delivery
from clearance.ingest.syndication import read_atom, read_rss
from clearance.ingest.xmldoc import parse_xml
from tests.conftest import SAMPLES, needs_samples, sample_paths

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
FEEDS = SAMPLES / "feeds" / "rss-atom"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:content="http://purl.org/rss/1.0/modules/content/"
    xmlns:creativeCommons="http://backend.userland.com/creativeCommonsRssModule"
    xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Example Wire – World</title>
    <link>https://examplewire.test/world</link>
    <description>World news from Example Wire</description>
    <language>en-gb</language>
    <copyright>Copyright 2026 Example Wire Ltd. All rights reserved.</copyright>
    <dc:rights>© Example Wire Ltd 2026</dc:rights>
    <creativeCommons:license>https://creativecommons.org/licenses/by-nd/4.0/</creativeCommons:license>
    <atom:link rel="self" type="application/rss+xml" href="https://examplewire.test/world/rss"/>
    <item>
      <title>Harbour reopens after storm</title>
      <link>https://examplewire.test/world/harbour-reopens</link>
      <guid isPermaLink="false">urn:examplewire:2026:harbour</guid>
      <description>&lt;p&gt;Summary only.&lt;/p&gt;</description>
      <content:encoded><![CDATA[<p>The harbour reopened on Monday.</p>
<p>Republish only with this notice.</p><img src="https://examplewire.test/px.gif?id=harbour"
 width="1" height="1" />]]></content:encoded>
      <dc:creator>Ann Example</dc:creator>
      <dc:creator>Ben Sample</dc:creator>
      <pubDate>Mon, 23 Nov 2026 09:30:00 +0100</pubDate>
      <category>Weather</category>
      <media:content url="https://examplewire.test/img/harbour.jpg" medium="image">
        <media:credit role="photographer">Photo: Cara Lens/Other Agency</media:credit>
        <media:copyright>© Other Agency 2026</media:copyright>
      </media:content>
      <media:thumbnail url="https://examplewire.test/img/harbour-small.jpg"/>
      <media:restriction relationship="allow" type="country">gb ie</media:restriction>
    </item>
    <item>
      <title>Bridge closed</title>
      <link>https://examplewire.test/world/bridge</link>
      <description>&lt;p&gt;The bridge is closed.&lt;/p&gt;</description>
      <dc:rights>Copyright 2026 City Press. Used under licence.</dc:rights>
      <creativeCommons:license>https://creativecommons.org/licenses/by/4.0/</creativeCommons:license>
      <dc:date>2026-11-23T08:00:00Z</dc:date>
    </item>
    <item>
      <title>An item nothing names</title>
      <description>No guid, no link.</description>
    </item>
  </channel>
</rss>
"""

RDF = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:cc="http://web.resource.org/cc/">
  <channel rdf:about="https://examplewire.test/rdf">
    <title>Example Wire Schlagzeilen</title>
    <link>https://examplewire.test/</link>
    <description>Schlagzeilen</description>
    <dc:language>de</dc:language>
    <dc:rights>Copyright Example Wire GmbH</dc:rights>
    <cc:license rdf:resource="https://creativecommons.org/licenses/by-sa/4.0/"/>
    <items><rdf:Seq><rdf:li rdf:resource="https://examplewire.test/a"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://examplewire.test/a">
    <title>Ein Titel</title>
    <link>https://examplewire.test/a</link>
    <description>Kurz &lt;b&gt;gesagt&lt;/b&gt;.</description>
    <dc:creator>Dora Beispiel</dc:creator>
    <dc:date>2026-11-23T07:00:00+01:00</dc:date>
  </item>
  <cc:License rdf:about="https://creativecommons.org/licenses/by-sa/4.0/">
    <cc:permits rdf:resource="http://web.resource.org/cc/Reproduction"/>
  </cc:License>
</rdf:RDF>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"
    xmlns:at="http://purl.org/atompub/tombstones/1.0" xmlns:dcterms="http://purl.org/dc/terms/">
  <id>tag:examplewire.test,2026:science</id>
  <title type="html">Example &lt;b&gt;Wire&lt;/b&gt; Science</title>
  <updated>2026-11-23T12:00:00Z</updated>
  <author><name>Example Wire Desk</name></author>
  <rights type="html">&lt;p&gt;Copyright &amp;copy; 2026 Example Wire&lt;/p&gt;</rights>
  <link rel="license" href="https://creativecommons.org/licenses/by-nd/4.0/"/>
  <entry>
    <id>tag:examplewire.test,2026:article/1</id>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Comets
      <em>return</em></div></title>
    <updated>2026-11-23T11:00:00z</updated>
    <published>2026-11-22T10:00:00+0000</published>
    <link rel="alternate" type="text/html" href="https://examplewire.test/science/comets"/>
    <author><name>Eve Writer</name></author>
    <author><name>Finn Author</name></author>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Comets are back.</p><img
      src="https://examplewire.test/count.gif" width="1" height="1"/></div></content>
    <summary>Not the body.</summary>
    <rights>Licensed as Creative Commons – attribution, no derivatives.</rights>
  </entry>
  <entry>
    <id>tag:examplewire.test,2026:article/2</id>
    <title>Plain words</title>
    <updated>2026-11-23T09:00:00Z</updated>
    <link href="javascript:alert(1)"/>
    <summary type="text">Only a summary.</summary>
    <dcterms:license>https://examplewire.test/terms</dcterms:license>
  </entry>
  <entry>
    <title>An entry with no id</title>
    <updated>2026-11-23T09:00:00Z</updated>
  </entry>
  <at:deleted-entry ref="tag:examplewire.test,2026:article/0" when="2026-11-23T10:00:00Z">
    <at:comment>Withdrawn on legal advice</at:comment>
  </at:deleted-entry>
</feed>
"""

LONE_ENTRY = """<?xml version="1.0" encoding="utf-8"?>
<entry xmlns="http://www.w3.org/2005/Atom">
  <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
  <title>Copied from a partner</title>
  <updated>2026-11-23T12:00:00Z</updated>
  <source>
    <id>tag:partner.test,2026:feed</id>
    <title>Partner News</title>
    <rights>© Partner News 2026</rights>
    <author><name>Partner Desk</name></author>
  </source>
  <content type="html">&lt;p&gt;Copied &lt;i&gt;word for word&lt;/i&gt;.&lt;/p&gt;</content>
</entry>
"""


def articles(items: list[Item]) -> list[Article]:
    found = [item.article for item in items]
    assert None not in found, [item.error for item in items]
    return [article for article in found if article is not None]


def article_at(document: str, media_type: str, index: int) -> Article:
    """The article a delivered feed's item reads as, through the chooser and the schema check."""
    [article] = articles([read_delivery(document.encode(), media_type, ())[index]])
    return article


def test_every_rss_item_is_its_own_article_and_one_without_a_name_is_an_error() -> None:
    # Given an RSS 2.0 feed of three items, the last with neither guid nor link
    # When it is delivered
    items = list(read_delivery(RSS.encode(), RSS_TYPE, ()))
    # Then the two named items are valid articles and the third says why it is none
    assert [item.index for item in items] == [0, 1, 2]
    harbour, bridge = articles(items[:2])
    assert (harbour["format"], harbour["uri"], harbour["version"]) == (
        "rss",
        "urn:examplewire:2026:harbour",
        "1",
    )
    assert bridge["uri"] == "https://examplewire.test/world/bridge"
    assert items[2].error is not None
    assert items[2].error.reason == "missing-uri"


def test_an_rss_item_reads_its_text_times_people_and_link() -> None:
    # Given the first item of the feed, When it is read
    harbour = article_at(RSS, RSS_TYPE, 0)
    # Then its fields are those the feed gives, times made RFC 3339
    assert harbour["headline"] == "Harbour reopens after storm"
    assert harbour["byline"] == "Ann Example, Ben Sample"
    assert harbour["version_created"] == "2026-11-23T09:30:00+01:00"
    assert harbour["first_created"] == "2026-11-23T09:30:00+01:00"
    assert harbour["language"] == "en-gb"
    assert harbour["source_url"] == "https://examplewire.test/world/harbour-reopens"
    assert harbour["origin"] == "Example Wire – World"
    assert (harbour["pub_status"], harbour["signals"]) == ("usable", [])


def test_content_encoded_is_the_body_kept_exactly_with_its_notice_and_pixel() -> None:
    # Given an item with both a description and content:encoded, When it is read
    [harbour, bridge, _] = read_rss(parse_xml(RSS.encode()))
    assert isinstance(harbour.result, dict)
    assert isinstance(bridge.result, dict)
    # Then the full content is the HTML body, as delivered; the description stands in without it
    assert harbour.result["body_html"] == (
        "<p>The harbour reopened on Monday.</p>\n<p>Republish only with this notice.</p>"
        '<img src="https://examplewire.test/px.gif?id=harbour"\n width="1" height="1" />'
    )
    assert bridge.result["body_html"] == "<p>The bridge is closed.</p>"
    assert bridge.result["body_text"] is None


def test_an_rss_item_inherits_the_channel_rights_and_keeps_every_other_statement() -> None:
    # Given an item that states no rights of its own in a channel that states several
    [harbour, _, _] = read_rss(parse_xml(RSS.encode()))
    article = harbour.result
    assert isinstance(article, dict)
    # Then the channel copyright is its notice, and the differing dc:rights, the channel's
    # licence and the item's territory restriction are rights notes
    assert article["copyright_notice"] == "Copyright 2026 Example Wire Ltd. All rights reserved."
    assert article["rights_notes"] == [
        {"source": "dc:rights", "text": "© Example Wire Ltd 2026"},
        {
            "source": "creativeCommons:license",
            "text": "https://creativecommons.org/licenses/by-nd/4.0/",
        },
        {"source": "media:restriction", "text": "allow country gb ie"},
    ]


def test_an_rss_items_own_rights_and_licence_win_over_the_channels() -> None:
    # Given an item with its own dc:rights and Creative Commons licence
    [_, bridge, _] = read_rss(parse_xml(RSS.encode()))
    article = bridge.result
    assert isinstance(article, dict)
    # Then they are its rights, and the channel's licence does not apply to it
    assert article["copyright_notice"] == "Copyright 2026 City Press. Used under licence."
    assert article["rights_notes"] == [
        {
            "source": "creativeCommons:license",
            "text": "https://creativecommons.org/licenses/by/4.0/",
        }
    ]
    assert article["version_created"] == "2026-11-23T08:00:00Z"
    assert article["first_created"] is None


def test_media_rss_pictures_are_associations_with_their_credit_as_holder() -> None:
    # Given an item with a credited picture and an uncredited thumbnail
    [harbour, _, _] = read_rss(parse_xml(RSS.encode()))
    article = harbour.result
    assert isinstance(article, dict)
    # Then each is an association of its own, with the rights each carries
    assert [
        (a["name"], a["type"], a["uri"], a["copyright_holder"], a["copyright_notice"])
        for a in article["associations"]
    ] == [
        (
            "media-1",
            "picture",
            "https://examplewire.test/img/harbour.jpg",
            "Photo: Cara Lens/Other Agency",
            "© Other Agency 2026",
        ),
        ("media-2", "picture", "https://examplewire.test/img/harbour-small.jpg", None, None),
    ]


def test_each_rss_item_is_stored_with_its_channel_and_without_the_other_items() -> None:
    # Given the feed, When it is read
    items = read_rss(parse_xml(RSS.encode()))
    # Then the bridge item's own bytes carry the channel's rights and nothing of the harbour item
    data = items[1].data
    assert data is not None
    assert b"Copyright 2026 Example Wire Ltd." in data
    assert b"creativecommons.org/licenses/by-nd/4.0/" in data
    assert b"Bridge closed" in data
    assert b"Harbour reopens" not in data
    assert b"An item nothing names" not in data


def test_an_rss_1_0_item_reads_its_channel_rights_licence_and_language() -> None:
    # Given an RSS 1.0 (RDF) feed with one item, When it is delivered
    [item] = read_delivery(RDF.encode(), RSS_TYPE, ())
    # Then the item is read with its channel's dc:rights, cc:license and dc:language
    assert item.index == 0
    [article] = articles([item])
    assert article["uri"] == "https://examplewire.test/a"
    assert article["headline"] == "Ein Titel"
    assert article["byline"] == "Dora Beispiel"
    assert article["language"] == "de"
    assert article["version_created"] == "2026-11-23T07:00:00+01:00"
    assert article["body_html"] == "Kurz <b>gesagt</b>."
    assert article["copyright_notice"] == "Copyright Example Wire GmbH"
    assert article["rights_notes"] == [
        {
            "source": "creativeCommons:license",
            "text": "https://creativecommons.org/licenses/by-sa/4.0/",
        }
    ]
    assert article["origin"] == "Example Wire Schlagzeilen"


def test_atom_entries_tombstone_and_entry_without_id_are_each_an_item() -> None:
    # Given an Atom feed of two entries, one entry with no id and a deleted-entry
    # When it is delivered
    items = list(read_delivery(ATOM.encode(), ATOM_TYPE, ()))
    # Then four items come back: two articles, an error, and a kill of the deleted entry
    assert len(items) == 4
    comets, plain = articles(items[:2])
    assert (comets["format"], comets["uri"]) == ("atom", "tag:examplewire.test,2026:article/1")
    assert plain["uri"] == "tag:examplewire.test,2026:article/2"
    assert items[2].error is not None
    assert items[2].error.reason == "missing-uri"
    [withdrawn] = articles(items[3:])
    assert (withdrawn["uri"], withdrawn["pub_status"]) == (
        "tag:examplewire.test,2026:article/0",
        "canceled",
    )
    assert withdrawn["version_created"] == "2026-11-23T10:00:00Z"
    assert withdrawn["ed_note"] == "Withdrawn on legal advice"


def test_an_atom_entry_reads_xhtml_title_and_content_times_and_authors() -> None:
    # Given an entry with an xhtml title and content, lower-case `z` and `+0000` times
    comets = article_at(ATOM, ATOM_TYPE, 0)
    # Then the title is its words, the body its XHTML, the times RFC 3339
    assert comets["headline"] == "Comets return"
    assert comets["body_html"] == (
        '<p>Comets are back.</p><img src="https://examplewire.test/count.gif" width="1" height="1">'
    )
    assert comets["body_text"] is None
    assert comets["version_created"] == "2026-11-23T11:00:00+00:00"
    assert comets["first_created"] == "2026-11-22T10:00:00+00:00"
    assert comets["byline"] == "Eve Writer, Finn Author"
    assert comets["language"] == "en"
    assert comets["source_url"] == "https://examplewire.test/science/comets"
    assert comets["origin"] == "Example Wire Science"


def test_an_atom_entrys_own_rights_win_and_the_feeds_licence_applies() -> None:
    # Given an entry with its own rights and no licence link, in a feed with both
    comets = article_at(ATOM, ATOM_TYPE, 0)
    # Then its own rights are the notice and the feed's licence is noted
    assert comets["copyright_notice"] == (
        "Licensed as Creative Commons – attribution, no derivatives."
    )
    assert comets["rights_notes"] == [
        {
            "source": "creativeCommons:license",
            "text": "https://creativecommons.org/licenses/by-nd/4.0/",
        }
    ]


def test_an_atom_entry_without_rights_inherits_the_feeds_and_keeps_an_unknown_licence() -> None:
    # Given an entry with no rights, no author and no content, but a dcterms:license
    plain = article_at(ATOM, ATOM_TYPE, 1)
    # Then the feed's html rights are its notice in words, its author the feed's, its body
    # the text summary; a javascript link is no source; the unknown licence is a rights note
    assert plain["copyright_notice"] == "Copyright © 2026 Example Wire"
    assert plain["byline"] == "Example Wire Desk"
    assert (plain["body_text"], plain["body_html"]) == ("Only a summary.", None)
    assert plain["source_url"] is None
    assert plain["rights_notes"] == [
        {
            "source": "creativeCommons:license",
            "text": "https://creativecommons.org/licenses/by-nd/4.0/",
        },
        {"source": "dcterms:license", "text": "https://examplewire.test/terms"},
    ]


def test_a_lone_atom_entry_is_the_whole_delivery_with_its_sources_rights() -> None:
    # Given a lone Atom entry copied from a partner's feed, When it is delivered
    [item] = read_delivery(LONE_ENTRY.encode(), ATOM_TYPE, ())
    # Then it is one item identified by the delivery itself, with the source feed's rights
    assert item.index is None
    assert read_atom(parse_xml(LONE_ENTRY.encode()))[0].data is None
    [article] = articles([item])
    assert article["copyright_notice"] == "© Partner News 2026"
    assert article["byline"] == "Partner Desk"
    assert article["origin"] == "Partner News"
    assert article["info_sources"] == ["Partner News"]
    assert article["body_html"] == "<p>Copied <i>word for word</i>.</p>"


def test_rights_in_an_unknown_module_are_kept_as_rights_notes() -> None:
    # Given an item carrying usage terms of a vendor's own namespace and a blocked picture
    feed = RSS.replace(
        "<title>Bridge closed</title>",
        '<title>Bridge closed</title><vnd:usageTerms xmlns:vnd="https://vendor.test/ns">'
        "Not for use in Canada</vnd:usageTerms>"
        '<media:content url="https://examplewire.test/v.mp4"><media:status state="blocked"'
        ' reason="https://examplewire.test/why"/></media:content>',
    )
    # When it is read
    bridge = read_rss(parse_xml(feed.encode()))[1].result
    assert isinstance(bridge, dict)
    # Then both are rights notes in their own words, never skipped
    assert {"source": "{https://vendor.test/ns}usageTerms", "text": "Not for use in Canada"} in (
        bridge["rights_notes"]
    )
    assert {"source": "media:status", "text": "blocked https://examplewire.test/why"} in (
        bridge["rights_notes"]
    )
    assert [(a["type"], a["uri"]) for a in bridge["associations"]] == [
        ("video", "https://examplewire.test/v.mp4")
    ]


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://examplewire.test/a b/ä", "https://examplewire.test/a%20b/%C3%A4"),
        ("http://[::1/broken", None),
        ("ftp://examplewire.test/file", None),
        ("/relative/path", None),
    ],
)
def test_only_an_http_link_is_the_source_url_and_it_is_made_a_valid_uri(
    link: str, expected: str | None
) -> None:
    # Given an item whose link is not a plain web address
    feed = RSS.replace("https://examplewire.test/world/bridge", link)
    # When it is read through the schema check
    [_, bridge, _] = read_delivery(feed.encode(), RSS_TYPE, ())
    # Then it is still an article, with a valid http(s) source url or none
    assert bridge.article is not None, bridge.error
    assert bridge.article["source_url"] == expected


@pytest.mark.parametrize(
    ("document", "media_type", "what"),
    [
        ('<rss version="2.0"><channel><title>Empty</title></channel></rss>', RSS_TYPE, "RSS"),
        ('<feed xmlns="http://www.w3.org/2005/Atom"><title>E</title></feed>', ATOM_TYPE, "Atom"),
    ],
)
def test_a_feed_with_no_items_is_refused_as_holding_none(
    document: str, media_type: str, what: str
) -> None:
    # Given a feed with no item, When it is delivered
    with pytest.raises(ArticleError) as raised:
        read_delivery(document.encode(), media_type, ())
    # Then it is refused as holding no items, naming the kind of feed
    assert raised.value.reason == "no-items"
    assert f"{what} feed" in str(raised.value)


def feed_articles(name: str) -> list[Article]:
    path = FEEDS / name
    if not path.is_file():
        pytest.skip(f"sample not found at {path}")
    return articles(list(read_delivery(path.read_bytes(), None, ())))


COVERED = {
    "theconversation_uk_health_atom.xml",
    "guardian_us_rss2_2018.xml",
    "heise_developer_atom_2016.xml",
}


@needs_samples
@pytest.mark.samples
def test_every_rss_and_atom_sample_has_a_test_of_its_rights() -> None:
    # Given the shared RSS and Atom samples, When they are listed, Then each is covered below
    assert {path.name for path in sample_paths("feeds/rss-atom/*.xml")} == COVERED


@needs_samples
@pytest.mark.samples
def test_the_conversation_entries_carry_the_cc_licence_and_the_counter_pixel() -> None:
    # Given The Conversation's Atom feed, When it is read
    entries = feed_articles("theconversation_uk_health_atom.xml")
    # Then each of its three entries is licensed in words and keeps its republication pixel
    assert [entry["uri"] for entry in entries] == [
        "tag:theconversation.com,2011:article/289335",
        "tag:theconversation.com,2011:article/289862",
        "tag:theconversation.com,2011:article/290101",
    ]
    for entry in entries:
        number = entry["uri"].rsplit("/", 1)[-1]
        assert entry["copyright_notice"] == (
            "Licensed as Creative Commons – attribution, no derivatives."
        )
        assert (entry["rights_notes"], entry["signals"], entry["pub_status"]) == ([], [], "usable")
        assert (entry["version"], entry["embargoed_until"]) == (entry["version_created"], None)
        assert entry["body_html"] is not None
        assert (
            f"https://counter.theconversation.com/content/{number}/count.gif"
            in (entry["body_html"])
        )
        assert (entry["origin"], entry["language"]) == ("Health – The Conversation", "en-US")
    first = entries[0]
    assert first["byline"] is not None
    assert first["byline"].startswith("David Henshall, Professor Physiology")
    assert first["version_created"] == "2026-08-24T14:24:38Z"


@needs_samples
@pytest.mark.samples
def test_the_guardian_items_carry_the_channel_copyright_and_picture_credits() -> None:
    # Given the Guardian's RSS 2.0 feed, When it is read
    items = feed_articles("guardian_us_rss2_2018.xml")
    # Then all 55 items carry the channel's copyright, and each picture its own credit
    assert len(items) == 55
    notice = (
        "Guardian News and Media Limited or its affiliated companies. All rights reserved. 2018"
    )
    for item in items:
        assert item["copyright_notice"] == notice
        assert (item["rights_notes"], item["signals"], item["pub_status"]) == ([], [], "usable")
        assert item["associations"]
        assert all(a["copyright_holder"] for a in item["associations"])
    first = items[0]
    assert first["uri"] == (
        "https://www.theguardian.com/us-news/2018/jan/31/"
        "donald-trump-state-of-the-union-address-unity-discord"
    )
    assert (first["version"], first["embargoed_until"]) == ("1", None)
    assert first["version_created"] == "2018-01-31T07:26:05+00:00"
    assert [(a["type"], a["copyright_holder"]) for a in first["associations"]] == [
        ("picture", "Photograph: Networ/Sipa USA/REX/Shutterstock"),
        ("picture", "Photograph: Networ/Sipa USA/REX/Shutterstock"),
    ]
    assert (first["byline"], first["language"], first["origin"]) == (
        "David Smith in Washington",
        "en-gb",
        "The Guardian",
    )
    assert first["body_html"] is not None
    assert first["body_html"].endswith("Continue reading...</a>")


@needs_samples
@pytest.mark.samples
def test_heise_entries_inherit_the_feeds_copyright_and_author() -> None:
    # Given heise's Atom feed, whose entries state no rights or author, When it is read
    entries = feed_articles("heise_developer_atom_2016.xml")
    # Then every entry carries the feed's rights and author
    assert len(entries) == 15
    for entry in entries:
        assert entry["copyright_notice"] == "Copyright (c) 2016 Heise Medien"
        assert (entry["rights_notes"], entry["signals"], entry["pub_status"]) == ([], [], "usable")
        assert entry["byline"] == "heise online"
        assert entry["origin"] == "heise developer neueste Meldungen"
        assert entry["body_html"] is not None
    first = entries[0]
    # an entry's version is its `updated` instant
    assert (first["uri"], first["version"], first["embargoed_until"]) == (
        "http://heise.de/-3088438",
        "2016-02-01T17:54:50+01:00",
        None,
    )
    assert first["headline"] == "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei"
    assert (first["version_created"], first["first_created"]) == (
        "2016-02-01T17:54:50+01:00",
        "2016-02-01T17:22:00+01:00",
    )
