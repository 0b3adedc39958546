"""Events on articles, carried out: read the state, transition once, write, commit, then finish
the outbox.

The commit is conditional on the revision read, so two invocations working on one article (a
kill racing a delivery, two versions arriving together) cannot interleave: the one that loses
reads again and decides on what the winner wrote. Copies are written before the commit and are
content-addressed; a plan that does not publish them removes them, so a lost race leaves none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Generic, TypeVar

from clearance.contracts import keys, media
from clearance.contracts.vocabulary import RENDITIONS, ObjectRef
from clearance.lifecycle.events import Change, Delivered, Event, KillOrdered
from clearance.lifecycle.plan import (
    NOTIFICATIONS_PER_REQUEST,
    BucketRole,
    Notification,
    Plan,
    Write,
)
from clearance.lifecycle.record import completed
from clearance.lifecycle.state import ArticleState, Status
from clearance.lifecycle.transition import transition
from clearance.services.observability import logger
from clearance.services.ports import ArticleStates, EventSink, ObjectStore
from clearance.terms.policy import Policy, PolicySet

MAX_ATTEMPTS = 8

E = TypeVar("E", bound=Event)


class ArticleBusy(RuntimeError):
    """Others kept changing the article; the event is retried (a queue redelivers it)."""


@dataclass(frozen=True, slots=True)
class Applied(Generic[E]):
    """What `Articles.apply` carried out: the event as it was read for the state it met (with
    the decision it carried), and the change the transition made of it."""

    event: E
    change: Change


@dataclass
class HeldEvents:
    """Committed changes whose events wait to be sent with others', ten to a request (a sweep's
    timers, a batch of deliveries): each change's outbox stays in its state until its events are
    out, so a crash before they are sent leaves the outbox for the next sweep to finish."""

    states: list[ArticleState] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    def hold(self, state: ArticleState, notifications: tuple[Notification, ...]) -> None:
        self.states.append(state)
        self.notifications.extend(notifications)

    @property
    def full(self) -> bool:
        return len(self.notifications) >= NOTIFICATIONS_PER_REQUEST

    def holds(self, article_id: str) -> bool:
        return any(state.article_id == article_id for state in self.states)


@dataclass
class Articles:
    """The collaborators every event on an article needs, behind their ports (in-memory fakes
    in the unit tests, the AWS adapters elsewhere)."""

    states: ArticleStates
    buckets: dict[BucketRole, ObjectStore]
    bus: EventSink
    policies: PolicySet
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    kept_terms: set[tuple[str, str]] = field(default_factory=set)

    def apply(
        self,
        article_id: str,
        event_for: Callable[[ArticleState | None], E],
        now: datetime,
        read: ArticleState | None = None,
        held: HeldEvents | None = None,
    ) -> Applied[E]:
        """Carry one event through: `event_for` reads what the event needs, given the state.

        `read` is the state as the caller has just read it, saving a read: the conditional put
        refuses it if it is already out of date, and the next attempt reads afresh. With `held`,
        the committed change's events wait there for `release`, its outbox kept until then; an
        earlier change of the same article still held is released first, so its events go out
        once and in order."""
        if held is not None and held.holds(article_id):
            self.release(held)
        lost: set[str] = set()
        try:
            for attempt in range(MAX_ATTEMPTS):
                state = read if attempt == 0 and read is not None else self.states.get(article_id)
                if state is not None and state.outbox:
                    self.finish(state)
                    continue
                event = event_for(state)
                change = transition(state, event, now, self.terms(state, event, now), self.names)
                written = self.write(change.plan.writes)
                if change.state is None or (change.state == state and not change.plan.outbox):
                    self.complete(change.plan)
                    return Applied(event, change)
                revision = state.revision if state else 0
                committed = replace(
                    change.state.with_copy_versions(written),
                    revision=revision + 1,
                    outbox=change.plan.outbox,
                )
                if self.states.put(committed, revision):
                    self.finish(committed, held)
                    return Applied(event, change)
                lost |= {w.key for w in change.plan.writes if w.kind in RENDITIONS}
                logger.info(
                    "article changed meanwhile; deciding again", extra={"article": article_id}
                )
            raise ArticleBusy(f"article {article_id} changed {MAX_ATTEMPTS} times while deciding")
        finally:
            if lost:
                self.take_down_unpublished(article_id, lost)

    def take_down_unpublished(self, article_id: str, written: set[str]) -> None:
        """Copies an attempt wrote before losing its commit, unless the article shows them now.

        Only copies of a killed article, or of a version the state has settled as not shown,
        are removed: a version nobody has decided yet may be another invocation's, in flight.
        """
        state = self.states.get(article_id)
        if state is None:
            return
        shown = {c.key for v in state.versions if v.status is Status.PUBLISHED for c in v.copies}
        settled = tuple(
            keys.cleared_version_prefix(state.provider, state.article_id, v.version)
            for v in state.versions
        )
        taken = [
            key
            for key in sorted(written - shown)
            if state.kill is not None or key.startswith(settled)
        ]
        if taken:
            self.buckets["cleared"].delete_many(taken)

    def terms(self, state: ArticleState | None, event: Event, now: datetime) -> Policy | None:
        """The terms an event is carried out under: a delivery's are those its decision was made
        under; any other event's, the provider's in force `now`."""
        if isinstance(event, Delivered):
            return event.terms
        provider = state.provider if state else _provider_of(event)
        return self.policies.in_force(provider, now) if provider else None

    def set_aside(self, delivered: Delivered) -> Change:
        """A delivery with no article to file it under (unreadable, unidentified, too large to
        read): quarantined and recorded through the transition, no state kept."""
        change = transition(None, delivered, delivered.source.arrived_at, None, self.names)
        self.write(change.plan.writes)
        self.complete(change.plan)
        return change

    def settle(self, article_id: str) -> ArticleState | None:
        """The article's state, once what a committed change still owed it is done."""
        state = self.states.get(article_id)
        if state is not None and state.outbox:
            self.finish(state)
            state = self.states.get(article_id)
        return state

    def finish(self, state: ArticleState, held: HeldEvents | None = None) -> None:
        """Do what a committed change still owes, then clear its outbox (if nobody else has);
        with `held`, its events and the clearing wait there for `release`."""
        plan = Plan.from_outbox(state.outbox) if state.outbox else Plan()
        self.carry_out(plan)
        if held is not None:
            held.hold(state, plan.notifications)
            return
        if plan.notifications:
            self.bus.publish(plan.notifications)
        self.clear_outbox(state)

    def release(self, held: HeldEvents) -> None:
        """Send the held events, as few requests as EventBridge allows, then clear each
        change's outbox."""
        if held.notifications:
            self.bus.publish(held.notifications)
        for state in held.states:
            self.clear_outbox(state)
        held.states.clear()
        held.notifications.clear()

    def clear_outbox(self, state: ArticleState) -> None:
        """The state without its outbox, unless another writer has moved it on (and finished
        the outbox itself)."""
        self.states.put(replace(state, revision=state.revision + 1, outbox=None), state.revision)

    def complete(self, plan: Plan) -> None:
        self.carry_out(plan)
        if plan.notifications:
            self.bus.publish(plan.notifications)

    def carry_out(self, plan: Plan) -> None:
        """A plan's removals and records (its events are the caller's to send)."""
        removed = self.remove(plan)
        for record, removes in plan.records:
            self.keep_terms(record.get("policy"))
            done = record
            if removes:
                covered = [r for r in removed if any(_covers(key, r.key) for key in removes)]
                done = completed(record, covered)
            self.write(plan.record_writes(done))

    def keep_terms(self, ref: Mapping[str, str] | None) -> None:
        """The exact terms text a record names, kept beside the log (once per text)."""
        audit = self.buckets["audit"]
        if not ref or (audit.name, ref["sha256"]) in self.kept_terms:
            return
        policy = self.policies.by_sha256(ref["sha256"])
        if policy is not None:
            audit.put_once(keys.policy_text_key(policy.id, policy.sha256), policy.raw, media.JSON)
        self.kept_terms.add((audit.name, ref["sha256"]))

    def remove(self, plan: Plan) -> list[ObjectRef]:
        """Take the plan's copies down, in one request; what was removed, and when.

        A copy the state knew of is listed with the version and hash the state kept, even when an
        interrupted earlier attempt already removed it, so a withdrawal's record names every copy
        that was up, and nothing is read from S3 first. A straggler found under a prefix is
        described (its version and hash) and listed when this attempt removes it.
        """
        cleared = self.buckets["cleared"]
        known = {r.key: r for r in plan.removals}
        found_under = {key for prefix in plan.prefixes for key in cleared.keys(prefix)}
        stragglers = {key: cleared.describe(key) for key in sorted(found_under - set(known))}
        present = {key: found for key, found in stragglers.items() if found is not None}
        taken = sorted(set(known) | set(present))
        if taken:
            cleared.delete_many(taken)
        removed_at = _now(self.clock)
        removed = []
        for key in taken:
            expected = known.get(key)
            version_id, sha256 = (
                (expected.version_id, expected.sha256) if expected else present[key]
            )
            removed.append(
                ObjectRef(cleared.name, key, sha256, version_id=version_id, removed_at=removed_at)
            )
        return removed

    def write(self, writes: tuple[Write, ...]) -> dict[str, str]:
        """Each object written once: its bytes, or a copy made inside S3 of another object.

        The S3 version of each cleared copy, by key: as its put answered, or, for a copy an
        interrupted attempt already wrote, as S3 describes it (only on that retry)."""
        made: dict[str, str] = {}
        for write in writes:
            bucket, origin = self.buckets[write.bucket], write.copy_of
            if origin is not None:
                version = bucket.copy_once(origin.bucket, origin.key, origin.version_id, write.key)
            else:
                version = bucket.put_once(write.key, write.data, write.content_type)
            if write.kind not in RENDITIONS:
                continue
            if version is None:
                found = bucket.describe(write.key)
                version = found[0] if found else None
            if version is not None:
                made[write.key] = version
        return made

    @property
    def names(self) -> dict[BucketRole, str]:
        return {role: bucket.name for role, bucket in self.buckets.items()}


def _covers(removes: str, key: str) -> bool:
    """Whether a record's removal entry (a key, or a prefix) takes in `key`."""
    return key.startswith(removes)


def _now(clock: Callable[[], datetime]) -> str:
    return clock().astimezone(UTC).isoformat()


def _provider_of(event: Event) -> str | None:
    return event.provider if isinstance(event, KillOrdered) else None
