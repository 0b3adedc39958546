"""The one transition every event on an article goes through: `(state, event, now, policy)` to
`(new state, plan)`.

An event is a delivered version (with the engine's decision), a kill, a timer coming due, or a
reviewer's verdict. What depends on the world outside (the decision, a re-decision at the
embargo's end, the copies still present at a kill's deadline) is read by the caller first and
carried in the event, so the rules are plain data in, plain data out:

- the newest version that clears is the one published; a newer one supersedes it, and an older
  one arriving later is recorded as superseded and never published;
- an embargo's end decides the held version again; a licence's or an article's expiry withdraws
  the published copies;
- a kill withdraws every copy, keeps a tombstone and starts the kill duty's clock;
- a reviewer may approve or reject a version held for review, never one held for its embargo, a
  rejected one, or a killed article's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from clearance.contracts import keys, media
from clearance.contracts.encoding import json_line
from clearance.decide.engine import Decision
from clearance.decide.findings import Finding, Outcome, Severity
from clearance.lifecycle.effects import entry_of, iso, notice, plain_kill, removals_of
from clearance.lifecycle.events import (
    Change,
    Delivered,
    Event,
    KillOrdered,
    Refused,
    TimerFired,
    Verdict,
)
from clearance.lifecycle.plan import (
    BucketRole,
    Plan,
    Removal,
    Write,
    quarantine_writes,
)
from clearance.lifecycle.publication import Publisher
from clearance.lifecycle.record import (
    Copy,
    decision_id,
    decision_moment,
    decision_record,
)
from clearance.lifecycle.state import (
    ArticleState,
    Hold,
    Kill,
    SourceRef,
    Status,
    Timer,
    TimerKind,
    Version,
)
from clearance.terms.policy import Policy


def transition(
    state: ArticleState | None,
    event: Event,
    now: datetime,
    policy: Policy | None,
    buckets: dict[BucketRole, str],
) -> Change:
    """The article's new state and the plan that carries it out; raises Refused."""
    rules = _Rules(now, policy, buckets)
    match event:
        case Delivered():
            return rules.delivered(state, event)
        case KillOrdered():
            if state is None or not state.versions:
                return rules.early_kill(state, event)
            return rules.kill(state, event.by, event.request_id)
        case TimerFired():
            return rules.timer_fired(state, event)
        case Verdict():
            return rules.verdict(state, event)
    raise TypeError(f"not an event: {event!r}")


def trespass(decision: Decision, owner: str) -> Decision:
    """A delivery naming another provider's article: rejected, the owner's article untouched."""
    uri = (decision.article or {}).get("uri")
    finding = Finding(
        "tenancy.provider",
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


def tombstone_of(state: ArticleState, kill: Kill) -> Write:
    """What stays of a killed article: who killed it, when, and by when every copy is down."""
    return Write(
        "cleared",
        keys.tombstone_key(state.provider, state.article_id),
        json_line({"provider": state.provider, "uri": state.uri, **plain_kill(kill)}),
        media.JSON,
        "tombstone",
    )


def reviewable(state: ArticleState | None, version: str) -> Version:
    """The held version a reviewer may decide, or Refused saying why no person may."""
    if state is None:
        raise Refused(404, "article.not-found", "no delivery of this article is known")
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


class _Rules(Publisher):
    """The rules for each kind of event, over the shared context and publication."""

    def delivered(self, state: ArticleState | None, event: Delivered) -> Change:
        decision, source = event.decision, event.source
        article = decision.article
        if state is not None and decision.provider not in (None, state.provider):
            decision = trespass(decision, state.provider)
        if article is None or decision.provider is None or decision.policy is None:
            return self.set_aside(state, decision, event)
        if decision.outcome is Outcome.REJECTED and any(
            f.rule_id.startswith("tenancy.") for f in decision.findings
        ):
            return self.set_aside(state, decision, event)
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
            len(event.data),
            source.request_id,
            source.item,
        )
        if decision.outcome is Outcome.WITHDRAWN:
            entry = entry_of(decision, ref, Status.WITHDRAWN, at=source.arrived_at.isoformat())
            return self.kill(current.with_version(entry), "feed", source.request_id, entry)
        return self.decided(
            current, decision, source, ref, data=event.data, kind={"kind": "delivery"}
        )

    def set_aside(self, state: ArticleState | None, decision: Decision, event: Delivered) -> Change:
        """A delivery that touches no article: quarantined and recorded, the state unchanged."""
        writes = quarantine_writes(decision, event.source, event.data)
        copies = [Copy(self.buckets[w.bucket], w.key, w.sha256, w.kind) for w in writes]
        record = decision_record(decision, event.source, len(event.data), copies)
        return Change(state, Plan(writes=writes, records=((record, ()),)))

    def early_kill(self, state: ArticleState | None, event: KillOrdered) -> Change:
        """A kill that arrives before any delivery of its article is decided (it may be queued):
        kept as a tombstone, so the article is never published when it comes."""
        if state is not None and state.kill is not None:
            return Change(state, Plan())
        provider, article, uri = event.provider, event.article, event.uri
        if provider is None or article is None:
            raise Refused(404, "article.not-found", "no delivery of this article is known")
        if uri is None or keys.article_id(provider, uri) != article:
            raise Refused(
                404,
                "article.not-found",
                "no delivery of this article is known; to kill it before it arrives, name its "
                'uri in the body ({"uri": "..."}), the uri this article id was made from',
            )
        killed = ArticleState(provider, article, uri)
        return self.kill(killed, event.by, event.request_id)

    def kill(
        self, state: ArticleState, by: str, request_id: str, delivered: Version | None = None
    ) -> Change:
        if state.kill is not None:
            return Change(state, Plan())
        hours = (self.policy.constraints["kill"] if self.policy else {}).get("within_hours")
        deadline = iso(self.now + timedelta(hours=hours)) if hours else None
        kill = Kill(received_at=iso(self.now), by=by, deadline=deadline)
        published = state.published
        subject = delivered or published or state.newest
        removals = removals_of(state.versions)
        down = (Status.PUBLISHED, Status.HELD)
        versions = tuple(
            replace(
                v, status=Status.WITHDRAWN if v.status in down else v.status, hold=None, copies=()
            )
            for v in state.versions
        )
        version = subject.version if subject else ""
        timers = (Timer(TimerKind.KILL_DEADLINE, deadline, version),) if deadline else ()
        new_state = replace(state, versions=versions, kill=kill, timers=timers)
        tombstone = tombstone_of(new_state, kill)
        prefix = keys.cleared_prefix(state.provider, state.article_id)
        name = self.policy.name if self.policy else state.provider
        within = f", by {deadline}" if deadline else ""
        before = "" if subject else " before any delivery of it was decided: it is never published"
        finding = Finding(
            "article.withdrawn",
            "/pub_status",
            Severity.INFO,
            f"{name} withdrew this article ({by}){before}: every cleared copy is removed{within}",
        )
        record = self.about(
            new_state,
            subject,
            Outcome.WITHDRAWN,
            {"kind": "kill", "by": by, "reason": "kill"},
            [finding],
            identity=("kill", state.provider, state.article_id),
            request_id=request_id,
            copies=[Copy(self.buckets["cleared"], tombstone.key, tombstone.sha256, "tombstone")],
            withdrawn_prefix=prefix,
            deadline=deadline,
            source=self.stored(tombstone),
        )
        notifications = (
            (notice("Article Withdrawn", state, published, "kill"),) if published else ()
        )
        plan = Plan(
            writes=(tombstone,),
            removals=removals,
            prefixes=(prefix,),
            records=((record, (*(r.key for r in removals), prefix)),),
            notifications=notifications,
        )
        return Change(new_state, plan)

    def timer_fired(self, state: ArticleState | None, event: TimerFired) -> Change:
        timer = event.timer
        if state is None or timer not in state.timers:
            return Change(state, Plan())
        state_now = replace(state, timers=tuple(t for t in state.timers if t != timer))
        entry = state.version(timer.version)
        if timer.kind is TimerKind.EMBARGO:
            held = entry is not None and entry.status is Status.HELD and entry.hold is Hold.EMBARGO
            if not held or entry is None or event.decision is None:
                return Change(state_now, Plan())
            kind = {"kind": "timer", "timer": "embargo", "by": "schedule"}
            identity = ("embargo", state.provider, state.article_id, entry.version, timer.due)
            at = decision_moment(datetime.fromisoformat(timer.due), self.now)
            source = entry.source.as_source(at.isoformat())
            return self.decided(
                state_now,
                event.decision,
                source,
                entry.source,
                data=b"",
                kind=kind,
                identity=identity,
            )
        if timer.kind is TimerKind.EXPIRY:
            if entry is None or entry.status is not Status.PUBLISHED:
                return Change(state_now, Plan())
            return self._expired(state_now, entry, timer)
        return self._kill_deadline(state_now, entry or state.newest, timer, event.remaining)

    def _expired(self, state: ArticleState, entry: Version, timer: Timer) -> Change:
        removals = removals_of([entry])
        finding = Finding(
            "constraint.expires",
            "/expires",
            Severity.INFO,
            f"the licence for version {entry.version} ended at {timer.due}: its copies come down",
        )
        record = self.about(
            state,
            entry,
            Outcome.WITHDRAWN,
            {"kind": "timer", "timer": "expiry", "by": "schedule", "reason": "expiry"},
            [finding],
            identity=("expiry", state.provider, state.article_id, entry.version, timer.due),
        )
        plan = Plan(
            removals=removals,
            records=((record, tuple(r.key for r in removals)),),
            notifications=(notice("Article Withdrawn", state, entry, "expiry"),),
        )
        withdrawn = replace(entry, status=Status.WITHDRAWN, copies=())
        return Change(state.with_version(withdrawn), plan)

    def _kill_deadline(
        self, state: ArticleState, entry: Version | None, timer: Timer, remaining: tuple[str, ...]
    ) -> Change:
        if entry is None and state.kill is None:
            return Change(state, Plan())
        if remaining:
            finding = Finding(
                "kill.overdue",
                "",
                Severity.CRITICAL,
                f"{len(remaining)} cleared copies remained at the kill deadline {timer.due}",
            )
        else:
            message = f"no cleared copy remained at the kill deadline {timer.due}"
            finding = Finding("kill.complete", "", Severity.INFO, message)
        removals = tuple(Removal(self.buckets["cleared"], key, None) for key in remaining)
        record = self.about(
            state,
            entry,
            Outcome.WITHDRAWN,
            {"kind": "timer", "timer": "kill-deadline", "by": "schedule", "reason": "kill"},
            [finding],
            identity=("kill-deadline", state.provider, state.article_id, timer.due),
            deadline=timer.due,
            source=self.stored(tombstone_of(state, state.kill)) if state.kill else None,
            request_id=None if entry else "schedule",
        )
        plan = Plan(removals=removals, records=((record, tuple(r.key for r in removals)),))
        return Change(state, plan)

    def verdict(self, state: ArticleState | None, event: Verdict) -> Change:
        entry = reviewable(state, event.version)
        assert state is not None  # noqa: S101 - reviewable refuses a missing article
        review = {
            "reviewer": event.reviewer,
            "verdict": "approve" if event.approve else "reject",
            "reason": event.reason,
            "held_decision": entry.decision_id,
        }
        identity = ("review", state.provider, state.article_id, entry.version, event.request_id)
        kind = {"kind": "review", "by": event.reviewer}
        if event.approve:
            if event.decision is None:
                raise Refused(409, "review.not-decided", "the approval was not decided again")
            source = replace(entry.source.as_source(iso(self.now)), request_id=event.request_id)
            return self.decided(
                state,
                event.decision,
                source,
                entry.source,
                data=b"",
                kind=kind,
                review=review,
                identity=identity,
            )
        message = f"rejected by {event.reviewer}: {event.reason}"
        finding = Finding("review.rejected", "", Severity.CRITICAL, message)
        record = self.about(
            state, entry, Outcome.REJECTED, kind, [finding], identity=identity, review=review
        )
        rejected = replace(entry, status=Status.REJECTED, hold=None)
        timers = tuple(t for t in state.timers if t.version != entry.version)
        new_state = replace(state.with_version(rejected), timers=timers)
        return Change(new_state, Plan(records=((record, ()),)))
