"""What `clearance serve --data` answered 202 for survives a clean stop and a kill."""

from __future__ import annotations

import json
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from clearance.contracts.keys import DECISIONS
from tests.e2e.conftest import menafn_article, wait_until
from tests.e2e.test_serve import NAMES, Serve

pytestmark = pytest.mark.reliability

ARTICLES = 60
SENDERS = 10


def serve(serve_processes: list[Serve], *arguments: str) -> Serve:
    process = Serve(*arguments)
    serve_processes.append(process)
    process.wait_for("webhook")
    return process


def deliver_all(server: Serve, tag: str) -> set[str]:
    """Distinct articles from several senders at once; the keys of those answered 202."""

    def send(index: int) -> str | None:
        answer = server.deliver(menafn_article(f"{tag} {index:03d}"), f"msg-{tag}-{index:03d}")
        return str(answer.json["key"]) if answer.status == 202 else None

    with ThreadPoolExecutor(max_workers=SENDERS) as senders:
        keys = list(senders.map(send, range(ARTICLES)))
    return {key for key in keys if key is not None}


def s3_of(server: Serve) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{server.aws_port}",
        region_name=NAMES.region,
        aws_access_key_id="any",
        aws_secret_access_key="any",
    )


def stored_keys(server: Serve, role: str, prefix: str) -> set[str]:
    pages = s3_of(server).get_paginator("list_objects_v2")
    return {
        item["Key"]
        for page in pages.paginate(Bucket=NAMES.bucket(role), Prefix=prefix)
        for item in page.get("Contents", [])
    }


def decided_keys(server: Serve) -> set[str]:
    """The inbound keys the audit log holds a decision for."""
    s3 = s3_of(server)
    bucket = NAMES.bucket("audit")
    found = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=DECISIONS):
        for item in page.get("Contents", []):
            record = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            found.add(record["source"]["key"])
    return found


def test_a_kill_loses_no_delivery_that_was_answered_202(
    tmp_path: Path, secrets_file: Path, serve_processes: list[Serve]
) -> None:
    data = tmp_path / "state"
    # Given `clearance serve --data` that accepted 60 articles from 10 senders at once
    first = serve(serve_processes, "--secrets", str(secrets_file), "--data", str(data))
    accepted = deliver_all(first, "kill")
    assert len(accepted) == ARTICLES
    # When it is killed at once, with no chance to save anything
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=30)
    # And started again on the same data directory
    second = serve(serve_processes, "--secrets", str(secrets_file), "--data", str(data))
    # Then every accepted article is stored again and decided
    wait_until(lambda: decided_keys(second) >= accepted, 90, "every accepted article decided")
    stored = stored_keys(second, "inbound", "inbound/")
    assert accepted <= stored
    print(f"\nhard kill: {len(accepted)} accepted, {len(accepted & stored)} stored and decided")
    assert second.stop() == 0


def test_a_clean_stop_with_a_backlog_is_finished_by_the_next_start(
    tmp_path: Path, secrets_file: Path, serve_processes: list[Serve]
) -> None:
    data = tmp_path / "state"
    # Given `clearance serve --data --drain 0`, which saves its backlog at once when stopped
    first = serve(
        serve_processes, "--secrets", str(secrets_file), "--data", str(data), "--drain", "0"
    )
    accepted = deliver_all(first, "stop")
    assert len(accepted) == ARTICLES
    # When it is stopped cleanly straight away
    assert first.stop() == 0
    (line,) = [text for text in first.output if "stopped; state saved" in text]
    # And started again on the same data directory
    second = serve(serve_processes, "--secrets", str(secrets_file), "--data", str(data))
    # Then whatever was still queued is decided now: every accepted article is decided
    wait_until(lambda: decided_keys(second) >= accepted, 90, "every accepted article decided")
    queued = line.split("(")[1].split(" queued")[0]
    decided = len(decided_keys(second) & accepted)
    print(f"\nclean stop: {len(accepted)} accepted, {queued} queued at the stop, {decided} decided")
    assert second.stop() == 0
