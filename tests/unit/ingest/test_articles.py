"""Reading deliveries: ninjs 2.x and 3.x and provider plain text into one article shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest

from clearance.contracts.schemas import validator_for
from clearance.ingest.article import ArticleError, dateline_credit
from clearance.ingest.ninjs import parse_ninjs
from clearance.ingest.plaintext import parse_plain_text
from tests.conftest import DEMO_ARTICLES, SAMPLES, needs_samples, sample_paths

HEADINGS = ("Legal Disclaimer:",)


@needs_samples
@pytest.mark.parametrize(
    "path", sample_paths("ninjs/[0-9]*/*.json"), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_every_ninjs_sample_normalises_to_a_valid_article(path: Path) -> None:
    # Given a real agency's ninjs document
    document = json.loads(path.read_bytes())
    # When it is normalised
    article = parse_ninjs(document)
    # Then the article passes the article schema and keeps its identity and headline
    errors = validator_for("article.schema.json").iter_errors(cast("dict[str, Any]", article))
    assert list(errors) == []
    assert article["uri"] == document["uri"]
    assert article["headline"]
    assert article["format"] == ("ninjs-3" if path.parent.name.startswith("3") else "ninjs-2")


@needs_samples
@pytest.mark.parametrize("name", ["dpa_text", "ntb_text", "ap_image"])
def test_ninjs_2_and_3_of_the_same_item_normalise_alike(name: str) -> None:
    # Given the same item in ninjs 2.1 (lowercase) and 3.0 (camelCase)
    old = parse_ninjs(json.loads((SAMPLES / "ninjs" / "2.1" / f"{name}.json").read_bytes()))
    new = parse_ninjs(json.loads((SAMPLES / "ninjs" / "3.0" / f"{name}.json").read_bytes()))
    # Then only the recorded format differs
    assert {**old, "format": None} == {**new, "format": None}


@needs_samples
def test_dpa_sample_keeps_what_compliance_needs() -> None:
    article = parse_ninjs(json.loads((SAMPLES / "ninjs/3.0/dpa_text.json").read_bytes()))
    assert article["copyright_holder"] == "dpa"
    assert (
        article["copyright_notice"] == "Copyright 2019, dpa (www.dpa.de). Alle Rechte vorbehalten"
    )
    assert article["byline"] == "Von Christian Hollmann, dpa"
    assert article["version"] == "2"
    assert article["body_html"] is not None
    assert article["body_html"].startswith("<section")
    assert article["pub_status"] == "usable"


@needs_samples
def test_ap_sample_keeps_usage_terms_credit_line_and_editors_note() -> None:
    article = parse_ninjs(json.loads((SAMPLES / "ninjs/2.1/ap_image.json").read_bytes()))
    assert article["usage_terms"] is not None
    assert "editorial use only" in article["usage_terms"]
    assert article["credit_line"] == "ASSOCIATED PRESS"
    assert article["ed_note"] is not None
    assert "TURKEY OUT" in article["ed_note"]
    assert article["info_sources"] == ["DHA"]
    # an API address with a query string is not a link to show readers
    assert article["source_url"] is None


@needs_samples
def test_menafn_sample_splits_headline_body_credit_and_disclaimer(menafn_sample: bytes) -> None:
    article = parse_plain_text(menafn_sample.decode(), HEADINGS)
    assert article["headline"] == "Biden informs Netanyahu he will not back revenge against Iran"
    assert article["dateline_credit"] == "(MENAFN)"
    assert article["body_text"] is not None
    assert article["body_text"].startswith("(MENAFN) In a recent development")
    assert "Legal Disclaimer" not in article["body_text"]
    assert article["disclaimer"] is not None
    assert article["disclaimer"].startswith("MENAFN provides the information \u201cas is\u201d")
    assert article["disclaimer"].endswith("kindly contact the provider above.")


def test_plain_text_identity_is_stable_across_line_endings_and_disclaimer_changes() -> None:
    text = (DEMO_ARTICLES / "menafn-ports.txt").read_text()
    altered = (DEMO_ARTICLES / "menafn-ports-disclaimer-altered.txt").read_text()
    unix = parse_plain_text(text, HEADINGS)
    windows = parse_plain_text(text.replace("\n", "\r\n"), HEADINGS)
    assert unix == windows
    assert parse_plain_text(altered, HEADINGS)["uri"] == unix["uri"]


def test_disclaimer_heading_with_text_on_the_same_line_is_recognised() -> None:
    article = parse_plain_text("Title\n\n(MENAFN) Body.\n\nLegal Disclaimer: All as is.", HEADINGS)
    assert article["body_text"] == "(MENAFN) Body."
    assert article["disclaimer"] == "All as is."


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("  \n\n \t", "empty"), ("Only a headline\n\n", "no-body")],
)
def test_plain_text_without_an_article_is_refused(text: str, reason: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_plain_text(text, HEADINGS)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("document", "reason", "pointer"),
    [
        ([], "not-ninjs", ""),
        ({"headlines": []}, "missing-uri", "/uri"),
        ({"uri": "   "}, "missing-uri", "/uri"),
        ({"uri": "urn:x", "version": True}, "bad-version", "/version"),
        ({"uri": "urn:x", "version": {"n": 1}}, "bad-version", "/version"),
    ],
)
def test_ninjs_without_identity_is_refused_with_a_pointer(
    document: object, reason: str, pointer: str
) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_ninjs(document)
    assert (caught.value.reason, caught.value.pointer) == (reason, pointer)


@pytest.mark.parametrize(
    ("body", "credit"),
    [
        ("(MENAFN) In a recent development", "(MENAFN)"),
        ("GROSSETO, Italy (AP) -- The trial", "(AP)"),
        ("\n      (美國商業資訊)--為透明", "(美國商業資訊)"),
        ("The minister (who spoke briefly) said", None),
        ("No credit here.", None),
        ("", None),
    ],
)
def test_dateline_credit_is_the_parenthesised_credit_opening_the_body(
    body: str, credit: str | None
) -> None:
    assert dateline_credit(body) == credit
