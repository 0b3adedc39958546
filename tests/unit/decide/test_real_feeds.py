"""Every real agency delivery in ../shared/samples/feeds, decided under the shipped terms for a
British editorial web licensee: the decision each item gets, and what is never cleared."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from clearance.contracts import media
from clearance.decide.engine import Decision, clear_each
from clearance.decide.findings import Outcome
from clearance.decide.licensee import Licensee
from clearance.terms.policy import PolicySet
from tests.conftest import SAMPLES, sample_paths
from tests.unit.decide.copies import envelope_or_control

FEEDS = SAMPLES / "feeds"
LICENSEE = Licensee("GB", "editorial", "web")
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)

# file: the decisions of its items, as (outcome, provider, main finding) and how many items.
EXPECTED: dict[str, dict[tuple[str, str | None, str | None], int]] = {
    "anpa-1312/anpa-1.tst": {("rejected", None, "input.format-unsupported"): 1},
    "anpa-1312/ap_anpa-7.tst": {("rejected", None, "input.format-unsupported"): 1},
    "ap-media-json/ap_media_text_item.json": {("rejected", "ap", "article.no-body"): 1},
    "dpa-digitalwires/dw-1_correction.json": {("cleared", "dpa", None): 1},
    "dpa-digitalwires/embargoed.json": {("cleared", "dpa", None): 1},
    "iptc-7901/dpa_IPTC7901.txt": {("rejected", None, "input.format-unsupported"): 1},
    "iptc-7901/dpa_copyright_ctrlchars.txt": {("rejected", None, "input.format-unsupported"): 1},
    "newsml-1.2/afp_newsml12_no_archival_use.xml": {("rejected", None, "provider.unknown"): 1},
    "newsml-1.2/ana_mpe_newsml12_el.xml": {("rejected", None, "provider.unknown"): 1},
    "newsml-g2/ansa_culture.xml": {("rejected", None, "provider.unknown"): 1},
    "newsml-g2/ap_newsmlg2_automated_insights.xml": {("held", "ap", "ap.copyright-holder"): 3},
    "newsml-g2/dpa_digitalwires_converter_embargoed.xml": {("cleared", "dpa", None): 1},
    "newsml-g2/dpa_newsmlg2_usageterms.xml": {("cleared", "dpa", None): 1},
    "newsml-g2/iptc_LISTING_1_news_item_embargoed.xml": {("rejected", None, "provider.unknown"): 1},
    "newsml-g2/iptc_LISTING_29_hop_history.xml": {("rejected", None, "provider.unknown"): 1},
    "newsml-g2/iptc_LISTING_3_getty_photo_usageterms.xml": {
        ("rejected", None, "provider.unknown"): 1
    },
    "newsml-g2/reuters_KBN0FL0NN_v5_ednote.xml": {("rejected", None, "provider.unknown"): 1},
    "newsml-g2/scoop_nz.xml": {
        ("rejected", None, "input.item-class"): 1,
        ("rejected", None, "provider.unknown"): 1,
    },
    "newsml-g2/stt_newsml_note_correction.xml": {("rejected", None, "provider.unknown"): 1},
    "ninjs/bbc_ldrs_ninjs_envelope.json": {("rejected", None, "provider.unknown"): 1},
    "ninjs/superdesk_360info_ninjs1_embargoed.json": {("rejected", None, "provider.unknown"): 1},
    "nitf/ap_nitf_global_distribution.xml": {("cleared", "ap", "notice.ap-usage-terms"): 1},
    "nitf/efe_nitf.xml": {("rejected", None, "provider.unknown"): 1},
    "nitf/iptc_nitf_fishing_canceled.xml": {("rejected", None, "provider.unknown"): 1},
    "nitf/ntb_nitf_faktisk_no_modification.xml": {("cleared", "ntb", None): 1},
    "rss-atom/guardian_us_rss2_2018.xml": {("rejected", None, "provider.unknown"): 55},
    "rss-atom/heise_developer_atom_2016.xml": {("rejected", None, "provider.unknown"): 15},
    "rss-atom/theconversation_uk_health_atom.xml": {
        ("cleared", "the-conversation", "body.image-dropped"): 3
    },
}


@cache
def shipped() -> PolicySet:
    return PolicySet.load()


def decided(path: Path, provider: str | None = None, now: datetime = NOW) -> tuple[Decision, ...]:
    return clear_each(
        path.read_bytes(),
        policies=shipped(),
        now=now,
        licensee=LICENSEE,
        provider=provider,
        media_type=media.of_extension(path.suffix),
    )


def summary(decisions: tuple[Decision, ...]) -> dict[tuple[str, str | None, str | None], int]:
    return dict(
        Counter(
            (d.outcome.value, d.provider, d.main_finding.rule_id if d.main_finding else None)
            for d in decisions
        )
    )


FILES = [path for path in sample_paths("feeds/*/*") if path.name != "PROVENANCE.md"]
needs_feeds = pytest.mark.skipif(not FEEDS.is_dir(), reason=f"real feeds not found at {FEEDS}")


@needs_feeds
def test_the_table_names_every_real_delivery() -> None:
    assert sorted(str(p.relative_to(FEEDS)) for p in FILES) == sorted(EXPECTED)


@needs_feeds
@pytest.mark.samples
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_real_delivery_gets_its_decision_item_by_item(name: str) -> None:
    # Given a real delivery, under the shipped terms, for a British editorial licensee
    decisions = decided(FEEDS / name)
    # Then each item is decided on its own, as the table says
    assert summary(decisions) == EXPECTED[name]
    # (a container such as a feed or a message numbers its items, even a lone one)
    numbered = [d.item for d in decisions]
    assert numbered == list(range(len(decisions))) or numbered == [None]
    assert len({d.input_sha256 for d in decisions}) == len(decisions)


@needs_feeds
@pytest.mark.samples
@pytest.mark.parametrize("now", [NOW, datetime(2025, 1, 23, 12, tzinfo=UTC)], ids=["now", "2025"])
def test_no_terms_forced_on_any_real_item_clear_what_must_not_be_cleared(now: datetime) -> None:
    # Given every real delivery, decided under every shipped provider's terms in turn
    cleared = total = 0
    for path in FILES:
        for provider in sorted(shipped().providers):
            for decision in decided(path, provider, now):
                total += 1
                article = decision.article or {}
                embargo = article.get("embargoed_until")
                # Then no killed item, and no item under embargo, is ever cleared
                if article.get("pub_status") == "canceled":
                    assert decision.outcome is Outcome.WITHDRAWN, (path, provider)
                if embargo and datetime.fromisoformat(embargo) > now:
                    assert decision.outcome is not Outcome.CLEARED, (path, provider)
                if decision.outcome is Outcome.CLEARED:
                    cleared += 1
                    # And no cleared copy carries envelope markup or a control character
                    assert not envelope_or_control(decision), (path, provider)
    assert total > 400
    assert cleared > 0


@needs_feeds
@pytest.mark.samples
@pytest.mark.parametrize(
    "name",
    [
        "newsml-g2/iptc_LISTING_1_news_item_embargoed.xml",
        "newsml-g2/iptc_LISTING_3_getty_photo_usageterms.xml",
        "nitf/iptc_nitf_fishing_canceled.xml",
        "newsml-g2/ap_newsmlg2_automated_insights.xml",
    ],
)
def test_a_restricted_killed_or_third_party_item_is_cleared_under_no_terms(name: str) -> None:
    # Given an item restricted to the US, a Getty picture with territorial terms, a canceled
    # story and a machine-written third party's, each forced under every provider's terms
    for provider in sorted(shipped().providers):
        for decision in decided(FEEDS / name, provider):
            # Then no terms clear it for a British licensee
            assert decision.outcome is not Outcome.CLEARED, (provider, decision.findings)
