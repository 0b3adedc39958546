"""The minute sweep: every timer that has come due (an embargo's end, a licence's expiry, a
kill's deadline) carried through the article's transition, and every outbox a crash left
unfinished completed.

Due articles are found through the state table's `due` index, never a scan. What a timer's
event depends on is read first: the held delivery, decided again as at the embargo's end; the
copies still present at a kill's deadline. Firing is idempotent: a fired timer is gone from the
state, so a second sweep, or two sweeps at once, find nothing more to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from clearance.contracts import keys, media
from clearance.contracts.vocabulary import TimerKind
from clearance.decide.engine import Approval, Decision, Prior, decide, identify
from clearance.decide.licensee import Licensee
from clearance.lifecycle.events import Event, TimerFired
from clearance.lifecycle.record import decision_moment
from clearance.lifecycle.state import ArticleState, Timer
from clearance.services.articles import Articles, HeldEvents
from clearance.services.observability import logger
from clearance.services.ports import ObjectStore


@dataclass(frozen=True, slots=True)
class Sweep:
    articles: int
    timers: int


@dataclass
class Lifecycle:
    articles: Articles
    inbound: ObjectStore
    licensee: Licensee
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def sweep(self) -> Sweep:
        """Every due timer fired; the events of the articles' changes sent ten to a request."""
        now = self.clock().astimezone(UTC)
        due_ids = sorted(set(self.articles.states.due(now.isoformat())))
        fired = 0
        held = HeldEvents()
        for article_id in due_ids:
            state = self.articles.settle(article_id)
            read = state
            for timer in due_timers(state, now):
                # The settled state serves the first timer; each next one reads what it left.
                self.articles.apply(article_id, partial(self.event, timer=timer), now, read, held)
                read = None
                fired += 1
            if held.full:
                self.articles.release(held)
        self.articles.release(held)
        logger.info("swept", extra={"articles": len(due_ids), "timers": fired})
        return Sweep(len(due_ids), fired)

    def event(self, state: ArticleState | None, *, timer: Timer) -> Event:
        """The timer's event, with what it depends on read now, from the state given."""
        if state is None or timer not in state.timers:
            return TimerFired(timer)
        if timer.kind is TimerKind.KILL_DEADLINE:
            prefix = keys.cleared_prefix(state.provider, state.article_id)
            return TimerFired(timer, remaining=tuple(self.articles.buckets["cleared"].keys(prefix)))
        if timer.kind is TimerKind.EMBARGO:
            at = decision_moment(datetime.fromisoformat(timer.due), self.clock())
            return TimerFired(timer, decision=self.redecide(state, timer.version, at))
        return TimerFired(timer)

    def redecide(
        self, state: ArticleState, version: str, at: datetime, approval: Approval | None = None
    ) -> Decision | None:
        """A known version's delivery decided again as at `at` (an embargo's end, a review)."""
        entry = state.version(version)
        if entry is None:
            return None
        stored = self.inbound.get(entry.source.key, entry.source.version_id)
        if stored is None:
            raise LookupError(f"the delivery of {state.article_id} v{entry.version} is gone")
        identified = identify(
            stored.data,
            policies=self.articles.policies,
            provider=state.provider,
            media_type=media.of_extension(keys.extension_of(entry.source.key))
            or stored.content_type,
            item=entry.source.item,
        )
        if isinstance(identified, Decision):
            return identified
        prior = Prior(withdrawn=state.kill is not None, approval=approval)
        return decide(identified, now=at, licensee=self.licensee, prior=prior)


def due_timers(state: ArticleState | None, now: datetime) -> list[Timer]:
    if state is None:
        return []
    return [t for t in state.timers if datetime.fromisoformat(t.due) <= now]
