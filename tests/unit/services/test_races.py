"""Work on one article by invocations side by side, as Lambda runs them: two processors (and a
reviewer) in threads over the same state table and buckets, the in-memory fakes.

Every commit is conditional on the revision read, so whatever the interleaving, a killed
article keeps no copy, and of two versions only the newer is ever left published. The fakes'
conditional writes are atomic, as DynamoDB's and S3's are, and every call to them lets the other
thread run, as a request on the wire does.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import pytest

from clearance.contracts import keys
from clearance.lifecycle.record import Source
from clearance.lifecycle.state import Status
from clearance.terms.policy import PolicySet
from tests.conftest import dpa_article
from tests.fakes import FakeCloud
from tests.unit.services.container import Container

pytestmark = pytest.mark.reliability

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KILL_TRIALS = 300
VERSION_TRIALS = 50


@pytest.fixture
def sides(policies: PolicySet) -> tuple[Container, Container]:
    """Two containers, each with its own collaborators, over one cloud."""
    cloud = FakeCloud()
    return Container(cloud, policies, later=lambda: NOW), Container(
        cloud, policies, later=lambda: NOW
    )


def put(side: Container, key: str, data: bytes) -> Source:
    return side.cloud.drop(key, data, NOW)


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


DUPLICATED_ARTICLES = 40
DUPLICATES = 4


def test_shuffled_duplicates_taken_by_two_processors_side_by_side_are_decided_exactly_once(
    sides: tuple[Container, Container], figure: Callable[[str], None]
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

    def take_until_empty(side: Container) -> None:
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
    versions = left.cloud.bucket("cleared").versions("cleared/")
    assert len(versions) == 3 * DUPLICATED_ARTICLES
    assert len(set(versions)) == len(versions)
    figure(
        f"{DUPLICATED_ARTICLES} articles x {DUPLICATES} shuffled duplicates, two processors side"
        f" by side: {len(decided)} decisions, {len(versions)} copies each written once"
    )


def test_a_kill_racing_a_delivery_never_leaves_a_copy_published(
    sides: tuple[Container, Container],
) -> None:
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
        assert left.cleared_copies("dpa", uri) == [], trial


def test_two_versions_racing_leave_only_the_newer_published(
    sides: tuple[Container, Container],
) -> None:
    left, right = sides
    rng = random.Random(11)  # noqa: S311 - an order of work, not a secret
    for trial in range(VERSION_TRIALS):
        # Given two versions of an article arriving together
        uri = f"urn:newsml:dpa.com:race:versions-{trial}"
        first = put(left, f"inbound/dpa/v{trial}-1.json", dpa_article(uri, "1"))
        second = put(left, f"inbound/dpa/v{trial}-2.json", dpa_article(uri, "2"))
        jobs = [partial(left.processor.process, first), partial(right.processor.process, second)]
        rng.shuffle(jobs)
        # When two processors decide them side by side
        side_by_side(*jobs)
        # Then the newer is published, and only its three copies are in the cleared bucket
        state = left.processor.articles.states.get(keys.article_id("dpa", uri))
        assert state is not None
        assert state.published is not None
        assert state.published.version == "2", trial
        copies = left.cleared_copies("dpa", uri)
        assert len(copies) == 3, (trial, copies)
        assert all("/v2-" in key for key in copies), (trial, copies)


def test_an_approval_racing_a_kill_loses_to_the_kill(sides: tuple[Container, Container]) -> None:
    left, right = sides
    altered = json.dumps({"copyrightNotice": "(c) somebody else"})
    for trial in range(20):
        # Given a version held for review
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
        # When a reviewer approves it while its cancellation is decided
        side_by_side(
            partial(right.reviews.verdict, article_id, verdict, "reviewer", f"rq-{trial}"),
            partial(left.processor.process, cancel),
        )
        # Then the kill wins: the article is killed, with no copy left
        after = left.processor.articles.states.get(article_id)
        assert after is not None
        assert after.kill is not None
        assert left.cleared_copies("dpa", uri) == [], trial
