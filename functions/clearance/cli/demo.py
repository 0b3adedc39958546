"""`make demo`: every sample article through the whole service on this machine.

Starts a `LocalStack` on free ports, delivers each article as a provider would (a signed
webhook POST over real HTTP, or a file dropped into the inbound bucket), waits for the
decisions to reach the audit bucket, prints them, exports the cleared copies, and stops.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from clearance.cli import feedstory, story
from clearance.contracts import media
from clearance.contracts.keys import CLEARED, DECISIONS, INBOUND
from clearance.contracts.vocabulary import FEED, EventKind
from clearance.decide.findings import Finding, main_finding
from clearance.ingest.article import ArticleError
from clearance.ingest.parse import read_delivery
from clearance.ingest.signature import signed_headers
from clearance.local.stack import DEV_SECRET, LocalStack, StackError

PROJECT = Path(__file__).resolve().parents[3]
WAIT_SECONDS = 40.0
SERVE_API = "http://127.0.0.1:8080"
SERVE_ENDPOINT = "http://127.0.0.1:5000"
CLI_ENVIRONMENT = (
    f"AWS_ENDPOINT_URL={SERVE_ENDPOINT} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local"
    " AWS_DEFAULT_REGION=us-east-1"
)
PROVIDER_PREFIXES = {
    "ap": "ap",
    "businesswire": "businesswire",
    "conversation": "the-conversation",
    "dpa": "dpa",
    "menafn": "menafn",
    "ntb": "ntb",
    "tt": "tt",
}
"""A sender knows who it is: file-name prefixes name the provider; others are dropped unnamed."""


@dataclass(frozen=True)
class Delivery:
    label: str
    via: str
    data: bytes
    provider: str | None
    media_type: str
    signed: bytes | None = None
    """What the sender signed, where the body was altered after signing."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def items(self) -> tuple[str, ...]:
        """The SHA-256 of each item the delivery holds, as its decision records name them."""
        try:
            return tuple(item.sha256 for item in read_delivery(self.data, self.media_type, ()))
        except ArticleError:
            return (self.sha256,)


@dataclass(frozen=True)
class Sent:
    delivery: Delivery
    status: int | None
    answer: dict[str, Any]

    @property
    def expects_decision(self) -> bool:
        return self.delivery.via == "file" or self.status == 202


def provider_of(path: Path) -> str | None:
    prefix = path.name.replace("-", "_").split("_", 1)[0].lower()
    return PROVIDER_PREFIXES.get(prefix)


def deliveries(samples: Path) -> tuple[list[Delivery], list[str]]:
    """What the demo sends, in order, and notes on anything skipped."""
    notes: list[str] = []
    articles = PROJECT / "events" / "articles"
    menafn = samples / "menafn" / "000_3ffd96728f458706.txt"
    if not samples.is_dir():
        notes.append(f"shared samples not found at {samples}: only the project's articles are sent")
    elif not menafn.is_file():
        notes.append(f"MENAFN sample not found at {menafn}")
    if not menafn.is_file():
        menafn = articles / "menafn-ports.txt"
    found = [_webhook(menafn, "menafn"), _drop(menafn, "menafn")]
    for path in sorted(articles.glob("*.*")):
        if path == menafn:
            continue
        provider = provider_of(path)
        found.append(_webhook(path) if provider else _drop(path))
    if samples.is_dir():
        for version in ("2.1", "3.0"):
            for path in sorted((samples / "ninjs" / version).glob("*.json")):
                found.append(_webhook(path) if provider_of(path) else _drop(path))
    original = _webhook(menafn, "menafn")
    altered = original.data.replace(b"(MENAFN) ", b"(MENAFN) EXCLUSIVE: ", 1)
    if altered == original.data:
        altered += b" "
    found.append(
        Delivery(original.label, "webhook", altered, "menafn", original.media_type, original.data)
    )
    return found, notes


def _label(path: Path) -> str:
    """The path a reader recognises: under the samples folder, or under the project."""
    for base in (_samples_root(path), PROJECT):
        if base is not None and path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return path.as_posix()


def _samples_root(path: Path) -> Path | None:
    for parent in path.parents:
        if parent.name == "samples":
            return parent
    return None


def _webhook(path: Path, provider: str | None = None) -> Delivery:
    media_type = media.of_extension(path.suffix) or media.JSON
    sender = provider or provider_of(path)
    return Delivery(_label(path), "webhook", path.read_bytes(), sender, media_type)


def _drop(path: Path, provider: str | None = None) -> Delivery:
    media_type = media.of_extension(path.suffix) or "application/octet-stream"
    sender = provider or provider_of(path)
    return Delivery(_label(path), "file", path.read_bytes(), sender, media_type)


def send(stack: LocalStack, delivery: Delivery, number: int) -> Sent:
    """One delivery: a signed POST (signed before any tampering), or a put into inbound/."""
    name = delivery.label.rsplit("/", 1)[-1]
    if delivery.via == "file":
        folder = f"{INBOUND}{delivery.provider}/" if delivery.provider else INBOUND
        stack.s3.put_object(
            Bucket=stack.names.bucket("inbound"),
            Key=f"{folder}{number:03d}-{name}",
            Body=delivery.data,
            ContentType=delivery.media_type,
        )
        return Sent(delivery, None, {})
    provider = delivery.provider or "unknown"
    headers = signed_headers(
        stack.secrets.get(provider, DEV_SECRET),
        f"demo-{number:03d}-{delivery.sha256[:12]}",
        int(time.time()),
        delivery.data if delivery.signed is None else delivery.signed,
    )
    headers["Content-Type"] = delivery.media_type
    status, answer = post(stack.webhook_for(provider), delivery.data, headers)
    return Sent(delivery, status, answer)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """One HTTP POST; the status and the JSON answer."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        answer = json.loads(data) if data else {}
    except ValueError:
        answer = {"error": {"code": "not-json", "message": data[:200].decode(errors="replace")}}
    return response.status, answer if isinstance(answer, dict) else {}


def decisions(stack: LocalStack) -> dict[str, dict[str, Any]]:
    """The record of each delivery's decision, by the SHA-256 of the input it decided."""
    bucket = stack.names.bucket("audit")
    found: dict[str, dict[str, Any]] = {}
    pages = stack.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=DECISIONS)
    for page in pages:
        for item in page.get("Contents", []):
            body = stack.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            record = json.loads(body)
            event = record.get("event") or {"kind": EventKind.DELIVERY}
            if event["kind"] == EventKind.DELIVERY or event.get("by") == FEED:
                found.setdefault(record["source"]["sha256"], record)
    return found


def decision_count(stack: LocalStack) -> int:
    pages = stack.s3.get_paginator("list_objects_v2").paginate(
        Bucket=stack.names.bucket("audit"), Prefix=DECISIONS
    )
    return sum(page.get("KeyCount", 0) for page in pages)


def wait_for(stack: LocalStack, expected: int, timeout: float) -> int:
    """Poll the audit bucket until `expected` decisions are in, showing progress."""
    deadline = time.monotonic() + timeout
    tty = sys.stdout.isatty()
    shown = -1
    count = 0
    while True:
        count = decision_count(stack)
        if count != shown:
            line = f"processed {count}/{expected}"
            print(f"\r{line}" if tty else line, end="" if tty else "\n", flush=True)
            shown = count
        if count >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if tty:
        print()
    return count


def main_finding_text(record: dict[str, Any]) -> str:
    first = main_finding(Finding.from_dict(f) for f in record.get("findings") or [])
    return f"{first.rule_id}: {first.message}" if first else ""


def table(sent: Sequence[Sent], records: dict[str, dict[str, Any]]) -> list[str]:
    rows = [("via", "provider", "article", "outcome", "main finding")]
    for item in sent:
        delivery = item.delivery
        via = delivery.via + (" (altered after signing)" if delivery.signed else "")
        if not item.expects_decision:
            error = item.answer.get("error", {})
            provider = delivery.provider or "-"
            finding = f"{error.get('code', '')}: {error.get('message', '')}"
            rows.append((via, provider, delivery.label, f"HTTP {item.status}", finding))
            continue
        shas = delivery.items
        for number, sha in enumerate(shas):
            record = records.get(sha)
            provider = (record or {}).get("provider") or delivery.provider or "-"
            outcome = record["outcome"] if record else "(no decision yet)"
            finding = main_finding_text(record) if record else ""
            label = f"{delivery.label}#{number}" if len(shas) > 1 else delivery.label
            rows.append((via, provider, label, outcome, finding))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + f"  {row[4][:90]}"
        for row in rows
    ]


def export_cleared(stack: LocalStack, out: Path) -> list[Path]:
    """Every object in the cleared bucket under `out`, so a person can open the HTML."""
    if out.exists():
        shutil.rmtree(out)
    bucket = stack.names.bucket("cleared")
    written = []
    for page in stack.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            key = item["Key"]
            path = out / key.removeprefix(CLEARED)
            if not path.resolve().is_relative_to(out.resolve()):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(stack.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            written.append(path)
    return written


def run(samples: Path, out: Path) -> int:
    started = time.monotonic()
    plan, notes = deliveries(samples)
    for note in notes:
        print(f"note: {note}")
    out.mkdir(parents=True, exist_ok=True)
    state = out / "state"
    if state.exists():
        shutil.rmtree(state)
    with (out / "functions.log").open("w", encoding="utf-8") as log:
        stack = LocalStack(data=state, function_output=log)
        stack.start()
        try:
            print(f"local stack up: webhook {stack.webhook_url}, AWS endpoint {stack.endpoint_url}")
            sent = [send(stack, delivery, n) for n, delivery in enumerate(plan, 1)]
            expected = len({sha for s in sent if s.expects_decision for sha in s.delivery.items})
            print(f"{len(sent)} deliveries sent; {expected} distinct articles to decide")
            count = wait_for(stack, expected, WAIT_SECONDS)
            records = decisions(stack)
            cleared = export_cleared(stack, out / "cleared")
            audit = stack.names.bucket("audit")
            life = story.tell(stack, PROJECT / "events" / "articles", post)
            fallback = PROJECT / "events" / "articles" / "conversation-health.atom"
            pulled = feedstory.pull(stack, samples, fallback, out)
            desk = stack.desk
        finally:
            stack.stop()
    print()
    print("\n".join(table(sent, records)))
    print()
    outcomes = Counter(record["outcome"] for record in records.values())
    refused = sum(1 for s in sent if not s.expects_decision)
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
    accepted = len(sent) - refused
    print(
        f"{accepted} deliveries accepted, {len(records)} decisions ({summary}): a duplicate"
        f" delivery shares its article's decision; {refused} refused at the door"
    )
    print()
    print("the life of a licence:")
    print("\n".join(f"  {line}" for line in life))
    print()
    print("a feed the licensee pulls:")
    print("\n".join(f"  {line}" for line in pulled))
    print()
    (out / "decisions.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records.values())
    )
    _print_where(out, state, audit, cleared)
    if desk is not None:
        print(f"the desk's console: after the serve command above, open {SERVE_API}/console/")
        print("\n".join(f"  sign in as {line}" for line in desk.sign_ins()))
    print(f"done in {time.monotonic() - started:.1f} s")
    if count < expected:
        missing = [
            s.delivery.label
            for s in sent
            if s.expects_decision and any(sha not in records for sha in s.delivery.items)
        ]
        print(f"demo: {expected - count} decisions missing after {WAIT_SECONDS:.0f} s: {missing}")
        return 1
    return 0


def _print_where(out: Path, state: Path, audit: str, cleared: list[Path]) -> None:
    """Where the run left its copies, decisions and logs, and how to bring it back to review."""
    html = sorted(p for p in cleared if p.suffix == ".html")
    print(f"cleared copies: {out / 'cleared'}/" + (f" (e.g. open {html[0]})" if html else ""))
    print(
        f"every decision: {out / 'decisions.jsonl'}; the functions' logs: {out / 'functions.log'}"
    )
    print(f"review the audit: .venv/bin/clearance serve --data {state}  (brings this run back)")
    print(f"  then: curl '{SERVE_API}/v1/audit?provider=menafn'")
    print(f"    or: {CLI_ENVIRONMENT} .venv/bin/clearance audit list")
    print(f"    or: aws --endpoint-url {SERVE_ENDPOINT} s3 ls s3://{audit}/{DECISIONS} --recursive")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=Path, default=PROJECT.parent / "shared" / "samples")
    parser.add_argument("--out", type=Path, default=PROJECT / "build" / "demo")
    args = parser.parse_args(argv)
    try:
        return run(args.samples, args.out)
    except StackError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ndemo: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - one line on the console, never a traceback
        print(f"demo: failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
