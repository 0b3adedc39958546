"""One Lambda container's services over the in-memory fakes (`tests.fakes`), at unit speed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from clearance.contracts import keys
from clearance.decide.engine import Decision
from clearance.decide.licensee import Licensee
from clearance.services.review import Reviews
from clearance.terms.policy import PolicySet
from tests.fakes import FakeCloud

DELIVERED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
"""When the deliveries of a day in a test's life arrive."""
LATER = DELIVERED + timedelta(hours=2)
"""When what they started is carried on: the sweep, reviews, kills."""


class Container:
    """One container's processor, sweep and reviews, with collaborators of its own, over a
    cloud it may share with others (invocations side by side)."""

    def __init__(
        self,
        cloud: FakeCloud,
        policies: PolicySet,
        *,
        later: Callable[[], datetime],
        delivered: Callable[[], datetime] | None = None,
        articles_clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.cloud = cloud
        self.articles = cloud.articles(policies, clock=articles_clock)
        self.processor = cloud.processor(self.articles, Licensee(), clock=delivered)
        self.lifecycle = cloud.lifecycle(self.articles, later)
        self.reviews = Reviews(self.lifecycle, clock=later)

    def deliver(self, key: str, data: bytes, at: datetime, request_id: str) -> tuple[Decision, ...]:
        """A file dropped into the inbound bucket, then decided from its S3 event."""
        return self.processor.process(self.cloud.drop(key, data, at, request_id))

    def cleared_copies(self, provider: str, uri: str) -> list[str]:
        prefix = keys.cleared_prefix(provider, keys.article_id(provider, uri))
        return list(self.articles.buckets["cleared"].keys(prefix))


def day_of(policies: PolicySet) -> Container:
    """A container over a cloud of its own: deliveries decided just after DELIVERED, everything
    after them (the sweep, reviews, the articles' own clock) at LATER."""
    return Container(
        FakeCloud(),
        policies,
        later=lambda: LATER,
        delivered=lambda: DELIVERED + timedelta(seconds=5),
        articles_clock=lambda: LATER,
    )
