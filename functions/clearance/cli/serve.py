"""`clearance serve`: the whole service on this machine.

Runs until Ctrl-C or SIGTERM, then stops cleanly. Errors are one line on stderr; a port in use,
a non-loopback host or an unreadable file exits 2 before anything has started.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clearance.local.stack import LocalStack


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8080, help="HTTP API port (default 8080)")
    parser.add_argument(
        "--aws-port", type=_port, default=5000, help="local AWS endpoint port (default 5000)"
    )
    parser.add_argument(
        "--secrets",
        type=Path,
        metavar="FILE",
        help='webhook secrets as JSON {"<provider>": "whsec_..."}; others get the development one',
    )
    parser.add_argument(
        "--reviewer",
        default="arn:aws:iam::123456789012:user/local-reviewer",
        metavar="ARN",
        help="the IAM identity the review routes see as the caller (no IAM check locally)",
    )
    parser.add_argument(
        "--lifecycle-interval",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how often the lifecycle sweep runs (default 60, as deployed)",
    )
    parser.add_argument(
        "--feed-interval",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how often the feed poller runs (default 60, as deployed)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="keep every object version, article state, queued message and secret here,"
        " journalled as it changes, across restarts and kills (default: in memory only)",
    )
    parser.add_argument(
        "--drain",
        type=_drain_seconds,
        metavar="SECONDS",
        help="on stop, keep processing the queue up to this long; what is left stays queued for"
        " the next start (default 5)",
    )


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}")
    return port


def _seconds_between(low: float, high: float) -> Callable[[str], float]:
    def seconds(value: str) -> float:
        try:
            parsed = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
        if not low <= parsed <= high:
            raise argparse.ArgumentTypeError(f"give {low:g} to {high:g} seconds: {value!r}")
        return parsed

    return seconds


_seconds = _seconds_between(0.1, 3600)
_drain_seconds = _seconds_between(0, 3600)


def print_event(event: dict[str, Any]) -> None:
    """One line per event the bus delivered, as the publishing system would receive it."""
    detail = event.get("detail") or {}
    reason = f" ({detail['reason']})" if detail.get("reason") else ""
    print(
        f"event: {event.get('detail-type')}{reason}: {detail.get('provider')}/"
        f"{detail.get('article_id')} v{detail.get('version')},"
        f" {len(detail.get('copies', []))} copies",
        flush=True,
    )


def run(args: argparse.Namespace) -> int:
    """Start, print where everything is, serve until told to stop."""
    from clearance.local.stack import (  # noqa: PLC0415 - keeps `clearance check` light
        DEV_SECRET,
        StackError,
        StateError,
    )

    try:
        stack = _started(args)
    except (StackError, StateError) as error:
        print(f"clearance serve: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("clearance serve: interrupted while starting", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - one line on the console, never a traceback
        print(f"clearance serve: could not start: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    _serve_until_told(stack, DEV_SECRET, args.data)
    return _stopped(stack, args.data)


def _started(args: argparse.Namespace) -> LocalStack:
    from clearance.local.stack import (  # noqa: PLC0415 - keeps `clearance check` light
        LocalStack,
        StackError,
        check_loopback,
        read_secrets_file,
    )
    from clearance.terms.policy import PolicySet  # noqa: PLC0415 - keeps `clearance check` light

    check_loopback(args.host)
    secrets = None
    if args.secrets is not None:
        policies = PolicySet.load()
        known = set(policies.policies) | set(policies.broken)
        secrets = read_secrets_file(args.secrets, known)
    if args.data is not None and args.data.exists() and not args.data.is_dir():
        raise StackError(f"--data {args.data} is not a directory")
    stack = LocalStack(
        args.host,
        args.port,
        args.aws_port,
        secrets=secrets,
        data=args.data,
        access_log=_log,
        reviewer=args.reviewer,
        lifecycle_seconds=args.lifecycle_interval,
        feed_seconds=args.feed_interval,
        on_event=print_event,
        **({} if args.drain is None else {"drain_seconds": args.drain}),
    )
    stack.start()
    return stack


def _serve_until_told(stack: LocalStack, dev_secret: str, data: Path | None) -> None:
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _describe(stack, dev_secret, data)
        while not stopping.wait(0.2):
            pass
        print("clearance serve: stopping", flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stopped(stack: LocalStack, data: Path | None) -> int:
    started = time.monotonic()
    try:
        stack.stop()
    except Exception as error:  # noqa: BLE001 - one line on the console, never a traceback
        print(f"clearance serve: stopped uncleanly: {error}", file=sys.stderr)
        return 1
    kept = ""
    if data:
        queued, dead = stack.left
        kept = (
            f"; state kept in {data} ({queued} queued and {dead} dead-letter messages"
            " for the next start)"
        )
    print(f"clearance serve: stopped in {time.monotonic() - started:.1f} s{kept}", flush=True)
    return 0


def _describe(stack: LocalStack, dev_secret: str, data: Path | None) -> None:
    from clearance.local.usage import development_api_key  # noqa: PLC0415 - keeps `clearance check` light

    names = stack.names
    width = max(len(role) for role in ("inbound", "cleared", "quarantine", "audit"))
    lines = [
        "clearance serve: the service on this machine; Ctrl-C stops it",
        f"  webhook       POST {stack.webhook_url}",
        f"  AWS endpoint  {stack.endpoint_url}  (S3, SQS, Secrets Manager, KMS; any credentials)",
        "  buckets",
        *(
            f"    {role.ljust(width)}  {names.bucket(role)}"
            for role in ("inbound", "cleared", "quarantine", "audit")
        ),
        f"  queue         {names.queue} (dead letters: {names.dead_letter_queue})",
        f"  secrets       {names.secret_prefix}<provider>",
    ]
    if stack.development_secret:
        lines.append(
            f"  development secret {dev_secret} (not for production) signs for: "
            + ", ".join(stack.development_secret)
        )
    lines.append(
        f"  state         kept in {data}: every change journalled as it is made, on disk before"
        " it is acknowledged"
        if data
        else "  state         in memory only"
    )
    versions, articles, messages = stack.restored
    if any(stack.restored):
        lines.append(
            f"  restored      {versions} object versions, {articles} article states,"
            f" {messages} queued messages"
        )
    if stack.desk is not None:
        lines.append(f"  console       {stack.console_url}  sign in as")
        lines += [f"                  {line}" for line in stack.desk.sign_ins()]
    lines += [
        f"  audit review  GET {stack.base_url}/v1/audit?provider=...  (no IAM check here)",
        f"  review        GET {stack.base_url}/v1/review, POST .../v1/review/articles/{{id}}"
        f" as {stack.reviewer}",
        f"  kill          POST {stack.base_url}/v1/providers/{{provider}}/articles/{{id}}/kill"
        f" (signed, with x-api-key: {development_api_key('<provider>')})",
        f"  lifecycle     every {stack.lifecycle_seconds:g} s; state table"
        f" {names.state_table}, events on {names.event_bus} are printed here",
        "  for the CLIs  export AWS_ENDPOINT_URL="
        f"{stack.endpoint_url} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local"
        f" AWS_DEFAULT_REGION={names.region} DIGEST_KEY_ID={stack.digest_key_id}",
        "  digests       signed hourly with that KMS key; checked by clearance audit verify",
        f"                its public key's fingerprint: {stack.digest_key_fingerprint}",
        "                then: clearance audit list, or"
        f" aws s3 ls s3://{names.bucket('audit')}/audit/decisions/ --recursive",
    ]
    print("\n".join(lines), flush=True)


def _log(line: str) -> None:
    print(f"gateway: {line}", file=sys.stderr, flush=True)
