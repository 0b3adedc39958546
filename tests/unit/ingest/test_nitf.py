"""NITF 3.x: identity, status, times, rights and the body, as a NITF delivery states them."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearance.ingest.article import Article, ArticleError
from clearance.ingest.nitf import read_nitf
from clearance.ingest.parse import Item, read_delivery
from clearance.ingest.xmldoc import parse_xml
from tests.conftest import SAMPLES, needs_samples

NITF_NS = "http://iptc.org/std/NITF/2006-10-18/"
FEEDS = SAMPLES / "feeds" / "nitf"

NORTHWIND = f"""<?xml version="1.0" encoding="UTF-8"?>
<nitf xmlns="{NITF_NS}" version="-//IPTC//DTD NITF 3.5//EN" baselang="en-GB">
  <head>
    <title>Harbour deal signed</title>
    <docdata management-status="embargoed">
      <doc-id id-string="nwn-2026-11-20-0042" regsrc="NWN"/>
      <date.issue norm="20261120T090000Z"/>
      <date.release norm="20261120T180000+0100"/>
      <date.expire norm="20270120T000000Z"/>
      <du-key key="harbour-deal" version="3"/>
      <ed-msg msg-type="advisory" info="Embargoed until 18:00 CET."/>
      <ed-msg info="Not for use in Norway before the minister's statement."/>
      <doc.copyright year="2026" holder="Northwind News Agency"/>
      <doc.rights owner="Harbour Photo Pool" agent="Northwind Rights Desk"
        geography="Europe only" type="editorial" limitations="No archive; online use only"
        enddate="20261231T235959Z"/>
    </docdata>
  </head>
  <body>
    <body.head>
      <hedline><hl1>Harbour deal signed after night of talks</hl1><hl2>Unions agree</hl2></hedline>
      <note noteclass="editorsnote" type="npa"><body.content>
        <p>Do not publish the mayor's home address.</p></body.content></note>
      <byline>By Kari Nordmann<byttl>Northwind News</byttl></byline>
      <distributor><org>Northwind News Agency</org></distributor>
      <dateline><location>BERGEN</location></dateline>
    </body.head>
    <body.content>
      <p>BERGEN (NWN) -- The harbour deal was signed at dawn by <person>Ola Hansen</person>.</p>
      <hl2>What changes</hl2>
      <block><p>Ferries run <em>twice</em> as often.</p></block>
      <media media-type="image">
        <media-reference source="harbour.jpg" mime-type="image/jpeg"/>
        <media-caption>The harbour at dawn.</media-caption>
      </media>
      <note noteclass="editorsnote" type="npa"><body.content>
        <p>Check the figures with the desk.</p></body.content></note>
    </body.content>
    <body.end><tagline>Reporting by Kari Nordmann.</tagline></body.end>
  </body>
</nitf>
""".encode()


def nitf(docdata: str = "", status: str | None = None, body: str = "", head: str = "") -> bytes:
    """A small NITF document with the docdata, status, body.head and head parts given."""
    managed = "" if status is None else f' management-status="{status}"'
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<nitf><head>{head}<docdata{managed}><doc-id id-string="urn:nwn:1"/>
<date.issue norm="20261120T090000Z"/>{docdata}</docdata></head>
<body><body.head><hedline><hl1>Headline</hl1></hedline>{body}</body.head>
<body.content><p>Text.</p></body.content></body></nitf>""".encode()


def only_item(data: bytes) -> Item:
    items = read_delivery(data, "application/xml", ())
    assert len(items) == 1
    return items[0]


def read(data: bytes) -> Article:
    item = only_item(data)
    assert item.error is None, item.error
    assert item.article is not None
    assert item.index is None
    return item.article


def test_an_embargoed_nitf_item_reads_with_every_rights_statement_it_makes() -> None:
    # Given an agency's embargoed NITF item with doc.rights, ed-msgs and a copyright holder
    # When it is read through the one parse
    article = read(NORTHWIND)
    # Then its identity, times and status are the item's own
    assert article["format"] == "nitf"
    assert (article["uri"], article["version"]) == ("nwn-2026-11-20-0042", "3")
    assert article["language"] == "en-GB"
    assert article["headline"] == "Harbour deal signed after night of talks"
    assert article["pub_status"] == "usable"
    assert article["embargoed_until"] == "2026-11-20T18:00:00+01:00"
    assert article["version_created"] == article["first_created"] == "2026-11-20T09:00:00+00:00"
    # And the earlier of doc.rights@enddate and date.expire is when it expires
    assert article["expires"] == "2026-12-31T23:59:59+00:00"
    # And the holder is kept, with no notice made up from the year and the holder
    assert article["copyright_holder"] == "Northwind News Agency"
    assert article["copyright_notice"] is None
    assert article["rights_notes"] == [
        {"source": "doc.rights@agent", "text": "Northwind Rights Desk"},
        {"source": "doc.rights@geography", "text": "Europe only"},
        {"source": "doc.rights@type", "text": "editorial"},
        {"source": "doc.rights@limitations", "text": "No archive; online use only"},
    ]
    assert article["info_sources"] == ["Harbour Photo Pool"]
    # And every note to editors is the ed_note, in the order given
    assert article["ed_note"] == (
        "advisory: Embargoed until 18:00 CET.\n"
        "Not for use in Norway before the minister's statement.\n"
        "Do not publish the mayor's home address.\n"
        "Check the figures with the desk."
    )
    assert article["byline"] == "By Kari Nordmann Northwind News"
    assert article["origin"] == "Northwind News Agency"
    assert article["dateline_credit"] == "(NWN)"
    assert article["signals"] == []


def test_a_nitf_body_becomes_html_without_media_data_or_notes_to_editors() -> None:
    # Given the body of the embargoed item: hl2, block, media, a note to editors, a tagline
    # When it is read directly by the NITF reader
    [piece] = read_nitf(parse_xml(NORTHWIND))
    # Then NITF-only tags are HTML, media references are gone but the caption's words stay
    assert not isinstance(piece.result, ArticleError)
    assert piece.data is None
    html = piece.result["body_html"] or ""
    assert html.startswith("<p>BERGEN (NWN) -- The harbour deal was signed at dawn by Ola Hansen.")
    assert "<h2>What changes</h2>" in html
    assert "<div><p>Ferries run <em>twice</em> as often.</p></div>" in html
    assert "<figcaption>The harbour at dawn.</figcaption>" in html
    assert "media-reference" not in html
    assert "harbour.jpg" not in html
    assert "person" not in html
    # And the note to editors is left out, the tagline appended
    assert "Check the figures" not in html
    assert html.endswith("<p>Reporting by Kari Nordmann.</p>")


def test_a_nitf_document_without_a_namespace_reads_like_one_with_the_nitf_namespace() -> None:
    # Given the same item without the NITF namespace
    plain = NORTHWIND.replace(f' xmlns="{NITF_NS}"'.encode(), b"")
    # When both are read
    # Then they read the same
    assert read(plain) == read(NORTHWIND)


@pytest.mark.parametrize(
    ("status", "docdata", "expected"),
    [
        (None, "", "usable"),
        ("usable", "", "usable"),
        ("embargoed", '<date.release norm="20261121T060000Z"/>', "usable"),
        ("embargoed", "", "withheld"),
        ("embargoed", '<date.release norm="20261119T060000Z"/>', "withheld"),
        ("withheld", "", "withheld"),
        ("canceled", "", "canceled"),
        ("withdrawn", "", "canceled"),
        ("on-hold", "", "withheld"),
    ],
)
def test_the_management_status_decides_the_pub_status_and_fails_closed(
    status: str | None, docdata: str, expected: str
) -> None:
    # Given an item with this management-status and release date
    data = nitf(docdata, status)
    # When it is read
    article = read(data)
    # Then the pub_status is the one the status means, and an unknown status withholds it
    assert article["pub_status"] == expected


def test_an_unreadable_release_date_is_a_rights_note_and_withholds_an_embargoed_item() -> None:
    # Given an embargoed item whose release date is no time at all
    data = nitf('<date.release norm="after the vote"/>', "embargoed")
    # When it is read
    article = read(data)
    # Then the words are kept and the item is withheld, not made invalid
    assert article["pub_status"] == "withheld"
    assert article["embargoed_until"] is None
    assert article["rights_notes"] == [{"source": "date.release@norm", "text": "after the vote"}]


def test_a_release_time_without_a_zone_is_kept_in_words_not_guessed() -> None:
    # Given an embargoed item released at a time of day with no zone
    data = nitf('<date.release norm="20261121T060000"/>', "embargoed")
    # When it is read
    article = read(data)
    # Then the time is not taken as UTC: it is a rights note, and the item is withheld
    assert (article["pub_status"], article["embargoed_until"]) == ("withheld", None)
    assert article["rights_notes"] == [{"source": "date.release@norm", "text": "20261121T060000"}]


def test_an_iim_record_gives_its_copyright_notice_and_special_instructions() -> None:
    # Given a NITF head carrying an IIM record with 2:116 and 2:40
    head = (
        '<iim><ds num="2:116" value="(c) 2026 Northwind News"/>'
        '<ds num="2:40" value="No use in advertising"/></iim>'
    )
    # When it is read
    article = read(nitf(head=head))
    # Then the notice and the instruction are kept
    assert article["copyright_notice"] == "(c) 2026 Northwind News"
    assert article["ed_note"] == "No use in advertising"


def test_a_rights_start_after_the_issue_is_an_embargo_and_one_before_binds_nothing() -> None:
    # Given two items whose doc.rights start after and before the item was issued
    later = nitf('<doc.rights startdate="20261122T000000Z" location-code="NO" code-source="iso"/>')
    earlier = nitf('<doc.rights startdate="20261101T000000Z"/>')
    # When they are read
    # Then the later start is the embargo, with the location code and its source in words
    assert read(later)["embargoed_until"] == "2026-11-22T00:00:00+00:00"
    assert read(later)["rights_notes"] == [
        {"source": "doc.rights@location-code", "text": "NO (iso)"}
    ]
    assert read(earlier)["embargoed_until"] is None


def test_an_owner_who_is_the_copyright_holder_is_no_other_source() -> None:
    # Given doc.rights whose owner is the holder, and a delivery list of two agencies
    data = nitf(
        '<del-list><from-src src-name="wire.example"/></del-list>'
        '<doc.copyright holder="Northwind"/><doc.rights owner="northwind"/>'
    )
    # When it is read
    article = read(data)
    # Then only the other agency is named as a source
    assert article["copyright_holder"] == "Northwind"
    assert article["info_sources"] == ["wire.example"]


def test_a_copyright_note_is_the_notice_in_its_own_words() -> None:
    # Given a copyright note and a trademark note in body.head
    body = (
        '<note noteclass="cpyrt"><body.content><p>Copyright 2026 Northwind News. '
        "All rights reserved.</p></body.content></note>"
        '<note noteclass="trademk"><body.content><p>Harbourline is a trademark.</p>'
        "</body.content></note>"
    )
    # When it is read
    article = read(nitf(body=body))
    # Then the notice is the note's words and the trademark note a rights note
    assert article["copyright_notice"] == "Copyright 2026 Northwind News. All rights reserved."
    assert article["rights_notes"] == [
        {"source": "note[trademk]", "text": "Harbourline is a trademark."}
    ]


def test_a_body_head_rights_block_is_read_part_by_part() -> None:
    # Given body.head rights with an owner, a geography, an end date and loose words
    body = (
        "<rights>Pool material. <rights.owner>Harbour Photo Pool</rights.owner>"
        "<rights.geography>Nordic countries</rights.geography>"
        '<rights.enddate norm="20261201T000000Z">1 December</rights.enddate></rights>'
    )
    # When it is read
    article = read(nitf(body=body))
    # Then each part lands where it binds, and the whole block is kept in words
    assert article["info_sources"] == ["Harbour Photo Pool"]
    assert article["expires"] == "2026-12-01T00:00:00+00:00"
    assert article["rights_notes"] == [
        {"source": "rights/rights.geography", "text": "Nordic countries"},
        {
            "source": "rights",
            "text": "Pool material. Harbour Photo Pool Nordic countries 1 December",
        },
    ]


def test_a_rights_meta_is_kept_and_a_correction_is_a_signal() -> None:
    # Given a rights meta, a correction, and a reference to a canceled previous version
    head = '<meta name="copyright-restriction" content="No use in Sweden"/>'
    data = nitf('<correction info="Corrects the ferry count."/>', head=head).replace(
        b"<docdata>",
        b'<docdata management-doc-idref="urn:nwn:0" management-idref-status="canceled">',
    )
    # When it is read
    article = read(data)
    # Then nothing is dropped
    assert article["rights_notes"] == [
        {"source": "meta[copyright-restriction]", "text": "No use in Sweden"}
    ]
    assert article["signals"] == ["correction", "update", "previous-canceled"]
    assert article["ed_note"] == "Corrects the ferry count."


def test_an_item_with_no_id_is_an_error_and_an_ntb_id_meta_names_one() -> None:
    # Given an item with no doc-id, and one with only an NTBID meta
    nameless = nitf().replace(b'<doc-id id-string="urn:nwn:1"/>', b"")
    ntb = nameless.replace(b"<head>", b'<head><meta name="NTBID" content="ntb-77"/>')
    # When they are read
    item = only_item(nameless)
    # Then the first is an item error naming the reason, the second takes the meta's id
    assert item.article is None
    assert item.error is not None
    assert item.error.reason == "missing-uri"
    assert read(ntb)["uri"] == "ntb-77"


def test_utf8_bytes_declared_as_iso_8859_1_keep_their_norwegian_letters() -> None:
    # Given a NITF item declaring ISO-8859-1 over UTF-8 bytes, as NTB sends it
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<nitf baselang="nb-NO"><head><docdata>'
        '<doc-id id-string="ntb-1"/><ed-msg info="Det er ikke anledning til å endre innhold."/>'
        "</docdata></head><body><body.head><hedline><hl1>Blåbær og ørret på Særø</hl1>"
        "</hedline></body.head><body.content><p>Fjæra.</p></body.content></body></nitf>"
    ).encode()
    # When it is read through the one parse
    article = read(data)
    # Then æ, ø and å come out as written
    assert article["headline"] == "Blåbær og ørret på Særø"
    assert article["ed_note"] == "Det er ikke anledning til å endre innhold."
    assert article["body_html"] == "<p>Fjæra.</p>"


def sample(name: str) -> bytes:
    path: Path = FEEDS / name
    if not path.is_file():
        pytest.skip(f"NITF sample not found at {path}")
    return path.read_bytes()


@needs_samples
@pytest.mark.samples
def test_the_iptc_sample_is_a_cancellation_with_its_online_limitation() -> None:
    # Given the IPTC NITF sample: canceled, doc.rights limitations="online", an announcement
    # When it is read
    article = read(sample("iptc_nitf_fishing_canceled.xml"))
    # Then it is a kill, with every rights statement and signal kept
    assert (article["uri"], article["version"]) == ("iptc.321656141.b", "1")
    assert article["pub_status"] == "canceled"
    assert article["signals"] == ["update", "previous-canceled"]
    assert article["embargoed_until"] == "2002-02-26T09:30:00-05:00"
    assert article["expires"] == "2012-02-26T09:30:00-05:00"
    assert article["copyright_holder"] == "International Press Telecommunications Council"
    assert article["copyright_notice"] is None
    assert article["usage_terms"] is None
    assert article["rights_notes"] == [{"source": "doc.rights@limitations", "text": "online"}]
    assert article["info_sources"] == ["iptc.org", "xmlteam.com"]
    assert (article["ed_note"] or "").startswith(
        "announcement: Today begins an expanded format of this popular column.\n"
        "This sample article was created completely from scratch"
    )
    assert article["origin"] == "XML Team Solutions, Inc."
    html = article["body_html"] or ""
    assert "<h2>The Tides are High</h2>" in html
    assert "high-tide.jpg" not in html
    assert html.endswith("<p>Stewart Klometers contributed to this article.</p>")


@needs_samples
@pytest.mark.samples
def test_the_ap_sample_names_only_its_registrar_and_is_known_by_its_words() -> None:
    # Given AP's NITF, whose doc-id carries only regsrc="AP" and no id-string
    # When it is read, twice
    first = read(sample("ap_nitf_global_distribution.xml"))
    again = read(sample("ap_nitf_global_distribution.xml"))
    # Then it has an id of its registrar and its words, the same each time, and AP's marks
    assert first["uri"].startswith("urn:clearance:nitf:AP:")
    assert first["uri"] == again["uri"]
    assert first["copyright_holder"] == "AP"
    assert first["origin"] == "The Associated Press"
    assert first["ed_note"] == "For global distribution"
    assert first["dateline_credit"] == "(AP)"


@needs_samples
@pytest.mark.samples
def test_the_ntb_sample_keeps_its_no_modification_note_in_norwegian() -> None:
    # Given NTB's item distributed for Faktisk.no, declared ISO-8859-1 over UTF-8 bytes
    # When it is read through the one parse
    article = read(sample("ntb_nitf_faktisk_no_modification.xml"))
    # Then the restriction is in the ed_note word for word, letters intact
    assert article["ed_note"] == (
        "Dette stoffet distribuerer NTB på vegne av Faktisk.no. Det er ikke anledning til å "
        "endre innhold eller konklusjoner i faktasjekker fra Faktisk.no. Ved spørsmål, ta "
        "kontakt med kontakt@faktisk.no."
    )
    assert article["uri"] == "faktisk-d9cde75b-256e-4989-b6a3-b8ad27f43a5c_47"
    assert (article["version"], article["pub_status"]) == ("48", "usable")
    assert article["language"] == "nb-NO"
    assert article["origin"] == "NTB"
    assert article["byline"] == "Geir Molnes / Faktisk.no"
    assert (article["copyright_holder"], article["copyright_notice"]) == (None, None)
    assert (article["rights_notes"], article["signals"]) == ([], [])
    assert "<h2>Påstand</h2>" in (article["body_html"] or "")
    assert "&lt;script" in (article["body_html"] or "")


@needs_samples
@pytest.mark.samples
def test_the_efe_sample_is_usable_with_no_rights_block() -> None:
    # Given EFE's NITF: management-status usable, a rights.owner, no doc.rights
    # When it is read
    article = read(sample("efe_nitf.xml"))
    # Then it is usable and its owner is a named source
    assert (article["uri"], article["version"], article["pub_status"]) == (
        "22751909",
        "1",
        "usable",
    )
    assert article["version_created"] == "2017-01-02T22:28:00+00:00"
    assert (article["embargoed_until"], article["expires"]) == (None, None)
    assert (article["copyright_holder"], article["copyright_notice"]) == (None, None)
    assert article["info_sources"] == ["Agencia EFE"]
    assert (article["rights_notes"], article["signals"], article["ed_note"]) == ([], [], None)
    assert article["body_html"] is not None
