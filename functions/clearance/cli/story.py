"""The life of a licence, shown on the local stack after the demo's deliveries: an embargo
released when it passes, a correction superseding its original, a kill with its event and its
proof, and a held disclaimer approved by a named reviewer."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clearance.contracts import keys
from clearance.ingest.signature import signed_headers
from clearance.local.stack import LocalStack
from clearance.local.usage import development_api_key

EMBARGO_SECONDS = 4
WAIT_SECONDS = 30.0
JSON = "application/json"


def tell(
    stack: LocalStack, articles: Path, post: Callable[..., tuple[int, dict[str, Any]]]
) -> list[str]:
    """Run the four episodes against `stack`; one line for each thing a user would see."""
    story = _Story(stack, articles, post)
    return [*story.embargo(), *story.correction(), *story.kill(), *story.review(), story.events()]


class _Story:
    """One dpa article told through its life, and a MENAFN delivery held for review."""

    def __init__(
        self, stack: LocalStack, articles: Path, post: Callable[..., tuple[int, dict[str, Any]]]
    ) -> None:
        self.stack = stack
        self.articles = articles
        self.post = post
        self.uri = "urn:newsml:dpa.com:20261123:demo-nachtzuege"
        self.article = keys.article_id("dpa", self.uri)
        self.template = json.loads((articles / "dpa-embargoed.json").read_text())

    def dpa(self, version: str, text: str, embargo: str | None) -> bytes:
        document = {**self.template, "uri": self.uri, "version": version}
        document["versionCreated"] = f"2026-11-23T0{version}:00:00+00:00"
        document["bodies"] = [{**self.template["bodies"][0], "value": f"<p>{text}</p>"}]
        document.pop("embargoedUntil", None)
        if embargo:
            document["embargoedUntil"] = embargo
        return json.dumps(document, ensure_ascii=False).encode()

    def signed(
        self, provider: str, body: bytes, url: str, delivery: str
    ) -> tuple[int, dict[str, Any]]:
        headers = signed_headers(self.stack.secrets[provider], delivery, int(time.time()), body)
        # The kill route also takes the provider's API key, as API Gateway's usage plan does.
        key = {"x-api-key": development_api_key(provider)}
        return self.post(url, body, {**headers, "Content-Type": JSON, **key})

    def copies(self) -> list[str]:
        bucket = self.stack.names.bucket("cleared")
        prefix = keys.cleared_prefix("dpa", self.article)
        listed = self.stack.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def embargo(self) -> list[str]:
        """1. An embargo a few seconds ahead."""
        stack, article = self.stack, self.article
        until = (datetime.now(UTC) + timedelta(seconds=EMBARGO_SECONDS)).replace(microsecond=0)
        body = self.dpa("1", "Die Bahn plant neue Nachtzüge.", until.isoformat())
        self.signed("dpa", body, stack.webhook_for("dpa"), "story-1")
        _wait(lambda: _status(stack, article, "1") == "held", "the embargoed version held")
        held = f"embargo    dpa {article} v1 held until {until:%H:%M:%S} UTC; nothing published"
        _wait(lambda: datetime.now(UTC) > until, "the embargo passing")
        stack.run_lifecycle()
        _wait(lambda: len(self.copies()) == 3, "the released version's copies")
        released = len(self.copies())
        return [
            held,
            f"           embargo passed: the sweep released v1, {released} copies published",
        ]

    def correction(self) -> list[str]:
        """2. A correction supersedes its original."""
        body = self.dpa("2", "Korrektur: vier Nachbarländer.", None)
        self.signed("dpa", body, self.stack.webhook_for("dpa"), "story-2")
        _wait(
            lambda: _status(self.stack, self.article, "1") == "superseded",
            "the correction superseding",
        )
        _wait(
            lambda: len(self.copies()) == 3 and all("/v2-" in key for key in self.copies()),
            "v2's copies",
        )
        return ["correction v2 published; v1 superseded and its 3 copies removed"]

    def kill(self) -> list[str]:
        """3. A kill, with its event and proof."""
        url = f"{self.stack.base_url}/v1/providers/dpa/articles/{self.article}/kill"
        status, answer = self.signed(
            "dpa", json.dumps({"reason": "legal"}).encode(), url, "story-kill"
        )
        _wait(lambda: not self.copies(), "the kill taking every copy down")
        return [
            f"kill       HTTP {status}: every copy removed at once; deadline"
            f" {answer.get('deadline')}; proof: clearance audit kills"
        ]

    def review(self) -> list[str]:
        """4. A held disclaimer approved by a named reviewer, and one left for the console."""
        stack = self.stack
        altered = (self.articles / "menafn-ports-disclaimer-altered.txt").read_text()
        headline = altered.split("\n", 1)[0]
        text = {"Content-Type": "text/plain; charset=utf-8"}
        for suffix in ("the review", "at the desk"):
            body = altered.replace(headline, f"{headline}: {suffix}", 1).encode()
            headers = signed_headers(
                stack.secrets["menafn"], f"story-{suffix.replace(' ', '-')}", int(time.time()), body
            )
            self.post(stack.webhook_for("menafn"), body, {**headers, **text})
        _wait(lambda: len(_held(stack)) >= 2, "the altered disclaimers held for review")
        by_headline = {item["headline"]: item for item in _held(stack)}
        first, desk = (
            by_headline[f"{headline}: the review"],
            by_headline[f"{headline}: at the desk"],
        )
        held = (
            f"review     menafn {first['article']} v{first['version']} held: the delivered"
            " disclaimer differs from the registered text"
        )
        verdict = {"version": first["version"], "verdict": "approve", "reason": "wording agreed"}
        url = f"{stack.base_url}/v1/review/articles/{first['article']}"
        status, answer = self.post(url, json.dumps(verdict).encode(), {"Content-Type": JSON})
        approved = (
            f"           HTTP {status}: approved by {answer.get('reviewer')};"
            f" now {answer.get('status')}, with the registered disclaimer"
        )
        left = (
            f"           menafn {desk['article']} v{desk['version']} ({desk['headline']!r})"
            " left held for a person at the console"
        )
        return [held, approved, left]

    def events(self) -> str:
        """What the bus carried for the dpa article, once the last events have arrived."""
        time.sleep(1.5)
        seen = [e for e in self.stack.published if e["detail"]["article_id"] in (self.article,)]
        kinds = ", ".join(
            e["detail-type"] + (f" ({e['detail']['reason']})" if e["detail"].get("reason") else "")
            for e in seen
        )
        return f"events     on the bus for {self.article}: {kinds}"


def _held(stack: LocalStack) -> list[dict[str, Any]]:
    _, listed = _get(stack, "/v1/review")
    return [item for item in listed.get("held", []) if item["provider"] == "menafn"]


def _status(stack: LocalStack, article: str, version: str) -> str | None:
    item = (
        stack._clients["dynamodb"]
        .get_item(
            TableName=stack.names.state_table, Key={"pk": {"S": article}}, ConsistentRead=True
        )
        .get("Item")
    )
    if item is None:
        return None
    state = json.loads(item["state"]["S"])
    return next((v["status"] for v in state["versions"] if v["version"] == version), None)


def _get(stack: LocalStack, path: str) -> tuple[int, dict[str, Any]]:
    import urllib.request  # noqa: PLC0415 - only the demo reads the review list

    with urllib.request.urlopen(f"{stack.base_url}{path}", timeout=30) as answer:  # noqa: S310 - the local stack's own http URL
        return answer.status, json.loads(answer.read())


def _wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {WAIT_SECONDS:.0f} s: {what}")
        time.sleep(0.2)
