"""ODRL rules applied to one republication: which permission allows it, which prohibition stops it.

The rules may come from a provider's policy, from the rights an item carries, or from a restriction
stated in its feed; the licensee's territory, use and channel, the time and the article's
publication date are arguments, so the same rules judge alike in a test, a replay and production.
A rule that stops republication only for a while (30 days from publication) holds the article and
says when the hold lifts; one that cannot be evaluated (a time counted from a publication date
the article lacks) holds it for a person: clearance fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from clearance.decide.findings import Finding, Severity
from clearance.terms.odrl import (
    EVERY_CHANNEL_ACTIONS,
    REPUBLICATION_ACTIONS,
    Constraint,
    Rule,
    span,
)

# A bound `lteq t` still holds at t: it lifts at the next instant datetimes can tell apart.
INSTANT = timedelta(microseconds=1)

ACTION_NOUNS = {
    "use": "use",
    "distribute": "distribution",
    "reproduce": "reproduction",
    "display": "display",
    "present": "presentation",
    "play": "playing",
    "print": "printing",
    "commercialize": "commercial use",
    "modify": "modification",
    "derive": "derivative works",
    "attribute": "attribution",
    "inform": "inform",
    "compensate": "compensate",
}


@dataclass(frozen=True, slots=True)
class Circumstances:
    """The republication being judged: `territory` is ISO 3166-1 alpha-2; `modified` is True when
    the copy would differ from what the provider delivered."""

    territory: str
    use: str
    channel: str
    now: datetime
    published: datetime | None
    modified: bool


@dataclass(frozen=True, slots=True)
class Judgement:
    """`release_at`: the latest time at which a time-bound hold among the findings lifts."""

    findings: tuple[Finding, ...]
    release_at: datetime | None
    timed: tuple[Finding, ...] = ()
    """The findings that time alone lifts (at `release_at` or earlier)."""


def judge(
    rules: Sequence[Rule], circumstances: Circumstances, *, rule_prefix: str, pointer: str, who: str
) -> Judgement:
    """Findings for `rules` under `circumstances`; `who` names whose rules they are in messages
    ("Associated Press's licence"), and finding rule ids are `{rule_prefix}.{rule.id}`."""
    context = _Context(circumstances, rule_prefix, pointer, who)
    outcomes = [
        *(context.prohibited(rule) for rule in rules if rule.kind == "prohibition"),
        context.permitted([rule for rule in rules if rule.kind == "permission"]),
        *(context.duty(rule) for rule in rules if rule.kind == "duty"),
    ]
    findings = sorted(
        (finding for finding, _ in outcomes if finding is not None),
        key=lambda finding: (finding.rule_id, finding.message),
    )
    timed = [(finding, until) for finding, until in outcomes if finding and until is not None]
    return Judgement(
        tuple(findings),
        max((until for _, until in timed), default=None),
        tuple(finding for finding, _ in timed),
    )


def concerns(action: str, circumstances: Circumstances) -> bool:
    """Whether a rule on `action` bears on this republication at all."""
    if action in EVERY_CHANNEL_ACTIONS:
        return True
    if action == "print":
        return circumstances.channel == "print"
    if action == "play":
        return circumstances.channel == "broadcast"
    if action == "commercialize":
        return circumstances.use == "commercial"
    if action in ("modify", "derive"):
        return circumstances.modified
    return False


def holds(constraint: Constraint, circumstances: Circumstances, at: datetime) -> bool | None:
    """Whether `constraint` holds at `at`; None when it counts from a date the article lacks."""
    right = constraint.right_operand
    if isinstance(right, tuple):
        actual = {
            "spatial": circumstances.territory.upper(),
            "purpose": circumstances.use,
            "deliveryChannel": circumstances.channel,
        }.get(constraint.left_operand)
        inside = actual in right
        return inside if constraint.operator in ("eq", "isAnyOf") else not inside
    bound = _moment(constraint, circumstances)
    if bound is None:
        return None
    return {
        "lt": at < bound,
        "lteq": at <= bound,
        "gt": at > bound,
        "gteq": at >= bound,
    }.get(constraint.operator, False)


def applies(rule: Rule, circumstances: Circumstances, at: datetime) -> bool | None:
    """All of the rule's constraints hold (True), one does not (False), or it cannot be told."""
    states = [holds(constraint, circumstances, at) for constraint in rule.constraints]
    if False in states:
        return False
    return None if None in states else True


_Result = tuple[Finding | None, datetime | None]


@dataclass(frozen=True, slots=True)
class _Context:
    circumstances: Circumstances
    prefix: str
    pointer: str
    who: str

    def finding(self, name: str, severity: Severity, message: str) -> Finding:
        return Finding(f"{self.prefix}.{name}", self.pointer, severity, message)

    def prohibited(self, rule: Rule) -> _Result:
        circumstances = self.circumstances
        if not concerns(rule.action, circumstances):
            return None, None
        state = applies(rule, circumstances, circumstances.now)
        if state is False:
            return None, None
        what = f"{_rule_phrase(rule, circumstances)} is prohibited"
        if state is None:
            return self.finding(
                rule.id,
                Severity.MAJOR,
                f"{_cannot_tell([rule], circumstances)}: under {self.who}, {what}"
                f"{_described(rule)}, but the article has no publication date to count from; "
                "a person must review it",
            ), None
        ends = _ends(rule, circumstances)
        situation = _situation([rule], circumstances)
        if ends is None:
            return self.finding(
                rule.id,
                Severity.CRITICAL,
                f"not licensed {situation}{_described(rule)}: under {self.who}, {what}",
            ), None
        return self.finding(
            rule.id,
            Severity.MAJOR,
            f"not licensed {situation} until {ends.isoformat()}{_described(rule)}: "
            f"under {self.who}, {what}",
        ), ends

    def permitted(self, permissions: Sequence[Rule]) -> _Result:
        circumstances = self.circumstances
        republication = [rule for rule in permissions if rule.action in REPUBLICATION_ACTIONS]
        if not republication:
            return None, None
        now = circumstances.now
        concerning = [rule for rule in republication if concerns(rule.action, circumstances)]
        states = {rule.id: applies(rule, circumstances, now) for rule in concerning}
        if True in states.values():
            return None, None
        name = republication[0].id if len(republication) == 1 else "permissions"
        allowed = "; or ".join(
            f"{_rule_phrase(rule, circumstances)}{_described(rule)}" for rule in republication
        )
        situation = _situation(republication, circumstances)
        unknown = [rule for rule in concerning if states[rule.id] is None]
        if unknown:
            return self.finding(
                unknown[0].id,
                Severity.MAJOR,
                f"{_cannot_tell(republication, circumstances)}: under {self.who}, only {allowed} "
                "is permitted, but the article has no publication date to count from; a person "
                "must review it",
            ), None
        opening = sorted(
            (start, rule.id)
            for rule in concerning
            if (start := _opens(rule, circumstances)) is not None
        )
        if opening:
            start, rule_id = opening[0]
            return self.finding(
                rule_id,
                Severity.MAJOR,
                f"not licensed {situation} until {start.isoformat()}: under {self.who}, only "
                f"{allowed} is permitted",
            ), start
        return self.finding(
            name,
            Severity.CRITICAL,
            f"not licensed {situation}: under {self.who}, only {allowed} is permitted",
        ), None

    def duty(self, rule: Rule) -> _Result:
        if rule.action == "attribute":
            return None, None
        if applies(rule, self.circumstances, self.circumstances.now) is False:
            return None, None
        return self.finding(
            rule.id,
            Severity.MAJOR,
            f"under {self.who}, there is a duty to {rule.action}{_described(rule)}, which "
            "clearance cannot fulfil; a person must review it",
        ), None


def _moment(constraint: Constraint, circumstances: Circumstances) -> datetime | None:
    right = constraint.right_operand
    if isinstance(right, datetime):
        return right
    if isinstance(right, tuple) or circumstances.published is None:
        return None
    return circumstances.published + right.offset


def _ends(rule: Rule, circumstances: Circumstances) -> datetime | None:
    """When a rule that applies now stops applying by the passing of time alone, if it does."""
    ends = [
        moment if constraint.operator == "lt" else moment + INSTANT
        for constraint in rule.constraints
        if constraint.operator in ("lt", "lteq")
        and (moment := _moment(constraint, circumstances)) is not None
    ]
    return min(ends, default=None)


def _opens(rule: Rule, circumstances: Circumstances) -> datetime | None:
    """When a rule that does not apply now will, if waiting is all it needs."""
    starts = [
        moment if constraint.operator == "gteq" else moment + INSTANT
        for constraint in rule.constraints
        if constraint.operator in ("gt", "gteq")
        and (moment := _moment(constraint, circumstances)) is not None
    ]
    start = max(starts, default=None)
    if start is None or start <= circumstances.now:
        return None
    return start if applies(rule, circumstances, start) else None


def _cannot_tell(rules: Iterable[Rule], circumstances: Circumstances) -> str:
    situation = _situation(rules, circumstances)
    where = "" if situation == "for republication" else f" {situation}"
    return f"cannot tell whether republication{where} is licensed"


def _situation(rules: Iterable[Rule], circumstances: Circumstances) -> str:
    """The licensee's circumstances that the rules speak of: "in GB for commercial use"."""
    rules = list(rules)
    operands = {constraint.left_operand for rule in rules for constraint in rule.constraints}
    actions = {rule.action for rule in rules}
    parts = []
    if "spatial" in operands:
        parts.append(f"in {circumstances.territory}")
    if "purpose" in operands or "commercialize" in actions:
        parts.append(f"for {circumstances.use} use")
    if "deliveryChannel" in operands or actions & {"print", "play"}:
        parts.append(f"via {circumstances.channel}")
    if actions & {"modify", "derive"}:
        parts.append("in a modified form")
    return " ".join(parts) or "for republication"


def _described(rule: Rule) -> str:
    return f" ({rule.description})" if rule.description else ""


def _rule_phrase(rule: Rule, circumstances: Circumstances) -> str:
    """A rule in words: "distribution in GB before 2026-12-30T09:00:00+00:00"."""
    words = [ACTION_NOUNS.get(rule.action, rule.action)]
    words += [_constraint_phrase(constraint, circumstances) for constraint in rule.constraints]
    return " ".join(words)


def _constraint_phrase(constraint: Constraint, circumstances: Circumstances) -> str:
    right = constraint.right_operand
    operator = constraint.operator
    if isinstance(right, tuple):
        positive = operator in ("eq", "isAnyOf")
        if constraint.left_operand == "spatial":
            return f"in {_or(right)}" if positive else f"outside {_and(right)}"
        if constraint.left_operand == "purpose":
            return f"for {_or(right)} use" if positive else f"for uses other than {_and(right)}"
        return f"via {_or(right)}" if positive else f"other than via {_and(right)}"
    preposition = {"lt": "before", "lteq": "until", "gt": "after", "gteq": "from"}[operator]
    if isinstance(right, datetime):
        return f"{preposition} {right.isoformat()}"
    counted = f"{span(right.offset)} after publication" if right.offset else "publication"
    moment = _moment(constraint, circumstances)
    if moment is None and operator in ("lt", "lteq") and right.offset:
        return f"within {span(right.offset)} of publication"
    if moment is None:
        return f"{preposition} {counted}"
    return f"{preposition} {moment.isoformat()} ({counted})"


def _or(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _and(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} and {values[-1]}"
