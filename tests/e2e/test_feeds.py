"""Feeds the licensee pulls, over the local stack: subscribed with `clearance feeds`, served over
HTTP on loopback, polled by the deployed poller's handler, and decided like any delivery."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from clearance.cli.main import main
from clearance.local.feedserver import FeedServer
from clearance.local.stack import LocalStack
from tests.conftest import DEMO_ARTICLES
from tests.e2e.conftest import decisions, objects, settled, wait_until

FEED = (DEMO_ARTICLES / "conversation-health.atom").read_text(encoding="utf-8")
CHANGED = FEED.replace(
    "<updated>2026-12-01T09:30:00Z</updated>", "<updated>2026-12-02T08:00:00Z</updated>", 1
)
PULLED = "inbound/the-conversation/pulled/"


def clearance(*argv: str) -> tuple[int, str]:
    """The command line, in this process (its environment is the local stack's)."""
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(list(argv))
    return status, out.getvalue()


@pytest.fixture
def feeds(tmp_path: Path) -> Iterator[tuple[FeedServer, Path]]:
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "health.atom").write_text(FEED, encoding="utf-8")
    with FeedServer(folder) as server:
        yield server, folder


def test_a_subscribed_feed_is_decided_once_its_change_supersedes_and_a_restart_keeps_its_cursor(
    feeds: tuple[FeedServer, Path], tmp_path: Path
) -> None:
    server, folder = feeds
    data = tmp_path / "state"
    with LocalStack(data=data, feed_seconds=3600) as stack:
        # Given The Conversation's health feed subscribed with the command line
        status, said = clearance(
            "feeds", "add", "conversation-health", "--provider", "the-conversation",
            "--url", server.url("health.atom"), "--format", "atom", "--every", "60s",
        )  # fmt: skip
        assert status == 0, said
        # When the poller runs
        first = stack.run_feeds("conversation-health")
        # Then both entries are stored once and decided: cleared, with the pixel kept
        assert (first["stored"], first["failed"]) == (2, 0)
        settled(stack, 2)
        cleared = [d for d in decisions(stack) if d["outcome"] == "cleared"]
        assert len(cleared) == 2
        html = [v for k, v in objects(stack, "cleared").items() if k.endswith(".html")]
        assert all(b"counter.theconversation.com" in page for page in html)
        # When one entry changes at the provider, and the feed is polled again
        (folder / "health.atom").write_text(CHANGED, encoding="utf-8")
        second = stack.run_feeds("conversation-health")
        # Then only the changed entry is stored, and its new version supersedes the first
        assert second["stored"] == 1
        settled(stack, 4)
        outcomes = sorted(d["outcome"] for d in decisions(stack))
        assert outcomes == ["cleared", "cleared", "cleared", "superseded"]
        # When it is polled once more with nothing new
        third = stack.run_feeds("conversation-health")
        # Then the provider answered 304 and nothing was stored
        assert (third["polls"][0]["result"], third["stored"]) == ("not-modified", 0)
        assert server.requests[-1][1] == 304
        stored = objects(stack, "inbound", PULLED)
        assert len(stored) == 3
    # When the stack is stopped and started again on the same data
    with LocalStack(data=data, feed_seconds=3600) as again:
        # Then the subscription and its cursor are back: the next poll is a 304, nothing twice
        status, listed = clearance("feeds", "list")
        assert status == 0
        assert "conversation-health" in listed
        assert "not-modified" in listed
        after = again.run_feeds("conversation-health")
        assert (after["polls"][0]["result"], after["stored"]) == ("not-modified", 0)
        assert len(objects(again, "inbound", PULLED)) == 3
        listed_versions = again.s3.list_object_versions(
            Bucket=again.names.bucket("inbound"), Prefix=PULLED
        )
        assert len(listed_versions.get("Versions", [])) == 3
        assert len(decisions(again)) == 4


def test_a_feed_that_fails_is_recorded_on_its_subscription_while_the_others_are_delivered(
    feeds: tuple[FeedServer, Path],
) -> None:
    server, _ = feeds
    with LocalStack(feed_seconds=3600) as stack:
        # Given a working subscription, one whose file is missing (404), and one on a
        # host that is not loopback over plain http
        for name, url in (
            ("health", server.url("health.atom")),
            ("missing", server.url("gone.atom")),
        ):
            status, said = clearance(
                "feeds", "add", name, "--provider", "the-conversation", "--url", url,
                "--format", "atom",
            )  # fmt: skip
            assert status == 0, said
        refused, said = clearance(
            "feeds", "add", "plain", "--provider", "the-conversation",
            "--url", "http://feeds.example.org/health.atom", "--format", "atom",
        )  # fmt: skip
        assert refused == 2
        assert "--url: url.scheme" in said
        # When the scheduled poller runs
        ran = stack.run_feeds()
        # Then the working feed is delivered and the failing one recorded with its reason
        by_name = {p["subscription"]: p for p in ran["polls"]}
        assert by_name["health"]["stored"] == 2
        assert by_name["missing"]["result"] == "failed"
        assert by_name["missing"]["error"] == "response.status: the feed answered 404 Not Found"
        status, shown = clearance("feeds", "show", "missing")
        health = json.loads(shown)["health"]
        assert health["consecutive_failures"] == 1
        assert health["last_error"].startswith("response.status")
        # And a paused subscription is left alone until resumed
        assert clearance("feeds", "pause", "health")[0] == 0
        assert stack.run_feeds("health")["polled"] == 0
        assert clearance("feeds", "resume", "health")[0] == 0
        assert clearance("feeds", "remove", "missing")[0] == 0
        assert clearance("feeds", "show", "missing")[0] == 1
        wait_until(lambda: stack.queue_depth() == 0, 20, "the two entries decided")
