"""Hypothesis over the shapes agencies' XML takes: whatever the words, the status, the embargo or
the usage terms, and whichever shipped terms govern, a decision is made, and what must not be
cleared never is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.decide.engine import clear_each
from clearance.decide.findings import Outcome
from clearance.decide.licensee import Licensee
from clearance.terms.policy import PolicySet
from tests.unit.decide.copies import envelope_or_control

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
PAST = (NOW - timedelta(days=3)).isoformat()
FUTURE = (NOW + timedelta(days=3)).isoformat()
RESTRICTING_GB = ("NO USE IN THE UK.", "Eds: BRITAIN OUT", "NO ACCESS UNITED KINGDOM")
TERMS = ("", "For editorial use only.", "NOT FOR COMMERCIAL USE.", *RESTRICTING_GB)


@cache
def shipped() -> PolicySet:
    return PolicySet.load()


@dataclass(frozen=True)
class Story:
    uri: str
    headline: str
    paragraphs: tuple[str, ...]
    status: str
    embargo: str | None
    terms: str
    note: str

    @property
    def restricts_gb(self) -> bool:
        return any(words in (self.terms, self.note) for words in RESTRICTING_GB)


words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("<>&\"'"),
    max_size=60,
)
stories = st.builds(
    Story,
    uri=st.sampled_from(
        ("urn:newsml:dpa.com:20090101:", "tag:ap.org,2011:", "https://tt.se/")
    ).flatmap(lambda prefix: st.integers(1, 10**6).map(lambda n: f"{prefix}{n}")),
    headline=words,
    paragraphs=st.lists(words, min_size=0, max_size=3).map(tuple),
    status=st.sampled_from(("usable", "withheld", "canceled")),
    embargo=st.sampled_from((None, PAST, FUTURE)),
    terms=st.sampled_from(TERMS),
    note=st.sampled_from(("", "Eds: Adds quotes.", *RESTRICTING_GB)),
)


def g2_item(story: Story) -> str:
    embargo = f"<embargoed>{story.embargo}</embargoed>" if story.embargo else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
    return (
        f'<newsItem guid={quoteattr(story.uri)} version="1" standard="NewsML-G2">'
        "<rightsInfo><copyrightHolder><name>dpa</name></copyrightHolder>"
        "<copyrightNotice>Copyright 2026, dpa (www.dpa.de). Alle Rechte vorbehalten"
        f"</copyrightNotice><usageTerms>{escape(story.terms)}</usageTerms></rightsInfo>"
        f'<itemMeta><itemClass qcode="ninat:text"/><provider qcode="nprov:dpa"/>'
        f"<versionCreated>{PAST}</versionCreated>{embargo}"
        f'<pubStatus qcode="stat:{story.status}"/><edNote>{escape(story.note)}</edNote></itemMeta>'
        f"<contentMeta><headline>{escape(story.headline)}</headline><by>Von A. B., dpa</by>"
        "</contentMeta><contentSet>"
        f'<inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml">'
        f"<body>{body}</body></html></inlineXML></contentSet></newsItem>"
    )


def g2_message(items: list[Story]) -> bytes:
    inner = "".join(g2_item(story) for story in items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><newsMessage '
        f'xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet>{inner}</itemSet></newsMessage>'
    ).encode()


def nitf(story: Story) -> bytes:
    status = {"withheld": "withheld", "canceled": "canceled"}.get(story.status, "usable")
    release = f'<date.release norm="{story.embargo}"/>' if story.embargo else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><nitf><head><docdata '
        f'management-status="{status}"><doc-id id-string={quoteattr(story.uri)}/>'
        f'<date.issue norm="{PAST}"/>{release}<ed-msg info={quoteattr(story.note)}/>'
        f"<doc.rights limitations={quoteattr(story.terms)}/></docdata></head><body><body.head>"
        f"<hedline><hl1>{escape(story.headline)}</hl1></hedline><byline>NTB</byline>"
        f"<distributor>NTB</distributor></body.head><body.content>{body}</body.content></body>"
        "</nitf>"
    ).encode()


def atom(items: list[Story]) -> bytes:
    entries = "".join(
        f"<entry><id>{escape(s.uri)}</id><updated>{PAST}</updated>"
        f"<title>{escape(s.headline)}</title>"
        f'<link rel="alternate" href="https://theconversation.com/x-{abs(hash(s.uri))}"/>'
        f"<author><name>A. Writer</name></author><rights>{escape(s.terms)}</rights>"
        f'<content type="html">{escape("".join(f"<p>{escape(p)}</p>" for p in s.paragraphs))}'
        "</content></entry>"
        for s in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>The Conversation</title><id>tag:x</id>{entries}</feed>"
    ).encode()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    shape=st.sampled_from(("g2", "nitf", "atom")),
    items=st.lists(stories, min_size=1, max_size=3, unique_by=lambda story: story.uri),
    provider=st.sampled_from(("dpa", "ntb", "ap", "the-conversation", "tt")),
)
def test_no_shape_of_agency_xml_clears_what_must_not_be_cleared(
    shape: str, items: list[Story], provider: str
) -> None:
    # Given a delivery in a real format, with random words and signals, under forced terms
    data = {"g2": g2_message, "atom": atom}.get(shape, lambda s: nitf(s[0]))(items)
    decisions = clear_each(
        data, policies=shipped(), now=NOW, licensee=Licensee("GB"), provider=provider
    )
    # Then every item is decided, and nothing that must not be cleared is
    assert decisions
    for decision in decisions:
        assert decision.findings or decision.outcome is Outcome.CLEARED
        if decision.outcome is not Outcome.CLEARED:
            continue
        article = decision.article or {}
        story = next(s for s in items if s.uri == article.get("uri"))
        assert not envelope_or_control(decision)
        assert article.get("pub_status") == "usable"
        if shape == "atom":
            # Atom carries no status, embargo or note: only its rights in words
            assert story.terms not in RESTRICTING_GB
            continue
        assert story.status == "usable"
        assert story.embargo != FUTURE
        assert not story.restricts_gb
