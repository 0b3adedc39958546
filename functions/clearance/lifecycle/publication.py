"""A decision on one version carried into the article's state: the newest version that clears
is published and supersedes the one before; an older one is recorded superseded, never shown."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from clearance.contracts import keys
from clearance.decide.engine import Decision
from clearance.decide.evaluate import parse_time
from clearance.decide.findings import Finding, Outcome, Severity
from clearance.lifecycle.effects import (
    STATUS,
    Context,
    entry_of,
    hold_of,
    iso,
    notice,
    removals_of,
)
from clearance.lifecycle.events import Change
from clearance.lifecycle.plan import Notification, Plan, Removal, Write, quarantine_writes
from clearance.lifecycle.record import Copy, Source, decision_record, event_id
from clearance.lifecycle.state import (
    ArticleState,
    Hold,
    SourceRef,
    Status,
    StoredCopy,
    Timer,
    TimerKind,
    Version,
    version_order,
)


class Publisher(Context):
    """Context plus what a decision on a version does to the article."""

    def decided(
        self,
        state: ArticleState,
        decision: Decision,
        source: Source,
        ref: SourceRef,
        *,
        data: bytes,
        kind: dict[str, str],
        review: dict[str, str] | None = None,
        identity: tuple[str, ...] | None = None,
    ) -> Change:
        """One version decided: published, held, rejected, or recorded as superseded.

        `source` names the delivery and the moment of this decision (its arrival, an embargo's
        end, a review); `data` is the delivered input, quarantined when it is not published.
        """
        article = decision.article or {}
        version = article.get("version", "")
        newest = state.newest
        order = version_order(version, article.get("version_created"))
        newer = newest is not None and newest.version != version and newest.order > order
        outcome = decision.outcome
        if newer and outcome is not Outcome.REJECTED:
            outcome = Outcome.SUPERSEDED
        cleared_keys = [
            keys.cleared_key(
                state.provider, state.article_id, version, decision.input_sha256, r.extension
            )
            for r in decision.renditions
        ]
        writes: tuple[Write, ...] = ()
        if outcome is Outcome.CLEARED:
            writes = tuple(
                Write("cleared", key, r.data, r.media_type, r.name)
                for key, r in zip(cleared_keys, decision.renditions, strict=True)
            )
        elif data:
            writes = quarantine_writes(decision, source, data)

        def record(outcome: Outcome, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
            """The record of this decision, naming what it wrote."""
            return decision_record(
                decision,
                source,
                ref.bytes,
                [Copy(self.buckets[w.bucket], w.key, w.sha256, w.kind) for w in writes],
                event=kind,
                outcome=outcome,
                extra_findings=extra or [],
                review=review,
                record_id=event_id(self.policy_sha, *identity) if identity else None,
            )

        copies = tuple(
            StoredCopy(self.buckets["cleared"], w.key, w.sha256, w.kind)
            for w in writes
            if w.bucket == "cleared"
        )
        shown = state.version(version)
        if (
            outcome is not Outcome.CLEARED
            and shown is not None
            and shown.status is Status.PUBLISHED
        ):
            # Another delivery of a version already shown, and not fit to show: it is kept
            # aside and recorded; the shown version stays up.
            return Change(state, Plan(writes=writes, records=((record(outcome), ()),)))
        hold = hold_of(decision) if outcome is Outcome.HELD else None
        at = source.arrived_at.isoformat()
        entry = entry_of(decision, ref, STATUS[outcome], hold=hold, at=at, copies=copies)
        effects = _Effects(
            state.with_version(entry), [t for t in state.timers if t.version != version]
        )
        extra: list[dict[str, Any]] = []
        if outcome is Outcome.CLEARED:
            self._publish(effects, state, entry, decision)
        else:
            # Copies an earlier, interrupted attempt (or an earlier delivery) made of this version.
            effects.prefixes.append(
                keys.cleared_version_prefix(state.provider, state.article_id, version)
            )
            if hold is Hold.EMBARGO and decision.release_at is not None:
                effects.timers.append(Timer(TimerKind.EMBARGO, iso(decision.release_at), version))
            if hold is not None:
                effects.notifications.append(notice("Article Held", state, entry, hold.value))
            if outcome is Outcome.SUPERSEDED and newest is not None:
                note = f"version {version} is older than version {newest.version}: never published"
                extra.append(
                    Finding("article.superseded", "/version", Severity.INFO, note).to_dict()
                )
        decided = record(outcome, extra)
        # The record lists what this decision took down of its own version: copies of an
        # earlier delivery of it, or whatever an interrupted attempt had written.
        own = keys.cleared_version_prefix(state.provider, state.article_id, version)
        replaced = tuple(r.key for r in effects.removals if r.key.startswith(own))
        effects.records.insert(0, (decided, (*effects.prefixes, *replaced)))
        return effects.change(writes)

    def _publish(
        self, effects: _Effects, state: ArticleState, entry: Version, decision: Decision
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
                    notice("Article Superseded", state, older, "superseded", by=entry.version)
                )
                superseded = self.superseded(state, older, entry.version)
                effects.records.append((superseded, tuple(r.key for r in gone)))
        expiry = self.expiry(decision)
        if expiry:
            effects.timers.append(Timer(TimerKind.EXPIRY, expiry, entry.version))
        effects.notifications.append(notice("Article Cleared", state, entry, None))

    def expiry(self, decision: Decision) -> str | None:
        """When the published copies must come down: the licence's end or the article's."""
        if self.policy is None or decision.article is None:
            return None
        window = self.policy.constraints.get("usage_window", {})
        ends = [parse_time(window["not_after"])] if "not_after" in window else []
        expires = decision.article.get("expires")
        if expires:
            ends.append(parse_time(expires))
        return iso(min(ends)) if ends else None

    def superseded(self, state: ArticleState, older: Version, by: str) -> dict[str, Any]:
        message = f"version {older.version} is superseded by version {by}: its copies come down"
        return self.about(
            state,
            older,
            Outcome.SUPERSEDED,
            {"kind": "supersede", "by": f"version {by}", "reason": "superseded"},
            [Finding("article.superseded", "/version", Severity.INFO, message)],
            identity=("supersede", state.provider, state.article_id, older.version, by),
        )


@dataclass
class _Effects:
    """What a decision does, gathered as the rules find it."""

    state: ArticleState
    timers: list[Timer]
    removals: list[Removal] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    records: list[tuple[dict[str, Any], tuple[str, ...]]] = field(default_factory=list)
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
