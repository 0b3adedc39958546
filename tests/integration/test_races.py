"""Work on one article by invocations side by side, as Lambda runs them: two processors (and a
reviewer) in threads over the same state table and buckets, moto in this process.

Every commit is conditional on the revision read, so whatever the interleaving, a killed
article keeps no copy, and of two versions only the newer is ever left published. moto's
conditional writes are made atomic here, as DynamoDB's are (`clearance.local.atomic`).
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import boto3
import pytest

from clearance.aws.store import Bucket
from clearance.contracts import keys
from clearance.decide.licensee import Licensee
from clearance.lifecycle.record import Source
from clearance.lifecycle.state import Status
from clearance.local.atomic import make_conditional_writes_atomic
from clearance.services.lifecycle import Lifecycle
from clearance.services.processor import Processor
from clearance.services.review import Reviews
from clearance.terms.policy import PolicySet
from tests.conftest import dpa_article
from tests.integration.conftest import NAMES, moto_articles, provision_state_stack

pytestmark = pytest.mark.reliability

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KILL_TRIALS = 300
VERSION_TRIALS = 50


class Side:
    """One invocation's own clients and processor, as a separate Lambda container has."""

    def __init__(self, policies: PolicySet) -> None:
        articles = moto_articles(policies)
        self.inbound = Bucket(boto3.client("s3", region_name=NAMES.region), NAMES.bucket("inbound"))
        self.processor = Processor(self.inbound, articles, Licensee())
        self.reviews = Reviews(Lifecycle(articles, self.inbound, Licensee(), clock=lambda: NOW))


@pytest.fixture
def sides(policies: PolicySet, aws: None) -> tuple[Side, Side]:
    make_conditional_writes_atomic()
    provision_state_stack()
    return Side(policies), Side(policies)


def put(side: Side, key: str, data: bytes) -> Source:
    side.inbound.client.put_object(Bucket=NAMES.bucket("inbound"), Key=key, Body=data)
    return Source(NAMES.bucket("inbound"), key, None, NOW, f"req-{key}")


def side_by_side(*work: Callable[[], object]) -> None:
    """Start every piece of work at the same moment, each in its own thread; raise any failure."""
    start = threading.Barrier(len(work))
    failures: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        start.wait()
        try:
            job()
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def cleared_copies(side: Side, uri: str) -> list[str]:
    return list(
        side.processor.articles.buckets["cleared"].keys(
            keys.cleared_prefix("dpa", keys.article_id("dpa", uri))
        )
    )


DUPLICATED_ARTICLES = 40
DUPLICATES = 4


def test_shuffled_duplicates_taken_by_two_processors_side_by_side_are_decided_exactly_once(
    sides: tuple[Side, Side], figure: Callable[[str], None]
) -> None:
    left, right = sides
    # Given 40 articles, each S3 event delivered four times, all shuffled into one queue
    sources = [
        put(left, f"inbound/dpa/dup-{n}.json", dpa_article(f"urn:newsml:dpa.com:race:dup-{n}"))
        for n in range(DUPLICATED_ARTICLES)
    ]
    deliveries = [source for source in sources for _ in range(DUPLICATES)]
    random.Random(23).shuffle(deliveries)  # noqa: S311 - an order of work, not a secret
    queue = iter(deliveries)
    taking = threading.Lock()

    def take_until_empty(side: Side) -> None:
        while True:
            with taking:
                source = next(queue, None)
            if source is None:
                return
            side.processor.process(source)

    # When two processors take from the queue side by side
    side_by_side(partial(take_until_empty, left), partial(take_until_empty, right))
    # Then each article has one decision, and one set of copies, each written once
    audit = left.processor.articles.buckets["audit"]
    stored = [audit.get(key) for key in audit.keys(keys.DECISIONS)]
    decided = [json.loads(record.data) for record in stored if record is not None]
    assert sorted(r["source"]["key"] for r in decided) == sorted(s.key for s in sources)
    assert {r["outcome"] for r in decided} == {"cleared"}
    cleared = left.processor.articles.buckets["cleared"]
    listing = cleared.client.list_object_versions(Bucket=cleared.name, Prefix="cleared/")
    versions = [version["Key"] for version in listing.get("Versions", [])]
    assert len(versions) == 3 * DUPLICATED_ARTICLES
    assert len(set(versions)) == len(versions)
    figure(
        f"{DUPLICATED_ARTICLES} articles x {DUPLICATES} shuffled duplicates, two processors side"
        f" by side: {len(decided)} decisions, {len(versions)} copies each written once"
    )


def test_a_kill_racing_a_delivery_never_leaves_a_copy_published(sides: tuple[Side, Side]) -> None:
    left, right = sides
    rng = random.Random(7)  # noqa: S311 - an order of work, not a secret
    for trial in range(KILL_TRIALS):
        # Given an article's first version and its cancellation arriving together
        uri = f"urn:newsml:dpa.com:race:kill-{trial}"
        first = put(left, f"inbound/dpa/k{trial}-1.json", dpa_article(uri, "1"))
        cancel = put(
            left, f"inbound/dpa/k{trial}-2.json", dpa_article(uri, "2", pubStatus="canceled")
        )
        jobs = [partial(left.processor.process, first), partial(right.processor.process, cancel)]
        rng.shuffle(jobs)
        # When two processors decide them side by side
        side_by_side(*jobs)
        # Then the article is killed and no copy of it is left in the cleared bucket
        state = left.processor.articles.states.get(keys.article_id("dpa", uri))
        assert state is not None
        assert state.kill is not None, trial
        assert cleared_copies(left, uri) == [], trial


def test_two_versions_racing_leave_only_the_newer_published(sides: tuple[Side, Side]) -> None:
    left, right = sides
    rng = random.Random(11)  # noqa: S311 - an order of work, not a secret
    for trial in range(VERSION_TRIALS):
        uri = f"urn:newsml:dpa.com:race:versions-{trial}"
        first = put(left, f"inbound/dpa/v{trial}-1.json", dpa_article(uri, "1"))
        second = put(left, f"inbound/dpa/v{trial}-2.json", dpa_article(uri, "2"))
        jobs = [partial(left.processor.process, first), partial(right.processor.process, second)]
        rng.shuffle(jobs)
        side_by_side(*jobs)
        state = left.processor.articles.states.get(keys.article_id("dpa", uri))
        assert state is not None
        assert state.published is not None
        assert state.published.version == "2", trial
        copies = cleared_copies(left, uri)
        assert len(copies) == 3, (trial, copies)
        assert all("/v2-" in key for key in copies), (trial, copies)


def test_an_approval_racing_a_kill_loses_to_the_kill(sides: tuple[Side, Side]) -> None:
    left, right = sides
    altered = json.dumps({"copyrightNotice": "(c) somebody else"})
    for trial in range(20):
        uri = f"urn:newsml:dpa.com:race:review-{trial}"
        article_id = keys.article_id("dpa", uri)
        held = put(
            left, f"inbound/dpa/r{trial}-1.json", dpa_article(uri, "1", **json.loads(altered))
        )
        left.processor.process(held)
        state = left.processor.articles.states.get(article_id)
        assert state is not None
        assert state.versions[0].status is Status.HELD, state.versions[0].findings
        cancel = put(
            left, f"inbound/dpa/r{trial}-2.json", dpa_article(uri, "2", pubStatus="canceled")
        )
        verdict = {"version": "1", "verdict": "approve", "reason": "checked"}
        side_by_side(
            partial(right.reviews.verdict, article_id, verdict, "reviewer", f"rq-{trial}"),
            partial(left.processor.process, cancel),
        )
        after = left.processor.articles.states.get(article_id)
        assert after is not None
        assert after.kill is not None
        assert cleared_copies(left, uri) == [], trial
