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
    lines: list[str] = []
    uri = "urn:newsml:dpa.com:20261123:demo-nachtzuege"
    article = keys.article_id("dpa", uri)
    template = json.loads((articles / "dpa-embargoed.json").read_text())

    def dpa(version: str, text: str, embargo: str | None) -> bytes:
        document = {**template, "uri": uri, "version": version}
        document["versionCreated"] = f"2026-11-23T0{version}:00:00+00:00"
        document["bodies"] = [{**template["bodies"][0], "value": f"<p>{text}</p>"}]
        document.pop("embargoedUntil", None)
        if embargo:
            document["embargoedUntil"] = embargo
        return json.dumps(document, ensure_ascii=False).encode()

    def signed(provider: str, body: bytes, url: str, delivery: str) -> tuple[int, dict[str, Any]]:
        headers = signed_headers(stack.secrets[provider], delivery, int(time.time()), body)
        # The kill route also takes the provider's API key, as API Gateway's usage plan does.
        key = {"x-api-key": development_api_key(provider)}
        return post(url, body, {**headers, "Content-Type": JSON, **key})

    def copies() -> list[str]:
        bucket = stack.names.bucket("cleared")
        listed = stack.s3.list_objects_v2(Bucket=bucket, Prefix=keys.cleared_prefix("dpa", article))
        return sorted(item["Key"] for item in listed.get("Contents", []))

    # 1. An embargo a few seconds ahead.
    until = (datetime.now(UTC) + timedelta(seconds=EMBARGO_SECONDS)).replace(microsecond=0)
    signed(
        "dpa",
        dpa("1", "Die Bahn plant neue Nachtzüge.", until.isoformat()),
        stack.webhook_for("dpa"),
        "story-1",
    )
    _wait(lambda: _status(stack, article, "1") == "held", "the embargoed version held")
    lines.append(f"embargo    dpa {article} v1 held until {until:%H:%M:%S} UTC; nothing published")
    _wait(lambda: datetime.now(UTC) > until, "the embargo passing")
    stack.run_lifecycle()
    _wait(lambda: len(copies()) == 3, "the released version's copies")
    lines.append(
        f"           embargo passed: the sweep released v1, {len(copies())} copies published"
    )
    # 2. A correction supersedes its original.
    signed(
        "dpa", dpa("2", "Korrektur: vier Nachbarländer.", None), stack.webhook_for("dpa"), "story-2"
    )
    _wait(lambda: _status(stack, article, "1") == "superseded", "the correction superseding")
    _wait(lambda: len(copies()) == 3 and all("/v2-" in key for key in copies()), "v2's copies")
    lines.append("correction v2 published; v1 superseded and its 3 copies removed")
    # 3. A kill, with its event and proof.
    kill_url = f"{stack.base_url}/v1/providers/dpa/articles/{article}/kill"
    status, answer = signed("dpa", json.dumps({"reason": "legal"}).encode(), kill_url, "story-kill")
    _wait(lambda: not copies(), "the kill taking every copy down")
    lines.append(
        f"kill       HTTP {status}: every copy removed at once; deadline {answer.get('deadline')};"
        f" proof: clearance audit kills"
    )
    # 4. A held disclaimer approved by a named reviewer.
    altered = (articles / "menafn-ports-disclaimer-altered.txt").read_text()
    headline = altered.split("\n", 1)[0]
    body = altered.replace(headline, f"{headline}: the review", 1).encode()
    headers = signed_headers(stack.secrets["menafn"], "story-review", int(time.time()), body)
    post(
        stack.webhook_for("menafn"), body, {**headers, "Content-Type": "text/plain; charset=utf-8"}
    )
    _wait(lambda: bool(_held(stack)), "the altered disclaimer held for review")
    first = _held(stack)[0]
    lines.append(
        f"review     menafn {first['article']} v{first['version']} held: the delivered disclaimer"
        " differs from the registered text"
    )
    verdict = {"version": first["version"], "verdict": "approve", "reason": "wording agreed"}
    url = f"{stack.base_url}/v1/review/articles/{first['article']}"
    status, answer = post(url, json.dumps(verdict).encode(), {"Content-Type": JSON})
    lines.append(
        f"           HTTP {status}: approved by {answer.get('reviewer')};"
        f" now {answer.get('status')}, with the registered disclaimer"
    )
    time.sleep(1.5)
    seen = [e for e in stack.published if e["detail"]["article_id"] in (article,)]
    kinds = ", ".join(
        e["detail-type"] + (f" ({e['detail']['reason']})" if e["detail"].get("reason") else "")
        for e in seen
    )
    lines.append(f"events     on the bus for {article}: {kinds}")
    return lines


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

    with urllib.request.urlopen(f"{stack.base_url}{path}", timeout=30) as answer:  # noqa: S310
        return answer.status, json.loads(answer.read())


def _wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {WAIT_SECONDS:.0f} s: {what}")
        time.sleep(0.2)
