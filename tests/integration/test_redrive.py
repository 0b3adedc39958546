"""Poison messages and `clearance queue redrive` against moto: what fails five times rests on the
dead-letter queue, a dry run only lists it, and a redrive after the fix gets it decided."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from clearance.aws.deadletters import DeadLetterQueue
from clearance.cli.main import main
from clearance.lifecycle.record import Source
from clearance.local.resources import MAX_RECEIVE_COUNT
from clearance.services.articles import HeldEvents
from tests.integration.harness import NAMES, Harness, article

pytestmark = pytest.mark.reliability

DROPS = 3
DRAIN_ROUNDS = 5 * MAX_RECEIVE_COUNT


@dataclass
class Outage:
    """The processor's dependencies down while `on`: every delivery fails, and is counted."""

    on: bool = False
    failures: int = 0


@pytest.fixture
def outage() -> Outage:
    return Outage()


@pytest.fixture
def pipeline(harness: Harness, outage: Outage) -> Harness:
    """The inbound queue and its DLQ in moto, drained by a processor that fails in an outage."""
    harness.stack().wire()
    process = harness.processor.process

    def process_or_fail(source: Source, held: HeldEvents | None = None) -> Any:
        if outage.on:
            outage.failures += 1
            raise ConnectionError(f"injected outage: {source.key} not processed")
        return process(source, held)

    setattr(harness.processor, "process", process_or_fail)  # noqa: B010 - the outage, on this instance only
    harness.drain(DRAIN_ROUNDS)  # S3 sends an s3:TestEvent when the notification is configured
    return harness


def drop(pipeline: Harness, n: int) -> str:
    return pipeline.drop(f"inbound/menafn/2026/11/23/report-{n}.txt", article(n))


def decided(pipeline: Harness) -> dict[str, str]:
    """Outcome of each decision recorded, by the inbound key it decided."""
    return {record["source"]["key"]: record["outcome"] for record in pipeline.records()}


def _poisoned(pipeline: Harness, outage: Outage) -> list[str]:
    """Drops made during an outage, each failed until it rests on the dead-letter queue."""
    outage.on = True
    keys = [drop(pipeline, n) for n in range(DROPS)]
    pipeline.drain(DRAIN_ROUNDS)
    return keys


def test_poison_drops_rest_on_the_dlq_and_a_redrive_after_the_fix_decides_every_one(
    pipeline: Harness,
    outage: Outage,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    figure: Callable[[str], None],
) -> None:
    # Given three drops that failed every receive during an outage
    keys = _poisoned(pipeline, outage)
    assert outage.failures == DROPS * MAX_RECEIVE_COUNT
    assert pipeline.waiting(pipeline.queues.url) == 0
    assert pipeline.waiting(pipeline.queues.dead_letter_url) == DROPS
    assert decided(pipeline) == {}
    # And each failure is logged with its message, its key, its receive count and the error
    logged = [vars(r) for r in caplog.records if r.levelname == "ERROR"]
    assert len(logged) == DROPS * MAX_RECEIVE_COUNT
    assert {entry["key"] for entry in logged} == set(keys)
    counts = {int(entry["receive_count"]) for entry in logged}
    assert counts == set(range(1, MAX_RECEIVE_COUNT + 1))
    assert all("injected outage" in str(entry["exc_info"][1]) for entry in logged)
    assert len({entry["message_id"] for entry in logged}) == DROPS
    capsys.readouterr()

    # When the operator asks what a redrive would move
    assert main(["queue", "redrive", "--dry-run"]) == 0
    listed = capsys.readouterr().out.splitlines()

    # Then each message is listed with its receives and the object it names, and none moved
    assert listed[0].startswith(f"would move {DROPS} from ")
    assert sorted(line.rsplit("/", 1)[-1] for line in listed[1:]) == sorted(
        key.rsplit("/", 1)[-1] for key in keys
    )
    for line in listed[1:]:
        message_id, receives = line.split()[0], int(line.split()[2])
        assert len(message_id) >= 32
        assert receives > MAX_RECEIVE_COUNT
        assert f"s3://{NAMES.bucket('inbound')}/inbound/menafn/" in line
    assert pipeline.waiting(pipeline.queues.dead_letter_url) == DROPS
    assert pipeline.waiting(pipeline.queues.url) == 0

    # When the outage is over and the dead letters are redriven
    outage.on = False
    assert main(["queue", "redrive"]) == 0
    moved = capsys.readouterr().out.splitlines()
    pipeline.drain(DRAIN_ROUNDS)

    # Then every one is moved back and decided once: none lost, none left on the DLQ
    assert moved[0].startswith(f"moved {DROPS} from ")
    assert pipeline.waiting(pipeline.queues.dead_letter_url) == 0
    assert decided(pipeline) == dict.fromkeys(keys, "cleared")
    figure(
        f"poison messages: {DROPS} on the dead-letter queue after {MAX_RECEIVE_COUNT} receives"
        f" each, {DROPS} listed by --dry-run (0 moved), {len(moved) - 1} redriven,"
        f" {len(decided(pipeline))} decided, 0 lost"
    )


def test_a_message_the_queue_refuses_stays_on_the_dlq_and_the_command_exits_1(
    pipeline: Harness, outage: Outage, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given three dead letters, and a queue that refuses the first message of each batch
    keys = _poisoned(pipeline, outage)
    outage.on = False
    send = pipeline.sqs.send_message_batch

    def refuse_first(QueueUrl: str, Entries: list[Any]) -> Any:  # noqa: N803 - boto3's names
        response = send(QueueUrl=QueueUrl, Entries=Entries[1:])
        failed = {"Id": Entries[0]["Id"], "SenderFault": False, "Code": "InternalError"}
        return {**response, "Failed": [failed]}

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline.sqs, "send_message_batch", refuse_first)
        patch.setattr("clearance.aws.clients.sqs", lambda: pipeline.sqs)
        # When the dead letters are redriven
        code = main(["queue", "redrive"])
    output = capsys.readouterr()

    # Then the refused one is named on stderr and is still on the DLQ, visible; the rest moved
    assert code == 1
    [refusal] = output.err.splitlines()
    assert refusal.startswith("clearance queue: ")
    assert refusal.endswith("not moved: InternalError: ")
    assert output.out.startswith(f"moved {DROPS - 1} from ")
    dead = pipeline.sqs.get_queue_attributes(
        QueueUrl=pipeline.queues.dead_letter_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert dead["Attributes"]["ApproximateNumberOfMessages"] == "1"
    # And a second redrive, the queue accepting again, recovers it: every drop decided once
    assert main(["queue", "redrive"]) == 0
    assert capsys.readouterr().out.startswith("moved 1 from ")
    pipeline.drain(DRAIN_ROUNDS)
    assert decided(pipeline) == dict.fromkeys(keys, "cleared")
    assert len(pipeline.records()) == DROPS


def test_a_crash_between_send_and_delete_repeats_a_message_and_never_loses_one(
    pipeline: Harness, outage: Outage
) -> None:
    # Given three dead letters, and a redrive that crashes after sending, before deleting
    keys = _poisoned(pipeline, outage)
    outage.on = False
    dead_letters = DeadLetterQueue(
        pipeline.sqs, pipeline.queues.dead_letter_url, pipeline.queues.url, hold_seconds=0
    )
    with pytest.MonkeyPatch.context() as patch:

        def crash(**_: Any) -> Any:
            raise ConnectionError("injected crash before the delete")

        patch.setattr(pipeline.sqs, "delete_message_batch", crash)
        with pytest.raises(ConnectionError):
            dead_letters.redrive()

    # Then every message is on the queue and still on the DLQ: repeated, not lost
    assert pipeline.waiting(pipeline.queues.url) == DROPS
    assert pipeline.waiting(pipeline.queues.dead_letter_url) == DROPS
    # And redriving again and draining decides each drop once
    pipeline.drain(DRAIN_ROUNDS)
    again = dead_letters.redrive()
    pipeline.drain(DRAIN_ROUNDS)
    assert (len(again.moved), again.failed, again.repeated) == (DROPS, [], [])
    assert decided(pipeline) == dict.fromkeys(keys, "cleared")
    assert len(pipeline.records()) == DROPS
    assert pipeline.waiting(pipeline.queues.dead_letter_url) == 0


def test_dry_run_names_why_a_message_is_not_an_s3_event(
    pipeline: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a message that is not an S3 event, failed onto the dead-letter queue
    pipeline.sqs.send_message(QueueUrl=pipeline.queues.url, MessageBody="{not json")
    pipeline.drain(DRAIN_ROUNDS)
    capsys.readouterr()

    # When the dead letters are listed
    assert main(["queue", "redrive", "--dry-run"]) == 0

    # Then the line says why the processor cannot read it
    [_, line] = capsys.readouterr().out.splitlines()
    assert "(not an S3 event: message " in line
    assert "is not JSON" in line


def test_redrive_into_a_queue_whose_dlq_is_another_is_a_usage_error(
    pipeline: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a queue that is not the inbound queue's dead-letter queue
    other = pipeline.sqs.create_queue(QueueName="some-other-queue")["QueueUrl"]
    capsys.readouterr()

    # When it is given as --dlq, then the command refuses in one line and moves nothing
    assert main(["queue", "redrive", "--dlq", other]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "is not the dead-letter queue of" in err


def test_a_queue_that_does_not_exist_is_one_line_and_exit_2(
    pipeline: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()

    code = main(
        ["queue", "redrive", "--dry-run", "--queue", "https://nowhere/0/none", "--dlq", "x"]
    )

    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("clearance: AWS: ")
    assert err.count("\n") == 1
