"""What runs on its own in the local stack: the queue's event source mapping, the every-minute
lifecycle sweep, feed poller and digest job, and the bus's events shown as they are emitted.

One dispatcher thread plays all of them, as Lambda's SQS event source mapping and EventBridge
schedules would invoke the deployed functions.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from clearance.feeds.outbound import Limits
from clearance.local.dispatcher import dispatch_once
from clearance.local.gateway import LambdaHandler, Route, function_scope
from clearance.local.limits import context
from clearance.local.resources import Queues
from clearance.services import wiring
from clearance.services.config import PollerConfig

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

PROCESSOR = Route("", "clearance.handlers.processor:handler", "ProcessorFunction")
DIGEST_EVERY_SECONDS = 60.0
LIFECYCLE_EVERY_SECONDS = 60.0
FEEDS_EVERY_SECONDS = 60.0
LOOPBACK_FEEDS = Limits(loopback_http=True)
"""The local poller may fetch feeds served over plain http on loopback; nothing else differs."""


@dataclass(frozen=True, slots=True)
class Invocation:
    """One processor invocation by the dispatcher: batch size, failures, wall time."""

    received: int
    failed: int
    seconds: float


class Schedules:
    """The dispatcher thread and the scheduled functions, for `LocalStack`."""

    queues: Queues
    events_url: str
    retry_delay_seconds: int
    lifecycle_seconds: float
    feed_seconds: float
    on_event: Callable[[dict[str, Any]], None] | None
    published: list[dict[str, Any]]
    invocations: list[Invocation]
    _dispatcher: threading.Thread | None
    _stop_dispatch: threading.Event

    @property
    def sqs(self) -> SQSClient:
        raise NotImplementedError

    @property
    def dispatcher_running(self) -> bool:
        return self._dispatcher is not None and self._dispatcher.is_alive()

    def start_dispatcher(self) -> None:
        if self.dispatcher_running:
            return
        handler = PROCESSOR.load()
        self._stop_dispatch = threading.Event()
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop,
            args=(handler, self._stop_dispatch),
            name="clearance-dispatcher",
            daemon=True,
        )
        self._dispatcher.start()

    def stop_dispatcher(self, timeout: float | None = None) -> bool:
        """Stop after the batch in hand (waiting at most `timeout`); False if still in hand.

        A batch abandoned is not lost: its messages stay on the queue and come back."""
        self._stop_dispatch.set()
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            dispatcher.join(timeout)
            return not dispatcher.is_alive()
        return True

    def queue_depth(self, url: str | None = None) -> int:
        """Messages waiting or in flight on the queue (or the dead-letter queue's `url`)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queues.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def wait_until_queue_empty(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue_depth() == 0:
                return True
            time.sleep(0.1)
        return False

    def run_lifecycle(self) -> dict[str, int]:
        """LifecycleFunction's run, as its every-minute schedule would invoke it."""
        from clearance.handlers import lifecycle  # noqa: PLC0415 - after the environment is set

        with function_scope("LifecycleFunction"):
            swept: dict[str, int] = lifecycle.handler({}, context("LifecycleFunction"))
        return swept

    def run_feeds(self, subscription: str | None = None) -> dict[str, Any]:
        """FeedPollerFunction's run, as its every-minute schedule (or `clearance feeds poll`,
        naming one `subscription`) would invoke it."""
        from clearance.handlers import feed_poller  # noqa: PLC0415 - after the environment is set

        config = PollerConfig.from_env(os.environ)
        with function_scope("FeedPollerFunction"):
            poller = wiring.build_poller(config, LOOPBACK_FEEDS)
            event = {"subscription": subscription} if subscription else {}
            ran: dict[str, Any] = feed_poller.handler(
                event, context("FeedPollerFunction"), poller=poller
            )
        return ran

    def run_digest(self) -> list[str]:
        """AuditDigestFunction's hourly run, invoked as the schedule would."""
        from clearance.handlers import audit_digest  # noqa: PLC0415 - after the environment is set

        with function_scope("AuditDigestFunction"):
            written: list[str] = audit_digest.handler({}, context("AuditDigestFunction"))["digests"]
        return written

    def collect_events(self) -> list[dict[str, Any]]:
        """What the bus delivered to the local subscriber queue since last asked, in order."""
        if not self.events_url:
            return []
        received = self.sqs.receive_message(
            QueueUrl=self.events_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        events = []
        for message in received:
            event = json.loads(message["Body"])
            events.append(event)
            self.sqs.delete_message(
                QueueUrl=self.events_url, ReceiptHandle=message["ReceiptHandle"]
            )
        self.published += events
        if self.on_event is not None:
            for event in events:
                self.on_event(event)
        return events

    def _dispatch_loop(self, handler: LambdaHandler, stop: threading.Event) -> None:
        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            started = time.perf_counter()
            failed = len(event["Records"])
            try:
                with function_scope(PROCESSOR.function_name):
                    result = handler(event, context(PROCESSOR.function_name))
                failed = len(result.get("batchItemFailures", []))
                return result
            finally:
                elapsed = time.perf_counter() - started
                self.invocations.append(Invocation(len(event["Records"]), failed, elapsed))

        next_digest = next_sweep = time.monotonic()
        # Feeds are first polled an interval after the start, as a rate schedule first fires an
        # interval after it is made: a feed subscribed just after the start is polled once.
        next_poll = time.monotonic() + self.feed_seconds
        while not stop.is_set():
            try:
                if time.monotonic() >= next_digest:
                    next_digest = time.monotonic() + DIGEST_EVERY_SECONDS
                    self.run_digest()
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self.lifecycle_seconds
                    self.run_lifecycle()
                if time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + self.feed_seconds
                    self.run_feeds()
                self.collect_events()
                dispatch_once(
                    self.sqs,
                    self.queues.url,
                    invoke,
                    wait_seconds=1,
                    retry_delay_seconds=self.retry_delay_seconds,
                )
            except (BotoCoreError, ClientError) as error:
                if not stop.is_set():
                    print(
                        f"clearance: dispatcher: {type(error).__name__}: {error}", file=sys.stderr
                    )
                stop.wait(1)
