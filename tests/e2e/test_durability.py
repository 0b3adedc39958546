"""What `clearance serve --data` acknowledged survives a kill, and a clean stop is quick.

Every acknowledgement counts: a delivery's 202, a kill's 202, a reviewer's 200, and the local
AWS endpoint's answer to a file put straight into the inbound bucket.
"""

from __future__ import annotations

import functools
import json
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from clearance.contracts import keys
from clearance.contracts.keys import DECISIONS
from clearance.ingest.signature import signed_headers
from clearance.local.usage import development_api_key
from tests.conftest import DEMO_ARTICLES, PROJECT
from tests.e2e.conftest import (
    MENAFN_HEADLINE,
    SECRET,
    Response,
    menafn_article,
    request,
    wait_until,
)
from tests.e2e.test_serve import NAMES, Serve

pytestmark = pytest.mark.reliability

ARTICLES = 60
SENDERS = 10
KILLS = 20
VERDICTS = 10
DROPS = 50
JSON = "application/json"
ALTERED = (DEMO_ARTICLES / "menafn-ports-disclaimer-altered.txt").read_bytes()


def serve(serve_processes: list[Serve], *arguments: str) -> Serve:
    process = Serve(*arguments)
    serve_processes.append(process)
    process.wait_for("webhook")
    return process


def client(server: Serve, service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=f"http://127.0.0.1:{server.aws_port}",
        region_name=NAMES.region,
        aws_access_key_id="any",
        aws_secret_access_key="any",
    )


def deliver_all(server: Serve, tag: str, count: int = ARTICLES) -> set[str]:
    """Distinct articles from several senders at once; the keys of those answered 202."""

    def send(index: int) -> str | None:
        answer = server.deliver(menafn_article(f"{tag} {index:03d}"), f"msg-{tag}-{index:03d}")
        return str(answer.json["key"]) if answer.status == 202 else None

    with ThreadPoolExecutor(max_workers=SENDERS) as senders:
        keys = list(senders.map(send, range(count)))
    return {key for key in keys if key is not None}


def stored_keys(server: Serve, role: str, prefix: str) -> set[str]:
    pages = client(server, "s3").get_paginator("list_objects_v2")
    return {
        item["Key"]
        for page in pages.paginate(Bucket=NAMES.bucket(role), Prefix=prefix)
        for item in page.get("Contents", [])
    }


def records(server: Serve) -> list[dict[str, Any]]:
    s3 = client(server, "s3")
    bucket = NAMES.bucket("audit")
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=DECISIONS):
        for item in page.get("Contents", []):
            found.append(json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()))
    return found


def decided_keys(server: Serve) -> set[str]:
    """The inbound keys the audit log holds a decision for."""
    return set(decided(server))


def decided(server: Serve) -> dict[str, str]:
    """Inbound key -> the article id its decision names."""
    return {
        record["source"]["key"]: record["article"]["id"]
        for record in records(server)
        if "source" in record
    }


def unthrottled(send: Callable[[], Response]) -> Response:
    """The answer once the route's throttle lets the request through (429: wait, send again)."""
    answer = send()
    while answer.status == 429:
        time.sleep(float(answer.headers.get("Retry-After", "1")))
        answer = send()
    return answer


def kill(server: Serve, article: str) -> Response:
    body = json.dumps({"reason": "legal"}).encode()
    url = f"http://127.0.0.1:{server.port}/v1/providers/menafn/articles/{article}/kill"
    headers = signed_headers(SECRET, f"kill-{article}", int(time.time()), body)
    headers |= {"Content-Type": JSON, "x-api-key": development_api_key("menafn")}
    return request(url, body, headers)


def approve(server: Serve, article: str) -> Response:
    verdict = {"version": "1", "verdict": "approve", "reason": "wording checked"}
    url = f"http://127.0.0.1:{server.port}/v1/review/articles/{article}"
    return request(url, json.dumps(verdict).encode(), {"Content-Type": JSON})


def published(server: Serve, tag: str, count: int) -> list[str]:
    """`count` articles delivered and decided: their ids."""
    accepted = deliver_all(server, tag, count)
    assert len(accepted) == count
    wait_until(lambda: decided_keys(server) >= accepted, 60, f"{count} decided")
    return [article for key, article in decided(server).items() if key in accepted]


def held(server: Serve, count: int) -> list[str]:
    """`count` articles with an altered disclaimer, decided and held for review: their ids."""
    accepted = set()
    for index in range(count):
        body = ALTERED.replace(MENAFN_HEADLINE, MENAFN_HEADLINE + f" (held {index})".encode(), 1)
        answer = server.deliver(body, f"msg-held-{index:03d}")
        assert answer.status == 202, answer.body
        accepted.add(str(answer.json["key"]))
    wait_until(lambda: decided_keys(server) >= accepted, 60, f"{count} held")
    return [article for key, article in decided(server).items() if key in accepted]


def copies_of(server: Serve, articles: list[str]) -> int:
    return sum(
        len(stored_keys(server, "cleared", keys.cleared_prefix("menafn", a))) for a in articles
    )


def test_a_kill_loses_no_delivery_that_was_answered_202(
    tmp_path: Path, secrets_file: Path, serve_processes: list[Serve]
) -> None:
    data = tmp_path / "state"
    # Given `clearance serve --data` that accepted 60 articles from 10 senders at once
    first = serve(serve_processes, "--secrets", str(secrets_file), "--data", str(data))
    accepted = set(deliver_all(first, "kill"))
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


def test_a_kill_loses_no_kill_verdict_or_drop_that_was_acknowledged(
    tmp_path: Path,
    secrets_file: Path,
    serve_processes: list[Serve],
    figure: Callable[[str], None],
) -> None:
    data = tmp_path / "state"
    first = serve(serve_processes, "--secrets", str(secrets_file), "--data", str(data))
    # Given 20 articles published (60 copies) and 10 held for review
    live = published(first, "killed", KILLS)
    wait_until(lambda: copies_of(first, live) == 3 * KILLS, 60, "60 copies published")
    waiting = held(first, VERDICTS)
    # When each of the 20 is killed (202), each of the 10 approved (200), and 50 files are
    # put straight into the inbound bucket through the AWS endpoint, each answered
    kills = [unthrottled(functools.partial(kill, first, a)) for a in live]
    assert [answer.status for answer in kills] == [202] * KILLS, kills[0].body
    verdicts = [unthrottled(functools.partial(approve, first, a)) for a in waiting]
    assert [answer.status for answer in verdicts] == [200] * VERDICTS, verdicts[0].body
    s3 = client(first, "s3")
    dropped = {f"inbound/menafn/drop-{index:03d}.txt" for index in range(DROPS)}
    for index, key in enumerate(sorted(dropped)):
        body = menafn_article(f"drop {index:03d}")
        s3.put_object(Bucket=NAMES.bucket("inbound"), Key=key, Body=body)
    # And the stack is killed at once
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=30)
    # Then, started again, every dropped file is there and decided, with its record
    second = serve(serve_processes, "--secrets", str(secrets_file), "--data", str(data))
    wait_until(lambda: decided_keys(second) >= dropped, 120, "every dropped file decided")
    wait_until(lambda: second_queue_empty(second), 60, "the queue finished")
    kept_drops = len(dropped & stored_keys(second, "inbound", "inbound/menafn/drop-"))
    # And every kill holds: no copy came back
    killed = [r for r in records(second) if r.get("event", {}).get("kind") == "kill"]
    back = copies_of(second, live)
    # And every approval holds: each approved article is published, its verdict on record
    reviews = [r for r in records(second) if r.get("event", {}).get("kind") == "review"]
    approved = copies_of(second, waiting)
    assert (len(killed), back) == (KILLS, 0)
    assert (len(reviews), approved) == (VERDICTS, 3 * VERDICTS)
    assert kept_drops == DROPS
    figure(
        f"SIGKILL after {KILLS} kills answered 202, {VERDICTS} approvals answered 200 and"
        f" {DROPS} files dropped straight into the bucket: {len(killed)} of {KILLS} kills kept"
        f" ({back} copies back), {len(reviews)} of {VERDICTS} approvals kept ({approved} copies"
        f" published), {kept_drops} of {DROPS} drops kept and decided; 0 lost"
    )
    assert second.stop() == 0


def second_queue_empty(server: Serve) -> bool:
    sqs = client(server, "sqs")
    url = sqs.get_queue_url(QueueName=NAMES.queue)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values()) == 0


def test_a_clean_stop_with_a_backlog_is_finished_by_the_next_start(
    tmp_path: Path, secrets_file: Path, serve_processes: list[Serve]
) -> None:
    data = tmp_path / "state"
    # Given `clearance serve --data --drain 0`, which stops without processing its backlog
    first = serve(
        serve_processes, "--secrets", str(secrets_file), "--data", str(data), "--drain", "0"
    )
    accepted = set(deliver_all(first, "stop"))
    assert len(accepted) == ARTICLES
    # When it is stopped cleanly straight away
    assert first.stop() == 0
    (line,) = [text for text in first.output if "state kept in" in text]
    # And started again on the same data directory
    second = serve(serve_processes, "--secrets", str(secrets_file), "--data", str(data))
    # Then whatever was still queued is decided now: every accepted article is decided
    wait_until(lambda: decided_keys(second) >= accepted, 90, "every accepted article decided")
    queued = line.split("(")[1].split(" queued")[0]
    took = line.split("stopped in ")[1].split(";")[0]
    decided = len(decided_keys(second) & accepted)
    print(
        f"\nclean stop: {len(accepted)} accepted, stopped in {took} with {queued} queued,"
        f" {decided} decided after the restart"
    )
    assert second.stop() == 0


FULL_DISK = textwrap.dedent(
    """
    import json, resource, signal, sys
    from pathlib import Path

    from botocore.exceptions import ClientError
    from clearance.local.stack import LocalStack
    from tests.e2e.conftest import deliver, menafn_article

    data = Path(sys.argv[1])
    with LocalStack(data=data, dispatch=False) as stack:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        journal = stack.recorder.journal.path
        limit = journal.stat().st_size + 64
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        answer = deliver(stack, menafn_article("no room"), "msg-no-room")
        try:
            stack.s3.put_object(
                Bucket=stack.names.bucket("inbound"), Key="inbound/menafn/no-room.txt",
                Body=menafn_article("dropped without room"),
            )
            dropped = "answered"
        except ClientError as error:
            dropped = str(error.response["ResponseMetadata"]["HTTPStatusCode"])
        retry = answer.headers.get("Retry-After")
        outcome = {"status": answer.status, "body": answer.json, "retry": retry, "drop": dropped}
        print(json.dumps(outcome), flush=True)
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    """
)


def test_nothing_is_acknowledged_when_the_journal_cannot_be_written(tmp_path: Path) -> None:
    # Given a stack with --data whose journal can no longer grow (a full disk)
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(tmp_path / "state")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=PROJECT,
    )
    said = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"status')]
    assert result.returncode == 0, result.stderr[-2000:]
    # When a delivery arrives and a file is put straight into the inbound bucket
    [outcome] = said
    # Then the delivery is answered 503 with Retry-After, naming the problem, and the put fails
    assert (outcome["status"], outcome["retry"]) == (503, "5")
    assert outcome["body"]["error"]["code"] == "server.unavailable"
    assert outcome["drop"] == "503"
