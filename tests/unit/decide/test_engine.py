"""Decisions a compliance officer relies on: cleared, held, rejected, withdrawn, and why."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from clearance.decide.engine import Decision, Identified, Prior, clear, identify
from clearance.decide.engine import decide as decide_once
from clearance.decide.findings import Finding, Outcome, Severity, main_finding
from clearance.decide.licensee import Licensee
from clearance.terms.policy import PolicySet
from tests.conftest import DEMO_ARTICLES, NOW, SAMPLES, needs_samples

MENAFN_DISCLAIMER = (
    "MENAFN provides the information \u201cas is\u201d without warranty of any kind. We do not "
    "accept any responsibility or liability for the accuracy, content, images, videos, licenses, "
    "completeness, legality, or reliability of the information contained in this article. If you "
    "have any complaints or copyright issues related to this article, kindly contact the provider "
    "above."
)


def decide(data: bytes, policies: PolicySet, **kwargs: Any) -> Decision:
    kwargs.setdefault("now", NOW)
    return clear(data, policies=policies, **kwargs)


def rendition(decision: Decision, name: str) -> str:
    return next(r.data.decode() for r in decision.renditions if r.name == name)


def rule_ids(decision: Decision) -> list[str]:
    return [finding.rule_id for finding in decision.findings]


def demo(name: str) -> bytes:
    return (DEMO_ARTICLES / name).read_bytes()


def test_menafn_sample_is_cleared_with_the_registered_disclaimer_verbatim(
    policies: PolicySet, menafn_sample: bytes
) -> None:
    # Given the MENAFN article exactly as syndicated
    # When it is decided
    decision = decide(menafn_sample, policies)
    # Then it is cleared under the MENAFN terms with no findings
    assert decision.outcome is Outcome.CLEARED
    assert decision.provider == "menafn"
    assert decision.findings == ()
    # And every rendition carries the credit and the disclaimer exactly
    text = rendition(decision, "text")
    assert text.startswith(
        "Biden informs Netanyahu he will not back revenge against Iran\n\n(MENAFN) "
    )
    assert text.endswith(f"Legal Disclaimer:\n{MENAFN_DISCLAIMER}\n")
    page = rendition(decision, "html")
    assert (
        "<strong>Legal Disclaimer:</strong> MENAFN provides the information \u201cas is\u201d"
        in page
    )
    cleared = json.loads(rendition(decision, "json"))
    assert cleared["clearance"]["policy"]["id"] == "menafn"
    assert cleared["clearance"]["input_sha256"] == hashlib.sha256(menafn_sample).hexdigest()
    notices = {n["id"]: n for n in cleared["clearance"]["notices"]}
    assert notices["menafn-disclaimer"] == {
        "id": "menafn-disclaimer",
        "kind": "disclaimer",
        "placement": "end",
        "heading": "Legal Disclaimer:",
        "text": MENAFN_DISCLAIMER,
        "delivered": True,
    }


def test_rendition_hashes_in_the_cleared_copy_match_the_bytes(policies: PolicySet) -> None:
    decision = decide(demo("menafn-ports.txt"), policies)
    cleared = json.loads(rendition(decision, "json"))
    for item in decision.renditions:
        if item.name != "json":
            assert cleared["clearance"]["renditions"][item.name]["sha256"] == item.sha256
            assert item.sha256 == hashlib.sha256(item.data).hexdigest()


def test_stripped_disclaimer_is_attached_and_the_finding_says_so(policies: PolicySet) -> None:
    # Given a MENAFN delivery whose Legal Disclaimer block was stripped as boilerplate
    decision = decide(demo("menafn-ports-disclaimer-stripped.txt"), policies)
    # Then it is cleared with the registered disclaimer attached, and an info finding records it
    assert decision.outcome is Outcome.CLEARED
    [finding] = decision.findings
    assert (finding.rule_id, finding.pointer, finding.severity) == (
        "notice.menafn-disclaimer",
        "/disclaimer",
        Severity.INFO,
    )
    assert "attached" in finding.message
    assert rendition(decision, "text").endswith(f"Legal Disclaimer:\n{MENAFN_DISCLAIMER}\n")


def test_altered_disclaimer_holds_the_article_and_shows_the_difference(policies: PolicySet) -> None:
    decision = decide(demo("menafn-ports-disclaimer-altered.txt"), policies)
    assert decision.outcome is Outcome.HELD
    assert decision.renditions == ()
    [finding] = decision.findings
    assert (finding.rule_id, finding.pointer, finding.severity) == (
        "notice.menafn-disclaimer",
        "/disclaimer",
        Severity.MAJOR,
    )
    assert finding.detail is not None
    assert "We [-do not-] accept" in finding.detail
    assert "responsibility [-or liability-] for the accuracy" in finding.detail


def test_rewrapped_lines_and_straight_quotes_are_not_an_alteration(policies: PolicySet) -> None:
    rewrapped = (
        MENAFN_DISCLAIMER.replace("\u201c", '"').replace("\u201d", '"').replace(". ", ".\n   ")
    )
    text = (
        demo("menafn-ports-disclaimer-stripped.txt").decode()
        + f"\nLegal Disclaimer:\n{rewrapped}\n"
    )
    decision = decide(text.encode(), policies)
    assert decision.outcome is Outcome.CLEARED
    assert decision.findings == ()
    # the registered text, not the delivered variant, is what the copy carries
    assert rendition(decision, "text").endswith(f"Legal Disclaimer:\n{MENAFN_DISCLAIMER}\n")


def test_missing_credit_is_attached_and_a_foreign_credit_is_held(policies: PolicySet) -> None:
    original = demo("menafn-ports.txt").decode()
    missing = decide(original.replace("(MENAFN) ", "").encode(), policies)
    assert missing.outcome is Outcome.CLEARED
    assert rule_ids(missing) == ["notice.menafn-credit"]
    assert "\n\n(MENAFN) Regional port operators" in rendition(missing, "text")
    foreign = decide(
        original.replace("(MENAFN)", "(Reuters)").encode(), policies, provider="menafn"
    )
    assert foreign.outcome is Outcome.HELD
    assert set(rule_ids(foreign)) == {"menafn.credit-leads", "notice.menafn-credit"}


def test_rendering_is_deterministic(policies: PolicySet) -> None:
    for name in ("menafn-ports.txt", "conversation-city-trees.json"):
        first, second = decide(demo(name), policies), decide(demo(name), policies)
        assert [r.data for r in first.renditions] == [r.data for r in second.renditions]
        assert first.renditions


def test_embargo_holds_until_it_passes(policies: PolicySet) -> None:
    data = demo("dpa-embargoed.json")
    held = decide(data, policies)
    assert held.outcome is Outcome.HELD
    assert rule_ids(held) == ["constraint.embargo"]
    assert held.findings[0].pointer == "/embargoed_until"
    later = decide(data, policies, now=NOW.replace(year=2099) + timedelta(days=1))
    assert later.outcome is Outcome.CLEARED
    assert "Copyright 2026, dpa (www.dpa.de). Alle Rechte vorbehalten" in rendition(later, "text")


def test_cancelled_article_is_withdrawn_with_the_kill_duty(policies: PolicySet) -> None:
    decision = decide(demo("ntb-kill.json"), policies)
    assert decision.outcome is Outcome.WITHDRAWN
    assert decision.provider == "ntb"
    assert decision.renditions == ()
    [finding] = decision.findings
    assert finding.rule_id == "article.withdrawn"
    assert "remove every cleared copy within 1 hour" in finding.message


def test_cc_by_nd_article_carries_title_author_source_and_licence(policies: PolicySet) -> None:
    decision = decide(demo("conversation-city-trees.json"), policies)
    assert decision.outcome is Outcome.CLEARED, decision.findings
    page = rendition(decision, "html")
    assert '<link rel="canonical" href="https://theconversation.com/why-city-trees' in page
    assert "This article by Amira Haddad, University of Leeds is republished" in page
    assert 'href="https://creativecommons.org/licenses/by-nd/4.0/"' in page
    assert "<script" not in page
    assert "track()" not in page


@pytest.mark.reliability
def test_sanitising_that_would_remove_visible_text_holds_a_no_derivatives_article(
    policies: PolicySet,
) -> None:
    document = json.loads(demo("conversation-city-trees.json"))
    document["bodies"][0]["value"] += '<svg><text x="0" y="9">Canopy cover, %</text></svg>'
    decision = decide(json.dumps(document).encode(), policies)
    assert decision.outcome is Outcome.HELD
    assert rule_ids(decision) == ["constraint.modification"]


def test_cc_article_without_author_is_rejected_naming_the_rule(policies: PolicySet) -> None:
    document = json.loads(demo("conversation-city-trees.json"))
    del document["by"]
    decision = decide(json.dumps(document).encode(), policies)
    assert decision.outcome is Outcome.REJECTED
    [finding] = [f for f in decision.findings if f.severity is Severity.CRITICAL]
    assert (finding.rule_id, finding.pointer) == ("cc.author", "/byline")
    assert "author" in finding.message


@needs_samples
def test_territory_outside_the_licence_is_rejected(policies: PolicySet) -> None:
    data = (SAMPLES / "ninjs/3.0/ntb_text.json").read_bytes()
    assert decide(data, policies, licensee=Licensee(territory="NO")).outcome is Outcome.CLEARED
    decision = decide(data, policies, licensee=Licensee(territory="US"))
    assert decision.outcome is Outcome.REJECTED
    assert rule_ids(decision) == ["constraint.territory"]


@needs_samples
def test_editorial_only_content_is_rejected_for_commercial_use(policies: PolicySet) -> None:
    data = (SAMPLES / "ninjs/3.0/ninjsExSimpleText_3.json").read_bytes()
    assert decide(data, policies).outcome is Outcome.CLEARED
    decision = decide(data, policies, licensee=Licensee(use="commercial"))
    assert decision.outcome is Outcome.REJECTED
    assert "constraint.use" in rule_ids(decision)


@needs_samples
def test_article_past_its_expiry_is_rejected(policies: PolicySet) -> None:
    data = (SAMPLES / "ninjs/3.0/tt_text_image_3.json").read_bytes()
    assert decide(data, policies, now=NOW.replace(year=2022)).outcome is Outcome.CLEARED
    decision = decide(data, policies)
    assert decision.outcome is Outcome.REJECTED
    assert rule_ids(decision) == ["constraint.expires"]


@needs_samples
def test_ap_territory_out_note_rejects_only_the_territory_it_names(policies: PolicySet) -> None:
    data = (SAMPLES / "ninjs/2.1/ap_image.json").read_bytes()
    # Given AP's real 'TURKEY OUT' editor's note, under AP's terms in force now
    in_britain = decide(data, policies, licensee=Licensee("GB"))
    in_turkey = decide(data, policies, licensee=Licensee("TR"))
    # Then a British licensee may republish it and a Turkish one may not
    assert in_britain.outcome is Outcome.CLEARED, in_britain.findings
    assert in_turkey.outcome is Outcome.REJECTED
    assert rule_ids(in_turkey) == ["feed.ap.territory-out.tr"]
    assert in_turkey.findings[0].pointer == "/ed_note"
    assert "TR" in in_turkey.findings[0].message


@needs_samples
def test_ap_territory_out_note_under_the_earlier_terms_is_held(policies: PolicySet) -> None:
    # Given a decision made while AP's 2019 terms were in force (before the 2026 version)
    decision = decide(
        (SAMPLES / "ninjs/2.1/ap_image.json").read_bytes(),
        policies,
        now=NOW.replace(year=2025),
    )
    # Then those terms govern it: a person checks the territory
    assert decision.policy is not None
    assert decision.policy.version == "2019.1"
    assert decision.outcome is Outcome.HELD
    assert rule_ids(decision) == ["ap.no-territory-restriction"]


@needs_samples
@pytest.mark.parametrize(
    ("path", "provider"),
    [
        ("menafn/000_3ffd96728f458706.txt", "menafn"),
        ("ninjs/2.1/dpa_text.json", "dpa"),
        ("ninjs/3.0/ntb_text.json", "ntb"),
        ("ninjs/3.0/tt_text_image_3.json", "tt"),
        ("ninjs/3.0/ap_image.json", "ap"),
        ("ninjs/2.1/ninjsExSimpleText_2.json", "ap"),
        ("ninjs/3.0/businesswire-newsml-20130731006140.json", "businesswire"),
        ("ninjs/2.1/businesswire-newsml-20130605006126.json", "businesswire"),
        ("ninjs/3.0/imageEncodedRights.json", None),
    ],
)
def test_provider_is_recognised_from_policy_data(
    policies: PolicySet, path: str, provider: str | None
) -> None:
    assert decide((SAMPLES / path).read_bytes(), policies).provider == provider


@needs_samples
@pytest.mark.parametrize(
    "name",
    [
        "2.1/dpa_text.json",
        "3.0/dpa_text.json",
        "2.1/ntb_text.json",
        "3.0/ntb_text.json",
        "2.1/tt_text_image_2.json",
        "3.0/tt_text_image_3.json",
        "2.1/ninjsExSimpleText_2.json",
        "3.0/ninjsExSimpleText_3.json",
        "2.1/businesswire-newsml-20130605006126.json",
        "3.0/businesswire-newsml-20130731006140.json",
    ],
)
def test_cleared_sample_copies_are_valid_ninjs_3(policies: PolicySet, name: str) -> None:
    # Given a real agency sample decided while its terms allowed it
    decision = decide((SAMPLES / "ninjs" / name).read_bytes(), policies, now=NOW.replace(year=2022))
    assert decision.outcome is Outcome.CLEARED, decision.findings
    # Then the cleared JSON, without our clearance block, is valid IPTC ninjs 3.0
    schema = json.loads((SAMPLES / "ninjs/schema/ninjs-schema_3.0.json").read_bytes())
    cleared = json.loads(rendition(decision, "json"))
    del cleared["clearance"]
    assert list(Draft202012Validator(schema).iter_errors(cleared)) == []


def test_unknown_provider_is_rejected(policies: PolicySet) -> None:
    document = {
        "uri": "urn:example:1",
        "headlines": [{"value": "Hello"}],
        "bodies": [{"value": "x"}],
    }
    decision = decide(json.dumps(document).encode(), policies)
    assert decision.outcome is Outcome.REJECTED
    assert rule_ids(decision) == ["provider.unknown"]
    claimed = decide(json.dumps(document).encode(), policies, provider="nobody")
    assert rule_ids(claimed) == ["provider.unknown"]
    assert "nobody" in claimed.findings[0].message


def test_article_delivered_under_another_providers_name_is_not_cleared(policies: PolicySet) -> None:
    decision = decide(demo("menafn-ports.txt"), policies, provider="ntb")
    assert decision.outcome is not Outcome.CLEARED
    mismatch = next(f for f in decision.findings if f.rule_id == "provider.mismatch")
    assert mismatch.message == "delivered as 'ntb' but the article carries the marks of 'menafn'"


@pytest.mark.parametrize(
    ("data", "media_type", "rule_id"),
    [
        (b"", None, "input.empty"),
        (b"   \n\t", None, "input.empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "input.binary"),
        (b"Headline\n\nBody \xff\xfe with bad bytes", None, "input.encoding"),
        (b'{"uri": "x", "uri": "y"}', None, "input.duplicate-key"),
        (b'{"uri": NaN}', None, "input.number"),
        (b"[" * 100_000, None, "input.depth"),
        (b'{"uri": ', None, "input.syntax"),
        (b'["not", "an", "object"]', None, "input.not-ninjs"),
        (b'{"headlines": []}', None, "input.missing-uri"),
        (b"Headline only\n", None, "input.no-body"),
        (b"<xml/>", "application/xml", "input.format-unsupported"),
        (b"<xml/>", "image/png", "input.media-type"),
        (b'<?xml version="1.0"?>\n<rss/>', "text/plain", "input.markup"),
        (b"\x16\x16\x01W2422\x1fasian\nHeadline\n\nBody", None, "input.format-unsupported"),
        (b"\x01eca062 4 i 211\r\n\x02Germany\r\nBody\x03", None, "input.format-unsupported"),
        (b"Headline\n\nBody with a bell \x07 in it", None, "input.control-characters"),
        (b'{"uri": "urn:x"}', "application/xml", "input.media-type"),
        (b"x" * (2 * 1024 * 1024 + 1), None, "input.size"),
    ],
)
def test_bad_input_is_rejected_with_a_finding_not_an_exception(
    policies: PolicySet, data: bytes, media_type: str | None, rule_id: str
) -> None:
    decision = decide(data, policies, media_type=media_type)
    assert decision.outcome is Outcome.REJECTED
    assert rule_ids(decision) == [rule_id]
    assert decision.findings[0].severity is Severity.CRITICAL
    assert decision.input_sha256 == hashlib.sha256(data).hexdigest()


def test_article_failing_the_article_schema_names_the_field(policies: PolicySet) -> None:
    document = {
        "uri": "urn:newsml:dpa.com:1",
        "pubStatus": "deleted",
        "headlines": [{"value": "x"}],
    }
    decision = decide(json.dumps(document).encode(), policies)
    assert decision.outcome is Outcome.REJECTED
    assert [(f.rule_id, f.pointer) for f in decision.findings] == [
        ("article.schema", "/pub_status")
    ]


@pytest.mark.parametrize(
    ("member", "value", "pointer"),
    [
        ("versionCreated", "yesterday", "/version_created"),
        ("embargoedUntil", "2026-13-01T00:00:00Z", "/embargoed_until"),
        ("expires", "2026-11-23 12:00", "/expires"),
    ],
)
def test_dates_that_are_not_rfc_3339_are_rejected(
    policies: PolicySet, member: str, value: str, pointer: str
) -> None:
    # Given a dpa article whose date is not a date-time (checked only where rfc3339-validator is)
    document = json.loads(demo("dpa-embargoed.json"))
    document[member] = value
    decision = decide(json.dumps(document).encode(), policies)
    assert decision.outcome is Outcome.REJECTED
    assert [(f.rule_id, f.pointer) for f in decision.findings] == [("article.schema", pointer)]
    assert "date-time" in decision.findings[0].message


def test_one_megabyte_article_is_cleared(policies: PolicySet) -> None:
    head, _, tail = demo("menafn-ports.txt").decode().partition("\n\nLegal Disclaimer:")
    padding = "\n\nMore reporting from the region continues here. " * 21_000
    data = f"{head}{padding}\n\nLegal Disclaimer:{tail}".encode()
    assert len(data) > 1_000_000
    decision = decide(data, policies)
    assert decision.outcome is Outcome.CLEARED
    assert rendition(decision, "text").endswith(f"{MENAFN_DISCLAIMER}\n")


def test_main_finding_is_the_most_severe_whether_live_or_read_back(policies: PolicySet) -> None:
    # Given a held article whose findings also include notes of lower severity
    decision = decide(
        demo("menafn-ports-disclaimer-altered.txt").replace(b"(MENAFN) ", b""), policies
    )
    assert [f.severity for f in decision.findings] == [Severity.INFO, Severity.MAJOR]
    # Then the decision and the stored record both name the finding that held it
    assert decision.main_finding == decision.findings[1]
    stored = [Finding.from_dict(f) for f in decision.to_dict()["findings"]]
    assert main_finding(stored) == decision.findings[1]


def test_an_article_its_provider_withdrew_is_rejected_in_the_one_decision(
    policies: PolicySet,
) -> None:
    # Given an article that would clear, and the knowledge (read first) that it was withdrawn
    data = demo("menafn-ports.txt")
    assert decide(data, policies).outcome is Outcome.CLEARED
    identified = identify(data, policies=policies, provider="menafn")
    assert isinstance(identified, Identified)
    # When it is decided with that knowledge
    decision = decide_once(identified, now=NOW, licensee=Licensee(), prior=Prior(withdrawn=True))
    # Then the decision itself is a rejection naming the kill, and nothing is rendered
    assert decision.outcome is Outcome.REJECTED
    assert rule_ids(decision)[-1] == "article.killed"
    assert decision.renditions == ()
    assert decision.cleared is None


def test_an_unreadable_delivery_is_rejected_before_its_article_is_known(
    policies: PolicySet,
) -> None:
    # When a delivery cannot be read, identification already ends in a rejection
    decision = identify(b"\x89PNG\r\n\x1a\n\x00", policies=policies)
    assert isinstance(decision, Decision)
    assert decision.outcome is Outcome.REJECTED
    assert rule_ids(decision) == ["input.binary"]
