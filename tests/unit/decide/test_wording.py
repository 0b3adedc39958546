"""Restrictions wherever they are written: each of these once cleared; each is now held or
rejected with a finding that quotes what was read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from clearance.decide.engine import Decision, clear
from clearance.decide.findings import Outcome
from clearance.decide.licensee import Licensee
from clearance.terms.policy import PolicySet
from tests.conftest import NOW

AP_TEXT = (
    "Ports reopen after the storm\n\n"
    "{note}\n"
    "NEW YORK (AP) — Container ports along the coast reopened on Monday after the storm "
    "passed, the port authority said.\n"
)


@cache
def shipped() -> PolicySet:
    return PolicySet.load()


def ap_text(note: str, territory: str) -> Decision:
    data = AP_TEXT.format(note=note).encode()
    return clear(
        data,
        policies=shipped(),
        now=NOW,
        licensee=Licensee(territory),
        provider="ap",
        media_type="text/plain",
    )


def ninjs(provider: str, licensee: Licensee, **members: Any) -> Decision:
    document = {
        "uri": f"https://www.businesswire.com/news/home/{provider}-1/en",
        "version": "1",
        "type": "text",
        "headline": "Harbour operator reports a record quarter",
        "body_text": "ROTTERDAM--(BUSINESS WIRE)--The harbour operator reported a record quarter.",
        "versioncreated": "2026-11-20T09:00:00Z",
        **members,
    }
    return clear(
        json.dumps(document).encode(),
        policies=shipped(),
        now=NOW,
        licensee=licensee,
        provider=provider,
        media_type="application/json",
    )


def rules(decision: Decision) -> list[str]:
    return sorted(f.rule_id for f in decision.findings)


@pytest.mark.parametrize(
    "note",
    [
        "Eds: TURKEY OUT",
        "Eds: Turkey out",
        "Eds: TURKEY, GREECE OUT",
        "Eds: TURKEY\u00a0OUT",
        "Eds: NO ACCESS TURKEY",
    ],
)
def test_a_territory_an_editors_note_excludes_is_never_cleared_there(note: str) -> None:
    # Given AP plain text whose editor's note excludes Turkey, however it is spelled
    # When it is decided for a Turkish and for a British licensee
    in_turkey = ap_text(note, "TR")
    in_britain = ap_text(note, "GB")
    # Then the Turkish licensee is refused, the British one is not, and the note is quoted
    assert in_turkey.outcome is Outcome.REJECTED, in_turkey.findings
    assert in_britain.outcome is Outcome.CLEARED, in_britain.findings
    excluded = [f for f in in_turkey.findings if f.rule_id.endswith(".tr") or "-tr" in f.rule_id]
    assert excluded
    assert all(f.pointer == "/ed_note" for f in excluded)


def test_a_line_break_before_out_still_excludes_the_territory() -> None:
    # Given an editor's note broken across two lines in a ninjs item
    decision = ninjs("businesswire", Licensee("TR"), ednote="Eds: TURKEY\nOUT")
    # Then the break does not hide the exclusion
    assert decision.outcome is Outcome.REJECTED
    assert "wording.territory-out.tr" in rules(decision)


def test_usage_terms_forbidding_a_territory_and_a_use_reject_that_licensee() -> None:
    # Given Business Wire usage terms that exclude the UK and commercial use
    terms = "NO USE IN THE UK. NOT FOR COMMERCIAL USE."
    # When a UK commercial licensee, and an Irish editorial one, take it
    uk = ninjs("businesswire", Licensee("GB", "commercial"), usageterms=terms)
    ireland = ninjs("businesswire", Licensee("IE", "editorial"), usageterms=terms)
    # Then the first is refused on both counts, quoting the terms; the second is cleared
    assert uk.outcome is Outcome.REJECTED
    assert {"wording.territory-out.gb", "wording.use.commercial"} <= set(rules(uk))
    assert any("'NO USE IN THE UK.'" in f.message for f in uk.findings)
    assert ireland.outcome is Outcome.CLEARED, ireland.findings


def test_not_for_editorial_use_is_not_editorial_use() -> None:
    licensee = Licensee("GB", "editorial")
    decision = ninjs("businesswire", licensee, usageterms="NOT FOR EDITORIAL USE")
    assert decision.outcome is Outcome.REJECTED
    assert "wording.use.editorial" in rules(decision)


def test_usage_terms_nobody_can_read_hold_the_article_quoting_them() -> None:
    # Given usage terms in words no reading understands
    terms = "Use only with the written agreement of the issuer"
    decision = ninjs("businesswire", Licensee("GB"), usageterms=terms)
    # Then a person must read them
    assert decision.outcome is Outcome.HELD
    (unknown,) = [f for f in decision.findings if f.rule_id == "wording.unknown"]
    assert unknown.pointer == "/usage_terms"
    assert "'Use only with the written agreement of the issuer'" in unknown.message


def test_an_editors_note_without_words_of_restriction_is_chatter() -> None:
    decision = ninjs("businesswire", Licensee("GB"), ednote="Eds: Adds full-year results.")
    assert decision.outcome is Outcome.CLEARED, decision.findings


@pytest.mark.parametrize(
    ("note", "rule_id"),
    [
        ("Eds: KILL this story, it is wrong", "wording.kill"),
        ("STRICTLY EMBARGOED until the minister speaks", "wording.embargo"),
    ],
)
def test_a_kill_or_an_embargo_in_words_alone_holds_the_article(note: str, rule_id: str) -> None:
    decision = ninjs("businesswire", Licensee("GB"), ednote=note)
    assert decision.outcome is Outcome.HELD
    assert rule_id in rules(decision)


def test_an_articles_own_past_expiry_rejects_it_whatever_the_terms_say() -> None:
    # Given an item that expired in 2020, under terms that never mention expiry
    decision = ninjs("businesswire", Licensee("GB"), expires="2020-01-01T00:00:00Z")
    # Then it is not republished
    assert decision.outcome is Outcome.REJECTED
    assert "constraint.expires" in rules(decision)


def test_a_lower_case_rfc_3339_time_is_read_not_crashed_on() -> None:
    # Given an embargo written with a lower-case t and z
    decision = ninjs("businesswire", Licensee("GB"), embargoed="2099-01-01t00:00:00z")
    # Then it is an embargo like any other, released at its time
    assert decision.outcome is Outcome.HELD
    assert decision.release_at == datetime(2099, 1, 1, tzinfo=UTC)


def test_a_picture_inside_the_body_is_left_out_unless_the_licence_covers_it() -> None:
    # Given a body that carries another agency's picture
    body = '<p>The quarter was a record.</p><img src="https://images.example/getty/123.jpg">'
    decision = ninjs("businesswire", Licensee("GB"), body_html=body, body_text=None)
    # Then the copy is cleared without it, and the finding says so
    assert decision.outcome is Outcome.CLEARED, decision.findings
    assert "body.image-dropped" in rules(decision)
    html = next(r.data for r in decision.renditions if r.name == "html").decode()
    assert "images.example/getty/123.jpg" not in html
    assert "The quarter was a record." in html


def test_a_picture_that_names_no_rights_holder_is_not_carried_as_covered() -> None:
    picture = {"type": "picture", "uri": "https://images.example/p/1.jpg", "headline": "Quay"}
    decision = ninjs("businesswire", Licensee("GB"), associations={"featureimage": picture})
    assert decision.outcome is Outcome.CLEARED, decision.findings
    (dropped,) = [f for f in decision.findings if f.rule_id == "association.dropped"]
    assert "names no rights holder" in dropped.message
    assert decision.cleared is not None
    assert "associations" not in decision.cleared


MENAFN_ALTERED = (
    "Ports of the Gulf expand\n\n"
    "(MENAFN) The ports of the Gulf expanded their capacity this year, officials said.\n\n"
    "Disclaimer:\nMENAFN provides the information as is. We accept no responsibility.\n"
)


def test_an_altered_disclaimer_under_a_plain_heading_is_held_not_published_twice() -> None:
    # Given a MENAFN article whose disclaimer is altered and headed "Disclaimer:"
    decision = clear(
        MENAFN_ALTERED.encode(),
        policies=shipped(),
        now=NOW,
        provider="menafn",
        media_type="text/plain",
    )
    # Then it is read as the disclaimer, found altered, and held; the body does not carry it
    assert decision.outcome is Outcome.HELD, decision.findings
    assert decision.article is not None
    assert "We accept no responsibility" not in (decision.article["body_text"] or "")
    assert decision.article["disclaimer"] == (
        "MENAFN provides the information as is. We accept no responsibility."
    )


GBR_PROHIBITED = json.dumps(
    {
        "@context": "http://www.w3.org/ns/odrl.jsonld",
        "@type": "Set",
        "uid": "https://www.businesswire.com/policy/1",
        "prohibition": [
            {
                "action": "distribute",
                "constraint": [{"leftOperand": "spatial", "operator": "eq", "rightOperand": "GBR"}],
            }
        ],
    }
)


@pytest.mark.parametrize(
    "rights",
    [
        {"encodedrights": GBR_PROHIBITED},
        [{"encodedrights": GBR_PROHIBITED}],
        GBR_PROHIBITED,
    ],
    ids=["object", "array", "string"],
)
def test_rights_in_any_shape_are_never_ignored(rights: object) -> None:
    # Given an ODRL prohibition on distribution in GBR, as an object, an array or a string
    decision = ninjs("businesswire", Licensee("GB"), rightsinfo=rights)
    # Then a British licensee is never cleared: refused, or held for a person to read it
    assert decision.outcome is not Outcome.CLEARED, decision.findings


def test_a_cancel_in_the_other_spelling_is_still_a_kill() -> None:
    # Given a ninjs 3.x document carrying the 2.x `pubstatus: canceled`
    decision = ninjs("businesswire", Licensee("GB"), pubStatus="usable", pubstatus="canceled")
    # Then it is a kill
    assert decision.outcome is Outcome.WITHDRAWN
