"""Copies coming down: a kill (with its tombstone and the duty's deadline), a kill ordered before
any delivery of its article is decided, a licence's expiry, and the check at a kill's deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from clearance.contracts import keys, media
from clearance.contracts.encoding import json_line
from clearance.contracts.vocabulary import (
    ARTICLE_NOT_FOUND,
    SCHEDULE,
    CopyKind,
    EventKind,
    ObjectRef,
    Reason,
    Rule,
    TimerKind,
)
from clearance.decide.findings import Finding, Outcome, Severity
from clearance.lifecycle.effects import Context, iso, notice, plain_kill, record_about, removals_of
from clearance.lifecycle.events import Change, KillOrdered, Refused
from clearance.lifecycle.plan import Plan, Write
from clearance.lifecycle.state import ArticleState, Kill, Status, Timer, Version


def kill(
    context: Context,
    state: ArticleState,
    by: str,
    request_id: str,
    delivered: Version | None = None,
) -> Change:
    """Every copy withdrawn, a tombstone kept, and the kill duty's clock started; `delivered`:
    the cancelled version a feed delivered, which the record is about."""
    if state.kill is not None:
        return Change(state, Plan())
    policy = context.policy
    hours = (policy.constraints["kill"] if policy else {}).get("within_hours")
    deadline = iso(context.now + timedelta(hours=hours)) if hours else None
    order = Kill(received_at=iso(context.now), by=by, deadline=deadline)
    published = state.published
    subject = delivered or published or state.newest
    removals = removals_of(state.versions)
    down = (Status.PUBLISHED, Status.HELD)
    versions = tuple(
        replace(v, status=Status.WITHDRAWN if v.status in down else v.status, hold=None, copies=())
        for v in state.versions
    )
    version = subject.version if subject else ""
    timers = (Timer(TimerKind.KILL_DEADLINE, deadline, version),) if deadline else ()
    new_state = replace(state, versions=versions, kill=order, timers=timers)
    tombstone = tombstone_of(new_state, order)
    prefix = keys.cleared_prefix(state.provider, state.article_id)
    record = _kill_record(
        context,
        new_state,
        subject,
        order=order,
        request_id=request_id,
        tombstone=tombstone,
        prefix=prefix,
    )
    notifications = (
        (notice("Article Withdrawn", state, published, Reason.KILL),) if published else ()
    )
    plan = Plan(
        writes=(tombstone,),
        removals=removals,
        prefixes=(prefix,),
        records=((record, (*(r.key for r in removals), prefix)),),
        notifications=notifications,
    )
    return Change(new_state, plan)


def early_kill(context: Context, state: ArticleState | None, event: KillOrdered) -> Change:
    """A kill that arrives before any delivery of its article is decided (it may be queued):
    kept as a tombstone, so the article is never published when it comes."""
    if state is not None and state.kill is not None:
        return Change(state, Plan())
    provider, article, uri = event.provider, event.article, event.uri
    if provider is None or article is None:
        raise Refused(404, "article.not-found", ARTICLE_NOT_FOUND)
    if uri is None or keys.article_id(provider, uri) != article:
        raise Refused(
            404,
            "article.not-found",
            f"{ARTICLE_NOT_FOUND} To kill it before it arrives, name its uri in the body "
            '({"uri": "..."}), the uri this article id was made from.',
        )
    killed = ArticleState(provider, article, uri)
    return kill(context, killed, event.by, event.request_id)


def tombstone_of(state: ArticleState, kill: Kill) -> Write:
    """What stays of a killed article: who killed it, when, and by when every copy is down."""
    return Write(
        "cleared",
        keys.tombstone_key(state.provider, state.article_id),
        json_line({"provider": state.provider, "uri": state.uri, **plain_kill(kill)}),
        media.JSON,
        CopyKind.TOMBSTONE,
    )


def expired(context: Context, state: ArticleState, entry: Version, timer: Timer) -> Change:
    """A licence's or an article's end: the published version's copies come down."""
    removals = removals_of([entry])
    finding = Finding(
        Rule.EXPIRED,
        "/expires",
        Severity.INFO,
        f"the licence for version {entry.version} ended at {timer.due}: its copies come down",
    )
    record = record_about(
        context,
        state,
        entry,
        Outcome.WITHDRAWN,
        event=timer_event(TimerKind.EXPIRY, Reason.EXPIRY),
        findings=[finding],
        identity=(TimerKind.EXPIRY, state.provider, state.article_id, entry.version, timer.due),
    )
    plan = Plan(
        removals=removals,
        records=((record, tuple(r.key for r in removals)),),
        notifications=(notice("Article Withdrawn", state, entry, Reason.EXPIRY),),
    )
    withdrawn = replace(entry, status=Status.WITHDRAWN, copies=())
    return Change(state.with_version(withdrawn), plan)


def kill_deadline(
    context: Context,
    state: ArticleState,
    entry: Version | None,
    timer: Timer,
    remaining: tuple[str, ...],
) -> Change:
    """A kill's deadline: recorded as kept, or as overdue with the copies still present then
    taken down."""
    if entry is None and state.kill is None:
        return Change(state, Plan())
    if remaining:
        finding = Finding(
            Rule.KILL_OVERDUE,
            "",
            Severity.CRITICAL,
            f"{len(remaining)} cleared copies remained at the kill deadline {timer.due}",
        )
    else:
        message = f"no cleared copy remained at the kill deadline {timer.due}"
        finding = Finding(Rule.KILL_COMPLETE, "", Severity.INFO, message)
    removals = tuple(ObjectRef(context.buckets["cleared"], key, None) for key in remaining)
    record = record_about(
        context,
        state,
        entry,
        Outcome.WITHDRAWN,
        event=timer_event(TimerKind.KILL_DEADLINE, Reason.KILL),
        findings=[finding],
        identity=(TimerKind.KILL_DEADLINE, state.provider, state.article_id, timer.due),
        deadline=timer.due,
        source=context.source_of(tombstone_of(state, state.kill)) if state.kill else None,
        request_id=None if entry else SCHEDULE,
    )
    plan = Plan(removals=removals, records=((record, tuple(r.key for r in removals)),))
    return Change(state, plan)


def _kill_record(
    context: Context,
    state: ArticleState,
    subject: Version | None,
    *,
    order: Kill,
    request_id: str,
    tombstone: Write,
    prefix: str,
) -> dict[str, Any]:
    """The record of a kill: who ordered it, every copy it takes down, by when."""
    by, deadline = order.by, order.deadline
    name = context.policy.name if context.policy else state.provider
    within = f", by {deadline}" if deadline else ""
    before = "" if subject else " before any delivery of it was decided: it is never published"
    finding = Finding(
        Rule.WITHDRAWN,
        "/pub_status",
        Severity.INFO,
        f"{name} withdrew this article ({by}){before}: every cleared copy is removed{within}",
    )
    return record_about(
        context,
        state,
        subject,
        Outcome.WITHDRAWN,
        event={"kind": EventKind.KILL, "by": by, "reason": Reason.KILL},
        findings=[finding],
        identity=(EventKind.KILL, state.provider, state.article_id),
        request_id=request_id,
        copies=[context.stored(tombstone)],
        withdrawn_prefix=prefix,
        deadline=deadline,
        source=context.source_of(tombstone),
    )


def timer_event(timer: TimerKind, reason: Reason) -> dict[str, str]:
    """What the record says of a timer that fired: the schedule fired it, for this reason."""
    return {"kind": EventKind.TIMER, "timer": timer, "by": SCHEDULE, "reason": reason}
