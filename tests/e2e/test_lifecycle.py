"""A licence's life over real HTTP on the local stack: an embargo released when it passes, a
correction superseding its original, a kill with its event and proof, a reviewer's approval."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clearance.cli.main import main
from clearance.contracts import keys
from clearance.local.stack import LOCAL_REVIEWER, LocalStack
from clearance.local.usage import development_api_key
from tests.conftest import DEMO_ARTICLES, dpa_article
from tests.e2e.conftest import (
    decisions,
    deliver,
    kill,
    objects,
    request,
    wait_until,
)

JSON = "application/json"


def cleared_for(stack: LocalStack, provider: str, uri: str) -> dict[str, bytes]:
    return objects(stack, "cleared", keys.cleared_prefix(provider, keys.article_id(provider, uri)))


def events_about(stack: LocalStack, article_id: str) -> list[tuple[str, str | None]]:
    stack.collect_events()
    return [
        (event["detail-type"], event["detail"].get("reason"))
        for event in stack.published
        if event["detail"]["article_id"] == article_id
    ]


def state_of(stack: LocalStack, article_id: str) -> dict[str, Any]:
    item = stack._clients["dynamodb"].get_item(
        TableName=stack.names.state_table, Key={"pk": {"S": article_id}}
    )["Item"]
    state: dict[str, Any] = json.loads(item["state"]["S"])
    return state


def test_a_correction_supersedes_its_original_and_only_it_stays_published(
    fresh: LocalStack,
) -> None:
    uri = "urn:newsml:dpa.com:20261123:e2e-correction"
    article_id = keys.article_id("dpa", uri)
    # Given version 1 delivered and published
    assert (
        deliver(fresh, dpa_article(uri, "1"), "c-1", provider="dpa", content_type=JSON).status
        == 202
    )
    wait_until(lambda: len(cleared_for(fresh, "dpa", uri)) == 3, 20, "version 1 published")
    # When the correction, version 2, is delivered
    body = dpa_article(uri, "2", text="Korrigiert: vier Nachbarländer.")
    assert deliver(fresh, body, "c-2", provider="dpa", content_type=JSON).status == 202
    # Then only version 2's copies remain, and the publishing system heard both changes
    wait_until(
        lambda: (
            all("/v2-" in key for key in cleared_for(fresh, "dpa", uri))
            and len(cleared_for(fresh, "dpa", uri)) == 3
        ),
        20,
        "only version 2 published",
    )
    wait_until(
        lambda: ("Article Superseded", "superseded") in events_about(fresh, article_id),
        20,
        "a superseded event",
    )
    [superseded] = [r for r in decisions(fresh) if r["outcome"] == "superseded"]
    assert superseded["event"]["kind"] == "supersede"
    assert len(superseded["removed"]) == 3
    assert all("/v1-" in item["key"] for item in superseded["removed"])


def test_an_embargoed_article_is_released_when_its_embargo_passes(fresh: LocalStack) -> None:
    uri = "urn:newsml:dpa.com:20261123:e2e-embargo"
    until = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    body = dpa_article(uri, "1", embargo=until.isoformat())
    assert deliver(fresh, body, "e-1", provider="dpa", content_type=JSON).status == 202
    wait_until(
        lambda: any(r["outcome"] == "held" for r in decisions(fresh)), 20, "held for embargo"
    )
    assert cleared_for(fresh, "dpa", uri) == {}
    # When the embargo has passed and the lifecycle sweep runs
    wait_until(lambda: datetime.now(UTC) > until, 10, "the embargo passing")
    fresh.run_lifecycle()
    # Then the article is published, decided as at the embargo's end
    assert len(cleared_for(fresh, "dpa", uri)) == 3
    [released] = [r for r in decisions(fresh) if r["event"].get("timer") == "embargo"]
    assert released["outcome"] == "cleared"
    assert released["decided_at"] == until.isoformat()


def test_a_kill_removes_every_copy_with_an_event_and_a_proof(fresh: LocalStack) -> None:
    uri = "urn:newsml:dpa.com:20261123:e2e-kill"
    article_id = keys.article_id("dpa", uri)
    assert (
        deliver(fresh, dpa_article(uri, "1"), "k-1", provider="dpa", content_type=JSON).status
        == 202
    )
    wait_until(lambda: len(cleared_for(fresh, "dpa", uri)) == 3, 20, "published")
    published = cleared_for(fresh, "dpa", uri)
    # When the provider kills it through the signed API
    answer = kill(fresh, "dpa", article_id, "legal")
    # Then it is answered at once, every copy is gone and a tombstone stays
    assert answer.status == 202, answer.body
    assert answer.json["article"] == article_id
    assert cleared_for(fresh, "dpa", uri) == {}
    assert objects(fresh, "cleared", keys.tombstone_key("dpa", keys.article_id("dpa", uri)))
    # And the audit record proves which copies went, when, against the deadline
    [record] = [r for r in decisions(fresh) if r["event"]["kind"] == "kill"]
    assert {item["key"] for item in record["removed"]} == set(published)
    assert all(item["version_id"] for item in record["removed"])
    assert record["deadline"] == answer.json["deadline"]
    wait_until(
        lambda: ("Article Withdrawn", "kill") in events_about(fresh, article_id), 20, "event"
    )
    # And a later version of it is rejected, never published
    later = dpa_article(uri, "2", text="Neue Fassung.")
    assert deliver(fresh, later, "k-2", provider="dpa", content_type=JSON).status == 202
    wait_until(
        lambda: any(r["article"]["version"] == "2" for r in decisions(fresh)), 20, "v2 decided"
    )
    [second] = [r for r in decisions(fresh) if r["article"]["version"] == "2"]
    assert second["outcome"] == "rejected"
    assert "article.killed" in [f["rule_id"] for f in second["findings"]]
    assert cleared_for(fresh, "dpa", uri) == {}


def test_a_reviewer_approves_a_held_disclaimer_and_it_is_published(fresh: LocalStack) -> None:
    altered = (DEMO_ARTICLES / "menafn-ports-disclaimer-altered.txt").read_bytes()
    assert deliver(fresh, altered, "r-1").status == 202
    wait_until(lambda: any(r["outcome"] == "held" for r in decisions(fresh)), 20, "held")
    # When the reviewer lists held versions and approves it
    listed = request(f"{fresh.base_url}/v1/review", method="GET")
    assert listed.status == 200
    [held] = listed.json["held"]
    verdict = {"version": held["version"], "verdict": "approve", "reason": "wording checked"}
    url = f"{fresh.base_url}/v1/review/articles/{held['article']}"
    answer = request(url, json.dumps(verdict).encode(), {"Content-Type": JSON})
    # Then it is published with the registered disclaimer, and the verdict is on record
    assert answer.status == 200, answer.body
    assert answer.json["reviewer"] == LOCAL_REVIEWER
    text = next(v for k, v in objects(fresh, "cleared", "cleared/").items() if k.endswith(".txt"))
    assert b"We do not accept any responsibility or liability" in text
    [review] = [r for r in decisions(fresh) if r["event"]["kind"] == "review"]
    assert review["review"]["reviewer"] == LOCAL_REVIEWER
    assert review["review"]["reason"] == "wording checked"
    assert review["outcome"] == "cleared"
    assert request(f"{fresh.base_url}/v1/review", method="GET").json["held"] == []
    # And approving it again is refused: it is no longer held
    again = request(url, json.dumps(verdict).encode(), {"Content-Type": JSON})
    assert (again.status, again.json["error"]["code"]) == (409, "version.published")


def test_an_embargo_hold_cannot_be_approved(fresh: LocalStack) -> None:
    uri = "urn:newsml:dpa.com:20261123:e2e-no-approve"
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (
        deliver(
            fresh, dpa_article(uri, "1", embargo=until), "n-1", provider="dpa", content_type=JSON
        ).status
        == 202
    )
    wait_until(lambda: any(r["outcome"] == "held" for r in decisions(fresh)), 20, "held")
    url = f"{fresh.base_url}/v1/review/articles/{keys.article_id('dpa', uri)}"
    verdict = {"version": "1", "verdict": "approve", "reason": "please"}
    answer = request(url, json.dumps(verdict).encode(), {"Content-Type": JSON})
    assert (answer.status, answer.json["error"]["code"]) == (409, "hold.embargo")
    assert state_of(fresh, keys.article_id("dpa", uri))["versions"][0]["status"] == "held"


def test_a_reviewer_rejects_from_the_command_line_and_it_is_on_record(
    fresh: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    altered = (DEMO_ARTICLES / "menafn-ports-disclaimer-altered.txt").read_bytes()
    assert deliver(fresh, altered, "cli-1").status == 202
    wait_until(lambda: any(r["outcome"] == "held" for r in decisions(fresh)), 20, "held")
    # When the reviewer lists held versions and rejects the one held
    assert main(["review", "list", "--json"]) == 0
    listed = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if "held_since" in line
    ]
    [held] = [item for item in listed if "held_since" in item]
    assert main(["review", "reject", held["article"], "--reason", "altered disclaimer"]) == 0
    said = capsys.readouterr().out
    # Then the version is rejected, by the caller's own AWS identity, and nothing is published
    assert f"{held['article']} v1: rejected by arn:aws:" in said
    assert said.rstrip().endswith("now rejected")
    [review] = [r for r in decisions(fresh) if r["event"]["kind"] == "review"]
    assert review["outcome"] == "rejected"
    assert review["review"]["reviewer"].startswith("arn:aws:")
    assert objects(fresh, "cleared", "cleared/") == {}
    # And a second verdict on it is refused, saying why
    assert main(["review", "approve", held["article"], "--version", "1", "--reason", "x"]) == 1
    assert "refused (version.rejected)" in capsys.readouterr().out


def test_a_kill_for_another_providers_article_or_unsigned_changes_nothing(
    fresh: LocalStack,
) -> None:
    uri = "urn:newsml:dpa.com:20261123:e2e-kill-refused"
    article_id = keys.article_id("dpa", uri)
    assert deliver(fresh, dpa_article(uri), "kr-1", provider="dpa", content_type=JSON).status == 202
    wait_until(lambda: len(cleared_for(fresh, "dpa", uri)) == 3, 20, "published")
    # When another provider orders the kill, signed with its own secret
    other = kill(fresh, "menafn", article_id, "not ours")
    # Then it is not found for that provider
    assert (other.status, other.json["error"]["code"]) == (404, "article.not-found")
    # And an unsigned order is refused before anything is read
    url = f"{fresh.base_url}/v1/providers/dpa/articles/{article_id}/kill"
    unsigned = request(url, b"", {"Content-Type": JSON, "x-api-key": development_api_key("dpa")})
    assert unsigned.status == 401
    assert unsigned.json["error"]["code"].startswith("signature.")
    # And every copy is still published
    assert len(cleared_for(fresh, "dpa", uri)) == 3
    assert state_of(fresh, article_id)["kill"] is None
