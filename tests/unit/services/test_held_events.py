"""A sweep, and a batch of deliveries, send their articles' events ten to a request, and keep each
change's outbox until its events are out: a crash before they are sent is finished by the next
sweep, nothing lost; two changes of one article send their events in order, each once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

import pytest

from clearance.contracts import keys
from clearance.lifecycle.plan import Notification
from clearance.services.articles import HeldEvents
from clearance.terms.policy import PolicySet
from tests.conftest import dpa_article
from tests.fakes import FakeBus
from tests.unit.services.container import DELIVERED, Container, day_of

EMBARGO_ENDS = DELIVERED + timedelta(hours=1)


def uri(n: int) -> str:
    return f"urn:newsml:dpa.com:20261123:sweep-{n:03d}"


def embargoed(policies: PolicySet, count: int) -> Container:
    """`count` dpa articles held until EMBARGO_ENDS, each with one timer due by LATER."""
    world = day_of(policies)
    for n in range(count):
        body = dpa_article(uri(n), embargo=EMBARGO_ENDS.isoformat())
        world.deliver(f"inbound/dpa/sweep-{n:03d}.json", body, DELIVERED, f"req-{n}")
    return world


@contextmanager
def requests_to(bus: FakeBus, *, refuse_first: bool = False) -> Iterator[list[int]]:
    """The number of entries in each PutEvents the bus receives; `refuse_first`: the first
    request fails as EventBridge unreachable."""
    sizes: list[int] = []
    publish = bus.publish

    def counted(notifications: Sequence[Notification]) -> None:
        if refuse_first and not sizes:
            sizes.append(0)
            raise ConnectionError("EventBridge unreachable")
        sizes.append(len(notifications))
        publish(notifications)

    bus.publish = counted  # type: ignore[method-assign]
    try:
        yield sizes
    finally:
        bus.publish = publish  # type: ignore[method-assign]


def outboxes(world: Container, count: int) -> int:
    states = (world.articles.states.get(keys.article_id("dpa", uri(n))) for n in range(count))
    return sum(1 for state in states if state is not None and state.outbox)


def test_a_sweep_sends_its_events_ten_to_a_request(policies: PolicySet) -> None:
    # Given 25 articles whose embargoes have ended
    world = embargoed(policies, 25)
    before = len(world.cloud.bus.events())
    # When one sweep releases them
    with requests_to(world.cloud.bus) as sizes:
        swept = world.lifecycle.sweep()
    # Then their 25 events went out in three requests, none over EventBridge's ten
    assert swept.timers == 25
    assert sizes == [10, 10, 5]
    events = world.cloud.bus.events()[before:]
    assert sorted(e["detail"]["article_id"] for e in events) == sorted(
        keys.article_id("dpa", uri(n)) for n in range(25)
    )
    assert {e["detail-type"] for e in events} == {"Article Cleared"}
    # And every article is published, its outbox cleared
    assert outboxes(world, 25) == 0
    assert all(len(world.cleared_copies("dpa", uri(n))) == 3 for n in range(25))


def test_events_a_crash_kept_from_the_bus_are_sent_by_the_next_sweep(
    policies: PolicySet,
) -> None:
    # Given 12 released articles whose first batch of events could not be sent
    world = embargoed(policies, 12)
    before = len(world.cloud.bus.events())
    with requests_to(world.cloud.bus, refuse_first=True), pytest.raises(ConnectionError):
        world.lifecycle.sweep()
    # Then the ten whose events were held keep their outboxes, their copies already written
    assert outboxes(world, 12) == 10
    assert len(world.cloud.bus.events()) == before
    # When the next sweep runs
    with requests_to(world.cloud.bus) as sizes:
        world.lifecycle.sweep()
    # Then every article's event has gone out, the outboxes are finished, and none is lost
    announced = [e["detail"]["article_id"] for e in world.cloud.bus.events()[before:]]
    assert sorted(set(announced)) == sorted(keys.article_id("dpa", uri(n)) for n in range(12))
    assert outboxes(world, 12) == 0
    assert all(len(world.cleared_copies("dpa", uri(n))) == 3 for n in range(12))
    assert sum(sizes) == len(announced)


def test_two_timers_of_one_article_in_one_sweep_each_send_their_event_once(
    policies: PolicySet,
) -> None:
    # Given an article whose published version 1 expires at 12:30 and whose correction,
    # version 2, is embargoed until 13:00: both due when the sweep runs at 14:00
    world = day_of(policies)
    article = uri(7)
    expires = (DELIVERED + timedelta(minutes=30)).isoformat()
    world.deliver("inbound/dpa/v1.json", dpa_article(article, expires=expires), DELIVERED, "r1")
    correction = dpa_article(article, "2", embargo=EMBARGO_ENDS.isoformat())
    world.deliver("inbound/dpa/v2.json", correction, DELIVERED, "r2")
    before = len(world.cloud.bus.events())
    # When one sweep fires both timers
    with requests_to(world.cloud.bus) as sizes:
        swept = world.lifecycle.sweep()
    # Then version 1 is withdrawn and version 2 published, each announced once, the first
    # change's events sent before the second timer read the state it left
    assert swept.timers == 2
    state = world.articles.states.get(keys.article_id("dpa", article))
    assert state is not None
    assert [(v.version, v.status.value) for v in state.versions] == [
        ("1", "withdrawn"),
        ("2", "published"),
    ]
    assert state.outbox is None
    announced = [(e["detail-type"], e["detail"]["version"]) for e in world.cloud.bus.events()]
    assert announced[before:] == [("Article Withdrawn", "1"), ("Article Cleared", "2")]
    assert sizes == [1, 1]


def test_two_versions_of_one_article_in_one_batch_each_send_their_events_once(
    policies: PolicySet,
) -> None:
    # Given a batch holding an article's version 1 and its correction, version 2
    world = day_of(policies)
    article = uri(9)
    held = HeldEvents()
    before = len(world.cloud.bus.events())
    # When the processor decides both, holding the batch's events
    with requests_to(world.cloud.bus) as sizes:
        for version in ("1", "2"):
            body = dpa_article(article, version)
            dropped = world.cloud.drop(f"inbound/dpa/v{version}.json", body, DELIVERED, version)
            world.processor.process(dropped, held)
        world.articles.release(held)
    # Then version 1's events went before version 2 was decided, and each event once
    announced = [(e["detail-type"], e["detail"]["version"]) for e in world.cloud.bus.events()]
    assert announced[before:] == [
        ("Article Cleared", "1"),
        ("Article Superseded", "1"),
        ("Article Cleared", "2"),
    ]
    assert sizes == [1, 2]
    state = world.articles.states.get(keys.article_id("dpa", article))
    assert state is not None
    assert state.outbox is None
