"""The one transition every event on an article goes through: `(state, event, now, policy)` to
`(new state, plan)`.

An event is a delivered version (with the engine's decision), a kill, a timer coming due, or a
reviewer's verdict. What depends on the world outside (the decision, a re-decision at the
embargo's end, the copies still present at a kill's deadline) is read by the caller first and
carried in the event, so each rule is a plain function, plain data in, plain data out:

- the newest version that clears is the one published; a newer one supersedes it, and an older
  one arriving later is recorded as superseded and never published (`publication`);
- an embargo's end decides the held version again; a licence's or an article's expiry withdraws
  the published copies;
- a kill withdraws every copy, keeps a tombstone and starts the kill duty's clock (`withdrawal`);
- a reviewer may approve or reject a version held for review, never one held for its embargo, a
  rejected one, or a killed article's.

A delivery that touches no article (unreadable, another provider's, too large to read) is
quarantined and recorded here too: this is the only place that quarantines and records.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from clearance.contracts import keys
from clearance.contracts.vocabulary import (
    ARTICLE_NOT_FOUND,
    FEED,
    SCHEDULE,
    TENANCY_RULES,
    EventKind,
    ReviewVerdict,
    Rule,
    TimerKind,
)
from clearance.decide.engine import Decision
from clearance.decide.findings import Finding, Outcome, Severity
from clearance.lifecycle.effects import Context, entry_of, iso, record_about
from clearance.lifecycle.events import (
    Change,
    Delivered,
    Event,
    KillOrdered,
    Refused,
    TimerFired,
    Verdict,
)
from clearance.lifecycle.plan import BucketRole, Plan, quarantine_writes
from clearance.lifecycle.publication import Decided, decided
from clearance.lifecycle.record import decision_id, decision_moment, delivery_record
from clearance.lifecycle.state import ArticleState, Hold, SourceRef, Status, Version
from clearance.lifecycle.withdrawal import early_kill, expired, kill, kill_deadline
from clearance.terms.policy import Policy


def transition(
    state: ArticleState | None,
    event: Event,
    now: datetime,
    policy: Policy | None,
    buckets: dict[BucketRole, str],
) -> Change:
    """The article's new state and the plan that carries it out; raises Refused.

    `policy` is the provider's terms in force at `now`; for a delivery, those its decision was
    made under (`Delivered.terms`).
    """
    context = Context(now, policy, buckets)
    match event:
        case Delivered():
            return delivered(context, state, event)
        case KillOrdered():
            if state is None or not state.versions:
                return early_kill(context, state, event)
            return kill(context, state, event.by, event.request_id)
        case TimerFired():
            return timer_fired(context, state, event)
        case Verdict():
            return verdict(context, state, event)
    raise TypeError(f"not an event: {event!r}")


def delivered(context: Context, state: ArticleState | None, event: Delivered) -> Change:
    """A delivered version decided: carried into its article, or set aside when it touches none."""
    decision, source = event.decision, event.source
    article = decision.article
    if state is not None and decision.provider not in (None, state.provider):
        decision = trespass(decision, state.provider)
    if article is None or decision.provider is None or decision.policy is None:
        return set_aside(context, state, decision, event)
    if decision.outcome is Outcome.REJECTED and any(
        f.rule_id.startswith(TENANCY_RULES) for f in decision.findings
    ):
        return set_aside(context, state, decision, event)
    current = state or ArticleState(
        decision.provider, keys.article_id(decision.provider, article["uri"]), article["uri"]
    )
    known = current.version(article["version"])
    if known is not None and known.decision_id == decision_id(decision):
        return Change(current, Plan())
    ref = SourceRef(
        source.bucket,
        source.key,
        source.version_id,
        decision.input_sha256,
        event.size,
        source.request_id,
        source.item,
    )
    if decision.outcome is Outcome.WITHDRAWN:
        entry = entry_of(decision, ref, Status.WITHDRAWN, at=source.arrived_at.isoformat())
        return kill(context, current.with_version(entry), FEED, source.request_id, entry)
    given = Decided(decision, source, ref, event.data, {"kind": EventKind.DELIVERY})
    return decided(context, current, given)


def set_aside(
    context: Context, state: ArticleState | None, decision: Decision, event: Delivered
) -> Change:
    """A delivery that touches no article: quarantined and recorded, the state unchanged."""
    unread = event.unread is not None
    writes = quarantine_writes(decision, event.source, event.data, unread=unread)
    copies = [context.stored(w) for w in writes]
    record = delivery_record(decision, event.source, event.size, copies)
    return Change(state, Plan(writes=writes, records=((record, ()),)))


def trespass(decision: Decision, owner: str) -> Decision:
    """A delivery naming another provider's article: rejected, the owner's article untouched."""
    uri = (decision.article or {}).get("uri")
    finding = Finding(
        Rule.TRESPASS,
        "/uri",
        Severity.CRITICAL,
        f"the article {uri} is {owner}'s: a delivery from {decision.provider} cannot change it",
    )
    return replace(
        decision,
        outcome=Outcome.REJECTED,
        findings=(*decision.findings, finding),
        cleared=None,
        renditions=(),
    )


def timer_fired(context: Context, state: ArticleState | None, event: TimerFired) -> Change:
    """A timer come due: an embargo's end, a licence's expiry, a kill's deadline. A timer the
    state no longer keeps has fired already."""
    timer = event.timer
    if state is None or timer not in state.timers:
        return Change(state, Plan())
    state_now = replace(state, timers=tuple(t for t in state.timers if t != timer))
    entry = state.version(timer.version)
    if timer.kind is TimerKind.EMBARGO:
        held = entry is not None and entry.status is Status.HELD and entry.hold is Hold.EMBARGO
        if not held or entry is None or event.decision is None:
            return Change(state_now, Plan())
        at = decision_moment(datetime.fromisoformat(timer.due), context.now)
        identity = (TimerKind.EMBARGO, state.provider, state.article_id, entry.version, timer.due)
        given = Decided(
            event.decision,
            entry.source.as_source(at.isoformat()),
            entry.source,
            b"",
            {"kind": EventKind.TIMER, "timer": TimerKind.EMBARGO, "by": SCHEDULE},
            identity=identity,
        )
        return decided(context, state_now, given)
    if timer.kind is TimerKind.EXPIRY:
        if entry is None or entry.status is not Status.PUBLISHED:
            return Change(state_now, Plan())
        return expired(context, state_now, entry, timer)
    return kill_deadline(context, state_now, entry or state.newest, timer, event.remaining)


def verdict(context: Context, state: ArticleState | None, event: Verdict) -> Change:
    """A reviewer's verdict on a version held for review: published with the approval (decided
    again), or rejected."""
    entry = reviewable(state, event.version)
    assert state is not None  # noqa: S101 - reviewable refuses a missing article
    review = {
        "reviewer": event.reviewer,
        "verdict": ReviewVerdict.APPROVE if event.approve else ReviewVerdict.REJECT,
        "reason": event.reason,
        "held_decision": entry.decision_id,
    }
    identity = (EventKind.REVIEW, state.provider, state.article_id, entry.version, event.request_id)
    kind = {"kind": EventKind.REVIEW, "by": event.reviewer}
    if event.approve:
        if event.decision is None:
            raise Refused(409, "review.not-decided", "the approval was not decided again")
        source = replace(entry.source.as_source(iso(context.now)), request_id=event.request_id)
        given = Decided(event.decision, source, entry.source, b"", kind, review, identity)
        return decided(context, state, given)
    message = f"rejected by {event.reviewer}: {event.reason}"
    finding = Finding(Rule.REVIEW_REJECTED, "", Severity.CRITICAL, message)
    record = record_about(
        context,
        state,
        entry,
        Outcome.REJECTED,
        event=kind,
        findings=[finding],
        identity=identity,
        review=review,
    )
    rejected = replace(entry, status=Status.REJECTED, hold=None)
    timers = tuple(t for t in state.timers if t.version != entry.version)
    new_state = replace(state.with_version(rejected), timers=timers)
    return Change(new_state, Plan(records=((record, ()),)))


def reviewable(state: ArticleState | None, version: str) -> Version:
    """The held version a reviewer may decide, or Refused saying why no person may."""
    if state is None:
        raise Refused(404, "article.not-found", ARTICLE_NOT_FOUND)
    entry = state.version(version)
    if entry is None:
        raise Refused(404, "version.not-found", f"no version {version!r} of this article is known")
    if state.kill is not None:
        raise Refused(409, "article.killed", "the provider withdrew this article; it stays down")
    if entry.status is not Status.HELD:
        status = entry.status.value
        raise Refused(409, f"version.{status}", f"version {version} is {status}, not held")
    if entry.hold is Hold.EMBARGO:
        raise Refused(
            409,
            "hold.embargo",
            f"version {version} is held until a time passes (an embargo or a time-limited "
            "exclusion); only time lifts it",
        )
    return entry
