"""`--data`: every object version, delete markers included, comes back exactly; the journal and the
saved state read back what was written, and no more; an older directory is read in."""

from __future__ import annotations

import base64
import hashlib
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from clearance.aws.statestore import StateStore
from clearance.lifecycle.state import ArticleState
from clearance.local.backlog import read_legacy
from clearance.local.journal import Journal, JournalError, read_journal
from clearance.local.persistence import StateError, load
from clearance.local.resources import Names
from tests.e2e.test_serve import NAMES, Serve

ODD_KEYS = {
    "inbound": "receipts/menafn/caf\u00e9 d\u00e9j\u00e0 vu + 100%.json",
    "cleared": "cleared/x/../../etc/passwd",
    "quarantine": "quarantine/unknown/2026-11-23/binary.bin",
    "audit": "audit/decisions/dt=2026-11-23/x/held/with space.json",
}
BINARY = bytes(range(256))


def states_of(serve: Serve) -> StateStore:
    return StateStore(serve.client("dynamodb"), NAMES.state_table)


def killed_and_started_again(serve: Serve, data: Path, serve_processes: list[Serve]) -> Serve:
    """`serve` killed (no clean stop), and a stack started again on the same directory."""
    serve.process.send_signal(signal.SIGKILL)
    serve.process.wait(timeout=30)
    again = Serve("--data", str(data))
    serve_processes.append(again)
    again.wait_for("webhook")
    return again


def every_version(serve: Serve) -> dict[str, list[tuple[Any, ...]]]:
    """Per bucket: each version's key, id, latest flag, time, and its bytes and content type
    (None for a delete marker)."""
    s3 = serve.client("s3")
    found: dict[str, list[tuple[Any, ...]]] = {}
    for role, key in ODD_KEYS.items():
        bucket = NAMES.bucket(role)
        listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
        rows: list[tuple[Any, ...]] = []
        for version in listed.get("Versions", []):
            got = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
            body = (got["Body"].read(), got["ContentType"])
            rows.append((version["Key"], version["VersionId"], version["IsLatest"], body))
        for marker in listed.get("DeleteMarkers", []):
            rows.append((marker["Key"], marker["VersionId"], marker["IsLatest"], None))
        found[role] = sorted(rows, key=repr)
    return found


def test_every_object_version_and_delete_marker_comes_back_exactly_after_a_kill(
    tmp_path: Path, serve_processes: list[Serve]
) -> None:
    data = tmp_path / "state"
    first = Serve("--data", str(data))
    serve_processes.append(first)
    first.wait_for("webhook")
    s3 = first.client("s3")
    # Given, in every bucket, an awkward key written three times, then deleted (a delete marker)
    for role, key in ODD_KEYS.items():
        for n in range(3):
            s3.put_object(
                Bucket=NAMES.bucket(role),
                Key=key,
                Body=BINARY + bytes([n]),
                ContentType=f"application/x-odd-{n}",
                ChecksumAlgorithm="SHA256",
            )
        s3.delete_object(Bucket=NAMES.bucket(role), Key=key)
    before = every_version(first)
    assert all(len(rows) == 4 for rows in before.values())
    # When the stack is killed and started again on the same directory
    second = killed_and_started_again(first, data, serve_processes)
    # Then every version is back with its id, bytes and content type, the marker still latest
    assert every_version(second) == before
    assert second.stop() == 0


def test_an_outbox_owed_at_a_kill_is_finished_after_the_restart(
    tmp_path: Path, serve_processes: list[Serve]
) -> None:
    data = tmp_path / "state"
    first = Serve("--data", str(data))
    serve_processes.append(first)
    first.wait_for("webhook")
    # Given a change committed with the event it still owes (its outbox, kept compressed beside
    # the state), as a crash right after the commit leaves it
    owed = ArticleState.from_dict(
        {
            "state_version": 1,
            "provider": "dpa",
            "article_id": "dpa-owed",
            "uri": "urn:newsml:dpa.com:owed",
            "revision": 1,
            "versions": [],
            "kill": None,
            "timers": [],
            "outbox": {
                "records": [],
                "notifications": [
                    {"detail_type": "Article Withdrawn", "detail": {"article_id": "dpa-owed"}}
                ],
            },
        }
    )
    assert states_of(first).put(owed, 0)
    # When the stack is killed before any sweep, and started again on the same directory
    second = killed_and_started_again(first, data, serve_processes)
    # Then the owed event, which only the outbox held, reaches the subscriber, and the
    # state owes nothing more
    assert wait_for_event(second, "Article Withdrawn") == {"article_id": "dpa-owed"}
    finished = states_of(second).get("dpa-owed")
    assert finished is not None
    assert (finished.revision, finished.outbox) == (2, None)
    assert second.stop() == 0


def wait_for_event(serve: Serve, detail_type: str, timeout: float = 90) -> Any:
    """The detail of the first event of `detail_type` on the local subscriber queue."""
    sqs = serve.client("sqs")
    url = sqs.get_queue_url(QueueName=NAMES.events_queue)["QueueUrl"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []):
            event = json.loads(message["Body"])
            if event.get("detail-type") == detail_type:
                return {k: v for k, v in event["detail"].items() if k != "event_id"}
    raise AssertionError(f"no {detail_type} event within {timeout:.0f} s")


def test_a_journal_cut_short_reads_back_to_its_last_whole_change(tmp_path: Path) -> None:
    # Given a journal holding a blob and two records
    path = tmp_path / "journal" / "000001.log"
    journal = Journal(path)
    data = b"an object's bytes\n with a newline"
    sha = hashlib.sha256(data).hexdigest()
    journal.append({sha: data}, [{"object": "inbound", "key": "a", "versions": []}])
    journal.append({}, [{"item": "k", "value": None}])
    journal.close()
    whole = path.read_bytes()
    # When the last record is cut short, as a kill in mid-write would leave it
    path.write_bytes(whole[:-5])
    # Then reading stops after the last whole change: the blob and the first record
    read = list(read_journal(path))
    assert [record for record, _ in read] == [
        {"blob": sha, "size": len(data)},
        {"object": "inbound", "key": "a", "versions": []},
    ]
    assert read[0][1] == data
    # And a blob cut short ends the journal before it
    path.write_bytes(whole[: whole.index(b"with a")])
    assert list(read_journal(path)) == []


def test_a_journal_that_failed_or_closed_acknowledges_nothing_more(tmp_path: Path) -> None:
    # Given a journal that was closed (the stack is stopping)
    journal = Journal(tmp_path / "journal" / "000001.log")
    journal.close()
    # Then a later change and a later acknowledgement both fail, saying why
    with pytest.raises(JournalError, match="is closed"):
        journal.append({}, [{"item": "k", "value": None}])
    with pytest.raises(JournalError, match="is closed"):
        journal.sync()


def test_a_directory_without_saved_state_is_an_empty_start(tmp_path: Path) -> None:
    assert load(tmp_path).sizes() == (0, 0, 0)


def test_a_saved_state_cut_short_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"format": "clearance-local-state/2", "objects": {')
    with pytest.raises(StateError, match=r"^cannot read the saved state in .*state\.json"):
        load(tmp_path)


def test_a_directory_saved_by_the_earlier_format_is_read_with_its_journalled_deliveries(
    tmp_path: Path,
) -> None:
    # Given a directory as the earlier clearance left it after a kill: a saved object, an
    # article state, a queued message, and a delivery journalled since
    saved_bytes, journalled = b"saved copy", b"journalled article"
    digests = [hashlib.sha256(b).hexdigest() for b in (saved_bytes, journalled)]
    (tmp_path / "objects").mkdir()
    (tmp_path / "objects" / digests[0]).write_bytes(saved_bytes)
    item = {"key": "cleared/menafn/a/v1.txt", "sha256": digests[0], "content_type": "text/plain"}
    state = {"format": "clearance-local-state/1", "buckets": {"cleared": [item]}, "secrets": {}}
    (tmp_path / "state.json").write_text(json.dumps(state))
    (tmp_path / "articles.json").write_text(json.dumps([{"pk": {"S": "a"}, "state": {"S": "{}"}}]))
    queues = {"format": "clearance-local-queues/1", "queue": ["waiting"], "dead": []}
    (tmp_path / "queues.json").write_text(json.dumps(queues))
    (tmp_path / "journal").mkdir()
    (tmp_path / "journal" / digests[1]).write_bytes(journalled)
    entry: dict[str, Any] = {
        "role": "inbound",
        "key": "inbound/menafn/2026/11/23/b.txt",
        "sha256": digests[1],
        "content_type": "text/plain",
        "arrived_at": "2026-11-23T09:00:00+00:00",
        "process": True,
    }
    (tmp_path / "journal" / "entries.jsonl").write_text(json.dumps(entry) + "\n")
    # When it is read
    saved = read_legacy(tmp_path, state, Names())
    # Then the object, the state and the message are kept, the delivery is stored and queued
    [kept] = saved.objects["cleared"]["cleared/menafn/a/v1.txt"]
    checksum = base64.b64encode(hashlib.sha256(saved_bytes).digest()).decode()
    assert (kept["sha256"], kept["checksum"][1]) == (digests[0], checksum)
    assert saved.objects["inbound"][entry["key"]][0]["last_modified"] == entry["arrived_at"]
    assert list(saved.items) == ['{"pk": {"S": "a"}}']
    bodies = list(saved.queues["queue"].values())
    assert bodies[0] == "waiting"
    assert json.loads(bodies[1])["Records"][0]["eventTime"] == entry["arrived_at"]


def test_a_second_stack_on_the_same_data_directory_is_refused_in_one_line(
    tmp_path: Path, serve_processes: list[Serve]
) -> None:
    # Given `clearance serve --data DIR` running
    first = Serve("--data", str(tmp_path))
    serve_processes.append(first)
    first.wait_for("webhook")
    # When another is started on the same directory
    second = Serve("--data", str(tmp_path))
    serve_processes.append(second)
    code = second.process.wait(timeout=60)
    error = second.process.stderr.read() if second.process.stderr else ""
    # Then it refuses in one line, exit 2, and the first keeps running
    assert code == 2
    assert error == f"clearance serve: {tmp_path} is in use by another clearance serve\n"
    assert first.process.poll() is None
    assert first.stop() == 0
