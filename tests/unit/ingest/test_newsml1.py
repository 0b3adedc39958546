"""NewsML 1.x: one article per NewsItem, with its status, usage rights, lines and body."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearance.ingest.article import Article, ArticleError
from clearance.ingest.newsml1 import read_newsml1
from clearance.ingest.parse import Item, read_delivery
from clearance.ingest.xmldoc import parse_xml
from tests.conftest import SAMPLES, needs_samples

FEEDS = SAMPLES / "feeds" / "newsml-1.2"

ENVELOPE = """<NewsEnvelope><DateAndTime>20261120T090500Z</DateAndTime>
<NewsService FormalName="NWN-NORDIC"/></NewsEnvelope>"""

NORTHWIND_TEXT = """<NewsItem xml:lang="en">
  <Identification><NewsIdentifier>
    <ProviderId>northwind.example</ProviderId><DateId>20261120</DateId>
    <NewsItemId>NWN-0042</NewsItemId><RevisionId PreviousRevision="1" Update="N">2</RevisionId>
    <PublicIdentifier>urn:newsml:northwind.example:20261120:NWN-0042:2</PublicIdentifier>
  </NewsIdentifier></Identification>
  <NewsManagement>
    <NewsItemType FormalName="News"/>
    <FirstCreated>20261120T080000Z</FirstCreated>
    <ThisRevisionCreated>20261120T090000Z</ThisRevisionCreated>
    <Status FormalName="Usable"/>
    <Instruction FormalName="Rectify"/>
  </NewsManagement>
  <NewsComponent>
    <NewsLines>
      <HeadLine>Harbour deal signed after night of talks</HeadLine>
      <ByLine>By Kari Nordmann</ByLine>
      <DateLine>BERGEN, Nov 20, 2026 (NWN) -</DateLine>
      <CreditLine>NWN</CreditLine>
      <CopyrightLine>© 2026 Northwind News Agency. All rights reserved.</CopyrightLine>
      <RightsLine>Not for resale.</RightsLine>
    </NewsLines>
    <RightsMetadata>
      <Copyright><CopyrightHolder>Northwind News Agency</CopyrightHolder>
        <CopyrightDate>2026</CopyrightDate></Copyright>
      <UsageRights>
        <UsageType>NO ARCHIVAL USE</UsageType>
        <Geography>Nordic countries only</Geography>
        <RightsHolder>Harbour Photo Pool</RightsHolder>
        <Limitations>Online only</Limitations>
        <EndDate>20261231T235959Z</EndDate>
      </UsageRights>
    </RightsMetadata>
    <AdministrativeMetadata><Provider><Party FormalName="NWN"/></Provider></AdministrativeMetadata>
    <NewsComponent>
      <Role FormalName="Main"/>
      <ContentItem>
        <MediaType FormalName="Text"/><Format FormalName="NITF3.1"/>
        <DataContent><nitf><body><body.content>
          <p>The harbour deal was signed at dawn.</p><hl2>What changes</hl2>
        </body.content></body></nitf></DataContent>
      </ContentItem>
    </NewsComponent>
    <NewsComponent>
      <Role FormalName="Photo"/>
      <NewsLines><HeadLine>The harbour at dawn</HeadLine>
        <CopyrightLine>© Harbour Photo Pool</CopyrightLine></NewsLines>
      <RightsMetadata><Copyright><CopyrightHolder>Harbour Photo Pool</CopyrightHolder>
      </Copyright></RightsMetadata>
      <ContentItem Href="harbour.jpg"><MediaType FormalName="Photo"/></ContentItem>
    </NewsComponent>
  </NewsComponent>
</NewsItem>"""

NORTHWIND_EMBARGOED = """<NewsItem>
  <Identification><NewsIdentifier>
    <ProviderId>northwind.example</ProviderId><DateId>20261120</DateId>
    <NewsItemId>NWN-0043</NewsItemId><RevisionId>1</RevisionId>
  </NewsIdentifier></Identification>
  <NewsManagement>
    <NewsItemType FormalName="News"/>
    <FirstCreated>20261120T200000Z</FirstCreated>
    <ThisRevisionCreated>20261120T200000Z</ThisRevisionCreated>
    <Status FormalName="Embargoed"/>
    <StatusWillChange><FutureStatus FormalName="Usable"/>
      <DateAndTime>20261121T060000Z</DateAndTime></StatusWillChange>
  </NewsManagement>
  <NewsComponent>
    <NewsLines><HeadLine>Budget figures</HeadLine></NewsLines>
    <ContentItem><MediaType FormalName="Text"/><Format FormalName="Text"/>
      <DataContent>OSLO (NWN) -- The budget grows by two percent.</DataContent></ContentItem>
  </NewsComponent>
</NewsItem>"""


def newsml(*items: str) -> bytes:
    body = "".join(items)
    return f'<?xml version="1.0"?>\n<NewsML Version="1.2">{ENVELOPE}{body}</NewsML>'.encode()


def managed(management: str, component: str = "") -> str:
    """A NewsItem with the NewsManagement children and NewsComponent content given."""
    return f"""<NewsItem><Identification><NewsIdentifier><ProviderId>nwn</ProviderId>
<DateId>20261120</DateId><NewsItemId>7</NewsItemId><RevisionId>1</RevisionId>
</NewsIdentifier></Identification><NewsManagement><NewsItemType FormalName="News"/>
<FirstCreated>20261120T090000Z</FirstCreated><ThisRevisionCreated>20261120T090000Z
</ThisRevisionCreated>{management}</NewsManagement><NewsComponent>
<NewsLines><HeadLine>Headline</HeadLine></NewsLines>{component}</NewsComponent></NewsItem>"""


def items_of(data: bytes) -> tuple[Item, ...]:
    return read_delivery(data, "application/xml", ())


def article_of(item: Item) -> Article:
    assert item.error is None, item.error
    assert item.article is not None
    return item.article


def read(item: str) -> Article:
    [only] = items_of(newsml(item))
    return article_of(only)


def test_each_news_item_is_its_own_article_kept_with_the_envelope() -> None:
    # Given a NewsML document holding two NewsItems
    data = newsml(NORTHWIND_TEXT, NORTHWIND_EMBARGOED)
    # When it is read through the one parse
    first, second = items_of(data)
    # Then each item is one article, stored with the envelope and without the other item
    assert (first.index, second.index) == (0, 1)
    assert b"NWN-NORDIC" in first.data
    assert b"NWN-0042" in first.data
    assert b"NWN-0043" not in first.data
    assert b"NWN-0043" in second.data
    assert b"NWN-0042" not in second.data
    assert article_of(first)["headline"] == "Harbour deal signed after night of talks"
    assert article_of(second)["headline"] == "Budget figures"


def test_a_news_item_reads_with_every_rights_statement_it_makes() -> None:
    # Given an item with a copyright, usage rights, a copyright and a rights line, a photo
    # When it is read
    article = read(NORTHWIND_TEXT)
    # Then its identity leaves out the revision, which is its version
    assert article["format"] == "newsml-1"
    assert (article["uri"], article["version"]) == (
        "urn:newsml:northwind.example:20261120:NWN-0042",
        "2",
    )
    assert (article["first_created"], article["version_created"]) == (
        "2026-11-20T08:00:00+00:00",
        "2026-11-20T09:00:00+00:00",
    )
    assert (article["pub_status"], article["signals"]) == ("usable", ["rectify"])
    assert article["language"] == "en"
    # And its rights are the item's own words, each in its place
    assert article["copyright_holder"] == "Northwind News Agency"
    assert article["copyright_notice"] == "© 2026 Northwind News Agency. All rights reserved."
    assert article["usage_terms"] == "Not for resale."
    assert article["rights_notes"] == [
        {"source": "UsageRights/UsageType", "text": "NO ARCHIVAL USE"},
        {"source": "UsageRights/Geography", "text": "Nordic countries only"},
        {"source": "UsageRights/Limitations", "text": "Online only"},
    ]
    assert article["expires"] == "2026-12-31T23:59:59+00:00"
    assert article["embargoed_until"] is None
    assert article["info_sources"] == ["Harbour Photo Pool"]
    assert (article["byline"], article["credit_line"]) == ("By Kari Nordmann", "NWN")
    assert (article["dateline_credit"], article["origin"]) == ("(NWN)", "northwind.example")


def test_the_text_is_the_body_and_the_photo_an_association_with_its_own_rights() -> None:
    # Given an item whose NITF text and photo are separate components
    # When it is read directly by the NewsML 1.x reader
    [piece] = read_newsml1(parse_xml(newsml(NORTHWIND_TEXT)))
    # Then the NITF body is HTML and the photo is no part of it
    assert not isinstance(piece.result, ArticleError)
    assert piece.result["body_html"] == (
        "<p>The harbour deal was signed at dawn.</p><h2>What changes</h2>"
    )
    assert piece.result["body_text"] is None
    assert piece.result["type"] == "text"
    # And the photo keeps its own holder and notice
    assert piece.result["associations"] == [
        {
            "name": "Photo-1",
            "type": "picture",
            "uri": "harbour.jpg",
            "headline": "The harbour at dawn",
            "byline": None,
            "copyright_holder": "Harbour Photo Pool",
            "copyright_notice": "© Harbour Photo Pool",
            "usage_terms": None,
            "encoded_rights": None,
            "linked_rights": None,
        }
    ]


def test_an_embargo_that_lifts_is_read_from_status_will_change() -> None:
    # Given an Embargoed item that becomes Usable at 06:00, with a plain text body
    # When it is read
    article = read(NORTHWIND_EMBARGOED)
    # Then it is usable once its embargo lifts, and its id is built from its parts
    assert article["pub_status"] == "usable"
    assert article["embargoed_until"] == "2026-11-21T06:00:00+00:00"
    assert article["uri"] == "urn:newsml:northwind.example:20261120:NWN-0043"
    assert article["body_text"] == "OSLO (NWN) -- The budget grows by two percent."
    assert (article["body_html"], article["dateline_credit"]) == (None, "(NWN)")


WILL_CHANGE = (
    "<StatusWillChange><FutureStatus FormalName='{0}'/><DateAndTime>{1}</DateAndTime>"
    "</StatusWillChange>"
)


@pytest.mark.parametrize(
    ("status", "will_change", "expected"),
    [
        ("Usable", "", ("usable", None, None)),
        ("Embargoed", "", ("withheld", None, None)),
        (
            "Embargoed",
            WILL_CHANGE.format("Usable", "20261121T060000Z"),
            ("usable", "2026-11-21T06:00:00+00:00", None),
        ),
        (
            "Embargoed",
            WILL_CHANGE.format("Usable", "20261101T060000Z"),
            ("withheld", "2026-11-01T06:00:00+00:00", None),
        ),
        ("Withheld", "", ("withheld", None, None)),
        ("Canceled", "", ("canceled", None, None)),
        ("Killed", "", ("withheld", None, None)),
        (
            "Usable",
            WILL_CHANGE.format("Canceled", "20261125T000000Z"),
            ("usable", None, "2026-11-25T00:00:00+00:00"),
        ),
    ],
)
def test_the_status_and_its_change_decide_pub_status_embargo_and_expiry(
    status: str, will_change: str, expected: tuple[str, str | None, str | None]
) -> None:
    # Given an item with this Status and StatusWillChange
    item = managed(f'<Status FormalName="{status}"/>{will_change}')
    # When it is read
    article = read(item)
    # Then the status fails closed, a change to Usable is an embargo, one away from it an end
    assert (article["pub_status"], article["embargoed_until"], article["expires"]) == expected


def test_a_status_change_with_no_time_is_kept_in_words() -> None:
    # Given a Usable item that will be Canceled at no stated time
    change = "<StatusWillChange><FutureStatus FormalName='Canceled'/></StatusWillChange>"
    # When it is read
    article = read(managed(f'<Status FormalName="Usable"/>{change}'))
    # Then the change is a rights note, not dropped
    assert article["rights_notes"] == [{"source": "StatusWillChange", "text": "canceled"}]
    assert article["expires"] is None


def test_usage_rights_dates_in_words_are_kept_as_rights_notes() -> None:
    # Given usage rights starting after the item was issued, and ending at no stated time
    rights = (
        "<RightsMetadata><UsageRights><StartDate>20261122T000000Z</StartDate>"
        "<EndDate>when the season ends</EndDate></UsageRights></RightsMetadata>"
    )
    # When it is read
    article = read(managed('<Status FormalName="Usable"/>', rights))
    # Then the start is an embargo and the end words a rights note
    assert article["embargoed_until"] == "2026-11-22T00:00:00+00:00"
    assert article["expires"] is None
    assert article["rights_notes"] == [
        {"source": "UsageRights/EndDate", "text": "when the season ends"}
    ]


def test_html_written_as_text_is_the_html_body() -> None:
    # Given a text ContentItem whose Format is HTML, written as CDATA
    content = (
        '<ContentItem><MediaType FormalName="Text"/><Format FormalName="HTML"/>'
        "<DataContent><![CDATA[<P>Wages grew.</P>]]></DataContent></ContentItem>"
    )
    # When it is read
    article = read(managed('<Status FormalName="Usable"/>', content))
    # Then the HTML is kept as delivered
    assert (article["body_html"], article["body_text"]) == ("<P>Wages grew.</P>", None)


def test_a_nitf_body_brings_its_own_rights_and_status() -> None:
    # Given a NewsML item whose NITF body is canceled and limited to print
    content = (
        '<ContentItem><MediaType FormalName="Text"/><DataContent><nitf><head>'
        '<docdata management-status="canceled"><doc.copyright holder="Northwind"/>'
        '<doc.rights limitations="print only"/></docdata></head>'
        "<body><body.content><p>Text.</p></body.content></body></nitf></DataContent></ContentItem>"
    )
    # When it is read
    article = read(managed('<Status FormalName="Usable"/>', content))
    # Then nothing the NITF states is lost
    assert article["pub_status"] == "canceled"
    assert article["copyright_holder"] == "Northwind"
    assert article["rights_notes"] == [{"source": "doc.rights@limitations", "text": "print only"}]


def test_a_photo_item_is_a_picture_with_its_own_rights() -> None:
    # Given a NewsItem whose only content is a photo
    content = (
        "<NewsComponent><RightsMetadata><Copyright><CopyrightHolder>Harbour Photo Pool"
        "</CopyrightHolder></Copyright></RightsMetadata><ContentItem Href='a.jpg'>"
        '<MediaType FormalName="Photo"/></ContentItem></NewsComponent>'
    )
    # When it is read
    article = read(managed('<Status FormalName="Usable"/>', content))
    # Then the item is the picture, with its holder, and no association to itself
    assert (article["type"], article["copyright_holder"]) == ("picture", "Harbour Photo Pool")
    assert (article["associations"], article["body_html"], article["body_text"]) == ([], None, None)


def test_updates_packages_and_nameless_items_are_item_errors_beside_a_good_item() -> None:
    # Given a partial update, a package of references, an item with no id, and a good item
    update = managed('<Status FormalName="Usable"/>').replace(
        "<NewsComponent>", "<Update><InsertAfter DuidRef='x'/></Update><NewsComponent>"
    )
    package = managed('<Status FormalName="Usable"/>', "<NewsItemRef NewsItem='urn:x'/>")
    nameless = managed('<Status FormalName="Usable"/>').replace("<ProviderId>nwn</ProviderId>", "")
    data = newsml(update, package, nameless, NORTHWIND_EMBARGOED)
    # When the document is read
    items = items_of(data)
    # Then each bad item carries its reason and the good one still reads
    reasons = [None if item.error is None else item.error.reason for item in items]
    assert reasons == ["partial-update", "item-class", "missing-uri", None]
    assert article_of(items[3])["headline"] == "Budget figures"


def test_a_document_with_no_news_item_holds_no_items() -> None:
    # Given a NewsML document with only an envelope
    data = newsml()
    # When it is read
    # Then it is refused as holding nothing
    with pytest.raises(ArticleError) as raised:
        items_of(data)
    assert raised.value.reason == "no-items"
    assert "NewsML 1.x" in str(raised.value)


def sample(name: str) -> bytes:
    path: Path = FEEDS / name
    if not path.is_file():
        pytest.skip(f"NewsML 1.x sample not found at {path}")
    return path.read_bytes()


@needs_samples
@pytest.mark.samples
def test_the_afp_sample_keeps_its_no_archival_use_right() -> None:
    # Given AFP's NewsML 1.2 item: Status Usable, UsageType "NO ARCHIVAL USE", a NITF body
    # When it is read through the one parse
    [item] = items_of(sample("afp_newsml12_no_archival_use.xml"))
    article = article_of(item)
    # Then the restriction is a rights note and the item is usable
    assert article["rights_notes"] == [
        {"source": "UsageRights/UsageType", "text": "NO ARCHIVAL USE"}
    ]
    assert (article["pub_status"], article["signals"]) == ("usable", [])
    assert (article["uri"], article["version"]) == (
        "urn:newsml:afp.com:20140829T135002Z:TX-PAR-FXW86",
        "1",
    )
    assert (article["embargoed_until"], article["expires"]) == (None, None)
    assert (article["copyright_holder"], article["copyright_notice"]) == (None, None)
    assert (article["origin"], article["dateline_credit"]) == ("afp.com", "(AFP)")
    assert article["headline"] == "Sweden court accepts receivership for Saab carmaker"
    assert (article["body_html"] or "").startswith("<p>A Chinese-owned company")
    assert item.data is not None
    assert b"TX-PAR-FXW86" in item.data


@needs_samples
@pytest.mark.samples
def test_the_ana_mpe_sample_keeps_its_greek_copyright_line() -> None:
    # Given ANA-MPE's item: Status Usable, a Greek CopyrightLine and an HTML body as text
    # When it is read through the one parse
    [item] = items_of(sample("ana_mpe_newsml12_el.xml"))
    article = article_of(item)
    # Then the copyright line is the notice, word for word
    assert article["copyright_notice"] == (
        "© 2018 ΑΘΗΝΑΪΚΟ ΠΡΑΚΤΟΡΕΙΟ ΕΙΔΗΣΕΩΝ - ΜΑΚΕΔΟΝΙΚΟ ΠΡΑΚΤΟΡΕΙΟ ΕΙΔΗΣΕΩΝ"
    )
    assert (article["pub_status"], article["signals"], article["rights_notes"]) == (
        "usable",
        [],
        [],
    )
    assert article["uri"] == "urn:newsml:ana-mpe.gr:20180404:19336333"
    assert article["version_created"] == "2018-04-04T17:58:59+03:00"
    assert (article["credit_line"], article["info_sources"]) == ("ΑΠΕ-ΜΠΕ", ["ΑΠΕ-ΜΠΕ"])
    assert article["headline"] == "Wage employment balance positive in Jan-March"
    assert (article["body_html"] or "").startswith("<P>Wage employment in the private sector")
    assert "Τα πνευματικά δικαιώματα ανήκουν" in (article["body_html"] or "")
