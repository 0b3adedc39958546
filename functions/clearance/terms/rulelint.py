"""Lint for a policy's licence rules: each must be readable, possible and consistent.

A rule that can never apply (a territory both required and excluded, a window that closes before
it opens), a prohibition of everything the permissions allow, or a code that names no territory
is a mistake in the terms, caught when the policy is written rather than when an article is
decided.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from clearance.contracts.territory import TerritoryError, territory_code
from clearance.terms.odrl import (
    EVERY_CHANNEL_ACTIONS,
    Constraint,
    Operator,
    RelativeTime,
    Unintelligible,
    dotted,
    read_actions,
    read_constraint,
    read_rules,
    span,
)

_Time = TypeVar("_Time", datetime, timedelta)


def constraint_problems(constraints: Mapping[str, Any]) -> list[str]:
    """Every problem in a policy's `constraints` object, each naming where it is; never raises."""
    problems: list[str] = []
    read: dict[str, list[_Read]] = {"permissions": [], "prohibitions": []}
    ids: Counter[str] = Counter()
    for section, section_rules in read.items():
        entries = constraints.get(section)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            where = f"constraints.{section}[{index}]"
            if not isinstance(entry, Mapping):
                problems.append(f"{where}: a rule is an object")
                continue
            if isinstance(entry.get("id"), str):
                ids[entry["id"]] += 1
            rule, rule_problems = _read_for_lint(entry, f"/constraints/{section}/{index}")
            problems += rule_problems
            section_rules.append(rule)
            if rule.complete and (contradiction := _contradiction(rule.constraints)):
                problems.append(f"{where}: can never apply: {contradiction}")
    problems += [
        f"constraints: rule id '{rule_id}' is used {count} times"
        for rule_id, count in sorted(ids.items())
        if count > 1
    ]
    problems += _overlaps(read["permissions"], read["prohibitions"])
    problems += _territory_problems(constraints.get("territories"))
    return problems


@dataclass(frozen=True, slots=True)
class _Read:
    """A policy rule as far as it could be read, for lint."""

    where: str
    actions: tuple[str, ...]
    constraints: tuple[Constraint, ...]
    complete: bool
    unconstrained: bool


def _read_for_lint(entry: Mapping[str, Any], pointer: str) -> tuple[_Read, list[str]]:
    problems: list[str] = []
    actions: list[str] = []
    found: list[Constraint] = []
    complete = True
    try:
        for action, refinements in read_actions(entry.get("action"), f"{pointer}/action"):
            actions.append(action)
            found += refinements
    except Unintelligible as error:
        problems.append(f"{dotted(error.pointer)}: {error.reason}")
        complete = False
    raw_constraints = entry.get("constraint", [])
    if not isinstance(raw_constraints, list):
        problems.append(f"{dotted(pointer)}.constraint: constraints are a list")
        raw_constraints, complete = [], False
    for index, raw in enumerate(raw_constraints):
        try:
            found.append(read_constraint(raw, f"{pointer}/constraint/{index}"))
        except Unintelligible as error:
            problems.append(f"{dotted(error.pointer)}: {error.reason}")
            complete = False
    duties = entry.get("duty", [])
    for index, duty in enumerate(duties if isinstance(duties, list) else [duties]):
        if not isinstance(duty, Mapping):
            problems.append(f"{dotted(pointer)}.duty[{index}]: a duty is an object")
            continue
        try:
            read_rules(duty, "duty", f"{pointer}/duty/{index}", ["duty"])
        except Unintelligible as error:
            problems.append(f"{dotted(error.pointer)}: {error.reason}")
    read = _Read(dotted(pointer), tuple(actions), tuple(found), complete, not raw_constraints)
    return read, problems


def _overlaps(permissions: Sequence[_Read], prohibitions: Sequence[_Read]) -> list[str]:
    problems = []
    for prohibition in prohibitions:
        if not prohibition.complete:
            continue
        blanket = EVERY_CHANNEL_ACTIONS.intersection(prohibition.actions)
        if permissions and prohibition.unconstrained and not prohibition.constraints and blanket:
            problems.append(
                f"{prohibition.where}: prohibits {', '.join(sorted(blanket))} with no "
                "constraints, which prohibits everything the permissions allow"
            )
        for permission in permissions:
            if (
                permission.complete
                and set(permission.actions) & set(prohibition.actions)
                and set(permission.constraints) == set(prohibition.constraints)
            ):
                problems.append(
                    f"{prohibition.where}: prohibits exactly what {permission.where} permits "
                    "(the same action under the same constraints)"
                )
    return problems


def _territory_problems(territories: object) -> list[str]:
    if not isinstance(territories, Mapping):
        return []
    problems: list[str] = []
    spelled: dict[str, dict[str, list[str]]] = {"allow": {}, "deny": {}}
    for side, codes in spelled.items():
        values = territories.get(side, [])
        if not isinstance(values, list):
            continue
        for index, value in enumerate(values):
            try:
                codes.setdefault(territory_code(str(value)), []).append(str(value))
            except TerritoryError as error:
                problems.append(f"constraints.territories.{side}[{index}]: {error}")
    for code in sorted(spelled["allow"].keys() & spelled["deny"].keys()):
        names = sorted({*spelled["allow"][code], *spelled["deny"][code]})
        problems.append(
            f"constraints.territories: {code} ({', '.join(repr(n) for n in names)}) is both "
            "allowed and denied"
        )
    return problems


def _contradiction(constraints: Sequence[Constraint]) -> str | None:
    """Why no circumstances can satisfy all these constraints at once, if none can."""
    for left, noun in (
        ("spatial", "territory"),
        ("purpose", "use"),
        ("deliveryChannel", "channel"),
    ):
        allowed: set[str] | None = None
        excluded: set[str] = set()
        for constraint in constraints:
            if constraint.left_operand != left or not isinstance(constraint.right_operand, tuple):
                continue
            values = set(constraint.right_operand)
            if constraint.operator in ("eq", "isAnyOf"):
                allowed = values if allowed is None else allowed & values
            else:
                excluded |= values
        if allowed is not None and not allowed - excluded:
            return f"no {noun} satisfies all of its {left} constraints"
    absolute = [
        (c.operator, c.right_operand) for c in constraints if isinstance(c.right_operand, datetime)
    ]
    if window := _empty_window(absolute):
        start, end = window
        return f"it starts at {start.isoformat()} but ends at {end.isoformat()}"
    relative = [
        (c.operator, c.right_operand)
        for c in constraints
        if isinstance(c.right_operand, RelativeTime)
    ]
    for anchor in sorted({time.anchor for _, time in relative}):
        offsets = [(operator, time.offset) for operator, time in relative if time.anchor == anchor]
        if offsets_window := _empty_window(offsets):
            low, high = offsets_window
            event = _EVENTS[anchor]
            return f"it starts {span(low)} after {event} but ends {span(high)} after {event}"
    return None


_EVENTS = {"published": "publication"}


def _empty_window(bounds: Sequence[tuple[Operator, _Time]]) -> tuple[_Time, _Time] | None:
    """The latest start and earliest end of a time window, when the window is empty."""
    starts = [value for operator, value in bounds if operator in ("gt", "gteq")]
    ends = [value for operator, value in bounds if operator in ("lt", "lteq")]
    if starts and ends and max(starts) >= min(ends):
        return max(starts), min(ends)
    return None
