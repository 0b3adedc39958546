"""A dispatcher that dies mid-batch, after some writes and before any delete, loses nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clearance.aws.store import Bucket
from clearance.local.stack import LocalStack
from tests.e2e.conftest import (
    decision_count,
    decisions,
    drop,
    menafn_article,
    objects,
    settled,
    versions,
    wait_until,
)

pytestmark = pytest.mark.reliability

VISIBILITY_TIMEOUT = "2"
"""A crashed batch comes back after 2 s here, not after the template's 360 s."""

ARTICLES = 12
COPIES_PER_ARTICLE = 3


class Killed(BaseException):
    """Not an Exception: nothing in the handler or the dispatcher catches it, so the thread dies."""


def crash_at(write: int) -> Callable[..., Any]:
    calls = 0
    original = Bucket.put_once

    def put_once(self: Bucket, key: str, data: bytes, content_type: str) -> str | None:
        nonlocal calls
        calls += 1
        if calls == write:
            raise Killed(f"dispatcher killed at write {write}")
        return original(self, key, data, content_type)

    return put_once


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_dispatcher_killed_mid_batch_then_restarted_loses_and_duplicates_nothing(
    fresh: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given twelve articles waiting on the queue while the dispatcher is stopped
    fresh.stop_dispatcher()
    fresh.sqs.set_queue_attributes(
        QueueUrl=fresh.queues.url, Attributes={"VisibilityTimeout": VISIBILITY_TIMEOUT}
    )
    for index in range(ARTICLES):
        drop(fresh, f"inbound/menafn/crash-{index:02d}.txt", menafn_article(f"crash {index}"))
    # When the dispatcher takes a batch of ten and dies at its eighth write: the first article
    # fully written, the second part-written, none of the ten deleted from the queue
    monkeypatch.setattr(Bucket, "put_once", crash_at(8))
    fresh.start_dispatcher()
    wait_until(lambda: not fresh.dispatcher_running, 20, "the dispatcher to die")
    assert 0 < decision_count(fresh) < ARTICLES
    # And it is restarted, healthy, and the batch becomes visible again
    monkeypatch.undo()
    fresh.start_dispatcher()
    settled(fresh, ARTICLES)
    # Then every article is decided exactly once, each copy written exactly once
    records = decisions(fresh)
    assert len(records) == ARTICLES
    assert len({record["source"]["key"] for record in records}) == ARTICLES
    assert {record["outcome"] for record in records} == {"cleared"}
    assert len(objects(fresh, "cleared")) == ARTICLES * COPIES_PER_ARTICLE
    assert versions(fresh, "cleared") == ARTICLES * COPIES_PER_ARTICLE
    assert versions(fresh, "audit") == len(objects(fresh, "audit"))
    # And nothing went to the dead-letter queue
    assert fresh.queue_depth(fresh.queues.dead_letter_url) == 0
