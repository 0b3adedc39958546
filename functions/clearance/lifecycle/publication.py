"""A decision on one version carried into the article's state: the newest version that clears
is published and supersedes the one before; an older one is recorded superseded, never shown."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from clearance.contracts import keys
from clearance.contracts.vocabulary import EventKind, ObjectRef, Reason, Rule, TimerKind
from clearance.decide.engine import Decision
from clearance.decide.findings import Finding, Outcome, Severity
from clearance.lifecycle.effects import (
    STATUS,
    Context,
    entry_of,
    hold_of,
    iso,
    notice,
    record_about,
    removals_of,
)
from clearance.lifecycle.events import Change
from clearance.lifecycle.plan import RECORD, Notification, Plan, Write, quarantine_writes
from clearance.lifecycle.record import Source, audit_record, decision_id, subject_of
from clearance.lifecycle.state import (
    ArticleState,
    Hold,
    SourceRef,
    Status,
    Timer,
    Version,
    version_order,
)


@dataclass(frozen=True, slots=True)
class Decided:
    """One version's decision as the lifecycle carries it: the delivery and the moment it was
    decided from (`source`), the version's stored delivery (`ref`), the input bytes when there
    are any (quarantined when the version is not published), and what the record says of it."""

    decision: Decision
    source: Source
    ref: SourceRef
    data: bytes
    event: dict[str, str]
    review: dict[str, str] | None = None
    identity: tuple[str, ...] | None = None


def decided(context: Context, state: ArticleState, given: Decided) -> Change:
    """One version decided: published, held, rejected, or recorded as superseded."""
    decision = given.decision
    version = (decision.article or {}).get("version", "")
    outcome = _outcome(state, decision)
    writes = _writes(state, given, outcome)
    shown = state.version(version)
    if outcome is not Outcome.CLEARED and shown is not None and shown.status is Status.PUBLISHED:
        # Another delivery of a version already shown, and not fit to show: it is kept aside
        # and recorded; the shown version stays up.
        record = _record(context, given, outcome, writes, [])
        return Change(state, Plan(writes=writes, records=((record, ()),)))
    hold = hold_of(decision) if outcome is Outcome.HELD else None
    copies = tuple(context.stored(w) for w in writes if w.bucket == "cleared")
    at = given.source.arrived_at.isoformat()
    entry = entry_of(decision, given.ref, STATUS[outcome], hold=hold, at=at, copies=copies)
    effects = _Effects(state.with_version(entry), [t for t in state.timers if t.version != version])
    extra: list[dict[str, Any]] = []
    if outcome is Outcome.CLEARED:
        _publish(context, effects, state, entry, decision)
    else:
        extra = _set_aside(effects, state, entry, decision, outcome)
    # The record lists what this decision took down of its own version: copies of an earlier
    # delivery of it, or whatever an interrupted attempt had written.
    own = keys.cleared_version_prefix(state.provider, state.article_id, version)
    replaced = tuple(r.key for r in effects.removals if r.key.startswith(own))
    record = _record(context, given, outcome, writes, extra)
    effects.records.insert(0, (record, (*effects.prefixes, *replaced)))
    return effects.change(writes)


def _outcome(state: ArticleState, decision: Decision) -> Outcome:
    """The decision's outcome, or superseded when a newer version is already known."""
    article = decision.article or {}
    version = article.get("version", "")
    newest = state.newest
    order = version_order(version, article.get("version_created"))
    newer = newest is not None and newest.version != version and newest.order > order
    if newer and decision.outcome is not Outcome.REJECTED:
        return Outcome.SUPERSEDED
    return decision.outcome


def _writes(state: ArticleState, given: Decided, outcome: Outcome) -> tuple[Write, ...]:
    """The cleared copies of a version published, or its input kept aside."""
    decision = given.decision
    version = (decision.article or {}).get("version", "")
    if outcome is Outcome.CLEARED:
        return tuple(
            Write(
                "cleared",
                keys.cleared_key(
                    state.provider, state.article_id, version, decision.input_sha256, r.extension
                ),
                r.data,
                r.media_type,
                r.name,
            )
            for r in decision.renditions
        )
    if given.data:
        return quarantine_writes(decision, given.source, given.data)
    return ()


def _record(
    context: Context,
    given: Decided,
    outcome: Outcome,
    writes: tuple[Write, ...],
    extra: list[dict[str, Any]],
) -> dict[str, Any]:
    """The record of this decision, naming what it wrote."""
    decision = given.decision
    identity = given.identity
    return audit_record(
        subject_of(decision, given.source, given.ref.bytes),
        record_id=context.record_id(*identity) if identity else decision_id(decision),
        decided_at=given.source.arrived_at.isoformat(),
        outcome=outcome,
        findings=[*(finding.to_dict() for finding in decision.findings), *extra],
        event=given.event,
        copies=[context.stored(w) for w in writes],
        review=given.review,
    )


def _set_aside(
    effects: _Effects, state: ArticleState, entry: Version, decision: Decision, outcome: Outcome
) -> list[dict[str, Any]]:
    """A version not published: held (with its embargo's timer), rejected or superseded; the
    findings the lifecycle adds to its record."""
    version = entry.version
    # Copies an earlier, interrupted attempt (or an earlier delivery) made of this version.
    effects.prefixes.append(keys.cleared_version_prefix(state.provider, state.article_id, version))
    hold = entry.hold
    if hold is Hold.EMBARGO and decision.release_at is not None:
        effects.timers.append(Timer(TimerKind.EMBARGO, iso(decision.release_at), version))
    if hold is not None:
        effects.notifications.append(notice("Article Held", state, entry, hold.value))
    newest = state.newest
    if outcome is Outcome.SUPERSEDED and newest is not None:
        note = f"version {version} is older than version {newest.version}: never published"
        return [Finding(Rule.SUPERSEDED, "/version", Severity.INFO, note).to_dict()]
    return []


def _publish(
    context: Context, effects: _Effects, state: ArticleState, entry: Version, decision: Decision
) -> None:
    """`entry` goes up; whatever version was up, or held, before it is superseded."""
    earlier = state.version(entry.version)
    if earlier is not None:
        kept = {copy.key for copy in entry.copies}
        effects.removals += [r for r in removals_of([earlier]) if r.key not in kept]
    for older in state.versions:
        if older.version == entry.version or older.status not in (
            Status.PUBLISHED,
            Status.HELD,
        ):
            continue
        gone = removals_of([older])
        effects.removals += gone
        effects.state = effects.state.with_version(
            replace(older, status=Status.SUPERSEDED, copies=(), hold=None)
        )
        effects.timers = [t for t in effects.timers if t.version != older.version]
        if older.status is Status.PUBLISHED:
            effects.notifications.append(
                notice("Article Superseded", state, older, Reason.SUPERSEDED, by=entry.version)
            )
            superseded = _superseded(context, state, older, entry.version)
            effects.records.append((superseded, tuple(r.key for r in gone)))
    if decision.expires_at is not None:
        expiry = Timer(TimerKind.EXPIRY, iso(decision.expires_at), entry.version)
        effects.timers.append(expiry)
    effects.notifications.append(notice("Article Cleared", state, entry, None))


def _superseded(context: Context, state: ArticleState, older: Version, by: str) -> dict[str, Any]:
    message = f"version {older.version} is superseded by version {by}: its copies come down"
    return record_about(
        context,
        state,
        older,
        Outcome.SUPERSEDED,
        event={"kind": EventKind.SUPERSEDE, "by": f"version {by}", "reason": Reason.SUPERSEDED},
        findings=[Finding(Rule.SUPERSEDED, "/version", Severity.INFO, message)],
        identity=(EventKind.SUPERSEDE, state.provider, state.article_id, older.version, by),
    )


@dataclass
class _Effects:
    """What a decision does, gathered as the rules find it."""

    state: ArticleState
    timers: list[Timer]
    removals: list[ObjectRef] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    records: list[RECORD] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    def change(self, writes: tuple[Write, ...]) -> Change:
        timers = tuple(sorted(self.timers, key=lambda t: (t.due, t.kind)))
        plan = Plan(
            writes=writes,
            removals=tuple(self.removals),
            prefixes=tuple(self.prefixes),
            records=tuple(self.records),
            notifications=tuple(self.notifications),
        )
        return Change(replace(self.state, timers=timers), plan)
