"""One parse for the webhook and the processor: a body is refused for the same reason by both."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from clearance.decide.engine import clear
from clearance.ingest.article import ArticleError, InvalidArticleError, UnreadableError
from clearance.ingest.intake import Refusal, Request, accept
from clearance.ingest.parse import read_article
from clearance.ingest.signature import signed_headers
from clearance.terms.policy import PolicySet
from tests.conftest import DEMO_ARTICLES, NOW

SECRET = "whsec_Y2xlYXJhbmNlLWRldmVsb3BtZW50LXNlY3JldC0zMmI="


class OneSecret:
    def for_provider(self, provider: str) -> Sequence[str]:
        return [SECRET]


def webhook_answer(body: bytes, content_type: str, policies: PolicySet) -> Refusal | str:
    headers = signed_headers(SECRET, "msg_1", int(NOW.timestamp()), body)
    request = Request("menafn", {**headers, "content-type": content_type}, body)
    answer = accept(request, policies=policies, secrets=OneSecret(), now=NOW, max_body_bytes=2**21)
    return answer if isinstance(answer, Refusal) else "accepted"


UNREADABLE = {
    "NUL inside a JSON string": (b'{"uri": "urn:x:\x00", "headline": "H"}', "application/json"),
    "NUL in plain text": (b"Headline\n\nBody\x00text", "text/plain"),
    "not UTF-8": (b"Headline\n\nBody \xff\xfe", "text/plain"),
    "only a byte-order mark": ("\ufeff \n".encode(), "text/plain"),
    "NaN in JSON": (b'{"uri": "urn:x", "version": NaN}', "application/json"),
    "duplicate keys": (b'{"uri": "urn:x", "uri": "urn:y"}', "application/json"),
    "XML sent as plain text": (b'<?xml version="1.0"?>\n<newsMessage/>', "text/plain"),
    "JSON sent as plain text": (b'{"uri": "urn:x", "headline": "H"}', "text/plain"),
    "ANPA 1312 wire text": (b"\x16\x16\x01W2422\x1fasian\nHeadline\n\nBody", "text/plain"),
    "IPTC 7901 wire text": (b"\x01eca062 4 i\r\n\x02Germany\r\nBody\x03", "text/plain"),
    "a control character in text": (b"Headline\n\nBody \x1b[31m red", "text/plain"),
    "an XML root no reader claims": (b"<catalog><book/></catalog>", "application/xml"),
    "an HTML page": (b"<html><body><p>Hi</p></body></html>", "text/xml"),
    "XML that is not well-formed": (b"<nitf><head></nitf>", "application/nitf+xml"),
    "an internal DTD subset": (
        b'<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY x "y">]><nitf>&x;</nitf>',
        "application/nitf+xml",
    ),
    "XML nested past the cap": (b"<a>" * 300 + b"</a>" * 300, "application/xml"),
    "JSON declared as XML": (b'{"uri": "urn:x"}', "application/vnd.iptc.g2.newsitem+xml"),
}


@pytest.mark.parametrize(("body", "content_type"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_body_gets_the_same_reason_at_the_door_and_in_the_processor(
    policies: PolicySet, body: bytes, content_type: str
) -> None:
    # Given the one parse's reason for refusing the body
    with pytest.raises(UnreadableError) as raised:
        read_article(body, content_type, policies.disclaimer_headings)
    reason = raised.value.reason
    # When the webhook and the processor meet the same body
    refusal = webhook_answer(body, content_type, policies)
    decision = clear(body, policies=policies, now=NOW, provider="menafn", media_type=content_type)
    # Then the webhook answers 400 and the processor rejects it, both naming that reason
    assert isinstance(refusal, Refusal)
    assert (refusal.status, refusal.code) == (400, f"body.{reason}")
    assert [f.rule_id for f in decision.findings] == [f"input.{reason}"]


def test_an_invalid_article_lists_every_schema_error_to_both(policies: PolicySet) -> None:
    # Given ninjs whose fields break the article schema in two places
    body = b'{"uri": "urn:x:1", "headline": "H", "versioncreated": "yesterday", "expires": "soon"}'
    with pytest.raises(InvalidArticleError) as raised:
        read_article(body, "application/json", ())
    pointers = sorted({error.json_path for error in raised.value.errors})
    # When the webhook and the processor meet it
    refusal = webhook_answer(body, "application/json", policies)
    decision = clear(
        body, policies=policies, now=NOW, provider="menafn", media_type="application/json"
    )
    # Then both report every error, at the same places
    assert isinstance(refusal, Refusal)
    assert refusal.status == 422
    assert len(refusal.details["errors"]) == len(raised.value.errors) >= 2
    assert {f.rule_id for f in decision.findings} == {"article.schema"}
    assert len(decision.findings) == len(raised.value.errors)
    assert pointers


def test_a_readable_non_article_is_an_article_error_not_unreadable() -> None:
    with pytest.raises(ArticleError) as raised:
        read_article(b'["not", "an", "object"]', "application/json", ())
    assert not isinstance(raised.value, UnreadableError)
    assert raised.value.reason == "not-ninjs"


def test_a_demo_article_reads_the_same_with_or_without_its_media_type(policies: PolicySet) -> None:
    body = (DEMO_ARTICLES / "menafn-ports.txt").read_bytes()
    headings = policies.disclaimer_headings
    assert read_article(body, "text/plain; charset=utf-8", headings) == read_article(
        body, None, headings
    )
