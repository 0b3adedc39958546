"""`clearance queue redrive [--dry-run]`: deliveries that failed five times, back on the queue.

A message rests on the dead-letter queue after the processor failed it five times (an outage,
a bug, a missing permission); once the cause is fixed, a redrive moves it back and the processor
decides it. `--dry-run` lists each message (its id, its receive count, the objects it names, or
why it is not an S3 event) and moves nothing. Runs against the local stack or a real account:
AWS_ENDPOINT_URL and the usual AWS variables; the queues default to the local stack's names (on
AWS, give the stack outputs InboundQueueUrl and InboundDeadLetterQueueUrl).

Exit 0 when every message was listed or moved, 1 when SQS refused some (they stay on the
dead-letter queue), 2 on a usage or AWS error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from clearance.aws import clients
from clearance.aws.deadletters import DeadLetter, DeadLetterQueue, RedriveError, queue_url
from clearance.handlers.events import PoisonMessage, QueueMessage, s3_sources
from clearance.local.resources import Names


def add_queue_commands(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    queue = commands.add_parser("queue", help="the inbound queue and its dead-letter queue")
    actions = queue.add_subparsers(dest="queue_command", required=True, parser_class=parser_class)
    redrive = actions.add_parser("redrive", help="move dead letters back to the inbound queue")
    redrive.add_argument(
        "--dry-run", action="store_true", help="list what would move, and move nothing"
    )
    redrive.add_argument("--queue", metavar="URL", help="the inbound queue (default: local)")
    redrive.add_argument("--dlq", metavar="URL", help="its dead-letter queue (default: local)")


def run_queue(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    sqs = clients.sqs()
    names = Names()
    source = args.queue or queue_url(sqs, names.queue)
    dead_letters = DeadLetterQueue(sqs, args.dlq or queue_url(sqs, names.dead_letter_queue), source)
    try:
        dead_letters.check()
    except RedriveError as error:
        print(f"clearance queue: {error}", file=sys.stderr)
        return 2
    if args.dry_run:
        letters = dead_letters.peek()
        out.write(f"would move {len(letters)} from {dead_letters.url} to {source}\n")
        out.writelines(f"{_line(letter)}\n" for letter in letters)
        return 0
    result = dead_letters.redrive()
    out.write(f"moved {len(result.moved)} from {dead_letters.url} to {source}\n")
    out.writelines(f"{_line(letter)}\n" for letter in result.moved)
    for letter in result.repeated:
        out.write(f"{letter.message_id}: sent, still on the dead-letter queue (decided once)\n")
    for letter, reason in result.failed:
        print(f"clearance queue: {letter.message_id} not moved: {reason}", file=sys.stderr)
    return 1 if result.failed else 0


def _line(letter: DeadLetter) -> str:
    sent = letter.sent_at.isoformat(timespec="seconds") if letter.sent_at else "?"
    return f"{letter.message_id}  receives {letter.receives}  sent {sent}  {_names(letter)}"


def _names(letter: DeadLetter) -> str:
    """The objects the message names, read as the processor reads it."""
    record = QueueMessage(letter.message_id, letter.body)
    try:
        sources = list(s3_sources(record))
    except PoisonMessage as error:
        return f"(not an S3 event: {error})"
    if not sources:
        return "(S3 test event: names no object)"
    return " ".join(f"s3://{source.bucket}/{source.key}" for source in sources)
