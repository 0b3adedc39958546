"""Providers walled off from each other, and kills kept whenever they arrive, against moto: the
processor, the kill path and the lifecycle sweep as one container has them."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clearance.contracts import keys
from clearance.decide.engine import Decision
from clearance.ingest.intake import Answer, Request, fold_headers
from clearance.ingest.signature import signed_headers
from clearance.services.kills import Kills
from tests.conftest import dpa_article
from tests.integration.harness import Harness

AT = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
SECRETS = {
    "dpa": "whsec_ZHBhLWtpbGwtc2VjcmV0LWZvci10ZXN0cy0wMDAwMDA=",
    "ntb": "whsec_bnRiLWtpbGwtc2VjcmV0LWZvci10ZXN0cy0wMDAwMDA=",
    "tt": "whsec_dHQta2lsbC1zZWNyZXQtZm9yLXRlc3RzLTAwMDAwMDA=",
}


class Secrets:
    def for_provider(self, provider: str) -> Sequence[str]:
        return [SECRETS[provider]]


def ntb_article(uri: str, version: str = "1", **fields: Any) -> bytes:
    document = {
        "uri": uri,
        "version": version,
        "type": "text",
        "headline": "Fergeprisene øker med 3,4 prosent",
        "body_text": "Prisene på riksvegfergene økte med 3,4 prosent fra nyttår, NTB.",
        "copyrightholder": "NTB",
        "by": "Kari Nordmann, NTB",
        "versioncreated": "2026-12-06T08:00:00Z",
        **fields,
    }
    return json.dumps(document).encode()


def tt_article(uri: str) -> bytes:
    document = {
        "uri": uri,
        "version": "1",
        "type": "text",
        "headline": "Nya regler för hamnarna",
        "body_text": "Hamnarna får nya regler från årsskiftet, skriver TT.",
        "copyrightholder": "TT",
        "by": "Anna Svensson/TT",
        "versioncreated": "2026-12-06T08:00:00Z",
    }
    return json.dumps(document).encode()


@pytest.fixture
def service(harness: Harness) -> Harness:
    """The processor, the kill service and the sweep over moto, the clock at `AT`."""
    harness.now = AT
    return harness.stack().wire(clock=lambda: harness.now, articles_clock=lambda: harness.now)


def store(service: Harness, provider: str, name: str, body: bytes) -> str:
    return service.drop(f"inbound/{provider}/2026/12/06/{name}.json", body)


def process(service: Harness, key: str) -> tuple[Decision, ...]:
    return service.process(key, service.now, key)


def drop(service: Harness, provider: str, name: str, body: bytes) -> tuple[Decision, ...]:
    return process(service, store(service, provider, name, body))


def kill(
    service: Harness, provider: str, article_id: str, body: dict[str, str] | None = None
) -> Answer:
    """A kill order signed by `provider`, carried out by the kill service."""
    data = json.dumps(body).encode() if body is not None else b""
    headers = signed_headers(
        SECRETS[provider], f"kill-{len(service.sent) + 1}", int(service.now.timestamp()), data
    )
    service.sent.append(headers["webhook-signature"])
    request = Request(provider, fold_headers(headers), data)
    kills = Kills(service.articles, Secrets(), 65_536, clock=lambda: service.now)
    return kills.order(request, article_id)


def copies(service: Harness, provider: str, uri: str) -> list[str]:
    return service.copies(provider, keys.article_id(provider, uri))


def rule_ids(decisions: tuple[Decision, ...]) -> list[str]:
    return [f.rule_id for d in decisions for f in d.findings]


@pytest.mark.reliability
def test_no_provider_can_cancel_correct_claim_or_kill_anothers_article(
    service: Harness, figure: Callable[[str], None]
) -> None:
    # Given a dpa article, published with its three copies
    uri = "urn:newsml:dpa.com:20090101:261206-99-000301"
    (published,) = drop(service, "dpa", "dpa-v1", dpa_article(uri))
    assert published.outcome.value == "cleared"
    before = copies(service, "dpa", uri)
    assert len(before) == 3
    attempts: dict[str, bool] = {}
    # When NTB's own signed feed cancels it, sends a "version 2" of it, and claims it in a drop
    cancel = drop(service, "ntb", "cancel", ntb_article(uri, "2", pubstatus="canceled"))
    correct = drop(service, "ntb", "v2", ntb_article(uri, "2", headline="Rettet"))
    claim = drop(service, "ntb", "claim", ntb_article(uri))
    for kind, decisions in (("cancel", cancel), ("correction", correct), ("drop", claim)):
        # Then each is rejected on the record, naming both providers
        (finding,) = [f for d in decisions for f in d.findings if f.rule_id.startswith("tenancy")]
        assert "dpa" in finding.message
        assert "ntb" in finding.message
        attempts[kind] = all(d.outcome.value == "rejected" for d in decisions)
    # When NTB kills dpa's article by its id, and by its uri
    dpa_id = keys.article_id("dpa", uri)
    by_id = kill(service, "ntb", dpa_id)
    by_uri = kill(service, "ntb", dpa_id, {"uri": uri})
    # Then both are refused as no article of NTB's
    attempts["kill by id"] = (by_id.status, by_id.body["error"]["code"]) == (
        404,
        "article.not-found",
    )
    attempts["kill by uri"] = by_uri.status == 404
    # And dpa's copies are as they were, and NTB published nothing under that uri
    assert copies(service, "dpa", uri) == before
    assert copies(service, "ntb", uri) == []
    state = service.articles.states.get(dpa_id)
    assert state is not None
    assert state.kill is None
    assert [v.status.value for v in state.versions] == ["published"]
    # And every refused attempt is on the record, filed under the sender
    refused = [r for r in service.records() if r["provider"] == "ntb"]
    assert len(refused) == 3
    assert all(r["outcome"] == "rejected" for r in refused)
    assert all(attempts.values()), attempts
    figure(
        f"cross-provider attempts: {sum(attempts.values())} of {len(attempts)} refused "
        f"({', '.join(attempts)}); dpa's copies touched: 0 of {len(before)}"
    )


def test_a_cancel_sent_before_the_owner_delivers_blocks_nothing(service: Harness) -> None:
    # Given NTB cancelling a dpa uri before dpa has sent it
    uri = "urn:newsml:dpa.com:20090101:261206-99-000302"
    (cancel,) = drop(service, "ntb", "early", ntb_article(uri, pubstatus="canceled"))
    assert cancel.outcome.value == "rejected"
    # When dpa delivers it
    (delivered,) = drop(service, "dpa", "dpa-later", dpa_article(uri))
    # Then dpa's article is published, not killed
    assert delivered.outcome.value == "cleared"
    assert len(copies(service, "dpa", uri)) == 3


def test_the_same_uri_from_two_providers_is_two_articles(service: Harness) -> None:
    # Given a uri no provider's terms claim, delivered by TT and by NTB
    uri = "urn:shared:story:1"
    (tt,) = drop(service, "tt", "tt-1", tt_article(uri))
    (ntb,) = drop(service, "ntb", "ntb-1", ntb_article(uri))
    assert (tt.outcome.value, ntb.outcome.value) == ("cleared", "cleared")
    # When NTB cancels its own
    drop(service, "ntb", "ntb-cancel", ntb_article(uri, "2", pubstatus="canceled"))
    # Then only NTB's copies come down; TT's article is untouched
    assert copies(service, "ntb", uri) == []
    assert len(copies(service, "tt", uri)) == 3


@pytest.mark.reliability
def test_a_kill_sent_before_its_article_is_decided_is_kept_and_never_published(
    service: Harness, figure: Callable[[str], None]
) -> None:
    trials = 30
    kept = published = completed = 0
    for n in range(trials):
        # Given a dpa delivery acknowledged and queued, not yet decided
        uri = f"urn:newsml:dpa.com:20090101:261206-99-{n:06d}"
        key = store(service, "dpa", f"queued-{n}", dpa_article(uri))
        # When dpa kills it at once, naming its uri
        answer = kill(service, "dpa", keys.article_id("dpa", uri), {"uri": uri, "reason": "wrong"})
        kept += answer.status == 202
        # And the queued delivery is then decided
        (decision,) = process(service, key)
        # Then it is never published
        assert decision.outcome.value == "rejected"
        assert "article.killed" in rule_ids((decision,))
        published += len(copies(service, "dpa", uri))
    # And at the kill duty's deadline the sweep proves every kill complete
    service.now = AT + timedelta(hours=1, minutes=1)
    service.lifecycle(service.now).sweep()
    records = service.records()
    kills = [r for r in records if r["event"]["kind"] == "kill"]
    completed = sum(1 for r in records for f in r["findings"] if f["rule_id"] == "kill.complete")
    assert (kept, published) == (trials, 0)
    assert len(kills) == completed == trials
    assert all(r["article"]["uri"] and r["deadline"] for r in kills)
    figure(
        f"early kills: {kept} of {trials} kept (202 while the delivery was queued), "
        f"{published} copies published, {completed} proven complete at the deadline"
    )


def test_a_kill_for_an_unknown_article_without_its_uri_is_refused_saying_how(
    service: Harness,
) -> None:
    # Given an article id nobody has delivered
    uri = "urn:newsml:dpa.com:20090101:261206-99-999999"
    article_id = keys.article_id("dpa", uri)
    # When dpa kills it without naming the uri, or naming another uri
    bare = kill(service, "dpa", article_id)
    wrong = kill(service, "dpa", article_id, {"uri": "urn:newsml:dpa.com:20090101:other"})
    # Then both are 404s that say a kill before the article needs its uri
    for answer in (bare, wrong):
        assert answer.status == 404
        assert "name its uri" in answer.body["error"]["message"]
    assert service.articles.states.get(article_id) is None
