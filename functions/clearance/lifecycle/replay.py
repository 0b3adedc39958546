"""A stored decision made again: the same input, the same terms text, the same licensee and time.

A compliance officer asked "why was this cleared?" months later gets the decision re-run
against exactly what it saw, not against today's terms, and a plain answer whether the result is
identical. Anything that differs is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clearance.contracts import keys, media
from clearance.contracts.vocabulary import RENDITIONS, EventKind, ReviewVerdict, Rule
from clearance.decide.engine import Approval, Decision, Prior, decide, identify
from clearance.decide.findings import Outcome
from clearance.decide.licensee import Licensee
from clearance.terms.policy import Policy, PolicySet

REPLAYABLE = (EventKind.DELIVERY, EventKind.TIMER, EventKind.REVIEW)
# Findings the lifecycle adds to a decision's record (a newer version was already shown).
LIFECYCLE_FINDINGS = frozenset({Rule.SUPERSEDED})


class NotReplayable(ValueError):
    """The record is not a decision on a delivery (a kill, a removal), or lacks what it needs."""


@dataclass(frozen=True, slots=True)
class Replay:
    decision: Decision
    differences: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return not self.differences


def licensee_of(record: Mapping[str, Any]) -> Licensee | None:
    stated = record.get("licensee")
    return Licensee.from_dict(stated) if stated else None


def replay(record: Mapping[str, Any], data: bytes, policy: Policy, licensee: Licensee) -> Replay:
    """Decide `data` again as the record says it was decided, and compare."""
    kind = record.get("event", {}).get("kind", EventKind.DELIVERY)
    if kind not in REPLAYABLE:
        raise NotReplayable(f"the record is a {kind} event, not a decision on a delivery")
    if (
        kind == EventKind.REVIEW
        and record.get("review", {}).get("verdict") != ReviewVerdict.APPROVE
    ):
        raise NotReplayable("the record is a reviewer's rejection, a verdict and not a decision")
    identified = identify(
        data,
        policies=PolicySet.of(policy),
        provider=record["provider"],
        media_type=media.of_extension(keys.extension_of(record["source"]["key"])),
        item=record["source"].get("item"),
    )
    if isinstance(identified, Decision):
        decision = identified
    else:
        decision = decide(
            identified,
            now=datetime.fromisoformat(record["decided_at"]),
            licensee=licensee,
            prior=_prior(record),
        )
    return Replay(decision, tuple(_differences(record, decision)))


def _prior(record: Mapping[str, Any]) -> Prior:
    review = record.get("review")
    approval = (
        Approval(review["reviewer"], review["reason"])
        if review and review.get("verdict") == ReviewVerdict.APPROVE
        else None
    )
    withdrawn = any(f["rule_id"] == Rule.KILLED for f in record["findings"])
    return Prior(withdrawn=withdrawn, approval=approval)


def _differences(record: Mapping[str, Any], decision: Decision) -> list[str]:
    """What the record says and the replay does not: outcome, findings, copies, terms."""
    differences = []
    if decision.input_sha256 != record["source"]["sha256"]:
        differences.append(
            f"input: the stored delivery hashes to {decision.input_sha256}, the record "
            f"names {record['source']['sha256']}"
        )
    # "superseded" is the lifecycle's word (a newer version was shown), not the decision's.
    if record["outcome"] not in (decision.outcome.value, Outcome.SUPERSEDED.value):
        differences.append(f"outcome: recorded {record['outcome']}, replayed {decision.outcome}")
    recorded = [_finding(f) for f in record["findings"] if f["rule_id"] not in LIFECYCLE_FINDINGS]
    replayed = [_finding(f.to_dict()) for f in decision.findings]
    if recorded != replayed:
        missing = [f for f in recorded if f not in replayed]
        extra = [f for f in replayed if f not in recorded]
        differences += [f"finding recorded, not replayed: {' '.join(f)}" for f in missing]
        differences += [f"finding replayed, not recorded: {' '.join(f)}" for f in extra]
    recorded_copies = {c["sha256"] for c in record.get("copies", ()) if c["kind"] in RENDITIONS}
    replayed_copies = {r.sha256 for r in decision.renditions}
    if recorded_copies and recorded_copies != replayed_copies:
        differences.append(
            f"copies: recorded {', '.join(sorted(recorded_copies))}; "
            f"replayed {', '.join(sorted(replayed_copies)) or 'none'}"
        )
    if record.get("policy") and decision.policy and decision.policy.ref != record["policy"]:
        differences.append(f"terms: recorded {record['policy']}, replayed {decision.policy.ref}")
    return differences


def _finding(data: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (data["severity"], data["rule_id"], data["pointer"], data["message"])
