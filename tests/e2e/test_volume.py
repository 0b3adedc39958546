"""Two hundred articles, each delivered more than once, in any order: one decision each."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from clearance.local.stack import LocalStack
from tests.e2e.conftest import decision_count, decisions, deliver, drop, menafn_article, settled

ARTICLES = 200
DROPPED_TOO = 8
"""One article in eight is also dropped as a file; processing a delivery costs ~10 S3 calls."""


@dataclass(frozen=True)
class Delivery:
    index: int
    way: str


def send(stack: LocalStack, delivery: Delivery) -> int:
    """A webhook POST (a replay reuses its delivery id), or a file drop (status 0)."""
    body = menafn_article(f"volume {delivery.index:03d}")
    if delivery.way == "webhook":
        return deliver(stack, body, f"msg-volume-{delivery.index:03d}").status
    drop(stack, f"inbound/menafn/volume/{delivery.index:03d}.txt", body)
    return 0


def test_two_hundred_articles_delivered_several_times_give_two_hundred_decisions(
    fresh: LocalStack,
) -> None:
    # Given 200 distinct MENAFN articles, each POSTed twice with one delivery id (a provider's
    # retry after a lost answer), one in eight also dropped as a file, all shuffled
    plan = [Delivery(i, "webhook") for i in range(ARTICLES) for _ in range(2)]
    plan += [Delivery(i, "file") for i in range(0, ARTICLES, DROPPED_TOO)]
    random.Random(20261123).shuffle(plan)  # noqa: S311 - a repeatable order, not a secret
    # When two senders deliver them side by side
    with ThreadPoolExecutor(max_workers=2) as senders:
        statuses = list(senders.map(lambda delivery: send(fresh, delivery), plan))
    # Then every POST, replays included, was accepted
    assert statuses.count(202) == 2 * ARTICLES
    assert statuses.count(0) == ARTICLES // DROPPED_TOO
    # And once the queue is drained there is exactly one decision per article
    settled(fresh, ARTICLES, timeout=60)
    assert decision_count(fresh) == ARTICLES
    records = decisions(fresh)
    assert len({record["article"]["headline"] for record in records}) == ARTICLES
    assert {record["outcome"] for record in records} == {"cleared"}
